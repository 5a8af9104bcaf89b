//! The exporter's HTTP routes, declared once: the exporter's router and its not-found answer,
//! the alert rules that leave the exporter's own traffic out of the agent's request alerts
//! ([`own_endpoint_pattern`]), and the docs all read them from here.
//!
//! They live beside the catalog because they are names other crates must agree on: the
//! monitoring middleware records a request's route template (these paths) as its `endpoint`.

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
pub const ROUTES: [Route; 8] = [
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

/// A PromQL (RE2) regular expression matching exactly the exporter's route templates as the
/// `endpoint` label carries them, for rules that leave the exporter's own traffic out.
///
/// ```
/// let pattern = victor_metrics_core::routes::own_endpoint_pattern();
/// assert!(pattern.starts_with("/metrics|/health/\\{probe\\}|"));
/// ```
pub fn own_endpoint_pattern() -> String {
    ROUTES
        .iter()
        .map(|route| escape(route.path))
        .collect::<Vec<_>>()
        .join("|")
}

/// `path` with the characters RE2 treats specially escaped.
fn escape(path: &str) -> String {
    let mut escaped = String::with_capacity(path.len() + 8);
    for c in path.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pattern_names_every_route_escaped() {
        let pattern = own_endpoint_pattern();
        assert_eq!(pattern.split('|').count(), ROUTES.len());
        assert!(
            pattern.contains("/api/alerts/test/\\{channel\\}"),
            "{pattern}"
        );
        assert!(pattern.contains("/api/events"), "{pattern}");
    }
}
