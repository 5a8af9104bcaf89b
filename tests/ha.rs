//! Fleet alerting through an HA Alertmanager pair: two Debian Alertmanagers clustered on
//! loopback, a real Prometheus with the generated rules sending to both, and the exporter in
//! single-node mode sending to both as well, both evaluating one operator rule. While the alert
//! holds, each group is notified once (the pair deduplicates); once the exporter is gone, every
//! group's last notification is its resolve.
//!
//! What Alertmanager's HA promises is "at least once": around a state change the member that
//! waits its turn can send what it saw before its peer's newer notification reached it (a
//! firing after the resolve, then the resolve again). So the test asks exactly-once of the steady
//! state, after the cluster has formed, and of the end only that it is resolved.
//!
//! The rule watches a gauge that holds still while the exporter runs (the simulated memory
//! limit) and keeps firing for 20 s after its condition goes: on a busy machine a scrape can
//! miss its 1 s timeout, which empties the expression for one evaluation, and `keep_firing_for`
//! is what a rule needs against exactly that.
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
fn an_ha_pair_notifies_each_group_once_while_it_holds_and_ends_resolved() -> anyhow::Result<()> {
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
    let config = webhook_route_config(dir.path(), &["alertname", "severity"], &receiver.url)?;
    let (gossip_a, gossip_b) = (free_port(), free_port());
    let first = Alertmanager::start_clustered(&alertmanager_bin, &config, gossip_a, &[gossip_b])?;
    let second = Alertmanager::start_clustered(&alertmanager_bin, &config, gossip_b, &[gossip_a])?;
    let logs = || format!("first:\n{}\nsecond:\n{}", first.log(), second.log());
    // Until both members see each other, each would notify as the first.
    for member in [&first, &second] {
        member
            .wait_for_cluster(2, Duration::from_secs(30))
            .map_err(|err| err.context(logs()))?;
    }

    let own_rules = dir.path().join("own.yml");
    std::fs::write(
        &own_rules,
        "groups:\n  - name: own\n    rules:\n      - alert: ExporterServing\n        \
         expr: max by (job, instance) (victor_memory_limit_bytes) > 0\n        \
         keep_firing_for: 20s\n        labels: {severity: critical}\n",
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
            body["status"] == "firing" && body["groupLabels"]["alertname"] == "ExporterServing"
        })
        .map_err(|err| err.context(logs()))?;
    // Longer than the peer timeout, so a second member that were to notify would have.
    std::thread::sleep(Duration::from_secs(8));
    let firing = groups(&receiver, "firing");
    assert!(!firing.is_empty());
    for (group, notifications) in by_group(&receiver) {
        assert_eq!(
            notifications,
            ["firing"],
            "group {group} while the alert holds\n{}",
            logs()
        );
    }

    // The exporter goes away: Prometheus' alerts resolve, and so do the merged ones.
    exporter.shutdown()?;
    let deadline = Instant::now() + Duration::from_secs(90);
    let resolved = || {
        let last = by_group(&receiver);
        firing.iter().all(|group| {
            last.get(group)
                .and_then(|n| n.last())
                .is_some_and(|s| s == "resolved")
        })
    };
    while !resolved() {
        assert!(
            Instant::now() < deadline,
            "not every group's last notification is its resolve: {:?}\n{}",
            by_group(&receiver),
            logs()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    // And it stays so: no member sends a late firing after the peer timeout.
    std::thread::sleep(Duration::from_secs(5));
    assert!(resolved(), "{:?}\n{}", by_group(&receiver), logs());
    Ok(())
}

/// The status of every ExporterServing notification, in arrival order, by group.
fn by_group(receiver: &WebhookReceiver) -> BTreeMap<String, Vec<String>> {
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for body in receiver.bodies() {
        if body["groupLabels"]["alertname"] == "ExporterServing" {
            let group = body["groupKey"].as_str().unwrap_or_default().to_owned();
            let status = body["status"].as_str().unwrap_or_default().to_owned();
            groups.entry(group).or_default().push(status);
        }
    }
    groups
}

/// The ExporterServing groups that got a notification with `status`.
fn groups(receiver: &WebhookReceiver, status: &str) -> BTreeSet<String> {
    receiver
        .bodies()
        .into_iter()
        .filter(|body| {
            body["status"] == status && body["groupLabels"]["alertname"] == "ExporterServing"
        })
        .map(|body| body["groupKey"].as_str().unwrap_or_default().to_owned())
        .collect()
}
