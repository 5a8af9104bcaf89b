//! The performance collector's health score: recomputed before every render from the agent's
//! figures over the sliding window and the process' memory, recorded as
//! `victor_performance_health_score` (what `002`'s PerformanceDegraded and PerformanceCritical
//! alerts watch) and served with its inputs at `/api/performance/summary`.
//!
//! The formula is [`HealthScore::compute`]'s.

use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use victor_metrics_core::family::SystemView;
use victor_metrics_core::summary::{HealthScore, Summary, WindowFigures};
use victor_metrics_core::{Component, MetricDef, VictorMetrics};

/// Computes and records the health score; its view is the `summary` one.
pub struct Performance {
    metrics: VictorMetrics,
    record: bool,
    last: Mutex<(WindowFigures, HealthScore)>,
}

/// The `/api/performance/summary` view.
#[derive(Clone, Debug, Serialize)]
pub struct SummaryView {
    /// The health score and what each input cost.
    pub health: HealthScore,
    /// The figures over the sliding window it was computed from.
    pub window: WindowFigures,
    /// The agent's totals since start.
    pub agent: Summary,
    /// The last process and host sample.
    pub system: Option<SystemView>,
}

impl Performance {
    /// A collector over `metrics`; with `record` false (the simulation sets its own score) it
    /// computes the score for the view only.
    pub fn new(metrics: VictorMetrics, record: bool) -> Self {
        Performance {
            metrics,
            record,
            last: Mutex::new((
                WindowFigures::default(),
                HealthScore::compute(&WindowFigures::default(), None),
            )),
        }
    }
}

impl Component for Performance {
    type View = SummaryView;

    fn name(&self) -> &'static str {
        "summary"
    }

    /// None: the score is the toolkit family's; this computes it.
    fn metrics(&self) -> Vec<&'static MetricDef> {
        Vec::new()
    }

    /// Runs after the families' refresh, which computes the window figures.
    fn refresh(&self) {
        let figures = self.metrics.window_figures();
        let memory = self.metrics.system().memory_used_ratio();
        let score = HealthScore::compute(&figures, memory);
        if self.record {
            self.metrics.toolkit().set_health_score(score.score);
        }
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = (figures, score);
    }

    fn view(&self) -> Option<SummaryView> {
        let (window, health) = self
            .last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        Some(SummaryView {
            health,
            window,
            agent: self.metrics.summary(),
            system: self.metrics.system().view(),
        })
    }
}
