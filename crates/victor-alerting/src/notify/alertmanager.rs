//! Alertmanager's API v2.

use super::{Notifier, SendFuture, post_json};
use crate::engine::{Notification, format_time};
use crate::secret::SecretUrl;

/// Pushes alerts to an Alertmanager (`POST /api/v2/alerts`), so a single node's alerts join its
/// routing, grouping, inhibition and silences. A firing alert is sent with `endsAt` set to the
/// notification's `valid_until` (the engine re-sends before then while it keeps firing); a
/// resolved one with `endsAt` = the resolution time, which resolves it in Alertmanager.
///
/// Given every instance of an HA cluster ([`AlertmanagerNotifier::for_cluster`]), it posts to
/// each at once, as Prometheus does, and counts the alert delivered when one instance took it: the
/// cluster gossips it to the others and deduplicates the notifications.
#[derive(Debug, Clone)]
pub struct AlertmanagerNotifier {
    alerts_urls: Vec<SecretUrl>,
    generator_url: Option<String>,
}

impl AlertmanagerNotifier {
    /// A notifier for the Alertmanager at `base` (`http://alertmanager:9093`). `generator_url`
    /// is the link Alertmanager shows as the alert's source (the exporter's `/api/alerts`).
    pub fn new(base: &SecretUrl, generator_url: Option<String>) -> Self {
        AlertmanagerNotifier::for_cluster(std::slice::from_ref(base), generator_url)
    }

    /// A notifier for every instance of an HA Alertmanager cluster.
    pub fn for_cluster(bases: &[SecretUrl], generator_url: Option<String>) -> Self {
        AlertmanagerNotifier {
            alerts_urls: bases
                .iter()
                .map(|base| base.join_path("/api/v2/alerts"))
                .collect(),
            generator_url,
        }
    }

    /// The JSON Alertmanager receives: a list of one postable alert.
    pub fn payload(&self, notification: &Notification) -> serde_json::Value {
        let alert = &notification.alert;
        let ends_at = alert.resolved_at.unwrap_or(notification.valid_until);
        let mut posted = serde_json::json!({
            "labels": alert.labels,
            "annotations": alert.annotations,
            "startsAt": format_time(alert.active_since),
            "endsAt": format_time(ends_at),
        });
        if let Some(url) = &self.generator_url {
            posted["generatorURL"] = url.clone().into();
        }
        serde_json::Value::Array(vec![posted])
    }
}

impl Notifier for AlertmanagerNotifier {
    fn kind(&self) -> &'static str {
        "alertmanager"
    }

    fn send<'a>(&'a self, notification: &'a Notification) -> SendFuture<'a> {
        Box::pin(async move {
            let body = serde_json::to_vec(&self.payload(notification)).unwrap_or_default();
            // Every instance at once, as Prometheus does: a hanging one delays none of the others.
            let mut sends = tokio::task::JoinSet::new();
            for url in self.alerts_urls.clone() {
                let body = body.clone();
                sends.spawn(async move { post_json(&url, body, &[], None).await });
            }
            let mut last = None;
            let mut delivered = false;
            while let Some(sent) = sends.join_next().await {
                match sent {
                    Ok(Ok(())) => delivered = true,
                    Ok(Err(err)) => {
                        tracing::warn!(error = %err, "an Alertmanager instance refused the alert");
                        last = Some(err);
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "a send to an Alertmanager instance failed")
                    }
                }
            }
            match (delivered, last) {
                (true, _) | (false, None) => Ok(()),
                (false, Some(err)) => Err(err),
            }
        })
    }
}
