//! A plugin that misbehaves on request, to test how hog fences plugins.
//!
//! Options: `{"panic_in": "new" | "open" | "write" | "never"}` (default
//! never), and `"fail_while": PATH`: every open and write fails with an I/O
//! error while file PATH exists, as a sink on a full disk does; with
//! `"marks_dir": DIR` it keeps each stream's mark durably in `DIR/<stream>`
//! (else it holds nothing across a restart and reports mark 0). The
//! environment variable `FAULTY_PLUGIN_API_VERSION`, read when the library is
//! loaded, makes it declare another plugin interface version.

#![warn(missing_docs, unreachable_pub, unsafe_op_in_unsafe_fn)]
use abi_stable::prefix_type::PrefixTypeTrait;
use abi_stable::std_types::RStr;
use hog_core::plugin::{
    BatchRef, Logger, PluginError, PluginModule, PluginModuleRef, Sink, SinkStats, StreamInfo,
    API_VERSION,
};
use serde::Deserialize;

hog_core::plugin_module! { name: "faulty", sink: FaultySink::from_options }

// The exported root module, with the declared interface version
// overridable (in a block: the symbol is the library's, not an API item).
const _: () = {
    #[abi_stable::export_root_module]
    fn hog_plugin_root() -> PluginModuleRef {
        let declared = std::env::var("FAULTY_PLUGIN_API_VERSION")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(API_VERSION);
        let inner = module();
        PluginModule {
            api_version: declared,
            name: RStr::from_str("faulty"),
            version: inner.version(),
            new_sink: inner.new_sink(),
            new_stat_store: inner.new_stat_store(),
        }
        .leak_into_prefix()
    }
};

/// Where the sink panics.
#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum PanicIn {
    New,
    Open,
    Write,
    Never,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    #[serde(default = "never")]
    panic_in: PanicIn,
    #[serde(default)]
    fail_while: Option<std::path::PathBuf>,
    #[serde(default)]
    marks_dir: Option<std::path::PathBuf>,
}

fn never() -> PanicIn {
    PanicIn::Never
}

/// A sink that accepts everything, panics where configured and fails
/// while its flag file exists.
pub struct FaultySink {
    panic_in: PanicIn,
    fail_while: Option<std::path::PathBuf>,
    marks_dir: Option<std::path::PathBuf>,
    marks: std::collections::HashMap<u64, u64>,
    written: u64,
}

impl FaultySink {
    /// Where the mark of `stream` is kept, if marks are durable.
    fn mark_file(&self, stream: u64) -> Option<std::path::PathBuf> {
        self.marks_dir.as_ref().map(|d| d.join(stream.to_string()))
    }

    /// Records the mark of `stream`, durably if configured.
    fn set_mark(&mut self, stream: u64, mark: u64) -> Result<(), PluginError> {
        self.marks.insert(stream, mark);
        if let Some(path) = self.mark_file(stream) {
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, mark.to_string())
                .and_then(|_| std::fs::rename(&tmp, &path))
                .map_err(|e| PluginError::io(format!("faulty sink: {}: {e}", path.display())))?;
        }
        Ok(())
    }

    fn failing(&self) -> Result<(), PluginError> {
        match &self.fail_while {
            Some(flag) if flag.exists() => Err(PluginError::io(format!(
                "faulty sink: failing while {} exists, as configured",
                flag.display()
            ))),
            _ => Ok(()),
        }
    }
}

impl FaultySink {
    /// Creates the sink from its JSON options.
    pub fn from_options(options: &str, _logger: Logger) -> Result<Self, PluginError> {
        let options: Options = serde_json::from_str(options)
            .map_err(|e| PluginError::config(format!("faulty sink options: {e}")))?;
        if options.panic_in == PanicIn::New {
            panic!("faulty sink: panic in constructor, as configured");
        }
        if let Some(dir) = &options.marks_dir {
            std::fs::create_dir_all(dir)
                .map_err(|e| PluginError::config(format!("faulty sink: {}: {e}", dir.display())))?;
        }
        Ok(Self {
            panic_in: options.panic_in,
            fail_while: options.fail_while,
            marks_dir: options.marks_dir,
            marks: std::collections::HashMap::new(),
            written: 0,
        })
    }
}

impl Sink for FaultySink {
    fn open_stream(&mut self, stream: &StreamInfo) -> Result<u64, PluginError> {
        if self.panic_in == PanicIn::Open {
            panic!("faulty sink: panic in open_stream, as configured");
        }
        self.failing()?;
        let mark = self
            .mark_file(stream.id)
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0);
        self.marks.insert(stream.id, mark);
        Ok(mark)
    }

    fn write(&mut self, batch: BatchRef<'_>) -> Result<u64, PluginError> {
        if self.panic_in == PanicIn::Write {
            panic!("faulty sink: panic in write, as configured");
        }
        self.failing()?;
        self.written += batch.len() as u64;
        let end = batch.end_seq();
        self.set_mark(batch.stream_id, end)?;
        Ok(end)
    }

    fn flush(&mut self, stream_id: u64) -> Result<u64, PluginError> {
        Ok(self.marks.get(&stream_id).copied().unwrap_or(0))
    }

    fn close_stream(&mut self, _stream_id: u64) -> Result<(), PluginError> {
        Ok(())
    }

    fn stats(&self) -> SinkStats {
        SinkStats {
            transactions: self.written,
            ..SinkStats::default()
        }
    }

    fn shutdown(&mut self) -> Result<(), PluginError> {
        Ok(())
    }
}
