//! SLOs against a real Prometheus: with the generated SLO rules and an exporter running
//! `--simulate --simulate-error-rate 0.3`, the availability SLO's fast-burn alert fires and the
//! `slo:` series hold the burn. (`slo_steady.rs` runs the same with no errors: nothing burns.)
//!
//! The exporter installs the process-wide `metrics` recorder: one exporter in this binary.

use std::time::Duration;

use victor_e2e::{Prometheus, require, workspace_root};
use victor_exporter::Exporter;
use victor_exporter::config::Config;

#[test]
fn a_30_percent_error_rate_pages_through_the_fast_burn_alert() -> anyhow::Result<()> {
    let Some(prometheus_bin) = require("prometheus", "Debian package `prometheus`") else {
        return Ok(());
    };
    let config = Config {
        listen: "127.0.0.1:0".parse()?,
        simulate: true,
        simulate_error_rate: Some(0.3),
        ..Config::default()
    };
    let exporter = Exporter::new(config)?.serve_in_background()?;
    let rules = [workspace_root().join("deploy/prometheus/rules/victor-slos.yml")];
    let prometheus = Prometheus::start_with_rules(&prometheus_bin, &[exporter.addr()], &rules)?;
    let within = Duration::from_secs(60);
    let availability = r#"sloth_slo="requests-availability""#;
    // 30 % of requests fail: 30 times the 1 % budget over every window.
    prometheus.wait_for_value(
        &format!("slo:sli_error:ratio_rate5m{{{availability}}}"),
        within,
        |ratio| (0.2..0.4).contains(&ratio),
    )?;
    prometheus.wait_for_value(
        &format!("slo:current_burn_rate:ratio{{{availability}}}"),
        within,
        |burn| burn > 14.4,
    )?;
    prometheus.wait_for_value(
        &format!(r#"ALERTS{{alertname="SLOErrorBudgetBurnFast",alertstate="firing",severity="critical",{availability}}}"#),
        within,
        |firing| firing == 1.0,
    )?;
    // Every SLO records its error budget and what is left of it. The remaining budget sits
    // three recording steps (and rule groups) away from the raw rates, so it appears a few
    // evaluations after the burn does: wait for it rather than look once.
    for slo in victor_alerting::slo::default_slos() {
        prometheus.wait_for_value(
            &format!(
                r#"slo:period_error_budget_remaining:ratio{{sloth_slo="{}"}}"#,
                slo.name
            ),
            within,
            |_| true,
        )?;
    }
    Ok(())
}
