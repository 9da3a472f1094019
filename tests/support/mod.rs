//! Helpers shared by the end-to-end tests: the hog binary, plugin libraries
//! built from the workspace, and running hog to completion.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
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
