//! `Meta::parse` on arbitrary bytes (a region's meta block, §6 of the
//! hstore protocol): never panics; what parses has a usable table.

#![no_main]

use hog_core::hstore::Meta;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(meta) = Meta::parse(data) else {
        return;
    };
    for s in &meta.statements {
        let entry = meta
            .table
            .get(s.id)
            .expect("every statement is in the table");
        let _ = entry.ty.to_string();
    }
});
