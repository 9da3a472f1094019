//! `hog`: drains hobbes structured logs from shared memory into files or to
//! remote hogs. See `hog --help` and the README.

#![warn(missing_docs, unreachable_pub, unsafe_op_in_unsafe_fn)]
use std::process::ExitCode;

use hog_host::cli::{self, Command};
use hog_host::{config, demo, export, inspect, logging, memory, run, stat};

fn main() -> ExitCode {
    // A peer that goes away must not kill hog: writes report EPIPE instead.
    // SAFETY: setting a signal disposition to SIG_IGN has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    memory::reuse_large_buffers();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match cli::parse(&args) {
        Ok(command) => command,
        Err(e) => return fatal(&e.to_string()),
    };
    match command {
        Command::Help => {
            print!("{}", cli::USAGE);
            ExitCode::SUCCESS
        }
        Command::Version => {
            println!("hog {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Command::Ls { file, all } => {
            inspected(inspect::ls(&file, all, &mut std::io::stdout().lock()))
        }
        Command::Cat(args) => {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            let result = inspect::cat(&args, &mut out).and_then(|()| {
                std::io::Write::flush(&mut out).map_err(inspect::InspectError::from)
            });
            inspected(result)
        }
        Command::Export(args) => match export::export(&args) {
            Ok(report) => {
                print!("{report}");
                ExitCode::SUCCESS
            }
            Err(e) => fatal(&e),
        },
        Command::Stat {
            run, watch: true, ..
        } => match stat::watch(&run) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fatal(&e.to_string()),
        },
        Command::Stat { run, json, .. } => match stat::stat(&run, json) {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => fatal(&e.to_string()),
        },
        Command::Demo { out } => {
            logging::init("info");
            finish(runtime().block_on(demo::demo(out)))
        }
        Command::Run(args) => {
            let config = match config::load(args.config_file.as_deref(), &args.overrides) {
                Ok(config) => config,
                Err(e) => return fatal(&e.to_string()),
            };
            if args.print_config {
                for warning in config.warnings() {
                    eprintln!("hog: warning: {warning}");
                }
                print!("{}", config.to_toml());
                return ExitCode::SUCCESS;
            }
            logging::init(&config.log_level);
            finish(runtime().block_on(run::run(config)).map(|_| ()))
        }
    }
}

/// The exit of `hog ls`/`hog cat`: a closed output (`| head`) is no
/// failure.
fn inspected(result: Result<(), inspect::InspectError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.output_closed() => ExitCode::SUCCESS,
        Err(e) => fatal(&e.to_string()),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("hog")
        .build()
        .expect("cannot start the async runtime")
}

fn finish(result: Result<(), run::RunError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fatal(&e.to_string()),
    }
}

/// Prints `message` and exits with status 255, as hobbes' hog does.
fn fatal(message: &str) -> ExitCode {
    eprintln!("hog: {message}");
    ExitCode::from(255)
}
