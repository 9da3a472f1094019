//! Shared-memory regions by owner. A producer's region
//! (`/dev/shm/<group>.<pid>.<tid>`) outlives it: hog unlinks it only once
//! it has drained it, so a region is left behind by a producer nobody
//! drains (no hog, a hog stopped with the stream open, a killed hog that
//! is not restarted).
//!
//! Used by the end-to-end tests (`support::regions`) and by
//! hog-producer's tests.

use std::path::PathBuf;

/// The regions process `pid` created.
pub fn regions_of(pid: u32) -> Vec<PathBuf> {
    let owner = format!(".{pid}");
    std::fs::read_dir("/dev/shm")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| {
            let name = entry.file_name();
            name.to_str()
                .and_then(|name| name.rsplit_once('.'))
                .is_some_and(|(head, tid)| head.ends_with(&owner) && tid.parse::<u64>().is_ok())
        })
        .map(|entry| entry.path())
        .collect()
}

/// Removes the regions process `pid` created.
pub fn remove_regions_of(pid: u32) {
    for path in regions_of(pid) {
        let _ = std::fs::remove_file(path);
    }
}
