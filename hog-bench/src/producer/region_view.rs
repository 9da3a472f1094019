//! A second mapping of a producer's region (`/dev/shm/<name>`): for the
//! in-process drainer, which consumes the ring, and for a producer waiting
//! until hog has released everything it published.

use std::ffi::CString;
use std::io;

use hstore_shm::{page_size, Layout, Ring};

/// A region mapped read-write, with its ring geometry.
pub struct RegionView {
    base: *mut u8,
    len: usize,
    layout: Layout,
}

impl RegionView {
    /// Maps the region called `name` (`/G.pid.tid`).
    pub fn open(name: &str) -> io::Result<RegionView> {
        let path = CString::new(format!("/dev/shm{name}")).map_err(io::Error::other)?;
        // SAFETY: a valid NUL-terminated path.
        let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let result = Self::map(fd);
        // SAFETY: our own descriptor; the mapping outlives it.
        unsafe { libc::close(fd) };
        result
    }

    fn map(fd: libc::c_int) -> io::Result<RegionView> {
        // SAFETY: fstat writes into the struct we pass.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        if unsafe { libc::fstat(fd, &mut st) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let len = st.st_size as usize;
        if len < 32 {
            return Err(io::Error::other("region smaller than its header"));
        }
        // SAFETY: a shared mapping of the whole file, checked below.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = base.cast::<u8>();
        let word = |at: usize| {
            // SAFETY: `at + 8 <= 32 <= len`; the header is written before
            // the producer registers.
            u64::from_le_bytes(unsafe { std::ptr::read_unaligned(base.add(at).cast::<[u8; 8]>()) })
        };
        let layout = Layout {
            valsz: word(8),
            count: word(16),
            metasz: word(24),
            page: page_size(),
        };
        let view = RegionView { base, len, layout };
        match layout.total_size() {
            Some(total)
                if total <= len as u64 && layout.valsz.is_multiple_of(4) && layout.count > 0 =>
            {
                Ok(view)
            }
            _ => Err(io::Error::other(format!(
                "region geometry {layout:?} does not fit {len} bytes"
            ))),
        }
    }

    /// The ring of the region.
    pub fn ring(&self) -> Ring<'_> {
        let at = self.layout.ring_offset().expect("checked at open") as usize;
        // SAFETY: `open` checked that the ring header and `count` slots of
        // `valsz` bytes (a multiple of 4) lie inside the mapping, which
        // lives as long as the borrow of `self`.
        unsafe {
            Ring::new(
                self.base.add(at),
                self.layout.valsz as usize,
                self.layout.count as u32,
            )
        }
    }

    /// The first `used` payload bytes of slot `i`.
    ///
    /// The slot must be published and not yet released: then the producer
    /// does not write it.
    pub fn payload(&self, ring: &Ring<'_>, i: u32, used: usize) -> &[u8] {
        let used = used.min(ring.capacity());
        // SAFETY: the slot lies inside the mapping (see `ring`) and holds at
        // least `capacity()` payload bytes.
        unsafe { std::slice::from_raw_parts(ring.payload_mut(i), used) }
    }
}

impl Drop for RegionView {
    fn drop(&mut self) {
        // SAFETY: unmapping our own mapping.
        unsafe { libc::munmap(self.base.cast(), self.len) };
    }
}

// SAFETY: the mapping is shared memory used through atomics (ring indices,
// footers) and through slots the protocol hands over; the pointer is valid
// until drop.
unsafe impl Send for RegionView {}
