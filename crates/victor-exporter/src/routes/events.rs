//! `POST /api/events`.

use std::sync::Arc;

use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::Shared;

/// `POST /api/events`: applies the valid events, reports the rest ([`events`]).
pub(crate) async fn ingest_events(
    State(shared): State<Arc<Shared>>,
    body: Result<axum::body::Bytes, BytesRejection>,
) -> Response {
    if shared.exposition.is_none() {
        return (
            StatusCode::NOT_FOUND,
            "metrics are disabled (metrics_enabled = false): events would be dropped\n",
        )
            .into_response();
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                shared.events.count_too_large();
            }
            return (rejection.status(), format!("{}\n", rejection.body_text())).into_response();
        }
    };
    match shared.events.ingest(&body) {
        Ok(report) => axum::Json(report).into_response(),
        Err(err) => (
            StatusCode::BAD_REQUEST,
            format!(
                "the body starts as a JSON array but is not one ({err}); nothing was applied\n"
            ),
        )
            .into_response(),
    }
}
