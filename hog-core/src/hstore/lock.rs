//! One hog per group and directory: an advisory lock file
//! `<dir>/hstore.<GROUP>.lock` holding the owner's pid.
//!
//! The lock is `flock`, so the kernel releases it when its owner dies: a
//! stale lock file from a killed hog is simply taken over.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

/// A held group lock; released when dropped.
#[derive(Debug)]
pub struct GroupLock {
    _file: File,
    path: PathBuf,
}

/// Why a group lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another live hog serves the group.
    #[error("group '{group}' is already served by hog pid {pid} (lock {path}); this hog does not serve it")]
    Held {
        /// The group.
        group: String,
        /// The owner's pid as written in the lock file.
        pid: String,
        /// The lock file.
        path: String,
    },
    /// The lock file could not be used.
    #[error("lock {path}: {source}")]
    Io {
        /// The lock file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

impl GroupLock {
    /// The lock file of `group` in `dir`.
    pub fn path(dir: &Path, group: &str) -> PathBuf {
        dir.join(format!("hstore.{group}.lock"))
    }

    /// Takes the lock of `group` in `dir` and writes this process's pid in it.
    pub fn acquire(dir: &Path, group: &str) -> Result<GroupLock, LockError> {
        let path = Self::path(dir, group);
        let io = |source| LockError::Io {
            path: path.display().to_string(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        // SAFETY: flock on an open descriptor has no memory preconditions.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                return Err(LockError::Held {
                    group: group.to_string(),
                    pid: pid.trim().to_string(),
                    path: path.display().to_string(),
                });
            }
            return Err(io(err));
        }
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        Ok(GroupLock { _file: file, path })
    }

    /// The lock file.
    pub fn file(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_names_the_owner_and_a_released_one_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let first = GroupLock::acquire(dir.path(), "G").unwrap();
        let err = GroupLock::acquire(dir.path(), "G").unwrap_err().to_string();
        assert!(
            err.contains(&format!("hog pid {}", std::process::id())),
            "{err}"
        );
        assert!(
            GroupLock::acquire(dir.path(), "H").is_ok(),
            "other groups are independent"
        );
        drop(first);
        assert!(GroupLock::acquire(dir.path(), "G").is_ok());
    }
}
