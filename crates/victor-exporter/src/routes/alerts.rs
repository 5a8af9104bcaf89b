//! `GET /api/alerts` and `POST /api/alerts/test/{channel}`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use victor_alerting::Notification;

use crate::Shared;

pub(crate) async fn serve_alerts(State(shared): State<Arc<Shared>>) -> Response {
    let no_store = (header::CACHE_CONTROL, "no-store");
    match &shared.alerts {
        Some(engine) => (
            StatusCode::OK,
            [no_store],
            axum::Json(victor_metrics_core::Component::view(&**engine)),
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "alerting is disabled (alerting.enabled = false, or metrics are disabled)\n",
        )
            .into_response(),
    }
}

/// How long `POST /api/alerts/test/{channel}` waits for the channel (under a client's usual 10 s).
pub const TEST_NOTIFICATION_TIMEOUT: Duration = Duration::from_secs(8);

/// `POST /api/alerts/test/{channel}`: sends one test notification through `channel` now, once,
/// without the queue and its retries, and answers whether it was delivered.
pub(crate) async fn send_test_notification(
    State(shared): State<Arc<Shared>>,
    Path(channel): Path<String>,
) -> Response {
    let configured: Vec<&str> = shared.channels.iter().map(|(name, _)| *name).collect();
    let Some((name, notifier)) = shared.channels.iter().find(|(name, _)| *name == channel) else {
        let error = if configured.is_empty() {
            format!(
                "no notification channel {channel:?}: none is configured (VICTOR_ALERT_WEBHOOK_URL, \
                 VICTOR_ALERT_SLACK_WEBHOOK_URL, VICTOR_ALERT_SMTP_HOST or VICTOR_ALERTMANAGER_URL)"
            )
        } else {
            format!(
                "no notification channel {channel:?}; configured: {}",
                configured.join(", ")
            )
        };
        let body = serde_json::json!({ "error": error, "channels": configured });
        return (StatusCode::NOT_FOUND, axum::Json(body)).into_response();
    };
    let source = format!("victor-exporter at {}", shared.external_url);
    let notification = Notification::test(name, &source);
    let started = std::time::Instant::now();
    let outcome =
        tokio::time::timeout(TEST_NOTIFICATION_TIMEOUT, notifier.send(&notification)).await;
    let elapsed = started.elapsed().as_secs_f64();
    let (status, error) = match outcome {
        Ok(Ok(())) => {
            tracing::info!(
                channel = name,
                kind = notifier.kind(),
                "test notification delivered"
            );
            (StatusCode::OK, None)
        }
        Ok(Err(err)) => (StatusCode::BAD_GATEWAY, Some(err.to_string())),
        Err(_) => (
            StatusCode::GATEWAY_TIMEOUT,
            Some(format!("no answer within {TEST_NOTIFICATION_TIMEOUT:?}")),
        ),
    };
    if let Some(error) = &error {
        tracing::warn!(channel = name, kind = notifier.kind(), %error, "test notification failed");
    }
    let body = serde_json::json!({
        "channel": name,
        "kind": notifier.kind(),
        "delivered": error.is_none(),
        "duration_seconds": elapsed,
        "error": error,
    });
    (status, axum::Json(body)).into_response()
}
