//! Helpers shared by the end-to-end tests: the hog binary, plugin libraries
//! built from the workspace, running hog to completion, producer processes
//! and ports to listen on.

#![allow(dead_code)]

pub mod regions;

use std::ops::{Deref, DerefMut};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::sync::Mutex;

/// The `hog` binary under test.
pub fn hog_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_hog"))
}

/// A `hog` command with a clean `HOG_*` environment.
pub fn hog() -> Command {
    let mut cmd = Command::new(hog_bin());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("HOG_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Builds the workspace plugin crate `package` as a `cdylib` (once per test
/// process) and returns the library's path, next to the hog binary.
pub fn plugin_library(package: &str) -> PathBuf {
    build_library(package, &["build"])
}

/// Builds a plugin crate that hog also links statically (its `export`
/// feature on) as a `cdylib`, and returns the library's path.
pub fn builtin_plugin_library(package: &str) -> PathBuf {
    build_library(
        package,
        &["rustc", "--features", "export", "--crate-type", "cdylib"],
    )
}

fn build_library(package: &str, how: &[&str]) -> PathBuf {
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let out_dir = hog_bin()
        .parent()
        .expect("hog has a directory")
        .to_path_buf();
    let library = out_dir.join(format!("lib{}.so", package.replace('-', "_")));
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if !built.iter().any(|p| p == package) {
        let target_dir = out_dir.parent().expect("a target directory");
        let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cargo
            .arg(how[0])
            .args(["--quiet", "-p", package])
            .args(&how[1..])
            .arg("--target-dir")
            .arg(target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if out_dir.file_name().is_some_and(|n| n == "release") {
            cargo.arg("--release");
        }
        let status = cargo.status().expect("cargo runs");
        assert!(status.success(), "building plugin {package} failed");
        built.push(package.to_string());
    }
    assert!(library.exists(), "{} was not built", library.display());
    library
}

/// Builds example program `name` of workspace package `package` (once per
/// test process) and returns its path.
pub fn example_program(package: &str, name: &str) -> PathBuf {
    let out_dir = hog_bin()
        .parent()
        .expect("hog has a directory")
        .to_path_buf();
    let program = out_dir.join("examples").join(name);
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if !built.iter().any(|p| p == name) {
        let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cargo
            .args([
                "build",
                "--quiet",
                "-p",
                package,
                "--example",
                name,
                "--target-dir",
            ])
            .arg(out_dir.parent().expect("a target directory"))
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if out_dir.file_name().is_some_and(|n| n == "release") {
            cargo.arg("--release");
        }
        assert!(
            cargo.status().expect("cargo runs").success(),
            "building {name} failed"
        );
        built.push(name.to_string());
    }
    program
}

/// A hog running in the background, killed when dropped.
pub struct Hog {
    child: std::process::Child,
    /// Where its standard error goes.
    pub log: PathBuf,
}

impl Hog {
    /// Starts hog with `config`, logging to `log`.
    pub fn start(config: &Path, log: &Path) -> Hog {
        let err = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("hog log");
        let child = hog()
            .arg("--config")
            .arg(config)
            .stdout(std::process::Stdio::null())
            .stderr(err)
            .spawn()
            .expect("hog starts");
        Hog {
            child,
            log: log.to_path_buf(),
        }
    }

    /// Starts hog as `cmd` describes (its output already redirected).
    pub fn spawn(mut cmd: Command, log: &Path) -> Hog {
        Hog {
            child: cmd.spawn().expect("hog starts"),
            log: log.to_path_buf(),
        }
    }

    /// The hog's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops hog with SIGTERM and waits; returns its exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        // SAFETY: signalling our own child process.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        self.child.wait().expect("hog exits")
    }

    /// Kills hog with SIGKILL and waits.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("hog exits");
    }

    /// Waits for hog to exit by itself; returns its status.
    pub fn wait(mut self) -> std::process::ExitStatus {
        self.child.wait().expect("hog exits")
    }

    /// What hog logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Hog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A producer process: hog-producer's `loadgen` logging into `group`
/// through the socket in `dir`, as `args` say (threads, records per
/// thread, commit method, pages, records per transaction).
pub fn loadgen(dir: &Path, group: &str, args: &[&str]) -> Producer {
    let child = Command::new(example_program("hog-producer", "loadgen"))
        .arg(group)
        .arg(dir)
        .args(args)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("loadgen starts");
    Producer { child }
}

/// A producer process, killed if still running and its regions removed
/// when dropped: hog unlinks a region only once it has drained it, so a
/// producer killed by SIGKILL, or one whose stream a stopped hog left
/// open, would leave its regions in `/dev/shm`. Keep it until the test
/// ends: a restarted hog re-attaches the regions of unfinished streams.
/// Dereferences to its [`Child`].
pub struct Producer {
    child: Child,
}

impl Producer {
    /// Waits for the producer to exit and asserts that it succeeded.
    pub fn finish(&mut self) {
        let status = self.child.wait().expect("the producer exits");
        assert!(status.success(), "the producer failed: {status}");
    }

    /// Kills the producer with SIGKILL and reaps it, so that hog sees it
    /// gone; returns its pid.
    pub fn kill(&mut self) -> u32 {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("the producer exits");
        self.child.id()
    }

    /// Whether the producer is still running.
    pub fn running(&mut self) -> bool {
        self.child
            .try_wait()
            .expect("the producer's status")
            .is_none()
    }
}

impl From<Child> for Producer {
    /// Takes charge of a producer process started elsewhere.
    fn from(child: Child) -> Producer {
        Producer { child }
    }
}

impl Deref for Producer {
    type Target = Child;

    fn deref(&self) -> &Child {
        &self.child
    }
}

impl DerefMut for Producer {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.child
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        regions::remove_regions_of(self.child.id());
    }
}

/// A TCP port on loopback for a hog to listen on, reserved for the rest of
/// this test process, so that a hog started on it later, or restarted on
/// it after a kill, finds it free. The port lies outside the kernel's
/// ephemeral range, which `bind` to port 0 and outgoing connections draw
/// from, and is claimed by binding the abstract Unix socket
/// `@hog-test-port-<port>`, which no other test, in this process or in a
/// test binary running at the same time, can then bind.
pub fn free_port() -> u16 {
    use std::hash::BuildHasher;
    use std::os::linux::net::SocketAddrExt;
    static CLAIMS: Mutex<Vec<UnixListener>> = Mutex::new(Vec::new());
    let ports = ports_outside_the_ephemeral_range();
    let start = std::collections::hash_map::RandomState::new().hash_one(std::process::id());
    for i in 0..ports.len() {
        let port = ports[(start as usize).wrapping_add(i) % ports.len()];
        let name = format!("hog-test-port-{port}");
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name).expect("a name");
        let Ok(claim) = UnixListener::bind_addr(&addr) else {
            continue; // another test's
        };
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            CLAIMS.lock().unwrap_or_else(|e| e.into_inner()).push(claim);
            return port;
        }
    }
    panic!("no free port outside the ephemeral range");
}

/// Ports from 10000 up that the kernel never picks by itself.
fn ports_outside_the_ephemeral_range() -> Vec<u16> {
    let range = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .expect("the ephemeral port range");
    let bounds: Vec<u16> = range
        .split_whitespace()
        .map(|n| n.parse().expect("a port"))
        .collect();
    let above = u32::from(bounds[1]) + 1..=u32::from(u16::MAX);
    (10_000..bounds[0]).chain(above.map(|p| p as u16)).collect()
}

/// Waits until a hog accepts producers of `group` in `dir`. Only a
/// connection tells: the socket file appears when hog binds, a moment
/// before it listens, and a killed hog's stays behind. (hog sees a
/// connection that registers nothing.)
pub fn wait_for_producers(dir: &Path, group: &str) {
    let socket = dir.join(format!("hstore.{group}.sk"));
    wait_until(20, &format!("hog to accept producers of {group}"), || {
        std::os::unix::net::UnixStream::connect(&socket).is_ok()
    });
}

/// Polls `done` every 20 ms for up to `secs` seconds.
pub fn wait_until(secs: u64, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// CPU time (user + system, in clock ticks) process `pid` has used.
pub fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// Runs `cmd` to completion; returns status, stdout and stderr.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("hog starts")
}

/// Standard error of `output` as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Standard output of `output` as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write test file");
    path
}
