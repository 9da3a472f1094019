//! The legacy batch protocol as the receiver reads it from a peer: frames
//! with capped lengths, gzip payloads with capped output, the init message
//! and segment transactions. Nothing may panic or allocate past the caps.

#![no_main]

use hog_core::types::StatementTable;
use hog_core::wire::legacy::{self, Init};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut r = data;
    let Ok(group) = legacy::read_frame(&mut r, legacy::MAX_GROUP, "group") else {
        return;
    };
    let _ = legacy::validate_group(&group);
    let Ok(init) = legacy::read_frame(&mut r, 1 << 20, "init") else {
        return;
    };
    // Raw or compressed: try both, as a hostile peer may send either.
    let table = legacy::gunzip(&init, 1 << 20, "init")
        .ok()
        .and_then(|bytes| Init::decode(&bytes).ok())
        .or_else(|| Init::decode(&init).ok())
        .and_then(|init| StatementTable::new(&init.statements).ok());
    while let Ok(frame) = legacy::read_frame(&mut r, 1 << 20, "segment") {
        let payload = legacy::gunzip(&frame, 1 << 22, "segment").unwrap_or(frame);
        if let Ok(transactions) = legacy::transactions(&payload) {
            if let Some(table) = &table {
                for txn in transactions {
                    for record in table.records(txn) {
                        if record.is_err() {
                            break;
                        }
                    }
                }
            }
        }
    }
});
