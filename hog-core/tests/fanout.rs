//! The fan-out's rules, with in-memory sinks and stat store: every sink
//! gets each transaction once, a replay is trimmed to what each sink
//! lacks, a failing sink or stat store holds the stream, a detaching or
//! panicking sink leaves the others going, and stopping ends a held wait.

use std::sync::Arc;
use std::time::Duration;

use abi_stable::sabi_trait::TD_Opaque;
use hog_core::pipeline::{
    Batch, Fanout, OnError, PipelineError, SinkHandle, StatStoreHandle, StreamDelivery,
};
use hog_core::plugin::{Fenced, SinkObject, StatStoreObject};
use hog_sink_conformance::{stream, Fault, MemorySink, MemoryStore};
use tokio::sync::watch;

/// A fan-out to `sinks` (name, sink, failure policy) recording in `store`,
/// and the switch that stops it.
fn fanout(
    sinks: &[(&str, &MemorySink, OnError)],
    store: &MemoryStore,
) -> (Fanout, watch::Sender<bool>) {
    let handles = sinks
        .iter()
        .map(|(name, sink, on_error)| {
            let object = SinkObject::from_value(Fenced::new((*sink).clone()), TD_Opaque);
            Arc::new(SinkHandle::new(*name, object).with_on_error(*on_error))
        })
        .collect();
    let store = StatStoreHandle::new(StatStoreObject::from_value(
        Fenced::new(store.clone()),
        TD_Opaque,
    ));
    let (stop, stopping) = watch::channel(false);
    (Fanout::new(handles, store, 1, stopping), stop)
}

/// Opens the test stream of group `group` on `fanout`; returns the
/// delivery and the stream's id.
async fn open(fanout: &Fanout, group: &str) -> (StreamDelivery, u64) {
    let d = fanout.open_stream(stream(group, 0), None).await.unwrap();
    let id = d.stream().id;
    (d, id)
}

/// Two sinks, `a` holding on errors and `b` as `b_policy` says, and a
/// store, behind a fan-out.
fn two_sinks(
    b_policy: OnError,
) -> (
    MemorySink,
    MemorySink,
    MemoryStore,
    Fanout,
    watch::Sender<bool>,
) {
    let (a, b, store) = (MemorySink::new(), MemorySink::new(), MemoryStore::new());
    let (f, stop) = fanout(&[("a", &a, OnError::Hold), ("b", &b, b_policy)], &store);
    (a, b, store, f, stop)
}

/// Transaction `seq` of the test stream.
fn txn(seq: u64) -> Vec<u8> {
    seq.to_le_bytes().to_vec()
}

/// Transactions `first..end` of stream `stream_id`.
fn batch(stream_id: u64, first: u64, end: u64) -> Batch {
    let mut b = Batch::new(stream_id, first);
    for seq in first..end {
        b.push(&txn(seq));
    }
    b
}

fn txns(first: u64, end: u64) -> Vec<Vec<u8>> {
    (first..end).map(txn).collect()
}

fn marks(pairs: &[(&str, u64)]) -> std::collections::BTreeMap<String, u64> {
    pairs.iter().map(|(s, m)| (s.to_string(), *m)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sink_gets_each_batch_once_and_the_lowest_mark_is_released() {
    let (a, b, store, fanout, _stop) = two_sinks(OnError::Hold);
    let (mut d, id) = open(&fanout, "G").await;
    assert_eq!(d.durable_end(), Some(0));
    assert_eq!(d.deliver(batch(id, 0, 10), None).await.unwrap(), 10);
    assert_eq!(d.deliver(batch(id, 10, 25), None).await.unwrap(), 25);
    d.close(25).await.unwrap();
    for sink in [&a, &b] {
        assert_eq!(sink.stored(id), txns(0, 25));
        assert_eq!(sink.writes(), [(id, 0, 10), (id, 10, 15)]);
    }
    assert_eq!(store.marks(id), marks(&[("a", 25), ("b", 25)]));
    assert_eq!(store.end(id), Some(25));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_is_trimmed_to_what_each_sink_lacks() {
    let (a, b, store, fanout, _stop) = two_sinks(OnError::Hold);
    // The store gives the first stream id 1; the sinks hold 10 and 4 of
    // its transactions from an earlier run.
    a.preload(1, txns(0, 10));
    b.preload(1, txns(0, 4));
    let mut d = fanout.open_stream(stream("G", 0), None).await.unwrap();
    assert_eq!(d.stream().id, 1);
    assert_eq!(
        d.durable_end(),
        Some(4),
        "the source resumes at the lowest mark"
    );
    assert_eq!(store.marks(1), marks(&[("a", 10), ("b", 4)]));
    assert_eq!(d.deliver(batch(1, 4, 12), None).await.unwrap(), 12);
    assert_eq!(a.writes(), [(1, 10, 2)], "a gets only what it lacks");
    assert_eq!(b.writes(), [(1, 4, 8)]);
    assert_eq!(a.stored(1), txns(0, 12));
    assert_eq!(b.stored(1), txns(0, 12));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_sink_holds_the_stream_and_the_others_are_not_written_twice() {
    let (a, b, store, fanout, _stop) = two_sinks(OnError::Hold);
    let (mut d, id) = open(&fanout, "G").await;
    b.set_fault(Fault::Fail(2));
    assert_eq!(d.deliver(batch(id, 0, 5), None).await.unwrap(), 5);
    assert_eq!(a.writes(), [(id, 0, 5)], "a wrote the batch once");
    assert_eq!(b.writes(), [(id, 0, 5)], "b took it on the third try");
    assert_eq!(b.stored(id), txns(0, 5));
    assert_eq!(store.marks(id), marks(&[("a", 5), ("b", 5)]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_detaching_sink_stops_receiving_and_its_recorded_mark_stays() {
    let (a, b, store, fanout, _stop) = two_sinks(OnError::Detach);
    let (mut d, id) = open(&fanout, "G").await;
    assert_eq!(d.deliver(batch(id, 0, 5), None).await.unwrap(), 5);
    b.set_fault(Fault::FailAlways);
    assert_eq!(d.deliver(batch(id, 5, 10), None).await.unwrap(), 10);
    b.set_fault(Fault::None);
    assert_eq!(d.deliver(batch(id, 10, 15), None).await.unwrap(), 15);
    d.close(15).await.unwrap();
    assert_eq!(a.stored(id), txns(0, 15));
    assert_eq!(
        b.stored(id),
        txns(0, 5),
        "b misses what came after its failure"
    );
    assert_eq!(
        b.writes().len(),
        1,
        "b is not written again after detaching"
    );
    assert_eq!(store.marks(id), marks(&[("a", 15), ("b", 5)]));
    let mut s = store.clone();
    let unfinished = hog_core::plugin::StatStore::unfinished_streams(&mut s).unwrap();
    assert_eq!(
        unfinished.len(),
        1,
        "the stream is unfinished for b, for recovery"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_sink_is_fenced_for_every_stream_and_the_others_go_on() {
    let (a, b, store, fanout, _stop) = two_sinks(OnError::Hold);
    let (mut d, id) = open(&fanout, "G").await;
    b.set_fault(Fault::Panic);
    assert_eq!(d.deliver(batch(id, 0, 5), None).await.unwrap(), 5);
    assert!(fanout.sinks()[1].is_fenced());
    let (mut other, other_id) = open(&fanout, "H").await;
    assert_eq!(other.deliver(batch(other_id, 0, 3), None).await.unwrap(), 3);
    assert_eq!(a.stored(other_id), txns(0, 3));
    assert!(
        b.stored(other_id).is_empty(),
        "a fenced sink gets nothing more"
    );
    assert_eq!(store.marks(other_id), marks(&[("a", 3), ("b", 0)]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_stat_store_holds_the_stream_until_it_records() {
    let (a, store) = (MemorySink::new(), MemoryStore::new());
    let (fanout, _stop) = fanout(&[("a", &a, OnError::Hold)], &store);
    let (mut d, id) = open(&fanout, "G").await;
    store.set_fault(Fault::Fail(2));
    assert_eq!(d.deliver(batch(id, 0, 5), None).await.unwrap(), 5);
    assert_eq!(store.failures(), 2);
    assert_eq!(store.marks(id), marks(&[("a", 5)]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_ends_a_held_wait_and_releases_nothing() {
    let (a, b, store, fanout, stop) = two_sinks(OnError::Hold);
    let (mut d, id) = open(&fanout, "G").await;
    b.set_fault(Fault::FailAlways);
    let held = tokio::spawn(async move { d.deliver(batch(id, 0, 5), None).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!held.is_finished(), "the stream waits for b");
    stop.send(true).unwrap();
    let result = held.await.unwrap();
    assert!(
        matches!(result, Err(PipelineError::Stopping { stream_id }) if stream_id == id),
        "{result:?}"
    );
    assert!(b.stored(id).is_empty());
    assert_eq!(a.stored(id), txns(0, 5), "a took the batch once");
    assert_eq!(
        store.marks(id),
        marks(&[("a", 0), ("b", 0)]),
        "nothing past the open is recorded: the source keeps the batch"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_whose_every_sink_detached_says_so() {
    let (a, store) = (MemorySink::new(), MemoryStore::new());
    let (fanout, _stop) = fanout(&[("a", &a, OnError::Detach)], &store);
    let (mut d, id) = open(&fanout, "G").await;
    a.set_fault(Fault::FailAlways);
    let result = d.deliver(batch(id, 0, 5), None).await;
    assert!(
        matches!(result, Err(PipelineError::NoSinks { stream_id }) if stream_id == id),
        "{result:?}"
    );
}
