//! Every fregion file written by the real C++ hobbes (`testdata/
//! hobbes/fregion`) reads to exactly its expected bindings and values, in
//! time order, whichever writer made it (hog's newest-first batch lists or
//! fregion.H's oldest-first ones).

use std::io::Read;
use std::path::PathBuf;

use hog_core::fregion::{cseq, BindingKind, FileBytes, Reader};
use hog_core::types::Value;
use serde_json::{json, Value as Json};

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/hobbes/fregion")
}

fn expected(name: &str) -> Json {
    let text = std::fs::read(testdata().join(format!("{name}.json"))).expect("golden json");
    serde_json::from_slice(&text).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn open(file: &str) -> Reader<FileBytes> {
    Reader::open(&testdata().join(file)).unwrap_or_else(|e| panic!("{e}"))
}

/// The bindings: names, value offsets, type bytes and shown types.
fn check_bindings<B: AsRef<[u8]>>(r: &Reader<B>, want: &Json) {
    let want = want["bindings"].as_object().unwrap();
    let mut names: Vec<&str> = r.bindings().iter().map(|b| b.name.as_str()).collect();
    names.sort();
    let mut expected: Vec<&str> = want.keys().map(String::as_str).collect();
    expected.sort();
    assert_eq!(names, expected);
    for b in r.bindings() {
        let w = &want[&b.name];
        assert_eq!(b.offset, w["value_offset"].as_u64().unwrap(), "{}", b.name);
        assert_eq!(
            hex(&b.type_bytes),
            w["type_hex"].as_str().unwrap(),
            "{}",
            b.name
        );
        match (&b.ty, w["type_shown"].as_str()) {
            (Some(ty), Some(shown)) => assert_eq!(ty.to_string(), shown, "{}", b.name),
            (None, None) => {}
            other => panic!("{}: {other:?}", b.name),
        }
    }
}

/// Every series: values in time order, batch counts in list order, capacity.
fn check_series<B: AsRef<[u8]>>(r: &Reader<B>, want: &Json) {
    for (name, w) in want["series"].as_object().unwrap() {
        let s = r.series(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let values: Vec<Json> = s
            .iter()
            .map(|v| v.unwrap_or_else(|e| panic!("{name}: {e}")).1.to_json())
            .collect();
        let expected = w.get("values").or(w.get("values_as_decoded")).unwrap();
        let expected = expected.as_array().unwrap();
        assert_eq!(values.len(), expected.len(), "series {name}: values");
        if let Some(i) = (0..values.len()).find(|&i| values[i] != expected[i]) {
            panic!("series {name} value #{i}: {} != {}", values[i], expected[i]);
        }
        if let Some(counts) = w.get("batch_counts_in_list_order") {
            assert_eq!(
                json!(s.batch_counts_in_list_order().unwrap()),
                *counts,
                "{name}"
            );
            assert_eq!(s.ty().capacity, w["batch_capacity"].as_u64().unwrap());
        }
    }
}

/// The `log` series: one entry per value, naming its series, in time order;
/// each entry's reference reads the value the series holds at that point.
fn check_log<B: AsRef<[u8]>>(r: &Reader<B>, want: &Json, key: &str) {
    let log = r.series("log").unwrap();
    let entries: Vec<(String, u32, Json)> = log
        .iter()
        .map(|v| match v.unwrap().1 {
            Value::Variant { ctor, tag, value } => (ctor, tag, value.to_json()),
            other => panic!("log entry {other:?}"),
        })
        .collect();
    let w = want["log"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), w.len());
    let mut next: std::collections::HashMap<String, usize> = Default::default();
    for ((ctor, tag, value), e) in entries.iter().zip(w) {
        assert_eq!(ctor, e[key].as_str().unwrap());
        assert_eq!(u64::from(*tag), e["id"].as_u64().unwrap());
        let i = next.entry(ctor.clone()).or_default();
        let series = &want["series"][ctor];
        let values = series.get("values").unwrap();
        assert_eq!(value, &values[*i], "log entry for {ctor} #{i}");
        *i += 1;
    }
    if let Some(counts) = want["log"].get("batch_counts_in_list_order") {
        assert_eq!(json!(log.batch_counts_in_list_order().unwrap()), *counts);
    }
}

/// The `transactions` series of a ManualCommit file (times aside, which are
/// hog's receive times).
fn check_transactions<B: AsRef<[u8]>>(r: &Reader<B>, want: &Json) {
    let txns = r.series("transactions").unwrap();
    let got: Vec<Json> = txns.iter().map(|v| v.unwrap().1.to_json()).collect();
    let w = want["transactions"]["entries"].as_array().unwrap();
    assert_eq!(got.len(), w.len());
    for (g, e) in got.iter().zip(w) {
        let entries: Vec<Json> = g["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| json!({"stmt": v["ctor"], "id": v["tag"], "value": v["value"]}))
            .collect();
        assert_eq!(Json::Array(entries), e["entries"]);
    }
    if let Some(times) = want["transactions"].get("observed_times") {
        let t: Vec<Json> = got.iter().map(|g| g["time"].clone()).collect();
        assert_eq!(Json::Array(t), *times);
    }
}

fn check_statements<B: AsRef<[u8]>>(r: &Reader<B>, want: &Json) {
    let b = r.binding("statements").unwrap();
    assert_eq!(r.value(b).unwrap().to_json(), want["statements"]);
}

fn check_hog_file(name: &str) {
    let want = expected(name);
    let r = open(&format!("{name}.log"));
    assert_eq!(r.page_table().page_size, 4096);
    check_bindings(&r, &want);
    check_series(&r, &want);
    check_statements(&r, &want);
    if want.get("log").is_some() {
        check_log(&r, &want, "stmt");
    }
    if want.get("transactions").is_some() {
        check_transactions(&r, &want);
    }
}

#[test]
fn local_default_autocommit_file_reads_exactly_in_time_order() {
    check_hog_file("local_default_VecAuto");
}

#[test]
fn local_default_manual_commit_file_reads_exactly_with_its_empty_transaction() {
    check_hog_file("local_default_VecTxn");
}

#[test]
fn consolidated_autocommit_file_holds_both_runs_in_order() {
    check_hog_file("local_consolidated_VecAuto");
}

#[test]
fn consolidated_manual_commit_file_holds_both_runs_in_order() {
    check_hog_file("local_consolidated_VecTxn");
}

#[test]
fn replayed_region_file_reads_exactly() {
    check_hog_file("local_replay_ri_mid_transaction_VecMid");
}

#[test]
fn fregion_h_writer_file_reads_oldest_first_batches_in_time_order() {
    let want = expected("fregion_h_writer");
    let r = open("fregion_h_writer.db");
    check_bindings(&r, &want);
    check_series(&r, &want);
    check_log(&r, &want, "series");
    for (name, value) in want["defines"].as_object().unwrap() {
        let b = r.binding(name).unwrap();
        assert_eq!(r.value(b).unwrap().to_json(), *value, "{name}");
    }
}

#[test]
fn hogstat_of_local_mode_reads_exactly() {
    let want = expected("hogstat_local");
    let r = open("hogstat_local.db");
    check_bindings(&r, &want);
    check_series(&r, &want);
}

#[test]
fn hogstat_of_batchsend_mode_reads_exactly_after_gunzip() {
    let want = expected("hogstat_batchsend");
    let mut bytes = Vec::new();
    let gz = std::fs::File::open(testdata().join("hogstat_batchsend.db.gz")).unwrap();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut bytes)
        .unwrap();
    assert_eq!(
        bytes.len() as u64,
        want["uncompressed_size"].as_u64().unwrap()
    );
    let r = Reader::new(bytes).unwrap();
    check_bindings(&r, &want);
    check_series(&r, &want);
}

#[test]
fn compressed_file_decodes_to_its_values() {
    let want = expected("local_compressed_VecZ");
    let r = open("local_compressed_VecZ.log");
    check_bindings(&r, &want);
    check_statements(&r, &want);
    for (name, w) in want["series"].as_object().unwrap() {
        let s = r.compressed(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let values: Vec<Json> = s
            .iter()
            .map(|v| v.unwrap_or_else(|e| panic!("{name}: {e}")).to_json())
            .collect();
        let expected = w["values"].as_array().unwrap();
        assert_eq!(values.len(), expected.len(), "series {name}: values");
        if let Some(i) = (0..values.len()).find(|&i| values[i] != expected[i]) {
            panic!("series {name} value #{i}: {} != {}", values[i], expected[i]);
        }
        assert_eq!(
            json!(s.batch_counts().unwrap()),
            w["batch_counts_in_list_order"],
            "{name}"
        );
        assert_eq!(s.ty().capacity, w["batch_capacity"].as_u64().unwrap());
    }
    let statements = r.binding("statements").unwrap();
    assert!(matches!(r.kind(statements), Ok(BindingKind::Value(_))));
}

/// hog -z's type of every compressed series is what we derive from its
/// value type, byte for byte.
#[test]
fn compressed_series_types_are_derived_byte_for_byte() {
    let r = open("local_compressed_VecZ.log");
    for name in ["z_pair", "z_str", "z_rec", "z_packed"] {
        let b = r.binding(name).unwrap();
        let Some(BindingKind::Compressed(ty)) = r.kind(b).ok() else {
            panic!("{name} is not a compressed series");
        };
        assert_eq!(ty.model, cseq::model_type(&ty.elem).unwrap(), "{name}");
        let derived = cseq::cseq_type(&ty.elem, 10_000).unwrap();
        assert_eq!(hex(&derived.encode()), hex(&b.type_bytes), "{name}");
    }
}
