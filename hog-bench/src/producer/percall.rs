//! The cost of each log call, in TSC cycles: `lfence; rdtsc` around the
//! call, into a histogram. The bracket's own cost (measured on an empty
//! bracket) is subtracted, and cycles become nanoseconds with the TSC rate
//! measured over the run itself.

/// Cycles counted exactly; longer calls are kept one by one.
const LINEAR: usize = 1 << 16;

/// A histogram of per-call cycles.
pub struct CallHistogram {
    linear: Vec<u64>,
    long: Vec<u64>,
    calls: u64,
}

impl Default for CallHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl CallHistogram {
    /// An empty histogram.
    pub fn new() -> CallHistogram {
        CallHistogram {
            linear: vec![0; LINEAR],
            long: Vec::new(),
            calls: 0,
        }
    }

    /// Counts one call of `cycles`.
    #[inline]
    pub fn add(&mut self, cycles: u64) {
        self.calls += 1;
        match self.linear.get_mut(cycles as usize) {
            Some(n) => *n += 1,
            None => self.long.push(cycles),
        }
    }

    /// The `q` quantile (0..=1) in cycles.
    pub fn quantile(&mut self, q: f64) -> u64 {
        if self.calls == 0 {
            return 0;
        }
        let rank = ((q * self.calls as f64).ceil() as u64).clamp(1, self.calls);
        let mut seen = 0;
        for (cycles, &n) in self.linear.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return cycles as u64;
            }
        }
        self.long.sort_unstable();
        self.long[(rank - seen - 1) as usize]
    }
}

/// A TSC reading that later instructions do not pass.
#[inline(always)]
pub fn stamp() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: lfence and rdtsc are available on every x86_64 CPU.
        unsafe {
            core::arch::x86_64::_mm_lfence();
            let t = core::arch::x86_64::_rdtsc();
            core::arch::x86_64::_mm_lfence();
            t
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        crate::clock::monotonic_ns()
    }
}

/// The median cost of an empty bracket, in cycles.
pub fn bracket_overhead() -> u64 {
    let mut h = CallHistogram::new();
    for _ in 0..100_000 {
        let t0 = stamp();
        let t1 = stamp();
        h.add(t1.saturating_sub(t0));
    }
    h.quantile(0.5)
}

/// Per-call figures of a run.
#[derive(Debug, Clone, Copy)]
pub struct CallCost {
    /// Median cost of a call, ns.
    pub p50_ns: f64,
    /// 99.9th percentile, ns.
    pub p999_ns: f64,
    /// Cost of the empty bracket that was subtracted, ns.
    pub overhead_ns: f64,
}

impl CallCost {
    /// Figures of `h`, with `overhead` cycles subtracted and `cycles_per_ns`
    /// the TSC rate.
    pub fn of(h: &mut CallHistogram, overhead: u64, cycles_per_ns: f64) -> CallCost {
        let ns = |c: u64| c.saturating_sub(overhead) as f64 / cycles_per_ns;
        CallCost {
            p50_ns: ns(h.quantile(0.5)),
            p999_ns: ns(h.quantile(0.999)),
            overhead_ns: overhead as f64 / cycles_per_ns,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_cover_short_and_long_calls() {
        let mut h = CallHistogram::new();
        for c in 1..=1000u64 {
            h.add(c);
        }
        h.add(1 << 20);
        assert_eq!(h.quantile(0.5), 501);
        assert_eq!(h.quantile(1.0), 1 << 20);
        assert_eq!(h.quantile(0.999), 1000);
    }
}
