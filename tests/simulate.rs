//! `--simulate` scraped by a real Prometheus loaded with the generated rules: every catalog
//! metric arrives, every metric a dashboard or rule names exists, and every dashboard query
//! returns data (no panel would show "No data").
//!
//! Its own test binary: the exporter installs the process-wide `metrics` recorder.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use victor_e2e::{Prometheus, require, workspace_root};
use victor_exporter::Exporter;
use victor_exporter::config::Config;
use victor_metrics_core::{MetricKind, catalog};

#[test]
fn prometheus_ingests_every_catalog_metric_from_the_simulation() -> anyhow::Result<()> {
    let Some(prometheus_bin) = require("prometheus", "prometheus") else {
        return Ok(());
    };
    let mut config = Config {
        listen: "127.0.0.1:0".parse()?,
        simulate: true,
        ..Config::default()
    };
    // A notification channel, so the per-channel notification counters exist too.
    config.alerting.webhook_url = Some("http://127.0.0.1:9/unused".parse()?);
    let exporter = Exporter::new(config)?.serve_in_background()?;
    let target = exporter.addr();
    let rules = [
        "victor-alerts.yml",
        "victor-recording.yml",
        "victor-slos.yml",
    ]
    .map(|file| workspace_root().join("deploy/prometheus/rules").join(file));
    let prometheus = Prometheus::start_with_rules(&prometheus_bin, &[target], &rules)?;

    // Every catalog entry, as the series names Prometheus stores for it.
    let expected: BTreeSet<String> = catalog::ALL
        .iter()
        .map(|def| match def.kind() {
            MetricKind::Histogram => format!("{}_bucket", def.name()),
            _ => def.name().to_owned(),
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    let missing = loop {
        let stored: BTreeSet<String> = prometheus
            .query(
                r#"group by (__name__) ({job="victor", __name__=~"(victor|gen_ai_client)_.+"})"#,
            )?
            .into_iter()
            .filter_map(|(labels, _)| labels.get("__name__").cloned())
            .collect();
        let missing: Vec<&String> = expected.difference(&stored).collect();
        if missing.is_empty() || Instant::now() > deadline {
            break missing.into_iter().cloned().collect::<Vec<_>>();
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(
        missing.is_empty(),
        "not ingested by Prometheus: {missing:?}\n{}",
        prometheus.log()
    );

    // The workload moves: requests keep arriving between scrapes.
    let rate = prometheus.wait_for_value(
        "sum(rate(victor_requests_total[5s]))",
        Duration::from_secs(20),
        |rate| rate > 1.0,
    )?;
    assert!(
        rate < 1_000.0,
        "{rate} requests/s is not the simulation's ~20/s"
    );

    no_dashboard_or_rule_drifts_from_what_is_scraped(&prometheus, &rules)?;

    exporter.shutdown()?;
    Ok(())
}

/// Every dashboard query, as Grafana would send it with "All" jobs and instances selected.
fn dashboard_queries() -> anyhow::Result<Vec<(String, String)>> {
    let dir = workspace_root().join("deploy/grafana/dashboards");
    let mut queries = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        let dashboard: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
        for panel in dashboard["panels"].as_array().into_iter().flatten() {
            for target in panel["targets"].as_array().into_iter().flatten() {
                let Some(expr) = target["expr"].as_str() else {
                    continue;
                };
                let expr = expr
                    .replace("$job", ".*")
                    .replace("$instance", ".*")
                    .replace("$__rate_interval", "1m")
                    .replace("$__range", "5m");
                let title = format!("{} / {}", dashboard["title"], panel["title"]);
                queries.push((title, expr));
            }
        }
    }
    assert!(
        queries.len() > 50,
        "only {} dashboard queries",
        queries.len()
    );
    Ok(queries)
}

/// The `victor_…` names in a PromQL text (recording-rule names such as `instance:victor_…` are
/// not metrics and are left out).
fn metric_names(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|token| token.starts_with("victor_"))
        .map(str::to_owned)
        .collect()
}

fn no_dashboard_or_rule_drifts_from_what_is_scraped(
    prometheus: &Prometheus,
    rules: &[std::path::PathBuf],
) -> anyhow::Result<()> {
    let queries = dashboard_queries()?;
    let mut named: BTreeSet<String> = queries
        .iter()
        .flat_map(|(_, expr)| metric_names(expr))
        .collect();
    for file in rules {
        let parsed: serde_json::Value = serde_norway::from_str(&std::fs::read_to_string(file)?)?;
        for group in parsed["groups"].as_array().into_iter().flatten() {
            for rule in group["rules"].as_array().into_iter().flatten() {
                named.extend(metric_names(rule["expr"].as_str().unwrap_or_default()));
            }
        }
    }
    let stored: BTreeSet<String> = prometheus
        .query(r#"group by (__name__) ({__name__=~"(victor|gen_ai_client)_.+"})"#)?
        .into_iter()
        .filter_map(|(labels, _)| labels.get("__name__").cloned())
        .collect();
    let unknown: Vec<&String> = named.difference(&stored).collect();
    assert!(
        unknown.is_empty(),
        "dashboards or rules name metrics Prometheus never scraped: {unknown:?}"
    );

    // Recording rules need a few evaluations and rates two scrapes: poll until every query
    // answers, then name the ones that never did.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut empty = Vec::new();
        for (title, expr) in &queries {
            if prometheus.query(expr)?.is_empty() {
                empty.push(format!("{title}: {expr}"));
            }
        }
        if empty.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            anyhow::bail!(
                "{} dashboard queries return no data:\n{}",
                empty.len(),
                empty.join("\n")
            );
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}
