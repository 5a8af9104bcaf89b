//! Service level objectives as code, alerted on as the Google SRE workbook's multiwindow,
//! multi-burn-rate alerts (as Sloth and Pyrra generate them).
//!
//! An [`Slo`] names an objective over a period (30 days by default) and its SLI: the share of
//! bad events among all, from catalog series. From it come, per job:
//!
//! - Sloth's recording rules: `slo:sli_error:ratio_rate{5m,30m,1h,2h,6h,1d,3d}` (the error
//!   ratio over each window), `slo:sli_error:ratio_rate30d`, `slo:objective:ratio`,
//!   `slo:error_budget:ratio`, `slo:current_burn_rate:ratio`, `slo:period_burn_rate:ratio` and
//!   `slo:period_error_budget_remaining:ratio`, labelled `sloth_id`, `sloth_service`,
//!   `sloth_slo`;
//! - two alerts: [`PAGE_ALERT`] (severity critical) when the budget burns 14.4× over 1 h and
//!   5 m or 6× over 6 h and 30 m, and [`TICKET_ALERT`] (warning) at 3× over 1 d and 2 h or 1×
//!   over 3 d and 6 h; each needs both windows (the long one says it matters, the short one that
//!   it is still happening) and, for event SLIs, a minimum of events in the long window, so a
//!   quiet hour with two failed requests out of three cannot page;
//! - `promtool test rules` cases for every alert, a low-traffic case that must not fire among
//!   them ([`Slo::promtool_tests`]).
//!
//! The LLM spend budget is an SLO too: its "error ratio" is the spend rate over the daily
//! budget, and its error budget is the whole budget (objective 0), so a burn rate of 14.4 means
//! spending at 14.4 times the daily budget's pace.

use std::collections::BTreeMap;
use std::time::Duration;

use victor_metrics_core::catalog;

use crate::promql::{CounterSelector, HistogramSelector, PrometheusRule, Scope, Selector};
use crate::promql::{counter, histogram};
use crate::promtool::{
    AlertRuleTest, ExpectedAlert, InputSeries, PromtoolTest, labels_for, series_text,
};
use crate::rule::{Condition, Rule, Severity, Signal};

/// The page alert's name (severity critical): the budget burns fast.
pub const PAGE_ALERT: &str = "SLOErrorBudgetBurnFast";
/// The ticket alert's name (severity warning): the budget burns slowly but surely.
pub const TICKET_ALERT: &str = "SLOErrorBudgetBurnSlow";
/// The `sloth_service` label of every SLO series.
pub const SERVICE: &str = "victor";
/// Where each SLO's runbook section is.
pub const RUNBOOK_BASE: &str =
    "https://github.com/victor-ai/victor-observability/blob/main/docs/slos.md";

/// The windows whose error ratio is recorded.
pub const WINDOWS: [&str; 7] = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"];

/// One multiwindow burn-rate condition: the error ratio above `factor` × the error budget over
/// both windows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BurnWindow {
    /// The long window: the burn matters.
    pub long: &'static str,
    /// The short window: it is still burning.
    pub short: &'static str,
    /// The burn rate, as a multiple of the rate that spends the budget exactly in the period.
    pub factor: f64,
    /// Seconds in the long window, for the traffic guard.
    pub long_seconds: f64,
}

impl BurnWindow {
    /// The long window as a duration.
    pub fn long_duration(&self) -> Duration {
        prometheus_duration(self.long)
    }
    /// The short window as a duration.
    pub fn short_duration(&self) -> Duration {
        prometheus_duration(self.short)
    }
}

/// One of the fixed window names (`5m`, `1h`, `1d`) as a duration.
fn prometheus_duration(text: &str) -> Duration {
    humantime::parse_duration(text).unwrap_or(Duration::ZERO)
}

/// The page alert's conditions: 2 % of a 30-day budget in an hour, 5 % in six hours.
pub const PAGE_WINDOWS: [BurnWindow; 2] = [
    BurnWindow {
        long: "1h",
        short: "5m",
        factor: 14.4,
        long_seconds: 3_600.0,
    },
    BurnWindow {
        long: "6h",
        short: "30m",
        factor: 6.0,
        long_seconds: 21_600.0,
    },
];

/// The ticket alert's conditions: 10 % of the budget in a day, 10 % in three days.
pub const TICKET_WINDOWS: [BurnWindow; 2] = [
    BurnWindow {
        long: "1d",
        short: "2h",
        factor: 3.0,
        long_seconds: 86_400.0,
    },
    BurnWindow {
        long: "3d",
        short: "6h",
        factor: 1.0,
        long_seconds: 259_200.0,
    },
];

/// What counts as a bad event, and among what: selectors of catalog series, so an SLI cannot
/// name a metric the exporter does not record.
#[derive(Clone, Debug, PartialEq)]
pub enum Sli {
    /// Bad events are counted by `errors`, all events by `total`: the same counter narrowed
    /// (`status=~"5.."`), or two counters (LLM errors among LLM requests).
    Events {
        /// The bad events.
        errors: CounterSelector,
        /// All events.
        total: CounterSelector,
    },
    /// Events slower than `le` seconds (one of the histogram's bucket bounds) are bad.
    Latency {
        /// The latency histogram (its `_bucket` and `_count` series).
        histogram: HistogramSelector,
        /// The bucket bound.
        le: f64,
    },
    /// Spending above `budget_usd_per_day` is the burn; the spend is the cost histogram's
    /// `_sum`.
    Spend {
        /// The cost histogram.
        cost: HistogramSelector,
        /// US dollars a day.
        budget_usd_per_day: f64,
    },
}

/// A service level objective.
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    /// A short, lower-case name (`requests-availability`): the `sloth_slo` label and its
    /// runbook's anchor.
    pub name: String,
    /// What it promises, for people.
    pub description: String,
    /// The share of good events promised, between 0 and 1 (ignored for a spend budget).
    pub objective: f64,
    /// The period the objective holds over, in days.
    pub period_days: u32,
    /// The indicator.
    pub sli: Sli,
    /// Events an hour below which no burn alert fires (event SLIs; ignored for spend).
    pub min_events_per_hour: f64,
    /// Where the alerts' `runbook_url` points; `None`: no runbook annotation.
    pub runbook_url: Option<String>,
}

/// Why an SLO cannot be used, naming it and the bad part.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("SLO {slo}: {problem}")]
pub struct SloError {
    /// The SLO's name.
    pub slo: String,
    /// What is wrong.
    pub problem: String,
}

/// The SLOs Victor ships: request availability and latency, LLM call and tool success, and the
/// LLM spend budget.
pub fn default_slos() -> Vec<Slo> {
    let slo = |name: &str, description: &str, objective: f64, sli: Sli| Slo {
        name: name.to_owned(),
        description: description.to_owned(),
        objective,
        period_days: 30,
        sli,
        min_events_per_hour: 20.0,
        runbook_url: Some(format!("{RUNBOOK_BASE}#{name}")),
    };
    vec![
        slo(
            "requests-availability",
            "99% of the agent's requests answer without a 5xx.",
            0.99,
            Sli::Events {
                errors: counter(&catalog::REQUESTS_TOTAL).matches("status", "5.."),
                total: counter(&catalog::REQUESTS_TOTAL),
            },
        ),
        slo(
            "requests-latency",
            "95% of the agent's requests answer within 10 seconds.",
            0.95,
            Sli::Latency {
                histogram: histogram(&catalog::REQUEST_DURATION_SECONDS),
                le: 10.0,
            },
        ),
        slo(
            "llm-success",
            "98% of LLM calls succeed.",
            0.98,
            Sli::Events {
                errors: counter(&catalog::LLM_ERRORS_TOTAL),
                total: counter(&catalog::LLM_REQUESTS_TOTAL),
            },
        ),
        slo(
            "tool-success",
            "95% of tool executions succeed.",
            0.95,
            Sli::Events {
                errors: counter(&catalog::TOOL_EXECUTIONS_TOTAL).ne("status", "success"),
                total: counter(&catalog::TOOL_EXECUTIONS_TOTAL),
            },
        ),
        Slo {
            min_events_per_hour: 0.0,
            ..slo(
                "llm-spend",
                "LLM spend stays within 50 US dollars a day.",
                0.0,
                Sli::Spend {
                    cost: histogram(&catalog::LLM_COST_USD),
                    budget_usd_per_day: 50.0,
                },
            )
        },
    ]
}

/// How an SLO stands in the engine now: its burn rate over each window and its alerts. What
/// `GET /api/performance/slos` lists and `victor metrics slos` shows.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SloStatus {
    /// The SLO's name.
    pub name: String,
    /// What it promises.
    pub description: String,
    /// The share of good events promised (0 for a spend budget).
    pub objective: f64,
    /// The share of bad events allowed (1 for a spend budget).
    pub error_budget: f64,
    /// Per window of [`WINDOWS`] the alerts read (`5m` … `3d`), the burn rate: the error ratio
    /// over the error budget, 1 spending the budget exactly over the period. Until the engine
    /// has seen a whole window the part not seen counts as clean, as for alerting. `None`: no
    /// events yet.
    pub burn_rates: Vec<WindowBurn>,
    /// The SLO's pending and firing alerts.
    pub alerts: Vec<SloAlert>,
}

/// An SLO's burn rate over one window.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct WindowBurn {
    /// The window (`5m`, `1h`, `3d`).
    pub window: String,
    /// The error ratio over the error budget; `None` while there were no events.
    pub burn_rate: Option<f64>,
}

/// One of an SLO's pending or firing alerts.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SloAlert {
    /// [`PAGE_ALERT`] or [`TICKET_ALERT`].
    pub name: String,
    /// Pending or firing.
    pub state: crate::AlertState,
}

/// One SLO's group of a Prometheus rule file: its recording rules, then its two alerts.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SloRuleGroup {
    /// `victor_slo_` and the SLO's name, `-` as `_`.
    pub name: String,
    /// The recording rules, then the page and ticket alerts.
    pub rules: Vec<SloRule>,
}

/// A rule of an [`SloRuleGroup`].
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum SloRule {
    /// A `record:` rule.
    Recording(SloRecording),
    /// An `alert:` rule.
    Alerting(PrometheusRule),
}

/// A recording rule of the SLO file.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SloRecording {
    /// The series recorded.
    pub record: String,
    /// What it computes.
    pub expr: String,
    /// The SLO's labels.
    pub labels: BTreeMap<String, String>,
}

impl Slo {
    /// Checks what the types cannot: the name, the objective, the period, the latency bound
    /// and the budget.
    ///
    /// # Errors
    /// The first problem, naming the SLO and the field.
    pub fn validate(&self) -> Result<(), SloError> {
        let problem = |problem: String| SloError {
            slo: self.name.clone(),
            problem,
        };
        let valid_name = !self.name.is_empty()
            && self.name.len() <= 64
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid_name {
            return Err(problem(
                "the name must be 1 to 64 of a-z, 0-9 and '-' (it is a label value and an anchor)"
                    .into(),
            ));
        }
        if self.period_days == 0 || self.period_days > 365 {
            return Err(problem(format!(
                "period_days {} is outside 1 to 365",
                self.period_days
            )));
        }
        if !(self.min_events_per_hour.is_finite() && self.min_events_per_hour >= 0.0) {
            return Err(problem(format!(
                "min_events_per_hour {} must be a number of at least 0",
                self.min_events_per_hour
            )));
        }
        match &self.sli {
            Sli::Spend {
                budget_usd_per_day, ..
            } => {
                if !(budget_usd_per_day.is_finite() && *budget_usd_per_day > 0.0) {
                    return Err(problem(format!(
                        "budget_usd_per_day {budget_usd_per_day} must be a positive number"
                    )));
                }
            }
            sli => {
                if !(self.objective > 0.0 && self.objective < 1.0) {
                    return Err(problem(format!(
                        "objective {} must be between 0 and 1, exclusive (0.99 for 99%)",
                        self.objective
                    )));
                }
                if let Sli::Latency { histogram, le } = sli {
                    let bounds = histogram.0.metric.buckets();
                    if !bounds.contains(le) {
                        return Err(problem(format!(
                            "le {le} is not a bucket bound of {} (its bounds: {bounds:?})",
                            histogram.0.metric.name()
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    /// The labels of every series and alert of this SLO.
    pub fn labels(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("sloth_id".to_owned(), format!("{SERVICE}-{}", self.name)),
            ("sloth_service".to_owned(), SERVICE.to_owned()),
            ("sloth_slo".to_owned(), self.name.clone()),
        ])
    }

    /// The error budget: the share of bad events the objective allows (1 for spend).
    pub fn error_budget(&self) -> f64 {
        match self.sli {
            Sli::Spend { .. } => 1.0,
            _ => 1.0 - self.objective,
        }
    }

    /// The error ratio over `window`, per job, as PromQL.
    pub fn error_ratio(&self, window: &str) -> String {
        let rate = |selector: &str| format!("sum by (job) (rate({selector}[{window}]))");
        // A job with no bad event has no bad series: count it as 0, not as missing.
        let bad_or_zero = |bad: String, total: &str| format!("({bad} or {} * 0)", rate(total));
        match &self.sli {
            Sli::Events { errors, total } => {
                let total = render(&total.0, "");
                format!(
                    "{} / {}",
                    bad_or_zero(rate(&render(&errors.0, "")), &total),
                    rate(&total)
                )
            }
            Sli::Latency { histogram, le } => format!(
                "1 - ({} / {})",
                rate(&with_le(&render(&histogram.0, "_bucket"), *le)),
                rate(&render(&histogram.0, "_count"))
            ),
            Sli::Spend {
                cost,
                budget_usd_per_day,
            } => format!(
                "{} * 86400 / {}",
                rate(&render(&cost.0, "_sum")),
                number(*budget_usd_per_day)
            ),
        }
    }

    /// Events in `window` per job, for the traffic guard; `None` for spend.
    fn events(&self, window: &str) -> Option<String> {
        let total = match &self.sli {
            Sli::Events { total, .. } => render(&total.0, ""),
            Sli::Latency { histogram, .. } => render(&histogram.0, "_count"),
            Sli::Spend { .. } => return None,
        };
        Some(format!("sum by (job) (increase({total}[{window}]))"))
    }

    /// The counter of all events, for the in-process traffic guard; `None` for spend.
    fn total_events(&self) -> Option<CounterSelector> {
        match &self.sli {
            Sli::Events { total, .. } => Some(total.clone()),
            Sli::Latency { histogram, .. } => Some(histogram.clone().count()),
            Sli::Spend { .. } => None,
        }
    }

    /// The error ratio over `window` as an engine signal: what `slo:sli_error:ratio_rate{window}`
    /// records (spend: the spend rate over the daily budget's pace).
    fn ratio_signal(&self, window: Duration) -> Signal {
        // After a restart the engine has seen less than the window; Prometheus, which kept the
        // history, sees the rest (usually clean). Counting it clean keeps the two verdicts alike
        // and a warm-up burst from paging as if it had lasted the whole window.
        let signal = match &self.sli {
            Sli::Events { errors, total } => Signal::ratio(errors.clone(), [total.clone()], window),
            Sli::Latency { histogram, le } => Signal::share_above(histogram.clone(), *le, window),
            Sli::Spend {
                cost,
                budget_usd_per_day,
            } => Signal::rate(cost.clone().sum(), window).times(86_400.0 / budget_usd_per_day),
        };
        signal.unseen_as_clean()
    }

    /// How the SLO stands in `engine`, which holds its [`Slo::engine_rules`]: the burn rate
    /// over each window the alerts read, and its pending and firing alerts among `alerts` (the
    /// engine's [`Engine::alerts`](crate::Engine::alerts), read once for every SLO).
    pub fn status(&self, engine: &crate::Engine, alerts: &[crate::Alert]) -> SloStatus {
        let budget = self.error_budget();
        // Each rule's thresholds, as `engine_rules` builds them: per window of the alert, the
        // long ratio, the short ratio, then the traffic guard (event SLIs).
        let stride = if self.total_events().is_some() { 3 } else { 2 };
        let mut burns: BTreeMap<&str, f64> = BTreeMap::new();
        for (alert, windows) in [(PAGE_ALERT, &PAGE_WINDOWS), (TICKET_ALERT, &TICKET_WINDOWS)] {
            let Some(values) = engine.threshold_values(alert, "sloth_slo", &self.name) else {
                continue;
            };
            for (position, window) in windows.iter().enumerate() {
                for (offset, span) in [(0, window.long), (1, window.short)] {
                    if let Some(value) = values.get(position * stride + offset) {
                        burns.insert(span, value / budget);
                    }
                }
            }
        }
        SloStatus {
            name: self.name.clone(),
            description: self.description.clone(),
            objective: self.objective,
            error_budget: budget,
            burn_rates: WINDOWS
                .iter()
                .filter_map(|window| {
                    let burn = burns.get(window)?;
                    Some(WindowBurn {
                        window: (*window).to_owned(),
                        burn_rate: burn.is_finite().then_some(*burn),
                    })
                })
                .collect(),
            alerts: alerts
                .iter()
                .filter(|alert| alert.labels.get("sloth_slo") == Some(&self.name))
                .map(|alert| SloAlert {
                    name: alert.name.clone(),
                    state: alert.state,
                })
                .collect(),
        }
    }

    /// The burn-rate alerts as engine rules, page then ticket: the conditions of
    /// [`Slo::alerts`], evaluated in process over the exporter's own series. Each alert's
    /// value is the error ratio over the long window of the clause that holds, as in Prometheus.
    ///
    /// ```
    /// use victor_alerting::slo::{default_slos, PAGE_ALERT};
    ///
    /// let availability = &default_slos()[0];
    /// let [page, ticket] = availability.engine_rules()?;
    /// assert_eq!(page.name(), PAGE_ALERT);
    /// assert_eq!(page.labels()["sloth_slo"], "requests-availability");
    /// # let _ = ticket;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// When the SLO is invalid ([`Slo::validate`]).
    pub fn engine_rules(&self) -> Result<[Rule; 2], SloError> {
        self.validate()?;
        let failed = |err: crate::RuleError| SloError {
            slo: self.name.clone(),
            problem: err.to_string(),
        };
        let [page, ticket] = self.alerts();
        let rule = |alert: PrometheusRule, windows: &[BurnWindow; 2], severity: Severity| {
            let mut condition: Option<Condition> = None;
            for window in windows {
                let limit = window.factor * self.error_budget();
                let mut terms = vec![
                    self.ratio_signal(window.long_duration()).above(limit),
                    self.ratio_signal(window.short_duration()).above(limit),
                ];
                if let Some(total) = self.total_events() {
                    let minimum = self.min_events_per_hour * window.long_seconds / 3_600.0;
                    terms.push(Signal::increase(total, window.long_duration()).at_least(minimum));
                }
                let clause = Condition::all(terms).expect("thresholds join");
                condition = Some(match condition {
                    None => clause,
                    Some(before) => before.or(clause).expect("thresholds join"),
                });
            }
            let mut builder = Rule::builder(alert.alert)
                .condition(condition.expect("two windows"))
                .severity(severity);
            for (name, value) in self.labels() {
                builder = builder.label(name, value);
            }
            for (name, text) in alert.annotations {
                builder = builder.annotation(name, text);
            }
            builder.build().map_err(failed)
        };
        Ok([
            rule(page, &PAGE_WINDOWS, Severity::Critical)?,
            rule(ticket, &TICKET_WINDOWS, Severity::Warning)?,
        ])
    }

    fn selector(&self, record: &str) -> String {
        format!("{record}{{sloth_id=\"{SERVICE}-{}\"}}", self.name)
    }

    /// Sloth's recording rules for this SLO.
    pub fn recording_rules(&self) -> Vec<SloRecording> {
        let labels = self.labels();
        let rule = |record: &str, expr: String| SloRecording {
            record: record.to_owned(),
            expr,
            labels: labels.clone(),
        };
        let mut rules: Vec<SloRecording> = WINDOWS
            .iter()
            .map(|window| {
                rule(
                    &format!("slo:sli_error:ratio_rate{window}"),
                    self.error_ratio(window),
                )
            })
            .collect();
        let period = format!("{}d", self.period_days);
        let five_minutes = self.selector("slo:sli_error:ratio_rate5m");
        let on = "on (sloth_id, sloth_service, sloth_slo) group_left";
        rules.extend([
            rule(
                &format!("slo:sli_error:ratio_rate{period}"),
                format!("avg_over_time({five_minutes}[{period}])"),
            ),
            rule(
                "slo:objective:ratio",
                format!("vector({})", number(self.objective)),
            ),
            rule(
                "slo:error_budget:ratio",
                format!("vector({})", number(self.error_budget())),
            ),
            rule(
                "slo:time_period:days",
                format!("vector({})", self.period_days),
            ),
            rule(
                "slo:current_burn_rate:ratio",
                format!(
                    "{five_minutes} / {on} {}",
                    self.selector("slo:error_budget:ratio")
                ),
            ),
            rule(
                "slo:period_burn_rate:ratio",
                format!(
                    "{} / {on} {}",
                    self.selector(&format!("slo:sli_error:ratio_rate{period}")),
                    self.selector("slo:error_budget:ratio")
                ),
            ),
            rule(
                "slo:period_error_budget_remaining:ratio",
                format!("1 - {}", self.selector("slo:period_burn_rate:ratio")),
            ),
        ]);
        rules
    }

    fn burn_expression(&self, windows: &[BurnWindow; 2]) -> String {
        let budget = self.error_budget();
        let conditions: Vec<String> = windows
            .iter()
            .map(|window| {
                let over = |span: &str| {
                    format!(
                        "{} > ({} * {})",
                        self.selector(&format!("slo:sli_error:ratio_rate{span}")),
                        number(window.factor),
                        number(budget)
                    )
                };
                let burning = format!("({} and {})", over(window.long), over(window.short));
                match self.events(window.long) {
                    Some(events) => {
                        let minimum = self.min_events_per_hour * window.long_seconds / 3_600.0;
                        format!("({burning} and on (job) ({events} >= {}))", number(minimum))
                    }
                    None => burning,
                }
            })
            .collect();
        conditions.join(" or ")
    }

    /// The SLO's rule group, as `victor-slos.yml` and `victor-exporter --print-rules` write it.
    pub fn rule_group(&self) -> SloRuleGroup {
        SloRuleGroup {
            name: format!("victor_slo_{}", self.name.replace('-', "_")),
            rules: self
                .recording_rules()
                .into_iter()
                .map(SloRule::Recording)
                .chain(self.alerts().into_iter().map(SloRule::Alerting))
                .collect(),
        }
    }

    /// The page and ticket alerts of this SLO.
    pub fn alerts(&self) -> [PrometheusRule; 2] {
        let alert = |name: &str, severity: &str, windows: &[BurnWindow; 2], pace: &str| {
            let mut labels = self.labels();
            labels.insert("severity".to_owned(), severity.to_owned());
            PrometheusRule {
                alert: name.to_owned(),
                expr: self.burn_expression(windows),
                for_duration: None,
                keep_firing_for: None,
                labels,
                annotations: self.annotations(pace),
            }
        };
        [
            alert(
                PAGE_ALERT,
                "critical",
                &PAGE_WINDOWS,
                "fast: 14.4x over 1h and 5m, or 6x over 6h and 30m",
            ),
            alert(
                TICKET_ALERT,
                "warning",
                &TICKET_WINDOWS,
                "slowly: 3x over 1d and 2h, or 1x over 3d and 6h",
            ),
        ]
    }

    fn annotations(&self, pace: &str) -> BTreeMap<String, String> {
        let mut annotations = BTreeMap::from([
            (
                "summary".to_owned(),
                format!("SLO {} is burning its error budget {pace}", self.name),
            ),
            ("description".to_owned(), self.description.clone()),
        ]);
        if let Some(url) = &self.runbook_url {
            annotations.insert("runbook_url".to_owned(), url.clone());
        }
        annotations
    }

    /// `promtool test rules` cases: job `burning` fires both alerts, job `slow` only the
    /// ticket, and job `quiet` (the same error ratio as `burning` at a trickle of traffic, or
    /// spend under budget) neither. Series run 26 hours (a sample every 2 minutes), evaluated
    /// at 25: the day-long window must hold a day of data, or `rate` reads a fraction of a
    /// spend rate.
    ///
    /// # Errors
    /// When no label values satisfy the SLI's selectors, or tell its bad events from its good
    /// ones.
    pub fn promtool_tests(&self) -> Result<PromtoolTest, SloError> {
        let no_series = || SloError {
            slo: self.name.clone(),
            problem: "no label values tell its bad events from its good ones".into(),
        };
        let series = |job: &str, bad: f64, good: f64| -> Result<Vec<InputSeries>, SloError> {
            let values = |per_minute: f64| format!("0+{}x780", number(per_minute * 2.0));
            let fixed = BTreeMap::from([("job".to_owned(), job.to_owned())]);
            let at = |selector: &Selector,
                      suffix: &str,
                      labels: &BTreeMap<String, String>,
                      per_minute: f64| {
                let suffix = if suffix.is_empty() {
                    selector.suffix
                } else {
                    suffix
                };
                InputSeries {
                    series: series_text(&format!("{}{suffix}", selector.metric.name()), labels),
                    values: values(per_minute),
                }
            };
            Ok(match &self.sli {
                Sli::Events { errors, total } => {
                    let bad_labels = labels_for(&errors.0, &fixed, None).ok_or_else(no_series)?;
                    let same = errors.0.metric.name() == total.0.metric.name()
                        && errors.0.suffix == total.0.suffix;
                    if same {
                        // The bad series counts in both; a good one only in the total.
                        let good_labels =
                            labels_for(&total.0, &fixed, Some(&errors.0)).ok_or_else(no_series)?;
                        vec![
                            at(&errors.0, "", &bad_labels, bad),
                            at(&total.0, "", &good_labels, good),
                        ]
                    } else {
                        let total_labels =
                            labels_for(&total.0, &fixed, None).ok_or_else(no_series)?;
                        vec![
                            at(&errors.0, "", &bad_labels, bad),
                            at(&total.0, "", &total_labels, bad + good),
                        ]
                    }
                }
                Sli::Latency { histogram, le } => {
                    let labels = labels_for(&histogram.0, &fixed, None).ok_or_else(no_series)?;
                    let mut bucket = labels.clone();
                    bucket.insert("le".to_owned(), le.to_string());
                    vec![
                        at(&histogram.0, "_bucket", &bucket, good),
                        at(&histogram.0, "_count", &labels, bad + good),
                    ]
                }
                Sli::Spend {
                    cost,
                    budget_usd_per_day,
                } => {
                    // `bad` is the burn rate wanted: that multiple of the budget's pace.
                    let per_minute = budget_usd_per_day / 1_440.0 * bad;
                    let labels = labels_for(&cost.0, &fixed, None).ok_or_else(no_series)?;
                    vec![at(&cost.0, "_sum", &labels, per_minute)]
                }
            })
        };
        let budget = self.error_budget();
        let mut input_series = Vec::new();
        match self.sli {
            Sli::Spend { .. } => {
                input_series.extend(series("burning", 20.0, 0.0)?);
                input_series.extend(series("slow", 4.0, 0.0)?);
                input_series.extend(series("quiet", 0.5, 0.0)?);
            }
            _ => {
                // 20x the budget's error ratio at 100 events a minute; 4x for the slow burn;
                // 20x at a trickle below the minimum traffic for the quiet job.
                let (fast, slow) = (20.0 * budget, 4.0 * budget);
                input_series.extend(series("burning", 100.0 * fast, 100.0 * (1.0 - fast))?);
                input_series.extend(series("slow", 100.0 * slow, 100.0 * (1.0 - slow))?);
                let trickle = self.min_events_per_hour / 60.0 / 4.0;
                input_series.extend(series("quiet", trickle * fast, trickle * (1.0 - fast))?);
            }
        }
        let expected = |name: &str, severity: &str, jobs: &[&str]| AlertRuleTest {
            eval_time: "25h".to_owned(),
            alertname: name.to_owned(),
            exp_alerts: jobs
                .iter()
                .map(|job| {
                    let mut labels = self.labels();
                    labels.insert("severity".to_owned(), severity.to_owned());
                    labels.insert("job".to_owned(), (*job).to_owned());
                    let [page, ticket] = self.alerts();
                    let annotations = if name == PAGE_ALERT {
                        page.annotations
                    } else {
                        ticket.annotations
                    };
                    ExpectedAlert {
                        exp_labels: labels,
                        exp_annotations: annotations,
                    }
                })
                .collect(),
        };
        Ok(PromtoolTest {
            interval: "2m".to_owned(),
            input_series,
            alert_rule_tests: vec![
                expected(PAGE_ALERT, "critical", &["burning"]),
                expected(TICKET_ALERT, "warning", &["burning", "slow"]),
            ],
        })
    }
}

/// `name{matchers}` of a selector, with `suffix` after the name (`_bucket`, `_count`).
fn render(selector: &Selector, suffix: &str) -> String {
    // An SLO's selectors come from the catalog, their labels checked when built or parsed.
    selector
        .render(Scope::Fleet, suffix)
        .unwrap_or_else(|err| format!("invalid selector: {err}"))
}

/// A `_bucket` selector narrowed to the bucket `le`, spelled as the exposition spells it.
fn with_le(bucket: &str, le: f64) -> String {
    let le = format!("le={}", crate::promql::quote(&le.to_string()));
    match bucket.strip_suffix('}') {
        Some(open) => format!("{open}, {le}}}"),
        None => format!("{bucket}{{{le}}}"),
    }
}

/// A number as PromQL and promtool read it: no exponent, no trailing zeros.
fn number(value: f64) -> String {
    if value.abs() < 5e-7 {
        return "0".to_owned();
    }
    let text = format!("{value:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() || text == "-" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_parse_as_promql() {
        for slo in default_slos() {
            for rule in slo.recording_rules() {
                promql_parser::parser::parse(&rule.expr).unwrap_or_else(|err| {
                    panic!("{} {}: {err}\n{}", slo.name, rule.record, rule.expr)
                });
            }
            for alert in slo.alerts() {
                promql_parser::parser::parse(&alert.expr).unwrap_or_else(|err| {
                    panic!("{} {}: {err}\n{}", slo.name, alert.alert, alert.expr)
                });
            }
        }
    }

    #[test]
    fn defaults_validate_and_bad_slos_are_named() {
        for slo in default_slos() {
            slo.validate().unwrap_or_else(|err| panic!("{err}"));
            assert!(slo.error_budget() > 0.0);
        }
        let base = &default_slos()[1];
        let refused = |change: &dyn Fn(&mut Slo), expected: &str| {
            let mut slo = base.clone();
            change(&mut slo);
            let err = slo.validate().expect_err(expected);
            assert!(err.to_string().contains(expected), "{err}");
            assert!(slo.engine_rules().is_err());
        };
        refused(&|slo| slo.name = "Has Space".into(), "the name must be");
        refused(
            &|slo| slo.objective = 1.0,
            "objective 1 must be between 0 and 1",
        );
        refused(&|slo| slo.period_days = 0, "period_days 0");
        refused(
            &|slo| slo.min_events_per_hour = f64::NAN,
            "min_events_per_hour",
        );
        refused(
            &|slo| {
                slo.sli = Sli::Latency {
                    histogram: histogram(&catalog::REQUEST_DURATION_SECONDS),
                    le: 7.0,
                };
            },
            "le 7 is not a bucket bound of victor_request_duration_seconds",
        );
        let mut spend = default_slos().pop().expect("spend");
        spend.sli = Sli::Spend {
            cost: histogram(&catalog::LLM_COST_USD),
            budget_usd_per_day: -1.0,
        };
        assert!(spend.validate().is_err());
    }

    #[test]
    fn engine_rules_carry_the_prometheus_alerts_labels_and_annotations() {
        for slo in default_slos() {
            let engine = slo.engine_rules().expect("valid");
            for (rule, alert) in engine.iter().zip(slo.alerts()) {
                assert_eq!(rule.name(), alert.alert);
                let mut labels = rule.labels().clone();
                labels.insert("severity".into(), rule.severity().as_str().into());
                assert_eq!(labels, alert.labels);
                assert_eq!(rule.annotations(), &alert.annotations);
                let Condition::AnyOf(clauses) = rule.condition() else {
                    panic!("a joined condition");
                };
                assert_eq!(clauses.len(), 2);
                // Both windows, and the traffic guard for event SLIs.
                let guarded = !matches!(slo.sli, Sli::Spend { .. });
                assert!(clauses.iter().all(|c| c.len() == 2 + usize::from(guarded)));
            }
        }
    }

    /// Replays each SLO's promtool cases (the same input series, one store per job) into the
    /// in-process engine: at the cases' evaluation time it fires exactly what promtool expects.
    #[test]
    fn the_engine_fires_what_the_promtool_cases_expect() {
        use std::time::{Instant, SystemTime};

        use metrics::{Key, Label, Level, Metadata, Recorder};
        use victor_metrics_core::VictorMetrics;
        use victor_metrics_core::exposition::ExpositionBuilder;

        const META: Metadata<'static> = Metadata::new("test", Level::INFO, None);
        const STEP: Duration = Duration::from_secs(120);
        for slo in default_slos() {
            let cases = slo.promtool_tests().expect("cases");
            let mut expected: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for test in &cases.alert_rule_tests {
                for alert in &test.exp_alerts {
                    expected
                        .entry(alert.exp_labels["job"].as_str())
                        .or_default()
                        .push(test.alertname.as_str());
                }
            }
            for job in ["burning", "slow", "quiet"] {
                let (store, _) = ExpositionBuilder::new().build().expect("store");
                let engine = crate::Engine::new(VictorMetrics::new());
                engine
                    .add_rules(slo.engine_rules().expect("valid"))
                    .expect("rules");
                // Each series of this job: its key, how it is set, its growth per step.
                let mut series = Vec::new();
                for input in &cases.input_series {
                    let parsed = promql_parser::parser::parse(&input.series).expect("series");
                    let promql_parser::parser::Expr::VectorSelector(selector) = parsed else {
                        panic!("{}", input.series);
                    };
                    let labels: BTreeMap<String, String> = selector
                        .matchers
                        .matchers
                        .iter()
                        .map(|m| (m.name.clone(), m.value.clone()))
                        .collect();
                    if labels["job"] != job {
                        continue;
                    }
                    let per_step: f64 = input
                        .values
                        .trim_start_matches("0+")
                        .split('x')
                        .next()
                        .and_then(|n| n.parse().ok())
                        .expect("0+NxM");
                    let name = selector.name.clone().expect("a name");
                    series.push((name, labels, per_step));
                }
                let start = Instant::now();
                let mut done: BTreeMap<String, u64> = BTreeMap::new();
                let mut firing = Vec::new();
                // 25 hours of samples every 2 minutes, as promtool evaluates them.
                for step in 0..=750_u32 {
                    let mut le_bucket = 0_u64;
                    for (name, labels, per_step) in &series {
                        let key_labels: Vec<Label> = labels
                            .iter()
                            .filter(|(k, _)| !matches!(k.as_str(), "job" | "le"))
                            .map(|(k, v)| Label::new(k.clone(), v.clone()))
                            .collect();
                        // Whole events, as counters hold them.
                        let target = (per_step * f64::from(step)).floor() as u64;
                        let id = format!("{name}{labels:?}");
                        let grown = target - done.get(&id).copied().unwrap_or(0);
                        done.insert(id, target);
                        if name.ends_with("_bucket") {
                            // The bucket series comes first; its count's series observes.
                            le_bucket = grown;
                        } else if let Some(base) = name.strip_suffix("_count") {
                            let histogram = store.register_histogram(
                                &Key::from_parts(base.to_owned(), key_labels),
                                &META,
                            );
                            // Fast ones within every bound, slow ones past the SLO's.
                            for _ in 0..le_bucket {
                                histogram.record(0.001);
                            }
                            for _ in 0..grown.saturating_sub(le_bucket) {
                                histogram.record(1e9);
                            }
                        } else if let Some(base) = name.strip_suffix("_sum") {
                            // Spend: one call a step costing what the step spends.
                            let spent = *per_step;
                            store
                                .register_histogram(
                                    &Key::from_parts(base.to_owned(), key_labels),
                                    &META,
                                )
                                .record(spent);
                        } else {
                            store
                                .register_counter(&Key::from_parts(name.clone(), key_labels), &META)
                                .increment(grown);
                        }
                    }
                    let at = STEP * step;
                    engine.observe_at(&store, start + at);
                    engine.evaluate_at(start + at, SystemTime::UNIX_EPOCH + at);
                    firing = engine
                        .alerts()
                        .into_iter()
                        .filter(|a| a.state == crate::AlertState::Firing)
                        .collect::<Vec<_>>();
                }
                // Each alert's value is the long window's error ratio, as Prometheus' is: the
                // job's burn (20x or 4x) times the error budget.
                let burn = if job == "burning" { 20.0 } else { 4.0 };
                for alert in &firing {
                    let value = alert.value.expect("a value");
                    let expected = burn * slo.error_budget();
                    assert!(
                        (value - expected).abs() <= 0.05 * expected,
                        "SLO {} job {job}: {} value {value}, expected about {expected}",
                        slo.name,
                        alert.name
                    );
                }
                let mut firing: Vec<String> = firing.into_iter().map(|a| a.name).collect();
                firing.sort();
                let mut want: Vec<String> = expected
                    .get(job)
                    .into_iter()
                    .flatten()
                    .map(|name| (*name).to_owned())
                    .collect();
                want.sort();
                assert_eq!(firing, want, "SLO {} job {job}", slo.name);
            }
        }
    }

    /// Right after a (re)start the engine has seen minutes, not the hour: a warm-up burst of 20 %
    /// errors (14.4x would page) does not page, and the same burn kept up does, once enough of
    /// the hour is seen to spend 2 % of the budget.
    #[test]
    fn a_burst_after_a_restart_does_not_page_a_sustained_burn_does() {
        use std::time::{Instant, SystemTime};

        use metrics::{Key, Label, Level, Metadata, Recorder};
        use victor_metrics_core::VictorMetrics;
        use victor_metrics_core::exposition::ExpositionBuilder;

        const META: Metadata<'static> = Metadata::new("test", Level::INFO, None);
        let availability = default_slos().remove(0);
        let (store, _) = ExpositionBuilder::new().build().expect("store");
        let engine = crate::Engine::new(VictorMetrics::new());
        engine
            .add_rules(availability.engine_rules().expect("valid"))
            .expect("rules");
        let requests = |status: &str| {
            store.register_counter(
                &Key::from_parts(
                    "victor_requests_total",
                    vec![Label::new("status", status.to_owned())],
                ),
                &META,
            )
        };
        let start = Instant::now();
        let mut paged = None;
        for minute in 0..=60_u64 {
            // 100 requests a minute, 20 of them 5xx.
            requests("200").increment(80);
            requests("503").increment(20);
            let at = Duration::from_secs(minute * 60);
            engine.observe_at(&store, start + at);
            engine.evaluate_at(start + at, SystemTime::UNIX_EPOCH + at);
            let page = engine
                .alerts()
                .into_iter()
                .any(|a| a.name == PAGE_ALERT && a.state == crate::AlertState::Firing);
            if page && paged.is_none() {
                paged = Some(minute);
            }
        }
        // 20 % errors is 20x a 1 % budget: Prometheus, had it kept a clean hour before the
        // restart, pages once 0.2 x minutes / 60 > 0.144, after 43.2 minutes. So does the
        // engine; counting the unseen time as errors like the seen, it would page at once.
        let paged = paged.expect("a sustained burn pages");
        assert!((43..=45).contains(&paged), "paged {paged} minutes on");

        // The status reads the same figures: an hour seen, 20x over every window up to an hour,
        // less over the longer ones (seen for an hour of theirs), and the page firing.
        let status = availability.status(&engine, &engine.alerts());
        let burn = |window: &str| {
            status
                .burn_rates
                .iter()
                .find(|burn| burn.window == window)
                .and_then(|burn| burn.burn_rate)
                .unwrap_or_else(|| panic!("no burn over {window}: {status:?}"))
        };
        for window in ["5m", "30m", "1h"] {
            assert!(
                (burn(window) - 20.0).abs() < 0.5,
                "{window}: {}",
                burn(window)
            );
        }
        assert!((burn("6h") - 20.0 / 6.0).abs() < 0.2, "{}", burn("6h"));
        assert_eq!(status.burn_rates.len(), WINDOWS.len());
        assert!(
            status
                .alerts
                .iter()
                .any(|alert| alert.name == PAGE_ALERT && alert.state == crate::AlertState::Firing),
            "{status:?}"
        );
    }

    #[test]
    fn numbers_print_as_promql_reads_them() {
        assert_eq!(number(14.4), "14.4");
        assert_eq!(number(0.01), "0.01");
        assert_eq!(number(50.0), "50");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(1.0 - (1.0 + 1e-12)), "0");
    }
}
