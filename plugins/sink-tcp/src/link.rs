//! A sender's connection to its destination: hobbes or v2, negotiated.
//!
//! With `protocol = "auto"` a new connection starts with the v2 probe; a
//! peer that closes the connection on it or answers nothing v2-like (a C++
//! hog, or one of ours that speaks only hobbes) gets a second connection in
//! the hobbes protocol. The outcome is remembered while the destination
//! stays reachable, and probed again after it was down (it may have been
//! upgraded meanwhile).

use std::io::Write;
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::os::unix::io::AsRawFd;
use std::sync::{Arc, Mutex, PoisonError};

use hog_core::wire::legacy;
use hog_core::wire::v2::{self, Client, Codec, Hello, Negotiated, SegmentFrame};

use crate::error::LinkError;
use crate::net::Destination;
use crate::options::Options;
use crate::spool::{Segment, Spool};

/// The socket a sender currently uses, so shutdown can interrupt it.
pub(crate) type Live = Arc<Mutex<Option<TcpStream>>>;

/// Largest segment a sender decompresses (to convert or trim one).
const MAX_SEGMENT: u64 = 4 << 30;

/// An open conversation with a destination.
pub(crate) enum Link {
    /// The hobbes protocol, past the init message.
    Hobbes(TcpStream, Arc<Destination>),
    /// v2, past the hello.
    V2 {
        /// The connection.
        client: Box<Client>,
        /// The receiver holds transactions `0..mark`.
        mark: u64,
    },
}

/// What a sender learned about its destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Learned {
    /// Nothing yet: probe.
    Unknown,
    /// It does not speak v2: connect with the hobbes protocol directly.
    Hobbes,
}

/// How a sender connects.
pub(crate) struct Connect<'a> {
    /// The stream's spool.
    pub spool: &'a Spool,
    /// The destination.
    pub dest: &'a Arc<Destination>,
    /// This hog's name for receivers.
    pub origin: &'a str,
    /// The sink's options.
    pub options: &'a Options,
    /// Where the socket is published for interrupts.
    pub live: &'a Live,
    /// Where to log.
    pub logger: &'a hog_core::plugin::Logger,
}

/// Connects to `dest` and opens the stream of `spool` on it. With
/// `end_only` (nothing left to send but the end, which only v2 conveys)
/// a destination that speaks hobbes gets no connection: `Ok(None)`.
pub(crate) fn connect(
    c: &Connect<'_>,
    learned: &mut Learned,
    end_only: bool,
) -> Result<Option<Link>, LinkError> {
    use crate::options::Protocol;
    let (spool, dest, options, live) = (c.spool, c.dest, c.options, c.live);
    if end_only && (dest.protocol == Protocol::Hobbes || *learned == Learned::Hobbes) {
        return Ok(None);
    }
    let tcp = tcp_connect(&dest.address, options, live)?;
    if dest.protocol == Protocol::Hobbes || *learned == Learned::Hobbes {
        return hobbes_handshake(tcp, spool, dest).map(Some);
    }
    match v2::negotiate(tcp, &dest.v2).map_err(LinkError::Handshake)? {
        Negotiated::V2(mut client) => {
            dest.learned_hobbes(false);
            let mark = client
                .hello(&Hello::of_stream(&spool.stream, c.origin))
                .map_err(LinkError::Handshake)?;
            Ok(Some(Link::V2 {
                client: Box::new(client),
                mark,
            }))
        }
        Negotiated::Legacy(why) if dest.v2_only() => Err(LinkError::NotV2(why)),
        Negotiated::Legacy(why) => {
            c.logger.info(&format!(
                "{} (group {}): {why}; speaking the hobbes protocol to it",
                dest.address, spool.group
            ));
            *learned = Learned::Hobbes;
            dest.learned_hobbes(true);
            if end_only {
                return Ok(None);
            }
            hobbes_handshake(tcp_connect(&dest.address, options, live)?, spool, dest).map(Some)
        }
    }
}

fn hobbes_handshake(
    mut tcp: TcpStream,
    spool: &Spool,
    dest: &Arc<Destination>,
) -> Result<Link, LinkError> {
    let turn = dest.hobbes_turn();
    legacy::write_frame(&mut tcp, spool.group.as_bytes())
        .and_then(|_| legacy::write_frame(&mut tcp, &spool.init))
        .map_err(|e| LinkError::Handshake(e.into()))?;
    legacy::read_ack(&mut tcp).map_err(LinkError::Handshake)?;
    drop(turn);
    Ok(Link::Hobbes(tcp, Arc::clone(dest)))
}

/// What sending a segment achieved.
pub(crate) enum Sent {
    /// The destination holds the whole segment.
    Whole,
    /// It holds part of it (a sink took less); send the rest again.
    Part,
}

impl Link {
    /// Sends `seg` (or the part of it the destination lacks).
    pub(crate) fn send(
        &mut self,
        spool: &Spool,
        seg: &Segment,
        options: &Options,
    ) -> Result<Sent, LinkError> {
        match self {
            Link::Hobbes(tcp, dest) => {
                let bytes = read(spool, seg)?;
                let gz = match seg.codec {
                    Codec::Gzip => bytes,
                    codec => Codec::Gzip
                        .compress(&decompress(codec, &bytes, seg)?, options.compression as i32),
                };
                let _turn = dest.hobbes_turn();
                legacy::write_frame(tcp, &gz).map_err(LinkError::Send)?;
                tcp.flush()?;
                legacy::read_ack(tcp).map_err(LinkError::Ack)?;
                Ok(Sent::Whole)
            }
            Link::V2 { client, mark } => {
                if seg.end_seq() <= *mark {
                    return Ok(Sent::Whole);
                }
                if seg.first_seq > *mark {
                    return Err(LinkError::Lost {
                        mark: *mark,
                        first: seg.first_seq,
                    });
                }
                let bytes = read(spool, seg)?;
                let (first, payload, codec) = if *mark > seg.first_seq || !client.accepts(seg.codec)
                {
                    let codec = [seg.codec, Codec::Zstd, Codec::Gzip, Codec::None]
                        .into_iter()
                        .find(|c| client.accepts(*c))
                        .ok_or(LinkError::NoCodec)?;
                    let whole = decompress(seg.codec, &bytes, seg)?;
                    let rest = v2::segment::skip_transactions(&whole, *mark - seg.first_seq)
                        .map_err(|source| LinkError::Skip {
                            index: seg.index,
                            source,
                        })?;
                    let level = spool.compression.level(codec);
                    (*mark, codec.compress(rest, level), codec)
                } else {
                    (seg.first_seq, bytes, seg.codec)
                };
                let frame = SegmentFrame::new(first, seg.end_seq() - first, codec, &payload);
                let acked = client
                    .send_segment(&frame)
                    .map_err(|source| LinkError::Segment {
                        first,
                        end: seg.end_seq(),
                        source,
                    })?;
                if acked < *mark {
                    return Err(LinkError::MarkBack {
                        from: *mark,
                        to: acked,
                    });
                }
                let progress = acked > *mark;
                *mark = acked;
                if acked >= seg.end_seq() {
                    Ok(Sent::Whole)
                } else if progress {
                    Ok(Sent::Part)
                } else {
                    Err(LinkError::NoProgress {
                        first,
                        end: seg.end_seq(),
                    })
                }
            }
        }
    }

    /// Tells a v2 destination the stream ended after `end_seq`
    /// transactions; `Ok(false)` if it holds fewer and there is nothing
    /// left to send it.
    pub(crate) fn end(&mut self, end_seq: u64) -> Result<bool, LinkError> {
        match self {
            Link::Hobbes(..) => Ok(true),
            Link::V2 { mark, .. } if *mark < end_seq => Ok(false),
            Link::V2 { client, mark } => {
                *mark = client.end(end_seq).map_err(LinkError::End)?;
                Ok(true)
            }
        }
    }
}

fn read(spool: &Spool, seg: &Segment) -> Result<Vec<u8>, LinkError> {
    spool
        .read_segment(seg)
        .map_err(|source| LinkError::ReadSegment {
            index: seg.index,
            source,
        })
}

fn decompress(codec: Codec, bytes: &[u8], seg: &Segment) -> Result<Vec<u8>, LinkError> {
    codec
        .decompress(bytes, MAX_SEGMENT, "spooled segment")
        .map_err(|source| LinkError::Decompress {
            index: seg.index,
            source,
        })
}

fn tcp_connect(dest: &str, options: &Options, live: &Live) -> Result<TcpStream, LinkError> {
    let addresses = dest.to_socket_addrs().map_err(LinkError::Resolve)?;
    let mut last = LinkError::NoAddress;
    for address in addresses {
        match TcpStream::connect_timeout(&address, options.connect_timeout.0) {
            Ok(stream) => {
                let timeout = Some(options.ack_timeout.0);
                stream.set_read_timeout(timeout)?;
                stream.set_write_timeout(timeout)?;
                let _ = stream.set_nodelay(true);
                keepalive(&stream);
                *live.lock().unwrap_or_else(PoisonError::into_inner) = Some(stream.try_clone()?);
                return Ok(stream);
            }
            Err(source) => last = LinkError::Connect { address, source },
        }
    }
    Err(last)
}

/// Turns on TCP keepalive so that a silent, vanished peer is detected.
fn keepalive(stream: &TcpStream) {
    let set = |level, name, value: libc::c_int| {
        // SAFETY: setsockopt with a pointer to a live c_int of the right size.
        unsafe {
            libc::setsockopt(
                stream.as_raw_fd(),
                level,
                name,
                (&value as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
    };
    set(libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1);
    set(libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, 30);
    set(libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, 10);
    set(libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3);
}

/// Interrupts a sender blocked on its connection.
pub(crate) fn interrupt(live: &Live) {
    if let Some(stream) = live.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
        let _ = stream.shutdown(Shutdown::Both);
    }
}
