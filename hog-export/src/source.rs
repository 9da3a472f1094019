//! What a data file holds for export: its statements and their records in
//! time order, as `hog cat` presents them.
//!
//! A file with a `log` series (hog's AutoCommit groups, fregion.H's
//! `recordOrdering`) is read through it: each entry names a statement and
//! refers to its record. A file with a `transactions` series (ManualCommit
//! groups) is read transaction by transaction. Any other file (`hog -z`)
//! is read series by series.

use std::collections::HashMap;

use hog_core::fregion::layout::fileref_target;
use hog_core::fregion::{BindingKind, FileBytes, Reader};
use hog_core::types::{Type, Value};

use crate::table::Position;

/// Name of the series that orders every record of a file.
pub const LOG: &str = "log";
/// Name of the series of transactions of a ManualCommit file.
pub const TRANSACTIONS: &str = "transactions";

/// How a file orders its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// By its `log` series.
    Log,
    /// By its `transactions` series.
    Transactions,
    /// Each series by itself.
    Series,
}

/// A statement: its name and the type of its records.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Its name.
    pub name: String,
    /// The type of its records.
    pub ty: Type,
}

/// The statements of a file and how to read them in order.
#[derive(Debug, Clone)]
pub struct Plan {
    /// How the file orders its records.
    pub order: Order,
    /// Its statements.
    pub statements: Vec<Statement>,
    /// Statement index by constructor tag (log and transactions).
    by_tag: HashMap<u32, usize>,
}

impl Plan {
    /// Reads which statements `r` holds and how they are ordered.
    pub fn of(r: &Reader<FileBytes>) -> Result<Plan, String> {
        let order = if r.binding(LOG).is_some() {
            Order::Log
        } else if r.binding(TRANSACTIONS).is_some() {
            Order::Transactions
        } else {
            Order::Series
        };
        let ctors = match order {
            Order::Log => match elem(r, LOG)? {
                Type::Variant(ctors) => ctors,
                other => return Err(format!("'{LOG}' is a series of {other}, not of a variant")),
            },
            Order::Transactions => entries_type(&elem(r, TRANSACTIONS)?)?,
            Order::Series => return series_plan(r),
        };
        let statements = ctors
            .iter()
            .map(|c| Statement {
                name: c.name.clone(),
                ty: fileref_target(&c.ty).unwrap_or(&c.ty).clone(),
            })
            .collect();
        let by_tag = ctors.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
        Ok(Plan {
            order,
            statements,
            by_tag,
        })
    }

    /// Records to read: log entries, transactions, or series values.
    pub fn records(&self, r: &Reader<FileBytes>) -> Result<u64, String> {
        match self.order {
            Order::Log => series_len(r, LOG),
            Order::Transactions => series_len(r, TRANSACTIONS),
            Order::Series => self
                .statements
                .iter()
                .try_fold(0, |n, s| Ok(n + series_len(r, &s.name)?)),
        }
    }

    /// The statement of log or transaction entry `v`, and its record.
    fn entry<'v>(&self, v: &'v Value) -> Result<(usize, &'v Value), String> {
        match v {
            Value::Variant { tag, value, .. } => self
                .by_tag
                .get(tag)
                .map(|&i| (i, &**value))
                .ok_or_else(|| format!("entry tag {tag} names no statement")),
            _ => Err("an entry that is not a variant".to_string()),
        }
    }

    /// Calls `row` with each record in time order: its statement's index,
    /// its position and its value; `read` after each record read (a
    /// transaction counts as one). Returns how many positions and
    /// transactions the file's order has.
    pub fn rows(
        &self,
        r: &Reader<FileBytes>,
        mut row: impl FnMut(usize, Position, &Value) -> Result<(), String>,
        mut read: impl FnMut(),
    ) -> Result<Extent, String> {
        let mut extent = Extent::default();
        match self.order {
            Order::Log => {
                let series = r.series(LOG).map_err(|e| e.to_string())?;
                for item in series.iter() {
                    let (_, entry) = item.map_err(|e| format!("'{LOG}': {e}"))?;
                    let (i, v) = self.entry(&entry)?;
                    row(i, Position::at(extent.positions), v)?;
                    extent.positions += 1;
                    read();
                }
            }
            Order::Transactions => {
                for_each_transaction(r, |txn, time, entries| {
                    for entry in entries {
                        let (i, v) = self.entry(entry)?;
                        let at = Position {
                            seq: extent.positions as i64,
                            txn: Some((txn, time)),
                        };
                        row(i, at, v)?;
                        extent.positions += 1;
                    }
                    extent.transactions += 1;
                    read();
                    Ok(())
                })?;
            }
            Order::Series => {
                for (i, s) in self.statements.iter().enumerate() {
                    let values = r
                        .values(&s.name)
                        .map_err(|e| format!("'{}': {e}", s.name))?;
                    let mut n = 0;
                    for v in values {
                        let v = v.map_err(|e| format!("'{}': {e}", s.name))?;
                        row(i, Position::at(n), &v)?;
                        n += 1;
                        read();
                    }
                    extent.positions = extent.positions.max(n);
                }
            }
        }
        Ok(extent)
    }
}

/// How far a file's order reaches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Extent {
    /// Positions (log entries, transaction entries, longest series).
    pub positions: u64,
    /// Transactions.
    pub transactions: u64,
}

/// Every series and compressed series of `r`, in binding order.
fn series_plan(r: &Reader<FileBytes>) -> Result<Plan, String> {
    let mut statements = Vec::new();
    for b in r.bindings() {
        let ty = match r.kind(b).map_err(|e| e.to_string())? {
            BindingKind::Series(s) => s.elem,
            BindingKind::Compressed(c) => c.elem,
            BindingKind::Internal | BindingKind::Value(_) => continue,
        };
        statements.push(Statement {
            name: b.name.clone(),
            ty,
        });
    }
    Ok(Plan {
        order: Order::Series,
        statements,
        by_tag: HashMap::new(),
    })
}

/// The element type of series `name`.
fn elem(r: &Reader<FileBytes>, name: &str) -> Result<Type, String> {
    r.series(name)
        .map(|s| s.ty().elem.clone())
        .map_err(|e| e.to_string())
}

/// Values of series (or compressed series) `name`.
fn series_len(r: &Reader<FileBytes>, name: &str) -> Result<u64, String> {
    r.count(name).map_err(|e| format!("'{name}': {e}"))
}

/// The entry constructors of a transaction type
/// `{time:datetime, entries:[|…|]@?}`.
fn entries_type(ty: &Type) -> Result<Vec<hog_core::types::Ctor>, String> {
    let bad = || format!("'{TRANSACTIONS}' is a series of {ty}, not of {{time, entries}}");
    let Type::Struct(fields) = ty else {
        return Err(bad());
    };
    let entries = fields
        .iter()
        .find(|f| f.name == "entries")
        .ok_or_else(bad)?;
    match fileref_target(&entries.ty).unwrap_or(&entries.ty) {
        Type::Array(e) => match &**e {
            Type::Variant(ctors) => Ok(ctors.clone()),
            _ => Err(bad()),
        },
        _ => Err(bad()),
    }
}

/// Calls `each` with every transaction's number, time and entries.
fn for_each_transaction(
    r: &Reader<FileBytes>,
    mut each: impl FnMut(i64, i64, &[Value]) -> Result<(), String>,
) -> Result<(), String> {
    let series = r.series(TRANSACTIONS).map_err(|e| e.to_string())?;
    for (n, item) in series.iter().enumerate() {
        let (_, v) = item.map_err(|e| e.to_string())?;
        let Value::Record(fields) = &v else {
            return Err("a transaction that is not a record".into());
        };
        let field = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        let Some(Value::Long(time)) = field("time") else {
            return Err(format!("transaction {n} has no time"));
        };
        let entries = match field("entries") {
            Some(Value::Array(entries)) => entries.as_slice(),
            Some(Value::Unit) => &[],
            _ => return Err(format!("transaction {n} has no entries")),
        };
        each(n as i64, *time, entries)?;
    }
    Ok(())
}
