//! `GET /health/{probe}` and `GET /health/{probe}/{check}`.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use victor_health::{HealthChecker, HealthError, Probe, Selection};

use crate::Shared;

pub(crate) async fn serve_probe(
    State(shared): State<Arc<Shared>>,
    Path(probe): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    answer_probe(&shared.health, &probe, None, params).await
}

pub(crate) async fn serve_probe_check(
    State(shared): State<Arc<Shared>>,
    Path((probe, check)): Path<(String, String)>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    answer_probe(&shared.health, &probe, Some(check), params).await
}

/// Runs a probe for `/health/{probe}[/{check}]?exclude=…&verbose`.
async fn answer_probe(
    health: &HealthChecker,
    probe: &str,
    only: Option<String>,
    params: Vec<(String, String)>,
) -> Response {
    let probe: Probe = match probe.parse() {
        Ok(probe) => probe,
        Err(err) => return (StatusCode::NOT_FOUND, format!("{err}\n")).into_response(),
    };
    let mut selection = Selection {
        only,
        exclude: Vec::new(),
    };
    let mut verbose = false;
    for (key, value) in params {
        match key.as_str() {
            "exclude" => selection.exclude.push(value),
            "verbose" => verbose = true,
            other => {
                let message = format!(
                    "unknown query parameter {other:?}; expected exclude=NAME or verbose\n"
                );
                return (StatusCode::BAD_REQUEST, message).into_response();
            }
        }
    }
    let report = match health.probe_selected(probe, &selection).await {
        Ok(report) => report,
        Err(err) => {
            // A check named in the path is a resource that does not exist; one named in
            // `exclude` makes the request bad.
            let status = match &err {
                HealthError::UnknownCheck { name, .. } if selection.only.as_ref() == Some(name) => {
                    StatusCode::NOT_FOUND
                }
                _ => StatusCode::BAD_REQUEST,
            };
            return (status, format!("{err}\n")).into_response();
        }
    };
    let status = if report.is_healthy() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let no_store = (header::CACHE_CONTROL, "no-store");
    if verbose {
        (status, [no_store], report.to_verbose_text()).into_response()
    } else {
        (status, [no_store], axum::Json(report)).into_response()
    }
}
