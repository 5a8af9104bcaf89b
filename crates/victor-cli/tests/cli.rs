//! The `victor` binary against an exporter started in this test (`--simulate`, with a webhook
//! channel and an API token): every command, `--json` parsed back, and exit codes for healthy,
//! unhealthy, unreachable, timed-out and refused.
//!
//! One exporter serves every test of this binary (it installs the process-wide recorder).

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::Value;
use victor_exporter::Exporter;
use victor_exporter::config::Config;
use victor_health::{Check, Outcome, Probe};
use victor_test_support::WebhookReceiver;

const BIN: &str = env!("CARGO_BIN_EXE_victor");
const TOKEN: &str = "cli-test-token";

/// The exporter every test talks to.
struct Shared {
    url: String,
    /// Makes the readiness check `cli_toggle` fail while set.
    unhealthy: Arc<AtomicBool>,
    /// Where the exporter's webhook channel delivers.
    webhook: WebhookReceiver,
    _exporter: victor_exporter::BackgroundExporter,
}

fn exporter() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let webhook = WebhookReceiver::start().expect("webhook receiver");
        let hook = format!("{}/hook", webhook.url);
        let mut config = Config {
            listen: "127.0.0.1:0".parse().expect("addr"),
            simulate: true,
            api_token: Some(victor_alerting::Secret::new(TOKEN)),
            ..Config::default()
        };
        config.health.cache_ttl = Duration::ZERO;
        // The test decides health through `cli_toggle`, not through how full this host is.
        config.health.disk_min_free_ratio = 0.0;
        config.health.memory_max_ratio = 1.0;
        config.alerting.webhook_url = Some(hook.parse().expect("url"));
        let exporter = Exporter::new(config).expect("exporter");
        let unhealthy = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&unhealthy);
        let check = Check::sync("cli_toggle", move || {
            if flag.load(Ordering::SeqCst) {
                Outcome::fail("made unhealthy by the test")
            } else {
                Outcome::pass("fine")
            }
        })
        .expect("check");
        exporter
            .health()
            .add(Probe::Readiness, check)
            .expect("add check");
        let exporter = exporter.serve_in_background().expect("serve");
        Shared {
            url: exporter.url().to_owned(),
            unhealthy,
            webhook,
            _exporter: exporter,
        }
    })
}

/// `victor ARGS` against the shared exporter, with the token, and nothing from the caller's
/// environment that would change the answer.
fn victor(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env("VICTOR_URL", &exporter().url)
        .env("VICTOR_API_TOKEN", TOKEN)
        .env_remove("CLICOLOR_FORCE")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null());
    command
}

fn run(command: &mut Command) -> Output {
    command.output().expect("victor runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("utf-8 stderr")
}

fn json(output: &Output) -> Value {
    serde_json::from_str(&stdout(output))
        .unwrap_or_else(|err| panic!("not JSON ({err}): {}", stdout(output)))
}

/// Asserts an error run: exit `code`, nothing on stdout, one line on stderr naming `what`.
fn assert_one_line_error(output: &Output, code: i32, what: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(code), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("victor: error: "), "{err}");
    assert!(err.contains(what), "{what:?} in {err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
}

#[test]
fn status_exit_codes_say_healthy_unhealthy_and_unreachable() {
    let shared = exporter();
    let healthy = run(&mut victor(&["status"]));
    assert_eq!(healthy.status.code(), Some(0), "{}", stderr(&healthy));
    let text = stdout(&healthy);
    assert!(text.starts_with("victor-exporter "), "{text}");
    assert!(text.contains(": healthy\n"), "{text}");
    assert!(text.contains("✓ cli_toggle"), "{text}");
    assert!(
        !text.contains('\x1b'),
        "no colour when not a terminal: {text:?}"
    );
    let forced = run(victor(&["status"]).env("CLICOLOR_FORCE", "1"));
    let text = stdout(&forced);
    assert!(
        text.contains("\x1b[32mhealthy"),
        "green when colour is on: {text:?}"
    );

    shared.unhealthy.store(true, Ordering::SeqCst);
    let unhealthy = run(&mut victor(&["status"]));
    let as_json = run(&mut victor(&["status", "--json"]));
    shared.unhealthy.store(false, Ordering::SeqCst);
    assert_eq!(unhealthy.status.code(), Some(1), "{}", stderr(&unhealthy));
    let text = stdout(&unhealthy);
    assert!(text.contains("readiness  unhealthy"), "{text}");
    assert!(text.contains("✗ cli_toggle"), "{text}");
    assert!(text.contains("made unhealthy by the test"), "{text}");
    assert_eq!(as_json.status.code(), Some(1));
    let report = json(&as_json);
    assert_eq!(report["healthy"], false);
    assert_eq!(report["probes"]["liveness"]["status"], "healthy");
    assert_eq!(report["probes"]["readiness"]["status"], "unhealthy");
    let checks = report["probes"]["readiness"]["checks"]
        .as_array()
        .expect("checks");
    assert!(
        checks
            .iter()
            .any(|c| c["name"] == "cli_toggle" && c["status"] == "unhealthy")
    );

    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("port");
        listener.local_addr().expect("addr").port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let unreachable = run(victor(&["status"]).env("VICTOR_URL", &url));
    assert_one_line_error(
        &unreachable,
        3,
        &format!("cannot reach the exporter at {url}"),
    );
    assert!(stderr(&unreachable).contains("Connection refused"));
}

#[test]
fn a_silent_exporter_times_out_with_exit_3() {
    // Accepts connections and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", silent.local_addr().expect("addr"));
    let output = run(&mut victor(&[
        "--url",
        &url,
        "--timeout",
        "300ms",
        "metrics",
        "summary",
    ]));
    assert_one_line_error(&output, 3, "no answer from");
    assert!(
        stderr(&output).contains("within 300ms"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn every_metrics_view_prints_a_table_and_json() {
    for (view, heading, key) in [
        ("summary", "Health score", "health"),
        ("cache", "TOOL SELECTION", "caches"),
        ("providers", "PROVIDER", "providers"),
        ("tools", "TOOL", "tools"),
        ("system", "process CPU", "sampled"),
        ("slos", "requests-availability", "slos"),
    ] {
        let output = run(&mut victor(&["metrics", view]));
        assert_eq!(output.status.code(), Some(0), "{view}: {}", stderr(&output));
        assert!(
            stdout(&output).contains(heading),
            "{view}: {}",
            stdout(&output)
        );
        let output = run(&mut victor(&["metrics", view, "--json"]));
        assert_eq!(output.status.code(), Some(0), "{view}: {}", stderr(&output));
        assert!(
            json(&output).get(key).is_some(),
            "{view}: {}",
            stdout(&output)
        );
    }
    let summary = json(&run(&mut victor(&["--json", "metrics"])));
    let score = summary["health"]["score"].as_f64().expect("score");
    assert!((0.0..=100.0).contains(&score), "{score}");
    let slos = json(&run(&mut victor(&["--json", "metrics", "slos"])));
    let slos = slos["slos"].as_array().expect("slos");
    assert_eq!(slos.len(), victor_alerting::slo::default_slos().len());
    assert!(
        slos.iter().all(|slo| slo["burn_rates"]
            .as_array()
            .is_some_and(|burns| burns.len() == victor_alerting::slo::WINDOWS.len())),
        "{slos:?}"
    );
    let tools = json(&run(&mut victor(&["--json", "metrics", "tools"])));
    assert!(!tools["tools"].as_array().expect("tools").is_empty());
}

#[test]
fn watch_refreshes_until_interrupted() {
    let mut child = victor(&["metrics", "tools", "--watch", "200ms", "-o", "json"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("victor runs");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    for _ in 0..3 {
        let line = lines.next().expect("a refresh").expect("utf-8");
        let view: Value = serde_json::from_str(&line).expect("one JSON document per refresh");
        assert!(view["tools"].is_array(), "{line}");
    }
    child.kill().expect("kill");
    let _ = child.wait();
}

#[test]
fn alerts_lists_and_test_notifications_go_through_the_channel() {
    let listed = run(&mut victor(&["alerts", "--json"]));
    assert_eq!(listed.status.code(), Some(0), "{}", stderr(&listed));
    assert!(json(&listed)["alerts"].is_array());
    let listed = run(&mut victor(&["alerts"]));
    assert_eq!(listed.status.code(), Some(0), "{}", stderr(&listed));
    let same = run(&mut victor(&["-o", "json", "alerts"]));
    assert!(json(&same)["alerts"].is_array());
    // The simulated incident may or may not be on: wide has its columns either way when
    // anything is listed, and the same exit.
    let wide = run(&mut victor(&["alerts", "-o", "wide"]));
    assert_eq!(wide.status.code(), Some(0), "{}", stderr(&wide));
    let text = stdout(&wide);
    assert!(
        text.contains("no pending or firing alerts") || text.contains("FINGERPRINT"),
        "{text}"
    );

    let sent = run(&mut victor(&["alerts", "test", "webhook"]));
    assert_eq!(sent.status.code(), Some(0), "{}", stderr(&sent));
    assert!(
        stdout(&sent).contains("test notification delivered through webhook"),
        "{}",
        stdout(&sent)
    );
    let delivered = exporter().webhook.bodies();
    assert!(
        delivered
            .iter()
            .any(|b| b["alert"]["name"] == victor_alerting::TEST_ALERT_NAME),
        "{delivered:?}"
    );
    let sent = run(&mut victor(&["alerts", "test", "webhook", "--json"]));
    assert_eq!(json(&sent)["delivered"], true);

    let unknown = run(&mut victor(&["alerts", "test", "pager"]));
    assert_one_line_error(
        &unknown,
        1,
        "404 Not Found: no notification channel \"pager\"; configured: webhook",
    );

    let no_token = run(victor(&["alerts", "test", "webhook"]).env_remove("VICTOR_API_TOKEN"));
    assert_one_line_error(&no_token, 1, "401 Unauthorized");
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("victor-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write");
    path
}

#[test]
fn send_event_reports_accepted_and_rejected() {
    let valid = r#"{"type":"tool.executed","tool":"read_file","vertical":"coding","mode":"build","status":"success","duration_ms":45.2}"#;
    let events = format!(
        "{valid}\n{valid}\n{{\"type\":\"tool.executed\",\"tool\":\"x\"}}\n{valid}\nnot json\n"
    );
    let file = temp_file("events.ndjson", &events);
    let output = run(&mut victor(&["send-event", file.to_str().expect("path")]));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("3 accepted, 2 rejected\n"), "{text}");
    assert!(text.contains("  event 2: "), "{text}");
    assert!(text.contains("  event 4: "), "{text}");

    let output = run(&mut victor(&[
        "--json",
        "send-event",
        file.to_str().expect("path"),
    ]));
    let report = json(&output);
    assert_eq!(
        (report["accepted"].as_u64(), report["rejected"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(report["errors"][0]["index"], 2);

    let mut child = victor(&["send-event", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("victor runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{valid}\n{valid}\n").as_bytes())
        .expect("write events");
    let output = child.wait_with_output().expect("victor ends");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "2 accepted, 0 rejected\n");

    let refused =
        run(victor(&["send-event", file.to_str().expect("path")]).env("VICTOR_API_TOKEN", "wrong"));
    assert_one_line_error(
        &refused,
        1,
        "401 Unauthorized: the bearer token is not the exporter's API token",
    );

    let missing = run(&mut victor(&["send-event", "/nonexistent/events.ndjson"]));
    assert_one_line_error(
        &missing,
        1,
        "cannot read events from /nonexistent/events.ndjson",
    );
}

#[test]
fn check_config_names_every_problem_with_its_line() {
    let bad = temp_file(
        "bad.toml",
        "listen = \"127.0.0.1:9091\"\ncardinalty_limit = 5\n[health]\nmemory_max_ratio = 90\n",
    );
    let path = bad.to_str().expect("path");
    let output = run(&mut victor(&["check", "config", path]));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with(&format!("{path}:2:1: unknown field `cardinalty_limit`")),
        "{text}"
    );
    assert!(
        lines[1].starts_with(&format!("{path}:4:1: invalid health.memory_max_ratio")),
        "{text}"
    );
    assert_eq!(lines[2], format!("✗ 2 problems in {path}"));

    let output = run(&mut victor(&["--json", "check", "config", path]));
    let report = json(&output);
    assert_eq!(report["valid"], false);
    assert_eq!(report["problems"][1]["line"], 4);
    assert_eq!(report["problems"][1]["key"], "health.memory_max_ratio");

    let good = temp_file(
        "good.toml",
        "listen = \"0.0.0.0:9091\"\n[alerting]\neval_interval = \"5s\"\n",
    );
    let output = run(&mut victor(&[
        "check",
        "config",
        good.to_str().expect("path"),
    ]));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).ends_with(": valid\n"));
}

#[test]
fn check_rules_names_what_the_engine_cannot_evaluate() {
    let bad = temp_file(
        "rules.yml",
        "groups:\n  - name: own\n    rules:\n      - alert: Slow\n        expr: avg by (job) (victor_cpu_usage_percent) > 80\n      - alert: Fine\n        expr: max by (job) (victor_cpu_usage_percent) > 80\n",
    );
    let path = bad.to_str().expect("path");
    let output = run(&mut victor(&["check", "rules", path]));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.starts_with(&format!(
            "{path}: Slow: the aggregation `avg` is not supported"
        )),
        "{text}"
    );
    assert!(
        text.ends_with("✗ 1 rule in ") || text.contains("✗ 1 rule in "),
        "{text}"
    );

    let output = run(&mut victor(&["--json", "check", "rules", path]));
    let report = json(&output);
    assert_eq!(report["valid"], false);
    assert_eq!(report["problems"][0]["rule"], "Slow");

    let good = temp_file(
        "good-rules.yml",
        "groups:\n  - name: own\n    rules:\n      - alert: Hot\n        expr: max by (job) (victor_cpu_usage_percent) > 80\n",
    );
    let output = run(&mut victor(&[
        "check",
        "rules",
        good.to_str().expect("path"),
    ]));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).ends_with(": 1 rule the engine evaluates\n"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn completions_are_generated_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let output = run(Command::new(BIN).args(["completions", shell]));
        assert_eq!(
            output.status.code(),
            Some(0),
            "{shell}: {}",
            stderr(&output)
        );
        let script = stdout(&output);
        assert!(
            script.contains("victor") && script.contains("send-event"),
            "{shell}"
        );
    }
}
