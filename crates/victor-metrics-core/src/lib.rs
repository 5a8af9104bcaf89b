//! Metrics for Victor AI agent services: the catalog, the recording API, summaries and
//! Prometheus exposition.
//!
//! Every metric Victor records is declared once in [`catalog`], with its name, type, unit, help,
//! labels and buckets. Recording goes through [`VictorMetrics`] and its families ([`family`]), whose typed
//! calls (`metrics.requests().record_request(..)`, `metrics.tools().record_tool_execution(..)`,
//! `metrics.providers().record_llm_call(..)`, ...) take catalog entries and label values, never
//! free metric names, and record through the [`metrics`] facade into one [`exposition::Store`], which
//! [`exposition`] renders as Prometheus text or OpenMetrics and the alert engine reads directly.
//!
//! # In libraries
//!
//! Take a `VictorMetrics` (it is cheap to clone) and record. With no recorder installed the
//! calls cost almost nothing and record nothing.
//!
//! # In executables
//!
//! Install the exposition once at start-up, before the first record, and serve
//! [`exposition::Exposition::render`] on `/metrics` (the `victor-exporter` crate does this):
//!
//! ```no_run
//! use victor_metrics_core::{exposition::ExpositionBuilder, VictorMetrics};
//!
//! let exposition = ExpositionBuilder::new().install()?;
//! let metrics = VictorMetrics::new();
//! // ... record, and serve `exposition.render()` ...
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Memory is bounded: each metric holds at most 10 000 label sets by default
//! ([`VictorMetricsBuilder::cardinality_limit`]); further ones fold into one overflow series and
//! are counted in `victor_metrics_cardinality_overflow_total`.

#![deny(missing_docs)]

pub mod catalog;
mod component;
pub mod custom;
pub mod events;
pub mod exemplar;
pub mod exposition;
pub mod family;
pub mod names;
pub mod prices;
mod record;
pub mod render;
pub mod routes;
mod series;
mod stats;
mod store;
pub mod summary;

pub use catalog::{CounterDef, GaugeDef, Group, HistogramDef, MetricDef, MetricKind, Unit};
pub use component::{Component, ComponentError, Components, DynComponent};
pub use family::{
    AgentMode, InFlight, LlmCall, LlmOperation, Request, SecuritySignal, SystemSample,
    ToolExecution, ToolStatus, UnknownValue, VerticalActivity, method_label,
};
pub use record::{VictorMetrics, VictorMetricsBuilder};
pub use series::{DEFAULT_CARDINALITY_LIMIT, MAX_LABEL_VALUE_LEN, OVERFLOW_LABEL_VALUE};
pub use stats::quantile;
pub use summary::Summary;
