//! The benchmarks' anchor: the request metrics in `prometheus-client`, the reference Rust
//! client, so each benchmark measures it on the same workload as the project.

use prometheus_client::metrics::counter::Counter as PcCounter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram as PcHistogram;
use prometheus_client::registry::Registry as PcRegistry;
use victor_metrics_core::catalog;

/// A label set: endpoint, method, status.
pub(crate) type Labels = Vec<(&'static str, String)>;

/// The request metrics in `prometheus-client`: a counter family and a histogram family with
/// the catalog's buckets.
pub(crate) struct Anchor {
    pub(crate) registry: PcRegistry,
    pub(crate) requests: Family<Labels, PcCounter>,
    pub(crate) durations: Family<Labels, PcHistogram, fn() -> PcHistogram>,
}

fn request_histogram() -> PcHistogram {
    PcHistogram::new(
        catalog::REQUEST_DURATION_SECONDS
            .def()
            .buckets()
            .iter()
            .copied(),
    )
}

impl Anchor {
    pub(crate) fn new() -> Self {
        let mut registry = PcRegistry::default();
        let requests = Family::<Labels, PcCounter>::default();
        let durations = Family::<Labels, PcHistogram, fn() -> PcHistogram>::new_with_constructor(
            request_histogram,
        );
        registry.register("victor_requests", "Requests.", requests.clone());
        registry.register(
            "victor_request_duration_seconds",
            "Request durations.",
            durations.clone(),
        );
        Anchor {
            registry,
            requests,
            durations,
        }
    }

    /// One request: the counter and the histogram of its label set.
    pub(crate) fn record(&self, labels: &Labels, seconds: f64) {
        self.requests.get_or_create(labels).inc();
        self.durations.get_or_create(labels).observe(seconds);
    }
}

/// The label set of a POST answered 200 on `endpoint`.
pub(crate) fn labels(endpoint: &str) -> Labels {
    vec![
        ("endpoint", endpoint.to_owned()),
        ("method", "POST".to_owned()),
        ("status", "200".to_owned()),
    ]
}
