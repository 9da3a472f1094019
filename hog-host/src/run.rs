//! One run of hog: set up the stat store and sinks, run the sources until
//! they end or hog is asked to stop, then shut everything down cleanly.

use hog_core::pipeline::{Fanout, SinkHandle};
use hog_core::plugin::{SessionInfo, SinkStats};
use hog_core::recovery;
use hog_core::source::{Generator, HstoreSource, ReceiverSource, Source, SourceContext};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;

use crate::config::{Config, Mode};
use crate::logging::announce;
use crate::plugins;
use crate::serve;
use hog_core::clock::now_ns;

/// What each sink received during a run.
pub type Summary = Vec<(String, SinkStats)>;

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RunError(pub String);

fn fail(e: impl std::fmt::Display) -> RunError {
    RunError(e.to_string())
}

/// Runs hog with `config` until its sources end or SIGINT/SIGTERM arrives.
pub async fn run(config: Config) -> Result<Summary, RunError> {
    let (stop, shutdown) = watch::channel(false);
    tokio::spawn(stop_on_signal(stop));
    run_until(config, shutdown).await
}

/// Runs hog with `config` until its sources end or `shutdown` turns true.
pub async fn run_until(
    config: Config,
    shutdown: watch::Receiver<bool>,
) -> Result<Summary, RunError> {
    for warning in config.warnings() {
        tracing::warn!("{warning}");
    }
    // SAFETY: umask only sets the process's file creation mask.
    unsafe { libc::umask(config.umask.0 as libc::mode_t) };
    let mut sources = sources(&config)?;
    let (store, stat_path) = plugins::stat_store(&config).map_err(fail)?;
    let sinks = plugins::sinks(&config).map_err(fail)?;
    let server = serve_metrics(&config)?;
    let mode = Mode::of(&config);
    let session_id = store
        .begin_session(SessionInfo {
            pid: u64::from(std::process::id()),
            started_at_ns: now_ns(),
            version: env!("CARGO_PKG_VERSION").into(),
            mode: mode.name().into(),
            config: serde_json::to_string(&config).map_err(fail)?.into(),
        })
        .await
        .map_err(fail)?;
    announce(&format!("hog running in mode : {}", mode.describe(&config)));
    announce(&format!("hog stat file : {}", stat_path.display()));
    if config.sources.iter().any(|s| s == "hstore") {
        for group in &config.groups {
            announce(&format!("install a monitor for the '{group}' group"));
        }
    }
    let recovery = recovery::hand_over(&store, session_id, &mut sources, config.recovery)
        .await
        .map_err(fail)?;
    let (sources_done, sources_ended) = watch::channel(false);
    let following = tokio::spawn(recovery.follow(sources_ended));

    // Only a served page or scrape reads the samples.
    let sampling = server
        .is_some()
        .then(|| tokio::spawn(sample(sinks.clone(), sources_done.subscribe())));
    let fanout = Fanout::new(sinks.clone(), store.clone(), session_id, shutdown.clone());
    let tasks: Vec<_> = sources
        .into_iter()
        .map(|source| {
            let name = source.name().to_string();
            let context = SourceContext {
                fanout: fanout.for_source(&name),
                shutdown: shutdown.clone(),
            };
            (name, tokio::spawn(source.run(context)))
        })
        .collect();
    let mut failures = Vec::new();
    for (name, task) in tasks {
        match task.await {
            Ok(Ok(())) => tracing::info!(source = %name, "source finished"),
            Ok(Err(e)) => failures.push(format!("source {name}: {e}")),
            Err(e) => failures.push(format!("source {name}: {e}")),
        }
    }

    let _ = sources_done.send(true);
    let _ = following.await;
    if let Some(sampling) = sampling {
        let _ = sampling.await;
    }

    let mut summary = Vec::new();
    for sink in &sinks {
        match sink.stats().await {
            Ok(stats) => {
                tracing::info!(
                    sink = sink.name(),
                    "received {} transactions, {} bytes",
                    stats.transactions,
                    stats.bytes
                );
                summary.push((sink.name().to_string(), stats));
            }
            Err(e) => tracing::error!(sink = sink.name(), "stats: {e}"),
        }
        if let Err(e) = sink.shutdown().await {
            tracing::error!(sink = sink.name(), "shutdown: {e}");
        }
    }
    store.end_session(session_id).await.map_err(fail)?;
    if failures.is_empty() {
        Ok(summary)
    } else {
        Err(RunError(failures.join("\n")))
    }
}

/// Starts the metrics listener if `metrics.listen` is set, with the
/// receiver's TLS and tokens when those are configured.
fn serve_metrics(config: &Config) -> Result<Option<serve::Server>, RunError> {
    let Some(listen) = &config.metrics.listen else {
        return Ok(None);
    };
    let receiver = &config.receiver;
    let security = if receiver.tls.is_some() || receiver.token_file.is_some() {
        let prepared = receiver.prepare().map_err(fail)?;
        serve::Security {
            tls: prepared.tls,
            tokens: prepared.tokens,
        }
    } else {
        serve::Security::default()
    };
    let scheme = if security.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let server = serve::start(listen, security).map_err(fail)?;
    announce(&format!(
        "hog metrics at {scheme}://{0}/metrics, status page at {scheme}://{0}/",
        server.addr()
    ));
    Ok(Some(server))
}

/// Once a second until `done`: samples throughput and asks the sinks for
/// their own counters, for the metrics.
async fn sample(sinks: Vec<std::sync::Arc<SinkHandle>>, mut done: watch::Receiver<bool>) {
    let m = hog_core::metrics::global();
    loop {
        m.sample();
        let mut stats = Vec::with_capacity(sinks.len());
        for sink in &sinks {
            if let Ok(s) = sink.stats().await {
                stats.push((sink.name().to_string(), s));
            }
        }
        m.set_plugin_stats(stats);
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
            _ = hog_core::pipeline::stopped(&mut done) => return,
        }
    }
}

fn sources(config: &Config) -> Result<Vec<Box<dyn Source>>, RunError> {
    config
        .sources
        .iter()
        .map(|name| -> Result<Box<dyn Source>, RunError> {
            match name.as_str() {
                "generator" => Ok(Box::new(Generator::new(config.generator.clone()))),
                "receiver" => Ok(Box::new(ReceiverSource::new(config.receiver.clone()))),
                "hstore" => Ok(Box::new(
                    HstoreSource::new(
                        config.groups.clone(),
                        config.store_dir(),
                        config.hstore.clone(),
                    )
                    .with_recovery(config.recovery),
                )),
                #[cfg(feature = "jetstream")]
                "jetstream" => {
                    let options = config.source.get("jetstream").cloned().unwrap_or_default();
                    let json = serde_json::Value::Object(options).to_string();
                    Ok(Box::new(
                        jetstream::JetStreamSource::from_options(&json).map_err(RunError)?,
                    ))
                }
                other => Err(RunError(format!(
                    "source '{other}' is not available in this build of hog{}",
                    if other == "jetstream" {
                        " (cargo feature jetstream)"
                    } else {
                        ""
                    }
                ))),
            }
        })
        .collect()
}

async fn stop_on_signal(stop: watch::Sender<bool>) {
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        tracing::error!("cannot install signal handlers; stop hog with SIGKILL");
        return;
    };
    tokio::select! {
        _ = int.recv() => tracing::info!("SIGINT: stopping after the current batches"),
        _ = term.recv() => tracing::info!("SIGTERM: stopping after the current batches"),
    }
    let _ = stop.send(true);
}
