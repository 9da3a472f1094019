//! A progress line on standard error, for terminals only.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Time between two redraws.
const EVERY: Duration = Duration::from_millis(200);

/// Records read out of a known total, redrawn now and then.
#[derive(Debug)]
pub struct Progress {
    shown: bool,
    total: u64,
    done: u64,
    last: Instant,
}

impl Progress {
    /// A progress line for `total` records, drawn only if `wanted` and
    /// standard error is a terminal.
    pub fn new(wanted: bool, total: u64) -> Progress {
        Progress {
            shown: wanted && std::io::stderr().is_terminal(),
            total,
            done: 0,
            last: Instant::now(),
        }
    }

    /// One more record read.
    pub fn tick(&mut self) {
        self.done += 1;
        if self.shown && self.done.is_multiple_of(4096) && self.last.elapsed() >= EVERY {
            self.last = Instant::now();
            self.draw();
        }
    }

    fn draw(&self) {
        let percent = (self.done * 100).checked_div(self.total).unwrap_or(100);
        let width = 30;
        let filled = (percent.min(100) as usize * width) / 100;
        let _ = write!(
            std::io::stderr(),
            "\rexport [{}{}] {percent:3}% {}/{} records",
            "#".repeat(filled),
            " ".repeat(width - filled),
            self.done,
            self.total
        );
    }

    /// Draws the final state and ends the line.
    pub fn finish(&self) {
        if self.shown {
            self.draw();
            let _ = writeln!(std::io::stderr());
        }
    }
}
