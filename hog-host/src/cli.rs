//! The command line, read the way the hobbes hog reads it.
//!
//! Flags keep their hobbes meaning, arity and error messages (`-d`, `-g`,
//! `-p t s host:port…`, `-s`, `-c`, `-m`, `-z`, `--no-recovery`, `-?`); the
//! last of `-p`/`-s` picks the mode. hog adds `--config FILE`,
//! `--print-config`, `--version` and subcommands. Flags become configuration
//! overrides, merged last (see [`crate::config`]).

use std::path::PathBuf;

use serde_json::{json, Map, Value};

use hog_core::units;

use crate::export::{ExportArgs, ExportFormat};
use crate::inspect::{parse_time, CatArgs, Format};

/// What the command line asks for.
#[derive(Debug, PartialEq)]
pub enum Command {
    /// Print the usage text.
    Help,
    /// Print hog's version.
    Version,
    /// Run hog.
    Run(RunArgs),
    /// Show the stat store: sessions, unfinished streams, recoveries.
    Stat {
        /// Where the store is (`-m`, `--config`).
        run: RunArgs,
        /// Print the store's JSON report instead of a summary.
        json: bool,
        /// Refresh the summary every two seconds, with the live metrics of
        /// a running hog if it serves them (`--watch`).
        watch: bool,
    },
    /// Run the demo: producers into hog in local mode.
    Demo {
        /// Directory for the demo's output and stat store.
        out: Option<PathBuf>,
    },
    /// List the bindings of a data file.
    Ls {
        /// The file.
        file: PathBuf,
        /// Show internal bindings too.
        all: bool,
    },
    /// Print the records of a data file in time order.
    Cat(CatArgs),
    /// Export data files to one Parquet or Arrow file per statement.
    Export(ExportArgs),
}

/// Arguments of a run.
#[derive(Debug, Default, PartialEq)]
pub struct RunArgs {
    /// Configuration file given with `--config`.
    pub config_file: Option<PathBuf>,
    /// Print the merged configuration instead of running.
    pub print_config: bool,
    /// Configuration values set by flags, as a nested object.
    pub overrides: Map<String, Value>,
}

/// A command line hog cannot use; the message is what hobbes' hog says
/// where hobbes has the same flag.
#[derive(Debug, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct CliError(pub String);

/// The usage text.
pub const USAGE: &str = "\
hog: drains structured logs that programs write into shared-memory rings
(hobbes storage.H) and stores them in files or ships them to a remote hog.

usage: hog [-d <dir>] [-g group+] [-p t s host:port+] [-s port] [-c] [-m <dir>] [-z]
           [--no-recovery] [--metrics ADDR] [--config FILE] [--print-config]
       hog demo [--out DIR]
       hog stat [--json | --watch] [-m DIR] [--metrics ADDR] [--config FILE]
       hog ls FILE [--all]
       hog cat FILE [--series NAME] [--format json|csv] [--from TIME] [--to TIME]
       hog --help | --version

modes (the last of -p/-s wins):
  local        (default)   drain the groups' rings into local files
  batchsend    -p t s h:p  drain the rings, ship batches to remote hogs
  batchrecv    -s port     receive batches from remote hogs into local files
  custom       --config    any sources and sinks, NATS JetStream among them
                           (source and sink jetstream: config/jetstream.toml)

flags:
  -d <dir>       file template for data (local, batchrecv) or staging (batchsend);
                 $GROUP and $DATE are replaced. default ./$GROUP/$DATE/data
  -g group+      storage groups to serve (arguments up to the next flag)
  -p t s h:p+    batchsend: cut a batch every t (units us ms s m h d; a bare
                 number is microseconds, as in hobbes) or every s bytes
                 (B KB MB GB), and send it to every host:port
  -s port        batchrecv: listen on this TCP port (number or service name)
  -c             consolidate equally-typed streams into one file
  -m <dir>       directory of the producer registration sockets and the stat
                 store. default: $HOBBES_STORE_DIR, $TMPDIR, $TMP, /var/tmp, /tmp
  -z             store each statement as a compressed series (hobbes cseq,
                 as hog -z: any statement type; no log/transactions series)
  --no-recovery  do not resume unfinished streams at start
  --metrics ADDR serve Prometheus metrics at /metrics and a live status page
                 at / on ADDR: PORT (127.0.0.1) or HOST:PORT. off by default
  --config FILE  read settings from a TOML or YAML file (see config/hog.toml)
  --print-config print the merged settings and exit
  -?, --help     print this text

settings merge in the order: defaults < --config file < HOG_* environment
variables (HOG_LOG_LEVEL=debug, HOG_SINK__DISK__DIR=...) < flags. A HOG_*
variable that names no setting is ignored with a warning; an unknown key in
a file or a flag is an error.

the stat store and a running hog:
  stat           sessions, unfinished streams with each sink's backlog, recent
                 recoveries; --json as the store reports it; --watch refreshes
                 every 2 s, with live counts from a hog serving --metrics ADDR

data files (written by this hog, the C++ hog or fregion.H):
  ls FILE        list bindings with their types and counts (--all: internal too)
  cat FILE       print records in time order, one JSON value a line: the log
                 (or transactions) series, else every series; --series NAME
                 picks one; --format csv; --from/--to TIME keep records whose
                 datetime is in [from, to) (µs since the epoch, or
                 YYYY-MM-DD[THH:MM[:SS[.ffffff]]][Z|+HH:MM], local by default)
  export FILE... --out DIR
                 write one DIR/<statement>.parquet per statement, typed
                 columns in time order; --format arrow for Arrow IPC files;
                 --from/--to TIME as for cat (needs the `export` feature)
";

/// Reads the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Command, CliError> {
    match args.first().map(String::as_str) {
        None | Some("-?" | "--help" | "-h") => return Ok(Command::Help),
        Some("--version" | "-V") => return Ok(Command::Version),
        Some("demo") => return parse_demo(&args[1..]),
        Some("ls") => return parse_ls(&args[1..]),
        Some("cat") => return parse_cat(&args[1..]),
        Some("export") => return parse_export(&args[1..]),
        Some("stat") => return parse_stat(&args[1..]),
        _ => {}
    }
    let mut run = RunArgs::default();
    let mut i = 0;
    let err = |m: &str| Err(CliError(m.to_string()));
    while i < args.len() {
        let arg = args[i].as_str();
        i += 1;
        match arg {
            "-?" | "--help" => return Ok(Command::Help),
            "-d" => {
                let Some(dir) = args.get(i) else {
                    return err("no directory specified");
                };
                i += 1;
                set(&mut run.overrides, &["sink", "disk", "dir"], json!(dir));
                set(&mut run.overrides, &["sink", "tcp", "dir"], json!(dir));
            }
            "-g" => {
                let groups = operands(args, &mut i);
                set(&mut run.overrides, &["groups"], json!(groups));
            }
            "-p" => {
                let values = operands(args, &mut i);
                if values.len() < 2 {
                    return err("need delay time and max size to push data");
                }
                if values.len() < 3 {
                    return err("need remote host:port to push data");
                }
                units::parse_timespan(&values[0]).map_err(|e| CliError(e.to_string()))?;
                units::parse_size(&values[1]).map_err(|e| CliError(e.to_string()))?;
                let o = &mut run.overrides;
                set(o, &["sources"], json!(["hstore"]));
                set(o, &["sinks"], json!(["tcp"]));
                set(o, &["sink", "tcp", "batch_time"], json!(values[0]));
                set(o, &["sink", "tcp", "batch_size"], json!(values[1]));
                set(o, &["sink", "tcp", "destinations"], json!(values[2..]));
            }
            "-s" => {
                let Some(port) = args.get(i) else {
                    return err("need port to receive remote data");
                };
                i += 1;
                let o = &mut run.overrides;
                set(o, &["sources"], json!(["receiver"]));
                set(o, &["sinks"], json!(["disk"]));
                set(o, &["receiver", "port"], json!(port));
            }
            "-c" => set(
                &mut run.overrides,
                &["sink", "disk", "consolidate"],
                json!(true),
            ),
            "-m" => {
                let Some(dir) = args.get(i) else {
                    return err("need domain socket directory for producer registration");
                };
                i += 1;
                set(&mut run.overrides, &["store_dir"], json!(dir));
            }
            "-z" => set(
                &mut run.overrides,
                &["sink", "disk", "compress"],
                json!(true),
            ),
            "--no-recovery" => set(&mut run.overrides, &["recovery"], json!(false)),
            "--metrics" => {
                let Some(addr) = args.get(i) else {
                    return err("--metrics needs an address: PORT or HOST:PORT");
                };
                i += 1;
                set(&mut run.overrides, &["metrics", "listen"], json!(addr));
            }
            "--config" => {
                let Some(file) = args.get(i) else {
                    return err("--config needs a file");
                };
                i += 1;
                run.config_file = Some(PathBuf::from(file));
            }
            "--print-config" => run.print_config = true,
            other => return Err(CliError(format!("invalid argument: {other}"))),
        }
    }
    Ok(Command::Run(run))
}

fn parse_stat(args: &[String]) -> Result<Command, CliError> {
    let json = args.iter().any(|a| a == "--json");
    let watch = args.iter().any(|a| a == "--watch");
    if json && watch {
        return Err(CliError(
            "hog stat: --json and --watch do not go together".into(),
        ));
    }
    let rest: Vec<String> = args
        .iter()
        .filter(|a| *a != "--json" && *a != "--watch")
        .cloned()
        .collect();
    let run =
        match rest.is_empty() {
            true => RunArgs::default(),
            false => match parse(&rest)? {
                Command::Run(run) => run,
                _ => return Err(CliError(
                    "usage: hog stat [--json | --watch] [-m DIR] [--metrics ADDR] [--config FILE]"
                        .into(),
                )),
            },
        };
    Ok(Command::Stat { run, json, watch })
}

fn parse_demo(args: &[String]) -> Result<Command, CliError> {
    match args {
        [] => Ok(Command::Demo { out: None }),
        [flag, dir] if flag == "--out" => Ok(Command::Demo {
            out: Some(PathBuf::from(dir)),
        }),
        _ => Err(CliError("usage: hog demo [--out DIR]".into())),
    }
}

fn parse_ls(args: &[String]) -> Result<Command, CliError> {
    match args {
        [file] => Ok(Command::Ls {
            file: PathBuf::from(file),
            all: false,
        }),
        [file, all] | [all, file] if all == "--all" => Ok(Command::Ls {
            file: PathBuf::from(file),
            all: true,
        }),
        _ => Err(CliError("usage: hog ls FILE [--all]".into())),
    }
}

fn parse_cat(args: &[String]) -> Result<Command, CliError> {
    const USAGE: &str =
        "usage: hog cat FILE [--series NAME] [--format json|csv] [--from TIME] [--to TIME]";
    let mut cat = CatArgs::default();
    let mut file = None;
    walk(
        args,
        USAGE,
        |option, value| {
            match option {
                "--series" => cat.series = Some(value?),
                "--format" => {
                    cat.format = match value?.as_str() {
                        "json" => Format::Json,
                        "csv" => Format::Csv,
                        other => {
                            return Err(CliError(format!("unknown format '{other}' (json or csv)")))
                        }
                    }
                }
                "--from" => cat.from = Some(time(value)?),
                "--to" => cat.to = Some(time(value)?),
                f => return Err(CliError(format!("unknown option {f}; {USAGE}"))),
            }
            Ok(())
        },
        |f| match file {
            None => {
                file = Some(PathBuf::from(f));
                Ok(())
            }
            Some(_) => Err(CliError(USAGE.into())),
        },
    )?;
    cat.file = file.ok_or_else(|| CliError(USAGE.into()))?;
    Ok(Command::Cat(cat))
}

fn parse_export(args: &[String]) -> Result<Command, CliError> {
    const USAGE: &str =
        "usage: hog export FILE... --out DIR [--format parquet|arrow] [--from TIME] [--to TIME]";
    let mut export = ExportArgs::default();
    let mut out = None;
    walk(
        args,
        USAGE,
        |option, value| {
            match option {
                "--out" => out = Some(PathBuf::from(value?)),
                "--format" => {
                    export.format = match value?.as_str() {
                        "parquet" => ExportFormat::Parquet,
                        "arrow" => ExportFormat::Arrow,
                        other => {
                            return Err(CliError(format!(
                                "unknown export format '{other}' (parquet or arrow)"
                            )))
                        }
                    }
                }
                "--from" => export.from = Some(time(value)?),
                "--to" => export.to = Some(time(value)?),
                f => return Err(CliError(format!("unknown option {f}; {USAGE}"))),
            }
            Ok(())
        },
        |f| {
            export.files.push(PathBuf::from(f));
            Ok(())
        },
    )?;
    export.out = out.ok_or_else(|| CliError(format!("--out DIR is needed; {USAGE}")))?;
    if export.files.is_empty() {
        return Err(CliError(USAGE.into()));
    }
    Ok(Command::Export(export))
}

/// Walks the arguments of a subcommand: each `-option VALUE` goes to
/// `option` (with the value, or an error saying it is missing), anything
/// else to `operand`.
fn walk(
    args: &[String],
    usage: &str,
    mut option: impl FnMut(&str, Result<String, CliError>) -> Result<(), CliError>,
    mut operand: impl FnMut(&str) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        if arg.starts_with('-') {
            let value = args
                .get(i + 1)
                .cloned()
                .ok_or_else(|| CliError(format!("{arg} needs a value; {usage}")));
            option(arg, value)?;
            i += 2;
        } else {
            operand(arg)?;
            i += 1;
        }
    }
    Ok(())
}

/// A `--from`/`--to` value.
fn time(value: Result<String, CliError>) -> Result<i64, CliError> {
    parse_time(&value?).map_err(|e| CliError(e.to_string()))
}

/// The arguments from `i` up to the next one starting with `-`.
fn operands(args: &[String], i: &mut usize) -> Vec<String> {
    let start = *i;
    while *i < args.len() && !args[*i].starts_with('-') {
        *i += 1;
    }
    args[start..*i].to_vec()
}

/// Sets `path` in a nested object, creating the objects on the way.
fn set(root: &mut Map<String, Value>, path: &[&str], value: Value) {
    let (last, parents) = path.split_last().expect("a non-empty path");
    let mut node = root;
    for key in parents {
        node = node
            .entry(key.to_string())
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .expect("override paths never cross a value");
    }
    node.insert(last.to_string(), value);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<RunArgs, CliError> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        match parse(&args)? {
            Command::Run(run) => Ok(run),
            other => panic!("expected a run, got {other:?}"),
        }
    }

    fn error(args: &[&str]) -> String {
        run(args).unwrap_err().0
    }

    #[test]
    fn no_arguments_and_help_print_usage() {
        assert_eq!(parse(&[]).unwrap(), Command::Help);
        assert_eq!(parse(&["-?".into()]).unwrap(), Command::Help);
        assert_eq!(
            parse(&["-g".into(), "A".into(), "--help".into()]).unwrap(),
            Command::Help
        );
    }

    #[test]
    fn groups_run_up_to_the_next_flag() {
        let r = run(&["-g", "B", "A", "-c", "-m", "/tmp/x"]).unwrap();
        assert_eq!(r.overrides["groups"], json!(["B", "A"]));
        assert_eq!(r.overrides["sink"]["disk"]["consolidate"], json!(true));
        assert_eq!(r.overrides["store_dir"], json!("/tmp/x"));
    }

    #[test]
    fn batchsend_takes_time_size_and_destinations() {
        let r = run(&["-g", "A", "-p", "1s", "10MB", "h1:1", "h2:2", "-z"]).unwrap();
        assert_eq!(r.overrides["sinks"], json!(["tcp"]));
        assert_eq!(r.overrides["sink"]["tcp"]["batch_time"], json!("1s"));
        assert_eq!(r.overrides["sink"]["tcp"]["batch_size"], json!("10MB"));
        assert_eq!(
            r.overrides["sink"]["tcp"]["destinations"],
            json!(["h1:1", "h2:2"])
        );
        assert_eq!(r.overrides["sink"]["disk"]["compress"], json!(true));
    }

    #[test]
    fn the_last_of_p_and_s_wins() {
        let r = run(&["-p", "1s", "1MB", "h:1", "-s", "1234"]).unwrap();
        assert_eq!(r.overrides["sources"], json!(["receiver"]));
        assert_eq!(r.overrides["sinks"], json!(["disk"]));
        let r = run(&["-s", "1234", "-p", "1s", "1MB", "h:1"]).unwrap();
        assert_eq!(r.overrides["sources"], json!(["hstore"]));
        assert_eq!(r.overrides["sinks"], json!(["tcp"]));
    }

    #[test]
    fn errors_read_as_in_hobbes() {
        assert_eq!(error(&["-d"]), "no directory specified");
        assert_eq!(
            error(&["-p", "1s"]),
            "need delay time and max size to push data"
        );
        assert_eq!(
            error(&["-p", "1s", "1MB"]),
            "need remote host:port to push data"
        );
        assert_eq!(
            error(&["-p", "1s", "1MB", "-g", "A"]),
            "need remote host:port to push data"
        );
        assert_eq!(error(&["-s"]), "need port to receive remote data");
        assert_eq!(
            error(&["-m"]),
            "need domain socket directory for producer registration"
        );
        assert_eq!(error(&["-x"]), "invalid argument: -x");
        assert_eq!(
            error(&["-g", "A", "stray", "--bogus"]),
            "invalid argument: --bogus"
        );
    }

    #[test]
    fn ls_and_cat_take_a_file_and_their_options() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse(&args(&["ls", "f.log", "--all"])).unwrap(),
            Command::Ls {
                file: "f.log".into(),
                all: true
            }
        );
        let Command::Cat(c) = parse(&args(&[
            "cat",
            "f.log",
            "--series",
            "x",
            "--format",
            "csv",
            "--from",
            "5",
            "--to",
            "1970-01-01T00:00:01Z",
        ]))
        .unwrap() else {
            panic!("a cat")
        };
        assert_eq!(
            (c.file.to_str(), c.series.as_deref(), c.format, c.from, c.to),
            (
                Some("f.log"),
                Some("x"),
                Format::Csv,
                Some(5),
                Some(1_000_000)
            )
        );
        assert!(parse(&args(&["cat"])).is_err());
        assert!(parse(&args(&["cat", "f", "--format", "xml"])).is_err());
        assert!(parse(&args(&["cat", "f", "--from", "yesterday"])).is_err());
    }

    #[test]
    fn export_takes_files_an_output_directory_and_options() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let Command::Export(e) = parse(&args(&[
            "export", "a.log", "--out", "o", "b.log", "--format", "arrow", "--from", "5",
        ]))
        .unwrap() else {
            panic!("an export")
        };
        assert_eq!(
            e,
            ExportArgs {
                files: vec!["a.log".into(), "b.log".into()],
                out: "o".into(),
                format: ExportFormat::Arrow,
                from: Some(5),
                to: None,
            }
        );
        assert!(parse(&args(&["export", "a.log"])).is_err());
        assert!(parse(&args(&["export", "--out", "o"])).is_err());
        assert!(parse(&args(&["export", "a", "--out", "o", "--format", "csv"])).is_err());
    }

    #[test]
    fn bad_units_are_refused() {
        assert!(error(&["-p", "1parsec", "1MB", "h:1"]).contains("unknown unit"));
        assert!(error(&["-p", "1s", "lots", "h:1"]).contains("invalid size"));
    }
}
