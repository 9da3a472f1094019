//! Finished history is pruned by age when the store opens; unfinished
//! streams never are; the report shows each sink's backlog.

mod common;

use abi_stable::std_types::{RNone, RVec};
use hog_core::plugin::{progress, StatStore};
use store_sqlite::{Options, SqliteStore};

use common::{session, stream};

fn open_store(path: &std::path::Path, retention: &str) -> SqliteStore {
    let json = serde_json::json!({"path": path, "retention": retention}).to_string();
    SqliteStore::open_with(
        &Options::from_json(&json).unwrap(),
        hog_core::plugin::Logger::discard(),
    )
    .unwrap()
}

fn report(store: &mut SqliteStore) -> serde_json::Value {
    serde_json::from_str(&store.report().unwrap()).unwrap()
}

#[test]
fn finished_history_is_pruned_and_unfinished_streams_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hogstat.db");
    let mut store = open_store(&path, "7d");
    let s = store.begin_session(&session(1)).unwrap();
    let done = store.open_stream(s, &stream("g", "done", 1)).unwrap();
    let behind = store.open_stream(s, &stream("g", "behind", 1)).unwrap();
    let open = store.open_stream(s, &stream("g", "open", 1)).unwrap();
    let marks = |a, b| RVec::from(vec![progress("a", a), progress("b", b)]);
    store
        .record_progress(done, marks(10, 10).as_rslice(), RNone)
        .unwrap();
    store
        .record_progress(behind, marks(10, 4).as_rslice(), RNone)
        .unwrap();
    store
        .record_progress(open, marks(3, 3).as_rslice(), RNone)
        .unwrap();
    store.close_stream(done, 10).unwrap();
    store.close_stream(behind, 10).unwrap();
    store.end_session(s).unwrap();

    let r = report(&mut store);
    assert_eq!(r["streams"], 3);
    let unfinished = r["unfinished"].as_array().unwrap();
    assert_eq!(unfinished.len(), 2);
    let behind_row = unfinished.iter().find(|u| u["region"] == "behind").unwrap();
    let backlogs: Vec<_> = behind_row["sinks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["backlog"].clone())
        .collect();
    assert_eq!(backlogs, [serde_json::json!(0), serde_json::json!(6)]);
    drop(store);

    // A week's retention keeps everything; a tiny one prunes what finished.
    assert_eq!(report(&mut open_store(&path, "7d"))["streams"], 3);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let mut store = open_store(&path, "1ms");
    let r = report(&mut store);
    assert_eq!(r["streams"], 2, "the finished stream is pruned");
    let regions: Vec<_> = r["unfinished"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["region"].clone())
        .collect();
    assert_eq!(regions, ["behind", "open"]);
    assert_eq!(store.unfinished_streams().unwrap().len(), 2);
}
