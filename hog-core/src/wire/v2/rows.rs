//! The `ZstdRows` transform: the longest run of transactions of one
//! length at the start of a segment is a table of fixed-size rows (`u64
//! len`, then the transaction); stored column by column (byte `i` of every
//! row, then byte `i + 1`, …), equal and slowly changing bytes line up, and
//! zstd compresses the result faster and smaller. What follows the run is
//! kept as it is, and so is a payload without such a run.
//!
//! ```text
//! u64 row length (0: not transposed)
//! u64 rows (only when the row length is not 0)
//! the rows' bytes, column-major, then the rest of the payload as it is
//! ```

use crate::wire::legacy::WireError;

/// The payload with its leading rows transposed, behind its header.
pub(crate) fn transpose(payload: &[u8]) -> Vec<u8> {
    let (row, rows) = leading_rows(payload);
    let mut out = Vec::with_capacity(16 + payload.len());
    out.extend_from_slice(&(row as u64).to_le_bytes());
    if row == 0 {
        out.extend_from_slice(payload);
        return out;
    }
    out.extend_from_slice(&(rows as u64).to_le_bytes());
    let table = rows * row;
    out.resize(16 + table, 0);
    transpose_matrix(&payload[..table], &mut out[16..], rows, row);
    out.extend_from_slice(&payload[table..]);
    out
}

/// The payload [`transpose`] made, restored (in place when nothing was
/// transposed).
pub(crate) fn restore(mut data: Vec<u8>, what: &'static str) -> Result<Vec<u8>, WireError> {
    let bad = |why: &str| WireError::Invalid(format!("{what}: {why}"));
    let (head, body) = data
        .split_first_chunk::<8>()
        .ok_or_else(|| bad("no row length"))?;
    let row = u64::from_le_bytes(*head);
    if row == 0 {
        data.drain(..8);
        return Ok(data);
    }
    let (count, body) = body
        .split_first_chunk::<8>()
        .ok_or_else(|| bad("no row count"))?;
    let table = usize::try_from(row)
        .ok()
        .filter(|&r| r >= 8)
        .and_then(|r| r.checked_mul(usize::try_from(u64::from_le_bytes(*count)).ok()?))
        .filter(|&t| t > 0 && t <= body.len())
        .ok_or_else(|| bad("rows longer than the payload"))?;
    let mut out = vec![0u8; body.len()];
    let row = row as usize;
    transpose_matrix(&body[..table], &mut out[..table], row, table / row);
    out[table..].copy_from_slice(&body[table..]);
    Ok(out)
}

/// Writes the `h` × `w` byte matrix `src` (row-major) into `dst` as its
/// transpose, `w` × `h`, in 8 × 8 blocks held in registers.
fn transpose_matrix(src: &[u8], dst: &mut [u8], h: usize, w: usize) {
    let (h8, w8) = (h - h % 8, w - w % 8);
    for c in (0..w8).step_by(8) {
        for r in (0..h8).step_by(8) {
            let mut block = [0u64; 8];
            for (k, word) in block.iter_mut().enumerate() {
                *word = load(&src[(r + k) * w + c..]);
            }
            transpose8(&mut block);
            for (k, word) in block.iter().enumerate() {
                store(&mut dst[(c + k) * h + r..], *word);
            }
        }
    }
    // The edges: rows after the last 8, columns after the last 8.
    for r in 0..h {
        let from = if r < h8 { w8 } else { 0 };
        for c in from..w {
            dst[c * h + r] = src[r * w + c];
        }
    }
}

/// The first 8 bytes of `b`, little-endian.
#[inline(always)]
fn load(b: &[u8]) -> u64 {
    u64::from_le_bytes(b[..8].try_into().expect("8 bytes"))
}

/// Stores `v` little-endian into the first 8 bytes of `b`.
#[inline(always)]
fn store(b: &mut [u8], v: u64) {
    b[..8].copy_from_slice(&v.to_le_bytes());
}

/// Transposes an 8 × 8 byte matrix held as 8 little-endian words (byte
/// `j` of word `i` is row `i`, column `j`): swaps 4-byte, then 2-byte, then
/// 1-byte blocks across the diagonal.
#[inline(always)]
fn transpose8(x: &mut [u64; 8]) {
    const STAGES: [(usize, u32, u64); 3] = [
        (4, 32, 0x0000_0000_ffff_ffff),
        (2, 16, 0x0000_ffff_0000_ffff),
        (1, 8, 0x00ff_00ff_00ff_00ff),
    ];
    for (step, shift, low) in STAGES {
        for i in (0..8).filter(|i| i & step == 0) {
            let (a, b) = (x[i], x[i + step]);
            x[i] = (a & low) | ((b & low) << shift);
            x[i + step] = ((a >> shift) & low) | (b & !low);
        }
    }
}

/// The length of the leading rows (`8 + len`) and how many there are, if
/// the payload starts with two or more transactions of one length;
/// `(0, 0)` otherwise.
fn leading_rows(payload: &[u8]) -> (usize, usize) {
    let Some(head) = payload.first_chunk::<8>() else {
        return (0, 0);
    };
    let Some(row) = usize::try_from(u64::from_le_bytes(*head))
        .ok()
        .and_then(|len| len.checked_add(8))
    else {
        return (0, 0);
    };
    let rows = payload
        .chunks_exact(row)
        .take_while(|r| r[..8] == payload[..8])
        .count();
    if rows < 2 {
        (0, 0)
    } else {
        (row, rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(lens: &[usize]) -> Vec<u8> {
        let mut p = Vec::new();
        for (i, &len) in lens.iter().enumerate() {
            p.extend_from_slice(&(len as u64).to_le_bytes());
            p.extend((0..len).map(|j| (i * 7 + j) as u8));
        }
        p
    }

    #[test]
    fn uniform_rows_are_transposed_and_restored() {
        let p = payload(&[12; 100]);
        let t = transpose(&p);
        assert_eq!(u64::from_le_bytes(t[..8].try_into().unwrap()), 20);
        assert_eq!(u64::from_le_bytes(t[8..16].try_into().unwrap()), 100);
        assert_ne!(&t[16..], &p[..]);
        assert_eq!(restore(t, "x").unwrap(), p);
    }

    #[test]
    fn a_leading_run_is_transposed_and_the_rest_kept() {
        // Rows of a length 8 does not divide, a count 8 does not divide.
        let mut lens = vec![77; 1001];
        lens.extend([3, 77, 0]);
        let p = payload(&lens);
        let t = transpose(&p);
        assert_eq!(u64::from_le_bytes(t[..8].try_into().unwrap()), 85);
        assert_eq!(u64::from_le_bytes(t[8..16].try_into().unwrap()), 1001);
        assert_eq!(&t[16 + 85_085..], &p[85_085..]);
        // Column 9 holds byte 9 of every row.
        let column: Vec<u8> = p[..85_085].chunks(85).map(|r| r[9]).collect();
        assert_eq!(&t[16 + 9 * 1001..16 + 10 * 1001], &column[..]);
        assert_eq!(restore(t, "x").unwrap(), p);
    }

    #[test]
    fn other_payloads_pass_through() {
        for p in [payload(&[12, 13]), payload(&[5]), Vec::new()] {
            let t = transpose(&p);
            assert_eq!(t[..8], [0; 8], "{p:?}");
            assert_eq!(&t[8..], &p[..], "{p:?}");
            assert_eq!(restore(t, "x").unwrap(), p, "{p:?}");
        }
    }

    #[test]
    fn short_and_empty_rows_are_transposed_too() {
        // (lengths, row length, rows)
        for (lens, row, rows) in [(&[0, 0][..], 8, 2), (&[4, 4, 4, 9][..], 12, 3)] {
            let p = payload(lens);
            let t = transpose(&p);
            assert_eq!(t[..8], (row as u64).to_le_bytes(), "{lens:?}");
            assert_eq!(t[8..16], (rows as u64).to_le_bytes(), "{lens:?}");
            assert_eq!(restore(t, "x").unwrap(), p, "{lens:?}");
        }
    }

    #[test]
    fn hostile_headers_are_refused() {
        for bad in [
            &b"\x01"[..],
            b"\x03\0\0\0\0\0\0\0abcd",
            b"\xff\xff\xff\xff\xff\xff\xff\xffab",
            b"\x08\0\0\0\0\0\0\0\x02\0\0\0\0\0\0\0abcdefgh",
            b"\x08\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0abcdefgh",
            b"\x08\0\0\0\0\0\0\0\xff\xff\xff\xff\xff\xff\xff\x7f",
            b"\x10\0\0\0\0\0\0\0",
        ] {
            assert!(restore(bad.to_vec(), "x").is_err(), "{bad:?}");
        }
    }
}
