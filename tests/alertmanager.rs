//! Alerts pushed to a real Alertmanager (Debian `prometheus-alertmanager`), routed by it to a
//! webhook receiver in the test, firing then resolved. `amtool check-config` passes on the
//! configuration used.

use std::sync::Arc;
use std::time::Duration;

use victor_alerting::{
    AlertmanagerNotifier, DeliverySettings, Dispatcher, Engine, Rule, Severity, Signal, gauge,
};
use victor_e2e::{Alertmanager, WebhookReceiver, require, webhook_route_config};
use victor_metrics_core::exposition::{ExpositionBuilder, Store};
use victor_metrics_core::{VictorMetrics, catalog};

/// Sets the security test pass rate in `store`, through the typed API as a service would.
fn pass_rate(store: &Store, metrics: &VictorMetrics, value: f64) -> Store {
    metrics::with_local_recorder(store, || {
        metrics
            .gauge(&catalog::SECURITY_TEST_PASS_RATE, [])
            .set(value);
    });
    store.clone()
}

#[test]
fn alertmanager_routes_firing_and_resolved_alerts() -> anyhow::Result<()> {
    let (Some(alertmanager_bin), Some(amtool)) = (
        require(
            "prometheus-alertmanager",
            "Debian package `prometheus-alertmanager`",
        ),
        require("amtool", "Debian package `prometheus-alertmanager`"),
    ) else {
        return Ok(());
    };
    let receiver = WebhookReceiver::start()?;
    let dir = tempfile::tempdir()?;
    let config = webhook_route_config(dir.path(), &["alertname"], &receiver.url)?;
    let check = std::process::Command::new(amtool)
        .arg("check-config")
        .arg(&config)
        .output()?;
    assert!(
        check.status.success(),
        "amtool check-config: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let alertmanager = Alertmanager::start(&alertmanager_bin, &config)?;

    let (store, _) = ExpositionBuilder::new().build()?;
    let recorded = VictorMetrics::new();
    let engine = Engine::new(VictorMetrics::new());
    engine.add_rule(
        Rule::builder("SecurityTestFailure")
            .condition(Signal::gauge(gauge(&catalog::SECURITY_TEST_PASS_RATE)).below(0.9))
            .severity(Severity::Critical)
            .summary("Security test failure detected")
            .description("Security test pass rate is {{ $value | humanizePercentage }}")
            .build()?,
    )?;
    let runtime = tokio::runtime::Runtime::new()?;
    let _guard = runtime.enter();
    let mut dispatcher = Dispatcher::new(VictorMetrics::new(), DeliverySettings::default());
    let notifier = AlertmanagerNotifier::new(
        &alertmanager.url.parse()?,
        Some("http://127.0.0.1:9091/api/alerts".into()),
    );
    dispatcher.add_channel("alertmanager", Arc::new(notifier))?;

    engine.observe(&pass_rate(&store, &recorded, 0.5));
    dispatcher.dispatch(engine.evaluate());
    let firing = receiver
        .wait_for(Duration::from_secs(30), |body| body["status"] == "firing")
        .map_err(|err| err.context(alertmanager.log()))?;
    let alert = &firing["alerts"][0];
    assert_eq!(alert["labels"]["alertname"], "SecurityTestFailure");
    assert_eq!(alert["labels"]["severity"], "critical");
    assert_eq!(
        alert["annotations"]["description"],
        "Security test pass rate is 50%"
    );
    assert_eq!(alert["generatorURL"], "http://127.0.0.1:9091/api/alerts");

    engine.observe(&pass_rate(&store, &recorded, 0.99));
    dispatcher.dispatch(engine.evaluate());
    let resolved = receiver
        .wait_for(Duration::from_secs(30), |body| body["status"] == "resolved")
        .map_err(|err| err.context(alertmanager.log()))?;
    assert_eq!(
        resolved["alerts"][0]["labels"]["alertname"],
        "SecurityTestFailure"
    );
    assert_eq!(resolved["alerts"][0]["status"], "resolved");
    Ok(())
}
