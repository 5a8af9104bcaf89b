//! The typed recording API: one call per thing an agent does.
//!
//! [`VictorMetrics`] records through the `metrics` facade, so whatever recorder is installed (the
//! Prometheus one from [`crate::exposition`], a test recorder, or none) receives the values.
//! Install the recorder before the first record: handles are resolved on first use of a label set
//! and kept.
//!
//! ```
//! use std::time::Duration;
//! use victor_metrics_core::{AgentMode, ToolExecution, ToolStatus, VictorMetrics};
//!
//! let metrics = VictorMetrics::new();
//! metrics.record_tool_execution(&ToolExecution {
//!     tool: "read_file",
//!     vertical: "coding",
//!     mode: AgentMode::Build,
//!     status: ToolStatus::Success,
//!     duration: Duration::from_millis(45),
//!     error_type: None,
//! });
//! assert_eq!(metrics.summary().tools.total, 1);
//! ```

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use metrics::{Counter, Gauge, Histogram};

use crate::catalog::{self as cat, CounterDef, GaugeDef, HistogramDef, MetricDef, MetricKind};
use crate::custom::CustomMetrics;
use crate::series::{
    DEFAULT_CARDINALITY_LIMIT, SeriesCache, register_counter, register_gauge, register_histogram,
};
use crate::stats::{BucketCounts, HistogramSnapshot, Tally, Window};
use crate::summary::{
    BootstrapView, Breakdown, CacheBreakdown, CacheSummary, LatencySummary, LlmSummary,
    OutcomeSummary, SelectionFill, Summary, WindowFigures,
};

/// How a tool execution ended (`001`: success, failure, timeout).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ToolStatus {
    /// The tool did what was asked.
    Success,
    /// The tool failed.
    Failure,
    /// The tool ran out of time.
    Timeout,
}

impl ToolStatus {
    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            ToolStatus::Success => "success",
            ToolStatus::Failure => "failure",
            ToolStatus::Timeout => "timeout",
        }
    }
}

/// The agent's mode (`001`: build, plan, explore).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AgentMode {
    /// Making changes.
    Build,
    /// Planning without changes.
    Plan,
    /// Reading and exploring.
    Explore,
}

impl AgentMode {
    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            AgentMode::Build => "build",
            AgentMode::Plan => "plan",
            AgentMode::Explore => "explore",
        }
    }
}

/// The GenAI operation of an LLM call (OpenTelemetry `gen_ai.operation.name`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LlmOperation {
    /// A chat completion.
    Chat,
    /// A plain text completion.
    TextCompletion,
    /// An embeddings request.
    Embeddings,
}

impl LlmOperation {
    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            LlmOperation::Chat => "chat",
            LlmOperation::TextCompletion => "text_completion",
            LlmOperation::Embeddings => "embeddings",
        }
    }
}

/// One handled request, for [`VictorMetrics::record_request`].
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The route template (`/chat`, `/api/tools/{name}`), never the raw path.
    pub endpoint: &'a str,
    /// The HTTP method.
    pub method: &'a str,
    /// The HTTP status code sent.
    pub status: u16,
    /// Time from receipt to the last byte.
    pub duration: Duration,
    /// Why it failed, if it did. A 5xx without one counts as `server_error`.
    pub error_type: Option<&'a str>,
}

impl Request<'_> {
    /// A request is an error when it answered 5xx or named an error type; 4xx are the client's.
    pub fn is_error(&self) -> bool {
        self.status >= 500 || self.error_type.is_some()
    }
}

/// One tool execution, for [`VictorMetrics::record_tool_execution`].
#[derive(Clone, Copy, Debug)]
pub struct ToolExecution<'a> {
    /// The tool's name (`read_file`).
    pub tool: &'a str,
    /// The vertical that ran it (`coding`, `rag`, `devops`, `dataanalysis`, `research`).
    pub vertical: &'a str,
    /// The agent's mode.
    pub mode: AgentMode,
    /// How it ended.
    pub status: ToolStatus,
    /// How long it ran.
    pub duration: Duration,
    /// Why it failed; defaults to the status when it did not succeed.
    pub error_type: Option<&'a str>,
}

/// One LLM call, for [`VictorMetrics::record_llm_call`].
#[derive(Clone, Copy, Debug)]
pub struct LlmCall<'a> {
    /// The provider (`anthropic`, `openai`).
    pub provider: &'a str,
    /// The requested model.
    pub model: &'a str,
    /// The GenAI operation.
    pub operation: LlmOperation,
    /// Prompt (input) tokens.
    pub prompt_tokens: u64,
    /// Completion (output) tokens.
    pub completion_tokens: u64,
    /// Estimated cost in US dollars.
    pub cost_usd: f64,
    /// Whether the response used tool calls.
    pub tool_calls: bool,
    /// Time to the full response.
    pub duration: Duration,
    /// Why it failed (`rate_limit`, `timeout`, ...), `None` on success.
    pub error_type: Option<&'a str>,
}

/// Something a vertical did, for [`VictorMetrics::record_vertical_activity`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum VerticalActivity {
    /// Coding: files analyzed.
    CodingFilesAnalyzed(u64),
    /// Coding: lines of code reviewed.
    CodingLinesReviewed(u64),
    /// Coding: issues found.
    CodingIssuesFound(u64),
    /// Coding: tests generated.
    CodingTestsGenerated(u64),
    /// Coding: current refactoring success ratio, 0 to 1.
    CodingRefactoringSuccessRate(f64),
    /// RAG: documents ingested.
    RagDocumentsIngested(u64),
    /// RAG: current search accuracy, 0 to 1.
    RagSearchAccuracy(f64),
    /// RAG: one retrieval and its latency.
    RagRetrieval(Duration),
    /// RAG: current index size in bytes.
    RagIndexSize(u64),
    /// DevOps: one deployment performed.
    DevOpsDeployment,
    /// DevOps: current deployment success ratio, 0 to 1.
    DevOpsDeploymentSuccessRate(f64),
    /// DevOps: containers under management now.
    DevOpsContainersManaged(u64),
    /// DevOps: one CI pipeline executed.
    DevOpsCiPipelineExecuted,
    /// Data analysis: one query and its duration.
    DataAnalysisQuery(Duration),
    /// Data analysis: one visualization created.
    DataAnalysisVisualization,
    /// Data analysis: size in bytes of a data set analyzed.
    DataAnalysisDataSize(u64),
    /// Research: one search performed.
    ResearchSearch,
    /// Research: citations generated.
    ResearchCitations(u64),
    /// Research: sources analyzed.
    ResearchSourcesAnalyzed(u64),
    /// Research: one synthesis and its duration.
    ResearchSynthesis(Duration),
}

/// A security signal, for [`VictorMetrics::record_security`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SecuritySignal<'a> {
    /// Current authorization success ratio, 0 to 1.
    AuthorizationSuccessRate(f64),
    /// One failed authorization.
    FailedAuthorization,
    /// Current security test pass ratio, 0 to 1.
    TestPassRate(f64),
    /// One vulnerability found, with its severity.
    VulnerabilityFound {
        /// `low`, `medium`, `high`, `critical`.
        severity: &'a str,
    },
    /// One security scan and its duration.
    Scan(Duration),
}

/// Process and host figures, for [`VictorMetrics::record_system`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SystemSample {
    /// Process CPU, percent of one core.
    pub process_cpu_percent: f64,
    /// Host CPU, percent of all cores.
    pub host_cpu_percent: f64,
    /// Resident set size in bytes.
    pub rss_bytes: u64,
    /// Virtual memory size in bytes.
    pub virtual_bytes: u64,
    /// The memory the process may use (cgroup limit, else host memory).
    pub memory_limit_bytes: u64,
    /// The host's memory: total and available bytes, when known.
    pub host_memory: Option<(u64, u64)>,
    /// Threads in the process.
    pub threads: u64,
    /// Open file descriptors.
    pub open_fds: u64,
    /// File descriptor limit.
    pub max_fds: u64,
    /// Time since the process started.
    pub uptime: Duration,
    /// Path whose file system is watched, with its free and total bytes.
    pub disk: Option<(String, u64, u64)>,
    /// Open client connections.
    pub active_connections: u64,
}

/// Builds a [`VictorMetrics`] with non-default limits.
#[derive(Clone, Debug)]
#[must_use]
pub struct VictorMetricsBuilder {
    cardinality_limit: usize,
    window: Duration,
}

impl Default for VictorMetricsBuilder {
    fn default() -> Self {
        VictorMetricsBuilder {
            cardinality_limit: DEFAULT_CARDINALITY_LIMIT,
            window: Duration::from_secs(300),
        }
    }
}

impl VictorMetricsBuilder {
    /// Label sets each metric may hold before further ones fold into its overflow series
    /// (default 10 000; at least 1).
    pub fn cardinality_limit(mut self, limit: usize) -> Self {
        self.cardinality_limit = limit.max(1);
        self
    }

    /// The span of the sliding window behind the ratio gauges (default 5 minutes).
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Creates the recorder-facing state. Nothing is registered until first use.
    pub fn build(self) -> VictorMetrics {
        let limit = self.cardinality_limit;
        let started = Instant::now();
        let generic = cat::ALL
            .iter()
            .map(|def| match def.kind() {
                MetricKind::Counter => Generic::Counter(SeriesCache::new(def.name(), limit)),
                MetricKind::Gauge => Generic::Gauge(SeriesCache::new(def.name(), limit)),
                MetricKind::Histogram => Generic::Histogram(SeriesCache::new(def.name(), limit)),
            })
            .collect();
        VictorMetrics {
            inner: Arc::new(Inner {
                started,
                requests: SeriesCache::new(cat::REQUESTS_TOTAL.def().name(), limit),
                request_errors: SeriesCache::new(cat::REQUEST_ERRORS_TOTAL.def().name(), limit),
                llm: SeriesCache::new(cat::LLM_REQUESTS_TOTAL.def().name(), limit),
                llm_errors: SeriesCache::new(cat::LLM_ERRORS_TOTAL.def().name(), limit),
                tools: SeriesCache::new(cat::TOOL_EXECUTIONS_TOTAL.def().name(), limit),
                tool_errors: SeriesCache::new(cat::TOOL_ERRORS_TOTAL.def().name(), limit),
                caches: HitMissFamily {
                    series: SeriesCache::new(cat::CACHE_HITS_TOTAL.def().name(), limit),
                    hits: &cat::CACHE_HITS_TOTAL,
                    misses: &cat::CACHE_MISSES_TOTAL,
                    evictions: &cat::CACHE_EVICTIONS_TOTAL,
                    hit_rate: &cat::CACHE_HIT_RATE,
                },
                selection: HitMissFamily {
                    series: SeriesCache::new(
                        cat::TOOL_SELECTION_CACHE_HITS_TOTAL.def().name(),
                        limit,
                    ),
                    hits: &cat::TOOL_SELECTION_CACHE_HITS_TOTAL,
                    misses: &cat::TOOL_SELECTION_CACHE_MISSES_TOTAL,
                    evictions: &cat::TOOL_SELECTION_CACHE_EVICTIONS_TOTAL,
                    hit_rate: &cat::TOOL_SELECTION_CACHE_HIT_RATE,
                },
                generic,
                custom: CustomMetrics::new(limit),
                views: Mutex::default(),
                windows: Mutex::new(Windows {
                    latency: VecDeque::from([(
                        started,
                        HistogramSnapshot::empty(cat::REQUEST_DURATION_SECONDS.def().buckets()),
                    )]),
                    span: self.window,
                    figures: WindowFigures::default(),
                    requests: Window::new(self.window, started),
                    tools: Window::new(self.window, started),
                    providers: Window::new(self.window, started),
                    caches: Window::new(self.window, started),
                    selection: Window::new(self.window, started),
                }),
            }),
        }
    }
}

/// The typed recording API. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct VictorMetrics {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for VictorMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VictorMetrics")
            .field("uptime", &self.inner.started.elapsed())
            .finish_non_exhaustive()
    }
}

impl Default for VictorMetrics {
    fn default() -> Self {
        VictorMetrics::new()
    }
}

struct Inner {
    started: Instant,
    requests: SeriesCache<RequestSeries>,
    request_errors: SeriesCache<Counter>,
    llm: SeriesCache<LlmSeries>,
    llm_errors: SeriesCache<Counter>,
    tools: SeriesCache<ToolSeries>,
    tool_errors: SeriesCache<Counter>,
    caches: HitMissFamily,
    selection: HitMissFamily,
    /// One cache per catalog entry, indexed by [`MetricDef::index`], for the long tail.
    generic: Box<[Generic]>,
    custom: CustomMetrics,
    windows: Mutex<Windows>,
    /// Values the JSON views read back (set rarely: start-up, pool health, cache fill).
    views: Mutex<Views>,
}

#[derive(Default)]
struct Views {
    bootstrap: BootstrapView,
    provider_health: BTreeMap<String, bool>,
    selection_fill: BTreeMap<String, SelectionFill>,
}

enum Generic {
    Counter(SeriesCache<CounterSeries>),
    Gauge(SeriesCache<Gauge>),
    Histogram(SeriesCache<Histogram>),
}

/// One label set of a catalog counter: the exporter's counter, and the increments made through
/// [`CounterHandle`]s since the last [`VictorMetrics::refresh`].
struct CounterSeries {
    exporter: Counter,
    pending: Arc<AtomicU64>,
}

impl CounterSeries {
    fn register(def: &'static MetricDef, labels: &[&str]) -> Self {
        CounterSeries {
            exporter: register_counter(def, labels),
            pending: Arc::default(),
        }
    }

    /// Moves the handles' increments into the exporter's counter.
    fn flush(&self) {
        // A load first: most series have no handle, and a load is far cheaper than a swap.
        if self.pending.load(Ordering::Relaxed) != 0 {
            self.exporter
                .increment(self.pending.swap(0, Ordering::Relaxed));
        }
    }
}

/// A pre-resolved handle on one series of a catalog counter, for hot paths; take it with
/// [`VictorMetrics::counter`].
///
/// An increment is a single relaxed `fetch_add` on an atomic the handle shares with its series:
/// no lock, no allocation, no lookup. The exporter's counter catches up in
/// [`VictorMetrics::refresh`], which the exporter runs before every render, so a scrape sees
/// every increment made before it. (The exporter's own counters cost two atomic operations per
/// increment, value and generation; the handle pays one.) Handles for one series share one
/// buffer, so taking a handle per call is wasteful but never unbounded.
///
/// ```
/// use victor_metrics_core::{VictorMetrics, catalog};
///
/// let metrics = VictorMetrics::new();
/// let searches = metrics.counter(&catalog::FEATURE_USAGE_TOTAL, ["semantic_search"]);
/// searches.increment(1);
/// metrics.refresh(); // the exporter does this before every render
/// ```
#[derive(Clone, Debug)]
pub struct CounterHandle {
    pending: Arc<AtomicU64>,
}

impl CounterHandle {
    /// Adds `by` to the counter.
    #[inline]
    pub fn increment(&self, by: u64) {
        self.pending.fetch_add(by, Ordering::Relaxed);
    }
}

struct Windows {
    /// Request latency snapshots across the span, oldest first (the first is the base).
    latency: VecDeque<(Instant, HistogramSnapshot)>,
    span: Duration,
    /// What the last refresh computed.
    figures: WindowFigures,
    requests: Window<()>,
    tools: Window<(Box<str>, Box<str>)>,
    providers: Window<(Box<str>, Box<str>)>,
    caches: Window<Box<str>>,
    selection: Window<Box<str>>,
}

/// Latency buckets and error count of one series. Kept per series, so recording threads do not
/// contend on shared cache lines; the summary and the windows sum them over the series.
struct SeriesStats {
    durations: BucketCounts,
    errors: AtomicU64,
}

impl SeriesStats {
    fn new(histogram: &'static MetricDef) -> Self {
        SeriesStats {
            durations: BucketCounts::new(histogram.buckets()),
            errors: AtomicU64::new(0),
        }
    }

    #[inline]
    fn record(&self, error: bool, seconds: f64) {
        self.durations.observe(seconds);
        if error {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn tally(&self) -> Tally {
        let total = self.durations.count();
        let errors = self.errors.load(Ordering::Relaxed);
        Tally {
            good: total.saturating_sub(errors),
            total,
        }
    }
}

/// The per-series stats of one family, summed.
struct Totals {
    durations: HistogramSnapshot,
    errors: u64,
}

impl Totals {
    fn new(histogram: &'static MetricDef) -> Self {
        Totals {
            durations: HistogramSnapshot::empty(histogram.buckets()),
            errors: 0,
        }
    }

    fn add(&mut self, stats: &SeriesStats) {
        self.durations.merge(&stats.durations.snapshot());
        self.errors += stats.errors.load(Ordering::Relaxed);
    }

    fn tally(&self) -> Tally {
        let total = self.durations.count();
        Tally {
            good: total.saturating_sub(self.errors),
            total,
        }
    }

    fn summary(&self) -> OutcomeSummary {
        OutcomeSummary::new(self.tally(), &self.durations)
    }
}

struct RequestSeries {
    total: Counter,
    duration: Histogram,
    stats: SeriesStats,
}

struct ToolSeries {
    executions: Counter,
    duration: Histogram,
    stats: SeriesStats,
}

struct LlmSeries {
    requests: Counter,
    duration: Histogram,
    prompt_tokens: Counter,
    completion_tokens: Counter,
    cost: Histogram,
    provider_requests: Counter,
    provider_latency: Histogram,
    stats: SeriesStats,
    prompt_token_count: AtomicU64,
    completion_token_count: AtomicU64,
    cost_micro_usd: AtomicU64,
}

/// A cache-like family: hits, misses, evictions and a windowed hit ratio per name.
struct HitMissFamily {
    series: SeriesCache<HitMissSeries>,
    hits: &'static CounterDef<1>,
    misses: &'static CounterDef<1>,
    evictions: &'static CounterDef<1>,
    hit_rate: &'static GaugeDef<1>,
}

struct HitMissSeries {
    hits: Counter,
    misses: Counter,
    evictions: Counter,
    hit_count: AtomicU64,
    miss_count: AtomicU64,
    eviction_count: AtomicU64,
    /// Lookup latency, for the tool-selection family (unused by named caches).
    durations: BucketCounts,
}

impl HitMissSeries {
    fn count(&self, hit: bool) {
        if hit {
            self.hits.increment(1);
            self.hit_count.fetch_add(1, Ordering::Relaxed);
        } else {
            self.misses.increment(1);
            self.miss_count.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Keeps a gauge incremented while alive; see [`VictorMetrics::track_request`].
#[must_use = "the gauge goes back down when this is dropped"]
#[derive(Debug)]
pub struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

/// HTTP status codes as label values, made once.
fn status_label(status: u16) -> &'static str {
    static LABELS: OnceLock<Box<[Box<str>]>> = OnceLock::new();
    let labels = LABELS.get_or_init(|| (100..=599).map(|code| code.to_string().into()).collect());
    match status {
        100..=599 => &labels[usize::from(status - 100)],
        _ => "other",
    }
}

const fn bool_label(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

impl VictorMetrics {
    /// A recorder-facing state with default limits (10 000 series per metric, 5-minute window).
    pub fn new() -> Self {
        VictorMetricsBuilder::default().build()
    }

    /// A builder for non-default limits.
    pub fn builder() -> VictorMetricsBuilder {
        VictorMetricsBuilder::default()
    }

    /// Records one handled request: `victor_requests_total`, `victor_request_duration_seconds`,
    /// and on error `victor_request_errors_total`.
    #[inline]
    pub fn record_request(&self, request: &Request<'_>) {
        let inner = &*self.inner;
        let seconds = request.duration.as_secs_f64();
        let status = status_label(request.status);
        let labels = [request.endpoint, request.method, status];
        let error = request.is_error();
        inner.requests.with(
            &labels,
            |labels| RequestSeries {
                total: register_counter(cat::REQUESTS_TOTAL.def(), labels),
                duration: register_histogram(cat::REQUEST_DURATION_SECONDS.def(), labels),
                stats: SeriesStats::new(cat::REQUEST_DURATION_SECONDS.def()),
            },
            |series| {
                series.total.increment(1);
                series.duration.record(seconds);
                series.stats.record(error, seconds);
            },
        );
        if error {
            let error_type = request.error_type.unwrap_or("server_error");
            let labels = [request.endpoint, request.method, status, error_type];
            inner.request_errors.with(
                &labels,
                |labels| register_counter(cat::REQUEST_ERRORS_TOTAL.def(), labels),
                |errors| errors.increment(1),
            );
        }
    }

    /// Counts a request in flight on `victor_active_requests` until the guard drops.
    pub fn track_request(&self, endpoint: &str, method: &str) -> InFlight {
        let gauge = self.gauge(&cat::ACTIVE_REQUESTS, [endpoint, method]);
        gauge.increment(1.0);
        InFlight(gauge)
    }

    /// Records one chat request end to end (`victor_chat_request_duration_seconds`).
    pub fn record_chat_request(&self, provider: &str, duration: Duration) {
        self.observe(
            &cat::CHAT_REQUEST_DURATION_SECONDS,
            [provider],
            duration.as_secs_f64(),
        );
    }

    /// Records one tool execution: `victor_tool_executions_total`,
    /// `victor_tool_execution_duration_seconds`, and on failure `victor_tool_errors_total`.
    #[inline]
    pub fn record_tool_execution(&self, execution: &ToolExecution<'_>) {
        let inner = &*self.inner;
        let seconds = execution.duration.as_secs_f64();
        let success = execution.status == ToolStatus::Success;
        let labels = [
            execution.tool,
            execution.vertical,
            execution.mode.as_str(),
            execution.status.as_str(),
        ];
        inner.tools.with(
            &labels,
            |labels| {
                let [tool, vertical, mode, status] = [labels[0], labels[1], labels[2], labels[3]];
                ToolSeries {
                    executions: register_counter(
                        cat::TOOL_EXECUTIONS_TOTAL.def(),
                        &[tool, vertical, status, mode],
                    ),
                    duration: register_histogram(
                        cat::TOOL_EXECUTION_DURATION_SECONDS.def(),
                        &[tool, vertical, status],
                    ),
                    stats: SeriesStats::new(cat::TOOL_EXECUTION_DURATION_SECONDS.def()),
                }
            },
            |series| {
                series.executions.increment(1);
                series.duration.record(seconds);
                series.stats.record(!success, seconds);
            },
        );
        if !success {
            let error_type = execution.error_type.unwrap_or(execution.status.as_str());
            inner.tool_errors.with(
                &[execution.tool, error_type],
                |labels| register_counter(cat::TOOL_ERRORS_TOTAL.def(), labels),
                |errors| errors.increment(1),
            );
        }
    }

    /// Counts a tool execution in flight on `victor_tool_active_executions` until the guard drops.
    pub fn track_tool(&self, tool: &str) -> InFlight {
        let gauge = self.gauge(&cat::TOOL_ACTIVE_EXECUTIONS, [tool]);
        gauge.increment(1.0);
        InFlight(gauge)
    }

    /// Records one LLM call: the `victor_llm_*` metrics (requests, duration, tokens, cost, errors)
    /// and the provider pool's `victor_provider_requests_total` and latency.
    pub fn record_llm_call(&self, call: &LlmCall<'_>) {
        let inner = &*self.inner;
        let seconds = call.duration.as_secs_f64();
        let success = call.error_type.is_none();
        let status = if success { "success" } else { "failure" };
        let labels = [
            call.provider,
            call.model,
            call.operation.as_str(),
            status,
            bool_label(call.tool_calls),
        ];
        inner.llm.with(
            &labels,
            |l| {
                let (provider, model, operation) = (l[0], l[1], l[2]);
                LlmSeries {
                    requests: register_counter(
                        cat::LLM_REQUESTS_TOTAL.def(),
                        &[provider, model, operation],
                    ),
                    duration: register_histogram(
                        cat::LLM_DURATION_SECONDS.def(),
                        &[provider, model, operation],
                    ),
                    prompt_tokens: register_counter(
                        cat::LLM_TOKENS_TOTAL.def(),
                        &[provider, model, "prompt"],
                    ),
                    completion_tokens: register_counter(
                        cat::LLM_TOKENS_TOTAL.def(),
                        &[provider, model, "completion"],
                    ),
                    cost: register_histogram(cat::LLM_COST_USD.def(), &[provider, model]),
                    provider_requests: register_counter(
                        cat::PROVIDER_REQUESTS_TOTAL.def(),
                        &[provider, model, l[3], l[4]],
                    ),
                    provider_latency: register_histogram(
                        cat::PROVIDER_LATENCY_SECONDS.def(),
                        &[provider, model],
                    ),
                    stats: SeriesStats::new(cat::LLM_DURATION_SECONDS.def()),
                    prompt_token_count: AtomicU64::new(0),
                    completion_token_count: AtomicU64::new(0),
                    cost_micro_usd: AtomicU64::new(0),
                }
            },
            |series| {
                series.requests.increment(1);
                series.duration.record(seconds);
                series.prompt_tokens.increment(call.prompt_tokens);
                series.completion_tokens.increment(call.completion_tokens);
                series.cost.record(call.cost_usd);
                series.provider_requests.increment(1);
                series.provider_latency.record(seconds);
                series.stats.record(!success, seconds);
                series
                    .prompt_token_count
                    .fetch_add(call.prompt_tokens, Ordering::Relaxed);
                series
                    .completion_token_count
                    .fetch_add(call.completion_tokens, Ordering::Relaxed);
                // Saturating cast: a negative or NaN cost counts as zero.
                let micro_usd = (call.cost_usd * 1e6) as u64;
                series
                    .cost_micro_usd
                    .fetch_add(micro_usd, Ordering::Relaxed);
            },
        );
        if let Some(error_type) = call.error_type {
            let labels = [
                call.provider,
                call.model,
                call.operation.as_str(),
                error_type,
            ];
            inner.llm_errors.with(
                &labels,
                |labels| register_counter(cat::LLM_ERRORS_TOTAL.def(), labels),
                |errors| errors.increment(1),
            );
        }
    }

    /// Sets whether the provider pool considers `provider` healthy (`victor_provider_healthy`).
    pub fn set_provider_health(&self, provider: &str, healthy: bool) {
        self.views()
            .provider_health
            .insert(provider.to_owned(), healthy);
        self.set(
            &cat::PROVIDER_HEALTHY,
            [provider],
            if healthy { 1.0 } else { 0.0 },
        );
    }

    /// Records a lookup in the named cache that was served from it.
    pub fn record_cache_hit(&self, cache: &str) {
        self.hit_miss(&self.inner.caches, cache, true);
    }

    /// Records a lookup in the named cache that was not.
    pub fn record_cache_miss(&self, cache: &str) {
        self.hit_miss(&self.inner.caches, cache, false);
    }

    /// Records `count` entries evicted from the named cache.
    pub fn record_cache_eviction(&self, cache: &str, count: u64) {
        self.with_hit_miss(&self.inner.caches, cache, |series| {
            series.evictions.increment(count);
            series.eviction_count.fetch_add(count, Ordering::Relaxed);
        });
    }

    /// Sets the memory held by the named cache (`victor_cache_size_bytes`).
    pub fn set_cache_size(&self, cache: &str, bytes: u64) {
        self.set(&cat::CACHE_SIZE_BYTES, [cache], bytes as f64);
    }

    /// Records one tool selection: its latency and whether the selection cache served it.
    pub fn record_tool_selection(&self, namespace: &str, duration: Duration, cache_hit: bool) {
        let seconds = duration.as_secs_f64();
        self.observe(&cat::TOOL_SELECTION_DURATION_SECONDS, [namespace], seconds);
        self.with_hit_miss(&self.inner.selection, namespace, |series| {
            series.count(cache_hit);
            series.durations.observe(seconds);
        });
    }

    /// Records `count` entries evicted from the tool-selection cache.
    pub fn record_tool_selection_eviction(&self, namespace: &str, count: u64) {
        self.with_hit_miss(&self.inner.selection, namespace, |series| {
            series.evictions.increment(count);
            series.eviction_count.fetch_add(count, Ordering::Relaxed);
        });
    }

    /// Sets the tool-selection cache's fill: entries, capacity (for utilization) and memory.
    pub fn set_tool_selection_cache(
        &self,
        namespace: &str,
        entries: u64,
        capacity: u64,
        memory_bytes: u64,
    ) {
        self.views().selection_fill.insert(
            namespace.to_owned(),
            SelectionFill {
                entries,
                capacity,
                utilization: (capacity > 0).then(|| entries as f64 / capacity as f64),
                memory_bytes,
            },
        );
        self.set(
            &cat::TOOL_SELECTION_CACHE_ENTRIES,
            [namespace],
            entries as f64,
        );
        let utilization = if capacity == 0 {
            0.0
        } else {
            entries as f64 / capacity as f64
        };
        self.set(
            &cat::TOOL_SELECTION_CACHE_UTILIZATION,
            [namespace],
            utilization,
        );
        self.set(
            &cat::TOOL_SELECTION_CACHE_MEMORY_BYTES,
            [namespace],
            memory_bytes as f64,
        );
    }

    /// Records one coordinator run and whether it failed.
    pub fn record_coordinator_run(&self, coordinator: &str, duration: Duration, success: bool) {
        self.increment(&cat::COORDINATOR_EXECUTIONS_TOTAL, [coordinator], 1);
        self.observe(
            &cat::COORDINATOR_DURATION_SECONDS,
            [coordinator],
            duration.as_secs_f64(),
        );
        if !success {
            self.increment(&cat::COORDINATOR_ERRORS_TOTAL, [coordinator], 1);
        }
    }

    /// Sets a coordinator's memory and CPU.
    pub fn set_coordinator_resources(
        &self,
        coordinator: &str,
        memory_bytes: u64,
        cpu_percent: f64,
    ) {
        self.set(
            &cat::COORDINATOR_MEMORY_BYTES,
            [coordinator],
            memory_bytes as f64,
        );
        self.set(&cat::COORDINATOR_CPU_PERCENT, [coordinator], cpu_percent);
    }

    /// Records a user session starting on an interface (`cli`, `tui`, `api`, `mcp`).
    pub fn record_session_started(&self, interface: &str) {
        self.increment(&cat::USER_SESSIONS_TOTAL, [interface], 1);
    }

    /// Records a user session ending: its duration and how many requests it made.
    pub fn record_session_ended(&self, interface: &str, duration: Duration, requests: u64) {
        self.observe(
            &cat::SESSION_DURATION_SECONDS,
            [interface],
            duration.as_secs_f64(),
        );
        self.observe(&cat::REQUESTS_PER_USER, [], requests as f64);
    }

    /// Sets the users active now on an interface.
    pub fn set_active_users(&self, interface: &str, users: u64) {
        self.set(&cat::ACTIVE_USERS, [interface], users as f64);
    }

    /// Records an agent task finishing (`victor_tasks_total{status="completed"|"failed"}`).
    pub fn record_task(&self, completed: bool) {
        let status = if completed { "completed" } else { "failed" };
        self.increment(&cat::TASKS_TOTAL, [status], 1);
    }

    /// Records a workflow execution with its status.
    pub fn record_workflow_execution(&self, workflow: &str, status: &str) {
        self.increment(&cat::WORKFLOW_EXECUTIONS_TOTAL, [workflow, status], 1);
    }

    /// Records one use of a feature.
    pub fn record_feature_usage(&self, feature: &str) {
        self.increment(&cat::FEATURE_USAGE_TOTAL, [feature], 1);
    }

    /// Records one use of a vertical in a mode.
    pub fn record_vertical_usage(&self, vertical: &str, mode: AgentMode) {
        self.increment(&cat::VERTICAL_USAGE_TOTAL, [vertical, mode.as_str()], 1);
    }

    /// Sets the planning success ratio of a vertical, 0 to 1.
    pub fn set_planning_success_rate(&self, vertical: &str, ratio: f64) {
        self.set(&cat::PLANNING_SUCCESS_RATE, [vertical], ratio);
    }

    /// Sets the recall accuracy of a memory type, 0 to 1.
    pub fn set_memory_recall_accuracy(&self, memory_type: &str, ratio: f64) {
        self.set(&cat::MEMORY_RECALL_ACCURACY, [memory_type], ratio);
    }

    /// Records a skill discovered.
    pub fn record_skill_discovered(&self, skill_type: &str) {
        self.increment(&cat::SKILL_DISCOVERY_TOTAL, [skill_type], 1);
    }

    /// Sets the proficiency score of a skill, 0 to 1.
    pub fn set_proficiency_score(&self, skill: &str, score: f64) {
        self.set(&cat::PROFICIENCY_SCORE, [skill], score);
    }

    /// Records a self-improvement loop and its outcome.
    pub fn record_self_improvement_loop(&self, outcome: &str) {
        self.increment(&cat::SELF_IMPROVEMENT_LOOPS_TOTAL, [outcome], 1);
    }

    /// Records an agent memory operation (`store`, `recall`, ...) and its status.
    pub fn record_memory_operation(&self, operation: &str, status: &str) {
        self.increment(&cat::MEMORY_OPERATIONS_TOTAL, [operation, status], 1);
    }

    /// Records something a vertical did.
    pub fn record_vertical_activity(&self, activity: VerticalActivity) {
        use VerticalActivity as A;
        match activity {
            A::CodingFilesAnalyzed(n) => self.increment(&cat::CODING_FILES_ANALYZED_TOTAL, [], n),
            A::CodingLinesReviewed(n) => self.increment(&cat::CODING_LOC_REVIEWED_TOTAL, [], n),
            A::CodingIssuesFound(n) => self.increment(&cat::CODING_ISSUES_FOUND_TOTAL, [], n),
            A::CodingTestsGenerated(n) => self.increment(&cat::CODING_TESTS_GENERATED_TOTAL, [], n),
            A::CodingRefactoringSuccessRate(r) => {
                self.set(&cat::CODING_REFACTORING_SUCCESS_RATE, [], r);
            }
            A::RagDocumentsIngested(n) => self.increment(&cat::RAG_DOCUMENTS_INGESTED_TOTAL, [], n),
            A::RagSearchAccuracy(r) => self.set(&cat::RAG_SEARCH_ACCURACY, [], r),
            A::RagRetrieval(d) => {
                self.observe(&cat::RAG_RETRIEVAL_LATENCY_SECONDS, [], d.as_secs_f64());
            }
            A::RagIndexSize(bytes) => self.set(&cat::RAG_INDEX_SIZE_BYTES, [], bytes as f64),
            A::DevOpsDeployment => self.increment(&cat::DEVOPS_DEPLOYMENTS_TOTAL, [], 1),
            A::DevOpsDeploymentSuccessRate(r) => {
                self.set(&cat::DEVOPS_DEPLOYMENT_SUCCESS_RATE, [], r);
            }
            A::DevOpsContainersManaged(n) => {
                self.set(&cat::DEVOPS_CONTAINERS_MANAGED, [], n as f64);
            }
            A::DevOpsCiPipelineExecuted => {
                self.increment(&cat::DEVOPS_CI_PIPELINES_EXECUTED_TOTAL, [], 1)
            }
            A::DataAnalysisQuery(d) => {
                self.increment(&cat::DATAANALYSIS_QUERIES_TOTAL, [], 1);
                self.observe(
                    &cat::DATAANALYSIS_QUERY_DURATION_SECONDS,
                    [],
                    d.as_secs_f64(),
                );
            }
            A::DataAnalysisVisualization => {
                self.increment(&cat::DATAANALYSIS_VISUALIZATIONS_TOTAL, [], 1)
            }
            A::DataAnalysisDataSize(bytes) => {
                self.observe(&cat::DATAANALYSIS_DATA_SIZE_BYTES, [], bytes as f64);
            }
            A::ResearchSearch => self.increment(&cat::RESEARCH_SEARCHES_TOTAL, [], 1),
            A::ResearchCitations(n) => {
                self.increment(&cat::RESEARCH_CITATIONS_GENERATED_TOTAL, [], n)
            }
            A::ResearchSourcesAnalyzed(n) => {
                self.increment(&cat::RESEARCH_SOURCES_ANALYZED_TOTAL, [], n)
            }
            A::ResearchSynthesis(d) => {
                self.observe(
                    &cat::RESEARCH_SYNTHESIS_DURATION_SECONDS,
                    [],
                    d.as_secs_f64(),
                );
            }
        }
    }

    /// Records a security signal.
    pub fn record_security(&self, signal: SecuritySignal<'_>) {
        match signal {
            SecuritySignal::AuthorizationSuccessRate(r) => {
                self.set(&cat::SECURITY_AUTHORIZATION_SUCCESS_RATE, [], r);
            }
            SecuritySignal::FailedAuthorization => {
                self.increment(&cat::SECURITY_FAILED_AUTHORIZATIONS_TOTAL, [], 1);
            }
            SecuritySignal::TestPassRate(r) => self.set(&cat::SECURITY_TEST_PASS_RATE, [], r),
            SecuritySignal::VulnerabilityFound { severity } => {
                self.increment(&cat::SECURITY_VULNERABILITIES_FOUND_TOTAL, [severity], 1);
            }
            SecuritySignal::Scan(d) => {
                self.observe(&cat::SECURITY_SCAN_DURATION_SECONDS, [], d.as_secs_f64());
            }
        }
    }

    /// Records how long the system took to initialize.
    pub fn record_initialization(&self, duration: Duration) {
        self.views().bootstrap.initialization_seconds = Some(duration.as_secs_f64());
        self.observe(
            &cat::INITIALIZATION_DURATION_SECONDS,
            [],
            duration.as_secs_f64(),
        );
    }

    /// Sets how long the last start-up spent in a bootstrap phase.
    pub fn set_bootstrap_phase(&self, phase: &str, duration: Duration) {
        self.views()
            .bootstrap
            .phases
            .insert(phase.to_owned(), duration.as_secs_f64());
        self.set(
            &cat::BOOTSTRAP_PHASE_DURATION_SECONDS,
            [phase],
            duration.as_secs_f64(),
        );
    }

    /// Records a component loaded lazily after start-up.
    pub fn record_lazy_load(&self, component: &str) {
        *self
            .views()
            .bootstrap
            .lazy_loads
            .entry(component.to_owned())
            .or_default() += 1;
        self.increment(&cat::BOOTSTRAP_LAZY_LOADS_TOTAL, [component], 1);
    }

    /// Sets the memory attributed to a component (`process` for the whole process).
    pub fn set_memory_usage(&self, component: &str, bytes: u64) {
        self.set(&cat::MEMORY_USAGE_BYTES, [component], bytes as f64);
    }

    /// Sets every system gauge from one sample (also `victor_memory_usage_bytes{component="process"}`).
    pub fn record_system(&self, sample: &SystemSample) {
        self.set(&cat::CPU_USAGE_PERCENT, [], sample.process_cpu_percent);
        self.set(&cat::SYSTEM_CPU_PERCENT, [], sample.host_cpu_percent);
        self.set(&cat::SYSTEM_MEMORY_BYTES, ["rss"], sample.rss_bytes as f64);
        self.set(
            &cat::SYSTEM_MEMORY_BYTES,
            ["vms"],
            sample.virtual_bytes as f64,
        );
        self.set_memory_usage("process", sample.rss_bytes);
        if let Some((total, available)) = sample.host_memory {
            self.set(&cat::SYSTEM_MEMORY_BYTES, ["host_total"], total as f64);
            self.set(
                &cat::SYSTEM_MEMORY_BYTES,
                ["host_available"],
                available as f64,
            );
        }
        self.set(
            &cat::MEMORY_LIMIT_BYTES,
            [],
            sample.memory_limit_bytes as f64,
        );
        self.set(&cat::SYSTEM_THREADS, [], sample.threads as f64);
        self.set(&cat::SYSTEM_OPEN_FDS, [], sample.open_fds as f64);
        self.set(&cat::SYSTEM_MAX_FDS, [], sample.max_fds as f64);
        self.set(&cat::SYSTEM_UPTIME_SECONDS, [], sample.uptime.as_secs_f64());
        if let Some((path, free, total)) = &sample.disk {
            self.set(&cat::SYSTEM_DISK_FREE_BYTES, [path], *free as f64);
            self.set(&cat::SYSTEM_DISK_TOTAL_BYTES, [path], *total as f64);
        }
        self.set(
            &cat::ACTIVE_CONNECTIONS,
            [],
            sample.active_connections as f64,
        );
    }

    /// Sets the performance health score, 0 to 100.
    pub fn set_health_score(&self, score: f64) {
        self.set(&cat::PERFORMANCE_HEALTH_SCORE, [], score);
    }

    /// Records one run of a health check of `probe` (`liveness`, `readiness`, `startup`): its
    /// duration, and a failure when it did not pass (failed, timed out or panicked).
    pub fn record_health_check(&self, probe: &str, check: &str, duration: Duration, passed: bool) {
        self.observe(
            &cat::HEALTH_CHECK_DURATION_SECONDS,
            [probe, check],
            duration.as_secs_f64(),
        );
        // Touch the failure counter on success too, so `rate()` has a series from the start.
        let failures = u64::from(!passed);
        self.increment(&cat::HEALTH_CHECK_FAILURES_TOTAL, [probe, check], failures);
    }

    /// Publishes whether `probe` last answered healthy (1) or not (0).
    pub fn set_health_status(&self, probe: &str, healthy: bool) {
        self.set(&cat::HEALTH_STATUS, [probe], f64::from(u8::from(healthy)));
    }

    /// Publishes `victor_build_info{version}` = 1.
    pub fn set_build_info(&self, version: &str) {
        self.set(&cat::BUILD_INFO, [version], 1.0);
    }

    /// A pre-resolved counter handle for a catalog counter and its label values. Keep it for
    /// hot paths: incrementing takes no lock and allocates nothing.
    ///
    /// Request, tool, LLM and cache counters feed the summary only through their typed calls
    /// (`record_request`, ...), not through handles taken here.
    pub fn counter<const N: usize>(
        &self,
        def: &'static CounterDef<N>,
        labels: [&str; N],
    ) -> CounterHandle {
        self.with_counter(def, labels, |series| CounterHandle {
            pending: Arc::clone(&series.pending),
        })
    }

    /// A pre-resolved gauge handle for a catalog gauge and its label values.
    pub fn gauge<const N: usize>(&self, def: &'static GaugeDef<N>, labels: [&str; N]) -> Gauge {
        self.with_gauge(def, labels, Gauge::clone)
    }

    /// A pre-resolved histogram handle for a catalog histogram and its label values.
    pub fn histogram<const N: usize>(
        &self,
        def: &'static HistogramDef<N>,
        labels: [&str; N],
    ) -> Histogram {
        self.with_histogram(def, labels, Histogram::clone)
    }

    /// Runs `f` on the counter for these labels without cloning the handle.
    fn with_counter<const N: usize, R>(
        &self,
        def: &'static CounterDef<N>,
        labels: [&str; N],
        f: impl FnOnce(&CounterSeries) -> R,
    ) -> R {
        match &self.inner.generic[def.def().index()] {
            Generic::Counter(cache) => cache.with(
                &labels,
                |labels| CounterSeries::register(def.def(), labels),
                f,
            ),
            // The catalog's typed statics make a kind mismatch unrepresentable.
            _ => unreachable!("{} is a counter", def.def().name()),
        }
    }

    /// Runs `f` on the gauge for these labels without cloning the handle.
    fn with_gauge<const N: usize, R>(
        &self,
        def: &'static GaugeDef<N>,
        labels: [&str; N],
        f: impl FnOnce(&Gauge) -> R,
    ) -> R {
        match &self.inner.generic[def.def().index()] {
            Generic::Gauge(cache) => {
                cache.with(&labels, |labels| register_gauge(def.def(), labels), f)
            }
            _ => f(&Gauge::noop()),
        }
    }

    /// Runs `f` on the histogram for these labels without cloning the handle.
    fn with_histogram<const N: usize, R>(
        &self,
        def: &'static HistogramDef<N>,
        labels: [&str; N],
        f: impl FnOnce(&Histogram) -> R,
    ) -> R {
        match &self.inner.generic[def.def().index()] {
            Generic::Histogram(cache) => {
                cache.with(&labels, |labels| register_histogram(def.def(), labels), f)
            }
            _ => f(&Histogram::noop()),
        }
    }

    fn increment<const N: usize>(&self, def: &'static CounterDef<N>, labels: [&str; N], by: u64) {
        self.with_counter(def, labels, |series| series.exporter.increment(by));
    }

    fn set<const N: usize>(&self, def: &'static GaugeDef<N>, labels: [&str; N], value: f64) {
        self.with_gauge(def, labels, |gauge| gauge.set(value));
    }

    fn observe<const N: usize>(
        &self,
        def: &'static HistogramDef<N>,
        labels: [&str; N],
        value: f64,
    ) {
        self.with_histogram(def, labels, |histogram| histogram.record(value));
    }

    /// Metrics registered at run time, outside the catalog.
    pub fn custom(&self) -> &CustomMetrics {
        &self.inner.custom
    }

    fn with_hit_miss(&self, family: &HitMissFamily, name: &str, f: impl FnOnce(&HitMissSeries)) {
        family.series.with(
            &[name],
            |labels| HitMissSeries {
                hits: register_counter(family.hits.def(), labels),
                misses: register_counter(family.misses.def(), labels),
                evictions: register_counter(family.evictions.def(), labels),
                hit_count: AtomicU64::new(0),
                miss_count: AtomicU64::new(0),
                eviction_count: AtomicU64::new(0),
                durations: BucketCounts::new(cat::TOOL_SELECTION_DURATION_SECONDS.def().buckets()),
            },
            f,
        );
    }

    fn hit_miss(&self, family: &HitMissFamily, name: &str, hit: bool) {
        self.with_hit_miss(family, name, |series| series.count(hit));
    }

    /// Brings the exposition up to date: moves [`CounterHandle`] increments into the exporter's
    /// counters and recomputes the sliding-window gauges (`victor_request_rate`,
    /// `victor_error_rate`, `victor_tool_success_rate`, `victor_provider_success_rate`,
    /// `victor_cache_hit_rate`, `victor_tool_selection_cache_hit_rate`). Call it before each
    /// render; the exporter does.
    pub fn refresh(&self) {
        for generic in &self.inner.generic {
            if let Generic::Counter(cache) = generic {
                cache.for_each_series(|series| series.flush());
            }
        }
        self.refresh_windows();
    }

    fn refresh_windows(&self) {
        let inner = &*self.inner;
        let now = Instant::now();
        let mut guard = inner.windows.lock().unwrap_or_else(PoisonError::into_inner);
        let windows = &mut *guard;

        let mut requests = Tally::default();
        inner
            .requests
            .for_each_series(|series| requests.add(series.stats.tally()));
        let errors = Tally {
            good: requests.total - requests.good,
            total: requests.total,
        };
        let mut figures = WindowFigures::default();
        for ((), change, seconds) in windows.requests.advance(now, HashMap::from([((), errors)])) {
            let rate = if seconds > 0.0 {
                change.total as f64 / seconds
            } else {
                0.0
            };
            self.set(&cat::REQUEST_RATE, [], rate);
            self.set(&cat::ERROR_RATE, [], change.ratio());
            figures.seconds = seconds;
            figures.requests = change.total;
            figures.request_error_ratio = change.ratio_or_none();
        }
        let mut latency = HistogramSnapshot::empty(cat::REQUEST_DURATION_SECONDS.def().buckets());
        inner
            .requests
            .for_each_series(|series| latency.merge(&series.stats.durations.snapshot()));
        figures.request_p95_seconds = windows.latency_p95(now, latency);

        let mut tools: HashMap<(Box<str>, Box<str>), Tally> = HashMap::new();
        inner.tools.for_each(|labels, series| {
            let tally = tools
                .entry((labels[0].into(), labels[1].into()))
                .or_default();
            tally.add(series.stats.tally());
        });
        let mut all_tools = Tally::default();
        for ((tool, vertical), change, _) in windows.tools.advance(now, tools) {
            self.set(&cat::TOOL_SUCCESS_RATE, [&tool, &vertical], change.ratio());
            all_tools.add(change);
        }
        figures.tool_failure_ratio = all_tools.ratio_or_none().map(|ok| 1.0 - ok);

        let mut providers: HashMap<(Box<str>, Box<str>), Tally> = HashMap::new();
        inner.llm.for_each(|labels, series| {
            let tally = providers
                .entry((labels[0].into(), labels[1].into()))
                .or_default();
            tally.add(series.stats.tally());
        });
        for ((provider, model), change, _) in windows.providers.advance(now, providers) {
            self.set(
                &cat::PROVIDER_SUCCESS_RATE,
                [&provider, &model],
                change.ratio(),
            );
        }

        let mut named_caches = Tally::default();
        for (family, window) in [
            (&inner.caches, &mut windows.caches),
            (&inner.selection, &mut windows.selection),
        ] {
            let named = std::ptr::eq(family, &inner.caches);
            let mut tallies = HashMap::new();
            family.series.for_each(|labels, series| {
                let hits = series.hit_count.load(Ordering::Relaxed);
                let misses = series.miss_count.load(Ordering::Relaxed);
                tallies.insert(
                    Box::<str>::from(labels[0]),
                    Tally {
                        good: hits,
                        total: hits + misses,
                    },
                );
            });
            for (name, change, _) in window.advance(now, tallies) {
                self.set(family.hit_rate, [&name], change.ratio());
                if named {
                    named_caches.add(change);
                }
            }
        }
        figures.cache_hit_rate = named_caches.ratio_or_none();
        windows.figures = figures;
    }

    /// The figures over the sliding window as of the last [`VictorMetrics::refresh`].
    pub fn window_figures(&self) -> WindowFigures {
        self.inner
            .windows
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .figures
            .clone()
    }

    /// Start-up as recorded ([`VictorMetrics::record_initialization`],
    /// [`VictorMetrics::set_bootstrap_phase`], [`VictorMetrics::record_lazy_load`]).
    pub fn bootstrap(&self) -> BootstrapView {
        self.views().bootstrap.clone()
    }

    /// Each provider's health as last set ([`VictorMetrics::set_provider_health`]).
    pub fn provider_health(&self) -> BTreeMap<String, bool> {
        self.views().provider_health.clone()
    }

    /// Each tool-selection namespace's fill as last set
    /// ([`VictorMetrics::set_tool_selection_cache`]).
    pub fn tool_selection_fill(&self) -> BTreeMap<String, SelectionFill> {
        self.views().selection_fill.clone()
    }

    fn views(&self) -> std::sync::MutexGuard<'_, Views> {
        self.inner
            .views
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Totals, rates and percentiles since start, for `/api/performance/summary` and logs.
    pub fn summary(&self) -> Summary {
        let inner = &*self.inner;
        let mut cache = CacheSummary::default();
        inner.caches.series.for_each_series(|series| {
            cache.hits += series.hit_count.load(Ordering::Relaxed);
            cache.misses += series.miss_count.load(Ordering::Relaxed);
        });
        cache.hit_rate = Tally {
            good: cache.hits,
            total: cache.hits + cache.misses,
        }
        .ratio_or_none();
        let mut requests = Totals::new(cat::REQUEST_DURATION_SECONDS.def());
        inner
            .requests
            .for_each_series(|series| requests.add(&series.stats));
        let mut tools = Totals::new(cat::TOOL_EXECUTION_DURATION_SECONDS.def());
        inner
            .tools
            .for_each_series(|series| tools.add(&series.stats));
        let mut calls = Totals::new(cat::LLM_DURATION_SECONDS.def());
        let (mut prompt_tokens, mut completion_tokens, mut micro_usd) = (0, 0, 0);
        inner.llm.for_each_series(|series| {
            calls.add(&series.stats);
            prompt_tokens += series.prompt_token_count.load(Ordering::Relaxed);
            completion_tokens += series.completion_token_count.load(Ordering::Relaxed);
            micro_usd += series.cost_micro_usd.load(Ordering::Relaxed);
        });
        Summary {
            uptime_seconds: inner.started.elapsed().as_secs_f64(),
            requests: requests.summary(),
            llm: LlmSummary {
                calls: calls.summary(),
                prompt_tokens,
                completion_tokens,
                cost_usd: micro_usd as f64 / 1e6,
            },
            tools: tools.summary(),
            cache,
        }
    }

    /// Per tool (every vertical, mode and status together), most executed first.
    pub fn tool_breakdown(&self) -> Vec<Breakdown> {
        let mut by_tool: HashMap<Box<str>, Totals> = HashMap::new();
        self.inner.tools.for_each(|labels, series| {
            by_tool
                .entry(labels[0].into())
                .or_insert_with(|| Totals::new(cat::TOOL_EXECUTION_DURATION_SECONDS.def()))
                .add(&series.stats);
        });
        breakdown(by_tool)
    }

    /// Per LLM provider (every model and operation together), most called first.
    pub fn provider_breakdown(&self) -> Vec<Breakdown> {
        let mut by_provider: HashMap<Box<str>, Totals> = HashMap::new();
        self.inner.llm.for_each(|labels, series| {
            by_provider
                .entry(labels[0].into())
                .or_insert_with(|| Totals::new(cat::LLM_DURATION_SECONDS.def()))
                .add(&series.stats);
        });
        breakdown(by_provider)
    }

    /// Per named cache, by name.
    pub fn cache_breakdown(&self) -> Vec<CacheBreakdown> {
        hit_miss_breakdown(&self.inner.caches, false)
    }

    /// Per tool-selection cache namespace, by name.
    pub fn tool_selection_breakdown(&self) -> Vec<CacheBreakdown> {
        hit_miss_breakdown(&self.inner.selection, true)
    }

    /// Label sets held per family, for tests and the self-monitoring view.
    pub fn series_counts(&self) -> HashMap<&'static str, usize> {
        let inner = &*self.inner;
        HashMap::from([
            (cat::REQUESTS_TOTAL.def().name(), inner.requests.len()),
            (cat::TOOL_EXECUTIONS_TOTAL.def().name(), inner.tools.len()),
            (cat::LLM_REQUESTS_TOTAL.def().name(), inner.llm.len()),
            (
                cat::CACHE_HITS_TOTAL.def().name(),
                inner.caches.series.len(),
            ),
        ])
    }
}

/// Breakdowns from per-name totals, most operations first (then by name, for a stable order).
fn breakdown(totals: HashMap<Box<str>, Totals>) -> Vec<Breakdown> {
    let mut rows: Vec<Breakdown> = totals
        .into_iter()
        .map(|(name, totals)| Breakdown {
            name: name.into(),
            outcome: totals.summary(),
        })
        .collect();
    rows.sort_by(|a, b| {
        b.outcome
            .total
            .cmp(&a.outcome.total)
            .then_with(|| a.name.cmp(&b.name))
    });
    rows
}

fn hit_miss_breakdown(family: &HitMissFamily, timed: bool) -> Vec<CacheBreakdown> {
    let mut rows = Vec::new();
    family.series.for_each(|labels, series| {
        let hits = series.hit_count.load(Ordering::Relaxed);
        let misses = series.miss_count.load(Ordering::Relaxed);
        rows.push(CacheBreakdown {
            name: labels[0].to_string(),
            hits,
            misses,
            evictions: series.eviction_count.load(Ordering::Relaxed),
            duration_seconds: timed.then(|| LatencySummary::new(&series.durations.snapshot())),
            hit_rate: Tally {
                good: hits,
                total: hits + misses,
            }
            .ratio_or_none(),
        });
    });
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    rows
}

impl Windows {
    /// Keeps `current` (cumulative request latency) and answers the p95 of what was observed
    /// since the oldest snapshot inside the span.
    fn latency_p95(&mut self, now: Instant, current: HistogramSnapshot) -> Option<f64> {
        let horizon = now.checked_sub(self.span);
        while self.latency.len() > 1 && horizon.is_some_and(|horizon| self.latency[0].0 < horizon) {
            self.latency.pop_front();
        }
        let p95 = self
            .latency
            .front()
            .and_then(|(_, base)| current.since(base).quantile(0.95));
        let spacing = self.span / crate::stats::SNAPSHOTS_PER_SPAN;
        if self
            .latency
            .back()
            .is_none_or(|(at, _)| now.saturating_duration_since(*at) >= spacing)
        {
            self.latency.push_back((now, current));
        }
        p95
    }
}

impl crate::Component for VictorMetrics {
    fn name(&self) -> &'static str {
        "agent"
    }

    fn metrics(&self) -> Vec<&'static MetricDef> {
        cat::ALL.to_vec()
    }

    fn refresh(&self) {
        VictorMetrics::refresh(self);
    }

    fn json(&self) -> serde_json::Value {
        serde_json::to_value(self.summary()).unwrap_or_default()
    }
}

#[cfg(test)]
pub(crate) mod tests;
