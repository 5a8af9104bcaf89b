//! Tracing for Victor services: OpenTelemetry spans exported over OTLP/HTTP, W3C trace-context
//! and baggage propagation, span helpers for LLM calls and tool executions, the monitoring
//! middleware (a tower layer recording request metrics and a server span), and log setup.
//!
//! - [`Telemetry::install`] sets up everything from a [`TracingConfig`] (code defaults, then the
//!   standard `OTEL_*` variables): logs (human, or JSON with trace ids), and, when an OTLP
//!   endpoint is configured, the OpenTelemetry layer so `tracing` spans and `#[instrument]`
//!   become exported spans, sampled parent-based by trace-id ratio and sent in batches from a
//!   background thread. With no endpoint nothing is exported and spans cost what `tracing` costs.
//! - [`spans()`] starts the agent's own spans with the GenAI semantic-convention attributes.
//! - [`propagation`] reads and writes `traceparent`, `tracestate` and `baggage` on
//!   `http::HeaderMap`s.
//! - [`MonitoringLayer`] wraps any hyper/axum service.
//!
//! Spans that cannot be queued or delivered are counted in
//! `victor_tracing_spans_dropped_total{reason}`, delivered ones in
//! `victor_tracing_spans_exported_total`, started ones in `victor_tracing_spans_started_total`;
//! the queue's length is `victor_tracing_export_queue_spans`. [`SpanPipeline`] holds them and
//! is the `tracing` [`Component`](victor_metrics_core::Component) a service registers.
//!
//! ```no_run
//! use victor_metrics_core::{LlmOperation, VictorMetrics};
//! use victor_tracing::{Telemetry, TracingConfig};
//!
//! #[tracing::instrument(skip_all)]
//! fn answer(question: &str) -> String {
//!     let mut llm = victor_tracing::spans().llm_call("anthropic", "claude-sonnet-4", LlmOperation::Chat);
//!     // … call the provider …
//!     llm.record_tokens(812, 96);
//!     format!("answer to {question}")
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = TracingConfig::new("victor-agent", env!("CARGO_PKG_VERSION"))
//!     .with_env(|name| std::env::var(name).ok())?;
//! let pipeline = victor_tracing::register_metrics(&VictorMetrics::new());
//! let telemetry = Telemetry::install(&config, &pipeline)?;
//! answer("why");
//! telemetry.shutdown();
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

pub mod config;
pub mod instrument;
mod interned;
mod logging;
mod middleware;
pub mod propagation;
mod spans;
mod telemetry;

pub use config::{ConfigError, LogFormat, OtlpCompression, Sampling, SamplingError, TracingConfig};
pub use logging::JsonLines;
pub use middleware::{
    CLIENT_CLOSED_STATUS, MonitoredFuture, MonitoringLayer, MonitoringService, UNMATCHED_ENDPOINT,
};
pub use spans::{AgentSpan, SpanTracer, attribute};
pub use telemetry::{
    EXPORT_QUEUE_CAPACITY, PipelineView, SetupError, SpanPipeline, Telemetry, current_trace_id,
    register_metrics, spans,
};
