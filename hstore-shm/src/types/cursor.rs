//! A bounds-checked reader over untrusted bytes.
//!
//! Every decoder of outside bytes (type descriptions, values, region
//! metadata) reads through a [`Cursor`]: each read checks the length first
//! and fails with the offset and what was being read, never panics, and no
//! allocation is sized from the input before the bytes behind it are known to
//! exist.

/// A read past the end of the input, or an invalid value in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Offset in the input where the problem was found.
    pub offset: usize,
    /// What was wrong.
    pub what: String,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.what)
    }
}

impl std::error::Error for DecodeError {}

/// Reads little-endian values from a byte slice, checking every length.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    /// Current offset.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// An error at the current offset.
    pub fn error(&self, what: impl Into<String>) -> DecodeError {
        DecodeError {
            offset: self.pos,
            what: what.into(),
        }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], DecodeError> {
        if n > self.remaining() {
            return Err(self.error(format!(
                "{what}: needs {n} bytes, only {} left",
                self.remaining()
            )));
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], DecodeError> {
        let bytes = self.take(N, what)?;
        let mut out = [0; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// A `u8`.
    pub fn u8(&mut self, what: &str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(what)?[0])
    }

    /// A little-endian `u32`.
    pub fn u32(&mut self, what: &str) -> Result<u32, DecodeError> {
        self.array(what).map(u32::from_le_bytes)
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self, what: &str) -> Result<u64, DecodeError> {
        self.array(what).map(u64::from_le_bytes)
    }

    /// A count of items each at least `min_size` bytes long (a zero
    /// `min_size` is capped by `max`), checked against what is left.
    pub fn count(&mut self, what: &str, min_size: usize, max: u64) -> Result<usize, DecodeError> {
        let at = self.pos;
        let n = self.u64(what)?;
        let fits = match min_size {
            0 => n <= max,
            size => n <= (self.remaining() / size) as u64 && n <= max,
        };
        if !fits {
            return Err(DecodeError {
                offset: at,
                what: format!(
                    "{what}: count {n} does not fit in the {} bytes left",
                    self.remaining()
                ),
            });
        }
        Ok(n as usize)
    }

    /// A `u64`-length-prefixed byte string.
    pub fn bytes(&mut self, what: &str) -> Result<&'a [u8], DecodeError> {
        let n = self.count(what, 1, u64::MAX)?;
        self.take(n, what)
    }

    /// A `u64`-length-prefixed string (invalid UTF-8 is replaced).
    pub fn string(&mut self, what: &str) -> Result<String, DecodeError> {
        self.bytes(what)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_checked() {
        let mut c = Cursor::new(&[1, 0, 0, 0, 9]);
        assert_eq!(c.u32("x").unwrap(), 1);
        let e = c.u32("y").unwrap_err();
        assert_eq!(e.offset, 4);
        assert!(e.what.contains("y: needs 4 bytes, only 1 left"));
    }

    #[test]
    fn huge_counts_are_refused_before_allocating() {
        let mut input = u64::MAX.to_le_bytes().to_vec();
        input.extend_from_slice(b"abc");
        assert!(Cursor::new(&input).bytes("name").is_err());
        assert!(Cursor::new(&input).count("units", 0, 1 << 20).is_err());
    }
}
