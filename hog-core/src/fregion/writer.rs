//! Writing a file: pages, the page table, bindings and allocation.
//!
//! The file is mapped shared, so a value is in the file (and survives a
//! kill of the writing process) as soon as it is stored. The mapping is a
//! window larger than the file, and the file grows in chunks: a live file
//! may be longer than its page table, which readers tolerate; [`finish`]
//! trims it.
//!
//! Crash safety of the page table: new pages are added to the file first,
//! then their descriptors are written last to first, so the first new
//! descriptor (which replaces the table's terminator) publishes them all
//! with one 2-byte store; a new table page is linked before that store
//! makes it reachable. A killed writer leaves either the old or the new
//! table, never a table describing pages that do not exist.
//!
//! Space is reserved before it is mapped: the file grows with
//! `fallocate`, so a full filesystem (or a quota) is an error from
//! [`Writer::alloc`] and friends, never a SIGBUS on a store into a page the
//! filesystem cannot back.
//!
//! [`finish`]: Writer::finish

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use memmap2::{MmapMut, MmapOptions};

use super::env::{self, Binding};
use super::error::FormatError;
use super::layout::align_up;
use super::toc::{self, descriptor, PageKind, PageTable};
use super::{EMPTY_ARRAY, MAGIC, VERSION};

/// Pages the file grows by at least, at once.
const GROW_PAGES: u64 = 256;
/// Pages the file grows by at most, at once (it grows by an eighth of its
/// size between the two).
const MAX_GROW_PAGES: u64 = 8192;
/// Largest page size a file is created with.
const MAX_WRITE_PAGE_SIZE: u64 = 8192;
/// Smallest mapping window.
const MIN_WINDOW: u64 = 64 << 20;

/// A fregion file open for writing.
#[derive(Debug)]
pub struct Writer {
    path: PathBuf,
    file: File,
    map: MmapMut,
    window: u64,
    page_size: u64,
    /// Pages in the page table.
    pages: u64,
    /// Pages the file holds (at least `pages`).
    physical: u64,
    toc: Vec<u64>,
    small: Option<(u64, u64)>,
    env_tail: Option<(u64, u64)>,
    bindings: Vec<Binding>,
    za: u64,
}

fn invalid(path: &Path, e: FormatError) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: {e}", path.display()),
    )
}

impl Writer {
    /// The page sizes a file can be created with.
    pub const PAGE_SIZES: std::ops::RangeInclusive<u64> = toc::MIN_PAGE_SIZE..=MAX_WRITE_PAGE_SIZE;

    /// Creates a new file at `path` (which must not exist) with `page_size`
    /// pages: header, page table, and the empty-array cell `.za`.
    pub fn create(path: &Path, page_size: u64) -> io::Result<Writer> {
        // An empty page's descriptor must be able to say `avail = P` in 14
        // bits, which rules out 16384-byte pages for writing.
        if !Self::PAGE_SIZES.contains(&page_size) || !page_size.is_multiple_of(2) {
            let sizes = Self::PAGE_SIZES;
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("page size {page_size} is not an even number in {sizes:?}"),
            ));
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)?;
        if let Err(e) = reserve(&file, 0, GROW_PAGES * page_size) {
            drop(file);
            let _ = std::fs::remove_file(path);
            return Err(e);
        }
        let window = MIN_WINDOW.max(2 * GROW_PAGES * page_size);
        let map = map(&file, window)?;
        let mut w = Writer {
            path: path.to_path_buf(),
            file,
            map,
            window,
            page_size,
            pages: 1,
            physical: GROW_PAGES,
            toc: vec![0],
            small: None,
            env_tail: None,
            bindings: Vec::new(),
            za: 0,
        };
        w.write(0, &MAGIC.to_le_bytes());
        w.write(4, &(page_size as u16).to_le_bytes());
        w.write(6, &VERSION.to_le_bytes());
        w.write(8, &descriptor(PageKind::Toc, 0).to_le_bytes());
        w.za = w.alloc(8, 8)?;
        w.bind(EMPTY_ARRAY, &[], w.za)?;
        Ok(w)
    }

    /// Opens an existing file for appending, after validating it. Pages
    /// past its page table (left by a killed writer) are dropped.
    pub fn open(path: &Path) -> io::Result<Writer> {
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        let len = file.metadata()?.len();
        let window = MIN_WINDOW.max(len.saturating_mul(2));
        let map = map(&file, window)?;
        let bytes = &map[..len as usize];
        let table = PageTable::read(bytes).map_err(|e| invalid(path, e))?;
        let bindings = env::read(bytes, &table).map_err(|e| invalid(path, e))?;
        let page_size = table.page_size;
        let pages = table.len();
        if len > pages * page_size {
            file.set_len(pages * page_size)?;
        }
        // Another writer (the C++ hog, a sparse copy) may have left holes:
        // back them now, while a lack of space is still an error.
        reserve(&file, 0, pages * page_size)?;
        let env_tail = (0..pages)
            .rev()
            .find(|&p| table.kind(p) == Some(PageKind::Env))
            .map(|p| (p, table.used(p)))
            .filter(|&(_, used)| used > 0 && used < page_size);
        let mut w = Writer {
            path: path.to_path_buf(),
            file,
            map,
            window,
            page_size,
            pages,
            physical: pages,
            toc: table.toc_pages,
            small: None,
            env_tail,
            bindings,
            za: 0,
        };
        w.clear_table_tail();
        w.za = match w.binding(EMPTY_ARRAY) {
            Some(b) => b.offset,
            None => {
                let za = w.alloc(8, 8)?;
                w.bind(EMPTY_ARRAY, &[], za)?;
                za
            }
        };
        Ok(w)
    }

    /// Takes an exclusive advisory lock on the file, failing with
    /// `WouldBlock` if another open file holds it. Released on close (or
    /// when the process dies).
    pub fn lock(&self) -> io::Result<()> {
        // SAFETY: flock on a file descriptor this writer owns.
        let r = unsafe { libc::flock(self.file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if r == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records that the file was renamed to `path`.
    pub fn set_path(&mut self, path: PathBuf) {
        self.path = path;
    }

    /// Page size.
    pub fn page_size(&self) -> u64 {
        self.page_size
    }

    /// Size of the file as its page table describes it.
    pub fn len(&self) -> u64 {
        self.pages * self.page_size
    }

    /// Whether the file has no pages (never: page 0 always exists).
    pub fn is_empty(&self) -> bool {
        self.pages == 0
    }

    /// The file's bytes up to the end of its page table.
    pub fn bytes(&self) -> &[u8] {
        &self.map[..self.len() as usize]
    }

    /// Every binding.
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// The binding called `name`.
    pub fn binding(&self, name: &str) -> Option<&Binding> {
        self.bindings.iter().find(|b| b.name == name)
    }

    /// Offset of the shared empty array (`.za`).
    pub fn empty_array(&self) -> u64 {
        self.za
    }

    /// Writes `data` at `at`, which must be inside allocated pages.
    pub fn write(&mut self, at: u64, data: &[u8]) {
        self.slice_mut(at, data.len() as u64).copy_from_slice(data);
    }

    /// The `len` bytes at `at`, which must be inside allocated pages, to
    /// write into directly (one bounds check for many values).
    pub fn slice_mut(&mut self, at: u64, len: u64) -> &mut [u8] {
        let end = at + len;
        assert!(
            end <= self.physical * self.page_size,
            "write past the allocated pages"
        );
        &mut self.map[at as usize..end as usize]
    }

    /// Writes a `u32` at `at`.
    pub fn write_u32(&mut self, at: u64, v: u32) {
        self.write(at, &v.to_le_bytes());
    }

    /// Writes a `u64` at `at`.
    pub fn write_u64(&mut self, at: u64, v: u64) {
        self.write(at, &v.to_le_bytes());
    }

    /// Reads the `u64` at `at`.
    pub fn read_u64(&self, at: u64) -> u64 {
        let b = &self.map[at as usize..at as usize + 8];
        u64::from_le_bytes(b.try_into().expect("8 bytes"))
    }

    /// Stores `v` at the 8-aligned `at` with release ordering, after every
    /// earlier write: a reader that sees it sees them (and a kill of this
    /// process after it leaves them in the file).
    pub fn publish_u64(&mut self, at: u64, v: u64) {
        assert!(at.is_multiple_of(8) && at + 8 <= self.physical * self.page_size);
        // SAFETY: `at` is inside the mapping (checked) and 8-aligned (the
        // mapping starts page-aligned), so the pointer is valid and aligned
        // for an AtomicU64; other processes only read this memory.
        let cell = unsafe { AtomicU64::from_ptr(self.map.as_mut_ptr().add(at as usize).cast()) };
        cell.store(v.to_le(), Ordering::Release);
    }

    /// Allocates `len` zeroed bytes aligned to `align` in data pages.
    pub fn alloc(&mut self, len: u64, align: u64) -> io::Result<u64> {
        let p = self.page_size;
        if let Some((page, used)) = self.small {
            if let Some(at) = align_up(used, align.min(p)).filter(|&a| a + len <= p) {
                self.set_used(page, PageKind::Data, at + len);
                self.small = Some((page, at + len));
                return Ok(page * p + at);
            }
        }
        let n = len.div_ceil(p).max(1);
        let last_used = len - (n - 1) * p;
        let first = self.add_pages(n, PageKind::Data, Some(last_used))?;
        let last = first + n - 1;
        let free = p - last_used;
        if free > 0 && self.small.is_none_or(|(_, used)| p - used < free) {
            self.small = Some((last, last_used));
        }
        Ok(first * p)
    }

    /// Adds a binding of `name` with type description `type_bytes` to the
    /// value at `offset`.
    pub fn bind(&mut self, name: &str, type_bytes: &[u8], offset: u64) -> io::Result<()> {
        let record = env::record(name, type_bytes, offset);
        let p = self.page_size;
        let len = record.len() as u64;
        let at = match self.env_tail {
            Some((page, used)) if used + len <= p => {
                self.write(page * p + used, &record);
                self.set_used(page, PageKind::Env, used + len);
                self.env_tail = Some((page, used + len)).filter(|&(_, u)| u < p);
                page * p + used
            }
            _ => {
                // Fresh pages, published empty; their sizes are set once the
                // record is in place (last page first).
                let n = len.div_ceil(p);
                let first = self.add_pages(n, PageKind::Env, None)?;
                self.write(first * p, &record);
                let last_used = len - (n - 1) * p;
                for q in (first..first + n).rev() {
                    let used = if q == first + n - 1 { last_used } else { p };
                    self.set_used(q, PageKind::Env, used);
                }
                let last = first + n - 1;
                self.env_tail = Some((last, last_used)).filter(|&(_, u)| u < p);
                first * p
            }
        };
        let ty = if type_bytes.is_empty() {
            None
        } else {
            Some(crate::types::Type::decode(type_bytes).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("binding '{name}': {e}"),
                )
            })?)
        };
        self.bindings.push(Binding {
            name: name.to_string(),
            offset,
            type_bytes: type_bytes.to_vec(),
            ty,
            record_at: at,
        });
        Ok(())
    }

    /// Wakes readers watching the file (inotify `IN_MODIFY`) by rewriting
    /// its first byte, which never changes.
    pub fn signal(&self) -> io::Result<()> {
        self.file.write_at(&[MAGIC.to_le_bytes()[0]], 0).map(|_| ())
    }

    /// Forces everything written so far to the disk.
    pub fn sync(&self) -> io::Result<()> {
        self.map.flush()?;
        self.file.sync_data()
    }

    /// Trims the file to its page table and closes it.
    pub fn finish(self) -> io::Result<()> {
        let len = self.len();
        drop(self.map);
        self.file.set_len(len)
    }

    /// Zeroes what a writer killed while adding pages may have left after
    /// the table's terminator in the last table page: descriptors of pages
    /// that were never published, and the link to a table page that was
    /// (readers that always follow the link then find nothing stale).
    fn clear_table_tail(&mut self) {
        let p = self.page_size;
        let last = *self.toc.last().expect("page 0");
        let (chain, byte) = toc::descriptor_slot(p, self.pages);
        if chain + 1 == self.toc.len() {
            let zeros = vec![0u8; (p - 8 - byte) as usize];
            self.write(last * p + byte, &zeros);
            self.write_u64(last * p + p - 8, 0);
        }
    }

    /// Sets the used size of page `page` of `kind`.
    fn set_used(&mut self, page: u64, kind: PageKind, used: u64) {
        let d = descriptor(kind, self.page_size - used);
        let at = self.descriptor_offset(page);
        self.write(at, &d.to_le_bytes());
    }

    fn descriptor_offset(&self, page: u64) -> u64 {
        let (chain, byte) = toc::descriptor_slot(self.page_size, page);
        self.toc[chain] * self.page_size + byte
    }

    /// Capacity in descriptors of a chain of `n` table pages.
    fn capacity(&self, n: u64) -> u64 {
        toc::first_capacity(self.page_size) + (n - 1) * toc::later_capacity(self.page_size)
    }

    /// Appends `n` consecutive pages of `kind` (the last with `last_used`
    /// bytes used, the others full; all empty if `None`) and any table pages
    /// the table needs after them; returns the first new page.
    fn add_pages(&mut self, n: u64, kind: PageKind, last_used: Option<u64>) -> io::Result<u64> {
        let first = self.pages;
        let mut tocs = 0;
        while self.capacity(self.toc.len() as u64 + tocs) <= first + n + tocs {
            tocs += 1;
        }
        let total = n + tocs;
        self.grow(first + total)?;
        let p = self.page_size;
        // Link the new table pages (unreachable until the first descriptor).
        for i in 0..tocs {
            let page = first + n + i;
            let prev = *self.toc.last().expect("page 0");
            self.write_u64(prev * p + p - 8, page);
            self.toc.push(page);
        }
        for k in (first..first + total).rev() {
            let d = match last_used {
                _ if k >= first + n => descriptor(PageKind::Toc, 0),
                None => descriptor(kind, p),
                Some(used) if k == first + n - 1 => descriptor(kind, p - used),
                Some(_) => descriptor(kind, 0),
            };
            let at = self.descriptor_offset(k);
            self.write(at, &d.to_le_bytes());
        }
        self.pages = first + total;
        Ok(first)
    }

    /// Makes the file hold at least `pages` pages.
    fn grow(&mut self, pages: u64) -> io::Result<()> {
        if pages <= self.physical {
            return Ok(());
        }
        let step = (self.physical / 8).clamp(GROW_PAGES, MAX_GROW_PAGES);
        let physical = pages.max(self.physical + step);
        let bytes = physical * self.page_size;
        let from = self.physical * self.page_size;
        reserve(&self.file, from, bytes - from)?;
        if bytes > self.window {
            self.window = bytes.saturating_mul(2);
            self.map = map(&self.file, self.window)?;
        }
        prefault(&self.map, from, bytes - from);
        self.physical = physical;
        Ok(())
    }
}

/// Allocates `len` bytes of `file` from `offset` (growing the file if they
/// reach past its end), so that stores through the mapping cannot fault.
/// Filesystems without `fallocate` get a plain size change instead.
fn reserve(file: &File, offset: u64, len: u64) -> io::Result<()> {
    let (Ok(off), Ok(n)) = (libc::off_t::try_from(offset), libc::off_t::try_from(len)) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "file too large",
        ));
    };
    if n == 0 {
        return Ok(());
    }
    loop {
        // SAFETY: fallocate on an open descriptor with checked offsets.
        if unsafe { libc::fallocate(file.as_raw_fd(), 0, off, n) } == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EOPNOTSUPP) | Some(libc::ENOSYS) => {
                let end = offset + len;
                return if file.metadata()?.len() < end {
                    file.set_len(end)
                } else {
                    Ok(())
                };
            }
            _ => return Err(e),
        }
    }
}

/// Faults in `len` bytes of `map` from `offset` in one call, rather than
/// a page fault at a time as the writer first stores to each page: a third
/// of a local hog's CPU went to those faults. Best effort (Linux 5.14 and
/// later); the range lies inside the file, so nothing can fault later.
fn prefault(map: &MmapMut, offset: u64, len: u64) {
    const MADV_POPULATE_WRITE: libc::c_int = 23;
    let (Ok(offset), Ok(len)) = (usize::try_from(offset), usize::try_from(len)) else {
        return;
    };
    if offset.checked_add(len).is_none_or(|end| end > map.len()) {
        return;
    }
    // SAFETY: the range is inside the mapping; madvise changes no memory
    // contents, it only faults pages in.
    unsafe {
        libc::madvise(
            map.as_ptr().add(offset) as *mut libc::c_void,
            len,
            MADV_POPULATE_WRITE,
        );
    }
}

fn map(file: &File, window: u64) -> io::Result<MmapMut> {
    let len = usize::try_from(window)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "file too large to map"))?;
    // SAFETY: a shared writable mapping of a file this process writes; the
    // window may extend past the end of the file, and the writer touches
    // only bytes inside the file's current length. Other processes may map
    // the file to read it; cooperating writers are kept out by `lock`.
    unsafe { MmapOptions::new().len(len).map_mut(file) }
}
