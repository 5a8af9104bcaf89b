//! Recording tests: each records through a fresh Prometheus recorder, renders, and reads the
//! parsed exposition back (render order varies, so nothing compares bytes).

use std::collections::BTreeMap;
use std::time::Duration;

use openmetrics_parser::prometheus::parse_prometheus;
use openmetrics_parser::{MetricsExposition, PrometheusType, PrometheusValue};

use super::*;
use crate::catalog::MetricKind;
use crate::exposition::ExpositionBuilder;
use crate::family::*;
use crate::{OVERFLOW_LABEL_VALUE, quantile};

type Parsed = MetricsExposition<PrometheusType, PrometheusValue>;

/// Runs `record` against a fresh recorder, then refreshes the windows and parses the render.
fn scrape(metrics: &VictorMetrics, record: impl FnOnce(&VictorMetrics)) -> Parsed {
    let (recorder, exposition) = ExpositionBuilder::new().build().expect("catalog buckets");
    let text = metrics::with_local_recorder(&recorder, || {
        record(metrics);
        metrics.refresh();
        exposition.render()
    });
    parse_prometheus(&text).unwrap_or_else(|e| panic!("unparsable exposition: {e:?}\n{text}"))
}

/// The sample of `name` whose labels are exactly `labels`.
fn sample<'a>(parsed: &'a Parsed, name: &str, labels: &[(&str, &str)]) -> &'a PrometheusValue {
    let family = parsed
        .families
        .get(name)
        .unwrap_or_else(|| panic!("{name} not exposed"));
    let wanted: BTreeMap<&str, &str> = labels.iter().copied().collect();
    let names = family.get_label_names();
    assert_eq!(names.len(), wanted.len(), "{name} has labels {names:?}");
    let values: Vec<String> = names
        .iter()
        .map(|n| {
            wanted
                .get(n.as_str())
                .unwrap_or_else(|| panic!("{name}: no {n}"))
                .to_string()
        })
        .collect();
    &family
        .get_sample_by_label_values(&values)
        .unwrap_or_else(|| panic!("{name}{labels:?} not exposed"))
        .value
}

fn counter(parsed: &Parsed, name: &str, labels: &[(&str, &str)]) -> f64 {
    match sample(parsed, name, labels) {
        PrometheusValue::Counter(c) => c.value.as_f64(),
        other => panic!("{name} is not a counter: {other:?}"),
    }
}

fn gauge(parsed: &Parsed, name: &str, labels: &[(&str, &str)]) -> f64 {
    match sample(parsed, name, labels) {
        PrometheusValue::Gauge(g) => g.as_f64(),
        other => panic!("{name} is not a gauge: {other:?}"),
    }
}

/// (count, sum, cumulative bucket counts by upper bound) of a histogram sample.
fn histogram(parsed: &Parsed, name: &str, labels: &[(&str, &str)]) -> (u64, f64, Vec<(f64, u64)>) {
    match sample(parsed, name, labels) {
        PrometheusValue::Histogram(h) => (
            h.count.unwrap_or_default(),
            h.sum.as_ref().map(|s| s.as_f64()).unwrap_or_default(),
            h.buckets
                .iter()
                .map(|b| (b.upper_bound, b.count.as_f64() as u64))
                .collect(),
        ),
        other => panic!("{name} is not a histogram: {other:?}"),
    }
}

fn request(endpoint: &'static str, status: u16, millis: u64) -> Request<'static> {
    Request {
        endpoint,
        method: "POST",
        status,
        duration: Duration::from_millis(millis),
        error_type: None,
    }
}

fn tool(name: &'static str, status: ToolStatus, millis: u64) -> ToolExecution<'static> {
    ToolExecution {
        tool: name,
        vertical: "coding",
        mode: AgentMode::Build,
        status,
        duration: Duration::from_millis(millis),
        error_type: None,
    }
}

#[test]
fn requests_count_by_labels_and_errors_by_type() {
    let metrics = VictorMetrics::new();
    let parsed = scrape(&metrics, |m| {
        m.requests().record_request(&request("/chat", 200, 120));
        m.requests().record_request(&request("/chat", 200, 80));
        m.requests().record_request(&request("/chat", 503, 2_000));
        m.requests().record_request(&Request {
            error_type: Some("rate_limit"),
            ..request("/chat", 429, 5)
        });
        m.requests().record_request(&request("/chat", 404, 3));
    });
    let labels = |status| {
        [
            ("endpoint", "/chat"),
            ("method", "POST"),
            ("status", status),
        ]
    };
    assert_eq!(
        counter(&parsed, "victor_requests_total", &labels("200")),
        2.0
    );
    assert_eq!(
        counter(&parsed, "victor_requests_total", &labels("503")),
        1.0
    );
    assert_eq!(
        counter(&parsed, "victor_requests_total", &labels("404")),
        1.0
    );
    let error = |status, error_type| {
        [
            ("endpoint", "/chat"),
            ("method", "POST"),
            ("status", status),
            ("error_type", error_type),
        ]
    };
    assert_eq!(
        counter(
            &parsed,
            "victor_request_errors_total",
            &error("503", "server_error")
        ),
        1.0
    );
    assert_eq!(
        counter(
            &parsed,
            "victor_request_errors_total",
            &error("429", "rate_limit")
        ),
        1.0
    );
    let (count, sum, buckets) =
        histogram(&parsed, "victor_request_duration_seconds", &labels("200"));
    assert_eq!(count, 2);
    assert!((sum - 0.2).abs() < 1e-9, "{sum}");
    assert_eq!(
        buckets.iter().find(|(le, _)| *le == 0.1).map(|b| b.1),
        Some(1)
    );

    let summary = metrics.summary();
    assert_eq!(summary.requests.total, 5);
    assert_eq!(
        summary.requests.errors, 2,
        "the 5xx and the explicit rate_limit; 404 is the client's"
    );
    assert_eq!(summary.requests.error_rate, Some(0.4));
    assert_eq!(gauge(&parsed, "victor_error_rate", &[]), 0.4);
    assert!(gauge(&parsed, "victor_request_rate", &[]) > 0.0);
}

#[test]
fn tool_executions_carry_their_catalog_labels() {
    let metrics = VictorMetrics::new();
    let parsed = scrape(&metrics, |m| {
        m.tools()
            .record_tool_execution(&tool("read_file", ToolStatus::Success, 45));
        m.tools()
            .record_tool_execution(&tool("read_file", ToolStatus::Success, 55));
        m.tools()
            .record_tool_execution(&tool("read_file", ToolStatus::Timeout, 15_000));
        m.tools().record_tool_execution(&ToolExecution {
            error_type: Some("permission_denied"),
            ..tool("write_file", ToolStatus::Failure, 10)
        });
    });
    let executions = |tool, status| {
        [
            ("tool", tool),
            ("vertical", "coding"),
            ("status", status),
            ("mode", "build"),
        ]
    };
    assert_eq!(
        counter(
            &parsed,
            "victor_tool_executions_total",
            &executions("read_file", "success")
        ),
        2.0
    );
    assert_eq!(
        counter(
            &parsed,
            "victor_tool_executions_total",
            &executions("read_file", "timeout")
        ),
        1.0
    );
    let (count, _, _) = histogram(
        &parsed,
        "victor_tool_execution_duration_seconds",
        &[
            ("tool", "read_file"),
            ("vertical", "coding"),
            ("status", "success"),
        ],
    );
    assert_eq!(count, 2);
    let errors = |tool, error_type| [("tool", tool), ("error_type", error_type)];
    assert_eq!(
        counter(
            &parsed,
            "victor_tool_errors_total",
            &errors("read_file", "timeout")
        ),
        1.0
    );
    assert_eq!(
        counter(
            &parsed,
            "victor_tool_errors_total",
            &errors("write_file", "permission_denied")
        ),
        1.0
    );
    assert_eq!(
        gauge(
            &parsed,
            "victor_tool_success_rate",
            &[("tool", "read_file"), ("vertical", "coding")]
        ),
        2.0 / 3.0
    );
    let summary = metrics.summary();
    assert_eq!((summary.tools.total, summary.tools.errors), (4, 2));
}

/// Without a caller's cost, a call costs its tokens at the price in effect today; a caller's
/// cost wins; a model the table lacks records its tokens, no cost, and one unpriced call; an
/// override replaces the built-in price.
#[test]
fn calls_without_a_cost_are_priced_from_the_pinned_table() {
    use crate::prices::{Date, Price, PriceTable, TokenUsage};

    let today = Date::today();
    let table = PriceTable::builtin().with_override(
        Price::new("openai", "gpt-4o", today, [1.0, 2.0, 0.0], "test override").expect("price"),
    );
    let metrics = VictorMetrics::builder().prices(table.clone()).build();
    let call = |provider, model, cost_usd| LlmCall {
        provider,
        model,
        operation: LlmOperation::Chat,
        prompt_tokens: 200_000,
        completion_tokens: 50_000,
        cached_prompt_tokens: 0,
        cost_usd,
        tool_calls: false,
        duration: Duration::from_millis(800),
        error_type: None,
        response_model: None,
        time_to_first_token: None,
        finish_reason: None,
    };
    let parsed = scrape(&metrics, |m| {
        m.refresh();
        let llm = m.providers();
        llm.record_llm_call(&call("anthropic", "claude-sonnet-4-5-20250929", None));
        // Half the prompt read from the cache: that half at the cached-input rate.
        llm.record_llm_call(&LlmCall {
            cached_prompt_tokens: 100_000,
            ..call("anthropic", "claude-opus-4-1", None)
        });
        llm.record_llm_call(&call("anthropic", "claude-haiku-4-5", Some(0.5)));
        llm.record_llm_call(&call("openai", "gpt-4o", None));
        llm.record_llm_call(&call("acme", "mystery-1", None));
        llm.record_llm_call(&call("acme", "mystery-1", None));
    });
    let usage = TokenUsage {
        input: 200_000,
        output: 50_000,
        cached_input: 0,
    };
    let sonnet = [
        ("provider", "anthropic"),
        ("model", "claude-sonnet-4-5-20250929"),
    ];
    let (_, cost, _) = histogram(&parsed, "victor_llm_cost_usd", &sonnet);
    let expected = table
        .cost("anthropic", "claude-sonnet-4-5-20250929", usage, today)
        .expect("priced");
    assert!(
        (cost - expected).abs() < 1e-12 && (expected - 1.35).abs() < 1e-12,
        "{cost}"
    );
    let (_, cost, _) = histogram(
        &parsed,
        "victor_llm_cost_usd",
        &[("provider", "anthropic"), ("model", "claude-haiku-4-5")],
    );
    assert_eq!(cost, 0.5, "the caller's cost wins");
    let (_, cost, _) = histogram(
        &parsed,
        "victor_llm_cost_usd",
        &[("provider", "anthropic"), ("model", "claude-opus-4-1")],
    );
    // 100 000 × $15/M + 100 000 cached × $1.50/M + 50 000 × $75/M.
    assert!((cost - (1.5 + 0.15 + 3.75)).abs() < 1e-12, "{cost}");
    let (_, cost, _) = histogram(
        &parsed,
        "victor_llm_cost_usd",
        &[("provider", "openai"), ("model", "gpt-4o")],
    );
    assert!((cost - 0.3).abs() < 1e-12, "the override wins: {cost}");
    let mystery = [("provider", "acme"), ("model", "mystery-1")];
    assert_eq!(
        counter(&parsed, "victor_llm_unpriced_calls_total", &mystery),
        2.0
    );
    assert_eq!(
        counter(
            &parsed,
            "victor_llm_tokens_total",
            &[
                ("provider", "acme"),
                ("model", "mystery-1"),
                ("type", "prompt")
            ]
        ),
        400_000.0
    );
    let (observations, cost, _) = histogram(&parsed, "victor_llm_cost_usd", &mystery);
    assert_eq!(
        (observations, cost),
        (0, 0.0),
        "no cost is guessed for an unpriced model"
    );
    assert_eq!(
        gauge(
            &parsed,
            "victor_llm_price_table_info",
            &[("version", table.version.as_str())]
        ),
        1.0
    );
}

/// One call's OpenTelemetry GenAI series: the convention's names, attributes and bucket bounds;
/// token usage by type; error_type only on failure; chunk timings only for a streamed call.
#[test]
fn llm_calls_record_the_gen_ai_semantic_convention_metrics() {
    let metrics = VictorMetrics::new();
    let streamed = LlmCall {
        provider: "anthropic",
        model: "claude-sonnet-4-5",
        operation: LlmOperation::Chat,
        prompt_tokens: 1_000,
        completion_tokens: 401,
        cached_prompt_tokens: 0,
        cost_usd: None,
        tool_calls: false,
        duration: Duration::from_millis(2_500),
        error_type: None,
        response_model: Some("claude-sonnet-4-5-20250929"),
        time_to_first_token: Some(Duration::from_millis(500)),
        finish_reason: None,
    };
    let parsed = scrape(&metrics, |m| {
        m.providers().record_llm_call(&streamed);
        m.providers().record_llm_call(&LlmCall {
            error_type: Some("rate_limit"),
            response_model: None,
            time_to_first_token: None,
            completion_tokens: 0,
            ..streamed
        });
    });
    let shape = [
        ("gen_ai_operation_name", "chat"),
        ("gen_ai_provider_name", "anthropic"),
        ("gen_ai_request_model", "claude-sonnet-4-5"),
        ("gen_ai_response_model", "claude-sonnet-4-5-20250929"),
    ];
    let with = |extra: (&'static str, &'static str)| {
        let mut labels = shape.to_vec();
        labels.push(extra);
        labels
    };
    let (count, sum, buckets) = histogram(
        &parsed,
        "gen_ai_client_token_usage",
        &with(("gen_ai_token_type", "output")),
    );
    assert_eq!((count, sum), (1, 401.0));
    let bounds: Vec<f64> = buckets
        .iter()
        .map(|(bound, _)| *bound)
        .filter(|b| b.is_finite())
        .collect();
    let convention: Vec<f64> = (0..14).map(|power| 4_f64.powi(power)).collect();
    assert_eq!(bounds, convention, "the convention's token buckets");
    let (_, sum, _) = histogram(
        &parsed,
        "gen_ai_client_token_usage",
        &with(("gen_ai_token_type", "input")),
    );
    assert_eq!(sum, 1_000.0);
    let (count, sum, buckets) = histogram(
        &parsed,
        "gen_ai_client_operation_duration_seconds",
        &with(("error_type", "")),
    );
    assert_eq!((count, sum), (1, 2.5));
    let bounds: Vec<f64> = buckets
        .iter()
        .map(|(bound, _)| *bound)
        .filter(|b| b.is_finite())
        .collect();
    let convention: Vec<f64> = (0..14)
        .map(|doubling| 0.01 * 2_f64.powi(doubling))
        .collect();
    assert_eq!(bounds.len(), convention.len());
    assert!(
        bounds
            .iter()
            .zip(&convention)
            .all(|(a, b)| (a - b).abs() < 1e-9),
        "{bounds:?}"
    );
    // The failed call answered nothing: its response model is the requested one.
    let failed = [
        ("gen_ai_operation_name", "chat"),
        ("gen_ai_provider_name", "anthropic"),
        ("gen_ai_request_model", "claude-sonnet-4-5"),
        ("gen_ai_response_model", "claude-sonnet-4-5"),
        ("error_type", "rate_limit"),
    ];
    let (count, _, _) = histogram(&parsed, "gen_ai_client_operation_duration_seconds", &failed);
    assert_eq!(count, 1);
    let (count, sum, _) = histogram(
        &parsed,
        "gen_ai_client_operation_time_to_first_chunk_seconds",
        &shape,
    );
    assert_eq!((count, sum), (1, 0.5));
    let (count, sum, _) = histogram(
        &parsed,
        "gen_ai_client_operation_time_per_output_chunk_seconds",
        &shape,
    );
    // (2.5 s − 0.5 s) over the 400 tokens after the first.
    assert_eq!(count, 1);
    assert!((sum - 0.005).abs() < 1e-12, "{sum}");
    let streams = parsed
        .families
        .get("gen_ai_client_operation_time_to_first_chunk_seconds")
        .map_or(0, |family| family.iter_samples().count());
    assert_eq!(
        streams, 1,
        "no chunk timing for the call that did not stream"
    );
}

#[test]
fn llm_calls_record_tokens_cost_and_provider_traffic() {
    let metrics = VictorMetrics::new();
    let call = LlmCall {
        provider: "anthropic",
        model: "claude-sonnet-4-5",
        operation: LlmOperation::Chat,
        prompt_tokens: 1_000,
        completion_tokens: 250,
        cached_prompt_tokens: 0,
        cost_usd: Some(0.0125),
        tool_calls: true,
        duration: Duration::from_millis(1_500),
        error_type: None,
        response_model: None,
        time_to_first_token: None,
        finish_reason: None,
    };
    let parsed = scrape(&metrics, |m| {
        m.providers().record_llm_call(&call);
        m.providers().record_llm_call(&call);
        m.providers().record_llm_call(&LlmCall {
            error_type: Some("rate_limit"),
            tool_calls: false,
            ..call
        });
    });
    let model = [("provider", "anthropic"), ("model", "claude-sonnet-4-5")];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut labels = model.to_vec();
        labels.extend_from_slice(extra);
        labels
    };
    assert_eq!(
        counter(
            &parsed,
            "victor_llm_requests_total",
            &with(&[("operation", "chat")])
        ),
        3.0
    );
    assert_eq!(
        counter(
            &parsed,
            "victor_llm_tokens_total",
            &with(&[("type", "prompt")])
        ),
        3_000.0
    );
    assert_eq!(
        counter(
            &parsed,
            "victor_llm_tokens_total",
            &with(&[("type", "completion")])
        ),
        750.0
    );
    let (_, cost, _) = histogram(&parsed, "victor_llm_cost_usd", &model);
    assert!((cost - 0.0375).abs() < 1e-9, "{cost}");
    let error = with(&[("operation", "chat"), ("error_type", "rate_limit")]);
    assert_eq!(counter(&parsed, "victor_llm_errors_total", &error), 1.0);
    let provider = |status, tool_calls| with(&[("status", status), ("tool_calls", tool_calls)]);
    assert_eq!(
        counter(
            &parsed,
            "victor_provider_requests_total",
            &provider("success", "true")
        ),
        2.0
    );
    assert_eq!(
        counter(
            &parsed,
            "victor_provider_requests_total",
            &provider("failure", "false")
        ),
        1.0
    );
    assert_eq!(
        histogram(&parsed, "victor_provider_latency_seconds", &model).0,
        3
    );
    assert_eq!(
        gauge(&parsed, "victor_provider_success_rate", &model),
        2.0 / 3.0
    );

    let summary = metrics.summary().llm;
    assert_eq!(
        (summary.prompt_tokens, summary.completion_tokens),
        (3_000, 750)
    );
    assert!((summary.cost_usd - 0.0375).abs() < 1e-6);
    assert_eq!(summary.calls.errors, 1);
}

#[test]
fn cache_hit_rates_come_from_the_window() {
    let metrics = VictorMetrics::new();
    let parsed = scrape(&metrics, |m| {
        for _ in 0..3 {
            m.caches().record_cache_hit("tool_selection");
        }
        m.caches().record_cache_miss("tool_selection");
        m.caches().record_cache_eviction("tool_selection", 2);
        m.caches()
            .record_tool_selection("query", Duration::from_micros(300), true);
        m.caches()
            .record_tool_selection("query", Duration::from_micros(900), false);
    });
    let cache = [("cache_name", "tool_selection")];
    assert_eq!(counter(&parsed, "victor_cache_hits_total", &cache), 3.0);
    assert_eq!(counter(&parsed, "victor_cache_misses_total", &cache), 1.0);
    assert_eq!(
        counter(&parsed, "victor_cache_evictions_total", &cache),
        2.0
    );
    assert_eq!(gauge(&parsed, "victor_cache_hit_rate", &cache), 0.75);
    let namespace = [("namespace", "query")];
    assert_eq!(
        gauge(&parsed, "victor_tool_selection_cache_hit_rate", &namespace),
        0.5
    );
    assert_eq!(
        histogram(
            &parsed,
            "victor_tool_selection_duration_seconds",
            &namespace
        )
        .0,
        2
    );
    assert_eq!(metrics.summary().cache.hit_rate, Some(0.75));
}

#[test]
fn summary_percentiles_match_the_exposed_buckets() {
    let metrics = VictorMetrics::new();
    let parsed = scrape(&metrics, |m| {
        for i in 0..1_000_u64 {
            // 1 ms .. 3 s, skewed towards fast.
            m.requests()
                .record_request(&request("/chat", 200, 1 + (i * i) / 333));
        }
    });
    let labels = [("endpoint", "/chat"), ("method", "POST"), ("status", "200")];
    let (count, _, buckets) = histogram(&parsed, "victor_request_duration_seconds", &labels);
    assert_eq!(count, 1_000);
    let bounds: Vec<f64> = buckets
        .iter()
        .filter(|b| b.0.is_finite())
        .map(|b| b.0)
        .collect();
    let mut cumulative: Vec<u64> = buckets
        .iter()
        .filter(|b| b.0.is_finite())
        .map(|b| b.1)
        .collect();
    cumulative.push(count);
    let summary = metrics.summary().requests.duration_seconds;
    for (q, ours) in [(0.5, summary.p50), (0.95, summary.p95), (0.99, summary.p99)] {
        let from_exposition = quantile(q, &bounds, &cumulative);
        assert_eq!(ours, from_exposition, "p{q}");
    }
    assert!(summary.p50 < summary.p95 && summary.p95 <= summary.p99);
}

#[test]
fn cardinality_limit_folds_into_one_counted_overflow_series() {
    let metrics = VictorMetrics::builder().cardinality_limit(3).build();
    let parsed = scrape(&metrics, |m| {
        for i in 0..10 {
            let name = format!("tool_{i}");
            m.tools().record_tool_execution(&ToolExecution {
                tool: &name,
                ..tool("", ToolStatus::Success, 10)
            });
        }
    });
    let family = &parsed.families["victor_tool_executions_total"];
    assert_eq!(
        family.iter_samples().count(),
        4,
        "3 label sets + the overflow series"
    );
    let overflow = [
        ("tool", OVERFLOW_LABEL_VALUE),
        ("vertical", OVERFLOW_LABEL_VALUE),
        ("status", OVERFLOW_LABEL_VALUE),
        ("mode", OVERFLOW_LABEL_VALUE),
    ];
    assert_eq!(
        counter(&parsed, "victor_tool_executions_total", &overflow),
        7.0
    );
    let folded = [("metric", "victor_tool_executions_total")];
    assert_eq!(
        counter(
            &parsed,
            "victor_metrics_cardinality_overflow_total",
            &folded
        ),
        7.0
    );
    assert_eq!(metrics.series_counts()["victor_tool_executions_total"], 3);
    assert_eq!(
        metrics.summary().tools.total,
        10,
        "nothing is lost from the totals"
    );
}

#[test]
fn custom_metrics_render_with_their_help() {
    let metrics = VictorMetrics::new();
    let parsed = scrape(&metrics, |m| {
        let jobs = m
            .custom()
            .register_counter("acme_jobs_total", "Jobs run.", &["queue"]);
        jobs.expect("valid")
            .increment(&["default"], 3)
            .expect("one label");
        let depth = m
            .custom()
            .register_histogram("acme_wait_seconds", "Wait.", &[]);
        depth.expect("valid").record(&[], 0.2).expect("no labels");
    });
    assert_eq!(
        counter(&parsed, "acme_jobs_total", &[("queue", "default")]),
        3.0
    );
    assert_eq!(parsed.families["acme_jobs_total"].help, "Jobs run.");
    let (count, _, buckets) = histogram(&parsed, "acme_wait_seconds", &[]);
    assert_eq!(count, 1);
    assert_eq!(buckets.len(), crate::exposition::DEFAULT_BUCKETS.len() + 1);
}

/// Records every catalog metric through the typed API.
pub(crate) fn record_every_metric(m: &VictorMetrics) {
    m.requests().record_request(&Request {
        error_type: Some("timeout"),
        ..request("/chat", 504, 30)
    });
    drop(m.requests().track_request("/chat", "POST"));
    m.requests()
        .record_chat_request("anthropic", Duration::from_secs(3));
    m.tools()
        .record_tool_execution(&tool("read_file", ToolStatus::Failure, 20));
    drop(m.tools().track_tool("read_file"));
    m.providers().record_llm_call(&LlmCall {
        provider: "openai",
        model: "gpt-4o",
        operation: LlmOperation::Chat,
        prompt_tokens: 10,
        completion_tokens: 5,
        cached_prompt_tokens: 0,
        cost_usd: Some(0.001),
        tool_calls: false,
        duration: Duration::from_millis(900),
        error_type: Some("timeout"),
        response_model: None,
        time_to_first_token: None,
        finish_reason: None,
    });
    // No cost given and a model the price table lacks: counted as unpriced.
    m.providers().record_llm_call(&LlmCall {
        provider: "acme",
        model: "mystery-1",
        operation: LlmOperation::Chat,
        prompt_tokens: 10,
        completion_tokens: 5,
        cached_prompt_tokens: 0,
        cost_usd: None,
        tool_calls: false,
        duration: Duration::from_millis(900),
        error_type: None,
        response_model: None,
        // Streamed: the GenAI chunk timings.
        time_to_first_token: Some(Duration::from_millis(200)),
        finish_reason: Some("length"),
    });
    m.providers().set_provider_health("openai", true);
    m.caches().record_cache_hit("embeddings");
    m.caches().record_cache_miss("embeddings");
    m.caches().record_cache_eviction("embeddings", 1);
    m.caches().set_cache_size("embeddings", 4096);
    m.caches()
        .record_tool_selection("query", Duration::from_micros(400), true);
    m.caches().record_tool_selection_eviction("query", 1);
    m.caches()
        .set_tool_selection_cache("query", 80, 100, 65_536);
    m.agentic()
        .record_coordinator_run("ToolCoordinator", Duration::from_millis(300), false);
    m.agentic()
        .set_coordinator_resources("ToolCoordinator", 52_428_800, 12.5);
    m.sessions().record_session_started("cli");
    m.sessions()
        .record_session_ended("cli", Duration::from_secs(900), 12);
    m.sessions().set_active_users("cli", 3);
    m.sessions().record_task(true);
    m.agentic()
        .record_workflow_execution("code_review", "success");
    m.agentic().record_feature_usage("semantic_search");
    m.agentic().record_vertical_usage("coding", AgentMode::Plan);
    m.agentic().set_planning_success_rate("coding", 0.9);
    m.agentic().set_memory_recall_accuracy("episodic", 0.8);
    m.agentic().record_skill_discovered("refactoring");
    m.agentic().set_proficiency_score("python", 0.7);
    m.agentic().record_self_improvement_loop("improved");
    m.agentic().record_memory_operation("store", "success");
    use VerticalActivity as A;
    for activity in [
        A::CodingFilesAnalyzed(3),
        A::CodingLinesReviewed(120),
        A::CodingIssuesFound(2),
        A::CodingTestsGenerated(1),
        A::CodingRefactoringSuccessRate(0.95),
        A::RagDocumentsIngested(10),
        A::RagSearchAccuracy(0.88),
        A::RagRetrieval(Duration::from_millis(40)),
        A::RagIndexSize(1 << 20),
        A::DevOpsDeployment,
        A::DevOpsDeploymentSuccessRate(0.97),
        A::DevOpsContainersManaged(12),
        A::DevOpsCiPipelineExecuted,
        A::DataAnalysisQuery(Duration::from_millis(250)),
        A::DataAnalysisVisualization,
        A::DataAnalysisDataSize(5 << 20),
        A::ResearchSearch,
        A::ResearchCitations(4),
        A::ResearchSourcesAnalyzed(6),
        A::ResearchSynthesis(Duration::from_secs(20)),
    ] {
        m.agentic().record_vertical_activity(activity);
    }
    for signal in [
        SecuritySignal::AuthorizationSuccessRate(0.99),
        SecuritySignal::FailedAuthorization,
        SecuritySignal::TestPassRate(0.96),
        SecuritySignal::VulnerabilityFound { severity: "high" },
        SecuritySignal::Scan(Duration::from_secs(45)),
    ] {
        m.security().record_security(signal);
    }
    m.bootstrap()
        .record_initialization(Duration::from_millis(1_800));
    m.bootstrap()
        .set_bootstrap_phase("load_tools", Duration::from_millis(400));
    m.bootstrap().record_lazy_load("rag_index");
    m.system().record_system(&SystemSample {
        process_cpu_percent: 12.0,
        host_cpu_percent: 30.0,
        rss_bytes: 200 << 20,
        virtual_bytes: 1 << 30,
        memory_limit_bytes: 4 << 30,
        host_memory: Some((16 << 30, 8 << 30)),
        threads: 24,
        open_fds: 40,
        max_fds: 1024,
        uptime: Duration::from_secs(60),
        disk: Some(("/var/lib/victor".into(), 10 << 30, 50 << 30)),
        active_connections: 5,
    });
    m.toolkit().set_health_score(92.0);
    // The health checker's series (victor-health records them so).
    m.histogram(
        &crate::catalog::HEALTH_CHECK_DURATION_SECONDS,
        ["readiness", "database"],
    )
    .record(0.003);
    m.counter(
        &crate::catalog::HEALTH_CHECK_FAILURES_TOTAL,
        ["readiness", "database"],
    )
    .increment(1);
    m.gauge(&crate::catalog::HEALTH_STATUS, ["readiness"])
        .set(0.0);
    m.counter(&crate::catalog::TRACING_SPANS_STARTED_TOTAL, [])
        .increment(515);
    m.gauge(&crate::catalog::TRACING_EXPORT_QUEUE_SPANS, [])
        .set(0.0);
    m.toolkit().set_build_info("0.1.0");
    m.exporter().record_request(&Request {
        endpoint: "/metrics",
        method: "GET",
        status: 200,
        duration: Duration::from_millis(2),
        error_type: None,
    });
    drop(m.exporter().track_request("/metrics", "GET"));
    m.exporter().record_connections_over_limit(true, 1);
    m.counter(&crate::catalog::TRACING_SPANS_EXPORTED_TOTAL, [])
        .increment(512);
    m.counter(&crate::catalog::TRACING_SPANS_DROPPED_TOTAL, ["queue_full"])
        .increment(3);
    m.counter(
        &crate::catalog::METRICS_CARDINALITY_OVERFLOW_TOTAL,
        ["none"],
    )
    .increment(0);
    m.counter(
        &crate::catalog::METRICS_KIND_CONFLICTS_TOTAL,
        ["victor_custom_total"],
    )
    .increment(1);
    // The alert engine's and dispatcher's own series (victor-alerting records them so).
    m.counter(&crate::catalog::ALERT_EVALUATIONS_TOTAL, [])
        .increment(1);
    m.histogram(&crate::catalog::ALERT_EVALUATION_DURATION_SECONDS, [])
        .record(0.0004);
    m.gauge(&crate::catalog::ALERTS_ACTIVE, ["firing", "critical"])
        .set(1.0);
    m.counter(&crate::catalog::ALERT_NOTIFICATIONS_SENT_TOTAL, ["slack"])
        .increment(1);
    m.counter(
        &crate::catalog::ALERT_NOTIFICATIONS_FAILED_TOTAL,
        ["email", "retries_exhausted"],
    )
    .increment(1);
    // The exporter's event ingestion.
    m.counter(&crate::catalog::EVENTS_ACCEPTED_TOTAL, ["tool.executed"])
        .increment(1);
    m.counter(&crate::catalog::EVENTS_REJECTED_TOTAL, ["unknown_type"])
        .increment(1);
}

#[test]
fn every_catalog_metric_is_recordable_with_its_declared_labels_help_and_type() {
    let metrics = VictorMetrics::new();
    let parsed = scrape(&metrics, record_every_metric);
    for def in crate::catalog::ALL {
        let family = parsed
            .families
            .get(def.name())
            .unwrap_or_else(|| panic!("{} is not recorded by any typed call", def.name()));
        assert_eq!(family.help, def.help(), "{}", def.name());
        assert_eq!(
            family.family_type.to_string(),
            def.kind().as_str(),
            "{}",
            def.name()
        );
        let mut exposed: Vec<&str> = family
            .get_label_names()
            .iter()
            .map(String::as_str)
            .collect();
        let mut declared = def.labels().to_vec();
        exposed.sort_unstable();
        declared.sort_unstable();
        assert_eq!(
            exposed,
            declared,
            "{} exposes undeclared labels",
            def.name()
        );
        if def.kind() == MetricKind::Histogram {
            for sample in family.iter_samples() {
                let PrometheusValue::Histogram(h) = &sample.value else {
                    unreachable!()
                };
                let bounds: Vec<f64> = h
                    .buckets
                    .iter()
                    .map(|b| b.upper_bound)
                    .filter(|b| b.is_finite())
                    .collect();
                assert_eq!(bounds, def.buckets(), "{} buckets", def.name());
            }
        }
    }
    let ours: usize = parsed
        .families
        .keys()
        .filter(|name| name.starts_with("victor_") || name.starts_with("gen_ai_client_"))
        .count();
    assert_eq!(
        ours,
        crate::catalog::ALL.len(),
        "nothing outside the catalog is exposed"
    );
}

#[test]
fn counter_handles_reach_the_exposition_at_refresh_exactly_once() {
    let (recorder, exposition) = ExpositionBuilder::new().build().expect("catalog buckets");
    let metrics = VictorMetrics::new();
    let def = &crate::catalog::FEATURE_USAGE_TOTAL;
    let labels = [("feature", "semantic_search")];
    let render = || {
        let text = metrics::with_local_recorder(&recorder, || {
            metrics.refresh();
            exposition.render()
        });
        parse_prometheus(&text).unwrap_or_else(|e| panic!("unparsable exposition: {e:?}"))
    };

    let (first, second) = metrics::with_local_recorder(&recorder, || {
        metrics.agentic().record_feature_usage("semantic_search");
        (
            metrics.counter(def, ["semantic_search"]),
            metrics.counter(def, ["semantic_search"]),
        )
    });
    first.increment(2);
    std::thread::scope(|scope| {
        scope.spawn(|| (0..1000).for_each(|_| second.increment(1)));
    });
    assert_eq!(counter(&render(), def.def().name(), &labels), 1003.0);
    // A second refresh with nothing new must not add the handles' increments again.
    assert_eq!(counter(&render(), def.def().name(), &labels), 1003.0);
    first.increment(5);
    assert_eq!(counter(&render(), def.def().name(), &labels), 1008.0);
}

#[test]
fn hostile_label_values_are_escaped() {
    let metrics = VictorMetrics::new();
    let hostile = "say \"hi\"\\n\nnext line";
    let parsed = scrape(&metrics, |m| m.agentic().record_feature_usage(hostile));
    assert_eq!(
        counter(
            &parsed,
            "victor_feature_usage_total",
            &[("feature", hostile)]
        ),
        1.0
    );
}

#[test]
fn in_flight_guards_go_back_down() {
    let metrics = VictorMetrics::new();
    let mut running = None;
    let parsed = scrape(&metrics, |m| {
        running = Some(m.tools().track_tool("bash"));
        drop(m.tools().track_tool("bash"));
    });
    assert_eq!(
        gauge(
            &parsed,
            "victor_tool_active_executions",
            &[("tool", "bash")]
        ),
        1.0
    );
}

#[test]
fn recording_without_a_recorder_is_harmless() {
    let metrics = VictorMetrics::new();
    metrics.requests().record_request(&request("/chat", 200, 1));
    assert_eq!(metrics.summary().requests.total, 1);
}

#[test]
fn breakdowns_group_by_tool_provider_and_cache() {
    let metrics = VictorMetrics::new();
    let tool = |tool, status, millis| ToolExecution {
        tool,
        vertical: "coding",
        mode: AgentMode::Build,
        status,
        duration: Duration::from_millis(millis),
        error_type: None,
    };
    for _ in 0..3 {
        metrics
            .tools()
            .record_tool_execution(&tool("grep", ToolStatus::Success, 40));
    }
    metrics
        .tools()
        .record_tool_execution(&tool("grep", ToolStatus::Failure, 40));
    metrics
        .tools()
        .record_tool_execution(&tool("shell", ToolStatus::Success, 2_000));
    let tools = metrics.tools().tool_breakdown();
    assert_eq!(
        tools.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["grep", "shell"]
    );
    assert_eq!((tools[0].outcome.total, tools[0].outcome.errors), (4, 1));
    assert_eq!(tools[0].outcome.success_rate, Some(0.75));
    let json = serde_json::to_value(&tools[0]).expect("json");
    assert_eq!(json["name"], "grep");
    assert_eq!(json["total"], 4);
    assert!(
        json["duration_seconds"]["p95"]
            .as_f64()
            .is_some_and(|p| p <= 0.05)
    );

    metrics.caches().record_cache_hit("responses");
    metrics.caches().record_cache_miss("responses");
    metrics.caches().record_cache_hit("embeddings");
    let caches = metrics.caches().cache_breakdown();
    assert_eq!(caches[0].name, "embeddings");
    assert_eq!(caches[1].hit_rate, Some(0.5));
    assert!(metrics.providers().provider_breakdown().is_empty());
    assert!(metrics.caches().tool_selection_breakdown().is_empty());
    metrics
        .caches()
        .record_tool_selection("default", Duration::from_micros(300), true);
    metrics
        .caches()
        .record_tool_selection("default", Duration::from_micros(300), false);
    let selection = &metrics.caches().tool_selection_breakdown()[0];
    assert_eq!((selection.hits, selection.misses), (1, 1));
    let latency = selection.duration_seconds.as_ref().expect("timed");
    assert!(latency.p50.is_some_and(|p| p <= 0.0005), "{latency:?}");
    assert!(caches[0].duration_seconds.is_none());
}

#[test]
fn window_figures_and_views_read_back_what_was_recorded() {
    let metrics = VictorMetrics::new();
    for i in 0..20_u64 {
        metrics.requests().record_request(&Request {
            endpoint: "/chat",
            method: "POST",
            status: if i < 2 { 503 } else { 200 },
            duration: Duration::from_millis(if i < 19 { 50 } else { 9_000 }),
            error_type: None,
        });
    }
    metrics.tools().record_tool_execution(&ToolExecution {
        tool: "grep",
        vertical: "coding",
        mode: AgentMode::Build,
        status: ToolStatus::Failure,
        duration: Duration::from_millis(5),
        error_type: None,
    });
    metrics.caches().record_cache_hit("responses");
    metrics.caches().record_cache_miss("responses");
    metrics.caches().record_cache_eviction("responses", 4);
    metrics.refresh();
    let figures = metrics.window_figures();
    assert_eq!(figures.requests, 20);
    assert_eq!(figures.request_error_ratio, Some(0.1));
    // 19 of 20 at 50 ms: the p95 rank (19) falls in the 50 ms bucket.
    assert!(
        figures.request_p95_seconds.is_some_and(|p| p <= 0.05),
        "{figures:?}"
    );
    assert_eq!(figures.tool_failure_ratio, Some(1.0));
    assert_eq!(figures.cache_hit_rate, Some(0.5));
    assert_eq!(metrics.caches().cache_breakdown()[0].evictions, 4);

    metrics
        .bootstrap()
        .record_initialization(Duration::from_millis(1_500));
    metrics
        .bootstrap()
        .set_bootstrap_phase("load_tools", Duration::from_millis(300));
    metrics.bootstrap().record_lazy_load("rag_index");
    metrics.bootstrap().record_lazy_load("rag_index");
    let bootstrap = metrics.bootstrap().bootstrap();
    assert_eq!(bootstrap.initialization_seconds, Some(1.5));
    assert_eq!(bootstrap.phases["load_tools"], 0.3);
    assert_eq!(bootstrap.lazy_loads["rag_index"], 2);
    metrics.providers().set_provider_health("openai", false);
    assert!(!metrics.providers().provider_health()["openai"]);
    metrics
        .caches()
        .set_tool_selection_cache("default", 250, 1_000, 4_096);
    assert_eq!(
        metrics.caches().tool_selection_fill()["default"].utilization,
        Some(0.25)
    );
}
