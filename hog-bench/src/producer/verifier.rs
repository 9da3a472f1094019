//! Checks a byte stream of ring records (`u32` statement id, then the
//! payload) against a workload: records 0, 1, 2, … exactly, in order.
//! A drainer runs it and must keep up with the producer, so it is cheap:
//! p3 and i64 values are decoded (a few ns), an s256 record is compared
//! byte for byte with the one expected next (parsing its 20 digits would
//! cost more than the producer's call).

use crate::workload::{Encoder, Workload};

/// The state of a check: how far it got.
pub struct Verifier {
    workload: Workload,
    record_len: usize,
    next: u64,
    expected: Encoder,
    carry: Vec<u8>,
}

impl Verifier {
    /// A check expecting record 0 next.
    pub fn new(workload: Workload) -> Verifier {
        Verifier {
            workload,
            record_len: workload.record_len(),
            next: 0,
            expected: Encoder::new(workload),
            carry: Vec::new(),
        }
    }

    /// Records checked so far.
    pub fn records(&self) -> u64 {
        self.next
    }

    /// Whether no partial record is pending.
    pub fn at_boundary(&self) -> bool {
        self.carry.is_empty()
    }

    /// Checks the records in `bytes`; a record may continue in the next call.
    pub fn feed(&mut self, mut bytes: &[u8]) -> Result<(), String> {
        if !self.carry.is_empty() {
            let need = (self.record_len - self.carry.len()).min(bytes.len());
            self.carry.extend_from_slice(&bytes[..need]);
            bytes = &bytes[need..];
            if self.carry.len() < self.record_len {
                return Ok(());
            }
            let record = std::mem::take(&mut self.carry);
            self.check(&record)?;
        }
        let mut records = bytes.chunks_exact(self.record_len);
        for record in &mut records {
            self.check(record)?;
        }
        self.carry.extend_from_slice(records.remainder());
        Ok(())
    }

    #[inline]
    fn check(&mut self, record: &[u8]) -> Result<(), String> {
        let payload = &record[4..];
        let good = record[..4] == [0; 4]
            && match self.workload {
                Workload::S256 => {
                    let same = payload == self.expected.bytes();
                    self.expected.advance(self.next);
                    same
                }
                w => w.index_of_payload(payload) == Some(self.next),
            };
        if !good {
            let id = u32::from_le_bytes(record[..4].try_into().expect("4 bytes"));
            let index = self.workload.index_of_payload(&record[4..]);
            return Err(format!(
                "record {} of {}: statement {id}, index {index:?}",
                self.next, self.workload
            ));
        }
        self.next += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(w: Workload, n: u64) -> Vec<u8> {
        (0..n)
            .flat_map(|i| {
                let mut r = 0u32.to_le_bytes().to_vec();
                r.extend(w.payload(i));
                r
            })
            .collect()
    }

    #[test]
    fn records_split_anywhere_are_checked_in_order() {
        for w in Workload::ALL {
            let bytes = stream(w, 100);
            let mut v = Verifier::new(w);
            for piece in bytes.chunks(37) {
                v.feed(piece).unwrap();
            }
            assert_eq!(v.records(), 100);
            assert!(v.at_boundary());
        }
    }

    #[test]
    fn a_gap_is_an_error() {
        let w = Workload::I64;
        let mut bytes = stream(w, 10);
        bytes.drain(3 * 12..4 * 12);
        assert!(Verifier::new(w).feed(&bytes).is_err());
    }
}
