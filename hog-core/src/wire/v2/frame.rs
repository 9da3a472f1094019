//! v2 messages: the plaintext probe and its answer, then typed messages
//! whose first byte names them. Every decoder checks every length against
//! what is left, so no input makes it allocate more than the frame holds.

use crate::types::Cursor;
use crate::wire::legacy::WireError;

use super::segment::{Codec, SegmentFrame};
use super::{MAGIC, VERSION};

/// Longest error text a peer may send (longer is cut).
pub const MAX_ERROR_TEXT: usize = 1024;

fn invalid(what: impl std::fmt::Display) -> WireError {
    WireError::Invalid(format!("v2: {what}"))
}

/// The sender's first frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// The sender asks to continue over TLS.
    pub tls: bool,
}

impl Probe {
    /// The probe's payload (7 bytes).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[VERSION, u8::from(self.tls)]);
        out
    }

    /// Whether a first frame is a v2 probe rather than a legacy group name.
    pub fn is_probe(first_frame: &[u8]) -> bool {
        first_frame.starts_with(MAGIC)
    }

    /// Parses a probe.
    pub fn decode(payload: &[u8]) -> Result<Probe, WireError> {
        let rest = payload
            .strip_prefix(MAGIC)
            .ok_or_else(|| invalid("the probe lacks the magic"))?;
        match rest {
            [VERSION, flags] if flags & !1 == 0 => Ok(Probe {
                tls: flags & 1 == 1,
            }),
            [VERSION, flags] => Err(invalid(format!("unknown probe flags {flags:#04x}"))),
            [version, ..] if *version != VERSION => Err(invalid(format!(
                "the sender speaks version {version}, this hog speaks {VERSION}"
            ))),
            _ => Err(invalid(format!("a probe of {} bytes", payload.len()))),
        }
    }
}

/// The receiver's verdict on a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Go on in plaintext.
    Plain = 0,
    /// Go on over TLS: the sender starts the handshake.
    Tls = 1,
    /// Refused (TLS required but not asked for, or not offered).
    Refused = 2,
}

/// The receiver's answer to a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    /// How the conversation goes on.
    pub status: Status,
    /// The codecs the receiver accepts, one bit per [`Codec`] value.
    pub codecs: u8,
}

impl Answer {
    /// The answer's payload (8 bytes).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[VERSION, self.status as u8, self.codecs]);
        out
    }

    /// Parses an answer; `None` if the payload is not v2 at all.
    pub fn decode(payload: &[u8]) -> Option<Result<Answer, WireError>> {
        let rest = payload.strip_prefix(MAGIC)?;
        Some(match rest {
            [VERSION, status, codecs] => match status {
                0 => Ok(Status::Plain),
                1 => Ok(Status::Tls),
                2 => Ok(Status::Refused),
                other => Err(invalid(format!("unknown probe status {other}"))),
            }
            .map(|status| Answer {
                status,
                codecs: *codecs,
            }),
            [version, ..] if *version != VERSION => Err(invalid(format!(
                "the receiver speaks version {version}, this hog speaks {VERSION}"
            ))),
            _ => Err(invalid(format!("an answer of {} bytes", payload.len()))),
        })
    }

    /// Whether the receiver accepts `codec`.
    pub fn accepts(&self, codec: Codec) -> bool {
        self.codecs & codec.bit() != 0
    }
}

use super::kind::{ACK, END, ERROR, HELLO, REFUSED, SEGMENT, WELCOME};

/// A message after the probe. Borrowed from its frame where it carries
/// bulk bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message<'a> {
    /// The stream's identity and metadata, with the sender's token
    /// (decoded further by [`Hello`](super::Hello)).
    Hello(&'a [u8]),
    /// The receiver holds transactions `0..mark` of the stream.
    Welcome {
        /// The receiver's durable mark.
        mark: u64,
    },
    /// A run of transactions.
    Segment(SegmentFrame<'a>),
    /// The receiver now holds `0..mark`.
    Ack {
        /// The receiver's durable mark.
        mark: u64,
    },
    /// The stream ended after `end_seq` transactions.
    End {
        /// The stream's length.
        end_seq: u64,
    },
    /// The receiver could not take the last message (only ever sent to an
    /// authenticated sender).
    Error(String),
    /// The receiver refuses the sender; nothing more is said.
    Refused,
}

impl Message<'_> {
    /// The message as a frame payload.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Message::Hello(body) => {
                out.push(HELLO);
                out.extend_from_slice(body);
            }
            Message::Welcome { mark } => {
                out.push(WELCOME);
                out.extend_from_slice(&mark.to_le_bytes());
            }
            Message::Segment(seg) => {
                out.extend_from_slice(&seg.header());
                out.extend_from_slice(seg.payload);
            }
            Message::Ack { mark } => {
                out.push(ACK);
                out.extend_from_slice(&mark.to_le_bytes());
            }
            Message::End { end_seq } => {
                out.push(END);
                out.extend_from_slice(&end_seq.to_le_bytes());
            }
            Message::Error(text) => {
                out.push(ERROR);
                let mut end = text.len().min(MAX_ERROR_TEXT);
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                out.extend_from_slice(&text.as_bytes()[..end]);
            }
            Message::Refused => out.push(REFUSED),
        }
        out
    }

    /// Parses a frame payload.
    pub fn decode(payload: &[u8]) -> Result<Message<'_>, WireError> {
        let (&kind, body) = payload
            .split_first()
            .ok_or_else(|| invalid("an empty message"))?;
        let number = |what: &str| -> Result<u64, WireError> {
            let mut c = Cursor::new(body);
            let n = c.u64(what).map_err(invalid)?;
            if c.remaining() != 0 {
                return Err(invalid(format!("{} bytes after the {what}", c.remaining())));
            }
            Ok(n)
        };
        Ok(match kind {
            HELLO => Message::Hello(body),
            WELCOME => Message::Welcome {
                mark: number("mark")?,
            },
            SEGMENT => Message::Segment(SegmentFrame::decode(payload)?),
            ACK => Message::Ack {
                mark: number("mark")?,
            },
            END => Message::End {
                end_seq: number("end")?,
            },
            ERROR => {
                let text = &body[..body.len().min(MAX_ERROR_TEXT)];
                Message::Error(String::from_utf8_lossy(text).into_owned())
            }
            REFUSED if body.is_empty() => Message::Refused,
            REFUSED => return Err(invalid("bytes after a refusal")),
            other => return Err(invalid(format!("unknown message type {other}"))),
        })
    }

    /// The message's name, for errors.
    pub fn name(&self) -> &'static str {
        match self {
            Message::Hello(_) => "hello",
            Message::Welcome { .. } => "welcome",
            Message::Segment(_) => "segment",
            Message::Ack { .. } => "ack",
            Message::End { .. } => "end",
            Message::Error(_) => "error",
            Message::Refused => "refusal",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_and_answers_round_trip_and_reject_strangers() {
        for tls in [false, true] {
            let p = Probe { tls };
            assert!(Probe::is_probe(&p.encode()));
            assert_eq!(Probe::decode(&p.encode()).unwrap(), p);
        }
        assert!(!Probe::is_probe(b"VecTxn"));
        assert!(Probe::decode(b".hog2\x02\x00").is_err(), "a future version");
        assert!(Probe::decode(b".hog2\x01\x04").is_err(), "unknown flags");
        assert!(Probe::decode(b".hog2\x01").is_err(), "truncated");
        let a = Answer {
            status: Status::Tls,
            codecs: Codec::Zstd.bit() | Codec::Gzip.bit(),
        };
        assert_eq!(Answer::decode(&a.encode()).unwrap().unwrap(), a);
        assert!(a.accepts(Codec::Zstd) && !a.accepts(Codec::None));
        assert!(Answer::decode(b"\x01").is_none(), "a legacy ack is not v2");
        assert!(Answer::decode(b".hog2\x01\x09\x00").unwrap().is_err());
    }

    #[test]
    fn messages_round_trip_and_malformed_ones_are_errors() {
        for m in [
            Message::Hello(b"abc"),
            Message::Welcome { mark: 7 },
            Message::Ack { mark: u64::MAX },
            Message::End { end_seq: 3 },
            Message::Error("nope".into()),
            Message::Refused,
        ] {
            assert_eq!(Message::decode(&m.encode()).unwrap(), m);
        }
        let long = Message::Error("é".repeat(MAX_ERROR_TEXT));
        assert!(long.encode().len() <= MAX_ERROR_TEXT + 1);
        for bad in [
            &b""[..],
            b"\x02\x01",
            b"\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00",
            b"\x63",
            b"\x07x",
        ] {
            assert!(Message::decode(bad).is_err(), "{bad:?}");
        }
    }
}
