//! Every secret set, numeric ones included, and receivers that echo what they are sent (path,
//! query and body, as many 404 pages do): no secret reaches a log line, an API answer or the
//! CLI's output.
//!
//! Its own test binary: the exporter installs the process-wide recorder, and the test installs
//! the process' log subscriber to read what the exporter logs.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};

use victor_exporter::Exporter;
use victor_exporter::config::{Config, Overrides};
use victor_test_support::{Answer, WebhookReceiver};

const BIN: &str = env!("CARGO_BIN_EXE_victor");

/// Every secret below holds this, so one search finds any of them.
const MARK: &str = "s3cr3t";

/// A config file whose every secret is a number: the type error must not repeat it.
const NUMERIC_SECRETS: &str = "\
api_token = 9021000123
[alerting]
webhook_url = 9021000223
webhook_secret = 9021000323
slack_webhook_url = 9021000423
alertmanager_url = 9021000523
pagerduty_routing_key = 9021000623
pagerduty_url = 9021000723
[alerting.email]
host = \"127.0.0.1\"
from = \"victor@example.com\"
to = [\"oncall@example.com\"]
password = 9021000823
";

/// The log lines the exporter writes, kept for the test to read.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

fn output(command: &mut Command) -> String {
    let output = command
        .stdin(Stdio::null())
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("victor runs");
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn no_secret_reaches_a_log_an_answer_or_the_cli() {
    // Numeric secrets in a file: `victor check config` and start-up name each key, never a value.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("victor.toml");
    std::fs::write(&file, NUMERIC_SECRETS).expect("config file");
    let checked = output(Command::new(BIN).args(["check", "config"]).arg(&file));
    let started = Config::resolve(Some(&file), |_| None, &Overrides::default())
        .map(drop)
        .map_err(|err| format!("{:#}", anyhow::Error::from(err)))
        .expect_err("refused");
    for shown in [&checked, &started] {
        assert!(!shown.contains("90210"), "a numeric secret shown:\n{shown}");
        for key in [
            "api_token",
            "alerting.webhook_url",
            "alerting.email.password",
        ] {
            assert!(shown.contains(key), "{key} not named:\n{shown}");
        }
    }

    // Every channel at a receiver that echoes; the exporter's logs captured.
    let logs = Logs::default();
    let writer = logs.clone();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .finish(),
    )
    .expect("the only subscriber");
    let echo = WebhookReceiver::with_script(&[Answer::Echo(404); 32]).expect("receiver");
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let token = format!("api-{MARK}-token");
    let authority = echo.url.trim_start_matches("http://");
    let mut config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        api_token: Some(victor_alerting::Secret::new(&token)),
        ..Config::default()
    };
    let alerting = &mut config.alerting;
    alerting.webhook_url = Some(
        format!("{}/hooks/webhook-{MARK}?token=tok-{MARK}", echo.url)
            .parse()
            .expect("url"),
    );
    alerting.webhook_secret = Some(victor_alerting::Secret::new(format!("hmac-{MARK}")));
    alerting.slack_webhook_url = Some(
        format!("{}/services/T0/B0/slack-{MARK}", echo.url)
            .parse()
            .expect("url"),
    );
    alerting.alertmanager_urls = vec![
        format!("http://am-user:am-{MARK}@{authority}/am-{MARK}")
            .parse()
            .expect("url"),
    ];
    alerting.pagerduty_url = Some(
        format!("{}/v2/enqueue-{MARK}", echo.url)
            .parse()
            .expect("url"),
    );
    alerting.pagerduty_routing_key = Some(victor_alerting::Secret::new(format!("pd-{MARK}")));
    alerting.email = Some(victor_alerting::SmtpSettings {
        host: "127.0.0.1".into(),
        port: closed,
        security: victor_alerting::SmtpSecurity::None,
        username: Some("victor".into()),
        password: Some(victor_alerting::Secret::new(format!("smtp-{MARK}"))),
        from: "victor@example.com".into(),
        to: vec!["oncall@example.com".into()],
    });
    let exporter = Exporter::new(config)
        .expect("exporter")
        .serve_in_background()
        .expect("serve");
    let base = exporter.url().to_owned();

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut shown = Vec::new();
    for channel in ["webhook", "slack", "alertmanager", "pagerduty", "email"] {
        let mut answer = agent
            .post(&format!("{base}/api/alerts/test/{channel}"))
            .header("Authorization", &format!("Bearer {token}"))
            .send_empty()
            .expect("answer");
        let body = answer.body_mut().read_to_string().expect("body");
        assert_eq!(answer.status().as_u16(), 502, "{channel}: {body}");
        if channel != "email" {
            assert!(body.contains("HTTP 404"), "{channel}: {body}");
        }
        let cli = output(
            Command::new(BIN)
                .args(["alerts", "test", channel])
                .env("VICTOR_URL", &base)
                .env("VICTOR_API_TOKEN", &token),
        );
        assert!(cli.contains(channel), "{cli}");
        shown.push((format!("API answer for {channel}"), body));
        shown.push((format!("`victor alerts test {channel}`"), cli));
    }
    // The receiver did echo the secrets: what it answered held them.
    assert!(echo.received().is_empty(), "every request was answered 404");
    std::io::stderr().flush().ok();
    shown.push(("the exporter's log".to_owned(), logs.text()));
    shown.push(("the exporter's Debug".to_owned(), format!("{exporter:?}")));
    for (place, text) in shown {
        assert!(!text.contains(MARK), "a secret in {place}:\n{text}");
    }
}
