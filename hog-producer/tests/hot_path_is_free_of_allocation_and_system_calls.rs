//! Logging a fixed-layout record into a ring with room allocates nothing,
//! makes no system call and takes no lock.
//!
//! * Allocations: a counting global allocator sees none from the logging
//!   thread once its ring exists, for the typed writer, the per-thread
//!   group writer (`group!` methods) and strings.
//! * System calls: a forked child puts itself under seccomp's strict mode
//!   (any system call but `read`, `write`, `exit` and `sigreturn` kills
//!   it) and then logs; it exits normally, and its records are in the
//!   shared ring. A lock would need `futex` once contended; none is on
//!   this path (the group's mutex guards only registration).

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use hog_core::hstore::Drain;
use hog_producer::{group, CommitMethod, Declaration, Group, Qos, Store};
use support::{attach, drain, fresh_dir, remove_region};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: defers to the system allocator; counting touches only a
// const-initialised thread-local cell, which does not allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

#[derive(Store, Clone, Copy)]
#[repr(C, packed)]
struct P3 {
    x: i32,
    y: i32,
    z: i32,
}

group! {
    static HOT: Hot = Group::new("Hot", 64, Qos::Unreliable, CommitMethod::Auto)
        .with_store_dir(fresh_dir());

    fn point(p: P3);
    fn seq(i: i64);
    fn text(s: &str);
}

const RECORDS: i64 = 500;

fn log_a_batch(base: i64) {
    let text = "x".repeat(256);
    let before = allocations();
    for i in base..base + RECORDS {
        assert!(HOT.point(P3 {
            x: i as i32,
            y: 0,
            z: 0
        }));
        assert!(HOT.seq(i));
        assert!(HOT.text(&text));
    }
    assert_eq!(allocations(), before, "allocations while logging");
}

/// Creates this thread's ring and logs each statement once.
fn warm_up() {
    assert!(HOT.seq(-1));
    assert!(HOT.point(P3 { x: -1, y: 0, z: 0 }));
    assert!(HOT.text(""));
}

#[test]
fn logging_does_not_allocate() {
    warm_up();
    log_a_batch(0);
    let mut group = Group::new("HotWriter", 64, Qos::Unreliable, CommitMethod::Manual)
        .with_store_dir(fresh_dir());
    let seq = group.declare(Declaration::of::<(i64, f64)>("seq", &[]));
    let mut writer = group.writer().unwrap();
    assert!(writer.log(seq, &(-1i64, 0.5)));
    let after_setup = allocations();
    for i in 0..RECORDS {
        assert!(writer.log(seq, &(i, 0.5)));
    }
    writer.commit();
    assert_eq!(
        allocations(),
        after_setup,
        "allocations of an explicit writer"
    );
    remove_region(&group.thread_region_name());
    remove_region(&HOT.thread_region_name());
}

#[test]
fn logging_makes_no_system_call() {
    warm_up();
    let name = HOT.thread_region_name();
    // SAFETY: the child runs only code that neither allocates nor takes
    // locks (what this test proves), then leaves with a raw `exit`.
    let child = unsafe { libc::fork() };
    assert!(child >= 0, "fork");
    if child == 0 {
        // SAFETY: prctl with constant arguments; `exit` ends the thread
        // without running anything else.
        unsafe {
            if libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_STRICT) != 0 {
                libc::syscall(libc::SYS_exit, 3);
            }
            log_a_batch(0);
            HOT.commit();
            libc::syscall(libc::SYS_exit, 0);
        }
    }
    let mut status = 0;
    // SAFETY: waits for the child forked above.
    assert_eq!(unsafe { libc::waitpid(child, &mut status, 0) }, child);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the child was killed by signal {} (a system call) or failed",
        libc::WTERMSIG(status)
    );
    // The child's records are in the shared ring, after the warm-up's.
    let region = attach(&name);
    let mut reader = Drain::attach(&region.ring(), 0);
    let bytes: usize = drain(&region, &mut reader).iter().map(Vec::len).sum();
    let warm_up = 12 + 16 + 12;
    assert_eq!(
        bytes,
        warm_up + RECORDS as usize * ((4 + 12) + (4 + 8) + (4 + 8 + 256))
    );
    remove_region(&name);
}
