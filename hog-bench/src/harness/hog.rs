//! hog processes in the modes under test, started with hobbes' flags:
//! local (`-g G -m DIR -d …`), batchsend (`… -p 100ms 10MB 127.0.0.1:PORT`,
//! the protocol set in a config file) and batchrecv (`-s PORT`, listening
//! on 127.0.0.1 only); and the C++ hog (`--cpp-hog`) in the same modes,
//! run in its directory (it writes `hogstat.db` into its working
//! directory) and given `localhost:PORT` (a numeric address crashes it).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::procfs::tcp_listening;
use super::wait::wait_until;

/// The batch protocol a sender speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// The hobbes protocol: gzip (level 6) segments.
    Legacy,
    /// hog's v2: zstd segments, exactly-once across reconnections.
    V2,
}

impl Protocol {
    /// Both, in report order.
    pub const ALL: [Protocol; 2] = [Protocol::Legacy, Protocol::V2];

    /// Its name in metric keys.
    pub fn key(self) -> &'static str {
        match self {
            Protocol::Legacy => "gzip",
            Protocol::V2 => "v2",
        }
    }

    /// Its name for people.
    pub fn label(self) -> &'static str {
        match self {
            Protocol::Legacy => "legacy gzip",
            Protocol::V2 => "v2 zstd",
        }
    }

    /// Its value of the tcp sink's `protocol` setting.
    pub fn setting(self) -> &'static str {
        match self {
            Protocol::Legacy => "hobbes",
            Protocol::V2 => "v2",
        }
    }
}

/// A hog started by the harness; killed if dropped.
pub struct HogProcess {
    child: Child,
    log: PathBuf,
    /// The C++ hog, which has no clean stop: SIGTERM ends it by signal.
    cpp: bool,
}

/// The data (or spool) template of a run directory.
pub fn template(dir: &Path) -> String {
    format!("{}/$GROUP/$DATE/data", dir.display())
}

impl HogProcess {
    /// Local mode: drains `group`'s producers in `dir` into files there.
    pub fn local(hog: &Path, dir: &Path, group: &str) -> Result<HogProcess, String> {
        Self::local_with(hog, dir, group, &[])
    }

    /// Local mode with `flags` added (such as `-z`).
    pub fn local_with(
        hog: &Path,
        dir: &Path,
        group: &str,
        flags: &[&str],
    ) -> Result<HogProcess, String> {
        let mut cmd = command(hog);
        cmd.args(["-g", group, "-m"])
            .arg(dir)
            .args(["-d", &template(dir)])
            .args(flags);
        Self::spawn(cmd, dir).and_then(|h| h.await_socket(dir, group))
    }

    /// Batchsend mode: ships `group`'s records to 127.0.0.1:`port` with
    /// `protocol`, cutting a batch every 100 ms or 10 MB.
    pub fn sender(
        hog: &Path,
        dir: &Path,
        group: &str,
        port: u16,
        protocol: Protocol,
    ) -> Result<HogProcess, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let config = dir.join("sender.toml");
        let text = format!("[sink.tcp]\nprotocol = \"{}\"\n", protocol.setting());
        std::fs::write(&config, text).map_err(|e| format!("{}: {e}", config.display()))?;
        let mut cmd = command(hog);
        cmd.arg("--config")
            .arg(&config)
            .args(["-g", group, "-m"])
            .arg(dir)
            .args(["-d", &template(dir)])
            .args(["-p", "100ms", "10MB", &format!("127.0.0.1:{port}")]);
        Self::spawn(cmd, dir).and_then(|h| h.await_socket(dir, group))
    }

    /// Ships `group`'s records into JetStream stream `HOG` on `servers` (a
    /// TOML array) with `replicas`, serving metrics on `metrics`.
    pub fn jetstream_sender(
        hog: &Path,
        dir: &Path,
        group: &str,
        servers: &str,
        replicas: usize,
        metrics: u16,
    ) -> Result<HogProcess, String> {
        let text = format!(
            "sinks = [\"jetstream\"]\n[sink.jetstream]\nservers = {servers}\nreplicas = {replicas}\n"
        );
        let mut cmd = with_config(hog, dir, "sender.toml", &text)?;
        cmd.args(["-g", group, "-m"])
            .arg(dir)
            .args(["--metrics", &metrics.to_string()]);
        Self::spawn(cmd, dir).and_then(|h| h.await_socket(dir, group))
    }

    /// Reads JetStream stream `HOG` on `servers` into files in `dir`.
    pub fn jetstream_reader(hog: &Path, dir: &Path, servers: &str) -> Result<HogProcess, String> {
        let text = format!(
            "store_dir = \"{d}\"\nsources = [\"jetstream\"]\nsinks = [\"disk\"]\n\
             [sink.disk]\ndir = \"{t}\"\n[source.jetstream]\nservers = {servers}\n",
            d = dir.display(),
            t = template(dir),
        );
        let cmd = with_config(hog, dir, "reader.toml", &text)?;
        Self::spawn(cmd, dir)
    }

    /// Batchrecv mode: receives on 127.0.0.1:`port` into files in `dir`.
    pub fn receiver(hog: &Path, dir: &Path, port: u16) -> Result<HogProcess, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let config = dir.join("receiver.toml");
        std::fs::write(&config, "[receiver]\nlisten = \"127.0.0.1\"\n")
            .map_err(|e| format!("{}: {e}", config.display()))?;
        let mut cmd = command(hog);
        cmd.arg("--config")
            .arg(&config)
            .args(["-s", &port.to_string(), "-m"])
            .arg(dir)
            .args(["-d", &template(dir)]);
        let h = Self::spawn(cmd, dir)?;
        wait_until(Duration::from_secs(20), "the receiver to listen", || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        })?;
        Ok(h)
    }

    /// The C++ hog in local mode, in `dir`.
    pub fn cpp_local(cpp: &Path, dir: &Path, group: &str) -> Result<HogProcess, String> {
        let mut cmd = command(cpp);
        cmd.current_dir(dir)
            .args(["-g", group, "-m"])
            .arg(dir)
            .args(["-d", &template(dir)]);
        Self::spawn_cpp(cmd, dir).and_then(|h| h.await_socket(dir, group))
    }

    /// The C++ hog in batchsend mode (gzip level 6, the hobbes protocol),
    /// cutting a batch every 100 ms or 10 MB as [`HogProcess::sender`].
    pub fn cpp_sender(
        cpp: &Path,
        dir: &Path,
        group: &str,
        port: u16,
    ) -> Result<HogProcess, String> {
        let mut cmd = command(cpp);
        cmd.current_dir(dir)
            .args(["-g", group, "-m"])
            .arg(dir)
            .args(["-d", &template(dir)])
            .args(["-p", "100ms", "10MB", &format!("localhost:{port}")]);
        Self::spawn_cpp(cmd, dir).and_then(|h| h.await_socket(dir, group))
    }

    /// The C++ hog in batchrecv mode (it listens on every address).
    pub fn cpp_receiver(cpp: &Path, dir: &Path, port: u16) -> Result<HogProcess, String> {
        let mut cmd = command(cpp);
        cmd.current_dir(dir)
            .args(["-s", &port.to_string()])
            .args(["-d", &template(dir)]);
        let h = Self::spawn_cpp(cmd, dir)?;
        wait_until(
            Duration::from_secs(20),
            "the C++ receiver to listen",
            || tcp_listening(port),
        )?;
        Ok(h)
    }

    fn spawn_cpp(cmd: Command, dir: &Path) -> Result<HogProcess, String> {
        let mut h = Self::spawn(cmd, dir)?;
        h.cpp = true;
        Ok(h)
    }

    /// Starts `cmd` in `dir`, first removing the registration sockets a
    /// killed hog left there.
    fn spawn(mut cmd: Command, dir: &Path) -> Result<HogProcess, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("hstore.") && name.ends_with(".sk") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        let log = dir.join("hog.log");
        let err = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(|e| format!("{}: {e}", log.display()))?;
        let child = cmd
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .map_err(|e| format!("starting hog: {e}"))?;
        Ok(HogProcess {
            child,
            log,
            cpp: false,
        })
    }

    /// Waits for the registration socket. The caller removed any stale one
    /// (see [`HogProcess::spawn`]), so its existence means this hog made it.
    fn await_socket(self, dir: &Path, group: &str) -> Result<HogProcess, String> {
        let socket = dir.join(format!("hstore.{group}.sk"));
        wait_until(Duration::from_secs(20), "hog's registration socket", || {
            socket.exists()
        })
        .map_err(|e| format!("{e}\n{}", self.log_text()))?;
        Ok(self)
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What it logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// How many of its log lines contain `what`.
    pub fn logged(&self, what: &str) -> usize {
        self.log_text().lines().filter(|l| l.contains(what)).count()
    }

    /// Waits until `n` streams it read from producers are closed.
    pub fn await_closed_streams(&self, n: usize, timeout: Duration) -> Result<(), String> {
        wait_until(timeout, "hog to close the streams", || {
            self.logged("stream closed") >= n
        })
        .map_err(|e| format!("{e}\n{}", self.log_text()))
    }

    /// Whether it is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Stops it with SIGTERM and waits (SIGKILL after 20 s); ours must exit
    /// cleanly.
    pub fn stop(mut self) -> Result<(), String> {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = wait_until(Duration::from_secs(20), "hog to stop", || !self.running());
        let _ = self.child.kill();
        let status = self.child.wait().map_err(|e| e.to_string())?;
        if status.success() || self.cpp {
            Ok(())
        } else {
            Err(format!("hog exited with {status}\n{}", self.log_text()))
        }
    }

    /// Kills it with SIGKILL and waits.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for HogProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A hog command with a clean `HOG_*` environment.
/// hog with the config file `name` in `dir` holding `text`.
fn with_config(hog: &Path, dir: &Path, name: &str, text: &str) -> Result<Command, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let config = dir.join(name);
    std::fs::write(&config, text).map_err(|e| format!("{}: {e}", config.display()))?;
    let mut cmd = command(hog);
    cmd.arg("--config").arg(&config);
    Ok(cmd)
}

fn command(hog: &Path) -> Command {
    let mut cmd = Command::new(hog);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("HOG_") {
            cmd.env_remove(key);
        }
    }
    cmd.env_remove("RUST_LOG");
    cmd
}
