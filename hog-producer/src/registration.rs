//! Registering rings with hog over `<dir>/hstore.<GROUP>.sk`: a `u32`
//! version on connect, then 17 bytes per ring (`cmd`, pid, tid). Written
//! with `MSG_NOSIGNAL`, so a dead hog never kills the producer with SIGPIPE.

use std::io;
use std::os::unix::io::AsRawFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use hstore_shm::{WaitPolicy, HSTORE_VERSION};

/// The connection of one process to hog for one group.
pub(crate) struct Connection {
    socket: PathBuf,
    stream: Option<UnixStream>,
    /// Rings of this process in this group: (tid, wait policy).
    rings: Vec<(u64, WaitPolicy)>,
}

impl Connection {
    /// A connection to the socket at `socket`, not yet made.
    pub(crate) fn new(socket: PathBuf) -> Self {
        Self {
            socket,
            stream: None,
            rings: Vec::new(),
        }
    }

    /// Whether a connection is open (hog may have died since).
    pub(crate) fn is_connected(&self) -> bool {
        self.stream.is_some()
    }

    /// Registers the ring of thread `tid`, connecting first if needed. The
    /// ring is remembered even if this fails, for the next reconnect.
    pub(crate) fn register(&mut self, tid: u64, wait: WaitPolicy) -> io::Result<()> {
        self.rings.retain(|&(t, _)| t != tid);
        self.rings.push((tid, wait));
        if self.stream.is_none() {
            self.stream = Some(connect(&self.socket)?);
        }
        let result = send(
            self.stream.as_ref().expect("connected"),
            &message(false, wait, tid),
        );
        if result.is_err() {
            self.stream = None;
        }
        result
    }

    /// If hog is gone (no connection, or EOF on it), connects again and
    /// re-registers every ring of this process. Returns whether it did.
    pub(crate) fn reconnect_if_lost(&mut self) -> bool {
        if self.stream.as_ref().is_some_and(alive) {
            return false;
        }
        self.stream = None;
        let Ok(stream) = connect(&self.socket) else {
            return false;
        };
        for &(tid, wait) in &self.rings {
            if send(&stream, &message(true, wait, tid)).is_err() {
                return false;
            }
        }
        self.stream = Some(stream);
        true
    }
}

fn message(reconnect: bool, wait: WaitPolicy, tid: u64) -> [u8; 17] {
    let mut m = [0u8; 17];
    m[0] = u8::from(reconnect) | (u8::from(wait == WaitPolicy::Spin) << 1);
    m[1..9].copy_from_slice(&u64::from(std::process::id()).to_le_bytes());
    m[9..17].copy_from_slice(&tid.to_le_bytes());
    m
}

fn connect(path: &Path) -> io::Result<UnixStream> {
    let stream = UnixStream::connect(path)?;
    send(&stream, &HSTORE_VERSION.to_le_bytes())?;
    Ok(stream)
}

fn send(stream: &UnixStream, bytes: &[u8]) -> io::Result<()> {
    let mut sent = 0;
    while sent < bytes.len() {
        // SAFETY: the pointer and length describe the unsent tail of `bytes`.
        let n = unsafe {
            libc::send(
                stream.as_raw_fd(),
                bytes[sent..].as_ptr().cast(),
                bytes.len() - sent,
                libc::MSG_NOSIGNAL,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        } else {
            sent += n as usize;
        }
    }
    Ok(())
}

/// Whether the peer is still there: only EOF says it is gone (hog never
/// writes; bytes it did write would not count as a disconnection).
fn alive(stream: &UnixStream) -> bool {
    let mut byte = 0u8;
    // SAFETY: a one-byte peek into a local buffer.
    let n = unsafe {
        libc::recv(
            stream.as_raw_fd(),
            (&mut byte as *mut u8).cast(),
            1,
            libc::MSG_PEEK | libc::MSG_DONTWAIT,
        )
    };
    n != 0
}
