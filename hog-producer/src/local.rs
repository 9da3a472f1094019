//! Each thread's writers for `'static` groups, created on first use, as
//! `storage.H` gives each thread its own ring lazily.
//!
//! Writers live in a thread-local table indexed by group, so finding this
//! thread's writer is a thread-local access and a `RefCell` borrow: no
//! lock. A thread's first record creates its ring (and registers it, a
//! system call on the group's socket); the following ones only write into
//! the ring.

use std::cell::RefCell;

use crate::group::Group;
use crate::payload::Payload;
use crate::statement::StatementId;
use crate::writer::Writer;

thread_local! {
    static WRITERS: RefCell<Vec<Option<Writer<'static>>>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's writer for `group`, creating it first if
/// needed. `None` if there is no writer: its region could not be created,
/// the thread is exiting, or `f` would re-enter (a value logging while it
/// is being logged).
fn with_writer<R>(group: &'static Group, f: impl FnOnce(&mut Writer<'static>) -> R) -> Option<R> {
    WRITERS
        .try_with(|cell| {
            let mut writers = cell.try_borrow_mut().ok()?;
            let index = group.index();
            if writers.len() <= index {
                writers.resize_with(index + 1, || None);
            }
            let slot = &mut writers[index];
            if slot.is_none() {
                // A Reliable group that cannot register yet still logs into
                // its ring; it registers when hog is back (see `reconnect`).
                *slot = Some(group.open_writer().ok()?.0);
            }
            slot.as_mut().map(f)
        })
        .ok()
        .flatten()
}

/// Logging from any thread, for groups that live as long as the program
/// (a `static`, e.g. one declared with [`group!`](crate::group!)).
impl Group {
    /// Logs a record of statement `id` into this thread's ring (created on
    /// first use). Returns `false` if it was dropped.
    #[inline]
    pub fn log<P: Payload + ?Sized>(&'static self, id: StatementId, payload: &P) -> bool {
        let logged = with_writer(self, |w| w.log(id, payload));
        logged.unwrap_or_else(|| {
            self.count_drop();
            false
        })
    }

    /// Logs an already encoded record into this thread's ring. Returns
    /// `false` if it was dropped.
    pub fn record(&'static self, id: StatementId, payload: &[u8]) -> bool {
        let logged = with_writer(self, |w| w.record(id, payload));
        logged.unwrap_or_else(|| {
            self.count_drop();
            false
        })
    }

    /// Commits this thread's open transaction (`G.commit()`).
    pub fn commit(&'static self) -> bool {
        with_writer(self, Writer::commit).unwrap_or(false)
    }

    /// Rolls back this thread's open transaction (`G.rollback()`).
    pub fn rollback(&'static self) {
        with_writer(self, Writer::rollback);
    }
}
