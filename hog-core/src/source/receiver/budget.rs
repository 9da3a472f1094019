//! One memory budget for every connection of a receiver.
//!
//! Before a connection inflates a segment (or a hobbes init) it takes the
//! frame's bytes plus twice what the frame says it inflates to (the
//! payload, and the batch made of it) from the budget, and gives them back
//! once the segment is delivered. While the budget is spent, connections
//! wait for each other: a receiver under load, or under attack, slows its
//! senders down instead of exhausting the host. A connection that waits
//! longer than its patience is dropped (its sender reconnects and sends the
//! segment again), so waits never form a cycle.

use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::error::ConnError;

/// Bytes the connections of a receiver may hold at once.
#[derive(Debug)]
pub(super) struct Budget {
    limit: u64,
    used: Mutex<u64>,
    freed: Condvar,
}

/// Bytes taken from a [`Budget`], given back on drop.
#[derive(Debug)]
pub(super) struct Held<'a> {
    budget: &'a Budget,
    bytes: u64,
}

impl Budget {
    /// A budget of `limit` bytes.
    pub(super) fn new(limit: u64) -> Budget {
        Budget {
            limit: limit.max(1),
            used: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    /// Takes `bytes` (at most the whole budget), waiting up to `patience`
    /// while other connections hold too much.
    pub(super) fn take(&self, bytes: u64, patience: Duration) -> Result<Held<'_>, ConnError> {
        let bytes = bytes.min(self.limit);
        let deadline = Instant::now() + patience;
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        while *used + bytes > self.limit {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ConnError::Memory {
                    bytes,
                    limit: self.limit,
                });
            }
            used = self
                .freed
                .wait_timeout(used, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        *used += bytes;
        Ok(Held {
            budget: self,
            bytes,
        })
    }

    /// Bytes held now.
    #[cfg(test)]
    fn used(&self) -> u64 {
        *self.used.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let mut used = self
            .budget
            .used
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *used -= self.bytes;
        self.budget.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spent_budget_makes_others_wait_then_gives_up() {
        let budget = Budget::new(100);
        let a = budget.take(70, Duration::ZERO).unwrap();
        assert_eq!(budget.used(), 70);
        // More than is left: refused once patience runs out.
        let started = Instant::now();
        let e = budget.take(40, Duration::from_millis(50)).unwrap_err();
        assert!(started.elapsed() >= Duration::from_millis(50));
        assert!(e.to_string().contains("100"), "{e}");
        // Served as soon as the holder lets go.
        std::thread::scope(|s| {
            let waiter = s.spawn(|| budget.take(40, Duration::from_secs(10)).map(|h| h.bytes));
            std::thread::sleep(Duration::from_millis(20));
            drop(a);
            assert_eq!(waiter.join().unwrap().unwrap(), 40);
        });
        assert_eq!(budget.used(), 0);
        // A request larger than the whole budget takes all of it.
        let all = budget.take(1 << 40, Duration::ZERO).unwrap();
        assert_eq!((all.bytes, budget.used()), (100, 100));
    }
}
