//! The metric catalog: every metric Victor records, declared once.
//!
//! Each entry is a typed static: [`CounterDef`], [`GaugeDef`] or [`HistogramDef`], with the number
//! of labels in its type. Recording code takes these statics, so a metric outside the catalog, a
//! counter used as a gauge or a label set of the wrong length does not compile. The `# HELP` and
//! `# TYPE` lines, the per-metric histogram buckets, `docs/metrics.md`, and (in later tools) the
//! dashboard queries and alert expressions all read the same entries, so a name is written in this
//! file and nowhere else.
//!
//! The entries reconcile the four source documents (`001`–`004` in `shared/seeds/`):
//! durations are seconds with the `_seconds` suffix, tool metrics use the label `tool`, request
//! metrics carry `endpoint`, `method` and `status`, and metrics that a source alert needs but no
//! table declares are added (for example [`MEMORY_LIMIT_BYTES`]). Where a source name broke the
//! naming rules it is mapped to the conforming one; [`MetricDef::sources`] records where each
//! entry comes from, and `docs/metrics.md` shows it.
//!
//! ```
//! use victor_metrics_core::catalog;
//!
//! let def = catalog::TOOL_EXECUTIONS_TOTAL.def();
//! assert_eq!(def.name(), "victor_tool_executions_total");
//! assert_eq!(def.labels(), ["tool", "vertical", "status", "mode"]);
//! assert!(catalog::ALL.iter().any(|d| d.name() == "victor_memory_limit_bytes"));
//! ```

use serde::Serialize;

/// What kind of Prometheus metric an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricKind {
    /// A monotonically increasing count; names end in `_total`.
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// A distribution over fixed buckets.
    Histogram,
}

impl MetricKind {
    /// The word Prometheus uses on the `# TYPE` line.
    pub const fn as_str(self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::Histogram => "histogram",
        }
    }
}

/// The unit of a metric's value. Units with a suffix appear at the end of the name (before
/// `_total` on counters), as Prometheus' naming practice asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// Seconds: every duration in the catalog.
    Seconds,
    /// Bytes.
    Bytes,
    /// Percent, 0 to 100 (per core for CPU figures).
    Percent,
    /// A ratio between 0 and 1 (rates, accuracies).
    Ratio,
    /// US dollars.
    Usd,
    /// A plain count or score with no unit.
    None,
}

impl Unit {
    /// The suffix a metric name with this unit carries, if any.
    pub const fn suffix(self) -> Option<&'static str> {
        match self {
            Unit::Seconds => Some("seconds"),
            Unit::Bytes => Some("bytes"),
            Unit::Percent => Some("percent"),
            Unit::Usd => Some("usd"),
            Unit::Ratio | Unit::None => None,
        }
    }

    /// The word used in docs and the JSON views.
    pub const fn as_str(self) -> &'static str {
        match self {
            Unit::Seconds => "seconds",
            Unit::Bytes => "bytes",
            Unit::Percent => "percent",
            Unit::Ratio => "ratio",
            Unit::Usd => "usd",
            Unit::None => "",
        }
    }

    pub(crate) fn to_metrics_unit(self) -> Option<metrics::Unit> {
        match self {
            Unit::Seconds => Some(metrics::Unit::Seconds),
            Unit::Bytes => Some(metrics::Unit::Bytes),
            Unit::Percent => Some(metrics::Unit::Percent),
            Unit::Ratio | Unit::Usd | Unit::None => None,
        }
    }
}

/// The area of the agent a metric belongs to; the docs and dashboards group by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// HTTP and API requests.
    Request,
    /// LLM provider calls, tokens and cost.
    Llm,
    /// The provider pool: health and per-provider traffic.
    Provider,
    /// Tool executions.
    Tool,
    /// The tool-selection cache and selection latency.
    ToolSelection,
    /// Named caches.
    Cache,
    /// Coordinators.
    Coordinator,
    /// Users, sessions and tasks.
    Business,
    /// Workflow, feature and vertical usage.
    Usage,
    /// Planning, memory, skills and self-improvement.
    Agentic,
    /// The coding vertical.
    Coding,
    /// The RAG vertical.
    Rag,
    /// The DevOps vertical.
    DevOps,
    /// The data-analysis vertical.
    DataAnalysis,
    /// The research vertical.
    Research,
    /// Security checks and scans.
    Security,
    /// Start-up and bootstrap.
    Bootstrap,
    /// Process and host resources.
    System,
    /// Liveness, readiness and startup probes and their checks.
    Health,
    /// Span export of the tracing pipeline.
    Tracing,
    /// The in-process alert engine and its notification channels.
    Alerting,
    /// Events posted to the exporter by agents without a Rust dependency.
    Ingestion,
    /// The exporter's own HTTP traffic (scrapes, probes, its API), apart from the agent's.
    Exporter,
    /// The observability toolkit's own health.
    SelfMonitoring,
}

impl Group {
    /// Every group, in the order the docs list them.
    pub const ALL: [Group; 24] = [
        Group::Request,
        Group::Llm,
        Group::Provider,
        Group::Tool,
        Group::ToolSelection,
        Group::Cache,
        Group::Coordinator,
        Group::Business,
        Group::Usage,
        Group::Agentic,
        Group::Coding,
        Group::Rag,
        Group::DevOps,
        Group::DataAnalysis,
        Group::Research,
        Group::Security,
        Group::Bootstrap,
        Group::System,
        Group::Health,
        Group::Tracing,
        Group::Alerting,
        Group::Ingestion,
        Group::Exporter,
        Group::SelfMonitoring,
    ];

    /// A heading for docs and dashboards.
    pub const fn title(self) -> &'static str {
        match self {
            Group::Request => "Requests",
            Group::Llm => "LLM calls",
            Group::Provider => "Provider pool",
            Group::Tool => "Tool execution",
            Group::ToolSelection => "Tool selection",
            Group::Cache => "Caches",
            Group::Coordinator => "Coordinators",
            Group::Business => "Business",
            Group::Usage => "Usage",
            Group::Agentic => "Agentic AI",
            Group::Coding => "Coding vertical",
            Group::Rag => "RAG vertical",
            Group::DevOps => "DevOps vertical",
            Group::DataAnalysis => "Data analysis vertical",
            Group::Research => "Research vertical",
            Group::Security => "Security",
            Group::Bootstrap => "Bootstrap",
            Group::System => "System",
            Group::Health => "Health probes",
            Group::Tracing => "Tracing",
            Group::Alerting => "Alerting",
            Group::Ingestion => "Event ingestion",
            Group::Exporter => "Exporter traffic",
            Group::SelfMonitoring => "Self-monitoring",
        }
    }
}

/// One catalog entry's metadata: everything a renderer, a doc or a dashboard needs.
///
/// Only the catalog constructs these; read them through [`ALL`] or a typed entry's `def()`.
#[derive(Debug, PartialEq, Serialize)]
pub struct MetricDef {
    name: &'static str,
    kind: MetricKind,
    unit: Unit,
    group: Group,
    help: &'static str,
    labels: &'static [&'static str],
    buckets: &'static [f64],
    sources: &'static str,
    #[serde(skip)]
    index: usize,
}

impl MetricDef {
    const fn new(
        name: &'static str,
        kind: MetricKind,
        group: Group,
        labels: &'static [&'static str],
        help: &'static str,
    ) -> Self {
        MetricDef {
            name,
            kind,
            unit: Unit::None,
            group,
            help,
            labels,
            buckets: &[],
            sources: "",
            index: usize::MAX,
        }
    }

    /// The metric name as exposed to Prometheus.
    pub const fn name(&self) -> &'static str {
        self.name
    }
    /// Counter, gauge or histogram.
    pub const fn kind(&self) -> MetricKind {
        self.kind
    }
    /// The unit of the value.
    pub const fn unit(&self) -> Unit {
        self.unit
    }
    /// The area of the agent it belongs to.
    pub const fn group(&self) -> Group {
        self.group
    }
    /// The `# HELP` text.
    pub const fn help(&self) -> &'static str {
        self.help
    }
    /// Label names, in the order recording calls pass values.
    pub const fn labels(&self) -> &'static [&'static str] {
        self.labels
    }
    /// Histogram bucket upper bounds (empty for counters and gauges).
    pub const fn buckets(&self) -> &'static [f64] {
        self.buckets
    }
    /// Which source tables define it, and how it was reconciled.
    pub const fn sources(&self) -> &'static str {
        self.sources
    }
    /// Position in [`ALL`]; recorders index per-metric state by it.
    pub const fn index(&self) -> usize {
        self.index
    }
}

macro_rules! typed_def {
    ($(#[$doc:meta])* $ty:ident, $kind:expr) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $ty<const N: usize>(MetricDef);

        impl<const N: usize> $ty<N> {
            const fn new(
                name: &'static str,
                group: Group,
                labels: &'static [&'static str; N],
                help: &'static str,
            ) -> Self {
                $ty(MetricDef::new(name, $kind, group, labels, help))
            }
            #[allow(dead_code, reason = "no counter has a unit yet")]
            const fn unit(mut self, unit: Unit) -> Self {
                self.0.unit = unit;
                self
            }
            const fn sources(mut self, sources: &'static str) -> Self {
                self.0.sources = sources;
                self
            }
            const fn indexed(mut self, index: usize) -> Self {
                self.0.index = index;
                self
            }
            /// The entry's metadata.
            pub const fn def(&self) -> &MetricDef {
                &self.0
            }
        }
    };
}

typed_def!(
    /// A counter with `N` labels.
    CounterDef,
    MetricKind::Counter
);
typed_def!(
    /// A gauge with `N` labels.
    GaugeDef,
    MetricKind::Gauge
);
typed_def!(
    /// A histogram with `N` labels and its own buckets.
    HistogramDef,
    MetricKind::Histogram
);

impl<const N: usize> HistogramDef<N> {
    const fn buckets(mut self, buckets: &'static [f64]) -> Self {
        self.0.buckets = buckets;
        self
    }
}

/// Declares the entries, numbers them, and lists them in [`ALL`].
macro_rules! catalog {
    ($( $(#[doc = $doc:literal])* $ident:ident: $ty:ty = $def:expr; )*) => {
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[repr(usize)]
        enum Id { $($ident),* }

        $( $(#[doc = $doc])* pub static $ident: $ty = $def.indexed(Id::$ident as usize); )*

        /// Every catalog entry, in declaration order (entry `i` has `index() == i`).
        pub static ALL: &[&MetricDef] = &[ $( &$ident.0 ),* ];
    };
}

/// Bucket sets, each chosen so the thresholds of the source alerts fall on a bucket boundary.
pub mod buckets {
    /// `gen_ai.client.token.usage`: the OpenTelemetry GenAI convention's boundaries, powers of 4
    /// from 1 to 67 108 864 tokens.
    pub static GEN_AI_TOKENS: &[f64] = &[
        1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0,
        4194304.0, 16777216.0, 67108864.0,
    ];
    /// `gen_ai.client.operation.duration`: the convention's boundaries, doubling from 10 ms to
    /// 81.92 s.
    pub static GEN_AI_DURATION: &[f64] = &[
        0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
    ];
    /// Time to the first chunk: the boundaries the convention gives time to first token.
    pub static GEN_AI_FIRST_CHUNK: &[f64] = &[
        0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
    ];
    /// Time per output chunk: the boundaries the convention gives time per output token.
    pub static GEN_AI_PER_CHUNK: &[f64] = &[
        0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5,
    ];
    /// HTTP/API requests (`001`): p95 < 10 s, p99 < 30 s.
    pub static REQUEST: &[f64] = &[
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
    ];
    /// Tool executions (`001`): p95 < 1 s and 5 s alerts, p99 < 15 s.
    pub static TOOL: &[f64] = &[0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0];
    /// LLM and provider latency: p95 < 10 s, p99 < 30 s.
    pub static LLM: &[f64] = &[0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0];
    /// Chat requests (`001`): p95 < 15 s, p99 < 45 s.
    pub static CHAT: &[f64] = &[0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0, 45.0, 60.0, 120.0];
    /// System initialization (`001`): p95 < 5 s, p99 < 10 s.
    pub static INITIALIZATION: &[f64] = &[0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0];
    /// Tool selection (`002`): p95 < 1 ms and 5 ms alerts.
    pub static TOOL_SELECTION: &[f64] = &[
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
    ];
    /// Coordinator runs.
    pub static COORDINATOR: &[f64] = &[0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];
    /// Session duration (`001`).
    pub static SESSION: &[f64] = &[60.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 14400.0];
    /// Requests per user session.
    pub static REQUESTS_PER_USER: &[f64] =
        &[1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0];
    /// Retrieval and query latency.
    pub static RETRIEVAL: &[f64] = &[
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ];
    /// Data-analysis queries.
    pub static QUERY: &[f64] = &[0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];
    /// Research synthesis.
    pub static SYNTHESIS: &[f64] = &[1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0];
    /// Health checks (`003`: keep checks under 100 ms; the default timeout is 1 s).
    pub static HEALTH_CHECK: &[f64] = &[
        0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
    ];
    /// Alert evaluation cycles: 1 000 rules should take under a millisecond.
    pub static ALERT_EVALUATION: &[f64] = &[
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
    ];
    /// Security scans (`001`): p95 < 60 s.
    pub static SECURITY_SCAN: &[f64] = &[1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0];
    /// Cost of one LLM call, in US dollars.
    pub static COST: &[f64] = &[0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0];
    /// Data sizes: 1 KiB to 1 GiB by powers of ten-ish.
    pub static DATA_SIZE: &[f64] = &[
        1024.0,
        10240.0,
        102400.0,
        1048576.0,
        10485760.0,
        104857600.0,
        1073741824.0,
    ];
}

use Group as G;
use Unit as U;

catalog! {
    // ---- Requests: 001 performance, 003 request, 004 request ----
    /// Requests handled.
    REQUESTS_TOTAL: CounterDef<3> = CounterDef::new(
        "victor_requests_total", G::Request, &["endpoint", "method", "status"],
        "Requests handled, by endpoint (route template), HTTP method and status code.")
        .sources("004 request; 003 request; 001 business `victor_total_requests` (renamed: counters end in _total)");
    /// Request latency.
    REQUEST_DURATION_SECONDS: HistogramDef<3> = HistogramDef::new(
        "victor_request_duration_seconds", G::Request, &["endpoint", "method", "status"],
        "Request response time in seconds.")
        .unit(U::Seconds).buckets(buckets::REQUEST)
        .sources("001 performance; 004 `victor_request_duration_ms` (seconds, base unit)");
    /// Failed requests.
    REQUEST_ERRORS_TOTAL: CounterDef<4> = CounterDef::new(
        "victor_request_errors_total", G::Request, &["endpoint", "method", "status", "error_type"],
        "Requests that failed (5xx, or an explicit error type), by error type.")
        .sources("004 request; 003 request");
    /// Requests in flight.
    ACTIVE_REQUESTS: GaugeDef<2> = GaugeDef::new(
        "victor_active_requests", G::Request, &["endpoint", "method"],
        "Requests currently being handled.")
        .sources("003 dashboard (active requests)");
    /// Request rate over the sliding window.
    REQUEST_RATE: GaugeDef<0> = GaugeDef::new(
        "victor_request_rate", G::Request, &[],
        "Requests per second over the sliding window (see the victor:request_rate recording rule for the PromQL form).")
        .sources("001 performance");
    /// Error ratio over the sliding window.
    ERROR_RATE: GaugeDef<0> = GaugeDef::new(
        "victor_error_rate", G::Request, &[],
        "Share of requests that failed over the sliding window, 0 to 1.")
        .unit(U::Ratio).sources("001 performance");
    /// Chat request latency.
    CHAT_REQUEST_DURATION_SECONDS: HistogramDef<1> = HistogramDef::new(
        "victor_chat_request_duration_seconds", G::Request, &["provider"],
        "Chat request time in seconds, end to end including tool calls.")
        .unit(U::Seconds).buckets(buckets::CHAT).sources("001 performance");

    // ---- LLM: 004 LLM, 003 business (cost, tokens) ----
    /// LLM calls.
    LLM_REQUESTS_TOTAL: CounterDef<3> = CounterDef::new(
        "victor_llm_requests_total", G::Llm, &["provider", "model", "operation"],
        "LLM calls, by provider, request model and GenAI operation (chat, text_completion, embeddings).")
        .sources("004 LLM (+ operation, OpenTelemetry GenAI gen_ai.operation.name)");
    /// LLM latency.
    LLM_DURATION_SECONDS: HistogramDef<3> = HistogramDef::new(
        "victor_llm_duration_seconds", G::Llm, &["provider", "model", "operation"],
        "LLM call latency in seconds (gen_ai.client.operation.duration).")
        .unit(U::Seconds).buckets(buckets::LLM)
        .sources("004 `victor_llm_duration_ms` (seconds, base unit)");
    /// Tokens used.
    LLM_TOKENS_TOTAL: CounterDef<3> = CounterDef::new(
        "victor_llm_tokens_total", G::Llm, &["provider", "model", "type"],
        "Tokens used, by type: prompt (GenAI input) or completion (GenAI output).")
        .sources("004 LLM; 003 business (tokens used)");
    /// Failed LLM calls.
    LLM_ERRORS_TOTAL: CounterDef<4> = CounterDef::new(
        "victor_llm_errors_total", G::Llm, &["provider", "model", "operation", "error_type"],
        "Failed LLM calls, by error type (rate_limit, timeout, ...).")
        .sources("004 LLM");
    /// Spend per call.
    LLM_COST_USD: HistogramDef<2> = HistogramDef::new(
        "victor_llm_cost_usd", G::Llm, &["provider", "model"],
        "Estimated cost of each LLM call in US dollars; total spend is the _sum series.")
        .unit(U::Usd).buckets(buckets::COST)
        .sources("003 business (total cost): a per-call histogram, as the metrics facade's counters are integers; spend = `_sum`");
    // ---- OpenTelemetry GenAI semantic conventions (client metrics), Prometheus-named ----
    /// `gen_ai.client.token.usage`.
    GEN_AI_CLIENT_TOKEN_USAGE: HistogramDef<5> = HistogramDef::new(
        "gen_ai_client_token_usage", G::Llm,
        &["gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_request_model", "gen_ai_response_model", "gen_ai_token_type"],
        "Number of input and output tokens used per LLM call (OpenTelemetry gen_ai.client.token.usage).")
        .buckets(buckets::GEN_AI_TOKENS)
        .sources("OpenTelemetry GenAI semantic conventions: gen_ai.client.token.usage, {token}; dots become underscores");
    /// `gen_ai.client.operation.duration`.
    GEN_AI_CLIENT_OPERATION_DURATION_SECONDS: HistogramDef<5> = HistogramDef::new(
        "gen_ai_client_operation_duration_seconds", G::Llm,
        &["gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_request_model", "gen_ai_response_model", "error_type"],
        "GenAI operation duration in seconds; error_type set on failure (OpenTelemetry gen_ai.client.operation.duration).")
        .unit(U::Seconds).buckets(buckets::GEN_AI_DURATION)
        .sources("OpenTelemetry GenAI semantic conventions: gen_ai.client.operation.duration, s → _seconds");
    /// `gen_ai.client.operation.time_to_first_chunk`.
    GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK_SECONDS: HistogramDef<4> = HistogramDef::new(
        "gen_ai_client_operation_time_to_first_chunk_seconds", G::Llm,
        &["gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_request_model", "gen_ai_response_model"],
        "Seconds from a streamed call's request to its first chunk (OpenTelemetry gen_ai.client.operation.time_to_first_chunk); streamed calls only.")
        .unit(U::Seconds).buckets(buckets::GEN_AI_FIRST_CHUNK)
        .sources("OpenTelemetry GenAI semantic conventions: gen_ai.client.operation.time_to_first_chunk");
    /// `gen_ai.client.operation.time_per_output_chunk`.
    GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK_SECONDS: HistogramDef<4> = HistogramDef::new(
        "gen_ai_client_operation_time_per_output_chunk_seconds", G::Llm,
        &["gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_request_model", "gen_ai_response_model"],
        "Seconds per output token after the first of a streamed call, one observation per call: (duration − time to first chunk) / (output tokens − 1) (OpenTelemetry gen_ai.client.operation.time_per_output_chunk, per call).")
        .unit(U::Seconds).buckets(buckets::GEN_AI_PER_CHUNK)
        .sources("OpenTelemetry GenAI semantic conventions: gen_ai.client.operation.time_per_output_chunk; recorded once per call as the mean, since calls report totals");
    /// Why answers ended.
    LLM_FINISH_REASONS_TOTAL: CounterDef<3> = CounterDef::new(
        "victor_llm_finish_reasons_total", G::Llm, &["provider", "model", "finish_reason"],
        "LLM answers by why they ended (stop, length, tool_calls, content_filter, …; gen_ai.response.finish_reasons): a rise in length means truncated answers.")
        .sources("added: OpenTelemetry gen_ai.response.finish_reasons, for agents that report it");
    /// Calls no price was known for.
    LLM_UNPRICED_CALLS_TOTAL: CounterDef<2> = CounterDef::new(
        "victor_llm_unpriced_calls_total", G::Llm, &["provider", "model"],
        "LLM calls whose caller gave no cost and whose model the price table lacks: their tokens are recorded, their cost is not guessed.")
        .sources("added: pinned price tables (prices.md)");
    /// The price table in use.
    LLM_PRICE_TABLE_INFO: GaugeDef<1> = GaugeDef::new(
        "victor_llm_price_table_info", G::Llm, &["version"],
        "Always 1; the version of the price table victor_llm_cost_usd is estimated from (+overrides when the configuration adds entries).")
        .sources("added: pinned price tables (prices.md)");

    // ---- Provider pool: 001 functional, 001 performance, 002 provider pool ----
    /// Provider API requests.
    PROVIDER_REQUESTS_TOTAL: CounterDef<4> = CounterDef::new(
        "victor_provider_requests_total", G::Provider, &["provider", "model", "status", "tool_calls"],
        "Provider API requests, by status (success, failure) and whether tool calls were used.")
        .sources("001 functional; 002 provider pool");
    /// Provider latency.
    PROVIDER_LATENCY_SECONDS: HistogramDef<2> = HistogramDef::new(
        "victor_provider_latency_seconds", G::Provider, &["provider", "model"],
        "Provider API latency in seconds.")
        .unit(U::Seconds).buckets(buckets::LLM).sources("001 performance; 002 provider pool");
    /// Provider success ratio over the sliding window.
    PROVIDER_SUCCESS_RATE: GaugeDef<2> = GaugeDef::new(
        "victor_provider_success_rate", G::Provider, &["provider", "model"],
        "Share of provider requests that succeeded over the sliding window, 0 to 1.")
        .unit(U::Ratio).sources("001 functional");
    /// Provider health.
    PROVIDER_HEALTHY: GaugeDef<1> = GaugeDef::new(
        "victor_provider_healthy", G::Provider, &["provider"],
        "1 when the provider pool considers the provider healthy, 0 otherwise.")
        .sources("002 provider pool (health; UnhealthyProviders alert)");

    // ---- Tools: 001 performance/functional, 002 tool execution, 003 tool, 004 tool ----
    /// Tool executions.
    TOOL_EXECUTIONS_TOTAL: CounterDef<4> = CounterDef::new(
        "victor_tool_executions_total", G::Tool, &["tool", "vertical", "status", "mode"],
        "Tool executions, by tool, vertical, status (success, failure, timeout) and agent mode.")
        .sources("001 functional; 002 tool execution; 004 tool (`tool_name` label renamed `tool`)");
    /// Tool latency.
    TOOL_EXECUTION_DURATION_SECONDS: HistogramDef<3> = HistogramDef::new(
        "victor_tool_execution_duration_seconds", G::Tool, &["tool", "vertical", "status"],
        "Tool execution time in seconds.")
        .unit(U::Seconds).buckets(buckets::TOOL)
        .sources("001 performance; 004 `victor_tool_duration_ms` (seconds, base unit)");
    /// Tool errors by type.
    TOOL_ERRORS_TOTAL: CounterDef<2> = CounterDef::new(
        "victor_tool_errors_total", G::Tool, &["tool", "error_type"],
        "Failed tool executions, by error type.")
        .sources("004 tool; 003 tool");
    /// Tools running now.
    TOOL_ACTIVE_EXECUTIONS: GaugeDef<1> = GaugeDef::new(
        "victor_tool_active_executions", G::Tool, &["tool"],
        "Tool executions in progress.")
        .sources("003 tool (active executions)");
    /// Tool success ratio over the sliding window.
    TOOL_SUCCESS_RATE: GaugeDef<2> = GaugeDef::new(
        "victor_tool_success_rate", G::Tool, &["tool", "vertical"],
        "Share of tool executions that succeeded over the sliding window, 0 to 1.")
        .unit(U::Ratio).sources("001 functional");

    // ---- Tool selection: 002 tool-selection cache ----
    /// Selection latency.
    TOOL_SELECTION_DURATION_SECONDS: HistogramDef<1> = HistogramDef::new(
        "victor_tool_selection_duration_seconds", G::ToolSelection, &["namespace"],
        "Time to select the tools for a turn, in seconds.")
        .unit(U::Seconds).buckets(buckets::TOOL_SELECTION).sources("002 tool selection");
    /// Selection cache hits.
    TOOL_SELECTION_CACHE_HITS_TOTAL: CounterDef<1> = CounterDef::new(
        "victor_tool_selection_cache_hits_total", G::ToolSelection, &["namespace"],
        "Tool-selection cache hits, by namespace (selection type).")
        .sources("002 tool-selection cache");
    /// Selection cache misses.
    TOOL_SELECTION_CACHE_MISSES_TOTAL: CounterDef<1> = CounterDef::new(
        "victor_tool_selection_cache_misses_total", G::ToolSelection, &["namespace"],
        "Tool-selection cache misses, by namespace (selection type).")
        .sources("002 tool-selection cache");
    /// Selection cache evictions.
    TOOL_SELECTION_CACHE_EVICTIONS_TOTAL: CounterDef<1> = CounterDef::new(
        "victor_tool_selection_cache_evictions_total", G::ToolSelection, &["namespace"],
        "Entries evicted from the tool-selection cache.")
        .sources("002 tool-selection cache");
    /// Selection cache entries.
    TOOL_SELECTION_CACHE_ENTRIES: GaugeDef<1> = GaugeDef::new(
        "victor_tool_selection_cache_entries", G::ToolSelection, &["namespace"],
        "Entries held in the tool-selection cache.")
        .sources("002 tool-selection cache");
    /// Selection cache fill level.
    TOOL_SELECTION_CACHE_UTILIZATION: GaugeDef<1> = GaugeDef::new(
        "victor_tool_selection_cache_utilization", G::ToolSelection, &["namespace"],
        "Entries held over capacity, 0 to 1.")
        .unit(U::Ratio).sources("002 tool-selection cache");
    /// Selection cache memory.
    TOOL_SELECTION_CACHE_MEMORY_BYTES: GaugeDef<1> = GaugeDef::new(
        "victor_tool_selection_cache_memory_bytes", G::ToolSelection, &["namespace"],
        "Memory held by the tool-selection cache.")
        .unit(U::Bytes).sources("002 CacheMetrics (memory usage)");
    /// Selection cache hit ratio over the sliding window.
    TOOL_SELECTION_CACHE_HIT_RATE: GaugeDef<1> = GaugeDef::new(
        "victor_tool_selection_cache_hit_rate", G::ToolSelection, &["namespace"],
        "Share of tool-selection lookups served from cache over the sliding window, 0 to 1.")
        .unit(U::Ratio).sources("002 tool-selection cache (hit rate)");

    // ---- Caches: 003 cache, 004 cache ----
    /// Cache hits.
    CACHE_HITS_TOTAL: CounterDef<1> = CounterDef::new(
        "victor_cache_hits_total", G::Cache, &["cache_name"], "Cache hits.")
        .sources("004 cache; 003 cache");
    /// Cache misses.
    CACHE_MISSES_TOTAL: CounterDef<1> = CounterDef::new(
        "victor_cache_misses_total", G::Cache, &["cache_name"], "Cache misses.")
        .sources("004 cache; 003 cache");
    /// Cache evictions.
    CACHE_EVICTIONS_TOTAL: CounterDef<1> = CounterDef::new(
        "victor_cache_evictions_total", G::Cache, &["cache_name"], "Entries evicted from the cache.")
        .sources("003 cache");
    /// Cache hit ratio over the sliding window.
    CACHE_HIT_RATE: GaugeDef<1> = GaugeDef::new(
        "victor_cache_hit_rate", G::Cache, &["cache_name"],
        "Share of lookups served from cache over the sliding window, 0 to 1.")
        .unit(U::Ratio).sources("004 cache; 003 cache");
    /// Cache size.
    CACHE_SIZE_BYTES: GaugeDef<1> = GaugeDef::new(
        "victor_cache_size_bytes", G::Cache, &["cache_name"], "Memory held by the cache.")
        .unit(U::Bytes).sources("004 cache");

    // ---- Coordinators: 004 coordinator ----
    /// Coordinator runs.
    COORDINATOR_EXECUTIONS_TOTAL: CounterDef<1> = CounterDef::new(
        "victor_coordinator_executions_total", G::Coordinator, &["coordinator_name"],
        "Coordinator executions.").sources("004 coordinator");
    /// Coordinator latency.
    COORDINATOR_DURATION_SECONDS: HistogramDef<1> = HistogramDef::new(
        "victor_coordinator_duration_seconds", G::Coordinator, &["coordinator_name"],
        "Coordinator execution time in seconds.")
        .unit(U::Seconds).buckets(buckets::COORDINATOR).sources("004 coordinator");
    /// Coordinator failures.
    COORDINATOR_ERRORS_TOTAL: CounterDef<1> = CounterDef::new(
        "victor_coordinator_errors_total", G::Coordinator, &["coordinator_name"],
        "Coordinator executions that failed.").sources("004 coordinator");
    /// Coordinator memory.
    COORDINATOR_MEMORY_BYTES: GaugeDef<1> = GaugeDef::new(
        "victor_coordinator_memory_bytes", G::Coordinator, &["coordinator_name"],
        "Memory attributed to the coordinator.")
        .unit(U::Bytes).sources("004 coordinator");
    /// Coordinator CPU.
    COORDINATOR_CPU_PERCENT: GaugeDef<1> = GaugeDef::new(
        "victor_coordinator_cpu_percent", G::Coordinator, &["coordinator_name"],
        "CPU used by the coordinator, percent of one core.")
        .unit(U::Percent).sources("004 coordinator");

    // ---- Business: 001 business, 003 business ----
    /// Active users.
    ACTIVE_USERS: GaugeDef<1> = GaugeDef::new(
        "victor_active_users", G::Business, &["interface"],
        "Users active now, by interface (cli, tui, api, mcp).").sources("001 business");
    /// Sessions started.
    USER_SESSIONS_TOTAL: CounterDef<1> = CounterDef::new(
        "victor_user_sessions_total", G::Business, &["interface"],
        "User sessions started, by interface.").sources("001 business");
    /// Session length.
    SESSION_DURATION_SECONDS: HistogramDef<1> = HistogramDef::new(
        "victor_session_duration_seconds", G::Business, &["interface"],
        "User session duration in seconds.")
        .unit(U::Seconds).buckets(buckets::SESSION).sources("001 business");
    /// Requests per session.
    REQUESTS_PER_USER: HistogramDef<0> = HistogramDef::new(
        "victor_requests_per_user", G::Business, &[],
        "Requests made in one user session, observed when the session ends.")
        .buckets(buckets::REQUESTS_PER_USER).sources("001 business");
    /// Tasks finished.
    TASKS_TOTAL: CounterDef<1> = CounterDef::new(
        "victor_tasks_total", G::Business, &["status"],
        "Agent tasks finished, by status (completed, failed).")
        .sources("003 business (tasks completed, failed)");

    // ---- Usage: 001 functional ----
    /// Vertical usage.
    VERTICAL_USAGE_TOTAL: CounterDef<2> = CounterDef::new(
        "victor_vertical_usage_total", G::Usage, &["vertical", "mode"],
        "Times a vertical was used, by agent mode.").sources("001 functional");
    /// Workflow runs.
    WORKFLOW_EXECUTIONS_TOTAL: CounterDef<2> = CounterDef::new(
        "victor_workflow_executions_total", G::Usage, &["workflow", "status"],
        "Workflow executions, by status.").sources("001 functional");
    /// Feature usage.
    FEATURE_USAGE_TOTAL: CounterDef<1> = CounterDef::new(
        "victor_feature_usage_total", G::Usage, &["feature"],
        "Times a feature was used.").sources("001 functional");

    // ---- Agentic AI: 001 agentic ----
    /// Planning success.
    PLANNING_SUCCESS_RATE: GaugeDef<1> = GaugeDef::new(
        "victor_planning_success_rate", G::Agentic, &["vertical"],
        "Share of plans that succeeded, 0 to 1.").unit(U::Ratio).sources("001 agentic");
    /// Memory recall.
    MEMORY_RECALL_ACCURACY: GaugeDef<1> = GaugeDef::new(
        "victor_memory_recall_accuracy", G::Agentic, &["memory_type"],
        "Memory recall accuracy, 0 to 1.").unit(U::Ratio).sources("001 agentic");
    /// Skills discovered.
    SKILL_DISCOVERY_TOTAL: CounterDef<1> = CounterDef::new(
        "victor_skill_discovery_total", G::Agentic, &["skill_type"],
        "Skills discovered.").sources("001 agentic");
    /// Proficiency.
    PROFICIENCY_SCORE: GaugeDef<1> = GaugeDef::new(
        "victor_proficiency_score", G::Agentic, &["skill"],
        "Current proficiency score of a skill, 0 to 1.").unit(U::Ratio).sources("001 agentic");
    /// Self-improvement loops.
    SELF_IMPROVEMENT_LOOPS_TOTAL: CounterDef<1> = CounterDef::new(
        "victor_self_improvement_loops_total", G::Agentic, &["outcome"],
        "Self-improvement loops run, by outcome.").sources("001 agentic");
    /// Memory operations.
    MEMORY_OPERATIONS_TOTAL: CounterDef<2> = CounterDef::new(
        "victor_memory_operations_total", G::Agentic, &["operation", "status"],
        "Agent memory operations, by operation and status.").sources("001 agentic");

    // ---- Coding vertical: 001 ----
    /// Files analyzed.
    CODING_FILES_ANALYZED_TOTAL: CounterDef<0> = CounterDef::new(
        "victor_coding_files_analyzed_total", G::Coding, &[], "Files analyzed.")
        .sources("001 coding vertical");
    /// Lines reviewed.
    CODING_LOC_REVIEWED_TOTAL: CounterDef<0> = CounterDef::new(
        "victor_coding_loc_reviewed_total", G::Coding, &[], "Lines of code reviewed.")
        .sources("001 coding vertical");
    /// Issues found.
    CODING_ISSUES_FOUND_TOTAL: CounterDef<0> = CounterDef::new(
        "victor_coding_issues_found_total", G::Coding, &[], "Issues found in reviewed code.")
        .sources("001 coding vertical");
    /// Tests generated.
    CODING_TESTS_GENERATED_TOTAL: CounterDef<0> = CounterDef::new(
        "victor_coding_tests_generated_total", G::Coding, &[], "Tests generated.")
        .sources("001 coding vertical");
    /// Refactoring success.
    CODING_REFACTORING_SUCCESS_RATE: GaugeDef<0> = GaugeDef::new(
        "victor_coding_refactoring_success_rate", G::Coding, &[],
        "Share of refactorings that succeeded, 0 to 1.").unit(U::Ratio)
        .sources("001 coding vertical");

    // ---- RAG vertical: 001 ----
    /// Documents ingested.
    RAG_DOCUMENTS_INGESTED_TOTAL: CounterDef<0> = CounterDef::new(
        "victor_rag_documents_ingested_total", G::Rag, &[], "Documents ingested.")
        .sources("001 RAG vertical");
    /// Search accuracy.
    RAG_SEARCH_ACCURACY: GaugeDef<0> = GaugeDef::new(
        "victor_rag_search_accuracy", G::Rag, &[], "Search accuracy, 0 to 1.")
        .unit(U::Ratio).sources("001 RAG vertical");
    /// Retrieval latency.
    RAG_RETRIEVAL_LATENCY_SECONDS: HistogramDef<0> = HistogramDef::new(
        "victor_rag_retrieval_latency_seconds", G::Rag, &[], "Retrieval latency in seconds.")
        .unit(U::Seconds).buckets(buckets::RETRIEVAL).sources("001 RAG vertical");
    /// Index size.
    RAG_INDEX_SIZE_BYTES: GaugeDef<0> = GaugeDef::new(
        "victor_rag_index_size_bytes", G::Rag, &[], "Size of the retrieval index.")
        .unit(U::Bytes).sources("001 RAG vertical");

    // ---- DevOps vertical: 001 ----
    /// Deployments.
    DEVOPS_DEPLOYMENTS_TOTAL: CounterDef<0> = CounterDef::new(
        "victor_devops_deployments_total", G::DevOps, &[], "Deployments performed.")
        .sources("001 DevOps vertical");
    /// Deployment success.
    DEVOPS_DEPLOYMENT_SUCCESS_RATE: GaugeDef<0> = GaugeDef::new(
        "victor_devops_deployment_success_rate", G::DevOps, &[],
        "Share of deployments that succeeded, 0 to 1.").unit(U::Ratio)
        .sources("001 DevOps vertical");
    /// Containers managed.
    DEVOPS_CONTAINERS_MANAGED: GaugeDef<0> = GaugeDef::new(
        "victor_devops_containers_managed", G::DevOps, &[], "Containers under management.")
        .sources("001 DevOps vertical");
    /// CI pipelines run.
    DEVOPS_CI_PIPELINES_EXECUTED_TOTAL: CounterDef<0> = CounterDef::new(
        "victor_devops_ci_pipelines_executed_total", G::DevOps, &[], "CI pipelines executed.")
        .sources("001 DevOps vertical");

    // ---- Data analysis vertical: 001 ----
    /// Queries run.
    DATAANALYSIS_QUERIES_TOTAL: CounterDef<0> = CounterDef::new(
        "victor_dataanalysis_queries_total", G::DataAnalysis, &[], "Queries executed.")
        .sources("001 data analysis vertical");
    /// Visualizations made.
    DATAANALYSIS_VISUALIZATIONS_TOTAL: CounterDef<0> = CounterDef::new(
        "victor_dataanalysis_visualizations_total", G::DataAnalysis, &[], "Visualizations created.")
        .sources("001 data analysis vertical");
    /// Data sizes.
    DATAANALYSIS_DATA_SIZE_BYTES: HistogramDef<0> = HistogramDef::new(
        "victor_dataanalysis_data_size_bytes", G::DataAnalysis, &[], "Size of each data set analyzed.")
        .unit(U::Bytes).buckets(buckets::DATA_SIZE).sources("001 data analysis vertical");
    /// Query latency.
    DATAANALYSIS_QUERY_DURATION_SECONDS: HistogramDef<0> = HistogramDef::new(
        "victor_dataanalysis_query_duration_seconds", G::DataAnalysis, &[], "Query duration in seconds.")
        .unit(U::Seconds).buckets(buckets::QUERY).sources("001 data analysis vertical");

    // ---- Research vertical: 001 ----
    /// Searches.
    RESEARCH_SEARCHES_TOTAL: CounterDef<0> = CounterDef::new(
        "victor_research_searches_total", G::Research, &[], "Searches performed.")
        .sources("001 research vertical");
    /// Citations.
    RESEARCH_CITATIONS_GENERATED_TOTAL: CounterDef<0> = CounterDef::new(
        "victor_research_citations_generated_total", G::Research, &[], "Citations generated.")
        .sources("001 research vertical");
    /// Sources analyzed.
    RESEARCH_SOURCES_ANALYZED_TOTAL: CounterDef<0> = CounterDef::new(
        "victor_research_sources_analyzed_total", G::Research, &[], "Sources analyzed.")
        .sources("001 research vertical");
    /// Synthesis time.
    RESEARCH_SYNTHESIS_DURATION_SECONDS: HistogramDef<0> = HistogramDef::new(
        "victor_research_synthesis_duration_seconds", G::Research, &[], "Synthesis time in seconds.")
        .unit(U::Seconds).buckets(buckets::SYNTHESIS).sources("001 research vertical");

    // ---- Security: 001 ----
    /// Authorization success.
    SECURITY_AUTHORIZATION_SUCCESS_RATE: GaugeDef<0> = GaugeDef::new(
        "victor_security_authorization_success_rate", G::Security, &[],
        "Share of authorization checks that passed, 0 to 1.").unit(U::Ratio)
        .sources("001 security");
    /// Failed authorizations.
    SECURITY_FAILED_AUTHORIZATIONS_TOTAL: CounterDef<0> = CounterDef::new(
        "victor_security_failed_authorizations_total", G::Security, &[], "Failed authorizations.")
        .sources("001 security");
    /// Security test pass rate.
    SECURITY_TEST_PASS_RATE: GaugeDef<0> = GaugeDef::new(
        "victor_security_test_pass_rate", G::Security, &[],
        "Share of security tests that passed, 0 to 1.").unit(U::Ratio).sources("001 security");
    /// Vulnerabilities.
    SECURITY_VULNERABILITIES_FOUND_TOTAL: CounterDef<1> = CounterDef::new(
        "victor_security_vulnerabilities_found_total", G::Security, &["severity"],
        "Vulnerabilities found, by severity.").sources("001 security (+ severity label)");
    /// Scan time.
    SECURITY_SCAN_DURATION_SECONDS: HistogramDef<0> = HistogramDef::new(
        "victor_security_scan_duration_seconds", G::Security, &[], "Security scan duration in seconds.")
        .unit(U::Seconds).buckets(buckets::SECURITY_SCAN).sources("001 security");

    // ---- Bootstrap: 001 performance, 002 bootstrap ----
    /// Start-up time.
    INITIALIZATION_DURATION_SECONDS: HistogramDef<0> = HistogramDef::new(
        "victor_initialization_duration_seconds", G::Bootstrap, &[],
        "Time to initialize the system, in seconds (002 bootstrap: startup time).")
        .unit(U::Seconds).buckets(buckets::INITIALIZATION)
        .sources("001 performance; 002 bootstrap (startup time)");
    /// Phase timings.
    BOOTSTRAP_PHASE_DURATION_SECONDS: GaugeDef<1> = GaugeDef::new(
        "victor_bootstrap_phase_duration_seconds", G::Bootstrap, &["phase"],
        "Time the last start-up spent in each bootstrap phase, in seconds.")
        .unit(U::Seconds).sources("002 bootstrap (phase timings)");
    /// Lazy loads.
    BOOTSTRAP_LAZY_LOADS_TOTAL: CounterDef<1> = CounterDef::new(
        "victor_bootstrap_lazy_loads_total", G::Bootstrap, &["component"],
        "Components loaded lazily after start-up.")
        .sources("002 bootstrap (lazy loading)");

    // ---- System: 001 performance, 002 system, 003 system, 004 system ----
    /// Memory by component.
    MEMORY_USAGE_BYTES: GaugeDef<1> = GaugeDef::new(
        "victor_memory_usage_bytes", G::System, &["component"],
        "Current memory usage in bytes, by component (process = the whole process RSS).")
        .unit(U::Bytes).sources("001 performance; 002 system");
    /// Memory limit.
    MEMORY_LIMIT_BYTES: GaugeDef<0> = GaugeDef::new(
        "victor_memory_limit_bytes", G::System, &[],
        "Memory the process may use: the cgroup limit when set, else host memory.")
        .unit(U::Bytes).sources("added: 001 HighMemoryUsage/ElevatedMemoryUsage divide by it");
    /// CPU usage.
    CPU_USAGE_PERCENT: GaugeDef<0> = GaugeDef::new(
        "victor_cpu_usage_percent", G::System, &[],
        "Process CPU usage, percent of one core.")
        .unit(U::Percent).sources("001 performance; 002 system");
    /// System CPU.
    SYSTEM_CPU_PERCENT: GaugeDef<0> = GaugeDef::new(
        "victor_system_cpu_percent", G::System, &[],
        "Host CPU usage, percent of all cores.")
        .unit(U::Percent).sources("004 system; 003 system");
    /// Process memory by type.
    SYSTEM_MEMORY_BYTES: GaugeDef<1> = GaugeDef::new(
        "victor_system_memory_bytes", G::System, &["type"],
        "Memory by type: the process' rss and vms, the host's host_total and host_available.")
        .unit(U::Bytes).sources("004 system; 003 system");
    /// Uptime.
    SYSTEM_UPTIME_SECONDS: GaugeDef<0> = GaugeDef::new(
        "victor_system_uptime_seconds", G::System, &[], "Seconds since the process started.")
        .unit(U::Seconds).sources("004 system; 003 system; 002 system");
    /// Threads.
    SYSTEM_THREADS: GaugeDef<0> = GaugeDef::new(
        "victor_system_threads", G::System, &[], "Threads in the process.")
        .sources("002 system (threads; HighThreadCount alert)");
    /// Open file descriptors.
    SYSTEM_OPEN_FDS: GaugeDef<0> = GaugeDef::new(
        "victor_system_open_fds", G::System, &[], "Open file descriptors.")
        .sources("003 system (file descriptors)");
    /// File descriptor limit.
    SYSTEM_MAX_FDS: GaugeDef<0> = GaugeDef::new(
        "victor_system_max_fds", G::System, &[], "The process' file descriptor limit.")
        .sources("added: pairs with victor_system_open_fds for exhaustion alerts");
    /// Disk free.
    SYSTEM_DISK_FREE_BYTES: GaugeDef<1> = GaugeDef::new(
        "victor_system_disk_free_bytes", G::System, &["path"],
        "Free space on the file system holding the path.")
        .unit(U::Bytes).sources("003 system (disk)");
    /// Disk size.
    SYSTEM_DISK_TOTAL_BYTES: GaugeDef<1> = GaugeDef::new(
        "victor_system_disk_total_bytes", G::System, &["path"],
        "Size of the file system holding the path.")
        .unit(U::Bytes).sources("added: pairs with victor_system_disk_free_bytes");
    /// Host sample age.
    SYSTEM_SAMPLE_AGE_SECONDS: GaugeDef<0> = GaugeDef::new(
        "victor_system_sample_age_seconds", G::System, &[],
        "Seconds since the system figures were last sampled; it grows while a host call is stuck \
         (a hung mount, say), and the other system gauges then hold the last figures read.")
        .unit(U::Seconds).sources("added: issue 19 (host sampling off the request path)");
    /// Connections.
    ACTIVE_CONNECTIONS: GaugeDef<0> = GaugeDef::new(
        "victor_active_connections", G::System, &[], "Open client connections.")
        .sources("004 system");

    // ---- Health probes ----
    /// Check run time.
    HEALTH_CHECK_DURATION_SECONDS: HistogramDef<2> = HistogramDef::new(
        "victor_health_check_duration_seconds", G::Health, &["probe", "check"],
        "Run time of each health check in seconds (cached answers are not counted).")
        .unit(U::Seconds).buckets(buckets::HEALTH_CHECK)
        .sources("003 health check impact (keep checks under 100 ms)");
    /// Check failures.
    HEALTH_CHECK_FAILURES_TOTAL: CounterDef<2> = CounterDef::new(
        "victor_health_check_failures_total", G::Health, &["probe", "check"],
        "Health check runs that failed, timed out or panicked.")
        .sources("003 probes (failures by check)");
    /// Probe status.
    HEALTH_STATUS: GaugeDef<1> = GaugeDef::new(
        "victor_health_status", G::Health, &["probe"],
        "1 when the probe last answered healthy, 0 when it answered unhealthy.")
        .sources("003 liveness, readiness and startup probes");

    // ---- The exporter's own traffic ----
    /// Requests the exporter answered.
    EXPORTER_REQUESTS_TOTAL: CounterDef<3> = CounterDef::new(
        "victor_exporter_requests_total", G::Exporter, &["endpoint", "method", "status"],
        "Requests the exporter itself answered (scrapes, probes, its API), by route template, method and status: never counted as the agent's requests, so no agent alert sees them.")
        .sources("added: the exporter's own traffic, apart from the agent's");
    /// Latency of the exporter's answers.
    EXPORTER_REQUEST_DURATION_SECONDS: HistogramDef<3> = HistogramDef::new(
        "victor_exporter_request_duration_seconds", G::Exporter, &["endpoint", "method", "status"],
        "Time the exporter took to answer its own requests, in seconds.")
        .unit(U::Seconds).buckets(buckets::REQUEST)
        .sources("added: the exporter's own traffic, apart from the agent's");
    /// The exporter's requests in flight.
    EXPORTER_ACTIVE_REQUESTS: GaugeDef<2> = GaugeDef::new(
        "victor_exporter_active_requests", G::Exporter, &["endpoint", "method"],
        "Requests the exporter is answering now.")
        .sources("added: the exporter's own traffic, apart from the agent's");
    /// Connections over the limit.
    EXPORTER_CONNECTIONS_OVER_LIMIT_TOTAL: CounterDef<1> = CounterDef::new(
        "victor_exporter_connections_over_limit_total", G::Exporter, &["outcome"],
        "Connections accepted while max_connections were open: probes_only (served /health/* \
         only, from the probe reserve) or closed (the reserve was full too).")
        .sources("added: issue 19 (connection limit)");

    // ---- Tracing ----
    /// Spans started.
    TRACING_SPANS_STARTED_TOTAL: CounterDef<0> = CounterDef::new(
        "victor_tracing_spans_started_total", G::Tracing, &[],
        "Sampled spans started by the tracing pipeline (each is later exported or dropped).")
        .sources("added: the input side of span export");
    /// Spans waiting for export.
    TRACING_EXPORT_QUEUE_SPANS: GaugeDef<0> = GaugeDef::new(
        "victor_tracing_export_queue_spans", G::Tracing, &[],
        "Ended spans waiting in the export queue (at most 2048; beyond, spans are dropped).")
        .sources("added: shows the queue filling before spans drop");
    /// Spans exported.
    TRACING_SPANS_EXPORTED_TOTAL: CounterDef<0> = CounterDef::new(
        "victor_tracing_spans_exported_total", G::Tracing, &[],
        "Sampled spans the OTLP exporter delivered.")
        .sources("003 distributed tracing (export spans asynchronously)");
    /// Spans lost.
    TRACING_SPANS_DROPPED_TOTAL: CounterDef<1> = CounterDef::new(
        "victor_tracing_spans_dropped_total", G::Tracing, &["reason"],
        "Sampled spans lost: queue_full (the export queue was full) or export_failed (the \
         receiver refused them or could not be reached).")
        .sources("added: makes span loss visible");

    // ---- Alerting: 003 alert manager ----
    /// Evaluation cycles.
    ALERT_EVALUATIONS_TOTAL: CounterDef<0> = CounterDef::new(
        "victor_alert_evaluations_total", G::Alerting, &[],
        "Evaluation cycles the in-process alert engine ran over every rule.")
        .sources("003 alert manager (check_and_alert loop)");
    /// Evaluation time.
    ALERT_EVALUATION_DURATION_SECONDS: HistogramDef<0> = HistogramDef::new(
        "victor_alert_evaluation_duration_seconds", G::Alerting, &[],
        "Time one evaluation cycle took, in seconds.")
        .unit(U::Seconds).buckets(buckets::ALERT_EVALUATION)
        .sources("added: evaluation must stay cheap");
    /// Alerts by state.
    ALERTS_ACTIVE: GaugeDef<2> = GaugeDef::new(
        "victor_alerts_active", G::Alerting, &["state", "severity"],
        "Alerts the in-process engine holds, by state (pending, firing) and severity.")
        .sources("003 alert manager (active alerts, severities)");
    /// Notifications delivered.
    ALERT_NOTIFICATIONS_SENT_TOTAL: CounterDef<1> = CounterDef::new(
        "victor_alert_notifications_sent_total", G::Alerting, &["channel"],
        "Notifications a channel accepted, by channel name.")
        .sources("003 notifiers (Slack, email, webhook)");
    /// Notifications given up on.
    ALERT_NOTIFICATIONS_FAILED_TOTAL: CounterDef<2> = CounterDef::new(
        "victor_alert_notifications_failed_total", G::Alerting, &["channel", "reason"],
        "Notifications not delivered: retries_exhausted (the channel kept failing), queue_full \
         (the channel's queue was at its bound when the notification arrived) or channel_closed \
         (the channel had stopped).")
        .sources("added: failed deliveries are counted, never silent");

    // ---- Ingestion: POST /api/events ----
    /// Events applied.
    EVENTS_ACCEPTED_TOTAL: CounterDef<1> = CounterDef::new(
        "victor_events_accepted_total", G::Ingestion, &["type"],
        "Events posted to /api/events and applied, by event type (tool.executed, llm.completed, …).")
        .sources("added: the ingestion path of agents without a Rust dependency (002 REST API)");
    /// Events refused.
    EVENTS_REJECTED_TOTAL: CounterDef<1> = CounterDef::new(
        "victor_events_rejected_total", G::Ingestion, &["reason"],
        "Events posted to /api/events and refused: invalid_json (the line or element is not \
         JSON), unknown_type, missing_field, invalid_field (wrong type or out of range) or \
         negative_duration; too_large counts whole bodies over the limit.")
        .sources("added: rejected events are counted, never silent");

    // ---- Self-monitoring ----
    /// Overall health score.
    PERFORMANCE_HEALTH_SCORE: GaugeDef<0> = GaugeDef::new(
        "victor_performance_health_score", G::SelfMonitoring, &[],
        "Performance health score, 0 (critical) to 100 (healthy).")
        .sources("002 summary alerts (health_score)");
    /// Build info.
    BUILD_INFO: GaugeDef<1> = GaugeDef::new(
        "victor_build_info", G::SelfMonitoring, &["version"],
        "Always 1; the version label says which build is running.")
        .sources("added: version for dashboards and the service-down alert");
    /// Cardinality overflow.
    METRICS_CARDINALITY_OVERFLOW_TOTAL: CounterDef<1> = CounterDef::new(
        "victor_metrics_cardinality_overflow_total", G::SelfMonitoring, &["metric"],
        "Recordings folded into a metric's overflow series because it reached its series limit.")
        .sources("added: the cardinality limit");
    /// Registrations of a metric with the wrong kind.
    METRICS_KIND_CONFLICTS_TOTAL: CounterDef<1> = CounterDef::new(
        "victor_metrics_kind_conflicts_total", G::SelfMonitoring, &["metric"],
        "Registrations of a metric with a kind other than its own (a counter registered as a gauge, say); such series are neither exposed nor alerted on.")
        .sources("added: the one store");
}

/// Finds a catalog entry by its exposed name.
pub fn find(name: &str) -> Option<&'static MetricDef> {
    ALL.iter().copied().find(|def| def.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_valid() {
        let mut seen = HashSet::new();
        for def in ALL {
            assert!(seen.insert(def.name), "{} declared twice", def.name);
            names::validate_metric_name(def.name).expect("catalog name is valid");
            assert!(
                def.name.starts_with("victor_") || def.name.starts_with("gen_ai_client_"),
                "{} lacks the victor_ prefix (only OpenTelemetry's GenAI client metrics keep theirs)",
                def.name
            );
        }
    }

    #[test]
    fn indices_match_positions() {
        for (i, def) in ALL.iter().enumerate() {
            assert_eq!(def.index, i, "{}", def.name);
        }
    }

    #[test]
    fn counters_and_only_counters_end_in_total() {
        for def in ALL {
            assert_eq!(
                def.name.ends_with("_total"),
                def.kind == MetricKind::Counter,
                "{}: `_total` is for counters alone",
                def.name
            );
        }
    }

    #[test]
    fn units_appear_as_suffixes() {
        const UNIT_WORDS: [&str; 6] = ["seconds", "bytes", "percent", "usd", "ms", "milliseconds"];
        for def in ALL {
            let stem = def.name.strip_suffix("_total").unwrap_or(def.name);
            let last = stem.rsplit('_').next().unwrap_or_default();
            match def.unit.suffix() {
                Some(suffix) => assert_eq!(last, suffix, "{} must end in _{suffix}", def.name),
                None => assert!(
                    !UNIT_WORDS.contains(&last),
                    "{} ends in a unit word but declares no unit",
                    def.name
                ),
            }
        }
    }

    #[test]
    fn labels_are_valid_unique_and_not_reserved() {
        for def in ALL {
            let mut seen = HashSet::new();
            for label in def.labels {
                names::validate_label_name(label).expect("catalog label is valid");
                assert!(seen.insert(label), "{}: label {label} twice", def.name);
                assert!(
                    *label != "le" && *label != "quantile",
                    "{}: reserved {label}",
                    def.name
                );
            }
            assert!(
                !def.labels.contains(&"tool_name"),
                "{}: the label is `tool`",
                def.name
            );
        }
    }

    #[test]
    fn histograms_and_only_histograms_have_increasing_buckets() {
        for def in ALL {
            if def.kind == MetricKind::Histogram {
                assert!(!def.buckets.is_empty(), "{} has no buckets", def.name);
                assert!(
                    def.buckets.windows(2).all(|w| w[0] < w[1]),
                    "{} buckets must increase",
                    def.name
                );
                assert!(def.buckets.iter().all(|b| b.is_finite() && *b > 0.0));
                assert!(
                    def.buckets.len() <= crate::stats::MAX_BUCKETS,
                    "{}",
                    def.name
                );
            } else {
                assert!(def.buckets.is_empty(), "{} is not a histogram", def.name);
            }
        }
    }

    #[test]
    fn every_entry_has_help_and_sources() {
        for def in ALL {
            assert!(def.help.len() > 10, "{} needs a help text", def.name);
            assert!(!def.help.contains('\n'), "{} help is one line", def.name);
            assert!(
                !def.sources.is_empty(),
                "{} must say where it comes from",
                def.name
            );
        }
    }

    #[test]
    fn source_tables_are_covered() {
        // A sample from every table of every source document.
        for name in [
            "victor_initialization_duration_seconds",
            "victor_vertical_usage_total",
            "victor_requests_per_user",
            "victor_self_improvement_loops_total",
            "victor_coding_refactoring_success_rate",
            "victor_rag_index_size_bytes",
            "victor_devops_containers_managed",
            "victor_dataanalysis_data_size_bytes",
            "victor_research_synthesis_duration_seconds",
            "victor_security_scan_duration_seconds",
            "victor_tool_selection_cache_utilization",
            "victor_bootstrap_phase_duration_seconds",
            "victor_provider_healthy",
            "victor_system_threads",
            "victor_system_open_fds",
            "victor_system_disk_free_bytes",
            "victor_llm_cost_usd",
            "victor_llm_tokens_total",
            "victor_coordinator_cpu_percent",
            "victor_active_connections",
            "victor_memory_limit_bytes",
        ] {
            assert!(find(name).is_some(), "{name} missing from the catalog");
        }
        assert!(find("victor_request_duration_ms").is_none());
        assert!(find("victor_total_requests").is_none());
    }

    #[test]
    fn seconds_histogram_buckets_hold_the_alert_thresholds() {
        // 001: request p95 > 10 s / 30 s; 002: tool p95 > 1 s / 5 s, selection p95 > 1 ms / 5 ms.
        assert!(REQUEST_DURATION_SECONDS.def().buckets.contains(&10.0));
        assert!(REQUEST_DURATION_SECONDS.def().buckets.contains(&30.0));
        assert!(TOOL_EXECUTION_DURATION_SECONDS.def().buckets.contains(&1.0));
        assert!(TOOL_EXECUTION_DURATION_SECONDS.def().buckets.contains(&5.0));
        assert!(
            TOOL_SELECTION_DURATION_SECONDS
                .def()
                .buckets
                .contains(&0.001)
        );
        assert!(
            TOOL_SELECTION_DURATION_SECONDS
                .def()
                .buckets
                .contains(&0.005)
        );
        assert!(PROVIDER_LATENCY_SECONDS.def().buckets.contains(&10.0));
    }
}
