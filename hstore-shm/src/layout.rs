//! Where things are in a region (§3.2 of the hstore protocol).
//!
//! `{u32 ready; u32 pad; u64 valsz; u64 count; u64 metasz}`, the meta block,
//! then at the next page boundary the ring header `{u32 wstate; u32 ri;
//! u32 wi; u32 unused}` and `count` slots of `valsz` bytes, each ending in a
//! `u32` footer.

/// The protocol version both sides speak.
pub const HSTORE_VERSION: u32 = 0x0002_0000;

/// Size of the region header before the meta block.
pub const HEADER_SIZE: u64 = 32;

/// Size of the ring header before the slots.
pub const RING_HEADER_SIZE: u64 = 16;

/// The geometry of a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Slot size (the producer's page size).
    pub valsz: u64,
    /// Number of slots.
    pub count: u64,
    /// Meta block length.
    pub metasz: u64,
    /// Page size the ring header is aligned to.
    pub page: u64,
}

impl Layout {
    /// The layout a producer creates for a group of `pages` pages (the
    /// second argument of `DEFINE_STORAGE_GROUP`) and a meta block of
    /// `metasz` bytes: `count = 1 + metasz / page + max(pages, 10)`.
    pub fn for_group(pages: u64, metasz: u64, page: u64) -> Layout {
        Layout {
            valsz: page,
            count: 1 + metasz / page + pages.max(10),
            metasz,
            page,
        }
    }

    /// Offset of the ring header, or `None` on overflow.
    pub fn ring_offset(&self) -> Option<u64> {
        HEADER_SIZE
            .checked_add(self.metasz)?
            .checked_next_multiple_of(self.page)
    }

    /// Total size of the region, or `None` on overflow.
    pub fn total_size(&self) -> Option<u64> {
        let slots = self.valsz.checked_mul(self.count)?;
        let ring = RING_HEADER_SIZE
            .checked_add(slots)?
            .checked_next_multiple_of(self.page)?;
        self.ring_offset()?.checked_add(ring)
    }

    /// End of the last slot, or `None` on overflow.
    pub fn slots_end(&self) -> Option<u64> {
        self.ring_offset()?
            .checked_add(RING_HEADER_SIZE)?
            .checked_add(self.valsz.checked_mul(self.count)?)
    }
}

/// This machine's page size.
pub fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if n > 0 {
        n as u64
    } else {
        4096
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_matches_the_verified_example() {
        // pagec 16, metasz 2885: count 17, ring at 4096, region 77824 bytes.
        let l = Layout::for_group(16, 2885, 4096);
        assert_eq!(l.count, 17);
        assert_eq!(l.ring_offset(), Some(4096));
        assert_eq!(l.total_size(), Some(77824));
        assert_eq!(Layout::for_group(4, 100, 4096).count, 11);
    }
}
