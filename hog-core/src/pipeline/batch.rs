//! Owned batches of transactions, built by sources and lent to sinks.

use abi_stable::std_types::RSlice;

use crate::plugin::BatchRef;
use crate::types::{DecodeError, StatementTable};
use crate::wire::legacy::{each_transaction, WireError};

/// Why a segment's payload is not a batch of its stream.
#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    /// The payload is not whole transactions.
    #[error(transparent)]
    Torn(#[from] WireError),
    /// A transaction whose records do not decode.
    #[error("transaction {seq}: {source}")]
    Transaction {
        /// Its sequence number.
        seq: u64,
        /// What is wrong with it.
        source: DecodeError,
    },
}

/// Consecutive transactions of one stream, owned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    stream_id: u64,
    first_seq: u64,
    data: Vec<u8>,
    ends: Vec<u64>,
    /// Records in transactions up to and including each one (a running
    /// count: the records of any tail are one subtraction away), kept only
    /// once a transaction holds other than one record: while it is empty,
    /// every transaction holds one, the common case, which costs nothing.
    record_ends: Vec<u64>,
}

impl Batch {
    /// An empty batch of `stream_id` whose first transaction will be `first_seq`.
    pub fn new(stream_id: u64, first_seq: u64) -> Self {
        Self {
            stream_id,
            first_seq,
            data: Vec::new(),
            ends: Vec::new(),
            record_ends: Vec::new(),
        }
    }

    /// The transactions of a segment's `payload` (`u64` length, bytes, …)
    /// as a batch of stream `stream_id` from `first_seq`, each one checked
    /// against the stream's statement `table` (ids and values decode).
    pub fn checked(
        stream_id: u64,
        first_seq: u64,
        payload: &[u8],
        table: &StatementTable,
    ) -> Result<Batch, SegmentError> {
        let mut batch = Batch::new(stream_id, first_seq);
        for txn in each_transaction(payload) {
            let txn = txn?;
            let records = table
                .count(txn)
                .map_err(|source| SegmentError::Transaction {
                    seq: first_seq + batch.len() as u64,
                    source,
                })?;
            batch.push_records(txn, records);
        }
        Ok(batch)
    }

    /// Appends one transaction of one record.
    pub fn push(&mut self, transaction: &[u8]) {
        self.push_records(transaction, 1);
    }

    /// Appends a transaction that holds `records` records.
    pub fn push_records(&mut self, transaction: &[u8], records: u64) {
        self.data.extend_from_slice(transaction);
        self.ends.push(self.data.len() as u64);
        self.count(records);
    }

    /// Counts the records of the transaction just appended.
    fn count(&mut self, records: u64) {
        if self.record_ends.is_empty() {
            if records == 1 {
                return;
            }
            // The first transaction of another size: the running counts of
            // those before it (one record each) become explicit.
            self.record_ends = (1..self.ends.len() as u64).collect();
        }
        let before = self.record_ends.last().copied().unwrap_or(0);
        self.record_ends.push(before + records);
    }

    /// Records in the first `n` transactions.
    fn records_in(&self, n: usize) -> u64 {
        match n {
            0 => 0,
            _ if self.record_ends.is_empty() => n as u64,
            _ => self.record_ends[n - 1],
        }
    }

    /// Appends a transaction written in place by `fill`, if `check` (given
    /// its bytes) accepts it and says how many records it holds; a refused
    /// transaction leaves the batch as it was.
    pub fn push_checked<E>(
        &mut self,
        fill: impl FnOnce(&mut Vec<u8>),
        check: impl FnOnce(&[u8]) -> Result<u64, E>,
    ) -> Result<(), E> {
        let start = self.data.len();
        fill(&mut self.data);
        match check(&self.data[start..]) {
            Ok(records) => {
                self.ends.push(self.data.len() as u64);
                self.count(records);
                Ok(())
            }
            Err(e) => {
                self.data.truncate(start);
                Err(e)
            }
        }
    }

    /// Appends one transaction of one record, written in place by `write`.
    pub fn push_with(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        let one = |_: &[u8]| Ok::<_, std::convert::Infallible>(1);
        let Ok(()) = self.push_checked(write, one);
    }

    /// The stream the batch belongs to.
    pub fn stream_id(&self) -> u64 {
        self.stream_id
    }

    /// Sequence number of the first transaction.
    pub fn first_seq(&self) -> u64 {
        self.first_seq
    }

    /// Sequence number one past the last transaction.
    pub fn end_seq(&self) -> u64 {
        self.first_seq + self.ends.len() as u64
    }

    /// Number of transactions.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the batch holds no transaction.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Payload bytes in the batch.
    pub fn byte_len(&self) -> usize {
        self.data.len()
    }

    /// Records in the transactions from sequence `seq` on.
    pub fn records_from(&self, seq: u64) -> u64 {
        self.records_in(self.ends.len()) - self.records_in(self.skip(seq))
    }

    /// Payload bytes of the transactions from sequence `seq` on.
    pub fn bytes_from(&self, seq: u64) -> u64 {
        let skip = self.skip(seq);
        self.data.len() as u64 - if skip == 0 { 0 } else { self.ends[skip - 1] }
    }

    /// How many transactions precede sequence `seq`.
    fn skip(&self, seq: u64) -> usize {
        seq.saturating_sub(self.first_seq)
            .min(self.ends.len() as u64) as usize
    }

    /// The whole batch, borrowed for a sink.
    pub fn as_ref(&self) -> BatchRef<'_> {
        self.from_seq(self.first_seq)
    }

    /// The part of the batch from sequence `seq` on (empty if `seq` is past
    /// the end): what a sink that already holds `..seq` still needs.
    pub fn from_seq(&self, seq: u64) -> BatchRef<'_> {
        let skip = self.skip(seq);
        BatchRef {
            stream_id: self.stream_id,
            first_seq: self.first_seq + skip as u64,
            data: RSlice::from_slice(&self.data),
            start: if skip == 0 { 0 } else { self.ends[skip - 1] },
            ends: RSlice::from_slice(&self.ends[skip..]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimmed_batch_yields_the_remaining_transactions() {
        let mut batch = Batch::new(7, 10);
        for t in [&b"a"[..], b"bb", b"ccc"] {
            batch.push(t);
        }
        let all: Vec<_> = batch.as_ref().transactions().collect();
        assert_eq!(all, vec![(10, &b"a"[..]), (11, b"bb"), (12, b"ccc")]);
        let rest: Vec<_> = batch.from_seq(12).transactions().collect();
        assert_eq!(rest, vec![(12, &b"ccc"[..])]);
        assert!(batch.from_seq(13).is_empty());
        assert_eq!(batch.from_seq(13).first_seq, 13);
        assert_eq!(batch.from_seq(3).len(), 3);
    }

    #[test]
    fn records_and_bytes_of_a_tail_are_counted() {
        let mut batch = Batch::new(7, 10);
        batch.push_records(b"aa", 2);
        batch.push(b"b");
        batch.push_records(b"cccc", 3);
        assert_eq!(batch.records_from(0), 6);
        assert_eq!(batch.records_from(11), 4);
        assert_eq!(batch.records_from(12), 3);
        assert_eq!(batch.records_from(13), 0);
        assert_eq!(batch.bytes_from(10), 7);
        assert_eq!(batch.bytes_from(12), 4);
        assert_eq!(batch.bytes_from(99), 0);
    }

    #[test]
    fn records_of_one_record_transactions_then_others_are_counted() {
        let mut batch = Batch::new(0, 0);
        batch.push(b"a");
        batch.push(b"b");
        assert_eq!(batch.records_from(1), 1);
        batch.push_records(b"cc", 4);
        batch.push(b"d");
        assert_eq!(batch.records_from(0), 7);
        assert_eq!(batch.records_from(1), 6);
        assert_eq!(batch.records_from(2), 5);
        assert_eq!(batch.records_from(3), 1);
    }
}
