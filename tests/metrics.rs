//! hog's metrics from outside: exact counts in the Prometheus text format,
//! accepted by `promtool`, scraped by a real Prometheus, refused without
//! the receiver's token, and the example alerting rules valid.

mod support;

#[path = "support/observe.rs"]
mod observe;
#[path = "support/shipping.rs"]
mod shipping;

use std::process::Command;

use observe::{get, local_with_metrics, program, sample, try_get, wait_for_sample};
use support::{free_port, loadgen, wait_until, Hog};

/// 2 threads × 20 000 records, committed 10 at a time.
const RECORDS: u64 = 40_000;

#[test]
fn metrics_count_every_record_and_promtool_accepts_them() {
    let dir = tempfile::tempdir().unwrap();
    let (h, port) = local_with_metrics(dir.path(), "M", &[]);
    let mut producer = loadgen(dir.path(), "M", &["2", "20000", "manual", "16", "10"]);
    producer.finish();
    wait_for_sample(
        port,
        r#"hog_sink_records_total{sink="disk",group="M"}"#,
        RECORDS as f64,
    );
    wait_for_sample(port, r#"hog_streams_closed_total{group="M"}"#, 2.0);
    let text = get(port, "/metrics", None).1;
    let exactly = |series: &str, want: f64| {
        assert_eq!(sample(&text, series), Some(want), "{series} in:\n{text}");
    };
    exactly(
        r#"hog_source_records_total{source="hstore",group="M"}"#,
        RECORDS as f64,
    );
    // Each thread commits every 10 records, and once more at its end (an
    // empty transaction).
    let transactions = (RECORDS / 10 + 2) as f64;
    exactly(
        r#"hog_source_transactions_total{source="hstore",group="M"}"#,
        transactions,
    );
    exactly(
        r#"hog_sink_transactions_total{sink="disk",group="M"}"#,
        transactions,
    );
    exactly(
        r#"hog_sink_bytes_total{sink="disk",group="M"}"#,
        (RECORDS * 12) as f64,
    );
    exactly(r#"hog_sink_errors_total{sink="disk",group="M"}"#, 0.0);
    exactly(r#"hog_streams_opened_total{group="M"}"#, 2.0);
    exactly(r#"hog_streams_open{group="M"}"#, 0.0);
    exactly(
        r#"hog_sink_backlog_transactions{sink="disk",group="M"}"#,
        0.0,
    );
    assert!(sample(&text, "hog_process_resident_memory_bytes").unwrap() > 1e6);
    assert!(sample(&text, "hog_stat_store_commit_seconds_count").unwrap() > 0.0);
    let (status, json) = get(port, "/status.json", None);
    assert_eq!(status, 200);
    let status: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(status["groups"][0]["group"], "M");
    assert_eq!(status["groups"][0]["sink_records"]["disk"], RECORDS);
    assert_eq!(get(port, "/nothing", None).0, 404);

    if let Some(promtool) = program("promtool", "promtool check metrics") {
        let file = dir.path().join("metrics.txt");
        std::fs::write(&file, &text).unwrap();
        let out = Command::new(promtool)
            .args(["check", "metrics"])
            .stdin(std::fs::File::open(&file).unwrap())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promtool: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stdout.is_empty() && out.stderr.is_empty(),
            "promtool has remarks: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(h.stop().success());
}

#[test]
fn a_real_prometheus_scrapes_the_records_hog_drained() {
    let Some(prometheus) = program("prometheus", "a real Prometheus scrapes") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (h, port) = local_with_metrics(dir.path(), "P", &[]);
    let mut producer = loadgen(dir.path(), "P", &["2", "20000", "manual", "16", "10"]);
    producer.finish();
    wait_for_sample(
        port,
        r#"hog_sink_records_total{sink="disk",group="P"}"#,
        RECORDS as f64,
    );

    let web = free_port();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: hog\n    \
             static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
        ),
    )
    .unwrap();
    let log = dir.path().join("prometheus.log");
    let mut cmd = Command::new(prometheus);
    cmd.arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("tsdb").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{web}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    let prom = Hog::spawn(cmd, &log);
    let query = "/api/v1/query?query=sum(hog_sink_records_total)";
    let mut answer = String::new();
    wait_until(60, "Prometheus to return the records", || {
        answer = try_get(web, query, None)
            .map(|(_, body)| body)
            .unwrap_or_default();
        answer.contains(&format!("\"{RECORDS}\""))
    });
    let parsed: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(parsed["data"]["result"][0]["value"][1], RECORDS.to_string());
    drop(prom);
    assert!(h.stop().success());
}

#[test]
fn the_receiver_token_guards_the_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    std::fs::write(&tokens, "s3cret-token-for-tests\n").unwrap();
    let config = dir.path().join("hog.toml");
    std::fs::write(
        &config,
        format!("[receiver]\ntoken_file = \"{}\"\n", tokens.display()),
    )
    .unwrap();
    let (h, port) = local_with_metrics(dir.path(), "T", &["--config", config.to_str().unwrap()]);
    assert_eq!(get(port, "/metrics", None).0, 401);
    assert_eq!(get(port, "/metrics", Some("wrong")).0, 401);
    let (status, text) = get(port, "/metrics", Some("s3cret-token-for-tests"));
    assert_eq!(status, 200);
    assert!(text.contains("# TYPE hog_sink_records_total counter"));
    assert_eq!(get(port, "/status.json", None).0, 401);
    assert_eq!(get(port, "/", None).0, 200, "the page holds no data");
    assert!(h.stop().success());
}

#[test]
fn the_example_alerting_rules_are_valid() {
    let Some(promtool) = program("promtool", "the alerting rules") else {
        return;
    };
    let rules = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/alerts.yml");
    let out = Command::new(promtool)
        .args(["check", "rules"])
        .arg(&rules)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn hog_stat_watch_shows_the_store_and_the_live_counts() {
    let dir = tempfile::tempdir().unwrap();
    let (h, port) = local_with_metrics(dir.path(), "W", &[]);
    let mut producer = loadgen(dir.path(), "W", &["1", "3000"]);
    producer.finish();
    wait_for_sample(
        port,
        r#"hog_sink_records_total{sink="disk",group="W"}"#,
        3000.0,
    );
    let screen = dir.path().join("screen.txt");
    let mut watch = support::hog()
        .args(["stat", "--watch", "-m"])
        .arg(dir.path())
        .args(["--metrics", &port.to_string()])
        .stdout(std::fs::File::create(&screen).unwrap())
        .spawn()
        .unwrap();
    // Two refreshes: the second has a rate.
    wait_until(20, "two refreshes", || {
        std::fs::read_to_string(&screen)
            .unwrap_or_default()
            .matches("hog stat --watch")
            .count()
            >= 2
    });
    watch.kill().unwrap();
    watch.wait().unwrap();
    let text = std::fs::read_to_string(&screen).unwrap();
    let last = text.rsplit("hog stat --watch").next().unwrap();
    assert!(last.contains("sessions, newest first:"), "{last}");
    assert!(last.contains("group W"), "{last}");
    let rate = last
        .split("records 3000 ")
        .nth(1)
        .unwrap_or_else(|| panic!("no count of 3000: {last}"));
    assert!(rate.trim_start().starts_with("0/s"), "idle now: {last}");
    assert!(h.stop().success());
}

#[test]
fn a_sender_and_its_receiver_count_what_crossed_the_wire() {
    let dir = tempfile::tempdir().unwrap();
    let (s, r) = (dir.path().join("send"), dir.path().join("recv"));
    let (port, send_metrics, recv_metrics) = (free_port(), free_port(), free_port());
    let metrics = |p: u16| format!("\n[metrics]\nlisten = \"{p}\"\n");
    let recv = shipping::batchrecv(&r, port, &metrics(recv_metrics));
    let send = shipping::sender(&s, "X", &[port], ("50ms", "64KB"), &metrics(send_metrics));
    let mut producer = loadgen(&s, "X", &["1", "30000"]);
    producer.finish();
    wait_for_sample(
        recv_metrics,
        r#"hog_sink_records_total{sink="disk",group="X"}"#,
        30000.0,
    );
    let destination = format!("destination=\"127.0.0.1:{port}\"");
    let series = |name: &str| format!(r#"hog_sink_{name}{{sink="tcp",{destination}}}"#);
    // The sink's own counters are sampled once a second: wait for a
    // sample taken after the last acknowledgement.
    let mut sent = String::new();
    wait_until(30, "the acknowledgements in the metrics", || {
        sent = get(send_metrics, "/metrics", None).1;
        sample(&sent, &series("destination_acks_total")).unwrap_or(0.0) >= 1.0
            && sample(&sent, &series("destination_segments_waiting")) == Some(0.0)
    });
    assert_eq!(
        sample(&sent, &series("destination_up")),
        Some(1.0),
        "{sent}"
    );
    assert_eq!(
        sample(&sent, r#"hog_sink_records_total{sink="tcp",group="X"}"#),
        Some(30000.0)
    );
    let received = get(recv_metrics, "/metrics", None).1;
    assert!(
        sample(&received, "hog_receiver_connections_total").unwrap() >= 1.0,
        "{received}"
    );
    assert_eq!(
        sample(
            &received,
            r#"hog_source_records_total{source="receiver",group="X"}"#
        ),
        Some(30000.0)
    );
    assert!(send.stop().success());
    assert!(recv.stop().success());
}

#[test]
fn with_the_receiver_s_tls_the_metrics_are_served_over_https_only() {
    let Some(curl) = program("curl", "metrics over TLS") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pki = shipping::Pki::new(&dir.path().join("pki"));
    let config = dir.path().join("hog.toml");
    std::fs::write(
        &config,
        format!(
            "[receiver]\ntls = {{ cert = \"{}\", key = \"{}\" }}\n",
            pki.server.0.display(),
            pki.server.1.display()
        ),
    )
    .unwrap();
    let (h, port) = local_with_metrics(dir.path(), "S", &["--config", config.to_str().unwrap()]);
    let fetch = |scheme: &str| {
        Command::new(&curl)
            .args(["-sS", "--max-time", "10", "--cacert"])
            .arg(&pki.ca)
            .arg(format!("{scheme}://127.0.0.1:{port}/metrics"))
            .output()
            .unwrap()
    };
    let https = fetch("https");
    assert!(
        https.status.success(),
        "{}",
        String::from_utf8_lossy(&https.stderr)
    );
    assert!(
        String::from_utf8_lossy(&https.stdout).contains("# TYPE hog_sink_records_total counter")
    );
    let plain = fetch("http");
    assert!(
        !String::from_utf8_lossy(&plain.stdout).contains("hog_sink_records_total"),
        "no metrics in plain text"
    );
    assert!(h.stop().success());
}
