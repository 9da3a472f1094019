//! One destination of one stream: sends the spool's segments in index order
//! over its own connection, with timeouts, TCP keepalive and capped,
//! jittered exponential backoff while the destination is down. A v2
//! destination also learns where the stream ends.

use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use hog_core::plugin::Logger;

use crate::error::LinkError;
use crate::link::{self, Learned, Link, Live, Sent};
use crate::net::Destination;
use crate::options::Options;
use crate::spool::{Segment, Spool};

/// What a sender does next.
enum Work {
    /// Send this segment.
    Segment(Segment),
    /// Everything is delivered and the stream is closed: tell a v2
    /// destination where it ends.
    End(u64),
}

/// Everything a sender thread needs.
pub(crate) struct Sender {
    /// The stream's spool.
    pub spool: Arc<Spool>,
    /// The destination.
    pub dest: Arc<Destination>,
    /// This hog's name for receivers.
    pub origin: String,
    /// The sink's options.
    pub options: Arc<Options>,
    /// Where to log.
    pub logger: Logger,
    /// The current socket, for interrupts.
    pub live: Live,
    /// Earlier, closed streams of the same group: this stream's data goes
    /// to the destination only after theirs (a restarted producer follows
    /// its predecessor in every sink).
    pub after: Vec<Arc<Spool>>,
}

impl Sender {
    /// Sends until the stream is delivered or the sink stops.
    pub(crate) fn run(self) {
        let dest = self.dest.address.clone();
        let mut link: Option<Link> = None;
        let mut learned = Learned::Unknown;
        let mut backoff = Duration::from_millis(100);
        let mut down_since: Option<Instant> = None;
        let mut reported = Instant::now() - Duration::from_secs(3600);
        // The highest segment sent so far: sending one at or below it again
        // is a resend.
        let mut highest_sent: Option<u64> = None;
        if !self.wait_for_predecessors() {
            return;
        }
        loop {
            let Some(work) = self.next_work() else {
                return;
            };
            let reused = link.is_some();
            if let Work::Segment(seg) = &work {
                if highest_sent.is_some_and(|h| seg.index <= h) {
                    self.dest.counts.resent.fetch_add(1, Ordering::Relaxed);
                }
                highest_sent = highest_sent.max(Some(seg.index));
            }
            let mut result = self.step(&mut link, &mut learned, &work);
            if result.is_err() && reused && !self.stopping() {
                // The receiver may have closed a connection that sat idle:
                // try once more on a fresh one before calling it down.
                link = None;
                result = self.step(&mut link, &mut learned, &work);
            }
            let up = u64::from(result.is_ok());
            self.dest.counts.up.store(up, Ordering::Relaxed);
            match result {
                Ok(done) => {
                    if let Some(since) = down_since.take() {
                        self.logger.info(&format!(
                            "{dest} is back after {:.1}s; sending the backlog of group {}",
                            since.elapsed().as_secs_f64(),
                            self.spool.group
                        ));
                    }
                    backoff = Duration::from_millis(100);
                    if done {
                        return;
                    }
                }
                Err(e) => {
                    self.dest.counts.failures.fetch_add(1, Ordering::Relaxed);
                    link = None;
                    learned = Learned::Unknown;
                    *self.live.lock().unwrap_or_else(PoisonError::into_inner) = None;
                    if self.stopping() {
                        return;
                    }
                    down_since.get_or_insert_with(Instant::now);
                    if reported.elapsed() >= Duration::from_secs(60) {
                        self.logger.warn(&format!(
                            "{dest} (group {}): {e}; segments stay spooled, retrying",
                            self.spool.group
                        ));
                        reported = Instant::now();
                    }
                    self.pause(with_jitter(backoff));
                    backoff = (backoff * 2).min(self.options.max_backoff.0);
                }
            }
        }
    }

    fn stopping(&self) -> bool {
        self.spool.lock().stopping
    }

    /// Does `work`, connecting first if needed; `Ok(true)` when the sender
    /// is done.
    fn step(
        &self,
        link: &mut Option<Link>,
        learned: &mut Learned,
        work: &Work,
    ) -> Result<bool, LinkError> {
        let dest = &self.dest.address;
        if matches!(work, Work::End(_)) && self.spool.ended(dest) {
            return Ok(true);
        }
        if link.is_none() {
            let how = link::Connect {
                spool: &self.spool,
                dest: &self.dest,
                origin: &self.origin,
                options: &self.options,
                live: &self.live,
                logger: &self.logger,
            };
            match link::connect(&how, learned, matches!(work, Work::End(_)))? {
                Some(l) => *link = Some(l),
                None => return Ok(true),
            }
        }
        let l = link.as_mut().expect("connected");
        match work {
            Work::Segment(seg) => {
                if let Sent::Whole = l.send(&self.spool, seg, &self.options)? {
                    self.spool.acknowledge(dest, seg.index)?;
                    self.dest.counts.acked.fetch_add(1, Ordering::Relaxed);
                }
                Ok(false)
            }
            Work::End(end_seq) => {
                if !l.end(*end_seq)? {
                    self.logger.warn(&format!(
                        "{dest} (group {}): the receiver holds fewer than the {end_seq} transactions it acknowledged (its data was reset?); the stream stays unfinished there",
                        self.spool.group
                    ));
                }
                self.spool.mark_ended(dest)?;
                *link = None;
                Ok(true)
            }
        }
    }

    /// The next segment the destination has not acknowledged, waiting for
    /// one; the end once the stream is drained for it; `None` when the sink
    /// stops.
    /// Waits until every earlier stream of the group is delivered to this
    /// destination; `false` if the sink stops first.
    fn wait_for_predecessors(&self) -> bool {
        let dest = &self.dest.address;
        for earlier in &self.after {
            let mut state = earlier.lock();
            loop {
                if state.stopping {
                    return false;
                }
                let acked = state.acked.get(dest).copied().unwrap_or(0);
                if state.finished_for(acked) {
                    break;
                }
                state = earlier.wait(state, Duration::from_secs(1));
            }
        }
        true
    }

    fn next_work(&self) -> Option<Work> {
        let dest = &self.dest.address;
        let mut state = self.spool.lock();
        loop {
            if state.stopping {
                return None;
            }
            let acked = state.acked.get(dest).copied().unwrap_or(0);
            if let Some((_, seg)) = state.segments.range(acked + 1..).next() {
                return Some(Work::Segment(seg.clone()));
            }
            if state.finished_for(acked) {
                return Some(Work::End(state.durable_end()));
            }
            state = self.spool.wait(state, Duration::from_secs(1));
        }
    }

    fn pause(&self, d: Duration) {
        let state = self.spool.lock();
        if !state.stopping {
            drop(self.spool.wait(state, d));
        }
    }
}

/// `d` plus up to 50% of it, so that many senders do not retry in step.
fn with_jitter(d: Duration) -> Duration {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|t| t.subsec_nanos())
        .unwrap_or(0) as u64;
    let half = d.as_millis() as u64 / 2;
    d + Duration::from_millis(if half == 0 { 0 } else { nanos % half })
}
