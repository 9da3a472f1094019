//! A producer's shared-memory region, mapped and validated.
//!
//! Layout (§3.2): a C header `{u32 ready; u32 pad; u64 valsz; u64 count;
//! u64 metasz}`, the meta block, then at the next page boundary the ring
//! header `{u32 wstate; u32 ri; u32 wi; u32 unused}` followed by `count`
//! slots of `valsz` bytes. Every size is checked against the mapping before
//! anything behind it is touched.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use memmap2::MmapMut;

use super::meta::{Meta, MetaError};
use crate::sigbus::{guard, Guard};
use crate::types::Cursor;
use hstore_shm::{page_size, Layout, Ring};

/// Largest slot accepted: the footer's `used` field has 24 bits.
const MAX_SLOT: u64 = 1 << 24;

/// Why a region could not be attached.
#[derive(Debug, thiserror::Error)]
pub enum RegionError {
    /// The region could not be opened or mapped.
    #[error("region {name}: {what}: {source}")]
    Io {
        /// Region name.
        name: String,
        /// What was being done.
        what: &'static str,
        /// The error.
        source: std::io::Error,
    },
    /// The region's header or layout is invalid.
    #[error("region {name}: {what}")]
    Invalid {
        /// Region name.
        name: String,
        /// What was wrong.
        what: String,
    },
    /// The region's meta block is invalid.
    #[error("region {name}: {source}")]
    Meta {
        /// Region name.
        name: String,
        /// What was wrong.
        source: MetaError,
    },
}

/// The geometry a region's header declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Slot size in bytes (the producer's page size).
    pub valsz: u64,
    /// Number of slots.
    pub count: u64,
    /// Meta block length.
    pub metasz: u64,
    /// Offset of the ring header.
    pub ring_offset: u64,
}

/// A mapped, validated region.
pub struct Region {
    name: String,
    /// Turns a SIGBUS in the mapping (the region truncated under us) into
    /// [`Region::faulted`]; dropped before the mapping.
    guard: Option<Guard>,
    map: MmapMut,
    geometry: Geometry,
    meta: Meta,
    created_ns: u64,
}

impl Region {
    /// The path of shared-memory region `name` (`/G.pid.tid`).
    pub fn path_of(name: &str) -> PathBuf {
        Path::new("/dev/shm").join(name.trim_start_matches('/'))
    }

    /// Attaches the shared-memory region `name`.
    pub fn attach(name: &str) -> Result<Region, RegionError> {
        Self::open(&Self::path_of(name), name)
    }

    /// Maps the region stored in the file at `path`, calling it `name`.
    pub fn open(path: &Path, name: &str) -> Result<Region, RegionError> {
        let io = |what, source| RegionError::Io {
            name: name.to_string(),
            what,
            source,
        };
        let file: File = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| io("cannot open", e))?;
        let stat = file.metadata().map_err(|e| io("cannot stat", e))?;
        if stat.len() < 32 {
            return Err(RegionError::Invalid {
                name: name.into(),
                what: format!("{} bytes is too small for a header (not ready)", stat.len()),
            });
        }
        // SAFETY: the mapping is of a shared-memory file that the producer
        // also maps; it is only ever accessed through bounds-checked offsets
        // validated below, with atomics for the words both sides write.
        let map = unsafe { MmapMut::map_mut(&file) }.map_err(|e| io("cannot map", e))?;
        let created_ns = (stat.ctime() as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(stat.ctime_nsec() as u64);
        Self::from_map(map, name, created_ns)
    }

    fn from_map(map: MmapMut, name: &str, created_ns: u64) -> Result<Region, RegionError> {
        let invalid = |what: String| RegionError::Invalid {
            name: name.to_string(),
            what,
        };
        let size = map.len() as u64;
        let guard = guard(map.as_ptr(), map.len());
        let mut c = Cursor::new(&map[..32]);
        let header = |e: crate::types::DecodeError| invalid(format!("header: {e}"));
        let ready = c.u32("ready").map_err(header)?;
        c.u32("padding").map_err(header)?;
        let valsz = c.u64("valsz").map_err(header)?;
        let count = c.u64("count").map_err(header)?;
        let metasz = c.u64("metasz").map_err(header)?;
        if ready == 0 {
            return Err(invalid(
                "not ready (the producer has not finished creating it)".into(),
            ));
        }
        if !(8..=MAX_SLOT).contains(&valsz) || valsz % 4 != 0 {
            return Err(invalid(format!(
                "slot size {valsz} is not a multiple of 4 in 8..={MAX_SLOT}"
            )));
        }
        if !(2..=u64::from(u32::MAX)).contains(&count) {
            return Err(invalid(format!("slot count {count} is not in 2..=2^32-1")));
        }
        let layout = Layout {
            valsz,
            count,
            metasz,
            page: page_size(),
        };
        let ring_offset = layout.ring_offset().filter(|&m| m <= size).ok_or_else(|| {
            invalid(format!(
                "meta block of {metasz} bytes runs past the {size}-byte region"
            ))
        })?;
        layout
            .slots_end()
            .filter(|&end| end <= size)
            .ok_or_else(|| {
                invalid(format!(
                    "{count} slots of {valsz} bytes at offset {} run past the {size}-byte region",
                    ring_offset + 16
                ))
            })?;
        let meta =
            Meta::parse(&map[32..32 + metasz as usize]).map_err(|source| RegionError::Meta {
                name: name.into(),
                source,
            })?;
        if guard.as_ref().is_some_and(Guard::faulted) {
            return Err(invalid("shrank while being attached".into()));
        }
        Ok(Region {
            name: name.to_string(),
            guard,
            map,
            geometry: Geometry {
                valsz,
                count,
                metasz,
                ring_offset,
            },
            meta,
            created_ns,
        })
    }

    /// Whether the region shrank or vanished under hog (another process
    /// truncated it): what was read from it since is zeros, not the
    /// producer's data.
    pub fn faulted(&self) -> bool {
        self.guard.as_ref().is_some_and(Guard::faulted)
    }

    /// The region's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// When the region was created, ns since the epoch (its identity
    /// across hog restarts: a producer that restarts creates a new one).
    pub fn created_ns(&self) -> u64 {
        self.created_ns
    }

    /// The declared geometry.
    pub fn geometry(&self) -> Geometry {
        self.geometry
    }

    /// The parsed meta block.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// The ring.
    pub fn ring(&self) -> Ring<'_> {
        let g = self.geometry;
        // SAFETY: `from_map` checked that the ring header (16 bytes at the
        // page-aligned `ring_offset`) and `count` slots of `valsz` bytes (a
        // multiple of 4) lie inside the mapping, which lives as long as the
        // returned borrow.
        unsafe {
            Ring::new(
                self.map.as_ptr().add(g.ring_offset as usize),
                g.valsz as usize,
                g.count as u32,
            )
        }
    }
}
