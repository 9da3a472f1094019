//! The header and the page table ("TOC").
//!
//! The header is `u32` magic, `u16` page size `P`, `u16` version. Every page
//! has a `u16` descriptor `(kind << 14) | avail` (avail = unused bytes at the
//! end of the page). Descriptors start at byte 8 of page 0; the last 8 bytes
//! of every table page link to the next table page, whose descriptors start
//! at its byte 0. The table ends at the first zero descriptor.

use std::collections::HashSet;

use super::error::{u16_at, u32_at, u64_at, FormatError};
use super::{MAGIC, VERSION};

/// Smallest page size accepted.
pub const MIN_PAGE_SIZE: u64 = 256;
/// Largest page size accepted.
pub const MAX_PAGE_SIZE: u64 = 16_384;

/// What a page holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    /// Page-table descriptors.
    Toc,
    /// Environment records (bindings).
    Env,
    /// Values.
    Data,
}

impl PageKind {
    /// The descriptor's kind bits.
    pub fn bits(self) -> u16 {
        match self {
            PageKind::Toc => 1,
            PageKind::Env => 2,
            PageKind::Data => 3,
        }
    }

    /// The kind of a descriptor, `None` for the terminator.
    pub fn of(descriptor: u16) -> Option<PageKind> {
        match descriptor >> 14 {
            1 => Some(PageKind::Toc),
            2 => Some(PageKind::Env),
            3 => Some(PageKind::Data),
            _ => None,
        }
    }
}

/// A page descriptor for `kind` with `avail` unused bytes.
pub fn descriptor(kind: PageKind, avail: u64) -> u16 {
    (kind.bits() << 14) | (avail as u16 & 0x3FFF)
}

/// Descriptors held by page 0 (after the header, before the link).
pub fn first_capacity(page_size: u64) -> u64 {
    (page_size - 16) / 2
}

/// Descriptors held by every later table page.
pub fn later_capacity(page_size: u64) -> u64 {
    (page_size - 8) / 2
}

/// Where the descriptor of page `k` lives: (position in the chain of table
/// pages, byte within that page).
pub fn descriptor_slot(page_size: u64, k: u64) -> (usize, u64) {
    let first = first_capacity(page_size);
    if k < first {
        (0, 8 + 2 * k)
    } else {
        let rest = k - first;
        let later = later_capacity(page_size);
        (1 + (rest / later) as usize, 2 * (rest % later))
    }
}

/// The page table of a file, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageTable {
    /// Page size in bytes.
    pub page_size: u64,
    /// One descriptor per page in the table, page 0 first.
    pub descriptors: Vec<u16>,
    /// Table pages in chain order (page 0 first).
    pub toc_pages: Vec<u64>,
}

impl PageTable {
    /// Reads and validates the header and page table of `bytes`.
    ///
    /// Checks the magic, version and page size, that the file is a whole
    /// number of pages, that every link is non-zero when a table page is
    /// full, points inside the file at a table page and never repeats, and
    /// that the table describes no more pages than the file has.
    pub fn read(bytes: &[u8]) -> Result<PageTable, FormatError> {
        let len = bytes.len() as u64;
        if len < 8 {
            return Err(FormatError::new(
                0,
                format!("{len} bytes is too short for a header"),
            ));
        }
        let magic = u32_at(bytes, 0, "magic")?;
        if magic != MAGIC {
            return Err(FormatError::new(
                0,
                format!("bad magic {magic:#010x} (expected {MAGIC:#010x}): not a fregion file"),
            ));
        }
        let page_size = u64::from(u16_at(bytes, 4, "page size")?);
        let version = u16_at(bytes, 6, "version")?;
        if version != VERSION {
            return Err(FormatError::new(
                6,
                format!("format version {version} is not supported (only {VERSION})"),
            ));
        }
        if !(MIN_PAGE_SIZE..=MAX_PAGE_SIZE).contains(&page_size) || !page_size.is_multiple_of(2) {
            return Err(FormatError::new(
                4,
                format!("page size {page_size} is not an even number in {MIN_PAGE_SIZE}..={MAX_PAGE_SIZE}"),
            ));
        }
        if !len.is_multiple_of(page_size) {
            return Err(FormatError::new(
                len,
                format!("file size {len} is not a whole number of {page_size}-byte pages"),
            ));
        }
        let pages = len / page_size;
        let mut descriptors = Vec::new();
        let mut toc_pages = vec![0u64];
        let mut seen = HashSet::from([0u64]);
        let (mut page, mut at, mut end) = (0u64, 8u64, page_size - 8);
        loop {
            if at == end {
                let link_at = page * page_size + page_size - 8;
                let link = u64_at(bytes, link_at, "page table link")?;
                if link == 0 {
                    return Err(FormatError::new(
                        link_at,
                        format!("page table page {page} is full but links to no next page"),
                    ));
                }
                if link >= pages {
                    return Err(FormatError::new(
                        link_at,
                        format!(
                            "page table link to page {link}, past the last page {}",
                            pages - 1
                        ),
                    ));
                }
                if !seen.insert(link) {
                    return Err(FormatError::new(
                        link_at,
                        format!("page table links back to page {link} (a cycle)"),
                    ));
                }
                toc_pages.push(link);
                page = link;
                at = 0;
                end = page_size - 8;
                continue;
            }
            let offset = page * page_size + at;
            let d = u16_at(bytes, offset, "page descriptor")?;
            if PageKind::of(d).is_none() {
                break;
            }
            if descriptors.len() as u64 >= pages {
                return Err(FormatError::new(
                    offset,
                    format!("page table describes more pages than the file's {pages}"),
                ));
            }
            if u64::from(d & 0x3FFF) > page_size {
                return Err(FormatError::new(
                    offset,
                    format!(
                        "page {} has {} unused bytes, more than a page",
                        descriptors.len(),
                        d & 0x3FFF
                    ),
                ));
            }
            descriptors.push(d);
            at += 2;
        }
        let table = PageTable {
            page_size,
            descriptors,
            toc_pages,
        };
        for &p in &table.toc_pages {
            if table.kind(p) != Some(PageKind::Toc) {
                return Err(FormatError::new(
                    p * page_size,
                    format!(
                        "page {p} holds page table entries but is not described as a table page"
                    ),
                ));
            }
        }
        Ok(table)
    }

    /// Number of pages in the table.
    pub fn len(&self) -> u64 {
        self.descriptors.len() as u64
    }

    /// Whether the table is empty (never true for a valid file).
    pub fn is_empty(&self) -> bool {
        self.descriptors.is_empty()
    }

    /// The kind of page `p`, `None` past the table.
    pub fn kind(&self, p: u64) -> Option<PageKind> {
        self.descriptors
            .get(usize::try_from(p).ok()?)
            .and_then(|&d| PageKind::of(d))
    }

    /// Used bytes of page `p` (`P - avail`), 0 past the table.
    pub fn used(&self, p: u64) -> u64 {
        usize::try_from(p)
            .ok()
            .and_then(|p| self.descriptors.get(p))
            .map_or(0, |&d| self.page_size - u64::from(d & 0x3FFF))
    }
}
