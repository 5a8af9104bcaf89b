//! One PromQL model for everything that queries the catalog: the alert engine's rules, the
//! Prometheus rule files and the Grafana dashboards (`cargo xtask gen`).
//!
//! A query names metrics only through the typed catalog statics ([`counter`], [`gauge`],
//! [`histogram`]), so it cannot name a metric the catalog lacks or take the rate of a gauge; a
//! label the metric does not carry is an error when it renders ([`PromqlError`]). The same
//! [`Query`] renders in two [`Scope`]s: for a fleet (every aggregation keeps `job` and
//! `instance`, so each exporter alerts on itself, as its engine does in process) and for a
//! dashboard (filtered by the `$job` and `$instance` variables, over `$__rate_interval`). The
//! engine evaluates the same selectors ([`Rule`]'s signals) in process.
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

use regex_lite::Regex;
use serde::Serialize;
use victor_metrics_core::MetricDef;
use victor_metrics_core::catalog::{CounterDef, GaugeDef, HistogramDef};

use crate::rule::{Comparison, Condition, Rule, Signal, SignalKind, Threshold};

/// Labels every fleet aggregation keeps, so a fleet alerts per exporter.
pub const FLEET_LABELS: [&str; 2] = ["job", "instance"];

/// The window a fleet query without its own looks back over (recording rules).
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(300);

/// How a label is matched, as in PromQL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchOp {
    /// `label="value"`
    Equal,
    /// `label!="value"`
    NotEqual,
    /// `label=~"regex"` (anchored at both ends, as in PromQL)
    Regex,
    /// `label!~"regex"`
    NotRegex,
}

impl MatchOp {
    /// The operator as PromQL writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Regex => "=~",
            MatchOp::NotRegex => "!~",
        }
    }
}

/// One label matcher of a selector.
#[derive(Clone, Debug)]
pub(crate) struct Matcher {
    pub(crate) label: &'static str,
    pub(crate) op: MatchOp,
    pub(crate) value: String,
    /// Compiled anchored pattern for the regex ops; `Err` keeps the parser's message for
    /// [`RuleBuilder::build`] to report.
    pub(crate) regex: Option<Result<Regex, String>>,
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        // The regex is compiled from the value.
        (self.label, self.op, &self.value) == (other.label, other.op, &other.value)
    }
}

impl Matcher {
    pub(crate) fn new(label: &'static str, op: MatchOp, value: &str) -> Self {
        let regex = matches!(op, MatchOp::Regex | MatchOp::NotRegex)
            .then(|| Regex::new(&format!("^(?:{value})$")).map_err(|err| err.to_string()));
        Matcher {
            label,
            op,
            value: value.to_owned(),
            regex,
        }
    }

    /// Whether a series whose `label` has `value` (empty when absent, as in PromQL) passes.
    pub(crate) fn accepts(&self, value: &str) -> bool {
        match (self.op, &self.regex) {
            (MatchOp::Equal, _) => value == self.value,
            (MatchOp::NotEqual, _) => value != self.value,
            (MatchOp::Regex, Some(Ok(regex))) => regex.is_match(value),
            (MatchOp::NotRegex, Some(Ok(regex))) => !regex.is_match(value),
            _ => false,
        }
    }

    pub(crate) fn promql(&self) -> String {
        format!("{}{}{}", self.label, self.op.as_str(), quote(&self.value))
    }
}

/// A catalog metric narrowed by label matchers. Make one with [`counter`], [`gauge`] or
/// [`histogram`], so a signal can only take the kind of metric it works on.
#[derive(Clone, Debug)]
pub(crate) struct Selector {
    /// The catalog entry.
    pub(crate) metric: &'static MetricDef,
    /// Which of the metric's series: `""`, or a histogram's `_sum` read as a counter.
    pub(crate) suffix: &'static str,
    pub(crate) matchers: Vec<Matcher>,
}

impl PartialEq for Selector {
    fn eq(&self, other: &Self) -> bool {
        self.metric.name() == other.metric.name()
            && self.suffix == other.suffix
            && self.matchers == other.matchers
    }
}

macro_rules! selector_kind {
    ($(#[$doc:meta])* $ty:ident, $make:ident, $def:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $ty(pub(crate) Selector);

        /// Selects every series of the catalog entry; narrow it with the matcher methods.
        pub fn $make<const N: usize>(def: &'static $def<N>) -> $ty {
            $ty(Selector { metric: def.def(), suffix: "", matchers: Vec::new() })
        }

        impl $ty {
            /// Keeps series whose `label` equals `value`.
            #[must_use]
            pub fn eq(self, label: &'static str, value: &str) -> Self {
                self.with(label, MatchOp::Equal, value)
            }
            /// Keeps series whose `label` differs from `value`.
            #[must_use]
            pub fn ne(self, label: &'static str, value: &str) -> Self {
                self.with(label, MatchOp::NotEqual, value)
            }
            /// Keeps series whose `label` matches the regular expression, anchored as in PromQL.
            #[must_use]
            pub fn matches(self, label: &'static str, pattern: &str) -> Self {
                self.with(label, MatchOp::Regex, pattern)
            }
            /// Keeps series whose `label` does not match the regular expression.
            #[must_use]
            pub fn not_matches(self, label: &'static str, pattern: &str) -> Self {
                self.with(label, MatchOp::NotRegex, pattern)
            }
            fn with(mut self, label: &'static str, op: MatchOp, value: &str) -> Self {
                self.0.matchers.push(Matcher::new(label, op, value));
                self
            }
        }
    };
}

selector_kind!(
    /// Series of a catalog counter.
    CounterSelector,
    counter,
    CounterDef
);
selector_kind!(
    /// Series of a catalog gauge.
    GaugeSelector,
    gauge,
    GaugeDef
);
selector_kind!(
    /// Series of a catalog histogram.
    HistogramSelector,
    histogram,
    HistogramDef
);

impl HistogramSelector {
    /// The histogram's `_sum` series as a counter: what `rate` takes for spend or volume per
    /// second (`victor_llm_cost_usd` in dollars per second).
    #[must_use]
    pub fn sum(self) -> CounterSelector {
        CounterSelector(Selector {
            suffix: "_sum",
            ..self.0
        })
    }

    /// The histogram's `_count` series as a counter: how many observations (events) there were.
    #[must_use]
    pub fn count(self) -> CounterSelector {
        CounterSelector(Selector {
            suffix: "_count",
            ..self.0
        })
    }
}

/// A PromQL string literal.
pub(crate) fn quote(value: &str) -> String {
    // JSON string escapes are valid in PromQL's double-quoted strings (Go syntax).
    serde_json::to_string(value).unwrap_or_else(|_| format!("{value:?}"))
}

/// Where a query runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// A Prometheus rule: every series, aggregations per `job` and `instance` too, windows as
    /// given (else [`DEFAULT_WINDOW`]).
    Fleet,
    /// A Grafana panel: selectors filtered by `$job` and `$instance`, windows
    /// `$__rate_interval`, totals over `$__range`.
    Dashboard,
}

/// Why a query cannot render.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PromqlError {
    /// A matcher or `by` names a label the metric does not carry: the query would select or
    /// group nothing.
    #[error("{metric} has no label {label:?} (its labels: {known:?})")]
    UnknownLabel {
        /// The metric.
        metric: &'static str,
        /// The label named.
        label: &'static str,
        /// The labels it has.
        known: &'static [&'static str],
    },
}

/// A PromQL expression over catalog series.
#[derive(Clone, Debug)]
pub enum Query {
    /// `sum by (…) (rate(counter[window]))`.
    Rate {
        /// The counter's series.
        counter: CounterSelector,
        /// Group labels.
        by: Vec<&'static str>,
        /// The window; `None` for the scope's.
        window: Option<Duration>,
    },
    /// `sum by (…) (increase(counter[$__range]))`: totals over a dashboard's time range, or
    /// over the window in a fleet rule.
    Increase {
        /// The counter's series.
        counter: CounterSelector,
        /// Group labels.
        by: Vec<&'static str>,
        /// The window of a fleet rule; `None` for [`DEFAULT_WINDOW`]. Dashboards use `$__range`.
        window: Option<Duration>,
    },
    /// `1 - (sum by (…) (rate(h_bucket{le="bound"}[w])) / sum by (…) (rate(h_count[w])))`: the
    /// share of observations above a bucket bound.
    ShareAbove {
        /// The histogram's series.
        histogram: HistogramSelector,
        /// One of its bucket bounds.
        bound: f64,
        /// Group labels.
        by: Vec<&'static str>,
        /// The window; `None` for the scope's.
        window: Option<Duration>,
    },
    /// `histogram_quantile(q, sum by (…, le) (rate(histogram_bucket[window])))`.
    Quantile {
        /// The quantile, 0 to 1.
        q: f64,
        /// The histogram's series.
        histogram: HistogramSelector,
        /// Group labels.
        by: Vec<&'static str>,
        /// The window; `None` for the scope's.
        window: Option<Duration>,
    },
    /// `max by (…) (gauge)`.
    Max(GaugeSelector, Vec<&'static str>),
    /// `sum by (…) (gauge)`.
    Sum(GaugeSelector, Vec<&'static str>),
    /// `a / b`.
    Div(Box<Query>, Box<Query>),
    /// `(a + b)`.
    Add(Box<Query>, Box<Query>),
    /// `q * factor`.
    Scale(Box<Query>, f64),
    /// `topk(k, q)`.
    TopK(usize, Box<Query>),
    /// `q > threshold` or `q < threshold`.
    Compare(Box<Query>, Comparison, f64),
    /// A recording rule's series, with label equalities.
    Recorded(&'static str, Vec<(&'static str, &'static str)>),
}

impl Query {
    /// Per-second rate of the counter over the scope's window, summed per `by` group.
    pub fn rate<const N: usize>(counter: CounterSelector, by: [&'static str; N]) -> Query {
        Query::Rate {
            counter,
            by: by.to_vec(),
            window: None,
        }
    }

    /// Increase of the counter over a dashboard's range, summed per `by` group.
    pub fn increase<const N: usize>(counter: CounterSelector, by: [&'static str; N]) -> Query {
        Query::Increase {
            counter,
            by: by.to_vec(),
            window: None,
        }
    }

    /// The `q`-quantile of the histogram per `by` group, over the scope's window.
    pub fn quantile<const N: usize>(
        q: f64,
        histogram: HistogramSelector,
        by: [&'static str; N],
    ) -> Query {
        Query::Quantile {
            q,
            histogram,
            by: by.to_vec(),
            window: None,
        }
    }

    /// The highest value of the gauge per `by` group.
    pub fn max<const N: usize>(gauge: GaugeSelector, by: [&'static str; N]) -> Query {
        Query::Max(gauge, by.to_vec())
    }

    /// The summed gauge per `by` group.
    pub fn sum<const N: usize>(gauge: GaugeSelector, by: [&'static str; N]) -> Query {
        Query::Sum(gauge, by.to_vec())
    }

    /// Numerator over denominator.
    pub fn ratio(numerator: Query, denominator: Query) -> Query {
        Query::Div(Box::new(numerator), Box::new(denominator))
    }

    /// This query plus `other` (series matched on their labels).
    #[must_use]
    pub fn plus(self, other: Query) -> Query {
        Query::Add(Box::new(self), Box::new(other))
    }

    /// This query times `factor` (per second to per hour: 3600).
    #[must_use]
    pub fn times(self, factor: f64) -> Query {
        Query::Scale(Box::new(self), factor)
    }

    /// The `k` largest series of this query.
    #[must_use]
    pub fn top(self, k: usize) -> Query {
        Query::TopK(k, Box::new(self))
    }

    /// A recording rule's series with these label equalities.
    pub fn recorded(name: &'static str, labels: &[(&'static str, &'static str)]) -> Query {
        Query::Recorded(name, labels.to_vec())
    }

    /// The PromQL text in `scope`.
    ///
    /// # Errors
    /// [`PromqlError::UnknownLabel`] naming the first matcher or group label a metric lacks.
    pub fn render(&self, scope: Scope) -> Result<String, PromqlError> {
        let window = |window: &Option<Duration>| match (scope, window) {
            (Scope::Dashboard, _) => "$__rate_interval".to_owned(),
            (Scope::Fleet, Some(window)) => duration(*window),
            (Scope::Fleet, None) => duration(DEFAULT_WINDOW),
        };
        Ok(match self {
            Query::Rate {
                counter,
                by,
                window: w,
            } => format!(
                "sum{} (rate({}[{}]))",
                group(scope, &counter.0, by, None)?,
                counter.0.render(scope, "")?,
                window(w)
            ),
            Query::Increase {
                counter,
                by,
                window: w,
            } => format!(
                "sum{} (increase({}[{}]))",
                group(scope, &counter.0, by, None)?,
                counter.0.render(scope, "")?,
                match scope {
                    Scope::Dashboard => "$__range".to_owned(),
                    Scope::Fleet => window(w),
                }
            ),
            Query::ShareAbove {
                histogram,
                bound,
                by,
                window: w,
            } => {
                let grouping = group(scope, &histogram.0, by, None)?;
                let bucket = histogram.0.render(scope, "_bucket")?;
                let le = format!("le={}", quote(&bound.to_string()));
                let bucket = match bucket.strip_suffix('}') {
                    Some(open) => format!("{open}, {le}}}"),
                    None => format!("{bucket}{{{le}}}"),
                };
                format!(
                    "1 - (sum{grouping} (rate({bucket}[{w}])) / sum{grouping} (rate({}[{w}])))",
                    histogram.0.render(scope, "_count")?,
                    w = window(w),
                )
            }
            Query::Quantile {
                q,
                histogram,
                by,
                window: w,
            } => format!(
                "histogram_quantile({q}, sum{} (rate({}[{}])))",
                group(scope, &histogram.0, by, Some("le"))?,
                histogram.0.render(scope, "_bucket")?,
                window(w)
            ),
            Query::Max(gauge, by) => format!(
                "max{} ({})",
                group(scope, &gauge.0, by, None)?,
                gauge.0.render(scope, "")?
            ),
            Query::Sum(gauge, by) => format!(
                "sum{} ({})",
                group(scope, &gauge.0, by, None)?,
                gauge.0.render(scope, "")?
            ),
            Query::Div(a, b) => format!("{} / {}", a.render(scope)?, b.render(scope)?),
            Query::Add(a, b) => format!("({} + {})", a.render(scope)?, b.render(scope)?),
            Query::Scale(q, factor) => format!("{} * {factor}", q.render(scope)?),
            Query::TopK(k, q) => format!("topk({k}, {})", q.render(scope)?),
            Query::Compare(q, comparison, threshold) => {
                format!("{} {} {threshold}", q.render(scope)?, comparison.promql())
            }
            Query::Recorded(name, labels) => {
                let matchers: Vec<String> = scope_matchers(scope)
                    .into_iter()
                    .chain(
                        labels
                            .iter()
                            .map(|(label, value)| format!("{label}={}", quote(value))),
                    )
                    .collect();
                if matchers.is_empty() {
                    (*name).to_owned()
                } else {
                    format!("{name}{{{}}}", matchers.join(", "))
                }
            }
        })
    }
}

/// The matchers a scope puts first in every selector.
fn scope_matchers(scope: Scope) -> Vec<String> {
    match scope {
        Scope::Fleet => Vec::new(),
        Scope::Dashboard => vec![
            r#"job=~"$job""#.to_owned(),
            r#"instance=~"$instance""#.to_owned(),
        ],
    }
}

/// ` by (…)`: the fleet labels in a fleet scope, the query's own, then `extra` (`le`).
fn group(
    scope: Scope,
    selector: &Selector,
    by: &[&'static str],
    extra: Option<&'static str>,
) -> Result<String, PromqlError> {
    for label in by {
        selector.require(label)?;
    }
    let fleet: &[&'static str] = match scope {
        Scope::Fleet => &FLEET_LABELS,
        Scope::Dashboard => &[],
    };
    let labels: Vec<&str> = fleet.iter().chain(by).copied().chain(extra).collect();
    Ok(if labels.is_empty() {
        String::new()
    } else {
        format!(" by ({})", labels.join(", "))
    })
}

impl Selector {
    /// Fails when the metric lacks `label`.
    fn require(&self, label: &'static str) -> Result<(), PromqlError> {
        if self.metric.labels().contains(&label) {
            Ok(())
        } else {
            Err(PromqlError::UnknownLabel {
                metric: self.metric.name(),
                label,
                known: self.metric.labels(),
            })
        }
    }

    /// `name{matchers}` in `scope`, the selector's own suffix or `suffix` (`_bucket`) after the
    /// name.
    pub(crate) fn render(&self, scope: Scope, suffix: &str) -> Result<String, PromqlError> {
        let suffix = if suffix.is_empty() {
            self.suffix
        } else {
            suffix
        };
        let mut matchers = scope_matchers(scope);
        for matcher in &self.matchers {
            self.require(matcher.label)?;
            matchers.push(matcher.promql());
        }
        let name = format!("{}{suffix}", self.metric.name());
        Ok(if matchers.is_empty() {
            name
        } else {
            format!("{name}{{{}}}", matchers.join(", "))
        })
    }
}

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
    /// How long it keeps firing after the expression stops holding (Prometheus 2.42+).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_firing_for: Option<String>,
    /// `severity` and the rule's own labels.
    pub labels: BTreeMap<String, String>,
    /// The rule's annotations, templates included.
    pub annotations: BTreeMap<String, String>,
}

impl Signal {
    /// The signal as a query: what the engine computes in process, for Prometheus.
    pub fn query(&self) -> Query {
        let query = self.unscaled_query();
        if self.scale == 1.0 {
            query
        } else {
            query.times(self.scale)
        }
    }

    fn unscaled_query(&self) -> Query {
        let by = self.by.clone();
        let rate = |counter: &Selector, window: Duration| Query::Rate {
            counter: CounterSelector(counter.clone()),
            by: by.clone(),
            window: Some(window),
        };
        match &self.kind {
            SignalKind::Rate { counter, window } => rate(counter, *window),
            SignalKind::Increase { counter, window } => Query::Increase {
                counter: CounterSelector(counter.clone()),
                by,
                window: Some(*window),
            },
            SignalKind::ShareAbove {
                histogram,
                bound,
                window,
            } => Query::ShareAbove {
                histogram: HistogramSelector(histogram.clone()),
                bound: *bound,
                by,
                window: Some(*window),
            },
            SignalKind::Growth {
                counter,
                short,
                long,
            } => Query::ratio(rate(counter, *short), rate(counter, *long)),
            SignalKind::Ratio {
                numerator,
                denominator,
                window,
            } => {
                let mut parts = denominator.iter().map(|selector| rate(selector, *window));
                let first = parts.next().unwrap_or_else(|| rate(numerator, *window));
                Query::ratio(rate(numerator, *window), parts.fold(first, Query::plus))
            }
            SignalKind::Quantile {
                q,
                histogram,
                window,
            } => Query::Quantile {
                q: *q,
                histogram: HistogramSelector(histogram.clone()),
                by,
                window: Some(*window),
            },
            SignalKind::Gauge { gauge } => Query::Max(GaugeSelector(gauge.clone()), by),
            SignalKind::GaugeRatio {
                numerator,
                denominator,
            } => Query::ratio(
                Query::Max(GaugeSelector(numerator.clone()), by.clone()),
                Query::Max(GaugeSelector(denominator.clone()), by),
            ),
        }
    }
}

impl Rule {
    /// The rule as a Prometheus alerting rule; `None` for a [`Condition::Custom`] rule, which
    /// only the in-process engine can evaluate.
    pub fn to_prometheus(&self) -> Option<PrometheusRule> {
        let compare = |threshold: &Threshold| {
            Query::Compare(
                Box::new(threshold.signal.query()),
                threshold.comparison,
                threshold.threshold,
            )
            .render(Scope::Fleet)
        };
        // A built rule's labels were checked against its metrics.
        let expr = match &self.condition {
            Condition::Threshold(threshold) => compare(threshold).ok()?,
            Condition::AnyOf(clauses) => {
                // Every threshold groups by the same labels, so `and` and `or` match on all of
                // them, as the engine joins its groups.
                let mut rendered = Vec::new();
                for clause in clauses {
                    let terms: Vec<String> = clause
                        .iter()
                        .map(|threshold| compare(threshold).map(|text| format!("({text})")))
                        .collect::<Result<_, _>>()
                        .ok()?;
                    rendered.push(terms.join(" and "));
                }
                if rendered.len() == 1 {
                    rendered.remove(0)
                } else {
                    rendered
                        .iter()
                        .map(|clause| format!("({clause})"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                }
            }
            Condition::Custom(_) => return None,
        };
        let mut labels = self.labels.clone();
        labels.insert("severity".into(), self.severity.as_str().into());
        Some(PrometheusRule {
            alert: self.name.clone(),
            expr,
            for_duration: (!self.for_duration.is_zero()).then(|| duration(self.for_duration)),
            keep_firing_for: (!self.keep_firing_for.is_zero())
                .then(|| duration(self.keep_firing_for)),
            labels,
            annotations: self.annotations.clone(),
        })
    }
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
    use crate::rule::{counter, gauge, histogram};
    use victor_metrics_core::catalog;

    #[test]
    fn joined_conditions_render_as_and_or_promql() {
        let hour = Duration::from_secs(3600);
        let errors = |window| {
            Signal::ratio(
                counter(&catalog::REQUESTS_TOTAL).matches("status", "5.."),
                [counter(&catalog::REQUESTS_TOTAL)],
                window,
            )
        };
        let clause = |long: Duration, factor: f64| {
            Condition::all([
                errors(long).above(0.01 * factor),
                errors(long / 12).above(0.01 * factor),
                Signal::increase(counter(&catalog::REQUESTS_TOTAL), long).at_least(20.0),
            ])
            .expect("thresholds")
        };
        let condition = clause(hour, 14.4)
            .or(clause(6 * hour, 6.0))
            .expect("thresholds");
        let rule = Rule::builder("Burn")
            .condition(condition)
            .build()
            .expect("rule");
        let expr = rule.to_prometheus().expect("typed").expr;
        promql_parser::parser::parse(&expr).unwrap_or_else(|err| panic!("{err}: {expr}"));
        assert!(
            expr.starts_with(
                "((sum by (job, instance) (rate(victor_requests_total{status=~\"5..\"}[1h]))"
            ),
            "{expr}"
        );
        assert!(
            expr.contains(
                ") and (sum by (job, instance) (increase(victor_requests_total[1h])) >= 20)) or ("
            ),
            "{expr}"
        );

        let latency = Rule::builder("Slow")
            .condition(
                Signal::share_above(
                    histogram(&catalog::REQUEST_DURATION_SECONDS).eq("endpoint", "/chat"),
                    10.0,
                    hour,
                )
                .above(0.05),
            )
            .build()
            .expect("rule");
        assert_eq!(
            latency.to_prometheus().expect("typed").expr,
            "1 - (sum by (job, instance) (rate(victor_request_duration_seconds_bucket{endpoint=\"/chat\", le=\"10\"}[1h])) \
             / sum by (job, instance) (rate(victor_request_duration_seconds_count{endpoint=\"/chat\"}[1h]))) > 0.05"
        );
        let off_bucket = Rule::builder("Slow")
            .condition(
                Signal::share_above(histogram(&catalog::REQUEST_DURATION_SECONDS), 7.0, hour)
                    .above(0.05),
            )
            .build()
            .expect_err("7 is no bound");
        assert!(
            off_bucket.to_string().contains("7 is not a bucket bound"),
            "{off_bucket}"
        );

        // A closure cannot join; thresholds grouped differently cannot either.
        assert!(Condition::all([Condition::custom(|| true)]).is_none());
        assert!(
            errors(hour)
                .above(0.1)
                .or(Condition::custom(|| true))
                .is_none()
        );
        let mixed = Condition::all([
            errors(hour).by(["endpoint"]).above(0.1),
            errors(hour).above(0.1),
        ])
        .expect("thresholds");
        let err = Rule::builder("Mixed")
            .condition(mixed)
            .build()
            .expect_err("by differs");
        assert!(err.to_string().contains("same labels"), "{err}");
    }

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
    fn matchers_are_anchored_like_promql() {
        let m = Matcher::new("status", MatchOp::Regex, "5..");
        assert!(m.accepts("503"));
        assert!(!m.accepts("5030"));
        assert!(!m.accepts("200"));
        let m = Matcher::new("endpoint", MatchOp::NotRegex, "/metrics|/health/.*");
        assert!(m.accepts("/chat"));
        assert!(!m.accepts("/health/{probe}"));
        assert_eq!(m.promql(), r#"endpoint!~"/metrics|/health/.*""#);
        assert!(Matcher::new("a", MatchOp::Equal, "").accepts(""));
    }

    #[test]
    fn a_label_the_metric_lacks_is_an_error_not_a_panic() {
        let err = Query::rate(counter(&catalog::REQUESTS_TOTAL), ["tool"])
            .render(Scope::Dashboard)
            .expect_err("requests have no tool label");
        assert_eq!(
            err,
            PromqlError::UnknownLabel {
                metric: "victor_requests_total",
                label: "tool",
                known: catalog::REQUESTS_TOTAL.def().labels(),
            }
        );
        let err = Query::max(gauge(&catalog::ACTIVE_USERS).eq("tool", "x"), [])
            .render(Scope::Fleet)
            .expect_err("no tool label");
        assert!(err.to_string().contains("has no label \"tool\""), "{err}");
    }

    #[test]
    fn hostile_label_values_are_quoted_as_promql_strings() {
        let query = Query::rate(
            counter(&catalog::TOOL_EXECUTIONS_TOTAL).eq("tool", "a\"b\\c\nd"),
            [],
        );
        assert_eq!(
            query.render(Scope::Fleet).expect("renders"),
            r#"sum by (job, instance) (rate(victor_tool_executions_total{tool="a\"b\\c\nd"}[5m]))"#
        );
    }

    #[test]
    fn one_query_renders_for_a_fleet_and_a_dashboard() {
        let errors = Query::ratio(
            Query::rate(
                counter(&catalog::REQUESTS_TOTAL).matches("status", "5.."),
                ["endpoint"],
            ),
            Query::rate(counter(&catalog::REQUESTS_TOTAL), ["endpoint"]),
        );
        assert_eq!(
            errors.render(Scope::Dashboard).expect("renders"),
            "sum by (endpoint) (rate(victor_requests_total{job=~\"$job\", instance=~\"$instance\", status=~\"5..\"}[$__rate_interval])) / \
             sum by (endpoint) (rate(victor_requests_total{job=~\"$job\", instance=~\"$instance\"}[$__rate_interval]))"
        );
        assert_eq!(
            Query::quantile(
                0.95,
                histogram(&catalog::TOOL_EXECUTION_DURATION_SECONDS),
                ["tool"]
            )
            .render(Scope::Fleet)
            .expect("renders"),
            "histogram_quantile(0.95, sum by (job, instance, tool, le) (rate(victor_tool_execution_duration_seconds_bucket[5m])))"
        );
        assert_eq!(
            Query::recorded("job:victor:request_rate:5m", &[]).render(Scope::Fleet),
            Ok("job:victor:request_rate:5m".to_owned())
        );
    }

    #[test]
    fn durations_use_the_largest_whole_unit() {
        assert_eq!(duration(Duration::from_secs(120)), "2m");
        assert_eq!(duration(Duration::from_secs(90)), "90s");
        assert_eq!(duration(Duration::from_secs(3600)), "1h");
        assert_eq!(duration(Duration::from_millis(250)), "250ms");
    }
}
