//! The default directory of registration sockets, as hobbes chooses it.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The first of `$HOBBES_STORE_DIR`, `$TMPDIR`, `$TMP` that is set,
/// non-empty and writable; else `/var/tmp` if writable; else `/tmp`.
pub fn default_store_dir() -> PathBuf {
    ["HOBBES_STORE_DIR", "TMPDIR", "TMP"]
        .iter()
        .filter_map(std::env::var_os)
        .map(PathBuf::from)
        .find(|dir| !dir.as_os_str().is_empty() && writable(dir).is_ok())
        .or_else(|| Some(PathBuf::from("/var/tmp")).filter(|d| writable(d).is_ok()))
        .unwrap_or_else(|| PathBuf::from("/tmp"))
}

/// Whether this process may write into `dir` (`access(W_OK)`).
pub(super) fn writable(dir: &Path) -> std::io::Result<()> {
    let path = CString::new(dir.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    // SAFETY: `path` is a valid NUL-terminated string for the whole call.
    if unsafe { libc::access(path.as_ptr(), libc::W_OK) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}
