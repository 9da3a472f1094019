//! The benchmark producer: see `hog_bench::producer`.

use hog_bench::producer::{args::ProducerArgs, run::run};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = ProducerArgs::parse(&args).and_then(|a| run(&a));
    if let Err(e) = result {
        eprintln!("hog-bench-producer: {e}");
        std::process::exit(1);
    }
}
