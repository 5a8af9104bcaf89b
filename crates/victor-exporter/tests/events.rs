//! `POST /api/events` over HTTP against an exporter in this process: counts applied exactly,
//! errors reported per event, hostile label values escaped in `/metrics`, 413 past the limit,
//! and the Python example client (`examples/python/victor_events.py`) end to end.
//!
//! Its own test binary: the exporter installs the process-wide `metrics` recorder.

use victor_exporter::Exporter;
use victor_exporter::config::Config;

const LIMIT: usize = 512 * 1024;

struct Running {
    base: String,
    agent: ureq::Agent,
    _exporter: victor_exporter::BackgroundExporter,
}

impl Running {
    fn start() -> Running {
        let config = Config {
            listen: "127.0.0.1:0".parse().expect("addr"),
            events_max_body_bytes: LIMIT,
            ..Config::default()
        };
        let exporter = Exporter::new(config).expect("exporter");
        let exporter = exporter.serve_in_background().expect("serve");
        let base = exporter.url().to_owned();
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Running {
            base,
            agent,
            _exporter: exporter,
        }
    }

    fn post(&self, body: &str) -> (u16, String) {
        let mut response = self
            .agent
            .post(&format!("{}/api/events", self.base))
            .header("content-type", "application/x-ndjson")
            .send(body)
            .expect("post");
        let status = response.status().as_u16();
        (status, response.body_mut().read_to_string().expect("body"))
    }

    fn metrics(&self) -> String {
        self.agent
            .get(&format!("{}/metrics", self.base))
            .call()
            .expect("scrape")
            .body_mut()
            .read_to_string()
            .expect("body")
    }

    /// The value of the one series written exactly as `prefix` (name and labels).
    fn value(&self, prefix: &str) -> f64 {
        let text = self.metrics();
        victor_test_support::series_value(&text, prefix)
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
    }
}

const EXAMPLE: &str = r#"{"type":"tool.executed","tool":"read_file","vertical":"coding","mode":"build","status":"success","duration_ms":45.2}"#;

#[test]
fn events_over_http() {
    let running = Running::start();
    let executions = r#"victor_tool_executions_total{tool="read_file",vertical="coding",status="success",mode="build"}"#;

    // The issue's exact event.
    let (status, body) = running.post(EXAMPLE);
    assert_eq!(status, 200, "{body}");
    let report: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(report["accepted"], 1);
    assert_eq!(running.value(executions), 1.0);

    // 1 000 valid and 3 invalid: exactly 1 000 increments, 3 errors at their positions.
    let mut lines: Vec<&str> = vec![EXAMPLE; 1_000];
    lines.insert(10, r#"{"type":"tool.executed"}"#);
    lines.insert(500, "{oops");
    lines.insert(1_002, r#"{"type":"tool.executed","tool":"read_file","vertical":"coding","status":"success","duration_ms":-5}"#);
    let (status, body) = running.post(&lines.join("\n"));
    assert_eq!(status, 200, "{body}");
    let report: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(report["accepted"], 1_000, "{report}");
    assert_eq!(report["rejected"], 3, "{report}");
    let indexes: Vec<u64> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["index"].as_u64().expect("index"))
        .collect();
    assert_eq!(indexes, [10, 500, 1_002]);
    let reasons: Vec<&str> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["reason"].as_str().expect("reason"))
        .collect();
    assert_eq!(reasons[0], "missing field `tool`", "{reasons:?}");
    assert!(reasons[1].contains("key must be a string"), "{reasons:?}");
    assert_eq!(reasons[2], "field `duration_ms` is negative (-5)");
    assert_eq!(running.value(executions), 1_001.0);
    assert_eq!(
        running.value(r#"victor_events_accepted_total{type="tool.executed"}"#),
        1_001.0
    );
    for reason in ["missing_field", "invalid_json", "negative_duration"] {
        let series = format!("victor_events_rejected_total{{reason=\"{reason}\"}}");
        assert_eq!(running.value(&series), 1.0, "{reason}");
    }

    // Label values with quotes, backslashes, newlines and non-ASCII, escaped in the exposition.
    let hostile = serde_json::json!({
        "type": "cache.hit", "cache": "q\"uote b\\ack\nline ünïcødé ✓"
    });
    let (status, body) = running.post(&hostile.to_string());
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        running.value(r#"victor_cache_hits_total{cache_name="q\"uote b\\ack\nline ünïcødé ✓"}"#),
        1.0
    );

    // Past the limit: 413, nothing applied, counted once.
    let big = vec![EXAMPLE; LIMIT / EXAMPLE.len() + 10].join("\n");
    let (status, _) = running.post(&big);
    assert_eq!(status, 413);
    assert_eq!(running.value(executions), 1_001.0);
    assert_eq!(
        running.value(r#"victor_events_rejected_total{reason="too_large"}"#),
        1.0
    );

    // The Python example client posts the way the Python Victor would.
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/python/victor_events.py");
    let output = std::process::Command::new("python3")
        .arg(&example)
        .args(["--url", &running.base])
        .output()
        .expect("python3 runs the example");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).expect("report");
    assert_eq!(report["accepted"], 5, "{report}");
    assert_eq!(report["rejected"], 1, "{report}");
    assert_eq!(running.value(executions), 1_002.0);
    assert_eq!(
        running.value(r#"victor_llm_tokens_total{provider="anthropic",model="claude-sonnet-4-5",type="prompt"}"#),
        1_200.0
    );

    // A broken JSON array: 400, nothing applied.
    let (status, body) = running.post(&format!("[{EXAMPLE}, {EXAMPLE}"));
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("nothing was applied"), "{body}");
    assert_eq!(running.value(executions), 1_002.0);
}
