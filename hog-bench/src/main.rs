//! `hog-bench`: measures hog with real processes and prints the figures of
//! issue 6 against the C++ hog (see `hog-bench --help`).

use std::time::{Duration, Instant};

use hog_bench::figures;
use hog_bench::harness::bench::Bench;
use hog_bench::harness::machine::{compilers_running, load, Machine};
use hog_bench::harness::options::Options;
use hog_bench::report;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match Options::parse(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let mut bench = match Bench::new(options) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("hog-bench: {e}");
            std::process::exit(2);
        }
    };
    let quiet_until = Instant::now() + Duration::from_secs(60 * bench.options.wait_quiet);
    wait_quiet(&bench, quiet_until);
    let machine = Machine::describe();
    bench.say(&format!("{machine}"));
    let started = Instant::now();
    let mut failures = Vec::new();
    let mut busy = Vec::new();
    for n in bench.options.figures.clone() {
        let compilers = wait_quiet(&bench, quiet_until);
        if compilers > 0 {
            busy.push(format!(
                "figure {n}: {compilers} at its start, load {:.1}",
                load()
            ));
        }
        if let Err(e) = figures::measure(&mut bench, n) {
            bench.say(&format!("figure {n} FAILED: {e}"));
            failures.push(n);
        }
        bench.remove_stale_regions();
    }
    if !bench.options.keep {
        let _ = std::fs::remove_dir_all(&bench.options.work);
    }
    let mut conditions = report::conditions(&machine, &bench.options);
    if !busy.is_empty() {
        conditions.push_str(&format!(
            " Other compilers were running during some figures ({}).",
            busy.join("; ")
        ));
    }
    println!("{conditions}\n\n{}", report::table::table(&bench.metrics.0));
    bench.say(&format!("done in {:.1} s", started.elapsed().as_secs_f64()));
    if let Some(out) = &bench.options.out {
        match report::write(out, &bench.metrics, &conditions) {
            Ok(()) => bench.say(&format!(
                "wrote {} and {}",
                out.join(report::RESULTS).display(),
                out.join(report::PLOT).display()
            )),
            Err(e) => {
                bench.say(&e);
                failures.push(0);
            }
        }
    }
    if !failures.is_empty() {
        bench.say(&format!("failed figures: {failures:?}"));
        std::process::exit(1);
    }
}

/// Waits until no other compiler runs, or `deadline` (`--wait-quiet`
/// minutes after the start) has passed; returns how many still run.
fn wait_quiet(bench: &Bench, deadline: Instant) -> usize {
    loop {
        let busy = compilers_running();
        if busy == 0 || Instant::now() >= deadline {
            if busy > 0 && bench.options.wait_quiet > 0 {
                bench.say(&format!(
                    "{busy} cargo/rustc processes still running; measuring anyway"
                ));
            }
            return busy;
        }
        bench.say(&format!("{busy} cargo/rustc processes running; waiting"));
        std::thread::sleep(Duration::from_secs(10));
    }
}
