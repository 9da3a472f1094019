//! Time that two processes can compare: `CLOCK_MONOTONIC` in nanoseconds
//! (`Instant` is the same clock, but cannot be printed or parsed).

/// Nanoseconds of `CLOCK_MONOTONIC`, the same in every process.
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}
