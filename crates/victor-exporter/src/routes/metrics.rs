//! `GET /metrics` and `GET /api/performance/prometheus`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use victor_metrics_core::render::Format;

use crate::Shared;

/// `/metrics`: OpenMetrics (with exemplars) when the scraper's `Accept` asks for it, the
/// Prometheus text format otherwise; gzip comes from the route's compression layer.
pub(crate) async fn serve_metrics(
    State(shared): State<Arc<Shared>>,
    headers: axum::http::HeaderMap,
) -> Response {
    if shared.exposition.is_none() {
        return (
            StatusCode::NOT_FOUND,
            "metrics are disabled (metrics_enabled = false or VICTOR_METRICS_ENABLED=false)\n",
        )
            .into_response();
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok());
    let format = Format::negotiate(accept);
    // Refreshing and rendering are CPU work proportional to the series count: keep them off the
    // async workers.
    let rendered = tokio::task::spawn_blocking(move || shared.render(format)).await;
    match rendered {
        Ok(body) => ([(header::CONTENT_TYPE, format.content_type())], body).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "rendering /metrics failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "rendering metrics failed\n",
            )
                .into_response()
        }
    }
}
