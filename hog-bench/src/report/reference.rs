//! The C++ hog's figures on the same workloads (2 vCPU, one fresh hog per
//! run, as first measured) and our targets. With `--cpp-hog` the C++ hog
//! is measured in the same runs, and its medians replace these figures
//! ([`Reference::measured`]).

/// Which way is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    /// More is better (records/s).
    Higher,
    /// Less is better (time, CPU, memory, losses).
    Lower,
}

/// A figure's reference: the C++ value and our target.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// The C++ hog's figure, if there is one.
    pub cpp: Option<f64>,
    /// Which way is better.
    pub better: Better,
    /// Our target, if there is one: in words, and the bound the median
    /// must reach (≥ for Higher, ≤ for Lower).
    pub target: Option<(&'static str, Bound)>,
    /// Whether `cpp` was measured in the same runs.
    pub measured: bool,
}

/// A target's bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// A fixed value.
    Fixed(f64),
    /// This many times the C++ hog's figure.
    TimesCpp(f64),
}

impl Reference {
    /// Whether `median` meets the target (`None`: no target).
    pub fn met(&self, median: f64) -> Option<bool> {
        let bound = match self.target?.1 {
            Bound::Fixed(v) => v,
            Bound::TimesCpp(k) => k * self.cpp?,
        };
        Some(match self.better {
            Better::Higher => median >= bound,
            Better::Lower => median <= bound,
        })
    }

    /// How many times better than the C++ hog `median` is (> 1: better).
    pub fn gain(&self, median: f64) -> Option<f64> {
        let cpp = self.cpp?;
        let g = match self.better {
            Better::Higher => median / cpp,
            Better::Lower => cpp / median,
        };
        g.is_finite().then_some(g)
    }

    /// The same reference against the C++ hog's `median` measured in the
    /// same runs.
    pub fn measured(&self, median: f64) -> Reference {
        Reference {
            cpp: Some(median),
            measured: true,
            ..self.clone()
        }
    }
}

/// The key of the C++ hog's figure measured alongside figure `key`, if
/// the harness measures one: `local.p3.x` → `local.cpp.p3.x`,
/// `shipping.v2.p3.x` → `shipping.cpp.p3.x`.
pub fn cpp_key(key: &str) -> Option<String> {
    let mut parts: Vec<&str> = key.split('.').collect();
    match parts.as_slice() {
        ["local", w, _] if *w != "cpp" => parts.insert(1, "cpp"),
        ["shipping", "gzip" | "v2", _, _] => parts[1] = "cpp",
        _ => return None,
    }
    Some(parts.join("."))
}

/// The reference of figure `key`, if it has one. Both batch
/// protocols (`.gzip.`, `.v2.` in the key) are held to the same figures.
pub fn of(key: &str) -> Option<Reference> {
    let key = key.replace(".gzip.", ".").replace(".v2.", ".");
    use Better::*;
    use Bound::{Fixed, TimesCpp as Cpp};
    let r = |cpp: Option<f64>, better, target: &'static str, bound: Option<Bound>| {
        Some(Reference {
            cpp,
            better,
            target: bound.map(|b| (target, b)),
            measured: false,
        })
    };
    match key.as_str() {
        "producer.p3.mean_ns" => r(Some(8.5), Lower, "≤ C++", Some(Cpp(1.0))),
        "producer.i64.mean_ns" => r(Some(7.7), Lower, "≤ C++", Some(Cpp(1.0))),
        "producer.s256.mean_ns" => r(Some(54.6), Lower, "≤ C++", Some(Cpp(1.0))),
        "local.p3.time_s" => r(Some(1.77), Lower, "≤ ⅓ C++", Some(Cpp(1.0 / 3.0))),
        "local.p3.records_per_s" => r(Some(11.3e6), Higher, "≥ 3× C++", Some(Cpp(3.0))),
        "local.p3.hog_cpu_s" => r(Some(1.68), Lower, "", None),
        "local.p3.slowdown" => r(Some(8.5), Lower, "≤ 2×", Some(Fixed(2.0))),
        "local.p3.peak_rss_mib" => r(Some(614.0), Lower, "", None),
        "local.s256.time_s" => r(Some(3.21), Lower, "≤ ⅕ C++", Some(Cpp(0.2))),
        "local.s256.records_per_s" => r(Some(0.62e6), Higher, "≥ 5× C++", Some(Cpp(5.0))),
        "session.start_ms" => r(Some(420.0), Lower, "≤ 10 ms", Some(Fixed(10.0))),
        "memory.growth_mib" => r(Some(33.0), Lower, "flat (≤ 1 MiB)", Some(Fixed(1.0))),
        "memory.late_growth_mib" => r(Some(33.0), Lower, "flat (≤ 1 MiB)", Some(Fixed(1.0))),
        "shipping.p3.time_s" => r(Some(13.4), Lower, "≤ ⅒ C++", Some(Cpp(0.1))),
        "shipping.p3.records_per_s" => r(Some(1.49e6), Higher, "≥ 10× C++", Some(Cpp(10.0))),
        "shipping.p3.sender_cpu_s" => r(Some(15.6), Lower, "≤ ⅕ C++", Some(Cpp(0.2))),
        "shipping.p3.wire_ratio" => r(Some(1.0 / 2.26), Lower, "≤ C++ gzip bytes", Some(Cpp(1.0))),
        "idle.batchsend.sender_cpu_pct" => r(Some(100.0), Lower, "≈ 0 (≤ 1%)", Some(Fixed(1.0))),
        "idle.batchsend.receiver_cpu_pct" => r(None, Lower, "≈ 0 (≤ 1%)", Some(Fixed(1.0))),
        "idle.local.hog_cpu_pct" => r(None, Lower, "≈ 0 (≤ 1%)", Some(Fixed(1.0))),
        "recovery.time_s" => r(Some(6.1), Lower, "< C++", Some(Cpp(1.0))),
        "recovery.lost" => r(Some(243e3), Lower, "0", Some(Fixed(0.0))),
        "recovery.duplicated" => r(None, Lower, "0", Some(Fixed(0.0))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gains_point_the_right_way() {
        let rps = of("local.p3.records_per_s").unwrap();
        assert_eq!(rps.gain(22.6e6), Some(2.0));
        assert_eq!(rps.met(22.6e6), Some(false));
        let t = of("local.p3.time_s").unwrap();
        assert_eq!(t.gain(0.885), Some(2.0));
        assert_eq!(of("recovery.v2.lost").unwrap().met(0.0), Some(true));
        assert_eq!(of("shipping.gzip.p3.time_s").unwrap().cpp, Some(13.4));
        assert_eq!(of("local.p3.hog_cpu_s").unwrap().met(9.0), None);
    }

    #[test]
    fn a_measured_cpp_figure_moves_the_bound() {
        let rps = of("local.p3.records_per_s").unwrap().measured(10e6);
        assert!(rps.measured);
        assert_eq!(rps.met(29e6), Some(false));
        assert_eq!(rps.met(31e6), Some(true));
        assert_eq!(
            cpp_key("local.p3.records_per_s").as_deref(),
            Some("local.cpp.p3.records_per_s")
        );
        assert_eq!(
            cpp_key("shipping.v2.p3.time_s").as_deref(),
            Some("shipping.cpp.p3.time_s")
        );
        assert_eq!(cpp_key("local.cpp.p3.time_s"), None);
        assert_eq!(cpp_key("shipping.gzip-to-cpp.p3.time_s"), None);
    }
}
