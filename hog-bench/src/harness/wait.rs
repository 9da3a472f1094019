//! Polling with a deadline.

use std::time::{Duration, Instant};

/// Polls `done` every 10 ms until it holds or `timeout` passes.
pub fn wait_until(timeout: Duration, what: &str, done: impl FnMut() -> bool) -> Result<(), String> {
    wait_every(Duration::from_millis(10), timeout, what, done)
}

/// Polls `done` every `every` until it holds or `timeout` passes.
pub fn wait_every(
    every: Duration,
    timeout: Duration,
    what: &str,
    mut done: impl FnMut() -> bool,
) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    while !done() {
        if Instant::now() >= deadline {
            return Err(format!("timed out after {timeout:?} waiting for {what}"));
        }
        std::thread::sleep(every);
    }
    Ok(())
}
