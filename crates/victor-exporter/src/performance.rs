//! The performance collector's health score: recomputed before every render from the agent's
//! figures over the sliding window and the process' memory, recorded as
//! `victor_performance_health_score` (what `002`'s PerformanceDegraded and PerformanceCritical
//! alerts watch) and served with its inputs at `/api/performance/summary`.
//!
//! The formula is [`HealthScore::compute`]'s.

use std::sync::{Arc, Mutex, PoisonError};

use victor_metrics_core::summary::{HealthScore, WindowFigures};
use victor_metrics_core::{Component, MetricDef, VictorMetrics, catalog};

use crate::system::SystemSampler;

/// Computes and records the health score.
pub struct Performance {
    metrics: VictorMetrics,
    system: Arc<SystemSampler>,
    record: bool,
    last: Mutex<(WindowFigures, HealthScore)>,
}

impl Performance {
    /// A collector over `metrics` and `system`; with `record` false (the simulation sets its
    /// own score) it computes the score for the JSON view only.
    pub fn new(metrics: VictorMetrics, system: Arc<SystemSampler>, record: bool) -> Self {
        Performance {
            metrics,
            system,
            record,
            last: Mutex::new((
                WindowFigures::default(),
                HealthScore::compute(&WindowFigures::default(), None),
            )),
        }
    }
}

impl Component for Performance {
    fn name(&self) -> &'static str {
        "performance"
    }

    fn metrics(&self) -> Vec<&'static MetricDef> {
        vec![catalog::PERFORMANCE_HEALTH_SCORE.def()]
    }

    /// Runs after the recording state's own refresh, which computes the window figures.
    fn refresh(&self) {
        let figures = self.metrics.window_figures();
        let score = HealthScore::compute(&figures, self.system.memory_used_ratio());
        if self.record {
            self.metrics.set_health_score(score.score);
        }
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = (figures, score);
    }

    fn json(&self) -> serde_json::Value {
        let (figures, score) = self
            .last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        serde_json::json!({ "health": score, "window": figures })
    }
}
