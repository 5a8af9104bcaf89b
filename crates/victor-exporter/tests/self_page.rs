//! The exporter's own traffic never pages on-call: test notifications through a channel that is
//! down answer 502 again and again, and every agent alert stays inactive, because the exporter
//! measures its own routes in `victor_exporter_*`, never in the agent's request metrics.
//!
//! Its own test binary: the exporter installs the process-wide `metrics` recorder.

use std::time::{Duration, Instant};

use victor_alerting::AlertName;
use victor_exporter::Exporter;
use victor_exporter::config::Config;

/// The alerts the agent's request metrics (and the score computed from them) feed.
const REQUEST_ALERTS: [AlertName; 8] = [
    AlertName::HighErrorRate,
    AlertName::HighRequestErrorRate,
    AlertName::SlowResponseTime,
    AlertName::DegradedResponseTime,
    AlertName::HighLatency,
    AlertName::LowRequestRate,
    AlertName::PerformanceDegraded,
    AlertName::PerformanceCritical,
];

#[test]
fn a_failing_test_notification_leaves_every_agent_alert_inactive() {
    let mut config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        ..Config::default()
    };
    config.alerting.eval_interval = Duration::from_millis(100);
    // Nothing listens on port 1: every test notification fails with 502.
    config.alerting.webhook_url = Some("http://127.0.0.1:1/hook".parse().expect("url"));
    let running = Exporter::new(config)
        .expect("exporter")
        .serve_in_background()
        .expect("serving");
    let base = running.url().to_owned();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(15)))
        .build()
        .into();

    for _ in 0..10 {
        let response = agent
            .post(format!("{base}/api/alerts/test/webhook"))
            .send_empty()
            .expect("answer");
        assert_eq!(response.status(), 502);
    }
    // Several evaluation cycles over a store holding ten 502s of the exporter's own.
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline {
        let body = agent
            .get(format!("{base}/api/alerts"))
            .call()
            .expect("answer")
            .body_mut()
            .read_to_string()
            .expect("body");
        let alerts: serde_json::Value = serde_json::from_str(&body).expect("json");
        // Host conditions of this machine (its disk, say) may be pending; nothing the agent's
        // requests feed may be.
        for alert in alerts["alerts"].as_array().expect("a list") {
            let name: AlertName = alert["name"]
                .as_str()
                .expect("name")
                .parse()
                .expect("default");
            assert!(!REQUEST_ALERTS.contains(&name), "{alert}");
            assert!(alert["labels"].get("endpoint").is_none(), "{alert}");
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    let metrics = agent
        .get(format!("{base}/metrics"))
        .header("accept", "text/plain")
        .call()
        .expect("answer")
        .body_mut()
        .read_to_string()
        .expect("text");
    assert!(
        metrics.contains(
            r#"victor_exporter_requests_total{endpoint="/api/alerts/test/{channel}",method="POST",status="502"} 10"#
        ),
        "{metrics}"
    );
    assert!(
        !metrics
            .lines()
            .any(|line| line.starts_with("victor_requests_total{")
                || line.starts_with("victor_request_errors_total{")),
        "the agent's request metrics hold the exporter's traffic:\n{metrics}"
    );
    running.shutdown().expect("shutdown");
}
