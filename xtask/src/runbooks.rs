//! `docs/alerts.md`: one runbook section per default alert, where every `runbook_url` points.
//!
//! What an alert means comes from its rule (summary, description, PromQL, `for`, severity);
//! first checks, likely causes and actions come from the troubleshooting sections of the source
//! guides (`001` high memory and slow responses, `003` high memory and CPU, alert fatigue,
//! `004` high memory), grouped by what the alert watches.

use std::fmt::Write as _;
use std::path::PathBuf;

use victor_alerting::{Rule, default_rule_groups, replace_placeholders};

/// Generates `docs/alerts.md`.
pub(crate) fn generate() -> Vec<(PathBuf, String)> {
    vec![(PathBuf::from("docs/alerts.md"), alerts_reference())]
}

/// What to look at, what usually causes it, and what to do.
struct Runbook {
    checks: &'static [&'static str],
    causes: &'static [&'static str],
    actions: &'static [&'static str],
}

const ERRORS: Runbook = Runbook {
    checks: &[
        "`curl -s localhost:9091/api/alerts`: which endpoints, since when; then which status codes (`sum by (endpoint, status) (rate(victor_requests_total{status=~\"5..\"}[5m]))`).",
        "Provider health: `victor_provider_healthy` and `HighProviderErrorRate`; a failing LLM provider surfaces as 5xx on `/chat`.",
        "The service's logs around the start time (`active_since`), filtered by the endpoint.",
    ],
    causes: &[
        "An LLM provider failing or rate limiting (see LLMRateLimiting).",
        "A tool failing on every call (see HighToolFailureRate).",
        "A deployment or configuration change at the start time.",
    ],
    actions: &[
        "Roll back the change that coincides with the start, if there is one.",
        "Fail over to a healthy provider or model in the provider pool.",
        "If the errors are expected (load test, planned outage), silence the alert in Alertmanager rather than raising the threshold.",
    ],
};

const LATENCY: Runbook = Runbook {
    checks: &[
        "Identify the bottleneck: tool execution time (`victor_tool_execution_duration_seconds`), provider latency (`victor_provider_latency_seconds`) and requests in flight (`victor_active_requests`).",
        "Review system resources: CPU (`victor_cpu_usage_percent`), memory (`victor_memory_usage_bytes`) and I/O wait on the host.",
        "Check provider status: error rate, latency and rate limits (`victor_llm_errors_total{error_type=\"rate_limit\"}`).",
    ],
    causes: &[
        "A slow LLM provider or model, or rate limiting with retries.",
        "A slow tool (tests, shell commands, web search) on the request path.",
        "CPU saturation or memory pressure on the host.",
    ],
    actions: &[
        "Route traffic to a faster provider or model.",
        "Set or lower timeouts on the slow tool; move long tools off the request path.",
        "Scale out, or give the service more CPU.",
    ],
};

const MEMORY: Runbook = Runbook {
    checks: &[
        "Memory by component: `victor_memory_usage_bytes` (process, caches, coordinators), against `victor_memory_limit_bytes`.",
        "Compare memory over time on the dashboard: a steady climb is a leak, a step is a load change.",
        "Series counts: metrics with high cardinality hold memory (`victor_metrics_cardinality_overflow_total` counts the overflow).",
    ],
    causes: &[
        "A leak in a custom tool or a cache without a bound.",
        "High-cardinality labels (user ids, request ids) in custom metrics.",
        "Large documents or contexts held by the RAG or data-analysis verticals.",
    ],
    actions: &[
        "Bound or flush the cache that grows (`victor_cache_size_bytes`).",
        "Remove high-cardinality labels; lower the cardinality limit.",
        "Raise the memory limit only after the growth is explained; restart to recover if it keeps climbing.",
    ],
};

const CPU: Runbook = Runbook {
    checks: &[
        "Which tools are CPU-intensive: `topk(5, sum by (tool) (rate(victor_tool_execution_duration_seconds_sum[5m])))`.",
        "Coordinator CPU: `victor_coordinator_cpu_percent`; profile the busiest coordinator.",
        "How often alerts and health checks run (`alerting.eval_interval`, probe periods).",
    ],
    causes: &[
        "A CPU-heavy tool (tests, builds, data analysis) running in process.",
        "A busy loop or retry storm in a coordinator.",
        "Evaluation or health-check intervals set too short.",
    ],
    actions: &[
        "Move heavy tools to separate workers, or limit their concurrency.",
        "Lengthen the evaluation and health-check intervals.",
        "Scale out, or raise the CPU limit.",
    ],
};

const THREADS: Runbook = Runbook {
    checks: &[
        "Thread count over time: `victor_system_threads`; a climb that never falls is a leak.",
        "Tools in flight: `victor_tool_active_executions`.",
        "Open file descriptors against the limit: `victor_system_open_fds` / `victor_system_max_fds`.",
    ],
    causes: &[
        "Blocking tools each holding a thread.",
        "Threads or subprocesses started per request and never joined.",
    ],
    actions: &[
        "Bound the thread pool that grows; make the tool asynchronous.",
        "Restart to recover while the leak is found.",
    ],
};

const PROVIDERS: Runbook = Runbook {
    checks: &[
        "Provider health and traffic: `victor_provider_healthy`, `sum by (provider, status) (rate(victor_provider_requests_total[5m]))`.",
        "Error types: `sum by (provider, error_type) (rate(victor_llm_errors_total[5m]))` (rate_limit, timeout, server_error).",
        "The provider's status page and your account's quota.",
    ],
    causes: &[
        "The provider is degraded or down.",
        "Rate limits or quota exhausted.",
        "Expired or revoked credentials.",
    ],
    actions: &[
        "Fail over to another provider or model in the pool.",
        "Lower concurrency or add backoff; raise the quota with the provider.",
        "Rotate the credentials if the errors are authentication failures.",
    ],
};

const TOOLS: Runbook = Runbook {
    checks: &[
        "Which tools fail and how: `sum by (tool, error_type) (rate(victor_tool_errors_total[5m]))`.",
        "Latency by tool: `histogram_quantile(0.95, sum by (tool, le) (rate(victor_tool_execution_duration_seconds_bucket[5m])))`.",
        "The tool's own dependencies (file system, shell, network, database) and the agent's logs for the tool.",
    ],
    causes: &[
        "A dependency of the tool is down or slow.",
        "Bad inputs from the model (wrong paths, malformed queries).",
        "Timeouts set below the tool's normal duration.",
    ],
    actions: &[
        "Fix or restore the dependency; disable the tool for the agent meanwhile.",
        "Improve the tool's description or validation so the model calls it correctly.",
        "Adjust the tool's timeout to its real duration.",
    ],
};

const CACHE: Runbook = Runbook {
    checks: &[
        "Hit rate and lookups by namespace or cache: `victor_tool_selection_cache_hit_rate`, `victor_cache_hit_rate`.",
        "Utilization and evictions: `victor_tool_selection_cache_utilization`, `rate(victor_tool_selection_cache_evictions_total[5m])`.",
        "Recent deployments: a restart empties the caches, and hit rates recover as they warm.",
    ],
    causes: &[
        "The cache is too small for the working set, so entries are evicted before reuse.",
        "A cold cache after a restart or deployment.",
        "Keys that vary per request (timestamps, ids), so nothing repeats.",
    ],
    actions: &[
        "Raise the cache's capacity if utilization is high and evictions are frequent.",
        "Wait for warm-up after a restart; pre-warm if it matters.",
        "Normalise cache keys.",
    ],
};

const SECURITY: Runbook = Runbook {
    checks: &[
        "Which security tests fail: the security test run's report, and `victor_security_test_pass_rate`.",
        "Recent changes to prompts, tools or permissions.",
        "Failed authorizations: `rate(victor_security_failed_authorizations_total[5m])`.",
    ],
    causes: &[
        "A regression in prompt-injection or permission defences.",
        "A new tool with broader permissions than intended.",
    ],
    actions: &[
        "Treat as an incident: roll back the change, or disable the affected tool.",
        "Do not silence until the failing tests are understood.",
    ],
};

const HEALTH_SCORE: Runbook = Runbook {
    checks: &[
        "Which component drags the score down: the other alerts at `curl -s localhost:9091/api/alerts`; the score summarises cache, tool-selection, provider and system health.",
        "The score over time (`victor_performance_health_score`) against deployments and load.",
    ],
    causes: &["Any of the component alerts above, usually more than one at once."],
    actions: &["Work the component alerts that fire; the score recovers with them."],
};

/// The runbook for each default alert.
fn runbook(alert: &str) -> Option<&'static Runbook> {
    Some(match alert {
        "HighErrorRate" | "HighRequestErrorRate" => &ERRORS,
        "SlowResponseTime" | "DegradedResponseTime" | "HighLatency" => &LATENCY,
        "HighMemoryUsage"
        | "ElevatedMemoryUsage"
        | "HighProcessMemory"
        | "CriticalProcessMemory" => &MEMORY,
        "HighCPUUsage" | "CriticalCPUUsage" => &CPU,
        "HighThreadCount" => &THREADS,
        "HighProviderErrorRate"
        | "UnhealthyProviders"
        | "HighProviderFailureRate"
        | "CriticalProviderFailureRate"
        | "HighProviderLatency"
        | "LLMRateLimiting" => &PROVIDERS,
        "HighToolFailureRate"
        | "LowVerticalSuccessRate"
        | "HighToolExecutionLatency"
        | "CriticalToolExecutionLatency"
        | "HighToolErrorRate"
        | "CriticalToolErrorRate" => &TOOLS,
        "HighCacheMissRate"
        | "CriticalCacheMissRate"
        | "HighCacheUtilization"
        | "CriticalCacheUtilization"
        | "HighCacheEvictionRate"
        | "HighToolSelectionLatency"
        | "CriticalToolSelectionLatency"
        | "HighToolSelectionMissRate"
        | "LowCacheHitRate" => &CACHE,
        "SecurityTestFailure" => &SECURITY,
        "PerformanceDegraded" | "PerformanceCritical" => &HEALTH_SCORE,
        _ => return None,
    })
}

fn alerts_reference() -> String {
    let mut out = String::new();
    // `write!` to a String cannot fail.
    let _ = writeln!(
        out,
        "<!-- Generated by `cargo xtask gen-docs` from victor_alerting::default_rule_groups() and \
         xtask/src/runbooks.rs; do not edit. -->\n\n\
         # Alert runbooks\n\n\
         Every alert the exporter evaluates in process and \
         `deploy/prometheus/rules/victor-alerts.yml` evaluates in Prometheus, with the same \
         thresholds. Each notification's `runbook_url` links to its section here.\n\n\
         If an alert fires too often, prefer a longer cooldown, a longer `for`, or grouping in \
         Alertmanager to raising its threshold (`003`, alert fatigue).\n"
    );
    for group in default_rule_groups() {
        let _ = writeln!(out, "## {} ({})\n", group.name, group.source);
        for rule in &group.rules {
            section(&mut out, rule);
        }
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

fn section(out: &mut String, rule: &Rule) {
    let annotation = |key: &str| rule.annotations().get(key).cloned().unwrap_or_default();
    let _ = writeln!(out, "### {}\n", rule.name());
    let _ = writeln!(
        out,
        "**{}**, severity **{}**, after the condition holds for {}.\n",
        annotation("summary"),
        rule.severity(),
        match rule.for_duration().as_secs() {
            0 => "one evaluation".to_owned(),
            seconds =>
                victor_alerting::prometheus_duration(std::time::Duration::from_secs(seconds)),
        }
    );
    let _ = writeln!(
        out,
        "What it means: {}.\n",
        readable(&annotation("description")).trim_end_matches('.')
    );
    if let Some(prometheus) = rule.to_prometheus() {
        let _ = writeln!(out, "```promql\n{}\n```\n", prometheus.expr);
    }
    if let Some(runbook) = runbook(rule.name()) {
        for (title, items) in [
            ("First checks", runbook.checks),
            ("Likely causes", runbook.causes),
            ("Actions", runbook.actions),
        ] {
            let _ = writeln!(out, "{title}:\n");
            for item in items {
                let _ = writeln!(out, "- {item}");
            }
            out.push('\n');
        }
    }
}

/// An annotation template for reading: `{{ $value | … }}` becomes *value*, `{{ $labels.x }}`
/// becomes `<x>`.
fn readable(template: &str) -> String {
    replace_placeholders(template, |inner| match inner.strip_prefix("$labels.") {
        Some(label) => Some(format!("`<{}>`", label.trim())),
        None => inner.starts_with("$value").then(|| "*value*".to_owned()),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn templates_read_as_words() {
        assert_eq!(
            super::readable("Rate is {{ $value | humanizePercentage }} for {{ $labels.endpoint }}"),
            "Rate is *value* for `<endpoint>`"
        );
    }

    #[test]
    fn every_default_alert_has_a_runbook_section_its_url_points_to() {
        let text = super::alerts_reference();
        for rule in victor_alerting::default_rules() {
            assert!(
                super::runbook(rule.name()).is_some(),
                "{} has no runbook",
                rule.name()
            );
            // GitHub's anchor for `### Name` is the lower-cased name.
            let url = &rule.annotations()["runbook_url"];
            assert!(
                url.ends_with(&format!("docs/alerts.md#{}", rule.name().to_lowercase())),
                "{url}"
            );
            assert_eq!(
                text.matches(&format!("\n### {}\n", rule.name())).count(),
                1,
                "{}",
                rule.name()
            );
        }
    }
}
