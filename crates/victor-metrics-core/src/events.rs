//! Events: what an agent without a Rust dependency (the Python Victor) reports, one typed variant
//! per thing it did, applied through the family that owns the metrics it records.
//!
//! On the wire an event is a JSON object with a dotted `type` and the variant's fields;
//! unknown fields are ignored. `cargo xtask gen` writes the reference in `docs/api.md` and a
//! JSON Schema (`docs/events.schema.json`) from these types, so a client can validate before
//! sending.
//!
//! ```
//! use victor_metrics_core::events::Event;
//! use victor_metrics_core::VictorMetrics;
//!
//! let event: Event = serde_json::from_str(
//!     r#"{"type":"tool.executed","tool":"read_file","vertical":"coding","status":"success","duration_ms":45}"#,
//! )?;
//! event.check()?;
//! let metrics = VictorMetrics::new();
//! event.apply(&metrics);
//! assert_eq!(metrics.summary().tools.total, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::VictorMetrics;
use crate::catalog as cat;
use crate::family::{
    AgentMode, LlmCall, LlmOperation, Request, SecuritySignal, ToolExecution, ToolStatus,
    VerticalActivity,
};

/// Why an event was refused: the `reason` label of `victor_events_rejected_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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

/// A refused event: the reason label and a message naming the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    /// The reason, as counted.
    pub reason: Rejection,
    /// What was wrong, naming the field.
    pub message: String,
}

impl Refusal {
    fn invalid(field: &str, problem: impl std::fmt::Display) -> Refusal {
        Refusal {
            reason: Rejection::InvalidField,
            message: format!("field `{field}`: {problem}"),
        }
    }

    /// A refusal from a serde error at `path` (`.` for the top level): a missing field, any
    /// other shape problem (a wrong JSON type, an unknown enum value), or broken JSON.
    fn from_serde(path: &str, err: &serde_json::Error) -> Refusal {
        let mut message = err.to_string();
        if err.line() > 0 {
            let position = format!(" at line {} column {}", err.line(), err.column());
            if let Some(stripped) = message.strip_suffix(&position) {
                message = stripped.to_owned();
            }
        }
        let message = shorten_message(&message);
        let reason = if !err.is_data() {
            Rejection::InvalidJson
        } else if message.starts_with("missing field") {
            Rejection::MissingField
        } else {
            Rejection::InvalidField
        };
        let message = if path == "." || !err.is_data() {
            message
        } else {
            format!("field `{path}`: {message}")
        };
        Refusal { reason, message }
    }
}

/// The largest number an event may carry: 2^53, beyond which a Prometheus sample (a float64)
/// no longer holds every integer exactly. Larger ones are refused rather than recorded wrong,
/// and counters saturate rather than wrap whatever they are given.
pub const MAX_EVENT_NUMBER: u64 = 1 << 53;

/// A field's range rule.
trait Bounded {
    fn bound(&self) -> Result<(), String>;
}

impl Bounded for u64 {
    fn bound(&self) -> Result<(), String> {
        if *self > MAX_EVENT_NUMBER {
            return Err(format!(
                "{self} is above the limit {MAX_EVENT_NUMBER} (2^53, the largest integer a \
                 Prometheus sample holds exactly)"
            ));
        }
        Ok(())
    }
}

impl Bounded for f64 {
    fn bound(&self) -> Result<(), String> {
        if !self.is_finite() || self.abs() > MAX_EVENT_NUMBER as f64 {
            return Err(format!(
                "{self:e} is outside ±{MAX_EVENT_NUMBER} (2^53, the largest integer a Prometheus \
                 sample holds exactly)"
            ));
        }
        Ok(())
    }
}

impl<T: Bounded> Bounded for Option<T> {
    fn bound(&self) -> Result<(), String> {
        self.as_ref().map_or(Ok(()), Bounded::bound)
    }
}

/// Types whose every value is in range.
macro_rules! unbounded {
    ($($ty:ty),*) => {
        $(impl Bounded for $ty {
            fn bound(&self) -> Result<(), String> {
                Ok(())
            }
        })*
    };
}
unbounded!(
    String,
    u16,
    bool,
    AgentMode,
    LlmOperation,
    TaskStatus,
    ToolStatus
);

/// Deserializes `text`; on failure reads it again tracking the path, so the refusal names the
/// field (nested ones as `a.b`, array elements as `a[0]`). The happy path pays nothing for it.
///
/// # Errors
/// A [`Refusal`] naming the field, the value and what was expected.
pub fn read_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Refusal> {
    serde_json::from_str(text).map_err(|first| {
        let mut tracked = serde_json::Deserializer::from_str(text);
        match serde_path_to_error::deserialize::<_, T>(&mut tracked) {
            Err(err) => Refusal::from_serde(&err.path().to_string(), err.inner()),
            // Only what follows the value was wrong (trailing characters).
            Ok(_) => Refusal::from_serde(".", &first),
        }
    })
}

/// `text` cut to 64 characters, for naming a value in a message.
pub fn shorten(text: &str) -> String {
    match text.char_indices().nth(64) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// A parser's message cut to 256 characters: it may quote a 10 KB value.
fn shorten_message(text: &str) -> String {
    match text.char_indices().nth(256) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

fn one() -> u64 {
    1
}

/// Declares the events: the enum, its type names, one example each, and the name of a value.
macro_rules! events {
    ($(
        $(#[doc = $doc:literal])*
        $name:literal => $variant:ident { $( $(#[$fattr:meta])* $field:ident : $ty:ty ),* $(,)? }
        example $example:literal;
    )*) => {
        /// Each event's fields as a struct of its own, read straight from the text: an
        /// internally tagged enum buffers its input first, which loses the path to a bad field.
        mod fields {
            use super::*;
            $(
                #[derive(Deserialize)]
                pub(super) struct $variant { $( $(#[$fattr])* pub(super) $field: $ty ),* }
            )*
        }

        /// One thing an agent did. `type` selects the variant; see `docs/api.md`.
        #[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        #[serde(tag = "type")]
        pub enum Event {
            $(
                $(#[doc = $doc])*
                #[serde(rename = $name)]
                $variant { $( $(#[$fattr])* $field: $ty ),* },
            )*
        }

        impl Event {
            /// Every event type, as `type` spells it, in declaration order.
            pub const TYPES: &'static [&'static str] = &[$($name),*];

            /// One valid event of each type, in [`Event::TYPES`] order (for docs and tests).
            pub const EXAMPLES: &'static [&'static str] = &[$($example),*];

            /// The event's `type`.
            pub fn type_name(&self) -> &'static str {
                match self {
                    $(Event::$variant { .. } => $name,)*
                }
            }

            /// Reads an event of type `kind` (its `type`, read first with [`Envelope`]) from
            /// `text` and checks it ([`Event::check`]). A refusal names the field, the value and
            /// the rule broken.
            ///
            /// ```
            /// use victor_metrics_core::events::{Event, Rejection};
            ///
            /// let text = r#"{"type":"llm.completed","provider":"openai","model":"gpt-4o",
            ///     "prompt_tokens":"many","completion_tokens":1,"duration_ms":900}"#;
            /// let refusal = Event::from_json("llm.completed", text).unwrap_err();
            /// assert_eq!(refusal.reason, Rejection::InvalidField);
            /// assert_eq!(
            ///     refusal.message,
            ///     "field `prompt_tokens`: invalid type: string \"many\", expected u64"
            /// );
            /// ```
            ///
            /// # Errors
            /// A [`Refusal`] for an unknown type, a missing or ill-typed field, or a value out of
            /// range.
            pub fn from_json(kind: &str, text: &str) -> Result<Event, Refusal> {
                let event = match kind {
                    $(
                        $name => {
                            #[allow(unused_variables)]
                            let fields: fields::$variant = read_json(text)?;
                            Event::$variant { $( $field: fields.$field ),* }
                        }
                    )*
                    other => {
                        return Err(Refusal {
                            reason: Rejection::UnknownType,
                            message: format!("unknown event type `{}`", shorten(other)),
                        })
                    }
                };
                event.check()?;
                Ok(event)
            }

            /// Refuses a number out of range for the metric it feeds ([`MAX_EVENT_NUMBER`]).
            fn check_bounds(&self) -> Result<(), Refusal> {
                match self {
                    $(
                        Event::$variant { $( $field ),* } => {
                            $(
                                Bounded::bound($field)
                                    .map_err(|problem| Refusal::invalid(stringify!($field), problem))?;
                            )*
                        }
                    )*
                }
                Ok(())
            }
        }
    };
}

events! {
    // ---- Requests ----
    /// A request the agent's API answered.
    "request.completed" => RequestCompleted {
        /// The route template (`/chat`), never the raw path.
        endpoint: String,
        /// The HTTP method.
        method: String,
        /// The HTTP status code sent, 100 to 599.
        status: u16,
        /// Milliseconds from receipt to the last byte, ≥ 0.
        duration_ms: f64,
        /// Why it failed; a 5xx without one counts as `server_error`.
        #[serde(default)]
        error_type: Option<String>,
    }
    example r#"{"type":"request.completed","endpoint":"/chat","method":"POST","status":200,"duration_ms":12}"#;
    /// Requests being handled now on a route.
    "request.in_flight" => RequestInFlight {
        /// The route template.
        endpoint: String,
        /// The HTTP method.
        method: String,
        /// Requests in flight.
        count: u64,
    }
    example r#"{"type":"request.in_flight","endpoint":"/chat","method":"POST","count":3}"#;
    /// One chat request end to end, tool calls included.
    "chat.completed" => ChatCompleted {
        /// The provider that answered.
        provider: String,
        /// Milliseconds end to end, ≥ 0.
        duration_ms: f64,
    }
    example r#"{"type":"chat.completed","provider":"anthropic","duration_ms":2400}"#;

    // ---- LLM calls and the provider pool ----
    /// One LLM call.
    "llm.completed" => LlmCompleted {
        /// The provider (`anthropic`).
        provider: String,
        /// The requested model.
        model: String,
        /// The GenAI operation (default `chat`).
        #[serde(default = "chat")]
        operation: LlmOperation,
        /// Prompt (input) tokens.
        prompt_tokens: u64,
        /// Completion (output) tokens.
        completion_tokens: u64,
        /// Of the prompt tokens, those read from the provider's prompt cache (default 0).
        #[serde(default)]
        cached_prompt_tokens: u64,
        /// Cost in US dollars, ≥ 0; absent: estimated from the exporter's price table (or
        /// counted as unpriced for a model the table lacks).
        #[serde(default)]
        cost_usd: Option<f64>,
        /// Whether the response used tool calls.
        #[serde(default)]
        tool_calls: bool,
        /// Milliseconds to the full response, ≥ 0.
        duration_ms: f64,
        /// Why it failed (`rate_limit`, `timeout`); absent on success.
        #[serde(default)]
        error_type: Option<String>,
        /// The model that answered, when the provider says (`gen_ai.response.model`); absent:
        /// the requested model.
        #[serde(default)]
        response_model: Option<String>,
        /// For a streamed answer, milliseconds from the request to the first chunk, ≥ 0.
        #[serde(default)]
        time_to_first_token_ms: Option<f64>,
        /// Why the answer ended (`stop`, `length`, `tool_calls`, …), when the provider says.
        #[serde(default)]
        finish_reason: Option<String>,
    }
    example r#"{"type":"llm.completed","provider":"anthropic","model":"claude-sonnet-4-5","response_model":"claude-sonnet-4-5-20250929","prompt_tokens":1200,"completion_tokens":300,"duration_ms":2100,"time_to_first_token_ms":420,"finish_reason":"stop"}"#;
    /// Whether the provider pool considers a provider healthy.
    "provider.health" => ProviderHealth {
        /// The provider.
        provider: String,
        /// Healthy or not.
        healthy: bool,
    }
    example r#"{"type":"provider.health","provider":"anthropic","healthy":true}"#;

    // ---- Tools ----
    /// One tool execution.
    "tool.executed" => ToolExecuted {
        /// The tool (`read_file`).
        tool: String,
        /// The vertical that ran it.
        vertical: String,
        /// The agent's mode (default `build`).
        #[serde(default = "build")]
        mode: AgentMode,
        /// How it ended.
        status: ToolStatus,
        /// Milliseconds it ran, ≥ 0.
        duration_ms: f64,
        /// Why it failed; defaults to the status.
        #[serde(default)]
        error_type: Option<String>,
    }
    example r#"{"type":"tool.executed","tool":"read_file","vertical":"coding","mode":"build","status":"success","duration_ms":45.2}"#;
    /// Executions of a tool running now.
    "tool.in_flight" => ToolInFlight {
        /// The tool.
        tool: String,
        /// Executions in flight.
        count: u64,
    }
    example r#"{"type":"tool.in_flight","tool":"shell","count":2}"#;
    /// An error outside a recorded execution or call: a tool's, or a provider's.
    "error.raised" => ErrorRaised {
        /// What went wrong.
        error_type: String,
        /// The tool that failed (or give `provider` and `model`).
        #[serde(default)]
        tool: Option<String>,
        /// The provider that failed.
        #[serde(default)]
        provider: Option<String>,
        /// The provider's model (with `provider`).
        #[serde(default)]
        model: Option<String>,
    }
    example r#"{"type":"error.raised","tool":"shell","error_type":"timeout"}"#;

    // ---- Caches ----
    /// A lookup the named cache served.
    "cache.hit" => CacheHit {
        /// The cache.
        cache: String,
    }
    example r#"{"type":"cache.hit","cache":"responses"}"#;
    /// A lookup the named cache did not serve.
    "cache.miss" => CacheMiss {
        /// The cache.
        cache: String,
    }
    example r#"{"type":"cache.miss","cache":"responses"}"#;
    /// Entries evicted from the named cache.
    "cache.eviction" => CacheEviction {
        /// The cache.
        cache: String,
        /// Entries evicted (default 1).
        #[serde(default = "one")]
        count: u64,
    }
    example r#"{"type":"cache.eviction","cache":"responses","count":3}"#;
    /// The memory the named cache holds.
    "cache.size" => CacheSize {
        /// The cache.
        cache: String,
        /// Bytes held.
        bytes: u64,
    }
    example r#"{"type":"cache.size","cache":"responses","bytes":1048576}"#;
    /// One tool selection and whether the selection cache served it.
    "tool_selection.completed" => ToolSelectionCompleted {
        /// The selection namespace.
        namespace: String,
        /// Milliseconds the selection took, ≥ 0.
        duration_ms: f64,
        /// Whether the selection cache served it.
        cache_hit: bool,
    }
    example r#"{"type":"tool_selection.completed","namespace":"coding","duration_ms":3,"cache_hit":true}"#;
    /// Entries evicted from the tool-selection cache.
    "tool_selection.eviction" => ToolSelectionEviction {
        /// The selection namespace.
        namespace: String,
        /// Entries evicted (default 1).
        #[serde(default = "one")]
        count: u64,
    }
    example r#"{"type":"tool_selection.eviction","namespace":"coding","count":4}"#;
    /// The tool-selection cache's fill.
    "tool_selection.cache" => ToolSelectionCache {
        /// The selection namespace.
        namespace: String,
        /// Entries held.
        entries: u64,
        /// Entries it can hold.
        capacity: u64,
        /// Memory held, in bytes.
        memory_bytes: u64,
    }
    example r#"{"type":"tool_selection.cache","namespace":"coding","entries":80,"capacity":100,"memory_bytes":65536}"#;

    // ---- Users, sessions and tasks ----
    /// A user session started.
    "agent.session_started" => SessionStarted {
        /// The interface (`cli`, `tui`, `api`, `mcp`).
        interface: String,
    }
    example r#"{"type":"agent.session_started","interface":"cli"}"#;
    /// A user session ended.
    "agent.session_ended" => SessionEnded {
        /// The interface.
        interface: String,
        /// Milliseconds the session lasted, ≥ 0.
        duration_ms: f64,
        /// Requests it made (default 0).
        #[serde(default)]
        requests: u64,
    }
    example r#"{"type":"agent.session_ended","interface":"cli","duration_ms":60000,"requests":4}"#;
    /// The users active now on an interface.
    "users.active" => UsersActive {
        /// The interface.
        interface: String,
        /// Users active.
        count: u64,
    }
    example r#"{"type":"users.active","interface":"api","count":12}"#;
    /// An agent task finished.
    "task.completed" => TaskCompleted {
        /// `completed` or `failed`.
        status: TaskStatus,
    }
    example r#"{"type":"task.completed","status":"failed"}"#;

    // ---- Usage, coordinators and agentic signals ----
    /// A workflow finished.
    "workflow.completed" => WorkflowCompleted {
        /// The workflow.
        workflow: String,
        /// Its status (a word).
        status: String,
    }
    example r#"{"type":"workflow.completed","workflow":"review","status":"success"}"#;
    /// A feature was used.
    "feature.used" => FeatureUsed {
        /// The feature.
        feature: String,
    }
    example r#"{"type":"feature.used","feature":"semantic_search"}"#;
    /// A vertical was used in a mode.
    "vertical.used" => VerticalUsed {
        /// The vertical.
        vertical: String,
        /// The agent's mode (default `build`).
        #[serde(default = "build")]
        mode: AgentMode,
    }
    example r#"{"type":"vertical.used","vertical":"rag","mode":"explore"}"#;
    /// A coordinator ran.
    "coordinator.completed" => CoordinatorCompleted {
        /// The coordinator.
        coordinator: String,
        /// Milliseconds it ran, ≥ 0.
        duration_ms: f64,
        /// Whether it succeeded (default true).
        #[serde(default = "yes")]
        success: bool,
    }
    example r#"{"type":"coordinator.completed","coordinator":"planner","duration_ms":800,"success":false}"#;
    /// A coordinator's memory and CPU now.
    "coordinator.resources" => CoordinatorResources {
        /// The coordinator.
        coordinator: String,
        /// Memory in bytes.
        memory_bytes: u64,
        /// CPU, percent of one core, ≥ 0.
        cpu_percent: f64,
    }
    example r#"{"type":"coordinator.resources","coordinator":"planner","memory_bytes":4194304,"cpu_percent":12.5}"#;
    /// The planning success ratio of a vertical now.
    "agentic.planning_success_rate" => PlanningSuccessRate {
        /// The vertical.
        vertical: String,
        /// 0 to 1.
        value: f64,
    }
    example r#"{"type":"agentic.planning_success_rate","vertical":"coding","value":0.85}"#;
    /// The recall accuracy of a memory type now.
    "agentic.memory_recall_accuracy" => MemoryRecallAccuracy {
        /// The memory type.
        memory_type: String,
        /// 0 to 1.
        value: f64,
    }
    example r#"{"type":"agentic.memory_recall_accuracy","memory_type":"episodic","value":0.9}"#;
    /// A skill was discovered.
    "agentic.skill_discovered" => SkillDiscovered {
        /// The skill's type.
        skill_type: String,
    }
    example r#"{"type":"agentic.skill_discovered","skill_type":"refactoring"}"#;
    /// The proficiency score of a skill now.
    "agentic.proficiency" => Proficiency {
        /// The skill.
        skill: String,
        /// 0 to 1.
        value: f64,
    }
    example r#"{"type":"agentic.proficiency","skill":"python","value":0.7}"#;
    /// A self-improvement loop ran.
    "agentic.self_improvement_loop" => SelfImprovementLoop {
        /// Its outcome (a word).
        outcome: String,
    }
    example r#"{"type":"agentic.self_improvement_loop","outcome":"improved"}"#;
    /// An agent memory operation.
    "agentic.memory_operation" => MemoryOperation {
        /// The operation (`store`, `recall`).
        operation: String,
        /// Its status (a word).
        status: String,
    }
    example r#"{"type":"agentic.memory_operation","operation":"recall","status":"success"}"#;

    // ---- Verticals ----
    /// Coding: files analyzed.
    "coding.files_analyzed" => CodingFilesAnalyzed {
        /// Files (default 1).
        #[serde(default = "one")]
        count: u64,
    }
    example r#"{"type":"coding.files_analyzed","count":12}"#;
    /// Coding: lines of code reviewed.
    "coding.lines_reviewed" => CodingLinesReviewed {
        /// Lines (default 1).
        #[serde(default = "one")]
        count: u64,
    }
    example r#"{"type":"coding.lines_reviewed","count":400}"#;
    /// Coding: issues found.
    "coding.issues_found" => CodingIssuesFound {
        /// Issues (default 1).
        #[serde(default = "one")]
        count: u64,
    }
    example r#"{"type":"coding.issues_found"}"#;
    /// Coding: tests generated.
    "coding.tests_generated" => CodingTestsGenerated {
        /// Tests (default 1).
        #[serde(default = "one")]
        count: u64,
    }
    example r#"{"type":"coding.tests_generated","count":2}"#;
    /// Coding: the refactoring success ratio now.
    "coding.refactoring_success_rate" => CodingRefactoringSuccessRate {
        /// 0 to 1.
        value: f64,
    }
    example r#"{"type":"coding.refactoring_success_rate","value":0.9}"#;
    /// RAG: documents ingested.
    "rag.documents_ingested" => RagDocumentsIngested {
        /// Documents (default 1).
        #[serde(default = "one")]
        count: u64,
    }
    example r#"{"type":"rag.documents_ingested","count":5}"#;
    /// RAG: the search accuracy now.
    "rag.search_accuracy" => RagSearchAccuracy {
        /// 0 to 1.
        value: f64,
    }
    example r#"{"type":"rag.search_accuracy","value":0.8}"#;
    /// RAG: one retrieval.
    "rag.retrieval" => RagRetrieval {
        /// Milliseconds, ≥ 0.
        duration_ms: f64,
    }
    example r#"{"type":"rag.retrieval","duration_ms":30}"#;
    /// RAG: the index size now.
    "rag.index_size" => RagIndexSize {
        /// Bytes.
        bytes: u64,
    }
    example r#"{"type":"rag.index_size","bytes":1048576}"#;
    /// DevOps: one deployment.
    "devops.deployment" => DevOpsDeployment {}
    example r#"{"type":"devops.deployment"}"#;
    /// DevOps: the deployment success ratio now.
    "devops.deployment_success_rate" => DevOpsDeploymentSuccessRate {
        /// 0 to 1.
        value: f64,
    }
    example r#"{"type":"devops.deployment_success_rate","value":1}"#;
    /// DevOps: containers under management now.
    "devops.containers_managed" => DevOpsContainersManaged {
        /// Containers.
        count: u64,
    }
    example r#"{"type":"devops.containers_managed","count":7}"#;
    /// DevOps: one CI pipeline executed.
    "devops.ci_pipeline_executed" => DevOpsCiPipelineExecuted {}
    example r#"{"type":"devops.ci_pipeline_executed"}"#;
    /// Data analysis: one query.
    "dataanalysis.query" => DataAnalysisQuery {
        /// Milliseconds, ≥ 0.
        duration_ms: f64,
    }
    example r#"{"type":"dataanalysis.query","duration_ms":250}"#;
    /// Data analysis: one visualization created.
    "dataanalysis.visualization" => DataAnalysisVisualization {}
    example r#"{"type":"dataanalysis.visualization"}"#;
    /// Data analysis: the size of a data set analyzed.
    "dataanalysis.data_size" => DataAnalysisDataSize {
        /// Bytes.
        bytes: u64,
    }
    example r#"{"type":"dataanalysis.data_size","bytes":2048}"#;
    /// Research: one search.
    "research.search" => ResearchSearch {}
    example r#"{"type":"research.search"}"#;
    /// Research: citations generated.
    "research.citations" => ResearchCitations {
        /// Citations (default 1).
        #[serde(default = "one")]
        count: u64,
    }
    example r#"{"type":"research.citations","count":3}"#;
    /// Research: sources analyzed.
    "research.sources_analyzed" => ResearchSourcesAnalyzed {
        /// Sources (default 1).
        #[serde(default = "one")]
        count: u64,
    }
    example r#"{"type":"research.sources_analyzed","count":9}"#;
    /// Research: one synthesis.
    "research.synthesis" => ResearchSynthesis {
        /// Milliseconds, ≥ 0.
        duration_ms: f64,
    }
    example r#"{"type":"research.synthesis","duration_ms":1500}"#;

    // ---- Security ----
    /// The authorization success ratio now.
    "security.authorization_success_rate" => AuthorizationSuccessRate {
        /// 0 to 1.
        value: f64,
    }
    example r#"{"type":"security.authorization_success_rate","value":0.99}"#;
    /// Failed authorizations.
    "security.failed_authorization" => FailedAuthorization {
        /// Failures (default 1).
        #[serde(default = "one")]
        count: u64,
    }
    example r#"{"type":"security.failed_authorization"}"#;
    /// The security test pass ratio now.
    "security.test_pass_rate" => SecurityTestPassRate {
        /// 0 to 1.
        value: f64,
    }
    example r#"{"type":"security.test_pass_rate","value":0.95}"#;
    /// A vulnerability found.
    "security.vulnerability_found" => VulnerabilityFound {
        /// `low`, `medium`, `high` or `critical`.
        severity: String,
    }
    example r#"{"type":"security.vulnerability_found","severity":"high"}"#;
    /// One security scan.
    "security.scan" => SecurityScan {
        /// Milliseconds, ≥ 0.
        duration_ms: f64,
    }
    example r#"{"type":"security.scan","duration_ms":42000}"#;

    // ---- Start-up and resources ----
    /// The agent finished initializing.
    "bootstrap.initialized" => Initialized {
        /// Milliseconds it took, ≥ 0.
        duration_ms: f64,
    }
    example r#"{"type":"bootstrap.initialized","duration_ms":1800}"#;
    /// How long the last start-up spent in a phase.
    "bootstrap.phase" => BootstrapPhase {
        /// The phase.
        phase: String,
        /// Milliseconds, ≥ 0.
        duration_ms: f64,
    }
    example r#"{"type":"bootstrap.phase","phase":"load_tools","duration_ms":450}"#;
    /// A component loaded lazily after start-up.
    "bootstrap.lazy_load" => LazyLoad {
        /// The component.
        component: String,
    }
    example r#"{"type":"bootstrap.lazy_load","component":"embeddings"}"#;
    /// The memory a component of the agent holds now.
    "memory.usage" => MemoryUsage {
        /// The component (`process` for the whole agent process).
        component: String,
        /// Bytes.
        bytes: u64,
    }
    example r#"{"type":"memory.usage","component":"vector_store","bytes":268435456}"#;
}

/// How an agent task ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Done.
    Completed,
    /// Given up.
    Failed,
}

fn chat() -> LlmOperation {
    LlmOperation::Chat
}

fn build() -> AgentMode {
    AgentMode::Build
}

fn yes() -> bool {
    true
}

/// What an event on the wire may carry besides its variant's fields: its `type` and the W3C
/// trace it belongs to. The JSON Schema describes events as this plus one variant.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Envelope {
    /// The event type; one of [`Event::TYPES`].
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The W3C trace the event belongs to: 32 lowercase hex digits, not all zero. The durations
    /// it records keep it as their exemplar.
    #[serde(default)]
    pub trace_id: Option<String>,
}

/// `duration_ms` as a duration, refused when negative or not finite.
fn duration(ms: f64) -> Result<Duration, Refusal> {
    if ms < 0.0 {
        return Err(Refusal {
            reason: Rejection::NegativeDuration,
            message: format!("field `duration_ms` is negative ({ms})"),
        });
    }
    Duration::try_from_secs_f64(ms / 1000.0).map_err(|err| Refusal::invalid("duration_ms", err))
}

/// A ratio, refused outside 0 to 1.
fn share(field: &str, value: f64) -> Result<f64, Refusal> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(Refusal::invalid(
            field,
            format!("{value} is outside 0 to 1"),
        ))
    }
}

/// A figure that cannot be negative.
fn non_negative(field: &str, value: f64) -> Result<f64, Refusal> {
    if value >= 0.0 && value.is_finite() {
        Ok(value)
    } else {
        Err(Refusal::invalid(
            field,
            format!("{value} is not a number ≥ 0"),
        ))
    }
}

impl Event {
    /// Checks what the types alone cannot: durations ≥ 0, ratios within 0 to 1, status codes
    /// within 100 to 599, costs ≥ 0, and an `error.raised` that names what failed.
    ///
    /// # Errors
    /// The first problem, naming the field.
    pub fn check(&self) -> Result<(), Refusal> {
        use Event as E;
        self.check_bounds()?;
        match self {
            E::RequestCompleted {
                status,
                duration_ms,
                ..
            } => {
                if !(100..=599).contains(status) {
                    return Err(Refusal::invalid(
                        "status",
                        format!("{status} is not an HTTP status"),
                    ));
                }
                duration(*duration_ms)?;
            }
            E::LlmCompleted {
                cost_usd,
                duration_ms,
                time_to_first_token_ms,
                prompt_tokens,
                cached_prompt_tokens,
                ..
            } => {
                if cached_prompt_tokens > prompt_tokens {
                    return Err(Refusal::invalid(
                        "cached_prompt_tokens",
                        format!(
                            "{cached_prompt_tokens} cached of {prompt_tokens} prompt tokens; \
                             cached tokens are part of the prompt's"
                        ),
                    ));
                }
                if let Some(cost) = cost_usd {
                    non_negative("cost_usd", *cost)?;
                }
                if let Some(first) = time_to_first_token_ms {
                    non_negative("time_to_first_token_ms", *first)?;
                }
                duration(*duration_ms)?;
            }
            E::ErrorRaised {
                tool,
                provider,
                model,
                ..
            } => match (tool, provider, model) {
                (Some(_), _, _) | (None, Some(_), Some(_)) => {}
                (None, Some(_), None) => {
                    return Err(Refusal {
                        reason: Rejection::MissingField,
                        message: "missing field `model`".to_owned(),
                    });
                }
                (None, None, _) => {
                    return Err(Refusal {
                        reason: Rejection::MissingField,
                        message: "missing field `tool` or `provider`".to_owned(),
                    });
                }
            },
            E::CoordinatorResources { cpu_percent, .. } => {
                non_negative("cpu_percent", *cpu_percent)?;
            }
            E::PlanningSuccessRate { value, .. }
            | E::MemoryRecallAccuracy { value, .. }
            | E::Proficiency { value, .. }
            | E::CodingRefactoringSuccessRate { value }
            | E::RagSearchAccuracy { value }
            | E::DevOpsDeploymentSuccessRate { value }
            | E::AuthorizationSuccessRate { value }
            | E::SecurityTestPassRate { value } => {
                share("value", *value)?;
            }
            E::ChatCompleted { duration_ms, .. }
            | E::ToolExecuted { duration_ms, .. }
            | E::ToolSelectionCompleted { duration_ms, .. }
            | E::SessionEnded { duration_ms, .. }
            | E::CoordinatorCompleted { duration_ms, .. }
            | E::RagRetrieval { duration_ms }
            | E::DataAnalysisQuery { duration_ms }
            | E::ResearchSynthesis { duration_ms }
            | E::SecurityScan { duration_ms }
            | E::Initialized { duration_ms }
            | E::BootstrapPhase { duration_ms, .. } => {
                duration(*duration_ms)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Records the event through the family that owns its metrics. Call [`Event::check`]
    /// first: a value it would refuse is recorded clamped (a negative duration as zero).
    pub fn apply(&self, metrics: &VictorMetrics) {
        use Event as E;
        let ms = |ms: &f64| duration(*ms).unwrap_or_default();
        match self {
            E::RequestCompleted {
                endpoint,
                method,
                status,
                duration_ms,
                error_type,
            } => metrics.requests().record_request(&Request {
                endpoint,
                method,
                status: *status,
                duration: ms(duration_ms),
                error_type: error_type.as_deref(),
            }),
            E::RequestInFlight {
                endpoint,
                method,
                count,
            } => metrics
                .gauge(&cat::ACTIVE_REQUESTS, [endpoint, method])
                .set(*count as f64),
            E::ChatCompleted {
                provider,
                duration_ms,
            } => metrics
                .requests()
                .record_chat_request(provider, ms(duration_ms)),
            E::LlmCompleted {
                provider,
                model,
                operation,
                prompt_tokens,
                completion_tokens,
                cached_prompt_tokens,
                cost_usd,
                tool_calls,
                duration_ms,
                error_type,
                response_model,
                time_to_first_token_ms,
                finish_reason,
            } => metrics.providers().record_llm_call(&LlmCall {
                provider,
                model,
                operation: *operation,
                prompt_tokens: *prompt_tokens,
                completion_tokens: *completion_tokens,
                cached_prompt_tokens: *cached_prompt_tokens,
                cost_usd: *cost_usd,
                tool_calls: *tool_calls,
                duration: ms(duration_ms),
                error_type: error_type.as_deref(),
                response_model: response_model.as_deref(),
                time_to_first_token: time_to_first_token_ms.map(|first| ms(&first)),
                finish_reason: finish_reason.as_deref(),
            }),
            E::ProviderHealth { provider, healthy } => {
                metrics.providers().set_provider_health(provider, *healthy);
            }
            E::ToolExecuted {
                tool,
                vertical,
                mode,
                status,
                duration_ms,
                error_type,
            } => metrics.tools().record_tool_execution(&ToolExecution {
                tool,
                vertical,
                mode: *mode,
                status: *status,
                duration: ms(duration_ms),
                error_type: error_type.as_deref(),
            }),
            E::ToolInFlight { tool, count } => metrics
                .gauge(&cat::TOOL_ACTIVE_EXECUTIONS, [tool])
                .set(*count as f64),
            E::ErrorRaised {
                error_type,
                tool,
                provider,
                model,
            } => match (tool, provider) {
                (Some(tool), _) => metrics
                    .counter(&cat::TOOL_ERRORS_TOTAL, [tool, error_type])
                    .increment(1),
                (None, Some(provider)) => metrics
                    .counter(
                        &cat::LLM_ERRORS_TOTAL,
                        [
                            provider,
                            model.as_deref().unwrap_or_default(),
                            LlmOperation::Chat.as_str(),
                            error_type,
                        ],
                    )
                    .increment(1),
                (None, None) => {}
            },
            E::CacheHit { cache } => metrics.caches().record_cache_hit(cache),
            E::CacheMiss { cache } => metrics.caches().record_cache_miss(cache),
            E::CacheEviction { cache, count } => {
                metrics.caches().record_cache_eviction(cache, *count);
            }
            E::CacheSize { cache, bytes } => metrics.caches().set_cache_size(cache, *bytes),
            E::ToolSelectionCompleted {
                namespace,
                duration_ms,
                cache_hit,
            } => metrics
                .caches()
                .record_tool_selection(namespace, ms(duration_ms), *cache_hit),
            E::ToolSelectionEviction { namespace, count } => metrics
                .caches()
                .record_tool_selection_eviction(namespace, *count),
            E::ToolSelectionCache {
                namespace,
                entries,
                capacity,
                memory_bytes,
            } => metrics.caches().set_tool_selection_cache(
                namespace,
                *entries,
                *capacity,
                *memory_bytes,
            ),
            E::SessionStarted { interface } => metrics.sessions().record_session_started(interface),
            E::SessionEnded {
                interface,
                duration_ms,
                requests,
            } => metrics
                .sessions()
                .record_session_ended(interface, ms(duration_ms), *requests),
            E::UsersActive { interface, count } => {
                metrics.sessions().set_active_users(interface, *count);
            }
            E::TaskCompleted { status } => metrics
                .sessions()
                .record_task(*status == TaskStatus::Completed),
            E::WorkflowCompleted { workflow, status } => metrics
                .agentic()
                .record_workflow_execution(workflow, status),
            E::FeatureUsed { feature } => metrics.agentic().record_feature_usage(feature),
            E::VerticalUsed { vertical, mode } => {
                metrics.agentic().record_vertical_usage(vertical, *mode);
            }
            E::CoordinatorCompleted {
                coordinator,
                duration_ms,
                success,
            } => metrics
                .agentic()
                .record_coordinator_run(coordinator, ms(duration_ms), *success),
            E::CoordinatorResources {
                coordinator,
                memory_bytes,
                cpu_percent,
            } => metrics.agentic().set_coordinator_resources(
                coordinator,
                *memory_bytes,
                *cpu_percent,
            ),
            E::PlanningSuccessRate { vertical, value } => metrics
                .agentic()
                .set_planning_success_rate(vertical, *value),
            E::MemoryRecallAccuracy { memory_type, value } => metrics
                .agentic()
                .set_memory_recall_accuracy(memory_type, *value),
            E::SkillDiscovered { skill_type } => {
                metrics.agentic().record_skill_discovered(skill_type);
            }
            E::Proficiency { skill, value } => {
                metrics.agentic().set_proficiency_score(skill, *value);
            }
            E::SelfImprovementLoop { outcome } => {
                metrics.agentic().record_self_improvement_loop(outcome);
            }
            E::MemoryOperation { operation, status } => {
                metrics.agentic().record_memory_operation(operation, status);
            }
            E::CodingFilesAnalyzed { count } => {
                vertical(metrics, VerticalActivity::CodingFilesAnalyzed(*count))
            }
            E::CodingLinesReviewed { count } => {
                vertical(metrics, VerticalActivity::CodingLinesReviewed(*count))
            }
            E::CodingIssuesFound { count } => {
                vertical(metrics, VerticalActivity::CodingIssuesFound(*count))
            }
            E::CodingTestsGenerated { count } => {
                vertical(metrics, VerticalActivity::CodingTestsGenerated(*count))
            }
            E::CodingRefactoringSuccessRate { value } => {
                vertical(
                    metrics,
                    VerticalActivity::CodingRefactoringSuccessRate(*value),
                );
            }
            E::RagDocumentsIngested { count } => {
                vertical(metrics, VerticalActivity::RagDocumentsIngested(*count))
            }
            E::RagSearchAccuracy { value } => {
                vertical(metrics, VerticalActivity::RagSearchAccuracy(*value))
            }
            E::RagRetrieval { duration_ms } => {
                vertical(metrics, VerticalActivity::RagRetrieval(ms(duration_ms)))
            }
            E::RagIndexSize { bytes } => vertical(metrics, VerticalActivity::RagIndexSize(*bytes)),
            E::DevOpsDeployment {} => vertical(metrics, VerticalActivity::DevOpsDeployment),
            E::DevOpsDeploymentSuccessRate { value } => {
                vertical(
                    metrics,
                    VerticalActivity::DevOpsDeploymentSuccessRate(*value),
                );
            }
            E::DevOpsContainersManaged { count } => {
                vertical(metrics, VerticalActivity::DevOpsContainersManaged(*count))
            }
            E::DevOpsCiPipelineExecuted {} => {
                vertical(metrics, VerticalActivity::DevOpsCiPipelineExecuted)
            }
            E::DataAnalysisQuery { duration_ms } => vertical(
                metrics,
                VerticalActivity::DataAnalysisQuery(ms(duration_ms)),
            ),
            E::DataAnalysisVisualization {} => {
                vertical(metrics, VerticalActivity::DataAnalysisVisualization)
            }
            E::DataAnalysisDataSize { bytes } => {
                vertical(metrics, VerticalActivity::DataAnalysisDataSize(*bytes))
            }
            E::ResearchSearch {} => vertical(metrics, VerticalActivity::ResearchSearch),
            E::ResearchCitations { count } => {
                vertical(metrics, VerticalActivity::ResearchCitations(*count))
            }
            E::ResearchSourcesAnalyzed { count } => {
                vertical(metrics, VerticalActivity::ResearchSourcesAnalyzed(*count))
            }
            E::ResearchSynthesis { duration_ms } => vertical(
                metrics,
                VerticalActivity::ResearchSynthesis(ms(duration_ms)),
            ),
            E::AuthorizationSuccessRate { value } => {
                security(metrics, SecuritySignal::AuthorizationSuccessRate(*value));
            }
            E::FailedAuthorization { count } => {
                metrics.security().record_failed_authorizations(*count);
            }
            E::SecurityTestPassRate { value } => {
                security(metrics, SecuritySignal::TestPassRate(*value))
            }
            E::VulnerabilityFound { severity } => {
                security(metrics, SecuritySignal::VulnerabilityFound { severity });
            }
            E::SecurityScan { duration_ms } => {
                security(metrics, SecuritySignal::Scan(ms(duration_ms)))
            }
            E::Initialized { duration_ms } => {
                metrics.bootstrap().record_initialization(ms(duration_ms))
            }
            E::BootstrapPhase { phase, duration_ms } => metrics
                .bootstrap()
                .set_bootstrap_phase(phase, ms(duration_ms)),
            E::LazyLoad { component } => metrics.bootstrap().record_lazy_load(component),
            E::MemoryUsage { component, bytes } => {
                metrics.system().set_memory_usage(component, *bytes);
            }
        }
    }
}

/// The catalog metrics `event` records, found by applying it to a fresh store and refreshing
/// the families (so the window gauges it feeds count too, but not those a refresh sets on its
/// own): what `docs/api.md` lists per type.
pub fn recorded_metrics(event: &Event) -> Vec<&'static str> {
    let baseline = metrics_in_store(|_| {});
    metrics_in_store(|metrics| event.apply(metrics))
        .into_iter()
        .filter(|name| !baseline.contains(name))
        .collect()
}

/// The catalog metrics with a series after `record` and a refresh, on a fresh store.
fn metrics_in_store(record: impl FnOnce(&VictorMetrics)) -> Vec<&'static str> {
    let Ok((store, _exposition)) = crate::exposition::ExpositionBuilder::new().build() else {
        return Vec::new();
    };
    let metrics = VictorMetrics::new();
    metrics::with_local_recorder(&store, || {
        record(&metrics);
        metrics.refresh();
    });
    cat::ALL
        .iter()
        .filter(|def| store.visit_metric(def.name(), 0, |_, _| {}) > 0)
        .map(|def| def.name())
        .collect()
}

fn vertical(metrics: &VictorMetrics, activity: VerticalActivity) {
    metrics.agentic().record_vertical_activity(activity);
}

fn security(metrics: &VictorMetrics, signal: SecuritySignal<'_>) {
    metrics.security().record_security(signal);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Group;

    fn example(index: usize) -> Event {
        serde_json::from_str(Event::EXAMPLES[index])
            .unwrap_or_else(|err| panic!("{}: {err}", Event::EXAMPLES[index]))
    }

    #[test]
    fn every_example_parses_checks_and_names_its_type() {
        assert_eq!(Event::EXAMPLES.len(), Event::TYPES.len());
        for (index, kind) in Event::TYPES.iter().enumerate() {
            let event = example(index);
            assert_eq!(event.type_name(), *kind);
            event.check().unwrap_or_else(|err| panic!("{kind}: {err}"));
            assert!(
                !recorded_metrics(&event).is_empty(),
                "{kind} records nothing"
            );
        }
    }

    /// The groups an agent produces: everything but the toolkit's and the exporter's own
    /// (system sampling, probes, span export, alerting, ingestion, self-monitoring).
    fn agent_produced(group: Group) -> bool {
        !matches!(
            group,
            Group::System
                | Group::Health
                | Group::Tracing
                | Group::Alerting
                | Group::Ingestion
                | Group::Exporter
                | Group::SelfMonitoring
        )
    }

    #[test]
    fn every_metric_an_agent_produces_is_reachable_through_some_event() {
        // The examples succeed; these fail, which the error counters need.
        let failures = [
            r#"{"type":"request.completed","endpoint":"/chat","method":"POST","status":503,"duration_ms":12}"#,
            r#"{"type":"tool.executed","tool":"shell","vertical":"devops","status":"timeout","duration_ms":30000}"#,
            r#"{"type":"llm.completed","provider":"openai","model":"gpt","prompt_tokens":1,"completion_tokens":0,"duration_ms":90,"error_type":"rate_limit"}"#,
        ];
        let mut reached: Vec<&str> = Event::EXAMPLES
            .iter()
            .chain(&failures)
            .flat_map(|json| {
                let event: Event = serde_json::from_str(json).expect("valid");
                // With what a refresh derives (the window gauges), which the event feeds.
                metrics_in_store(|metrics| event.apply(metrics))
            })
            .collect();
        reached.sort_unstable();
        reached.dedup();
        for def in cat::ALL.iter().filter(|def| agent_produced(def.group())) {
            assert!(
                reached.contains(&def.name()),
                "no event produces {}: add one to crates/victor-metrics-core/src/events.rs",
                def.name()
            );
        }
    }

    #[test]
    fn out_of_range_values_are_refused_naming_the_field() {
        let refused = |json: &str| {
            let event: Event = serde_json::from_str(json).expect("well-formed");
            event.check().expect_err("refused")
        };
        let negative = refused(r#"{"type":"rag.retrieval","duration_ms":-1}"#);
        assert_eq!(negative.reason, Rejection::NegativeDuration);
        let share = refused(r#"{"type":"rag.search_accuracy","value":1.5}"#);
        assert_eq!(share.message, "field `value`: 1.5 is outside 0 to 1");
        let status = refused(
            r#"{"type":"request.completed","endpoint":"/","method":"GET","status":700,"duration_ms":1}"#,
        );
        assert_eq!(status.message, "field `status`: 700 is not an HTTP status");
        let nothing = refused(r#"{"type":"error.raised","error_type":"x"}"#);
        assert_eq!(nothing.reason, Rejection::MissingField);
        let cached = refused(
            r#"{"type":"llm.completed","provider":"p","model":"m","prompt_tokens":10,"completion_tokens":1,"cached_prompt_tokens":11,"duration_ms":5}"#,
        );
        assert!(
            cached
                .message
                .starts_with("field `cached_prompt_tokens`: 11 cached of 10"),
            "{}",
            cached.message
        );
    }

    proptest::proptest! {
        /// Event → applied metrics: counts up to the limit are added exactly, in any number of
        /// events, and every count past it is refused naming the field and the limit, so a
        /// counter never goes backwards.
        #[test]
        fn counts_apply_exactly_and_past_the_limit_are_refused(
            counts in proptest::collection::vec(
                proptest::prop_oneof![0..=MAX_EVENT_NUMBER, proptest::num::u64::ANY],
                1..8,
            ),
        ) {
            let (store, exposition) =
                crate::exposition::ExpositionBuilder::new().build().expect("catalog buckets");
            let metrics = VictorMetrics::new();
            let mut expected = 0_u128;
            for count in &counts {
                let text = format!(r#"{{"type":"cache.eviction","cache":"c","count":{count}}}"#);
                match Event::from_json("cache.eviction", &text) {
                    Ok(event) => {
                        proptest::prop_assert!(*count <= MAX_EVENT_NUMBER);
                        metrics::with_local_recorder(&store, || event.apply(&metrics));
                        expected += u128::from(*count);
                    }
                    Err(refusal) => {
                        proptest::prop_assert!(*count > MAX_EVENT_NUMBER);
                        proptest::prop_assert!(
                            refusal.message.starts_with("field `count`:")
                                && refusal.message.contains("9007199254740992"),
                            "{}", refusal.message
                        );
                    }
                }
            }
            let text = exposition.render();
            let total = text
                .lines()
                .find(|line| line.starts_with("victor_cache_evictions_total{"))
                .and_then(|line| line.rsplit(' ').next()?.parse::<u128>().ok())
                .unwrap_or(0);
            proptest::prop_assert_eq!(total, expected, "{}", text);
        }
    }

    #[test]
    fn closed_label_values_parse_and_name_the_alternatives() {
        assert_eq!("timeout".parse::<ToolStatus>(), Ok(ToolStatus::Timeout));
        assert_eq!("plan".parse::<AgentMode>(), Ok(AgentMode::Plan));
        let err = "chatty".parse::<LlmOperation>().expect_err("unknown");
        assert_eq!(
            err.to_string(),
            "\"chatty\" is not a valid LLM operation; expected one of chat, text_completion, embeddings"
        );
        let refusal = Event::from_json(
            "tool.executed",
            r#"{"type":"tool.executed","tool":"t","vertical":"v","status":"fine","duration_ms":1}"#,
        )
        .expect_err("unknown status");
        assert_eq!(refusal.reason, Rejection::InvalidField);
        assert!(
            refusal
                .message
                .starts_with("field `status`: unknown variant `fine`"),
            "{refusal:?}"
        );
    }
}
