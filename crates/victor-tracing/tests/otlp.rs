//! End to end over OTLP/HTTP: spans leave through the real exporter and arrive at a receiver in
//! this test that decodes them with the official protobuf definitions (`opentelemetry-proto`).
//!
//! One test installs the pipeline process-wide (as a service does); the others build their own
//! and start spans on their own thread.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{Request, StatusCode};
use axum::routing::{get, post};
use opentelemetry::trace::TraceContextExt as _;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::{Span, span::SpanKind, status::StatusCode as Code};
use prost::Message as _;
use tower::ServiceExt as _;
use victor_metrics_core::Component;
use victor_metrics_core::exposition::ExpositionBuilder;
use victor_metrics_core::{LlmOperation, ToolStatus, VictorMetrics};
use victor_tracing::{MonitoringLayer, Sampling, SpanPipeline, Telemetry, TracingConfig};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN_ID: &str = "00f067aa0ba902b7";

/// A received span with its resource's attributes.
type Received = (HashMap<String, String>, Span);

/// An OTLP/HTTP traces receiver on loopback keeping what it decodes.
#[derive(Clone, Default)]
struct Receiver {
    spans: Arc<Mutex<Vec<Received>>>,
    /// Each export's `Content-Encoding` ("" when absent).
    encodings: Arc<Mutex<Vec<String>>>,
    delay: Duration,
}

impl Receiver {
    fn router(delay: Duration) -> (Receiver, Router) {
        let receiver = Receiver {
            delay,
            ..Receiver::default()
        };
        let app = Router::new()
            .route("/v1/traces", post(Receiver::accept))
            .with_state(receiver.clone());
        (receiver, app)
    }

    async fn start(delay: Duration) -> (Receiver, SocketAddr) {
        let (receiver, app) = Receiver::router(delay);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the receiver");
        let addr = listener.local_addr().expect("receiver address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receiver, addr)
    }

    async fn accept(
        State(receiver): State<Receiver>,
        headers: axum::http::HeaderMap,
        body: Bytes,
    ) -> (StatusCode, Vec<u8>) {
        tokio::time::sleep(receiver.delay).await;
        let encoding = headers
            .get("content-encoding")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = match encoding.as_str() {
            "" => body.to_vec(),
            "gzip" => {
                let mut plain = Vec::new();
                let read = std::io::Read::read_to_end(
                    &mut flate2::read::GzDecoder::new(body.as_ref()),
                    &mut plain,
                );
                if read.is_err() {
                    return (StatusCode::BAD_REQUEST, Vec::new());
                }
                plain
            }
            _ => return (StatusCode::UNSUPPORTED_MEDIA_TYPE, Vec::new()),
        };
        receiver.encodings.lock().expect("encodings").push(encoding);
        let Ok(request) = ExportTraceServiceRequest::decode(body.as_slice()) else {
            return (StatusCode::BAD_REQUEST, Vec::new());
        };
        let mut spans = receiver.spans.lock().expect("spans");
        for resource_spans in request.resource_spans {
            let resource = resource_spans
                .resource
                .map(|resource| attributes(&resource.attributes))
                .unwrap_or_default();
            for scope in resource_spans.scope_spans {
                spans.extend(scope.spans.into_iter().map(|span| (resource.clone(), span)));
            }
        }
        let answer = ExportTraceServiceResponse::default().encode_to_vec();
        (StatusCode::OK, answer)
    }

    fn spans(&self) -> Vec<Received> {
        self.spans.lock().expect("spans").clone()
    }

    fn named(&self, name: &str) -> Received {
        let spans = self.spans();
        spans
            .iter()
            .find(|(_, span)| span.name == name)
            .cloned()
            .unwrap_or_else(|| {
                let names: Vec<&str> = spans.iter().map(|(_, s)| s.name.as_str()).collect();
                panic!("no span {name:?} among {names:?}")
            })
    }
}

fn attributes(
    list: &[opentelemetry_proto::tonic::common::v1::KeyValue],
) -> HashMap<String, String> {
    list.iter()
        .map(|kv| {
            let value = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(Value::StringValue(s)) => s.clone(),
                Some(Value::IntValue(i)) => i.to_string(),
                Some(Value::BoolValue(b)) => b.to_string(),
                Some(Value::DoubleValue(d)) => d.to_string(),
                other => format!("{other:?}"),
            };
            (kv.key.clone(), value)
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn config(addr: SocketAddr, sampling: Sampling) -> TracingConfig {
    let mut config = TracingConfig::new("victor-test-agent", "9.9.9");
    config
        .set_otlp_endpoint("test", &format!("http://{addr}"))
        .expect("endpoint");
    config.sampling = sampling;
    config
}

#[tracing::instrument(skip_all, fields(session = %session))]
async fn plan(session: &str) {
    let mut llm =
        victor_tracing::spans().llm_call("anthropic", "claude-sonnet-4", LlmOperation::Chat);
    tokio::task::yield_now().await;
    llm.record_tokens(812, 96);
}

async fn chat(Path(session): Path<String>) -> &'static str {
    plan(&session).await;
    let mut tool = victor_tracing::spans().tool_execution("read_file", "coding");
    tool.record_status(ToolStatus::Failure, Some("not_found"));
    "ok"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_trace_arrives_whole_with_the_callers_trace_id() {
    let (receiver, addr) = Receiver::start(Duration::ZERO).await;
    let metrics = VictorMetrics::new();
    let telemetry = Telemetry::install(
        &config(addr, Sampling::parent_based(1.0)),
        &SpanPipeline::new(&metrics),
    )
    .expect("install");
    let app = Router::new()
        .route("/chat/{session}", get(chat))
        .layer(MonitoringLayer::new(metrics.clone()));

    let traced = Request::get("/chat/s-1")
        .header("traceparent", format!("00-{TRACE_ID}-{CALLER_SPAN_ID}-01"))
        .body(Body::empty())
        .expect("request");
    let response = app.clone().oneshot(traced).await.expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    let malformed = Request::get("/chat/s-2")
        .header("traceparent", "00-nothex-00f067aa0ba902b7-01")
        .body(Body::empty())
        .expect("request");
    let response = app.oneshot(malformed).await.expect("infallible");
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "a bad traceparent is no error"
    );
    tokio::task::block_in_place(|| telemetry.flush());

    let servers: Vec<Span> = receiver
        .spans()
        .into_iter()
        .map(|(_, span)| span)
        .filter(|span| span.name == "GET /chat/{session}")
        .collect();
    assert_eq!(servers.len(), 2, "one server span per request");
    let (resource, server) = receiver.named("GET /chat/{session}");
    let server = if hex(&server.trace_id) == TRACE_ID {
        server
    } else {
        servers[1].clone()
    };
    assert_eq!(resource["service.name"], "victor-test-agent");
    assert_eq!(resource["service.version"], "9.9.9");
    assert_eq!(
        hex(&server.trace_id),
        TRACE_ID,
        "continues the caller's trace"
    );
    assert_eq!(hex(&server.parent_span_id), CALLER_SPAN_ID);
    assert_eq!(server.kind, SpanKind::Server as i32);
    let server_attributes = attributes(&server.attributes);
    assert_eq!(server_attributes["http.route"], "/chat/{session}");
    assert_eq!(server_attributes["http.request.method"], "GET");
    assert_eq!(server_attributes["url.path"], "/chat/s-1");
    assert_eq!(server_attributes["http.response.status_code"], "200");

    let (_, plan) = receiver.named("plan");
    assert_eq!(plan.trace_id, server.trace_id);
    assert_eq!(plan.parent_span_id, server.span_id);
    assert_eq!(attributes(&plan.attributes)["session"], "s-1");

    let llm = receiver
        .spans()
        .into_iter()
        .map(|(_, span)| span)
        .find(|span| span.name == "chat claude-sonnet-4" && span.trace_id == server.trace_id)
        .expect("the LLM span of the traced request");
    assert_eq!(
        llm.parent_span_id, plan.span_id,
        "nested under the #[instrument] span"
    );
    assert_eq!(llm.kind, SpanKind::Client as i32);
    let llm_attributes = attributes(&llm.attributes);
    for (key, value) in [
        ("gen_ai.operation.name", "chat"),
        ("gen_ai.provider.name", "anthropic"),
        ("gen_ai.request.model", "claude-sonnet-4"),
        ("gen_ai.usage.input_tokens", "812"),
        ("gen_ai.usage.output_tokens", "96"),
    ] {
        assert_eq!(
            llm_attributes.get(key).map(String::as_str),
            Some(value),
            "{key}"
        );
    }

    let tool = receiver
        .spans()
        .into_iter()
        .map(|(_, span)| span)
        .find(|span| span.name == "execute_tool read_file" && span.trace_id == server.trace_id)
        .expect("the tool span of the traced request");
    assert_eq!(tool.parent_span_id, server.span_id);
    let tool_attributes = attributes(&tool.attributes);
    assert_eq!(tool_attributes["gen_ai.tool.name"], "read_file");
    assert_eq!(tool_attributes["victor.vertical"], "coding");
    assert_eq!(tool_attributes["victor.tool.status"], "failure");
    assert_eq!(tool_attributes["error.type"], "not_found");
    assert_eq!(
        tool.status.as_ref().map(|s| s.code),
        Some(Code::Error as i32)
    );

    let fresh = servers
        .iter()
        .find(|span| hex(&span.trace_id) != TRACE_ID)
        .expect("the request with a malformed traceparent");
    assert!(fresh.parent_span_id.is_empty(), "a new root trace");
    assert_ne!(hex(&fresh.trace_id), "0".repeat(32));
    tokio::task::block_in_place(|| telemetry.shutdown());
}

/// Runs `test` with a fresh Prometheus recorder as this thread's, so the export counters that
/// `Telemetry::new` resolves land in it, and returns its rendering afterwards.
fn with_recorder(metrics: &VictorMetrics, test: impl FnOnce()) -> String {
    let (recorder, exposition) = ExpositionBuilder::new().build().expect("catalog buckets");
    metrics::with_local_recorder(&recorder, || {
        test();
        metrics.refresh();
        exposition.render()
    })
}

fn counter(text: &str, series: &str) -> u64 {
    let value = victor_test_support::series_value(text, series);
    value.unwrap_or_else(|| panic!("no {series} in\n{text}")) as u64
}

/// A runtime for the receivers; spans are started on the test's own thread.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime")
}

/// `OTEL_EXPORTER_OTLP_COMPRESSION=gzip` to an `https://` collector whose CA is given by
/// `OTEL_EXPORTER_OTLP_CERTIFICATE`: every export arrives over TLS, gzip-encoded, and decodes.
#[test]
fn gzip_over_https_reaches_a_tls_collector_and_decodes() {
    let runtime = runtime();
    let dir = tempfile_dir();
    let pki = victor_test_support::tls::TestPki::generate(&dir).expect("certificates");
    let (receiver, app) = Receiver::router(Duration::ZERO);
    let addr = runtime
        .block_on(victor_test_support::tls::serve_tls(app, &pki))
        .expect("TLS receiver");
    let endpoint = format!("https://localhost:{}", addr.port());
    let ca = pki.ca.display().to_string();
    let config = TracingConfig::new("victor-test-agent", "9.9.9")
        .with_env(|name| match name {
            "OTEL_EXPORTER_OTLP_ENDPOINT" => Some(endpoint.clone()),
            "OTEL_EXPORTER_OTLP_COMPRESSION" => Some("gzip".to_owned()),
            "OTEL_EXPORTER_OTLP_CERTIFICATE" => Some(ca.clone()),
            _ => None,
        })
        .expect("standard variables");
    let metrics = VictorMetrics::new();
    let telemetry = Telemetry::new(&config, &SpanPipeline::new(&metrics)).expect("pipeline");
    for _ in 0..50 {
        telemetry.spans().operation("compressed").end();
    }
    telemetry.flush();

    let encodings = receiver.encodings.lock().expect("encodings").clone();
    assert!(!encodings.is_empty(), "nothing arrived over https");
    assert!(
        encodings.iter().all(|encoding| encoding == "gzip"),
        "{encodings:?}"
    );
    let spans = receiver.spans();
    assert_eq!(
        spans.iter().filter(|(_, s)| s.name == "compressed").count(),
        50
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// One LLM call through the one-call guard: the exported span and the metrics carry the same
/// provider, models, token counts and cost, recorded once; a guard dropped without an outcome
/// (an early `?`) is recorded as failed.
#[test]
fn the_llm_guard_records_span_and_metrics_from_the_same_figures() {
    use victor_tracing::instrument::LlmCallGuard;

    let runtime = runtime();
    let (receiver, addr) = runtime.block_on(Receiver::start(Duration::ZERO));
    let metrics = VictorMetrics::new();
    let text = with_recorder(&metrics, || {
        let telemetry = Telemetry::new(
            &config(addr, Sampling::parent_based(1.0)),
            &SpanPipeline::new(&metrics),
        )
        .expect("pipeline");
        let spans = telemetry.spans();
        let mut call =
            LlmCallGuard::start_with(spans, &metrics, "openai", "gpt-4o-mini", LlmOperation::Chat);
        call.first_token();
        call.response_model("gpt-4o-mini-2024-07-18");
        call.tokens(2_000_000, 0);
        call.add_output_tokens(400_000);
        call.finish_reason("length");
        call.finish();
        let dropped =
            LlmCallGuard::start_with(spans, &metrics, "openai", "gpt-4o-mini", LlmOperation::Chat);
        drop(dropped);
        telemetry.flush();
    });
    let (_, span) = receiver.named("chat gpt-4o-mini");
    let attributes = attributes(&span.attributes);
    assert_eq!(attributes["gen_ai.provider.name"], "openai");
    assert_eq!(attributes["gen_ai.request.model"], "gpt-4o-mini");
    assert_eq!(
        attributes["gen_ai.response.model"],
        "gpt-4o-mini-2024-07-18"
    );
    assert_eq!(attributes["gen_ai.usage.input_tokens"], "2000000");
    assert_eq!(attributes["gen_ai.usage.output_tokens"], "400000");
    assert!(attributes.contains_key("gen_ai.response.time_to_first_chunk"));
    assert!(
        attributes["gen_ai.response.finish_reasons"].contains("length"),
        "{attributes:?}"
    );
    // 2 M input at $0.15/M and 0.4 M output at $0.60/M.
    let cost: f64 = attributes["victor.llm.cost_usd"].parse().expect("a number");
    assert!((cost - 0.54).abs() < 1e-9, "{cost}");

    let series = |name: &str, labels: &str| {
        victor_test_support::series_value(&text, &format!("{name}{{{labels}}}"))
            .unwrap_or_else(|| panic!("no {name}{{{labels}}} in\n{text}"))
    };
    let shape = "gen_ai_operation_name=\"chat\",gen_ai_provider_name=\"openai\",\
                 gen_ai_request_model=\"gpt-4o-mini\",gen_ai_response_model=\"gpt-4o-mini-2024-07-18\"";
    assert_eq!(
        series(
            "gen_ai_client_token_usage_sum",
            &format!("{shape},gen_ai_token_type=\"input\"")
        ),
        2_000_000.0
    );
    assert_eq!(
        series(
            "gen_ai_client_token_usage_sum",
            &format!("{shape},gen_ai_token_type=\"output\"")
        ),
        400_000.0
    );
    let model = "provider=\"openai\",model=\"gpt-4o-mini\"";
    assert_eq!(
        series(
            "victor_llm_finish_reasons_total",
            &format!("{model},finish_reason=\"length\"")
        ),
        1.0
    );
    assert!((series("victor_llm_cost_usd_sum", model) - 0.54).abs() < 1e-9);
    assert_eq!(
        series(
            "victor_llm_errors_total",
            &format!("{model},operation=\"chat\",error_type=\"_OTHER\"")
        ),
        1.0,
        "the dropped guard is a failed call"
    );
    assert_eq!(
        series(
            "victor_llm_requests_total",
            &format!("{model},operation=\"chat\"")
        ),
        2.0,
        "each call recorded once"
    );
}

/// A fresh directory under the system's temporary one.
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "victor-otlp-tls-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn ratio_sampling_keeps_a_tenth_and_children_follow_their_parent() {
    let runtime = runtime();
    let (receiver, addr) = runtime.block_on(Receiver::start(Duration::ZERO));
    let metrics = VictorMetrics::new();
    let mut roots = 0;
    let text = with_recorder(&metrics, || {
        let telemetry = Telemetry::new(
            &config(addr, Sampling::parent_based(0.1)),
            &SpanPipeline::new(&metrics),
        )
        .expect("pipeline");
        let spans = telemetry.spans();
        for _ in 0..5 {
            for _ in 0..2_000 {
                let root = spans.operation("root");
                let _inside = root.enter();
                spans.operation("child").end();
            }
            telemetry.flush();
        }
        let exported = receiver.spans();
        let kept: Vec<&Span> = exported
            .iter()
            .map(|(_, s)| s)
            .filter(|s| s.name == "root")
            .collect();
        let children: Vec<&Span> = exported
            .iter()
            .map(|(_, s)| s)
            .filter(|s| s.name == "child")
            .collect();
        // Binomial(10 000, 0.1): mean 1 000, standard deviation 30; five deviations either side.
        assert!(
            (850..=1_150).contains(&kept.len()),
            "{} of 10 000 roots kept at ratio 0.1",
            kept.len()
        );
        assert_eq!(
            children.len(),
            kept.len(),
            "a child is kept exactly when its root is"
        );
        let root_ids: std::collections::HashSet<&[u8]> =
            kept.iter().map(|s| s.span_id.as_slice()).collect();
        assert!(
            children
                .iter()
                .all(|c| root_ids.contains(c.parent_span_id.as_slice()))
        );
        roots = kept.len();

        // A remote parent's decision wins over the ratio, both ways.
        for (ratio, flags, name, kept) in [
            (0.0, "01", "sampled-parent", true),
            (1.0, "00", "unsampled-parent", false),
        ] {
            let telemetry = Telemetry::new(
                &config(addr, Sampling::parent_based(ratio)),
                &SpanPipeline::new(&metrics),
            )
            .expect("pipeline");
            let mut headers = http::HeaderMap::new();
            let traceparent = format!("00-{TRACE_ID}-{CALLER_SPAN_ID}-{flags}");
            headers.insert("traceparent", traceparent.parse().expect("header"));
            let remote = victor_tracing::propagation::extract(&headers);
            assert!(remote.has_active_span());
            let _attached = remote.attach();
            telemetry.spans().operation(name).end();
            telemetry.flush();
            let found = receiver.spans().iter().any(|(_, span)| span.name == name);
            assert_eq!(found, kept, "{name}");
        }
    });
    assert_eq!(
        counter(&text, "victor_tracing_spans_exported_total"),
        u64::try_from(roots * 2 + 1).expect("small"),
    );
}

#[test]
fn lost_spans_are_counted_by_reason() {
    let runtime = runtime();
    // Nothing listens here: every export fails.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address")
    };
    // A receiver taking 200 ms an export, and 5 000 spans at once: the queue (2 048) overflows.
    let (receiver, addr) = runtime.block_on(Receiver::start(Duration::from_millis(200)));
    let metrics = VictorMetrics::new();
    let text = with_recorder(&metrics, || {
        let unreachable = Telemetry::new(
            &config(closed, Sampling::parent_based(1.0)),
            &SpanPipeline::new(&metrics),
        )
        .expect("pipeline");
        for _ in 0..10 {
            unreachable.spans().operation("lost").end();
        }
        unreachable.flush();
        let pipeline = SpanPipeline::new(&metrics);
        let slow = Telemetry::new(&config(addr, Sampling::parent_based(1.0)), &pipeline)
            .expect("pipeline");
        for _ in 0..5_000 {
            slow.spans().operation("burst").end();
        }
        slow.flush();
        // The component's view tells the same story as the counters: every span started is
        // exported or dropped, and the queue is empty after a flush.
        let view = pipeline.view().expect("a view");
        assert_eq!(view.started, 5_000);
        assert_eq!(view.exported + view.dropped_queue_full, 5_000, "{view:?}");
        assert_eq!(view.queue_length, 0);
    });
    assert_eq!(
        counter(
            &text,
            "victor_tracing_spans_dropped_total{reason=\"export_failed\"}"
        ),
        10
    );
    let dropped = counter(
        &text,
        "victor_tracing_spans_dropped_total{reason=\"queue_full\"}",
    );
    let delivered = u64::try_from(receiver.spans().len()).expect("small");
    assert!(dropped > 0, "the burst overflowed the queue");
    assert_eq!(
        dropped + delivered,
        5_000,
        "every span is delivered or counted"
    );
    assert_eq!(
        counter(&text, "victor_tracing_spans_exported_total"),
        delivered
    );
}
