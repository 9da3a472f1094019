//! The benchmark producer as a child process: its `event key=value…`
//! lines arrive on a channel as it prints them, so the harness can act at
//! the moment of an event (read hog's CPU time when the ring is drained).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::workload::Workload;

/// One line the producer printed.
#[derive(Debug, Clone)]
pub struct Event {
    /// The first word (`start`, `registered`, `logged`, `drained`, …).
    pub name: String,
    /// The `key=value` pairs after it.
    pub fields: HashMap<String, String>,
}

impl Event {
    fn parse(line: &str) -> Event {
        let mut words = line.split_whitespace();
        let name = words.next().unwrap_or_default().to_string();
        let fields = words
            .filter_map(|w| w.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Event { name, fields }
    }

    /// Field `key` as a number.
    pub fn num(&self, key: &str) -> Result<f64, String> {
        self.fields
            .get(key)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("producer event '{}' lacks a number '{key}'", self.name))
    }
}

/// How to run a producer.
#[derive(Debug, Clone)]
pub struct ProducerRun {
    /// Its registration directory.
    pub dir: PathBuf,
    /// Its group.
    pub group: String,
    /// What it logs.
    pub workload: Workload,
    /// How many records.
    pub records: u64,
    /// Extra flags (`--drainer`, `--per-call`, `--wait-drained`, `--hold-ms N`).
    pub flags: Vec<String>,
}

/// A running producer.
pub struct ProducerProcess {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<Event>,
    err: PathBuf,
}

impl ProducerProcess {
    /// Starts `bin` as `run` says.
    pub fn start(bin: &Path, run: &ProducerRun) -> Result<ProducerProcess, String> {
        let err = run
            .dir
            .join(format!("producer-{}.err", crate::clock::monotonic_ns()));
        let err_file =
            std::fs::File::create(&err).map_err(|e| format!("{}: {e}", err.display()))?;
        let mut child = Command::new(bin)
            .args(["--group", &run.group, "--dir"])
            .arg(&run.dir)
            .args(["--workload", run.workload.name()])
            .args(["--records", &run.records.to_string()])
            .args(&run.flags)
            .stdout(Stdio::piped())
            .stderr(err_file)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", bin.display()))?;
        let stdout = child.stdout.take().expect("piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(ProducerProcess {
            child,
            lines,
            seen: Vec::new(),
            err,
        })
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for event `name` (returned at once if already seen).
    pub fn event(&mut self, name: &str, timeout: Duration) -> Result<Event, String> {
        if let Some(e) = self.seen.iter().find(|e| e.name == name) {
            return Ok(e.clone());
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let event = Event::parse(&line);
                    self.seen.push(event.clone());
                    if event.name == name {
                        return Ok(event);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    return Err(format!("producer: no '{name}' within {timeout:?}"))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(format!(
                        "producer ended without '{name}': {}",
                        self.stderr()
                    ))
                }
            }
        }
    }

    /// Waits for it to exit successfully.
    pub fn finish(mut self, timeout: Duration) -> Result<(), String> {
        self.event("done", timeout)?;
        let status = self.child.wait().map_err(|e| e.to_string())?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("producer exited with {status}: {}", self.stderr()))
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }
}

impl Drop for ProducerProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}
