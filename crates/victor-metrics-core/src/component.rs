//! The facade trait every observable component implements.
//!
//! A cache, the provider pool, the tool executor, the system collector, the health checker and
//! the alert engine each implement [`Component`] once. The exporter composes components through
//! this trait alone: before an export it calls [`Component::refresh`] on each, and it serves each
//! one's [`Component::json`] under `/api/performance/*`. `cargo xtask` reads
//! [`Component::metrics`] to know which catalog entries a component owns.
//!
//! ```
//! use victor_metrics_core::{catalog, Component, MetricDef};
//!
//! struct QueueDepth;
//!
//! impl Component for QueueDepth {
//!     fn name(&self) -> &'static str {
//!         "queue"
//!     }
//!     fn metrics(&self) -> Vec<&'static MetricDef> {
//!         vec![catalog::ACTIVE_REQUESTS.def()]
//!     }
//!     fn json(&self) -> serde_json::Value {
//!         serde_json::json!({ "depth": 0 })
//!     }
//! }
//!
//! let components: Vec<Box<dyn Component>> = vec![Box::new(QueueDepth)];
//! for component in &components {
//!     component.refresh();
//!     assert_eq!(component.json()["depth"], 0);
//! }
//! ```

use crate::catalog::MetricDef;

/// An observable part of an agent service.
pub trait Component: Send + Sync {
    /// A short, stable, lower-case name (`cache`, `providers`, `system`): the key of the
    /// component's JSON view and its label in logs.
    fn name(&self) -> &'static str;

    /// The catalog entries this component records.
    fn metrics(&self) -> Vec<&'static MetricDef>;

    /// Brings pull-style values (gauges computed from state, sliding windows) up to date. Called
    /// before every export; the default does nothing.
    fn refresh(&self) {}

    /// The component's JSON view, served by the exporter.
    fn json(&self) -> serde_json::Value;
}

impl<T: Component + ?Sized> Component for std::sync::Arc<T> {
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn metrics(&self) -> Vec<&'static MetricDef> {
        (**self).metrics()
    }
    fn refresh(&self) {
        (**self).refresh();
    }
    fn json(&self) -> serde_json::Value {
        (**self).json()
    }
}
