//! A storage group (hobbes `DEFINE_STORAGE_GROUP`): its statements, its
//! quality of service and commit method, and its connection to hog.
//!
//! Statements are declared while the group is being built (`&mut self`):
//! every ring the group creates carries a snapshot of the statement table,
//! so the borrow checker makes sure the table is complete before the first
//! ring of the process exists.

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use hstore_shm::WaitPolicy;

use crate::error::ProducerError;
use crate::meta;
use crate::region::OwnedRegion;
use crate::registration::Connection;
use crate::statement::{Declaration, StatementId};
use crate::store_dir::default_store_dir;
use crate::writer::Writer;

pub use hstore_shm::{CommitMethod, Qos};

/// Distinguishes groups in the per-thread table of writers.
static NEXT_INDEX: AtomicUsize = AtomicUsize::new(0);

/// A storage group: rings of `pages` pages, one per logging thread.
pub struct Group {
    name: String,
    pages: u64,
    qos: Qos,
    commit: CommitMethod,
    wait: WaitPolicy,
    store_dir: PathBuf,
    statements: Vec<Declaration>,
    connection: Mutex<Option<Connection>>,
    dropped: AtomicU64,
    index: usize,
}

impl Group {
    /// A group of rings of `pages` pages each (at least 10 are used),
    /// registered in the [default directory](crate::default_store_dir).
    pub fn new(name: &str, pages: u64, qos: Qos, commit: CommitMethod) -> Group {
        Group {
            name: name.to_string(),
            pages,
            qos,
            commit,
            wait: WaitPolicy::Futex,
            store_dir: default_store_dir(),
            statements: Vec::new(),
            connection: Mutex::new(None),
            dropped: AtomicU64::new(0),
            index: NEXT_INDEX.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// Uses `dir` for hog's registration socket instead of the default.
    pub fn with_store_dir(mut self, dir: impl Into<PathBuf>) -> Group {
        self.store_dir = dir.into();
        self
    }

    /// Waits for hog by spinning instead of futexes (and tells hog so).
    pub fn with_wait_policy(mut self, wait: WaitPolicy) -> Group {
        self.wait = wait;
        self
    }

    /// Declares a statement; ids follow declaration order. Declaring a
    /// name again returns its id if it is the same statement.
    ///
    /// # Panics
    /// If `name` is already declared with another type, flag or format.
    pub fn declare(&mut self, declaration: Declaration) -> StatementId {
        if let Some(id) = self
            .statements
            .iter()
            .position(|s| s.name == declaration.name)
        {
            let known = &self.statements[id];
            assert!(
                known.same_statement(&declaration),
                "statement '{}' of group '{}' declared at {}:{} and differently at {}:{}",
                known.name,
                self.name,
                known.file,
                known.line,
                declaration.file,
                declaration.line,
            );
            return StatementId(id as u32);
        }
        self.statements.push(declaration);
        StatementId(self.statements.len() as u32 - 1)
    }

    /// Declares an `HSTORE`-style statement with an encoded payload type.
    #[track_caller]
    pub fn statement(&mut self, name: &str, type_desc: &[u8]) -> StatementId {
        self.declare(Declaration::new(name, type_desc))
    }

    /// Declares an `HLOG`-style statement with its format string.
    #[track_caller]
    pub fn log_statement(&mut self, name: &str, format: &str, type_desc: &[u8]) -> StatementId {
        self.declare(Declaration::new(name, type_desc).hlog(format))
    }

    /// The group's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The group's quality of service.
    pub fn qos(&self) -> Qos {
        self.qos
    }

    /// The group's commit method.
    pub fn commit_method(&self) -> CommitMethod {
        self.commit
    }

    /// How the group's writers wait for room.
    pub fn wait_policy(&self) -> WaitPolicy {
        self.wait
    }

    /// Records that could not be logged: dropped by an Unreliable ring
    /// without room, or refused for lack of a ring.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The name of the calling thread's region (`/<group>.<pid>.<tid>`).
    pub fn thread_region_name(&self) -> String {
        format!("/{}.{}.{}", self.name, std::process::id(), thread_id())
    }

    /// Whether this process holds a connection to hog (as last seen).
    pub fn connected(&self) -> bool {
        self.with_connection(|c| c.is_connected())
    }

    /// Creates this thread's ring and registers it with hog.
    ///
    /// A Reliable group fails when hog cannot be reached; an Unreliable one
    /// logs into the ring regardless and registers when hog appears. Use
    /// either this or the group's own per-thread writer ([`Group::log`]) in
    /// a thread, not both: they would be the same region.
    pub fn writer(&self) -> Result<Writer<'_>, ProducerError> {
        let (writer, registered) = self.open_writer()?;
        match registered {
            Err(e) if self.qos == Qos::Reliable => Err(ProducerError::Register(e)),
            _ => Ok(writer),
        }
    }

    /// The producer's reconnect probe: if hog went away (EOF on the socket)
    /// and a hog is listening again, re-registers every ring of this
    /// process. Returns whether it did.
    pub fn reconnect(&self) -> bool {
        self.with_connection(Connection::reconnect_if_lost)
    }

    /// Creates this thread's ring, then registers it; the ring is usable
    /// even when the registration failed (a reconnect registers it later).
    pub(crate) fn open_writer(&self) -> Result<(Writer<'_>, io::Result<()>), ProducerError> {
        let tid = thread_id();
        let meta = meta::encode(self.qos, self.commit, &self.statements);
        let region = OwnedRegion::create(&self.thread_region_name(), self.pages, &meta)
            .map_err(ProducerError::Region)?;
        let registered = self.with_connection(|c| c.register(tid, self.wait));
        Ok((Writer::new(self, region), registered))
    }

    /// The declared statements, by id.
    pub(crate) fn statements(&self) -> &[Declaration] {
        &self.statements
    }

    pub(crate) fn count_drop(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn index(&self) -> usize {
        self.index
    }

    fn with_connection<R>(&self, f: impl FnOnce(&mut Connection) -> R) -> R {
        let mut guard = self
            .connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let socket = self.store_dir.join(format!("hstore.{}.sk", self.name));
        f(guard.get_or_insert_with(|| Connection::new(socket)))
    }
}

/// The calling thread's Linux thread id.
fn thread_id() -> u64 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() as u64 }
}
