//! Records of a fixed-size statement that follow one another in a
//! transaction are stored as a run: the same values, the same `log` or
//! `transactions` order as one by one, across series batches and mixed
//! with records of other statements.

mod common;

use common::{long_stream, read, sink, values, write};
use hog_core::fregion::HOG_BATCH;
use hog_core::plugin::{CommitMethod, Sink, Statement};
use serde_json::{json, Value as Json};

/// What a transaction holds: `long` values of `seq` and strings of `txt`.
#[derive(Clone)]
enum Rec {
    Seq(i64),
    Txt(&'static str),
}

fn encode(txn: &[Rec]) -> Vec<u8> {
    let mut b = Vec::new();
    for r in txn {
        match r {
            Rec::Seq(v) => {
                b.extend_from_slice(&0u32.to_le_bytes());
                b.extend_from_slice(&v.to_le_bytes());
            }
            Rec::Txt(s) => {
                b.extend_from_slice(&1u32.to_le_bytes());
                b.extend_from_slice(&(s.len() as u64).to_le_bytes());
                b.extend_from_slice(s.as_bytes());
            }
        }
    }
    b
}

/// Transactions with runs longer than a series batch, runs of one, and
/// runs broken by the other statement.
fn transactions() -> Vec<Vec<Rec>> {
    let long_run = HOG_BATCH as i64 * 2 + 17;
    let mut next = 0..;
    let mut seq = |n: i64| -> Vec<Rec> { (0..n).map(|_| Rec::Seq(next.next().unwrap())).collect() };
    let mut txns = vec![seq(long_run), seq(1)];
    let mut mixed = seq(3);
    mixed.push(Rec::Txt("a"));
    mixed.extend(seq(1));
    mixed.push(Rec::Txt(""));
    mixed.push(Rec::Txt("bb"));
    mixed.extend(seq(HOG_BATCH as i64 - 5));
    txns.push(mixed);
    txns.push(vec![Rec::Txt("only")]);
    txns.push(vec![]);
    txns.push(seq(2));
    txns
}

fn check(commit: CommitMethod) {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = sink(dir.path(), json!({}));
    let mut info = long_stream("runs", 1, 7, commit);
    let mut statements: Vec<Statement> = info.statements.to_vec();
    statements.push(Statement {
        id: 1,
        name: "txt".into(),
        type_desc: b"\x05\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00char\x00"
            .to_vec()
            .into(),
        ..statements[0].clone()
    });
    info.statements = statements.into();
    let txns = transactions();
    let bytes: Vec<Vec<u8>> = txns.iter().map(|t| encode(t)).collect();
    assert_eq!(sink.open_stream(&info).unwrap(), 0);
    // Two batches, the second starting inside the list.
    assert_eq!(write(&mut sink, &info, 0, &bytes[..3]), 3);
    assert_eq!(write(&mut sink, &info, 3, &bytes[3..]), bytes.len() as u64);
    let path = sink.file_of(info.id).unwrap().to_path_buf();
    sink.close_stream(info.id).unwrap();
    sink.shutdown().unwrap();

    let r = read(&path);
    let all: Vec<&Rec> = txns.iter().flatten().collect();
    let longs: Vec<Json> = all
        .iter()
        .filter_map(|r| match r {
            Rec::Seq(v) => Some(json!(v)),
            Rec::Txt(_) => None,
        })
        .collect();
    let strings: Vec<Json> = all
        .iter()
        .filter_map(|r| match r {
            Rec::Txt(s) => Some(json!(s)),
            Rec::Seq(_) => None,
        })
        .collect();
    assert_eq!(values(&r, "seq"), longs);
    assert_eq!(values(&r, "txt"), strings);
    let entry = |r: &Rec| match r {
        Rec::Seq(v) => json!({"ctor": "seq", "tag": 0, "value": v}),
        Rec::Txt(s) => json!({"ctor": "txt", "tag": 1, "value": s}),
    };
    match commit {
        CommitMethod::Auto => {
            let log: Vec<Json> = all.iter().map(|r| entry(r)).collect();
            assert_eq!(values(&r, "log"), log);
        }
        CommitMethod::Manual => {
            let stored: Vec<Json> = values(&r, "transactions")
                .into_iter()
                .map(|t| t["entries"].clone())
                .collect();
            let logged: Vec<Json> = txns
                .iter()
                .map(|t| Json::Array(t.iter().map(entry).collect()))
                .collect();
            assert_eq!(stored, logged);
        }
    }
}

#[test]
fn runs_keep_values_and_log_order() {
    check(CommitMethod::Auto);
}

#[test]
fn runs_keep_values_and_transaction_order() {
    check(CommitMethod::Manual);
}
