//! The exporter scraped by a real Prometheus: what was recorded is what Prometheus stores.
//!
//! The exporter installs the process-wide `metrics` recorder, so only one test here starts one.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use victor_e2e::{Prometheus, require};
use victor_exporter::Exporter;
use victor_exporter::config::Config;
use victor_metrics_core::{
    AgentMode, LlmCall, LlmOperation, Request, ToolExecution, ToolStatus, catalog,
};

const HOSTILE: &str = "quote \" backslash \\ newline \n end";

/// Label values that differ only in what an exposition must escape, or that hold what it must
/// pass raw. Each must come back from Prometheus exactly, and none may merge with another.
const HOSTILE_VALUES: &[&str] = &[
    "one\\back",
    "one\\\\back",
    "say \"hi\"",
    "say \\\"hi\\\"",
    "C:\\Users\\me",
    "line\nfeed",
    "line\\nfeed",
    "carriage\r\nreturn",
    "nul\0byte",
    "line\u{2028}separator",
    "trailing backslash\\",
    "",
];

/// A sampled W3C trace the test sends in `traceparent`.
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
/// Another, carried by an event.
const EVENT_TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";

#[test]
fn prometheus_stores_exactly_what_was_recorded() -> anyhow::Result<()> {
    let (Some(prometheus_bin), Some(promtool)) = (
        require("prometheus", "Debian package `prometheus`"),
        require("promtool", "Debian package `prometheus`"),
    ) else {
        return Ok(());
    };
    let config = Config {
        listen: "127.0.0.1:0".parse()?,
        ..Config::default()
    };
    let exporter = Exporter::new(config)?.serve_in_background()?;
    let metrics = exporter.metrics().clone();
    let target = exporter.addr();

    // A known workload: 1 000 requests with spread latencies (40 of them 503), tools, LLM calls,
    // and a label value with every character the text format must escape.
    for i in 0..1_000_u64 {
        let status = if i % 25 == 0 { 503 } else { 200 };
        metrics.requests().record_request(&Request {
            endpoint: "/chat",
            method: "POST",
            status,
            duration: Duration::from_micros(2_000 + (i * i * 7) % 4_000_000),
            error_type: None,
        });
    }
    for i in 0..300 {
        metrics.tools().record_tool_execution(&ToolExecution {
            tool: "read_file",
            vertical: "coding",
            mode: AgentMode::Build,
            status: if i % 10 == 0 {
                ToolStatus::Failure
            } else {
                ToolStatus::Success
            },
            duration: Duration::from_millis(5 + i % 200),
            error_type: None,
        });
    }
    for _ in 0..7 {
        metrics.providers().record_llm_call(&LlmCall {
            provider: "anthropic",
            model: "claude-sonnet-4-5",
            operation: LlmOperation::Chat,
            prompt_tokens: 1_234,
            completion_tokens: 321,
            cached_prompt_tokens: 0,
            cost_usd: Some(0.01),
            tool_calls: false,
            duration: Duration::from_millis(1_800),
            error_type: None,
            response_model: None,
            time_to_first_token: None,
            finish_reason: None,
        });
    }
    for _ in 0..3 {
        metrics.agentic().record_feature_usage(HOSTILE);
    }
    for (count, value) in HOSTILE_VALUES.iter().enumerate() {
        metrics
            .agentic()
            .record_vertical_usage(value, AgentMode::Build);
        for _ in 0..count {
            metrics
                .agentic()
                .record_vertical_usage(value, AgentMode::Build);
        }
    }

    // A request traced by its caller, through the monitoring middleware; an event with a trace.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let traced = agent
        .get(&format!("http://{target}/health/live"))
        .header("traceparent", &format!("00-{TRACE_ID}-00f067aa0ba902b7-01"))
        .call()?;
    assert_eq!(traced.status(), 200);
    let event = format!(
        r#"[{{"type":"request.completed","endpoint":"/traced","method":"GET","status":200,"duration_ms":42,"trace_id":"{EVENT_TRACE_ID}"}}]"#
    );
    let ingested = agent
        .post(&format!("http://{target}/api/events"))
        .header("content-type", "application/json")
        .send(event.as_str())?;
    assert_eq!(ingested.status(), 200);

    // /metrics negotiates OpenMetrics and gzip.
    let mut openmetrics = agent
        .get(&format!("http://{target}/metrics"))
        .header(
            "accept",
            "application/openmetrics-text;version=1.0.0,text/plain;q=0.5",
        )
        .call()?;
    let content_type = openmetrics
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text; version=1.0.0"),
        "{content_type}"
    );
    let body = openmetrics.body_mut().read_to_string()?;
    assert!(body.ends_with("# EOF\n"));
    assert!(
        body.contains(&format!("# {{trace_id=\"{TRACE_ID}\"}}")),
        "the traced request's exemplar"
    );
    let gzipped = agent
        .get(&format!("http://{target}/metrics"))
        .header("accept-encoding", "gzip")
        .call()?;
    assert_eq!(
        gzipped
            .headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("gzip")
    );

    let prometheus = Prometheus::start(&prometheus_bin, &[target])?;
    let within = Duration::from_secs(30);

    // Counters equal what was recorded, exactly. (The exporter's own requests, Prometheus'
    // scrapes among them, are in victor_exporter_requests_total, never the agent's.)
    let total = prometheus.wait_for_value(
        r#"sum(victor_requests_total{endpoint="/chat"})"#,
        within,
        |v| v == 1_000.0,
    )?;
    // A scrape is counted once answered, so the second scrape shows the first.
    prometheus.wait_for_value(
        r#"sum(victor_exporter_requests_total{endpoint="/metrics",status="200"})"#,
        within,
        |v| v >= 1.0,
    )?;
    assert_eq!(total, 1_000.0);
    let errors = prometheus.query(r#"victor_requests_total{endpoint="/chat",status="503"}"#)?;
    assert_eq!(errors.iter().map(|(_, v)| v).sum::<f64>(), 40.0);
    let server_errors =
        prometheus.query(r#"sum(victor_request_errors_total{error_type="server_error"})"#)?;
    assert_eq!(server_errors[0].1, 40.0);
    let tools =
        prometheus.query(r#"sum by (status) (victor_tool_executions_total{tool="read_file"})"#)?;
    let by_status = |status: &str| {
        tools
            .iter()
            .find(|(l, _)| l.get("status").map(String::as_str) == Some(status))
            .map(|s| s.1)
    };
    assert_eq!(by_status("success"), Some(270.0));
    assert_eq!(by_status("failure"), Some(30.0));
    let prompt = prometheus.query(r#"victor_llm_tokens_total{type="prompt"}"#)?;
    assert_eq!(prompt[0].1, 7.0 * 1_234.0);

    // histogram_quantile over the exposed buckets agrees with the JSON summary within a bucket.
    let summary = metrics.summary();
    let ours = summary
        .requests
        .duration_seconds
        .p95
        .expect("requests were recorded");
    let promql = prometheus
        .query("histogram_quantile(0.95, sum by (le) (victor_request_duration_seconds_bucket))")?
        [0]
    .1;
    let bounds = catalog::REQUEST_DURATION_SECONDS.def().buckets();
    let upper = bounds
        .iter()
        .position(|b| *b >= ours)
        .expect("p95 under the top bucket");
    let width = bounds[upper] - if upper == 0 { 0.0 } else { bounds[upper - 1] };
    assert!(
        (promql - ours).abs() <= width,
        "PromQL p95 {promql} vs summary p95 {ours} (bucket {width})"
    );
    let json = summary.to_json();
    // The 1 000 requests and the traced event's.
    assert_eq!(json["requests"]["total"], 1_001);
    assert_eq!(
        json["requests"]["duration_seconds"]["p95"].as_f64(),
        Some(ours)
    );

    // Histograms are histograms (never summaries), with HELP from the catalog.
    assert_eq!(
        prometheus.metadata_type("victor_request_duration_seconds")?,
        "histogram"
    );
    // Scraped as OpenMetrics, a counter family is named without its `_total` suffix.
    assert_eq!(prometheus.metadata_type("victor_requests")?, "counter");

    // Hostile label values round-trip unchanged.
    let features = prometheus.query("victor_feature_usage_total")?;
    let hostile: Vec<_> = features
        .iter()
        .filter(|(labels, _)| labels.get("feature").map(String::as_str) == Some(HOSTILE))
        .collect();
    assert_eq!(hostile.len(), 1, "{features:?}");
    assert_eq!(hostile[0].1, 3.0);

    // Every hostile value comes back exactly, as its own series with its own count.
    let verticals = prometheus.series("victor_vertical_usage_total")?;
    for value in HOSTILE_VALUES {
        // Prometheus drops an empty label, which PromQL reads as the empty value.
        let found: Vec<_> = verticals
            .iter()
            .filter(|labels| labels.get("vertical").map_or("", String::as_str) == *value)
            .collect();
        assert_eq!(found.len(), 1, "{value:?} in {verticals:?}");
    }
    assert_eq!(verticals.len(), HOSTILE_VALUES.len(), "{verticals:?}");
    let counts = prometheus.query("victor_vertical_usage_total")?;
    for (count, value) in HOSTILE_VALUES.iter().enumerate() {
        let stored = counts
            .iter()
            .find(|(labels, _)| labels.get("vertical").map_or("", String::as_str) == *value)
            .map(|(_, v)| *v);
        assert_eq!(stored, Some(count as f64 + 1.0), "{value:?}");
    }

    // The traced request (the exporter's own route, so its own histogram) and the traced event
    // (the agent's request) link to their traces.
    let deadline = std::time::Instant::now() + within;
    let mut trace_ids = Vec::new();
    while std::time::Instant::now() < deadline {
        trace_ids = prometheus.exemplar_trace_ids("victor_request_duration_seconds_bucket")?;
        trace_ids.extend(
            prometheus.exemplar_trace_ids("victor_exporter_request_duration_seconds_bucket")?,
        );
        if trace_ids.iter().any(|id| id == TRACE_ID)
            && trace_ids.iter().any(|id| id == EVENT_TRACE_ID)
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(
        trace_ids.iter().any(|id| id == TRACE_ID)
            && trace_ids.iter().any(|id| id == EVENT_TRACE_ID),
        "exemplars {trace_ids:?}\n{}",
        prometheus.log()
    );

    // The exposition passes promtool's lint with no complaints.
    let exposition: String = ureq::get(&format!("http://{target}/metrics"))
        .call()?
        .body_mut()
        .read_to_string()?;
    let mut lint = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    lint.stdin
        .take()
        .expect("piped")
        .write_all(exposition.as_bytes())?;
    let lint = lint.wait_with_output()?;
    let complaints = format!(
        "{}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    assert!(
        lint.status.success() && complaints.trim().is_empty(),
        "promtool: {complaints}"
    );

    exporter.shutdown()?;
    Ok(())
}
