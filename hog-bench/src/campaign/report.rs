//! The campaign's summary: schedules, records, losses, duplicates, order,
//! healing times, and the seeds of failing schedules.

use std::fmt::Write;
use std::time::Duration;

use super::run::Outcome;

/// The summary of `outcomes` as Markdown; `what` says how they were run.
pub fn markdown(outcomes: &[Outcome], what: &str) -> String {
    let sum = |f: fn(&Outcome) -> u64| outcomes.iter().map(f).sum::<u64>();
    let mut heals: Vec<Duration> = outcomes.iter().filter_map(|o| o.heal).collect();
    heals.sort();
    let pick = |q: f64| {
        heals
            .get(((heals.len() as f64 - 1.0) * q).round() as usize)
            .map_or("-".to_string(), |d| format!("{:.2} s", d.as_secs_f64()))
    };
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| !o.ok()).collect();
    let mut out = String::new();
    let _ = writeln!(out, "{what}\n");
    let _ = writeln!(out, "| schedules | records | lost | duplicated | out of order | failed | heal median | heal p95 | heal max |");
    let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        outcomes.len(),
        sum(|o| o.records),
        sum(|o| o.lost),
        sum(|o| o.duplicated),
        sum(|o| o.out_of_order),
        failed.len(),
        pick(0.5),
        pick(0.95),
        pick(1.0)
    );
    if !failed.is_empty() {
        let _ = writeln!(
            out,
            "\nFailing schedules (replay with `hog-campaign --replay SEED`):\n"
        );
        for o in failed {
            let _ = writeln!(
                out,
                "- `{:#x}`: {}; lost {}, duplicated {}, out of order {}{}",
                o.seed,
                o.description,
                o.lost,
                o.duplicated,
                o.out_of_order,
                o.error
                    .as_deref()
                    .map_or(String::new(), |e| format!("; {e}"))
            );
        }
    }
    out
}
