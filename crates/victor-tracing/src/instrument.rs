//! One-call instrumentation: a guard that starts the span and the timer, takes what arrives
//! (tokens, the first chunk of a stream, the model that answered), and when it ends records the
//! metrics (`victor_llm_*` and the GenAI `gen_ai_client_*`), the span's attributes and the cost
//! once, from the same figures, so the span and the series can never disagree.
//!
//! ```
//! use victor_metrics_core::{LlmOperation, VictorMetrics};
//! use victor_tracing::instrument::LlmCallGuard;
//!
//! let metrics = VictorMetrics::new();
//! let mut call = LlmCallGuard::start(&metrics, "anthropic", "claude-sonnet-4-5", LlmOperation::Chat);
//! // … send the request; on the first streamed chunk: call.first_token();
//! call.tokens(1_200, 300);
//! call.finish(); // priced from the pinned table; or call.fail("rate_limit")
//! ```
//!
//! A guard dropped without [`LlmCallGuard::finish`] or [`LlmCallGuard::fail`] (an early
//! return through `?`, a cancelled future) is recorded as failed with `error_type="_OTHER"`, as
//! the OpenTelemetry conventions name an unknown error: a call is never lost.

use std::time::Instant;

use opentelemetry::KeyValue;
use victor_metrics_core::{
    AgentMode, LlmCall, LlmOperation, ToolExecution, ToolStatus, VictorMetrics,
};

use crate::spans::{AgentSpan, SpanTracer, attribute};

/// The `error.type` of a guard dropped without an outcome.
pub const UNKNOWN_ERROR: &str = "_OTHER";

/// How a guard ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome<'a> {
    Open,
    Finished,
    Failed(&'a str),
}

/// One LLM call in flight; see the [module](self). Start it with [`LlmCallGuard::start`].
#[must_use = "a guard records when finished or dropped; bind it for the call's duration"]
#[derive(Debug)]
pub struct LlmCallGuard<'a> {
    metrics: &'a VictorMetrics,
    span: AgentSpan,
    provider: &'a str,
    model: &'a str,
    operation: LlmOperation,
    started: Instant,
    first_token: Option<Instant>,
    input_tokens: u64,
    output_tokens: u64,
    cached_input_tokens: u64,
    cost_usd: Option<f64>,
    tool_calls: bool,
    response_model: Option<Box<str>>,
    finish_reason: Option<Box<str>>,
    outcome: Outcome<'a>,
}

impl<'a> LlmCallGuard<'a> {
    /// Starts the call's span (under the current context, through the installed pipeline's
    /// [`crate::spans()`]) and its timer.
    pub fn start(
        metrics: &'a VictorMetrics,
        provider: &'a str,
        model: &'a str,
        operation: LlmOperation,
    ) -> LlmCallGuard<'a> {
        LlmCallGuard::start_with(&crate::spans(), metrics, provider, model, operation)
    }

    /// [`LlmCallGuard::start`] with the spans of a pipeline of one's own
    /// ([`crate::Telemetry::spans`]).
    pub fn start_with(
        spans: &SpanTracer,
        metrics: &'a VictorMetrics,
        provider: &'a str,
        model: &'a str,
        operation: LlmOperation,
    ) -> LlmCallGuard<'a> {
        LlmCallGuard {
            metrics,
            span: spans.llm_call(provider, model, operation),
            provider,
            model,
            operation,
            started: Instant::now(),
            first_token: None,
            input_tokens: 0,
            output_tokens: 0,
            cached_input_tokens: 0,
            cost_usd: None,
            tool_calls: false,
            response_model: None,
            finish_reason: None,
            outcome: Outcome::Open,
        }
    }

    /// Marks the first chunk of a streamed answer now; later calls change nothing.
    pub fn first_token(&mut self) {
        self.first_token.get_or_insert_with(Instant::now);
    }

    /// Sets the call's token usage, as the provider reports it (replacing any earlier figures).
    pub fn tokens(&mut self, input: u64, output: u64) {
        self.input_tokens = input;
        self.output_tokens = output;
    }

    /// Of the input tokens, those the provider read from its prompt cache (priced at the
    /// cached-input rate).
    pub fn cached_input_tokens(&mut self, cached: u64) {
        self.cached_input_tokens = cached;
    }

    /// Adds streamed output tokens as they arrive.
    pub fn add_output_tokens(&mut self, output: u64) {
        self.output_tokens = self.output_tokens.saturating_add(output);
    }

    /// The model that answered, when the provider names it (`gen_ai.response.model`).
    pub fn response_model(&mut self, model: &str) {
        self.response_model = Some(model.into());
    }

    /// Why the answer ended (`stop`, `length`, `tool_calls`, …), as the provider says.
    pub fn finish_reason(&mut self, reason: &str) {
        self.finish_reason = Some(reason.into());
    }

    /// The cost as the caller knows it; without one, the pinned price table's estimate applies.
    pub fn cost(&mut self, usd: f64) {
        self.cost_usd = Some(usd);
    }

    /// Whether the answer used tool calls.
    pub fn tool_calls(&mut self, used: bool) {
        self.tool_calls = used;
    }

    /// Ends the call as a success and records it.
    pub fn finish(mut self) {
        self.outcome = Outcome::Finished;
    }

    /// Ends the call as failed with `error_type` (`rate_limit`, `timeout`, …) and records it.
    pub fn fail(mut self, error_type: &'a str) {
        self.outcome = Outcome::Failed(error_type);
    }

    fn record(&mut self) {
        let error_type = match self.outcome {
            Outcome::Finished => None,
            Outcome::Failed(error_type) => Some(error_type),
            Outcome::Open => Some(UNKNOWN_ERROR),
        };
        let call = LlmCall {
            provider: self.provider,
            model: self.model,
            operation: self.operation,
            prompt_tokens: self.input_tokens,
            completion_tokens: self.output_tokens,
            cached_prompt_tokens: self.cached_input_tokens,
            cost_usd: self.cost_usd,
            tool_calls: self.tool_calls,
            duration: self.started.elapsed(),
            error_type,
            response_model: self.response_model.as_deref(),
            time_to_first_token: self
                .first_token
                .map(|first| first.saturating_duration_since(self.started)),
            finish_reason: self.finish_reason.as_deref(),
        };
        let cost = self.metrics.providers().record_llm_call_priced(&call);
        if !self.span.is_recording() {
            return;
        }
        self.span
            .record_tokens(call.prompt_tokens, call.completion_tokens);
        if let Some(model) = call.response_model {
            self.span.set_attribute(KeyValue::new(
                attribute::GEN_AI_RESPONSE_MODEL,
                model.to_owned(),
            ));
        }
        if let Some(first) = call.time_to_first_token {
            self.span.set_attribute(KeyValue::new(
                attribute::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
                first.as_secs_f64(),
            ));
        }
        if let Some(reason) = call.finish_reason {
            self.span.set_attribute(KeyValue::new(
                attribute::GEN_AI_RESPONSE_FINISH_REASONS,
                opentelemetry::Value::Array(
                    vec![opentelemetry::StringValue::from(reason.to_owned())].into(),
                ),
            ));
        }
        if let Some(cost) = cost {
            self.span
                .set_attribute(KeyValue::new(attribute::VICTOR_LLM_COST_USD, cost));
        }
        if let Some(error_type) = error_type {
            self.span.record_error(error_type);
        }
    }
}

impl Drop for LlmCallGuard<'_> {
    fn drop(&mut self) {
        self.record();
    }
}

/// One tool execution in flight: its span, its timer and its in-flight gauge; records
/// `victor_tool_*` and the span's status when it ends. Dropped without an outcome, it is
/// recorded as a failure with `error_type="_OTHER"`.
///
/// ```
/// use victor_metrics_core::{AgentMode, VictorMetrics};
/// use victor_tracing::instrument::ToolGuard;
///
/// let metrics = VictorMetrics::new();
/// let tool = ToolGuard::start(&metrics, "read_file", "coding", AgentMode::Build);
/// tool.finish();
/// ```
#[must_use = "a guard records when finished or dropped; bind it for the execution's duration"]
#[derive(Debug)]
pub struct ToolGuard<'a> {
    metrics: &'a VictorMetrics,
    span: AgentSpan,
    tool: &'a str,
    vertical: &'a str,
    mode: AgentMode,
    started: Instant,
    outcome: Option<(ToolStatus, Option<&'a str>)>,
    _in_flight: victor_metrics_core::InFlight,
}

impl<'a> ToolGuard<'a> {
    /// Starts the execution's span, timer and in-flight count.
    pub fn start(
        metrics: &'a VictorMetrics,
        tool: &'a str,
        vertical: &'a str,
        mode: AgentMode,
    ) -> ToolGuard<'a> {
        ToolGuard {
            metrics,
            span: crate::spans().tool_execution(tool, vertical),
            tool,
            vertical,
            mode,
            started: Instant::now(),
            outcome: None,
            _in_flight: metrics.tools().track_tool(tool),
        }
    }

    /// Ends the execution as a success.
    pub fn finish(mut self) {
        self.outcome = Some((ToolStatus::Success, None));
    }

    /// Ends the execution with `status` (`failure`, `timeout`, …) and why.
    pub fn end(mut self, status: ToolStatus, error_type: Option<&'a str>) {
        self.outcome = Some((status, error_type));
    }
}

impl Drop for ToolGuard<'_> {
    fn drop(&mut self) {
        let (status, error_type) = self
            .outcome
            .unwrap_or((ToolStatus::Failure, Some(UNKNOWN_ERROR)));
        self.metrics.tools().record_tool_execution(&ToolExecution {
            tool: self.tool,
            vertical: self.vertical,
            mode: self.mode,
            status,
            duration: self.started.elapsed(),
            error_type,
        });
        self.span.record_status(status, error_type);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use victor_metrics_core::exposition::ExpositionBuilder;

    #[test]
    fn tool_guards_record_their_outcome_once_and_a_dropped_one_as_failed() {
        let (recorder, exposition) = ExpositionBuilder::new().build().expect("catalog");
        let metrics = VictorMetrics::new();
        let text = metrics::with_local_recorder(&recorder, || {
            ToolGuard::start(&metrics, "read_file", "coding", AgentMode::Build).finish();
            ToolGuard::start(&metrics, "bash", "devops", AgentMode::Build)
                .end(ToolStatus::Timeout, None);
            drop(ToolGuard::start(
                &metrics,
                "bash",
                "devops",
                AgentMode::Build,
            ));
            metrics.refresh();
            exposition.render()
        });
        let executions = |tool: &str, vertical: &str, status: &str| {
            let series = format!(
                "victor_tool_executions_total{{tool=\"{tool}\",vertical=\"{vertical}\",status=\"{status}\",mode=\"build\"}}"
            );
            victor_test_support::series_value(&text, &series)
                .unwrap_or_else(|| panic!("no {series} in\n{text}"))
        };
        assert_eq!(executions("read_file", "coding", "success"), 1.0);
        assert_eq!(executions("bash", "devops", "timeout"), 1.0);
        assert_eq!(executions("bash", "devops", "failure"), 1.0);
        assert!(text.contains("error_type=\"_OTHER\""), "{text}");
        assert!(
            text.contains("victor_tool_active_executions{tool=\"bash\"} 0"),
            "the in-flight count returns to 0"
        );
    }
}
