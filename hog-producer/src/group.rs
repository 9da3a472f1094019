//! A storage group: its statements, its quality of service and commit
//! method, and its connection to hog.

use std::path::PathBuf;
use std::sync::Mutex;

use hstore_shm::{WaitPolicy, HSTORE_VERSION};

use crate::region::OwnedRegion;
use crate::registration::Connection;
use crate::writer::Writer;

/// What a producer does when its ring is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qos {
    /// Wait for hog to make room: nothing is lost.
    Reliable,
    /// Drop records (the log call returns `false`).
    Unreliable,
}

/// How records are grouped into transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitMethod {
    /// Records are committed a page at a time, automatically.
    Auto,
    /// The application commits or rolls back.
    Manual,
}

/// A statement's id within its group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatementId(pub u32);

/// Why a ring could not be set up.
#[derive(Debug)]
pub enum ProducerError {
    /// The region could not be created.
    Region(std::io::Error),
    /// A Reliable group could not register with hog.
    Register(std::io::Error),
}

impl std::fmt::Display for ProducerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProducerError::Region(e) => write!(f, "cannot create the ring: {e}"),
            ProducerError::Register(e) => write!(f, "cannot register with hog: {e}"),
        }
    }
}

impl std::error::Error for ProducerError {}

struct StatementDecl {
    name: String,
    flags: u64,
    format: String,
    file: String,
    line: u32,
    type_desc: Vec<u8>,
}

/// A storage group (hobbes `DEFINE_STORAGE_GROUP`).
pub struct Group {
    name: String,
    pages: u64,
    qos: Qos,
    commit: CommitMethod,
    wait: WaitPolicy,
    store_dir: PathBuf,
    statements: Vec<StatementDecl>,
    connection: Mutex<Option<Connection>>,
}

impl Group {
    /// A group of rings of `pages` pages each (at least 10 are used).
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
        }
    }

    /// Uses `dir` for hog's registration socket instead of the default.
    pub fn with_store_dir(mut self, dir: impl Into<PathBuf>) -> Group {
        self.store_dir = dir.into();
        self
    }

    /// Waits for hog by spinning instead of futexes.
    pub fn with_wait_policy(mut self, wait: WaitPolicy) -> Group {
        self.wait = wait;
        self
    }

    /// Declares an `HSTORE`-style statement; ids follow declaration order.
    pub fn statement(&mut self, name: &str, type_desc: &[u8]) -> StatementId {
        self.declare(name, 0, "", type_desc)
    }

    /// Declares an `HLOG`-style statement with its format string.
    pub fn log_statement(&mut self, name: &str, format: &str, type_desc: &[u8]) -> StatementId {
        self.declare(name, 1, format, type_desc)
    }

    fn declare(&mut self, name: &str, flags: u64, format: &str, type_desc: &[u8]) -> StatementId {
        let id = StatementId(self.statements.len() as u32);
        self.statements.push(StatementDecl {
            name: name.to_string(),
            flags,
            format: format.to_string(),
            file: file!().to_string(),
            line: line!(),
            type_desc: type_desc.to_vec(),
        });
        id
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

    /// Creates this thread's ring and registers it with hog.
    ///
    /// A Reliable group fails when hog cannot be reached; an Unreliable one
    /// logs into the ring regardless and registers when hog appears.
    pub fn writer(&self) -> Result<Writer<'_>, ProducerError> {
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() } as u64;
        let name = format!("/{}.{}.{}", self.name, std::process::id(), tid);
        let region =
            OwnedRegion::create(&name, self.pages, &self.meta()).map_err(ProducerError::Region)?;
        let registered = self.with_connection(|c| c.register(tid, self.wait));
        if let Err(e) = registered {
            if self.qos == Qos::Reliable {
                return Err(ProducerError::Register(e));
            }
        }
        Ok(Writer::new(self, region))
    }

    /// The producer's reconnect probe: re-registers every ring of this
    /// process if hog went away and a hog is listening again.
    pub fn reconnect(&self) -> bool {
        self.with_connection(Connection::reconnect_if_lost)
    }

    pub(crate) fn wait_policy(&self) -> WaitPolicy {
        self.wait
    }

    fn with_connection<R>(&self, f: impl FnOnce(&mut Connection) -> R) -> R {
        let mut guard = self
            .connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let socket = self.store_dir.join(format!("hstore.{}.sk", self.name));
        f(guard.get_or_insert_with(|| Connection::new(socket)))
    }

    /// The meta block: version, QoS, commit method, statements sorted by name.
    fn meta(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let string = |out: &mut Vec<u8>, s: &[u8]| {
            out.extend_from_slice(&(s.len() as u64).to_le_bytes());
            out.extend_from_slice(s);
        };
        out.extend_from_slice(&HSTORE_VERSION.to_le_bytes());
        out.extend_from_slice(&(self.qos as u32).to_le_bytes());
        out.extend_from_slice(&(self.commit as u32).to_le_bytes());
        out.extend_from_slice(&(self.statements.len() as u32).to_le_bytes());
        let mut order: Vec<usize> = (0..self.statements.len()).collect();
        order.sort_by(|&a, &b| self.statements[a].name.cmp(&self.statements[b].name));
        for id in order {
            let s = &self.statements[id];
            string(&mut out, s.name.as_bytes());
            out.extend_from_slice(&s.flags.to_le_bytes());
            string(&mut out, s.format.as_bytes());
            string(&mut out, s.file.as_bytes());
            out.extend_from_slice(&s.line.to_le_bytes());
            out.extend_from_slice(&(id as u32).to_le_bytes());
            string(&mut out, &s.type_desc);
        }
        out
    }
}

/// The registration directory producers and hog agree on: the first of
/// `$HOBBES_STORE_DIR`, `$TMPDIR`, `$TMP` that is set, non-empty and
/// writable; else `/var/tmp` if writable; else `/tmp`.
pub fn default_store_dir() -> PathBuf {
    let writable = |dir: &PathBuf| {
        use std::os::unix::ffi::OsStrExt;
        let Ok(path) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
            return false;
        };
        // SAFETY: a valid NUL-terminated path for the duration of the call.
        unsafe { libc::access(path.as_ptr(), libc::W_OK) == 0 }
    };
    ["HOBBES_STORE_DIR", "TMPDIR", "TMP"]
        .iter()
        .filter_map(std::env::var_os)
        .map(PathBuf::from)
        .find(|d| !d.as_os_str().is_empty() && writable(d))
        .or_else(|| Some(PathBuf::from("/var/tmp")).filter(writable))
        .unwrap_or_else(|| PathBuf::from("/tmp"))
}
