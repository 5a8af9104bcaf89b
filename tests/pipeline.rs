//! The generated rules end to end: with `--simulate --simulate-error-rate 0.3`, a real
//! Prometheus loaded with `deploy/prometheus/rules/victor-alerts.yml` fires HighErrorRate after
//! its 2-minute `for`, and a real Alertmanager delivers it to a webhook receiver in the test.
//!
//! The exporter runs in single-node mode and sends the same alerts to the same Alertmanager:
//! both paths are on, as in a misconfigured fleet. Its alerts carry the `job` and `instance`
//! Prometheus gives the same alert (the instance from its external URL), so Alertmanager holds
//! one alert per endpoint, not two, and nobody is paged twice.
//!
//! Its own test binary: the exporter installs the process-wide `metrics` recorder.

use std::time::Duration;

use victor_e2e::{
    Alertmanager, Prometheus, WebhookReceiver, free_port, require, webhook_route_config,
    workspace_root,
};
use victor_exporter::Exporter;
use victor_exporter::config::Config;

#[test]
fn generated_error_rate_alert_reaches_a_webhook_through_alertmanager() -> anyhow::Result<()> {
    let (Some(prometheus_bin), Some(alertmanager_bin)) = (
        require("prometheus", "Debian package `prometheus`"),
        require(
            "prometheus-alertmanager",
            "Debian package `prometheus-alertmanager`",
        ),
    ) else {
        return Ok(());
    };
    // Alertmanager first, so Prometheus' first send finds it.
    let receiver = WebhookReceiver::start()?;
    let dir = tempfile::tempdir()?;
    let config = webhook_route_config(dir.path(), &["alertname", "severity"], &receiver.url)?;
    let alertmanager = Alertmanager::start(&alertmanager_bin, &config)?;

    let port = free_port();
    let mut config = Config {
        listen: format!("127.0.0.1:{port}").parse()?,
        simulate: true,
        simulate_error_rate: Some(0.3),
        // What Prometheus calls the target: the engine's alerts get `instance` from it.
        external_url: Some(format!("http://127.0.0.1:{port}").parse()?),
        ..Config::default()
    };
    config.alerting.alertmanager_urls = vec![alertmanager.url.parse()?];
    let exporter = Exporter::new(config)?.serve_in_background()?;
    let target = exporter.addr();
    let rules = [workspace_root().join("deploy/prometheus/rules/victor-alerts.yml")];
    let address = alertmanager.url.trim_start_matches("http://").to_owned();
    let prometheus =
        Prometheus::start_with_alertmanager(&prometheus_bin, &[target], &rules, Some(&address))?;

    // The rule's `for` is 2 minutes; allow a minute more for scrapes, evaluation and grouping.
    let body = receiver
        .wait_for(Duration::from_secs(180), |body| {
            body["status"] == "firing" && body["groupLabels"]["alertname"] == "HighErrorRate"
        })
        .map_err(|err| {
            err.context(format!(
                "Prometheus:\n{}\nAlertmanager:\n{}",
                prometheus.log(),
                alertmanager.log()
            ))
        })?;
    let alerts = body["alerts"].as_array().cloned().unwrap_or_default();
    assert!(!alerts.is_empty(), "{body}");
    for alert in &alerts {
        let labels = &alert["labels"];
        assert_eq!(labels["severity"], "critical", "{alert}");
        assert_eq!(labels["job"], "victor", "{alert}");
        let endpoint = labels["endpoint"].as_str().unwrap_or_default();
        assert!(
            !endpoint.is_empty() && !endpoint.starts_with("/health") && endpoint != "/metrics",
            "{alert}"
        );
        let runbook = alert["annotations"]["runbook_url"]
            .as_str()
            .unwrap_or_default();
        assert!(runbook.ends_with("docs/alerts.md#higherrorrate"), "{alert}");
        let description = alert["annotations"]["description"]
            .as_str()
            .unwrap_or_default();
        assert!(description.starts_with("Error rate (5xx) is "), "{alert}");
    }

    // Both paths deliver: once the exporter's engine has sent its own HighErrorRate alerts,
    // Alertmanager still holds one alert per endpoint.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let sent = |agent: &ureq::Agent| -> anyhow::Result<f64> {
        let text = agent
            .get(format!("{}/metrics", exporter.url()))
            .header("accept", "text/plain")
            .call()?
            .body_mut()
            .read_to_string()?;
        Ok(victor_test_support::sample_sum(
            &text,
            "victor_alert_notifications_sent_total",
            &[("channel", "alertmanager")],
        ))
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while sent(&agent)? < 1.0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the exporter never delivered to Alertmanager:\n{}",
            alertmanager.log()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    std::thread::sleep(Duration::from_secs(2));
    let held: serde_json::Value = serde_json::from_str(
        &agent
            .get(format!("{}/api/v2/alerts", alertmanager.url))
            .call()?
            .body_mut()
            .read_to_string()?,
    )?;
    let mut endpoints: Vec<String> = held
        .as_array()
        .into_iter()
        .flatten()
        .filter(|alert| alert["labels"]["alertname"] == "HighErrorRate")
        .map(|alert| {
            assert_eq!(
                alert["labels"]["instance"],
                format!("127.0.0.1:{port}"),
                "{alert}"
            );
            alert["labels"]["endpoint"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    let all = endpoints.len();
    endpoints.sort();
    endpoints.dedup();
    assert!(all >= 1, "{held}");
    assert_eq!(
        endpoints.len(),
        all,
        "one alert per endpoint, not one per source: {held}"
    );

    exporter.shutdown()?;
    Ok(())
}
