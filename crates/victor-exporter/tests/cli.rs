//! The `victor-exporter` binary as an operator meets it: flags, errors, serving and shutdown.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_victor-exporter");

fn exporter() -> Command {
    let mut command = Command::new(BIN);
    command
        .env_remove("VICTOR_METRICS_PORT")
        .env_remove("VICTOR_METRICS_ENABLED")
        .env_remove("VICTOR_LOG_FORMAT");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("OTEL_") {
            command.env_remove(name);
        }
    }
    command
}

fn run(command: &mut Command) -> Output {
    command
        .stdin(Stdio::null())
        .output()
        .expect("victor-exporter runs")
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("bound").port()
}

/// GETs `url` until it answers or `within` elapses; returns (status, content type, body).
fn get_when_up(url: &str, within: Duration) -> (u16, String, String) {
    let deadline = Instant::now() + within;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(2)))
        .build()
        .into();
    loop {
        match agent.get(url).call() {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let content_type = response
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let body = response.body_mut().read_to_string().expect("utf-8 body");
                return (status, content_type, body);
            }
            Err(err) if Instant::now() < deadline => {
                let _ = err;
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(err) => panic!("{url} did not answer within {within:?}: {err}"),
        }
    }
}

fn terminate(child: &mut Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

fn wait_with_deadline(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("victor-exporter did not exit within {within:?} of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Spawns the exporter (its log piped) and waits until it answers `/metrics` on `port`;
/// returns the child and that first answer.
fn start(command: &mut Command, port: u16) -> (Child, (u16, String, String)) {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("victor-exporter starts");
    let first = get_when_up(
        &format!("http://127.0.0.1:{port}/metrics"),
        Duration::from_secs(10),
    );
    (child, first)
}

/// Sends SIGTERM, expects a clean exit within 5 s, and returns the log.
fn stop(mut child: Child) -> String {
    terminate(&mut child);
    let exit = wait_with_deadline(&mut child, Duration::from_secs(5));
    assert!(exit.success(), "{exit}");
    std::io::read_to_string(child.stderr.take().expect("piped")).expect("log")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn help_explains_the_flags_and_environment() {
    let output = run(exporter().arg("--help"));
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for needle in [
        "--listen",
        "--config",
        "--simulate",
        "VICTOR_METRICS_PORT",
        "VICTOR_METRICS_ENABLED",
        "127.0.0.1:9091",
    ] {
        assert!(
            help.contains(needle),
            "--help does not mention {needle}:\n{help}"
        );
    }
}

#[test]
fn a_bad_flag_is_one_line_and_exit_2() {
    let output = run(exporter().arg("--bogus"));
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("--bogus"), "{err}");

    let output = run(exporter().args(["--listen", "localhost"]));
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("'localhost'"));
}

#[test]
fn a_port_in_use_is_one_line_naming_the_address() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("a port");
    let addr = taken.local_addr().expect("bound").to_string();
    let output = run(exporter().args(["--listen", &addr, "--log-level", "off"]));
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains(&addr) && err.contains("in use"), "{err}");
}

#[test]
fn bad_configuration_names_the_source() {
    let output = run(exporter().args(["--config", "/nonexistent/victor.toml"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("/nonexistent/victor.toml"));

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("victor.toml");
    std::fs::write(&path, "listen = \"127.0.0.1:1\"\nsimulte = true\n").expect("write");
    let output = run(exporter().arg("--config").arg(&path));
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("simulte") && err.contains("line 2"), "{err}");

    let output = run(exporter().env("VICTOR_METRICS_ENABLED", "sometimes"));
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("VICTOR_METRICS_ENABLED=\"sometimes\""));
}

#[test]
fn serves_simulated_metrics_and_stops_cleanly_on_sigterm() {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    // A notification channel, so the per-channel notification counters exist too.
    let mut command = exporter();
    command
        .args(["--simulate", "--listen", &listen])
        .env("VICTOR_ALERT_WEBHOOK_URL", "http://127.0.0.1:9/unused");
    let (child, (status, content_type, _)) = start(&mut command, port);
    assert_eq!(status, 200);
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    // The second scrape: the exporter counts a request of its own once answered.
    let (_, _, body) = get_when_up(&format!("http://{listen}/metrics"), Duration::from_secs(5));
    for def in victor_metrics_core::catalog::ALL {
        assert!(
            body.contains(&format!("# TYPE {} ", def.name())),
            "{} missing",
            def.name()
        );
    }
    let (status, _, _) = get_when_up(
        &format!("http://127.0.0.1:{port}/nope"),
        Duration::from_secs(2),
    );
    assert_eq!(status, 404);

    let log = stop(child);
    assert!(
        log.contains("SIGTERM received") && log.contains("stopped"),
        "{log}"
    );
}

#[test]
fn environment_sets_the_port_and_can_disable_metrics() {
    let port = free_port();
    let mut command = exporter();
    command
        .env("VICTOR_METRICS_PORT", port.to_string())
        .env("VICTOR_METRICS_ENABLED", "false");
    let (child, (status, _, body)) = start(&mut command, port);
    assert_eq!(status, 404);
    assert!(body.contains("metrics are disabled"), "{body}");
    let log = stop(child);
    assert!(log.contains("metrics are disabled"), "{log}");
}

#[test]
fn a_client_slow_to_send_headers_is_cut_off() {
    let port = free_port();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("victor.toml");
    std::fs::write(&config, "header_read_timeout = \"1s\"\n").expect("write");
    let listen = format!("127.0.0.1:{port}");
    let mut command = exporter();
    command.args(["--listen", &listen, "--config"]).arg(&config);
    let (child, (status, _, _)) = start(&mut command, port);
    assert_eq!(status, 200);

    let mut slow = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    slow.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        .expect("partial headers");
    slow.set_read_timeout(Some(Duration::from_secs(8)))
        .expect("timeout");
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = slow.read_to_end(&mut answer);
    let waited = started.elapsed();
    assert!(
        read.is_ok(),
        "the server kept a header-less connection open: {read:?}"
    );
    assert!(
        waited >= Duration::from_millis(800) && waited < Duration::from_secs(5),
        "{waited:?}"
    );

    stop(child);
}

#[test]
fn a_zero_header_timeout_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("victor.toml");
    std::fs::write(&config, "header_read_timeout = \"0s\"\n").expect("write");
    let output = run(exporter().arg("--config").arg(&config));
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("header_read_timeout"));
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

fn check_names(report: &serde_json::Value) -> Vec<&str> {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|check| check["name"].as_str().expect("name"))
        .collect()
}

#[test]
fn health_probes_answer_with_json_and_status_codes() {
    let port = free_port();
    let (child, _) = start(
        exporter().args(["--listen", &format!("127.0.0.1:{port}")]),
        port,
    );
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");
    let within = Duration::from_secs(5);

    for (path, probe, checks) in [
        ("/health/live", "liveness", vec!["process"]),
        ("/health/ready", "readiness", vec!["memory", "disk"]),
        ("/health/startup", "startup", vec!["metrics_recorder"]),
    ] {
        let (status, content_type, body) = get_when_up(&url(path), within);
        assert_eq!(status, 200, "{path}: {body}");
        assert!(
            content_type.starts_with("application/json"),
            "{content_type}"
        );
        let report = json(&body);
        assert_eq!(report["probe"], probe);
        assert_eq!(report["status"], "healthy");
        assert_eq!(report["version"], env!("CARGO_PKG_VERSION"));
        assert!(report["uptime_seconds"].as_f64().expect("uptime") >= 0.0);
        assert_eq!(check_names(&report), checks, "{body}");
        for check in report["checks"].as_array().expect("checks") {
            assert!(check["duration_seconds"].is_f64() && check["message"].is_string());
        }
    }

    let (status, _, body) = get_when_up(&url("/health/ready/disk"), within);
    assert_eq!((status, check_names(&json(&body))), (200, vec!["disk"]));
    let (status, _, body) = get_when_up(&url("/health/ready?exclude=disk"), within);
    assert_eq!((status, check_names(&json(&body))), (200, vec!["memory"]));
    let (status, content_type, body) = get_when_up(&url("/health/ready?verbose"), within);
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    assert!(body.contains("[+]disk ok: ") && body.ends_with("readiness check passed\n"));

    let (status, _, body) = get_when_up(&url("/health/ready/dsik"), within);
    assert_eq!(status, 404);
    assert!(
        body.contains("\"dsik\"") && body.contains("memory, disk"),
        "{body}"
    );
    let (status, _, body) = get_when_up(&url("/health/ready?exclude=dsik"), within);
    assert_eq!(status, 400, "{body}");
    let (status, _, body) = get_when_up(&url("/health/ready?verbos"), within);
    assert_eq!(status, 400, "{body}");
    let (status, _, body) = get_when_up(&url("/health/healthz"), within);
    assert_eq!(status, 404);
    assert!(body.contains("expected live, ready or startup"), "{body}");

    // The probes record their own metrics.
    let (_, _, metrics) = get_when_up(&url("/metrics"), within);
    for needle in [
        "victor_health_check_duration_seconds_bucket{probe=\"readiness\",check=\"disk\"",
        "victor_health_check_failures_total{probe=\"liveness\",check=\"process\"} 0",
        "victor_health_status{probe=\"startup\"} 1",
    ] {
        assert!(metrics.contains(needle), "{needle} not in /metrics");
    }
    stop(child);
}

#[test]
fn a_failing_check_makes_readiness_503_and_sigterm_turns_it_off_before_draining() {
    let config = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(
        config.path(),
        "[health]\ndisk_min_free_ratio = 1.0\ncache_ttl = \"0s\"\nshutdown_delay = \"2s\"\n",
    )
    .expect("write config");
    let port = free_port();
    let (mut child, _) = start(
        exporter().args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--config",
            &config.path().display().to_string(),
        ]),
        port,
    );
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");
    let within = Duration::from_secs(5);

    let (status, _, body) = get_when_up(&url("/health/ready"), within);
    assert_eq!(status, 503, "{body}");
    let report = json(&body);
    assert_eq!(report["status"], "unhealthy");
    let disk = &report["checks"][1];
    assert_eq!(disk["status"], "unhealthy", "{body}");
    assert!(
        disk["message"]
            .as_str()
            .expect("message")
            .contains("minimum 100.0%")
    );
    assert_eq!(
        get_when_up(&url("/health/ready?exclude=disk"), within).0,
        200
    );
    assert_eq!(get_when_up(&url("/health/live"), within).0, 200);

    std::fs::write(config.path(), "").expect("unused after start");
    terminate(&mut child);
    // During the shutdown delay the server still answers: readiness says why it is 503.
    std::thread::sleep(Duration::from_millis(300));
    let (status, _, body) = get_when_up(&url("/health/ready?exclude=disk"), within);
    assert_eq!(status, 503, "{body}");
    assert!(check_names(&json(&body)) == ["shutdown"], "{body}");
    assert_eq!(get_when_up(&url("/health/live"), within).0, 200);
    let exit = wait_with_deadline(&mut child, Duration::from_secs(8));
    assert!(exit.success(), "{exit}");
    let log = std::io::read_to_string(child.stderr.take().expect("piped")).expect("log");
    assert!(
        log.contains("health check failing") && log.contains("disk"),
        "{log}"
    );
    assert!(
        log.contains("readiness answers 503; draining in 2s"),
        "{log}"
    );
}

#[test]
fn own_requests_are_measured_by_route_and_logs_can_be_json() {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let (child, _) = start(
        exporter().args(["--listen", &listen, "--log-format", "json"]),
        port,
    );
    let base = format!("http://{listen}");
    let (status, _, _) = get_when_up(&format!("{base}/no/such/page"), Duration::from_secs(5));
    assert_eq!(status, 404);
    let (_, _, body) = get_when_up(&format!("{base}/metrics"), Duration::from_secs(5));
    for series in [
        r#"victor_exporter_requests_total{endpoint="/metrics",method="GET",status="200"} 1"#,
        r#"victor_exporter_requests_total{endpoint="unmatched",method="GET",status="404"} 1"#,
        r#"victor_exporter_active_requests{endpoint="/metrics",method="GET"} 1"#,
        "victor_tracing_spans_exported_total 0",
    ] {
        assert!(body.contains(series), "no {series} in\n{body}");
    }
    assert!(
        !body.contains("/no/such/page"),
        "raw paths never become labels"
    );
    let log = stop(child);
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert!(
        lines.iter().any(|line| line["level"] == "INFO"
            && line["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("serving Prometheus metrics"))),
        "{log}"
    );
}

#[test]
fn a_bad_otlp_endpoint_is_one_line_naming_the_variable() {
    let output = run(exporter().env("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"));
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("OTEL_EXPORTER_OTLP_ENDPOINT=\"collector:4318\""),
        "{err}"
    );
}

#[test]
fn simulated_errors_fire_the_error_rate_alert_and_deliver_it() {
    let receiver = victor_test_support::WebhookReceiver::start().expect("receiver");
    let port = free_port();
    let mut child = exporter()
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--simulate", "--simulate-error-rate", "0.3"])
        .env("VICTOR_ALERT_EVAL_INTERVAL", "1s")
        .env("VICTOR_ALERT_WEBHOOK_URL", format!("{}/hook", receiver.url))
        .env("VICTOR_ALERT_WEBHOOK_SECRET", "shared-key")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let alerts_url = format!("http://127.0.0.1:{port}/api/alerts");
    let state_of = |name: &str, endpoint: &str| -> Option<String> {
        let (status, _, body) = get_when_up(&alerts_url, Duration::from_secs(10));
        assert_eq!(status, 200, "{body}");
        let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        json["alerts"]
            .as_array()
            .expect("alerts")
            .iter()
            .find(|alert| alert["name"] == name && alert["labels"]["endpoint"] == endpoint)
            .map(|alert| alert["state"].as_str().unwrap_or_default().to_owned())
    };

    // Pending within a few evaluations, firing after the rule's 2-minute `for`.
    let deadline = Instant::now() + Duration::from_secs(20);
    while state_of("HighErrorRate", "/chat").is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(250));
    }
    assert_eq!(
        state_of("HighErrorRate", "/chat").as_deref(),
        Some("pending")
    );

    let firing = |json: &serde_json::Value| {
        json["status"] == "firing" && json["alert"]["name"] == "HighErrorRate"
    };
    receiver
        .wait_for(Duration::from_secs(180), firing)
        .expect("HighErrorRate delivered within 3 minutes");
    let delivered = receiver.received().into_iter().find(|r| firing(&r.json()));
    let delivered = delivered.expect("the firing delivery");
    assert_eq!(
        delivered.header(victor_alerting::notify::SIGNATURE_HEADER),
        Some(victor_alerting::sign(b"shared-key", &delivered.body).as_str())
    );
    let json = delivered.json();
    assert_eq!(json["alert"]["severity"], "critical");
    let value = json["alert"]["value"].as_f64().expect("value");
    assert!((0.15..0.5).contains(&value), "error ratio {value}");
    // Endpoints go pending a few evaluations apart; the one delivered is firing.
    let endpoint = json["alert"]["labels"]["endpoint"]
        .as_str()
        .expect("endpoint");
    assert_eq!(
        state_of("HighErrorRate", endpoint).as_deref(),
        Some("firing")
    );
    terminate(&mut child);
    assert!(wait_with_deadline(&mut child, Duration::from_secs(20)).success());
}
