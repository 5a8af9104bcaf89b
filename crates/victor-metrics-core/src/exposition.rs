//! The exposition: the [`Store`] every recording goes to, and its renders.
//!
//! [`ExpositionBuilder`] builds a [`Store`] (the `metrics` recorder) and describes every catalog
//! entry to it, so `# HELP` and `# TYPE` come from the catalog and every catalog histogram gets
//! its own buckets (run-time histograms get [`DEFAULT_BUCKETS`]). [`Exposition::render`] writes
//! the Prometheus text format and [`Exposition::render_as`] OpenMetrics, with exemplars; the
//! alert engine reads the same store through [`Exposition::store`], never the text.
//!
//! ```
//! use victor_metrics_core::{exposition::ExpositionBuilder, Request, VictorMetrics};
//! use std::time::Duration;
//!
//! let (recorder, exposition) = ExpositionBuilder::new().build()?;
//! let text = metrics::with_local_recorder(&recorder, || {
//!     let metrics = VictorMetrics::new();
//!     metrics.requests().record_request(&Request {
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

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use metrics::{KeyName, Recorder, SharedString};
use thiserror::Error;

use crate::catalog::{self, MetricKind};
use crate::render::{self, Format};
pub use crate::store::{Exemplar, KindConflict, SeriesPart, SeriesReader, Store};

/// Buckets for histograms registered at run time (Prometheus clients' defaults, in seconds).
pub const DEFAULT_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Why the exposition could not be set up.
#[derive(Debug, Error)]
pub enum ExpositionError {
    /// The default buckets are not finite and strictly increasing.
    #[error("histogram buckets must be finite and strictly increasing, got {0:?}")]
    InvalidBuckets(Vec<f64>),
    /// Another `metrics` recorder is installed in this process already.
    #[error("a metrics recorder is already installed in this process")]
    AlreadyInstalled,
}

/// Configures the store from the catalog.
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

    /// Builds a store and its exposition without installing the store as the recorder, for
    /// tests and for composing with other recorders (`metrics::with_local_recorder`,
    /// `metrics-util` layers).
    ///
    /// # Errors
    /// [`ExpositionError::InvalidBuckets`] when the default buckets are not finite and strictly
    /// increasing.
    pub fn build(self) -> Result<(Store, Exposition), ExpositionError> {
        let buckets = &self.default_buckets;
        if buckets.iter().any(|bound| !bound.is_finite())
            || buckets.windows(2).any(|pair| pair[0] >= pair[1])
        {
            return Err(ExpositionError::InvalidBuckets(self.default_buckets));
        }
        let store = Store::new(buckets);
        for def in catalog::ALL {
            let name = KeyName::from_const_str(def.name());
            let unit = def.unit().to_metrics_unit();
            let help = SharedString::const_str(def.help());
            match def.kind() {
                MetricKind::Counter => store.describe_counter(name, unit, help),
                MetricKind::Gauge => store.describe_gauge(name, unit, help),
                MetricKind::Histogram => store.describe_histogram(name, unit, help),
            }
        }
        let exposition = Exposition {
            store: store.clone(),
            size_hint: Arc::new(AtomicUsize::new(0)),
        };
        Ok((store, exposition))
    }

    /// Builds the store and installs it as the process' global `metrics` recorder.
    ///
    /// # Errors
    /// [`ExpositionError::AlreadyInstalled`] when a recorder is installed already;
    /// [`ExpositionError::InvalidBuckets`] as for [`ExpositionBuilder::build`].
    pub fn install(self) -> Result<Exposition, ExpositionError> {
        let (store, exposition) = self.build()?;
        metrics::set_global_recorder(store).map_err(|_| ExpositionError::AlreadyInstalled)?;
        INSTALLED.store(true, Ordering::Release);
        Ok(exposition)
    }
}

static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Whether [`ExpositionBuilder::install`] has installed the store in this process. Until it
/// has, recordings go nowhere; the health crate's start-up check asks this.
pub fn recorder_installed() -> bool {
    INSTALLED.load(Ordering::Acquire)
}

/// Renders what the store holds. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Exposition {
    store: Store,
    /// The last render's length, so the next one allocates once.
    size_hint: Arc<AtomicUsize>,
}

impl Exposition {
    /// The Prometheus text exposition (format 0.0.4): families sorted by name, series in the
    /// order they were created.
    pub fn render(&self) -> String {
        self.render_as(Format::Prometheus)
    }

    /// The exposition in `format`.
    pub fn render_as(&self, format: Format) -> String {
        let hint = self.size_hint.load(Ordering::Relaxed);
        let mut out = String::with_capacity(hint + hint / 16);
        render::render(&self.store, format, &mut out);
        self.size_hint.store(out.len(), Ordering::Relaxed);
        out
    }

    /// The store this exposition renders, for readers that want values rather than text
    /// (the alert engine).
    pub fn store(&self) -> &Store {
        &self.store
    }
}
