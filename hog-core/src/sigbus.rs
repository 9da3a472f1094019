//! Mapped memory that may be taken away: a SIGBUS inside a guarded range
//! becomes a flag on that range instead of the death of hog.
//!
//! A shared-memory region is written by another process, which may
//! truncate it (a bug, a cleanup script, a hostile process); a mapped data
//! file may lose its backing (truncated by someone else, an I/O error while
//! a page is read back). Touching such a page raises SIGBUS, which by
//! default kills the whole process, and with it every other stream.
//!
//! [`guard`] registers a mapped range. The process-wide handler, installed
//! on first use, looks the faulting address up among the registered ranges;
//! if it is inside one, it replaces the rest of that range (from the
//! faulting page on) with private zero pages, sets the range's flag, and
//! returns, so the faulting load or store completes on a zero page. The
//! owner checks [`Guard::faulted`] after each piece of work and abandons
//! what it read meanwhile. A SIGBUS anywhere else is not ours: the handler
//! restores the default action and returns, and the re-executed access
//! kills the process as before (with its core).
//!
//! The handler only loads atomics and calls `mmap`, which is a plain system
//! call; it allocates nothing and takes no lock.

use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::Once;

/// Ranges that can be guarded at once (regions and data files).
const SLOTS: usize = 16_384;
/// A slot being filled in.
const CLAIMED: usize = usize::MAX;

struct Slot {
    /// First byte of the range; 0: free; [`CLAIMED`]: being registered.
    start: AtomicUsize,
    /// One past the last byte.
    end: AtomicUsize,
    /// The owner's flag, alive while the slot is registered.
    faulted: AtomicPtr<AtomicBool>,
}

static TABLE: [Slot; SLOTS] = [const {
    Slot {
        start: AtomicUsize::new(0),
        end: AtomicUsize::new(0),
        faulted: AtomicPtr::new(std::ptr::null_mut()),
    }
}; SLOTS];

static PAGE: AtomicUsize = AtomicUsize::new(4096);
static INSTALL: Once = Once::new();
/// The handler installed before ours (the Rust runtime's), called for a
/// SIGBUS outside every guarded range.
static PREVIOUS: AtomicUsize = AtomicUsize::new(libc::SIG_DFL);
/// Whether [`PREVIOUS`] takes `SA_SIGINFO` arguments.
static PREVIOUS_SIGINFO: AtomicBool = AtomicBool::new(false);

/// A registered range; unregistered when dropped (drop it before the
/// mapping is unmapped).
#[derive(Debug)]
pub struct Guard {
    slot: usize,
    faulted: Box<AtomicBool>,
}

impl Guard {
    /// Whether a SIGBUS hit the range: its content from the faulting page
    /// on now reads as zeros and stores to it are lost.
    pub fn faulted(&self) -> bool {
        self.faulted.load(Ordering::Acquire)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let slot = &TABLE[self.slot];
        slot.start.store(CLAIMED, Ordering::Release);
        slot.faulted.store(std::ptr::null_mut(), Ordering::Release);
        slot.end.store(0, Ordering::Release);
        slot.start.store(0, Ordering::Release);
    }
}

/// Guards the `len` bytes mapped at `start`; `None` if every slot is taken
/// (the range then stays unguarded, as it would be without this module).
pub fn guard(start: *const u8, len: usize) -> Option<Guard> {
    install();
    let start = start as usize;
    if start == 0 || start == CLAIMED || len == 0 {
        return None;
    }
    let faulted = Box::new(AtomicBool::new(false));
    for (i, slot) in TABLE.iter().enumerate() {
        if slot
            .start
            .compare_exchange(0, CLAIMED, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            slot.end.store(start.saturating_add(len), Ordering::Release);
            slot.faulted
                .store(&*faulted as *const AtomicBool as *mut _, Ordering::Release);
            slot.start.store(start, Ordering::Release);
            return Some(Guard { slot: i, faulted });
        }
    }
    tracing::warn!(
        "more than {SLOTS} mapped ranges at once: this one is not guarded against SIGBUS"
    );
    None
}

fn install() {
    INSTALL.call_once(|| {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if page > 0 {
            PAGE.store(page as usize, Ordering::Relaxed);
        }
        // SAFETY: a zeroed sigaction is valid; the handler has the
        // SA_SIGINFO signature, and only touches atomics and mmap.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            let mut previous: libc::sigaction = std::mem::zeroed();
            let handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                on_sigbus;
            action.sa_sigaction = handler as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER;
            libc::sigemptyset(&mut action.sa_mask);
            if libc::sigaction(libc::SIGBUS, &action, &mut previous) == 0 {
                PREVIOUS.store(previous.sa_sigaction, Ordering::Relaxed);
                PREVIOUS_SIGINFO
                    .store(previous.sa_flags & libc::SA_SIGINFO != 0, Ordering::Relaxed);
            } else {
                tracing::warn!(
                    "cannot install the SIGBUS handler: {}; a vanishing mapping kills hog",
                    std::io::Error::last_os_error()
                );
            }
        }
    });
}

extern "C" fn on_sigbus(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
    let addr = unsafe { (*info).si_addr() } as usize;
    let page = PAGE.load(Ordering::Relaxed);
    for slot in TABLE.iter() {
        let start = slot.start.load(Ordering::Acquire);
        if start == 0 || start == CLAIMED {
            continue;
        }
        let end = slot.end.load(Ordering::Acquire);
        if addr < start || addr >= end {
            continue;
        }
        let from = addr & !(page - 1);
        // SAFETY: [from, end) lies inside a mapping its owner registered
        // and still holds; replacing it with private anonymous pages keeps
        // every address valid until the owner unmaps it.
        let zero = unsafe {
            libc::mmap(
                from as *mut libc::c_void,
                end - from,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        if zero == libc::MAP_FAILED {
            break;
        }
        let flag = slot.faulted.load(Ordering::Acquire);
        if !flag.is_null() {
            // SAFETY: the flag outlives the registration (see Guard::drop).
            unsafe { (*flag).store(true, Ordering::Release) };
        }
        return;
    }
    // Not a guarded range: hand it to the handler before ours, or let the
    // access fault again with the default action, which ends the process
    // as it would have without us.
    let previous = PREVIOUS.load(Ordering::Relaxed);
    if previous == libc::SIG_DFL || previous == libc::SIG_IGN {
        // SAFETY: resetting a disposition to SIG_DFL has no preconditions.
        unsafe { libc::signal(libc::SIGBUS, libc::SIG_DFL) };
    } else if PREVIOUS_SIGINFO.load(Ordering::Relaxed) {
        // SAFETY: `previous` was installed as an SA_SIGINFO handler.
        let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
            unsafe { std::mem::transmute(previous) };
        f(sig, info, ctx);
    } else {
        // SAFETY: `previous` was installed as a plain handler.
        let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(previous) };
        f(sig);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_truncated_file_mapping_reads_zeros_and_raises_the_flag() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&[7u8; 3 * 4096]).unwrap();
        // SAFETY: a private test file, mapped and truncated by this test only.
        let map = unsafe { memmap2::Mmap::map(&file) }.unwrap();
        let g = guard(map.as_ptr(), map.len()).expect("a free slot");
        assert_eq!(map[4096], 7);
        assert!(!g.faulted());
        file.set_len(4096).unwrap();
        assert_eq!(map[0], 7, "the page still backed reads as before");
        // SAFETY: reading a mapped byte; the page is gone, so it faults.
        let past = unsafe { std::ptr::read_volatile(map.as_ptr().add(2 * 4096)) };
        assert_eq!(past, 0);
        assert!(g.faulted());
        drop(g);
        drop(map);
    }
}
