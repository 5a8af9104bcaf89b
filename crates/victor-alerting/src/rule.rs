//! Alert rules: what to watch, when it is bad, how bad, and whom to tell.
//!
//! A rule's [`Condition`] is usually a typed threshold over catalog signals ([`Signal`]): a rate,
//! a ratio of rates, a histogram quantile over a window, or a gauge. Typed conditions are
//! evaluated in process by the [`Engine`](crate::Engine) *and* render as the equivalent PromQL
//! ([`Rule::to_prometheus`]), so a single node and a Prometheus-scraped fleet alert on the same
//! thresholds. [`Condition::custom`] takes any closure instead, for what metrics cannot express.
//!
//! ```
//! use std::time::Duration;
//! use victor_alerting::{Rule, Severity, Signal, counter};
//! use victor_metrics_core::catalog;
//!
//! let rule = Rule::builder("HighErrorRate")
//!     .summary("High error rate detected")
//!     .description("Error rate is {{ $value | humanizePercentage }} for endpoint {{ $labels.endpoint }}")
//!     .condition(
//!         Signal::ratio(
//!             counter(&catalog::REQUESTS_TOTAL).matches("status", "5.."),
//!             [counter(&catalog::REQUESTS_TOTAL)],
//!             Duration::from_secs(300),
//!         )
//!         .by(["endpoint"])
//!         .above(0.05),
//!     )
//!     .severity(Severity::Critical)
//!     .for_duration(Duration::from_secs(120))
//!     .cooldown(Duration::from_secs(300))
//!     .channels(["slack", "email"])
//!     .build()?;
//! assert_eq!(rule.name(), "HighErrorRate");
//! # Ok::<(), victor_alerting::RuleError>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use victor_metrics_core::MetricKind;

pub use crate::promql::{
    CounterSelector, GaugeSelector, HistogramSelector, counter, gauge, histogram,
};
pub(crate) use crate::promql::{MatchOp, Selector, quote};

/// How bad an alert is. Ordered: `Info < Warning < Error < Critical`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational: worth knowing, no action needed.
    Info,
    /// Degraded performance: look soon.
    Warning,
    /// Service impacted: act.
    Error,
    /// Service down or severely degraded: act now.
    Critical,
}

impl Severity {
    /// Every severity, mildest first (declaration order, so `severity as usize` indexes it).
    pub const ALL: [Severity; 4] = [
        Severity::Info,
        Severity::Warning,
        Severity::Error,
        Severity::Critical,
    ];

    /// The lower-case word used in the `severity` label (`info`, `warning`, `error`, `critical`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|severity| severity.as_str() == text)
            .ok_or_else(|| {
                format!("{text:?} is not a severity; expected info, warning, error or critical")
            })
    }
}

/// An operator's changes to one rule, from configuration: every field left `None` keeps the
/// rule's own.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleOverride {
    /// `false` removes the rule: it is neither evaluated nor notified.
    pub enabled: Option<bool>,
    /// The threshold the signal is compared with.
    pub threshold: Option<f64>,
    /// How long the condition must hold before the alert fires.
    pub for_duration: Option<Duration>,
    /// How long a firing alert keeps firing after its condition stops holding.
    pub keep_firing_for: Option<Duration>,
    /// The alert's severity (and so its routing).
    pub severity: Option<Severity>,
    /// The channels it notifies; empty: every channel.
    pub channels: Option<Vec<String>>,
}

/// Why a rule cannot be built. Each names the rule and the bad part.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleError {
    /// No condition was given.
    #[error("rule {rule}: no condition; call .condition(...)")]
    NoCondition {
        /// The rule.
        rule: String,
    },
    /// The name is not a valid Prometheus alert name.
    #[error("rule {rule:?}: the name must match [a-zA-Z_][a-zA-Z0-9_]*")]
    BadName {
        /// The rule.
        rule: String,
    },
    /// A matcher or `by` names a label the metric does not have.
    #[error("rule {rule}: metric {metric} has no label {label:?} (its labels: {known:?})")]
    UnknownLabel {
        /// The rule.
        rule: String,
        /// The metric.
        metric: &'static str,
        /// The label named.
        label: String,
        /// The labels it has.
        known: &'static [&'static str],
    },
    /// A regular-expression matcher does not compile.
    #[error(
        "rule {rule}: matcher {label}=~{pattern:?} is not a valid regular expression: {reason}"
    )]
    BadRegex {
        /// The rule.
        rule: String,
        /// The label.
        label: &'static str,
        /// The pattern.
        pattern: String,
        /// What the regex parser said.
        reason: String,
    },
    /// A threshold, quantile or window is out of range.
    #[error("rule {rule}: {problem}")]
    OutOfRange {
        /// The rule.
        rule: String,
        /// What is wrong.
        problem: String,
    },
}

/// What a typed condition measures, per group of series. Groups are the distinct values of the
/// [`Signal::by`] labels (none: one group over everything).
#[derive(Clone, Debug)]
pub struct Signal {
    pub(crate) kind: SignalKind,
    pub(crate) by: Vec<&'static str>,
    /// What the value is multiplied by ([`Signal::times`]); 1 for most.
    pub(crate) scale: f64,
    /// Whether the value is scaled by the share of its window seen
    /// ([`Signal::unseen_as_clean`]).
    pub(crate) unseen_as_clean: bool,
}

#[derive(Clone, Debug)]
pub(crate) enum SignalKind {
    /// Per-second increase of the summed counters over the window.
    Rate { counter: Selector, window: Duration },
    /// Increase of the summed counters over the window (events in it).
    Increase { counter: Selector, window: Duration },
    /// Increase of the numerator over the summed increase of the denominators.
    Ratio {
        numerator: Selector,
        denominator: Vec<Selector>,
        window: Duration,
    },
    /// The `q`-quantile of the histogram's observations over the window.
    Quantile {
        q: f64,
        histogram: Selector,
        window: Duration,
    },
    /// The share of the histogram's observations over the window above `bound` (one of its
    /// bucket bounds): `1 - bucket{le=bound} / count`.
    ShareAbove {
        histogram: Selector,
        bound: f64,
        window: Duration,
    },
    /// The highest value of the gauges.
    Gauge { gauge: Selector },
    /// Highest numerator gauge over highest denominator gauge.
    GaugeRatio {
        numerator: Selector,
        denominator: Selector,
    },
    /// The counter's rate over the short window over its rate over the long one.
    Growth {
        counter: Selector,
        short: Duration,
        long: Duration,
    },
}

impl Signal {
    /// Per-second rate of the counters over `window` (PromQL `sum(rate(c[w]))`).
    pub fn rate(counter: CounterSelector, window: Duration) -> Signal {
        Signal::of(SignalKind::Rate {
            counter: counter.0,
            window,
        })
    }

    /// How much the counters grew over `window`: the events in it (PromQL
    /// `sum(increase(c[w]))`, without its extrapolation to the window's edges).
    pub fn increase(counter: CounterSelector, window: Duration) -> Signal {
        Signal::of(SignalKind::Increase {
            counter: counter.0,
            window,
        })
    }

    /// The share of what the histogram observed over `window` that was above `bound`, which must
    /// be one of its bucket bounds: the slow share for a latency objective
    /// (`1 - rate(h_bucket{le="10"}[w]) / rate(h_count[w])`). NaN while nothing was observed.
    pub fn share_above(histogram: HistogramSelector, bound: f64, window: Duration) -> Signal {
        Signal::of(SignalKind::ShareAbove {
            histogram: histogram.0,
            bound,
            window,
        })
    }

    /// The increase of `numerator` over the summed increase of `denominator` over `window`: an
    /// error ratio (`failures / all`) or a hit ratio (`hits / (hits + misses)`). NaN (never
    /// alerting) when the denominator did not move.
    pub fn ratio(
        numerator: CounterSelector,
        denominator: impl IntoIterator<Item = CounterSelector>,
        window: Duration,
    ) -> Signal {
        Signal::of(SignalKind::Ratio {
            numerator: numerator.0,
            denominator: denominator.into_iter().map(|c| c.0).collect(),
            window,
        })
    }

    /// The `q`-quantile (0 to 1) of what the histogram observed over `window`, interpolated like
    /// `histogram_quantile`.
    pub fn quantile(q: f64, histogram: HistogramSelector, window: Duration) -> Signal {
        Signal::of(SignalKind::Quantile {
            q,
            histogram: histogram.0,
            window,
        })
    }

    /// How many times faster the counter grew over the `short` window than over the `long` one:
    /// a spike detector (`rate(c[5m]) / rate(c[1h]) > 3`). NaN (never alerting) while the
    /// counter did not move over the long window.
    pub fn growth(counter: CounterSelector, short: Duration, long: Duration) -> Signal {
        Signal::of(SignalKind::Growth {
            counter: counter.0,
            short,
            long,
        })
    }

    /// The gauge's current value (the highest, when several series fall in one group).
    pub fn gauge(gauge: GaugeSelector) -> Signal {
        Signal::of(SignalKind::Gauge { gauge: gauge.0 })
    }

    /// One gauge over another, such as memory used over the memory limit.
    pub fn gauge_ratio(numerator: GaugeSelector, denominator: GaugeSelector) -> Signal {
        Signal::of(SignalKind::GaugeRatio {
            numerator: numerator.0,
            denominator: denominator.0,
        })
    }

    fn of(kind: SignalKind) -> Signal {
        Signal {
            kind,
            by: Vec::new(),
            scale: 1.0,
            unseen_as_clean: false,
        }
    }

    /// Counts the part of the window the engine has not seen (it started less than a window
    /// ago) as clean: the value is scaled by the share of the window seen. A ratio over an hour,
    /// an hour after start, is then what Prometheus computes when it kept the clean hour before
    /// the exporter restarted, and a burst of errors right after a restart (a deployment's
    /// warm-up) does not look like an hour of them. The SLOs' burn-rate rules use it; the value
    /// is as usual once the window is covered. It has no PromQL form: Prometheus keeps its own
    /// history.
    #[must_use]
    pub fn unseen_as_clean(mut self) -> Signal {
        self.unseen_as_clean = true;
        self
    }

    /// The signal times `factor` (PromQL `… * factor`): a change of unit (dollars a second to
    /// dollars a day: 86 400), or a pace over a budget (spend a day over 50 dollars: 86 400 / 50).
    #[must_use]
    pub fn times(mut self, factor: f64) -> Signal {
        self.scale *= factor;
        self
    }

    /// Splits the signal per distinct value of these labels: one alert per endpoint, tool or
    /// provider. Every selector of the signal must carry them.
    #[must_use]
    pub fn by<const N: usize>(mut self, labels: [&'static str; N]) -> Signal {
        self.by = labels.to_vec();
        self
    }

    /// Alerts when the signal is above `threshold`.
    pub fn above(self, threshold: f64) -> Condition {
        Condition::Threshold(Threshold {
            signal: self,
            comparison: Comparison::Above,
            threshold,
        })
    }

    /// Alerts when the signal is below `threshold`.
    pub fn below(self, threshold: f64) -> Condition {
        Condition::Threshold(Threshold {
            signal: self,
            comparison: Comparison::Below,
            threshold,
        })
    }

    /// Alerts when the signal is at least `threshold` (a minimum of traffic, say).
    pub fn at_least(self, threshold: f64) -> Condition {
        Condition::Threshold(Threshold {
            signal: self,
            comparison: Comparison::AtLeast,
            threshold,
        })
    }

    /// Every selector, for validation and compilation.
    pub(crate) fn selectors(&self) -> Vec<&Selector> {
        match &self.kind {
            SignalKind::Rate { counter, .. }
            | SignalKind::Increase { counter, .. }
            | SignalKind::Growth { counter, .. } => vec![counter],
            SignalKind::Ratio {
                numerator,
                denominator,
                ..
            } => std::iter::once(numerator).chain(denominator).collect(),
            SignalKind::Quantile { histogram, .. } | SignalKind::ShareAbove { histogram, .. } => {
                vec![histogram]
            }
            SignalKind::Gauge { gauge } => vec![gauge],
            SignalKind::GaugeRatio {
                numerator,
                denominator,
            } => vec![numerator, denominator],
        }
    }

    /// The window a rate or quantile looks back over; gauges have none.
    pub(crate) fn window(&self) -> Option<Duration> {
        match &self.kind {
            SignalKind::Rate { window, .. }
            | SignalKind::Increase { window, .. }
            | SignalKind::Ratio { window, .. }
            | SignalKind::Quantile { window, .. }
            | SignalKind::ShareAbove { window, .. } => Some(*window),
            SignalKind::Growth { long, .. } => Some(*long),
            SignalKind::Gauge { .. } | SignalKind::GaugeRatio { .. } => None,
        }
    }
}

/// How a signal is compared with its threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// Holds when the value is greater than the threshold.
    Above,
    /// Holds when the value is less than the threshold.
    Below,
    /// Holds when the value is the threshold or more (a traffic minimum).
    AtLeast,
}

impl Comparison {
    pub(crate) fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Above => value > threshold,
            Comparison::Below => value < threshold,
            Comparison::AtLeast => value >= threshold,
        }
    }

    pub(crate) fn promql(self) -> &'static str {
        match self {
            Comparison::Above => ">",
            Comparison::Below => "<",
            Comparison::AtLeast => ">=",
        }
    }
}

/// A signal compared with a threshold.
#[derive(Clone, Debug)]
pub struct Threshold {
    pub(crate) signal: Signal,
    pub(crate) comparison: Comparison,
    pub(crate) threshold: f64,
}

impl Threshold {
    /// What is measured.
    pub fn signal(&self) -> &Signal {
        &self.signal
    }
    /// Above or below.
    pub fn comparison(&self) -> Comparison {
        self.comparison
    }
    /// The threshold value, in the signal's unit.
    pub fn value(&self) -> f64 {
        self.threshold
    }
}

/// A closure condition: `true` while the alert should be active.
pub type CustomCondition = Arc<dyn Fn() -> bool + Send + Sync>;

/// When a rule is active.
#[derive(Clone)]
pub enum Condition {
    /// A typed threshold over catalog signals; evaluable in process and renderable as PromQL.
    Threshold(Threshold),
    /// Thresholds joined as PromQL joins them, `(a and b) or (c and d)`: a group is active when
    /// every threshold of one clause holds for it. Built with [`Condition::all`] and
    /// [`Condition::or`]; a multiwindow burn-rate alert is one.
    AnyOf(Vec<Vec<Threshold>>),
    /// Any closure; evaluated in process only (it has no PromQL form).
    Custom(CustomCondition),
}

impl Condition {
    /// Holds for a group when every one of `conditions` holds for it (PromQL `and`). Each must
    /// be a [`Signal`] threshold (or itself such a conjunction); `None` when one is a closure or
    /// a disjunction, or when none is given.
    ///
    /// ```
    /// use std::time::Duration;
    /// use victor_alerting::{Condition, Signal, counter};
    /// use victor_metrics_core::catalog;
    ///
    /// let errors = |window| Signal::ratio(
    ///     counter(&catalog::REQUESTS_TOTAL).matches("status", "5.."),
    ///     [counter(&catalog::REQUESTS_TOTAL)],
    ///     window,
    /// );
    /// let hour = Duration::from_secs(3600);
    /// let burning = Condition::all([
    ///     errors(hour).above(0.144),
    ///     errors(Duration::from_secs(300)).above(0.144),
    ///     Signal::increase(counter(&catalog::REQUESTS_TOTAL), hour).at_least(20.0),
    /// ])
    /// .expect("thresholds");
    /// # let _ = burning;
    /// ```
    pub fn all(conditions: impl IntoIterator<Item = Condition>) -> Option<Condition> {
        let mut terms = Vec::new();
        for condition in conditions {
            match condition {
                Condition::Threshold(threshold) => terms.push(threshold),
                Condition::AnyOf(mut clauses) if clauses.len() == 1 => {
                    terms.append(&mut clauses[0]);
                }
                Condition::AnyOf(_) | Condition::Custom(_) => return None,
            }
        }
        (!terms.is_empty()).then_some(Condition::AnyOf(vec![terms]))
    }

    /// Holds for a group when this condition or `other` does (PromQL `or`); `None` when either is
    /// a closure.
    pub fn or(self, other: Condition) -> Option<Condition> {
        let clauses = |condition: Condition| match condition {
            Condition::Threshold(threshold) => Some(vec![vec![threshold]]),
            Condition::AnyOf(clauses) => Some(clauses),
            Condition::Custom(_) => None,
        };
        let mut all = clauses(self)?;
        all.extend(clauses(other)?);
        Some(Condition::AnyOf(all))
    }

    /// Every threshold of the condition, clause by clause: one for a threshold, none for a
    /// closure.
    pub(crate) fn thresholds(&self) -> Vec<&Threshold> {
        match self {
            Condition::Threshold(threshold) => vec![threshold],
            Condition::AnyOf(clauses) => clauses.iter().flatten().collect(),
            Condition::Custom(_) => Vec::new(),
        }
    }

    /// A condition from a closure, for what catalog signals cannot express.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// use victor_alerting::Condition;
    ///
    /// let degraded = Arc::new(AtomicBool::new(false));
    /// let flag = Arc::clone(&degraded);
    /// let condition = Condition::custom(move || flag.load(Ordering::Relaxed));
    /// # let _ = condition;
    /// ```
    pub fn custom(condition: impl Fn() -> bool + Send + Sync + 'static) -> Condition {
        Condition::Custom(Arc::new(condition))
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Threshold(threshold) => threshold.fmt(f),
            Condition::AnyOf(clauses) => f.debug_tuple("AnyOf").field(clauses).finish(),
            Condition::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

/// An alert rule. Build one with [`Rule::builder`].
#[derive(Clone, Debug)]
pub struct Rule {
    pub(crate) name: String,
    pub(crate) condition: Condition,
    pub(crate) severity: Severity,
    pub(crate) for_duration: Duration,
    pub(crate) keep_firing_for: Duration,
    pub(crate) cooldown: Duration,
    pub(crate) channels: Vec<String>,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) annotations: BTreeMap<String, String>,
}

impl Rule {
    /// Starts a rule named `name` (a Prometheus alert name such as `HighErrorRate`), with severity
    /// warning, no `for` duration, a 5-minute cooldown and every configured channel.
    pub fn builder(name: impl Into<String>) -> RuleBuilder {
        RuleBuilder {
            rule: Rule {
                name: name.into(),
                condition: Condition::custom(|| false),
                severity: Severity::Warning,
                for_duration: Duration::ZERO,
                keep_firing_for: Duration::ZERO,
                cooldown: DEFAULT_COOLDOWN,
                channels: Vec::new(),
                labels: BTreeMap::new(),
                annotations: BTreeMap::new(),
            },
            has_condition: false,
        }
    }

    /// The alert name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// How bad it is.
    pub fn severity(&self) -> Severity {
        self.severity
    }
    /// When it is active.
    pub fn condition(&self) -> &Condition {
        &self.condition
    }
    /// How long the condition must hold before the alert fires.
    pub fn for_duration(&self) -> Duration {
        self.for_duration
    }
    /// How long a firing alert keeps firing after its condition stops holding (Prometheus'
    /// `keep_firing_for`): hysteresis, so a flapping signal pages once.
    pub fn keep_firing_for(&self) -> Duration {
        self.keep_firing_for
    }

    /// The rule with `changes` applied and checked again.
    ///
    /// # Errors
    /// A threshold for a custom condition, or one out of range (a quantile's, say), naming
    /// the rule.
    pub fn with_override(mut self, changes: &RuleOverride) -> Result<Rule, RuleError> {
        if let Some(threshold) = changes.threshold {
            match &mut self.condition {
                Condition::Threshold(condition) => condition.threshold = threshold,
                Condition::AnyOf(_) | Condition::Custom(_) => {
                    return Err(RuleError::OutOfRange {
                        rule: self.name,
                        problem: "only a single-threshold condition has a threshold to override"
                            .to_owned(),
                    });
                }
            }
            if let Condition::Threshold(condition) = &self.condition {
                validate(&self.name, condition)?;
            }
        }
        if let Some(duration) = changes.for_duration {
            self.for_duration = duration;
        }
        if let Some(duration) = changes.keep_firing_for {
            self.keep_firing_for = duration;
        }
        if let Some(severity) = changes.severity {
            self.severity = severity;
        }
        if let Some(channels) = &changes.channels {
            self.channels = channels.clone();
        }
        Ok(self)
    }

    /// The rule notifying `channels` when it names none of its own: routing by severity.
    #[must_use]
    pub fn routed_to(mut self, channels: &[String]) -> Rule {
        if self.channels.is_empty() {
            self.channels = channels.to_vec();
        }
        self
    }

    /// The rule with `labels` added to every alert it raises, the rule's own labels winning: what
    /// Prometheus' `job`, `instance` and `external_labels` are to its alerts, so an engine's
    /// alert and Prometheus' alert of one condition carry the same labels.
    #[must_use]
    pub fn with_labels<'a>(
        mut self,
        labels: impl IntoIterator<Item = (&'a String, &'a String)>,
    ) -> Rule {
        for (name, value) in labels {
            self.labels
                .entry(name.clone())
                .or_insert_with(|| value.clone());
        }
        self
    }
    /// The least time between two notifications of the same firing alert.
    pub fn cooldown(&self) -> Duration {
        self.cooldown
    }
    /// The channels it notifies; empty means every configured channel.
    pub fn channels(&self) -> &[String] {
        &self.channels
    }
    /// Extra labels (besides `alertname` and `severity`).
    pub fn labels(&self) -> &BTreeMap<String, String> {
        &self.labels
    }
    /// Annotations: `summary`, `description`, `runbook_url` and any others, as templates that
    /// may use `{{ $value }}` (optionally `| humanize`, `| humanizePercentage`,
    /// `| humanizeDuration`) and `{{ $labels.NAME }}`.
    pub fn annotations(&self) -> &BTreeMap<String, String> {
        &self.annotations
    }
}

/// The cooldown a rule gets unless told otherwise (`003`: five minutes against alert fatigue).
pub const DEFAULT_COOLDOWN: Duration = Duration::from_secs(300);

/// Builds a [`Rule`]; every setter is optional except [`RuleBuilder::condition`].
#[derive(Debug)]
#[must_use]
pub struct RuleBuilder {
    rule: Rule,
    has_condition: bool,
}

impl RuleBuilder {
    /// Sets the `description` annotation.
    pub fn description(self, text: impl Into<String>) -> Self {
        self.annotation("description", text)
    }
    /// Sets the `summary` annotation (the one-line title of notifications).
    pub fn summary(self, text: impl Into<String>) -> Self {
        self.annotation("summary", text)
    }
    /// Sets the `runbook_url` annotation.
    pub fn runbook_url(self, url: impl Into<String>) -> Self {
        self.annotation("runbook_url", url)
    }
    /// Sets any annotation.
    pub fn annotation(mut self, name: impl Into<String>, text: impl Into<String>) -> Self {
        self.rule.annotations.insert(name.into(), text.into());
        self
    }
    /// Adds a label to every alert of the rule (routing keys such as `team`).
    pub fn label(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.rule.labels.insert(name.into(), value.into());
        self
    }
    /// When the rule is active.
    pub fn condition(mut self, condition: Condition) -> Self {
        self.rule.condition = condition;
        self.has_condition = true;
        self
    }
    /// How bad it is (default warning).
    pub fn severity(mut self, severity: Severity) -> Self {
        self.rule.severity = severity;
        self
    }
    /// How long the condition must hold before the alert fires (PromQL `for`; default zero).
    pub fn for_duration(mut self, duration: Duration) -> Self {
        self.rule.for_duration = duration;
        self
    }
    /// Keeps a firing alert firing this long after its condition stops holding, as Prometheus'
    /// `keep_firing_for` does (default zero: it resolves at the first evaluation that clears).
    pub fn keep_firing_for(mut self, duration: Duration) -> Self {
        self.rule.keep_firing_for = duration;
        self
    }
    /// The least time between two notifications of one firing alert (default 5 minutes).
    pub fn cooldown(mut self, cooldown: Duration) -> Self {
        self.rule.cooldown = cooldown;
        self
    }
    /// The channels to notify, by the names they were registered under (default: all).
    pub fn channels<S: Into<String>>(mut self, channels: impl IntoIterator<Item = S>) -> Self {
        self.rule.channels = channels.into_iter().map(Into::into).collect();
        self
    }

    /// Checks the rule and returns it.
    ///
    /// # Errors
    /// When there is no condition, the name is not a valid alert name, a matcher or `by` names a
    /// label its metric lacks, a regex does not compile, or a quantile, threshold or window is
    /// out of range.
    pub fn build(self) -> Result<Rule, RuleError> {
        let rule = self.rule;
        let name = rule.name.clone();
        let valid_name = name
            .chars()
            .enumerate()
            .all(|(i, c)| c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit()));
        if name.is_empty() || !valid_name {
            return Err(RuleError::BadName { rule: name });
        }
        if !self.has_condition {
            return Err(RuleError::NoCondition { rule: name });
        }
        for threshold in rule.condition.thresholds() {
            validate(&name, threshold)?;
        }
        if let Condition::AnyOf(clauses) = &rule.condition {
            let by = clauses
                .first()
                .and_then(|c| c.first())
                .map(|t| &t.signal.by);
            if clauses.is_empty() || clauses.iter().any(Vec::is_empty) {
                return Err(RuleError::OutOfRange {
                    rule: name,
                    problem: "a clause of the condition has no threshold".into(),
                });
            }
            if clauses.iter().flatten().any(|t| Some(&t.signal.by) != by) {
                return Err(RuleError::OutOfRange {
                    rule: name,
                    problem: "every threshold of a joined condition must group by the same labels"
                        .into(),
                });
            }
        }
        Ok(rule)
    }
}

fn validate(rule: &str, threshold: &Threshold) -> Result<(), RuleError> {
    let out_of_range = |problem: String| RuleError::OutOfRange {
        rule: rule.to_owned(),
        problem,
    };
    if !threshold.threshold.is_finite() {
        return Err(out_of_range(format!(
            "threshold {} is not a finite number",
            threshold.threshold
        )));
    }
    let signal = &threshold.signal;
    if !(signal.scale.is_finite() && signal.scale != 0.0) {
        return Err(out_of_range(format!(
            "the factor {} is not a finite, non-zero number",
            signal.scale
        )));
    }
    if let SignalKind::Quantile { q, .. } = signal.kind
        && !(0.0..=1.0).contains(&q)
    {
        return Err(out_of_range(format!("quantile {q} is outside 0 to 1")));
    }
    if signal
        .window()
        .is_some_and(|window| window < Duration::from_secs(1))
    {
        return Err(out_of_range("the window is shorter than one second".into()));
    }
    if let SignalKind::ShareAbove {
        histogram, bound, ..
    } = &signal.kind
        && !histogram.metric.buckets().contains(bound)
    {
        return Err(out_of_range(format!(
            "{bound} is not a bucket bound of {} (its bounds: {:?})",
            histogram.metric.name(),
            histogram.metric.buckets()
        )));
    }
    if let SignalKind::Growth { short, long, .. } = signal.kind
        && !(Duration::from_secs(1) <= short && short < long)
    {
        return Err(out_of_range(format!(
            "growth compares a {short:?} window with a {long:?} one; the short one must be at least 1s and shorter"
        )));
    }
    for selector in signal.selectors() {
        let metric = selector.metric;
        let known = metric.labels();
        let unknown = |label: &str| RuleError::UnknownLabel {
            rule: rule.to_owned(),
            metric: metric.name(),
            label: label.to_owned(),
            known,
        };
        for label in &signal.by {
            if !known.contains(label) {
                return Err(unknown(label));
            }
        }
        for matcher in &selector.matchers {
            if !known.contains(&matcher.label) {
                return Err(unknown(matcher.label));
            }
            if let Some(Err(reason)) = &matcher.regex {
                return Err(RuleError::BadRegex {
                    rule: rule.to_owned(),
                    label: matcher.label,
                    pattern: matcher.value.clone(),
                    reason: reason.clone(),
                });
            }
        }
        debug_assert!(
            !matches!(
                signal.kind,
                SignalKind::Quantile { .. } | SignalKind::ShareAbove { .. }
            ) || metric.kind() == MetricKind::Histogram
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use victor_metrics_core::catalog;

    fn errors() -> Signal {
        Signal::ratio(
            counter(&catalog::REQUESTS_TOTAL).matches("status", "5.."),
            [counter(&catalog::REQUESTS_TOTAL)],
            Duration::from_secs(300),
        )
    }

    #[test]
    fn build_names_the_bad_part() {
        let err = Rule::builder("Bad")
            .condition(errors().by(["tool"]).above(0.1))
            .build()
            .expect_err("requests have no tool label");
        assert!(
            err.to_string()
                .contains("victor_requests_total has no label \"tool\""),
            "{err}"
        );

        let err = Rule::builder("Bad")
            .condition(
                Signal::rate(
                    counter(&catalog::REQUESTS_TOTAL).matches("status", "5(("),
                    Duration::from_secs(60),
                )
                .above(1.0),
            )
            .build()
            .expect_err("bad regex");
        assert!(matches!(err, RuleError::BadRegex { .. }), "{err}");

        assert!(matches!(
            Rule::builder("has space")
                .condition(errors().above(0.1))
                .build(),
            Err(RuleError::BadName { .. })
        ));
        assert!(matches!(
            Rule::builder("NoCondition").build(),
            Err(RuleError::NoCondition { .. })
        ));
        let err = Rule::builder("Q")
            .condition(
                Signal::quantile(
                    1.5,
                    histogram(&catalog::REQUEST_DURATION_SECONDS),
                    Duration::from_secs(60),
                )
                .above(1.0),
            )
            .build()
            .expect_err("quantile");
        assert!(err.to_string().contains("quantile 1.5"), "{err}");
    }

    #[test]
    fn severities_order_and_print() {
        assert!(Severity::Info < Severity::Critical);
        assert_eq!(Severity::Error.to_string(), "error");
        for (position, severity) in Severity::ALL.iter().enumerate() {
            assert_eq!(*severity as usize, position);
        }
    }
}
