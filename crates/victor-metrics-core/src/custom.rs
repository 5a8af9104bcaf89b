//! Metrics registered at run time, outside the catalog.
//!
//! A service may need a metric the catalog lacks. Registration validates the name and labels
//! against Prometheus' rules and the catalog's conventions, refuses names the catalog owns, and
//! returns a typed error naming what is wrong; nothing panics. Registering the same metric again
//! with the same shape returns the same metric. Custom metrics share the cardinality limit.
//! Custom histograms use the exporter's default buckets (see [`crate::exposition`]).
//!
//! ```
//! use victor_metrics_core::VictorMetrics;
//!
//! let metrics = VictorMetrics::new();
//! let jobs = metrics.custom().register_counter("acme_jobs_total", "Jobs run.", &["queue"])?;
//! jobs.increment(&["default"], 1)?;
//!
//! let err = metrics.custom().register_counter("acme jobs", "Bad.", &[]).unwrap_err();
//! assert!(err.to_string().contains("\"acme jobs\""));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use metrics::{
    Counter, Gauge, Histogram, Key, KeyName, Label, Level, Metadata, Recorder, SharedString,
};
use thiserror::Error;

use crate::catalog::{self, MetricKind};
use crate::names::{self, NameError};
use crate::series::SeriesCache;

static METADATA: Metadata<'static> = Metadata::new("victor", Level::INFO, Some(module_path!()));

/// Why a custom metric could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegistrationError {
    /// The metric or a label name breaks Prometheus' rules.
    #[error(transparent)]
    Name(#[from] NameError),
    /// The name is the catalog's (or one of a catalog histogram's series).
    #[error("metric name {name:?} belongs to the catalog; record it through VictorMetrics")]
    CatalogName {
        /// The name as given.
        name: String,
    },
    /// Counters end in `_total`, and only counters do.
    #[error("metric name {name:?}: {reason}")]
    Suffix {
        /// The name as given.
        name: String,
        /// The rule it breaks.
        reason: &'static str,
    },
    /// A label name is given twice, or is one Prometheus reserves for histograms and summaries.
    #[error("label {label:?} of metric {name:?}: {reason}")]
    Label {
        /// The metric name.
        name: String,
        /// The label name.
        label: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The name is registered already with another kind or other labels.
    #[error("metric {name:?} is already registered as a {kind} with labels {labels:?}")]
    Conflict {
        /// The metric name.
        name: String,
        /// The kind it has.
        kind: &'static str,
        /// The labels it has.
        labels: Vec<String>,
    },
}

/// Label values that do not fit a custom metric's label names.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("metric {name:?} takes {expected} label values ({labels:?}), got {got}")]
pub struct LabelCountError {
    /// The metric name.
    pub name: String,
    /// How many it takes.
    pub expected: usize,
    /// Its label names.
    pub labels: Vec<String>,
    /// How many were given.
    pub got: usize,
}

/// One registered custom metric whose series resolve to handles of type `H`.
struct CustomDef<H> {
    name: String,
    labels: Vec<String>,
    series: SeriesCache<H>,
}

impl<H> std::fmt::Debug for CustomDef<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomDef")
            .field("name", &self.name)
            .field("labels", &self.labels)
            .finish_non_exhaustive()
    }
}

impl<H: Handle> CustomDef<H> {
    /// The handle for these label values, resolved on first use.
    fn handle(&self, values: &[&str]) -> Result<H, LabelCountError> {
        if values.len() != self.labels.len() {
            return Err(LabelCountError {
                name: self.name.clone(),
                expected: self.labels.len(),
                labels: self.labels.clone(),
                got: values.len(),
            });
        }
        let resolve = |values: &[&str]| {
            let labels: Vec<Label> = self
                .labels
                .iter()
                .zip(values)
                .map(|(name, value)| Label::new(name.clone(), (*value).to_owned()))
                .collect();
            let key = Key::from_parts(self.name.clone(), labels);
            metrics::with_recorder(|recorder| H::register(recorder, &key))
        };
        Ok(self.series.with(values, resolve, H::clone))
    }
}

/// The `metrics` handle types a custom metric can have.
trait Handle: Clone + Sized {
    const KIND: MetricKind;
    fn register(recorder: &dyn Recorder, key: &Key) -> Self;
    fn wrap(def: Arc<CustomDef<Self>>) -> Registered;
    fn unwrap(registered: &Registered) -> Option<&Arc<CustomDef<Self>>>;
}

macro_rules! handle_kind {
    ($handle:ty, $kind:ident, $register:ident) => {
        impl Handle for $handle {
            const KIND: MetricKind = MetricKind::$kind;
            fn register(recorder: &dyn Recorder, key: &Key) -> Self {
                recorder.$register(key, &METADATA)
            }
            fn wrap(def: Arc<CustomDef<Self>>) -> Registered {
                Registered::$kind(def)
            }
            fn unwrap(registered: &Registered) -> Option<&Arc<CustomDef<Self>>> {
                match registered {
                    Registered::$kind(def) => Some(def),
                    _ => None,
                }
            }
        }
    };
}

handle_kind!(Counter, Counter, register_counter);
handle_kind!(Gauge, Gauge, register_gauge);
handle_kind!(Histogram, Histogram, register_histogram);

/// A registered metric of any kind, as the registry holds it.
enum Registered {
    Counter(Arc<CustomDef<Counter>>),
    Gauge(Arc<CustomDef<Gauge>>),
    Histogram(Arc<CustomDef<Histogram>>),
}

impl Registered {
    fn kind_and_labels(&self) -> (MetricKind, &[String]) {
        match self {
            Registered::Counter(def) => (MetricKind::Counter, &def.labels),
            Registered::Gauge(def) => (MetricKind::Gauge, &def.labels),
            Registered::Histogram(def) => (MetricKind::Histogram, &def.labels),
        }
    }
}

/// The run-time registry; reach it through [`crate::VictorMetrics::custom`].
pub struct CustomMetrics {
    limit: usize,
    defs: RwLock<HashMap<String, Registered>>,
}

impl std::fmt::Debug for CustomMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let defs = self.defs.read().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("CustomMetrics")
            .field("registered", &defs.len())
            .finish()
    }
}

/// A registered custom counter.
#[derive(Clone, Debug)]
pub struct CustomCounter(Arc<CustomDef<Counter>>);

/// A registered custom gauge.
#[derive(Clone, Debug)]
pub struct CustomGauge(Arc<CustomDef<Gauge>>);

/// A registered custom histogram.
#[derive(Clone, Debug)]
pub struct CustomHistogram(Arc<CustomDef<Histogram>>);

impl CustomCounter {
    /// A pre-resolved handle for these label values.
    ///
    /// # Errors
    /// [`LabelCountError`] when the number of values differs from the metric's labels.
    pub fn handle(&self, values: &[&str]) -> Result<Counter, LabelCountError> {
        self.0.handle(values)
    }

    /// Adds `count` to the series with these label values.
    ///
    /// # Errors
    /// [`LabelCountError`] when the number of values differs from the metric's labels.
    pub fn increment(&self, values: &[&str], count: u64) -> Result<(), LabelCountError> {
        self.handle(values).map(|counter| counter.increment(count))
    }
}

impl CustomGauge {
    /// A pre-resolved handle for these label values.
    ///
    /// # Errors
    /// [`LabelCountError`] when the number of values differs from the metric's labels.
    pub fn handle(&self, values: &[&str]) -> Result<Gauge, LabelCountError> {
        self.0.handle(values)
    }

    /// Sets the series with these label values.
    ///
    /// # Errors
    /// [`LabelCountError`] when the number of values differs from the metric's labels.
    pub fn set(&self, values: &[&str], value: f64) -> Result<(), LabelCountError> {
        self.handle(values).map(|gauge| gauge.set(value))
    }
}

impl CustomHistogram {
    /// A pre-resolved handle for these label values.
    ///
    /// # Errors
    /// [`LabelCountError`] when the number of values differs from the metric's labels.
    pub fn handle(&self, values: &[&str]) -> Result<Histogram, LabelCountError> {
        self.0.handle(values)
    }

    /// Records one observation in the series with these label values.
    ///
    /// # Errors
    /// [`LabelCountError`] when the number of values differs from the metric's labels.
    pub fn record(&self, values: &[&str], value: f64) -> Result<(), LabelCountError> {
        self.handle(values).map(|histogram| histogram.record(value))
    }
}

impl CustomMetrics {
    pub(crate) fn new(limit: usize) -> Self {
        CustomMetrics {
            limit,
            defs: RwLock::new(HashMap::new()),
        }
    }

    /// Registers a counter; its name must end in `_total`.
    ///
    /// # Errors
    /// [`RegistrationError`] naming the offending metric or label name.
    pub fn register_counter(
        &self,
        name: &str,
        help: &str,
        labels: &[&str],
    ) -> Result<CustomCounter, RegistrationError> {
        self.register(name, help, labels).map(CustomCounter)
    }

    /// Registers a gauge.
    ///
    /// # Errors
    /// [`RegistrationError`] naming the offending metric or label name.
    pub fn register_gauge(
        &self,
        name: &str,
        help: &str,
        labels: &[&str],
    ) -> Result<CustomGauge, RegistrationError> {
        self.register(name, help, labels).map(CustomGauge)
    }

    /// Registers a histogram (default buckets).
    ///
    /// # Errors
    /// [`RegistrationError`] naming the offending metric or label name.
    pub fn register_histogram(
        &self,
        name: &str,
        help: &str,
        labels: &[&str],
    ) -> Result<CustomHistogram, RegistrationError> {
        self.register(name, help, labels).map(CustomHistogram)
    }

    fn register<H: Handle>(
        &self,
        name: &str,
        help: &str,
        labels: &[&str],
    ) -> Result<Arc<CustomDef<H>>, RegistrationError> {
        validate(H::KIND, name, labels)?;
        let mut defs = self.defs.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(existing) = defs.get(name) {
            if let Some(def) = H::unwrap(existing)
                && def.labels.iter().eq(labels.iter())
            {
                return Ok(Arc::clone(def));
            }
            let (kind, labels) = existing.kind_and_labels();
            return Err(RegistrationError::Conflict {
                name: name.to_owned(),
                kind: kind.as_str(),
                labels: labels.to_vec(),
            });
        }
        let def = Arc::new(CustomDef {
            name: name.to_owned(),
            labels: labels.iter().map(|l| (*l).to_owned()).collect(),
            series: SeriesCache::new(name, self.limit),
        });
        let key_name = KeyName::from(name.to_owned());
        let help = SharedString::from(help.to_owned());
        metrics::with_recorder(|recorder| match H::KIND {
            MetricKind::Counter => recorder.describe_counter(key_name, None, help),
            MetricKind::Gauge => recorder.describe_gauge(key_name, None, help),
            MetricKind::Histogram => recorder.describe_histogram(key_name, None, help),
        });
        defs.insert(name.to_owned(), H::wrap(Arc::clone(&def)));
        Ok(def)
    }
}

fn validate(kind: MetricKind, name: &str, labels: &[&str]) -> Result<(), RegistrationError> {
    names::validate_metric_name(name)?;
    let owned_by_catalog = catalog::find(name).is_some()
        || ["_bucket", "_sum", "_count"].iter().any(|suffix| {
            name.strip_suffix(suffix)
                .and_then(catalog::find)
                .is_some_and(|def| def.kind() == MetricKind::Histogram)
        });
    if owned_by_catalog {
        return Err(RegistrationError::CatalogName {
            name: name.to_owned(),
        });
    }
    let suffix = |reason| {
        Err(RegistrationError::Suffix {
            name: name.to_owned(),
            reason,
        })
    };
    match (kind, name.ends_with("_total")) {
        (MetricKind::Counter, false) => return suffix("counter names end in _total"),
        (MetricKind::Gauge | MetricKind::Histogram, true) => {
            return suffix("only counter names end in _total");
        }
        _ => {}
    }
    for (i, label) in labels.iter().enumerate() {
        names::validate_label_name(label)?;
        let reason = if labels[..i].contains(label) {
            Some("it is given twice")
        } else if matches!(*label, "le" | "quantile") {
            Some("Prometheus reserves it for histogram and summary series")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(RegistrationError::Label {
                name: name.to_owned(),
                label: (*label).to_owned(),
                reason,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> CustomMetrics {
        CustomMetrics::new(3)
    }

    #[test]
    fn bad_names_are_typed_errors_naming_the_input() {
        let r = registry();
        let cases: [(&str, &[&str]); 8] = [
            ("9lives_total", &[]),
            ("has space_total", &[]),
            ("acme_total", &["__name__"]),
            ("acme_total", &["bad-label"]),
            ("acme_total", &["a", "a"]),
            ("acme_total", &["le"]),
            ("acme_jobs", &[]),
            ("victor_requests_total", &[]),
        ];
        for (name, labels) in cases {
            let err = r.register_counter(name, "help", labels).expect_err(name);
            let text = err.to_string();
            let offending = labels.iter().find(|l| text.contains(&format!("{l:?}")));
            assert!(
                text.contains(&format!("{name:?}")) || offending.is_some(),
                "{name} {labels:?}: {text}"
            );
        }
        assert!(matches!(
            r.register_gauge("victor_request_duration_seconds_bucket", "h", &[]),
            Err(RegistrationError::CatalogName { .. })
        ));
        assert!(matches!(
            r.register_gauge("acme_depth_total", "h", &[]),
            Err(RegistrationError::Suffix { .. })
        ));
    }

    #[test]
    fn same_shape_is_idempotent_other_shape_conflicts() {
        let r = registry();
        let first = r
            .register_counter("acme_jobs_total", "Jobs.", &["queue"])
            .expect("valid");
        let again = r
            .register_counter("acme_jobs_total", "Jobs.", &["queue"])
            .expect("same");
        assert!(Arc::ptr_eq(&first.0, &again.0));
        let err = r.register_counter("acme_jobs_total", "Jobs.", &["queue", "host"]);
        assert!(
            matches!(err, Err(RegistrationError::Conflict { .. })),
            "{err:?}"
        );
        let err = r.register_gauge("acme_jobs_total", "Jobs.", &["queue"]);
        assert!(err.is_err());
    }

    #[test]
    fn wrong_label_count_is_an_error_not_a_panic() {
        let r = registry();
        let depth = r
            .register_gauge("acme_queue_depth", "Depth.", &["queue"])
            .expect("valid");
        let err = depth
            .set(&["a", "b"], 1.0)
            .expect_err("two values for one label");
        assert_eq!(err.expected, 1);
        assert_eq!(err.got, 2);
        assert!(depth.set(&["a"], 1.0).is_ok());
    }
}
