//! The throughput plot: records/s per workload and mode, ours (solid) next
//! to the C++ hog's (pale) where the table has it (measured in the same
//! runs with `--cpp-hog`, else as first measured), on a log scale. Plain
//! SVG text, no plotting library.

use std::fmt::Write;

use crate::figures::metric::Metrics;
use crate::workload::Workload;

/// A mode of the plot: its label, colour, and which figure it shows.
struct Mode {
    label: &'static str,
    colour: &'static str,
    /// The key of the figure.
    key: fn(Workload) -> String,
    /// The figure's value as records/s.
    rate: fn(f64) -> f64,
}

impl Mode {
    /// Ours and the C++ hog's records/s for `w`, where measured or known.
    fn rates(&self, m: &Metrics, w: Workload) -> [Option<f64>; 2] {
        let Some(metric) = m.get(&(self.key)(w)) else {
            return [None, None];
        };
        let ours = metric.summary().map(|s| s.median);
        let cpp = metric.reference.as_ref().and_then(|r| r.cpp);
        [ours.map(self.rate), cpp.map(self.rate)]
    }
}

const MODES: [Mode; 4] = [
    Mode {
        label: "producer alone",
        colour: "#4e79a7",
        key: |w| format!("producer.{w}.mean_ns"),
        rate: |ns| 1e9 / ns,
    },
    Mode {
        label: "local (hog → file)",
        colour: "#59a14f",
        key: |w| format!("local.{w}.records_per_s"),
        rate: |v| v,
    },
    Mode {
        label: "shipping, legacy gzip",
        colour: "#e15759",
        key: |w| format!("shipping.gzip.{w}.records_per_s"),
        rate: |v| v,
    },
    Mode {
        label: "shipping, v2 zstd",
        colour: "#f28e2b",
        key: |w| format!("shipping.v2.{w}.records_per_s"),
        rate: |v| v,
    },
];

const W: f64 = 900.0;
const H: f64 = 440.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 90.0;
/// Decades shown: 10^LOW .. 10^HIGH records/s.
const LOW: f64 = 5.0;
const HIGH: f64 = 9.0;

fn y(v: f64) -> f64 {
    let t = ((v.log10() - LOW) / (HIGH - LOW)).clamp(0.0, 1.0);
    TOP + (H - TOP - BOTTOM) * (1.0 - t)
}

fn short(v: f64) -> String {
    if v >= 1e7 {
        format!("{:.0}M", v / 1e6)
    } else {
        format!("{:.1}M", v / 1e6)
    }
}

/// The plot of the records/s figures in `metrics`.
pub fn throughput(metrics: &Metrics, caption: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{W}" height="{H}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="24" text-anchor="middle" font-size="16">records/s per workload and mode (log scale; solid: hog, pale: C++ hog)</text>"#,
        W / 2.0
    );
    for d in LOW as i32..=HIGH as i32 {
        let v = 10f64.powi(d);
        let yy = y(v);
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" x2="{}" y1="{yy:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            W - RIGHT,
            LEFT - 6.0,
            yy + 4.0,
            if v >= 1e6 {
                format!("{:.0} M/s", v / 1e6)
            } else {
                format!("{:.1} M/s", v / 1e6)
            }
        );
    }
    let group_w = (W - LEFT - RIGHT) / Workload::ALL.len() as f64;
    let bar_w = group_w / (2.0 * MODES.len() as f64 + 1.0);
    for (g, w) in Workload::ALL.into_iter().enumerate() {
        let x0 = LEFT + g as f64 * group_w + bar_w / 2.0;
        for (k, mode) in MODES.iter().enumerate() {
            let [ours, cpp] = mode.rates(metrics, w);
            let bars = [(ours, 1.0), (cpp, 0.35)];
            for (j, (value, opacity)) in bars.into_iter().enumerate() {
                let Some(v) = value.filter(|v| *v > 0.0) else {
                    continue;
                };
                let x = x0 + (2 * k + j) as f64 * bar_w;
                let top = y(v);
                let _ = writeln!(
                    s,
                    r#"<rect x="{x:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="{}" fill-opacity="{opacity}"/><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="10">{}</text>"#,
                    bar_w * 0.9,
                    y(10f64.powf(LOW)) - top,
                    mode.colour,
                    x + bar_w * 0.45,
                    top - 3.0,
                    short(v)
                );
            }
        }
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="14">{w}</text>"#,
            LEFT + (g as f64 + 0.5) * group_w,
            H - BOTTOM + 20.0
        );
    }
    for (k, mode) in MODES.iter().enumerate() {
        let x = LEFT + k as f64 * 200.0;
        let _ = writeln!(
            s,
            r#"<rect x="{x}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{}">{}</text>"#,
            H - BOTTOM + 36.0,
            mode.colour,
            x + 16.0,
            H - BOTTOM + 47.0,
            mode.label
        );
    }
    let _ = writeln!(
        s,
        r##"<text x="{LEFT}" y="{}" font-size="11" fill="#555">{}</text>"##,
        H - 12.0,
        escape(caption)
    );
    s.push_str("</svg>\n");
    s
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::metric::Unit;

    #[test]
    fn bars_for_measured_figures_and_references() {
        let mut m = Metrics::default();
        m.add(2, "local.p3.records_per_s", "x", Unit::PerS, 40e6);
        let svg = throughput(&m, "a <caption>");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains(">40M<"), "ours");
        assert!(svg.contains(">11M<"), "C++ local p3");
        assert!(svg.contains("a &lt;caption&gt;"));
    }
}
