//! `GET /api/performance/{component}`: a registered component's JSON view.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::Shared;

/// Refreshes every component (as a scrape would, so windows and the score are current) and
/// answers the view of the one named; 404 naming the views there are otherwise.
pub(crate) async fn serve_component_view(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
) -> Response {
    let answer = tokio::task::spawn_blocking(move || {
        shared.refresh();
        let components = shared.components();
        match components.view_json(&name) {
            Some(Ok(body)) => Ok(body),
            Some(Err(err)) => {
                tracing::error!(component = %name, error = %err, "cannot serialize a component's view");
                Err((
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("the {name} view cannot be serialized: {err}\n"),
                ))
            }
            None => Err((
                StatusCode::NOT_FOUND,
                format!(
                    "no performance view {name:?}; the views are prometheus, {}\n",
                    components.names_with_views().join(", ")
                ),
            )),
        }
    })
    .await;
    match answer {
        Ok(Ok(body)) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Ok(Err(refusal)) => refusal.into_response(),
        Err(err) => {
            tracing::error!(error = %err, "serving a component view failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "serving the view failed\n",
            )
                .into_response()
        }
    }
}
