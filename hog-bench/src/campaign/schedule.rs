//! What one schedule does, derived from its seed alone.

use std::fmt;

use super::rng::Rng;

/// How records travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topology {
    /// Producers → hog in local mode → files.
    Local,
    /// Producers → sending hog (v2) → receiving hog → files.
    Ship,
}

/// A hog process a fault hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The hog producers log into (local mode, or the sender).
    Front,
    /// The receiving hog (ship topology).
    Receiver,
}

/// One fault, `at` milliseconds after the producers start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// SIGKILL of producer `index`; a replacement producer starts.
    KillProducer {
        /// When.
        at: u64,
        /// Which producer.
        index: usize,
    },
    /// SIGKILL of a hog, restarted `down` ms later.
    Kill {
        /// When.
        at: u64,
        /// Which hog.
        target: Target,
        /// How long it stays down.
        down: u64,
    },
    /// SIGKILL of a hog, restarted, killed again `again` ms into its
    /// recovery, restarted `down` ms later.
    KillInRecovery {
        /// When.
        at: u64,
        /// Which hog.
        target: Target,
        /// How long into its recovery it is killed again.
        again: u64,
        /// How long it then stays down.
        down: u64,
    },
    /// The data filesystem fills up for `lasts` ms.
    FillDisk {
        /// When.
        at: u64,
        /// For how long.
        lasts: u64,
    },
    /// The failing sink fails for `lasts` ms.
    FailSink {
        /// When.
        at: u64,
        /// For how long.
        lasts: u64,
    },
}

impl Fault {
    /// When it starts.
    pub fn at(&self) -> u64 {
        match *self {
            Fault::KillProducer { at, .. }
            | Fault::Kill { at, .. }
            | Fault::KillInRecovery { at, .. }
            | Fault::FillDisk { at, .. }
            | Fault::FailSink { at, .. } => at,
        }
    }
}

/// One producer process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerSpec {
    /// Records it logs.
    pub records: u64,
    /// Records per transaction (manual commit).
    pub txn: u64,
}

/// A whole schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Its seed.
    pub seed: u64,
    /// How records travel.
    pub topology: Topology,
    /// The producers started at once.
    pub producers: Vec<ProducerSpec>,
    /// Whether a second sink (which the `FailSink` faults toggle) sits
    /// beside the disk sink of the hog that writes files.
    pub failing_sink: bool,
    /// The faults, in time order.
    pub faults: Vec<Fault>,
}

impl Schedule {
    /// The schedule of `seed`; filesystem faults only if `disk_faults`.
    pub fn from_seed(seed: u64, disk_faults: bool) -> Schedule {
        let mut r = Rng::new(seed);
        let topology = if r.chance(40) {
            Topology::Local
        } else {
            Topology::Ship
        };
        let producers = (0..r.range(1, 3))
            .map(|_| ProducerSpec {
                records: r.range(5_000, 30_000),
                txn: r.range(1, 200),
            })
            .collect::<Vec<_>>();
        let failing_sink = r.chance(50);
        let targets: &[Target] = match topology {
            Topology::Local => &[Target::Front],
            Topology::Ship => &[Target::Front, Target::Receiver],
        };
        let mut faults = Vec::new();
        for _ in 0..r.range(1, 3) {
            let at = r.range(50, 1_200);
            let target = targets[r.range(0, targets.len() as u64 - 1) as usize];
            let fault = match r.range(0, 5) {
                0 => Fault::KillProducer {
                    at,
                    index: r.range(0, producers.len() as u64 - 1) as usize,
                },
                1 | 2 => Fault::Kill {
                    at,
                    target,
                    down: r.range(0, 500),
                },
                3 => Fault::KillInRecovery {
                    at,
                    target,
                    again: r.range(10, 300),
                    down: r.range(0, 300),
                },
                4 if disk_faults => Fault::FillDisk {
                    at,
                    lasts: r.range(100, 1_500),
                },
                _ if failing_sink => Fault::FailSink {
                    at,
                    lasts: r.range(100, 1_500),
                },
                _ => Fault::Kill {
                    at,
                    target,
                    down: r.range(0, 500),
                },
            };
            faults.push(fault);
        }
        faults.sort_by_key(Fault::at);
        Schedule {
            seed,
            topology,
            producers,
            failing_sink,
            faults,
        }
    }

    /// Records the first producers log (replacements add theirs).
    pub fn records(&self) -> u64 {
        self.producers.iter().map(|p| p.records).sum()
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Target::Front => "hog",
            Target::Receiver => "receiver",
        })
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Fault::KillProducer { at, index } => write!(f, "kill producer {index} @{at}ms"),
            Fault::Kill { at, target, down } => write!(f, "kill {target} @{at}ms for {down}ms"),
            Fault::KillInRecovery {
                at,
                target,
                again,
                down,
            } => write!(
                f,
                "kill {target} @{at}ms, again {again}ms into recovery, for {down}ms"
            ),
            Fault::FillDisk { at, lasts } => write!(f, "full disk @{at}ms for {lasts}ms"),
            Fault::FailSink { at, lasts } => write!(f, "failing sink @{at}ms for {lasts}ms"),
        }
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let topology = match self.topology {
            Topology::Local => "local",
            Topology::Ship => "ship",
        };
        let faults: Vec<String> = self.faults.iter().map(Fault::to_string).collect();
        write!(
            f,
            "{topology}, {} producer(s), {} records{}: {}",
            self.producers.len(),
            self.records(),
            if self.failing_sink {
                ", second sink"
            } else {
                ""
            },
            faults.join("; ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_always_gives_the_same_schedule() {
        for seed in 0..200 {
            let s = Schedule::from_seed(seed, true);
            assert_eq!(s, Schedule::from_seed(seed, true));
            assert!(!s.faults.is_empty() && s.faults.windows(2).all(|w| w[0].at() <= w[1].at()));
            if s.topology == Topology::Local {
                assert!(s.faults.iter().all(|f| !matches!(
                    f,
                    Fault::Kill {
                        target: Target::Receiver,
                        ..
                    } | Fault::KillInRecovery {
                        target: Target::Receiver,
                        ..
                    }
                )));
            }
            if !s.failing_sink {
                assert!(!s.faults.iter().any(|f| matches!(f, Fault::FailSink { .. })));
            }
        }
        assert!(Schedule::from_seed(3, false)
            .faults
            .iter()
            .all(|f| !matches!(f, Fault::FillDisk { .. })));
    }
}
