//! `Reader::new` on arbitrary bytes, then reading everything it offers:
//! never panics, never reads out of bounds, always ends (cycles in page
//! tables and batch lists are errors).

#![no_main]

use hog_core::fregion::{BindingKind, Reader};
use libfuzzer_sys::fuzz_target;

/// Values read per series at most, to keep each run short.
const MAX_VALUES: usize = 10_000;
/// Compressed values read per series at most: one can expand to a million
/// elements from a few bits.
const MAX_COMPRESSED_VALUES: usize = 64;

fuzz_target!(|data: &[u8]| {
    let Ok(reader) = Reader::new(data) else {
        return;
    };
    for b in reader.bindings() {
        let _ = b.ty.as_ref().map(ToString::to_string);
        match reader.kind(b) {
            Ok(BindingKind::Series(_)) => {
                let Ok(series) = reader.series(&b.name) else {
                    continue;
                };
                let _ = series.batch_counts_in_list_order();
                for value in series.iter().take(MAX_VALUES) {
                    if let Ok((_, v)) = value {
                        let _ = v.to_json();
                    }
                }
            }
            Ok(BindingKind::Compressed(_)) => {
                let Ok(series) = reader.compressed(&b.name) else {
                    continue;
                };
                let _ = series.batch_counts();
                for value in series.iter().take(MAX_COMPRESSED_VALUES) {
                    if let Ok(v) = value {
                        let _ = v.to_json();
                    }
                }
            }
            Ok(BindingKind::Value(_)) => {
                let _ = reader.value(b).map(|v| v.to_json());
            }
            Ok(BindingKind::Internal) | Err(_) => {}
        }
    }
});
