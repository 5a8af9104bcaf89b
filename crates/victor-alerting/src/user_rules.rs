//! Operators' own alert rules, in Prometheus rule-file YAML (`--rules FILE`): the engine
//! evaluates the expressions its typed conditions can express, and refuses any other with an
//! error naming the rule and the construct.
//!
//! What is understood is what [`Rule::to_prometheus`] writes, so a rule printed by
//! `--print-rules` reads back the same:
//!
//! - `sum by (…) (rate(counter{…}[w])) > t`: a rate;
//! - `sum by (…) (rate(c{…}[w])) / sum by (…) (rate(c{…}[w]))` (a denominator may be a
//!   parenthesized sum of such rates): a ratio, or a growth when both sides read one counter
//!   over two windows;
//! - `histogram_quantile(q, sum by (…, le) (rate(h_bucket{…}[w])))`: a quantile;
//! - `max by (…) (gauge{…})`, and one such over another: a gauge or a gauge ratio;
//!
//! - `sum by (…) (increase(counter{…}[w]))`: the events in a window;
//! - `1 - (sum by (…) (rate(h_bucket{…, le="b"}[w])) / sum by (…) (rate(h_count{…}[w])))`: the
//!   share of observations above a bucket bound;
//!
//! each perhaps times a number (`… * 1728`), compared with `>`, `<` or `>=` and a number, and
//! comparisons joined with `and` and `or`
//! (a multiwindow burn-rate alert: `(long > x and short > x) or (…)`; both sides of a join group
//! by the same labels). `job` and `instance` in a `by` are the fleet's and dropped. Metrics must
//! be the catalog's, of the kind the function takes.
//!
//! ```
//! let yaml = r#"
//! groups:
//!   - name: mine
//!     rules:
//!       - alert: ChatErrors
//!         expr: sum by (job, instance) (rate(victor_request_errors_total{endpoint="/chat"}[5m])) > 1
//!         for: 2m
//!         labels: {severity: critical}
//!         annotations: {summary: "Chat is failing"}
//! "#;
//! let rules = victor_alerting::user_rules::parse_rule_file(yaml).expect("valid");
//! assert_eq!(rules[0].name(), "ChatErrors");
//! assert_eq!(rules[0].severity(), victor_alerting::Severity::Critical);
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use promql_parser::label::MatchOp as ParsedOp;
use promql_parser::parser::{self, Expr};
use serde::Deserialize;
use victor_metrics_core::{MetricDef, MetricKind, catalog};

use crate::promql::{CounterSelector, HistogramSelector, Matcher, Selector};
use crate::rule::{Comparison, Condition, MatchOp, Rule, Severity, Signal, SignalKind, Threshold};

/// A rule of the file that cannot be loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rule {rule}: {problem}")]
pub struct UserRuleError {
    /// The alert name (or the rule's position when it has none).
    pub rule: String,
    /// What is wrong, naming the construct.
    pub problem: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    groups: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    #[allow(dead_code, reason = "read to accept the format, not used")]
    name: String,
    rules: Vec<FileRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRule {
    alert: Option<String>,
    record: Option<String>,
    expr: String,
    #[serde(rename = "for")]
    for_duration: Option<String>,
    keep_firing_for: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

/// Reads a Prometheus rule file into engine rules.
///
/// # Errors
/// Every rule that cannot be loaded, each naming the construct (or the whole file when it is
/// not a rule file).
pub fn parse_rule_file(text: &str) -> Result<Vec<Rule>, Vec<UserRuleError>> {
    let file: File = serde_norway::from_str(text).map_err(|err| {
        vec![UserRuleError {
            rule: "(file)".to_owned(),
            problem: format!("not a Prometheus rule file: {err}"),
        }]
    })?;
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for (position, rule) in file.groups.into_iter().flat_map(|g| g.rules).enumerate() {
        let name = rule
            .alert
            .clone()
            .or(rule.record.clone())
            .unwrap_or_else(|| format!("#{}", position + 1));
        match load(rule) {
            Ok(rule) => rules.push(rule),
            Err(problem) => errors.push(UserRuleError {
                rule: name,
                problem,
            }),
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

fn load(rule: FileRule) -> Result<Rule, String> {
    let Some(name) = rule.alert else {
        return Err("recording rules are Prometheus' to evaluate; only alerting rules load".into());
    };
    let expr = parser::parse(&rule.expr).map_err(|err| format!("expr does not parse: {err}"))?;
    let condition = condition(&expr)?;
    let duration = |field: &str, text: Option<String>| {
        text.map(|text| {
            humantime::parse_duration(text.trim())
                .map_err(|err| format!("{field}: {text:?} is not a duration ({err})"))
        })
        .transpose()
    };
    let mut labels = rule.labels;
    let severity = match labels.remove("severity") {
        Some(text) => text.parse::<Severity>()?,
        None => Severity::Warning,
    };
    let mut builder = Rule::builder(&name)
        .condition(condition)
        .severity(severity)
        .for_duration(duration("for", rule.for_duration)?.unwrap_or_default())
        .keep_firing_for(duration("keep_firing_for", rule.keep_firing_for)?.unwrap_or_default());
    for (label, value) in labels {
        builder = builder.label(label, value);
    }
    for (annotation, text) in rule.annotations {
        builder = builder.annotation(annotation, text);
    }
    builder.build().map_err(|err| err.to_string())
}

/// `signal > t`, `signal < t` or `signal >= t`, or such comparisons joined with `and` and `or`.
fn condition(expr: &Expr) -> Result<Condition, String> {
    if let Expr::Binary(join) = unparen(expr)
        && matches!(join.op.to_string().as_str(), "and" | "or")
    {
        let op = join.op.to_string();
        if join.modifier.as_ref().is_some_and(|m| m.matching.is_some()) {
            return Err(format!(
                "`{op} on (…)`/`{op} ignoring (…)` is not supported: both sides must group by the same labels and `{op}` matches on all of them"
            ));
        }
        let (left, right) = (condition(&join.lhs)?, condition(&join.rhs)?);
        return if op == "or" {
            left.or(right)
        } else {
            Condition::all([left, right])
        }
        .ok_or_else(|| {
            "`and` over an `or` is not supported; write (a and c) or (b and c)".to_owned()
        });
    }
    let Expr::Binary(binary) = unparen(expr) else {
        return Err(format!(
            "expr must compare a signal with a number (`… > 0.05`), not {expr}"
        ));
    };
    let comparison = match binary.op.to_string().as_str() {
        ">" => Comparison::Above,
        "<" => Comparison::Below,
        ">=" => Comparison::AtLeast,
        op => {
            return Err(format!(
                "the comparison `{op}` is not supported; use >, < or >= (joined with and, or)"
            ));
        }
    };
    if binary.modifier.as_ref().is_some_and(|m| m.return_bool) {
        return Err("`bool` comparisons are not supported".into());
    }
    let Expr::NumberLiteral(threshold) = unparen(&binary.rhs) else {
        return Err(format!(
            "the right side of `{}` must be a number, not {}",
            binary.op, binary.rhs
        ));
    };
    let signal = signal(&binary.lhs)?;
    Ok(Condition::Threshold(Threshold {
        signal,
        comparison,
        threshold: threshold.val,
    }))
}

fn unparen(expr: &Expr) -> &Expr {
    match expr {
        Expr::Paren(paren) => unparen(&paren.expr),
        other => other,
    }
}

/// A signal: a rate or increase, a ratio or growth of rates, a quantile, a share above a bound,
/// a gauge or a gauge ratio.
fn signal(expr: &Expr) -> Result<Signal, String> {
    match unparen(expr) {
        Expr::Binary(product)
            if product.op.to_string() == "*"
                && matches!(unparen(&product.rhs), Expr::NumberLiteral(_)) =>
        {
            let Expr::NumberLiteral(factor) = unparen(&product.rhs) else {
                unreachable!("matched above");
            };
            Ok(signal(&product.lhs)?.times(factor.val))
        }
        Expr::Binary(minus)
            if minus.op.to_string() == "-"
                && matches!(unparen(&minus.lhs), Expr::NumberLiteral(one) if one.val == 1.0) =>
        {
            share_above(&minus.rhs)
        }
        Expr::Binary(division) if division.op.to_string() == "/" => {
            if division
                .modifier
                .as_ref()
                .is_some_and(|m| m.matching.is_some())
            {
                return Err("`on`/`ignoring` in a division is not supported".into());
            }
            if let Ok((by, numerator)) = max_gauge(&division.lhs) {
                let (by_d, denominator) = max_gauge(&division.rhs)?;
                same_by(&by, &by_d)?;
                return with_by(
                    SignalKind::GaugeRatio {
                        numerator,
                        denominator,
                    },
                    by,
                );
            }
            let (by, numerator, window) = rate(&division.lhs)?;
            let numerator = selector_of(&numerator, MetricKind::Counter, "")?;
            let parts = sum_of_rates(&division.rhs)?;
            if let [(by_d, counter, long)] = parts.as_slice()
                && counter.metric.name() == numerator.metric.name()
                && counter.matchers.len() == numerator.matchers.len()
                && *long != window
            {
                same_by(&by, by_d)?;
                return with_by(
                    SignalKind::Growth {
                        counter: numerator,
                        short: window,
                        long: *long,
                    },
                    by,
                );
            }
            let mut denominator = Vec::new();
            for (by_d, counter, w) in parts {
                same_by(&by, &by_d)?;
                if w != window {
                    return Err("a ratio's rates must share one window".into());
                }
                denominator.push(counter);
            }
            with_by(
                SignalKind::Ratio {
                    numerator,
                    denominator,
                    window,
                },
                by,
            )
        }
        Expr::Call(call) if call.func.name == "histogram_quantile" => {
            let [q, inner] = call.args.args.as_slice() else {
                return Err("histogram_quantile takes two arguments".into());
            };
            let Expr::NumberLiteral(q) = unparen(q) else {
                return Err("histogram_quantile's quantile must be a number".into());
            };
            let (mut by, selector, window) = rate(inner)?;
            if !by.contains(&"le") {
                return Err("histogram_quantile needs `le` in the sum's `by`".into());
            }
            by.retain(|label| *label != "le");
            let histogram = selector_of(&selector, MetricKind::Histogram, "_bucket")?;
            with_by(
                SignalKind::Quantile {
                    q: q.val,
                    histogram,
                    window,
                },
                by,
            )
        }
        Expr::Aggregate(aggregate) => match aggregate.op.to_string().as_str() {
            "sum" => {
                let (by, counter, window) =
                    rate_or_increase(expr, "increase").or_else(|_| rate(expr))?;
                let counter = selector_of(&counter, MetricKind::Counter, "")?;
                if function(expr) == Some("increase") {
                    with_by(SignalKind::Increase { counter, window }, by)
                } else {
                    with_by(SignalKind::Rate { counter, window }, by)
                }
            }
            "max" => {
                let (by, gauge) = max_gauge(expr)?;
                with_by(SignalKind::Gauge { gauge }, by)
            }
            op => Err(format!(
                "the aggregation `{op}` is not supported; use sum by (…) (rate(…)) or max by (…) (gauge)"
            )),
        },
        other => Err(format!(
            "{other} is not a signal the engine evaluates (sum by (…) (rate(…)), a ratio of them, \
             histogram_quantile, or max by (…) (gauge))"
        )),
    }
}

/// A counter selector from PromQL text (`victor_requests_total{status=~"5.."}`), as SLOs in the
/// configuration name their events: a catalog counter, or a histogram's `_count` or `_sum`.
///
/// ```
/// let errors = victor_alerting::user_rules::counter_selector(r#"victor_requests_total{status=~"5.."}"#);
/// assert!(errors.is_ok());
/// let refused = victor_alerting::user_rules::counter_selector("victor_requests_total{tool=\"x\"}");
/// assert!(refused.unwrap_err().contains("has no label \"tool\""));
/// ```
///
/// # Errors
/// When the text is not one selector of a catalog counter, naming what is wrong.
pub fn counter_selector(text: &str) -> Result<CounterSelector, String> {
    let selector = vector_selector(text)?;
    selector_of(&selector, MetricKind::Counter, "").map(CounterSelector)
}

/// A histogram selector from PromQL text (`victor_request_duration_seconds{endpoint="/chat"}`,
/// the name without `_bucket`).
///
/// # Errors
/// When the text is not one selector of a catalog histogram.
pub fn histogram_selector(text: &str) -> Result<HistogramSelector, String> {
    let selector = vector_selector(text)?;
    if selector.metric.kind() != MetricKind::Histogram || !selector.suffix.is_empty() {
        return Err(format!(
            "{}{} is not a catalog histogram (name it without _bucket, _sum or _count)",
            selector.metric.name(),
            selector.suffix
        ));
    }
    Ok(HistogramSelector(selector))
}

/// One plain vector selector of a catalog metric.
fn vector_selector(text: &str) -> Result<Selector, String> {
    let expr =
        parser::parse(text.trim()).map_err(|err| format!("{text:?} does not parse: {err}"))?;
    match unparen(&expr) {
        Expr::VectorSelector(selector) if selector.offset.is_none() && selector.at.is_none() => {
            parsed_selector(selector)
        }
        _ => Err(format!(
            "{text:?} must be one selector such as victor_requests_total{{status=~\"5..\"}}"
        )),
    }
}

fn with_by(kind: SignalKind, by: Vec<&'static str>) -> Result<Signal, String> {
    Ok(Signal {
        kind,
        by,
        scale: 1.0,
        unseen_as_clean: false,
    })
}

fn same_by(a: &[&'static str], b: &[&'static str]) -> Result<(), String> {
    if a == b {
        Ok(())
    } else {
        Err(format!(
            "both sides must group by the same labels ({a:?} vs {b:?})"
        ))
    }
}

/// A `sum by (…) (rate(…[w]))`: its group labels, selector and window.
type Rate = (Vec<&'static str>, Selector, Duration);

/// `1 - (sum by (…) (rate(h_bucket{…, le="b"}[w])) / sum by (…) (rate(h_count{…}[w])))`: the
/// share of observations above the bound `b`, as [`Signal::share_above`] writes it.
fn share_above(expr: &Expr) -> Result<Signal, String> {
    let expected = "1 - (sum by (…) (rate(h_bucket{le=\"b\"}[w])) / sum by (…) (rate(h_count[w])))";
    let Expr::Binary(division) = unparen(expr) else {
        return Err(format!("expected {expected}"));
    };
    if division.op.to_string() != "/" {
        return Err(format!("expected {expected}"));
    }
    // The bucket's `le` is no label of the catalog metric: take it out before reading the rest.
    let Expr::Aggregate(aggregate) = unparen(&division.lhs) else {
        return Err(format!("expected {expected}"));
    };
    let mut bucket_sum = aggregate.clone();
    let mut bound = None;
    if let Expr::Call(call) = &mut *bucket_sum.expr
        && let Some(Expr::MatrixSelector(matrix)) = call.args.args.first_mut().map(|arg| &mut **arg)
    {
        matrix.vs.matchers.matchers.retain(|matcher| {
            if matcher.name == "le" && matches!(matcher.op, ParsedOp::Equal) {
                bound = matcher.value.parse::<f64>().ok();
                false
            } else {
                true
            }
        });
    }
    let bound =
        bound.ok_or_else(|| format!("the bucket needs le=\"bound\": expected {expected}"))?;
    let (by, bucket, window) = rate(&Expr::Aggregate(bucket_sum))?;
    let (by_count, count, count_window) = rate(&division.rhs)?;
    same_by(&by, &by_count)?;
    if window != count_window {
        return Err("the bucket's and the count's rates must share one window".into());
    }
    let histogram = selector_of(&bucket, MetricKind::Histogram, "_bucket")?;
    let counted = selector_of(&count, MetricKind::Histogram, "_count")?;
    if counted.metric.name() != histogram.metric.name() || counted.matchers != histogram.matchers {
        return Err(format!(
            "the bucket and the count must select the same series of one histogram: expected {expected}"
        ));
    }
    with_by(
        SignalKind::ShareAbove {
            histogram: Selector {
                suffix: "",
                ..histogram
            },
            bound,
            window,
        },
        by,
    )
}

/// The function inside a `sum by (…) (f(…))`.
fn function(expr: &Expr) -> Option<&str> {
    let Expr::Aggregate(aggregate) = unparen(expr) else {
        return None;
    };
    let Expr::Call(call) = unparen(&aggregate.expr) else {
        return None;
    };
    Some(call.func.name)
}

/// `sum by (…) (rate(metric{…}[w]))`: the group labels (fleet labels dropped), a counter's
/// selector (suffix kept for `_bucket`/`_sum`) and the window.
fn rate(expr: &Expr) -> Result<Rate, String> {
    rate_or_increase(expr, "rate")
}

/// [`rate`] with `function` (`rate` or `increase`) inside the sum.
fn rate_or_increase(expr: &Expr, function: &str) -> Result<Rate, String> {
    let Expr::Aggregate(aggregate) = unparen(expr) else {
        return Err(format!("expected sum by (…) (rate(…)), not {expr}"));
    };
    if aggregate.op.to_string() != "sum" {
        return Err(format!(
            "the aggregation `{}` is not supported here; use sum",
            aggregate.op
        ));
    }
    let Expr::Call(call) = unparen(&aggregate.expr) else {
        return Err(format!(
            "expected rate(…) inside sum, not {}",
            aggregate.expr
        ));
    };
    if call.func.name != function {
        return Err(format!(
            "the function `{}` is not supported here; use {function}",
            call.func.name
        ));
    }
    let [range] = call.args.args.as_slice() else {
        return Err(format!("{function} takes one argument"));
    };
    let Expr::MatrixSelector(matrix) = unparen(range) else {
        return Err(format!("{function} needs a range selector (`metric[5m]`)"));
    };
    if matrix.vs.offset.is_some() || matrix.vs.at.is_some() {
        return Err("`offset` and `@` are not supported".into());
    }
    let selector = parsed_selector(&matrix.vs)?;
    let by = group(aggregate.modifier.as_ref(), &selector)?;
    Ok((by, selector, matrix.range))
}

/// A parenthesized sum of rates (or one rate).
fn sum_of_rates(expr: &Expr) -> Result<Vec<Rate>, String> {
    match unparen(expr) {
        Expr::Binary(sum) if sum.op.to_string() == "+" => {
            let mut parts = sum_of_rates(&sum.lhs)?;
            parts.extend(sum_of_rates(&sum.rhs)?);
            Ok(parts)
        }
        other => {
            let (by, selector, window) = rate(other)?;
            let counter = selector_of(&selector, MetricKind::Counter, "")?;
            Ok(vec![(by, counter, window)])
        }
    }
}

/// `max by (…) (gauge{…})`.
fn max_gauge(expr: &Expr) -> Result<(Vec<&'static str>, Selector), String> {
    let Expr::Aggregate(aggregate) = unparen(expr) else {
        return Err(format!("expected max by (…) (gauge), not {expr}"));
    };
    if aggregate.op.to_string() != "max" {
        return Err(format!(
            "the aggregation `{}` is not supported here; use max",
            aggregate.op
        ));
    }
    let Expr::VectorSelector(selector) = unparen(&aggregate.expr) else {
        return Err(format!(
            "expected a gauge inside max, not {}",
            aggregate.expr
        ));
    };
    let selector = parsed_selector(selector)?;
    let gauge = selector_of(&selector, MetricKind::Gauge, "")?;
    let by = group(aggregate.modifier.as_ref(), &gauge)?;
    Ok((by, gauge))
}

/// The `by` labels, the fleet's dropped; `without` is refused.
fn group(
    modifier: Option<&promql_parser::parser::LabelModifier>,
    selector: &Selector,
) -> Result<Vec<&'static str>, String> {
    let Some(modifier) = modifier else {
        return Ok(Vec::new());
    };
    let promql_parser::parser::LabelModifier::Include(labels) = modifier else {
        return Err("`without` is not supported; name the labels with `by`".into());
    };
    let mut by = Vec::new();
    for label in &labels.labels {
        if matches!(label.as_str(), "job" | "instance") {
            continue;
        }
        if label == "le" {
            by.push("le");
            continue;
        }
        let known = selector
            .metric
            .labels()
            .iter()
            .find(|known| **known == label.as_str())
            .ok_or_else(|| {
                format!(
                    "{} has no label {label:?} to group by",
                    selector.metric.name()
                )
            })?;
        by.push(*known);
    }
    Ok(by)
}

/// The catalog metric a parsed selector names, with its suffix and matchers.
fn parsed_selector(selector: &promql_parser::parser::VectorSelector) -> Result<Selector, String> {
    let name = selector
        .name
        .clone()
        .ok_or("a selector needs a metric name")?;
    if !selector.matchers.or_matchers.is_empty() {
        return Err("`or` in a selector is not supported".into());
    }
    let (metric, suffix) = catalog_metric(&name)?;
    let mut matchers = Vec::new();
    for matcher in &selector.matchers.matchers {
        if matcher.name == "__name__" {
            continue;
        }
        let label = metric
            .labels()
            .iter()
            .find(|known| **known == matcher.name)
            .ok_or_else(|| format!("{name} has no label {:?}", matcher.name))?;
        let op = match matcher.op {
            ParsedOp::Equal => MatchOp::Equal,
            ParsedOp::NotEqual => MatchOp::NotEqual,
            ParsedOp::Re(_) => MatchOp::Regex,
            ParsedOp::NotRe(_) => MatchOp::NotRegex,
        };
        matchers.push(Matcher::new(label, op, &matcher.value));
    }
    Ok(Selector {
        metric,
        suffix,
        matchers,
    })
}

/// `name` as a catalog metric and the suffix it carried (`_bucket`, `_sum`, `_count`).
fn catalog_metric(name: &str) -> Result<(&'static MetricDef, &'static str), String> {
    if let Some(def) = catalog::ALL.iter().find(|def| def.name() == name) {
        return Ok((def, ""));
    }
    for suffix in ["_bucket", "_sum", "_count"] {
        if let Some(base) = name.strip_suffix(suffix)
            && let Some(def) = catalog::ALL
                .iter()
                .find(|def| def.name() == base && def.kind() == MetricKind::Histogram)
        {
            return Ok((def, suffix));
        }
    }
    Err(format!(
        "{name} is no catalog metric; the engine reads only the catalog's"
    ))
}

/// Checks the selector reads a metric of `kind` with the suffix a function expects.
fn selector_of(selector: &Selector, kind: MetricKind, suffix: &str) -> Result<Selector, String> {
    let name = format!("{}{}", selector.metric.name(), selector.suffix);
    let fits = match (kind, selector.metric.kind(), selector.suffix) {
        (MetricKind::Counter, MetricKind::Counter, "") => true,
        // A histogram's `_sum` reads as a counter (rate of spend), its `_count` too (events).
        (MetricKind::Counter, MetricKind::Histogram, "_sum" | "_count") => true,
        (MetricKind::Histogram, MetricKind::Histogram, s) => s == suffix,
        (MetricKind::Gauge, MetricKind::Gauge, "") => true,
        _ => false,
    };
    if fits {
        Ok(selector.clone())
    } else {
        Err(format!(
            "{name} is not a {} this function takes",
            kind.as_str()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(expr: &str) -> String {
        format!(
            "groups:\n  - name: g\n    rules:\n      - alert: Mine\n        expr: '{expr}'\n        for: 1m\n"
        )
    }

    fn problem(expr: &str) -> String {
        let errors = parse_rule_file(&file(expr)).expect_err(expr);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].rule, "Mine");
        errors[0].problem.clone()
    }

    /// Reads `rule`'s PromQL back into a condition, checks it renders the same, and returns it.
    fn read_back(rule: &Rule) -> Condition {
        let prometheus = rule.to_prometheus().expect("typed");
        let expr = parser::parse(&prometheus.expr)
            .unwrap_or_else(|err| panic!("{}: {err}\n{}", rule.name(), prometheus.expr));
        let read = condition(&expr)
            .unwrap_or_else(|err| panic!("{}: {err}\n{}", rule.name(), prometheus.expr));
        let again = Rule::builder(rule.name())
            .condition(read.clone())
            .build()
            .expect("builds");
        assert_eq!(
            again.to_prometheus().expect("typed").expr,
            prometheus.expr,
            "{}",
            rule.name()
        );
        read
    }

    #[test]
    fn every_default_rule_reads_back_from_its_prometheus_form() {
        for rule in crate::default_rules() {
            if rule.to_prometheus().is_some() {
                read_back(&rule);
            }
        }
    }

    #[test]
    fn every_slo_burn_rate_rule_reads_back_from_its_prometheus_form() {
        for slo in crate::slo::default_slos() {
            for rule in slo.engine_rules().expect("valid") {
                let read = read_back(&rule);
                assert!(matches!(read, Condition::AnyOf(ref clauses) if clauses.len() == 2));
            }
        }
        for (expr, named) in [
            (
                "(sum by (job) (rate(victor_requests_total[5m])) > 1 or sum by (job) (rate(victor_requests_total[1h])) > 1) and sum by (job) (increase(victor_requests_total[1h])) >= 20",
                "`and` over an `or`",
            ),
            (
                "sum by (job) (rate(victor_requests_total[5m])) > 1 and on (job) sum by (job) (increase(victor_requests_total[1h])) >= 20",
                "and on (…)",
            ),
            (
                "sum by (job, endpoint) (rate(victor_requests_total[5m])) > 1 and sum by (job) (increase(victor_requests_total[1h])) >= 20",
                "same labels",
            ),
            (
                "1 - (sum by (job) (rate(victor_request_duration_seconds_bucket[5m])) / sum by (job) (rate(victor_request_duration_seconds_count[5m]))) > 0.1",
                "le=",
            ),
            (
                "1 - (sum by (job) (rate(victor_request_duration_seconds_bucket{le=\"7\"}[5m])) / sum by (job) (rate(victor_request_duration_seconds_count[5m]))) > 0.1",
                "7 is not a bucket bound",
            ),
            (
                "1 - (sum by (job) (rate(victor_request_duration_seconds_bucket{le=\"10\", endpoint=\"/a\"}[5m])) / sum by (job) (rate(victor_request_duration_seconds_count[5m]))) > 0.1",
                "same series",
            ),
        ] {
            let problem = problem(expr);
            assert!(problem.contains(named), "{expr}: {problem}");
        }
    }

    #[test]
    fn what_the_engine_cannot_evaluate_is_refused_by_name() {
        for (expr, named) in [
            ("avg by (job) (victor_cpu_usage_percent) > 80", "avg"),
            ("rate(victor_requests_total[5m]) > 1", "is not a signal"),
            (
                "sum by (job) (rate(victor_requests_total[5m] offset 1h)) > 1",
                "offset",
            ),
            (
                "sum by (job) (rate(made_up_total[5m])) > 1",
                "no catalog metric",
            ),
            (
                "sum by (job) (rate(victor_cpu_usage_percent[5m])) > 1",
                "not a counter",
            ),
            (
                "sum by (job) (rate(victor_requests_total{tool=\"x\"}[5m])) > 1",
                "no label \"tool\"",
            ),
            (
                "sum without (job) (rate(victor_requests_total[5m])) > 1",
                "without",
            ),
            ("max by (job) (victor_cpu_usage_percent) > bool 80", "bool"),
            ("max by (job) (victor_cpu_usage_percent) == 80", "`==`"),
            ("max by (job) (victor_cpu_usage_percent)", "must compare"),
        ] {
            let problem = problem(expr);
            assert!(problem.contains(named), "{expr}: {problem}");
        }
        let errors = parse_rule_file("groups: [{name: g, rules: [{record: r, expr: up}]}]")
            .expect_err("recording");
        assert!(errors[0].problem.contains("recording rules"), "{errors:?}");
        assert!(parse_rule_file("not: [a rule file").is_err());
    }

    #[test]
    fn an_own_rule_keeps_its_labels_annotations_and_durations() {
        let text = "groups:\n  - name: g\n    rules:\n      - alert: HotCpu\n        expr: max by (job, instance) (victor_cpu_usage_percent) > 90\n        for: 5m\n        keep_firing_for: 10m\n        labels: {severity: error, team: infra}\n        annotations: {summary: hot}\n";
        let rules = parse_rule_file(text).expect("valid");
        let rule = &rules[0];
        assert_eq!(rule.severity(), Severity::Error);
        assert_eq!(rule.for_duration(), Duration::from_secs(300));
        assert_eq!(rule.keep_firing_for(), Duration::from_secs(600));
        assert_eq!(rule.labels()["team"], "infra");
        assert_eq!(rule.annotations()["summary"], "hot");
    }
}
