//! hog's own batch protocol (v2): exactly-once, compressed, checksummed,
//! optionally encrypted and authenticated.
//!
//! Every message is a legacy frame (`u64` length, payload), so a v2 sender
//! that meets a C++ receiver is safe: its first frame, the probe, starts
//! with `.hog2`, which the C++ hog reads as a group name, allocates only its
//! few bytes for, and rejects (a leading `.`) before it creates anything.
//!
//! ```text
//! S → R  probe      ".hog2" u8 version, u8 flags (bit 0: TLS)
//! R → S  answer     ".hog2" u8 version, u8 status (plain | tls | refused), u8 codecs
//!        [TLS handshake, if agreed: everything below is encrypted]
//! S → R  Hello      token, group, origin, region, start, pid, tid, init
//! R → S  Welcome    mark (the receiver holds transactions 0..mark) | Refused
//! S → R  Segment    first_seq, count, codec, crc32, compressed transactions
//! R → S  Ack        new mark | Error
//! S → R  End        end_seq (the stream is complete)
//! R → S  Ack        mark
//! ```
//!
//! One connection carries one stream. The receiver names the stream by the
//! sender's stable identity (origin, region, start time), so a reconnecting
//! sender gets the same stream back and learns the mark to resume from; the
//! receiver's sinks keep that mark atomically with their data.

pub mod client;
pub mod frame;
pub mod hello;
mod rows;
pub mod segment;
pub mod tls;
pub mod token;
pub mod transport;

pub use client::{negotiate, Client, ClientSettings, Negotiated, NotV2};
pub use frame::{Answer, Message, Probe, Status};
pub use hello::Hello;
pub use segment::{Codec, SegmentFrame};
pub use transport::Transport;

/// What a v2 probe starts with.
pub const MAGIC: &[u8; 5] = b".hog2";

/// The protocol version this hog speaks.
pub const VERSION: u8 = 1;

/// The first byte of each message after the hello exchange: its kind.
mod kind {
    pub(super) const HELLO: u8 = 1;
    pub(super) const WELCOME: u8 = 2;
    pub(super) const SEGMENT: u8 = 3;
    pub(super) const ACK: u8 = 4;
    pub(super) const END: u8 = 5;
    pub(super) const ERROR: u8 = 6;
    pub(super) const REFUSED: u8 = 7;
}
