//! `POST /api/events`: agents without a Rust dependency (the Python Victor) report what they did
//! as JSON events, and the exporter records them in the catalog metrics.
//!
//! The body is a JSON array of event objects or NDJSON (one object per line; blank lines are
//! skipped). Each event has a dotted `type` and the fields its metric needs:
//!
//! ```json
//! {"type":"tool.executed","tool":"read_file","vertical":"coding","mode":"build","status":"success","duration_ms":45.2}
//! ```
//!
//! Valid events are applied in order; each invalid one (bad JSON, unknown type, missing or
//! mistyped field, negative duration) is refused on its own and reported, OTLP partial-success
//! style: `{"accepted": N, "rejected": M, "errors": [{"index": i, "reason": "…"}]}` with the first
//! [`MAX_REPORTED_ERRORS`] errors. Outcomes are counted in `victor_events_accepted_total{type}`
//! and `victor_events_rejected_total{reason}`. `docs/api.md` lists every type and its fields.

use std::borrow::Cow;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::value::RawValue;
use victor_metrics_core::exemplar::{self, TraceId};
use victor_metrics_core::{
    AgentMode, CounterHandle, LlmCall, LlmOperation, Request, ToolExecution, ToolStatus,
    VerticalActivity, VictorMetrics, catalog,
};

/// How many errors a response lists at most (the counts cover all of them).
pub const MAX_REPORTED_ERRORS: usize = 100;

/// The default limit on a request body; larger bodies get 413 and nothing is applied.
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Why an event was refused: the `reason` label of `victor_events_rejected_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// The line or array element is not JSON.
    InvalidJson,
    /// `type` names no event this exporter knows.
    UnknownType,
    /// A field the type needs is absent.
    MissingField,
    /// A field has the wrong JSON type or is out of range.
    InvalidField,
    /// A duration below zero.
    NegativeDuration,
    /// A whole body over the size limit (counted once per body).
    TooLarge,
}

impl Rejection {
    /// Every reason, in label order.
    pub const ALL: [Rejection; 6] = [
        Rejection::InvalidJson,
        Rejection::UnknownType,
        Rejection::MissingField,
        Rejection::InvalidField,
        Rejection::NegativeDuration,
        Rejection::TooLarge,
    ];

    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Rejection::InvalidJson => "invalid_json",
            Rejection::UnknownType => "unknown_type",
            Rejection::MissingField => "missing_field",
            Rejection::InvalidField => "invalid_field",
            Rejection::NegativeDuration => "negative_duration",
            Rejection::TooLarge => "too_large",
        }
    }
}

/// Every event type, as the `type` field spells it.
pub const EVENT_TYPES: &[&str] = &[
    "tool.executed",
    "llm.completed",
    "request.completed",
    "cache.hit",
    "cache.miss",
    "cache.eviction",
    "agent.session_started",
    "agent.session_ended",
    "workflow.completed",
    "task.completed",
    "error.raised",
    "coding.files_analyzed",
    "coding.lines_reviewed",
    "coding.issues_found",
    "coding.tests_generated",
    "coding.refactoring_success_rate",
    "rag.documents_ingested",
    "rag.search_accuracy",
    "rag.retrieval",
    "rag.index_size",
    "devops.deployment",
    "devops.deployment_success_rate",
    "devops.containers_managed",
    "devops.ci_pipeline_executed",
    "dataanalysis.query",
    "dataanalysis.visualization",
    "dataanalysis.data_size",
    "research.search",
    "research.citations",
    "research.sources_analyzed",
    "research.synthesis",
];

/// A refused event: its position in the body (0-based, blank NDJSON lines not counted) and why.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct EventError {
    /// Position of the event in the body.
    pub index: usize,
    /// What was wrong, naming the field.
    pub reason: String,
}

/// The answer to a post: counts and the first errors.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct IngestReport {
    /// Events applied.
    pub accepted: usize,
    /// Events refused.
    pub rejected: usize,
    /// The first [`MAX_REPORTED_ERRORS`] refusals.
    pub errors: Vec<EventError>,
}

/// The HTTP status or a number in an event: tool and workflow statuses are words, request
/// statuses are codes.
#[derive(Clone, Debug)]
enum Status<'a> {
    Word(Cow<'a, str>),
    Code(u64),
}

impl<'de: 'a, 'a> Deserialize<'de> for Status<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StatusVisitor;
        impl<'de> Visitor<'de> for StatusVisitor {
            type Value = Status<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a status word or an HTTP status code")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Status::Word(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Status::Word(Cow::Owned(v.to_owned())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Status::Code(v))
            }
        }
        deserializer.deserialize_any(StatusVisitor)
    }
}

/// Every field any event type takes; each type checks the ones it needs. Unknown fields are
/// ignored, so agents can send more than this exporter reads.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawEvent<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    tool: Option<Cow<'a, str>>,
    #[serde(borrow)]
    vertical: Option<Cow<'a, str>>,
    #[serde(borrow)]
    mode: Option<Cow<'a, str>>,
    #[serde(borrow)]
    status: Option<Status<'a>>,
    duration_ms: Option<f64>,
    #[serde(borrow)]
    error_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    provider: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(borrow)]
    operation: Option<Cow<'a, str>>,
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
    cost_usd: Option<f64>,
    tool_calls: Option<bool>,
    #[serde(borrow)]
    endpoint: Option<Cow<'a, str>>,
    #[serde(borrow)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow)]
    cache: Option<Cow<'a, str>>,
    count: Option<u64>,
    #[serde(borrow)]
    interface: Option<Cow<'a, str>>,
    requests: Option<u64>,
    #[serde(borrow)]
    workflow: Option<Cow<'a, str>>,
    value: Option<f64>,
    bytes: Option<u64>,
    /// The W3C trace the event belongs to: the exemplar of the durations it records.
    #[serde(borrow)]
    trace_id: Option<Cow<'a, str>>,
}

type Refusal = (Rejection, String);

impl RawEvent<'_> {
    /// The event's `trace_id`, when it has one.
    fn trace_id(&self) -> Result<Option<TraceId>, Refusal> {
        self.trace_id
            .as_deref()
            .map(|text| {
                text.parse().map_err(|err| {
                    (
                        Rejection::InvalidField,
                        format!("field `trace_id`: {err}, got `{}`", shorten(text)),
                    )
                })
            })
            .transpose()
    }
}

/// `text` cut to 64 characters for an error message.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(64) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

fn missing(field: &str) -> Refusal {
    (Rejection::MissingField, format!("missing field `{field}`"))
}

fn invalid(field: &str, problem: impl std::fmt::Display) -> Refusal {
    (
        Rejection::InvalidField,
        format!("field `{field}`: {problem}"),
    )
}

fn required<'r, T>(value: &'r Option<T>, field: &str) -> Result<&'r T, Refusal> {
    value.as_ref().ok_or_else(|| missing(field))
}

fn text<'r>(value: &'r Option<Cow<'_, str>>, field: &str) -> Result<&'r str, Refusal> {
    required(value, field).map(|v| &**v)
}

fn duration(value: Option<f64>) -> Result<Duration, Refusal> {
    let ms = value.ok_or_else(|| missing("duration_ms"))?;
    if ms < 0.0 {
        return Err((
            Rejection::NegativeDuration,
            format!("field `duration_ms` is negative ({ms})"),
        ));
    }
    Duration::try_from_secs_f64(ms / 1000.0).map_err(|err| invalid("duration_ms", err))
}

fn share(value: Option<f64>) -> Result<f64, Refusal> {
    let value = value.ok_or_else(|| missing("value"))?;
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(invalid("value", format!("{value} is outside 0 to 1")))
    }
}

fn word<'r>(status: &'r Option<Status<'_>>) -> Result<&'r str, Refusal> {
    match required(status, "status")? {
        Status::Word(word) => Ok(word),
        Status::Code(code) => Err(invalid("status", format!("expected a word, got {code}"))),
    }
}

/// A validated event, ready to record.
enum Event<'r> {
    Tool(ToolExecution<'r>),
    Llm(LlmCall<'r>),
    Request(Request<'r>),
    CacheHit(&'r str),
    CacheMiss(&'r str),
    CacheEviction(&'r str, u64),
    SessionStarted(&'r str),
    SessionEnded(&'r str, Duration, u64),
    Workflow(&'r str, &'r str),
    Task(bool),
    ToolError(&'r str, &'r str),
    LlmError(&'r str, &'r str, &'r str),
    Vertical(VerticalActivity),
}

impl<'a> RawEvent<'a> {
    /// Checks the fields the type needs; `index` of [`EVENT_TYPES`] for the accepted counter.
    fn validate(&self) -> Result<(usize, Event<'_>), Refusal> {
        let kind = text(&self.kind, "type")?;
        let index = EVENT_TYPES
            .iter()
            .position(|known| *known == kind)
            .ok_or_else(|| {
                (
                    Rejection::UnknownType,
                    format!("unknown event type `{kind}`"),
                )
            })?;
        let count = self.count.unwrap_or(1);
        let event = match kind {
            "tool.executed" => Event::Tool(ToolExecution {
                tool: text(&self.tool, "tool")?,
                vertical: text(&self.vertical, "vertical")?,
                mode: match self.mode.as_deref() {
                    None | Some("build") => AgentMode::Build,
                    Some("plan") => AgentMode::Plan,
                    Some("explore") => AgentMode::Explore,
                    Some(other) => {
                        return Err(invalid(
                            "mode",
                            format!("`{other}` is not build, plan or explore"),
                        ));
                    }
                },
                status: match word(&self.status)? {
                    "success" => ToolStatus::Success,
                    "failure" => ToolStatus::Failure,
                    "timeout" => ToolStatus::Timeout,
                    other => {
                        return Err(invalid(
                            "status",
                            format!("`{other}` is not success, failure or timeout"),
                        ));
                    }
                },
                duration: duration(self.duration_ms)?,
                error_type: self.error_type.as_deref(),
            }),
            "llm.completed" => Event::Llm(LlmCall {
                provider: text(&self.provider, "provider")?,
                model: text(&self.model, "model")?,
                operation: match self.operation.as_deref() {
                    None | Some("chat") => LlmOperation::Chat,
                    Some("text_completion") => LlmOperation::TextCompletion,
                    Some("embeddings") => LlmOperation::Embeddings,
                    Some(other) => {
                        return Err(invalid(
                            "operation",
                            format!("`{other}` is not chat, text_completion or embeddings"),
                        ));
                    }
                },
                prompt_tokens: *required(&self.prompt_tokens, "prompt_tokens")?,
                completion_tokens: *required(&self.completion_tokens, "completion_tokens")?,
                cost_usd: match self.cost_usd {
                    Some(cost) if cost < 0.0 => return Err(invalid("cost_usd", "is negative")),
                    cost => cost.unwrap_or(0.0),
                },
                tool_calls: self.tool_calls.unwrap_or(false),
                duration: duration(self.duration_ms)?,
                error_type: self.error_type.as_deref(),
            }),
            "request.completed" => Event::Request(Request {
                endpoint: text(&self.endpoint, "endpoint")?,
                method: text(&self.method, "method")?,
                status: match required(&self.status, "status")? {
                    Status::Code(code @ 100..=599) => *code as u16,
                    Status::Code(code) => {
                        return Err(invalid("status", format!("{code} is not an HTTP status")));
                    }
                    Status::Word(word) => {
                        return Err(invalid("status", format!("expected a code, got `{word}`")));
                    }
                },
                duration: duration(self.duration_ms)?,
                error_type: self.error_type.as_deref(),
            }),
            "cache.hit" => Event::CacheHit(text(&self.cache, "cache")?),
            "cache.miss" => Event::CacheMiss(text(&self.cache, "cache")?),
            "cache.eviction" => Event::CacheEviction(text(&self.cache, "cache")?, count),
            "agent.session_started" => Event::SessionStarted(text(&self.interface, "interface")?),
            "agent.session_ended" => Event::SessionEnded(
                text(&self.interface, "interface")?,
                duration(self.duration_ms)?,
                self.requests.unwrap_or(0),
            ),
            "workflow.completed" => {
                Event::Workflow(text(&self.workflow, "workflow")?, word(&self.status)?)
            }
            "task.completed" => Event::Task(match word(&self.status)? {
                "completed" => true,
                "failed" => false,
                other => {
                    return Err(invalid(
                        "status",
                        format!("`{other}` is not completed or failed"),
                    ));
                }
            }),
            "error.raised" => {
                let error_type = text(&self.error_type, "error_type")?;
                match (self.tool.as_deref(), self.provider.as_deref()) {
                    (Some(tool), _) => Event::ToolError(tool, error_type),
                    (None, Some(provider)) => {
                        Event::LlmError(provider, text(&self.model, "model")?, error_type)
                    }
                    (None, None) => return Err(missing("tool` or `provider")),
                }
            }
            "coding.files_analyzed" => {
                Event::Vertical(VerticalActivity::CodingFilesAnalyzed(count))
            }
            "coding.lines_reviewed" => {
                Event::Vertical(VerticalActivity::CodingLinesReviewed(count))
            }
            "coding.issues_found" => Event::Vertical(VerticalActivity::CodingIssuesFound(count)),
            "coding.tests_generated" => {
                Event::Vertical(VerticalActivity::CodingTestsGenerated(count))
            }
            "coding.refactoring_success_rate" => Event::Vertical(
                VerticalActivity::CodingRefactoringSuccessRate(share(self.value)?),
            ),
            "rag.documents_ingested" => {
                Event::Vertical(VerticalActivity::RagDocumentsIngested(count))
            }
            "rag.search_accuracy" => {
                Event::Vertical(VerticalActivity::RagSearchAccuracy(share(self.value)?))
            }
            "rag.retrieval" => {
                Event::Vertical(VerticalActivity::RagRetrieval(duration(self.duration_ms)?))
            }
            "rag.index_size" => Event::Vertical(VerticalActivity::RagIndexSize(*required(
                &self.bytes,
                "bytes",
            )?)),
            "devops.deployment" => Event::Vertical(VerticalActivity::DevOpsDeployment),
            "devops.deployment_success_rate" => Event::Vertical(
                VerticalActivity::DevOpsDeploymentSuccessRate(share(self.value)?),
            ),
            "devops.containers_managed" => Event::Vertical(
                VerticalActivity::DevOpsContainersManaged(*required(&self.count, "count")?),
            ),
            "devops.ci_pipeline_executed" => {
                Event::Vertical(VerticalActivity::DevOpsCiPipelineExecuted)
            }
            "dataanalysis.query" => Event::Vertical(VerticalActivity::DataAnalysisQuery(duration(
                self.duration_ms,
            )?)),
            "dataanalysis.visualization" => {
                Event::Vertical(VerticalActivity::DataAnalysisVisualization)
            }
            "dataanalysis.data_size" => Event::Vertical(VerticalActivity::DataAnalysisDataSize(
                *required(&self.bytes, "bytes")?,
            )),
            "research.search" => Event::Vertical(VerticalActivity::ResearchSearch),
            "research.citations" => Event::Vertical(VerticalActivity::ResearchCitations(count)),
            "research.sources_analyzed" => {
                Event::Vertical(VerticalActivity::ResearchSourcesAnalyzed(count))
            }
            "research.synthesis" => Event::Vertical(VerticalActivity::ResearchSynthesis(duration(
                self.duration_ms,
            )?)),
            // EVENT_TYPES and this match list the same names (a test checks every one).
            other => {
                return Err((
                    Rejection::UnknownType,
                    format!("unknown event type `{other}`"),
                ));
            }
        };
        Ok((index, event))
    }
}

/// Applies posted events to the catalog metrics and counts the outcomes.
#[derive(Clone)]
pub struct Ingestor {
    metrics: VictorMetrics,
    accepted: Vec<CounterHandle>,
    rejected: Vec<CounterHandle>,
}

impl Ingestor {
    /// Resolves the outcome counters (so every type and reason exists at zero from the start).
    pub fn new(metrics: VictorMetrics) -> Ingestor {
        let accepted = EVENT_TYPES
            .iter()
            .map(|kind| metrics.counter(&catalog::EVENTS_ACCEPTED_TOTAL, [kind]))
            .collect();
        let rejected = Rejection::ALL
            .iter()
            .map(|reason| metrics.counter(&catalog::EVENTS_REJECTED_TOTAL, [reason.as_str()]))
            .collect();
        Ingestor {
            metrics,
            accepted,
            rejected,
        }
    }

    /// Counts a body refused whole for its size.
    pub fn count_too_large(&self) {
        self.reject_count(Rejection::TooLarge);
    }

    fn reject_count(&self, reason: Rejection) {
        if let Some(counter) = Rejection::ALL
            .iter()
            .position(|r| *r == reason)
            .and_then(|i| self.rejected.get(i))
        {
            counter.increment(1);
        }
    }

    /// Applies a body: a JSON array of events, or NDJSON.
    ///
    /// # Errors
    /// A body that starts as a JSON array but is not one (nothing is applied then), named with
    /// the parser's position.
    pub fn ingest(&self, body: &[u8]) -> Result<IngestReport, serde_json::Error> {
        let start = body.iter().position(|b| !b.is_ascii_whitespace());
        let mut report = IngestReport::default();
        if start.is_some_and(|i| body[i] == b'[') {
            // Parse the whole array first, so a broken one applies nothing.
            let elements: Vec<&RawValue> = serde_json::from_slice(body)?;
            let parsed: Vec<_> = elements
                .iter()
                .map(|element| serde_json::from_str::<RawEvent<'_>>(element.get()))
                .collect();
            for (index, event) in parsed.iter().enumerate() {
                self.apply(index, event, &mut report);
            }
        } else {
            let parsed: Vec<_> = body
                .split(|b| *b == b'\n')
                .filter(|line| line.iter().any(|b| !b.is_ascii_whitespace()))
                .map(serde_json::from_slice::<RawEvent<'_>>)
                .collect();
            for (index, event) in parsed.iter().enumerate() {
                self.apply(index, event, &mut report);
            }
        }
        Ok(report)
    }

    fn apply(
        &self,
        index: usize,
        parsed: &Result<RawEvent<'_>, serde_json::Error>,
        report: &mut IngestReport,
    ) {
        let outcome = match parsed {
            Ok(raw) => raw
                .trace_id()
                .and_then(|trace| Ok((raw.validate()?, trace))),
            Err(err) if err.is_data() => Err((Rejection::InvalidField, err.to_string())),
            Err(err) => Err((Rejection::InvalidJson, err.to_string())),
        };
        match outcome {
            Ok(((kind, event), trace_id)) => {
                exemplar::with_trace_id(trace_id, || self.record(event));
                if let Some(counter) = self.accepted.get(kind) {
                    counter.increment(1);
                }
                report.accepted += 1;
            }
            Err((kind, reason)) => {
                self.reject_count(kind);
                report.rejected += 1;
                if report.errors.len() < MAX_REPORTED_ERRORS {
                    report.errors.push(EventError { index, reason });
                }
            }
        }
    }

    fn record(&self, event: Event<'_>) {
        let m = &self.metrics;
        match event {
            Event::Tool(execution) => m.record_tool_execution(&execution),
            Event::Llm(call) => m.record_llm_call(&call),
            Event::Request(request) => m.record_request(&request),
            Event::CacheHit(cache) => m.record_cache_hit(cache),
            Event::CacheMiss(cache) => m.record_cache_miss(cache),
            Event::CacheEviction(cache, count) => m.record_cache_eviction(cache, count),
            Event::SessionStarted(interface) => m.record_session_started(interface),
            Event::SessionEnded(interface, duration, requests) => {
                m.record_session_ended(interface, duration, requests);
            }
            Event::Workflow(workflow, status) => m.record_workflow_execution(workflow, status),
            Event::Task(completed) => m.record_task(completed),
            Event::ToolError(tool, error_type) => m
                .counter(&catalog::TOOL_ERRORS_TOTAL, [tool, error_type])
                .increment(1),
            Event::LlmError(provider, model, error_type) => m
                .counter(
                    &catalog::LLM_ERRORS_TOTAL,
                    [provider, model, LlmOperation::Chat.as_str(), error_type],
                )
                .increment(1),
            Event::Vertical(activity) => m.record_vertical_activity(activity),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal valid event of every type.
    const EXAMPLES: &[&str] = &[
        r#"{"type":"tool.executed","tool":"read_file","vertical":"coding","mode":"build","status":"success","duration_ms":45.2}"#,
        r#"{"type":"llm.completed","provider":"anthropic","model":"claude","prompt_tokens":1200,"completion_tokens":300,"cost_usd":0.0135,"duration_ms":2100}"#,
        r#"{"type":"request.completed","endpoint":"/chat","method":"POST","status":200,"duration_ms":12}"#,
        r#"{"type":"cache.hit","cache":"responses"}"#,
        r#"{"type":"cache.miss","cache":"responses"}"#,
        r#"{"type":"cache.eviction","cache":"responses","count":3}"#,
        r#"{"type":"agent.session_started","interface":"cli"}"#,
        r#"{"type":"agent.session_ended","interface":"cli","duration_ms":60000,"requests":4}"#,
        r#"{"type":"workflow.completed","workflow":"review","status":"success"}"#,
        r#"{"type":"task.completed","status":"failed"}"#,
        r#"{"type":"error.raised","tool":"shell","error_type":"timeout"}"#,
        r#"{"type":"coding.files_analyzed","count":12}"#,
        r#"{"type":"coding.lines_reviewed","count":400}"#,
        r#"{"type":"coding.issues_found"}"#,
        r#"{"type":"coding.tests_generated","count":2}"#,
        r#"{"type":"coding.refactoring_success_rate","value":0.9}"#,
        r#"{"type":"rag.documents_ingested","count":5}"#,
        r#"{"type":"rag.search_accuracy","value":0.8}"#,
        r#"{"type":"rag.retrieval","duration_ms":30}"#,
        r#"{"type":"rag.index_size","bytes":1048576}"#,
        r#"{"type":"devops.deployment"}"#,
        r#"{"type":"devops.deployment_success_rate","value":1}"#,
        r#"{"type":"devops.containers_managed","count":7}"#,
        r#"{"type":"devops.ci_pipeline_executed"}"#,
        r#"{"type":"dataanalysis.query","duration_ms":250}"#,
        r#"{"type":"dataanalysis.visualization"}"#,
        r#"{"type":"dataanalysis.data_size","bytes":2048}"#,
        r#"{"type":"research.search"}"#,
        r#"{"type":"research.citations","count":3}"#,
        r#"{"type":"research.sources_analyzed","count":9}"#,
        r#"{"type":"research.synthesis","duration_ms":1500}"#,
    ];

    fn ingestor() -> Ingestor {
        Ingestor::new(VictorMetrics::new())
    }

    #[test]
    fn every_event_type_is_accepted_with_its_fields() {
        assert_eq!(EXAMPLES.len(), EVENT_TYPES.len());
        for (example, kind) in EXAMPLES.iter().zip(EVENT_TYPES) {
            assert!(
                example.contains(&format!("\"type\":\"{kind}\"")),
                "{example}"
            );
            let report = ingestor().ingest(example.as_bytes()).expect("ndjson");
            assert_eq!(report.accepted, 1, "{example}: {report:?}");
        }
    }

    #[test]
    fn each_bad_event_is_refused_alone_with_its_reason() {
        let body = [
            EXAMPLES[0],
            "{not json",
            r#"{"type":"tool.exploded"}"#,
            r#"{"type":"tool.executed","tool":"x","vertical":"coding","status":"success"}"#,
            r#"{"type":"tool.executed","tool":"x","vertical":"coding","status":"success","duration_ms":"fast"}"#,
            r#"{"type":"tool.executed","tool":"x","vertical":"coding","status":"success","duration_ms":-1}"#,
            "",
            r#"{"type":"request.completed","endpoint":"/chat","method":"GET","status":"ok","duration_ms":1}"#,
            "42",
            EXAMPLES[3],
        ]
        .join("\n");
        let report = ingestor().ingest(body.as_bytes()).expect("ndjson");
        assert_eq!((report.accepted, report.rejected), (2, 7), "{report:?}");
        let reasons: Vec<(usize, &str)> = report
            .errors
            .iter()
            .map(|e| (e.index, e.reason.as_str()))
            .collect();
        assert_eq!(reasons[0].0, 1);
        assert!(reasons[0].1.contains("key must be a string"), "{reasons:?}");
        assert_eq!(reasons[1], (2, "unknown event type `tool.exploded`"));
        assert_eq!(reasons[2], (3, "missing field `duration_ms`"));
        assert!(
            reasons[3].1.contains("invalid type: string \"fast\""),
            "{reasons:?}"
        );
        assert_eq!(reasons[4], (5, "field `duration_ms` is negative (-1)"));
        // The blank line is not an event: the next one is index 6.
        assert_eq!(reasons[5], (6, "field `status`: expected a code, got `ok`"));
        assert_eq!(reasons[6].0, 7);
    }

    #[test]
    fn a_json_array_works_and_a_broken_one_applies_nothing() {
        let array = format!("[{}, {{\"type\":\"nope\"}}]", EXAMPLES[0]);
        let report = ingestor().ingest(array.as_bytes()).expect("array");
        assert_eq!((report.accepted, report.rejected), (1, 1));
        let broken = format!("[{}, {{\"type\":", EXAMPLES[0]);
        assert!(ingestor().ingest(broken.as_bytes()).is_err());
    }

    #[test]
    fn docs_api_md_lists_every_event_type() {
        let docs = include_str!("../../../docs/api.md");
        for kind in EVENT_TYPES {
            assert!(
                docs.contains(&format!("`{kind}`")),
                "docs/api.md lacks {kind}"
            );
        }
    }

    #[test]
    fn only_the_first_errors_are_listed() {
        let body = "x\n".repeat(MAX_REPORTED_ERRORS + 5);
        let report = ingestor().ingest(body.as_bytes()).expect("ndjson");
        assert_eq!(report.rejected, MAX_REPORTED_ERRORS + 5);
        assert_eq!(report.errors.len(), MAX_REPORTED_ERRORS);
    }
}
