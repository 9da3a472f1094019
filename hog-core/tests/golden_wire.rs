//! Byte captures of the real C++ hog in batchsend mode
//! (`testdata/hobbes/wire`) parse into exactly their expected group,
//! statements and transactions; our init encoding reproduces theirs.

use std::path::PathBuf;

use hog_core::types::{StatementTable, Value};
use hog_core::wire::legacy::{self, Init};
use serde_json::Value as Json;

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/hobbes/wire")
        .join(name)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn check(name: &str) {
    let expected: Json =
        serde_json::from_slice(&std::fs::read(testdata(&format!("{name}.json"))).unwrap()).unwrap();
    let capture = std::fs::read(testdata(&format!("{name}.bin"))).unwrap();
    let mut r = &capture[..];
    let group = legacy::read_frame(&mut r, legacy::MAX_GROUP, "group").unwrap();
    assert_eq!(
        legacy::validate_group(&group).unwrap(),
        expected["group_name"]
    );
    let init_gz = legacy::read_frame(&mut r, 1 << 20, "init").unwrap();
    let init_bytes = legacy::gunzip(&init_gz, 1 << 20, "init").unwrap();
    assert_eq!(hex(&init_bytes), expected["init"]["uncompressed_hex"]);
    let init = Init::decode(&init_bytes).unwrap();
    assert_eq!(
        init.encode(),
        init_bytes,
        "our init encoding is byte-identical"
    );
    assert_eq!(
        init.statements.len() as u64,
        expected["init"]["statement_count"].as_u64().unwrap()
    );
    let table = StatementTable::new(&init.statements).unwrap();

    let mut transactions = Vec::new();
    while !r.is_empty() {
        let seg = legacy::read_frame(&mut r, 1 << 20, "segment").unwrap();
        let payload = legacy::gunzip(&seg, 1 << 24, "segment").unwrap();
        transactions.extend(
            legacy::transactions(&payload)
                .unwrap()
                .into_iter()
                .map(<[u8]>::to_vec),
        );
    }
    let want = expected["transactions"].as_array().unwrap();
    assert_eq!(transactions.len(), want.len());
    for (txn, w) in transactions.iter().zip(want) {
        assert_eq!(txn.len() as u64, w["byte_length"].as_u64().unwrap());
        let records: Vec<_> = table.records(txn).collect::<Result<_, _>>().unwrap();
        let records_want = w["records"].as_array().unwrap();
        assert_eq!(records.len(), records_want.len());
        for (rec, rw) in records.iter().zip(records_want) {
            assert_eq!(rec.entry.statement.name.as_str(), rw["stmt"]);
            assert_eq!(hex(rec.payload), rw["hex"]);
            assert_eq!(
                Value::decode(&rec.entry.ty, rec.payload).unwrap().to_json(),
                rw["value"]
            );
        }
    }
}

#[test]
fn a_manual_commit_session_with_an_empty_transaction() {
    check("batchsend_conn0_VecTxn");
}

#[test]
fn an_autocommit_session_with_every_type() {
    check("batchsend_conn1_VecAuto");
}
