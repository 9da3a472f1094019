//! The messages hog publishes to JetStream, and their decoder.
//!
//! A message's body is a producer stream's v2 conversation in miniature:
//! two v2 frames, each a `u64` little-endian length and a message.
//!
//! ```text
//! u64 len, Hello     the stream: group, origin, region, start, pid, tid,
//!                    and its statements with their hobbes type descriptions
//! u64 len, Segment   first_seq, count, codec, CRC-32, compressed transactions
//!       or End       end_seq: the stream is complete
//! ```
//!
//! Every message describes its stream in full, so a consumer can start
//! anywhere (limits may have removed older messages). Headers repeat what
//! a consumer may filter or deduplicate on without decoding the body:
//! `Nats-Msg-Id` (`<stream token>:<first>:<end>`, or `…:end:<end>`),
//! `Hog-Stream` (the token), `Hog-Group`, `Hog-First-Seq`, `Hog-End-Seq`
//! and `Hog-Kind` (`segment` or `end`).

use async_nats::HeaderMap;
use hog_core::types::Cursor;
use hog_core::wire::legacy::WireError;
use hog_core::wire::v2::{Hello, Message, SegmentFrame};

/// Header naming the stream (its subject's last token).
pub const STREAM: &str = "Hog-Stream";
/// Header with the stream's group.
pub const GROUP: &str = "Hog-Group";
/// Header with the first transaction's sequence number.
pub const FIRST_SEQ: &str = "Hog-First-Seq";
/// Header with the sequence number after the last transaction.
pub const END_SEQ: &str = "Hog-End-Seq";
/// Header saying `segment` or `end`.
pub const KIND: &str = "Hog-Kind";

/// What a message carries after its hello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body<'a> {
    /// A run of transactions.
    Segment(SegmentFrame<'a>),
    /// The stream ended after this many transactions.
    End(u64),
}

impl Body<'_> {
    /// The sequence number after the message's last transaction: the mark
    /// of whoever holds the stream up to this message.
    pub fn end_seq(&self) -> u64 {
        match self {
            Body::Segment(seg) => seg.end_seq(),
            Body::End(end) => *end,
        }
    }

    fn message(&self) -> Message<'_> {
        match self {
            Body::Segment(seg) => Message::Segment(seg.clone()),
            Body::End(end_seq) => Message::End { end_seq: *end_seq },
        }
    }
}

/// A decoded message: the stream it belongs to and what it carries.
#[derive(Debug)]
pub struct Decoded<'a> {
    /// The stream.
    pub hello: Hello,
    /// Its transactions, or its end.
    pub body: Body<'a>,
}

/// A message ready to publish.
pub struct Outgoing {
    /// `Nats-Msg-Id`, for the server's duplicate window.
    pub id: String,
    /// The other headers.
    pub headers: HeaderMap,
    /// The body.
    pub payload: Vec<u8>,
}

/// Builds the message of `body` for the stream whose encoded hello body is
/// `hello` (no token), whose subject token is `token`.
pub fn encode(hello: &[u8], group: &str, token: &str, body: &Body<'_>) -> Outgoing {
    let hello = Message::Hello(hello).encode();
    let tail = body.message().encode();
    let mut payload = Vec::with_capacity(16 + hello.len() + tail.len());
    for frame in [&hello, &tail] {
        payload.extend_from_slice(&(frame.len() as u64).to_le_bytes());
        payload.extend_from_slice(frame);
    }
    let end = body.end_seq();
    let (kind, first, id) = match body {
        Body::Segment(seg) => (
            "segment",
            seg.first_seq,
            format!("{token}:{}:{end}", seg.first_seq),
        ),
        Body::End(_) => ("end", end, format!("{token}:end:{end}")),
    };
    let mut headers = HeaderMap::new();
    headers.insert(STREAM, token);
    headers.insert(GROUP, group);
    headers.insert(FIRST_SEQ, first.to_string().as_str());
    headers.insert(END_SEQ, end.to_string().as_str());
    headers.insert(KIND, kind);
    Outgoing {
        id,
        headers,
        payload,
    }
}

/// Decodes a message body, checking every field (the hello's names and
/// statements, the frames' lengths; a segment's CRC and contents are
/// checked when it is opened). `max_hello` bounds the hello.
pub fn decode(payload: &[u8], max_hello: u64) -> Result<Decoded<'_>, WireError> {
    let invalid = |m: String| WireError::Invalid(format!("hog message: {m}"));
    let mut c = Cursor::new(payload);
    let hello = c
        .count("hello", 1, max_hello)
        .and_then(|n| c.take(n, "hello"))
        .map_err(|e| invalid(e.to_string()))?;
    let hello = match Message::decode(hello)? {
        Message::Hello(body) => Hello::decode(body)?,
        other => {
            return Err(invalid(format!(
                "starts with a {}, not a hello",
                other.name()
            )))
        }
    };
    let tail = c
        .bytes("second frame")
        .map_err(|e| invalid(e.to_string()))?;
    if c.remaining() != 0 {
        return Err(invalid(format!("{} bytes after its frames", c.remaining())));
    }
    let body = match Message::decode(tail)? {
        Message::Segment(seg) => Body::Segment(seg),
        Message::End { end_seq } => Body::End(end_seq),
        other => {
            return Err(invalid(format!(
                "carries a {}, not a segment or an end",
                other.name()
            )))
        }
    };
    Ok(Decoded { hello, body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hog_core::wire::legacy::push_transaction;
    use hog_core::wire::v2::Codec;

    fn hello() -> Hello {
        Hello::of_stream(&hog_sink_conformance::stream("Orders", 1), "host")
    }

    fn payload() -> Vec<u8> {
        let mut p = Vec::new();
        for i in 0..3u64 {
            let mut t = 0u32.to_le_bytes().to_vec();
            t.extend_from_slice(&i.to_le_bytes());
            push_transaction(&mut p, &t);
        }
        Codec::Zstd.compress(&p, 3)
    }

    #[test]
    fn a_segment_and_an_end_go_through() {
        let compressed = payload();
        let seg = SegmentFrame::new(10, 3, Codec::Zstd, &compressed);
        let out = encode(
            &hello().encode(),
            "Orders",
            "abc",
            &Body::Segment(seg.clone()),
        );
        assert_eq!(out.id, "abc:10:13");
        assert_eq!(out.headers.get(END_SEQ).unwrap().as_str(), "13");
        let back = decode(&out.payload, 1 << 20).unwrap();
        assert_eq!(back.hello, hello());
        assert_eq!(back.body, Body::Segment(seg.clone()));
        assert_eq!(seg.open(1 << 20).unwrap().len(), 3 * 20);

        let end = encode(&hello().encode(), "Orders", "abc", &Body::End(13));
        assert_eq!(end.id, "abc:end:13");
        let back = decode(&end.payload, 1 << 20).unwrap();
        assert_eq!(back.body, Body::End(13));
        assert_eq!(back.body.end_seq(), 13);
    }

    #[test]
    fn malformed_bodies_are_errors_that_say_what_is_wrong() {
        let compressed = payload();
        let seg = SegmentFrame::new(0, 3, Codec::Zstd, &compressed);
        let good = encode(&hello().encode(), "Orders", "t", &Body::Segment(seg)).payload;
        let hello_len = u64::from_le_bytes(good[..8].try_into().unwrap()) as usize;
        let mut trailing = good.clone();
        trailing.push(0);
        let mut huge = good.clone();
        huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        let welcome = Message::Welcome { mark: 1 }.encode();
        let mut not_hello = (welcome.len() as u64).to_le_bytes().to_vec();
        not_hello.extend_from_slice(&welcome);
        not_hello.extend_from_slice(&good[8 + hello_len..]);
        let mut second_hello = good[..8 + hello_len].to_vec();
        second_hello.extend_from_slice(&good[..8 + hello_len]);
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("empty", Vec::new(), "hello"),
            ("cut in the hello", good[..20].to_vec(), "hello"),
            (
                "cut before the second frame",
                good[..8 + hello_len].to_vec(),
                "second frame",
            ),
            (
                "cut in the second frame",
                good[..good.len() - 1].to_vec(),
                "second frame",
            ),
            ("a byte after its frames", trailing, "after its frames"),
            ("a hello longer than allowed", huge, "hello"),
            ("not a hello first", not_hello, "not a hello"),
            ("a second hello", second_hello, "not a segment or an end"),
        ];
        for (what, bytes, says) in cases {
            let e = decode(&bytes, 1 << 20).unwrap_err().to_string();
            assert!(e.contains(says), "{what}: {e}");
        }
        assert!(decode(&good, 16).unwrap_err().to_string().contains("hello"));
    }
}
