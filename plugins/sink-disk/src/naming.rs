//! File names: the `dir` template, temporary files and publishing.
//!
//! `$GROUP` becomes the group, `$DATE` the local date (`YYYY.MM.DD`) at
//! which the stream started, each replaced once; the last component is a
//! file name prefix. A file is prepared as `<dir>/.tmp.-K.db` and published
//! by linking it to the first free `<prefix>-N.log` (an atomic, no-clobber
//! step), then unlinking the temporary name.

use std::io;
use std::path::{Path, PathBuf};

use hog_core::plugin::StreamInfo;

use crate::error::StreamError;

pub use hog_core::paths::instantiate_at_ns as instantiate;

/// The identity of a stream inside files: group, region and start time
/// (what stays the same when a restarted hog re-attaches it).
pub fn stream_key(stream: &StreamInfo) -> String {
    format!(
        "{}\n{}\n{}",
        stream.group, stream.region, stream.started_at_ns
    )
}

/// Refuses group names that cannot be a path component.
pub(crate) fn check_group(group: &str) -> Result<(), StreamError> {
    match hog_core::paths::unsafe_name(group) {
        Some(why) => Err(StreamError::Group {
            name: group.to_string(),
            why,
        }),
        None => Ok(()),
    }
}

/// The directory of `prefix` (created if missing) and the file name prefix.
pub(crate) fn ensure_dir(prefix: &Path) -> io::Result<(PathBuf, String)> {
    let dir = match prefix.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let name = prefix
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok((dir, name))
}

/// The files `<prefix>-N.log` that exist, by N ascending.
pub(crate) fn existing(prefix: &Path) -> Vec<(u64, PathBuf)> {
    let dir = match prefix.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Some(stem) = prefix.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out: Vec<(u64, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let n = name
                .strip_prefix(&stem)?
                .strip_prefix('-')?
                .strip_suffix(".log")?
                .parse()
                .ok()?;
            Some((n, e.path()))
        })
        .collect();
    out.sort();
    out
}

/// A fresh temporary file name in `dir`.
pub(crate) fn temp_candidates(dir: &Path) -> impl Iterator<Item = PathBuf> + '_ {
    (0u64..).map(move |k| dir.join(format!(".tmp.-{k}.db")))
}

/// Links `temp` to the first free `<prefix>-N.log` and removes `temp`;
/// returns the published path.
pub(crate) fn publish(temp: &Path, prefix: &Path) -> io::Result<PathBuf> {
    let (dir, stem) = ensure_dir(prefix)?;
    for n in 0u64.. {
        let target = dir.join(format!("{stem}-{n}.log"));
        match std::fs::hard_link(temp, &target) {
            Ok(()) => {
                std::fs::remove_file(temp)?;
                return Ok(target);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    unreachable!("a free file number exists")
}
