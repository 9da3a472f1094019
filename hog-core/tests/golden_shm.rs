//! Every region written by the real C++ producer (`testdata/hobbes/
//! shm`) decodes to exactly its expected statements and transactions.

use std::path::PathBuf;

use hog_core::hstore::{Drain, Region, Stop};
use hog_core::pipeline::Batch;
use hog_core::plugin::{CommitMethod, Qos};
use hog_core::types::{Type, Value};
use serde_json::Value as Json;

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/hobbes/shm")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Maps a private copy of the golden region (the original is read-only).
fn region(name: &str) -> (Json, Region, tempfile::TempDir) {
    let expected: Json = serde_json::from_slice(
        &std::fs::read(testdata().join(format!("{name}.json"))).expect("golden json"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("region");
    std::fs::copy(testdata().join(format!("{name}.shm")), &copy).unwrap();
    let region = Region::open(&copy, name).unwrap_or_else(|e| panic!("{name}: {e}"));
    (expected, region, dir)
}

fn check(name: &str) {
    let (expected, region, _dir) = region(name);
    let header = &expected["header"];
    let g = region.geometry();
    assert_eq!(g.valsz, header["valsz"].as_u64().unwrap());
    assert_eq!(g.count, header["count"].as_u64().unwrap());
    assert_eq!(g.metasz, header["metasz"].as_u64().unwrap());
    assert_eq!(
        g.ring_offset,
        header["queue_header_offset"].as_u64().unwrap()
    );

    let meta = region.meta();
    let m = &expected["meta"];
    assert_eq!(
        meta.qos,
        if m["qos"] == 0 {
            Qos::Reliable
        } else {
            Qos::Unreliable
        }
    );
    let commit = if m["commit_method"] == 0 {
        CommitMethod::Auto
    } else {
        CommitMethod::Manual
    };
    assert_eq!(meta.commit, commit);
    let statements = m["statements"].as_array().unwrap();
    assert_eq!(meta.statements.len(), statements.len());
    for (s, e) in meta.statements.iter().zip(statements) {
        assert_eq!(s.name.as_str(), e["name"].as_str().unwrap());
        assert_eq!(u64::from(s.id), e["id"].as_u64().unwrap());
        assert_eq!(s.flags, e["flags"].as_u64().unwrap());
        assert_eq!(s.format.as_str(), e["fmt"].as_str().unwrap());
        assert_eq!(s.file.as_str(), e["file"].as_str().unwrap());
        assert_eq!(u64::from(s.line), e["line"].as_u64().unwrap());
        assert_eq!(hex(&s.type_desc), e["type_hex"].as_str().unwrap());
        let ty = Type::decode(&s.type_desc).unwrap();
        assert_eq!(
            ty.to_string(),
            e["type_shown"].as_str().unwrap(),
            "{}",
            s.name
        );
        assert_eq!(
            ty.encode(),
            s.type_desc.as_slice(),
            "re-encodes to the same bytes"
        );
    }

    let ring = region.ring();
    assert_eq!(
        u64::from(ring.ri()),
        expected["ring"]["ri"].as_u64().unwrap()
    );
    assert_eq!(
        u64::from(ring.wi()),
        expected["ring"]["wi"].as_u64().unwrap()
    );
    let mut drain = Drain::attach(&ring, 0);
    let mut batch = Batch::new(1, 0);
    assert_eq!(
        drain
            .read(&ring, &mut batch, usize::MAX, |_| Ok(1))
            .unwrap(),
        Stop::CaughtUp
    );
    drain.release(&ring);
    assert_eq!(ring.ri(), ring.wi(), "every published slot released");

    let transactions = expected["transactions"].as_array().unwrap();
    assert_eq!(batch.len(), transactions.len(), "{name}: transactions");
    for ((seq, bytes), t) in batch.as_ref().transactions().zip(transactions) {
        let records: Vec<_> = meta
            .table
            .records(bytes)
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{name} transaction {seq}: {e}"));
        let want = t["records"].as_array().unwrap();
        assert_eq!(
            records.len(),
            want.len(),
            "{name} transaction {seq}: records"
        );
        for (r, w) in records.iter().zip(want) {
            assert_eq!(r.entry.statement.name.as_str(), w["stmt"].as_str().unwrap());
            assert_eq!(u64::from(r.entry.statement.id), w["id"].as_u64().unwrap());
            assert_eq!(hex(r.payload), w["hex"].as_str().unwrap());
            let value = Value::decode(&r.entry.ty, r.payload).unwrap();
            assert_eq!(value.to_json(), w["value"], "{name}: {}", w["stmt"]);
        }
    }
}

#[test]
fn every_storable_type_with_autocommit_flushes() {
    check("auto_reliable_alltypes");
}

#[test]
fn manual_commit_rollback_and_empty_transactions() {
    check("manual_commit_rollback");
}

#[test]
fn unreliable_overflow_rolls_back_the_cut_transaction() {
    check("manual_unreliable_overflow");
}

#[test]
fn a_wrapped_ring() {
    check("ring_wrapped");
}

#[test]
fn a_read_index_inside_a_transaction_resyncs_to_the_next_boundary() {
    check("ri_mid_transaction");
    let (_, region, _dir) = region("ri_mid_transaction");
    let ring = region.ring();
    let mut drain = Drain::attach(&ring, 7);
    assert!(drain.resyncing());
    drain
        .read(&ring, &mut Batch::new(1, 7), usize::MAX, |_| Ok(1))
        .unwrap();
    assert!(!drain.resyncing());
    assert_eq!(
        drain.skipped(),
        4092 + 3850,
        "the tail of T1 in slots 2 and 3"
    );
    assert_eq!(
        drain.next_seq(),
        9,
        "T2 and T3 numbered from the resumed sequence"
    );
}

#[test]
fn tuples_with_strings_that_crash_the_cpp_hog() {
    check("auto_tuple_with_string");
}
