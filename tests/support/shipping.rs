//! Helpers for the transport tests: receiving and sending hogs on
//! loopback, and what the receivers stored (producers and ports are in
//! `support`).
//!
//! Used as `#[path = "support/shipping.rs"] mod shipping;` next to
//! `mod support;`.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::{hog, plugin_library, wait_for_producers, wait_until, write, Hog};

/// A receiving hog on `port` writing into the example sink in `dir`, with
/// extra `[receiver]` settings, once it listens.
pub fn receiver(dir: &Path, port: u16, settings: &str) -> Hog {
    std::fs::create_dir_all(dir).unwrap();
    let text = format!(
        "store_dir = \"{d}\"\nsources = [\"receiver\"]\nsinks = [\"example\"]\n\
         [receiver]\nport = \"{port}\"\nlisten = \"127.0.0.1\"\n{settings}\n\
         [sink.example]\nplugin = \"{lib}\"\npath = \"{d}/out.jsonl\"\n",
        d = dir.display(),
        lib = plugin_library("example-sink").display(),
    );
    let config = write(dir, "hog.toml", &text);
    let log = dir.join("hog.log");
    listening(port, &log, || Hog::start(&config, &log))
}

/// A batchrecv hog as hobbes runs it (`-s PORT -d TEMPLATE`), writing
/// fregion files through the disk sink, with extra `[receiver]` settings,
/// once it listens.
pub fn batchrecv(dir: &Path, port: u16, settings: &str) -> Hog {
    std::fs::create_dir_all(dir).unwrap();
    let config = write(
        dir,
        "recv.toml",
        &format!("[receiver]\nlisten = \"127.0.0.1\"\n{settings}\n"),
    );
    let log = append(&dir.join("hog.log"));
    let mut cmd = hog();
    cmd.arg("--config")
        .arg(config)
        .arg("-m")
        .arg(dir)
        .args(["-s", &port.to_string(), "-d"])
        .arg(format!("{}/$GROUP/$DATE/data", dir.display()))
        .stdout(std::process::Stdio::null())
        .stderr(log);
    let log = dir.join("hog.log");
    listening(port, &log, || Hog::spawn(cmd, &log))
}

/// Starts a receiving hog with `start` and returns it once it listens on
/// `port`, as its log (appended to across restarts) says once more than
/// before: a sender that finds it down says why only once a minute.
fn listening(port: u16, log: &Path, start: impl FnOnce() -> Hog) -> Hog {
    let line = format!("receiving batches on 127.0.0.1:{port}");
    let said = || {
        plain(&std::fs::read_to_string(log).unwrap_or_default())
            .matches(&line)
            .count()
    };
    let before = said();
    let hog = start();
    wait_until(20, "the receiver to listen", || said() > before);
    hog
}

/// `path` opened for appending (a hog's log across restarts).
pub fn append(path: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
}

/// A batchsend hog for `group` (several separated by spaces; hobbes flags,
/// `-p t s`), with extra `[sink.tcp]` settings, once it accepts producers.
pub fn sender(dir: &Path, group: &str, ports: &[u16], batch: (&str, &str), tcp: &str) -> Hog {
    std::fs::create_dir_all(dir).unwrap();
    let config = write(dir, "hog.toml", &format!("[sink.tcp]\n{tcp}\n"));
    let mut cmd = hog();
    cmd.arg("--config")
        .arg(config)
        .arg("-m")
        .arg(dir)
        .arg("-d")
        .arg(format!("{}/$GROUP/$DATE/data", dir.display()))
        .arg("-g")
        .args(group.split_whitespace())
        .args(["-p", batch.0, batch.1])
        .args(ports.iter().map(|p| format!("127.0.0.1:{p}")))
        .stdout(std::process::Stdio::null())
        .stderr(append(&dir.join("hog.log")));
    let hog = Hog::spawn(cmd, &dir.join("hog.log"));
    for group in group.split_whitespace() {
        wait_for_producers(dir, group);
    }
    hog
}

/// `log` without terminal colour sequences.
pub fn plain(log: &str) -> String {
    let mut out = String::with_capacity(log.len());
    let mut chars = log.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Values per receiving stream in the example sink's file, in file order.
pub fn received(dir: &Path) -> BTreeMap<u64, Vec<i64>> {
    let text = std::fs::read_to_string(dir.join("out.jsonl")).unwrap_or_default();
    let mut out: BTreeMap<u64, Vec<i64>> = BTreeMap::new();
    // The sink may be appending: only whole lines count.
    let whole = text.rfind('\n').map_or("", |end| &text[..end]);
    for line in whole.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let hex = v["hex"].as_str().unwrap();
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        out.entry(v["stream"].as_u64().unwrap())
            .or_default()
            .extend(
                bytes
                    .chunks(12)
                    .map(|r| i64::from_le_bytes(r[4..].try_into().unwrap())),
            );
    }
    out
}

/// How many values the example sink in `dir` holds.
pub fn count(dir: &Path) -> usize {
    received(dir).values().map(Vec::len).sum()
}

/// Every value of every producer thread is held exactly once, and each
/// stream's values are in order.
pub fn assert_exactly_once(streams: &[Vec<i64>], threads: i64, records: i64) {
    let mut all: Vec<i64> = Vec::new();
    for values in streams {
        for pair in values.windows(2) {
            let same_thread = pair[0] / 1_000_000 == pair[1] / 1_000_000;
            assert!(
                !same_thread || pair[0] < pair[1],
                "out of order or repeated: {pair:?}"
            );
        }
        all.extend(values);
    }
    all.sort_unstable();
    let expected: Vec<i64> = (0..threads)
        .flat_map(|t| (0..records).map(move |i| t * 1_000_000 + i))
        .collect();
    if all != expected {
        let mut dups = all.clone();
        dups.dedup();
        panic!(
            "{} values held, {} distinct, {} expected: {} lost, {} duplicated",
            all.len(),
            dups.len(),
            expected.len(),
            expected.len().saturating_sub(dups.len()),
            all.len() - dups.len()
        );
    }
}

/// The values of series `seq` of every data file under `dir`, per file.
pub fn files(dir: &Path) -> Vec<Vec<i64>> {
    let mut paths: Vec<PathBuf> = walk(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let Ok(reader) = hog_core::fregion::Reader::open(&path) else {
            continue;
        };
        let Ok(series) = reader.series("seq") else {
            continue;
        };
        out.push(
            series
                .iter()
                .map(|v| match v.expect("a value").1 {
                    hog_core::types::Value::Long(n) => n,
                    other => panic!("not a long: {other:?}"),
                })
                .collect(),
        );
    }
    out
}

/// Every file under `dir`.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Certificates for TLS tests, made with rcgen: a CA, a receiver
/// certificate for `localhost` and `127.0.0.1`, a client certificate, and a
/// client certificate from another CA.
pub struct Pki {
    /// The CA certificate (PEM file).
    pub ca: PathBuf,
    /// The receiver's certificate and key.
    pub server: (PathBuf, PathBuf),
    /// A client certificate and key the CA signed.
    pub client: (PathBuf, PathBuf),
    /// A client certificate and key another CA signed.
    pub stranger: (PathBuf, PathBuf),
}

impl Pki {
    /// Writes the certificates into `dir`.
    pub fn new(dir: &Path) -> Pki {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        };
        std::fs::create_dir_all(dir).unwrap();
        let ca = |name: &str| {
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.distinguished_name.push(DnType::CommonName, name);
            let key = KeyPair::generate().unwrap();
            let cert = params.self_signed(&key).unwrap();
            (cert, key)
        };
        let (ca_cert, ca_key) = ca("hog test CA");
        let (other_cert, other_key) = ca("another CA");
        let save = |name: &str, cert: &rcgen::Certificate, key: &KeyPair| {
            let c = dir.join(format!("{name}.pem"));
            let k = dir.join(format!("{name}.key"));
            std::fs::write(&c, cert.pem()).unwrap();
            std::fs::write(&k, key.serialize_pem()).unwrap();
            (c, k)
        };
        let leaf = |names: Vec<String>,
                    usage: ExtendedKeyUsagePurpose,
                    issuer: &rcgen::Certificate,
                    issuer_key: &KeyPair| {
            let mut params = CertificateParams::new(names).unwrap();
            params.extended_key_usages = vec![usage];
            let key = KeyPair::generate().unwrap();
            let cert = params.signed_by(&key, issuer, issuer_key).unwrap();
            (cert, key)
        };
        let (s, sk) = leaf(
            vec!["localhost".into(), "127.0.0.1".into()],
            ExtendedKeyUsagePurpose::ServerAuth,
            &ca_cert,
            &ca_key,
        );
        let (c, ck) = leaf(
            vec!["sender".into()],
            ExtendedKeyUsagePurpose::ClientAuth,
            &ca_cert,
            &ca_key,
        );
        let (x, xk) = leaf(
            vec!["stranger".into()],
            ExtendedKeyUsagePurpose::ClientAuth,
            &other_cert,
            &other_key,
        );
        let ca_path = dir.join("ca.pem");
        std::fs::write(&ca_path, ca_cert.pem()).unwrap();
        Pki {
            ca: ca_path,
            server: save("server", &s, &sk),
            client: save("client", &c, &ck),
            stranger: save("stranger", &x, &xk),
        }
    }
}
