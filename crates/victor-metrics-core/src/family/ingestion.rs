//! Events posted by agents without a Rust dependency: accepted by type, rejected by reason.

use std::sync::Arc;

use super::{CatalogSeries, owned};
use crate::Component;
use crate::catalog::{self as cat, Group, MetricDef};

/// The ingestion family ([`Group::Ingestion`]): what `POST /api/events` took and refused.
pub struct Ingestion {
    catalog: Arc<CatalogSeries>,
}

impl Ingestion {
    pub(crate) fn new(catalog: Arc<CatalogSeries>) -> Self {
        Ingestion { catalog }
    }

    /// Counts `count` events of `event_type` applied.
    pub fn record_accepted(&self, event_type: &str, count: u64) {
        self.catalog
            .increment(&cat::EVENTS_ACCEPTED_TOTAL, [event_type], count);
    }

    /// Counts `count` events refused for `reason`.
    pub fn record_rejected(&self, reason: &str, count: u64) {
        self.catalog
            .increment(&cat::EVENTS_REJECTED_TOTAL, [reason], count);
    }
}

impl Component for Ingestion {
    type View = ();

    fn name(&self) -> &'static str {
        "events"
    }

    fn metrics(&self) -> Vec<&'static MetricDef> {
        owned(&[Group::Ingestion])
    }

    fn view(&self) -> Option<()> {
        None
    }
}
