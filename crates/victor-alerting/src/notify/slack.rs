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
        // Label values and annotations are the agent's strings: escaped, so `<!channel>` cannot
        // ping a channel nor `<url|text>` plant a link.
        let mut lines: Vec<String> = body_lines(notification)
            .iter()
            .map(|line| escape(line))
            .collect();
        if let Some(runbook) = alert.annotations.get("runbook_url") {
            // Slack's link syntax, so the runbook is one click away.
            if let Some(line) = lines.iter_mut().find(|line| line.starts_with("Runbook: ")) {
                *line = format!("<{}|Runbook>", link_target(runbook));
            }
        }
        let title = escape(&title(notification));
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

/// `text` with the three characters Slack's message format gives meaning escaped, as Slack
/// documents: `&` → `&amp;`, `<` → `&lt;`, `>` → `&gt;`.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// A URL for `<url|text>`: the characters that would end the link percent-encoded, `&`
/// escaped.
fn link_target(url: &str) -> String {
    escape(&url.replace('|', "%7C"))
}

impl Notifier for SlackNotifier {
    fn kind(&self) -> &'static str {
        "slack"
    }

    fn send<'a>(&'a self, notification: &'a Notification) -> SendFuture<'a> {
        Box::pin(async move {
            let body = serde_json::to_vec(&Self::payload(notification)).unwrap_or_default();
            post_json(&self.url, body, &[], None).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_cannot_ping_or_plant_links() {
        let mut notification = Notification::test("slack", "victor-exporter on host:9091");
        let labels = &mut notification.alert.labels;
        labels.insert(
            "endpoint".into(),
            "<!channel> & <https://evil.example|click>".into(),
        );
        notification.alert.annotations.insert(
            "runbook_url".into(),
            "https://example.com/runbook?a=1&b=2|x>".into(),
        );
        let payload = SlackNotifier::payload(&notification).to_string();
        assert!(!payload.contains("<!channel>"), "{payload}");
        assert!(!payload.contains("<https://evil"), "{payload}");
        assert!(
            payload.contains("&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;"),
            "{payload}"
        );
        assert!(
            payload.contains("<https://example.com/runbook?a=1&amp;b=2%7Cx&gt;|Runbook>"),
            "{payload}"
        );
    }
}
