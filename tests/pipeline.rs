//! The generated rules end to end: with `--simulate --simulate-error-rate 0.3`, a real
//! Prometheus loaded with `deploy/prometheus/rules/victor-alerts.yml` fires HighErrorRate after
//! its 2-minute `for`, and a real Alertmanager delivers it to a webhook receiver in the test.
//!
//! Its own test binary: the exporter installs the process-wide `metrics` recorder.

use std::time::Duration;

use victor_e2e::{Alertmanager, Prometheus, WebhookReceiver, require, workspace_root};
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
    let config = dir.path().join("alertmanager.yml");
    std::fs::write(
        &config,
        format!(
            "route:\n  receiver: test\n  group_by: [alertname, severity]\n  group_wait: 1s\n  \
             group_interval: 1s\n  repeat_interval: 1h\n\
             receivers:\n  - name: test\n    webhook_configs:\n      - url: '{}/alertmanager'\n",
            receiver.url
        ),
    )?;
    let alertmanager = Alertmanager::start(&alertmanager_bin, &config)?;

    let config = Config {
        listen: "127.0.0.1:0".parse()?,
        simulate: true,
        simulate_error_rate: Some(0.3),
        ..Config::default()
    };
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

    exporter.shutdown()?;
    Ok(())
}
