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

/// One view of the recording state, served at `/api/performance/{name}`.
pub struct View {
    name: &'static str,
    metrics: VictorMetrics,
}

impl View {
    /// The views the performance collector registers: `tools`, `providers`, `cache` and
    /// `bootstrap`.
    pub fn all(metrics: &VictorMetrics) -> Vec<View> {
        ["tools", "providers", "cache", "bootstrap"]
            .into_iter()
            .map(|name| View {
                name,
                metrics: metrics.clone(),
            })
            .collect()
    }
}

impl Component for View {
    fn name(&self) -> &'static str {
        self.name
    }

    fn metrics(&self) -> Vec<&'static MetricDef> {
        let defs: &[&'static MetricDef] = match self.name {
            "tools" => &[
                catalog::TOOL_EXECUTIONS_TOTAL.def(),
                catalog::TOOL_EXECUTION_DURATION_SECONDS.def(),
                catalog::TOOL_ERRORS_TOTAL.def(),
            ],
            "providers" => &[
                catalog::LLM_REQUESTS_TOTAL.def(),
                catalog::LLM_DURATION_SECONDS.def(),
                catalog::PROVIDER_HEALTHY.def(),
            ],
            "cache" => &[
                catalog::CACHE_HITS_TOTAL.def(),
                catalog::CACHE_MISSES_TOTAL.def(),
                catalog::CACHE_EVICTIONS_TOTAL.def(),
                catalog::TOOL_SELECTION_CACHE_HITS_TOTAL.def(),
                catalog::TOOL_SELECTION_CACHE_MISSES_TOTAL.def(),
                catalog::TOOL_SELECTION_CACHE_EVICTIONS_TOTAL.def(),
                catalog::TOOL_SELECTION_CACHE_ENTRIES.def(),
                catalog::TOOL_SELECTION_CACHE_UTILIZATION.def(),
            ],
            _ => &[
                catalog::INITIALIZATION_DURATION_SECONDS.def(),
                catalog::BOOTSTRAP_PHASE_DURATION_SECONDS.def(),
                catalog::BOOTSTRAP_LAZY_LOADS_TOTAL.def(),
            ],
        };
        defs.to_vec()
    }

    fn json(&self) -> serde_json::Value {
        let metrics = &self.metrics;
        match self.name {
            "tools" => serde_json::json!({ "tools": metrics.tool_breakdown() }),
            "providers" => {
                let health = metrics.provider_health();
                let providers: Vec<serde_json::Value> = metrics
                    .provider_breakdown()
                    .into_iter()
                    .map(|provider| {
                        let healthy = health.get(&provider.name).copied();
                        let mut json = serde_json::to_value(provider).unwrap_or_default();
                        json["healthy"] = serde_json::json!(healthy);
                        json
                    })
                    .collect();
                let healthy = health.values().filter(|healthy| **healthy).count();
                serde_json::json!({ "providers": providers, "healthy": healthy, "known": health.len() })
            }
            "cache" => serde_json::json!({
                "caches": metrics.cache_breakdown(),
                "tool_selection": metrics.tool_selection_breakdown(),
                "tool_selection_fill": metrics.tool_selection_fill(),
            }),
            _ => serde_json::to_value(metrics.bootstrap()).unwrap_or_default(),
        }
    }
}
