//! The generated alerting rules in a real Prometheus agree with the in-process engine: with
//! `--simulate --simulate-error-rate 0.3`, Prometheus holds HighErrorRate pending for the same
//! endpoints the exporter's own engine lists at `/api/alerts`.
//!
//! Its own test binary: the exporter installs the process-wide `metrics` recorder.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use victor_e2e::{Prometheus, require};
use victor_exporter::Exporter;
use victor_exporter::config::Config;

#[test]
fn prometheus_and_the_engine_agree_on_high_error_rate() -> anyhow::Result<()> {
    let Some(prometheus_bin) = require("prometheus", "Debian package `prometheus`") else {
        return Ok(());
    };
    let mut config = Config {
        listen: "127.0.0.1:0".parse()?,
        simulate: true,
        simulate_error_rate: Some(0.3),
        ..Config::default()
    };
    config.alerting.eval_interval = Duration::from_secs(1);
    let exporter = Exporter::new(config)?.serve_in_background()?;
    let target = exporter.addr();
    let rules =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/prometheus/rules/victor-alerts.yml");
    let prometheus = Prometheus::start_with_rules(&prometheus_bin, &[target], &[rules])?;

    let in_prometheus = || -> anyhow::Result<BTreeSet<String>> {
        Ok(prometheus
            .query(r#"ALERTS{alertname="HighErrorRate"}"#)?
            .into_iter()
            .filter_map(|(labels, _)| labels.get("endpoint").cloned())
            .collect())
    };
    let in_engine = || -> anyhow::Result<BTreeSet<String>> {
        Ok(victor_e2e::engine_alerts(target)?
            .iter()
            .filter(|alert| alert["name"] == "HighErrorRate")
            .filter_map(|alert| alert["labels"]["endpoint"].as_str().map(str::to_owned))
            .collect())
    };
    // Every simulated endpoint fails 30% of the time: both should flag all five.
    let deadline = Instant::now() + Duration::from_secs(45);
    let (prometheus_endpoints, engine_endpoints) = loop {
        let (p, e) = (in_prometheus()?, in_engine()?);
        if (p.len() >= 5 && e.len() >= 5) || Instant::now() > deadline {
            break (p, e);
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(
        prometheus_endpoints,
        engine_endpoints,
        "Prometheus and the engine disagree\n{}",
        prometheus.log()
    );
    assert_eq!(prometheus_endpoints.len(), 5, "{prometheus_endpoints:?}");
    assert!(
        !prometheus_endpoints
            .iter()
            .any(|e| e.starts_with("/health") || e == "/metrics")
    );
    exporter.shutdown()?;
    Ok(())
}
