//! Creating a thread's region: `/dev/shm/<GROUP>.<pid>.<tid>`, laid out as
//! `storage.H` lays it out, marked ready only once complete.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::sync::atomic::{AtomicU32, Ordering};

use hstore_shm::layout::RING_HEADER_SIZE;
use hstore_shm::{Layout, Ring, HEADER_SIZE};
use memmap2::{MmapMut, MmapOptions};

/// A region this process created and maps.
pub(crate) struct OwnedRegion {
    map: MmapMut,
    layout: Layout,
    ring_offset: usize,
}

impl OwnedRegion {
    /// Creates (replacing a stale one) and maps region `name` for a group
    /// of `pages` pages with the meta block `meta`.
    pub(crate) fn create(name: &str, pages: u64, meta: &[u8]) -> std::io::Result<OwnedRegion> {
        let layout = Layout::for_group(pages, meta.len() as u64, hstore_shm::page_size());
        let size = layout
            .total_size()
            .ok_or_else(|| std::io::Error::other("region size overflows"))?;
        let path = std::path::Path::new("/dev/shm").join(name.trim_start_matches('/'));
        let _ = std::fs::remove_file(&path);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o666)
            .open(&path)?;
        file.set_len(size)?;
        // SAFETY: a fresh shared-memory file this process just sized; the
        // consumer maps it too and both sides use atomics for shared words.
        let mut map = unsafe { MmapOptions::new().populate().map_mut(&file)? };
        map[8..16].copy_from_slice(&layout.valsz.to_le_bytes());
        map[16..24].copy_from_slice(&layout.count.to_le_bytes());
        map[24..32].copy_from_slice(&layout.metasz.to_le_bytes());
        let meta_at = HEADER_SIZE as usize;
        map[meta_at..meta_at + meta.len()].copy_from_slice(meta);
        // SAFETY: offset 0 of a page-aligned mapping is 4-aligned.
        let ready = unsafe { &*(map.as_ptr() as *const AtomicU32) };
        ready.swap(1, Ordering::SeqCst);
        let ring_offset = layout.ring_offset().expect("sized above") as usize;
        Ok(OwnedRegion {
            map,
            layout,
            ring_offset,
        })
    }

    /// Where the payload of slot `i` (`i < count`) starts in the mapping.
    pub(crate) fn slot_at(&self, i: u32) -> usize {
        self.ring_offset + RING_HEADER_SIZE as usize + i as usize * self.layout.valsz as usize
    }

    /// `len` bytes of the mapping from `at`, for the writer to fill a slot
    /// it holds (bounds-checked).
    pub(crate) fn bytes_mut(&mut self, at: usize, len: usize) -> &mut [u8] {
        &mut self.map[at..at + len]
    }

    /// The ring.
    pub(crate) fn ring(&self) -> Ring<'_> {
        // SAFETY: `create` sized the mapping to hold the ring header at the
        // page-aligned `ring_offset` and `count` slots of `valsz` bytes.
        unsafe {
            Ring::new(
                self.map.as_ptr().add(self.ring_offset),
                self.layout.valsz as usize,
                self.layout.count as u32,
            )
        }
    }
}
