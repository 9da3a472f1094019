//! Statements are declared once, before any ring exists, and records are
//! checked against their declaration: ids follow declaration order, the
//! table records each statement's name, flags, format, file and line, and
//! a record logged with another argument list than its statement's is
//! refused loudly rather than written undecodable.

mod support;

use hog_core::hstore::Region;
use hog_producer::{group, CommitMethod, Declaration, Group, Qos, StatementId};
use support::{fresh_dir, remove_region};

group! {
    /// A group whose table we inspect.
    pub static DECLARED: Declared = Group::new("Declared", 10, Qos::Unreliable, CommitMethod::Auto)
        .with_store_dir(fresh_dir());

    fn zeta(a: i32);
    /// An HLOG statement.
    #[hlog("$0 and $1")]
    fn alpha(a: &str, #[named] b: f64);
    #[name = "renamed.stmt"]
    #[named]
    fn middle(x: i8, y: u8);
}

fn line_of(needle: &str) -> u32 {
    let source = include_str!("statements_are_declared_once.rs");
    source.lines().position(|l| l.contains(needle)).unwrap() as u32 + 1
}

#[test]
fn the_table_lists_declarations_with_their_source_lines() {
    assert!(DECLARED.zeta(1));
    let name = DECLARED.thread_region_name();
    let region = Region::attach(&name).unwrap();
    let table: Vec<_> = region
        .meta()
        .statements
        .iter()
        .map(|s| {
            let ty = region.meta().table.get(s.id).unwrap().ty.to_string();
            (
                s.name.to_string(),
                s.id,
                s.flags,
                s.format.to_string(),
                s.line,
                ty,
            )
        })
        .collect();
    assert_eq!(
        table,
        [
            (
                "alpha".into(),
                1,
                1,
                "$0 and $1".into(),
                line_of("fn alpha("),
                "{field0:[char], b:double}".into()
            ),
            (
                "renamed.stmt".into(),
                2,
                0,
                "".into(),
                line_of("fn middle("),
                "{x:byte, y:byte}".into()
            ),
            (
                "zeta".into(),
                0,
                0,
                "".into(),
                line_of("fn zeta("),
                "int".into()
            ),
        ]
    );
    assert!(region
        .meta()
        .statements
        .iter()
        .all(|s| s.file.as_str() == file!()));
    remove_region(&name);
}

#[test]
fn declaring_a_name_again_is_the_same_statement_or_an_error() {
    let mut g = Group::new("Again", 10, Qos::Unreliable, CommitMethod::Auto);
    let a = g.declare(Declaration::of::<(i64,)>("a", &[]));
    let b = g.declare(Declaration::of::<(f64,)>("b", &[]));
    assert_eq!((a, b), (StatementId(0), StatementId(1)));
    assert_eq!(
        g.declare(Declaration::of::<(i64,)>("a", &[]).at("elsewhere.rs", 1)),
        a
    );
    let clash = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        g.declare(Declaration::of::<(i32,)>("a", &[]))
    }));
    assert!(clash.is_err(), "same name, other type");
}

#[test]
fn a_record_must_match_its_declaration() {
    let mut g =
        Group::new("Checked", 10, Qos::Unreliable, CommitMethod::Auto).with_store_dir(fresh_dir());
    let seq = g.declare(Declaration::of::<(i64,)>("seq", &[]));
    let mut w = g.writer().unwrap();
    // Checked at the statement's first record in each writer.
    let wrong = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        w.log(seq, &(1i32,));
    }));
    assert!(wrong.is_err(), "an int for a long");
    assert!(w.log(seq, &(1i64,)));
    let unknown = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        w.record(StatementId(7), &[0; 8]);
    }));
    assert!(unknown.is_err(), "no statement 7");
    remove_region(&g.thread_region_name());
}
