//! The v2 protocol as a receiver (or a sender) reads it from a peer: the
//! probe and its answer, then framed messages — hello (token, identity,
//! init), segments (CRC, codec, capped decompression, transaction count),
//! acks, ends, errors. Nothing may panic or allocate past the caps; a
//! segment that opens holds exactly the transactions it announces.

#![no_main]

use hog_core::types::StatementTable;
use hog_core::wire::legacy;
use hog_core::wire::v2::{segment, Answer, Hello, Message, Probe};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut r = data;
    let Ok(first) = legacy::read_frame(&mut r, legacy::MAX_GROUP, "probe") else {
        return;
    };
    if Probe::is_probe(&first) {
        let _ = Probe::decode(&first);
    }
    let _ = Answer::decode(&first);
    let mut table = None;
    while let Ok(frame) = legacy::read_frame(&mut r, 1 << 20, "message") {
        match Message::decode(&frame) {
            Ok(Message::Hello(body)) => {
                let _ = Hello::token(body);
                if let Ok(hello) = Hello::decode(body) {
                    let _ = hello.receiver_region();
                    table = StatementTable::new(&hello.init.statements).ok();
                }
            }
            Ok(Message::Segment(seg)) => {
                if let Ok(payload) = seg.open(1 << 22) {
                    let n = segment::count_transactions(&payload).expect("open checked it");
                    assert_eq!(n, seg.count);
                    let txns = legacy::transactions(&payload).expect("open checked it");
                    if let Some(table) = &table {
                        for txn in txns {
                            for record in table.records(txn) {
                                if record.is_err() {
                                    break;
                                }
                            }
                        }
                    }
                }
            }
            Ok(m) => {
                assert_eq!(
                    Message::decode(&m.encode()).ok().map(|d| d.name()),
                    Some(m.name())
                );
            }
            Err(_) => {}
        }
    }
});
