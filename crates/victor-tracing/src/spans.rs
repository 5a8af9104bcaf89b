//! Spans for the agent's own operations, with the OpenTelemetry GenAI semantic-convention
//! attributes, started straight on the OpenTelemetry SDK tracer.
//!
//! They take their parent from the current OpenTelemetry context, which the `tracing` layer keeps
//! in step with the entered `tracing` span: an LLM call made inside a request handler nests under
//! the request's server span. Going straight to the SDK (rather than through a `tracing` span)
//! keeps an unsampled span to a sampling decision and a sampled one under a microsecond; attributes
//! are only built for spans that are recorded, from strings made once per value.

use std::borrow::Cow;

use opentelemetry::trace::{
    Span as _, SpanBuilder, SpanKind, Status, TraceContextExt as _, Tracer as _,
};
use opentelemetry::{Context, ContextGuard, KeyValue};
use opentelemetry_sdk::trace::{SdkTracer, Span as SdkSpan};
use victor_metrics_core::{LlmOperation, ToolStatus};

use crate::interned;

/// Attribute names from the OpenTelemetry semantic conventions (GenAI and general).
pub mod attribute {
    /// `chat`, `text_completion`, `embeddings` or `execute_tool`.
    pub const GEN_AI_OPERATION_NAME: &str = "gen_ai.operation.name";
    /// The LLM provider (`anthropic`, `openai`).
    pub const GEN_AI_PROVIDER_NAME: &str = "gen_ai.provider.name";
    /// The model asked for.
    pub const GEN_AI_REQUEST_MODEL: &str = "gen_ai.request.model";
    /// The model that answered.
    pub const GEN_AI_RESPONSE_MODEL: &str = "gen_ai.response.model";
    /// Why the answer ended, as a list (`["stop"]`).
    pub const GEN_AI_RESPONSE_FINISH_REASONS: &str = "gen_ai.response.finish_reasons";
    /// Seconds from a streamed request to its first chunk.
    pub const GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: &str = "gen_ai.response.time_to_first_chunk";
    /// The call's cost in US dollars, as recorded in `victor_llm_cost_usd`.
    pub const VICTOR_LLM_COST_USD: &str = "victor.llm.cost_usd";
    /// Prompt tokens.
    pub const GEN_AI_USAGE_INPUT_TOKENS: &str = "gen_ai.usage.input_tokens";
    /// Completion tokens.
    pub const GEN_AI_USAGE_OUTPUT_TOKENS: &str = "gen_ai.usage.output_tokens";
    /// The tool run.
    pub const GEN_AI_TOOL_NAME: &str = "gen_ai.tool.name";
    /// Why an operation failed (`timeout`, `rate_limit`, …).
    pub const ERROR_TYPE: &str = "error.type";
    /// The Victor vertical that ran a tool (`coding`, `rag`, …).
    pub const VICTOR_VERTICAL: &str = "victor.vertical";
    /// How a tool execution ended (`success`, `failure`, `timeout`, …; the metric's label).
    pub const VICTOR_TOOL_STATUS: &str = "victor.tool.status";
    /// The HTTP method, `_OTHER` for non-standard ones.
    pub const HTTP_REQUEST_METHOD: &str = "http.request.method";
    /// The route template that matched.
    pub const HTTP_ROUTE: &str = "http.route";
    /// The request's path.
    pub const URL_PATH: &str = "url.path";
    /// The status code answered.
    pub const HTTP_RESPONSE_STATUS_CODE: &str = "http.response.status_code";
}

/// Starts the agent's spans. Cheap to clone; [`SpanTracer::disabled`] starts none.
///
/// Take it from [`crate::Telemetry::spans`], or anywhere after [`crate::Telemetry::install`]
/// from [`crate::spans()`].
///
/// ```
/// use victor_metrics_core::{LlmOperation, ToolStatus};
///
/// let spans = victor_tracing::spans();
/// let mut llm = spans.llm_call("anthropic", "claude-sonnet-4", LlmOperation::Chat);
/// // … call the provider …
/// llm.record_tokens(1_200, 350);
/// drop(llm); // ends the span
///
/// let mut tool = spans.tool_execution("read_file", "coding");
/// tool.record_status(ToolStatus::Success, None);
/// ```
#[derive(Clone, Debug, Default)]
pub struct SpanTracer {
    tracer: Option<SdkTracer>,
}

impl SpanTracer {
    /// A tracer whose spans do nothing (tracing is off).
    pub const fn disabled() -> Self {
        SpanTracer { tracer: None }
    }

    /// Helpers on a tracer of your own OpenTelemetry set-up, for services that configure the SDK
    /// themselves.
    pub fn from_tracer(tracer: SdkTracer) -> Self {
        SpanTracer {
            tracer: Some(tracer),
        }
    }

    /// A client span for one LLM call, named `{operation} {model}` as the GenAI conventions
    /// say, with `gen_ai.operation.name`, `gen_ai.provider.name` and `gen_ai.request.model`.
    /// Record the token usage on it when the answer arrives.
    pub fn llm_call(&self, provider: &str, model: &str, operation: LlmOperation) -> AgentSpan {
        self.start(operation.as_str(), SpanKind::Client, |span| {
            span.update_name(interned::name(operation.as_str(), model));
            span.set_attributes([
                KeyValue::new(attribute::GEN_AI_OPERATION_NAME, operation.as_str()),
                KeyValue::new(attribute::GEN_AI_PROVIDER_NAME, interned::value(provider)),
                KeyValue::new(attribute::GEN_AI_REQUEST_MODEL, interned::value(model)),
            ]);
        })
    }

    /// An internal span for one tool execution, named `execute_tool {tool}`, with
    /// `gen_ai.operation.name = execute_tool`, `gen_ai.tool.name` and `victor.vertical`.
    /// Record how it ended with [`AgentSpan::record_status`].
    pub fn tool_execution(&self, tool: &str, vertical: &str) -> AgentSpan {
        self.start("execute_tool", SpanKind::Internal, |span| {
            span.update_name(interned::name("execute_tool", tool));
            span.set_attributes([
                KeyValue::new(attribute::GEN_AI_OPERATION_NAME, "execute_tool"),
                KeyValue::new(attribute::GEN_AI_TOOL_NAME, interned::value(tool)),
                KeyValue::new(attribute::VICTOR_VERTICAL, interned::value(vertical)),
            ]);
        })
    }

    /// A span of any other operation of the agent, under the current context.
    pub fn operation(&self, name: impl Into<Cow<'static, str>>) -> AgentSpan {
        self.start(name, SpanKind::Internal, |_| {})
    }

    /// The server span of one HTTP request under `parent` (the caller's context), named
    /// `{method} {route}` with the HTTP semantic-convention attributes.
    pub(crate) fn server(
        &self,
        parent: &Context,
        method: &http::Method,
        route: &str,
        path: &str,
    ) -> AgentSpan {
        let Some(tracer) = &self.tracer else {
            return AgentSpan { span: None };
        };
        let builder = SpanBuilder::from_name("HTTP").with_kind(SpanKind::Server);
        let mut span = tracer.build_with_context(builder, parent);
        if span.is_recording() {
            let method = known_method(method);
            span.update_name(interned::name(method, route));
            span.set_attributes([
                KeyValue::new(attribute::HTTP_REQUEST_METHOD, method),
                KeyValue::new(attribute::HTTP_ROUTE, interned::value(route)),
                KeyValue::new(attribute::URL_PATH, path.to_owned()),
            ]);
        }
        AgentSpan { span: Some(span) }
    }

    /// Starts a span under the current context; `describe` names and labels it only when the
    /// sampler kept it, so a dropped span builds no strings.
    fn start(
        &self,
        name: impl Into<Cow<'static, str>>,
        kind: SpanKind,
        describe: impl FnOnce(&mut SdkSpan),
    ) -> AgentSpan {
        let Some(tracer) = &self.tracer else {
            return AgentSpan { span: None };
        };
        let mut span = Context::map_current(|parent| {
            tracer.build_with_context(SpanBuilder::from_name(name).with_kind(kind), parent)
        });
        if span.is_recording() {
            describe(&mut span);
        }
        AgentSpan { span: Some(span) }
    }
}

/// One running span of the agent's work; it ends when dropped (or at [`AgentSpan::end`]).
///
/// The span is owned here, not shared, so recording on it takes no lock. To nest work under it,
/// [`enter`](AgentSpan::enter) it on this thread, or run a future in its context:
/// `future.with_context(span.context())` with [`opentelemetry::context::FutureExt`]. `tracing`
/// spans and the helpers started there become its children, and
/// [`crate::propagation::inject_current`] sends it as the parent of an outbound call.
#[derive(Debug)]
#[must_use = "a span ends as soon as it is dropped"]
pub struct AgentSpan {
    span: Option<SdkSpan>,
}

impl AgentSpan {
    /// Whether the span is being recorded (tracing on and the trace sampled).
    pub fn is_recording(&self) -> bool {
        self.span.as_ref().is_some_and(|span| span.is_recording())
    }

    /// The current context with this span as its active span, to propagate or to run work
    /// under; the current context unchanged when tracing is off.
    pub fn context(&self) -> Context {
        match &self.span {
            // Only the span's identity travels: children and outbound calls need no more, and
            // the span itself stays owned here.
            Some(span) => Context::current().with_remote_span_context(span.span_context().clone()),
            None => Context::current(),
        }
    }

    /// `parent` with this span as its active span.
    pub(crate) fn context_under(&self, parent: &Context) -> Context {
        match &self.span {
            Some(span) => parent.with_remote_span_context(span.span_context().clone()),
            None => parent.clone(),
        }
    }

    /// Records an HTTP response's status; 5xx marks the span as an error.
    pub(crate) fn record_response(&mut self, status: u16) {
        if let Some(span) = self.recording() {
            span.set_attribute(KeyValue::new(
                attribute::HTTP_RESPONSE_STATUS_CODE,
                i64::from(status),
            ));
            if status >= 500 {
                span.set_status(Status::error(""));
            }
        }
    }

    /// Makes this span the current context on this thread until the guard drops.
    pub fn enter(&self) -> Option<ContextGuard> {
        self.span.as_ref().map(|_| self.context().attach())
    }

    /// Records an LLM call's token usage (`gen_ai.usage.input_tokens` / `output_tokens`).
    pub fn record_tokens(&mut self, input: u64, output: u64) {
        if let Some(span) = self.recording() {
            span.set_attributes([
                KeyValue::new(attribute::GEN_AI_USAGE_INPUT_TOKENS, saturating_i64(input)),
                KeyValue::new(
                    attribute::GEN_AI_USAGE_OUTPUT_TOKENS,
                    saturating_i64(output),
                ),
            ]);
        }
    }

    /// Records how a tool execution ended; anything but success marks the span as an error with
    /// `error.type` (the given one, or the status).
    pub fn record_status(&mut self, status: ToolStatus, error_type: Option<&str>) {
        if let Some(span) = self.recording() {
            span.set_attribute(KeyValue::new(
                attribute::VICTOR_TOOL_STATUS,
                status.as_str(),
            ));
        }
        if status != ToolStatus::Success {
            self.record_error(error_type.unwrap_or(status.as_str()));
        }
    }

    /// Marks the operation as failed: `error.type` and an error status.
    pub fn record_error(&mut self, error_type: &str) {
        if let Some(span) = self.recording() {
            span.set_attribute(KeyValue::new(
                attribute::ERROR_TYPE,
                interned::value(error_type),
            ));
            span.set_status(Status::error(error_type.to_owned()));
        }
    }

    /// Sets any other attribute.
    pub fn set_attribute(&mut self, attribute: KeyValue) {
        if let Some(span) = self.recording() {
            span.set_attribute(attribute);
        }
    }

    /// Ends the span now.
    pub fn end(self) {
        drop(self);
    }

    fn recording(&mut self) -> Option<&mut SdkSpan> {
        self.span.as_mut().filter(|span| span.is_recording())
    }
}

impl Drop for AgentSpan {
    fn drop(&mut self) {
        if let Some(span) = &mut self.span {
            span.end();
        }
    }
}

/// The method as the HTTP conventions name it: the standard ones, else `_OTHER`.
fn known_method(method: &http::Method) -> &'static str {
    victor_metrics_core::method_label(method.as_str())
}

fn saturating_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use opentelemetry::trace::{SpanId, TracerProvider as _};
    use opentelemetry_sdk::error::OTelSdkResult;
    use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;
    use crate::Sampling;

    /// Keeps exported spans in memory.
    #[derive(Clone, Debug, Default)]
    struct Collected(Arc<Mutex<Vec<SpanData>>>);

    impl SpanExporter for Collected {
        async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
            self.0.lock().expect("spans").extend(batch);
            Ok(())
        }
    }

    impl Collected {
        fn named(&self, name: &str) -> SpanData {
            let spans = self.0.lock().expect("spans");
            spans
                .iter()
                .find(|span| span.name == name)
                .cloned()
                .unwrap_or_else(|| panic!("no span {name} in {:?}", names(&spans)))
        }
    }

    fn names(spans: &[SpanData]) -> Vec<&str> {
        spans.iter().map(|span| &*span.name).collect()
    }

    fn attribute(span: &SpanData, key: &str) -> Option<String> {
        span.attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| kv.value.to_string())
    }

    fn pipeline(sampling: Sampling) -> (SdkTracerProvider, Collected) {
        let collected = Collected::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(collected.clone())
            .with_sampler(sampling.sampler())
            .build();
        (provider, collected)
    }

    #[test]
    fn llm_and_tool_spans_carry_genai_attributes_under_the_tracing_span() {
        let (provider, collected) = pipeline(Sampling::parent_based(1.0));
        let tracer = provider.tracer("test");
        let spans = SpanTracer::from_tracer(tracer.clone());
        let subscriber =
            tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(tracer));
        tracing::subscriber::with_default(subscriber, || {
            let request = tracing::info_span!("request");
            let _entered = request.enter();
            let mut llm = spans.llm_call("anthropic", "claude-sonnet-4", LlmOperation::Chat);
            llm.record_tokens(1200, 350);
            let mut tool = {
                let _inside = llm.enter();
                spans.tool_execution("read_file", "coding")
            };
            tool.record_status(ToolStatus::Timeout, None);
            tool.end();
            llm.end();
        });
        let request = collected.named("request");
        let llm = collected.named("chat claude-sonnet-4");
        let tool = collected.named("execute_tool read_file");
        assert_eq!(llm.parent_span_id, request.span_context.span_id());
        assert_eq!(tool.parent_span_id, llm.span_context.span_id());
        assert_eq!(llm.span_context.trace_id(), request.span_context.trace_id());
        assert_eq!(llm.span_kind, SpanKind::Client);
        for (key, value) in [
            (attribute::GEN_AI_OPERATION_NAME, "chat"),
            (attribute::GEN_AI_PROVIDER_NAME, "anthropic"),
            (attribute::GEN_AI_REQUEST_MODEL, "claude-sonnet-4"),
            (attribute::GEN_AI_USAGE_INPUT_TOKENS, "1200"),
            (attribute::GEN_AI_USAGE_OUTPUT_TOKENS, "350"),
        ] {
            assert_eq!(attribute(&llm, key).as_deref(), Some(value), "{key}");
        }
        for (key, value) in [
            (attribute::GEN_AI_OPERATION_NAME, "execute_tool"),
            (attribute::GEN_AI_TOOL_NAME, "read_file"),
            (attribute::VICTOR_VERTICAL, "coding"),
            (attribute::VICTOR_TOOL_STATUS, "timeout"),
            (attribute::ERROR_TYPE, "timeout"),
        ] {
            assert_eq!(attribute(&tool, key).as_deref(), Some(value), "{key}");
        }
        assert!(
            matches!(tool.status, Status::Error { .. }),
            "{:?}",
            tool.status
        );
        assert_eq!(llm.status, Status::Unset);
    }

    #[test]
    fn unsampled_spans_build_nothing_and_export_nothing() {
        let (provider, collected) = pipeline(Sampling::parent_based(0.0));
        let spans = SpanTracer::from_tracer(provider.tracer("test"));
        let mut llm = spans.llm_call("openai", "gpt-4o", LlmOperation::Chat);
        assert!(!llm.is_recording());
        // Still a valid context, so the decision propagates downstream.
        assert!(llm.context().span().span_context().is_valid());
        llm.record_tokens(1, 1);
        drop(llm);
        assert!(collected.0.lock().expect("spans").is_empty());
    }

    #[test]
    fn disabled_tracer_starts_nothing() {
        let span = SpanTracer::disabled().tool_execution("grep", "coding");
        assert!(!span.is_recording());
        assert!(span.enter().is_none());
        assert_eq!(
            span.context().span().span_context().span_id(),
            SpanId::INVALID
        );
    }
}
