//! One region's reader: drains its ring through the fan-out until the
//! producer is gone and the ring is empty, or hog stops.
//!
//! Runs on a blocking thread; deliveries go through the async fan-out with
//! `block_on`. The ring's read index moves only after a batch is durable in
//! every sink and recorded with its cursor, so that a hog killed at any
//! point resumes exactly where the sinks stand.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Handle;

use crate::pipeline::{Batch, Fanout, PipelineError, StreamDelivery};
use crate::plugin::{SourceCursor, StreamInfo};
use crate::recovery::Tracker;

use crate::hstore::drain::{Drain, DrainError, Stop};
use crate::hstore::region::Region;
use crate::hstore::ring::WaitPolicy;

use super::config::HstoreConfig;

/// What a reader shares with the registration side.
#[derive(Debug, Default)]
pub(super) struct Shared {
    /// Set when the producer's registration connection closed.
    pub producer_gone: AtomicBool,
    /// The producer's wait policy (0 futex, 1 spin); updated when it
    /// re-registers.
    pub policy: AtomicU8,
}

impl Shared {
    /// The current wait policy.
    pub(super) fn policy(&self) -> WaitPolicy {
        match self.policy.load(Ordering::Relaxed) {
            1 => WaitPolicy::Spin,
            _ => WaitPolicy::Futex,
        }
    }

    /// Records the producer's wait policy.
    pub(super) fn set_policy(&self, policy: WaitPolicy) {
        self.policy
            .store(u8::from(policy == WaitPolicy::Spin), Ordering::Relaxed);
    }
}

/// Where a stream re-attached after a crash stands, from the stat store.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Resume {
    /// The last cursor recorded.
    pub cursor: Option<SourceCursor>,
    /// The one before it.
    pub prev_cursor: Option<SourceCursor>,
}

/// Everything a reader needs.
pub(super) struct ReaderJob {
    /// The group.
    pub group: String,
    /// The attached region.
    pub region: Region,
    /// Producer pid and tid.
    pub pid: u64,
    /// Producer thread id.
    pub tid: u64,
    /// Set for a stream re-attached from the stat store.
    pub resume: Option<Resume>,
    /// Where a recovered stream's progress is reported.
    pub tracker: Option<Tracker>,
    /// State shared with the registration side.
    pub shared: Arc<Shared>,
    /// Where batches go.
    pub fanout: Fanout,
    /// Turns true when hog stops.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
    /// Tunables.
    pub config: HstoreConfig,
}

/// Runs a reader to its end; logs what happened.
pub(super) fn run(job: ReaderJob, handle: Handle) {
    let name = job.region.name().to_string();
    let tracker = job.tracker.clone();
    match read(job, &handle) {
        Ok(end) => tracing::info!(region = %name, "stream {end}"),
        Err(e) => {
            if let Some(t) = tracker {
                t.failed();
            }
            tracing::error!(region = %name, "{e}; the region is left as it is (quarantined), hog goes on")
        }
    }
}

/// The stream a producer's ring makes.
pub(super) fn stream_info(group: &str, region: &Region, pid: u64, tid: u64) -> StreamInfo {
    let meta = region.meta();
    StreamInfo {
        id: 0,
        group: group.into(),
        pid,
        tid,
        region: region.name().into(),
        started_at_ns: region.created_ns(),
        qos: meta.qos,
        commit: meta.commit,
        statements: meta.statements.clone().into(),
    }
}

fn read(job: ReaderJob, handle: &Handle) -> Result<String, PipelineError> {
    let region = &job.region;
    let ring = region.ring();
    let meta = region.meta();
    let info = stream_info(&job.group, region, job.pid, job.tid);
    let ri = u64::from(ring.ri());
    let (next_seq, initial) = match job.resume {
        None => (
            0,
            Some(SourceCursor {
                seq: 0,
                position: ri,
            }),
        ),
        Some(resume) => (resume_seq(resume, ri, region.name()), None),
    };
    let mut delivery: StreamDelivery = handle.block_on(job.fanout.open_stream(info, initial))?;
    let stream_id = delivery.stream().id;
    tracing::info!(
        region = %region.name(),
        stream = stream_id,
        "reading {} {:?}/{:?} ring of {} slots from slot {ri}, transaction {next_seq}",
        job.group,
        meta.qos,
        meta.commit,
        ring.count()
    );
    let mut drain = Drain::attach(&ring, next_seq);
    let resyncing = drain.resyncing();
    let max_bytes = job.config.batch_bytes.0 as usize;
    let tick = job.config.tick.0;
    let check = |txn: &[u8]| meta.table.count(txn);
    loop {
        let mut batch = Batch::new(stream_id, drain.next_seq());
        let read = drain.read(&ring, &mut batch, max_bytes, check);
        if region.faulted() {
            // What was read since the fault is zeros: keep only what the
            // sinks already hold.
            return end_broken(
                delivery,
                &job,
                handle,
                batch.first_seq(),
                "shrank or vanished while hog read it (truncated by another process?)",
            );
        }
        if resyncing && !drain.resyncing() && drain.skipped() > 0 {
            tracing::warn!(
                region = %region.name(),
                "the read index was inside a transaction; skipped {} bytes to the next boundary",
                drain.skipped()
            );
        }
        if !batch.is_empty() {
            match handle.block_on(delivery.deliver(batch, Some(drain.cursor()))) {
                Ok(_) => {
                    drain.release(&ring);
                    let waiting =
                        u64::from(ring.distance(ring.ri(), ring.wi())) * region.geometry().valsz;
                    delivery.status().ring_fill.set(waiting);
                    if let Some(t) = &job.tracker {
                        t.bytes_left(waiting);
                    }
                }
                Err(PipelineError::Stopping { .. }) => {
                    return Ok("left open: hog is stopping while a failure held it".into())
                }
                Err(e) => return Err(e),
            }
        }
        let stop = match read {
            Ok(stop) => stop,
            Err(e @ DrainError::Slot { .. }) | Err(e @ DrainError::Transaction { .. }) => {
                let why = format!("holds what no producer writes ({e})");
                return end_broken(delivery, &job, handle, drain.next_seq(), &why);
            }
        };
        match stop {
            Stop::BatchFull => continue,
            Stop::Tentative if !producer_alive(&job) => {
                tracing::warn!(region = %region.name(), "the producer died before deciding its last slot; dropping it");
                break;
            }
            Stop::Tentative => std::thread::sleep(Duration::from_micros(50)),
            Stop::CaughtUp => {
                if drain.must_release_partial(&ring) {
                    let held = drain.release_partial(&ring);
                    tracing::warn!(
                        region = %region.name(),
                        "a transaction is larger than the ring: released its first slots early ({held} bytes held in memory until it commits)"
                    );
                }
                if *job.shutdown.borrow() {
                    return Ok("left open: hog is stopping".into());
                }
                // An empty ring of a dead producer is the end, unless the
                // region was truncated (the producer died of it, and the
                // "empty" ring was zeros read through the faulted mapping).
                let drained = ring.wi() == ring.ri() && !producer_alive(&job);
                if !drained {
                    ring.wait(drain.read_position(), job.shared.policy(), tick);
                }
                if region.faulted() {
                    return end_broken(
                        delivery,
                        &job,
                        handle,
                        drain.next_seq(),
                        "shrank or vanished while hog waited on it (truncated by another process?)",
                    );
                }
                if drained {
                    break;
                }
            }
        }
    }
    if drain.pending() > 0 {
        tracing::warn!(region = %region.name(), "the producer exited inside a transaction; {} uncommitted bytes dropped", drain.pending());
    }
    let end = drain.next_seq();
    handle.block_on(delivery.close(end))?;
    if job.config.unlink_drained {
        let path = Region::path_of(region.name());
        if let Err(e) = std::fs::remove_file(&path) {
            tracing::warn!(region = %region.name(), "cannot unlink the drained region: {e}");
        }
    }
    if let Some(t) = &job.tracker {
        t.finished();
    }
    Ok("closed: the producer exited and its ring is drained".into())
}

/// Ends a stream whose region broke under hog: closes it after `end`
/// transactions (everything the sinks hold), leaves the region as it is,
/// and reports it; every other stream goes on.
fn end_broken(
    delivery: StreamDelivery,
    job: &ReaderJob,
    handle: &Handle,
    end: u64,
    why: &str,
) -> Result<String, PipelineError> {
    let stream_id = delivery.stream().id;
    tracing::error!(
        region = %job.region.name(),
        stream = stream_id,
        group = %job.group,
        producer_pid = job.pid,
        producer_tid = job.tid,
        "the region {why}: closing this stream after its {end} transactions held durably by every sink; anything the region held beyond them is lost; the region is left in place for inspection, every other stream goes on"
    );
    if let Some(t) = &job.tracker {
        t.failed();
    }
    handle
        .block_on(delivery.close(end))
        .map(|()| format!("closed after {end} transactions: its region broke"))
}

/// The sequence number of the transaction at read index `ri`.
fn resume_seq(resume: Resume, ri: u64, region: &str) -> u64 {
    match (resume.cursor, resume.prev_cursor) {
        (Some(c), _) if c.position == ri => c.seq,
        (_, Some(p)) if p.position == ri => p.seq,
        (Some(c), _) => {
            tracing::warn!(
                region,
                "read index {ri} is at no recorded cursor: a transaction larger than the ring was cut by the crash"
            );
            c.seq
        }
        (None, _) => 0,
    }
}

fn producer_alive(job: &ReaderJob) -> bool {
    !job.shared.producer_gone.load(Ordering::Acquire) && pid_alive(job.pid)
}

/// Whether process `pid` exists.
pub(crate) fn pid_alive(pid: u64) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: kill with signal 0 only checks for the process.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}
