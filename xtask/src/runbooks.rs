//! `docs/alerts.md`: one runbook section per default alert, where every `runbook_url` points.
//!
//! What an alert means comes from its rule (summary, description, PromQL, `for`, severity);
//! first checks, likely causes and actions come from the troubleshooting sections of the source
//! guides (`001` high memory and slow responses, `003` high memory and CPU, alert fatigue,
//! `004` high memory), grouped by what the alert watches.

use std::fmt::Write as _;
use std::path::PathBuf;

use victor_alerting::{AlertName, PrometheusRule, Rule, default_rule_groups, replace_placeholders};

/// Generates `docs/alerts.md`.
pub(crate) fn generate() -> anyhow::Result<Vec<(PathBuf, String)>> {
    Ok(vec![
        (PathBuf::from("docs/alerts.md"), alerts_reference()),
        (PathBuf::from("docs/slos.md"), crate::slos::reference()),
    ])
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
const AVAILABILITY: Runbook = Runbook {
    checks: &[
        "Is Prometheus scraping? `curl http://localhost:9090/api/v1/targets`: the target's `lastError` says why a scrape failed (`001`, metrics not appearing).",
        "Is the endpoint answering? `curl http://<exporter>:9091/metrics` and `/health/live` from Prometheus' network.",
        "The exporter's logs (`--log-format json`) and, on Kubernetes, `kubectl describe pod` for restarts, OOM kills or failed probes.",
    ],
    causes: &[
        "The exporter or the agent behind it stopped, crashed or was OOM-killed.",
        "A network policy, firewall or wrong address between Prometheus and the exporter (`--listen` still on 127.0.0.1 inside a container).",
        "For LowRequestRate: no traffic reaching the agent (a load balancer, DNS or client change), or a quiet period.",
    ],
    actions: &[
        "Restart the exporter or agent; if it was OOM-killed, raise its memory limit and see HighMemoryUsage.",
        "Fix the scrape configuration or the network path; `promtool check config` validates the configuration.",
        "A deliberately idle environment can silence LowRequestRate in Alertmanager.",
    ],
};

const DISK: Runbook = Runbook {
    checks: &[
        "Which path: `victor_system_disk_free_bytes / victor_system_disk_total_bytes` by `path`.",
        "What grows there: `du -sh` of the data directory, logs, caches and the RAG index (`victor_rag_index_size_bytes`).",
    ],
    causes: &[
        "Logs or traces written locally without rotation.",
        "A growing RAG index or cache directory.",
        "Metric retention on the same volume (Prometheus' TSDB) set longer than the disk holds (`004`: retention).",
    ],
    actions: &[
        "Rotate or ship logs; remove stale caches.",
        "Lower retention (`--storage.tsdb.retention.time`) or move the data directory to a larger volume.",
        "Grow the volume before readiness fails (the readiness probe checks free disk).",
    ],
};

const HOST_SAMPLES: Runbook = Runbook {
    checks: &[
        "How old: `victor_system_sample_age_seconds`, and `victor metrics system` (`age`, `stale`).",
        "What hangs: a stuck `statvfs` of `health.disk_path` (an NFS or FUSE mount that stopped answering); `cat /proc/<pid>/stack` of the exporter's sampler thread.",
    ],
    causes: &[
        "A network file system under `health.disk_path` that no longer answers.",
        "A host so starved of CPU or I/O that procfs reads stall.",
    ],
    actions: &[
        "Restore or unmount the hung file system, or point `health.disk_path` at a local one.",
        "Until then, read host figures from the node's own exporter: the `victor_system_*` gauges hold the last figures read. `/metrics`, alerts and probes keep answering.",
    ],
};

const CONNECTIONS: Runbook = Runbook {
    checks: &[
        "Who connects: `victor_active_connections`, and `victor_exporter_requests_total` by endpoint.",
        "Whether probes still pass: `outcome=\"probes_only\"` is the reserve serving `/health/*`; `closed` means even the reserve was full.",
    ],
    causes: &[
        "Clients that open a connection per request and never close it, or a scrape storm (many Prometheus replicas, a misconfigured interval).",
        "`max_connections` set below what the deployment needs.",
    ],
    actions: &[
        "Fix the client (keep-alive, fewer replicas, a longer scrape interval).",
        "Raise `max_connections` (stay under the process' file-descriptor limit: `process_max_fds`).",
    ],
};

const NOTIFICATIONS: Runbook = Runbook {
    checks: &[
        "Which channel and why: `victor_alert_notifications_failed_total` by `channel` and `reason` (retries_exhausted, queue_full, channel_closed).",
        "The exporter's log: each failed delivery is logged with the channel, the alert and the receiver's (scrubbed) answer.",
        "`victor alerts test CHANNEL` sends one test notification and prints what the receiver said.",
    ],
    causes: &[
        "The receiver is down, moved, or refuses the credentials (a rotated webhook URL, Slack token or SMTP password).",
        "A flood of alerts filling the channel's queue (queue_full).",
    ],
    actions: &[
        "Fix the receiver or the channel's settings, then `victor alerts test CHANNEL`.",
        "Until then, read alerts from `victor alerts`, `/api/alerts` or the status page, and route critical alerts through a second channel.",
    ],
};

const SPANS: Runbook = Runbook {
    checks: &[
        "Why: `victor_tracing_spans_dropped_total` by `reason` (queue_full, export_failed) beside `victor_tracing_spans_exported_total`.",
        "Whether the collector answers at `OTEL_EXPORTER_OTLP_ENDPOINT` (the exporter's log names the export error).",
    ],
    causes: &[
        "The OTLP collector is down, unreachable or refusing (export_failed).",
        "More sampled spans than the export keeps up with (queue_full).",
    ],
    actions: &[
        "Fix or scale the collector.",
        "Lower `OTEL_TRACES_SAMPLER_ARG` so fewer spans are sampled; metrics are unaffected either way.",
    ],
};

const TASKS: Runbook = Runbook {
    checks: &[
        "Which tasks fail: `sum by (status) (rate(victor_tasks_total[5m]))`, then tool and provider failures over the same window.",
        "The Errors dashboard: tool failures by tool and provider failures by provider.",
    ],
    causes: &[
        "A failing tool or provider under the tasks (see HighToolErrorRate, HighProviderFailureRate).",
        "A change in prompts, models or workflows at the start time.",
    ],
    actions: &[
        "Fix or disable the failing tool; fail over the provider.",
        "Roll back the change that coincides with the start.",
    ],
};

const SPEND: Runbook = Runbook {
    checks: &[
        "Which provider and model: `sum by (provider, model) (rate(victor_llm_tokens_total[5m]))` and `rate(victor_llm_cost_usd_sum[5m])`.",
        "Which sessions or workflows drive it: `victor_workflow_executions_total`, `victor_user_sessions_total` by interface.",
        "Retries: `victor_llm_errors_total` (rate limits and timeouts multiply calls).",
    ],
    causes: &[
        "A loop: an agent or workflow re-calling the model (self-improvement loops, retries without backoff).",
        "A traffic increase, or a switch to a larger model or longer context.",
        "Cache misses sending repeated prompts to the provider (see LowCacheHitRate).",
    ],
    actions: &[
        "Stop the runaway workflow or session; cap iterations and retries.",
        "Route to a cheaper model, or set per-provider budgets and rate limits.",
        "If the growth is expected (launch, load test), silence the spike alert for its duration.",
    ],
};

const COORDINATOR: Runbook = Runbook {
    checks: &[
        "Which coordinator: `victor_coordinator_errors_total` and the p95 of `victor_coordinator_duration_seconds` by `coordinator_name`.",
        "Its resources: `victor_coordinator_memory_bytes` and `victor_coordinator_cpu_percent` (`003`: profile coordinator execution).",
        "What it waits on: provider latency and tool execution time.",
    ],
    causes: &[
        "A slow or failing provider or tool the coordinator calls.",
        "CPU saturation, or a coordinator doing more work per run after a change.",
    ],
    actions: &[
        "Profile the coordinator; move slow steps off the request path.",
        "Fail over the provider or fix the tool it waits on.",
    ],
};

/// Where two source documents give one alert name two meanings, both are kept under distinct
/// names; each section says which is which.
const SAME_NAME: &[(AlertName, &str)] = &[
    (
        AlertName::HighErrorRate,
        "This is `001`'s HighErrorRate: the share of **5xx** answers, critical after 2 minutes. `004` uses the same name for errors of any kind (warning after 5 minutes); that one is HighRequestErrorRate.",
    ),
    (
        AlertName::HighRequestErrorRate,
        "This is `004`'s HighErrorRate (errors of **any** kind, warning after 5 minutes), renamed because `001` gives HighErrorRate to the 5xx share (critical after 2 minutes).",
    ),
    (
        AlertName::HighMemoryUsage,
        "This is `001`'s HighMemoryUsage: memory as a **share of the limit**. `002` uses the same name for resident bytes above 1 GiB; that one is HighProcessMemory (and its critical form CriticalProcessMemory).",
    ),
    (
        AlertName::HighProcessMemory,
        "This is `002`'s HighMemoryUsage (resident **bytes** above 1 GiB), renamed because `001` gives HighMemoryUsage to the share of the memory limit.",
    ),
    (
        AlertName::CriticalProcessMemory,
        "This is `002`'s CriticalMemoryUsage (resident **bytes** above 2 GiB), renamed with HighProcessMemory.",
    ),
];

/// Every default alert's runbook: the match is exhaustive, so an alert added without one does
/// not compile.
fn runbook(alert: AlertName) -> &'static Runbook {
    use AlertName as A;
    match alert {
        A::HighErrorRate | A::HighRequestErrorRate => &ERRORS,
        A::SlowResponseTime | A::DegradedResponseTime | A::HighLatency => &LATENCY,
        A::HighMemoryUsage
        | A::ElevatedMemoryUsage
        | A::HighProcessMemory
        | A::CriticalProcessMemory => &MEMORY,
        A::HighCPUUsage | A::CriticalCPUUsage => &CPU,
        A::HighThreadCount => &THREADS,
        A::HighProviderErrorRate
        | A::UnhealthyProviders
        | A::HighProviderFailureRate
        | A::CriticalProviderFailureRate
        | A::HighProviderLatency
        | A::LLMRateLimiting => &PROVIDERS,
        A::HighToolFailureRate
        | A::LowVerticalSuccessRate
        | A::HighToolExecutionLatency
        | A::CriticalToolExecutionLatency
        | A::HighToolErrorRate
        | A::CriticalToolErrorRate => &TOOLS,
        A::HighCacheMissRate
        | A::CriticalCacheMissRate
        | A::HighCacheUtilization
        | A::CriticalCacheUtilization
        | A::HighCacheEvictionRate
        | A::HighToolSelectionLatency
        | A::CriticalToolSelectionLatency
        | A::HighToolSelectionMissRate
        | A::LowCacheHitRate => &CACHE,
        A::SecurityTestFailure => &SECURITY,
        A::PerformanceDegraded | A::PerformanceCritical => &HEALTH_SCORE,
        A::ServiceDown | A::LowRequestRate => &AVAILABILITY,
        A::LowDiskSpace => &DISK,
        A::HighTaskFailureRate => &TASKS,
        A::LLMCostSpike | A::HighTokenUsageRate | A::TokenUsageSpike => &SPEND,
        A::CoordinatorFailures | A::SlowCoordinatorExecution => &COORDINATOR,
        A::HostSamplesStale => &HOST_SAMPLES,
        A::ConnectionLimitReached => &CONNECTIONS,
        A::AlertNotificationsFailing => &NOTIFICATIONS,
        A::TraceSpansDropped => &SPANS,
    }
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
            section(&mut out, &Section::of_rule(rule));
        }
        for rule in &group.prometheus_only {
            section(&mut out, &Section::of_prometheus(rule));
        }
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// What a runbook section shows of an alert.
struct Section {
    name: String,
    severity: String,
    for_duration: String,
    /// `keep_firing_for`, when the alert has hysteresis.
    keep_firing_for: Option<String>,
    annotations: std::collections::BTreeMap<String, String>,
    expr: Option<String>,
    prometheus_only: bool,
}

impl Section {
    fn of_rule(rule: &Rule) -> Section {
        Section {
            name: rule.name().to_owned(),
            severity: rule.severity().to_string(),
            for_duration: match rule.for_duration().as_secs() {
                0 => "one evaluation".to_owned(),
                seconds => {
                    victor_alerting::prometheus_duration(std::time::Duration::from_secs(seconds))
                }
            },
            keep_firing_for: (!rule.keep_firing_for().is_zero())
                .then(|| victor_alerting::prometheus_duration(rule.keep_firing_for())),
            annotations: rule.annotations().clone(),
            expr: rule.to_prometheus().map(|prometheus| prometheus.expr),
            prometheus_only: false,
        }
    }

    fn of_prometheus(rule: &PrometheusRule) -> Section {
        Section {
            name: rule.alert.clone(),
            severity: rule.labels.get("severity").cloned().unwrap_or_default(),
            for_duration: rule
                .for_duration
                .clone()
                .unwrap_or_else(|| "one evaluation".to_owned()),
            keep_firing_for: rule.keep_firing_for.clone(),
            annotations: rule.annotations.clone(),
            expr: Some(rule.expr.clone()),
            prometheus_only: true,
        }
    }
}

fn section(out: &mut String, alert: &Section) {
    let annotation = |key: &str| alert.annotations.get(key).cloned().unwrap_or_default();
    let _ = writeln!(out, "### {}\n", alert.name);
    let hysteresis = alert.keep_firing_for.as_ref().map_or(String::new(), |keep| {
        format!(" It keeps firing {keep} after the condition clears, so a value flapping across the threshold pages once.")
    });
    let _ = writeln!(
        out,
        "**{}**, severity **{}**, after the condition holds for {}.{hysteresis}\n",
        annotation("summary"),
        alert.severity,
        alert.for_duration
    );
    let _ = writeln!(
        out,
        "What it means: {}.\n",
        readable(&annotation("description")).trim_end_matches('.')
    );
    if let Some((_, note)) = SAME_NAME
        .iter()
        .find(|(name, _)| name.as_str() == alert.name)
    {
        let _ = writeln!(out, "{note}\n");
    }
    if alert.prometheus_only {
        let _ = writeln!(
            out,
            "Only Prometheus evaluates this alert: it watches Prometheus' own view of the exporter.\n"
        );
    }
    if let Some(expr) = &alert.expr {
        let _ = writeln!(out, "```promql\n{expr}\n```\n");
    }
    // Every default alert has one (the match in `runbook` is exhaustive).
    if let Ok(name) = alert.name.parse::<AlertName>() {
        let runbook = runbook(name);
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
    use victor_alerting::AlertName;

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
        let prometheus_only: Vec<_> = victor_alerting::default_rule_groups()
            .into_iter()
            .flat_map(|group| group.prometheus_only)
            .collect();
        assert!(text.contains("\n### ServiceDown\n"));
        for rule in &prometheus_only {
            assert!(rule.alert.parse::<AlertName>().is_ok(), "{}", rule.alert);
        }
        for rule in victor_alerting::default_rules() {
            let name: AlertName = rule.name().parse().expect("a default alert");
            assert!(text.contains(&format!("\n### {name}\n")), "{name}");
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
