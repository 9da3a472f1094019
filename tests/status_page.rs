//! The status page in a real browser: headless Chromium loads it while hog
//! serves a producer, and shows the group, the producer's stream and the
//! same record count as `/metrics`.

mod support;

#[path = "support/observe.rs"]
mod observe;

use std::process::Command;

use observe::{get, local_with_metrics, program, sample, wait_for_sample};
use support::loadgen;

const RECORDS: u64 = 5_000;

/// The page's DOM after its scripts ran, as headless Chromium saw it.
fn rendered(chromium: &std::path::Path, url: &str, profile: &std::path::Path) -> String {
    let out = Command::new(chromium)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--virtual-time-budget=5000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(url)
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("the DOM")
}

#[test]
fn chromium_shows_the_group_the_stream_and_the_records_metrics_count() {
    let Some(chromium) = program("chromium", "the status page in a browser") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (h, port) = local_with_metrics(dir.path(), "Page", &[]);
    // One thread logs its records, then stays (its stream stays open).
    let _producer = loadgen(
        dir.path(),
        "Page",
        &["1", &RECORDS.to_string(), "auto", "16", "1", "120000"],
    );
    let series = r#"hog_sink_records_total{sink="disk",group="Page"}"#;
    wait_for_sample(port, series, RECORDS as f64);
    let metrics = sample(&get(port, "/metrics", None).1, series).unwrap();
    let status: serde_json::Value =
        serde_json::from_str(&get(port, "/status.json", None).1).unwrap();
    let stream = &status["groups"][0]["streams"][0];
    let (id, pid) = (
        stream["id"].as_u64().unwrap(),
        stream["pid"].as_u64().unwrap(),
    );

    let dom = rendered(
        &chromium,
        &format!("http://127.0.0.1:{port}/"),
        &dir.path().join("chromium"),
    );
    assert!(dom.contains(r#"data-group="Page""#), "no group in:\n{dom}");
    assert!(dom.contains("group Page"), "{dom}");
    assert!(
        dom.contains(&format!(r#"data-stream="{id}""#)),
        "no stream {id} in:\n{dom}"
    );
    assert!(
        dom.contains(&format!("{pid} / ")),
        "no producer {pid} in:\n{dom}"
    );
    let cell = r#"data-sink="disk">"#;
    let shown = dom
        .split(cell)
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .map(|n| n.replace(',', ""))
        .unwrap_or_else(|| panic!("no record count in:\n{dom}"));
    assert_eq!(
        shown.parse::<f64>().unwrap(),
        metrics,
        "the page and /metrics agree"
    );
    assert!(dom.contains(">live<"), "the page reached hog: {dom}");
    assert!(h.stop().success());
}
