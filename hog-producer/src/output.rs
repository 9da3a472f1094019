//! Where encoded values go: an [`Output`] takes packed little-endian bytes in
//! order. The writer's outputs put them straight into ring slots.

/// A destination for encoded bytes.
pub trait Output {
    /// Appends `bytes`.
    fn put(&mut self, bytes: &[u8]);
}

impl Output for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// An output over a fixed buffer (the free part of the current slot). Bytes
/// that would not fit are refused and the output remembers it, so a caller
/// never writes past the buffer whatever a `Store` implementation does.
pub(crate) struct SliceOutput<'a> {
    buf: &'a mut [u8],
    at: usize,
    overflowed: bool,
}

impl<'a> SliceOutput<'a> {
    /// An output writing from the start of `buf`.
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        SliceOutput {
            buf,
            at: 0,
            overflowed: false,
        }
    }

    /// The bytes written, or `None` if some did not fit.
    pub(crate) fn written(&self) -> Option<usize> {
        (!self.overflowed).then_some(self.at)
    }
}

impl Output for SliceOutput<'_> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        match self.buf.get_mut(self.at..self.at + bytes.len()) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.at += bytes.len();
            }
            None => self.overflowed = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slice_output_refuses_what_does_not_fit() {
        let mut buf = [0u8; 4];
        let mut s = SliceOutput::new(&mut buf);
        s.put(&[1, 2, 3]);
        assert_eq!(s.written(), Some(3));
        s.put(&[4, 5]);
        assert_eq!(s.written(), None);
        assert_eq!(buf, [1, 2, 3, 0]);
    }
}
