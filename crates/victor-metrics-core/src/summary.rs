//! The summary: totals, success and error rates, and latency percentiles since start.
//!
//! Field names are part of the JSON API (`/api/performance/summary`) and stay stable. Rates and
//! percentiles are `null` when nothing was recorded. Percentiles are computed over the catalog
//! histogram's buckets the way `histogram_quantile` does, so they agree with PromQL.
//!
//! ```
//! use victor_metrics_core::VictorMetrics;
//!
//! let json = VictorMetrics::new().summary().to_json();
//! assert_eq!(json["requests"]["total"], 0);
//! assert!(json["requests"]["duration_seconds"]["p95"].is_null());
//! ```

use serde::Serialize;

use crate::stats::{HistogramSnapshot, Tally};

/// Everything the summary reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Seconds since the recording state was created.
    pub uptime_seconds: f64,
    /// Handled requests.
    pub requests: OutcomeSummary,
    /// LLM calls, tokens and cost.
    pub llm: LlmSummary,
    /// Tool executions.
    pub tools: OutcomeSummary,
    /// Named caches, all together.
    pub cache: CacheSummary,
}

impl Summary {
    /// The summary as a JSON value.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// Totals, rates and latency of one kind of operation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutcomeSummary {
    /// Operations recorded.
    pub total: u64,
    /// Of which failed.
    pub errors: u64,
    /// Succeeded over total, 0 to 1.
    pub success_rate: Option<f64>,
    /// Failed over total, 0 to 1.
    pub error_rate: Option<f64>,
    /// Latency percentiles.
    pub duration_seconds: LatencySummary,
}

impl OutcomeSummary {
    pub(crate) fn new(tally: Tally, durations: &HistogramSnapshot) -> Self {
        OutcomeSummary {
            total: tally.total,
            errors: tally.total - tally.good,
            success_rate: tally.ratio_or_none(),
            error_rate: tally.ratio_or_none().map(|ok| 1.0 - ok),
            duration_seconds: LatencySummary::new(durations),
        }
    }
}

/// Latency percentiles in seconds, interpolated like `histogram_quantile`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Median.
    pub p50: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
}

impl LatencySummary {
    pub(crate) fn new(snapshot: &HistogramSnapshot) -> Self {
        LatencySummary {
            p50: snapshot.quantile(0.50),
            p95: snapshot.quantile(0.95),
            p99: snapshot.quantile(0.99),
        }
    }
}

/// LLM calls with token and cost totals.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LlmSummary {
    /// Calls, errors and latency.
    pub calls: OutcomeSummary,
    /// Prompt (input) tokens.
    pub prompt_tokens: u64,
    /// Completion (output) tokens.
    pub completion_tokens: u64,
    /// Estimated spend in US dollars.
    pub cost_usd: f64,
}

/// Cache lookups across every named cache.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CacheSummary {
    /// Lookups served from cache.
    pub hits: u64,
    /// Lookups not served from cache.
    pub misses: u64,
    /// Hits over lookups, 0 to 1.
    pub hit_rate: Option<f64>,
}

impl Tally {
    pub(crate) fn ratio_or_none(self) -> Option<f64> {
        (self.total > 0).then(|| self.good as f64 / self.total as f64)
    }
}

/// One tool's or provider's share of the traffic since start, for the per-component views
/// (`/api/performance/tools`, `/providers`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Breakdown {
    /// The tool or provider.
    pub name: String,
    /// Its operations: totals, error and success rates, latency percentiles.
    #[serde(flatten)]
    pub outcome: OutcomeSummary,
}

/// One cache's or tool-selection namespace's lookups since start.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CacheBreakdown {
    /// The cache name or namespace.
    pub name: String,
    /// Lookups served from cache.
    pub hits: u64,
    /// Lookups not served from cache.
    pub misses: u64,
    /// Hits over lookups, 0 to 1; `null` before the first lookup.
    pub hit_rate: Option<f64>,
    /// Entries evicted.
    pub evictions: u64,
    /// Lookup latency percentiles (tool selection only; absent for named caches).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<LatencySummary>,
}

/// The agent's figures over the sliding window (`window`, 5 minutes by default), as of
/// the last [`crate::VictorMetrics::refresh`]: what the health score reads.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WindowFigures {
    /// Seconds the figures cover (shorter than the window right after start).
    pub seconds: f64,
    /// Requests handled in the window.
    pub requests: u64,
    /// Share of those that failed; `null` without requests.
    pub request_error_ratio: Option<f64>,
    /// 95th percentile request latency in the window; `null` without requests.
    pub request_p95_seconds: Option<f64>,
    /// Share of tool executions that failed; `null` without executions.
    pub tool_failure_ratio: Option<f64>,
    /// Hits over lookups across the named caches; `null` without lookups.
    pub cache_hit_rate: Option<f64>,
}

/// The performance health score, 0 (critical) to 100 (healthy), and what each input cost.
///
/// `score = 100 − errors − latency − tools − cache − memory`, each penalty growing linearly to
/// its cap, and an input with no data costing nothing:
///
/// | penalty | from | full at | cap |
/// |---|---|---|---|
/// | `errors` | request error ratio 0 | 10% | 40 |
/// | `latency` | request p95 1 s | 5 s | 20 |
/// | `tools` | tool failure ratio 0 | 20% | 20 |
/// | `cache` | cache hit rate 50% | 0% | 10 |
/// | `memory` | resident memory 80% of the limit | 100% | 10 |
///
/// So 10% failing requests alone give 60, under `002`'s PerformanceDegraded threshold (70);
/// that plus slow requests (p95 ≥ 5 s) gives 40, under PerformanceCritical (50).
///
/// ```
/// use victor_metrics_core::summary::{HealthScore, WindowFigures};
///
/// let figures = WindowFigures { request_error_ratio: Some(0.05), ..WindowFigures::default() };
/// assert_eq!(HealthScore::compute(&figures, None).score, 80.0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct HealthScore {
    /// 0 to 100.
    pub score: f64,
    /// Points lost to request errors.
    pub errors: f64,
    /// Points lost to request latency.
    pub latency: f64,
    /// Points lost to tool failures.
    pub tools: f64,
    /// Points lost to a cold cache.
    pub cache: f64,
    /// Points lost to memory pressure.
    pub memory: f64,
}

impl HealthScore {
    /// The score from the window's figures and resident memory over the memory limit.
    pub fn compute(figures: &WindowFigures, memory_used_ratio: Option<f64>) -> HealthScore {
        // `cap` points, reached linearly as `value` goes from `from` to `full`.
        let penalty = |value: Option<f64>, from: f64, full: f64, cap: f64| {
            value.map_or(0.0, |value| {
                (cap * (value - from) / (full - from)).clamp(0.0, cap)
            })
        };
        let errors = penalty(figures.request_error_ratio, 0.0, 0.10, 40.0);
        let latency = penalty(figures.request_p95_seconds, 1.0, 5.0, 20.0);
        let tools = penalty(figures.tool_failure_ratio, 0.0, 0.20, 20.0);
        let cache = penalty(figures.cache_hit_rate, 0.5, 0.0, 10.0);
        let memory = penalty(memory_used_ratio, 0.8, 1.0, 10.0);
        HealthScore {
            score: (100.0 - errors - latency - tools - cache - memory).clamp(0.0, 100.0),
            errors,
            latency,
            tools,
            cache,
            memory,
        }
    }
}

/// Start-up as recorded: the initialization time, each bootstrap phase and lazy loads since.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BootstrapView {
    /// The last recorded initialization time; `null` before one is recorded.
    pub initialization_seconds: Option<f64>,
    /// Seconds per bootstrap phase, by phase.
    pub phases: std::collections::BTreeMap<String, f64>,
    /// Components loaded lazily after start-up, by component.
    pub lazy_loads: std::collections::BTreeMap<String, u64>,
}

/// The tool-selection cache's fill in one namespace, as last set.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SelectionFill {
    /// Entries held.
    pub entries: u64,
    /// Entries it can hold.
    pub capacity: u64,
    /// Entries over capacity, 0 to 1; `null` without a capacity.
    pub utilization: Option<f64>,
    /// Memory held, in bytes.
    pub memory_bytes: u64,
}

#[cfg(test)]
mod tests {
    use super::{HealthScore, WindowFigures};

    fn score(figures: WindowFigures, memory: Option<f64>) -> HealthScore {
        HealthScore::compute(&figures, memory)
    }

    #[test]
    fn health_score_formula_cases() {
        let none = WindowFigures::default();
        assert_eq!(
            score(none.clone(), None).score,
            100.0,
            "no data costs nothing"
        );
        let errors = |ratio| WindowFigures {
            request_error_ratio: Some(ratio),
            ..WindowFigures::default()
        };
        assert_eq!(score(errors(0.10), None).score, 60.0);
        assert_eq!(score(errors(0.30), None).errors, 40.0, "capped");
        let slow = WindowFigures {
            request_error_ratio: Some(0.10),
            request_p95_seconds: Some(5.0),
            ..WindowFigures::default()
        };
        assert_eq!(score(slow, None).score, 40.0);
        let fast = WindowFigures {
            request_p95_seconds: Some(0.8),
            ..WindowFigures::default()
        };
        assert_eq!(score(fast, None).latency, 0.0);
        let cold = WindowFigures {
            cache_hit_rate: Some(0.25),
            tool_failure_ratio: Some(0.10),
            ..WindowFigures::default()
        };
        let cold = score(cold, Some(0.9));
        assert_eq!((cold.cache, cold.tools, cold.memory), (5.0, 10.0, 5.0));
        assert_eq!(cold.score, 80.0);
        let worst = WindowFigures {
            request_error_ratio: Some(1.0),
            request_p95_seconds: Some(60.0),
            tool_failure_ratio: Some(1.0),
            cache_hit_rate: Some(0.0),
            ..WindowFigures::default()
        };
        assert_eq!(score(worst, Some(1.5)).score, 0.0);
    }
}
