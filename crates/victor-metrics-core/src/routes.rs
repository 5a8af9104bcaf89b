//! The exporter's HTTP routes, declared once: the exporter's router, its not-found answer and
//! the docs read them from here.
//!
//! They live beside the catalog because they are names other crates must agree on: the
//! monitoring middleware records a request's route template (these paths) as its `endpoint`.

/// The status page: probes, alerts, the summary and charts, as HTML for a browser.
pub const STATUS_PAGE: &str = "/";
/// Prometheus exposition (text or OpenMetrics, by `Accept`; gzip when asked).
pub const METRICS: &str = "/metrics";
/// One probe's report.
pub const PROBE: &str = "/health/{probe}";
/// One check of a probe.
pub const PROBE_CHECK: &str = "/health/{probe}/{check}";
/// Pending and firing alerts.
pub const ALERTS: &str = "/api/alerts";
/// One test notification through a configured channel.
pub const TEST_NOTIFICATION: &str = "/api/alerts/test/{channel}";
/// The same exposition as [`METRICS`].
pub const PROMETHEUS: &str = "/api/performance/prometheus";
/// A registered component's JSON view (`summary`, `system`, `tools`, ...).
pub const COMPONENT_VIEW: &str = "/api/performance/{component}";
/// Events from agents.
pub const EVENTS: &str = "/api/events";

/// One route: its method and path template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The path template, as the router and `victor_requests_total{endpoint}` spell it.
    pub path: &'static str,
}

impl Route {
    /// Whether the route changes state, and so sits behind the access guard.
    pub const fn changes_state(self) -> bool {
        matches!(self.method.as_bytes(), b"POST")
    }
}

/// Every route the exporter serves.
pub const ROUTES: [Route; 9] = [
    Route {
        method: "GET",
        path: STATUS_PAGE,
    },
    Route {
        method: "GET",
        path: METRICS,
    },
    Route {
        method: "GET",
        path: PROBE,
    },
    Route {
        method: "GET",
        path: PROBE_CHECK,
    },
    Route {
        method: "GET",
        path: ALERTS,
    },
    Route {
        method: "GET",
        path: PROMETHEUS,
    },
    Route {
        method: "GET",
        path: COMPONENT_VIEW,
    },
    Route {
        method: "POST",
        path: TEST_NOTIFICATION,
    },
    Route {
        method: "POST",
        path: EVENTS,
    },
];
