//! A v2 sender's conversation (see [`crate::wire::v2`]).
//!
//! The receiver names the stream by the sender's identity, so the stat
//! store hands back the same stream id to a sender that reconnects, and
//! every sink reports the mark it keeps with its data; the lowest is the
//! mark the sender resumes from. Segments at or below the mark are
//! acknowledged without being applied again; the fan-out trims a segment
//! that straddles it. A connection that drops leaves the stream open on the
//! sinks for the sender to resume; only `End` closes it.
//!
//! Until a sender has authenticated (when authentication is required) it
//! learns nothing: every refusal is the bare `Refused`, and no stream is
//! registered, no file created.

use std::time::Duration;

use tokio::runtime::Handle;

use crate::pipeline::Batch;
use crate::pipeline::StreamDelivery;
use crate::types::StatementTable;
use crate::wire::v2::frame::{Answer, Message, Probe, Status};
use crate::wire::v2::hello::plausible_start;
use crate::wire::v2::segment::Codec;
use crate::wire::v2::{token, Hello};

use super::conn::Conn;
use super::error::ConnError;
use super::Shared;

/// How long a reconnecting sender waits for its old connection to let go.
const TAKEOVER: Duration = Duration::from_secs(30);

/// Serves a v2 sender whose first frame was `probe`; returns the
/// transactions applied.
pub(super) fn serve(
    conn: &mut Conn,
    probe: &[u8],
    shared: &Shared,
    handle: &Handle,
) -> Result<u64, ConnError> {
    let prepared = &shared.prepared;
    let config = &prepared.config;
    conn.handshake_within(config.handshake_timeout.0);
    let answer = |status| Answer {
        status,
        codecs: Codec::all_bits(),
    };
    let probe = match Probe::decode(probe) {
        Ok(probe) => probe,
        Err(e) => {
            let _ = conn.write_frame(&answer(Status::Refused).encode());
            return Err(e.into());
        }
    };
    let status = match (probe.tls, &prepared.tls) {
        (true, Some(_)) => Status::Tls,
        (true, None) => Status::Refused,
        (false, _) if config.require_tls => Status::Refused,
        (false, _) => Status::Plain,
    };
    conn.write_frame(&answer(status).encode())?;
    match (status, &prepared.tls) {
        (Status::Refused, _) if probe.tls => {
            return Err(ConnError::Refused(
                "the sender asked for TLS, which is not configured (receiver.tls)",
            ))
        }
        (Status::Refused, _) => {
            return Err(ConnError::Refused(
                "the sender does not use TLS (receiver.require_tls)",
            ))
        }
        (Status::Tls, Some(tls)) => conn.start_tls(tls)?,
        _ => {}
    }
    let max_hello = config.max_init.0.min(config.max_frame.0);
    let Some(frame) = conn.read_frame(max_hello, "hello")? else {
        return Ok(0);
    };
    let body = match Message::decode(&frame) {
        Ok(Message::Hello(body)) => body,
        _ => return refuse(conn, "the first message is not a hello"),
    };
    let offered = match Hello::token(body) {
        Ok((offered, _)) => offered,
        Err(_) => return refuse(conn, "a malformed hello"),
    };
    let by_token = !prepared.tokens.is_empty() && token::any_matches(&prepared.tokens, offered);
    if !offered.is_empty() && !prepared.tokens.is_empty() && !by_token {
        return refuse(conn, "a wrong token");
    }
    let authenticated = by_token || conn.transport().client_certified();
    if config.require_auth && !authenticated {
        return refuse(
            conn,
            "no client certificate and no token (receiver.require_auth)",
        );
    }
    // Who the sender is, as far as this receiver can tell: the stream it
    // opens is bound to it.
    let identity = if by_token {
        offered.to_vec()
    } else {
        conn.transport()
            .client_certificate()
            .map(<[u8]>::to_vec)
            .unwrap_or_default()
    };
    // From here on the sender is entitled to know what went wrong.
    let session = Session::open(conn, body, &identity, shared, handle);
    match session {
        Ok(session) => {
            conn.opened();
            let result = session.run(conn, shared, handle);
            if let Err(e) = &result {
                let _ = conn.write_frame(&Message::Error(e.to_string()).encode());
            }
            result
        }
        Err(e) => {
            let _ = conn.write_frame(&Message::Error(e.to_string()).encode());
            Err(e)
        }
    }
}

fn refuse(conn: &mut Conn, why: &'static str) -> Result<u64, ConnError> {
    let _ = conn.write_frame(&Message::Refused.encode());
    Err(ConnError::Refused(why))
}

/// One stream being received.
struct Session {
    delivery: StreamDelivery,
    table: StatementTable,
    mark: u64,
    applied: u64,
    claim: super::streams::Claim,
}

impl Session {
    /// Registers the stream (the same one again for a sender that
    /// reconnects), opens it on every sink and welcomes the sender with
    /// the mark.
    fn open(
        conn: &mut Conn,
        body: &[u8],
        identity: &[u8],
        shared: &Shared,
        handle: &Handle,
    ) -> Result<Session, ConnError> {
        let hello = Hello::decode(body)?;
        plausible_start(hello.started_at_ns, crate::clock::now_ns()).map_err(|why| {
            ConnError::StartTime {
                started_at_ns: hello.started_at_ns,
                why,
            }
        })?;
        let table = StatementTable::new(&hello.init.statements).map_err(ConnError::Init)?;
        let region = hello.receiver_region();
        let key = (hello.group.clone(), region.clone(), hello.started_at_ns);
        let socket = conn.transport().tcp().try_clone()?;
        let claim = shared.active.claim(key, identity, socket, TAKEOVER)?;
        let delivery = handle.block_on(shared.fanout.open_stream(hello.stream_info(), None))?;
        let mark = delivery.durable_end().ok_or(ConnError::NoSink)?;
        tracing::info!(
            peer = %conn.peer,
            stream = delivery.stream().id,
            tls = conn.transport().is_tls(),
            "receiving group '{}' from {} (v2), resuming at transaction {mark}",
            hello.group,
            region
        );
        conn.write_frame(&Message::Welcome { mark }.encode())?;
        Ok(Session {
            delivery,
            table,
            mark,
            applied: 0,
            claim,
        })
    }

    /// Applies segments until the sender ends the stream or goes away.
    fn run(mut self, conn: &mut Conn, shared: &Shared, handle: &Handle) -> Result<u64, ConnError> {
        let config = &shared.prepared.config;
        while let Some(frame) = conn.read_frame(config.max_frame.0, "v2 message")? {
            match Message::decode(&frame)? {
                Message::Segment(seg) => {
                    if seg.end_seq() <= self.mark {
                        // Resent after a lost ack: held already, not opened.
                        conn.write_frame(&Message::Ack { mark: self.mark }.encode())?;
                        continue;
                    }
                    let declared = seg.codec.declared_len(seg.payload);
                    let (_held, bound) = shared.hold_for(frame.len(), declared)?;
                    let payload = seg.open(bound)?;
                    if seg.first_seq > self.mark {
                        return Err(ConnError::Gap {
                            mark: self.mark,
                            first: seg.first_seq,
                        });
                    }
                    self.apply(seg.first_seq, &payload, handle)?;
                    conn.write_frame(&Message::Ack { mark: self.mark }.encode())?;
                }
                Message::End { end_seq } if end_seq == self.mark => {
                    let stream = self.delivery.stream().id;
                    handle.block_on(self.delivery.close(end_seq))?;
                    shared.ended(stream);
                    self.claim.ended();
                    conn.write_frame(&Message::Ack { mark: self.mark }.encode())?;
                    tracing::info!(peer = %conn.peer, stream, "stream ended after {end_seq} transactions");
                    return Ok(self.applied);
                }
                Message::End { end_seq } => {
                    return Err(ConnError::End {
                        end: end_seq,
                        mark: self.mark,
                    })
                }
                other => return Err(ConnError::Unexpected(other.name())),
            }
        }
        Ok(self.applied)
    }

    /// Checks every transaction of a segment starting at `first_seq` and
    /// delivers the ones the sinks do not hold yet.
    fn apply(&mut self, first_seq: u64, payload: &[u8], handle: &Handle) -> Result<(), ConnError> {
        let batch = Batch::checked(self.delivery.stream().id, first_seq, payload, &self.table)?;
        let end = batch.end_seq();
        if end > self.mark {
            let before = self.mark;
            self.mark = handle.block_on(self.delivery.deliver(batch, None))?;
            self.applied += self.mark.saturating_sub(before);
        }
        Ok(())
    }
}
