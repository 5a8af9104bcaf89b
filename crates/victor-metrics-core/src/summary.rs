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
    fn new(snapshot: &HistogramSnapshot) -> Self {
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
}
