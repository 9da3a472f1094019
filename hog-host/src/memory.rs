//! How hog's allocator treats large buffers.
//!
//! Segments and batches are buffers of megabytes, made and freed many
//! times a second. glibc maps each such buffer anew and unmaps it when it
//! is freed, so every segment paid page faults and zeroing for all of its
//! pages (a quarter of a receiving hog's CPU). Served from the heap and
//! kept once freed, the same pages are reused instead.

/// Largest allocation served from the heap (glibc's upper bound); larger
/// ones are mapped on their own.
const MMAP_THRESHOLD: i32 = 32 << 20;
/// Free memory at the top of the heap kept for reuse rather than returned.
const TRIM_THRESHOLD: i32 = 128 << 20;

/// Keeps large freed buffers for reuse (glibc only; elsewhere a no-op).
pub fn reuse_large_buffers() {
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt only changes allocator parameters; called before
    // hog starts its threads.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    }
}
