//! SLOs against a real Prometheus with no failing requests (`--simulate-error-rate 0`): the
//! availability SLO's series read zero and neither burn-rate alert fires, in Prometheus or in
//! the exporter's engine. (`slo_burn.rs` runs
//! the same with 30 % failing.)
//!
//! The exporter installs the process-wide `metrics` recorder: one exporter in this binary.

use std::time::Duration;

use victor_e2e::{Prometheus, require, workspace_root};
use victor_exporter::Exporter;
use victor_exporter::config::Config;

#[test]
fn with_no_errors_the_availability_budget_does_not_burn() -> anyhow::Result<()> {
    let Some(prometheus_bin) = require("prometheus", "Debian package `prometheus`") else {
        return Ok(());
    };
    let mut config = Config {
        listen: "127.0.0.1:0".parse()?,
        simulate: true,
        simulate_error_rate: Some(0.0),
        ..Config::default()
    };
    config.alerting.eval_interval = Duration::from_secs(1);
    let exporter = Exporter::new(config)?.serve_in_background()?;
    let rules = [workspace_root().join("deploy/prometheus/rules/victor-slos.yml")];
    let prometheus = Prometheus::start_with_rules(&prometheus_bin, &[exporter.addr()], &rules)?;
    let availability = r#"sloth_slo="requests-availability""#;
    prometheus.wait_for_value(
        &format!("slo:sli_error:ratio_rate5m{{{availability}}}"),
        Duration::from_secs(60),
        |ratio| ratio == 0.0,
    )?;
    // Several evaluations with traffic above the guard: still nothing.
    std::thread::sleep(Duration::from_secs(5));
    let burning = prometheus.query(&format!(r#"ALERTS{{{availability}}}"#))?;
    assert!(
        burning.is_empty(),
        "the availability SLO burns with no errors: {burning:?}"
    );
    // Nor in the exporter's own engine, which has evaluated every second meanwhile.
    let engine_burning: Vec<serde_json::Value> = victor_e2e::engine_alerts(exporter.addr())?
        .into_iter()
        .filter(|alert| alert["labels"]["sloth_slo"] == "requests-availability")
        .collect();
    assert!(
        engine_burning.is_empty(),
        "the engine's availability SLO burns with no errors: {engine_burning:?}"
    );
    prometheus.wait_for_value(
        &format!("slo:period_error_budget_remaining:ratio{{{availability}}}"),
        Duration::from_secs(10),
        |left| left == 1.0,
    )?;
    Ok(())
}
