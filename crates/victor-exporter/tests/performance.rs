//! `/api/performance/{summary,system,tools,providers,cache,bootstrap,prometheus}` against an exporter in
//! this process, with the real system sampler running.
//!
//! Its own test binary: the exporter installs the process-wide `metrics` recorder.

use std::time::{Duration, Instant};

use victor_exporter::Exporter;
use victor_exporter::config::Config;

fn get(agent: &ureq::Agent, url: &str) -> (u16, String, String) {
    let mut response = agent.get(url).call().expect("get");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (
        status,
        content_type,
        response.body_mut().read_to_string().expect("body"),
    )
}

#[test]
fn performance_routes_serve_the_summary_the_system_sample_and_the_exposition() {
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        ..Config::default()
    };
    let exporter = Exporter::new(config).expect("exporter");
    let exporter = exporter.serve_in_background().expect("serve");
    let exporter_metrics = exporter.metrics().clone();
    let base = exporter.url().to_owned();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();

    // The sampler takes its first sample at start.
    let deadline = Instant::now() + Duration::from_secs(10);
    let system = loop {
        let (status, _, body) = get(&agent, &format!("{base}/api/performance/system"));
        assert_eq!(status, 200, "{body}");
        let system: serde_json::Value = serde_json::from_str(&body).expect("json");
        if system["sampled"] == true || Instant::now() > deadline {
            break system;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(system["sampled"], true, "{system}");
    assert!(
        system["rss_bytes"].as_u64().unwrap_or(0) > 1 << 20,
        "{system}"
    );
    assert!(
        system["memory_limit_bytes"].as_u64().unwrap_or(0) > 0,
        "{system}"
    );
    assert!(system["threads"].as_u64().unwrap_or(0) >= 2, "{system}");
    assert!(system["disk"]["free_ratio"].as_f64().is_some(), "{system}");

    let (status, _, body) = get(&agent, &format!("{base}/api/performance/summary"));
    assert_eq!(status, 200, "{body}");
    let summary: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert!(summary["agent"]["requests"]["total"].is_u64(), "{summary}");
    assert_eq!(summary["system"]["sampled"], true, "{summary}");

    // Per-tool, per-provider and per-cache views of what was recorded.
    let metrics = exporter_metrics.clone();
    metrics
        .tools()
        .record_tool_execution(&victor_metrics_core::ToolExecution {
            tool: "grep",
            vertical: "coding",
            mode: victor_metrics_core::AgentMode::Build,
            status: victor_metrics_core::ToolStatus::Failure,
            duration: Duration::from_millis(30),
            error_type: Some("exit_code"),
        });
    metrics
        .providers()
        .record_llm_call(&victor_metrics_core::LlmCall {
            provider: "anthropic",
            model: "claude",
            operation: victor_metrics_core::LlmOperation::Chat,
            prompt_tokens: 10,
            completion_tokens: 5,
            cached_prompt_tokens: 0,
            cost_usd: Some(0.001),
            tool_calls: false,
            duration: Duration::from_millis(900),
            error_type: None,
            response_model: None,
            time_to_first_token: None,
            finish_reason: None,
        });
    metrics.caches().record_cache_miss("responses");
    metrics
        .caches()
        .record_tool_selection("default", Duration::from_micros(300), true);
    metrics.providers().set_provider_health("anthropic", true);
    metrics
        .bootstrap()
        .record_initialization(Duration::from_millis(1_200));
    metrics
        .bootstrap()
        .set_bootstrap_phase("load_tools", Duration::from_millis(200));
    metrics
        .requests()
        .record_request(&victor_metrics_core::Request {
            endpoint: "/chat",
            method: "POST",
            status: 503,
            duration: Duration::from_millis(20),
            error_type: None,
        });
    let view = |route: &str| -> serde_json::Value {
        let (status, _, body) = get(&agent, &format!("{base}/api/performance/{route}"));
        assert_eq!(status, 200, "{route}: {body}");
        serde_json::from_str(&body).expect("json")
    };
    let tools = view("tools");
    assert_eq!(tools["tools"][0]["name"], "grep", "{tools}");
    assert_eq!(tools["tools"][0]["errors"], 1, "{tools}");
    let providers = view("providers");
    assert_eq!(
        providers["providers"][0]["name"], "anthropic",
        "{providers}"
    );
    assert!(
        providers["providers"][0]["duration_seconds"]["p50"]
            .as_f64()
            .is_some()
    );
    let cache = view("cache");
    assert_eq!(cache["caches"][0]["hit_rate"], 0.0, "{cache}");
    assert_eq!(cache["tool_selection"][0]["name"], "default", "{cache}");
    assert_eq!(cache["tool_selection"][0]["hits"], 1, "{cache}");

    assert_eq!(view("providers")["providers"][0]["healthy"], true);
    let bootstrap = view("bootstrap");
    assert_eq!(bootstrap["initialization_seconds"], 1.2, "{bootstrap}");
    assert_eq!(bootstrap["phases"]["load_tools"], 0.2, "{bootstrap}");
    // One request, failed: the window's error ratio is 1, which costs the score all 40 points.
    let summary = view("summary");
    assert_eq!(summary["window"]["request_error_ratio"], 1.0, "{summary}");
    assert_eq!(summary["health"]["errors"], 40.0, "{summary}");
    assert!(
        summary["health"]["score"]
            .as_f64()
            .is_some_and(|s| s <= 60.0),
        "{summary}"
    );

    let (status, _, body) = get(&agent, &format!("{base}/api/performance/nope"));
    assert_eq!(status, 404);
    assert!(
        body.contains("the views are prometheus, requests, providers, tools, cache, bootstrap, system, health, alerts, slos, tracing, summary"),
        "{body}"
    );

    let (status, content_type, text) = get(&agent, &format!("{base}/api/performance/prometheus"));
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let score = text
        .lines()
        .find(|line| line.starts_with("victor_performance_health_score "))
        .unwrap_or_else(|| panic!("no health score in\n{text}"));
    let score: f64 = score
        .rsplit(' ')
        .next()
        .and_then(|v| v.parse().ok())
        .expect("score");
    assert!(score <= 60.0, "{score}");
    let rss = text
        .lines()
        .find(|line| line.starts_with(r#"victor_system_memory_bytes{type="rss"}"#))
        .unwrap_or_else(|| panic!("no rss in\n{text}"));
    assert!(!rss.ends_with(" 0"), "{rss}");
    exporter.shutdown().expect("serve");
}
