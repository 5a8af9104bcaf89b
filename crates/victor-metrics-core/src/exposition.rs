//! Prometheus text exposition through `metrics-exporter-prometheus`.
//!
//! [`ExpositionBuilder`] configures the Prometheus recorder from the catalog: every catalog
//! histogram gets its own buckets (a histogram without buckets would render as a summary, which
//! `histogram_quantile` cannot use), run-time histograms get [`DEFAULT_BUCKETS`], and every
//! catalog entry is described once, so `# HELP` and `# TYPE` come from the catalog. The recorder
//! buffers histogram samples until upkeep or a render drains them, and `install` starts no upkeep
//! of its own: run [`Exposition::spawn_upkeep`] so memory stays flat when nobody scrapes.
//!
//! ```
//! use victor_metrics_core::{exposition::ExpositionBuilder, Request, VictorMetrics};
//! use std::time::Duration;
//!
//! let (recorder, exposition) = ExpositionBuilder::new().build()?;
//! let text = metrics::with_local_recorder(&recorder, || {
//!     let metrics = VictorMetrics::new();
//!     metrics.record_request(&Request {
//!         endpoint: "/chat",
//!         method: "POST",
//!         status: 200,
//!         duration: Duration::from_millis(120),
//!         error_type: None,
//!     });
//!     exposition.render()
//! });
//! assert!(text.contains("# TYPE victor_requests_total counter"));
//! assert!(text.contains("victor_request_duration_seconds_bucket{"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use metrics::{KeyName, Recorder, SharedString};
use metrics_exporter_prometheus::{
    BuildError, Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use thiserror::Error;

use crate::catalog::{self, MetricKind};

/// Buckets for histograms registered at run time (Prometheus clients' defaults, in seconds).
pub const DEFAULT_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Why the exposition could not be set up.
#[derive(Debug, Error)]
pub enum ExpositionError {
    /// The Prometheus recorder refused its configuration.
    #[error("cannot configure the Prometheus recorder: {0}")]
    Build(#[from] BuildError),
    /// Another `metrics` recorder is installed in this process already.
    #[error("a metrics recorder is already installed in this process")]
    AlreadyInstalled,
}

/// Configures the Prometheus recorder from the catalog.
#[derive(Debug, Clone)]
#[must_use]
pub struct ExpositionBuilder {
    default_buckets: Vec<f64>,
}

impl Default for ExpositionBuilder {
    fn default() -> Self {
        ExpositionBuilder {
            default_buckets: DEFAULT_BUCKETS.to_vec(),
        }
    }
}

impl ExpositionBuilder {
    /// The catalog's configuration with [`DEFAULT_BUCKETS`] for run-time histograms.
    pub fn new() -> Self {
        Self::default()
    }

    /// Buckets for histograms registered at run time.
    pub fn default_buckets(mut self, buckets: &[f64]) -> Self {
        self.default_buckets = buckets.to_vec();
        self
    }

    /// Builds a recorder and its exposition without installing it, for tests and for
    /// composing with other recorders (`metrics::with_local_recorder`, `metrics-util` layers).
    ///
    /// # Errors
    /// [`ExpositionError::Build`] when a bucket list is empty.
    pub fn build(self) -> Result<(PrometheusRecorder, Exposition), ExpositionError> {
        let mut builder = PrometheusBuilder::new().set_buckets(&self.default_buckets)?;
        for def in catalog::ALL
            .iter()
            .filter(|def| def.kind() == MetricKind::Histogram)
        {
            builder =
                builder.set_buckets_for_metric(Matcher::Full(def.name().into()), def.buckets())?;
        }
        let recorder = builder.build_recorder();
        for def in catalog::ALL {
            let name = KeyName::from_const_str(def.name());
            let unit = def.unit().to_metrics_unit();
            let help = SharedString::const_str(def.help());
            match def.kind() {
                MetricKind::Counter => recorder.describe_counter(name, unit, help),
                MetricKind::Gauge => recorder.describe_gauge(name, unit, help),
                MetricKind::Histogram => recorder.describe_histogram(name, unit, help),
            }
        }
        let exposition = Exposition {
            handle: recorder.handle(),
        };
        Ok((recorder, exposition))
    }

    /// Builds the recorder and installs it as the process' global `metrics` recorder.
    ///
    /// # Errors
    /// [`ExpositionError::AlreadyInstalled`] when a recorder is installed already;
    /// [`ExpositionError::Build`] when a bucket list is empty.
    pub fn install(self) -> Result<Exposition, ExpositionError> {
        let (recorder, exposition) = self.build()?;
        metrics::set_global_recorder(recorder).map_err(|_| ExpositionError::AlreadyInstalled)?;
        INSTALLED.store(true, Ordering::Release);
        Ok(exposition)
    }
}

static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Whether [`ExpositionBuilder::install`] has installed the Prometheus recorder in this process.
/// Until it has, recordings go nowhere; the health crate's start-up check asks this.
pub fn recorder_installed() -> bool {
    INSTALLED.load(Ordering::Acquire)
}

/// Renders what the recorder holds as Prometheus text.
#[derive(Debug, Clone)]
pub struct Exposition {
    handle: PrometheusHandle,
}

impl Exposition {
    /// The Prometheus text exposition (format 0.0.4). Series order varies between calls.
    pub fn render(&self) -> String {
        self.handle.render()
    }

    /// Drains buffered histogram samples into their buckets.
    pub fn run_upkeep(&self) {
        self.handle.run_upkeep();
    }

    /// Runs [`Exposition::run_upkeep`] every `interval` on a named thread until the returned
    /// task is dropped.
    ///
    /// # Errors
    /// The OS error when the thread cannot be spawned.
    pub fn spawn_upkeep(&self, interval: Duration) -> std::io::Result<UpkeepTask> {
        let (stop, stopped) = mpsc::channel::<()>();
        let handle = self.handle.clone();
        let thread = std::thread::Builder::new()
            .name("victor-metrics-upkeep".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                    handle.run_upkeep();
                }
            })?;
        Ok(UpkeepTask {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// The running upkeep thread; dropping it stops the thread and waits for it.
#[derive(Debug)]
pub struct UpkeepTask {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for UpkeepTask {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            // The thread only loops on a channel; a panic there has nothing to report.
            let _ = thread.join();
        }
    }
}
