//! `hog stat`: what the stat store knows — sessions, streams some sink has
//! not finished (with each sink's backlog), recent recoveries.

use chrono::{Local, TimeZone};
use serde_json::{json, Value};

use crate::cli::RunArgs;
use crate::config;
use crate::plugins;
use crate::run::RunError;

mod live;

/// The report as text (`json`: the store's JSON as is).
pub fn stat(args: &RunArgs, json: bool) -> Result<String, RunError> {
    Store::open(&settings(args)?)?.report(json)
}

/// Shows the report every two seconds, with the live metrics of the hog
/// serving `metrics.listen`, until interrupted.
pub fn watch(args: &RunArgs) -> Result<(), RunError> {
    let config = settings(args)?;
    let store = Store::open(&config)?;
    let mut live = live::Live::default();
    loop {
        let mut screen = format!(
            "\x1b[2J\x1b[Hhog stat --watch   {}   (Ctrl-C to leave)\n\n",
            Local::now().format("%Y-%m-%d %H:%M:%S")
        );
        screen += &store.report(false)?;
        screen += "\n";
        screen += &match &config.metrics.listen {
            Some(listen) => live.show(listen),
            None => "live: no metrics address (--metrics ADDR or metrics.listen)\n".into(),
        };
        print!("{screen}");
        std::io::Write::flush(&mut std::io::stdout()).map_err(|e| RunError(e.to_string()))?;
        std::thread::sleep(std::time::Duration::from_secs(2));
    }
}

/// The settings, with only the store to open: no source runs, so none
/// needs checking.
fn settings(args: &RunArgs) -> Result<config::Config, RunError> {
    let mut overrides = args.overrides.clone();
    overrides.insert("sources".into(), json!(["generator"]));
    config::load(args.config_file.as_deref(), &overrides).map_err(|e| RunError(e.to_string()))
}

/// The stat store, open for reports.
struct Store {
    runtime: tokio::runtime::Runtime,
    handle: hog_core::pipeline::StatStoreHandle,
}

impl Store {
    fn open(config: &config::Config) -> Result<Store, RunError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|e| RunError(e.to_string()))?;
        let handle = runtime
            .block_on(async { plugins::stat_store(config) })
            .map_err(|e| RunError(e.to_string()))?
            .0;
        Ok(Store { runtime, handle })
    }

    /// The report as text (`json`: the store's JSON as is).
    fn report(&self, json: bool) -> Result<String, RunError> {
        let report = self
            .runtime
            .block_on(self.handle.report())
            .map_err(|e| RunError(e.to_string()))?;
        if json {
            return Ok(report + "\n");
        }
        let report: Value = serde_json::from_str(&report).map_err(|e| RunError(e.to_string()))?;
        Ok(summary(&report))
    }
}

fn time(ns: &Value) -> String {
    ns.as_i64()
        .and_then(|ns| {
            Local
                .timestamp_opt(ns / 1_000_000_000, (ns % 1_000_000_000) as u32)
                .single()
        })
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "-".into())
}

fn summary(r: &Value) -> String {
    let mut out = format!(
        "stat store {} (schema {}), {} streams recorded\n",
        r["file"].as_str().unwrap_or("?"),
        r["schema_version"],
        r["streams"]
    );
    out += "sessions, newest first:\n";
    for s in r["sessions"].as_array().into_iter().flatten() {
        let end = match s["ended_at_ns"].is_null() {
            true => "running or killed".to_string(),
            false => format!("ended {}", time(&s["ended_at_ns"])),
        };
        out += &format!(
            "  #{:<5} pid {:<8} {:<10} started {}  {end}\n",
            s["id"],
            s["pid"],
            s["mode"].as_str().unwrap_or(""),
            time(&s["started_at_ns"])
        );
    }
    let unfinished = r["unfinished"].as_array().cloned().unwrap_or_default();
    out += &format!("unfinished streams: {}\n", unfinished.len());
    for u in &unfinished {
        let end = match u["end_seq"].as_i64() {
            Some(end) => format!("closed at {end}"),
            None => format!("open, read to {}", u["read_seq"]),
        };
        out += &format!(
            "  #{:<5} {} {} pid {} tid {} started {}  {end}\n",
            u["id"],
            u["group"].as_str().unwrap_or(""),
            u["region"].as_str().unwrap_or(""),
            u["pid"],
            u["tid"],
            time(&u["started_at_ns"])
        );
        for s in u["sinks"].as_array().into_iter().flatten() {
            out += &format!(
                "         sink {:<12} durable {:<10} backlog {}\n",
                s["sink"].as_str().unwrap_or(""),
                s["durable_end"],
                s["backlog"]
            );
        }
    }
    let recovered = r["recovered"].as_array().cloned().unwrap_or_default();
    out += &format!("recent recoveries: {}\n", recovered.len());
    for x in &recovered {
        out += &format!(
            "  stream #{} {} {} by session #{} at {}\n",
            x["stream"],
            x["group"].as_str().unwrap_or(""),
            x["region"].as_str().unwrap_or(""),
            x["by_session"],
            time(&x["at_ns"])
        );
    }
    out
}
