//! One destination of one stream: sends the spool's segments in index order
//! over its own connection, with timeouts, TCP keepalive and capped,
//! jittered exponential backoff while the destination is down.

use std::io::Write;
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::os::unix::io::AsRawFd;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use hog_core::plugin::Logger;
use hog_core::wire::legacy;

use crate::options::Options;
use crate::spool::{Segment, Spool};

/// The connection a sender currently uses, so shutdown can interrupt it.
pub type Live = Arc<Mutex<Option<TcpStream>>>;

/// Sends `spool`'s segments to `dest` until the stream is drained or the
/// sink stops.
pub fn run(spool: Arc<Spool>, dest: String, options: Arc<Options>, logger: Logger, live: Live) {
    let mut backoff = Duration::from_millis(100);
    let mut down_since: Option<Instant> = None;
    let mut reported = Instant::now() - Duration::from_secs(3600);
    loop {
        let Some(segment) = next_segment(&spool, &dest) else {
            return;
        };
        let result = deliver(&spool, &dest, &segment, &options, &live);
        match result {
            Ok(()) => {
                if let Some(since) = down_since.take() {
                    logger.info(&format!(
                        "{dest} is back after {:.1}s; sending the backlog of group {}",
                        since.elapsed().as_secs_f64(),
                        spool.group
                    ));
                }
                backoff = Duration::from_millis(100);
                if let Err(e) = spool.acknowledge(&dest, segment.index) {
                    logger.error(&e.to_string());
                }
            }
            Err(e) => {
                *live.lock().unwrap_or_else(PoisonError::into_inner) = None;
                down_since.get_or_insert_with(Instant::now);
                if reported.elapsed() >= Duration::from_secs(60) {
                    logger.warn(&format!(
                        "{dest} (group {}): {e}; segments stay spooled, retrying",
                        spool.group
                    ));
                    reported = Instant::now();
                }
                pause(&spool, with_jitter(backoff));
                backoff = (backoff * 2).min(options.max_backoff.0);
            }
        }
    }
}

/// The next segment `dest` has not acknowledged, waiting for one; `None`
/// once the stream is drained for `dest` or the sink stops.
fn next_segment(spool: &Spool, dest: &str) -> Option<Segment> {
    let mut state = spool.lock();
    loop {
        if state.stopping {
            return None;
        }
        let acked = state.acked.get(dest).copied().unwrap_or(0);
        if let Some((_, seg)) = state.segments.range(acked + 1..).next() {
            return Some(seg.clone());
        }
        if state.finished_for(acked) {
            return None;
        }
        state = spool.wait(state, Duration::from_secs(1));
    }
}

fn deliver(
    spool: &Spool,
    dest: &str,
    segment: &Segment,
    options: &Options,
    live: &Live,
) -> Result<(), String> {
    let mut slot = live.lock().unwrap_or_else(PoisonError::into_inner);
    if slot.is_none() {
        *slot = Some(connect(spool, dest, options)?);
    }
    let mut stream = slot
        .as_ref()
        .expect("connected")
        .try_clone()
        .map_err(|e| e.to_string())?;
    drop(slot);
    let bytes = spool
        .read_segment(segment)
        .map_err(|e| format!("cannot read segment {}: {e}", segment.index))?;
    legacy::write_frame(&mut stream, &bytes).map_err(|e| format!("sending: {e}"))?;
    stream.flush().map_err(|e| e.to_string())?;
    legacy::read_ack(&mut stream).map_err(|e| format!("waiting for the acknowledgement: {e}"))
}

fn connect(spool: &Spool, dest: &str, options: &Options) -> Result<TcpStream, String> {
    let addresses = dest
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve: {e}"))?;
    let mut last = String::from("no address");
    for address in addresses {
        match TcpStream::connect_timeout(&address, options.connect_timeout.0) {
            Ok(mut stream) => {
                let timeout = Some(options.ack_timeout.0);
                stream
                    .set_read_timeout(timeout)
                    .map_err(|e| e.to_string())?;
                stream
                    .set_write_timeout(timeout)
                    .map_err(|e| e.to_string())?;
                let _ = stream.set_nodelay(true);
                keepalive(&stream);
                legacy::write_frame(&mut stream, spool.group.as_bytes())
                    .and_then(|_| legacy::write_frame(&mut stream, &spool.init))
                    .map_err(|e| format!("handshake: {e}"))?;
                legacy::read_ack(&mut stream).map_err(|e| format!("handshake: {e}"))?;
                return Ok(stream);
            }
            Err(e) => last = format!("cannot connect to {address}: {e}"),
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
pub fn interrupt(live: &Live) {
    if let Some(stream) = live.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
        let _ = stream.shutdown(Shutdown::Both);
    }
}

fn pause(spool: &Spool, d: Duration) {
    let state = spool.lock();
    if !state.stopping {
        drop(spool.wait(state, d));
    }
}

/// `d` plus up to 50% of it, so that many senders do not retry in step.
fn with_jitter(d: Duration) -> Duration {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|t| t.subsec_nanos())
        .unwrap_or(0) as u64;
    let half = d.as_millis() as u64 / 2;
    d + Duration::from_millis(if half == 0 { 0 } else { nanos % half })
}
