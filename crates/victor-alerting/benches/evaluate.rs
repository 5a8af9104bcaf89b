//! Rule evaluation cost, the project's figures beside their anchors in one run.
//!
//! `cargo bench -p victor-alerting --bench evaluate`
//!
//! - `evaluate/1000_rules`: one [`Engine::evaluate_at`] over 1 000 rules (the 44 default rules'
//!   conditions, repeated under distinct names: ratios, rates, quantiles and gauges over every
//!   default signal) against a scrape of a busy agent (every default metric, ~2 000 series).
//!   Each rule computes its own groups; nothing is shared between rules.
//! - `evaluate/default_rules`: the default rule set alone.
//! - Anchors: `observe/parse_scrape` (reading the same exposition, which an evaluation cycle does
//!   once whatever the rule count) and `render` (the `/metrics` render it reads).

#![allow(missing_docs, clippy::unwrap_used, reason = "benchmark harness")]

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use victor_alerting::{Engine, Rule, default_rules};
use victor_metrics_core::exposition::ExpositionBuilder;
use victor_metrics_core::{
    AgentMode, LlmCall, LlmOperation, Request, SystemSample, ToolExecution, ToolStatus,
    VictorMetrics,
};

/// Records a busy agent's traffic: many endpoints, tools, providers, caches and namespaces.
fn record_traffic(metrics: &VictorMetrics, round: u64) {
    for i in 0..400_u64 {
        let endpoint = format!("/api/route{}", i % 20);
        metrics.record_request(&Request {
            endpoint: &endpoint,
            method: "POST",
            status: if (i + round).is_multiple_of(17) {
                503
            } else {
                200
            },
            duration: Duration::from_millis(20 + (i * 37) % 4000),
            error_type: None,
        });
        let tool = format!("tool_{}", i % 40);
        metrics.record_tool_execution(&ToolExecution {
            tool: &tool,
            vertical: ["coding", "rag", "devops", "dataanalysis", "research"][(i % 5) as usize],
            mode: AgentMode::Build,
            status: if (i + round).is_multiple_of(13) {
                ToolStatus::Failure
            } else {
                ToolStatus::Success
            },
            duration: Duration::from_millis(5 + (i * 53) % 3000),
            error_type: None,
        });
        let provider = ["anthropic", "openai", "ollama", "google"][(i % 4) as usize];
        metrics.record_llm_call(&LlmCall {
            provider,
            model: "model",
            operation: LlmOperation::Chat,
            duration: Duration::from_millis(300 + (i * 91) % 8000),
            prompt_tokens: 100,
            completion_tokens: 50,
            cost_usd: 0.001,
            error_type: ((i + round).is_multiple_of(11)).then_some("rate_limit"),
            tool_calls: false,
        });
        let cache = format!("cache_{}", i % 8);
        if i.is_multiple_of(3) {
            metrics.record_cache_miss(&cache);
        } else {
            metrics.record_cache_hit(&cache);
        }
        let namespace = format!("ns_{}", i % 6);
        metrics.record_tool_selection(
            &namespace,
            Duration::from_micros(100 + (i * 7) % 4000),
            i % 4 != 0,
        );
        metrics.set_provider_health(provider, true);
    }
    metrics.record_system(&SystemSample {
        process_cpu_percent: 40.0,
        host_cpu_percent: 30.0,
        rss_bytes: 500_000_000,
        virtual_bytes: 2_000_000_000,
        memory_limit_bytes: 4_000_000_000,
        host_memory: None,
        threads: 30,
        open_fds: 50,
        max_fds: 1024,
        uptime: Duration::from_secs(100),
        disk: None,
        active_connections: 3,
    });
    metrics.set_health_score(90.0);
}

fn thousand_rules() -> Vec<Rule> {
    let defaults = default_rules();
    (0..1000)
        .map(|i| {
            let template = &defaults[i % defaults.len()];
            Rule::builder(format!("{}{i}", template.name()))
                .condition(template.condition().clone())
                .severity(template.severity())
                .for_duration(template.for_duration())
                .build()
                .unwrap()
        })
        .collect()
}

fn evaluate(c: &mut Criterion) {
    let (recorder, exposition) = ExpositionBuilder::new().build().unwrap();
    let (first, second) = metrics::with_local_recorder(&recorder, || {
        let metrics = VictorMetrics::new();
        record_traffic(&metrics, 0);
        metrics.refresh();
        let first = exposition.render();
        record_traffic(&metrics, 1);
        metrics.refresh();
        (first, exposition.render())
    });
    let series = second.lines().filter(|l| !l.starts_with('#')).count();
    eprintln!("scrape: {series} series, {} bytes", second.len());

    let start = Instant::now();
    let engine_with = |rules: Vec<Rule>| {
        let engine = Engine::new(VictorMetrics::new());
        engine.add_rules(rules).unwrap();
        engine.observe_at(&first, start).unwrap();
        engine
            .observe_at(&second, start + Duration::from_secs(60))
            .unwrap();
        engine
    };
    let mut group = c.benchmark_group("evaluate");
    for (label, rules) in [
        ("1000_rules", thousand_rules()),
        ("default_rules", default_rules()),
    ] {
        let engine = engine_with(rules);
        let now = start + Duration::from_secs(60);
        let wall = SystemTime::now();
        // First evaluation compiles each rule's series list.
        engine.evaluate_at(now, wall);
        eprintln!("{label}: {} alerts active", engine.alerts().len());
        group.bench_function(label, |b| {
            b.iter(|| black_box(engine.evaluate_at(now, wall)));
        });
    }
    group.finish();

    let mut anchors = c.benchmark_group("anchors");
    let engine = engine_with(default_rules());
    anchors.bench_function("observe/parse_scrape", |b| {
        b.iter(|| {
            engine
                .observe_at(black_box(&second), Instant::now())
                .unwrap()
        });
    });
    anchors.bench_function("render", |b| {
        b.iter(|| black_box(exposition.render()));
    });
    anchors.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5));
    targets = evaluate
}
criterion_main!(benches);
