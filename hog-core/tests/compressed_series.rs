//! Compressed series beyond the single values of `round_trip`: models that
//! rebuild their tables many times, variants of more constructors than
//! hobbes' byte-sized tags, continuing the C++ hog's own `-z` file, and
//! malformed files refused with a reason, never a panic.

use std::path::{Path, PathBuf};

use hog_core::fregion::cseq::{cseq_type, CSeqAppender, CSeqPosition, Header, Resume};
use hog_core::fregion::{CSeqType, Reader, Writer};
use hog_core::types::{Ctor, Type, Value};

fn golden() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/hobbes/fregion/local_compressed_VecZ.log")
}

/// Writes `wires` (packed values of `wire`) into series `x`, batches of
/// `capacity`; closes the series if `close`. Returns the file's bytes.
fn write(path: &Path, wire: &Type, wires: &[Vec<u8>], capacity: u64, close: bool) -> Vec<u8> {
    let mut w = Writer::create(path, 4096).unwrap();
    let mut s = CSeqAppender::create(&mut w, "x", &cseq_type(wire, capacity).unwrap()).unwrap();
    for v in wires {
        s.append(&mut w, v).unwrap();
    }
    if close {
        s.finish(&mut w).unwrap();
    }
    w.finish().unwrap();
    std::fs::read(path).unwrap()
}

fn decode_all(bytes: Vec<u8>) -> Result<Vec<Value>, String> {
    let r = Reader::new(bytes).map_err(|e| e.to_string())?;
    let s = r.compressed("x").map_err(|e| e.to_string())?;
    s.iter().map(|v| v.map_err(|e| e.to_string())).collect()
}

#[test]
fn tables_rebuilt_many_times_still_decode_every_value() {
    // 200 000 bytes from shifting distributions: every leaf rebuilds its
    // table about a dozen times, across two batches.
    let values: Vec<u8> = (0..200_000u32)
        .map(|i| match (i / 30_000) % 3 {
            0 => (i % 7) as u8,
            1 => (i.wrapping_mul(2_654_435_761) >> 24) as u8,
            _ => 200 + (i % 3) as u8,
        })
        .collect();
    let wires: Vec<Vec<u8>> = values.iter().map(|&b| vec![b]).collect();
    let dir = tempfile::tempdir().unwrap();
    let bytes = write(
        &dir.path().join("b.db"),
        &Type::prim("byte"),
        &wires,
        150_000,
        true,
    );
    let back = decode_all(bytes).unwrap();
    assert_eq!(
        back,
        values.into_iter().map(Value::Byte).collect::<Vec<_>>()
    );
}

#[test]
fn enums_of_more_than_256_constructors_round_trip() {
    let ctors: Vec<Ctor> = (0..300)
        .map(|i| Ctor {
            name: format!("c{i}"),
            id: i,
            ty: Type::unit(),
        })
        .collect();
    let ty = Type::Variant(ctors);
    let tags: Vec<u32> = (0..5_000).map(|i| (i * 37) % 300).collect();
    let wires: Vec<Vec<u8>> = tags.iter().map(|t| t.to_le_bytes().to_vec()).collect();
    let dir = tempfile::tempdir().unwrap();
    let back = decode_all(write(&dir.path().join("e.db"), &ty, &wires, 1_000, false)).unwrap();
    let got: Vec<u32> = back
        .iter()
        .map(|v| match v {
            Value::Variant { tag, ctor, .. } => {
                assert_eq!(*ctor, format!("c{tag}"));
                *tag
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(got, tags);
}

#[test]
fn types_that_cannot_be_compressed_are_refused_with_a_reason() {
    let void = Type::Variant(vec![]);
    assert!(cseq_type(&void, 10)
        .unwrap_err()
        .to_string()
        .contains("0 constructors"));
    let odd = Type::prim("quaternion");
    assert!(cseq_type(&odd, 10)
        .unwrap_err()
        .to_string()
        .contains("quaternion"));
}

#[test]
fn the_cpp_hogs_open_batch_is_continued_and_ended() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("z.log");
    std::fs::copy(golden(), &path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut w = Writer::open(&path).unwrap();
    let b = w.binding("z_pair").unwrap().clone();
    let ty = CSeqType::of(b.ty.as_ref().unwrap()).unwrap().unwrap();
    let mut s = CSeqAppender::open(&mut w, b.offset, ty, Resume::Open).unwrap();
    for i in 12_000..12_500i32 {
        let mut v = i.to_le_bytes().to_vec();
        v.extend((f64::from(i) * 0.25).to_le_bytes());
        s.append(&mut w, &v).unwrap();
    }
    s.finish(&mut w).unwrap();
    w.finish().unwrap();
    let r = Reader::open(&path).unwrap();
    let pairs = r.compressed("z_pair").unwrap();
    assert_eq!(pairs.batch_counts().unwrap(), [10_000, 2_500]);
    for (i, v) in pairs.iter().enumerate() {
        let v = v.unwrap().to_json();
        assert_eq!(v[".f0"], i as i64);
        assert_eq!(v[".f1"], i as f64 * 0.25);
    }
    assert_eq!(r.compressed("z_str").unwrap().len().unwrap(), 300);
}

use std::os::unix::fs::PermissionsExt;

/// A small closed file of 30 `(int * [char])` values in batches of 10,
/// with the offset of its first batch header.
fn sample() -> (Vec<u8>, u64) {
    let wire = Type::Struct(vec![
        hog_core::types::Field {
            name: ".f0".into(),
            offset: 0,
            ty: Type::prim("int"),
        },
        hog_core::types::Field {
            name: ".f1".into(),
            offset: 8,
            ty: Type::Array(Box::new(Type::prim("char"))),
        },
    ]);
    let wires: Vec<Vec<u8>> = (0..30i32)
        .map(|i| {
            let mut v = i.to_le_bytes().to_vec();
            let s = format!("v{i}");
            v.extend((s.len() as u64).to_le_bytes());
            v.extend(s.as_bytes());
            v
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let bytes = write(&dir.path().join("s.db"), &wire, &wires, 10, true);
    let r = Reader::new(bytes.clone()).unwrap();
    let first = r.compressed("x").unwrap().batches()[0];
    (bytes, first)
}

fn put_u32(bytes: &mut [u8], at: u64, v: u32) {
    bytes[at as usize..at as usize + 4].copy_from_slice(&v.to_le_bytes());
}

fn put_u64(bytes: &mut [u8], at: u64, v: u64) {
    bytes[at as usize..at as usize + 8].copy_from_slice(&v.to_le_bytes());
}

fn get_u64(bytes: &[u8], at: u64) -> u64 {
    u64::from_le_bytes(bytes[at as usize..at as usize + 8].try_into().unwrap())
}

#[test]
fn malformed_headers_segments_and_models_are_refused() {
    let (bytes, batch) = sample();
    assert_eq!(decode_all(bytes.clone()).unwrap().len(), 30);
    let broken = |edit: &dyn Fn(&mut Vec<u8>)| {
        let mut b = bytes.clone();
        edit(&mut b);
        decode_all(b).unwrap_err()
    };
    let e = broken(&|b| put_u64(b, batch + 32, 11));
    assert!(e.contains("more than its capacity"), "{e}");
    let e = broken(&|b| put_u32(b, batch + 28, 40_000));
    assert!(e.contains("past its segment"), "{e}");
    let e = broken(&|b| put_u32(b, batch + 16, 0x1_0000));
    assert!(e.contains("coder state"), "{e}");
    let e = broken(&|b| put_u64(b, batch + 40, 0));
    assert!(e.contains("no bit segment"), "{e}");
    let e = broken(&|b| put_u64(b, batch + 40, u64::MAX - 8));
    assert!(e.contains("past the end"), "{e}");
    let e = broken(&|b| {
        let seg = get_u64(b, batch + 40);
        put_u64(b, seg + 4088, seg);
    });
    assert!(e.contains("cycle"), "{e}");
    let e = broken(&|b| {
        let end = b.len() as u64;
        put_u64(b, batch, end)
    });
    assert!(e.contains("initial model"), "{e}");
    let e = broken(&|b| {
        // A count no writer leaves: c says 1, nothing counted.
        let model = get_u64(b, batch);
        put_u32(b, model + 2048, 1);
    });
    assert!(e.contains("counts"), "{e}");
    let e = broken(&|b| {
        // Active counts beyond what the coder's 16-bit range can take.
        let model = get_u64(b, batch);
        put_u32(b, model + 1024, 60_000);
    });
    assert!(e.contains("total"), "{e}");
}

#[test]
fn model_types_that_do_not_fit_the_value_type_are_refused() {
    let int = Type::prim("int");
    let ty = cseq_type(&int, 10).unwrap();
    let Type::App(f, mut args) = ty else { panic!() };
    args[1] = hog_core::fregion::cseq::model_type(&Type::prim("long")).unwrap();
    let e = CSeqType::of(&Type::App(f, args))
        .unwrap()
        .unwrap_err()
        .to_string();
    assert!(e.contains("is not a compression model of int"), "{e}");
}

/// Every single-byte change to the C++ hog's file, and every truncation of
/// it, reads or fails cleanly.
#[test]
fn damaged_copies_of_the_cpp_hogs_file_never_panic() {
    let bytes = std::fs::read(golden()).unwrap();
    let r = Reader::new(bytes.clone()).unwrap();
    let ty = match r.kind(r.binding("z_rec").unwrap()).unwrap() {
        hog_core::fregion::BindingKind::Compressed(t) => t,
        _ => panic!(),
    };
    let batch = r.compressed("z_rec").unwrap().batches()[0];
    let h = Header::read(&bytes, &ty, batch).unwrap();
    // The header, the start of the bits and of the models, in steps.
    let mut spots: Vec<u64> = (batch..batch + 48).collect();
    spots.extend((h.head..h.head + 512).step_by(8));
    spots.extend((h.init_model..h.init_model + 20_000).step_by(499));
    let read_all = |b: Vec<u8>| {
        if let Ok(r) = Reader::new(b) {
            if let Ok(s) = r.compressed("z_rec") {
                let _ = s.len();
                for v in s.iter() {
                    if v.is_err() {
                        break;
                    }
                }
            }
        }
    };
    for &at in &spots {
        for x in [0x01u8, 0xFF] {
            let mut b = bytes.clone();
            b[at as usize] ^= x;
            read_all(b);
        }
    }
    for len in (0..bytes.len()).step_by(bytes.len() / 50) {
        read_all(bytes[..len].to_vec());
    }
}

/// A file whose last batch holds `n` values of `long` 0.., plus the coded
/// bits and coder state of one more value that was never counted: what a
/// writer killed inside a value leaves (hobbes stores its coder state with
/// every symbol, the count once per value).
fn killed_inside_a_value(path: &Path, n: i64) -> u64 {
    let mut w = Writer::create(path, 4096).unwrap();
    let ty = cseq_type(&Type::prim("long"), 10_000).unwrap();
    let mut s = CSeqAppender::create(&mut w, "x", &ty).unwrap();
    for v in 0..=n {
        s.append(&mut w, &(v * 1_000_003).to_le_bytes()).unwrap();
    }
    let r = Reader::new(w.bytes().to_vec()).unwrap();
    let batch = *r.compressed("x").unwrap().batches().last().unwrap();
    w.publish_u64(batch + 32, (n % 10_000) as u64);
    w.finish().unwrap();
    batch
}

#[test]
fn a_writer_killed_inside_a_value_is_continued_after_its_last_whole_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.db");
    killed_inside_a_value(&path, 12_345);
    let mut w = Writer::open(&path).unwrap();
    let b = w.binding("x").unwrap().clone();
    let ty = CSeqType::of(b.ty.as_ref().unwrap()).unwrap().unwrap();
    let mut s = CSeqAppender::open(&mut w, b.offset, ty, Resume::Open).unwrap();
    for v in 12_345..12_400i64 {
        s.append(&mut w, &(v * 1_000_003).to_le_bytes()).unwrap();
    }
    s.finish(&mut w).unwrap();
    w.finish().unwrap();
    let back = decode_all(std::fs::read(&path).unwrap()).unwrap();
    let want: Vec<Value> = (0..12_400i64).map(|v| Value::Long(v * 1_000_003)).collect();
    assert_eq!(back, want);
}

#[test]
fn a_position_that_is_not_where_values_end_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let mut w = Writer::create(&path, 4096).unwrap();
    let ty = cseq_type(&Type::prim("long"), 100).unwrap();
    let mut s = CSeqAppender::create(&mut w, "x", &ty).unwrap();
    for v in 0..150i64 {
        s.append(&mut w, &v.to_le_bytes()).unwrap();
    }
    let good = s.position();
    let before = w.bytes().to_vec();
    for bad in [
        CSeqPosition {
            bit: good.bit + 1,
            ..good
        },
        CSeqPosition {
            low: good.low ^ 1,
            ..good
        },
        CSeqPosition {
            count: good.count - 1,
            ..good
        },
        CSeqPosition {
            node: good.node + 8,
            ..good
        },
    ] {
        let e = s.restore(&mut w, bad).unwrap_err().to_string();
        assert!(e.contains("cannot restore"), "{e}");
        assert!(w.bytes() == before.as_slice(), "the file is unchanged");
    }
    s.restore(&mut w, good).unwrap();
    s.finish(&mut w).unwrap();
    w.finish().unwrap();
    let back = decode_all(std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(back, (0..150).map(Value::Long).collect::<Vec<_>>());
}

/// Our encoder writes hobbes' bits: every batch of the C++ hog's file,
/// decoded and coded again, gives back exactly the bits it holds and the
/// coder state its header stores (for the batch hobbes ended, that state
/// followed by the ending bits).
#[test]
fn coding_the_cpp_hogs_values_again_gives_its_bits_exactly() {
    let bytes = std::fs::read(golden()).unwrap();
    let r = Reader::new(bytes.as_slice()).unwrap();
    let (mut open, mut ended) = (0, 0);
    for name in ["z_pair", "z_str", "z_rec", "z_packed"] {
        let s = r.compressed(name).unwrap();
        for (i, &b) in s.batches().iter().enumerate() {
            let h = Header::read(&bytes, s.ty(), b).unwrap();
            let again = hog_core::fregion::cseq::replay(&bytes, s.ty(), b, h.count, None)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let end = (again.segments.len() as u64 - 1) * 32_704 + u64::from(h.bit_index);
            if i + 1 == s.batches().len() {
                // hobbes leaves the last batch open.
                assert_eq!((again.coder, again.bits), (h.coder, end), "{name}");
                open += 1;
            } else {
                // Ended: one decided bit and roll + 1 opposite ones follow.
                assert_eq!(again.bits + 2 + u64::from(again.coder.roll), end, "{name}");
                assert_eq!(h.coder.roll, 0, "{name}");
                ended += 1;
            }
        }
    }
    assert_eq!((open, ended), (4, 1));
}

#[test]
fn a_malformed_value_fails_part_way_and_the_series_continues_once_restored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.db");
    let wire = Type::Array(Box::new(Type::prim("char")));
    let string = |s: &str| [(s.len() as u64).to_le_bytes().to_vec(), s.into()].concat();
    let mut w = Writer::create(&path, 4096).unwrap();
    let mut s = CSeqAppender::create(&mut w, "x", &cseq_type(&wire, 1_000).unwrap()).unwrap();
    for i in 0..50 {
        s.append(&mut w, &string(&format!("v{i}"))).unwrap();
    }
    let pos = s.position();
    // Announces 9 characters, holds 3: fails after coding some symbols.
    let short = [9u64.to_le_bytes().to_vec(), b"abc".to_vec()].concat();
    let e = s.append(&mut w, &short).unwrap_err().to_string();
    assert!(e.contains("longer than its record"), "{e}");
    let e = s.append(&mut w, &string("next")).unwrap_err().to_string();
    assert!(e.contains("must be restored"), "{e}");
    s.restore(&mut w, pos).unwrap();
    for i in 50..100 {
        s.append(&mut w, &string(&format!("v{i}"))).unwrap();
    }
    s.finish(&mut w).unwrap();
    w.finish().unwrap();
    let back = decode_all(std::fs::read(&path).unwrap()).unwrap();
    let want: Vec<Value> = (0..100)
        .map(|i| Value::Chars {
            bytes: format!("v{i}").into_bytes(),
            fixed: false,
        })
        .collect();
    assert_eq!(back, want);
}
