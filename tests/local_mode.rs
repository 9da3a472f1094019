//! Local mode end to end, as hobbes' hog is run: `hog -g G -m DIR -d
//! DIR/$GROUP/$DATE/data` with real producer processes. Files land as
//! `G/YYYY.MM.DD/data-N.log`, one per producer thread (one for all with
//! `-c`), and `hog cat` reads them back exactly and in order; a hog killed
//! with SIGKILL mid-stream and restarted continues the same file with no
//! record lost or duplicated; the mode line is hobbes' local one.

mod support;

use std::path::{Path, PathBuf};
use std::process::Child;

use hog_core::fregion::Reader;
use support::{hog, wait_for_producers, wait_until, Producer};

/// A hog run with command-line flags only, its stdout and stderr in files.
struct Running {
    child: Child,
    out: PathBuf,
    err: PathBuf,
}

impl Running {
    fn start(dir: &Path, extra: &[&str]) -> Running {
        let (out, err) = (dir.join("hog.out"), dir.join("hog.err"));
        let open = |p: &Path| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .unwrap()
        };
        let template = format!("{}/$GROUP/$DATE/data", dir.display());
        let child = hog()
            .args(["-g", "G", "-m"])
            .arg(dir)
            .args(["-d", &template])
            .args(extra)
            .env("RUST_LOG", "info")
            .stdout(open(&out))
            .stderr(open(&err))
            .spawn()
            .expect("hog starts");
        wait_for_producers(dir, "G");
        Running { child, out, err }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }

    fn stdout(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    fn stop(mut self) {
        // SAFETY: signalling our own child process.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        assert!(self.child.wait().unwrap().success(), "{}", self.log());
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A producer of group G.
fn loadgen(dir: &Path, args: &[&str]) -> Producer {
    support::loadgen(dir, "G", args)
}

/// The data files under `dir/G`, which must all be in one date directory
/// named `YYYY.MM.DD`.
fn data_files(dir: &Path) -> Vec<PathBuf> {
    let g = dir.join("G");
    let Ok(dates) = std::fs::read_dir(&g) else {
        return Vec::new();
    };
    let dates: Vec<PathBuf> = dates.map(|e| e.unwrap().path()).collect();
    assert!(dates.len() <= 1, "one date directory: {dates:?}");
    let Some(date) = dates.first() else {
        return Vec::new();
    };
    let name = date.file_name().unwrap().to_string_lossy().into_owned();
    let b = name.as_bytes();
    assert!(
        b.len() == 10
            && b[4] == b'.'
            && b[7] == b'.'
            && name.replace('.', "").parse::<u32>().is_ok(),
        "YYYY.MM.DD: {name}"
    );
    let mut files: Vec<PathBuf> = std::fs::read_dir(date)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    files.sort();
    files
}

/// Records held by the file (the length of its `seq` series, compressed
/// or not).
fn records(path: &Path) -> u64 {
    Reader::open(path)
        .ok()
        .and_then(|r| {
            r.series("seq")
                .and_then(|s| s.len())
                .or_else(|_| r.compressed("seq").and_then(|s| s.len()))
                .ok()
        })
        .unwrap_or(0)
}

fn total(dir: &Path) -> u64 {
    data_files(dir).iter().map(|f| records(f)).sum()
}

/// `hog cat` of one series of `file`: its values.
fn cat(file: &Path, series: &str) -> Vec<i64> {
    let out = hog()
        .arg("cat")
        .arg(file)
        .args(["--series", series])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.parse().expect("a number per line"))
        .collect()
}

#[test]
fn local_mode_writes_one_file_per_producer_thread_that_reads_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let running = Running::start(d, &[]);
    let mut producer = loadgen(d, &["2", "20000"]);
    producer.finish();
    wait_until(30, "every record", || total(d) == 40_000);
    wait_until(10, "closed streams", || {
        running.log().matches("stream closed").count() == 2
    });
    let stdout = running.stdout();
    running.stop();

    assert!(
        stdout.contains(&format!(
            "hog running in mode : |local={{ dir=\"{d}/$GROUP/$DATE/data\", serverDir=\"{d}\", groups={{\"G\"}} }}|",
            d = d.display()
        )),
        "{stdout}"
    );
    let files = data_files(d);
    assert_eq!(
        files
            .iter()
            .map(|f| f.file_name().unwrap().to_str().unwrap())
            .collect::<Vec<_>>(),
        ["data-0.log", "data-1.log"]
    );
    let mut bases = Vec::new();
    for f in &files {
        let values = cat(f, "seq");
        let base = values[0] - values[0] % 1_000_000;
        assert_eq!(
            values,
            (base..base + 20_000).collect::<Vec<_>>(),
            "{}",
            f.display()
        );
        bases.push(base);
        // The default `cat` prints the log: every record, in order.
        let out = hog().arg("cat").arg(f).output().unwrap();
        let log = String::from_utf8(out.stdout).unwrap();
        assert_eq!(log.lines().count(), 20_000);
        assert_eq!(
            log.lines().next().unwrap(),
            format!("{{\"ctor\":\"seq\",\"tag\":0,\"value\":{base}}}")
        );
    }
    bases.sort();
    assert_eq!(bases, [0, 1_000_000]);
    let ls = hog().arg("ls").arg(&files[0]).output().unwrap();
    let ls = String::from_utf8(ls.stdout).unwrap();
    assert!(
        ls.contains(
            "seq         fseq(long, 10000)  (20000 records in 2 batches, newest batch first)"
        ),
        "{ls}"
    );
}

#[test]
fn consolidation_puts_equally_typed_producers_into_one_file_and_appends_later_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let hog = Running::start(d, &["-c"]);
    let mut first = loadgen(d, &["2", "5000"]);
    first.finish();
    wait_until(30, "every record", || total(d) == 10_000);
    let mut later = loadgen(d, &["1", "3000"]);
    later.finish();
    wait_until(30, "the later producer's records", || total(d) == 13_000);
    hog.stop();
    let files = data_files(d);
    assert_eq!(files.len(), 1, "{files:?}");
    let values = cat(&files[0], "seq");
    for base in [0, 1_000_000] {
        let of: Vec<i64> = values
            .iter()
            .copied()
            .filter(|v| v - v % 1_000_000 == base)
            .collect();
        let n = if base == 0 { 8_000 } else { 5_000 };
        let mut want: Vec<i64> = (base..base + 5_000).collect();
        if base == 0 {
            want.extend(0..3_000);
        }
        assert_eq!(of.len(), n);
        assert_eq!(of, want, "each producer thread's records in order");
    }
}

/// A million records in transactions of 50, hog (run with `flags`) killed
/// twice mid-stream: one file continued, holding every record once.
fn killed_mid_stream(flags: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let records_n: i64 = 1_000_000;
    let mut hog = Running::start(d, flags);
    let mut producer = loadgen(d, &["1", &records_n.to_string(), "manual", "10", "50"]);
    for round in 1..=2 {
        let seen = total(d);
        wait_until(60, "progress before the kill", || total(d) > seen + 20_000);
        hog.kill();
        std::thread::sleep(std::time::Duration::from_millis(100 * round));
        hog = Running::start(d, flags);
    }
    producer.finish();
    wait_until(90, "every record", || total(d) as i64 >= records_n);
    wait_until(10, "the stream closed", || {
        hog.log().contains("stream closed")
    });
    let log = hog.log();
    hog.stop();
    assert_eq!(
        log.matches("re-attaching a stream left unfinished").count(),
        2,
        "{log}"
    );
    let files = data_files(d);
    assert_eq!(files.len(), 1, "the same file continued: {files:?}");
    assert_eq!(cat(&files[0], "seq"), (0..records_n).collect::<Vec<_>>());
    let file = files[0].clone();
    (dir, file)
}

#[test]
fn hog_killed_mid_stream_continues_the_same_file_with_nothing_lost_or_duplicated() {
    let (_dir, file) = killed_mid_stream(&[]);
    let r = Reader::open(&file).unwrap();
    let txns = r.series("transactions").unwrap();
    // 50 records a transaction, then the final commit of an empty one.
    assert_eq!(txns.len().unwrap(), 1_000_000 / 50 + 1);
    let last = txns.iter().last().unwrap().unwrap().1.to_json();
    assert_eq!(last["entries"], serde_json::json!([]));
}

#[test]
fn compressed_hog_killed_mid_stream_continues_its_compressed_series_exactly() {
    let (_dir, file) = killed_mid_stream(&["-z"]);
    let r = Reader::open(&file).unwrap();
    // As hog -z: compressed series, no transactions series.
    assert!(r.binding("transactions").is_none());
    let seq = r.compressed("seq").unwrap();
    // Full batches, and the empty one begun after the last filled.
    let mut counts = vec![10_000; 100];
    counts.push(0);
    assert_eq!(seq.batch_counts().unwrap(), counts);
}

#[test]
fn hog_cat_and_ls_read_files_of_the_cpp_hog_and_of_fregion_h() {
    let golden = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/hobbes/fregion");
    let run = |args: &[&str]| {
        let out = hog().args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let file = |name: &str| golden.join(name).display().to_string();

    // A ManualCommit file of the C++ hog: transactions in time order.
    let (code, out, _) = run(&["cat", &file("local_default_VecTxn.log")]);
    assert_eq!(code, Some(0));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[1].ends_with("\"entries\":[]}"), "{}", lines[1]);
    let (_, csv, _) = run(&[
        "cat",
        &file("local_default_VecTxn.log"),
        "--series",
        "fill",
        "--format",
        "csv",
    ]);
    assert_eq!(csv, ".f0,.f1,.f2\n1,100,150.5\n3,7,12.25\n");

    // fregion.H's oldest-first batches, filtered by a datetime field.
    let (code, out, _) = run(&[
        "cat",
        &file("fregion_h_writer.db"),
        "--series",
        "recs",
        "--from",
        "1700000998000000",
        "--to",
        "2023-11-14T22:29:59Z",
    ]);
    assert_eq!(code, Some(0));
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("\"name\":\"rec998\""), "{out}");
    let (_, out, _) = run(&["cat", &file("fregion_h_writer.db"), "--series", "ints"]);
    let ints: Vec<i64> = out.lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(ints, (0..3500).map(|i| i * 3 - 7).collect::<Vec<_>>());

    // ls names every binding with its type and count.
    let (code, out, _) = run(&["ls", &file("local_default_VecAuto.log")]);
    assert_eq!(code, Some(0));
    assert!(out.contains("log "), "{out}");
    assert!(
        out.contains("fseq(int128, 10000)  (1 record in 1 batch, newest batch first)"),
        "{out}"
    );
    assert!(out.contains("statements"), "{out}");

    // Compressed series (the C++ hog -z) decode, every value of them.
    let (code, out, err) = run(&[
        "cat",
        &file("local_compressed_VecZ.log"),
        "--series",
        "z_pair",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let pairs: Vec<&str> = out.lines().collect();
    assert_eq!(pairs.len(), 12_000);
    assert_eq!(pairs[11_999], r#"{".f0":11999,".f1":2999.75}"#);
    let (_, out, _) = run(&["ls", &file("local_compressed_VecZ.log")]);
    assert!(
        out.contains("(12000 records in 2 compressed batches)"),
        "{out}"
    );
    // A file that is not a data file.
    let (code, _, err) = run(&["ls", &golden.join("../README.md").display().to_string()]);
    assert_eq!(code, Some(255));
    assert!(err.contains("not a fregion file"), "{err}");
}

/// The permission bits of `path`.
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn created_files_and_sockets_get_the_configured_permissions() {
    // (settings, files, directories, registration socket)
    let cases = [
        ("", 0o640, 0o750, 0o660),
        (
            "umask = \"0077\"\n[hstore]\nsocket_mode = \"0600\"\n",
            0o600,
            0o700,
            0o600,
        ),
    ];
    for (settings, file, dir, socket) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        let config = support::write(d, "hog.toml", settings);
        let running = Running::start(d, &["--config", config.to_str().unwrap()]);
        assert_eq!(mode(&d.join("hstore.G.sk")), socket, "{settings}");
        let mut producer = loadgen(d, &["1", "100"]);
        producer.finish();
        wait_until(30, "every record", || total(d) == 100);
        let stdout = running.stdout();
        running.stop();
        let stat = stdout
            .lines()
            .find_map(|l| Some(l.split_once("hog stat file : ")?.1))
            .unwrap_or_else(|| panic!("no stat file in {stdout}"));
        let data = &data_files(d)[0];
        let date_dir = data.parent().unwrap();
        for (path, want) in [
            (data.as_path(), file),
            (Path::new(stat), file),
            (d.join("hstore.G.lock").as_path(), file),
            (date_dir, dir),
            (date_dir.parent().unwrap(), dir),
        ] {
            assert_eq!(mode(path), want, "{} with {settings:?}", path.display());
        }
    }
}
