//! Recording and rendering costs, the project's figures beside their anchors in one run.
//!
//! `cargo bench -p victor-metrics-core --bench recording`
//!
//! - `record/*`: one call each against the installed store, label sets already seen. Anchors:
//!   `prometheus-client` (the reference Rust client) on the same operation, the raw
//!   `metrics::counter!` macro with the same labels (what a hand-instrumented service pays) and
//!   `AtomicU64::fetch_add` (the floor any counter pays).
//! - `render/*`: what the exporter does per scrape, refresh then render (Prometheus text, and
//!   OpenMetrics with exemplars), beside `prometheus-client`'s text encode (OpenMetrics) of the
//!   same series: 10 000 and 100 000 series, half
//!   counters and half histograms (the request metrics: three labels, the catalog's 14 request
//!   buckets), as a real scrape mixes them.

#![allow(missing_docs, clippy::unwrap_used, reason = "benchmark harness")]

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use prometheus_client::encoding::text::encode;
use victor_metrics_core::exposition::ExpositionBuilder;
use victor_metrics_core::render::Format;
use victor_metrics_core::{AgentMode, Request, ToolExecution, ToolStatus, VictorMetrics, catalog};

mod anchor;

use anchor::{Anchor, labels};

fn record(c: &mut Criterion) {
    let _exposition = ExpositionBuilder::new().install().unwrap();
    let metrics = VictorMetrics::new();
    let request = Request {
        endpoint: "/chat",
        method: "POST",
        status: 200,
        duration: Duration::from_millis(120),
        error_type: None,
    };
    let execution = ToolExecution {
        tool: "read_file",
        vertical: "coding",
        mode: AgentMode::Build,
        status: ToolStatus::Success,
        duration: Duration::from_millis(45),
        error_type: None,
    };
    metrics.requests().record_request(&request);
    metrics.tools().record_tool_execution(&execution);
    let handle = metrics.counter(&catalog::FEATURE_USAGE_TOTAL, ["semantic_search"]);
    let histogram = metrics.histogram(&catalog::REQUEST_DURATION_SECONDS, ["/h", "GET", "200"]);
    let floor = AtomicU64::new(0);
    let anchor = Anchor::new();
    let anchor_labels = labels("/chat");
    anchor.record(&anchor_labels, 0.12);
    let anchor_histogram = anchor.durations.get_or_create(&anchor_labels).clone();
    let anchor_counter = anchor.requests.get_or_create(&anchor_labels).clone();

    let mut group = c.benchmark_group("record");
    group.bench_function("typed record_request", |b| {
        b.iter(|| metrics.requests().record_request(black_box(&request)));
    });
    group.bench_function("typed record_tool_execution", |b| {
        b.iter(|| metrics.tools().record_tool_execution(black_box(&execution)));
    });
    group.bench_function(
        "anchor: prometheus-client counter + histogram by labels",
        |b| b.iter(|| anchor.record(black_box(&anchor_labels), 0.12)),
    );
    group.bench_function("pre-resolved histogram record", |b| {
        b.iter(|| histogram.record(black_box(0.12)));
    });
    group.bench_function("anchor: prometheus-client Histogram::observe", |b| {
        b.iter(|| anchor_histogram.observe(black_box(0.12)));
    });
    group.bench_function("pre-resolved handle increment", |b| {
        b.iter(|| handle.increment(1))
    });
    group.bench_function("anchor: prometheus-client Counter::inc", |b| {
        b.iter(|| anchor_counter.inc())
    });
    #[allow(
        clippy::disallowed_macros,
        reason = "the raw macro is the anchor being measured"
    )]
    group.bench_function("anchor: raw metrics::counter! (same labels)", |b| {
        b.iter(|| {
            metrics::counter!(
                "victor_requests_total",
                "endpoint" => black_box("/chat"),
                "method" => "POST",
                "status" => "200"
            )
            .increment(1);
        });
    });
    group.bench_function("anchor: AtomicU64::fetch_add (floor)", |b| {
        b.iter(|| black_box(&floor).fetch_add(1, Ordering::Relaxed));
    });
    group.finish();
}

fn render(c: &mut Criterion) {
    let mut group = c.benchmark_group("render");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    for series in [10_000, 100_000] {
        let label_sets = series / 2;
        let (store, exposition) = ExpositionBuilder::new().build().unwrap();
        let metrics = VictorMetrics::builder().cardinality_limit(series).build();
        let anchor = Anchor::new();
        metrics::with_local_recorder(&store, || {
            for i in 0..label_sets {
                let endpoint = format!("/api/route/{i}");
                let seconds = (i % 1000) as f64 / 100.0;
                metrics.requests().record_request(&Request {
                    endpoint: &endpoint,
                    method: "POST",
                    status: 200,
                    duration: Duration::from_secs_f64(seconds),
                    error_type: None,
                });
                anchor.record(&labels(&endpoint), seconds);
            }
        });
        group.throughput(Throughput::Elements(series as u64));
        group.bench_with_input(
            BenchmarkId::new("victor refresh + render", series),
            &series,
            |b, _| {
                b.iter(|| {
                    metrics.refresh();
                    black_box(exposition.render())
                });
            },
        );
        group.bench_with_input(
            BenchmarkId::new("victor refresh + render OpenMetrics", series),
            &series,
            |b, _| {
                b.iter(|| {
                    metrics.refresh();
                    black_box(exposition.render_as(Format::OpenMetrics))
                });
            },
        );
        group.bench_with_input(
            BenchmarkId::new("anchor: prometheus-client encode", series),
            &series,
            |b, _| {
                b.iter(|| {
                    let mut out = String::new();
                    encode(&mut out, &anchor.registry).unwrap();
                    black_box(out)
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, record, render);
criterion_main!(benches);
