//! The Prometheus text exposition format (version 0.0.4).

use std::collections::BTreeMap;
use std::fmt::{Display, Write};

use super::counters::BUCKETS;
use super::{Metrics, SinkState};

/// Writes metric families: a `# HELP` and `# TYPE` line, then samples.
struct Out(String);

impl Out {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Display) {
        self.0.push_str(name);
        if !labels.is_empty() {
            self.0.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.0.push(',');
                }
                let _ = write!(self.0, "{k}=\"{}\"", escape(v));
            }
            self.0.push('}');
        }
        let _ = writeln!(self.0, " {value}");
    }

    /// A family with one sample per `(labels, value)`.
    fn each(
        &mut self,
        (name, kind, help): (&str, &str, &str),
        label_names: &[&str],
        rows: impl IntoIterator<Item = (Vec<String>, u64)>,
    ) {
        self.family(name, kind, help);
        for (values, v) in rows {
            let labels: Vec<(&str, &str)> = label_names
                .iter()
                .copied()
                .zip(values.iter().map(String::as_str))
                .collect();
            self.sample(name, &labels, v);
        }
    }
}

/// A counter family: its name, its help, and its value in a member.
type CounterOf<T> = (&'static str, &'static str, fn(&T) -> u64);

impl Out {
    /// One counter family per entry of `families`, each with a sample per
    /// member of `members`, labelled `label_names`.
    fn counters<T>(
        &mut self,
        label_names: &[&str],
        members: &[(Vec<String>, std::sync::Arc<T>)],
        families: &[CounterOf<T>],
    ) {
        for &(name, help, value) in families {
            let rows = members.iter().map(|(k, c)| (k.clone(), value(c)));
            self.each((name, "counter", help), label_names, rows);
        }
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A metric name made of what Prometheus allows (`[a-zA-Z0-9_]`).
fn metric_name(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

impl Metrics {
    /// Every metric, in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = Out(String::with_capacity(8192));
        self.render_sinks(&mut out);
        self.render_sources(&mut out);
        self.render_streams(&mut out);
        self.render_service(&mut out);
        self.render_plugins(&mut out);
        render_process(&mut out, self.started_at_s);
        out.0
    }

    fn render_sinks(&self, out: &mut Out) {
        let sinks = self.sinks.all();
        let labels = ["sink", "group"];
        out.counters(
            &labels,
            &sinks,
            &[
                (
                    "hog_sink_records_total",
                    "Records each sink holds durably.",
                    |c| c.records.get(),
                ),
                (
                    "hog_sink_transactions_total",
                    "Transactions each sink holds durably.",
                    |c| c.transactions.get(),
                ),
                (
                    "hog_sink_bytes_total",
                    "Payload bytes each sink holds durably.",
                    |c| c.bytes.get(),
                ),
                ("hog_sink_errors_total", "Sink calls that failed.", |c| {
                    c.errors.get()
                }),
                (
                    "hog_sink_retries_total",
                    "Sink calls retried after a failure (data held in its source meanwhile).",
                    |c| c.retries.get(),
                ),
            ],
        );
        // Per (sink, group): backlog, and streams by state.
        let mut backlog: BTreeMap<Vec<String>, u64> = BTreeMap::new();
        let mut states: BTreeMap<Vec<String>, u64> = BTreeMap::new();
        for (key, _) in &sinks {
            backlog.insert(key.clone(), 0);
        }
        for s in self.streams() {
            for m in s.sinks() {
                let key = vec![m.sink.clone(), s.group.clone()];
                *backlog.entry(key.clone()).or_default() += s.backlog(m);
                let mut key = key;
                key.push(m.state().name().to_string());
                *states.entry(key).or_default() += 1;
            }
        }
        for (key, _) in &sinks {
            for state in [SinkState::Writing, SinkState::Holding, SinkState::Detached] {
                let mut k = key.clone();
                k.push(state.name().to_string());
                states.entry(k).or_default();
            }
        }
        out.each(
            (
                "hog_sink_backlog_transactions",
                "gauge",
                "Transactions the sources read that a sink does not hold yet.",
            ),
            &labels,
            backlog,
        );
        out.each(
            ("hog_sink_streams", "gauge", "Open streams by each sink's state on them: writing, holding (failing, data held and retried) or detached."),
            &["sink", "group", "state"],
            states,
        );
    }

    fn render_sources(&self, out: &mut Out) {
        let sources = self.sources.all();
        out.counters(
            &["source", "group"],
            &sources,
            &[
                (
                    "hog_source_records_total",
                    "Records the sources read.",
                    |c| c.records.get(),
                ),
                (
                    "hog_source_transactions_total",
                    "Transactions the sources read.",
                    |c| c.transactions.get(),
                ),
                (
                    "hog_source_bytes_total",
                    "Payload bytes the sources read.",
                    |c| c.bytes.get(),
                ),
            ],
        );
    }

    fn render_streams(&self, out: &mut Out) {
        let groups = self.groups.all();
        out.counters(
            &["group"],
            &groups,
            &[
                ("hog_streams_opened_total", "Streams opened.", |c| {
                    c.opened.get()
                }),
                (
                    "hog_streams_closed_total",
                    "Streams their source ended.",
                    |c| c.closed.get(),
                ),
            ],
        );
        let mut open: BTreeMap<Vec<String>, u64> = BTreeMap::new();
        let mut recovering: BTreeMap<Vec<String>, u64> = BTreeMap::new();
        let mut fill: BTreeMap<Vec<String>, u64> = BTreeMap::new();
        for (key, _) in &groups {
            open.insert(key.clone(), 0);
            recovering.insert(key.clone(), 0);
            fill.insert(key.clone(), 0);
        }
        for s in self.streams() {
            let key = vec![s.group.clone()];
            *open.entry(key.clone()).or_default() += 1;
            *recovering.entry(key.clone()).or_default() += u64::from(self.is_recovering(s.id));
            *fill.entry(key).or_default() += s.ring_fill.get();
        }
        out.each(
            ("hog_streams_open", "gauge", "Streams open now."),
            &["group"],
            open,
        );
        out.each(
            (
                "hog_streams_recovering",
                "gauge",
                "Open streams that recovery resumes (left unfinished by an earlier hog).",
            ),
            &["group"],
            recovering,
        );
        out.each(
            (
                "hog_ring_fill_bytes",
                "gauge",
                "Bytes waiting in producers' rings to be drained.",
            ),
            &["group"],
            fill,
        );
    }

    fn render_service(&self, out: &mut Out) {
        let single = |out: &mut Out, name: &str, kind: &str, help: &str, v: u64| {
            out.family(name, kind, help);
            out.sample(name, &[], v);
        };
        single(
            out,
            "hog_recoveries_started_total",
            "counter",
            "Unfinished streams of earlier hogs handed to a source.",
            self.recoveries_started.get(),
        );
        single(
            out,
            "hog_recoveries_finished_total",
            "counter",
            "Recovered streams that reached their end.",
            self.recoveries_finished.get(),
        );
        single(
            out,
            "hog_recovery_bytes_left",
            "gauge",
            "Bytes recovering streams still hold to deliver.",
            self.recovery_bytes_left.get(),
        );
        single(
            out,
            "hog_receiver_connections_total",
            "counter",
            "Connections receivers accepted.",
            self.receiver_connections.get(),
        );
        single(
            out,
            "hog_receiver_connections_open",
            "gauge",
            "Connections receivers serve now.",
            self.receiver_open.get(),
        );
        out.each(
            (
                "hog_receiver_refused_total",
                "counter",
                "Connections receivers refused, by reason.",
            ),
            &["reason"],
            self.refused.all().into_iter().map(|(k, c)| (k, c.get())),
        );
        let name = "hog_stat_store_commit_seconds";
        out.family(
            name,
            "histogram",
            "Time the stat store takes to record a batch's progress.",
        );
        let (cumulative, count, sum) = self.store_commit.snapshot();
        for (bound, n) in BUCKETS.iter().zip(cumulative) {
            out.sample(&format!("{name}_bucket"), &[("le", &bound.to_string())], n);
        }
        out.sample(&format!("{name}_bucket"), &[("le", "+Inf")], count);
        out.sample(&format!("{name}_sum"), &[], sum);
        out.sample(&format!("{name}_count"), &[], count);
    }

    /// Counters sinks report about themselves (`SinkStats::extra`), as
    /// `hog_sink_<name>{sink, …}`: a gauge, or a counter if the name ends
    /// in `_total`. A name may carry labels of its own,
    /// `name{destination="host:port"}`.
    fn render_plugins(&self, out: &mut Out) {
        type Labels = Vec<(String, String)>;
        let stats = super::lock(&self.plugin_stats).clone();
        let mut by_name: BTreeMap<String, Vec<(Labels, u64)>> = BTreeMap::new();
        for (sink, s) in &stats {
            for c in s.extra.iter() {
                let (name, mut labels) = split_labels(c.name.as_str());
                labels.insert(0, ("sink".to_string(), sink.clone()));
                by_name
                    .entry(format!("hog_sink_{name}"))
                    .or_default()
                    .push((labels, c.value));
            }
        }
        for (name, rows) in by_name {
            let kind = if name.ends_with("_total") {
                "counter"
            } else {
                "gauge"
            };
            out.family(&name, kind, "Reported by the sink itself.");
            for (labels, value) in rows {
                let pairs: Vec<(&str, &str)> = labels
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                out.sample(&name, &pairs, value);
            }
        }
    }
}

/// A sink's counter name, `name` or `name{key="value",…}`, as a metric name
/// and its labels (both made safe for the exposition format).
fn split_labels(raw: &str) -> (String, Vec<(String, String)>) {
    let Some((name, rest)) = raw.split_once('{') else {
        return (metric_name(raw), Vec::new());
    };
    let labels = rest
        .trim_end_matches('}')
        .split(',')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| {
            (
                metric_name(k.trim()),
                v.trim().trim_matches('"').to_string(),
            )
        })
        .filter(|(k, _)| !k.is_empty() && k != "sink")
        .collect();
    (metric_name(name), labels)
}

fn render_process(out: &mut Out, started_at_s: f64) {
    let (rss, threads, fds, cpu) = super::process::resources();
    let rows: [(&str, &str, &str, f64); 5] = [
        (
            "hog_process_resident_memory_bytes",
            "gauge",
            "Resident memory.",
            rss as f64,
        ),
        ("hog_process_threads", "gauge", "Threads.", threads as f64),
        (
            "hog_process_open_fds",
            "gauge",
            "Open file descriptors.",
            fds as f64,
        ),
        (
            "hog_process_cpu_seconds_total",
            "counter",
            "CPU time used, user and system.",
            cpu,
        ),
        (
            "hog_process_start_time_seconds",
            "gauge",
            "Start time, seconds since the Unix epoch.",
            started_at_s,
        ),
    ];
    for (name, kind, help, v) in rows {
        out.family(name, kind, help);
        out.sample(name, &[], v);
    }
}
