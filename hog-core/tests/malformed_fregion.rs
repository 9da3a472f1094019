//! Untrusted fregion files are validated completely: every malformed
//! header, page table, environment record, offset, batch and list is an
//! error naming what is wrong, never a panic or an out-of-bounds read.

use hog_core::fregion::{layout, Reader, SeriesAppender, Writer};
use hog_core::types::Type;

/// A small valid file: page size `page`, an `int` series `ints` with
/// `n` values, a string binding `s`; returns its bytes and the offsets of
/// the series root and of the string's reference.
fn sample(page: u64, n: i32) -> (Vec<u8>, u64, u64) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.db");
    let mut w = Writer::create(&path, page).unwrap();
    let mut s = SeriesAppender::create(&mut w, "ints", &Type::prim("int"), 100).unwrap();
    for i in 0..n {
        let slot = s.next_slot(&mut w).unwrap();
        w.write(slot, &i.to_le_bytes());
        s.publish(&mut w);
    }
    let block = w.alloc(8 + 5, 8).unwrap();
    w.write_u64(block, 5);
    w.write(block + 8, b"hello");
    let cell = w.alloc(8, 8).unwrap();
    w.write_u64(cell, block);
    let ty = layout::fileref(Type::Array(Box::new(Type::prim("char"))));
    w.bind("s", &ty.encode(), cell).unwrap();
    let root = s.root();
    w.finish().unwrap();
    (std::fs::read(&path).unwrap(), root, cell)
}

fn open_err(bytes: Vec<u8>) -> String {
    match Reader::new(bytes) {
        Ok(_) => panic!("a malformed file was accepted"),
        Err(e) => e.to_string(),
    }
}

fn put_u64(bytes: &mut [u8], at: u64, v: u64) {
    bytes[at as usize..at as usize + 8].copy_from_slice(&v.to_le_bytes());
}

fn get_u64(bytes: &[u8], at: u64) -> u64 {
    u64::from_le_bytes(bytes[at as usize..at as usize + 8].try_into().unwrap())
}

#[test]
fn the_sample_is_valid() {
    let (bytes, _, _) = sample(4096, 250);
    let r = Reader::new(bytes).unwrap();
    let s = r.series("ints").unwrap();
    assert_eq!(s.len().unwrap(), 250);
    assert_eq!(s.batch_counts_in_list_order().unwrap(), [50, 100, 100]);
    let b = r.binding("s").unwrap();
    assert_eq!(r.value(b).unwrap().to_json(), "hello");
}

#[test]
fn truncated_header_bad_magic_version_and_page_size_are_refused() {
    let (bytes, _, _) = sample(4096, 1);
    assert!(open_err(bytes[..5].to_vec()).contains("too short"));
    assert!(open_err(Vec::new()).contains("too short"));
    let mut b = bytes.clone();
    b[0] ^= 0xff;
    assert!(open_err(b).contains("bad magic"));
    let mut b = bytes.clone();
    b[6] = 1;
    assert!(open_err(b).contains("version 1 is not supported"));
    let mut b = bytes.clone();
    b[4..6].copy_from_slice(&100u16.to_le_bytes());
    assert!(open_err(b).contains("page size 100"));
    let mut b = bytes.clone();
    b[4..6].copy_from_slice(&4095u16.to_le_bytes());
    assert!(open_err(b).contains("page size 4095"));
    let mut b = bytes.clone();
    b.extend_from_slice(&[0; 10]);
    assert!(open_err(b).contains("whole number"));
    // Truncated by a page: the table describes pages that are not there.
    let b = bytes[..bytes.len() - 4096].to_vec();
    assert!(open_err(b).contains("more pages than"));
}

#[test]
fn page_table_links_that_are_zero_cyclic_or_out_of_range_are_refused() {
    // 256-byte pages: page 0 holds 120 descriptors, so a file of a few
    // hundred pages has a chain of table pages.
    let (bytes, _, _) = sample(256, 13_000);
    let r = Reader::new(bytes.clone()).unwrap();
    let toc = r.page_table().toc_pages.clone();
    assert!(toc.len() >= 3, "a chain of table pages: {toc:?}");
    let link = |page: u64| page * 256 + 256 - 8;

    let mut b = bytes.clone();
    put_u64(&mut b, link(0), 0);
    assert!(open_err(b).contains("links to no next page"));
    let mut b = bytes.clone();
    put_u64(&mut b, link(0), 0xFFFF_FFFF);
    assert!(open_err(b).contains("past the last page"));
    let mut b = bytes.clone();
    put_u64(&mut b, link(toc[1]), toc[1]);
    assert!(open_err(b).contains("cycle"));
    let mut b = bytes.clone();
    put_u64(&mut b, link(toc[1]), 0);
    assert!(open_err(b).contains("links to no next page"));
    // A link to a page that is not a table page.
    let mut b = bytes.clone();
    put_u64(&mut b, link(0), 1);
    let e = open_err(b);
    assert!(
        e.contains("not described as a table page") || e.contains("more pages than"),
        "{e}"
    );
    // Page 0 not described as a table page.
    let mut b = bytes.clone();
    b[8..10].copy_from_slice(&0xC000u16.to_le_bytes());
    assert!(open_err(b).contains("not described as a table page"));
}

#[test]
fn environment_records_past_their_page_or_the_file_are_refused() {
    let (bytes, _, _) = sample(4096, 1);
    let r = Reader::new(bytes.clone()).unwrap();
    let za = r.binding(".za").unwrap().record_at;
    let env_page = za / 4096;
    let desc = |p: u64| 8 + 2 * p as usize;

    // A name length larger than what is left of the file.
    let mut b = bytes.clone();
    put_u64(&mut b, za + 8, u64::MAX - 3);
    assert!(open_err(b).contains("exceeds"));
    // The page says fewer bytes are used than its records take.
    let mut b = bytes.clone();
    let used =
        4096 - u64::from(u16::from_le_bytes([b[desc(env_page)], b[desc(env_page) + 1]]) & 0x3FFF);
    let d = 0x8000u16 | (4096 - (used - 3)) as u16;
    b[desc(env_page)..desc(env_page) + 2].copy_from_slice(&d.to_le_bytes());
    assert!(open_err(b).contains("runs past the used bytes"), "{}", {
        let mut b = bytes.clone();
        b[desc(env_page)..desc(env_page) + 2].copy_from_slice(&d.to_le_bytes());
        open_err(b)
    });
    // A record's type length that runs it into the next page.
    let mut b = bytes.clone();
    let name_len = get_u64(&b, za + 8);
    put_u64(&mut b, za + 16 + name_len, 3000);
    let e = open_err(b);
    assert!(
        e.contains("not an environment page") || e.contains("past the used bytes"),
        "{e}"
    );
    // A malformed type description.
    let mut b = bytes.clone();
    let s = r.binding("s").unwrap().record_at;
    let type_at = s + 16 + 1 + 8;
    b[type_at as usize] = 99;
    assert!(open_err(b).contains("type description"));
    // The same name twice.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.db");
    let mut w = Writer::create(&path, 4096).unwrap();
    let cell = w.alloc(4, 4).unwrap();
    w.bind("ab", &Type::prim("int").encode(), cell).unwrap();
    w.bind("cd", &Type::prim("int").encode(), cell).unwrap();
    w.finish().unwrap();
    let mut b = std::fs::read(&path).unwrap();
    let at = Reader::new(b.clone())
        .unwrap()
        .binding("cd")
        .unwrap()
        .record_at;
    b[at as usize + 16..at as usize + 18].copy_from_slice(b"ab");
    assert!(open_err(b).contains("'ab' is bound twice"));
}

#[test]
fn offsets_past_the_end_batch_counts_over_capacity_and_list_cycles_are_refused() {
    let (bytes, root, cell) = sample(4096, 150);
    let len = bytes.len() as u64;
    let series_err = |b: Vec<u8>| -> String {
        let r = Reader::new(b).unwrap();
        let s = match r.series("ints") {
            Err(e) => return e.to_string(),
            Ok(s) => s,
        };
        if let Err(e) = s.len() {
            return e.to_string();
        }
        match s.iter().find_map(Result::err) {
            Some(e) => e.to_string(),
            None => panic!("a malformed series was read"),
        }
    };
    // The root cell points past the end.
    let mut b = bytes.clone();
    put_u64(&mut b, root, len - 8);
    assert!(series_err(b).contains("past the end"));
    let node = get_u64(&bytes, root);
    // A batch reference past the end.
    let mut b = bytes.clone();
    put_u64(&mut b, node + 8, len + 4096);
    assert!(series_err(b).contains("past the end"));
    // A batch holding more than its capacity.
    let batch = get_u64(&bytes, node + 8);
    let mut b = bytes.clone();
    put_u64(&mut b, batch, 101);
    assert!(series_err(b).contains("more than its capacity"));
    // A node tag that is neither nil nor cons.
    let mut b = bytes.clone();
    put_u64(&mut b, node, 7);
    assert!(series_err(b).contains("neither nil nor cons"));
    // A list that loops back to its head.
    let mut b = bytes.clone();
    let next = get_u64(&bytes, node + 16);
    put_u64(&mut b, next + 16, node);
    assert!(series_err(b).contains("cycle"));

    // A string reference and a string length past the end.
    let value_err = |b: Vec<u8>| -> String {
        let r = Reader::new(b).unwrap();
        let binding = r.binding("s").unwrap();
        r.value(binding).unwrap_err().to_string()
    };
    let mut b = bytes.clone();
    put_u64(&mut b, cell, len - 4);
    assert!(value_err(b).contains("past the end"));
    let block = get_u64(&bytes, cell);
    let mut b = bytes.clone();
    put_u64(&mut b, block, u64::MAX / 2);
    assert!(value_err(b).contains("does not fit"));
    // A null reference reads as unit.
    let mut b = bytes.clone();
    put_u64(&mut b, cell, 0);
    let r = Reader::new(b).unwrap();
    assert_eq!(
        r.value(r.binding("s").unwrap()).unwrap().to_json(),
        serde_json::Value::Null
    );
}

#[test]
fn unknown_variant_tags_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    let mut w = Writer::create(&path, 4096).unwrap();
    let enum_ty = Type::Variant(vec![
        hog_core::types::Ctor {
            name: "A".into(),
            id: 0,
            ty: Type::unit(),
        },
        hog_core::types::Ctor {
            name: "B".into(),
            id: 5,
            ty: Type::unit(),
        },
    ]);
    let cell = w.alloc(4, 4).unwrap();
    w.write_u32(cell, 3);
    w.bind("e", &enum_ty.encode(), cell).unwrap();
    w.finish().unwrap();
    let r = Reader::open(&path).unwrap();
    let e = r.value(r.binding("e").unwrap()).unwrap_err();
    assert!(e.what.contains("tag 3 names no constructor"), "{e}");
}
