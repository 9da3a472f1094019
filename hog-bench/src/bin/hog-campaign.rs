//! `hog-campaign`: seeded fault schedules against real hogs, every record
//! counted (see `hog_bench::campaign`). Not part of `cargo test`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use hog_bench::campaign::cluster::Binaries;
use hog_bench::campaign::rng::schedule_seed;
use hog_bench::campaign::run::{run, Disk};
use hog_bench::campaign::{producer, report, Schedule};

const USAGE: &str = "\
usage: hog-campaign [--schedules N] [--seed S] [--replay SEED] [--hog PATH]
                    [--faulty PATH] [--work DIR] [--report FILE] [--no-tmpfs]
       hog-campaign produce DIR ID RECORDS TXN     (the campaign's producer)

Runs N seeded schedules (default 1000) of real producers and hogs (local
mode, or a sender and a receiver over v2) while faults are injected:
SIGKILL of producers, hogs, senders and receivers (also during recovery), a
data filesystem that fills up and frees (a 64 MiB tmpfs; needs root, else
--no-tmpfs), a second sink that fails and comes back. Every record is
counted by (producer, sequence): lost, duplicated, out of order, and the
time to heal after the last fault. A failing schedule is printed with its
seed: --replay SEED runs that schedule alone.

  --seed S        the campaign's seed (default 1): schedule i has a seed
                  derived from S and i
  --hog PATH      default: hog next to this program
  --faulty PATH   the failing sink, default: libfaulty_plugin.so next to
                  this program (cargo build -p faulty-plugin)
  --work DIR      scratch directory (default $TMPDIR/hog-campaign-<pid>);
                  a failing schedule's logs are kept in DIR/failed-<seed>
  --report FILE   also write the summary (Markdown) to FILE
";

struct Options {
    schedules: u64,
    seed: u64,
    replay: Option<u64>,
    hog: Option<PathBuf>,
    faulty: Option<PathBuf>,
    work: PathBuf,
    report: Option<PathBuf>,
    tmpfs: bool,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        schedules: 1000,
        seed: 1,
        replay: None,
        hog: None,
        faulty: None,
        work: std::env::temp_dir().join(format!("hog-campaign-{}", std::process::id())),
        report: None,
        tmpfs: true,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let number = |s: &str| {
            let parsed = match s.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => s.parse(),
            };
            parsed.map_err(|e| format!("{flag} {s}: {e}"))
        };
        match flag.as_str() {
            "--schedules" => o.schedules = number(value()?)?,
            "--seed" => o.seed = number(value()?)?,
            "--replay" => o.replay = Some(number(value()?)?),
            "--hog" => o.hog = Some(value()?.into()),
            "--faulty" => o.faulty = Some(value()?.into()),
            "--work" => o.work = value()?.into(),
            "--report" => o.report = Some(value()?.into()),
            "--no-tmpfs" => o.tmpfs = false,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument '{other}'\n{USAGE}")),
        }
    }
    Ok(o)
}

fn binaries(o: &Options) -> Result<Binaries, String> {
    let campaign = std::env::current_exe().map_err(|e| e.to_string())?;
    let here = campaign.parent().map(Path::to_path_buf).unwrap_or_default();
    let found = |given: &Option<PathBuf>, name: &str, build: &str| {
        let path = given.clone().unwrap_or_else(|| here.join(name));
        if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "{} not found: {build}, or give its path",
                path.display()
            ))
        }
    };
    Ok(Binaries {
        hog: found(&o.hog, "hog", "cargo build -p hog-host")?,
        faulty: found(
            &o.faulty,
            "libfaulty_plugin.so",
            "cargo build -p faulty-plugin",
        )?,
        campaign,
    })
}

/// Mounts a 64 MiB tmpfs on `dir`; false (after saying why) if it cannot.
fn mount(dir: &Path) -> bool {
    let out = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64m", "tmpfs"])
        .arg(dir)
        .output();
    match out {
        Ok(o) if o.status.success() => true,
        Ok(o) => {
            eprintln!(
                "hog-campaign: no full-disk faults: cannot mount a tmpfs ({})",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            false
        }
        Err(e) => {
            eprintln!("hog-campaign: no full-disk faults: cannot run mount: {e}");
            false
        }
    }
}

fn campaign(o: &Options) -> Result<bool, String> {
    let bins = binaries(o)?;
    let disk_dir = o.work.join("disk");
    std::fs::create_dir_all(&disk_dir).map_err(|e| format!("{}: {e}", disk_dir.display()))?;
    let fillable = o.tmpfs && mount(&disk_dir);
    let disk = Disk {
        path: disk_dir.clone(),
        fillable,
    };
    let seeds: Vec<u64> = match o.replay {
        Some(seed) => vec![seed],
        None => (0..o.schedules).map(|i| schedule_seed(o.seed, i)).collect(),
    };
    let mut outcomes = Vec::new();
    for (i, seed) in seeds.iter().enumerate() {
        let schedule = Schedule::from_seed(*seed, disk.fillable);
        let work = o.work.join("run");
        let _ = std::fs::remove_dir_all(&work);
        disk.clear();
        let outcome = run(&bins, &schedule, &work, &disk);
        println!(
            "{:>5} {:#018x} {} | records {} lost {} dup {} ooo {} heal {} {}",
            i + 1,
            seed,
            schedule,
            outcome.records,
            outcome.lost,
            outcome.duplicated,
            outcome.out_of_order,
            outcome
                .heal
                .map_or("-".to_string(), |d| format!("{:.2}s", d.as_secs_f64())),
            if outcome.ok() {
                "ok".to_string()
            } else {
                format!("FAILED {}", outcome.error.as_deref().unwrap_or(""))
            }
        );
        if !outcome.ok() {
            let keep = o.work.join(format!("failed-{seed:#x}"));
            let _ = std::fs::rename(&work, &keep);
            println!(
                "      logs kept in {}; replay: hog-campaign --replay {seed:#x}",
                keep.display()
            );
        }
        outcomes.push(outcome);
    }
    if disk.fillable {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&disk_dir)
            .status();
    }
    let what = format!(
        "{} schedules from seed {:#x}; full-disk faults {}",
        outcomes.len(),
        o.seed,
        if disk.fillable { "on" } else { "off" }
    );
    let summary = report::markdown(&outcomes, &what);
    println!("\n{summary}");
    if let Some(path) = &o.report {
        std::fs::write(path, &summary).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(outcomes.iter().all(|o| o.ok()))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("produce") {
        return match producer::main(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("hog-campaign produce: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let result = parse(&args).and_then(|o| campaign(&o));
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
