//! A hobbes sender's conversation: group, init, then segments, each
//! acknowledged with one byte once every sink holds it. Every connection
//! is a new stream (the protocol names nothing that would tie it to an
//! earlier one).

use tokio::runtime::Handle;

use crate::plugin::StreamInfo;
use crate::types::StatementTable;
use crate::wire::legacy::{self, Init, WireError, ACK};

use super::conn::Conn;
use super::error::ConnError;
use super::{now_ns, Shared};
use crate::pipeline::Batch;

/// Serves a hobbes sender whose first frame was `group`; returns the
/// transactions received.
pub(super) fn serve(
    conn: &mut Conn,
    group: &[u8],
    shared: &Shared,
    handle: &Handle,
) -> Result<u64, ConnError> {
    let config = &shared.prepared.config;
    let (max_frame, max_segment) = (config.max_frame.0, config.max_segment.0);
    let max_init = config.max_init.0.min(max_segment);
    conn.handshake_within(config.handshake_timeout.0);
    let group = legacy::validate_group(group)?;
    let Some(init) = conn.read_frame(max_frame.min(max_init), "init message")? else {
        return Err(WireError::Closed.into());
    };
    let init = Init::decode(&legacy::gunzip(&init, max_init, "init message")?)?;
    conn.opened();
    let table = StatementTable::new(&init.statements).map_err(ConnError::Init)?;
    let started = now_ns();
    let info = StreamInfo {
        id: 0,
        group: group.as_str().into(),
        pid: 0,
        tid: 0,
        region: format!("{}#{started}", conn.peer).into(),
        started_at_ns: started,
        qos: init.qos,
        commit: init.commit,
        statements: init.statements.clone().into(),
    };
    let mut delivery = handle.block_on(shared.fanout.open_stream(info, None))?;
    let stream_id = delivery.stream().id;
    tracing::info!(peer = %conn.peer, stream = stream_id, "receiving group '{group}' (hobbes protocol)");
    conn.write_raw(&[ACK])?;
    let mut seq = 0u64;
    let mut segments = || -> Result<(), ConnError> {
        while let Some(frame) = conn.read_frame(max_frame, "segment")? {
            let declared = legacy::gzip_declared_len(&frame);
            let (_held, bound) = shared.hold_for(frame.len(), declared)?;
            let payload = legacy::gunzip(&frame, bound, "segment")?;
            let batch = Batch::checked(stream_id, seq, &payload, &table)?;
            let end = batch.end_seq();
            if !batch.is_empty() {
                handle.block_on(delivery.deliver(batch, None))?;
            }
            seq = end;
            conn.write_raw(&[ACK])?;
        }
        Ok(())
    };
    // The connection was the stream: whatever ended it ends the stream.
    let result = segments();
    handle.block_on(delivery.close(seq))?;
    result.map(|()| seq)
}
