//! The exporter's own HTTP traffic: scrapes, probes and its API, kept apart from the agent's
//! requests so no agent alert (HighErrorRate, …) and no agent summary sees them.

use std::sync::Arc;

use super::{CatalogSeries, InFlight, method_label, owned, status_label};
use crate::Component;
use crate::catalog::{self as cat, Group, MetricDef};
use crate::family::Request;

/// The exporter-traffic family ([`Group::Exporter`]).
pub struct ExporterTraffic {
    catalog: Arc<CatalogSeries>,
}

impl ExporterTraffic {
    pub(crate) fn new(catalog: Arc<CatalogSeries>) -> Self {
        ExporterTraffic { catalog }
    }

    /// Records one request the exporter answered (`victor_exporter_requests_total`,
    /// `victor_exporter_request_duration_seconds`). An error type counts nowhere else: the
    /// exporter's failures show in the status label.
    pub fn record_request(&self, request: &Request<'_>) {
        let labels = [
            request.endpoint,
            method_label(request.method),
            status_label(request.status),
        ];
        self.catalog
            .increment(&cat::EXPORTER_REQUESTS_TOTAL, labels, 1);
        self.catalog.observe(
            &cat::EXPORTER_REQUEST_DURATION_SECONDS,
            labels,
            request.duration.as_secs_f64(),
        );
    }

    /// Counts `count` connections accepted while `max_connections` were open
    /// (`victor_exporter_connections_over_limit_total`): `served_probes_only` from the probe
    /// reserve, else closed at once. A count of 0 makes the series exist.
    pub fn record_connections_over_limit(&self, served_probes_only: bool, count: u64) {
        let outcome = if served_probes_only {
            "probes_only"
        } else {
            "closed"
        };
        self.catalog.increment(
            &cat::EXPORTER_CONNECTIONS_OVER_LIMIT_TOTAL,
            [outcome],
            count,
        );
    }

    /// Counts a request in flight on `victor_exporter_active_requests` until the guard drops.
    pub fn track_request(&self, endpoint: &str, method: &str) -> InFlight {
        let gauge = self.catalog.with_gauge(
            &cat::EXPORTER_ACTIVE_REQUESTS,
            [endpoint, method_label(method)],
            Clone::clone,
        );
        InFlight::start(gauge)
    }
}

impl Component for ExporterTraffic {
    type View = ();

    fn name(&self) -> &'static str {
        "exporter"
    }

    fn metrics(&self) -> Vec<&'static MetricDef> {
        owned(&[Group::Exporter])
    }

    fn view(&self) -> Option<()> {
        None
    }
}
