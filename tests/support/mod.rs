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
