//! The Prometheus form of a rule: the alerting-rule model of a rule file, with the PromQL that
//! computes the same signal as the in-process engine.
//!
//! Aggregations keep `job` and `instance` besides the signal's own `by` labels, so in a fleet
//! each exporter alerts on itself, exactly as each exporter's engine does in process.
//!
//! ```
//! use std::time::Duration;
//! use victor_alerting::{Rule, Signal, histogram};
//! use victor_metrics_core::catalog;
//!
//! let rule = Rule::builder("SlowResponseTime")
//!     .condition(
//!         Signal::quantile(0.95, histogram(&catalog::REQUEST_DURATION_SECONDS), Duration::from_secs(300))
//!             .by(["endpoint"])
//!             .above(30.0),
//!     )
//!     .for_duration(Duration::from_secs(300))
//!     .build()?;
//! let prometheus = rule.to_prometheus().expect("typed condition");
//! assert_eq!(
//!     prometheus.expr,
//!     "histogram_quantile(0.95, sum by (job, instance, endpoint, le) \
//!      (rate(victor_request_duration_seconds_bucket[5m]))) > 30"
//! );
//! assert_eq!(prometheus.for_duration.as_deref(), Some("5m"));
//! # Ok::<(), victor_alerting::RuleError>(())
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::rule::{Condition, Rule, Selector, Signal, SignalKind};

/// Labels every PromQL aggregation keeps, so a fleet alerts per exporter.
pub const FLEET_LABELS: [&str; 2] = ["job", "instance"];

/// One alerting rule of a Prometheus rule file (`groups[].rules[]`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PrometheusRule {
    /// The alert name.
    pub alert: String,
    /// The PromQL expression.
    pub expr: String,
    /// How long the expression must hold, as a Prometheus duration (`2m`).
    #[serde(rename = "for", skip_serializing_if = "Option::is_none")]
    pub for_duration: Option<String>,
    /// `severity` and the rule's own labels.
    pub labels: BTreeMap<String, String>,
    /// The rule's annotations, templates included.
    pub annotations: BTreeMap<String, String>,
}

impl Rule {
    /// The rule as a Prometheus alerting rule; `None` for a [`Condition::Custom`] rule, which
    /// only the in-process engine can evaluate.
    pub fn to_prometheus(&self) -> Option<PrometheusRule> {
        let Condition::Threshold(threshold) = &self.condition else {
            return None;
        };
        let expr = format!(
            "{} {} {}",
            signal_promql(&threshold.signal),
            threshold.comparison.promql(),
            threshold.threshold
        );
        let mut labels = self.labels.clone();
        labels.insert("severity".into(), self.severity.as_str().into());
        Some(PrometheusRule {
            alert: self.name.clone(),
            expr,
            for_duration: (!self.for_duration.is_zero()).then(|| duration(self.for_duration)),
            labels,
            annotations: self.annotations.clone(),
        })
    }
}

fn signal_promql(signal: &Signal) -> String {
    let by = |extra: Option<&str>| {
        let labels: Vec<&str> = FLEET_LABELS
            .iter()
            .copied()
            .chain(signal.by.iter().copied())
            .chain(extra)
            .collect();
        format!("by ({})", labels.join(", "))
    };
    let rate = |selector: &Selector, window: Duration| {
        format!(
            "sum {} (rate({}[{}]))",
            by(None),
            series(selector, selector.suffix),
            duration(window)
        )
    };
    match &signal.kind {
        SignalKind::Rate { counter, window } => rate(counter, *window),
        SignalKind::Growth {
            counter,
            short,
            long,
        } => format!("{} / {}", rate(counter, *short), rate(counter, *long)),
        SignalKind::Ratio {
            numerator,
            denominator,
            window,
        } => {
            let parts: Vec<String> = denominator
                .iter()
                .map(|selector| rate(selector, *window))
                .collect();
            let denominator = match parts.as_slice() {
                [one] => one.clone(),
                _ => format!("({})", parts.join(" + ")),
            };
            format!("{} / {denominator}", rate(numerator, *window))
        }
        SignalKind::Quantile {
            q,
            histogram,
            window,
        } => format!(
            "histogram_quantile({q}, sum {} (rate({}[{}])))",
            by(Some("le")),
            series(histogram, "_bucket"),
            duration(*window)
        ),
        SignalKind::Gauge { gauge } => format!("max {} ({})", by(None), series(gauge, "")),
        SignalKind::GaugeRatio {
            numerator,
            denominator,
        } => format!(
            "max {by} ({}) / max {by} ({})",
            series(numerator, ""),
            series(denominator, ""),
            by = by(None)
        ),
    }
}

fn series(selector: &Selector, suffix: &str) -> String {
    let name = format!("{}{suffix}", selector.metric.name());
    if selector.matchers.is_empty() {
        return name;
    }
    let matchers: Vec<String> = selector.matchers.iter().map(|m| m.promql()).collect();
    format!("{name}{{{}}}", matchers.join(", "))
}

/// A Prometheus duration: the largest whole unit (`90s`, `5m`, `1h`, `250ms`).
pub fn duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    let units = [(3_600_000, "h"), (60_000, "m"), (1_000, "s")];
    for (size, unit) in units {
        if millis >= size && millis.is_multiple_of(size) {
            return format!("{}{unit}", millis / size);
        }
    }
    format!("{millis}ms")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Severity;
    use crate::rule::{counter, gauge};
    use victor_metrics_core::catalog;

    #[test]
    fn ratio_of_two_counters_sums_the_denominator() {
        let rule = Rule::builder("HighCacheMissRate")
            .condition(
                Signal::ratio(
                    counter(&catalog::CACHE_MISSES_TOTAL),
                    [
                        counter(&catalog::CACHE_HITS_TOTAL),
                        counter(&catalog::CACHE_MISSES_TOTAL),
                    ],
                    Duration::from_secs(300),
                )
                .by(["cache_name"])
                .above(0.6),
            )
            .severity(Severity::Critical)
            .label("team", "agents")
            .build()
            .expect("rule");
        let prometheus = rule.to_prometheus().expect("typed");
        assert_eq!(
            prometheus.expr,
            "sum by (job, instance, cache_name) (rate(victor_cache_misses_total[5m])) / \
             (sum by (job, instance, cache_name) (rate(victor_cache_hits_total[5m])) + \
             sum by (job, instance, cache_name) (rate(victor_cache_misses_total[5m]))) > 0.6"
        );
        assert_eq!(prometheus.for_duration, None);
        assert_eq!(prometheus.labels["severity"], "critical");
        assert_eq!(prometheus.labels["team"], "agents");
    }

    #[test]
    fn gauge_ratio_and_matchers() {
        let rule = Rule::builder("HighMemoryUsage")
            .condition(
                Signal::gauge_ratio(
                    gauge(&catalog::MEMORY_USAGE_BYTES).eq("component", "process"),
                    gauge(&catalog::MEMORY_LIMIT_BYTES),
                )
                .above(0.9),
            )
            .build()
            .expect("rule");
        assert_eq!(
            rule.to_prometheus().expect("typed").expr,
            "max by (job, instance) (victor_memory_usage_bytes{component=\"process\"}) / \
             max by (job, instance) (victor_memory_limit_bytes) > 0.9"
        );
        let custom = Rule::builder("Custom")
            .condition(Condition::custom(|| true))
            .build()
            .expect("rule");
        assert!(custom.to_prometheus().is_none());
    }

    #[test]
    fn durations_use_the_largest_whole_unit() {
        assert_eq!(duration(Duration::from_secs(120)), "2m");
        assert_eq!(duration(Duration::from_secs(90)), "90s");
        assert_eq!(duration(Duration::from_secs(3600)), "1h");
        assert_eq!(duration(Duration::from_millis(250)), "250ms");
    }
}
