//! The producer's command line.

use std::path::PathBuf;

use super::logging::Api;
use crate::workload::Workload;

/// What a producer run does.
#[derive(Debug, Clone)]
pub struct ProducerArgs {
    /// Storage group.
    pub group: String,
    /// Directory of the registration socket.
    pub dir: PathBuf,
    /// Records to log.
    pub workload: Workload,
    /// How many.
    pub records: u64,
    /// Ring pages.
    pub pages: u64,
    /// The producer API the loop calls.
    pub api: Api,
    /// Drain the ring in-process instead of registering with hog.
    pub drainer: bool,
    /// The in-process drainer sleeps on the futex instead of polling.
    pub drainer_futex: bool,
    /// Time every call.
    pub per_call: bool,
    /// After the last commit, wait until the consumer released everything.
    pub wait_drained: bool,
    /// Then stay registered, quiet, this many milliseconds.
    pub hold_ms: u64,
}

/// The usage text.
pub const USAGE: &str = "usage: hog-bench-producer --group G --dir DIR --workload p3|i64|s256 \
--records N [--pages 1024] [--api typed|bytes] [--drainer | --drainer-futex] [--per-call] [--wait-drained] [--hold-ms MS]";

impl ProducerArgs {
    /// Reads the arguments after the program name.
    pub fn parse(args: &[String]) -> Result<ProducerArgs, String> {
        let mut out = ProducerArgs {
            group: "bench".into(),
            dir: std::env::temp_dir(),
            workload: Workload::P3,
            records: 1000,
            pages: 1024,
            api: Api::Typed,
            drainer: false,
            drainer_futex: false,
            per_call: false,
            wait_drained: false,
            hold_ms: 0,
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
            let number = |s: &String| s.parse::<u64>().map_err(|e| format!("{flag} {s}: {e}"));
            match flag.as_str() {
                "--group" => out.group = value()?.clone(),
                "--dir" => out.dir = value()?.into(),
                "--workload" => out.workload = value()?.parse()?,
                "--records" => out.records = number(value()?)?,
                "--pages" => out.pages = number(value()?)?,
                "--api" => {
                    out.api = match value()?.as_str() {
                        "typed" => Api::Typed,
                        "bytes" => Api::Bytes,
                        other => return Err(format!("--api {other}: typed or bytes")),
                    }
                }
                "--hold-ms" => out.hold_ms = number(value()?)?,
                "--drainer" => out.drainer = true,
                "--drainer-futex" => {
                    out.drainer = true;
                    out.drainer_futex = true;
                }
                "--per-call" => out.per_call = true,
                "--wait-drained" => out.wait_drained = true,
                other => return Err(format!("unknown argument '{other}'\n{USAGE}")),
            }
        }
        Ok(out)
    }
}
