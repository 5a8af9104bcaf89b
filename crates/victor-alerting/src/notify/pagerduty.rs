//! PagerDuty's Events API v2.

use serde_json::json;

use super::{Notifier, SendFuture, post_json, title};
use crate::engine::{AlertState, Notification, format_time};
use crate::rule::Severity;
use crate::secret::{Secret, SecretUrl};

/// PagerDuty's Events API v2 endpoint.
pub const PAGERDUTY_EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";

/// The longest `payload.summary` PagerDuty accepts.
const MAX_SUMMARY: usize = 1024;

/// Triggers and resolves PagerDuty incidents through the Events API v2. The alert's fingerprint
/// is the `dedup_key`, so every re-send of a firing alert updates one incident and its resolve
/// closes that incident. Severities map to PagerDuty's (critical, error, warning, info). The
/// routing key is a secret: never logged, redacted in `Debug`.
#[derive(Debug, Clone)]
pub struct PagerDutyNotifier {
    url: SecretUrl,
    routing_key: Secret,
    source: String,
}

impl PagerDutyNotifier {
    /// A notifier sending to `url` ([`PAGERDUTY_EVENTS_URL`] in production) with the
    /// integration's `routing_key`; `source` names this exporter in incidents (its external
    /// URL).
    pub fn new(url: SecretUrl, routing_key: Secret, source: impl Into<String>) -> Self {
        PagerDutyNotifier {
            url,
            routing_key,
            source: source.into(),
        }
    }

    /// The event PagerDuty receives: a `trigger` with the alert as payload, or a `resolve` of
    /// the same `dedup_key`.
    pub fn payload(&self, notification: &Notification) -> serde_json::Value {
        let alert = &notification.alert;
        let routing_key = self.routing_key.expose();
        if alert.state == AlertState::Resolved {
            return json!({
                "routing_key": routing_key,
                "event_action": "resolve",
                "dedup_key": alert.fingerprint,
            });
        }
        let severity = match alert.severity {
            Severity::Critical => "critical",
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        let summary: String = title(notification).chars().take(MAX_SUMMARY).collect();
        let mut event = json!({
            "routing_key": routing_key,
            "event_action": "trigger",
            "dedup_key": alert.fingerprint,
            "payload": {
                "summary": summary,
                "source": self.source,
                "severity": severity,
                "timestamp": format_time(alert.fired_at.unwrap_or(alert.active_since)),
                "component": alert.labels.get("endpoint").or_else(|| alert.labels.get("tool")),
                "group": alert.name,
                "class": alert.labels.get("alertname"),
                "custom_details": {
                    "value": alert.value,
                    "labels": alert.labels,
                    "annotations": alert.annotations,
                },
            },
            "client": "Victor Observability",
            "client_url": self.source,
        });
        if let Some(runbook) = alert.annotations.get("runbook_url") {
            event["links"] = json!([{ "href": runbook, "text": "Runbook" }]);
        }
        event
    }
}

impl Notifier for PagerDutyNotifier {
    fn kind(&self) -> &'static str {
        "pagerduty"
    }

    fn send<'a>(&'a self, notification: &'a Notification) -> SendFuture<'a> {
        Box::pin(async move {
            let body = serde_json::to_vec(&self.payload(notification)).unwrap_or_default();
            post_json(&self.url, body, &[], Some(&self.routing_key)).await
        })
    }
}
