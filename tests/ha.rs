//! Fleet alerting through an HA Alertmanager pair: two Debian Alertmanagers clustered on
//! loopback, a real Prometheus with the generated rules sending to both, and the exporter in
//! single-node mode sending to both as well, both evaluating one operator rule (a 10 s rate of
//! 5xx, so the test need not wait out a 5-minute window). No notification reaches the webhook
//! twice (the pair deduplicates), and every group's resolve arrives once the exporter is gone.
//!
//! Its own test binary: the exporter installs the process-wide `metrics` recorder.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use victor_e2e::{
    Alertmanager, Prometheus, WebhookReceiver, free_port, require, webhook_route_config,
};
use victor_exporter::Exporter;
use victor_exporter::config::Config;

#[test]
fn an_ha_pair_sends_no_notification_twice_and_resolves_every_group() -> anyhow::Result<()> {
    let (Some(prometheus_bin), Some(alertmanager_bin)) = (
        require("prometheus", "Debian package `prometheus`"),
        require(
            "prometheus-alertmanager",
            "Debian package `prometheus-alertmanager`",
        ),
    ) else {
        return Ok(());
    };
    let receiver = WebhookReceiver::start()?;
    let dir = tempfile::tempdir()?;
    let config = webhook_route_config(
        dir.path(),
        &["alertname", "severity", "endpoint"],
        &receiver.url,
    )?;
    let (gossip_a, gossip_b) = (free_port(), free_port());
    let first = Alertmanager::start_clustered(&alertmanager_bin, &config, gossip_a, &[gossip_b])?;
    let second = Alertmanager::start_clustered(&alertmanager_bin, &config, gossip_b, &[gossip_a])?;
    let logs = || format!("first:\n{}\nsecond:\n{}", first.log(), second.log());

    let own_rules = dir.path().join("own.yml");
    std::fs::write(
        &own_rules,
        "groups:\n  - name: own\n    rules:\n      - alert: AnyServerError\n        \
         expr: sum by (job, instance, endpoint) (rate(victor_requests_total{status=~\"5..\"}[10s])) > 0\n        \
         labels: {severity: critical}\n",
    )?;
    let port = free_port();
    let mut exporter_config = Config {
        listen: format!("127.0.0.1:{port}").parse()?,
        simulate: true,
        simulate_error_rate: Some(0.3),
        external_url: Some(format!("http://127.0.0.1:{port}").parse()?),
        ..Config::default()
    };
    exporter_config.alerting.alertmanager_urls = vec![first.url.parse()?, second.url.parse()?];
    exporter_config.alerting.rules_file = Some(own_rules.clone());
    exporter_config.alerting.eval_interval = Duration::from_millis(500);
    let exporter = Exporter::new(exporter_config)?.serve_in_background()?;
    // Prometheus evaluates the generated rules and the operator's rule the exporter loads.
    let rules = [
        victor_e2e::workspace_root().join("deploy/prometheus/rules/victor-alerts.yml"),
        own_rules.clone(),
    ];
    let addresses = [&first.url, &second.url]
        .map(|url| url.trim_start_matches("http://").to_owned())
        .join(",");
    let _prometheus = Prometheus::start_with_alertmanager(
        &prometheus_bin,
        &[exporter.addr()],
        &rules,
        Some(&addresses),
    )?;

    receiver
        .wait_for(Duration::from_secs(60), |body| {
            body["status"] == "firing" && body["groupLabels"]["alertname"] == "AnyServerError"
        })
        .map_err(|err| err.context(logs()))?;
    // Longer than the peer timeout, so a second member that were to notify would have.
    std::thread::sleep(Duration::from_secs(8));
    let firing = groups(&receiver, "firing");
    assert!(!firing.is_empty());
    assert_no_notification_twice(&receiver, &logs);

    // The exporter goes away: Prometheus' alerts resolve, and so do the merged ones.
    exporter.shutdown()?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !firing.is_subset(&groups(&receiver, "resolved")) {
        assert!(
            Instant::now() < deadline,
            "not every group resolved: {:?} of {firing:?}\n{}",
            groups(&receiver, "resolved"),
            logs()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    std::thread::sleep(Duration::from_secs(4));
    assert_no_notification_twice(&receiver, &logs);
    Ok(())
}

/// The AnyServerError groups that got a notification with `status`.
fn groups(receiver: &WebhookReceiver, status: &str) -> BTreeSet<String> {
    receiver
        .bodies()
        .into_iter()
        .filter(|body| {
            body["status"] == status && body["groupLabels"]["alertname"] == "AnyServerError"
        })
        .map(|body| body["groupKey"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Fails when one notification reached the receiver twice: the same group, status and alerts
/// (each by fingerprint, status and start), which is what two members that both notify send.
/// A source that flaps (a scrape that times out on a busy machine makes Prometheus' rate vanish
/// for one evaluation) sends a *new* notification, with a new start, and is not a duplicate.
fn assert_no_notification_twice(receiver: &WebhookReceiver, logs: &dyn Fn() -> String) {
    let mut seen = BTreeMap::new();
    for body in receiver.bodies() {
        if body["groupLabels"]["alertname"] != "AnyServerError" {
            continue;
        }
        let mut alerts: Vec<String> = body["alerts"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|alert| {
                format!(
                    "{} {} {}",
                    alert["fingerprint"], alert["status"], alert["startsAt"]
                )
            })
            .collect();
        alerts.sort();
        let key = (
            body["groupKey"].to_string(),
            body["status"].to_string(),
            alerts,
        );
        *seen.entry(key).or_insert(0) += 1;
    }
    for ((group, status, alerts), count) in seen {
        assert_eq!(
            count,
            1,
            "group {group} got the {status} notification of {alerts:?} {count} times\n{}",
            logs()
        );
    }
}
