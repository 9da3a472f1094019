//! The three workloads: what a record of each holds, its hobbes type
//! description, how the producer encodes record `i` and how a reader checks
//! that a value is record `i`'s.
//!
//! - `p3`: a packed struct `{x:int, y:int, z:int}` = (i, hash(i), i >> 10);
//! - `i64`: one `long`, i;
//! - `s256`: a 256-character string whose first 20 characters are i in
//!   decimal, zero-padded, the rest a fixed filler.

use std::fmt;
use std::str::FromStr;

/// A benchmark workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// A packed struct of three ints.
    P3,
    /// One int64.
    I64,
    /// A 256-byte string.
    S256,
}

/// Characters of the string of `s256`.
pub const S256_LEN: usize = 256;
/// Leading characters of an `s256` string that hold the index.
pub const S256_DIGITS: usize = 20;

const INT: &[u8] = b"\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00int\x00";
const LONG: &[u8] = b"\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00long\x00";
const STRING: &[u8] = b"\x05\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00char\x00";

impl Workload {
    /// Every workload, in report order.
    pub const ALL: [Workload; 3] = [Workload::P3, Workload::I64, Workload::S256];

    /// Its name, also the statement's name.
    pub fn name(self) -> &'static str {
        match self {
            Workload::P3 => "p3",
            Workload::I64 => "i64",
            Workload::S256 => "s256",
        }
    }

    /// Records per run of the full benchmark.
    pub fn full_records(self) -> u64 {
        match self {
            Workload::P3 | Workload::I64 => 20_000_000,
            Workload::S256 => 2_000_000,
        }
    }

    /// The hobbes type description of the payload (hstore protocol §7).
    pub fn type_desc(self) -> Vec<u8> {
        match self {
            Workload::P3 => {
                let mut d = vec![7, 0, 0, 0];
                d.extend_from_slice(&3u64.to_le_bytes());
                for name in ["x", "y", "z"] {
                    d.extend_from_slice(&(name.len() as u64).to_le_bytes());
                    d.extend_from_slice(name.as_bytes());
                    d.extend_from_slice(&u32::MAX.to_le_bytes());
                    d.extend_from_slice(INT);
                }
                d
            }
            Workload::I64 => LONG.to_vec(),
            Workload::S256 => STRING.to_vec(),
        }
    }

    /// Bytes of an encoded payload (packed, hstore protocol §8).
    pub fn payload_len(self) -> usize {
        match self {
            Workload::P3 => 12,
            Workload::I64 => 8,
            Workload::S256 => 8 + S256_LEN,
        }
    }

    /// Bytes a record takes in the ring: statement id and payload.
    pub fn record_len(self) -> usize {
        4 + self.payload_len()
    }

    /// The payload of record `i`, for checks; the producer uses [`Encoder`].
    pub fn payload(self, i: u64) -> Vec<u8> {
        let mut e = Encoder::new(self);
        e.set(i);
        e.bytes().to_vec()
    }

    /// The index a payload claims to be, if it is a well-formed payload of
    /// this workload whose other parts match that index.
    pub fn index_of_payload(self, p: &[u8]) -> Option<u64> {
        match self {
            Workload::P3 => {
                let int = |k: usize| -> Option<i64> {
                    let b = p.get(4 * k..4 * k + 4)?;
                    Some(i32::from_le_bytes(b.try_into().ok()?).into())
                };
                if p.len() != 12 {
                    return None;
                }
                p3_index(int(0)?, int(1)?, int(2)?)
            }
            Workload::I64 => {
                let v = i64::from_le_bytes(p.get(..8)?.try_into().ok()?);
                (p.len() == 8 && v >= 0).then_some(v as u64)
            }
            Workload::S256 => {
                let len = u64::from_le_bytes(p.get(..8)?.try_into().ok()?);
                (len == S256_LEN as u64 && p.len() == 8 + S256_LEN)
                    .then(|| s256_index(&p[8..]))
                    .flatten()
            }
        }
    }
}

/// The index of a p3 record `(x, y, z)`, if `y` and `z` belong to `x`.
pub fn p3_index(x: i64, y: i64, z: i64) -> Option<u64> {
    let i = u64::try_from(x).ok()?;
    (y == i64::from(hash(i)) && z == (i >> 10) as i64).then_some(i)
}

/// The index an `s256` string holds, if it is one of ours.
pub fn s256_index(s: &[u8]) -> Option<u64> {
    if s.len() != S256_LEN || s[S256_DIGITS..] != FILLER[S256_DIGITS..] {
        return None;
    }
    s[..S256_DIGITS].iter().try_fold(0u64, |v, &d| {
        d.is_ascii_digit()
            .then(|| v.checked_mul(10)?.checked_add(u64::from(d - b'0')))
            .flatten()
    })
}

/// The `y` of p3 record `i`: a multiplicative hash.
#[inline]
pub fn hash(i: u64) -> i32 {
    (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as u32 as i32
}

/// An `s256` string before its digits are set: zeros, then letters.
const FILLER: [u8; S256_LEN] = {
    let mut s = [0u8; S256_LEN];
    let mut k = 0;
    while k < S256_LEN {
        s[k] = if k < S256_DIGITS {
            b'0'
        } else {
            b'a' + (k % 26) as u8
        };
        k += 1;
    }
    s
};

/// Encodes consecutive records of a workload into one reused buffer.
pub struct Encoder {
    workload: Workload,
    buf: Vec<u8>,
}

impl Encoder {
    /// An encoder for `workload`, holding record 0.
    pub fn new(workload: Workload) -> Encoder {
        let mut buf = vec![0u8; workload.payload_len()];
        if workload == Workload::S256 {
            buf[..8].copy_from_slice(&(S256_LEN as u64).to_le_bytes());
            buf[8..].copy_from_slice(&FILLER);
        }
        let mut e = Encoder { workload, buf };
        e.set(0);
        e
    }

    /// Makes the buffer hold record `i`.
    #[inline]
    pub fn set(&mut self, i: u64) {
        match self.workload {
            Workload::P3 => {
                self.buf[0..4].copy_from_slice(&(i as i32).to_le_bytes());
                self.buf[4..8].copy_from_slice(&hash(i).to_le_bytes());
                self.buf[8..12].copy_from_slice(&((i >> 10) as i32).to_le_bytes());
            }
            Workload::I64 => self.buf.copy_from_slice(&(i as i64).to_le_bytes()),
            Workload::S256 => {
                let digits = &mut self.buf[8..8 + S256_DIGITS];
                let mut v = i;
                for d in digits.iter_mut().rev() {
                    *d = b'0' + (v % 10) as u8;
                    v /= 10;
                }
            }
        }
    }

    /// Makes the buffer hold the record after the one it holds, `i`
    /// (cheaper than [`Encoder::set`] for strings: a decimal increment).
    #[inline]
    pub fn advance(&mut self, i: u64) {
        match self.workload {
            Workload::S256 => {
                for d in self.buf[8..8 + S256_DIGITS].iter_mut().rev() {
                    if *d == b'9' {
                        *d = b'0';
                    } else {
                        *d += 1;
                        return;
                    }
                }
            }
            _ => self.set(i + 1),
        }
    }

    /// The encoded payload.
    #[inline]
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Workload {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Workload::ALL
            .into_iter()
            .find(|w| w.name() == s)
            .ok_or_else(|| format!("unknown workload '{s}' (p3, i64, s256)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_to_their_index() {
        for w in Workload::ALL {
            let mut e = Encoder::new(w);
            for i in [0u64, 1, 9, 10, 1023, 1024, 19_999_999] {
                e.set(i);
                assert_eq!(e.bytes().len(), w.payload_len());
                assert_eq!(w.index_of_payload(e.bytes()), Some(i), "{w} {i}");
            }
        }
    }

    #[test]
    fn advance_equals_set() {
        for w in Workload::ALL {
            let mut a = Encoder::new(w);
            for i in 0..12_345u64 {
                a.advance(i);
                assert_eq!(a.bytes(), w.payload(i + 1).as_slice(), "{w} {i}");
            }
        }
    }

    #[test]
    fn a_wrong_field_is_caught() {
        let mut p = Workload::P3.payload(77);
        p[4] ^= 1;
        assert_eq!(Workload::P3.index_of_payload(&p), None);
        let mut s = Workload::S256.payload(77);
        s[100] = b'!';
        assert_eq!(Workload::S256.index_of_payload(&s), None);
    }

    #[test]
    fn type_descriptions_are_the_documented_bytes() {
        let p3 = Workload::P3.type_desc();
        assert_eq!(
            &p3[..12],
            b"\x07\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00"
        );
        assert_eq!(p3.len(), 12 + 3 * (8 + 1 + 4 + INT.len()));
    }
}
