//! A measured figure: its samples, unit, and where it stands against the
//! C++ hog and the target (see [`crate::report::reference`]).

use crate::harness::stats::Summary;
use crate::report::reference::{self, Better, Reference};

/// The unit of a figure, which also says how it is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Nanoseconds.
    Ns,
    /// Milliseconds.
    Ms,
    /// Seconds.
    S,
    /// Records per second.
    PerS,
    /// Mebibytes.
    MiB,
    /// Per cent of one core.
    Percent,
    /// A count (of records).
    Count,
    /// A multiplier (`2.0×`).
    Factor,
    /// A fraction written as `1 : x`.
    OneTo,
}

/// One figure of the report.
#[derive(Debug, Clone)]
pub struct Metric {
    /// The figure number (1–9).
    pub figure: u8,
    /// A stable key: `local.p3.records_per_s`.
    pub key: String,
    /// What it is, for the table.
    pub label: String,
    /// Its unit.
    pub unit: Unit,
    /// One sample per run.
    pub samples: Vec<f64>,
    /// The C++ figure and the target, where there are.
    pub reference: Option<Reference>,
}

impl Metric {
    /// A figure with no samples yet.
    pub fn new(figure: u8, key: &str, label: &str, unit: Unit) -> Metric {
        Metric {
            figure,
            key: key.to_string(),
            label: label.to_string(),
            unit,
            samples: Vec::new(),
            reference: reference::of(key),
        }
    }

    /// Median, minimum and maximum of the samples.
    pub fn summary(&self) -> Option<Summary> {
        Summary::of(&self.samples)
    }
}

/// The figures of one workload or mode, in the order they are added.
#[derive(Debug, Default)]
pub struct Metrics(pub Vec<Metric>);

impl Metrics {
    /// Adds `value` to the figure `key`, creating it on first use.
    pub fn add(&mut self, figure: u8, key: &str, label: &str, unit: Unit, value: f64) {
        match self.0.iter_mut().find(|m| m.key == key) {
            Some(m) => m.samples.push(value),
            None => {
                let mut m = Metric::new(figure, key, label, unit);
                m.samples.push(value);
                self.0.push(m);
            }
        }
    }

    /// Compares every figure that has a C++ counterpart measured in the
    /// same runs with that counterpart's median instead of the recorded
    /// C++ figure.
    pub fn compare_with_measured_cpp(&mut self) {
        let medians: Vec<(usize, f64)> = (0..self.0.len())
            .filter_map(|i| {
                let key = reference::cpp_key(&self.0[i].key)?;
                Some((i, self.get(&key)?.summary()?.median))
            })
            .collect();
        for (i, median) in medians {
            let m = &mut self.0[i];
            let better = match m.unit {
                Unit::PerS => Better::Higher,
                _ => Better::Lower,
            };
            let base = m.reference.clone().unwrap_or(Reference {
                cpp: None,
                better,
                target: None,
                measured: false,
            });
            m.reference = Some(base.measured(median));
        }
    }

    /// The figure `key`, if measured.
    pub fn get(&self, key: &str) -> Option<&Metric> {
        self.0.iter().find(|m| m.key == key)
    }
}
