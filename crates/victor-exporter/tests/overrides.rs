//! Rules tuned from configuration: a rule disabled in the file is never evaluated (so never
//! notifies), an override changes `for` and routing, and `--print-rules` prints the rules in
//! force (the SLOs' groups among them) as a Prometheus rule file that promtool accepts.
//!
//! Its own test binary: the exporter installs the process-wide `metrics` recorder.

use std::process::Command;
use std::time::{Duration, Instant};

use victor_exporter::Exporter;
use victor_exporter::config::Config;

const CONFIG: &str = r#"
[alerting]
eval_interval = "100ms"

[alerting.rules.HighErrorRate]
enabled = false

[alerting.rules.HighRequestErrorRate]
for = "0s"
channels = ["webhook"]

[alerting.rules.SlowResponseTime]
threshold = 10.0
for = "1m"
severity = "warning"

[alerting.routes]
critical = ["webhook"]

[slos.chat-availability]
objective = 0.999
errors = 'victor_requests_total{endpoint="/chat",status=~"5.."}'
total = 'victor_requests_total{endpoint="/chat"}'

[slos.llm-spend]
enabled = false
"#;

/// An operator's own alert, in Prometheus rule-file YAML.
const OWN_RULES: &str = r#"
groups:
  - name: own
    rules:
      - alert: AnyServerError
        expr: sum by (job, instance, endpoint) (rate(victor_requests_total{status=~"5.."}[1m])) > 0
        labels:
          severity: critical
          team: agents
        annotations:
          summary: "{{ $labels.endpoint }} answers 5xx"
"#;

fn own_rules_file() -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), OWN_RULES).expect("write");
    file
}

fn config_file() -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), CONFIG).expect("write");
    file
}

#[test]
fn a_disabled_rule_never_alerts_and_an_override_changes_when_one_fires() {
    let receiver = victor_test_support::WebhookReceiver::start().expect("receiver");
    let file = config_file();
    let env =
        |name: &str| (name == "VICTOR_ALERT_WEBHOOK_URL").then(|| format!("{}/hook", receiver.url));
    let own = own_rules_file();
    let overrides = victor_exporter::config::Overrides {
        listen: Some("127.0.0.1:0".parse().expect("addr")),
        simulate: true,
        simulate_error_rate: Some(1.0),
        rules_file: Some(own.path().to_owned()),
        ..Default::default()
    };
    let config = Config::resolve(Some(file.path()), env, &overrides).expect("valid config");
    let running = Exporter::new(config)
        .expect("exporter")
        .serve_in_background()
        .expect("serving");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    // Every simulated request fails: HighErrorRate would be pending at the first evaluation.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let body = agent
            .get(format!("{}/api/alerts", running.url()))
            .call()
            .expect("answer")
            .body_mut()
            .read_to_string()
            .expect("body");
        let alerts: serde_json::Value = serde_json::from_str(&body).expect("json");
        let names: Vec<&str> = alerts["alerts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|alert| alert["name"].as_str())
            .collect();
        assert!(!names.contains(&"HighErrorRate"), "disabled, yet: {alerts}");
        if names.contains(&"HighRequestErrorRate") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "HighRequestErrorRate never came: {alerts}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // `for = "0s"`: it fires and reaches the webhook at once.
    let fired = receiver
        .wait_for(Duration::from_secs(20), |body| {
            body["alert"]["name"] == "HighRequestErrorRate" && body["status"] == "firing"
        })
        .expect("HighRequestErrorRate delivered");
    assert_eq!(fired["alert"]["labels"]["job"], "victor");
    // The operator's own rule fires in the engine too, routed as a critical one.
    let own = receiver
        .wait_for(Duration::from_secs(20), |body| {
            body["alert"]["name"] == "AnyServerError" && body["status"] == "firing"
        })
        .expect("AnyServerError delivered");
    assert_eq!(own["alert"]["labels"]["team"], "agents");
    assert!(
        own["alert"]["annotations"]["summary"]
            .as_str()
            .is_some_and(|summary| summary.ends_with(" answers 5xx") && !summary.contains("{{")),
        "{own}"
    );
    assert!(
        receiver
            .bodies()
            .iter()
            .all(|body| body["alert"]["name"] != "HighErrorRate"),
        "a disabled rule notified"
    );
    running.shutdown().expect("shutdown");
}

#[test]
fn print_rules_prints_the_tuned_rules_as_a_rule_file_promtool_accepts() {
    let file = config_file();
    let own = own_rules_file();
    let output = Command::new(env!("CARGO_BIN_EXE_victor-exporter"))
        .args(["--print-rules", "--config"])
        .arg(file.path())
        .arg("--rules")
        .arg(own.path())
        .env("VICTOR_ALERT_WEBHOOK_URL", "http://127.0.0.1:1/hook")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(!text.contains("alert: HighErrorRate\n"), "{text}");
    let slow = text
        .split("- alert: ")
        .find(|rule| rule.starts_with("SlowResponseTime"))
        .expect("SlowResponseTime in the file");
    assert!(slow.contains("> 10\n"), "{slow}");
    assert!(slow.contains("for: 1m"), "{slow}");
    assert!(slow.contains("severity: warning"), "{slow}");
    assert!(text.contains("- alert: ServiceDown"), "{text}");
    assert!(text.contains("- alert: AnyServerError"), "{text}");
    // The SLOs in force: a declared one added, a disabled one left out, each as its group.
    assert!(
        text.contains("- name: victor_slo_chat_availability\n"),
        "{text}"
    );
    assert!(
        text.contains("- name: victor_slo_requests_availability\n"),
        "{text}"
    );
    assert!(!text.contains("victor_slo_llm_spend"), "{text}");
    assert!(
        text.contains(r#"rate(victor_requests_total{endpoint="/chat", status=~"5.."}[1h])"#),
        "{text}"
    );

    let Some(promtool) = which("promtool") else {
        assert!(std::env::var_os("CI").is_none(), "CI=true and no promtool");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = dir.path().join("effective.yml");
    std::fs::write(&rules, &text).expect("write");
    let check = Command::new(&promtool)
        .args(["check", "rules"])
        .arg(&rules)
        .output()
        .expect("promtool runs");
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    // The printed file fires the operator's rule in Prometheus' own evaluator, as the engine
    // does: 5xx on one endpoint of one instance.
    let test = dir.path().join("own.test.yml");
    std::fs::write(
        &test,
        r#"rule_files: [effective.yml]
evaluation_interval: 15s
tests:
  - interval: 15s
    input_series:
      - series: 'victor_requests_total{job="victor", instance="a:9091", endpoint="/chat", method="POST", status="503"}'
        values: '0+15x20'
      - series: 'victor_requests_total{job="victor", instance="b:9091", endpoint="/chat", method="POST", status="200"}'
        values: '0+15x20'
    alert_rule_test:
      - eval_time: 3m
        alertname: AnyServerError
        exp_alerts:
          - exp_labels: {severity: critical, team: agents, job: victor, instance: "a:9091", endpoint: /chat}
            exp_annotations: {summary: "/chat answers 5xx"}
"#,
    )
    .expect("write");
    let tested = Command::new(&promtool)
        .args(["test", "rules"])
        .arg(&test)
        .current_dir(dir.path())
        .output()
        .expect("promtool runs");
    assert!(
        tested.status.success(),
        "{}{}\n{text}",
        String::from_utf8_lossy(&tested.stdout),
        String::from_utf8_lossy(&tested.stderr)
    );

    // A channel no one configured is refused, naming the rule and the key.
    let bad = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(
        bad.path(),
        "[alerting.rules.LowDiskSpace]\nchannels = [\"pager\"]\n",
    )
    .expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_victor-exporter"))
        .args(["--print-rules", "--config"])
        .arg(bad.path())
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("alerting.rules.LowDiskSpace.channels") && stderr.contains("\"pager\""),
        "{stderr}"
    );
}

fn which(binary: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(binary))
            .find(|path| path.is_file())
    })
}
