//! The `ZstdRows` transform: a segment whose transactions all have one
//! length is a table of fixed-size rows (`u64 len`, then the transaction);
//! stored column by column (byte `i` of every row, then byte `i + 1`, …),
//! equal and slowly changing bytes line up, and zstd compresses the result
//! faster and smaller. Any other payload is kept as it is.
//!
//! ```text
//! u64 row length (0: not transposed), then the rows' bytes, column-major
//! ```

use crate::wire::legacy::WireError;

/// The payload as rows transposed, behind its row length.
pub(crate) fn transpose(payload: &[u8]) -> Vec<u8> {
    let row = row_length(payload);
    let mut out = Vec::with_capacity(8 + payload.len());
    out.extend_from_slice(&(row as u64).to_le_bytes());
    if row == 0 {
        out.extend_from_slice(payload);
        return out;
    }
    let rows = payload.len() / row;
    out.resize(8 + payload.len(), 0);
    let columns = &mut out[8..];
    for (r, bytes) in payload.chunks_exact(row).enumerate() {
        for (c, &b) in bytes.iter().enumerate() {
            columns[c * rows + r] = b;
        }
    }
    out
}

/// The payload [`transpose`] made, restored.
pub(crate) fn restore(data: &[u8], what: &'static str) -> Result<Vec<u8>, WireError> {
    let bad = |why: &str| WireError::Invalid(format!("{what}: {why}"));
    let (head, body) = data
        .split_first_chunk::<8>()
        .ok_or_else(|| bad("no row length"))?;
    let row = u64::from_le_bytes(*head);
    if row == 0 {
        return Ok(body.to_vec());
    }
    let row = usize::try_from(row)
        .ok()
        .filter(|&r| r >= 8 && body.len().is_multiple_of(r))
        .ok_or_else(|| bad("row length does not divide the payload"))?;
    let rows = body.len() / row;
    let mut out = vec![0u8; body.len()];
    for (c, column) in body.chunks_exact(rows.max(1)).enumerate() {
        for (r, &b) in column.iter().enumerate() {
            out[r * row + c] = b;
        }
    }
    Ok(out)
}

/// The length of every row (`8 + len`) if the payload is two or more
/// transactions of one length; 0 otherwise.
fn row_length(payload: &[u8]) -> usize {
    let Some(head) = payload.first_chunk::<8>() else {
        return 0;
    };
    let Some(row) = usize::try_from(u64::from_le_bytes(*head))
        .ok()
        .and_then(|len| len.checked_add(8))
    else {
        return 0;
    };
    if !payload.len().is_multiple_of(row) || payload.len() / row < 2 {
        return 0;
    }
    let uniform = payload.chunks_exact(row).all(|r| r[..8] == payload[..8]);
    if uniform {
        row
    } else {
        0
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
        assert_ne!(&t[8..], &p[..]);
        assert_eq!(restore(&t, "x").unwrap(), p);
    }

    #[test]
    fn other_payloads_pass_through() {
        for p in [
            payload(&[12, 13]),
            payload(&[5]),
            Vec::new(),
            payload(&[0, 0]),
        ] {
            let t = transpose(&p);
            assert_eq!(restore(&t, "x").unwrap(), p, "{p:?}");
        }
    }

    #[test]
    fn hostile_headers_are_refused() {
        for bad in [
            &b"\x01"[..],
            b"\x03\0\0\0\0\0\0\0abcd",
            b"\xff\xff\xff\xff\xff\xff\xff\xffab",
        ] {
            assert!(restore(bad, "x").is_err(), "{bad:?}");
        }
    }
}
