//! Rule evaluation cost, the project's figures beside their anchors in one run.
//!
//! `cargo bench -p victor-alerting --bench evaluate`
//!
//! - `evaluate/1000_rules`: one [`Engine::evaluate_at`] over 1 000 rules (the default rules'
//!   conditions, repeated under distinct names: ratios, rates, quantiles and gauges over every
//!   default signal) against a scrape of a busy agent (every default metric, ~2 000 series).
//!   Each rule computes its own groups; nothing is shared between rules.
//! - `evaluate/1000_rules_with_overrides`: the same thousand as an operator tunes them from
//!   configuration (threshold, `for`, `keep_firing_for`, severity, routing, `job`/`instance`).
//! - `evaluate/default_rules`: the default rule set alone; `default_rules_and_slos` adds the
//!   default SLOs' burn-rate rules (two per SLO, six thresholds each), as the exporter loads them.
//! - `cycle/default_rules`: a whole evaluation cycle as the exporter runs it, reading the store
//!   and evaluating the default rules (what `victor_alert_evaluation_duration_seconds` times).
//! - `limit/cycle`: the same at the cardinality limit on every metric: every catalog metric
//!   holds 10 000 series (about 1.2 million series, ~100 MB of text if rendered);
//!   `limit/cycle_with_slos` with the SLOs' rules too.
//! - Anchors: `observe/read_store` (reading the store, which an evaluation cycle does once
//!   whatever the rule count) and `render` (the `/metrics` render of the same store).

#![allow(missing_docs, clippy::unwrap_used, reason = "benchmark harness")]

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use victor_alerting::{Engine, Rule, RuleOverride, default_rules};
use victor_metrics_core::exposition::ExpositionBuilder;
use victor_metrics_core::{
    AgentMode, LlmCall, LlmOperation, Request, SystemSample, ToolExecution, ToolStatus,
    VictorMetrics,
};

/// Records a busy agent's traffic: many endpoints, tools, providers, caches and namespaces.
fn record_traffic(metrics: &VictorMetrics, round: u64) {
    for i in 0..400_u64 {
        let endpoint = format!("/api/route{}", i % 20);
        metrics.requests().record_request(&Request {
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
        metrics.tools().record_tool_execution(&ToolExecution {
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
        metrics.providers().record_llm_call(&LlmCall {
            provider,
            model: "model",
            operation: LlmOperation::Chat,
            duration: Duration::from_millis(300 + (i * 91) % 8000),
            prompt_tokens: 100,
            completion_tokens: 50,
            cached_prompt_tokens: 0,
            cost_usd: Some(0.001),
            error_type: ((i + round).is_multiple_of(11)).then_some("rate_limit"),
            tool_calls: false,
            response_model: None,
            time_to_first_token: None,
            finish_reason: None,
        });
        let cache = format!("cache_{}", i % 8);
        if i.is_multiple_of(3) {
            metrics.caches().record_cache_miss(&cache);
        } else {
            metrics.caches().record_cache_hit(&cache);
        }
        let namespace = format!("ns_{}", i % 6);
        metrics.caches().record_tool_selection(
            &namespace,
            Duration::from_micros(100 + (i * 7) % 4000),
            i % 4 != 0,
        );
        metrics.providers().set_provider_health(provider, true);
    }
    metrics.system().record_system(&SystemSample {
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
    metrics.toolkit().set_health_score(90.0);
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

/// The thousand rules as an operator tunes them: every one overridden (threshold, `for`,
/// `keep_firing_for`, severity), routed, and labelled with `job` and `instance`.
fn thousand_rules_with_overrides() -> Vec<Rule> {
    let labels = std::collections::BTreeMap::from([
        ("job".to_owned(), "victor".to_owned()),
        ("instance".to_owned(), "victor-exporter:9091".to_owned()),
    ]);
    let routed = ["slack".to_owned()];
    thousand_rules()
        .into_iter()
        .map(|rule| {
            let threshold = match rule.condition() {
                victor_alerting::Condition::Threshold(threshold) => Some(threshold.value()),
                _ => None,
            };
            let changes = RuleOverride {
                // Halving keeps a quantile's or a share's threshold in range.
                threshold: threshold.map(|value| value * 0.5),
                for_duration: Some(Duration::from_secs(60)),
                keep_firing_for: Some(Duration::from_secs(300)),
                severity: Some(victor_alerting::Severity::Warning),
                ..RuleOverride::default()
            };
            rule.with_override(&changes)
                .unwrap()
                .routed_to(&routed)
                .with_labels(&labels)
        })
        .collect()
}

fn evaluate(c: &mut Criterion) {
    let (store, exposition) = ExpositionBuilder::new().build().unwrap();
    let metrics = VictorMetrics::new();
    let start = Instant::now();
    let engines: Vec<(&str, Engine)> = [
        ("1000_rules", thousand_rules()),
        ("1000_rules_with_overrides", thousand_rules_with_overrides()),
        ("default_rules", default_rules()),
        ("default_rules_and_slos", default_rules_and_slos()),
    ]
    .into_iter()
    .map(|(label, rules)| {
        let engine = Engine::new(VictorMetrics::new());
        engine.add_rules(rules).unwrap();
        (label, engine)
    })
    .collect();
    for round in 0..2 {
        metrics::with_local_recorder(&store, || record_traffic(&metrics, round));
        metrics::with_local_recorder(&store, || metrics.refresh());
        for (_, engine) in &engines {
            engine.observe_at(&store, start + Duration::from_secs(60 * round));
        }
    }
    let text = exposition.render();
    let series = text.lines().filter(|l| !l.starts_with('#')).count();
    eprintln!("store: {series} series, {} bytes rendered", text.len());

    let mut group = c.benchmark_group("evaluate");
    for (label, engine) in &engines {
        let now = start + Duration::from_secs(60);
        let wall = SystemTime::now();
        // First evaluation compiles each rule's series list.
        engine.evaluate_at(now, wall);
        eprintln!("{label}: {} alerts active", engine.alerts().len());
        group.bench_function(*label, |b| {
            b.iter(|| black_box(engine.evaluate_at(now, wall)));
        });
    }
    group.finish();

    let mut cycle = c.benchmark_group("cycle");
    for (label, engine) in &engines[2..] {
        cycle.bench_function(*label, |b| {
            b.iter(|| black_box(engine.evaluate_cycle(&store, || {})));
        });
    }
    cycle.finish();
    let engine = &engines[2].1;

    let mut anchors = c.benchmark_group("anchors");
    anchors.bench_function("observe/read_store", |b| {
        b.iter(|| engine.observe_at(black_box(&store), Instant::now()));
    });
    anchors.bench_function("render", |b| {
        b.iter(|| black_box(exposition.render()));
    });
    anchors.finish();
}

/// Every catalog metric at the cardinality limit (10 000 label sets each).
fn at_the_limit(c: &mut Criterion) {
    use victor_metrics_core::DEFAULT_CARDINALITY_LIMIT;

    let (store, _exposition) = ExpositionBuilder::new().build().unwrap();
    let filled = Instant::now();
    victor_test_support::fill_every_metric(&store, DEFAULT_CARDINALITY_LIMIT);
    eprintln!(
        "limit: {} series in {:?}",
        store.series_created(),
        filled.elapsed()
    );
    let mut group = c.benchmark_group("limit");
    group.sample_size(10);
    for (label, rules) in [
        ("cycle", default_rules()),
        ("cycle_with_slos", default_rules_and_slos()),
    ] {
        let engine = Engine::new(VictorMetrics::new());
        engine.add_rules(rules).unwrap();
        let first = Instant::now();
        engine.evaluate_cycle(&store, || {});
        eprintln!(
            "limit: {label}: first cycle (indexes every series rules name) {:?}",
            first.elapsed()
        );
        group.bench_function(label, |b| {
            b.iter(|| black_box(engine.evaluate_cycle(&store, || {})));
        });
    }
    group.finish();
}

/// The default rules and the default SLOs' burn-rate rules: what the exporter loads.
fn default_rules_and_slos() -> Vec<Rule> {
    let mut rules = default_rules();
    for slo in victor_alerting::slo::default_slos() {
        rules.extend(slo.engine_rules().unwrap());
    }
    rules
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5));
    targets = evaluate, at_the_limit
}
criterion_main!(benches);
