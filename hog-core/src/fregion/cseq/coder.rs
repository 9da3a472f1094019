//! The binary arithmetic coder of compressed series: 16-bit code values,
//! `u32` arithmetic, pending ("roll") bits for a range straddling the
//! middle. A symbol is coded as its cumulative range `[lo, hi)` out of a
//! total `tot` (at most 16384, so every product fits in 32 bits).

/// Top of the code range.
const MAX: u32 = 0xFFFF;
/// A quarter of the code range.
const QUARTER: u32 = 0x4000;
/// Half of the code range (its top bit).
const HALF: u32 = 0x8000;
/// Largest total a symbol's range may be given out of.
pub const MAX_TOTAL: u32 = 1 << 14;

/// A symbol total, with what divides by it with a multiply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Total {
    /// The total.
    pub tot: u32,
    /// `ceil(2^48 / tot)`: `x * m >> 48` is `x / tot` for every `x` below
    /// 2^32 and `tot` up to 2^16.
    m: u64,
}

impl Total {
    /// The total `tot` (1 to 2^16).
    pub fn new(tot: u32) -> Total {
        debug_assert!((1..=1 << 16).contains(&tot));
        Total {
            tot,
            m: (1u64 << 48).div_ceil(u64::from(tot.max(1))),
        }
    }

    /// `x / tot`.
    #[inline]
    fn div(self, x: u32) -> u32 {
        ((u128::from(x) * u128::from(self.m)) >> 48) as u32
    }
}

/// Where an encoder puts its bits.
pub trait BitSink {
    /// Appends `n` copies of `bit`.
    fn put(&mut self, bit: bool, n: u32);

    /// Appends the `n` low bits of `bits`, most significant first.
    fn put_bits(&mut self, bits: u32, n: u32) {
        for i in (0..n).rev() {
            self.put(bits >> i & 1 == 1, 1);
        }
    }
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
    pub fn encode(&mut self, lo: u32, hi: u32, tot: Total, out: &mut impl BitSink) {
        debug_assert!(lo < hi && hi <= tot.tot && tot.tot <= MAX_TOTAL);
        let r = self.high - self.low + 1;
        self.high = self.low + tot.div(r * hi) - 1;
        self.low += tot.div(r * lo);
        // The bits both ends agree on are decided: out they go (after the
        // pending ones), as hobbes' coder shifts them one at a time.
        let n = ((self.low ^ self.high) << 16).leading_zeros().min(16);
        if n > 0 {
            self.emit(self.low & HALF != 0, out);
            out.put_bits(self.low >> (16 - n), n - 1);
            self.low = (self.low << n) & MAX;
            self.high = ((self.high << n) | ((1 << n) - 1)) & MAX;
        }
        // Then the range straddles the middle (low 0…, high 1…); while it
        // is within the middle half (low 01…, high 10…), those bits are
        // pending.
        let k = ((!self.low << 17).leading_zeros())
            .min((self.high << 17).leading_zeros())
            .min(15);
        if k > 0 {
            self.roll += k;
            self.low = (self.low << k) & (MAX >> 1);
            self.high = HALF | ((self.high << k) & (MAX >> 1)) | ((1 << k) - 1);
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
    pub fn point(&self, tot: Total) -> Option<u32> {
        let tot = tot.tot;
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
    pub fn consume(&mut self, lo: u32, hi: u32, tot: Total, input: &mut impl BitSource) {
        // A certain symbol (its range the whole total) costs no bits.
        self.symbols += u64::from(hi - lo < tot.tot);
        let r = self.high - self.low + 1;
        self.high = self.low + tot.div(r * hi) - 1;
        self.low += tot.div(r * lo);
        // As the encoder: the agreed bits, then the pending ones.
        let n = ((self.low ^ self.high) << 16).leading_zeros().min(16);
        if n > 0 {
            let mut next = 0;
            for _ in 0..n {
                next = (next << 1) | self.read(input);
            }
            self.low = (self.low << n) & MAX;
            self.high = ((self.high << n) | ((1 << n) - 1)) & MAX;
            self.value = ((self.value << n) | next) & MAX;
        }
        let k = ((!self.low << 17).leading_zeros())
            .min((self.high << 17).leading_zeros())
            .min(15);
        if k > 0 {
            self.low = (self.low << k) & (MAX >> 1);
            self.high = HALF | ((self.high << k) & (MAX >> 1)) | ((1 << k) - 1);
            for _ in 0..k {
                self.value = ((self.value.wrapping_sub(QUARTER) << 1) | self.read(input)) & MAX;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dividing_by_a_multiply_is_exact() {
        for tot in (1..=16384).step_by(7).chain([16384, 1 << 16]) {
            let t = Total::new(tot);
            for x in (0..u32::MAX)
                .step_by(9_999_991)
                .chain([u32::MAX, tot - 1, tot])
            {
                assert_eq!(t.div(x), x / tot, "{x} / {tot}");
            }
        }
    }

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
        let tot = Total::new(16384);
        let mut bits = Bits::default();
        let mut e = Encoder::default();
        for &s in &message {
            e.encode(table[s].0, table[s].1, tot, &mut bits);
        }
        e.flush(&mut bits);
        let mut d = Decoder::new(&mut bits);
        for &want in &message {
            let p = d.point(tot).unwrap();
            let s = table
                .iter()
                .position(|&(lo, hi)| lo <= p && p < hi)
                .unwrap();
            assert_eq!(s, want);
            d.consume(table[s].0, table[s].1, tot, &mut bits);
        }
    }
}
