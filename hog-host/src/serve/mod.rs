//! The metrics listener (`--metrics ADDR`, `metrics.listen`): Prometheus'
//! text format at `/metrics`, the status page at `/`, its data at
//! `/status.json`. Read-only; bound to loopback unless told otherwise;
//! with the receiver's TLS and tokens when those are configured.

mod http;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hog_core::metrics;
use hog_core::wire::v2::token;

/// The status page: one HTML file with its style and script inline.
const PAGE: &str = include_str!("page.html");
/// Connections served at once; more are answered 503.
const MAX_CONNECTIONS: usize = 32;
/// How long a client may take to send its request and read the answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// What the listener requires of a client.
#[derive(Clone, Default)]
pub struct Security {
    /// Serve HTTPS with this configuration.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Require `Authorization: Bearer <one of these>`.
    pub tokens: Vec<Vec<u8>>,
}

/// A running listener; stops when dropped.
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl Server {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wake the accepting thread.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

/// Why the listener could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address is not `PORT`, `HOST:PORT` or `[V6]:PORT`.
    #[error("metrics address '{0}': {1}")]
    Address(String, String),
    /// Binding failed.
    #[error("metrics address {0}: cannot listen: {1}")]
    Bind(SocketAddr, std::io::Error),
}

/// The socket address `listen` names: a bare port is on 127.0.0.1.
pub fn address(listen: &str) -> Result<SocketAddr, ServeError> {
    let with_host = if listen.parse::<u16>().is_ok() {
        format!("127.0.0.1:{listen}")
    } else {
        listen.to_string()
    };
    with_host
        .to_socket_addrs()
        .map_err(|e| ServeError::Address(listen.into(), e.to_string()))?
        .next()
        .ok_or_else(|| ServeError::Address(listen.into(), "no address".into()))
}

/// Starts serving on `listen`.
pub fn start(listen: &str, security: Security) -> Result<Server, ServeError> {
    let addr = address(listen)?;
    let listener = TcpListener::bind(addr).map_err(|e| ServeError::Bind(addr, e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ServeError::Bind(addr, e))?;
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = Arc::clone(&stop);
    let security = Arc::new(security);
    let busy = Arc::new(AtomicUsize::new(0));
    std::thread::Builder::new()
        .name("hog-metrics".into())
        .spawn(move || {
            for conn in listener.incoming() {
                if stopping.load(Ordering::Acquire) {
                    return;
                }
                let Ok(conn) = conn else { continue };
                let (security, busy) = (Arc::clone(&security), Arc::clone(&busy));
                if busy.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
                    busy.fetch_sub(1, Ordering::AcqRel);
                    let mut conn = conn;
                    let _ = conn.set_write_timeout(Some(TIMEOUT));
                    let _ = http::respond(
                        &mut conn,
                        "503 Service Unavailable",
                        "text/plain",
                        b"busy\n",
                        false,
                    );
                    continue;
                }
                let spawned = std::thread::Builder::new()
                    .name("hog-metrics-conn".into())
                    .stack_size(256 * 1024)
                    .spawn(move || {
                        serve(conn, &security);
                        busy.fetch_sub(1, Ordering::AcqRel);
                    });
                if spawned.is_err() {
                    tracing::warn!("metrics: cannot start a thread for a connection");
                }
            }
        })
        .map_err(|e| ServeError::Bind(addr, e))?;
    Ok(Server { addr, stop })
}

/// Serves one connection, over TLS if configured.
fn serve(conn: TcpStream, security: &Security) {
    let _ = conn.set_read_timeout(Some(TIMEOUT));
    let _ = conn.set_write_timeout(Some(TIMEOUT));
    match &security.tls {
        Some(config) => match rustls::ServerConnection::new(Arc::clone(config)) {
            Ok(tls) => exchange(&mut rustls::StreamOwned::new(tls, conn), &security.tokens),
            Err(e) => tracing::debug!("metrics: TLS: {e}"),
        },
        None => exchange(&mut { conn }, &security.tokens),
    }
}

/// Reads one request and answers it.
fn exchange(conn: &mut (impl Read + Write), tokens: &[Vec<u8>]) {
    let request = match http::read_request(conn) {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!("metrics: bad request: {e}");
            let _ = http::respond(
                conn,
                "400 Bad Request",
                "text/plain",
                b"bad request\n",
                false,
            );
            return;
        }
    };
    let head_only = request.method == "HEAD";
    if request.method != "GET" && !head_only {
        let _ = http::respond(
            conn,
            "405 Method Not Allowed",
            "text/plain",
            b"only GET\n",
            false,
        );
        return;
    }
    // The page itself holds no data: a browser, which cannot send a token
    // with a navigation, loads it and sends the token (from the address's
    // `#token=`) with its requests for data.
    let page = matches!(request.path.as_str(), "/" | "/index.html");
    let offered = request.bearer.as_deref().unwrap_or("").as_bytes();
    if !page && !tokens.is_empty() && !token::any_matches(tokens, offered) {
        let _ = http::respond(
            conn,
            "401 Unauthorized",
            "text/plain",
            b"a token is required\n",
            head_only,
        );
        return;
    }
    let m = metrics::global();
    let (status, kind, body): (&str, &str, Vec<u8>) = match request.path.as_str() {
        "/metrics" => (
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            m.render().into_bytes(),
        ),
        "/status.json" => (
            "200 OK",
            "application/json",
            serde_json::to_vec(&m.status()).unwrap_or_default(),
        ),
        "/" | "/index.html" => (
            "200 OK",
            "text/html; charset=utf-8",
            PAGE.as_bytes().to_vec(),
        ),
        _ => (
            "404 Not Found",
            "text/plain",
            b"not found: try /, /metrics or /status.json\n".to_vec(),
        ),
    };
    let _ = http::respond(conn, status, kind, &body, head_only);
}
