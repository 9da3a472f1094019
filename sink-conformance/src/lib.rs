//! The contract every hog sink keeps, as checks a sink's author runs
//! against their own sink.
//!
//! hog's exactly-once delivery rests on each sink keeping the contract of
//! [`Sink`]: marks are exclusive ends of what is durable, a restarted sink
//! reports a mark from which a replay yields every transaction once, a
//! closed stream reopens at its end, and what the sink cannot take is
//! refused with an error rather than a panic or a silent gap. The same
//! checks run against the disk sink, the tcp sink (through a real
//! receiving hog) and the example sink; a third-party sink runs them from
//! its own tests:
//!
//! ```ignore
//! struct Mine(tempfile::TempDir);
//!
//! impl hog_sink_conformance::Subject for Mine {
//!     type Sink = MySink;
//!     fn start(&mut self) -> MySink {
//!         MySink::from_options(&format!(r#"{{"dir": "{}"}}"#, self.0.path().display()), Logger::discard())
//!             .unwrap()
//!     }
//!     fn stored(&mut self, stream: &StreamInfo, _expected: usize) -> Vec<i64> {
//!         read_back(self.0.path(), &stream.group) // the `seq` values, in order
//!     }
//! }
//!
//! #[test]
//! fn my_sink_keeps_the_sink_contract() {
//!     hog_sink_conformance::run(&mut Mine(tempfile::tempdir().unwrap()));
//! }
//! ```
//!
//! Every check uses its own group and stream ids, so one subject (one
//! output directory, one receiver) serves them all. Streams hold one
//! statement, `seq` of hobbes type `long` (id 0); transaction `i` of a
//! stream is one record of `seq` with value `i`.

#![warn(missing_docs, unreachable_pub, unsafe_op_in_unsafe_fn)]

mod feed;
pub mod memory;

use hog_plugin_api::{ErrorKind, Sink, StreamInfo};

pub use feed::{stream, Feed};
pub use memory::{Fault, MemorySink, MemoryStore};

/// A sink under test, as its author describes it to the checks.
pub trait Subject {
    /// The sink.
    type Sink: Sink;

    /// Creates the sink with the subject's configuration, as a starting
    /// hog does: an instance started after another stopped sees what that
    /// one made durable.
    fn start(&mut self) -> Self::Sink;

    /// The `seq` values the sink's output holds for `stream` (group
    /// `stream.group`), in order, read as a consumer of that output reads
    /// them. A sink that delivers asynchronously waits until `expected`
    /// values are there (or a timeout passes) before answering.
    fn stored(&mut self, stream: &StreamInfo, expected: usize) -> Vec<i64>;

    /// Stops `sink` the way a SIGKILL of hog would: no `shutdown`, no
    /// further call. By default the sink is dropped; a sink that can leave
    /// its state exactly as a kill does (unflushed buffers lost, files not
    /// finished) does that here.
    fn kill(&mut self, sink: Self::Sink) {
        drop(sink);
    }
}

/// Runs every check against `subject`, panicking at the first violation
/// with the check's name and what was wrong.
pub fn run<S: Subject>(subject: &mut S) {
    delivers_every_transaction_once_in_order(subject);
    marks_are_exclusive_ends_that_never_go_back(subject);
    resumes_after_a_shutdown_from_its_mark(subject);
    resumes_after_a_kill_with_every_transaction_once(subject);
    reopens_a_closed_stream_at_its_end(subject);
    refuses_an_unknown_stream_and_a_gap(subject);
    keeps_interleaved_streams_apart(subject);
}

/// Batches of different sizes, flushed, closed, shut down: the output
/// holds `0..n` exactly.
pub fn delivers_every_transaction_once_in_order<S: Subject>(subject: &mut S) {
    let stream = stream("Delivery", 101);
    let mut sink = subject.start();
    let mut feed = Feed::open(&mut sink, &stream, "delivery");
    for size in [1, 10, 100, 1000, 7] {
        feed.write(&mut sink, size);
    }
    feed.flush(&mut sink);
    feed.close(&mut sink);
    shutdown(&mut sink, "delivery");
    assert_stored(subject, &stream, 0..feed.end() as i64, "delivery");
}

/// A write's mark is at most the batch's end and never below the previous
/// mark; after a flush it covers everything written.
pub fn marks_are_exclusive_ends_that_never_go_back<S: Subject>(subject: &mut S) {
    let stream = stream("Marks", 201);
    let mut sink = subject.start();
    let mut feed = Feed::open(&mut sink, &stream, "marks");
    assert_eq!(feed.mark(), 0, "marks: a new stream's mark is 0");
    for size in [3, 300, 30] {
        feed.write(&mut sink, size);
        feed.flush(&mut sink);
        assert_eq!(
            feed.mark(),
            feed.end(),
            "marks: after a flush the mark covers every transaction written"
        );
    }
    feed.close(&mut sink);
    shutdown(&mut sink, "marks");
}

/// Stopped with the stream open (as a stopping hog leaves it), a new
/// instance reopens the stream at its mark; what follows continues it.
pub fn resumes_after_a_shutdown_from_its_mark<S: Subject>(subject: &mut S) {
    let stream = stream("Restart", 301);
    let mut sink = subject.start();
    let mut feed = Feed::open(&mut sink, &stream, "restart");
    feed.write(&mut sink, 250);
    feed.flush(&mut sink);
    shutdown(&mut sink, "restart");
    drop(sink);

    let mut sink = subject.start();
    let mut feed = Feed::reopen(&mut sink, &stream, "restart");
    assert_eq!(
        feed.mark(),
        250,
        "restart: a sink shut down with the stream open reopens it at its mark"
    );
    feed.write(&mut sink, 250);
    feed.flush(&mut sink);
    feed.close(&mut sink);
    shutdown(&mut sink, "restart");
    assert_stored(subject, &stream, 0..500, "restart");
}

/// Killed after writing past its last flush, a new instance reports a mark
/// no lower than the flushed one and no higher than what was written; the
/// replay from that mark leaves every transaction in the output once.
pub fn resumes_after_a_kill_with_every_transaction_once<S: Subject>(subject: &mut S) {
    let stream = stream("Killed", 401);
    let mut sink = subject.start();
    let mut feed = Feed::open(&mut sink, &stream, "kill");
    feed.write(&mut sink, 400);
    feed.flush(&mut sink);
    let flushed = feed.mark();
    feed.write(&mut sink, 123);
    let written = feed.end();
    subject.kill(sink);

    let mut sink = subject.start();
    let mut feed = Feed::reopen(&mut sink, &stream, "kill");
    assert!(
        (flushed..=written).contains(&feed.mark()),
        "kill: reopened at mark {}, outside the flushed {flushed} and the written {written}",
        feed.mark()
    );
    // The host replays from the mark the sink reported.
    feed.write(&mut sink, 1000 - feed.mark() as usize);
    feed.flush(&mut sink);
    feed.close(&mut sink);
    shutdown(&mut sink, "kill");
    assert_stored(subject, &stream, 0..1000, "kill");
}

/// A closed stream that comes back (recovery of a stream the stat store
/// still lists) reopens at its end, and continues.
pub fn reopens_a_closed_stream_at_its_end<S: Subject>(subject: &mut S) {
    let stream = stream("Reopen", 501);
    let mut sink = subject.start();
    let mut feed = Feed::open(&mut sink, &stream, "reopen");
    feed.write(&mut sink, 60);
    feed.flush(&mut sink);
    feed.close(&mut sink);
    shutdown(&mut sink, "reopen");
    drop(sink);

    let mut sink = subject.start();
    let mut feed = Feed::reopen(&mut sink, &stream, "reopen");
    assert_eq!(
        feed.mark(),
        60,
        "reopen: a closed stream reopens at its end"
    );
    feed.write(&mut sink, 40);
    feed.flush(&mut sink);
    feed.close(&mut sink);
    shutdown(&mut sink, "reopen");
    assert_stored(subject, &stream, 0..100, "reopen");
}

/// A batch of a stream that is not open, and a batch that starts above
/// the mark, are refused with an error (not a panic, not a silent gap),
/// and the stream goes on from its mark.
pub fn refuses_an_unknown_stream_and_a_gap<S: Subject>(subject: &mut S) {
    let stream = stream("Refused", 601);
    let mut sink = subject.start();
    let unknown = Feed::unopened(stream.id + 1);
    let err = unknown
        .try_write(&mut sink, 0, 5)
        .expect_err("refused: a batch of a stream never opened is refused");
    assert_ne!(
        err.kind,
        ErrorKind::Panicked,
        "refused: the sink panicked on a stream never opened: {err}"
    );
    let mut feed = Feed::open(&mut sink, &stream, "refused");
    feed.write(&mut sink, 20);
    feed.flush(&mut sink);
    let err = feed
        .try_write(&mut sink, feed.end() + 5, 5)
        .expect_err("refused: a batch that leaves a gap above the mark is refused");
    assert_ne!(
        err.kind,
        ErrorKind::Panicked,
        "refused: the sink panicked on a gap: {err}"
    );
    feed.write(&mut sink, 10);
    feed.flush(&mut sink);
    feed.close(&mut sink);
    shutdown(&mut sink, "refused");
    assert_stored(subject, &stream, 0..30, "refused");
}

/// Two streams written in turns, in small batches, each come out whole
/// and in order.
pub fn keeps_interleaved_streams_apart<S: Subject>(subject: &mut S) {
    let (a, b) = (stream("Apart1", 701), stream("Apart2", 702));
    let mut sink = subject.start();
    let mut fa = Feed::open(&mut sink, &a, "apart");
    let mut fb = Feed::open(&mut sink, &b, "apart");
    for round in 0..20 {
        fa.write(&mut sink, 1 + round % 4);
        fb.write(&mut sink, 5);
    }
    fa.flush(&mut sink);
    fb.flush(&mut sink);
    fa.close(&mut sink);
    fb.close(&mut sink);
    shutdown(&mut sink, "apart");
    assert_stored(subject, &a, 0..fa.end() as i64, "apart");
    assert_stored(subject, &b, 0..100, "apart");
}

fn shutdown(sink: &mut impl Sink, check: &str) {
    if let Err(e) = sink.shutdown() {
        panic!("{check}: shutdown failed: {e}");
    }
}

fn assert_stored<S: Subject>(
    subject: &mut S,
    stream: &StreamInfo,
    want: std::ops::Range<i64>,
    check: &str,
) {
    let got = subject.stored(stream, want.clone().count());
    if got != want.clone().collect::<Vec<_>>() {
        let first_wrong = got
            .iter()
            .zip(want.clone())
            .position(|(g, w)| *g != w)
            .unwrap_or(got.len().min(want.clone().count()));
        panic!(
            "{check}: group {} holds {} values, expected {want:?} exactly once and in order; first difference at index {first_wrong} (got {:?})",
            stream.group,
            got.len(),
            got.get(first_wrong)
        );
    }
}
