//! Reading rows back into plugin values. The file may have been damaged or
//! edited: a bad value is an error naming its stream, never a panic.

use abi_stable::std_types::{ROption, RString, RVec};
use hog_core::plugin::{
    ErrorKind, PluginError, SinkProgress, SourceCursor, StreamInfo, UnfinishedStream,
};
use rusqlite::Row;

use crate::error::Place;

/// Decodes a row of `id, session_id, info, end_seq, cursor_seq, cursor_pos,
/// prev_cursor_seq, prev_cursor_pos` from `streams`, with no progress yet.
pub(crate) fn stream(row: &Row<'_>, place: &Place) -> Result<UnfinishedStream, PluginError> {
    let id: i64 = row
        .get(0)
        .map_err(|e| place.sql("cannot read a stream id", e))?;
    let corrupt = |what: String| corrupt(place, id, what);
    let session_id: i64 = row
        .get(1)
        .map_err(|e| corrupt(format!("session_id: {e}")))?;
    let info: String = row.get(2).map_err(|e| corrupt(format!("info: {e}")))?;
    let end_seq: Option<i64> = row.get(3).map_err(|e| corrupt(format!("end_seq: {e}")))?;
    let mut stream: StreamInfo = serde_json::from_str(&info)
        .map_err(|e| corrupt(format!("info is not a stream description: {e}")))?;
    stream.id = unsigned(place, id, "id", id)?;
    Ok(UnfinishedStream {
        stream,
        session_id: unsigned(place, id, "session_id", session_id)?,
        end_seq: end_seq
            .map(|end| unsigned(place, id, "end_seq", end))
            .transpose()?
            .into(),
        progress: RVec::new(),
        cursor: cursor(row, place, id, 4, "cursor")?,
        prev_cursor: cursor(row, place, id, 6, "prev_cursor")?,
    })
}

/// Decodes the cursor in columns `at` (`{name}_seq`) and `at + 1`
/// (`{name}_pos`) of stream `id`: both NULL (never recorded) or both set.
fn cursor(
    row: &Row<'_>,
    place: &Place,
    id: i64,
    at: usize,
    name: &str,
) -> Result<ROption<SourceCursor>, PluginError> {
    let column = |at: usize, what: &str| -> Result<Option<u64>, PluginError> {
        let what = format!("{name}_{what}");
        let value: Option<i64> = row
            .get(at)
            .map_err(|e| corrupt(place, id, format!("{what}: {e}")))?;
        value.map(|v| unsigned(place, id, &what, v)).transpose()
    };
    match (column(at, "seq")?, column(at + 1, "pos")?) {
        (None, None) => Ok(ROption::RNone),
        (Some(seq), Some(position)) => Ok(ROption::RSome(SourceCursor { seq, position })),
        (seq, _) => {
            let (set, null) = if seq.is_some() {
                ("seq", "pos")
            } else {
                ("pos", "seq")
            };
            Err(corrupt(
                place,
                id,
                format!("{name}_{set} is set but {name}_{null} is NULL"),
            ))
        }
    }
}

/// Decodes a row of `sink, durable_end` from `sink_progress` of stream `id`.
pub(crate) fn progress(row: &Row<'_>, place: &Place, id: u64) -> Result<SinkProgress, PluginError> {
    let id = id as i64;
    let sink: String = row
        .get(0)
        .map_err(|e| corrupt(place, id, format!("sink name: {e}")))?;
    let durable_end: i64 = row
        .get(1)
        .map_err(|e| corrupt(place, id, format!("durable_end of sink {sink:?}: {e}")))?;
    Ok(SinkProgress {
        durable_end: unsigned(
            place,
            id,
            &format!("durable_end of sink {sink:?}"),
            durable_end,
        )?,
        sink: RString::from(sink),
    })
}

fn unsigned(place: &Place, id: i64, what: &str, value: i64) -> Result<u64, PluginError> {
    u64::try_from(value).map_err(|_| corrupt(place, id, format!("{what} is negative ({value})")))
}

fn corrupt(place: &Place, id: i64, what: String) -> PluginError {
    place.error(
        ErrorKind::Other,
        format!("stream {id} has a corrupt row: {what}"),
    )
}
