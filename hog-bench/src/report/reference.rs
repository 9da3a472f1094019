//! The C++ hog's figures on the same workloads (2 vCPU, one fresh hog per
//! run, as issue 6 gives them) and our targets.

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
    /// Our target, if the issue sets one: as the issue words it, and the
    /// bound the median must reach (≥ for Higher, ≤ for Lower).
    pub target: Option<(&'static str, f64)>,
}

impl Reference {
    /// Whether `median` meets the target (`None`: no target).
    pub fn met(&self, median: f64) -> Option<bool> {
        let (_, bound) = self.target?;
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
}

/// The reference of figure `key`, if the issue gives one. Both batch
/// protocols (`.gzip.`, `.v2.` in the key) are held to the same figures.
pub fn of(key: &str) -> Option<Reference> {
    let key = key.replace(".gzip.", ".").replace(".v2.", ".");
    use Better::*;
    let r = |cpp: Option<f64>, better, target: &'static str, bound: f64| {
        Some(Reference {
            cpp,
            better,
            target: (!bound.is_nan()).then_some((target, bound)),
        })
    };
    match key.as_str() {
        "producer.p3.mean_ns" => r(Some(8.5), Lower, "≤ C++", 8.5),
        "producer.i64.mean_ns" => r(Some(7.7), Lower, "≤ C++", 7.7),
        "producer.s256.mean_ns" => r(Some(54.6), Lower, "≤ C++", 54.6),
        "local.p3.time_s" => r(Some(1.77), Lower, "≤ ⅓ C++", 1.77 / 3.0),
        "local.p3.records_per_s" => r(Some(11.3e6), Higher, "≥ 3× C++", 3.0 * 11.3e6),
        "local.p3.hog_cpu_s" => r(Some(1.68), Lower, "", f64::NAN),
        "local.p3.slowdown" => r(Some(8.5), Lower, "≤ 2×", 2.0),
        "local.p3.peak_rss_mib" => r(Some(614.0), Lower, "", f64::NAN),
        "local.s256.time_s" => r(Some(3.21), Lower, "≤ ⅕ C++", 3.21 / 5.0),
        "local.s256.records_per_s" => r(Some(0.62e6), Higher, "≥ 5× C++", 5.0 * 0.62e6),
        "session.start_ms" => r(Some(420.0), Lower, "≤ 10 ms", 10.0),
        "memory.growth_mib" => r(Some(33.0), Lower, "flat (≤ 1 MiB)", 1.0),
        "memory.late_growth_mib" => r(Some(33.0), Lower, "flat (≤ 1 MiB)", 1.0),
        "shipping.p3.time_s" => r(Some(13.4), Lower, "≤ ⅒ C++", 1.34),
        "shipping.p3.records_per_s" => r(Some(1.49e6), Higher, "≥ 10× C++", 14.9e6),
        "shipping.p3.sender_cpu_s" => r(Some(15.6), Lower, "≤ ⅕ C++", 15.6 / 5.0),
        "shipping.p3.wire_ratio" => r(Some(1.0 / 2.26), Lower, "≤ C++ gzip bytes", 1.0 / 2.26),
        "idle.batchsend.sender_cpu_pct" => r(Some(100.0), Lower, "≈ 0 (≤ 1%)", 1.0),
        "idle.batchsend.receiver_cpu_pct" => r(None, Lower, "≈ 0 (≤ 1%)", 1.0),
        "idle.local.hog_cpu_pct" => r(None, Lower, "≈ 0 (≤ 1%)", 1.0),
        "recovery.time_s" => r(Some(6.1), Lower, "< C++", 6.1),
        "recovery.lost" => r(Some(243e3), Lower, "0", 0.0),
        "recovery.duplicated" => r(None, Lower, "0", 0.0),
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
}
