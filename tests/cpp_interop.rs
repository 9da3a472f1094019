//! Mixed fleets against the real C++ hog: our sender into a C++ receiver
//! and a C++ sender into ours, with two groups at once, many small
//! segments, empty and 200 KiB transactions, `-c`, and kills of either
//! side. Every record is compared with what our local mode stores for the
//! same producer run.
//!
//! The C++ hog is not part of this project: build it from hobbes and name
//! it in `HOBBES_HOG` (for example `HOBBES_HOG=~/hobbes/build/hog cargo test
//! -p hog-host --test cpp_interop`). Without it every test here says it is
//! skipped and passes.
//!
//! The hobbes protocol has no sequence numbers, so a receiver killed after
//! storing a segment and before acknowledging it gets that segment again:
//! the kill scenarios check that nothing is lost and count what is
//! duplicated; the others check every record exactly once.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use support::{
    example_program, free_port, hog, run, stdout, wait_for_producers, wait_until, Hog, Producer,
};

/// Records the `IAuto` producer logs, transactions of the `ITxn` one.
const AUTO_RECORDS: i64 = 30_000;
const TXN_TRANSACTIONS: i64 = 1_200;

/// The C++ hog named by `HOBBES_HOG`, or `None` after saying the test is
/// skipped.
fn cpp_hog(test: &str) -> Option<PathBuf> {
    match std::env::var_os("HOBBES_HOG") {
        Some(path) if Path::new(&path).is_file() => Some(path.into()),
        Some(path) => panic!("HOBBES_HOG={}: no such file", Path::new(&path).display()),
        None => {
            eprintln!(
                "{test}: skipped: set HOBBES_HOG to a C++ hog binary (hobbes' bin/hog) to run the interoperability suite"
            );
            None
        }
    }
}

/// A process of the C++ hog in `dir` (it writes `hogstat.db` into its
/// working directory), logging to `dir/hog.log`.
fn cpp(binary: &Path, dir: &Path, args: &[&str]) -> Hog {
    std::fs::create_dir_all(dir).unwrap();
    let log = dir.join("hog.log");
    let out = std::fs::File::create(&log).unwrap();
    let mut cmd = Command::new(binary);
    cmd.current_dir(dir)
        .args(args)
        .stdout(out.try_clone().unwrap())
        .stderr(out);
    Hog::spawn(cmd, &log)
}

/// Our hog with hobbes' flags, logging to `dir/hog.log`.
fn ours(dir: &Path, args: &[&str]) -> Hog {
    std::fs::create_dir_all(dir).unwrap();
    let log = dir.join("hog.log");
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .unwrap();
    let mut cmd = hog();
    cmd.args(args).stdout(Stdio::null()).stderr(out);
    Hog::spawn(cmd, &log)
}

/// A C++ receiver on `port` writing `dir/$GROUP/data-N.log`.
fn cpp_receiver(binary: &Path, dir: &Path, port: u16, extra: &[&str]) -> Hog {
    let template = format!("{}/$GROUP/data", dir.display());
    let mut args = vec!["-s".to_string(), port.to_string(), "-d".into(), template];
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let h = cpp(binary, dir, &args);
    // Not a connection: one closed unused makes the C++ receiver spin.
    wait_until(20, "the C++ receiver to listen", || listening(port));
    h
}

/// Whether a socket listens on TCP `port`, from `/proc/net/tcp`.
fn listening(port: u16) -> bool {
    let wanted = format!(":{port:04X}");
    ["/proc/net/tcp", "/proc/net/tcp6"].iter().any(|table| {
        std::fs::read_to_string(table)
            .unwrap_or_default()
            .lines()
            .any(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                f.len() > 3 && f[1].ends_with(&wanted) && f[3] == "0A"
            })
    })
}

/// A sender of both groups (ours or the C++ hog) in `dir`, cutting a
/// segment every 10 ms or 4 KB: many small segments.
fn sender(cpp_binary: Option<&Path>, dir: &Path, port: u16) -> Hog {
    let spool = format!("{}/$GROUP/spool", dir.display());
    let to = format!("localhost:{port}");
    let dir_text = dir.display().to_string();
    let args = [
        "-g", "IAuto", "ITxn", "-m", &dir_text, "-d", &spool, "-p", "10ms", "4KB", &to,
    ];
    let sockets = ["IAuto", "ITxn"].map(|group| dir.join(format!("hstore.{group}.sk")));
    match cpp_binary {
        Some(binary) => {
            // A killed sender's sockets stay behind: only new ones tell.
            // (The C++ hog is not shown a connection that registers
            // nothing.)
            for socket in &sockets {
                let _ = std::fs::remove_file(socket);
            }
            let h = cpp(binary, dir, &args);
            for socket in &sockets {
                wait_until(20, "the sender's registration socket", || socket.exists());
            }
            h
        }
        None => {
            let h = ours(dir, &args);
            for group in ["IAuto", "ITxn"] {
                wait_for_producers(dir, group);
            }
            h
        }
    }
}

/// Our receiver on `port` writing `dir/$GROUP/data-N.log`.
fn our_receiver(dir: &Path, port: u16, extra: &[&str]) -> Hog {
    let template = format!("{}/$GROUP/data", dir.display());
    let port_text = port.to_string();
    let dir_text = dir.display().to_string();
    let mut args = vec!["-s", &port_text, "-m", &dir_text, "-d", &template];
    args.extend_from_slice(extra);
    let h = ours(dir, &args);
    wait_until(20, "our receiver to listen", || listening(port));
    h
}

/// The interop producer logging `kind` (`auto` or `manual`) records or
/// transactions `from..to` through the sockets in `dir`, pausing `pause_us`
/// every hundred.
fn produce(dir: &Path, kind: &str, from: i64, to: i64, pause_us: u64) -> Producer {
    let child = Command::new(example_program("hog-producer", "interop"))
        .arg(dir)
        .args([
            kind,
            &to.to_string(),
            &from.to_string(),
            &pause_us.to_string(),
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("the interop producer starts");
    Producer::from(child)
}

/// Every series of a group's files, each record keyed by its `seq`.
#[derive(Debug, Default)]
struct Received {
    /// Per statement, per file in order, the `(seq, line)` of each record.
    series: BTreeMap<String, Vec<Vec<(i64, String)>>>,
    /// Transactions (ManualCommit) with their receive times left out.
    transactions: Vec<String>,
}

impl Received {
    /// Reads every data file of `group` under `dir`, in file order.
    fn read(dir: &Path, group: &str) -> Received {
        let mut r = Received::default();
        for file in data_files(&dir.join(group)) {
            let file = file.display().to_string();
            for name in statements(&file) {
                let out = stdout(&run(hog().args(["cat", &file, "--series", &name])));
                let records = out.lines().map(|l| (seq_of(l), l.to_string())).collect();
                r.series.entry(name).or_default().push(records);
            }
            if group == "ITxn" {
                let out = stdout(&run(hog().args(["cat", &file])));
                r.transactions
                    .extend(out.lines().map(|l| without_time(l).to_string()));
            }
        }
        r
    }

    /// Distinct records held, over all statements.
    fn distinct(&self) -> usize {
        self.series
            .values()
            .map(|files| {
                let mut seqs: Vec<i64> = files.iter().flatten().map(|(s, _)| *s).collect();
                seqs.sort_unstable();
                seqs.dedup();
                seqs.len()
            })
            .sum()
    }
}

/// `hog ls`'s statement series (not `log`, `transactions`, `statements`).
fn statements(file: &str) -> Vec<String> {
    stdout(&run(hog().args(["ls", file])))
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| !["log", "transactions", "statements"].contains(n))
        .map(str::to_string)
        .collect()
}

/// `dir/data-N.log` files, by N.
fn data_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let n = name
                .strip_prefix("data-")?
                .strip_suffix(".log")?
                .parse()
                .ok()?;
            Some((n, e.path()))
        })
        .collect();
    files.sort();
    files.into_iter().map(|(_, p)| p).collect()
}

/// A record's `seq`: its first field.
fn seq_of(line: &str) -> i64 {
    let value: serde_json::Value = serde_json::from_str(line).expect("hog cat prints JSON");
    let first = match &value {
        serde_json::Value::Object(map) => map.values().next().cloned(),
        _ => None,
    };
    first
        .and_then(|v| v.as_i64())
        .unwrap_or_else(|| panic!("no seq in {line}"))
}

/// A transaction line without its `time` field.
fn without_time(line: &str) -> &str {
    line.split_once(",\"entries\"")
        .map_or(line, |(_, rest)| rest)
}

/// What our local mode stores for the full runs of both producers: the
/// reference every route is compared with.
fn reference() -> &'static BTreeMap<&'static str, Received> {
    static REFERENCE: OnceLock<BTreeMap<&'static str, Received>> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let template = format!("{}/$GROUP/data", d.display());
        let dir_text = d.display().to_string();
        let local = ours(
            d,
            &["-g", "IAuto", "ITxn", "-m", &dir_text, "-d", &template],
        );
        for group in ["IAuto", "ITxn"] {
            wait_for_producers(d, group);
        }
        let mut auto = produce(d, "auto", 0, AUTO_RECORDS, 0);
        let mut txn = produce(d, "manual", 0, TXN_TRANSACTIONS, 0);
        auto.finish();
        txn.finish();
        wait_until(60, "the local hog to close both streams", || {
            local.log().matches("stream closed").count() >= 2
        });
        assert!(local.stop().success());
        ["IAuto", "ITxn"]
            .into_iter()
            .map(|g| (g, Received::read(d, g)))
            .collect()
    })
}

/// Waits until `dir` holds every record of the reference for both groups.
fn await_everything(dir: &Path, what: &[&Hog]) {
    let expected: BTreeMap<&str, usize> = reference()
        .iter()
        .map(|(g, r)| (*g, r.distinct()))
        .collect();
    let complete = || {
        expected
            .iter()
            .all(|(g, n)| Received::read(dir, g).distinct() >= *n)
    };
    let mut waited = 0;
    while !complete() {
        waited += 1;
        assert!(
            waited < 240,
            "not every record arrived in 120 s; logs:\n{}",
            what.iter()
                .map(|h| h.log())
                .collect::<Vec<_>>()
                .join("\n----\n")
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

/// Compares `dir`'s files with the reference, record for record: every
/// record present with the reference's value, nothing else, increasing
/// within each file; returns how many records arrived more than once
/// (which `exactly_once` forbids, and with it any difference in the
/// transactions of `ITxn`).
fn compare(dir: &Path, exactly_once: bool) -> usize {
    let mut duplicates = 0;
    for (group, want) in reference() {
        let got = Received::read(dir, group);
        assert_eq!(
            got.series.keys().collect::<Vec<_>>(),
            want.series.keys().collect::<Vec<_>>(),
            "{group}: statements"
        );
        for (name, files) in &want.series {
            let expected: BTreeMap<i64, &String> =
                files.iter().flatten().map(|(s, l)| (*s, l)).collect();
            let mut seen: BTreeMap<i64, usize> = BTreeMap::new();
            for file in &got.series[name] {
                for pair in file.windows(2) {
                    assert!(
                        pair[0].0 < pair[1].0,
                        "{group}.{name}: out of order {pair:?}"
                    );
                }
                for (seq, line) in file {
                    assert_eq!(
                        expected.get(seq).copied(),
                        Some(line),
                        "{group}.{name}: record {seq}"
                    );
                    *seen.entry(*seq).or_default() += 1;
                }
            }
            let missing: Vec<&i64> = expected.keys().filter(|s| !seen.contains_key(s)).collect();
            assert!(missing.is_empty(), "{group}.{name}: lost {missing:?}");
            duplicates += seen.values().map(|n| n - 1).sum::<usize>();
        }
        if exactly_once {
            assert_eq!(got.transactions, want.transactions, "{group}: transactions");
        }
    }
    if exactly_once {
        assert_eq!(duplicates, 0, "records delivered twice");
    }
    duplicates
}

/// Runs both producers through a sender in `dir/send`, pausing `pause_us`
/// every hundred records so that kills land mid-stream.
fn both_producers(send: &Path, pause_us: u64) -> [Producer; 2] {
    [
        produce(send, "auto", 0, AUTO_RECORDS, pause_us),
        produce(send, "manual", 0, TXN_TRANSACTIONS, pause_us),
    ]
}

/// Waits until the receiver in `recv` holds 2 000 more `IAuto` records
/// than now (or the `IAuto` producer is done): a moment mid-stream.
fn mid_stream(recv: &Path, auto: &mut Producer) {
    let before = logged(recv);
    wait_until(60, "records at the receiver", || {
        !auto.running() || logged(recv) > before + 2_000
    });
}

/// Entries in the `log` series of `IAuto`'s files under `recv`, as `hog ls`
/// counts them (duplicates included): cheap enough to poll.
fn logged(recv: &Path) -> u64 {
    data_files(&recv.join("IAuto"))
        .iter()
        .map(|f| {
            let out = stdout(&run(hog().arg("ls").arg(f)));
            out.lines()
                .find(|l| l.starts_with("log "))
                .and_then(|l| l.rsplit_once('(').map(|(_, counts)| counts))
                .and_then(|n| n.split_whitespace().next())
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0)
        })
        .sum()
}

#[test]
fn our_sender_ships_two_groups_at_once_into_a_cpp_receiver_exactly() {
    let Some(cpp_bin) = cpp_hog("our_sender_into_a_cpp_receiver") else {
        return;
    };
    reference();
    let dir = tempfile::tempdir().unwrap();
    let (send, recv) = (dir.path().join("send"), dir.path().join("recv"));
    let port = free_port();
    let receiver = cpp_receiver(&cpp_bin, &recv, port, &[]);
    let sender = sender(None, &send, port);
    for mut p in both_producers(&send, 0) {
        p.finish();
    }
    await_everything(&recv, &[&sender, &receiver]);
    compare(&recv, true);
    assert!(sender.stop().success());
}

#[test]
fn a_cpp_sender_ships_two_groups_at_once_into_our_receiver_exactly() {
    let Some(cpp_bin) = cpp_hog("a_cpp_sender_into_our_receiver") else {
        return;
    };
    reference();
    let dir = tempfile::tempdir().unwrap();
    let (send, recv) = (dir.path().join("send"), dir.path().join("recv"));
    let port = free_port();
    let receiver = our_receiver(&recv, port, &[]);
    let sender = sender(Some(&cpp_bin), &send, port);
    for mut p in both_producers(&send, 0) {
        p.finish();
    }
    await_everything(&recv, &[&sender, &receiver]);
    compare(&recv, true);
    assert!(receiver.stop().success());
}

/// Two producer runs of `IAuto` one after the other, and one of `ITxn`,
/// through `sender`; the receiver's `-c` puts each group in one file.
fn consolidated(send: &Path) {
    let half = AUTO_RECORDS / 2;
    produce(send, "auto", 0, half, 0).finish();
    produce(send, "auto", half, AUTO_RECORDS, 0).finish();
    produce(send, "manual", 0, TXN_TRANSACTIONS, 0).finish();
}

#[test]
fn consolidated_receivers_on_either_side_keep_one_file_per_group() {
    let Some(cpp_bin) = cpp_hog("consolidated_receivers") else {
        return;
    };
    reference();
    for cpp_receives in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let (send, recv) = (dir.path().join("send"), dir.path().join("recv"));
        let port = free_port();
        let (receiver, sender) = if cpp_receives {
            let r = cpp_receiver(&cpp_bin, &recv, port, &["-c"]);
            (r, sender(None, &send, port))
        } else {
            let r = our_receiver(&recv, port, &["-c"]);
            (r, sender(Some(&cpp_bin), &send, port))
        };
        consolidated(&send);
        await_everything(&recv, &[&sender, &receiver]);
        for group in ["IAuto", "ITxn"] {
            assert_eq!(
                data_files(&recv.join(group)).len(),
                1,
                "{group} in one file (C++ receiving: {cpp_receives})"
            );
        }
        compare(&recv, true);
    }
}

#[test]
fn a_cpp_receiver_killed_twice_mid_stream_loses_nothing() {
    let Some(cpp_bin) = cpp_hog("a_cpp_receiver_killed") else {
        return;
    };
    reference();
    let dir = tempfile::tempdir().unwrap();
    let (send, recv) = (dir.path().join("send"), dir.path().join("recv"));
    let port = free_port();
    let mut receiver = cpp_receiver(&cpp_bin, &recv, port, &[]);
    let sender = sender(None, &send, port);
    let mut producers = both_producers(&send, 20_000);
    for _ in 0..2 {
        mid_stream(&recv, &mut producers[0]);
        assert!(producers[0].running(), "the kill lands mid-stream");
        receiver.kill();
        std::thread::sleep(std::time::Duration::from_millis(300));
        receiver = cpp_receiver(&cpp_bin, &recv, port, &[]);
    }
    for p in &mut producers {
        p.finish();
    }
    await_everything(&recv, &[&sender, &receiver]);
    let duplicates = compare(&recv, false);
    eprintln!("a_cpp_receiver_killed: {duplicates} records delivered twice (hobbes protocol: at least once)");
}

#[test]
fn our_sender_killed_mid_stream_resumes_into_a_cpp_receiver_losing_nothing() {
    let Some(cpp_bin) = cpp_hog("our_sender_killed") else {
        return;
    };
    reference();
    let dir = tempfile::tempdir().unwrap();
    let (send, recv) = (dir.path().join("send"), dir.path().join("recv"));
    let port = free_port();
    let receiver = cpp_receiver(&cpp_bin, &recv, port, &[]);
    let mut sender = sender(None, &send, port);
    let mut producers = both_producers(&send, 20_000);
    for _ in 0..2 {
        mid_stream(&recv, &mut producers[0]);
        assert!(producers[0].running(), "the kill lands mid-stream");
        sender.kill();
        sender = self::sender(None, &send, port);
    }
    for p in &mut producers {
        p.finish();
    }
    await_everything(&recv, &[&sender, &receiver]);
    let duplicates = compare(&recv, false);
    eprintln!(
        "our_sender_killed: {duplicates} records delivered twice (hobbes protocol: at least once)"
    );
}
