//! Producer registrations on `<dir>/hstore.<GROUP>.sk` (§2 of the hstore
//! protocol): a `u32` version, then 17-byte messages `u8 cmd, u64 pid,
//! u64 tid`, one per producer thread ring. hog never writes to the socket:
//! producers take EOF on it as "hog died".
//!
//! A registration must come from the process it names: the kernel's
//! credentials of the connection (`SO_PEERCRED`) say which process that
//! is, so no other process can claim, and by closing its connection end,
//! a live producer's ring.

use std::path::{Path, PathBuf};

use tokio::io::AsyncReadExt;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc;

use super::meta::HSTORE_VERSION;
use super::ring::WaitPolicy;

/// Longest socket path (`sun_path` holds 108 bytes with the NUL).
pub const MAX_SOCKET_PATH: usize = 107;

/// One registration message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registration {
    /// Whether the producer re-registers after losing its consumer.
    pub reconnect: bool,
    /// How the producer waits.
    pub wait: WaitPolicy,
    /// Producer process id.
    pub pid: u64,
    /// Producer thread id.
    pub tid: u64,
}

impl Registration {
    /// Parses a 17-byte message.
    pub fn parse(bytes: &[u8; 17]) -> Registration {
        let cmd = bytes[0];
        let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        Registration {
            reconnect: cmd & 1 != 0,
            wait: if cmd & 2 != 0 {
                WaitPolicy::Spin
            } else {
                WaitPolicy::Futex
            },
            pid: word(1),
            tid: word(9),
        }
    }

    /// The region this registration names for `group`.
    pub fn region(&self, group: &str) -> String {
        region_name(group, self.pid, self.tid)
    }
}

/// The name of the ring thread `tid` of process `pid` makes for `group`:
/// `/G.pid.tid` (under `/dev/shm`).
pub fn region_name(group: &str, pid: u64, tid: u64) -> String {
    format!("/{group}.{pid}.{tid}")
}

/// What a registration connection reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A producer registered a ring over connection `conn`.
    Registered {
        /// The group the connection belongs to.
        group: String,
        /// The connection.
        conn: u64,
        /// The message.
        registration: Registration,
    },
    /// Connection `conn` closed: its producer process is gone.
    Closed {
        /// The connection.
        conn: u64,
        /// Why, when it was not a plain EOF.
        why: Option<String>,
    },
}

/// The socket path of `group` in `dir`.
pub fn socket_path(dir: &Path, group: &str) -> PathBuf {
    dir.join(format!("hstore.{group}.sk"))
}

/// Binds the registration socket of `group` in `dir`, replacing a stale
/// one, with permission bits `mode`.
pub fn bind(dir: &Path, group: &str, mode: u32) -> std::io::Result<UnixListener> {
    let path = socket_path(dir, group);
    if path.as_os_str().len() > MAX_SOCKET_PATH {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("Domain socket pathname too long: {}", path.display()),
        ));
    }
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let listener = UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(mode))?;
    Ok(listener)
}

/// Why hog stopped reading a registration connection (other than EOF).
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// Reading the socket failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The producer speaks another version of the protocol.
    #[error(
        "disconnected client due to version mismatch: it speaks {0:#x}, hog {HSTORE_VERSION:#x}"
    )]
    Version(u32),
}

/// Reads one connection's registrations into `events` until it closes.
pub async fn serve(mut stream: UnixStream, group: String, conn: u64, events: mpsc::Sender<Event>) {
    let why = read_registrations(&mut stream, &group, conn, &events)
        .await
        .err()
        .map(|e| e.to_string());
    let _ = events.send(Event::Closed { conn, why }).await;
}

async fn read_registrations(
    stream: &mut UnixStream,
    group: &str,
    conn: u64,
    events: &mpsc::Sender<Event>,
) -> Result<(), RegistrationError> {
    // The process at the other end, as the kernel says.
    let peer = stream.peer_cred().ok().and_then(|c| c.pid());
    let mut version = [0u8; 4];
    if let Err(e) = stream.read_exact(&mut version).await {
        return match e.kind() {
            std::io::ErrorKind::UnexpectedEof => Ok(()),
            _ => Err(e.into()),
        };
    }
    let version = u32::from_le_bytes(version);
    if version != HSTORE_VERSION {
        return Err(RegistrationError::Version(version));
    }
    loop {
        let mut message = [0u8; 17];
        match stream.read_exact(&mut message).await {
            Ok(_) => {
                let registration = Registration::parse(&message);
                if let Some(peer) = peer.filter(|&p| i64::from(p) as u64 != registration.pid) {
                    tracing::warn!(
                        group,
                        "registration refused: process {peer} registered a ring of process {} (thread {}); a process registers only its own rings",
                        registration.pid,
                        registration.tid
                    );
                    continue;
                }
                if events
                    .send(Event::Registered {
                        group: group.to_string(),
                        conn,
                        registration,
                    })
                    .await
                    .is_err()
                {
                    return Ok(());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_registration_bytes_parse() {
        // shm/manual_commit_rollback.registration.bin after its version word.
        let bytes: [u8; 17] = [
            0, 0xfd, 0x57, 0, 0, 0, 0, 0, 0, 0xfd, 0x57, 0, 0, 0, 0, 0, 0,
        ];
        let r = Registration::parse(&bytes);
        assert_eq!(
            (r.pid, r.tid, r.reconnect, r.wait),
            (22525, 22525, false, WaitPolicy::Futex)
        );
        assert_eq!(r.region("VecTxn"), "/VecTxn.22525.22525");
        let mut spin = bytes;
        spin[0] = 3;
        let r = Registration::parse(&spin);
        assert!(r.reconnect);
        assert_eq!(r.wait, WaitPolicy::Spin);
    }
}
