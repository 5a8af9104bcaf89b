//! The toolkit's own figures: build info, the performance health score, and what the store
//! refused or folded (cardinality overflow, kind conflicts).

use std::sync::Arc;

use super::{CatalogSeries, owned};
use crate::Component;
use crate::catalog::{self as cat, Group, MetricDef};

/// The self-monitoring family ([`Group::SelfMonitoring`]).
pub struct Toolkit {
    catalog: Arc<CatalogSeries>,
}

impl Toolkit {
    pub(crate) fn new(catalog: Arc<CatalogSeries>) -> Self {
        Toolkit { catalog }
    }

    /// Publishes `victor_build_info{version}` = 1.
    pub fn set_build_info(&self, version: &str) {
        self.catalog.set(&cat::BUILD_INFO, [version], 1.0);
    }

    /// Sets the performance health score, 0 to 100.
    pub fn set_health_score(&self, score: f64) {
        self.catalog.set(&cat::PERFORMANCE_HEALTH_SCORE, [], score);
    }

    /// Counts `count` registrations of `metric` the store refused because the name is taken by
    /// another kind (`victor_metrics_kind_conflicts_total`).
    pub fn record_kind_conflicts(&self, metric: &str, count: u64) {
        self.catalog
            .increment(&cat::METRICS_KIND_CONFLICTS_TOTAL, [metric], count);
    }
}

impl Component for Toolkit {
    type View = ();

    fn name(&self) -> &'static str {
        "toolkit"
    }

    /// Also `victor_metrics_cardinality_overflow_total`, which every family's series cache
    /// increments when it folds a label set.
    fn metrics(&self) -> Vec<&'static MetricDef> {
        owned(&[Group::SelfMonitoring])
    }

    fn view(&self) -> Option<()> {
        None
    }
}
