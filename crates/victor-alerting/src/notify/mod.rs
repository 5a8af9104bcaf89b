//! Notification channels. Each implements [`Notifier`]: one async `send` of one notification,
//! which succeeds or says why not. Retries, queues and counting live in the
//! [`Dispatcher`](crate::Dispatcher), so a channel is only a message format and a transport.
//!
//! | channel | transport | message |
//! |---|---|---|
//! | [`SlackNotifier`] | HTTPS POST to an incoming webhook | text with severity, summary, value, labels and runbook link |
//! | [`EmailNotifier`] | SMTP through `lettre` (plain, STARTTLS or TLS; optional AUTH) | subject line and plain-text body |
//! | [`WebhookNotifier`] | HTTP POST of JSON | the [`Notification`] as JSON, optionally HMAC-SHA256 signed |
//! | [`PagerDutyNotifier`] | HTTPS POST to the Events API v2 | `trigger` with the alert as payload, `resolve` of the same `dedup_key` (the fingerprint) |
//! | [`AlertmanagerNotifier`] | `POST /api/v2/alerts` | Alertmanager's postable alerts (labels, annotations, `startsAt`, `endsAt`, `generatorURL`) |

#[cfg(feature = "delivery")]
mod alertmanager;
#[cfg(feature = "delivery")]
mod email;
#[cfg(feature = "delivery")]
mod pagerduty;
#[cfg(feature = "delivery")]
mod slack;
mod smtp;
#[cfg(feature = "delivery")]
mod webhook;

use std::future::Future;
use std::pin::Pin;
#[cfg(feature = "delivery")]
use std::sync::OnceLock;

#[cfg(feature = "delivery")]
pub use alertmanager::AlertmanagerNotifier;
#[cfg(feature = "delivery")]
pub use email::EmailNotifier;
#[cfg(feature = "delivery")]
pub use pagerduty::{PAGERDUTY_EVENTS_URL, PagerDutyNotifier};
#[cfg(feature = "delivery")]
pub use slack::SlackNotifier;
pub use smtp::{SmtpSecurity, SmtpSettings};
#[cfg(feature = "delivery")]
pub use webhook::{SIGNATURE_HEADER, WebhookNotifier, sign};

use crate::engine::Notification;
#[cfg(feature = "delivery")]
use crate::secret::SecretUrl;

/// The future a [`Notifier`] returns.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), NotifyError>> + Send + 'a>>;

/// A notification channel.
pub trait Notifier: Send + Sync + std::fmt::Debug + 'static {
    /// What kind of channel it is (`slack`, `email`, `webhook`, `alertmanager`), for logs.
    fn kind(&self) -> &'static str;

    /// Delivers one notification. An error means it was not delivered and may be retried.
    fn send<'a>(&'a self, notification: &'a Notification) -> SendFuture<'a>;
}

/// Why a delivery failed. Messages never contain a webhook URL or a password.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The receiver answered with an error status.
    #[error("{receiver} answered HTTP {status}: {body}")]
    Status {
        /// Scheme, host and port of the receiver.
        receiver: String,
        /// The status code.
        status: u16,
        /// The start of the answer's body.
        body: String,
    },
    /// The request could not be made or did not complete.
    #[error("cannot reach {receiver}: {reason}")]
    Transport {
        /// Scheme, host and port of the receiver.
        receiver: String,
        /// What went wrong.
        reason: String,
    },
    /// The SMTP server refused the message or could not be reached.
    #[error("SMTP delivery failed: {0}")]
    Smtp(String),
    /// The message could not be built (a bad address, for one).
    #[error("cannot build the message: {0}")]
    Message(String),
}

#[cfg(feature = "delivery")]
/// The one HTTP client every HTTP channel shares (connection pool, TLS with the platform's
/// certificate store through rustls and *ring*). It sets no timeout of its own: the
/// dispatcher bounds every attempt (`DeliverySettings::attempt_timeout`).
pub(crate) fn http_client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        install_crypto_provider();
        reqwest::Client::builder()
            .user_agent(concat!("victor-alerting/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_else(|err| {
                tracing::error!(error = %err, "cannot build the TLS HTTP client; using defaults");
                reqwest::Client::new()
            })
    })
}

#[cfg(feature = "delivery")]
/// Makes *ring* rustls' process-wide provider unless one is installed already. Any reqwest
/// client built in a program that links this crate needs it (the workspace builds reqwest's rustls
/// without a provider), so call it before building one.
pub fn install_crypto_provider() {
    // Fails only when a provider is installed already, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(feature = "delivery")]
/// POSTs a JSON body (with extra headers) and turns anything but a 2xx into an error. The
/// error quotes the start of the reply with every echo of the URL's secret parts, and of
/// `also_secret` (a key the body carries), scrubbed: receivers repeat what they were sent.
pub(crate) async fn post_json(
    url: &SecretUrl,
    body: Vec<u8>,
    headers: &[(&'static str, String)],
    also_secret: Option<&crate::Secret>,
) -> Result<(), NotifyError> {
    let receiver = url.to_string();
    let mut secrets = url.echoable_parts();
    secrets.extend(also_secret.map(|secret| secret.expose().to_owned()));
    let mut request = http_client()
        .post(url.expose().clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.map_err(|err| NotifyError::Transport {
        receiver: receiver.clone(),
        // `without_url`: the URL is the secret.
        reason: crate::scrub(&error_chain(&err.without_url()), &secrets),
    })?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let body = crate::scrub(&response.text().await.unwrap_or_default(), &secrets);
    Err(NotifyError::Status {
        receiver,
        status: status.as_u16(),
        body: body.chars().take(200).collect(),
    })
}

#[cfg(feature = "delivery")]
/// An error and its causes on one line ("error sending request: connection refused").
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(feature = "delivery")]
/// A one-line title: `[FIRING] CRITICAL HighErrorRate: High error rate detected`.
pub(crate) fn title(notification: &Notification) -> String {
    let alert = &notification.alert;
    let status = match alert.state {
        crate::AlertState::Resolved => "RESOLVED",
        _ => "FIRING",
    };
    let mut title = format!(
        "[{status}] {} {}",
        alert.severity.as_str().to_uppercase(),
        alert.name
    );
    if let Some(summary) = alert.annotations.get("summary") {
        title.push_str(": ");
        title.push_str(summary);
    }
    title
}

#[cfg(feature = "delivery")]
/// The body lines every text channel shares: description, value, labels, times, runbook.
pub(crate) fn body_lines(notification: &Notification) -> Vec<String> {
    let alert = &notification.alert;
    let mut lines = Vec::new();
    if let Some(description) = alert.annotations.get("description") {
        lines.push(description.clone());
    }
    if let Some(value) = alert.value {
        lines.push(format!("Value: {value}"));
    }
    let labels: Vec<String> = alert
        .labels
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "alertname" | "severity"))
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    if !labels.is_empty() {
        lines.push(format!("Labels: {}", labels.join(", ")));
    }
    lines.push(format!(
        "Active since: {}",
        crate::engine::format_time(alert.active_since)
    ));
    if let Some(resolved) = alert.resolved_at {
        lines.push(format!(
            "Resolved at: {}",
            crate::engine::format_time(resolved)
        ));
    }
    if let Some(runbook) = alert.annotations.get("runbook_url") {
        lines.push(format!("Runbook: {runbook}"));
    }
    lines
}
