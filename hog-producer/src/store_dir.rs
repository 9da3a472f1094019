//! Where producers and hog meet: the directory of the registration sockets.

use std::path::{Path, PathBuf};

/// The registration directory producers and hog agree on: the first of
/// `$HOBBES_STORE_DIR`, `$TMPDIR`, `$TMP` that is set, non-empty and
/// writable; else `/var/tmp` if writable; else `/tmp`.
pub fn default_store_dir() -> PathBuf {
    ["HOBBES_STORE_DIR", "TMPDIR", "TMP"]
        .iter()
        .filter_map(std::env::var_os)
        .map(PathBuf::from)
        .find(|d| !d.as_os_str().is_empty() && writable(d))
        .or_else(|| Some(PathBuf::from("/var/tmp")).filter(|d| writable(d)))
        .unwrap_or_else(|| PathBuf::from("/tmp"))
}

fn writable(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(path) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: a valid NUL-terminated path for the duration of the call.
    unsafe { libc::access(path.as_ptr(), libc::W_OK) == 0 }
}
