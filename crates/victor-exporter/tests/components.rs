//! The exporter composes components through the trait alone: every catalog entry has exactly
//! one owner among those it registers, a service's own component is served like the built-in
//! ones, and a second owner of a metric is refused.

use std::time::Duration;

use serde::Serialize;
use victor_exporter::Exporter;
use victor_exporter::config::Config;
use victor_metrics_core::{Component, ComponentError, MetricDef, catalog};

struct Queue;

#[derive(Serialize)]
struct QueueView {
    depth: usize,
}

impl Component for Queue {
    type View = QueueView;
    fn name(&self) -> &'static str {
        "queue"
    }
    fn metrics(&self) -> Vec<&'static MetricDef> {
        Vec::new()
    }
    fn view(&self) -> Option<QueueView> {
        Some(QueueView { depth: 3 })
    }
}

/// Claims a metric the requests family owns.
struct Thief;

impl Component for Thief {
    type View = ();
    fn name(&self) -> &'static str {
        "thief"
    }
    fn metrics(&self) -> Vec<&'static MetricDef> {
        vec![catalog::REQUESTS_TOTAL.def()]
    }
    fn view(&self) -> Option<()> {
        None
    }
}

#[test]
fn components_own_every_metric_once_and_a_service_adds_its_own() {
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        ..Config::default()
    };
    let exporter = Exporter::new(config).expect("exporter");

    let components = exporter.components();
    for def in catalog::ALL {
        let owners: Vec<&str> = components
            .iter()
            .filter(|component| component.metrics().iter().any(|m| std::ptr::eq(*m, *def)))
            .map(|component| component.name())
            .collect();
        assert_eq!(owners.len(), 1, "{} is owned by {owners:?}", def.name());
    }

    let Err(err) = exporter.component(Thief) else {
        panic!("a second owner of victor_requests_total was accepted");
    };
    assert_eq!(
        err,
        ComponentError::DuplicateOwner {
            metric: "victor_requests_total",
            owner: "requests",
            claimant: "thief",
        }
    );
}

#[test]
fn a_service_component_is_served_at_its_name() {
    // Its own process would be needed for a second recorder; without metrics none is installed.
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        metrics_enabled: false,
        ..Config::default()
    };
    let running = Exporter::new(config)
        .expect("exporter")
        .component(Queue)
        .expect("a new name")
        .serve_in_background()
        .expect("serving");
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(5)))
            .http_status_as_error(false)
            .build(),
    );
    let mut answer = agent
        .get(format!("{}/api/performance/queue", running.url()))
        .call()
        .expect("answer");
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.body_mut().read_to_string().expect("body"),
        r#"{"depth":3}"#
    );
    let mut missing = agent
        .get(format!("{}/api/performance/nope", running.url()))
        .call()
        .expect("answer");
    assert_eq!(missing.status(), 404);
    let body = missing.body_mut().read_to_string().expect("body");
    assert!(body.contains("queue"), "{body}");
    running.shutdown().expect("shutdown");
}
