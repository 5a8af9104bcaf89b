//! The default rule set: every alert of the source documents that the metrics can express, with
//! their thresholds, `for` durations and severities.
//!
//! | source | alerts |
//! |---|---|
//! | `001` critical | HighErrorRate, SlowResponseTime, HighMemoryUsage, HighProviderErrorRate, SecurityTestFailure |
//! | `001` warning | DegradedResponseTime, ElevatedMemoryUsage, HighToolFailureRate, LowVerticalSuccessRate |
//! | `002` cache | HighCacheMissRate, CriticalCacheMissRate, HighCacheUtilization, CriticalCacheUtilization, HighCacheEvictionRate |
//! | `002` tool selection | HighToolSelectionLatency, CriticalToolSelectionLatency, HighToolSelectionMissRate |
//! | `002` system | HighProcessMemory, CriticalProcessMemory, HighCPUUsage, CriticalCPUUsage, HighThreadCount |
//! | `002` tool execution | HighToolExecutionLatency, CriticalToolExecutionLatency, HighToolErrorRate, CriticalToolErrorRate |
//! | `002` provider pool | UnhealthyProviders, HighProviderFailureRate, CriticalProviderFailureRate, HighProviderLatency |
//! | `002` summary | PerformanceDegraded, PerformanceCritical |
//! | `004` | HighRequestErrorRate, HighLatency, LLMRateLimiting, LowCacheHitRate |
//! | `003` availability | LowRequestRate, and in Prometheus only ServiceDown |
//! | `003` system resources | LowDiskSpace |
//! | `003` business | HighTaskFailureRate, LLMCostSpike |
//! | `003` coordinator | CoordinatorFailures, SlowCoordinatorExecution |
//! | `003` token usage | HighTokenUsageRate, TokenUsageSpike |
//! | added: the exporter itself | HostSamplesStale, ConnectionLimitReached, AlertNotificationsFailing, TraceSpansDropped |
//!
//! `003`'s other categories are alerts above: API health (HighErrorRate, HighLatency), tool
//! execution (HighToolErrorRate, HighToolExecutionLatency), cache (LowCacheHitRate), memory and
//! CPU (HighMemoryUsage, HighCPUUsage). `003` names its categories without thresholds; the ones
//! chosen here are in each rule. ServiceDown watches Prometheus' own `up` series, which no
//! process can evaluate about itself, so it exists only as a Prometheus rule
//! ([`RuleGroup::prometheus_only`]).
//!
//! Where two documents give one name two meanings, both are kept under distinct names:
//! `001`'s HighErrorRate (5xx share, critical after 2m) keeps its name and `004`'s (errors of any
//! kind, warning after 5m) is HighRequestErrorRate; `001`'s HighMemoryUsage (share of the memory
//! limit) keeps its name and `002`'s HighMemoryUsage/CriticalMemoryUsage (bytes above 1/2 GiB)
//! are HighProcessMemory/CriticalProcessMemory.
//!
//! Request alerts watch the agent's requests only: the exporter measures its own traffic
//! (scrapes, probes, test notifications) in `victor_exporter_*`, so a readiness probe's
//! deliberate 503 or a failed test notification is never the agent failing.

use std::time::Duration;

use victor_metrics_core::catalog;

use crate::promql::PrometheusRule;
use crate::rule::{Condition, Rule, Severity, Signal, counter, gauge, histogram};

/// Where each rule's runbook lives: `docs/alerts.md`, one section per alert.
pub const RUNBOOK_BASE: &str =
    "https://github.com/victor-ai/victor-observability/blob/main/docs/alerts.md";

/// The window every rate, ratio and quantile of the default rules looks back over.
pub const WINDOW: Duration = Duration::from_secs(300);

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// Every default rule, notifying every configured channel.
pub fn default_rules() -> Vec<Rule> {
    default_rule_groups()
        .into_iter()
        .flat_map(|group| group.rules)
        .collect()
}

/// Declares the default alerts' names: the enum, its spelling and `FromStr`.
macro_rules! alert_names {
    ($($name:ident,)*) => {
        /// The name of a default alert, declared once: the rules, the runbooks, the dashboards'
        /// alert links and the rule tests refer to alerts through it, never by a retyped string.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum AlertName {
            $(
                #[doc = concat!("`", stringify!($name), "`.")]
                $name,
            )*
        }

        impl AlertName {
            /// Every default alert, in rule-file order (ServiceDown, Prometheus-only, last).
            pub const ALL: &'static [AlertName] = &[$(AlertName::$name),*];

            /// The alert name as rules, notifications and Alertmanager carry it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(AlertName::$name => stringify!($name),)*
                }
            }
        }
    };
}

alert_names! {
        HighErrorRate,
        SlowResponseTime,
        HighMemoryUsage,
        HighProviderErrorRate,
        SecurityTestFailure,
        DegradedResponseTime,
        ElevatedMemoryUsage,
        HighToolFailureRate,
        LowVerticalSuccessRate,
        HighCacheMissRate,
        CriticalCacheMissRate,
        HighCacheUtilization,
        CriticalCacheUtilization,
        HighCacheEvictionRate,
        HighToolSelectionLatency,
        CriticalToolSelectionLatency,
        HighToolSelectionMissRate,
        HighProcessMemory,
        CriticalProcessMemory,
        HighCPUUsage,
        CriticalCPUUsage,
        HighThreadCount,
        HighToolExecutionLatency,
        CriticalToolExecutionLatency,
        HighToolErrorRate,
        CriticalToolErrorRate,
        UnhealthyProviders,
        HighProviderFailureRate,
        CriticalProviderFailureRate,
        HighProviderLatency,
        PerformanceDegraded,
        PerformanceCritical,
        HighRequestErrorRate,
        HighLatency,
        LLMRateLimiting,
        LowCacheHitRate,
        LowRequestRate,
        LowDiskSpace,
        HighTaskFailureRate,
        LLMCostSpike,
        CoordinatorFailures,
        SlowCoordinatorExecution,
        HighTokenUsageRate,
        TokenUsageSpike,
        HostSamplesStale,
        ConnectionLimitReached,
        AlertNotificationsFailing,
        TraceSpansDropped,
        ServiceDown,
}

impl std::fmt::Display for AlertName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for AlertName {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        AlertName::ALL
            .iter()
            .copied()
            .find(|alert| alert.as_str() == name)
            .ok_or_else(|| format!("{name:?} is no default alert"))
    }
}

/// A named set of rules, as the source documents group them (a Prometheus rule group).
#[derive(Clone, Debug)]
pub struct RuleGroup {
    /// The rule-group name (`victor_performance_cache`).
    pub name: &'static str,
    /// Which source document and section it comes from.
    pub source: &'static str,
    /// Its rules.
    pub rules: Vec<Rule>,
    /// Rules only Prometheus can evaluate (over its own series, such as `up`); the engine
    /// leaves them out, the rule files keep them.
    pub prometheus_only: Vec<PrometheusRule>,
}

/// The default rules in their source groups: `001` critical and warning, `002`'s six groups,
/// `004`'s rules and `003`'s categories.
pub fn default_rule_groups() -> Vec<RuleGroup> {
    let minutes = |m: u64| Duration::from_secs(m * 60);
    let requests = || counter(&catalog::REQUESTS_TOTAL);
    let request_p95 = || {
        Signal::quantile(0.95, histogram(&catalog::REQUEST_DURATION_SECONDS), WINDOW)
            .by(["endpoint"])
    };
    let memory_share = || {
        Signal::gauge_ratio(
            gauge(&catalog::MEMORY_USAGE_BYTES).eq("component", "process"),
            gauge(&catalog::MEMORY_LIMIT_BYTES),
        )
    };
    let process_memory =
        || Signal::gauge(gauge(&catalog::MEMORY_USAGE_BYTES).eq("component", "process"));
    let provider_failures = || {
        Signal::ratio(
            counter(&catalog::PROVIDER_REQUESTS_TOTAL).eq("status", "failure"),
            [counter(&catalog::PROVIDER_REQUESTS_TOTAL)],
            WINDOW,
        )
        .by(["provider"])
    };
    let tool_errors = || {
        Signal::ratio(
            counter(&catalog::TOOL_EXECUTIONS_TOTAL).ne("status", "success"),
            [counter(&catalog::TOOL_EXECUTIONS_TOTAL)],
            WINDOW,
        )
        .by(["tool"])
    };
    let tool_p95 = || {
        Signal::quantile(
            0.95,
            histogram(&catalog::TOOL_EXECUTION_DURATION_SECONDS),
            WINDOW,
        )
        .by(["tool"])
    };
    let selection_misses = || {
        Signal::ratio(
            counter(&catalog::TOOL_SELECTION_CACHE_MISSES_TOTAL),
            [
                counter(&catalog::TOOL_SELECTION_CACHE_HITS_TOTAL),
                counter(&catalog::TOOL_SELECTION_CACHE_MISSES_TOTAL),
            ],
            WINDOW,
        )
        .by(["namespace"])
    };
    let selection_p95 = || {
        Signal::quantile(
            0.95,
            histogram(&catalog::TOOL_SELECTION_DURATION_SECONDS),
            WINDOW,
        )
        .by(["namespace"])
    };
    let utilization =
        || Signal::gauge(gauge(&catalog::TOOL_SELECTION_CACHE_UTILIZATION)).by(["namespace"]);
    let cpu = || Signal::gauge(gauge(&catalog::CPU_USAGE_PERCENT));
    let health_score = || Signal::gauge(gauge(&catalog::PERFORMANCE_HEALTH_SCORE));
    let tokens = || counter(&catalog::LLM_TOKENS_TOTAL);
    let spike_window = Duration::from_secs(3600);

    let groups = [
        (
            "victor_001_critical",
            "001: critical alerts",
            vec![
                spec(
                    AlertName::HighErrorRate,
                    Severity::Critical,
                    minutes(2),
                    Signal::ratio(requests().matches("status", "5.."), [requests()], WINDOW)
                        .by(["endpoint"])
                        .above(0.05),
                    "High error rate detected",
                    "Error rate (5xx) is {{ $value | humanizePercentage }} for endpoint {{ $labels.endpoint }}",
                ),
                spec(
                    AlertName::SlowResponseTime,
                    Severity::Critical,
                    minutes(5),
                    request_p95().above(30.0),
                    "Slow response time detected",
                    "P95 response time is {{ $value }}s for endpoint {{ $labels.endpoint }}",
                ),
                spec(
                    AlertName::HighMemoryUsage,
                    Severity::Critical,
                    minutes(5),
                    memory_share().above(0.9),
                    "High memory usage detected",
                    "Memory usage is {{ $value | humanizePercentage }} of the limit",
                ),
                spec(
                    AlertName::HighProviderErrorRate,
                    Severity::Critical,
                    minutes(3),
                    provider_failures().above(0.1),
                    "High provider error rate",
                    "Provider {{ $labels.provider }} error rate is {{ $value | humanizePercentage }}",
                ),
                spec(
                    AlertName::SecurityTestFailure,
                    Severity::Critical,
                    minutes(1),
                    Signal::gauge(gauge(&catalog::SECURITY_TEST_PASS_RATE)).below(0.9),
                    "Security test failure detected",
                    "Security test pass rate is {{ $value | humanizePercentage }}",
                ),
            ],
        ),
        (
            "victor_001_warning",
            "001: warning alerts",
            vec![
                spec(
                    AlertName::DegradedResponseTime,
                    Severity::Warning,
                    minutes(5),
                    request_p95().above(10.0),
                    "Degraded response time",
                    "P95 response time is {{ $value }}s for endpoint {{ $labels.endpoint }}",
                ),
                spec(
                    AlertName::ElevatedMemoryUsage,
                    Severity::Warning,
                    minutes(10),
                    memory_share().above(0.75),
                    "Elevated memory usage",
                    "Memory usage is {{ $value | humanizePercentage }} of the limit",
                ),
                spec(
                    AlertName::HighToolFailureRate,
                    Severity::Warning,
                    minutes(5),
                    Signal::ratio(
                        counter(&catalog::TOOL_EXECUTIONS_TOTAL).eq("status", "failure"),
                        [counter(&catalog::TOOL_EXECUTIONS_TOTAL)],
                        WINDOW,
                    )
                    .by(["tool"])
                    .above(0.05),
                    "High tool failure rate",
                    "Tool {{ $labels.tool }} failure rate is {{ $value | humanizePercentage }}",
                ),
                spec(
                    AlertName::LowVerticalSuccessRate,
                    Severity::Warning,
                    minutes(10),
                    Signal::ratio(
                        counter(&catalog::TOOL_EXECUTIONS_TOTAL).eq("status", "success"),
                        [counter(&catalog::TOOL_EXECUTIONS_TOTAL)],
                        WINDOW,
                    )
                    .by(["vertical"])
                    .below(0.9),
                    "Low vertical success rate",
                    "Vertical {{ $labels.vertical }} success rate is {{ $value | humanizePercentage }}",
                ),
            ],
        ),
        (
            "victor_performance_cache",
            "002: cache alerts",
            vec![
                spec(
                    AlertName::HighCacheMissRate,
                    Severity::Warning,
                    minutes(5),
                    selection_misses().above(0.6),
                    "Tool-selection cache hit rate below 40%",
                    "Namespace {{ $labels.namespace }} misses {{ $value | humanizePercentage }} of lookups",
                ),
                spec(
                    AlertName::CriticalCacheMissRate,
                    Severity::Critical,
                    minutes(10),
                    selection_misses().above(0.8),
                    "Tool-selection cache hit rate below 20%",
                    "Namespace {{ $labels.namespace }} misses {{ $value | humanizePercentage }} of lookups",
                ),
                spec(
                    AlertName::HighCacheUtilization,
                    Severity::Warning,
                    minutes(10),
                    utilization().above(0.8),
                    "Tool-selection cache above 80% full",
                    "Namespace {{ $labels.namespace }} is {{ $value | humanizePercentage }} full",
                ),
                spec(
                    AlertName::CriticalCacheUtilization,
                    Severity::Critical,
                    minutes(5),
                    utilization().above(0.95),
                    "Tool-selection cache above 95% full",
                    "Namespace {{ $labels.namespace }} is {{ $value | humanizePercentage }} full",
                ),
                spec(
                    AlertName::HighCacheEvictionRate,
                    Severity::Warning,
                    minutes(5),
                    Signal::rate(
                        counter(&catalog::TOOL_SELECTION_CACHE_EVICTIONS_TOTAL),
                        WINDOW,
                    )
                    .by(["namespace"])
                    .above(10.0),
                    "Tool-selection cache evicting over 10 entries/s",
                    "Namespace {{ $labels.namespace }} evicts {{ $value }} entries/s",
                ),
            ],
        ),
        (
            "victor_performance_tool_selection",
            "002: tool selection alerts",
            vec![
                spec(
                    AlertName::HighToolSelectionLatency,
                    Severity::Warning,
                    minutes(10),
                    selection_p95().above(0.001),
                    "Tool selection P95 above 1 ms",
                    "Namespace {{ $labels.namespace }} P95 selection time is {{ $value | humanizeDuration }}",
                ),
                spec(
                    AlertName::CriticalToolSelectionLatency,
                    Severity::Critical,
                    minutes(5),
                    selection_p95().above(0.005),
                    "Tool selection P95 above 5 ms",
                    "Namespace {{ $labels.namespace }} P95 selection time is {{ $value | humanizeDuration }}",
                ),
                spec(
                    AlertName::HighToolSelectionMissRate,
                    Severity::Warning,
                    minutes(5),
                    selection_misses().above(0.7),
                    "Tool-selection cache missing over 70% of lookups",
                    "Namespace {{ $labels.namespace }} misses {{ $value | humanizePercentage }} of lookups",
                ),
            ],
        ),
        (
            "victor_performance_system",
            "002: system alerts",
            vec![
                spec(
                    AlertName::HighProcessMemory,
                    Severity::Warning,
                    minutes(10),
                    process_memory().above(GIB),
                    "Process memory above 1 GiB",
                    "Resident memory is {{ $value | humanize }}B",
                ),
                spec(
                    AlertName::CriticalProcessMemory,
                    Severity::Critical,
                    minutes(5),
                    process_memory().above(2.0 * GIB),
                    "Process memory above 2 GiB",
                    "Resident memory is {{ $value | humanize }}B",
                ),
                spec(
                    AlertName::HighCPUUsage,
                    Severity::Warning,
                    minutes(10),
                    cpu().above(80.0),
                    "Process CPU above 80%",
                    "CPU usage is {{ $value }}% of one core",
                ),
                spec(
                    AlertName::CriticalCPUUsage,
                    Severity::Critical,
                    minutes(5),
                    cpu().above(95.0),
                    "Process CPU above 95%",
                    "CPU usage is {{ $value }}% of one core",
                ),
                spec(
                    AlertName::HighThreadCount,
                    Severity::Warning,
                    minutes(10),
                    Signal::gauge(gauge(&catalog::SYSTEM_THREADS)).above(100.0),
                    "Over 100 threads",
                    "The process runs {{ $value }} threads",
                ),
            ],
        ),
        (
            "victor_performance_tool_execution",
            "002: tool execution alerts",
            vec![
                spec(
                    AlertName::HighToolExecutionLatency,
                    Severity::Warning,
                    minutes(10),
                    tool_p95().above(1.0),
                    "Tool execution P95 above 1 s",
                    "Tool {{ $labels.tool }} P95 execution time is {{ $value }}s",
                ),
                spec(
                    AlertName::CriticalToolExecutionLatency,
                    Severity::Critical,
                    minutes(5),
                    tool_p95().above(5.0),
                    "Tool execution P95 above 5 s",
                    "Tool {{ $labels.tool }} P95 execution time is {{ $value }}s",
                ),
                spec(
                    AlertName::HighToolErrorRate,
                    Severity::Warning,
                    minutes(10),
                    tool_errors().above(0.05),
                    "Tool error rate above 5%",
                    "Tool {{ $labels.tool }} fails or times out in {{ $value | humanizePercentage }} of executions",
                ),
                spec(
                    AlertName::CriticalToolErrorRate,
                    Severity::Critical,
                    minutes(5),
                    tool_errors().above(0.15),
                    "Tool error rate above 15%",
                    "Tool {{ $labels.tool }} fails or times out in {{ $value | humanizePercentage }} of executions",
                ),
            ],
        ),
        (
            "victor_performance_provider_pool",
            "002: provider pool alerts",
            vec![
                spec(
                    AlertName::UnhealthyProviders,
                    Severity::Warning,
                    minutes(5),
                    Signal::gauge(gauge(&catalog::PROVIDER_HEALTHY))
                        .by(["provider"])
                        .below(1.0),
                    "Provider marked unhealthy",
                    "The provider pool marks {{ $labels.provider }} unhealthy",
                ),
                spec(
                    AlertName::HighProviderFailureRate,
                    Severity::Warning,
                    minutes(5),
                    provider_failures().above(0.1),
                    "Provider failure rate above 10%",
                    "Provider {{ $labels.provider }} fails {{ $value | humanizePercentage }} of requests",
                ),
                spec(
                    AlertName::CriticalProviderFailureRate,
                    Severity::Critical,
                    minutes(2),
                    provider_failures().above(0.3),
                    "Provider failure rate above 30%",
                    "Provider {{ $labels.provider }} fails {{ $value | humanizePercentage }} of requests",
                ),
                spec(
                    AlertName::HighProviderLatency,
                    Severity::Warning,
                    minutes(10),
                    Signal::quantile(0.95, histogram(&catalog::PROVIDER_LATENCY_SECONDS), WINDOW)
                        .by(["provider"])
                        .above(10.0),
                    "Provider P95 latency above 10 s",
                    "Provider {{ $labels.provider }} P95 latency is {{ $value }}s",
                ),
            ],
        ),
        (
            "victor_performance_summary",
            "002: summary alerts",
            vec![
                spec(
                    AlertName::PerformanceDegraded,
                    Severity::Warning,
                    minutes(10),
                    health_score().below(70.0),
                    "Performance health score below 70",
                    "Health score is {{ $value }}",
                ),
                spec(
                    AlertName::PerformanceCritical,
                    Severity::Critical,
                    minutes(5),
                    health_score().below(50.0),
                    "Performance health score below 50",
                    "Health score is {{ $value }}",
                ),
            ],
        ),
        (
            "victor_004",
            "004: alert rules",
            vec![
                spec(
                    AlertName::HighRequestErrorRate,
                    Severity::Warning,
                    minutes(5),
                    Signal::ratio(
                        counter(&catalog::REQUEST_ERRORS_TOTAL),
                        [requests()],
                        WINDOW,
                    )
                    .by(["endpoint"])
                    .above(0.05),
                    "High error rate detected",
                    "Error rate (any error) is {{ $value | humanizePercentage }} for {{ $labels.endpoint }}",
                ),
                spec(
                    AlertName::HighLatency,
                    Severity::Warning,
                    minutes(5),
                    request_p95().above(5.0),
                    "High request latency",
                    "P95 latency is {{ $value }}s for {{ $labels.endpoint }}",
                ),
                spec(
                    AlertName::LLMRateLimiting,
                    Severity::Critical,
                    minutes(2),
                    Signal::rate(
                        counter(&catalog::LLM_ERRORS_TOTAL).eq("error_type", "rate_limit"),
                        WINDOW,
                    )
                    .by(["provider"])
                    .above(1.0),
                    "LLM rate limiting detected",
                    "{{ $labels.provider }} is being rate limited ({{ $value }} errors/s)",
                ),
                spec(
                    AlertName::LowCacheHitRate,
                    Severity::Info,
                    minutes(10),
                    Signal::ratio(
                        counter(&catalog::CACHE_HITS_TOTAL),
                        [
                            counter(&catalog::CACHE_HITS_TOTAL),
                            counter(&catalog::CACHE_MISSES_TOTAL),
                        ],
                        WINDOW,
                    )
                    .by(["cache_name"])
                    .below(0.5),
                    "Low cache hit rate",
                    "Cache {{ $labels.cache_name }} hit rate is {{ $value | humanizePercentage }}",
                ),
            ],
        ),
        (
            "victor_003_availability",
            "003: availability",
            vec![spec(
                AlertName::LowRequestRate,
                Severity::Info,
                minutes(15),
                Signal::rate(requests(), WINDOW).below(1.0 / 60.0),
                "Low request rate",
                "The agent served {{ $value | humanize }} requests/s over 5 minutes (under one a minute)",
            )],
        ),
        (
            "victor_003_system_resources",
            "003: system resources",
            vec![spec(
                AlertName::LowDiskSpace,
                Severity::Warning,
                minutes(5),
                Signal::gauge_ratio(
                    gauge(&catalog::SYSTEM_DISK_FREE_BYTES),
                    gauge(&catalog::SYSTEM_DISK_TOTAL_BYTES),
                )
                .by(["path"])
                .below(0.10),
                "Low disk space",
                "{{ $labels.path }} has {{ $value | humanizePercentage }} of its space free",
            )],
        ),
        (
            "victor_003_business",
            "003: business",
            vec![
                spec(
                    AlertName::HighTaskFailureRate,
                    Severity::Warning,
                    minutes(10),
                    Signal::ratio(
                        counter(&catalog::TASKS_TOTAL).eq("status", "failed"),
                        [counter(&catalog::TASKS_TOTAL)],
                        WINDOW,
                    )
                    .above(0.2),
                    "High task failure rate",
                    "{{ $value | humanizePercentage }} of tasks failed over 5 minutes",
                ),
                spec(
                    AlertName::LLMCostSpike,
                    Severity::Warning,
                    minutes(10),
                    Signal::growth(
                        histogram(&catalog::LLM_COST_USD).sum(),
                        WINDOW,
                        spike_window,
                    )
                    .by(["provider"])
                    .above(3.0),
                    "LLM cost spike",
                    "{{ $labels.provider }} spend over 5 minutes runs at {{ $value | humanize }}x its hourly rate",
                ),
            ],
        ),
        (
            "victor_003_coordinator",
            "003: coordinator",
            vec![
                spec(
                    AlertName::CoordinatorFailures,
                    Severity::Warning,
                    minutes(5),
                    Signal::ratio(
                        counter(&catalog::COORDINATOR_ERRORS_TOTAL),
                        [counter(&catalog::COORDINATOR_EXECUTIONS_TOTAL)],
                        WINDOW,
                    )
                    .by(["coordinator_name"])
                    .above(0.1),
                    "Coordinator failures",
                    "{{ $value | humanizePercentage }} of {{ $labels.coordinator_name }} runs failed",
                ),
                spec(
                    AlertName::SlowCoordinatorExecution,
                    Severity::Warning,
                    minutes(10),
                    Signal::quantile(
                        0.95,
                        histogram(&catalog::COORDINATOR_DURATION_SECONDS),
                        WINDOW,
                    )
                    .by(["coordinator_name"])
                    .above(30.0),
                    "Slow coordinator execution",
                    "P95 of {{ $labels.coordinator_name }} is {{ $value }}s",
                ),
            ],
        ),
        (
            "victor_003_token_usage",
            "003: token usage",
            vec![
                spec(
                    AlertName::HighTokenUsageRate,
                    Severity::Warning,
                    minutes(15),
                    Signal::rate(tokens(), WINDOW)
                        .by(["provider"])
                        .above(5_000.0),
                    "High token usage rate",
                    "{{ $labels.provider }} uses {{ $value | humanize }} tokens/s",
                ),
                spec(
                    AlertName::TokenUsageSpike,
                    Severity::Warning,
                    minutes(10),
                    Signal::growth(tokens(), WINDOW, spike_window)
                        .by(["provider"])
                        .above(3.0),
                    "Token usage spike",
                    "{{ $labels.provider }} token use over 5 minutes runs at {{ $value | humanize }}x its hourly rate",
                ),
            ],
        ),
        (
            "victor_exporter_self",
            "added: the exporter watching itself, so it never goes quiet unnoticed",
            vec![
                spec(
                    AlertName::HostSamplesStale,
                    Severity::Warning,
                    minutes(2),
                    Signal::gauge(gauge(&catalog::SYSTEM_SAMPLE_AGE_SECONDS)).above(60.0),
                    "Host figures are stale",
                    "The last host sample is {{ $value | humanizeDuration }} old: a host call (a hung mount, say) does not return, and the victor_system_* gauges hold old figures",
                ),
                spec(
                    AlertName::ConnectionLimitReached,
                    Severity::Warning,
                    minutes(1),
                    Signal::rate(
                        counter(&catalog::EXPORTER_CONNECTIONS_OVER_LIMIT_TOTAL),
                        WINDOW,
                    )
                    .by(["outcome"])
                    .above(0.0),
                    "Exporter at its connection limit",
                    "{{ $value | humanize }} connections/s arrive past max_connections ({{ $labels.outcome }}): scrapes or API calls are being turned away",
                ),
                spec(
                    AlertName::AlertNotificationsFailing,
                    Severity::Warning,
                    minutes(5),
                    Signal::rate(counter(&catalog::ALERT_NOTIFICATIONS_FAILED_TOTAL), WINDOW)
                        .by(["channel"])
                        .above(0.0),
                    "Alert notifications are failing",
                    "Channel {{ $labels.channel }} has given up on {{ $value | humanize }} notifications/s for 5 minutes: alerts are not reaching people through it",
                ),
                spec(
                    AlertName::TraceSpansDropped,
                    Severity::Warning,
                    minutes(10),
                    Signal::rate(counter(&catalog::TRACING_SPANS_DROPPED_TOTAL), WINDOW)
                        .by(["reason"])
                        .above(0.0),
                    "Trace spans are being dropped",
                    "{{ $value | humanize }} sampled spans/s are lost ({{ $labels.reason }}) for 10 minutes: traces are incomplete",
                ),
            ],
        ),
    ];
    groups
        .into_iter()
        .map(|(name, source, rules)| RuleGroup {
            name,
            source,
            prometheus_only: if name == "victor_003_availability" {
                vec![service_down()]
            } else {
                Vec::new()
            },
            rules: rules
                .into_iter()
                .filter_map(|rule| match rule {
                    Ok(rule) => Some(rule),
                    Err(err) => {
                        // Unreachable: the tests build every default rule.
                        tracing::error!(error = %err, "a default alert rule is invalid; leaving it out");
                        None
                    }
                })
                .collect(),
        })
        .collect()
}

/// `003`'s "service down": Prometheus could not scrape the exporter for a minute.
fn service_down() -> PrometheusRule {
    let name = AlertName::ServiceDown.as_str();
    let strings = |pairs: &[(&str, String)]| {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    };
    PrometheusRule {
        alert: name.to_owned(),
        expr: "up{job=\"victor\"} == 0".to_owned(),
        for_duration: Some("1m".to_owned()),
        keep_firing_for: None,
        labels: strings(&[("severity", Severity::Critical.as_str().to_owned())]),
        annotations: strings(&[
            ("summary", "Victor service down".to_owned()),
            (
                "description",
                "Prometheus cannot scrape {{ $labels.instance }} (job {{ $labels.job }})"
                    .to_owned(),
            ),
            (
                "runbook_url",
                format!("{RUNBOOK_BASE}#{}", name.to_lowercase()),
            ),
        ]),
    }
}

/// `003`'s advice against alert fatigue ("add hysteresis to alert conditions"): the alerts on
/// gauges that hover around their threshold (CPU, memory, threads, cache fill, disk) keep firing
/// five minutes after the gauge drops back, so a value flapping across the line pages once.
fn hysteresis(name: AlertName) -> Duration {
    use AlertName as A;
    match name {
        A::HighCPUUsage
        | A::CriticalCPUUsage
        | A::HighMemoryUsage
        | A::ElevatedMemoryUsage
        | A::HighProcessMemory
        | A::CriticalProcessMemory
        | A::HighThreadCount
        | A::HighCacheUtilization
        | A::CriticalCacheUtilization
        | A::LowDiskSpace => Duration::from_secs(300),
        _ => Duration::ZERO,
    }
}

fn spec(
    name: AlertName,
    severity: Severity,
    for_duration: Duration,
    condition: Condition,
    summary: &str,
    description: &str,
) -> Result<Rule, crate::RuleError> {
    let keep_firing_for = hysteresis(name);
    let name = name.as_str();
    Rule::builder(name)
        .severity(severity)
        .for_duration(for_duration)
        .keep_firing_for(keep_firing_for)
        .condition(condition)
        .summary(summary)
        .description(description)
        .runbook_url(format!("{RUNBOOK_BASE}#{}", name.to_lowercase()))
        .build()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_alert_name_names_exactly_one_rule_of_the_rule_files() {
        let mut in_files: Vec<String> = default_rule_groups()
            .iter()
            .flat_map(|group| {
                let engine = group.rules.iter().map(|rule| rule.name().to_owned());
                let prometheus = group.prometheus_only.iter().map(|rule| rule.alert.clone());
                engine.chain(prometheus).collect::<Vec<_>>()
            })
            .collect();
        in_files.sort_unstable();
        let mut declared: Vec<String> = AlertName::ALL.iter().map(|a| a.to_string()).collect();
        declared.sort_unstable();
        assert_eq!(in_files, declared);
        for alert in AlertName::ALL {
            assert_eq!(alert.as_str().parse::<AlertName>(), Ok(*alert));
        }
        assert!("HighErrorRates".parse::<AlertName>().is_err());
    }

    #[test]
    fn every_default_rule_builds_with_a_unique_name() {
        let rules = default_rules();
        assert_eq!(rules.len(), 48);
        let names: HashSet<&str> = rules.iter().map(Rule::name).collect();
        assert_eq!(names.len(), rules.len());
        for rule in &rules {
            assert!(
                rule.to_prometheus().is_some(),
                "{} renders as PromQL",
                rule.name()
            );
            assert!(rule.annotations()["runbook_url"].ends_with(&rule.name().to_lowercase()));
        }
    }

    #[test]
    fn source_thresholds_are_kept() {
        let rules = default_rules();
        let find = |name: &str| {
            let rule = rules.iter().find(|r| r.name() == name).expect(name);
            let prometheus = rule.to_prometheus().expect("typed");
            (prometheus.expr, prometheus.for_duration, rule.severity())
        };
        let (expr, for_duration, severity) = find("HighErrorRate");
        assert!(expr.ends_with("> 0.05"), "{expr}");
        assert!(expr.contains(r#"status=~"5..""#), "{expr}");
        assert_eq!(
            (for_duration.as_deref(), severity),
            (Some("2m"), Severity::Critical)
        );
        let (expr, for_duration, severity) = find("LowCacheHitRate");
        assert!(expr.ends_with("< 0.5"), "{expr}");
        assert_eq!(
            (for_duration.as_deref(), severity),
            (Some("10m"), Severity::Info)
        );
        let (expr, _, _) = find("CriticalProcessMemory");
        assert!(expr.ends_with("> 2147483648"), "{expr}");
    }
}
