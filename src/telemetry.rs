//! Logs and metrics. Logs go to stderr through `tracing`: human on a terminal, JSON otherwise
//! (journald keeps the fields). The filter can change at run time on a reload. Metrics are
//! recorded with the `metrics` facade and rendered in Prometheus text at `/metrics`.

use std::io::IsTerminal;
use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry, reload};

use crate::settings::{LogFormat, LogSettings};

/// Lets a reload change the log filter.
#[derive(Clone)]
pub struct Telemetry {
    filter: reload::Handle<EnvFilter, Registry>,
}

impl Telemetry {
    pub fn set_level(&self, level: &str) -> Result<(), String> {
        let filter = EnvFilter::builder()
            .parse(level)
            .map_err(|err| err.to_string())?;
        self.filter.reload(filter).map_err(|err| err.to_string())
    }
}

/// Installs the global subscriber. `RUST_LOG`, when set, wins over `log.level`.
pub fn init(log: &LogSettings) -> Result<Telemetry, String> {
    let level = std::env::var("RUST_LOG").unwrap_or_else(|_| log.level.clone());
    let filter = EnvFilter::builder()
        .parse(&level)
        .map_err(|err| format!("log filter {level:?}: {err}"))?;
    let (filter, handle) = reload::Layer::new(filter);
    let json = match log.format {
        LogFormat::Json => true,
        LogFormat::Human => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let output = if json {
        tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_writer(std::io::stderr)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .boxed()
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(output)
        .try_init()
        .map_err(|err| err.to_string())?;
    Ok(Telemetry { filter: handle })
}

/// The process-wide Prometheus recorder, installed on first use.
pub fn prometheus() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            // Histograms with buckets rather than summaries, so several daemons' series can be
            // aggregated.
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
                    60.0, 300.0,
                ])
                .expect("bucket list is not empty")
                .build_recorder();
            let handle = recorder.handle();
            // Only this function installs a recorder, and only once.
            metrics::set_global_recorder(recorder).expect("no other metrics recorder installed");
            handle
        })
        .clone()
}
