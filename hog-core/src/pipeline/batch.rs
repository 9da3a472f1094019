//! Owned batches of transactions, built by sources and lent to sinks.

use abi_stable::std_types::RSlice;

use crate::plugin::BatchRef;

/// Consecutive transactions of one stream, owned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    stream_id: u64,
    first_seq: u64,
    data: Vec<u8>,
    ends: Vec<u64>,
}

impl Batch {
    /// An empty batch of `stream_id` whose first transaction will be `first_seq`.
    pub fn new(stream_id: u64, first_seq: u64) -> Self {
        Self {
            stream_id,
            first_seq,
            data: Vec::new(),
            ends: Vec::new(),
        }
    }

    /// Appends one transaction.
    pub fn push(&mut self, transaction: &[u8]) {
        self.data.extend_from_slice(transaction);
        self.ends.push(self.data.len() as u64);
    }

    /// Appends one transaction written in place by `write`.
    pub fn push_with(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        write(&mut self.data);
        self.ends.push(self.data.len() as u64);
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

    /// The whole batch, borrowed for a sink.
    pub fn as_ref(&self) -> BatchRef<'_> {
        self.from_seq(self.first_seq)
    }

    /// The part of the batch from sequence `seq` on (empty if `seq` is past
    /// the end): what a sink that already holds `..seq` still needs.
    pub fn from_seq(&self, seq: u64) -> BatchRef<'_> {
        let skip = seq
            .saturating_sub(self.first_seq)
            .min(self.ends.len() as u64) as usize;
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
}
