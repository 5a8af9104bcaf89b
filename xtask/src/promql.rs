//! PromQL built from catalog entries, for the dashboards and recording rules.
//!
//! A query names metrics only through the typed catalog statics ([`counter`], [`gauge`],
//! [`histogram`]), so it cannot name a metric the catalog lacks, take the rate of a gauge, or
//! filter or group by a label the metric does not carry (that panics while generating, and the
//! freshness test runs every generator).
//!
//! The same query renders two ways ([`Scope`]): on a dashboard, scoped to the `$job` and
//! `$instance` variables over `$__rate_interval`; in a recording rule, over a fixed window and
//! kept apart per `job` and `instance`.

use std::marker::PhantomData;

use victor_metrics_core::MetricDef;
use victor_metrics_core::catalog::{CounterDef, GaugeDef, HistogramDef};

/// Where a query runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    /// A Grafana panel: selectors filtered by `$job` and `$instance`, windows `$__rate_interval`.
    Dashboard,
    /// A recording rule: every series, a 5-minute window, grouped by job and instance too.
    Recording,
}

/// The window recording rules (and the alerts) look back over.
pub(crate) const RECORDING_WINDOW: &str = "5m";

/// Series of one catalog metric (or a histogram's `_bucket` or `_sum` series).
#[derive(Clone, Debug)]
pub(crate) struct Selector {
    def: &'static MetricDef,
    suffix: &'static str,
    matchers: Vec<(&'static str, &'static str, String)>,
}

/// Series of one kind of catalog metric: `K` is [`CounterKind`], [`GaugeKind`] or
/// [`HistogramKind`], so a query takes only the kind it works on.
#[derive(Clone, Debug)]
pub(crate) struct Series<K>(Selector, PhantomData<K>);

/// Marks counter series (and a histogram's `_sum`): what `rate` and `increase` take.
#[derive(Clone, Debug)]
pub(crate) enum CounterKind {}
/// Marks gauge series.
#[derive(Clone, Debug)]
pub(crate) enum GaugeKind {}
/// Marks histogram series: what `histogram_quantile` takes.
#[derive(Clone, Debug)]
pub(crate) enum HistogramKind {}

/// Series of a catalog counter.
pub(crate) type Counter = Series<CounterKind>;
/// Series of a catalog gauge.
pub(crate) type Gauge = Series<GaugeKind>;
/// Series of a catalog histogram.
pub(crate) type Histogram = Series<HistogramKind>;

/// Every series of a catalog counter.
pub(crate) fn counter<const N: usize>(def: &'static CounterDef<N>) -> Counter {
    Series(Selector::new(def.def(), ""), PhantomData)
}

/// Every series of a catalog gauge.
pub(crate) fn gauge<const N: usize>(def: &'static GaugeDef<N>) -> Gauge {
    Series(Selector::new(def.def(), ""), PhantomData)
}

/// Every series of a catalog histogram.
pub(crate) fn histogram<const N: usize>(def: &'static HistogramDef<N>) -> Histogram {
    Series(Selector::new(def.def(), ""), PhantomData)
}

impl Selector {
    fn new(def: &'static MetricDef, suffix: &'static str) -> Selector {
        Selector {
            def,
            suffix,
            matchers: Vec::new(),
        }
    }

    fn with(mut self, label: &'static str, op: &'static str, value: &str) -> Selector {
        assert_label(self.def, label);
        self.matchers.push((label, op, value.to_owned()));
        self
    }

    fn render(&self, scope: Scope) -> String {
        let mut matchers: Vec<String> = match scope {
            Scope::Dashboard => vec![
                r#"job=~"$job""#.to_owned(),
                r#"instance=~"$instance""#.to_owned(),
            ],
            Scope::Recording => Vec::new(),
        };
        matchers.extend(
            self.matchers
                .iter()
                .map(|(label, op, value)| format!("{label}{op}{value:?}")),
        );
        let name = format!("{}{}", self.def.name(), self.suffix);
        if matchers.is_empty() {
            name
        } else {
            format!("{name}{{{}}}", matchers.join(", "))
        }
    }
}

/// Panics when `label` is not one of the metric's labels: a query grouping or filtering by it
/// would silently return nothing.
fn assert_label(def: &MetricDef, label: &str) {
    assert!(
        def.labels().contains(&label),
        "{} has no label `{label}` (it has {:?})",
        def.name(),
        def.labels()
    );
}

impl<K> Series<K> {
    /// Keeps series whose `label` equals `value`.
    pub(crate) fn eq(self, label: &'static str, value: &str) -> Self {
        Series(self.0.with(label, "=", value), PhantomData)
    }
    /// Keeps series whose `label` differs from `value`.
    pub(crate) fn ne(self, label: &'static str, value: &str) -> Self {
        Series(self.0.with(label, "!=", value), PhantomData)
    }
    /// Keeps series whose `label` matches the regular expression.
    pub(crate) fn matches(self, label: &'static str, pattern: &str) -> Self {
        Series(self.0.with(label, "=~", pattern), PhantomData)
    }
    /// Keeps series whose `label` does not match the regular expression.
    pub(crate) fn not_matches(self, label: &'static str, pattern: &str) -> Self {
        Series(self.0.with(label, "!~", pattern), PhantomData)
    }
}

impl Histogram {
    /// The sum of the observations, as a counter (`_sum`): `rate` of it is units per second.
    pub(crate) fn sum(self) -> Counter {
        Series(
            Selector {
                suffix: "_sum",
                ..self.0
            },
            PhantomData,
        )
    }
}

/// A PromQL expression over catalog series.
#[derive(Clone, Debug)]
pub(crate) enum Query {
    /// `sum by (…) (rate(c[w]))`.
    Rate(Counter, Vec<&'static str>),
    /// `sum by (…) (increase(c[$__range]))`: totals over the dashboard's time range.
    Increase(Counter, Vec<&'static str>),
    /// `histogram_quantile(q, sum by (le, …) (rate(h_bucket[w])))`.
    Quantile(f64, Histogram, Vec<&'static str>),
    /// `max by (…) (g)`.
    Max(Gauge, Vec<&'static str>),
    /// `sum by (…) (g)`.
    Sum(Gauge, Vec<&'static str>),
    /// `a / b`.
    Div(Box<Query>, Box<Query>),
    /// `(a + b)`.
    Add(Box<Query>, Box<Query>),
    /// `q * factor`.
    Scale(Box<Query>, f64),
    /// `topk(k, q)`.
    TopK(usize, Box<Query>),
    /// A recording rule's series (already per job and instance).
    Recorded(&'static str, Vec<(&'static str, &'static str)>),
}

fn labels_of(by: &[&'static str]) -> Vec<&'static str> {
    by.to_vec()
}

impl Query {
    /// Per-second rate of the counter, summed per `by` group.
    pub(crate) fn rate<const N: usize>(counter: Counter, by: [&'static str; N]) -> Query {
        check_by(&counter.0, &by);
        Query::Rate(counter, labels_of(&by))
    }

    /// Increase of the counter over the dashboard's range, summed per `by` group.
    pub(crate) fn increase<const N: usize>(counter: Counter, by: [&'static str; N]) -> Query {
        check_by(&counter.0, &by);
        Query::Increase(counter, labels_of(&by))
    }

    /// The `q`-quantile of the histogram per `by` group.
    pub(crate) fn quantile<const N: usize>(
        q: f64,
        histogram: Histogram,
        by: [&'static str; N],
    ) -> Query {
        check_by(&histogram.0, &by);
        Query::Quantile(q, histogram, labels_of(&by))
    }

    /// The highest value of the gauge per `by` group.
    pub(crate) fn max<const N: usize>(gauge: Gauge, by: [&'static str; N]) -> Query {
        check_by(&gauge.0, &by);
        Query::Max(gauge, labels_of(&by))
    }

    /// The summed gauge per `by` group.
    pub(crate) fn sum<const N: usize>(gauge: Gauge, by: [&'static str; N]) -> Query {
        check_by(&gauge.0, &by);
        Query::Sum(gauge, labels_of(&by))
    }

    /// Numerator over denominator (a share when both are rates of one counter).
    pub(crate) fn ratio(numerator: Query, denominator: Query) -> Query {
        Query::Div(Box::new(numerator), Box::new(denominator))
    }

    /// This query plus `other` (series matched on their labels).
    pub(crate) fn plus(self, other: Query) -> Query {
        Query::Add(Box::new(self), Box::new(other))
    }

    /// This query times `factor` (per second to per hour: 3600).
    pub(crate) fn times(self, factor: f64) -> Query {
        Query::Scale(Box::new(self), factor)
    }

    /// The `k` largest series of this query.
    pub(crate) fn top(self, k: usize) -> Query {
        Query::TopK(k, Box::new(self))
    }

    /// The PromQL text in `scope`.
    pub(crate) fn render(&self, scope: Scope) -> String {
        let by = |labels: &[&'static str], extra: Option<&'static str>| -> String {
            let fleet: &[&str] = match scope {
                Scope::Dashboard => &[],
                Scope::Recording => &["job", "instance"],
            };
            let all: Vec<&str> = fleet
                .iter()
                .copied()
                .chain(extra)
                .chain(labels.iter().copied())
                .collect();
            if all.is_empty() {
                String::new()
            } else {
                format!(" by ({})", all.join(", "))
            }
        };
        let window = match scope {
            Scope::Dashboard => "$__rate_interval",
            Scope::Recording => RECORDING_WINDOW,
        };
        match self {
            Query::Rate(Series(s, _), labels) => format!(
                "sum{} (rate({}[{window}]))",
                by(labels, None),
                s.render(scope)
            ),
            Query::Increase(Series(s, _), labels) => format!(
                "sum{} (increase({}[$__range]))",
                by(labels, None),
                s.render(scope)
            ),
            Query::Quantile(q, Series(s, _), labels) => {
                let buckets = Selector {
                    suffix: "_bucket",
                    ..s.clone()
                };
                format!(
                    "histogram_quantile({q}, sum{} (rate({}[{window}])))",
                    by(labels, Some("le")),
                    buckets.render(scope)
                )
            }
            Query::Max(Series(s, _), labels) => {
                format!("max{} ({})", by(labels, None), s.render(scope))
            }
            Query::Sum(Series(s, _), labels) => {
                format!("sum{} ({})", by(labels, None), s.render(scope))
            }
            Query::Div(a, b) => format!("{}\n/\n{}", a.render(scope), b.render(scope)),
            Query::Add(a, b) => format!("(\n{}\n+\n{}\n)", a.render(scope), b.render(scope)),
            Query::Scale(q, factor) => format!("{} * {factor}", q.render(scope)),
            Query::TopK(k, q) => format!("topk({k}, {})", q.render(scope)),
            Query::Recorded(name, matchers) => {
                let mut all: Vec<String> = match scope {
                    Scope::Dashboard => vec![
                        r#"job=~"$job""#.to_owned(),
                        r#"instance=~"$instance""#.to_owned(),
                    ],
                    Scope::Recording => Vec::new(),
                };
                all.extend(matchers.iter().map(|(k, v)| format!("{k}={v:?}")));
                format!("{name}{{{}}}", all.join(", "))
            }
        }
    }
}

fn check_by(selector: &Selector, by: &[&'static str]) {
    for label in by {
        assert_label(selector.def, label);
    }
}

#[cfg(test)]
mod tests {
    use victor_metrics_core::catalog;

    use super::*;

    #[test]
    fn dashboard_and_recording_forms() {
        let errors = Query::ratio(
            Query::rate(
                counter(&catalog::REQUESTS_TOTAL).matches("status", "5.."),
                ["endpoint"],
            ),
            Query::rate(counter(&catalog::REQUESTS_TOTAL), ["endpoint"]),
        );
        assert_eq!(
            errors.render(Scope::Dashboard),
            "sum by (endpoint) (rate(victor_requests_total{job=~\"$job\", instance=~\"$instance\", status=~\"5..\"}[$__rate_interval]))\n/\n\
             sum by (endpoint) (rate(victor_requests_total{job=~\"$job\", instance=~\"$instance\"}[$__rate_interval]))"
        );
        assert_eq!(
            Query::quantile(
                0.95,
                histogram(&catalog::TOOL_EXECUTION_DURATION_SECONDS),
                ["tool"]
            )
            .render(Scope::Recording),
            "histogram_quantile(0.95, sum by (job, instance, le, tool) (rate(victor_tool_execution_duration_seconds_bucket[5m])))"
        );
        assert_eq!(
            Query::rate(histogram(&catalog::LLM_COST_USD).sum(), []).render(Scope::Recording),
            "sum by (job, instance) (rate(victor_llm_cost_usd_sum[5m]))"
        );
    }

    #[test]
    #[should_panic(expected = "has no label `tool`")]
    fn a_label_the_metric_lacks_is_refused() {
        let _ = Query::rate(counter(&catalog::REQUESTS_TOTAL), ["tool"]);
    }
}
