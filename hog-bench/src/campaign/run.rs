//! Running one schedule: start the processes, play the faults at their
//! times, wait until every committed record arrived (the time to heal),
//! stop, and count.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::cluster::{Binaries, Cluster};
use super::count::count;
use super::schedule::{Fault, Schedule, Target};

/// How long the pipeline may take to deliver everything after the last
/// fault before the schedule counts as failed.
const HEAL_LIMIT: Duration = Duration::from_secs(120);

/// The data filesystem of a campaign: a small tmpfs when one could be
/// mounted (filled and freed by `FillDisk` faults), else a directory.
#[derive(Debug)]
pub struct Disk {
    /// Its root.
    pub path: PathBuf,
    /// Whether it is a small filesystem of its own that may be filled.
    pub fillable: bool,
}

impl Disk {
    fn ballast(&self) -> PathBuf {
        self.path.join("ballast")
    }

    /// Writes zeros until the filesystem is full.
    fn fill(&self) {
        use std::io::Write;
        let Ok(mut f) = std::fs::File::create(self.ballast()) else {
            return;
        };
        let chunk = vec![0u8; 1 << 20];
        while f.write_all(&chunk).is_ok() {}
        let _ = f.write_all(&chunk[..4096]);
    }

    fn free(&self) {
        let _ = std::fs::remove_file(self.ballast());
    }

    /// Empties it for the next schedule.
    pub fn clear(&self) {
        for entry in std::fs::read_dir(&self.path)
            .into_iter()
            .flatten()
            .flatten()
        {
            let p = entry.path();
            let _ = if p.is_dir() {
                std::fs::remove_dir_all(&p)
            } else {
                std::fs::remove_file(&p)
            };
        }
    }
}

/// What one schedule showed.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The schedule's seed.
    pub seed: u64,
    /// The schedule, for people.
    pub description: String,
    /// Records committed by the producers (a lower bound for killed ones).
    pub records: u64,
    /// Committed records missing from the files.
    pub lost: u64,
    /// Copies beyond the first.
    pub duplicated: u64,
    /// Records not after the one before them in their file.
    pub out_of_order: u64,
    /// From the end of the last fault until every committed record was in
    /// the files.
    pub heal: Option<Duration>,
    /// What went wrong besides counts (a hog that did not stop cleanly, a
    /// process that would not start).
    pub error: Option<String>,
}

impl Outcome {
    /// Whether the schedule kept the durability contract.
    pub fn ok(&self) -> bool {
        self.error.is_none() && self.lost == 0 && self.duplicated == 0 && self.out_of_order == 0
    }
}

/// Runs `schedule` with its logs and stat stores in `work` and its data on
/// `disk`.
pub fn run(bins: &Binaries, schedule: &Schedule, work: &Path, disk: &Disk) -> Outcome {
    let mut outcome = Outcome {
        seed: schedule.seed,
        description: schedule.to_string(),
        records: 0,
        lost: 0,
        duplicated: 0,
        out_of_order: 0,
        heal: None,
        error: None,
    };
    if let Err(e) = play(bins, schedule, work, disk, &mut outcome) {
        outcome.error = Some(e);
    }
    disk.free();
    outcome
}

fn play(
    bins: &Binaries,
    schedule: &Schedule,
    work: &Path,
    disk: &Disk,
    outcome: &mut Outcome,
) -> Result<(), String> {
    let mut c = Cluster::new(bins, schedule, work, &disk.path)?;
    c.start(Target::Receiver)?;
    c.start(Target::Front)?;
    for p in &schedule.producers {
        c.produce(p.records, p.txn)?;
    }
    let t0 = Instant::now();
    for fault in &schedule.faults {
        let at = t0 + Duration::from_millis(fault.at());
        std::thread::sleep(at.saturating_duration_since(Instant::now()));
        inject(&mut c, schedule, disk, *fault)?;
    }
    let healing = Instant::now();
    let deadline = healing + HEAL_LIMIT;
    while c.producers.iter_mut().any(|p| p.running()) {
        if Instant::now() >= deadline {
            return Err("a producer was still blocked 120 s after the last fault".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let committed: Vec<(u64, u64)> = c.producers.iter().map(|p| (p.id, p.committed())).collect();
    outcome.records = committed.iter().map(|&(_, n)| n).sum();
    let complete = |data: &Path| {
        let seen = count(data);
        committed
            .iter()
            .all(|(id, n)| seen.get(id).map_or(*n == 0, |s| s.lost(*n) == 0))
    };
    while !complete(&c.data) {
        if Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    if complete(&c.data) {
        outcome.heal = Some(healing.elapsed());
    }
    c.stop();
    let seen = count(&c.data);
    for (id, n) in &committed {
        let s = seen.get(id).cloned().unwrap_or_default();
        outcome.lost += s.lost(*n);
        outcome.duplicated += s.duplicated();
        outcome.out_of_order += s.out_of_order;
    }
    let unknown = seen
        .keys()
        .filter(|id| !committed.iter().any(|(c, _)| c == *id))
        .count();
    if unknown > 0 {
        return Err(format!(
            "{unknown} producer ids in the files that no producer had"
        ));
    }
    if outcome.heal.is_none() {
        return Err(format!(
            "not every record arrived within {HEAL_LIMIT:?} of the last fault"
        ));
    }
    Ok(())
}

fn inject(c: &mut Cluster, schedule: &Schedule, disk: &Disk, fault: Fault) -> Result<(), String> {
    let pause = |ms: u64| std::thread::sleep(Duration::from_millis(ms));
    match fault {
        Fault::KillProducer { index, .. } => {
            let spec = schedule.producers[index];
            if c.producers[index].running() {
                c.producers[index].kill();
                c.produce(spec.records, spec.txn)?;
            }
        }
        Fault::Kill { target, down, .. } => {
            c.kill(target);
            pause(down);
            c.start(target)?;
        }
        Fault::KillInRecovery {
            target,
            again,
            down,
            ..
        } => {
            c.kill(target);
            c.start(target)?;
            pause(again);
            c.kill(target);
            pause(down);
            c.start(target)?;
        }
        Fault::FillDisk { lasts, .. } => {
            disk.fill();
            pause(lasts);
            disk.free();
        }
        Fault::FailSink { lasts, .. } => {
            std::fs::write(&c.flag, b"").map_err(|e| e.to_string())?;
            pause(lasts);
            let _ = std::fs::remove_file(&c.flag);
        }
    }
    Ok(())
}
