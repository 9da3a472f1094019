//! The processes of one schedule: the hog producers log into (local mode
//! or a sender), the receiver (ship topology), the producers; their
//! settings, directories, kills and restarts.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::producer::GROUP;
use super::schedule::{Schedule, Target, Topology};
use crate::harness::procfs::tcp_listening;
use crate::harness::wait::wait_until;

/// The binaries a campaign runs.
#[derive(Debug, Clone)]
pub struct Binaries {
    /// hog.
    pub hog: PathBuf,
    /// This program (its `produce` subcommand is the producer).
    pub campaign: PathBuf,
    /// The failing sink (`libfaulty_plugin.so`).
    pub faulty: PathBuf,
}

/// A producer process and what it reported committed.
pub struct Producer {
    /// Its id (the high half of its values).
    pub id: u64,
    /// Records it was asked to log.
    pub records: u64,
    child: Child,
    committed: Arc<AtomicU64>,
}

impl Producer {
    /// Records it said it committed (a lower bound once it is killed).
    pub fn committed(&self) -> u64 {
        self.committed.load(Ordering::Acquire)
    }

    /// Whether it still runs.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Kills it with SIGKILL.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Its pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Every process and directory of one schedule.
pub struct Cluster {
    bins: Binaries,
    topology: Topology,
    work: PathBuf,
    /// Where files land (on the small filesystem when there is one).
    pub data: PathBuf,
    /// The failing sink fails while this file exists.
    pub flag: PathBuf,
    port: u16,
    front: Option<Child>,
    receiver: Option<Child>,
    /// The producers started so far.
    pub producers: Vec<Producer>,
}

impl Cluster {
    /// Writes the settings of `schedule` into `work` (logs, sockets, stat
    /// stores) and `disk` (data files and spools).
    pub fn new(
        bins: &Binaries,
        schedule: &Schedule,
        work: &Path,
        disk: &Path,
    ) -> Result<Cluster, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .map_err(|e| format!("no free port: {e}"))?;
        let c = Cluster {
            bins: bins.clone(),
            topology: schedule.topology,
            work: work.to_path_buf(),
            data: disk.join("data"),
            flag: work.join("failing"),
            port,
            front: None,
            receiver: None,
            producers: Vec::new(),
        };
        let second = if schedule.failing_sink {
            format!(
                "sinks = [\"disk\", \"faulty\"]\n[sink.faulty]\nplugin = \"{}\"\nfail_while = \"{}\"\nmarks_dir = \"{}\"\n",
                bins.faulty.display(),
                c.flag.display(),
                work.join("faulty-marks").display()
            )
        } else {
            String::new()
        };
        let files = format!("sink.disk.dir = \"{}/$GROUP/data\"\n", c.data.display());
        let front = match schedule.topology {
            Topology::Local => format!(
                "groups = [\"{GROUP}\"]\nstore_dir = \"{}\"\n{files}{second}",
                c.dir(Target::Front).display()
            ),
            Topology::Ship => format!(
                "groups = [\"{GROUP}\"]\nstore_dir = \"{}\"\nsinks = [\"tcp\"]\n\
                 [sink.tcp]\ndir = \"{}/$GROUP/spool\"\nbatch_time = \"50ms\"\nbatch_size = \"64KB\"\n\
                 destinations = [\"127.0.0.1:{port}\"]\nprotocol = \"v2\"\n",
                c.dir(Target::Front).display(),
                disk.join("spool").display()
            ),
        };
        c.write_config(Target::Front, &front)?;
        if schedule.topology == Topology::Ship {
            let receiver = format!(
                "store_dir = \"{}\"\nsources = [\"receiver\"]\n{files}{second}\n[receiver]\nport = \"{port}\"\nlisten = \"127.0.0.1\"\n",
                c.dir(Target::Receiver).display()
            );
            c.write_config(Target::Receiver, &receiver)?;
        }
        Ok(c)
    }

    fn dir(&self, target: Target) -> PathBuf {
        self.work.join(target.to_string())
    }

    fn write_config(&self, target: Target, text: &str) -> Result<(), String> {
        let dir = self.dir(target);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        std::fs::write(dir.join("hog.toml"), text).map_err(|e| format!("{}: {e}", dir.display()))
    }

    /// The log of `target` so far.
    pub fn log(&self, target: Target) -> String {
        std::fs::read_to_string(self.dir(target).join("hog.log")).unwrap_or_default()
    }

    /// Starts `target` and waits until it is ready (its socket, its port).
    pub fn start(&mut self, target: Target) -> Result<(), String> {
        if target == Target::Receiver && self.topology == Topology::Local {
            return Ok(());
        }
        let dir = self.dir(target);
        let socket = dir.join(format!("hstore.{GROUP}.sk"));
        let _ = std::fs::remove_file(&socket);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("hog.log"))
            .map_err(|e| e.to_string())?;
        let child = Command::new(&self.bins.hog)
            .arg("--config")
            .arg(dir.join("hog.toml"))
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("starting hog: {e}"))?;
        let port = self.port;
        match target {
            Target::Front => {
                self.front = Some(child);
                wait_until(Duration::from_secs(30), "hog's socket", || socket.exists())
            }
            Target::Receiver => {
                self.receiver = Some(child);
                wait_until(Duration::from_secs(30), "the receiver's port", || {
                    tcp_listening(port)
                })
            }
        }
    }

    /// Kills `target` with SIGKILL.
    pub fn kill(&mut self, target: Target) {
        let slot = match target {
            Target::Front => &mut self.front,
            Target::Receiver => &mut self.receiver,
        };
        if let Some(mut child) = slot.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts a producer logging `records` in transactions of `txn`.
    pub fn produce(&mut self, records: u64, txn: u64) -> Result<(), String> {
        let id = self.producers.len() as u64;
        let mut child = Command::new(&self.bins.campaign)
            .arg("produce")
            .arg(self.dir(Target::Front))
            .args([id, records, txn].map(|n| n.to_string()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting a producer: {e}"))?;
        let committed = Arc::new(AtomicU64::new(0));
        let seen = Arc::clone(&committed);
        let out = child.stdout.take().expect("piped");
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Some(n) = line.strip_prefix("committed ").and_then(|n| n.parse().ok()) {
                    seen.store(n, Ordering::Release);
                }
            }
        });
        self.producers.push(Producer {
            id,
            records,
            child,
            committed,
        });
        Ok(())
    }

    /// Stops every hog with SIGTERM (SIGKILL after 20 s); the producers'
    /// regions are removed.
    pub fn stop(&mut self) {
        for slot in [&mut self.front, &mut self.receiver] {
            if let Some(mut child) = slot.take() {
                // SAFETY: signalling our own child.
                unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
                let deadline = std::time::Instant::now() + Duration::from_secs(20);
                while matches!(child.try_wait(), Ok(None)) && std::time::Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(20));
                }
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        for p in &mut self.producers {
            p.kill();
            let prefix = format!("{GROUP}.{}.", p.pid());
            for entry in std::fs::read_dir("/dev/shm")
                .into_iter()
                .flatten()
                .flatten()
            {
                if entry.file_name().to_string_lossy().starts_with(&prefix) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}
