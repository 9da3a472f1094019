//! The in-process drainer of the "producer alone" figure: it stands in for
//! hog on the registration socket, maps the region it is told about and
//! releases every published slot as soon as it has checked the records in
//! it. It does no I/O, so the producer's time is the producer's own cost.

use std::io::Read;
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use hstore_shm::WaitPolicy;

use super::verifier::Verifier;
use crate::workload::Workload;
use hog_core::hstore::Region;

/// A drainer thread serving one producer thread's registration.
pub struct Drainer {
    done: Arc<AtomicBool>,
    thread: JoinHandle<Result<Verifier, String>>,
}

impl Drainer {
    /// Listens on `<dir>/hstore.<group>.sk`; the thread attaches the first
    /// ring registered there and drains it. Caught up, it polls (`Spin`) or
    /// sleeps on the ring's futex as hog does (`Futex`), which makes the
    /// producer wake it with a system call when it publishes a slot.
    pub fn start(
        dir: &Path,
        group: &str,
        workload: Workload,
        wait: WaitPolicy,
    ) -> std::io::Result<Drainer> {
        let socket = dir.join(format!("hstore.{group}.sk"));
        let _ = std::fs::remove_file(&socket);
        let listener = UnixListener::bind(&socket)?;
        let done = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&done);
        let group = group.to_string();
        let thread = std::thread::spawn(move || drain(listener, &group, workload, wait, &flag));
        Ok(Drainer { done, thread })
    }

    /// Tells the drainer the producer has committed its last record, waits
    /// for it to release everything and returns what it checked.
    pub fn finish(self) -> Result<Verifier, String> {
        self.done.store(true, Ordering::Release);
        self.thread
            .join()
            .map_err(|_| "the drainer panicked".to_string())?
    }
}

fn drain(
    listener: UnixListener,
    group: &str,
    workload: Workload,
    wait: WaitPolicy,
    done: &AtomicBool,
) -> Result<Verifier, String> {
    let (mut conn, _) = listener.accept().map_err(|e| format!("accept: {e}"))?;
    let mut hello = [0u8; 4 + 17];
    conn.read_exact(&mut hello)
        .map_err(|e| format!("reading the registration: {e}"))?;
    let pid = u64::from_le_bytes(hello[5..13].try_into().expect("8 bytes"));
    let tid = u64::from_le_bytes(hello[13..21].try_into().expect("8 bytes"));
    let name = format!("/{group}.{pid}.{tid}");
    let view = Region::attach(&name).map_err(|e| format!("{name}: {e}"))?;
    let ring = view.ring();
    let mut verifier = Verifier::new(workload);
    let mut ri = ring.ri();
    loop {
        let wi = ring.wi();
        if wi == ri {
            // `done` is stored after the last commit was published.
            if done.load(Ordering::Acquire) && ring.wi() == ri {
                // Drained: remove the region, as hog does.
                let _ = std::fs::remove_file(format!("/dev/shm{name}"));
                return Ok(verifier);
            }
            match wait {
                // Poll without announcing a wait: the producer never has
                // anyone to wake, as with a busy-polling consumer.
                WaitPolicy::Spin => std::hint::spin_loop(),
                WaitPolicy::Futex => ring.wait(ri, WaitPolicy::Futex, Duration::from_millis(1)),
            }
            continue;
        }
        while ri != wi {
            let footer = ring.footer(ri);
            verifier.feed(ring.payload(ri, footer.used))?;
            ri = ring.next(ri);
        }
        ring.pop_to(ri);
    }
}
