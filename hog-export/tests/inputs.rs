//! The export of hostile and several inputs: a truncated or corrupted
//! file is an error naming it, never a panic, and leaves no output under a
//! final name (earlier complete outputs stay as they were); files whose
//! statements agree append in order, and a statement whose type differs
//! between files is an error naming both.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::{Array, Int64Array};
use hog_core::fregion::{Reader, SeriesAppender, Writer};
use hog_core::types::Type;
use hog_export::{export, Options, OutputFormat};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/hobbes/fregion")
        .join(name)
}

fn options(files: &[&Path], out: &Path) -> Options {
    Options {
        files: files.iter().map(|f| f.to_path_buf()).collect(),
        out: out.to_path_buf(),
        ..Options::default()
    }
}

/// The names in `dir` (none if it does not exist), sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Column `name` of a Parquet file, as i64 values.
fn int64_column(path: &Path, name: &str) -> Vec<i64> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let mut values = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let column = batch.column_by_name(name).unwrap();
        let ints = column.as_any().downcast_ref::<Int64Array>().unwrap();
        values.extend(ints.values().iter().copied());
    }
    values
}

#[test]
fn a_truncated_file_is_an_error_naming_it_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(golden("local_default_VecAuto.log")).unwrap();
    let file = dir.path().join("cut.log");
    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    let out = dir.path().join("out");
    let e = export(&options(&[&file], &out)).unwrap_err().to_string();
    assert!(e.contains(&file.display().to_string()), "{e}");
    assert_eq!(listing(&out), Vec::<String>::new());
}

#[test]
fn a_bad_entry_midway_leaves_earlier_outputs_untouched_and_no_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let source = golden("local_default_VecAuto.log");
    export(&options(&[&source], &out)).unwrap();
    let before = std::fs::read(out.join("t_bool.parquet")).unwrap();
    let complete = listing(&out);
    assert_eq!(complete.len(), 40);

    // The tag of log entry 100 names no statement.
    let mut bytes = std::fs::read(&source).unwrap();
    let at = Reader::new(bytes.clone())
        .unwrap()
        .series("log")
        .unwrap()
        .iter()
        .nth(100)
        .unwrap()
        .unwrap()
        .0 as usize;
    bytes[at..at + 4].copy_from_slice(&0xBAD_u32.to_le_bytes());
    let file = dir.path().join("bad.log");
    std::fs::write(&file, &bytes).unwrap();
    let e = export(&options(&[&file], &out)).unwrap_err().to_string();
    assert!(e.contains(&file.display().to_string()), "{e}");
    assert!(e.contains("variant tag 2989 names no constructor"), "{e}");
    assert_eq!(listing(&out), complete, "no partial file is left");
    assert_eq!(std::fs::read(out.join("t_bool.parquet")).unwrap(), before);
}

#[test]
fn corrupted_bytes_anywhere_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let source = std::fs::read(golden("fregion_h_writer.db")).unwrap();
    let file = dir.path().join("f.db");
    let out = dir.path().join("out");
    let (mut failed, mut state) = (0, 0x9E37_79B9_7F4A_7C15_u64);
    for _ in 0..48 {
        let mut bytes = source.clone();
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state % bytes.len() as u64) as usize;
            bytes[at] ^= (state >> 56) as u8 | 1;
        }
        std::fs::write(&file, &bytes).unwrap();
        if export(&options(&[&file], &out)).is_err() {
            failed += 1;
            assert!(listing(&out).iter().all(|n| !n.ends_with(".part")));
        }
    }
    // Some flips land in unused space, some are caught; none panicked.
    assert!(failed > 0 && failed < 48, "{failed} of 48 failed");
}

#[test]
fn several_files_append_in_order_with_positions_continuing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (a, b) = (
        golden("local_default_VecAuto.log"),
        golden("local_consolidated_VecAuto.log"),
    );
    let done = export(&options(&[&a, &b], &out)).unwrap();
    let t_bool = done.iter().find(|d| d.statement == "t_bool").unwrap();
    assert_eq!(t_bool.rows, 2 + 4);
    // t_bool is log entries 0 and 1 of each run; the default file's log
    // has 648 entries, each consolidated run 648.
    assert_eq!(
        int64_column(&out.join("t_bool.parquet"), "_seq"),
        [0, 1, 648, 649, 1296, 1297]
    );
}

/// A file with one series, `ints`, of `long`s.
fn longs_named_ints(path: &Path) {
    let mut w = Writer::create(path, 4096).unwrap();
    let mut s = SeriesAppender::create(&mut w, "ints", &Type::prim("long"), 10).unwrap();
    for v in 0..3i64 {
        let slot = s.next_slot(&mut w).unwrap();
        w.write(slot, &v.to_le_bytes());
        s.publish(&mut w);
    }
    w.finish().unwrap();
}

#[test]
fn a_statement_whose_type_differs_between_files_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mine = dir.path().join("longs.db");
    longs_named_ints(&mine);
    let out = dir.path().join("out");
    let first = golden("fregion_h_writer.db");
    let e = export(&options(&[&first, &mine], &out))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!(
            "{}: statement 'ints': its type long does not agree with int in {}",
            mine.display(),
            first.display()
        )
    );
    assert_eq!(listing(&out), Vec::<String>::new());
    // Alone, it exports: three rows in Arrow IPC.
    let mut opts = options(&[&mine], &out);
    opts.format = OutputFormat::Arrow;
    let done = export(&opts).unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(
        (done[0].rows, done[0].path.clone()),
        (3, out.join("ints.arrow"))
    );
    let reader =
        arrow_ipc::reader::FileReader::try_new(File::open(&done[0].path).unwrap(), None).unwrap();
    let batch = reader.into_iter().next().unwrap().unwrap();
    let values = batch.column_by_name("value").unwrap();
    let values = values.as_any().downcast_ref::<Int64Array>().unwrap();
    assert_eq!((values.len(), values.values().to_vec()), (3, vec![0, 1, 2]));
}
