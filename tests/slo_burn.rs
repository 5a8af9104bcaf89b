//! SLOs against a real Prometheus: with the generated SLO rules and an exporter running
//! `--simulate --simulate-error-rate 0.3`, the availability SLO's fast-burn alert fires and the
//! `slo:` series hold the burn. An SLO declared in the exporter's configuration pages in both
//! evaluators (Prometheus from the group `--print-rules` prints) with the same labels, so
//! Alertmanager sees one alert; the engine does not page the shipped SLO on seconds of data.
//! (`slo_steady.rs` runs the same with no errors: nothing burns.)
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
    // A declared SLO with a budget of 0.01 %: 30 % errors page within seconds even though the
    // engine counts the hour it has not seen (it just started) as clean.
    let declared = Config::from_file_text(
        "[slos.tight-availability]\n\
         objective = 0.9999\n\
         errors = 'victor_requests_total{status=~\"5..\"}'\n\
         total = 'victor_requests_total'\n\
         [alerting]\n\
         eval_interval = \"1s\"\n",
    )
    .map_err(|problems| anyhow::anyhow!("{problems:?}"))?;
    let config = Config {
        listen: "127.0.0.1:0".parse()?,
        simulate: true,
        simulate_error_rate: Some(0.3),
        ..declared
    };
    // Prometheus gets the generated SLO rules, and the declared SLO's group as
    // `--print-rules` prints it.
    let tight = config
        .slos
        .iter()
        .find(|slo| slo.name == "tight-availability")
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("the declared SLO is not in force"))?;
    let dir = tempfile::tempdir()?;
    let declared_rules = dir.path().join("declared.yml");
    std::fs::write(
        &declared_rules,
        victor_exporter::alerting::rule_file(&config.alerting, &[], &[tight]),
    )?;
    let exporter = Exporter::new(config)?.serve_in_background()?;
    let rules = [
        workspace_root().join("deploy/prometheus/rules/victor-slos.yml"),
        declared_rules,
    ];
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
    // The declared SLO pages in both evaluators, labelled alike: one alert to Alertmanager,
    // whichever sends it.
    let tight = r#"sloth_slo="tight-availability""#;
    let firing =
        format!(r#"ALERTS{{alertname="SLOErrorBudgetBurnFast",alertstate="firing",{tight}}}"#);
    prometheus.wait_for_value(&firing, within, |firing| firing == 1.0)?;
    let prometheus_labels = prometheus
        .query(&firing)?
        .into_iter()
        .next()
        .map(|(mut labels, _)| {
            labels.remove("__name__");
            labels.remove("alertstate");
            labels
        })
        .ok_or_else(|| anyhow::anyhow!("the alert stopped firing"))?;
    let engine_alert = |name: &str, slo: &str| -> anyhow::Result<Option<serde_json::Value>> {
        Ok(victor_e2e::engine_alerts(exporter.addr())?
            .into_iter()
            .find(|alert| {
                alert["name"] == name
                    && alert["labels"]["sloth_slo"] == slo
                    && alert["state"] == "firing"
            }))
    };
    let deadline = std::time::Instant::now() + within;
    let fired = loop {
        if let Some(alert) = engine_alert("SLOErrorBudgetBurnFast", "tight-availability")? {
            break alert;
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "the engine never paged for tight-availability"
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    let engine_labels: std::collections::BTreeMap<String, String> =
        serde_json::from_value(fired["labels"].clone())?;
    assert_eq!(engine_labels, prometheus_labels);
    // The SLO view shows the burn that paged: over 5 minutes far past the page's 14.4x.
    let view: serde_json::Value =
        ureq::get(&format!("http://{}/api/performance/slos", exporter.addr()))
            .call()?
            .body_mut()
            .read_json()?;
    let tight_view = view["slos"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|slo| slo["name"] == "tight-availability")
        .ok_or_else(|| anyhow::anyhow!("no tight-availability in {view}"))?;
    let five_minutes = tight_view["burn_rates"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|burn| burn["window"] == "5m")
        .and_then(|burn| burn["burn_rate"].as_f64());
    assert!(five_minutes.is_some_and(|burn| burn > 14.4), "{tight_view}");
    assert!(
        tight_view["alerts"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|alert| alert["name"] == "SLOErrorBudgetBurnFast"),
        "{tight_view}"
    );
    // The shipped availability SLO, 30x its budget for seconds after a start, does not page in
    // the engine: it counts the hour it has not seen as clean, as Prometheus would had it kept
    // a clean hour from before a restart.
    assert!(
        engine_alert("SLOErrorBudgetBurnFast", "requests-availability")?.is_none(),
        "the engine paged on seconds of data"
    );

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
