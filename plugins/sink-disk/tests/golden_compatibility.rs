//! Files the disk sink writes are the C++ hog's files for the same
//! producers: the same bindings with the same type bytes (series in hog's
//! byte-exact `fseq` form, `log`/`transactions`, `statements`), and the same
//! values in the same order.

mod common;

use common::{golden, golden_stream, hex, read, sink, values, write};
use hog_core::plugin::Sink;
use serde_json::{json, Value as Json};
use sink_disk::COMMIT_BINDING;

/// Writes the golden producer `shm` (`runs` times, as as many streams) and
/// compares the file with the C++ hog's `fregion` golden file; values are
/// compared with `values_of`'s, repeated `runs` times (the golden
/// consolidated files' second run logged other values than the region).
fn check(shm: &str, fregion: &str, runs: u64, options: Json, values_of: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = sink(dir.path(), options);
    let mut path = None;
    for run in 0..runs {
        let (info, txns) = golden_stream(shm, 1 + run, 1000 + run);
        assert_eq!(sink.open_stream(&info).unwrap(), 0);
        assert_eq!(write(&mut sink, &info, 0, &txns), txns.len() as u64);
        let p = sink.file_of(info.id).unwrap().to_path_buf();
        assert_eq!(*path.get_or_insert(p.clone()), p, "one file for all runs");
        sink.close_stream(info.id).unwrap();
    }
    sink.shutdown().unwrap();
    let path = path.unwrap();
    let want = golden(&format!("fregion/{fregion}.json"));
    let r = read(&path);

    // Bindings: the same names and type bytes.
    let mut names: Vec<String> = r
        .bindings()
        .iter()
        .map(|b| b.name.clone())
        .filter(|n| n != COMMIT_BINDING)
        .collect();
    names.sort();
    let mut expected: Vec<String> = want["bindings"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    expected.sort();
    assert_eq!(names, expected);
    for b in r.bindings().iter().filter(|b| b.name != COMMIT_BINDING) {
        let w = &want["bindings"][&b.name];
        assert_eq!(
            hex(&b.type_bytes),
            w["type_hex"].as_str().unwrap(),
            "{}",
            b.name
        );
    }
    assert_eq!(
        r.value(r.binding("statements").unwrap()).unwrap().to_json(),
        want["statements"]
    );

    // Values, in time order.
    let want = golden(&format!("fregion/{values_of}.json"));
    let times = |v: &Json| -> Json {
        let v = v.as_array().unwrap();
        Json::Array((0..runs).flat_map(|_| v.iter().cloned()).collect())
    };
    for (name, w) in want["series"].as_object().unwrap() {
        assert_eq!(
            Json::Array(values(&r, name)),
            times(&w["values"]),
            "series {name}"
        );
    }
    if let Some(log) = want.get("log") {
        let got: Vec<Json> = values(&r, "log")
            .iter()
            .map(|v| json!({"stmt": v["ctor"], "id": v["tag"]}))
            .collect();
        assert_eq!(Json::Array(got), times(&log["entries"]));
    }
    if let Some(t) = want.get("transactions") {
        let got: Vec<Json> = values(&r, "transactions")
            .iter()
            .map(|v| {
                let entries: Vec<Json> = v["entries"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| json!({"stmt": e["ctor"], "id": e["tag"], "value": e["value"]}))
                    .collect();
                Json::Array(entries)
            })
            .collect();
        let expected: Vec<Json> = t["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["entries"].clone())
            .collect();
        assert_eq!(Json::Array(got), times(&Json::Array(expected)));
    }
}

#[test]
fn every_storable_type_is_written_as_the_cpp_hog_writes_it() {
    let file = "local_default_VecAuto";
    check("auto_reliable_alltypes", file, 1, json!({}), file);
}

#[test]
fn manual_commit_transactions_are_written_as_the_cpp_hog_writes_them() {
    let file = "local_default_VecTxn";
    check("manual_commit_rollback", file, 1, json!({}), file);
}

#[test]
fn consolidated_runs_share_one_file_as_in_the_cpp_hog() {
    check(
        "auto_reliable_alltypes",
        "local_consolidated_VecAuto",
        2,
        json!({"consolidate": true}),
        "local_default_VecAuto",
    );
}

#[test]
fn consolidated_manual_commit_runs_share_one_file_as_in_the_cpp_hog() {
    check(
        "manual_commit_rollback",
        "local_consolidated_VecTxn",
        2,
        json!({"consolidate": true}),
        "local_default_VecTxn",
    );
}

#[test]
fn tuples_whose_offsets_crash_the_cpp_hog_are_stored_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = sink(dir.path(), json!({}));
    let (info, txns) = golden_stream("auto_tuple_with_string", 1, 77);
    sink.open_stream(&info).unwrap();
    write(&mut sink, &info, 0, &txns);
    let path = sink.file_of(1).unwrap().to_path_buf();
    sink.shutdown().unwrap();
    let r = read(&path);
    let shm = golden("shm/auto_tuple_with_string.json");
    let mut expected: std::collections::BTreeMap<String, Vec<Json>> = Default::default();
    for t in shm["transactions"].as_array().unwrap() {
        for rec in t["records"].as_array().unwrap() {
            expected
                .entry(rec["stmt"].as_str().unwrap().to_string())
                .or_default()
                .push(rec["value"].clone());
        }
    }
    assert!(!expected.is_empty());
    for (name, want) in expected {
        assert_eq!(values(&r, &name), want, "{name}");
    }
}
