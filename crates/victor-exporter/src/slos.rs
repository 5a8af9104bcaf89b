//! The SLOs in force as a component: `GET /api/performance/slos` lists each with its burn rate
//! over every window its alerts read and its pending and firing alerts, from the engine that
//! evaluates them (`victor metrics slos` shows it).

use std::sync::Arc;

use serde::Serialize;
use victor_alerting::Engine;
use victor_alerting::slo::{Slo, SloStatus};
use victor_metrics_core::{Component, MetricDef};

/// The SLOs the engine evaluates, for their view.
pub(crate) struct Slos {
    slos: Vec<Slo>,
    engine: Arc<Engine>,
}

impl Slos {
    /// The view of `slos`, whose rules `engine` holds.
    pub(crate) fn new(slos: Vec<Slo>, engine: Arc<Engine>) -> Slos {
        Slos { slos, engine }
    }
}

/// `GET /api/performance/slos`.
#[derive(Serialize)]
pub(crate) struct SlosView {
    slos: Vec<SloStatus>,
}

impl Component for Slos {
    type View = SlosView;

    fn name(&self) -> &'static str {
        "slos"
    }

    fn metrics(&self) -> Vec<&'static MetricDef> {
        Vec::new()
    }

    fn view(&self) -> Option<SlosView> {
        let alerts = self.engine.alerts();
        Some(SlosView {
            slos: self
                .slos
                .iter()
                .map(|slo| slo.status(&self.engine, &alerts))
                .collect(),
        })
    }
}
