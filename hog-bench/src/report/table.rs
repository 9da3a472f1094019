//! The results as a Markdown table: ours (median, min–max), the C++ hog's
//! figure, how many times better ours is, the target and whether it is met.

use std::fmt::Write;

use crate::figures::metric::{Metric, Unit};

/// A value in its unit, for people.
pub fn format(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Ns => format!("{v:.1} ns"),
        Unit::Ms => format!("{v:.2} ms"),
        Unit::S => format!("{v:.3} s"),
        Unit::PerS => format!("{:.2} M/s", v / 1e6),
        Unit::MiB => format!("{v:.1} MiB"),
        Unit::Percent => format!("{v:.2} %"),
        Unit::Count => format!("{v:.0}"),
        Unit::Factor => format!("{v:.2}×"),
        Unit::OneTo => format!("1 : {:.2}", 1.0 / v),
    }
}

/// The row of one figure.
fn row(m: &Metric) -> String {
    let Some(s) = m.summary() else {
        return format!("| {} | {} | not measured | | | | |", m.figure, m.label);
    };
    let ours = format!(
        "**{}** ({} – {})",
        format(m.unit, s.median),
        format(m.unit, s.min),
        format(m.unit, s.max)
    );
    let r = m.reference.as_ref();
    let cpp = r
        .and_then(|r| Some((r.cpp?, r.measured)))
        .map_or(String::new(), |(c, measured)| {
            let c = format(m.unit, c);
            if measured {
                format!("{c} (same runs)")
            } else {
                c
            }
        });
    let gain = r.and_then(|r| r.gain(s.median)).map_or(String::new(), |g| {
        if g >= 100.0 {
            "> 100×".to_string()
        } else {
            format!("{g:.2}×")
        }
    });
    let target = r.and_then(|r| r.target).map_or("", |(t, _)| t);
    let met = match r.and_then(|r| r.met(s.median)) {
        Some(true) => "yes",
        Some(false) => "**no**",
        None => "",
    };
    format!(
        "| {} | {} | {ours} | {cpp} | {gain} | {target} | {met} |",
        m.figure, m.label
    )
}

/// The table of `metrics`, in figure order.
pub fn table(metrics: &[Metric]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| # | figure | ours: median (min – max) | C++ hog | ours vs C++ (> 1: better) | target | met |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    let mut sorted: Vec<&Metric> = metrics.iter().collect();
    sorted.sort_by_key(|m| m.figure);
    for m in sorted {
        let _ = writeln!(out, "{}", row(m));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_shows_median_range_reference_and_verdict() {
        let mut m = Metric::new(
            2,
            "local.p3.records_per_s",
            "local p3: records/s",
            Unit::PerS,
        );
        m.samples = vec![30e6, 40e6, 35e6];
        let r = row(&m);
        assert!(r.contains("**35.00 M/s** (30.00 M/s – 40.00 M/s)"), "{r}");
        assert!(r.contains("| 11.30 M/s | 3.10× | ≥ 3× C++ | yes |"), "{r}");
        assert_eq!(format(Unit::OneTo, 0.25), "1 : 4.00");
    }
}
