//! The live part of `hog stat --watch`: a running hog's metrics, summed up
//! per group and sink, with rates since the last look.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// What the last look saw, for rates.
#[derive(Default)]
pub(super) struct Live {
    last: Option<(Instant, BTreeMap<String, f64>)>,
}

impl Live {
    /// The summary of the metrics at `listen`, or why there is none.
    pub(super) fn show(&mut self, listen: &str) -> String {
        match fetch(listen) {
            Ok(text) => {
                let now = Instant::now();
                let samples = parse(&text);
                let out = summary(&samples, self.last.as_ref().map(|(t, s)| (now - *t, s)));
                self.last = Some((now, samples));
                out
            }
            Err(e) => format!("live: cannot read metrics at {listen}: {e}\n"),
        }
    }
}

/// `GET /metrics` from `listen` (plain HTTP).
fn fetch(listen: &str) -> Result<String, String> {
    let addr = crate::serve::address(listen).map_err(|e| e.to_string())?;
    let mut conn =
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(|e| e.to_string())?;
    conn.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    write!(
        conn,
        "GET /metrics HTTP/1.1\r\nHost: hog\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut response = String::new();
    conn.read_to_string(&mut response)
        .map_err(|e| e.to_string())?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or("not an HTTP answer")?;
    match head.split(' ').nth(1) {
        Some("200") => Ok(body.to_string()),
        Some(code) => Err(format!("HTTP {code}")),
        None => Err("not an HTTP answer".into()),
    }
}

/// Samples by series (`name{labels}`).
fn parse(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .filter_map(|(series, v)| Some((series.to_string(), v.parse().ok()?)))
        .collect()
}

/// The value of label `name` in `series`.
fn label<'a>(series: &'a str, name: &str) -> Option<&'a str> {
    let start = series.find(&format!("{name}=\""))? + name.len() + 2;
    let rest = &series[start..];
    Some(&rest[..rest.find('"')?])
}

/// Per (sink, group): records held, the rate since `before`, backlog and
/// states; then recovery.
fn summary(
    now: &BTreeMap<String, f64>,
    before: Option<(Duration, &BTreeMap<String, f64>)>,
) -> String {
    let mut out = String::from("live (from /metrics):\n");
    let mut rows = 0;
    for (series, records) in now
        .iter()
        .filter(|(s, _)| s.starts_with("hog_sink_records_total{"))
    {
        let (Some(sink), Some(group)) = (label(series, "sink"), label(series, "group")) else {
            continue;
        };
        let key = |name: &str| format!("{name}{{sink=\"{sink}\",group=\"{group}\"}}");
        let rate = before
            .and_then(|(dt, b)| Some((records - b.get(series)?) / dt.as_secs_f64().max(1e-3)))
            .map_or("-".to_string(), |r| format!("{r:.0}/s"));
        let state = |s: &str| {
            now.get(&format!(
                "hog_sink_streams{{sink=\"{sink}\",group=\"{group}\",state=\"{s}\"}}"
            ))
            .copied()
            .unwrap_or(0.0)
        };
        out += &format!(
            "  group {group:<12} sink {sink:<10} records {records:<12} {rate:>10}  backlog {:<8} streams writing {} holding {} detached {}\n",
            now.get(&key("hog_sink_backlog_transactions")).copied().unwrap_or(0.0),
            state("writing"),
            state("holding"),
            state("detached"),
        );
        rows += 1;
    }
    if rows == 0 {
        out += "  nothing delivered yet\n";
    }
    let get = |name: &str| now.get(name).copied().unwrap_or(0.0);
    out += &format!(
        "  recovery: {} of {} streams finished, {} bytes left\n",
        get("hog_recoveries_finished_total"),
        get("hog_recoveries_started_total"),
        get("hog_recovery_bytes_left")
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_shows_records_rates_backlogs_and_states() {
        let before = parse("hog_sink_records_total{sink=\"disk\",group=\"G\"} 100\n");
        let now = parse(
            "# HELP x y\n\
             hog_sink_records_total{sink=\"disk\",group=\"G\"} 300\n\
             hog_sink_backlog_transactions{sink=\"disk\",group=\"G\"} 7\n\
             hog_sink_streams{sink=\"disk\",group=\"G\",state=\"holding\"} 1\n\
             hog_recoveries_started_total 2\n",
        );
        let text = summary(&now, Some((Duration::from_secs(2), &before)));
        assert!(text.contains("group G"), "{text}");
        assert!(text.contains("records 300"), "{text}");
        assert!(text.contains("100/s"), "{text}");
        assert!(text.contains("backlog 7"), "{text}");
        assert!(text.contains("holding 1"), "{text}");
        assert!(text.contains("0 of 2 streams finished"), "{text}");
    }
}
