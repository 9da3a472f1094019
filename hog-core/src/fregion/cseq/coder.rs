//! The binary arithmetic coder of compressed series: 16-bit code values,
//! `u32` arithmetic, pending ("roll") bits for a range straddling the
//! middle. A symbol is coded as its cumulative range `[lo, hi)` out of a
//! total `tot` (at most 16384, so every product fits in 32 bits).

/// Top of the code range.
const MAX: u32 = 0xFFFF;
/// A quarter of the code range.
const QUARTER: u32 = 0x4000;
/// Half of the code range.
const HALF: u32 = 0x8000;
/// Three quarters of the code range.
const THREE_QUARTERS: u32 = 0xC000;
/// Largest total a symbol's range may be given out of.
pub const MAX_TOTAL: u32 = 1 << 14;

/// Where an encoder puts its bits.
pub trait BitSink {
    /// Appends `n` copies of `bit`.
    fn put(&mut self, bit: bool, n: u32);
}

/// The encoder's state, as a batch header stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoder {
    /// Low end of the range.
    pub low: u32,
    /// High end of the range (inclusive).
    pub high: u32,
    /// Pending bits, to be emitted opposite to the next decided bit.
    pub roll: u32,
}

impl Default for Encoder {
    fn default() -> Self {
        Encoder {
            low: 0,
            high: MAX,
            roll: 0,
        }
    }
}

impl Encoder {
    /// Narrows the range to `[lo, hi)` of `tot` and shifts out the bits it
    /// decides.
    #[inline]
    pub fn encode(&mut self, lo: u32, hi: u32, tot: u32, out: &mut impl BitSink) {
        debug_assert!(lo < hi && hi <= tot && tot <= MAX_TOTAL);
        let r = self.high - self.low + 1;
        self.high = self.low + r * hi / tot - 1;
        self.low += r * lo / tot;
        loop {
            if self.high < HALF {
                self.emit(false, out);
            } else if self.low >= HALF {
                self.emit(true, out);
            } else if self.low >= QUARTER && self.high < THREE_QUARTERS {
                self.roll += 1;
                self.low -= QUARTER;
                self.high -= QUARTER;
            } else {
                break;
            }
            self.low = (self.low << 1) & MAX;
            self.high = ((self.high << 1) | 1) & MAX;
        }
    }

    #[inline]
    fn emit(&mut self, bit: bool, out: &mut impl BitSink) {
        out.put(bit, 1);
        if self.roll > 0 {
            out.put(!bit, self.roll);
            self.roll = 0;
        }
    }

    /// The bits that end a batch: any continuation of them decodes every
    /// symbol coded so far.
    pub fn flush(&mut self, out: &mut impl BitSink) {
        let bit = self.low >= QUARTER;
        out.put(bit, 1);
        out.put(!bit, self.roll + 1);
        self.roll = 0;
    }
}

/// Where a decoder takes its bits from.
pub trait BitSource {
    /// The next bit, or `None` past every bit an encoder could have left.
    fn bit(&mut self) -> Option<bool>;
}

/// Most symbols a stream can hold per bit: a symbol narrows the range by at
/// least one part in 16384, and the range is renormalised (a bit read)
/// before it has narrowed 4 times, so no encoder fits more.
const SYMBOLS_PER_BIT: u64 = 32_768;

/// The decoder's state.
#[derive(Debug, Clone, Copy)]
pub struct Decoder {
    low: u32,
    high: u32,
    value: u32,
    /// Bits read, and whether the source ran out.
    reads: u64,
    ended: bool,
    symbols: u64,
}

impl Decoder {
    /// Starts decoding: reads the first 16 bits.
    pub fn new(input: &mut impl BitSource) -> Decoder {
        let mut d = Decoder {
            low: 0,
            high: MAX,
            value: 0,
            reads: 0,
            ended: false,
            symbols: 0,
        };
        for _ in 0..16 {
            d.value = (d.value << 1) | d.read(input);
        }
        d
    }

    #[inline]
    fn read(&mut self, input: &mut impl BitSource) -> u32 {
        self.reads += 1;
        match input.bit() {
            Some(b) => u32::from(b),
            None => {
                self.ended = true;
                0
            }
        }
    }

    /// The point in `[0, tot)` the next symbol covers, or `None` if the
    /// stream is not one an encoder made (it ran out of bits, holds more
    /// symbols than its bits can, or points outside the range).
    #[inline]
    pub fn point(&self, tot: u32) -> Option<u32> {
        if self.ended || self.symbols > SYMBOLS_PER_BIT * (self.reads + 64) {
            return None;
        }
        let r = u64::from(self.high - self.low) + 1;
        let offset = u64::from(self.value).checked_sub(u64::from(self.low))?;
        let p = ((offset + 1) * u64::from(tot) - 1) / r;
        (p < u64::from(tot)).then_some(p as u32)
    }

    /// Consumes the symbol whose range is `[lo, hi)` of `tot`.
    #[inline]
    pub fn consume(&mut self, lo: u32, hi: u32, tot: u32, input: &mut impl BitSource) {
        // A certain symbol (its range the whole total) costs no bits.
        self.symbols += u64::from(hi - lo < tot);
        let r = self.high - self.low + 1;
        self.high = self.low + r * hi / tot - 1;
        self.low += r * lo / tot;
        loop {
            if self.high < HALF {
            } else if self.low >= HALF {
                self.low -= HALF;
                self.high -= HALF;
                self.value = self.value.wrapping_sub(HALF);
            } else if self.low >= QUARTER && self.high < THREE_QUARTERS {
                self.low -= QUARTER;
                self.high -= QUARTER;
                self.value = self.value.wrapping_sub(QUARTER);
            } else {
                break;
            }
            self.low = (self.low << 1) & MAX;
            self.high = ((self.high << 1) | 1) & MAX;
            self.value = ((self.value << 1) | self.read(input)) & MAX;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Bits(Vec<bool>, usize);
    impl BitSink for Bits {
        fn put(&mut self, bit: bool, n: u32) {
            self.0.extend(std::iter::repeat_n(bit, n as usize));
        }
    }
    impl BitSource for Bits {
        fn bit(&mut self) -> Option<bool> {
            self.1 += 1;
            Some(self.0.get(self.1 - 1).copied().unwrap_or(false))
        }
    }

    #[test]
    fn symbols_come_back_in_order_after_a_flush() {
        // Three symbols with ranges of very different widths.
        let table = [(0, 1), (1, 9000), (9000, 16384)];
        let message: Vec<usize> = (0..5000).map(|i| (i * 7 + i / 3) % 3).collect();
        let mut bits = Bits::default();
        let mut e = Encoder::default();
        for &s in &message {
            e.encode(table[s].0, table[s].1, 16384, &mut bits);
        }
        e.flush(&mut bits);
        let mut d = Decoder::new(&mut bits);
        for &want in &message {
            let p = d.point(16384).unwrap();
            let s = table
                .iter()
                .position(|&(lo, hi)| lo <= p && p < hi)
                .unwrap();
            assert_eq!(s, want);
            d.consume(table[s].0, table[s].1, 16384, &mut bits);
        }
    }
}
