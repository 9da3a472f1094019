//! The ring inside a region: indices, slot footers, and the futex or spin
//! wait protocol between producer and consumer (§4, §5 of the hstore
//! protocol). Indices, `wstate` and footers are atomics in the mapping;
//! payload bytes are plain memory handed over by publishing `wi` (writer)
//! and `ri` (reader).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Slot footer states.
pub mod state {
    /// Published but not final (Unreliable producers rewrite it).
    pub const TENTATIVE: u32 = 0;
    /// The transaction continues in the next slot.
    pub const CONT: u32 = 1;
    /// The slot ends a transaction.
    pub const COMMIT: u32 = 2;
    /// The slot ends a transaction that is discarded.
    pub const ROLLBACK: u32 = 3;
}

const UNBLOCKED: u32 = 0;
const READER_WAITING: u32 = 1;
const WRITER_WAITING: u32 = 2;

/// How the producer waits, and so how the reader must wake it and wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitPolicy {
    /// futex wait and wake (the default).
    Futex,
    /// The producer spins and never wakes the reader: poll.
    Spin,
}

/// A slot footer: state and used bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footer {
    /// One of [`state`].
    pub state: u32,
    /// Payload bytes at the start of the slot.
    pub used: usize,
}

/// A view of a region's ring.
pub struct Ring<'a> {
    wstate: &'a AtomicU32,
    ri: &'a AtomicU32,
    wi: &'a AtomicU32,
    slots: *mut u8,
    valsz: usize,
    count: u32,
}

// SAFETY: the ring is shared memory accessed through atomics and copies; the
// raw slot pointer is valid for the borrow of the region it came from.
unsafe impl Send for Ring<'_> {}

impl<'a> Ring<'a> {
    /// A ring whose header starts at `header`.
    ///
    /// # Safety
    /// `header` must be 4-aligned and point to 16 bytes of ring header
    /// followed by `count` slots of `valsz` bytes (`valsz` a multiple of 4),
    /// all valid for `'a`.
    pub unsafe fn new(header: *const u8, valsz: usize, count: u32) -> Self {
        unsafe {
            let word = |i: usize| &*(header.add(4 * i) as *const AtomicU32);
            Ring {
                wstate: word(0),
                ri: word(1),
                wi: word(2),
                slots: header.add(16) as *mut u8,
                valsz,
                count,
            }
        }
    }

    /// Number of slots.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Payload capacity of a slot.
    pub fn capacity(&self) -> usize {
        self.valsz - 4
    }

    /// The reader index (first unconsumed slot), reduced modulo `count`.
    pub fn ri(&self) -> u32 {
        self.ri.load(Ordering::Acquire) % self.count
    }

    /// The writer index (one past the last published slot).
    pub fn wi(&self) -> u32 {
        self.wi.load(Ordering::Acquire) % self.count
    }

    /// The slot after `i`.
    pub fn next(&self, i: u32) -> u32 {
        ((u64::from(i) + 1) % u64::from(self.count)) as u32
    }

    /// The slot before `i`.
    pub fn prev(&self, i: u32) -> u32 {
        ((u64::from(i) + u64::from(self.count) - 1) % u64::from(self.count)) as u32
    }

    /// Slots from `from` up to (not including) `to`.
    pub fn distance(&self, from: u32, to: u32) -> u32 {
        ((u64::from(to) + u64::from(self.count) - u64::from(from)) % u64::from(self.count)) as u32
    }

    /// The footer of slot `i` (`i < count`).
    pub fn footer(&self, i: u32) -> Footer {
        let raw = self.footer_word(i).load(Ordering::Acquire);
        Footer {
            state: raw >> 24,
            used: (raw & 0x00ff_ffff) as usize,
        }
    }

    fn footer_word(&self, i: u32) -> &AtomicU32 {
        let i = (i % self.count) as usize;
        // SAFETY: slot i lies inside the ring (see `new`); its last 4 bytes
        // are 4-aligned because `valsz` and the slot base are.
        unsafe { &*(self.slots.add(i * self.valsz + self.valsz - 4) as *const AtomicU32) }
    }

    /// The first `used` payload bytes of slot `i` (clamped to the slot's
    /// capacity), without copying them. The slot must be published and not
    /// yet released, so that the producer does not write it meanwhile.
    pub fn payload(&self, i: u32, used: usize) -> &'a [u8] {
        let i = (i % self.count) as usize;
        let n = used.min(self.capacity());
        // SAFETY: the n <= capacity bytes of slot i are inside the ring,
        // which lives for 'a; the producer does not write a published
        // slot's payload.
        unsafe { std::slice::from_raw_parts(self.slots.add(i * self.valsz), n) }
    }

    /// Appends the first `used` payload bytes of slot `i` to `out`
    /// (`used` is clamped to the slot's capacity).
    pub fn copy_payload(&self, i: u32, used: usize, out: &mut Vec<u8>) {
        out.extend_from_slice(self.payload(i, used));
    }

    /// Releases every slot before `to` to the producer and wakes it if it
    /// waits for room.
    pub fn pop_to(&self, to: u32) {
        self.ri.swap(to % self.count, Ordering::SeqCst);
        if self.wstate.swap(UNBLOCKED, Ordering::SeqCst) == WRITER_WAITING {
            futex_wake(self.wstate);
        }
    }

    /// Writer side: a pointer to the payload of slot `i`, `capacity()`
    /// bytes long.
    pub fn payload_mut(&self, i: u32) -> *mut u8 {
        let i = (i % self.count) as usize;
        // SAFETY: slot i lies inside the ring (see `new`).
        unsafe { self.slots.add(i * self.valsz) }
    }

    /// Writer side: sets the footer of slot `i` (before publishing it, or,
    /// for an Unreliable producer, right after).
    pub fn set_footer(&self, i: u32, state: u32, used: usize) {
        let raw = (state << 24) | (used as u32 & 0x00ff_ffff);
        self.footer_word(i).store(raw, Ordering::Release);
    }

    /// Writer side: whether slot `wi` may be written (the ring keeps one
    /// slot free).
    pub fn has_room(&self, wi: u32) -> bool {
        self.next(wi) != self.ri()
    }

    /// Writer side: publishes slot `wi`; returns the next writer index.
    pub fn push(&self, wi: u32) -> u32 {
        let next = self.next(wi);
        self.wi.swap(next, Ordering::SeqCst);
        if self.wstate.swap(UNBLOCKED, Ordering::SeqCst) == READER_WAITING {
            futex_wake(self.wstate);
        }
        next
    }

    /// Writer side: blocks until slot `wi` may be written, as `storage.H`
    /// does: a growing busy back-off (from `backoff`, which it doubles), then
    /// a wait announced in `wstate`; `on_timeout` runs every 10 ms of
    /// waiting (the producer's reconnect probe).
    pub fn reserve(
        &self,
        wi: u32,
        policy: WaitPolicy,
        backoff: &mut u32,
        mut on_timeout: impl FnMut(),
    ) {
        const TIMEOUT: Duration = Duration::from_millis(10);
        while !self.has_room(wi) {
            if *backoff < 524_288 {
                // A plain counted loop, as storage.H's back-off (a PAUSE per
                // round would stretch its ~0.5 ms to ~20 ms).
                for i in 0..*backoff {
                    std::hint::black_box(i);
                }
                *backoff *= 2;
                continue;
            }
            match self.wstate.swap(WRITER_WAITING, Ordering::SeqCst) {
                READER_WAITING => {
                    self.wstate.store(UNBLOCKED, Ordering::SeqCst);
                    futex_wake(self.wstate);
                }
                _ => {
                    while !self.has_room(wi) {
                        if wait_changed(self.wstate, WRITER_WAITING, policy, TIMEOUT) {
                            break;
                        }
                        on_timeout();
                    }
                }
            }
        }
    }

    /// Waits until the producer publishes past `seen` (the reader has read
    /// everything before it), or `timeout` passes.
    pub fn wait(&self, seen: u32, policy: WaitPolicy, timeout: Duration) {
        match policy {
            WaitPolicy::Futex => match self.wstate.swap(READER_WAITING, Ordering::SeqCst) {
                WRITER_WAITING => {
                    self.wstate.store(UNBLOCKED, Ordering::SeqCst);
                    futex_wake(self.wstate);
                }
                _ => {
                    if self.wi() == seen {
                        futex_wait(self.wstate, READER_WAITING, timeout);
                    }
                }
            },
            WaitPolicy::Spin => {
                // The producer never wakes us: poll, backing off to 100 µs.
                let start = Instant::now();
                let mut pause = Duration::from_micros(1);
                while self.wi() == seen && start.elapsed() < timeout {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_micros(100));
                }
            }
        }
    }
}

/// Waits until `word` differs from `expected`, at most `timeout`; returns
/// whether it changed (or a wake came) before the timeout.
fn wait_changed(word: &AtomicU32, expected: u32, policy: WaitPolicy, timeout: Duration) -> bool {
    match policy {
        WaitPolicy::Futex => futex_wait(word, expected, timeout),
        WaitPolicy::Spin => {
            let start = Instant::now();
            while word.load(Ordering::Acquire) == expected {
                if start.elapsed() >= timeout {
                    return false;
                }
                std::hint::spin_loop();
            }
            true
        }
    }
}

fn futex_wait(word: &AtomicU32, expected: u32, timeout: Duration) -> bool {
    let ts = libc::timespec {
        tv_sec: timeout.as_secs() as libc::time_t,
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    };
    // SAFETY: `word` is a valid, aligned u32 in shared memory; the futex is
    // not process-private because the other side is another process.
    let r = unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT,
            expected,
            &ts as *const libc::timespec,
            std::ptr::null::<u32>(),
            0,
        )
    };
    r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ETIMEDOUT)
}

fn futex_wake(word: &AtomicU32) {
    // SAFETY: as in `futex_wait`; waking has no other precondition.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE, 1);
    }
}
