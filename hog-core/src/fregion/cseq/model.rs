//! Adaptive order-0 models: one per leaf of a value's type.
//!
//! A leaf counts the symbols it codes (`freqs`, `c`); its coding table is
//! built from `activeFreqs`, the counts of the previous 16383 symbols: the
//! symbols seen, most frequent first (ties: larger symbol first), then an
//! escape for symbols not seen, which are then coded uniformly. Every 16383
//! symbols the counts become the active ones and start again.

use super::coder::{BitSink, BitSource, Decoder, Encoder, Total, MAX_TOTAL};

/// Symbols coded between two rebuilds of a table.
pub const REBUILD_EVERY: u32 = MAX_TOTAL - 1;

/// Persisted size of a leaf of `symbols` symbols.
pub fn leaf_bytes(symbols: u32) -> u64 {
    8 * u64::from(symbols) + 4
}

/// One leaf model with its coding table.
#[derive(Debug, Clone)]
pub struct Leaf {
    /// Counts since the last rebuild.
    freqs: Vec<u32>,
    /// Counts the table is built from.
    active: Vec<u32>,
    /// Symbols counted since the last rebuild.
    c: u32,
    /// Symbols in table order (the escape, if present, is `symbols()`).
    order: Vec<u32>,
    /// Position of each symbol in `order` (`order.len()` if absent).
    index: Vec<u32>,
    /// Cumulative counts: entry `i` of `order` covers `cum[i]..cum[i + 1]`.
    cum: Vec<u32>,
    /// The table's total.
    total: Total,
    /// The total of an escaped symbol's uniform code (the symbol count).
    uniform: Total,
}

/// Why a leaf cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// The persisted state is not the size of a leaf of its symbols.
    #[error("model of {symbols} symbols is {bytes} bytes")]
    Size {
        /// Symbols of the leaf.
        symbols: usize,
        /// Bytes given.
        bytes: usize,
    },
    /// The counts disagree with the number of symbols counted.
    #[error("model counts {counted} symbols but says {says}")]
    Counts {
        /// The sum of the counts.
        counted: u64,
        /// The number the state records.
        says: u32,
    },
    /// The active counts total more than the coder can code with.
    #[error("model frequencies total {0}, more than the coder allows")]
    Total(u64),
    /// The bits decode to no symbol.
    #[error("compressed bits are corrupt")]
    Corrupt,
}

impl Leaf {
    /// A fresh leaf of `symbols` symbols: nothing seen, everything escaped.
    pub fn new(symbols: u32) -> Leaf {
        let n = symbols as usize;
        let mut leaf = Leaf {
            freqs: vec![0; n],
            active: vec![0; n],
            c: 0,
            order: Vec::with_capacity(n + 1),
            index: vec![0; n],
            cum: Vec::with_capacity(n + 2),
            total: Total::new(1),
            uniform: Total::new(symbols),
        };
        leaf.rebuild().expect("an empty table is valid");
        leaf
    }

    /// Number of symbols.
    pub fn symbols(&self) -> u32 {
        self.freqs.len() as u32
    }

    /// Loads the persisted state (`freqs`, `activeFreqs`, `c`, little
    /// endian) from `bytes` and builds the table, checking that the counts
    /// are ones a writer could have left.
    pub fn load(&mut self, bytes: &[u8]) -> Result<(), ModelError> {
        let n = self.freqs.len();
        if bytes.len() as u64 != leaf_bytes(n as u32) {
            return Err(ModelError::Size {
                symbols: n,
                bytes: bytes.len(),
            });
        }
        let word = |i: usize| u32::from_le_bytes(bytes[4 * i..4 * i + 4].try_into().expect("4"));
        for i in 0..n {
            self.freqs[i] = word(i);
            self.active[i] = word(n + i);
        }
        self.c = word(2 * n);
        let counted: u64 = self.freqs.iter().map(|&f| u64::from(f)).sum();
        if self.c > REBUILD_EVERY || counted != u64::from(self.c) {
            return Err(ModelError::Counts {
                counted,
                says: self.c,
            });
        }
        self.rebuild()
    }

    /// Writes the persisted state into `out` (`leaf_bytes` long).
    pub fn save(&self, out: &mut [u8]) {
        let n = self.freqs.len();
        let mut put = |i: usize, v: u32| out[4 * i..4 * i + 4].copy_from_slice(&v.to_le_bytes());
        for i in 0..n {
            put(i, self.freqs[i]);
            put(n + i, self.active[i]);
        }
        put(2 * n, self.c);
    }

    fn rebuild(&mut self) -> Result<(), ModelError> {
        let n = self.freqs.len() as u32;
        self.order.clear();
        self.order
            .extend((0..n).filter(|&s| self.active[s as usize] > 0));
        let active = &self.active;
        self.order
            .sort_unstable_by(|&a, &b| active[b as usize].cmp(&active[a as usize]).then(b.cmp(&a)));
        let total: u64 = self
            .order
            .iter()
            .map(|&s| u64::from(active[s as usize]))
            .sum();
        let escape = (self.order.len() as u32) < n;
        if total + u64::from(escape) > u64::from(MAX_TOTAL) {
            return Err(ModelError::Total(total));
        }
        if escape {
            self.order.push(n);
        }
        self.index.fill(self.order.len() as u32);
        self.cum.clear();
        self.cum.push(0);
        let mut sum = 0;
        for (i, &s) in self.order.iter().enumerate() {
            sum += if s == n { 1 } else { active[s as usize] };
            self.cum.push(sum);
            if s < n {
                self.index[s as usize] = i as u32;
            }
        }
        self.total = Total::new(sum);
        Ok(())
    }

    #[inline]
    fn count(&mut self, s: u32) -> Result<(), ModelError> {
        if self.c == REBUILD_EVERY {
            return self.rebuild_and_count(s);
        }
        self.freqs[s as usize] += 1;
        self.c += 1;
        Ok(())
    }

    #[cold]
    fn rebuild_and_count(&mut self, s: u32) -> Result<(), ModelError> {
        std::mem::swap(&mut self.active, &mut self.freqs);
        self.rebuild()?;
        self.freqs.fill(0);
        self.c = 0;
        self.freqs[s as usize] += 1;
        self.c += 1;
        Ok(())
    }

    /// Codes `s` (below `symbols()`).
    #[inline]
    pub fn encode(&mut self, s: u32, e: &mut Encoder, out: &mut impl BitSink) {
        let tot = self.total;
        let i = self.index[s as usize] as usize;
        if i < self.order.len() {
            e.encode(self.cum[i], self.cum[i + 1], tot, out);
        } else {
            let esc = self.order.len() - 1;
            e.encode(self.cum[esc], self.cum[esc + 1], tot, out);
            e.encode(s, s + 1, self.uniform, out);
        }
        self.count(s).expect("a writer's own counts stay valid");
    }

    /// Decodes a symbol.
    #[inline]
    pub fn decode(
        &mut self,
        d: &mut Decoder,
        input: &mut impl BitSource,
    ) -> Result<u32, ModelError> {
        let n = self.symbols();
        let tot = self.total;
        let p = d.point(tot).ok_or(ModelError::Corrupt)?;
        let i = self.cum[1..].partition_point(|&c| c <= p);
        let s = self.order[i];
        d.consume(self.cum[i], self.cum[i + 1], tot, input);
        let s = if s == n {
            let s = d.point(self.uniform).ok_or(ModelError::Corrupt)?;
            d.consume(s, s + 1, self.uniform, input);
            s
        } else {
            s
        };
        self.count(s)?;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_orders_by_count_then_larger_symbol() {
        let mut bytes = vec![0u8; leaf_bytes(4) as usize];
        for (s, f) in [(0usize, 5u32), (1, 0), (2, 5), (3, 9)] {
            bytes[16 + 4 * s..20 + 4 * s].copy_from_slice(&f.to_le_bytes());
        }
        let mut leaf = Leaf::new(4);
        leaf.load(&bytes).unwrap();
        assert_eq!(leaf.order, [3, 2, 0, 4]);
        assert_eq!(leaf.cum, [0, 9, 14, 19, 20]);
        let mut round = vec![0u8; bytes.len()];
        leaf.save(&mut round);
        assert_eq!(round, bytes);
    }

    #[test]
    fn a_model_whose_counts_disagree_is_refused() {
        let mut bytes = vec![0u8; leaf_bytes(2) as usize];
        bytes[16..20].copy_from_slice(&3u32.to_le_bytes());
        assert!(Leaf::new(2).load(&bytes).is_err());
        let mut bytes = vec![0u8; leaf_bytes(2) as usize];
        bytes[8..12].copy_from_slice(&20000u32.to_le_bytes());
        assert!(matches!(
            Leaf::new(2).load(&bytes),
            Err(ModelError::Total(20000))
        ));
    }
}
