//! Generic JSON webhooks, optionally signed.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{Notifier, SendFuture, post_json};
use crate::engine::Notification;
use crate::secret::{Secret, SecretUrl};

/// The header carrying the body's signature: `sha256=` and the lower-case hex HMAC-SHA256 of
/// the exact body bytes under the shared key (the scheme GitHub webhooks use).
pub const SIGNATURE_HEADER: &str = "X-Victor-Signature-256";

/// POSTs each notification as JSON: `{"version": "1", "status": "firing"|"resolved", "alert":
/// {...}, "valid_until": "…"}` where `alert` is the [`Alert`](crate::Alert) as `/api/alerts` shows
/// it. With a key, every request carries [`SIGNATURE_HEADER`] so the receiver can check it came
/// from this exporter and was not altered.
#[derive(Debug, Clone)]
pub struct WebhookNotifier {
    url: SecretUrl,
    key: Option<Secret>,
}

impl WebhookNotifier {
    /// A notifier posting to `url`, signing with `key` when given.
    pub fn new(url: SecretUrl, key: Option<Secret>) -> Self {
        WebhookNotifier { url, key }
    }

    /// The JSON body.
    pub fn payload(notification: &Notification) -> serde_json::Value {
        serde_json::json!({
            "version": "1",
            "status": notification.alert.state,
            "alert": notification.alert,
            "valid_until": crate::engine::format_time(notification.valid_until),
        })
    }
}

/// The [`SIGNATURE_HEADER`] value for `body` under `key`.
///
/// ```
/// let signature = victor_alerting::sign(b"key", b"{}");
/// assert!(signature.starts_with("sha256="));
/// assert_eq!(signature.len(), "sha256=".len() + 64);
/// ```
pub fn sign(key: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256={hex}")
}

impl Notifier for WebhookNotifier {
    fn kind(&self) -> &'static str {
        "webhook"
    }

    fn send<'a>(&'a self, notification: &'a Notification) -> SendFuture<'a> {
        Box::pin(async move {
            let body = serde_json::to_vec(&Self::payload(notification)).unwrap_or_default();
            let headers: Vec<(&'static str, String)> = self
                .key
                .iter()
                .map(|key| (SIGNATURE_HEADER, sign(key.expose().as_bytes(), &body)))
                .collect();
            post_json(&self.url, body, &headers, None).await
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn signature_matches_a_known_vector() {
        // RFC 4231 test case 2.
        assert_eq!(
            super::sign(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
