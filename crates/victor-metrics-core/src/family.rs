//! The recording families: one per part of an agent, each a [`Component`](crate::Component)
//! that owns its catalog entries.
//!
//! A service holds one [`VictorMetrics`](crate::VictorMetrics) and reaches a family through it
//! (`metrics.tools().record_tool_execution(..)`). Each family records its own metrics, keeps the
//! in-process figures its JSON view needs and, in [`Component::refresh`](crate::Component::refresh),
//! brings its pull-style gauges (sliding-window ratios) up to date.
//!
//! Ownership is by catalog [`Group`]: a family owns every entry of the groups it lists, so a new
//! catalog entry has an owner the moment it names its group, and
//! [`Components`](crate::Components) refuses a second owner.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use metrics::{Counter, Gauge, Histogram};

use crate::catalog::{
    self as cat, CounterDef, GaugeDef, Group, HistogramDef, MetricDef, MetricKind,
};
use crate::series::{SeriesCache, register_counter, register_gauge, register_histogram};
use crate::stats::{BucketCounts, HistogramSnapshot, Tally};
use crate::summary::{Breakdown, OutcomeSummary};

mod agentic;
mod bootstrap;
mod caches;
mod exporter;
mod ingestion;
mod llm;
mod requests;
mod security;
mod sessions;
mod system;
mod toolkit;
mod tools;

pub use agentic::{Agentic, VerticalActivity};
pub use bootstrap::Bootstrap;
pub use caches::{CacheView, Caches};
pub use exporter::ExporterTraffic;
pub use ingestion::Ingestion;
pub use llm::{LlmCall, LlmOperation, ProviderRow, Providers, ProvidersView};
pub use requests::{Request, Requests};
pub use security::{Security, SecuritySignal};
pub use sessions::Sessions;
pub use system::{System, SystemSample, SystemView};
pub use toolkit::Toolkit;
pub use tools::{AgentMode, ToolExecution, ToolStatus, Tools, ToolsView};

/// The catalog entries of `groups`, in catalog order: what a family owning those groups owns.
pub(crate) fn owned(groups: &[Group]) -> Vec<&'static MetricDef> {
    cat::ALL
        .iter()
        .copied()
        .filter(|def| groups.contains(&def.group()))
        .collect()
}

/// A label value that is not one of an enum's values, for the core enums' [`FromStr`](std::str::FromStr).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid {what}; expected one of {expected}")]
pub struct UnknownValue {
    /// What was parsed (`tool status`).
    pub what: &'static str,
    /// The value given.
    pub value: String,
    /// The values accepted, comma separated.
    pub expected: &'static str,
}

/// Declares a closed label enum: its label values, `as_str`, `FromStr`, `Display` and serde in
/// the label spelling, so events, docs and the recorded label agree.
macro_rules! label_enum {
    (
        $(#[$doc:meta])* $name:ident, $what:literal {
            $( $(#[$vdoc:meta])* $variant:ident = $value:literal ),+ $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        pub enum $name {
            $( $(#[$vdoc])* #[serde(rename = $value)] $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The label value.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $value),+ }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::family::UnknownValue;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                match value {
                    $($value => Ok($name::$variant),)+
                    _ => Err($crate::family::UnknownValue {
                        what: $what,
                        value: value.to_owned(),
                        expected: $crate::family::trim_list(concat!($($value, ", "),+)),
                    }),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use label_enum;

/// `"a, b, "` without its trailing separator (for the expected values of a label enum).
#[doc(hidden)]
pub const fn trim_list(list: &'static str) -> &'static str {
    match list.as_bytes() {
        [rest @ .., b',', b' '] => match std::str::from_utf8(rest) {
            Ok(trimmed) => trimmed,
            Err(_) => list,
        },
        _ => list,
    }
}

/// Per catalog entry, the series recorded through the generic calls, shared by every family.
pub(crate) struct CatalogSeries {
    /// Indexed by [`MetricDef::index`].
    generic: Box<[Generic]>,
    pub(crate) limit: usize,
    pub(crate) window: Duration,
    pub(crate) started: Instant,
}

enum Generic {
    Counter(SeriesCache<Counter>),
    Gauge(SeriesCache<Gauge>),
    Histogram(SeriesCache<Histogram>),
}

impl CatalogSeries {
    pub(crate) fn new(limit: usize, window: Duration) -> Self {
        let generic = cat::ALL
            .iter()
            .map(|def| match def.kind() {
                MetricKind::Counter => Generic::Counter(SeriesCache::new(def.name(), limit)),
                MetricKind::Gauge => Generic::Gauge(SeriesCache::new(def.name(), limit)),
                MetricKind::Histogram => Generic::Histogram(SeriesCache::new(def.name(), limit)),
            })
            .collect();
        CatalogSeries {
            generic,
            limit,
            window,
            started: Instant::now(),
        }
    }

    /// Runs `f` on the counter for these labels without cloning the handle.
    pub(crate) fn with_counter<const N: usize, R>(
        &self,
        def: &'static CounterDef<N>,
        labels: [&str; N],
        f: impl FnOnce(&Counter) -> R,
    ) -> R {
        match &self.generic[def.def().index()] {
            Generic::Counter(cache) => {
                cache.with(&labels, |labels| register_counter(def.def(), labels), f)
            }
            // The catalog's typed statics make a kind mismatch unrepresentable.
            _ => f(&Counter::noop()),
        }
    }

    /// Runs `f` on the gauge for these labels without cloning the handle.
    pub(crate) fn with_gauge<const N: usize, R>(
        &self,
        def: &'static GaugeDef<N>,
        labels: [&str; N],
        f: impl FnOnce(&Gauge) -> R,
    ) -> R {
        match &self.generic[def.def().index()] {
            Generic::Gauge(cache) => {
                cache.with(&labels, |labels| register_gauge(def.def(), labels), f)
            }
            _ => f(&Gauge::noop()),
        }
    }

    /// Runs `f` on the histogram for these labels without cloning the handle.
    pub(crate) fn with_histogram<const N: usize, R>(
        &self,
        def: &'static HistogramDef<N>,
        labels: [&str; N],
        f: impl FnOnce(&Histogram) -> R,
    ) -> R {
        match &self.generic[def.def().index()] {
            Generic::Histogram(cache) => {
                cache.with(&labels, |labels| register_histogram(def.def(), labels), f)
            }
            _ => f(&Histogram::noop()),
        }
    }

    pub(crate) fn increment<const N: usize>(
        &self,
        def: &'static CounterDef<N>,
        labels: [&str; N],
        by: u64,
    ) {
        self.with_counter(def, labels, |counter| counter.increment(by));
    }

    pub(crate) fn set<const N: usize>(
        &self,
        def: &'static GaugeDef<N>,
        labels: [&str; N],
        value: f64,
    ) {
        self.with_gauge(def, labels, |gauge| gauge.set(value));
    }

    pub(crate) fn observe<const N: usize>(
        &self,
        def: &'static HistogramDef<N>,
        labels: [&str; N],
        value: f64,
    ) {
        self.with_histogram(def, labels, |histogram| histogram.record(value));
    }
}

/// Keeps a gauge incremented while alive; see [`Requests::track_request`].
#[must_use = "the gauge goes back down when this is dropped"]
#[derive(Debug)]
pub struct InFlight(Gauge);

impl InFlight {
    pub(crate) fn start(gauge: Gauge) -> Self {
        gauge.increment(1.0);
        InFlight(gauge)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

/// HTTP status codes as label values, made once.
pub(crate) fn status_label(status: u16) -> &'static str {
    static LABELS: OnceLock<Box<[Box<str>]>> = OnceLock::new();
    let labels = LABELS.get_or_init(|| (100..=599).map(|code| code.to_string().into()).collect());
    match status {
        100..=599 => &labels[usize::from(status - 100)],
        _ => "other",
    }
}

/// An HTTP method as a label value: the standard methods (RFC 9110's and `PATCH`) as they are,
/// any other as `_OTHER`, as OpenTelemetry's HTTP conventions say, so a client cannot mint a
/// series per made-up method. Methods are case-sensitive: `get` is `_OTHER`.
///
/// ```
/// use victor_metrics_core::method_label;
///
/// assert_eq!(method_label("PATCH"), "PATCH");
/// assert_eq!(method_label("BREW"), "_OTHER");
/// assert_eq!(method_label("get"), "_OTHER");
/// ```
pub fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "CONNECT" => "CONNECT",
        "OPTIONS" => "OPTIONS",
        "TRACE" => "TRACE",
        "PATCH" => "PATCH",
        _ => "_OTHER",
    }
}

pub(crate) const fn bool_label(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

/// Latency buckets and error count of one series. Kept per series, so recording threads do not
/// contend on shared cache lines; the summary and the windows sum them over the series.
pub(crate) struct SeriesStats {
    pub(crate) durations: BucketCounts,
    errors: AtomicU64,
}

impl SeriesStats {
    pub(crate) fn new(histogram: &'static MetricDef) -> Self {
        SeriesStats {
            durations: BucketCounts::new(histogram.buckets()),
            errors: AtomicU64::new(0),
        }
    }

    #[inline]
    pub(crate) fn record(&self, error: bool, seconds: f64) {
        self.durations.observe(seconds);
        if error {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn tally(&self) -> Tally {
        let total = self.durations.count();
        let errors = self.errors.load(Ordering::Relaxed);
        Tally {
            good: total.saturating_sub(errors),
            total,
        }
    }
}

/// The per-series stats of one family, summed.
pub(crate) struct Totals {
    pub(crate) durations: HistogramSnapshot,
    errors: u64,
}

impl Totals {
    pub(crate) fn new(histogram: &'static MetricDef) -> Self {
        Totals {
            durations: HistogramSnapshot::empty(histogram.buckets()),
            errors: 0,
        }
    }

    pub(crate) fn add(&mut self, stats: &SeriesStats) {
        self.durations.merge(&stats.durations.snapshot());
        self.errors += stats.errors.load(Ordering::Relaxed);
    }

    fn tally(&self) -> Tally {
        let total = self.durations.count();
        Tally {
            good: total.saturating_sub(self.errors),
            total,
        }
    }

    pub(crate) fn summary(&self) -> OutcomeSummary {
        OutcomeSummary::new(self.tally(), &self.durations)
    }
}

/// Breakdowns from per-name totals, most operations first (then by name, for a stable order).
pub(crate) fn breakdown(totals: std::collections::HashMap<Box<str>, Totals>) -> Vec<Breakdown> {
    let mut rows: Vec<Breakdown> = totals
        .into_iter()
        .map(|(name, totals)| Breakdown {
            name: name.into(),
            outcome: totals.summary(),
        })
        .collect();
    rows.sort_by(|a, b| {
        b.outcome
            .total
            .cmp(&a.outcome.total)
            .then_with(|| a.name.cmp(&b.name))
    });
    rows
}
