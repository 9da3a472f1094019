//! Reassembling transactions from a ring, releasing slots only after the
//! transactions in them are durable.
//!
//! The drain reads published slots ahead of the ring's read index: CONT
//! slots accumulate, a COMMIT slot completes a transaction (appended to the
//! caller's batch), a ROLLBACK slot discards it. The read index moves to the
//! slot after the last complete transaction only when the caller says the
//! batch is durable ([`Drain::release`]), so a kill of hog at any instant
//! loses nothing the producer committed: the next hog re-reads from there.
//!
//! One exception is forced by the protocol: a transaction larger than the
//! ring can only complete if its first slots are released before it ends.
//! Those slots are released early ([`Drain::release_partial`]); if hog dies
//! before the COMMIT, the next hog finds the read index inside a transaction
//! and skips to the next boundary, saying how many bytes it dropped.

use crate::pipeline::Batch;
use crate::plugin::SourceCursor;
use crate::types::DecodeError;

use super::ring::{state, Ring};

/// The largest transaction hog reassembles (its slots are buffered in
/// memory once released early): a ring that never commits is refused
/// rather than allowed to take all memory.
pub const MAX_TRANSACTION: usize = 1 << 30;

/// Why reading stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Everything published has been read.
    CaughtUp,
    /// The batch reached its byte limit; more may be published.
    BatchFull,
    /// The next slot is TENTATIVE: an Unreliable producer has not decided
    /// its state yet.
    Tentative,
}

/// Why a ring cannot be read further.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrainError {
    /// A slot footer cannot be right.
    #[error("slot {slot}: footer {footer:#010x} is invalid ({why})")]
    Slot {
        /// The slot index.
        slot: u32,
        /// The raw footer.
        footer: u32,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A transaction cannot be taken from the ring.
    #[error("transaction {seq}: {why}")]
    Transaction {
        /// Its sequence number.
        seq: u64,
        /// What is wrong with it.
        #[source]
        why: TransactionFault,
    },
}

/// What is wrong with a transaction in a ring.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransactionFault {
    /// It grew past [`MAX_TRANSACTION`] bytes without a commit.
    #[error("larger than {MAX_TRANSACTION} bytes without a commit")]
    Unbounded,
    /// It was committed, and a record of it does not decode.
    #[error(transparent)]
    Record(#[from] DecodeError),
}

/// Reassembly state of one ring.
#[derive(Debug)]
pub struct Drain {
    cursor: u32,
    boundary: u32,
    pending: Vec<u8>,
    next_seq: u64,
    discarding: bool,
    skipped: usize,
}

impl Drain {
    /// Starts reading at the ring's read index, whose transaction has
    /// sequence number `next_seq`. If the read index sits inside a
    /// transaction (a consumer died after releasing its first slots), the
    /// rest of that transaction is skipped: see [`Drain::skipped`].
    pub fn attach(ring: &Ring<'_>, next_seq: u64) -> Drain {
        let ri = ring.ri();
        let inside = ring.footer(ring.prev(ri)).state == state::CONT;
        Drain {
            cursor: ri,
            boundary: ri,
            pending: Vec::new(),
            next_seq,
            discarding: inside,
            skipped: 0,
        }
    }

    /// Whether the drain is still skipping the tail of a transaction whose
    /// start an earlier consumer released.
    pub fn resyncing(&self) -> bool {
        self.discarding
    }

    /// Bytes skipped so far by the resync at attach.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// Sequence number of the next transaction to complete.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Where the stream stands once the transactions read so far are
    /// durable: the next sequence number and the slot it starts at.
    pub fn cursor(&self) -> SourceCursor {
        SourceCursor {
            seq: self.next_seq,
            position: u64::from(self.boundary),
        }
    }

    /// The next slot to read: everything before it has been read.
    pub fn read_position(&self) -> u32 {
        self.cursor
    }

    /// Bytes of the transaction still open.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Reads published slots, appending complete transactions to `batch`
    /// (whose `first_seq` must be [`Drain::next_seq`] when it is empty),
    /// until everything published is read or the batch holds `max_bytes`.
    ///
    /// Each committed transaction must pass `check`, which returns how many
    /// records it holds; one that does not pass stops the drain before it
    /// (it stays in the ring, unreleased).
    pub fn read(
        &mut self,
        ring: &Ring<'_>,
        batch: &mut Batch,
        max_bytes: usize,
        check: impl Fn(&[u8]) -> Result<u64, DecodeError>,
    ) -> Result<Stop, DrainError> {
        let wi = ring.wi();
        while self.cursor != wi {
            let slot = self.cursor;
            let footer = ring.footer(slot);
            if footer.state == state::TENTATIVE {
                return Ok(Stop::Tentative);
            }
            let raw = (footer.state << 24) | footer.used as u32;
            if footer.state > state::ROLLBACK {
                return Err(DrainError::Slot {
                    slot,
                    footer: raw,
                    why: "unknown state",
                });
            }
            if footer.used > ring.capacity() {
                return Err(DrainError::Slot {
                    slot,
                    footer: raw,
                    why: "used bytes exceed the slot",
                });
            }
            if self.discarding {
                self.skipped += footer.used;
            } else if self.pending.len() + footer.used > MAX_TRANSACTION {
                return Err(DrainError::Transaction {
                    seq: self.next_seq,
                    why: TransactionFault::Unbounded,
                });
            } else if footer.state == state::CONT {
                ring.copy_payload(slot, footer.used, &mut self.pending);
            }
            self.cursor = ring.next(slot);
            match footer.state {
                state::CONT => continue,
                state::COMMIT if !self.discarding => {
                    // The committing slot goes from the ring straight into
                    // the batch, behind the slots buffered before it (none,
                    // in the common one-slot transaction).
                    let pending = &self.pending;
                    let fill = |out: &mut Vec<u8>| {
                        out.extend_from_slice(pending);
                        ring.copy_payload(slot, footer.used, out);
                    };
                    batch
                        .push_checked(fill, &check)
                        .map_err(|e| DrainError::Transaction {
                            seq: self.next_seq,
                            why: e.into(),
                        })?;
                    self.next_seq += 1;
                }
                _ => {}
            }
            self.discarding = false;
            self.pending.clear();
            self.boundary = self.cursor;
            if batch.byte_len() >= max_bytes {
                return Ok(Stop::BatchFull);
            }
        }
        Ok(Stop::CaughtUp)
    }

    /// Releases the slots of every transaction read so far (call once they
    /// are durable in every sink).
    pub fn release(&self, ring: &Ring<'_>) {
        if ring.ri() != self.boundary {
            ring.pop_to(self.boundary);
        }
    }

    /// Whether the ring is full of the open transaction's slots, so the
    /// producer cannot finish it unless they are released.
    pub fn must_release_partial(&self, ring: &Ring<'_>) -> bool {
        self.cursor != self.boundary
            && ring.ri() == self.boundary
            && ring.next(ring.wi()) == ring.ri()
    }

    /// Releases the open transaction's slots read so far (its bytes stay
    /// buffered here). Returns the number of bytes buffered.
    pub fn release_partial(&mut self, ring: &Ring<'_>) -> usize {
        ring.pop_to(self.cursor);
        self.boundary = self.cursor;
        self.pending.len()
    }
}
