//! `hog-bench`: measures hog with real processes and prints
//! its figures against the C++ hog (see `hog-bench --help`).

use std::time::Instant;

use hog_bench::figures;
use hog_bench::harness::bench::Bench;
use hog_bench::harness::machine::Machine;
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
    bench.wait_quiet();
    let machine = Machine::describe();
    bench.say(&format!("{machine}"));
    let started = Instant::now();
    let mut failures = Vec::new();
    for n in bench.options.figures.clone() {
        if let Err(e) = figures::measure(&mut bench, n) {
            bench.say(&format!("figure {n} FAILED: {e}"));
            failures.push(n);
        }
        bench.metrics.compare_with_measured_cpp();
        let these: Vec<_> = bench
            .metrics
            .0
            .iter()
            .filter(|m| m.figure == n)
            .cloned()
            .collect();
        eprintln!("{}", report::table::table(&these));
        bench.remove_stale_regions();
    }
    // Runs clean up after themselves; what is left was kept on purpose.
    let _ = std::fs::remove_dir(&bench.options.work);
    let mut conditions = report::conditions(&machine, &bench.options);
    let disturbed = bench.disturbed();
    if !disturbed.is_empty() {
        conditions.push_str(&format!(
            " Runs started while other cargo/rustc processes ran: {}.",
            disturbed.join("; ")
        ));
    }
    println!("{conditions}\n\n{}", report::table::table(&bench.metrics.0));
    bench.say(&format!("done in {:.1} s", started.elapsed().as_secs_f64()));
    if let Some(out) = &bench.options.out {
        let caption = report::caption(&machine, &bench.options);
        match report::write(out, &bench.metrics, &conditions, &caption) {
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
