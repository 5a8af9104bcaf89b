//! `promtool test rules` unit tests derived from a rule's own condition.
//!
//! [`Rule::promtool_test`] builds input series for two exporters of one job: on instance
//! `firing` the rule's signal sits clearly past its threshold for longer than its window and
//! `for`, on instance `quiet` clearly inside it. The test expects exactly one alert, on
//! `firing`, with the labels and the annotations Prometheus must expand from the rule's
//! templates, so a wrong expression, threshold, comparison, grouping or template fails it.
//!
//! Series are sampled every minute. Counters grow by whole numbers per minute where the
//! annotation prints the raw value, so Prometheus' rate is exact and prints as the engine does.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::promql::{FLEET_LABELS, duration};
use crate::rule::{Comparison, Condition, MatchOp, Rule, Selector, SignalKind, quote};
use crate::template::expand_annotation;

/// The job of the test series.
pub const TEST_JOB: &str = "victor";
/// The instance whose series must fire the alert.
pub const FIRING_INSTANCE: &str = "firing";
/// The instance whose series must not.
pub const QUIET_INSTANCE: &str = "quiet";

/// One test group of a promtool rule-test file.
#[derive(Clone, Debug, Serialize)]
pub struct PromtoolTest {
    /// Sample spacing of the input series (`1m`).
    pub interval: String,
    /// The series, in promtool's expanding notation.
    pub input_series: Vec<InputSeries>,
    /// What must be firing when (promtool's `alert_rule_test`).
    #[serde(rename = "alert_rule_test")]
    pub alert_rule_tests: Vec<AlertRuleTest>,
}

/// One input series.
#[derive(Clone, Debug, Serialize)]
pub struct InputSeries {
    /// `name{label="value", …}`.
    pub series: String,
    /// Values, such as `0+60x20`.
    pub values: String,
}

/// The alerts expected for one alert name at one time.
#[derive(Clone, Debug, Serialize)]
pub struct AlertRuleTest {
    /// When, from the first sample (`20m`).
    pub eval_time: String,
    /// The alert name.
    pub alertname: String,
    /// The firing alerts expected.
    pub exp_alerts: Vec<ExpectedAlert>,
}

/// One expected firing alert.
#[derive(Clone, Debug, Serialize)]
pub struct ExpectedAlert {
    /// Its labels, without `alertname`.
    pub exp_labels: BTreeMap<String, String>,
    /// Its annotations, expanded.
    pub exp_annotations: BTreeMap<String, String>,
}

/// Why a rule has no promtool test.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PromtoolTestError {
    /// Only a single-threshold rule gets generated series: a [`Condition::custom`] rule has no
    /// PromQL form, and a joined one ([`Condition::AnyOf`]) needs its clauses' own cases.
    #[error("rule {rule}: only a single-threshold condition gets a generated test")]
    Custom {
        /// The rule.
        rule: String,
    },
    /// No input can put the signal on one side of the threshold.
    #[error("rule {rule}: cannot build a series that {what}")]
    Unreachable {
        /// The rule.
        rule: String,
        /// What could not be built.
        what: String,
    },
}

/// Label values that read naturally in the expected alerts.
const EXAMPLES: &[(&str, &str)] = &[
    ("endpoint", "/chat"),
    ("method", "POST"),
    ("tool", "read_file"),
    ("provider", "anthropic"),
    ("model", "claude"),
    ("namespace", "default"),
    ("cache_name", "responses"),
    ("coordinator_name", "ToolCoordinator"),
    ("path", "/data"),
    ("vertical", "coding"),
];

/// Values tried, in order, for a label a matcher constrains.
const CANDIDATES: &[&str] = &[
    "500",
    "200",
    "failure",
    "failed",
    "success",
    "completed",
    "rate_limit",
    "process",
    "/chat",
    "other",
];

/// A signal's inputs for one instance: the series and the value the expression then has.
struct Inputs {
    series: Vec<InputSeries>,
    value: f64,
}

/// Minutes in a duration, rounded up.
fn minutes(duration: Duration) -> u64 {
    duration.as_secs().div_ceil(60)
}

impl Rule {
    /// A `promtool test rules` test group for this rule: series that fire it on instance
    /// [`FIRING_INSTANCE`] and keep it quiet on [`QUIET_INSTANCE`], checked once the window and
    /// `for` have passed.
    ///
    /// # Errors
    /// [`PromtoolTestError`] for a custom condition, or a threshold no series can cross (a
    /// quantile past the histogram's last bucket).
    pub fn promtool_test(&self) -> Result<PromtoolTest, PromtoolTestError> {
        let Condition::Threshold(threshold) = &self.condition else {
            return Err(PromtoolTestError::Custom {
                rule: self.name.clone(),
            });
        };
        let signal = &threshold.signal;
        let unreachable = |what: &str| PromtoolTestError::Unreachable {
            rule: self.name.clone(),
            what: what.to_owned(),
        };
        let window = signal.window().map_or(0, minutes);
        let end = window + minutes(self.for_duration) + 5;
        let (fire, quiet) = targets(&signal.kind, threshold.comparison, threshold.threshold)
            .ok_or_else(|| unreachable("crosses the threshold"))?;

        let by: BTreeMap<String, String> = signal
            .by
            .iter()
            .map(|label| ((*label).to_owned(), example(label).to_owned()))
            .collect();
        let build = |instance: &str, target: f64, firing: bool| {
            let mut fixed = by.clone();
            fixed.insert("job".into(), TEST_JOB.into());
            fixed.insert("instance".into(), instance.into());
            // Inputs are made for the unscaled signal; its factor scales the value back.
            let scale = signal.scale;
            inputs(
                &signal.kind,
                &fixed,
                target / scale,
                firing,
                end,
                threshold.threshold / scale,
            )
            .map(|inputs| Inputs {
                value: inputs.value * scale,
                ..inputs
            })
            .ok_or_else(|| unreachable(if firing { "fires" } else { "stays quiet" }))
        };
        let firing = build(FIRING_INSTANCE, fire, true)?;
        let quiet = build(QUIET_INSTANCE, quiet, false)?;

        let mut output: BTreeMap<String, String> = by.clone();
        output.insert(FLEET_LABELS[0].into(), TEST_JOB.into());
        output.insert(FLEET_LABELS[1].into(), FIRING_INSTANCE.into());
        let annotations = self
            .annotations
            .iter()
            .map(|(key, template)| {
                let text = expand_annotation(template, Some(firing.value), &output);
                (key.clone(), text)
            })
            .collect();
        let mut labels = output;
        labels.extend(self.labels.clone());
        labels.insert("severity".into(), self.severity.as_str().into());
        Ok(PromtoolTest {
            interval: "1m".into(),
            input_series: firing.series.into_iter().chain(quiet.series).collect(),
            alert_rule_tests: vec![AlertRuleTest {
                eval_time: duration(Duration::from_secs(end * 60)),
                alertname: self.name.clone(),
                exp_alerts: vec![ExpectedAlert {
                    exp_labels: labels,
                    exp_annotations: annotations,
                }],
            }],
        })
    }
}

/// The signal values that fire and that stay quiet: twice and half the threshold, kept at or
/// under 1 for shares.
fn targets(kind: &SignalKind, comparison: Comparison, threshold: f64) -> Option<(f64, f64)> {
    let share = matches!(
        kind,
        SignalKind::Ratio { .. } | SignalKind::GaugeRatio { .. }
    );
    let higher = |t: f64| {
        if t <= 0.0 {
            1.0
        } else if share && t * 2.0 > 1.0 {
            f64::midpoint(t, 1.0)
        } else {
            t * 2.0
        }
    };
    match comparison {
        Comparison::Above => Some((higher(threshold), threshold / 2.0)),
        Comparison::Below if threshold > 0.0 => Some((threshold / 2.0, higher(threshold))),
        Comparison::Below => None,
        Comparison::AtLeast => Some((higher(threshold), threshold / 2.0)),
    }
}

fn example(label: &str) -> &'static str {
    EXAMPLES
        .iter()
        .find(|(name, _)| *name == label)
        .map_or("example", |(_, value)| value)
}

/// Labels for one series of `selector`: the fixed ones, then for every matched label a value
/// it accepts (and, when `avoid` is given, one that `avoid` rejects on at least one label).
pub(crate) fn labels_for(
    selector: &Selector,
    fixed: &BTreeMap<String, String>,
    avoid: Option<&Selector>,
) -> Option<BTreeMap<String, String>> {
    let mut labels = fixed.clone();
    let mut avoided = avoid.is_none_or(|other| other.metric.name() != selector.metric.name());
    for matcher in &selector.matchers {
        let accepted = |value: &str| {
            selector
                .matchers
                .iter()
                .filter(|m| m.label == matcher.label)
                .all(|m| m.accepts(value))
        };
        let rejected_by_avoid = |value: &str| {
            avoid.is_some_and(|other| {
                other
                    .matchers
                    .iter()
                    .any(|m| m.label == matcher.label && !m.accepts(value))
            })
        };
        // A value already fixed (a `by` label) stays when the matchers take it.
        let fixed_value = fixed.get(matcher.label).map(String::as_str);
        let literal =
            matches!(matcher.op, MatchOp::Equal | MatchOp::Regex).then_some(matcher.value.as_str());
        let own: Vec<&str> = fixed_value
            .into_iter()
            .chain(literal)
            .chain([example(matcher.label)])
            .collect();
        let candidates = own.iter().chain(CANDIDATES);
        let chosen = if avoided {
            candidates.copied().find(|v| accepted(v))
        } else {
            let found = candidates
                .clone()
                .copied()
                .find(|v| accepted(v) && rejected_by_avoid(v));
            avoided = found.is_some();
            found.or_else(|| candidates.copied().find(|v| accepted(v)))
        }?;
        labels.insert(matcher.label.to_owned(), chosen.to_owned());
    }
    if !avoided && let Some(other) = avoid {
        // Same metric and nothing tells them apart: try a label the other one constrains.
        for matcher in &other.matchers {
            if labels.contains_key(matcher.label) {
                continue;
            }
            if let Some(value) = CANDIDATES.iter().find(|v| !matcher.accepts(v)) {
                labels.insert(matcher.label.to_owned(), (*value).to_owned());
                avoided = true;
                break;
            }
        }
    }
    avoided.then_some(labels)
}

fn selects(selector: &Selector, labels: &BTreeMap<String, String>) -> bool {
    selector
        .matchers
        .iter()
        .all(|m| m.accepts(labels.get(m.label).map_or("", String::as_str)))
}

pub(crate) fn series_text(name: &str, labels: &BTreeMap<String, String>) -> String {
    let pairs: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}={}", quote(v)))
        .collect();
    format!("{name}{{{}}}", pairs.join(", "))
}

/// A counter growing by `per_minute` for `end` minutes.
fn growing(name: String, per_minute: f64, end: u64) -> InputSeries {
    InputSeries {
        series: name,
        values: format!("0+{per_minute}x{end}"),
    }
}

fn constant(name: String, value: f64, end: u64) -> InputSeries {
    InputSeries {
        series: name,
        values: format!("{value}+0x{end}"),
    }
}

/// Per-second rate Prometheus computes for a counter growing `per_minute` over `window` minutes.
fn rate(per_minute: f64, window: u64) -> f64 {
    per_minute * window as f64 / (window * 60) as f64
}

fn inputs(
    kind: &SignalKind,
    fixed: &BTreeMap<String, String>,
    target: f64,
    firing: bool,
    end: u64,
    threshold: f64,
) -> Option<Inputs> {
    let name = |selector: &Selector, labels: &BTreeMap<String, String>| {
        series_text(
            &format!("{}{}", selector.metric.name(), selector.suffix),
            labels,
        )
    };
    match kind {
        SignalKind::Increase { counter, window } => {
            let labels = labels_for(counter, fixed, None)?;
            let per_minute = target / minutes(*window) as f64;
            Some(Inputs {
                series: vec![growing(name(counter, &labels), per_minute, end)],
                value: target,
            })
        }
        // Its generated case would restate the quantile's; SLOs write their own.
        SignalKind::ShareAbove { .. } => None,
        SignalKind::Rate { counter, window } => {
            let labels = labels_for(counter, fixed, None)?;
            let per_minute = target * 60.0;
            Some(Inputs {
                series: vec![growing(name(counter, &labels), per_minute, end)],
                value: rate(per_minute, minutes(*window)),
            })
        }
        SignalKind::Ratio {
            numerator,
            denominator,
            window,
        } => {
            let window = minutes(*window);
            let numerator_labels = labels_for(numerator, fixed, None)?;
            let counts = |labels: &BTreeMap<String, String>, metric: &Selector| {
                denominator
                    .iter()
                    .filter(|d| d.metric.name() == metric.metric.name() && selects(d, labels))
                    .count() as f64
            };
            let in_denominator = counts(&numerator_labels, numerator);
            // The rest of the denominator: one series no numerator selector takes.
            let rest = denominator
                .iter()
                .find_map(|d| Some((d, labels_for(d, fixed, Some(numerator))?)));
            let a = 60.0;
            let total = a / target;
            let remaining = total - a * in_denominator;
            let mut series = vec![growing(name(numerator, &numerator_labels), a, end)];
            let mut denominator_rate = rate(a, window) * in_denominator;
            if remaining > 1e-9 {
                let (selector, labels) = rest?;
                let per_minute = remaining / counts(&labels, selector);
                series.push(growing(name(selector, &labels), per_minute, end));
                denominator_rate += rate(per_minute, window) * counts(&labels, selector);
            } else if remaining < -1e-9 {
                return None;
            }
            Some(Inputs {
                series,
                value: rate(a, window) / denominator_rate,
            })
        }
        SignalKind::Quantile {
            q,
            histogram,
            window,
        } => {
            let _ = window;
            let bounds = histogram.metric.buckets();
            // Every observation in one bucket: above the threshold to fire, the first to not.
            let bucket = if firing {
                (1..bounds.len()).find(|&i| bounds[i - 1] >= threshold)?
            } else {
                0
            };
            let lower = if bucket == 0 { 0.0 } else { bounds[bucket - 1] };
            let upper = bounds[bucket];
            let value = lower + (upper - lower) * (q / 1.0);
            if firing != (value > threshold) {
                return None;
            }
            let labels = labels_for(histogram, fixed, None)?;
            let bucket_name = format!("{}_bucket", histogram.metric.name());
            let mut series = Vec::new();
            let les = bounds
                .iter()
                .map(|b| b.to_string())
                .chain(["+Inf".to_owned()]);
            for (i, le) in les.enumerate() {
                let mut labels = labels.clone();
                labels.insert("le".into(), le);
                let per_minute = if i >= bucket { 60.0 } else { 0.0 };
                series.push(growing(series_text(&bucket_name, &labels), per_minute, end));
            }
            Some(Inputs { series, value })
        }
        SignalKind::Gauge { gauge } => {
            let labels = labels_for(gauge, fixed, None)?;
            Some(Inputs {
                series: vec![constant(name(gauge, &labels), target, end)],
                value: target,
            })
        }
        SignalKind::GaugeRatio {
            numerator,
            denominator,
        } => {
            let denominator_value = 1000.0;
            let numerator_value = target * denominator_value;
            Some(Inputs {
                series: vec![
                    constant(
                        name(numerator, &labels_for(numerator, fixed, None)?),
                        numerator_value,
                        end,
                    ),
                    constant(
                        name(denominator, &labels_for(denominator, fixed, None)?),
                        denominator_value,
                        end,
                    ),
                ],
                value: numerator_value / denominator_value,
            })
        }
        SignalKind::Growth {
            counter,
            short,
            long,
        } => {
            let labels = labels_for(counter, fixed, None)?;
            let (short, long) = (minutes(*short), minutes(*long));
            let base = 60.0;
            if !firing {
                return Some(Inputs {
                    series: vec![growing(name(counter, &labels), base, end)],
                    value: 1.0,
                });
            }
            // A steady rate, then `fast` times it for the last `burst` minutes, so the short
            // window sees only the burst through the whole `for`.
            // `end` is the long window + `for` + 5 minutes; the burst covers `for` + short + 1.
            let burst = end.checked_sub(long + 5)? + short + 1;
            if burst >= long {
                return None;
            }
            let ceiling = long as f64 / burst as f64;
            if ceiling <= threshold {
                return None;
            }
            let growth = f64::midpoint(threshold, ceiling);
            let fast = growth * (long - burst) as f64 / (long as f64 - growth * burst as f64);
            let calm = end - burst;
            let step = base * fast;
            let series = InputSeries {
                series: name(counter, &labels),
                values: format!(
                    "0+{base}x{calm} {}+{step}x{}",
                    base * calm as f64 + step,
                    burst - 1
                ),
            };
            let short_rate = rate(step, short);
            let long_rate =
                ((long - burst) as f64 * base + burst as f64 * step) / (long * 60) as f64;
            Some(Inputs {
                series: vec![series],
                value: short_rate / long_rate,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::defaults::default_rules;

    #[test]
    fn every_default_rule_has_a_test_that_fires_on_one_instance_only() {
        for rule in default_rules() {
            let test = rule.promtool_test().unwrap_or_else(|err| panic!("{err}"));
            let [check] = &test.alert_rule_tests[..] else {
                panic!("{}: one check", rule.name());
            };
            let [alert] = &check.exp_alerts[..] else {
                panic!("{}: one alert", rule.name());
            };
            assert_eq!(alert.exp_labels["instance"], "firing", "{}", rule.name());
            assert!(
                test.input_series
                    .iter()
                    .any(|s| s.series.contains("instance=\"quiet\"")),
                "{}",
                rule.name()
            );
        }
    }
}
