//! The recovery orchestrator: what earlier hogs left unfinished is handed to
//! the sources that can resume it, and followed to its end.
//!
//! At start, [`hand_over`] reads the unfinished streams from the stat store
//! (a stream is unfinished while some sink's mark is below its end, or its
//! end is unknown) and asks each configured source which of them it owns
//! ([`Source::owns`]). Each source receives its streams, oldest first per
//! group, before it runs ([`Source::adopt`]), each with a [`Tracker`] it
//! reports through: bytes left, the end, or that it cannot be resumed.
//! [`Recovery::follow`] then logs progress (streams, bytes, an estimate of
//! the time left) until every adopted stream ended, and marks each one
//! recovered by this session in the stat store, which `hog stat` lists.
//!
//! The orchestrator knows no concrete source, sink or store: sinks resume
//! from their own marks (the fan-out trims what they hold), sources from
//! their own cursors. Streams no source owns stay unfinished for a later
//! start with another configuration.

mod tracker;

use std::time::{Duration, Instant};

use tokio::sync::watch;

pub use tracker::{Adopted, Tracker};

use crate::pipeline::{stopped, StatStoreHandle};
use crate::plugin::{PluginError, UnfinishedStream};
use crate::source::Source;

/// How often progress is logged while streams are being recovered.
const REPORT_EVERY: Duration = Duration::from_secs(5);
/// How often ended streams are looked for (and marked recovered).
const CHECK_EVERY: Duration = Duration::from_millis(100);

/// The streams handed over at start, followed to their end.
pub struct Recovery {
    store: StatStoreHandle,
    session_id: u64,
    trackers: Vec<Tracker>,
}

/// Reads the unfinished streams of earlier sessions and hands each to the
/// first of `sources` that owns it. With `active` off (`--no-recovery`)
/// the sources still learn their streams, so that a producer that returns
/// resumes exactly, but they re-attach nothing by themselves.
pub async fn hand_over(
    store: &StatStoreHandle,
    session_id: u64,
    sources: &mut [Box<dyn Source>],
    active: bool,
) -> Result<Recovery, PluginError> {
    let mut streams: Vec<UnfinishedStream> =
        store.unfinished_streams().await?.into_iter().collect();
    streams.sort_by(|a, b| {
        (a.stream.group.as_str(), a.stream.id).cmp(&(b.stream.group.as_str(), b.stream.id))
    });
    let total = streams.len();
    let mut handed: Vec<Vec<Adopted>> = sources.iter().map(|_| Vec::new()).collect();
    let mut trackers = Vec::new();
    let mut orphans = Vec::new();
    for stream in streams {
        match sources.iter().position(|s| s.owns(&stream)) {
            Some(i) => {
                let tracker = Tracker::new(stream.stream.id);
                if active {
                    crate::metrics::global().recovering(stream.stream.id);
                }
                trackers.push(tracker.clone());
                handed[i].push(Adopted { stream, tracker });
            }
            None => orphans.push(stream.stream.id),
        }
    }
    let mut taken = Vec::new();
    for (source, adopted) in sources.iter_mut().zip(handed) {
        if !adopted.is_empty() {
            taken.push(format!("{} takes {}", source.name(), adopted.len()));
            source.adopt(adopted);
        }
    }
    if total > 0 {
        let line = format!(
            "recovery: {total} stream(s) of earlier sessions are unfinished{}{}",
            if taken.is_empty() {
                String::new()
            } else {
                format!("; {}", taken.join(", "))
            },
            if active {
                ""
            } else {
                " (recovery is off: each waits for its producer or sender to return)"
            }
        );
        tracing::info!("{line}");
        crate::metrics::global().event("info", line);
    }
    if !orphans.is_empty() {
        tracing::warn!(
            "recovery: {} unfinished stream(s) belong to no configured source (streams {orphans:?}); they stay for a later start",
            orphans.len()
        );
    }
    Ok(Recovery {
        store: store.clone(),
        session_id,
        trackers: if active { trackers } else { Vec::new() },
    })
}

impl Recovery {
    /// Streams being recovered.
    pub fn len(&self) -> usize {
        self.trackers.len()
    }

    /// Whether nothing is being recovered.
    pub fn is_empty(&self) -> bool {
        self.trackers.is_empty()
    }

    /// Follows the handed-over streams until each ended or `done` turns
    /// true (the sources stopped), logging progress every few seconds and
    /// marking each ended stream recovered as soon as it ends.
    pub async fn follow(self, mut done: watch::Receiver<bool>) {
        if self.trackers.is_empty() {
            return;
        }
        let started = Instant::now();
        let total = self.trackers.len();
        let mut pending = self.trackers;
        let (mut failed, mut reported) = (0, Instant::now());
        loop {
            let (ended, running): (Vec<Tracker>, Vec<Tracker>) =
                pending.into_iter().partition(Tracker::ended);
            pending = running;
            let m = crate::metrics::global();
            m.recovery_bytes_left
                .set(pending.iter().map(|t| t.bytes().0).sum());
            for t in ended {
                m.recovered(t.stream_id());
                failed += usize::from(!t.is_finished());
                if let Err(e) = self
                    .store
                    .mark_recovered(t.stream_id(), self.session_id)
                    .await
                {
                    tracing::error!(
                        stream = t.stream_id(),
                        "stat store: cannot mark the stream recovered: {e}"
                    );
                }
            }
            if pending.is_empty() {
                let line = format!(
                    "recovery finished: {total} stream(s) in {:.1}s{}",
                    started.elapsed().as_secs_f64(),
                    if failed > 0 {
                        format!(", {failed} could not be resumed (see above)")
                    } else {
                        String::new()
                    }
                );
                tracing::info!("{line}");
                m.event("info", line);
                return;
            }
            if *done.borrow() {
                return;
            }
            if reported.elapsed() >= REPORT_EVERY {
                reported = Instant::now();
                report(&pending, total, started);
            }
            tokio::select! {
                _ = tokio::time::sleep(CHECK_EVERY) => {}
                _ = stopped(&mut done) => {}
            }
        }
    }
}

/// Logs how far the `pending` streams of `total` are.
fn report(pending: &[Tracker], total: usize, started: Instant) {
    let (left, first): (u64, u64) = pending
        .iter()
        .map(Tracker::bytes)
        .fold((0, 0), |(l, f), (left, first)| (l + left, f + first));
    let done = first.saturating_sub(left);
    let eta = match started.elapsed().as_secs_f64() {
        secs if done > 0 && secs > 0.0 => {
            format!(", about {:.0}s left", left as f64 / (done as f64 / secs))
        }
        _ => String::new(),
    };
    tracing::info!(
        "recovering: {} of {total} stream(s) done, {} to go, {left} bytes left to deliver{eta}",
        total - pending.len(),
        pending.len()
    );
}
