//! Email alerts delivered to a real SMTP server (PyPI `aiosmtpd`): subject, recipients, body.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use victor_alerting::{
    Alert, AlertState, DeliverySettings, Dispatcher, EmailNotifier, Notification, Secret, Severity,
    SmtpSecurity, SmtpSettings,
};
use victor_e2e::{SmtpServer, free_port, require_python_module};
use victor_metrics_core::VictorMetrics;

fn notification() -> Notification {
    Notification {
        alert: Alert {
            name: "HighErrorRate".into(),
            fingerprint: "0123456789abcdef".into(),
            state: AlertState::Firing,
            severity: Severity::Critical,
            value: Some(0.3125),
            labels: BTreeMap::from([
                ("alertname".into(), "HighErrorRate".into()),
                ("severity".into(), "critical".into()),
                ("endpoint".into(), "/chat".into()),
            ]),
            annotations: BTreeMap::from([
                ("summary".into(), "High error rate detected".into()),
                (
                    "description".into(),
                    "Error rate is 31.25% for endpoint /chat".into(),
                ),
                (
                    "runbook_url".into(),
                    "https://example.com/alerts.md#higherrorrate".into(),
                ),
            ]),
            active_since: SystemTime::UNIX_EPOCH,
            fired_at: Some(SystemTime::UNIX_EPOCH),
            resolved_at: None,
        },
        valid_until: SystemTime::UNIX_EPOCH,
        channels: Arc::from(Vec::new()),
    }
}

#[test]
fn email_reaches_a_real_smtp_server() -> anyhow::Result<()> {
    if !require_python_module("aiosmtpd") {
        return Ok(());
    }
    let server = SmtpServer::start()?;
    let settings = SmtpSettings {
        host: "127.0.0.1".into(),
        port: server.port,
        security: SmtpSecurity::None,
        username: None,
        password: Some(Secret::new("never-logged")),
        from: "Victor Alerts <alerts@victor.test>".into(),
        to: vec!["oncall@victor.test".into(), "lead@victor.test".into()],
    };
    assert!(!format!("{settings:?}").contains("never-logged"));
    let email = EmailNotifier::new(&settings)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let mut dispatcher = Dispatcher::new(VictorMetrics::new(), DeliverySettings::default());
        dispatcher.add_channel("email", Arc::new(email))?;
        dispatcher.dispatch([notification()]);
        dispatcher.shutdown(Duration::from_secs(10)).await;
        anyhow::Ok(())
    })?;
    let messages = server.wait_for_messages(1, Duration::from_secs(10))?;
    assert_eq!(messages.len(), 1, "one message");
    let message = &messages[0];
    assert!(
        message.contains("Subject: [FIRING] CRITICAL HighErrorRate: High error rate detected"),
        "{message}"
    );
    assert!(
        message.contains("X-MailFrom: alerts@victor.test"),
        "{message}"
    );
    assert!(
        message.contains("X-RcptTo: oncall@victor.test, lead@victor.test"),
        "{message}"
    );
    assert!(
        message.contains("Error rate is 31.25% for endpoint /chat"),
        "{message}"
    );
    assert!(message.contains("Labels: endpoint=/chat"), "{message}");
    assert!(
        message.contains("Runbook: https://example.com/alerts.md#higherrorrate"),
        "{message}"
    );
    Ok(())
}

#[test]
fn an_smtp_server_down_then_up_gets_the_alert_once() -> anyhow::Result<()> {
    if !require_python_module("aiosmtpd") {
        return Ok(());
    }
    let port = free_port();
    let settings = SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::None,
        username: None,
        password: None,
        from: "alerts@victor.test".into(),
        to: vec!["oncall@victor.test".into()],
    };
    let email = EmailNotifier::new(&settings)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let _guard = runtime.enter();
    let mut dispatcher = Dispatcher::new(
        VictorMetrics::new(),
        DeliverySettings {
            max_attempts: 30,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(300),
            attempt_timeout: Duration::from_secs(2),
            ..DeliverySettings::default()
        },
    );
    dispatcher.add_channel("email", Arc::new(email))?;
    // Nothing listens yet: the first attempts fail.
    dispatcher.dispatch([notification()]);
    std::thread::sleep(Duration::from_secs(1));
    let server = SmtpServer::start_on(port)?;
    let messages = server.wait_for_messages(1, Duration::from_secs(15))?;
    assert_eq!(messages.len(), 1, "delivered once the server is up");
    // A duplicate would show up here.
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        server.wait_for_messages(2, Duration::ZERO)?.len(),
        1,
        "exactly once"
    );
    runtime.block_on(dispatcher.shutdown(Duration::from_secs(5)));
    Ok(())
}
