//! `--simulate` scraped by a real Prometheus: every catalog metric arrives, so every dashboard
//! panel and alert has data with no real agent.
//!
//! Its own test binary: the exporter installs the process-wide `metrics` recorder.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use victor_e2e::{Prometheus, require};
use victor_exporter::Exporter;
use victor_exporter::config::Config;
use victor_metrics_core::{MetricKind, catalog};

#[test]
fn prometheus_ingests_every_catalog_metric_from_the_simulation() -> anyhow::Result<()> {
    let Some(prometheus_bin) = require("prometheus", "prometheus") else {
        return Ok(());
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let mut config = Config {
        listen: "127.0.0.1:0".parse()?,
        simulate: true,
        ..Config::default()
    };
    // A notification channel, so the per-channel notification counters exist too.
    config.alerting.webhook_url = Some("http://127.0.0.1:9/unused".parse()?);
    let exporter = Exporter::new(config)?;
    let listener = runtime.block_on(exporter.bind())?;
    let target = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(exporter.serve(listener, async {
        let _ = stopped.await;
    }));
    let prometheus = Prometheus::start(&prometheus_bin, &[target])?;

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
            .query(r#"group by (__name__) ({job="victor", __name__=~"victor_.+"})"#)?
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

    let _ = stop.send(());
    runtime.block_on(server)??;
    Ok(())
}
