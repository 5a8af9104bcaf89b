//! `deploy/prometheus/rules/`: the alerting and recording rules.
//!
//! - `victor-alerts.yml`: the in-process engine's default rules as Prometheus alerting rules, in
//!   their source groups, with the same thresholds, windows, `for` durations, severities and
//!   annotations (`victor_alerting::Rule::to_prometheus`).
//! - `victor-recording.yml`: the rates, ratios and percentiles the dashboards read, precomputed
//!   per job and instance over 5 minutes (004: "use recording rules").

use std::path::PathBuf;

use serde::Serialize;
use victor_alerting::{PrometheusRule, default_rule_groups};
use victor_metrics_core::catalog;

use victor_alerting::promql::{PromqlError, Query, Scope, counter, histogram};

/// Where the alerting rules go.
pub(crate) const ALERTS_FILE: &str = "deploy/prometheus/rules/victor-alerts.yml";
/// Where the recording rules go.
pub(crate) const RECORDING_FILE: &str = "deploy/prometheus/rules/victor-recording.yml";

/// The recording rules' series names, declared once: the rules and the dashboards that read
/// them refer to these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Recorded {
    /// `instance:victor_requests:rate5m`.
    RequestRate,
    /// `job:victor:request_rate:5m`.
    JobRequestRate,
    /// `instance:victor_request_errors:ratio5m`.
    RequestErrors,
    /// `instance:victor_request_duration_seconds:quantile5m`.
    RequestDurationQuantile,
    /// `instance:victor_tool_errors:ratio5m`.
    ToolErrors,
    /// `instance:victor_provider_failures:ratio5m`.
    ProviderFailures,
    /// `instance:victor_cache_hits:ratio5m`.
    CacheHits,
    /// `instance:victor_tool_selection_cache_hits:ratio5m`.
    ToolSelectionCacheHits,
    /// `instance:victor_llm_tokens:rate5m`.
    LlmTokens,
    /// `instance:victor_llm_cost_usd:rate5m`.
    LlmCost,
}

impl Recorded {
    /// The series name.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Recorded::RequestRate => "instance:victor_requests:rate5m",
            Recorded::JobRequestRate => "job:victor:request_rate:5m",
            Recorded::RequestErrors => "instance:victor_request_errors:ratio5m",
            Recorded::RequestDurationQuantile => {
                "instance:victor_request_duration_seconds:quantile5m"
            }
            Recorded::ToolErrors => "instance:victor_tool_errors:ratio5m",
            Recorded::ProviderFailures => "instance:victor_provider_failures:ratio5m",
            Recorded::CacheHits => "instance:victor_cache_hits:ratio5m",
            Recorded::ToolSelectionCacheHits => "instance:victor_tool_selection_cache_hits:ratio5m",
            Recorded::LlmTokens => "instance:victor_llm_tokens:rate5m",
            Recorded::LlmCost => "instance:victor_llm_cost_usd:rate5m",
        }
    }
}

/// A recording rule: a series name, fixed labels, and what it computes.
pub(crate) struct Recording {
    pub(crate) record: &'static str,
    labels: Vec<(&'static str, &'static str)>,
    expr: String,
}

/// The recording rules, in evaluation order (the job roll-up reads the per-instance rate).
pub(crate) fn recording_rules() -> Result<Vec<Recording>, PromqlError> {
    let requests = || counter(&catalog::REQUESTS_TOTAL);
    let share = |numerator, denominator| Query::ratio(numerator, denominator);
    let rule = |record, query: Query| -> Result<Recording, PromqlError> {
        Ok(Recording {
            record,
            labels: Vec::new(),
            expr: query.render(Scope::Fleet)?,
        })
    };
    let mut rules = vec![
        rule(
            Recorded::RequestRate.name(),
            Query::rate(requests(), ["endpoint"]),
        )?,
        Recording {
            record: Recorded::JobRequestRate.name(),
            labels: Vec::new(),
            expr: format!("sum by (job) ({})", Recorded::RequestRate.name()),
        },
        rule(
            Recorded::RequestErrors.name(),
            share(
                Query::rate(requests().matches("status", "5.."), ["endpoint"]),
                Query::rate(requests(), ["endpoint"]),
            ),
        )?,
    ];
    for q in ["0.5", "0.95", "0.99"] {
        let quantile = q.parse().unwrap_or(0.5);
        let durations = histogram(&catalog::REQUEST_DURATION_SECONDS);
        rules.push(Recording {
            record: Recorded::RequestDurationQuantile.name(),
            labels: vec![("quantile", q)],
            expr: Query::quantile(quantile, durations, []).render(Scope::Fleet)?,
        });
    }
    let tools = || counter(&catalog::TOOL_EXECUTIONS_TOTAL);
    let providers = || counter(&catalog::PROVIDER_REQUESTS_TOTAL);
    for recording in [
        rule(
            Recorded::ToolErrors.name(),
            share(
                Query::rate(tools().ne("status", "success"), ["tool"]),
                Query::rate(tools(), ["tool"]),
            ),
        ),
        rule(
            Recorded::ProviderFailures.name(),
            share(
                Query::rate(providers().eq("status", "failure"), ["provider"]),
                Query::rate(providers(), ["provider"]),
            ),
        ),
        rule(
            Recorded::CacheHits.name(),
            share(
                Query::rate(counter(&catalog::CACHE_HITS_TOTAL), ["cache_name"]),
                Query::rate(counter(&catalog::CACHE_HITS_TOTAL), ["cache_name"]).plus(Query::rate(
                    counter(&catalog::CACHE_MISSES_TOTAL),
                    ["cache_name"],
                )),
            ),
        ),
        rule(
            Recorded::ToolSelectionCacheHits.name(),
            share(
                Query::rate(
                    counter(&catalog::TOOL_SELECTION_CACHE_HITS_TOTAL),
                    ["namespace"],
                ),
                Query::rate(
                    counter(&catalog::TOOL_SELECTION_CACHE_HITS_TOTAL),
                    ["namespace"],
                )
                .plus(Query::rate(
                    counter(&catalog::TOOL_SELECTION_CACHE_MISSES_TOTAL),
                    ["namespace"],
                )),
            ),
        ),
        rule(
            Recorded::LlmTokens.name(),
            Query::rate(counter(&catalog::LLM_TOKENS_TOTAL), ["provider", "type"]),
        ),
        rule(
            Recorded::LlmCost.name(),
            Query::rate(histogram(&catalog::LLM_COST_USD).sum(), ["provider"]),
        ),
    ] {
        rules.push(recording?);
    }
    Ok(rules)
}

/// A recording rule's series as a dashboard query; panics on labels no rule records (a
/// quantile the rules do not compute).
pub(crate) fn recorded<const N: usize>(
    record: Recorded,
    labels: [(&'static str, &'static str); N],
) -> Query {
    let record = record.name();
    let known = recording_rules().unwrap_or_default().iter().any(|rule| {
        rule.record == record && labels.iter().all(|label| rule.labels.contains(label))
    });
    assert!(known, "no recording rule records {record} {labels:?}");
    Query::Recorded(record, labels.to_vec())
}

#[derive(Serialize)]
struct RuleFile {
    groups: Vec<RuleGroup>,
}

#[derive(Serialize)]
struct RuleGroup {
    name: &'static str,
    rules: Vec<PrometheusRule>,
}

/// Generates the rule files.
pub(crate) fn generate() -> anyhow::Result<Vec<(PathBuf, String)>> {
    Ok(vec![
        (PathBuf::from(ALERTS_FILE), alerting_rules()),
        (PathBuf::from(RECORDING_FILE), recording_rules_file()?),
        (
            PathBuf::from(crate::slos::RULES_FILE),
            crate::slos::rules_file(),
        ),
    ])
}

#[derive(Serialize)]
struct RecordingFile {
    groups: Vec<RecordingGroup>,
}

#[derive(Serialize)]
struct RecordingGroup {
    name: &'static str,
    rules: Vec<RecordingRule>,
}

#[derive(Serialize)]
struct RecordingRule {
    record: &'static str,
    expr: String,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    labels: std::collections::BTreeMap<&'static str, &'static str>,
}

fn recording_rules_file() -> Result<String, PromqlError> {
    let file = RecordingFile {
        groups: vec![RecordingGroup {
            name: "victor_recording",
            rules: recording_rules()?
                .into_iter()
                .map(|rule| RecordingRule {
                    record: rule.record,
                    expr: rule.expr,
                    labels: rule.labels.into_iter().collect(),
                })
                .collect(),
        }],
    };
    let header = "# Generated by `cargo xtask gen-rules` from xtask/src/rules.rs; do not edit.\n\
                  # What the dashboards read, precomputed per job and instance over 5 minutes.\n";
    Ok(header.to_owned() + &serde_norway::to_string(&file).unwrap_or_default())
}

fn alerting_rules() -> String {
    let groups = default_rule_groups();
    let mut header = String::from(
        "# Generated by `cargo xtask gen-rules` from victor_alerting::default_rule_groups(); do not edit.\n\
         # The exporter evaluates the same rules in process; here they run in Prometheus, grouped\n\
         # by job and instance so each exporter of a fleet alerts on itself. Groups:\n",
    );
    for group in &groups {
        header.push_str(&format!("#   {}: {}\n", group.name, group.source));
    }
    let file = RuleFile {
        groups: groups
            .into_iter()
            .map(|group| RuleGroup {
                name: group.name,
                // Custom (closure) rules have no PromQL form; the defaults have none.
                rules: group
                    .rules
                    .iter()
                    .filter_map(|rule| rule.to_prometheus())
                    .chain(group.prometheus_only)
                    .collect(),
            })
            .collect(),
    };
    // Serialising plain structs of strings cannot fail.
    let yaml = serde_norway::to_string(&file).unwrap_or_default();
    header + &yaml
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_default_rule_is_in_the_file_once() {
        let text = super::alerting_rules();
        for rule in victor_alerting::default_rules() {
            let line = format!("alert: {}\n", rule.name());
            assert_eq!(text.matches(&line).count(), 1, "{}", rule.name());
        }
    }
}
