//! Just enough HTTP/1.1 for a scraper and a browser: one GET per
//! connection, bounded in size and time, answered and closed.

use std::io::{self, Read, Write};

/// The longest request head read (request line and headers).
const MAX_HEAD: usize = 16 * 1024;

/// A request: its method, path (without the query) and bearer token.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) bearer: Option<String>,
}

/// Why a request could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RequestError {
    /// The socket failed or timed out.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The head is longer than [`MAX_HEAD`].
    #[error("request head longer than {MAX_HEAD} bytes")]
    TooLong,
    /// Not an HTTP request line.
    #[error("malformed request line")]
    Malformed,
}

/// Reads a request head from `conn`.
pub(crate) fn read_request(conn: &mut impl Read) -> Result<Request, RequestError> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() >= MAX_HEAD {
            return Err(RequestError::TooLong);
        }
        let n = conn.read(&mut buf)?;
        if n == 0 {
            return Err(RequestError::Malformed);
        }
        head.extend_from_slice(&buf[..n]);
    }
    parse(&head)
}

/// Parses a request head.
pub(crate) fn parse(head: &[u8]) -> Result<Request, RequestError> {
    let text = std::str::from_utf8(head).map_err(|_| RequestError::Malformed)?;
    let mut lines = text.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let (Some(method), Some(target), Some(version)) = (first.next(), first.next(), first.next())
    else {
        return Err(RequestError::Malformed);
    };
    if !version.starts_with("HTTP/1.") || !target.starts_with('/') {
        return Err(RequestError::Malformed);
    }
    let bearer = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("authorization"))
        .and_then(|(_, v)| v.trim().strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    Ok(Request {
        method: method.to_string(),
        path: target.split('?').next().unwrap_or("/").to_string(),
        bearer,
    })
}

/// Writes a whole response and closes the exchange.
pub(crate) fn respond(
    conn: &mut impl Write,
    status: &str,
    content_type: &str,
    body: &[u8],
    head_only: bool,
) -> io::Result<()> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n",
        body.len()
    );
    if status.starts_with("401") {
        out.push_str("WWW-Authenticate: Bearer\r\n");
    }
    out.push_str("\r\n");
    conn.write_all(out.as_bytes())?;
    if !head_only {
        conn.write_all(body)?;
    }
    conn.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_get_with_a_token_and_a_query_is_parsed() {
        let r =
            parse(b"GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer s3cret\r\n\r\n")
                .unwrap();
        assert_eq!(
            r,
            Request {
                method: "GET".into(),
                path: "/metrics".into(),
                bearer: Some("s3cret".into()),
            }
        );
    }

    #[test]
    fn malformed_and_endless_heads_are_refused() {
        for bad in [
            &b"GET\r\n\r\n"[..],
            b"GET metrics HTTP/1.1\r\n\r\n",
            b"\xff\xfe \r\n\r\n",
        ] {
            assert!(
                matches!(parse(bad), Err(RequestError::Malformed)),
                "{bad:?}"
            );
        }
        let mut endless = std::io::repeat(b'a');
        assert!(matches!(
            read_request(&mut endless),
            Err(RequestError::TooLong)
        ));
        let mut short = &b"GET / HTTP/1.1\r\n"[..];
        assert!(matches!(
            read_request(&mut short),
            Err(RequestError::Malformed)
        ));
    }
}
