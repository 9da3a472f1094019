//! Rings no hog knows: a producer registered with a hog that was killed
//! before it recorded the stream, then the producer died too. Nothing will
//! register such a ring again and the stat store has no record of it, so
//! at start hog looks in `/dev/shm` for them.

use crate::hstore::registration::region_name;

use super::reader::pid_alive;

/// The regions (`/G.pid.tid`) of `group` in `/dev/shm` whose producer
/// process is gone, with its pid and tid.
pub(super) fn of_dead_producers(group: &str) -> Vec<(String, u64, u64)> {
    let prefix = format!("{group}.");
    let mut found: Vec<(String, u64, u64)> = std::fs::read_dir("/dev/shm")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let (pid, tid) = name.strip_prefix(&prefix)?.split_once('.')?;
            let (pid, tid) = (pid.parse().ok()?, tid.parse().ok()?);
            (!pid_alive(pid)).then(|| (region_name(group, pid, tid), pid, tid))
        })
        .collect();
    found.sort();
    found
}
