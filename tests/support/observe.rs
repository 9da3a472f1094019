//! Watching a hog from outside: a local hog serving metrics, HTTP requests
//! to it, samples of its Prometheus exposition, and external programs
//! (promtool, prometheus, chromium) that a test skips, saying so, where
//! they are not installed.

use std::path::{Path, PathBuf};

use crate::support::{free_port, hog, wait_for_producers, wait_until, Hog};

/// A local hog serving group `group` from `dir`, with metrics on a port of
/// its own and `extra` arguments; returns it once it accepts producers.
pub fn local_with_metrics(dir: &Path, group: &str, extra: &[&str]) -> (Hog, u16) {
    let port = free_port();
    let log = dir.join("hog.log");
    let err = std::fs::File::create(&log).unwrap();
    let mut cmd = hog();
    cmd.args(["-g", group, "-m"])
        .arg(dir)
        .arg("-d")
        .arg(format!("{}/$GROUP/data", dir.display()))
        .args(["--metrics", &port.to_string()])
        .args(extra)
        .stdout(std::process::Stdio::null())
        .stderr(err);
    let h = Hog::spawn(cmd, &log);
    wait_for_producers(dir, group);
    (h, port)
}

/// `GET path` on 127.0.0.1:`port`, with a bearer `token` if given: the
/// status code and the body.
pub fn get(port: u16, path: &str, token: Option<&str>) -> (u16, String) {
    try_get(port, path, token).unwrap_or_else(|| panic!("GET {path} on port {port} failed"))
}

/// [`get`], or `None` if the server cannot be reached or answers nonsense.
pub fn try_get(port: u16, path: &str, token: Option<&str>) -> Option<(u16, String)> {
    hog_bench::harness::http::get(port, path, token)
}

/// The value of the sample `series` (name and labels exactly as exposed,
/// e.g. `hog_sink_records_total{sink="disk",group="G"}`) in `text`.
pub fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

/// Waits until the metrics on `port` show `series` at `value`.
pub fn wait_for_sample(port: u16, series: &str, value: f64) {
    let mut last = None;
    let what = format!("{series} = {value}");
    wait_until(30, &what, || {
        last = sample(&get(port, "/metrics", None).1, series);
        last == Some(value)
    });
}

/// The program `name` on the PATH, or `None` after saying that `test` is
/// skipped without it.
pub fn program(name: &str, test: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        eprintln!("{test}: skipped: `{name}` is not installed (.ci/run installs it)");
    }
    found
}
