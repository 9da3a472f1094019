//! The export of several files into one output directory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use hog_core::fregion::{FileBytes, Reader};
use hog_core::types::{TimeOf, TimeRange};

use crate::progress::Progress;
use crate::shape::Shape;
use crate::source::{Order, Plan};
use crate::table::{output_path, Layout, Table, TYPE_KEY};
use crate::OutputFormat;

/// What to export, and where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// The data files, read in this order.
    pub files: Vec<PathBuf>,
    /// The output directory (created if missing).
    pub out: PathBuf,
    /// The kind of file written.
    pub format: OutputFormat,
    /// Only records with a time in this range.
    pub range: TimeRange,
    /// Draw a progress line on standard error if it is a terminal.
    pub progress: bool,
}

/// Why an export failed; no output file was completed after it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ExportError(pub String);

/// One output file written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// The statement.
    pub statement: String,
    /// The file.
    pub path: PathBuf,
    /// Its rows.
    pub rows: u64,
}

/// An input file, opened and planned.
struct Input {
    path: PathBuf,
    reader: Reader<FileBytes>,
    plan: Plan,
    times: Vec<Option<TimeOf>>,
}

/// A statement's output and the file that first defined it.
struct Output {
    statement: String,
    table: Table,
    first: PathBuf,
}

/// Exports `opts.files` into one file per statement in `opts.out`.
/// Every input is opened and its statements' types checked before anything
/// is written; records of the same statement in several files are
/// appended, in file order.
pub fn export(opts: &Options) -> Result<Vec<Exported>, ExportError> {
    let fail =
        |file: &Path, e: &dyn std::fmt::Display| ExportError(format!("{}: {e}", file.display()));
    let mut inputs = Vec::new();
    let mut total = 0;
    for path in &opts.files {
        let reader = Reader::open(path).map_err(|e| ExportError(e.to_string()))?;
        let plan = Plan::of(&reader).map_err(|e| fail(path, &e))?;
        total += plan.records(&reader).map_err(|e| fail(path, &e))?;
        let times = times(&plan, opts).map_err(|e| fail(path, &e))?;
        inputs.push(Input {
            path: path.clone(),
            reader,
            plan,
            times,
        });
    }
    std::fs::create_dir_all(&opts.out).map_err(|e| fail(&opts.out, &e))?;
    let mut outputs: Vec<Output> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut slots = Vec::new();
    for input in &inputs {
        let mut here = Vec::new();
        for s in &input.plan.statements {
            let what = |e: String| fail(&input.path, &format!("statement '{}': {e}", s.name));
            let txn = input.plan.order == Order::Transactions;
            let layout = Shape::of(&s.ty)
                .and_then(|shape| Layout::new(shape, &s.ty.to_string(), txn))
                .map_err(what)?;
            let slot = match by_name.get(&s.name) {
                Some(&i) => {
                    let known = outputs[i].table.layout();
                    if known.schema.fields() != layout.schema.fields() {
                        return Err(what(format!(
                            "its type {} does not agree with {} in {}",
                            s.ty,
                            known.schema.metadata()[TYPE_KEY],
                            outputs[i].first.display()
                        )));
                    }
                    i
                }
                None => {
                    let path = output_path(&opts.out, &s.name, opts.format).map_err(what)?;
                    let table = Table::create(&path, layout, opts.format).map_err(what)?;
                    outputs.push(Output {
                        statement: s.name.clone(),
                        table,
                        first: input.path.clone(),
                    });
                    by_name.insert(s.name.clone(), outputs.len() - 1);
                    outputs.len() - 1
                }
            };
            here.push(slot);
        }
        slots.push(here);
    }
    let range = opts.range;
    let mut progress = Progress::new(opts.progress, total);
    let (mut seq_base, mut txn_base) = (0, 0);
    for (input, slots) in inputs.iter().zip(&slots) {
        let plan = &input.plan;
        let extent = plan
            .rows(
                &input.reader,
                |i, mut at, v| {
                    if range.is_bounded() {
                        let time = match &input.times[i] {
                            Some(how) => how.time(v),
                            None => at.txn.map(|(_, t)| t),
                        };
                        if !range.holds(time) {
                            return Ok(());
                        }
                    }
                    at.seq += seq_base;
                    at.txn = at.txn.map(|(n, t)| (n + txn_base, t));
                    outputs[slots[i]]
                        .table
                        .push(at, v)
                        .map_err(|e| format!("statement '{}': {e}", plan.statements[i].name))
                },
                || progress.tick(),
            )
            .map_err(|e| fail(&input.path, &e))?;
        seq_base += extent.positions as i64;
        txn_base += extent.transactions as i64;
    }
    progress.finish();
    let mut done = Vec::new();
    for Output {
        statement, table, ..
    } in outputs
    {
        let rows = table.rows();
        let path = table
            .finish()
            .map_err(|e| ExportError(format!("statement '{statement}': {e}")))?;
        done.push(Exported {
            statement,
            path,
            rows,
        });
    }
    Ok(done)
}

/// For each statement of `plan`, where its records' time is; `None` where
/// the transaction's time applies (and everywhere when not filtering).
fn times(plan: &Plan, opts: &Options) -> Result<Vec<Option<TimeOf>>, String> {
    if !opts.range.is_bounded() {
        return Ok(vec![None; plan.statements.len()]);
    }
    plan.statements
        .iter()
        .map(|s| match plan.order {
            Order::Transactions => Ok(None),
            _ => TimeOf::of(&s.ty).map(Some).ok_or_else(|| {
                format!(
                    "statement '{}' ({}) has no datetime to filter on",
                    s.name, s.ty
                )
            }),
        })
        .collect()
}
