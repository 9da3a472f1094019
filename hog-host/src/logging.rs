//! hog's own log (stderr, via tracing) and hobbes' startup lines (stdout).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Sends log events at `level` and above to stderr; `RUST_LOG` refines it.
/// Colours only on a terminal: a log file or journal gets plain text.
pub fn init(level: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}

/// Prints a line to stdout with hobbes' `[YYYY-MM-DDTHH:MM:SS.uuuuuu]: `
/// prefix in local time.
pub fn announce(line: &str) {
    let now = chrono::Local::now().format("%Y-%m-%dT%H:%M:%S%.6f");
    println!("[{now}]: {line}");
}
