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

use crate::promql::PrometheusRule;
use crate::promtool::{AlertRuleTest, ExpectedAlert, InputSeries, PromtoolTest};

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

/// What counts as a bad event, and among what.
#[derive(Clone, Debug, PartialEq)]
pub enum Sli {
    /// Bad events are the series of the counter `total` matching `bad` (`status=~"5.."`).
    Matching {
        /// The counter of all events.
        total: &'static str,
        /// The matcher selecting the bad ones.
        bad: &'static str,
    },
    /// Bad events have a counter of their own.
    Counted {
        /// The counter of bad events.
        errors: &'static str,
        /// The counter of all events.
        total: &'static str,
    },
    /// Events slower than `le` seconds (a bucket bound of `histogram`) are bad.
    Latency {
        /// The histogram's name, without `_bucket`.
        histogram: &'static str,
        /// The bucket bound, as the exposition spells it (`"5"`).
        le: &'static str,
    },
    /// Spending above `budget_usd_per_day` is the burn; the counter is a cost histogram's
    /// `_sum`.
    Spend {
        /// The cost histogram's name, without `_sum`.
        cost: &'static str,
        /// US dollars a day.
        budget_usd_per_day: f64,
    },
}

/// A service level objective.
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    /// A short, lower-case name (`requests-availability`): the `sloth_slo` label and its
    /// runbook's anchor.
    pub name: &'static str,
    /// What it promises, for people.
    pub description: &'static str,
    /// The share of good events promised, 0 to 1 (0 for a spend budget).
    pub objective: f64,
    /// The period the objective holds over, in days.
    pub period_days: u32,
    /// The indicator.
    pub sli: Sli,
    /// Events an hour below which no burn alert fires (event SLIs; ignored for spend).
    pub min_events_per_hour: f64,
}

/// The SLOs Victor ships: request availability and latency, LLM call and tool success, and the
/// LLM spend budget.
pub fn default_slos() -> Vec<Slo> {
    vec![
        Slo {
            name: "requests-availability",
            description: "99% of the agent's requests answer without a 5xx.",
            objective: 0.99,
            period_days: 30,
            sli: Sli::Matching {
                total: "victor_requests_total",
                bad: r#"status=~"5..""#,
            },
            min_events_per_hour: 20.0,
        },
        Slo {
            name: "requests-latency",
            description: "95% of the agent's requests answer within 10 seconds.",
            objective: 0.95,
            period_days: 30,
            sli: Sli::Latency {
                histogram: "victor_request_duration_seconds",
                le: "10",
            },
            min_events_per_hour: 20.0,
        },
        Slo {
            name: "llm-success",
            description: "98% of LLM calls succeed.",
            objective: 0.98,
            period_days: 30,
            sli: Sli::Counted {
                errors: "victor_llm_errors_total",
                total: "victor_llm_requests_total",
            },
            min_events_per_hour: 20.0,
        },
        Slo {
            name: "tool-success",
            description: "95% of tool executions succeed.",
            objective: 0.95,
            period_days: 30,
            sli: Sli::Matching {
                total: "victor_tool_executions_total",
                bad: r#"status!="success""#,
            },
            min_events_per_hour: 20.0,
        },
        Slo {
            name: "llm-spend",
            description: "LLM spend stays within 50 US dollars a day.",
            objective: 0.0,
            period_days: 30,
            sli: Sli::Spend {
                cost: "victor_llm_cost_usd",
                budget_usd_per_day: 50.0,
            },
            min_events_per_hour: 0.0,
        },
    ]
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
    /// The labels of every series and alert of this SLO.
    pub fn labels(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("sloth_id".to_owned(), format!("{SERVICE}-{}", self.name)),
            ("sloth_service".to_owned(), SERVICE.to_owned()),
            ("sloth_slo".to_owned(), self.name.to_owned()),
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
            Sli::Matching { total, bad } => format!(
                "{} / {}",
                bad_or_zero(rate(&format!("{total}{{{bad}}}")), total),
                rate(total)
            ),
            Sli::Counted { errors, total } => {
                format!("{} / {}", bad_or_zero(rate(errors), total), rate(total))
            }
            Sli::Latency { histogram, le } => format!(
                "1 - ({} / {})",
                rate(&format!("{histogram}_bucket{{le=\"{le}\"}}")),
                rate(&format!("{histogram}_count"))
            ),
            Sli::Spend {
                cost,
                budget_usd_per_day,
            } => format!(
                "{} * 86400 / {}",
                rate(&format!("{cost}_sum")),
                number(*budget_usd_per_day)
            ),
        }
    }

    /// Events in `window` per job, for the traffic guard; `None` for spend.
    fn events(&self, window: &str) -> Option<String> {
        let total = match &self.sli {
            Sli::Matching { total, .. } | Sli::Counted { total, .. } => (*total).to_owned(),
            Sli::Latency { histogram, .. } => format!("{histogram}_count"),
            Sli::Spend { .. } => return None,
        };
        Some(format!("sum by (job) (increase({total}[{window}]))"))
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
        BTreeMap::from([
            (
                "summary".to_owned(),
                format!("SLO {} is burning its error budget {pace}", self.name),
            ),
            ("description".to_owned(), self.description.to_owned()),
            (
                "runbook_url".to_owned(),
                format!("{RUNBOOK_BASE}#{}", self.name),
            ),
        ])
    }

    /// `promtool test rules` cases: job `burning` fires both alerts, job `slow` only the
    /// ticket, and job `quiet` (the same error ratio as `burning` at a trickle of traffic, or
    /// spend under budget) neither. Series run 26 hours (a sample every 2 minutes), evaluated
    /// at 25: the day-long window must hold a day of data, or `rate` reads a fraction of a
    /// spend rate.
    pub fn promtool_tests(&self) -> PromtoolTest {
        let series = |job: &str, bad: f64, good: f64| -> Vec<InputSeries> {
            let values = |per_minute: f64| format!("0+{}x780", number(per_minute * 2.0));
            let at = |selector: String, per_minute: f64| InputSeries {
                series: selector,
                values: values(per_minute),
            };
            match &self.sli {
                Sli::Matching {
                    total,
                    bad: matcher,
                } => {
                    let (key, good_value) = if matcher.contains("!=") {
                        ("status", "success")
                    } else {
                        ("status", "200")
                    };
                    let bad_value = if matcher.contains("!=") {
                        "failure"
                    } else {
                        "500"
                    };
                    vec![
                        at(
                            format!("{total}{{job=\"{job}\",{key}=\"{bad_value}\"}}"),
                            bad,
                        ),
                        at(
                            format!("{total}{{job=\"{job}\",{key}=\"{good_value}\"}}"),
                            good,
                        ),
                    ]
                }
                Sli::Counted { errors, total } => vec![
                    at(format!("{errors}{{job=\"{job}\"}}"), bad),
                    at(format!("{total}{{job=\"{job}\"}}"), bad + good),
                ],
                Sli::Latency { histogram, le } => vec![
                    at(
                        format!("{histogram}_bucket{{job=\"{job}\",le=\"{le}\"}}"),
                        good,
                    ),
                    at(format!("{histogram}_count{{job=\"{job}\"}}"), bad + good),
                ],
                Sli::Spend {
                    cost,
                    budget_usd_per_day,
                } => {
                    // `bad` is the burn rate wanted: that multiple of the budget's pace.
                    let per_minute = budget_usd_per_day / 1_440.0 * bad;
                    vec![at(format!("{cost}_sum{{job=\"{job}\"}}"), per_minute)]
                }
            }
        };
        let budget = self.error_budget();
        let mut input_series = Vec::new();
        match self.sli {
            Sli::Spend { .. } => {
                input_series.extend(series("burning", 20.0, 0.0));
                input_series.extend(series("slow", 4.0, 0.0));
                input_series.extend(series("quiet", 0.5, 0.0));
            }
            _ => {
                // 20x the budget's error ratio at 100 events a minute; 4x for the slow burn;
                // 20x at a trickle below the minimum traffic for the quiet job.
                let (fast, slow) = (20.0 * budget, 4.0 * budget);
                input_series.extend(series("burning", 100.0 * fast, 100.0 * (1.0 - fast)));
                input_series.extend(series("slow", 100.0 * slow, 100.0 * (1.0 - slow)));
                let trickle = self.min_events_per_hour / 60.0 / 4.0;
                input_series.extend(series("quiet", trickle * fast, trickle * (1.0 - fast)));
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
        PromtoolTest {
            interval: "2m".to_owned(),
            input_series,
            alert_rule_tests: vec![
                expected(PAGE_ALERT, "critical", &["burning"]),
                expected(TICKET_ALERT, "warning", &["burning", "slow"]),
            ],
        }
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
    fn latency_thresholds_are_bucket_bounds_and_budgets_are_sane() {
        for slo in default_slos() {
            assert!((0.0..1.0).contains(&slo.objective), "{}", slo.name);
            assert!(slo.error_budget() > 0.0);
            if let Sli::Latency { histogram, le } = &slo.sli {
                let def = victor_metrics_core::catalog::ALL
                    .iter()
                    .find(|def| def.name() == *histogram)
                    .expect("a catalog histogram");
                let bound: f64 = le.parse().expect("a number");
                assert!(
                    def.buckets().contains(&bound),
                    "{le} is not a bucket of {histogram}"
                );
            }
        }
        assert_eq!(number(14.4), "14.4");
        assert_eq!(number(0.01), "0.01");
        assert_eq!(number(50.0), "50");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(1.0 - (1.0 + 1e-12)), "0");
    }
}
