//! Slack incoming webhooks.

use serde_json::json;

use super::{Notifier, SendFuture, body_lines, post_json, title};
use crate::engine::{AlertState, Notification};
use crate::rule::Severity;
use crate::secret::SecretUrl;

/// Posts to a Slack incoming webhook: a bold title line (status, severity, name, summary) and
/// a colour bar by severity, then the description, value, labels, times and runbook link.
#[derive(Debug, Clone)]
pub struct SlackNotifier {
    url: SecretUrl,
}

impl SlackNotifier {
    /// A notifier posting to `url` (`https://hooks.slack.com/services/…`).
    pub fn new(url: SecretUrl) -> Self {
        SlackNotifier { url }
    }

    /// The JSON Slack receives.
    pub fn payload(notification: &Notification) -> serde_json::Value {
        let alert = &notification.alert;
        let color = match (alert.state, alert.severity) {
            (AlertState::Resolved, _) => "#2eb67d",
            (_, Severity::Critical) => "#e01e5a",
            (_, Severity::Error) => "#e8912d",
            (_, Severity::Warning) => "#ecb22e",
            (_, Severity::Info) => "#36c5f0",
        };
        let mut lines = body_lines(notification);
        if let Some(runbook) = alert.annotations.get("runbook_url") {
            // Slack's link syntax, so the runbook is one click away.
            if let Some(line) = lines.iter_mut().find(|line| line.starts_with("Runbook: ")) {
                *line = format!("<{runbook}|Runbook>");
            }
        }
        let title = title(notification);
        json!({
            "text": title,
            "attachments": [{
                "color": color,
                "title": title,
                "text": lines.join("\n"),
                "fallback": title,
            }],
        })
    }
}

impl Notifier for SlackNotifier {
    fn kind(&self) -> &'static str {
        "slack"
    }

    fn send<'a>(&'a self, notification: &'a Notification) -> SendFuture<'a> {
        Box::pin(async move {
            let body = serde_json::to_vec(&Self::payload(notification)).unwrap_or_default();
            post_json(&self.url, body, &[]).await
        })
    }
}
