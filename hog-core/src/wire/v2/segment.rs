//! v2 segments: a run of transactions `first_seq..first_seq + count`,
//! compressed with a [`Codec`], protected by a CRC-32.
//!
//! ```text
//! u8 3, u64 first_seq, u64 count, u8 codec, u32 crc32, compressed payload
//! ```
//!
//! The CRC covers every byte of the message but itself (header and
//! compressed payload), so a receiver rejects a damaged frame before it
//! decompresses anything and a flipped bit in `first_seq` cannot misplace
//! a segment. The content is covered again by the codec's own check (gzip's
//! CRC-32, zstd's content checksum, which this hog always writes), which
//! also guards the spooled copy on the sender's disk. The uncompressed
//! payload is the legacy one: `(u64 len, transaction bytes)*`.

use std::io::Read;

use crate::types::Cursor;
use crate::wire::legacy::{self, WireError};

use super::kind::SEGMENT;

/// How a segment's payload is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// Stored as is.
    None = 0,
    /// gzip, as the legacy protocol sends it.
    Gzip = 1,
    /// Zstandard, one frame with a content checksum.
    Zstd = 2,
    /// Zstandard over the payload with its fixed-size rows transposed
    /// (see `rows`); what this hog spools for v2 destinations.
    ZstdRows = 3,
}

/// Largest zstd window a receiver accepts (2^24 = 16 MiB; level 19 needs
/// 2^23): bounds the decoder's memory whatever the frame asks for.
const ZSTD_WINDOW_LOG_MAX: u32 = 24;

impl Codec {
    /// The codec with wire value `n`.
    pub fn from_u8(n: u8) -> Option<Codec> {
        match n {
            0 => Some(Codec::None),
            1 => Some(Codec::Gzip),
            2 => Some(Codec::Zstd),
            3 => Some(Codec::ZstdRows),
            _ => None,
        }
    }

    /// This codec's bit in a receiver's list of accepted codecs.
    pub fn bit(self) -> u8 {
        1 << self as u8
    }

    /// Every codec this hog decodes.
    pub fn all_bits() -> u8 {
        Codec::None.bit() | Codec::Gzip.bit() | Codec::Zstd.bit() | Codec::ZstdRows.bit()
    }

    /// The file name extension of a spooled segment.
    pub fn extension(self) -> &'static str {
        match self {
            Codec::None => "raw",
            Codec::Gzip => "gz",
            Codec::Zstd => "zst",
            Codec::ZstdRows => "zsr",
        }
    }

    /// The codec of extension `ext`.
    pub fn from_extension(ext: &str) -> Option<Codec> {
        [Codec::None, Codec::Gzip, Codec::Zstd, Codec::ZstdRows]
            .into_iter()
            .find(|c| c.extension() == ext)
    }

    /// Compresses `payload` at `level` (gzip 0..=9, zstd 1..=19).
    pub fn compress(self, payload: &[u8], level: i32) -> Vec<u8> {
        match self {
            Codec::None => payload.to_vec(),
            Codec::Gzip => legacy::gzip(payload, level.clamp(0, 12) as u32),
            Codec::Zstd => zstd(payload, level),
            Codec::ZstdRows => zstd(&super::rows::transpose(payload), level),
        }
    }

    /// What `bytes` say they inflate to, if they say: zstd's frame content
    /// size, gzip's trailer, the length of an uncompressed payload. A
    /// hostile sender may lie; decompressing with this as the bound makes
    /// the lie an error.
    pub fn declared_len(self, bytes: &[u8]) -> Option<u64> {
        match self {
            Codec::None => Some(bytes.len() as u64),
            Codec::Gzip => legacy::gzip_declared_len(bytes),
            Codec::Zstd | Codec::ZstdRows => zstd::zstd_safe::get_frame_content_size(bytes)
                .ok()
                .flatten(),
        }
    }

    /// Decompresses one complete stream of at most `max` bytes; corrupt,
    /// truncated or trailing input is an error.
    pub fn decompress(
        self,
        bytes: &[u8],
        max: u64,
        what: &'static str,
    ) -> Result<Vec<u8>, WireError> {
        match self {
            Codec::None => {
                if bytes.len() as u64 > max {
                    return Err(WireError::TooLarge {
                        what,
                        len: bytes.len() as u64,
                        max,
                    });
                }
                Ok(bytes.to_vec())
            }
            Codec::Gzip => legacy::gunzip(bytes, max, what),
            Codec::Zstd => unzstd(bytes, max, what),
            Codec::ZstdRows => {
                super::rows::restore(unzstd(bytes, max.saturating_add(16), what)?, what)
            }
        }
    }
}

fn zstd(payload: &[u8], level: i32) -> Vec<u8> {
    let mut c = zstd::bulk::Compressor::new(level.clamp(1, 19)).expect("a valid zstd level");
    c.include_checksum(true).expect("a valid zstd parameter");
    c.compress(payload)
        .expect("zstd compresses into a growing buffer")
}

fn unzstd(bytes: &[u8], max: u64, what: &'static str) -> Result<Vec<u8>, WireError> {
    let corrupt = |e: std::io::Error| {
        WireError::Invalid(format!("{what}: corrupt or truncated zstd frame: {e}"))
    };
    let mut dec = zstd::stream::read::Decoder::with_buffer(bytes)
        .map_err(corrupt)?
        .single_frame();
    dec.window_log_max(ZSTD_WINDOW_LOG_MAX).map_err(corrupt)?;
    let mut out = Vec::new();
    (&mut dec)
        .take(max + 1)
        .read_to_end(&mut out)
        .map_err(corrupt)?;
    if out.len() as u64 > max {
        return Err(WireError::TooLarge {
            what,
            len: out.len() as u64,
            max,
        });
    }
    let rest = dec.finish();
    if !rest.is_empty() {
        return Err(WireError::Invalid(format!(
            "{what}: {} bytes after the zstd frame",
            rest.len()
        )));
    }
    Ok(out)
}

/// Length of a segment message's header (kind to CRC).
pub const HEADER_LEN: usize = 1 + 8 + 8 + 1 + 4;

/// A segment message, borrowing its compressed payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentFrame<'a> {
    /// Sequence number of the first transaction.
    pub first_seq: u64,
    /// Number of transactions.
    pub count: u64,
    /// How the payload is compressed.
    pub codec: Codec,
    /// The CRC-32 the sender computed.
    pub crc: u32,
    /// The compressed payload.
    pub payload: &'a [u8],
}

impl<'a> SegmentFrame<'a> {
    /// A segment of `count` transactions from `first_seq`, already
    /// compressed with `codec`; computes its CRC.
    pub fn new(first_seq: u64, count: u64, codec: Codec, payload: &'a [u8]) -> Self {
        let mut seg = SegmentFrame {
            first_seq,
            count,
            codec,
            crc: 0,
            payload,
        };
        seg.crc = seg.expected_crc();
        seg
    }

    fn fields(&self) -> [u8; HEADER_LEN - 4] {
        let mut out = [0u8; HEADER_LEN - 4];
        out[0] = SEGMENT;
        out[1..9].copy_from_slice(&self.first_seq.to_le_bytes());
        out[9..17].copy_from_slice(&self.count.to_le_bytes());
        out[17] = self.codec as u8;
        out
    }

    fn expected_crc(&self) -> u32 {
        let mut h = crc32fast::Hasher::new();
        h.update(&self.fields());
        h.update(self.payload);
        h.finalize()
    }

    /// The message header, to be followed by the payload.
    pub fn header(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[..HEADER_LEN - 4].copy_from_slice(&self.fields());
        out[HEADER_LEN - 4..].copy_from_slice(&self.crc.to_le_bytes());
        out
    }

    /// Parses a segment message (its CRC is checked by [`open`](Self::open)).
    pub fn decode(message: &'a [u8]) -> Result<Self, WireError> {
        let bad = |e: crate::types::DecodeError| WireError::Invalid(format!("v2 segment: {e}"));
        let mut c = Cursor::new(message);
        c.u8("type").map_err(bad)?;
        let first_seq = c.u64("first sequence number").map_err(bad)?;
        let count = c.u64("count").map_err(bad)?;
        let codec = c.u8("codec").map_err(bad)?;
        let codec = Codec::from_u8(codec)
            .ok_or_else(|| WireError::Invalid(format!("v2 segment: unknown codec {codec}")))?;
        let crc = c.u32("crc").map_err(bad)?;
        if first_seq.checked_add(count).is_none() {
            return Err(WireError::Invalid(format!(
                "v2 segment: {count} transactions from {first_seq} overflow"
            )));
        }
        Ok(SegmentFrame {
            first_seq,
            count,
            codec,
            crc,
            payload: &message[HEADER_LEN..],
        })
    }

    /// Sequence number one past the last transaction.
    pub fn end_seq(&self) -> u64 {
        self.first_seq + self.count
    }

    /// Checks the CRC, decompresses (at most `max` bytes) and checks that
    /// the payload holds exactly `count` whole transactions; returns the
    /// uncompressed payload.
    pub fn open(&self, max: u64) -> Result<Vec<u8>, WireError> {
        let expected = self.expected_crc();
        if expected != self.crc {
            return Err(WireError::Invalid(format!(
                "v2 segment {}..{}: checksum mismatch (sent {:#010x}, computed {expected:#010x})",
                self.first_seq,
                self.end_seq(),
                self.crc
            )));
        }
        let payload = self.codec.decompress(self.payload, max, "v2 segment")?;
        let n = count_transactions(&payload)?;
        if n != self.count {
            return Err(WireError::Invalid(format!(
                "v2 segment {}..{}: announces {} transactions, holds {n}",
                self.first_seq,
                self.end_seq(),
                self.count
            )));
        }
        Ok(payload)
    }
}

/// The number of whole transactions in an uncompressed payload; a torn
/// one is an error.
pub fn count_transactions(payload: &[u8]) -> Result<u64, WireError> {
    legacy::each_transaction(payload).try_fold(0, |n, t| t.map(|_| n + 1))
}

/// The payload without its first `n` transactions.
pub fn skip_transactions(payload: &[u8], n: u64) -> Result<&[u8], WireError> {
    let mut c = Cursor::new(payload);
    for _ in 0..n {
        c.bytes("transaction")
            .map_err(|e| WireError::Invalid(format!("segment: {e}")))?;
    }
    Ok(&payload[c.offset()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(n: u64) -> Vec<u8> {
        let mut p = Vec::new();
        for i in 0..n {
            legacy::push_transaction(&mut p, &i.to_le_bytes());
        }
        p
    }

    #[test]
    fn every_codec_round_trips_and_refuses_damage() {
        let p = payload(100);
        for codec in [Codec::None, Codec::Gzip, Codec::Zstd] {
            let z = codec.compress(&p, 3);
            assert_eq!(codec.decompress(&z, 1 << 20, "s").unwrap(), p, "{codec:?}");
            assert!(matches!(
                codec.decompress(&z, 16, "s"),
                Err(WireError::TooLarge { .. })
            ));
            if codec != Codec::None {
                assert!(codec.decompress(&z[..z.len() - 2], 1 << 20, "s").is_err());
                let mut flipped = z.clone();
                let at = flipped.len() - 6;
                flipped[at] ^= 0x40;
                assert!(
                    codec.decompress(&flipped, 1 << 20, "s").is_err(),
                    "{codec:?}"
                );
                let mut trailing = z.clone();
                trailing.push(0);
                assert!(codec.decompress(&trailing, 1 << 20, "s").is_err());
            }
            assert_eq!(Codec::from_extension(codec.extension()), Some(codec));
        }
    }

    #[test]
    fn frames_are_checked_before_and_after_decompression() {
        let p = payload(10);
        let z = Codec::Zstd.compress(&p, 3);
        let seg = SegmentFrame::new(5, 10, Codec::Zstd, &z);
        let mut msg = seg.header().to_vec();
        msg.extend_from_slice(&z);
        let back = SegmentFrame::decode(&msg).unwrap();
        assert_eq!(back, seg);
        assert_eq!(back.open(1 << 20).unwrap(), p);
        for at in [3, HEADER_LEN + 2, msg.len() - 1] {
            let mut bad = msg.clone();
            bad[at] ^= 1;
            let Ok(s) = SegmentFrame::decode(&bad) else {
                continue;
            };
            assert!(s.open(1 << 20).is_err(), "a flip at {at} is caught");
        }
        let lying = SegmentFrame::new(5, 11, Codec::Zstd, &z);
        assert!(lying
            .open(1 << 20)
            .unwrap_err()
            .to_string()
            .contains("holds 10"));
        assert!(SegmentFrame::decode(&msg[..HEADER_LEN - 1]).is_err());
        let overflow = SegmentFrame::new(u64::MAX, 2, Codec::None, b"");
        let mut m = overflow.header().to_vec();
        m.extend_from_slice(b"");
        assert!(SegmentFrame::decode(&m).is_err());
    }

    #[test]
    fn a_frame_declares_what_it_inflates_to_and_may_not_inflate_past_it() {
        let payload = vec![0u8; 100_000];
        for codec in [Codec::None, Codec::Gzip, Codec::Zstd] {
            let z = codec.compress(&payload, 3);
            assert_eq!(codec.declared_len(&z), Some(100_000), "{codec:?}");
        }
        let rows = Codec::ZstdRows.compress(&payload, 3);
        assert!(Codec::ZstdRows.declared_len(&rows).unwrap() >= 100_000);
        // A gzip bomb that claims to be small is cut at its claim.
        let mut bomb = Codec::Gzip.compress(&payload, 9);
        let n = bomb.len();
        bomb[n - 4..].copy_from_slice(&10u32.to_le_bytes());
        let declared = Codec::Gzip.declared_len(&bomb).unwrap();
        assert_eq!(declared, 10);
        assert!(matches!(
            Codec::Gzip.decompress(&bomb, declared, "x"),
            Err(WireError::TooLarge { len: 11, .. })
        ));
        assert_eq!(Codec::Gzip.declared_len(b"short"), None);
    }

    #[test]
    fn transactions_are_counted_and_skipped() {
        let p = payload(4);
        assert_eq!(count_transactions(&p).unwrap(), 4);
        assert_eq!(skip_transactions(&p, 4).unwrap(), b"");
        assert_eq!(skip_transactions(&p, 1).unwrap(), &p[16..]);
        assert!(skip_transactions(&p, 5).is_err());
        assert!(count_transactions(&p[..p.len() - 1]).is_err());
    }
}
