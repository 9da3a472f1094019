//! A message body as the jetstream source reads it from a JetStream
//! stream: a hello frame, then a segment or an end. Nothing may panic or
//! allocate past the caps; a segment that opens holds exactly the
//! transactions it announces, and each is checked against the hello's
//! statements.

#![no_main]

use hog_core::pipeline::Batch;
use hog_core::types::StatementTable;
use jetstream::message::{self, Body};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(decoded) = message::decode(data, 1 << 20) else {
        return;
    };
    let _ = decoded.hello.receiver_region();
    let Ok(table) = StatementTable::new(&decoded.hello.init.statements) else {
        return;
    };
    if let Body::Segment(seg) = decoded.body {
        if let Ok(payload) = seg.open(1 << 22) {
            if let Ok(batch) = Batch::checked(1, seg.first_seq, &payload, &table) {
                assert_eq!(batch.len() as u64, seg.count);
            }
        }
    }
});
