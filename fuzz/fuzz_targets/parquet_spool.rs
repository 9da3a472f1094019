//! A parquet sink's spool file as a restarted sink reads it back: entries
//! (`u64 seq`, `i64 time`, `u32 len`, `u32 crc32`, bytes) until the first
//! that is not whole and correct, where the file is cut. Nothing may panic
//! or allocate past the file; what was read is read again, identically,
//! from the cut file.
//!
//! The spool module is compiled in from the sink's source, which depends
//! on `std` and `crc32fast` only, so that this target does not build the
//! sink's Arrow and Parquet dependencies.

#![no_main]

#[path = "../../plugins/sink-parquet/src/spool.rs"]
#[allow(dead_code, unreachable_pub)]
mod spool;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("hog-fuzz-spool-{}", std::process::id()));
    std::fs::write(&path, data).expect("a scratch file");
    let mut first = Vec::new();
    let read = spool::Spool::open(&path, |e| {
        first.push(e);
        Ok(())
    });
    if read.is_ok() {
        let cut = std::fs::metadata(&path).expect("the spool").len();
        assert!(cut <= data.len() as u64);
        let mut again = Vec::new();
        spool::Spool::open(&path, |e| {
            again.push(e);
            Ok(())
        })
        .expect("a cut spool opens");
        assert_eq!(first, again);
    }
    let _ = std::fs::remove_file(&path);
});
