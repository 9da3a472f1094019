//! Small real filesystems for fault tests: a tmpfs of a few MiB mounted on
//! a temporary directory, filled and freed with a ballast file, remounted
//! read-only and back; unmounted when dropped.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted for one test.
pub struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`mount -o size=`, e.g. `8m`); `None`, after
    /// saying that `test` is skipped and why, where this machine does not
    /// let tests mount (not root, or no mount capability).
    pub fn mount(size: &str, test: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs { dir }),
            Ok(o) => {
                eprintln!(
                    "{test}: skipped: cannot mount a tmpfs here ({})",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("{test}: skipped: cannot run mount: {e}");
                None
            }
        }
    }

    /// The mount point.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The ballast file that [`Tmpfs::fill`] writes.
    fn ballast(&self) -> PathBuf {
        self.path().join("ballast")
    }

    /// Fills the filesystem with a ballast file until only `leave` bytes
    /// are free (or fewer).
    pub fn fill(&self, leave: u64) {
        let free = self.free_bytes();
        let len = free.saturating_sub(leave);
        let file = std::fs::File::create(self.ballast()).expect("the ballast file");
        // tmpfs allocates on write: write zeros rather than set a length.
        let chunk = vec![0u8; 1 << 16];
        let mut written = 0;
        while written < len {
            let n = chunk.len().min((len - written) as usize);
            std::io::Write::write_all(&mut &file, &chunk[..n]).expect("filling the tmpfs");
            written += n as u64;
        }
    }

    /// Removes the ballast: the space comes back.
    pub fn free(&self) {
        std::fs::remove_file(self.ballast()).expect("the ballast file exists");
    }

    /// Bytes free now.
    pub fn free_bytes(&self) -> u64 {
        let path = std::ffi::CString::new(self.path().as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: statvfs writes into the zeroed struct it is given.
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        // SAFETY: a valid C string and a valid out-pointer.
        assert_eq!(unsafe { libc::statvfs(path.as_ptr(), &mut st) }, 0);
        st.f_bavail * st.f_frsize
    }

    /// Remounts read-only (`ro`) or read-write.
    pub fn remount(&self, options: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(self.path())
            .status()
            .expect("mount runs");
        assert!(status.success(), "remount,{options} failed");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazily: a hog killed by the test may still hold files open.
        let _ = Command::new("umount").arg("-l").arg(self.path()).status();
    }
}
