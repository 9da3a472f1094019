//! The hobbes batch protocol (§3 of the hog behaviour spec).
//!
//! ```text
//! sender → receiver   u64 len, group name            (not acknowledged)
//! sender → receiver   u64 len, gzip(init)            receiver → 0x01
//! sender → receiver   u64 len, gzip(segment)         receiver → 0x01, repeated
//! init    = i32 qos, i32 commit method, u64 n, n statements
//! segment = (u64 len, transaction bytes)*
//! ```
//! Every length read from a peer is capped before anything is allocated,
//! every gzip stream must be complete and uncorrupted, and EOF is an error,
//! never a value.

use std::io::{Read, Write};

use flate2::bufread::GzDecoder;

use crate::plugin::{CommitMethod, Qos, Statement};
use crate::types::{statements, Cursor};

/// The acknowledgement byte.
pub const ACK: u8 = 0x01;

/// Longest group name accepted.
pub const MAX_GROUP: u64 = 255;

/// What went wrong on a connection.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// The socket failed (including timeouts).
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The peer closed the connection.
    #[error("the peer closed the connection")]
    Closed,
    /// A frame announced more bytes than allowed.
    #[error("{what} of {len} bytes exceeds the limit of {max}")]
    TooLarge {
        /// What the frame was.
        what: &'static str,
        /// The announced length.
        len: u64,
        /// The limit.
        max: u64,
    },
    /// The peer answered something other than an acknowledgement.
    #[error("expected the acknowledgement byte 0x01, got {0:#04x}")]
    BadAck(u8),
    /// A payload is malformed.
    #[error("{0}")]
    Invalid(String),
    /// The receiver refused this sender (it requires TLS or
    /// authentication that the sender did not offer, or refused its
    /// credentials); it says no more.
    #[error("refused by the receiver (it may require TLS or authentication)")]
    Refused,
}

fn read_exact(r: &mut impl Read, buf: &mut [u8]) -> Result<(), WireError> {
    r.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => WireError::Closed,
        _ => WireError::Io(e),
    })
}

/// Reads one frame of at most `max` bytes.
pub fn read_frame(r: &mut impl Read, max: u64, what: &'static str) -> Result<Vec<u8>, WireError> {
    let mut len = [0u8; 8];
    read_exact(r, &mut len)?;
    let len = u64::from_le_bytes(len);
    if len > max {
        return Err(WireError::TooLarge { what, len, max });
    }
    let mut payload = vec![0u8; len as usize];
    read_exact(r, &mut payload)?;
    Ok(payload)
}

/// Writes one frame.
pub fn write_frame(w: &mut impl Write, payload: &[u8]) -> std::io::Result<()> {
    w.write_all(&(payload.len() as u64).to_le_bytes())?;
    w.write_all(payload)
}

/// Waits for the acknowledgement byte.
pub fn read_ack(r: &mut impl Read) -> Result<(), WireError> {
    let mut b = [0u8; 1];
    read_exact(r, &mut b)?;
    match b[0] {
        ACK => Ok(()),
        other => Err(WireError::BadAck(other)),
    }
}

/// Checks a group name from a peer: not empty, not starting with `.`, no
/// `/`, NUL or control characters, at most [`MAX_GROUP`] bytes.
pub fn validate_group(bytes: &[u8]) -> Result<String, WireError> {
    let shown = String::from_utf8_lossy(bytes).escape_debug().to_string();
    let bad = |why: &str| Err(WireError::Invalid(format!("group name \"{shown}\" {why}")));
    match std::str::from_utf8(bytes) {
        Ok(name) => match crate::paths::unsafe_name(name) {
            Some(why) => bad(why),
            None => Ok(name.to_string()),
        },
        Err(_) => bad("is not UTF-8"),
    }
}

/// The producer's modes and statements, as the init message carries them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Init {
    /// Quality of service.
    pub qos: Qos,
    /// Commit method.
    pub commit: CommitMethod,
    /// Statements, in the producer's (name-sorted) order.
    pub statements: Vec<Statement>,
}

impl Init {
    /// The uncompressed init payload.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        statements::write_modes(&mut out, self.qos, self.commit);
        out.extend_from_slice(&(self.statements.len() as u64).to_le_bytes());
        statements::write_statements(&mut out, &self.statements);
        out
    }

    /// Parses an uncompressed init payload.
    pub fn decode(bytes: &[u8]) -> Result<Init, WireError> {
        let mut c = Cursor::new(bytes);
        let parse = |c: &mut Cursor<'_>| -> Result<Init, crate::types::DecodeError> {
            let (qos, commit) = statements::read_modes(c)?;
            let n = c.u64("statement count")?;
            let statements = statements::read_statements(c, n)?;
            if c.remaining() != 0 {
                return Err(c.error(format!("{} bytes after the statements", c.remaining())));
            }
            Ok(Init {
                qos,
                commit,
                statements,
            })
        };
        parse(&mut c).map_err(|e| WireError::Invalid(format!("init message: {e}")))
    }
}

/// Compresses a payload as one gzip member, as the C++ hog's segments are
/// (level 6 by default, 0..=12).
///
/// libdeflate, chosen by measurement (`cargo run --release -p sink-tcp
/// --example codec_cost`): at level 6 it deflates packed records about 6x
/// faster than miniz_oxide and 2x faster than zlib-rs, to the same size as
/// zlib's level 6 or smaller.
pub fn gzip(payload: &[u8], level: u32) -> Vec<u8> {
    let level = libdeflater::CompressionLvl::new(level.min(12) as i32)
        .unwrap_or_else(|_| libdeflater::CompressionLvl::default());
    let mut compressor = libdeflater::Compressor::new(level);
    let mut out = vec![0; compressor.gzip_compress_bound(payload.len())];
    let len = compressor
        .gzip_compress(payload, &mut out)
        .expect("the output holds the compression bound");
    out.truncate(len);
    out
}

/// Decompresses one complete gzip stream of at most `max` bytes; a
/// truncated or corrupt stream, or bytes after it, are errors.
pub fn gunzip(compressed: &[u8], max: u64, what: &'static str) -> Result<Vec<u8>, WireError> {
    let mut dec = GzDecoder::new(compressed);
    let mut out = Vec::new();
    (&mut dec)
        .take(max + 1)
        .read_to_end(&mut out)
        .map_err(|e| {
            WireError::Invalid(format!("{what}: corrupt or truncated gzip stream: {e}"))
        })?;
    if out.len() as u64 > max {
        return Err(WireError::TooLarge {
            what,
            len: out.len() as u64,
            max,
        });
    }
    let rest = dec.into_inner();
    if !rest.is_empty() {
        return Err(WireError::Invalid(format!(
            "{what}: {} bytes after the gzip stream",
            rest.len()
        )));
    }
    Ok(out)
}

/// What a gzip stream says it inflates to (its trailer: the length modulo
/// 2^32), if it is long enough to have one.
pub fn gzip_declared_len(compressed: &[u8]) -> Option<u64> {
    let tail = compressed
        .len()
        .checked_sub(4)
        .filter(|_| compressed.len() >= 18)?;
    let isize = compressed[tail..].try_into().ok()?;
    Some(u64::from(u32::from_le_bytes(isize)))
}

/// Appends one transaction to an uncompressed segment payload.
pub fn push_transaction(segment: &mut Vec<u8>, transaction: &[u8]) {
    segment.extend_from_slice(&(transaction.len() as u64).to_le_bytes());
    segment.extend_from_slice(transaction);
}

/// The transactions of an uncompressed segment payload, checked to the end.
pub fn transactions(segment: &[u8]) -> Result<Vec<&[u8]>, WireError> {
    each_transaction(segment).collect()
}

/// The transactions of a segment one by one, without collecting them (a
/// segment of millions of empty transactions costs no memory to walk).
pub fn each_transaction(segment: &[u8]) -> impl Iterator<Item = Result<&[u8], WireError>> {
    let mut c = Cursor::new(segment);
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || c.remaining() == 0 {
            return None;
        }
        let txn = c
            .bytes("transaction")
            .map_err(|e| WireError::Invalid(format!("segment: {e}")));
        failed = txn.is_err();
        Some(txn)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_are_checked() {
        assert_eq!(validate_group(b"VecTxn").unwrap(), "VecTxn");
        let (c1, bidi) = ("a\u{85}b".as_bytes(), "a\u{202e}b".as_bytes());
        for bad in [
            &b""[..],
            b".hidden",
            b"a/b",
            b"a\0b",
            b"a\nb",
            b"\xff",
            b"$DATE",
            c1,
            bidi,
        ] {
            assert!(validate_group(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn corrupt_truncated_and_oversized_segments_are_refused() {
        let mut seg = Vec::new();
        push_transaction(&mut seg, b"hello");
        push_transaction(&mut seg, b"");
        let gz = gzip(&seg, 6);
        assert_eq!(gunzip(&gz, 1 << 20, "segment").unwrap(), seg);
        assert!(gunzip(&gz[..gz.len() - 3], 1 << 20, "segment").is_err());
        let mut flipped = gz.clone();
        flipped[gz.len() / 2] ^= 0xff;
        assert!(gunzip(&flipped, 1 << 20, "segment").is_err());
        let mut trailing = gz.clone();
        trailing.push(0);
        assert!(gunzip(&trailing, 1 << 20, "segment").is_err());
        assert!(matches!(
            gunzip(&gz, 4, "segment"),
            Err(WireError::TooLarge { .. })
        ));
        assert_eq!(transactions(&seg).unwrap(), vec![&b"hello"[..], b""]);
        assert!(transactions(&seg[..seg.len() - 1]).is_err());
    }

    #[test]
    fn frames_are_capped_and_eof_is_an_error() {
        let mut buf = Vec::new();
        write_frame(&mut buf, b"abc").unwrap();
        assert_eq!(read_frame(&mut &buf[..], 3, "x").unwrap(), b"abc");
        assert!(matches!(
            read_frame(&mut &buf[..], 2, "x"),
            Err(WireError::TooLarge { .. })
        ));
        assert!(matches!(
            read_frame(&mut &buf[..5], 3, "x"),
            Err(WireError::Closed)
        ));
        assert!(matches!(read_ack(&mut &[][..]), Err(WireError::Closed)));
        assert!(matches!(
            read_ack(&mut &[2u8][..]),
            Err(WireError::BadAck(2))
        ));
    }
}
