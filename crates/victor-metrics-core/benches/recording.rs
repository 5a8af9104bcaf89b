//! Recording and rendering costs, the project's figures beside their anchors in one run.
//!
//! `cargo bench -p victor-metrics-core --bench recording`
//!
//! - `record/*`: one call each, against the installed Prometheus recorder with upkeep running
//!   (as in the exporter), label sets already seen. Anchors: the raw `metrics::counter!` macro
//!   with the same labels (what a hand-instrumented service pays) and `AtomicU64::fetch_add`
//!   (the floor any counter pays); a pre-resolved `metrics-exporter-prometheus` counter (what a
//!   raw `metrics::Counter` handle pays: value and generation, two atomic operations) and
//!   histogram record (the share of every typed call that the exporter's storage costs).
//! - `render/*`: what the exporter does per scrape, refresh then render, for 1k, 10k and 100k
//!   series (counters with three labels, like `victor_requests_total`).

#![allow(missing_docs, clippy::unwrap_used, reason = "benchmark harness")]

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use victor_metrics_core::exposition::ExpositionBuilder;
use victor_metrics_core::{AgentMode, Request, ToolExecution, ToolStatus, VictorMetrics, catalog};

fn record(c: &mut Criterion) {
    let exposition = ExpositionBuilder::new().install().unwrap();
    let _upkeep = exposition.spawn_upkeep(Duration::from_secs(1)).unwrap();
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
    metrics.record_request(&request);
    metrics.record_tool_execution(&execution);
    let handle = metrics.counter(&catalog::FEATURE_USAGE_TOTAL, ["semantic_search"]);
    let floor = AtomicU64::new(0);

    let mut group = c.benchmark_group("record");
    group.bench_function("typed record_request", |b| {
        b.iter(|| metrics.record_request(black_box(&request)));
    });
    group.bench_function("typed record_tool_execution", |b| {
        b.iter(|| metrics.record_tool_execution(black_box(&execution)));
    });
    group.bench_function("pre-resolved handle increment", |b| {
        b.iter(|| handle.increment(1))
    });
    #[allow(
        clippy::disallowed_macros,
        reason = "the raw exporter handle is the anchor being measured"
    )]
    let raw = metrics::counter!("victor_feature_usage_total", "feature" => "anchor");
    group.bench_function("anchor: exporter counter increment (pre-resolved)", |b| {
        b.iter(|| raw.increment(1))
    });
    let hist = metrics.histogram(&catalog::RAG_RETRIEVAL_LATENCY_SECONDS, []);
    group.bench_function("anchor: exporter histogram record (pre-resolved)", |b| {
        b.iter(|| hist.record(black_box(0.12)));
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
    for series in [1_000, 10_000, 100_000] {
        let (recorder, exposition) = ExpositionBuilder::new().build().unwrap();
        let metrics = VictorMetrics::builder().cardinality_limit(series).build();
        metrics::with_local_recorder(&recorder, || {
            for i in 0..series {
                let endpoint = format!("/api/route/{i}");
                let labels = [endpoint.as_str(), "POST", "200"];
                metrics
                    .counter(&catalog::REQUESTS_TOTAL, labels)
                    .increment(i as u64);
            }
        });
        group.throughput(Throughput::Elements(series as u64));
        group.bench_with_input(BenchmarkId::new("/metrics", series), &series, |b, _| {
            b.iter(|| {
                metrics.refresh();
                black_box(exposition.render())
            });
        });
    }
    group.finish();
}

criterion_group!(benches, record, render);
criterion_main!(benches);
