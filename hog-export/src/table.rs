//! One statement's output: its rows buffered as Arrow columns up to a row
//! group, written to a temporary file that is renamed into place once
//! complete.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{Int64Builder, TimestampMicrosecondBuilder};
use arrow_array::{ArrayRef, RecordBatch, StructArray};
use arrow_ipc::writer::FileWriter;
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use hog_core::types::Value;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use crate::column::Column;
use crate::shape::{unique, Shape};
use crate::OutputFormat;

/// Rows buffered before they are written as a row group (or IPC batch).
pub const GROUP_ROWS: usize = 64 * 1024;
/// Bytes (about) buffered before the rows are written.
pub const GROUP_BYTES: usize = 16 << 20;
/// The position of a row in its file's time order.
pub const SEQ: &str = "_seq";
/// The transaction number of a row (transaction-ordered files).
pub const TXN: &str = "_txn";
/// The receive time of a row's transaction (transaction-ordered files).
pub const TXN_TIME: &str = "_txn_time";
/// Schema metadata: how the statement's value is laid out in the columns
/// (`record`, `variant` or `value`).
pub const SHAPE_KEY: &str = "hog.shape";
/// Schema metadata: the statement's hobbes type.
pub const TYPE_KEY: &str = "hog.type";
/// Name of the one value column of statements that are not records.
pub const VALUE: &str = "value";

/// Where a row sits in its file's time order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Its place in the time order.
    pub seq: i64,
    /// Its transaction's number and time, in transaction-ordered files.
    pub txn: Option<(i64, i64)>,
}

impl Position {
    /// Position `seq` of a file without transactions.
    pub fn at(seq: u64) -> Position {
        Position {
            seq: seq as i64,
            txn: None,
        }
    }
}

/// The columns of a statement: what they are and how to fill them.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// The schema written.
    pub schema: SchemaRef,
    shape: Shape,
    flat: bool,
    txn: bool,
}

impl Layout {
    /// The columns of a statement of `shape` and hobbes type `ty`, with
    /// transaction columns if `txn`. A record's fields (a variant's columns)
    /// become top-level columns; another value is one column, `value`.
    pub fn new(shape: Shape, ty: &str, txn: bool) -> Result<Layout, String> {
        let mut fields = vec![Field::new(SEQ, DataType::Int64, false)];
        if txn {
            fields.push(Field::new(TXN, DataType::Int64, false));
            fields.push(Field::new(
                TXN_TIME,
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                false,
            ));
        }
        let (kind, flat) = match shape {
            Shape::Record(_) => ("record", true),
            Shape::Variant(_) => ("variant", true),
            _ => ("value", false),
        };
        if flat {
            fields.extend(shape.children().iter().map(|f| f.as_ref().clone()));
        } else {
            fields.push(shape.field(VALUE));
        }
        unique(fields.iter().map(|f| f.name().as_str()), "column")?;
        let metadata = HashMap::from([
            (SHAPE_KEY.to_string(), kind.to_string()),
            (TYPE_KEY.to_string(), ty.to_string()),
        ]);
        Ok(Layout {
            schema: Arc::new(Schema::new_with_metadata(fields, metadata)),
            shape,
            flat,
            txn,
        })
    }
}

/// Where a table's batches go.
enum Sink {
    Parquet(ArrowWriter<File>),
    Arrow(FileWriter<File>),
}

/// A statement's output file being written.
pub struct Table {
    layout: Layout,
    seq: Int64Builder,
    txn: Int64Builder,
    txn_time: TimestampMicrosecondBuilder,
    value: Column,
    rows: usize,
    bytes: usize,
    written: u64,
    sink: Option<Sink>,
    part: PathBuf,
    path: PathBuf,
}

impl Table {
    /// Starts writing `path` (as a hidden temporary file beside it).
    pub fn create(path: &Path, layout: Layout, format: OutputFormat) -> Result<Table, String> {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let part = path.with_file_name(format!(".{name}.part"));
        let file = File::create(&part).map_err(|e| format!("{}: {e}", part.display()))?;
        let schema = layout.schema.clone();
        let sink = match format {
            OutputFormat::Parquet => {
                let props = parquet_properties(&schema);
                Sink::Parquet(
                    ArrowWriter::try_new(file, schema, Some(props)).map_err(|e| e.to_string())?,
                )
            }
            OutputFormat::Arrow => {
                Sink::Arrow(FileWriter::try_new(file, &schema).map_err(|e| e.to_string())?)
            }
        };
        let value = Column::new(&layout.shape);
        Ok(Table {
            txn_time: TimestampMicrosecondBuilder::new().with_timezone("UTC"),
            layout,
            seq: Int64Builder::new(),
            txn: Int64Builder::new(),
            value,
            rows: 0,
            bytes: 0,
            written: 0,
            sink: Some(sink),
            part,
            path: path.to_path_buf(),
        })
    }

    /// The columns written.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Rows written or buffered so far.
    pub fn rows(&self) -> u64 {
        self.written + self.rows as u64
    }

    /// Adds a row; writes a row group when enough are buffered.
    pub fn push(&mut self, at: Position, v: &Value) -> Result<(), String> {
        self.bytes += self.value.append(v)? + 8;
        self.seq.append_value(at.seq);
        if self.layout.txn {
            let (n, time) = at.txn.ok_or("a row without a transaction")?;
            self.txn.append_value(n);
            self.txn_time.append_value(time);
        }
        self.rows += 1;
        if self.rows >= GROUP_ROWS || self.bytes >= GROUP_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the buffered rows as a row group.
    fn flush(&mut self) -> Result<(), String> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut columns: Vec<ArrayRef> = vec![Arc::new(self.seq.finish())];
        if self.layout.txn {
            columns.push(Arc::new(self.txn.finish()));
            columns.push(Arc::new(self.txn_time.finish()));
        }
        let value = self.value.finish()?;
        if self.layout.flat {
            let s = value
                .as_any()
                .downcast_ref::<StructArray>()
                .ok_or("a record column that is not a struct")?;
            columns.extend(s.columns().iter().cloned());
        } else {
            columns.push(value);
        }
        let batch =
            RecordBatch::try_new(self.layout.schema.clone(), columns).map_err(|e| e.to_string())?;
        match self.sink.as_mut().ok_or("the table is closed")? {
            Sink::Parquet(w) => {
                w.write(&batch).map_err(|e| e.to_string())?;
                w.flush().map_err(|e| e.to_string())?;
            }
            Sink::Arrow(w) => w.write(&batch).map_err(|e| e.to_string())?,
        }
        self.written += self.rows as u64;
        (self.rows, self.bytes) = (0, 0);
        Ok(())
    }

    /// Writes the rest, closes the file and renames it into place; on an
    /// error the temporary file is removed.
    pub fn finish(mut self) -> Result<PathBuf, String> {
        self.flush()?;
        let sink = self.sink.take().ok_or("the table is closed")?;
        let done = close(sink)
            .and_then(|file| file.sync_all().map_err(|e| e.to_string()))
            .and_then(|()| std::fs::rename(&self.part, &self.path).map_err(|e| e.to_string()));
        if let Err(e) = done {
            let _ = std::fs::remove_file(&self.part);
            return Err(format!("{}: {e}", self.path.display()));
        }
        Ok(self.path.clone())
    }
}

/// Ends the file of `sink` (footer, IPC trailer) and returns it.
fn close(sink: Sink) -> Result<File, String> {
    match sink {
        Sink::Parquet(w) => w.into_inner().map_err(|e| e.to_string()),
        Sink::Arrow(mut w) => {
            w.finish().map_err(|e| e.to_string())?;
            w.into_inner().map_err(|e| e.to_string())
        }
    }
}

/// `out/<statement>.<ext>`, for a statement name that is a plain file
/// name (ASCII letters, digits, `_`, `-`, `.`, not starting with `.`).
pub fn output_path(out: &Path, name: &str, format: OutputFormat) -> Result<PathBuf, String> {
    if !plain_name(name) {
        return Err(format!("'{name}' cannot be used as a file name"));
    }
    Ok(out.join(format!("{name}.{}", format.extension())))
}

/// Whether `name` is a plain file name: ASCII letters, digits, `_`, `-`
/// and `.`, not starting with `.` (nothing hidden, no path).
pub fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
}

/// Parquet settings: zstd; dictionaries only for strings outside lists
/// (numbers rarely repeat enough to pay for one); delta encoding for the
/// ordering columns, which count up.
fn parquet_properties(schema: &Schema) -> WriterProperties {
    let mut props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(GROUP_ROWS))
        .set_dictionary_enabled(false);
    for path in string_columns(schema.fields(), &[]) {
        props = props.set_column_dictionary_enabled(path, true);
    }
    for name in [SEQ, TXN] {
        props = props.set_column_encoding(ColumnPath::from(name), Encoding::DELTA_BINARY_PACKED);
    }
    props.build()
}

/// The paths of string columns reached through structs only.
fn string_columns(fields: &Fields, parent: &[String]) -> Vec<ColumnPath> {
    let mut paths = Vec::new();
    for f in fields {
        let mut path = parent.to_vec();
        path.push(f.name().clone());
        match f.data_type() {
            DataType::Utf8 => paths.push(ColumnPath::new(path)),
            DataType::Struct(children) => paths.extend(string_columns(children, &path)),
            _ => {}
        }
    }
    paths
}

impl Drop for Table {
    /// A table dropped before [`Table::finish`] leaves no file behind.
    fn drop(&mut self) {
        if self.sink.take().is_some() {
            let _ = std::fs::remove_file(&self.part);
        }
    }
}
