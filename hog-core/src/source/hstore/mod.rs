//! The hstore source: serves producer registrations for a set of groups
//! and runs one reader per registered region.
//!
//! Per group it takes the group lock, binds `<dir>/hstore.<GROUP>.sk` and
//! accepts connections; each connection's registrations arrive as events.
//! At start it first re-attaches the regions of the unfinished streams the
//! recovery orchestrator handed it (a producer only re-registers once its
//! ring is full, so a restarted hog cannot wait for it). A region is read by one reader at a
//! time: a registration for a region already being read only updates it. A
//! new producer of a group starts after every exited producer of that group
//! is drained, so a restarted producer's data follows its predecessor's.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::net::UnixListener;
use tokio::sync::{mpsc, watch};

use crate::pipeline::{stopped, PipelineError};
use crate::plugin::UnfinishedStream;
use crate::recovery::{Adopted, Tracker};

use crate::hstore::lock::{GroupLock, LockError};
use crate::hstore::region::{Region, RegionError};
use crate::hstore::registration::{self, Event, Registration};
use crate::hstore::ring::WaitPolicy;

use super::{Source, SourceContext};

mod config;
mod reader;

pub use config::HstoreConfig;
use reader::{ReaderJob, Resume, Shared};

/// Stack of a reader thread: it decodes and copies into batches on the
/// heap, and thousands of them may run at once.
const READER_STACK: usize = 512 << 10;

/// The shared-memory source.
pub struct HstoreSource {
    groups: Vec<String>,
    dir: PathBuf,
    config: HstoreConfig,
    recovery: bool,
    adopted: Vec<Adopted>,
}

impl HstoreSource {
    /// Serves `groups` with sockets and locks in `dir`.
    pub fn new(groups: Vec<String>, dir: PathBuf, config: HstoreConfig) -> Self {
        Self {
            groups,
            dir,
            config,
            recovery: true,
            adopted: Vec::new(),
        }
    }

    /// Whether to re-attach the regions of streams earlier hogs left
    /// unfinished (`--no-recovery` turns it off).
    pub fn with_recovery(mut self, recovery: bool) -> Self {
        self.recovery = recovery;
        self
    }
}

struct Active {
    group: String,
    pid: u64,
    /// The connections that registered the ring: its producer is gone
    /// when the last of them closes.
    conns: Vec<u64>,
    shared: Arc<Shared>,
    done: watch::Receiver<bool>,
}

struct Manager {
    context: SourceContext,
    config: HstoreConfig,
    regions: HashMap<String, Active>,
    /// Streams of our groups that earlier hogs left unfinished, by region:
    /// a producer re-registering one resumes where the sinks stand.
    unfinished: HashMap<String, Adopted>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

#[async_trait]
impl Source for HstoreSource {
    fn name(&self) -> &str {
        "hstore"
    }

    /// A stream of one of our groups whose region has the name this source
    /// gives its producers' rings (`/G.pid.tid`).
    fn owns(&self, stream: &UnfinishedStream) -> bool {
        let s = &stream.stream;
        self.groups.iter().any(|g| g == s.group.as_str())
            && s.region.as_str() == registration::region_name(&s.group, s.pid, s.tid)
    }

    fn adopt(&mut self, streams: Vec<Adopted>) {
        self.adopted.extend(streams);
    }

    async fn run(self: Box<Self>, context: SourceContext) -> Result<(), PipelineError> {
        let mut served = Vec::new();
        for group in &self.groups {
            match serve_group(&self.dir, group, self.config.socket_mode.0) {
                Ok(served_group) => served.push(served_group),
                Err(e) => tracing::error!(group = %group, "{e}"),
            }
        }
        if served.is_empty() {
            return Err(PipelineError::Source {
                source_name: "hstore".into(),
                message: "no group could be served".into(),
            });
        }
        let (events, mut incoming) = mpsc::channel(1024);
        let mut accepting = Vec::new();
        for (group, listener, lock) in served {
            accepting.push(tokio::spawn(accept(
                group,
                listener,
                lock,
                events.clone(),
                context.shutdown.clone(),
            )));
        }
        drop(events);
        let this = *self;
        let mut manager = Manager {
            context: context.clone(),
            config: this.config.clone(),
            regions: HashMap::new(),
            unfinished: this
                .adopted
                .into_iter()
                .map(|a| (a.stream.stream.region.to_string(), a))
                .collect(),
            tasks: Vec::new(),
        };
        if this.recovery {
            manager.resume();
        }
        let mut shutdown = context.shutdown.clone();
        loop {
            tokio::select! {
                event = incoming.recv() => match event {
                    Some(event) => manager.handle(event),
                    None => break,
                },
                _ = stopped(&mut shutdown) => break,
            }
        }
        for task in accepting {
            task.abort();
        }
        for task in manager.tasks {
            let _ = task.await;
        }
        Ok(())
    }
}

/// Why a group cannot be served, or an unfinished stream resumed.
#[derive(Debug, thiserror::Error)]
enum HstoreError {
    /// The group's name cannot be part of a file name.
    #[error("group name \"{group}\" {why}")]
    GroupName {
        /// The name, escaped.
        group: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// Another hog serves the group, or its lock cannot be taken.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The registration socket cannot be bound.
    #[error("cannot listen on {path}: {source}")]
    Listen {
        /// The socket path.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// The stream's region is gone.
    #[error("its region no longer exists (was the machine restarted?)")]
    RegionGone,
    /// The stream's region belongs to a newer producer.
    #[error("its region was recreated by a newer producer")]
    RegionRecreated,
    /// The stream's region cannot be attached.
    #[error(transparent)]
    Region(#[from] RegionError),
}

type Served = (String, UnixListener, GroupLock);

fn serve_group(dir: &std::path::Path, group: &str, mode: u32) -> Result<Served, HstoreError> {
    if let Some(why) = crate::paths::unsafe_name(group) {
        return Err(HstoreError::GroupName {
            group: group.escape_debug().to_string(),
            why,
        });
    }
    let lock = GroupLock::acquire(dir, group)?;
    let listener = registration::bind(dir, group, mode).map_err(|source| HstoreError::Listen {
        path: registration::socket_path(dir, group),
        source,
    })?;
    tracing::info!(
        group,
        "listening for producers on {}",
        registration::socket_path(dir, group).display()
    );
    Ok((group.to_string(), listener, lock))
}

async fn accept(
    group: String,
    listener: UnixListener,
    _lock: GroupLock,
    events: mpsc::Sender<Event>,
    mut shutdown: watch::Receiver<bool>,
) {
    static NEXT_CONN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let conn = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
                    tokio::spawn(registration::serve(stream, group.clone(), conn, events.clone()));
                }
                Err(e) => {
                    tracing::error!(group = %group, "accepting a producer failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            _ = stopped(&mut shutdown) => return,
        }
    }
}

impl Manager {
    /// Re-attaches the regions of the unfinished streams, oldest first.
    fn resume(&mut self) {
        // Taken: a producer re-registering one of these regions later must
        // not be handed the cursor read at start.
        let mut streams: Vec<Adopted> =
            std::mem::take(&mut self.unfinished).into_values().collect();
        streams.sort_by_key(|a| a.stream.stream.id);
        for adopted in streams {
            let region = adopted.stream.stream.region.to_string();
            if self.regions.contains_key(&region) {
                continue;
            }
            let (id, tracker) = (adopted.stream.stream.id, adopted.tracker.clone());
            if let Err(why) = self.resume_stream(adopted) {
                tracing::warn!(
                    region = %region,
                    stream = id,
                    "cannot resume an unfinished stream: {why}; what it still held is lost; it is marked recovered so that no later start repeats this"
                );
                tracker.failed();
            }
        }
    }

    /// Re-attaches an unfinished stream's region; says why not if it cannot.
    fn resume_stream(&mut self, adopted: Adopted) -> Result<(), HstoreError> {
        let Adopted { stream, tracker } = adopted;
        let group = stream.stream.group.to_string();
        let name = stream.stream.region.to_string();
        if !Region::path_of(&name).exists() {
            return Err(HstoreError::RegionGone);
        }
        let region = Region::attach(&name)?;
        if region.created_ns() != stream.stream.started_at_ns {
            return Err(HstoreError::RegionRecreated);
        }
        let ring = region.ring();
        let pending = u64::from(ring.distance(ring.ri(), ring.wi())) * region.geometry().valsz;
        tracing::info!(
            region = %name,
            stream = stream.stream.id,
            "re-attaching a stream left unfinished by an earlier hog: up to {pending} bytes in its ring to drain"
        );
        let resume = Resume {
            cursor: stream.cursor.into_option(),
            prev_cursor: stream.prev_cursor.into_option(),
        };
        tracker.bytes_left(pending);
        let (pid, tid) = (stream.stream.pid, stream.stream.tid);
        self.start(
            group,
            None,
            region,
            pid,
            tid,
            Some((resume, tracker)),
            WaitPolicy::Futex,
            Vec::new(),
        );
        Ok(())
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Registered {
                group,
                conn,
                registration,
            } => self.register(group, conn, registration),
            Event::Closed { conn, why } => {
                if let Some(why) = why {
                    tracing::warn!(conn, "producer connection closed: {why}");
                }
                for active in self.regions.values_mut() {
                    let before = active.conns.len();
                    active.conns.retain(|&c| c != conn);
                    if before > 0 && active.conns.is_empty() {
                        active.shared.producer_gone.store(true, Ordering::Release);
                    }
                }
            }
        }
    }

    fn register(&mut self, group: String, conn: u64, r: Registration) {
        let name = r.region(&group);
        tracing::info!(
            "queue registered for group '{group}' from {}:{}, cmd {}",
            r.pid,
            r.tid,
            u8::from(r.reconnect) | (u8::from(r.wait == WaitPolicy::Spin) << 1)
        );
        if let Some(active) = self.regions.get_mut(&name) {
            if !*active.done.borrow() {
                // Registered again (its process re-registers): one more
                // connection the producer holds, none taken away.
                if !active.conns.contains(&conn) {
                    active.conns.push(conn);
                }
                active.shared.set_policy(r.wait);
                active.shared.producer_gone.store(false, Ordering::Release);
                return;
            }
        }
        let region = match Region::attach(&name) {
            Ok(region) => region,
            Err(e) => {
                tracing::error!("{e}; registration ignored");
                return;
            }
        };
        // A new producer follows every exited producer of its group,
        // including those re-attached from an earlier hog.
        let predecessors = self
            .regions
            .values()
            .filter(|a| {
                a.group == group
                    && !*a.done.borrow()
                    && (a.shared.producer_gone.load(Ordering::Acquire) || !reader::pid_alive(a.pid))
            })
            .map(|a| a.done.clone())
            .collect();
        // A region an earlier hog left unfinished resumes where the sinks
        // stand (with recovery on, it is already being read).
        let resume = self
            .unfinished
            .remove(&name)
            .filter(|a| a.stream.stream.started_at_ns == region.created_ns())
            .map(|a| {
                let resume = Resume {
                    cursor: a.stream.cursor.into_option(),
                    prev_cursor: a.stream.prev_cursor.into_option(),
                };
                (resume, a.tracker)
            });
        self.start(
            group,
            Some(conn),
            region,
            r.pid,
            r.tid,
            resume,
            r.wait,
            predecessors,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn start(
        &mut self,
        group: String,
        conn: Option<u64>,
        region: Region,
        pid: u64,
        tid: u64,
        resume: Option<(Resume, Tracker)>,
        policy: WaitPolicy,
        predecessors: Vec<watch::Receiver<bool>>,
    ) {
        let (resume, tracker) = resume.unzip();
        let shared = Arc::new(Shared::default());
        shared.set_policy(policy);
        let (done_tx, done) = watch::channel(false);
        let name = region.name().to_string();
        let thread_name = name.clone();
        let job = ReaderJob {
            group: group.clone(),
            region,
            pid,
            tid,
            resume,
            tracker,
            shared: Arc::clone(&shared),
            fanout: self.context.fanout.clone(),
            shutdown: self.context.shutdown.clone(),
            config: self.config.clone(),
        };
        // A new stream is recorded in the stat store at once, before it
        // waits for its predecessors: a hog killed meanwhile leaves it
        // unfinished there, for the next hog to resume, even if the
        // producer dies too and never registers again.
        let record = job.resume.is_none().then(|| {
            let info = reader::stream_info(&job.group, &job.region, pid, tid);
            (job.fanout.clone(), Arc::new(info))
        });
        self.tasks.retain(|t| !t.is_finished());
        self.tasks.push(tokio::spawn(async move {
            if let Some((fanout, info)) = record {
                if let Err(e) = fanout.store().open_stream(fanout.session_id(), info).await {
                    tracing::warn!(region = %thread_name, "cannot record the stream yet: {e}");
                }
            }
            for mut predecessor in predecessors {
                let _ = predecessor.wait_for(|done| *done).await;
            }
            // A thread of its own, not tokio's blocking pool: that pool is
            // bounded (512) and also runs every sink call, so thousands of
            // readers waiting on their rings would starve the sinks.
            let handle = tokio::runtime::Handle::current();
            let (finished, ended) = tokio::sync::oneshot::channel();
            let spawned = std::thread::Builder::new()
                .name("hog-reader".into())
                .stack_size(READER_STACK)
                .spawn(move || {
                    reader::run(job, handle);
                    let _ = finished.send(());
                });
            match spawned {
                Ok(_) => {
                    let _ = ended.await;
                }
                Err(e) => {
                    tracing::error!(region = %thread_name, "cannot start a reader thread: {e}")
                }
            }
            let _ = done_tx.send(true);
        }));
        self.regions.insert(
            name,
            Active {
                group,
                pid,
                conns: conn.into_iter().collect(),
                shared,
                done,
            },
        );
    }
}
