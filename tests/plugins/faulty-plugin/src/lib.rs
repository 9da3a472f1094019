//! A plugin that misbehaves on request, to test how hog fences plugins.
//!
//! Options: `{"panic_in": "new" | "open" | "write" | "never"}`. The
//! environment variable `FAULTY_PLUGIN_API_VERSION`, read when the library is
//! loaded, makes it declare another plugin interface version.

use abi_stable::prefix_type::PrefixTypeTrait;
use abi_stable::std_types::RStr;
use hog_core::plugin::{
    BatchRef, Logger, PluginError, PluginModule, PluginModuleRef, Sink, SinkStats, StreamInfo,
    API_VERSION,
};
use serde::Deserialize;

hog_core::plugin_module! { name: "faulty", sink: FaultySink::from_options }

/// The exported root module, with the declared interface version overridable.
#[abi_stable::export_root_module]
pub fn hog_plugin_root() -> PluginModuleRef {
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
    panic_in: PanicIn,
}

/// A sink that accepts everything and panics where configured.
pub struct FaultySink {
    panic_in: PanicIn,
    written: u64,
}

impl FaultySink {
    /// Creates the sink from its JSON options.
    pub fn from_options(options: &str, _logger: Logger) -> Result<Self, PluginError> {
        let options: Options = serde_json::from_str(options)
            .map_err(|e| PluginError::config(format!("faulty sink options: {e}")))?;
        if options.panic_in == PanicIn::New {
            panic!("faulty sink: panic in constructor, as configured");
        }
        Ok(Self {
            panic_in: options.panic_in,
            written: 0,
        })
    }
}

impl Sink for FaultySink {
    fn open_stream(&mut self, _stream: &StreamInfo) -> Result<u64, PluginError> {
        if self.panic_in == PanicIn::Open {
            panic!("faulty sink: panic in open_stream, as configured");
        }
        Ok(0)
    }

    fn write(&mut self, batch: BatchRef<'_>) -> Result<u64, PluginError> {
        if self.panic_in == PanicIn::Write {
            panic!("faulty sink: panic in write, as configured");
        }
        self.written += batch.len() as u64;
        Ok(batch.end_seq())
    }

    fn flush(&mut self, _stream_id: u64) -> Result<u64, PluginError> {
        Ok(self.written)
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
