//! hog's own log (stderr, via tracing) and hobbes' startup lines (stdout).

use std::io::IsTerminal;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Sends log events at `level` and above to stderr; `RUST_LOG` refines it.
/// Colours only on a terminal: a log file or journal gets plain text.
/// Errors and warnings are also kept for the status page.
pub fn init(level: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(Recent)
        .try_init();
}

/// Keeps errors and warnings as the status page's recent events.
struct Recent;

impl<S: Subscriber> Layer<S> for Recent {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let level = match *event.metadata().level() {
            Level::ERROR => "error",
            Level::WARN => "warn",
            _ => return,
        };
        let mut line = Line(String::new());
        event.record(&mut line);
        hog_core::metrics::global().event(level, line.0);
    }
}

/// An event's message, then its other fields as `name=value`.
struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write;
        if field.name() == "message" {
            let rest = std::mem::take(&mut self.0);
            let _ = write!(self.0, "{value:?}{rest}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.insert_str(0, value);
        } else {
            self.0.push_str(&format!(" {}={value}", field.name()));
        }
    }
}

/// Prints a line to stdout with hobbes' `[YYYY-MM-DDTHH:MM:SS.uuuuuu]: `
/// prefix in local time.
pub fn announce(line: &str) {
    let now = chrono::Local::now().format("%Y-%m-%dT%H:%M:%S%.6f");
    println!("[{now}]: {line}");
}
