//! A whole region file: `Region::open` on arbitrary bytes never panics, and
//! a region it accepts drains to the end in a bounded number of reads
//! (garbage footers and indices included), its transactions split into
//! records and their values decode or fail without panicking.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use hog_core::hstore::{Drain, Region, Stop};
use hog_core::pipeline::Batch;
use hog_core::types::Value;
use libfuzzer_sys::fuzz_target;

/// A file of this process's own, rewritten for every input.
fn path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("hog-fuzz-region.{}", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let path = path();
    std::fs::write(path, data).expect("temporary region file");
    let region = Region::open(path, "/Fuzz.1.1");
    // The mapping outlives the name: leave nothing behind.
    let _ = std::fs::remove_file(path);
    let Ok(region) = region else {
        return;
    };
    let ring = region.ring();
    let mut drain = Drain::attach(&ring, 0);
    let mut batch = Batch::new(1, 0);
    let mut reads = 0;
    loop {
        reads += 1;
        assert!(
            reads <= ring.count() as usize + 1,
            "the drain does not stop"
        );
        // A small byte limit so a ring of many transactions takes many reads.
        match drain.read(&ring, &mut batch, 4096, |_| Ok(1)) {
            Ok(Stop::BatchFull) => drain.release(&ring),
            _ => break,
        }
    }
    let table = &region.meta().table;
    for (_, txn) in batch.as_ref().transactions() {
        for record in table.records(txn).flatten() {
            let _ = Value::decode(&record.entry.ty, record.payload);
        }
    }
});
