//! The v2 hello: the sender's token, then the stream's stable identity and
//! its metadata.
//!
//! ```text
//! token   u64 len, bytes (empty: none)
//! group   u64 len, bytes
//! origin  u64 len, bytes   the sending hog (its host name by default)
//! region  u64 len, bytes   the stream's region at the sender
//! u64 started_at_ns, u64 pid, u64 tid
//! init    u64 len, the legacy init message, uncompressed
//! ```
//!
//! The token comes first so that a receiver authenticates a sender before
//! it parses anything else it says (type descriptions are untrusted input).

use crate::plugin::StreamInfo;
use crate::types::Cursor;
use crate::wire::legacy::{validate_group, Init, WireError, MAX_GROUP};

/// Longest token accepted.
pub const MAX_TOKEN: usize = 4096;
/// Longest origin or region accepted.
pub const MAX_NAME: usize = 1024;

/// A stream as a v2 sender announces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    /// The pre-shared token (empty: none).
    pub token: Vec<u8>,
    /// The storage group.
    pub group: String,
    /// The sending hog's name (its host name unless configured).
    pub origin: String,
    /// The stream's region name at the sender.
    pub region: String,
    /// When the stream started, ns since the Unix epoch (sender's clock).
    pub started_at_ns: u64,
    /// The producer's process id.
    pub pid: u64,
    /// The producer's thread id.
    pub tid: u64,
    /// Modes and statements.
    pub init: Init,
}

fn bad(e: crate::types::DecodeError) -> WireError {
    WireError::Invalid(format!("v2 hello: {e}"))
}

fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    out.extend_from_slice(bytes);
}

/// Checks an origin or region: UTF-8, 1..=[`MAX_NAME`] bytes, no control
/// characters (stream keys separate fields with newlines).
fn name(bytes: &[u8], what: &str) -> Result<String, WireError> {
    let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(64)])
        .escape_debug()
        .to_string();
    let fail = |why: &str| {
        Err(WireError::Invalid(format!(
            "v2 hello: {what} \"{shown}\" {why}"
        )))
    };
    if bytes.is_empty() || bytes.len() > MAX_NAME {
        return fail(&format!("must have 1 to {MAX_NAME} bytes"));
    }
    match std::str::from_utf8(bytes) {
        Ok(s) if s.chars().any(crate::paths::unsafe_char) => {
            fail("contains a control or bidirectional formatting character")
        }
        Ok(s) => Ok(s.to_string()),
        Err(_) => fail("is not UTF-8"),
    }
}

impl Hello {
    /// The hello's body (after the message type).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        put(&mut out, &self.token);
        put(&mut out, self.group.as_bytes());
        put(&mut out, self.origin.as_bytes());
        put(&mut out, self.region.as_bytes());
        for n in [self.started_at_ns, self.pid, self.tid] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        put(&mut out, &self.init.encode());
        out
    }

    /// The token of a hello body and the rest, unparsed.
    pub fn token(body: &[u8]) -> Result<(&[u8], &[u8]), WireError> {
        let mut c = Cursor::new(body);
        let n = c.count("token", 1, MAX_TOKEN as u64).map_err(bad)?;
        let token = c.take(n, "token").map_err(bad)?;
        Ok((token, &body[c.offset()..]))
    }

    /// Parses a whole hello body, checking every field.
    pub fn decode(body: &[u8]) -> Result<Hello, WireError> {
        let (token, rest) = Hello::token(body)?;
        let mut c = Cursor::new(rest);
        let group = c.bytes("group").map_err(bad)?;
        if group.len() as u64 > MAX_GROUP {
            return Err(WireError::TooLarge {
                what: "group name",
                len: group.len() as u64,
                max: MAX_GROUP,
            });
        }
        let group = validate_group(group)?;
        let origin = name(c.bytes("origin").map_err(bad)?, "origin")?;
        let region = name(c.bytes("region").map_err(bad)?, "region")?;
        let started_at_ns = c.u64("start time").map_err(bad)?;
        let pid = c.u64("pid").map_err(bad)?;
        let tid = c.u64("tid").map_err(bad)?;
        let init = Init::decode(c.bytes("init").map_err(bad)?)?;
        if c.remaining() != 0 {
            return Err(WireError::Invalid(format!(
                "v2 hello: {} bytes after the init message",
                c.remaining()
            )));
        }
        Ok(Hello {
            token: token.to_vec(),
            group,
            origin,
            region,
            started_at_ns,
            pid,
            tid,
            init,
        })
    }

    /// The region the receiver files the stream under: the sender's origin
    /// and region, so that the same stream gets the same name again.
    pub fn receiver_region(&self) -> String {
        format!("{}:{}", self.origin, self.region)
    }

    /// The hello announcing `stream`, sent by the hog named `origin`
    /// (without a token).
    pub fn of_stream(stream: &StreamInfo, origin: &str) -> Hello {
        Hello {
            token: Vec::new(),
            group: stream.group.to_string(),
            origin: origin.to_string(),
            region: stream.region.to_string(),
            started_at_ns: stream.started_at_ns,
            pid: stream.pid,
            tid: stream.tid,
            init: Init {
                qos: stream.qos,
                commit: stream.commit,
                statements: stream.statements.to_vec(),
            },
        }
    }

    /// The stream as the receiving side registers it, under
    /// [`receiver_region`](Self::receiver_region) (its id is the stat
    /// store's to give).
    pub fn stream_info(&self) -> StreamInfo {
        StreamInfo {
            id: 0,
            group: self.group.as_str().into(),
            pid: self.pid,
            tid: self.tid,
            region: self.receiver_region().into(),
            started_at_ns: self.started_at_ns,
            qos: self.init.qos,
            commit: self.init.commit,
            statements: self.init.statements.clone().into(),
        }
    }
}

/// The earliest start time a stream may claim: 2000-01-01, in ns since
/// 1970.
const EARLIEST_START_NS: u64 = 946_684_800_000_000_000;
/// How far ahead of the receiving clock a sender's clock may be.
const CLOCK_SKEW_NS: u64 = 24 * 3600 * 1_000_000_000;

/// Checks a sender's stream start time against the receiving side's clock
/// `now`: it names the `$DATE` directory of the stream's files, so a
/// sender's clock cannot put files under 1970 or a far future. Old streams
/// resumed after an outage stay acceptable. The error says what is wrong.
pub fn plausible_start(started_at_ns: u64, now: u64) -> Result<(), &'static str> {
    if started_at_ns < EARLIEST_START_NS {
        Err("before 2000")
    } else if started_at_ns > now.saturating_add(CLOCK_SKEW_NS) {
        Err("more than a day ahead")
    } else {
        Ok(())
    }
}

/// This machine's host name ("localhost" if it has none): the origin a
/// sending hog names itself by unless configured otherwise.
pub fn default_origin() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its whole length, which is passed.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    match std::str::from_utf8(&buf[..len]) {
        Ok(name) if rc == 0 && !name.is_empty() => name.to_string(),
        _ => "localhost".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_times_are_bounded_by_the_receivers_clock() {
        let now = 1_796_000_000_000_000_000;
        let hour = 3_600_000_000_000;
        for ok in [
            now,
            now - 400 * 24 * hour,
            now + 23 * hour,
            EARLIEST_START_NS,
        ] {
            assert!(plausible_start(ok, now).is_ok(), "{ok}");
        }
        for (bad, why) in [
            (0, "before 2000"),
            (EARLIEST_START_NS - 1, "before 2000"),
            (now + 25 * hour, "more than a day ahead"),
            (u64::MAX, "more than a day ahead"),
        ] {
            assert_eq!(plausible_start(bad, now), Err(why), "{bad}");
        }
    }

    #[test]
    fn a_stream_goes_through_a_hello_under_its_senders_name() {
        let mut stream = hello().stream_info();
        stream.region = "/G.1.2".into();
        let back = Hello::of_stream(&stream, "far").stream_info();
        assert_eq!(back.region.as_str(), "far:/G.1.2");
        stream.region = back.region.clone();
        assert_eq!(back, stream);
        assert!(!default_origin().is_empty());
    }
    use crate::plugin::{CommitMethod, Qos};

    fn hello() -> Hello {
        Hello {
            token: b"s3cret".to_vec(),
            group: "Orders".into(),
            origin: "host-a".into(),
            region: "/Orders.12.34".into(),
            started_at_ns: 99,
            pid: 12,
            tid: 34,
            init: Init {
                qos: Qos::Reliable,
                commit: CommitMethod::Auto,
                statements: vec![],
            },
        }
    }

    #[test]
    fn a_hello_round_trips_and_the_token_comes_first() {
        let h = hello();
        let body = h.encode();
        assert_eq!(Hello::decode(&body).unwrap(), h);
        let (token, _) = Hello::token(&body).unwrap();
        assert_eq!(token, b"s3cret");
        assert_eq!(h.receiver_region(), "host-a:/Orders.12.34");
    }

    #[test]
    fn bad_fields_are_refused() {
        for change in [
            (|h: &mut Hello| h.group = ".x".into()) as fn(&mut Hello),
            |h| h.origin = String::new(),
            |h| h.region = "a\nb".into(),
            |h| h.region = "r".repeat(MAX_NAME + 1),
            |h| h.token = vec![1; MAX_TOKEN + 1],
        ] {
            let mut h = hello();
            change(&mut h);
            assert!(Hello::decode(&h.encode()).is_err(), "{h:?}");
        }
        let body = hello().encode();
        for cut in [0, 5, body.len() - 1] {
            assert!(Hello::decode(&body[..cut]).is_err(), "cut at {cut}");
        }
        let mut long = body.clone();
        long.push(0);
        assert!(Hello::decode(&long).is_err());
    }
}
