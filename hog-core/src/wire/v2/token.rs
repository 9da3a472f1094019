//! Pre-shared tokens: read from files, compared in constant time.

use std::io;
use std::path::{Path, PathBuf};

use super::hello::MAX_TOKEN;

/// A token file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The file cannot be read.
    #[error("token file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The failure.
        source: io::Error,
    },
    /// The file holds no token.
    #[error("token file {path}: holds no token")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A token is longer than a hello may carry.
    #[error("token file {path}: a token of {len} bytes is longer than {MAX_TOKEN}")]
    TooLong {
        /// The file.
        path: PathBuf,
        /// The token's length.
        len: usize,
    },
}

/// The tokens in `path`, one per line (blank lines and `#` comments
/// skipped), so that a receiver can accept an old and a new token while
/// senders move over.
pub fn load_tokens(path: &Path) -> Result<Vec<Vec<u8>>, TokenError> {
    let text = std::fs::read_to_string(path).map_err(|source| TokenError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let tokens: Vec<Vec<u8>> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.as_bytes().to_vec())
        .collect();
    if tokens.is_empty() {
        return Err(TokenError::Empty {
            path: path.to_path_buf(),
        });
    }
    if let Some(t) = tokens.iter().find(|t| t.len() > MAX_TOKEN) {
        return Err(TokenError::TooLong {
            path: path.to_path_buf(),
            len: t.len(),
        });
    }
    Ok(tokens)
}

/// The one token in `path` (its first), as a sender sends it.
pub fn load_token(path: &Path) -> Result<Vec<u8>, TokenError> {
    Ok(load_tokens(path)?.swap_remove(0))
}

/// Whether `offered` equals `expected`, in time that depends only on the
/// length of `expected` (what the receiver knows), never on where the two
/// differ or on the offered length.
pub fn matches(expected: &[u8], offered: &[u8]) -> bool {
    let mut diff = u8::from(expected.len() != offered.len());
    for (i, e) in expected.iter().enumerate() {
        diff |= e ^ offered.get(i).copied().unwrap_or(!e);
    }
    std::hint::black_box(diff) == 0
}

/// Whether `offered` is one of `tokens` (every one is compared).
pub fn any_matches(tokens: &[Vec<u8>], offered: &[u8]) -> bool {
    tokens
        .iter()
        .fold(false, |found, t| matches(t, offered) | found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_exactly() {
        assert!(matches(b"abc", b"abc"));
        for other in [&b""[..], b"ab", b"abd", b"abcd", b"xbc"] {
            assert!(!matches(b"abc", other), "{other:?}");
        }
        let tokens = vec![b"old".to_vec(), b"new".to_vec()];
        assert!(any_matches(&tokens, b"new") && !any_matches(&tokens, b"ne"));
    }

    #[test]
    fn token_files_are_read_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("tokens");
        std::fs::write(&p, "# rotated monthly\n  first \n\nsecond\n").unwrap();
        assert_eq!(
            load_tokens(&p).unwrap(),
            vec![b"first".to_vec(), b"second".to_vec()]
        );
        assert_eq!(load_token(&p).unwrap(), b"first");
        std::fs::write(&p, "# nothing\n").unwrap();
        assert!(load_tokens(&p)
            .unwrap_err()
            .to_string()
            .contains("holds no token"));
        assert!(load_tokens(&dir.path().join("none"))
            .unwrap_err()
            .to_string()
            .contains("none"));
    }
}
