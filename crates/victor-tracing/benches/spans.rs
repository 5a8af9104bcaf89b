//! Span and middleware cost, the project's figures beside their anchors in one run.
//!
//! `cargo bench -p victor-tracing --bench spans`
//!
//! - `span/*`: one span started and ended on this thread.
//!   - Anchors: a bare `tracing` span with no subscriber (the floor), and the OpenTelemetry SDK
//!     tracer called directly, unsampled (parent-based ratio 0) and sampled into a batch
//!     processor (the SDK's queue, with an exporter that discards). Sampled figures are the
//!     calling thread's cost: spans queue during the timed loop and are exported between
//!     chunks, so the export thread does not compete for the two cores while timing.
//!   - Ours: the `tool_execution` / `llm_call` helpers on the same two providers.
//!   - The `tracing` path: a `tracing` span through `tracing-opentelemetry`, with its default
//!     options and with the options `Telemetry` uses (no location, thread or busy/idle tracking).
//! - `llm_guard/*`: one LLM call end to end into the metrics store (the catalog's recorder):
//!   the raw typed call (`record_llm_call` with the `LlmCall` literal and its own `Instant`, no
//!   span) as the anchor, then `LlmCallGuard` with its span sampled out, and sampled.
//! - `request/*`: one GET through an axum router whose handler returns a static string, without
//!   and with `MonitoringLayer` (tracing off, then spans exported and sampled); the middleware's
//!   cost is the difference.

#![allow(missing_docs, clippy::unwrap_used, reason = "benchmark harness")]

use std::hint::black_box;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use http::Request;
use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, Sampler, SdkTracer, SdkTracerProvider, SpanData,
    SpanExporter,
};
use tower::ServiceExt as _;
use tracing_subscriber::layer::SubscriberExt as _;
use victor_metrics_core::{LlmOperation, ToolStatus, VictorMetrics};
use victor_tracing::{MonitoringLayer, SpanTracer};

/// Takes batches and drops them: the export cost stays off the measured thread either way.
#[derive(Debug)]
struct Discard;

impl SpanExporter for Discard {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        black_box(batch);
        Ok(())
    }
}

/// Spans queued between flushes; the timed loop never queues more, so nothing is dropped.
const CHUNK: u64 = 100_000;

/// A provider whose batch processor holds a whole chunk and exports only when flushed: the
/// figures are the calling thread's cost (start, record, end, enqueue), not the export thread's
/// competing for the same two cores.
fn tracer(ratio: f64) -> (SdkTracerProvider, SdkTracer) {
    let capacity = usize::try_from(CHUNK).unwrap();
    let config = BatchConfigBuilder::default()
        .with_max_queue_size(capacity)
        .with_max_export_batch_size(capacity)
        .with_scheduled_delay(Duration::from_secs(3600))
        .build();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(
            BatchSpanProcessor::builder(Discard)
                .with_batch_config(config)
                .build(),
        )
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
            ratio,
        ))))
        .build();
    let tracer = provider.tracer("bench");
    (provider, tracer)
}

/// Times `iters` runs of `f` in chunks, flushing the queue between chunks outside the timing.
fn timed(provider: &SdkTracerProvider, iters: u64, mut f: impl FnMut()) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let chunk = left.min(CHUNK);
        let start = Instant::now();
        for _ in 0..chunk {
            f();
        }
        total += start.elapsed();
        provider.force_flush().unwrap();
        left -= chunk;
    }
    total
}

fn span(c: &mut Criterion) {
    let mut group = c.benchmark_group("span");
    group.bench_function("tracing span, no subscriber (floor)", |b| {
        b.iter(|| tracing::info_span!("execute_tool", tool = "read_file").in_scope(|| {}));
    });
    for (label, ratio) in [("unsampled", 0.0), ("sampled, batch export", 1.0)] {
        let (provider, tracer) = tracer(ratio);
        group.bench_function(format!("otel sdk tracer, {label} (anchor)"), |b| {
            b.iter_custom(|iters| {
                timed(&provider, iters, || {
                    tracer.start(black_box("execute_tool")).end()
                })
            });
        });
        let spans = SpanTracer::from_tracer(tracer.clone());
        group.bench_function(format!("victor tool_execution, {label}"), |b| {
            b.iter_custom(|iters| {
                timed(&provider, iters, || {
                    let mut span =
                        spans.tool_execution(black_box("read_file"), black_box("coding"));
                    span.record_status(ToolStatus::Success, None);
                })
            });
        });
        group.bench_function(format!("victor llm_call, {label}"), |b| {
            b.iter_custom(|iters| {
                timed(&provider, iters, || {
                    let mut span = spans.llm_call(
                        black_box("anthropic"),
                        black_box("claude-sonnet-4"),
                        LlmOperation::Chat,
                    );
                    span.record_tokens(812, 96);
                })
            });
        });
        for (options, lean) in [("defaults", false), ("Telemetry's options", true)] {
            let layer = tracing_opentelemetry::layer().with_tracer(tracer.clone());
            let layer = if lean {
                layer
                    .with_location(false)
                    .with_threads(false)
                    .with_tracked_inactivity(false)
            } else {
                layer
            };
            let subscriber = tracing_subscriber::registry().with(layer);
            let _default = tracing::subscriber::set_default(subscriber);
            group.bench_function(
                format!("tracing span via tracing-opentelemetry ({options}), {label}"),
                |b| {
                    b.iter_custom(|iters| {
                        timed(&provider, iters, || {
                            tracing::info_span!("execute_tool", tool = "read_file").in_scope(|| {});
                        })
                    });
                },
            );
        }
    }
    group.finish();
}

fn llm_guard(c: &mut Criterion) {
    use victor_metrics_core::LlmCall;
    use victor_tracing::instrument::LlmCallGuard;

    let (recorder, _exposition) = victor_metrics_core::exposition::ExpositionBuilder::new()
        .build()
        .unwrap();
    let metrics = metrics::with_local_recorder(&recorder, VictorMetrics::new);
    let mut group = c.benchmark_group("llm_guard");
    metrics::with_local_recorder(&recorder, || {
        group.bench_function("raw typed call, no span (anchor)", |b| {
            b.iter(|| {
                let started = Instant::now();
                metrics.providers().record_llm_call(&LlmCall {
                    provider: black_box("anthropic"),
                    model: black_box("claude-sonnet-4-5"),
                    operation: LlmOperation::Chat,
                    prompt_tokens: 812,
                    completion_tokens: 96,
                    cached_prompt_tokens: 0,
                    cost_usd: None,
                    tool_calls: false,
                    duration: started.elapsed(),
                    error_type: None,
                    response_model: None,
                    time_to_first_token: None,
                    finish_reason: None,
                });
            });
        });
        for (label, ratio) in [
            ("span sampled out", 0.0),
            ("span sampled, batch export", 1.0),
        ] {
            let (provider, tracer) = tracer(ratio);
            let spans = SpanTracer::from_tracer(tracer);
            group.bench_function(format!("LlmCallGuard, {label}"), |b| {
                b.iter_custom(|iters| {
                    timed(&provider, iters, || {
                        let mut call = LlmCallGuard::start_with(
                            &spans,
                            &metrics,
                            black_box("anthropic"),
                            black_box("claude-sonnet-4-5"),
                            LlmOperation::Chat,
                        );
                        call.tokens(812, 96);
                        call.finish();
                    })
                });
            });
        }
    });
    group.finish();
}

fn request(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let metrics = VictorMetrics::new();
    let plain: Router = Router::new().route("/chat/{session}", get(|| async { "ok" }));
    let monitored = plain.clone().layer(MonitoringLayer::new(metrics));
    let call = |router: &Router| {
        let request = Request::get("/chat/s-1")
            .header(
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            )
            .body(Body::empty())
            .unwrap();
        runtime.block_on(router.clone().oneshot(request)).unwrap()
    };
    let mut group = c.benchmark_group("request");
    group.bench_function("axum router, no middleware (anchor)", |b| {
        b.iter(|| call(&plain));
    });
    group.bench_function("with MonitoringLayer, tracing off", |b| {
        b.iter(|| call(&monitored));
    });
    let (provider, tracer) = tracer(1.0);
    let traced = plain.clone().layer(
        MonitoringLayer::new(VictorMetrics::new()).with_spans(SpanTracer::from_tracer(tracer)),
    );
    group.bench_function(
        "with MonitoringLayer, server span sampled and exported",
        |b| {
            b.iter_custom(|iters| {
                timed(&provider, iters, || {
                    call(&traced);
                })
            });
        },
    );
    group.finish();
}

criterion_group!(benches, span, llm_guard, request);
criterion_main!(benches);
