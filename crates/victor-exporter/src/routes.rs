//! The exporter's routes, declared once: the router, the not-found answer and the docs read
//! them from [`ROUTES`]; each handler lives in the module named after its path.
//!
//! The routes that change state ([`Route::changes_state`]) sit behind one guard the router
//! applies: with `VICTOR_API_TOKEN` set they need `Authorization: Bearer <token>`; without one
//! they are open on loopback and refused (403) beyond it. No handler checks access itself.

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use tower_http::compression::CompressionLayer;

use crate::Shared;

mod alerts;
mod events;
mod health;
mod metrics;
mod performance;

pub use alerts::TEST_NOTIFICATION_TIMEOUT;

pub use victor_metrics_core::routes::*;

/// The handler of `route`.
fn handler(route: Route, shared: &Shared) -> MethodRouter<Arc<Shared>> {
    let compressed = || get(metrics::serve_metrics).layer(CompressionLayer::new().gzip(true));
    match route.path {
        STATUS_PAGE => get(crate::status_page::serve_status_page),
        METRICS | PROMETHEUS => compressed(),
        PROBE => get(health::serve_probe),
        PROBE_CHECK => get(health::serve_probe_check),
        ALERTS => get(alerts::serve_alerts),
        COMPONENT_VIEW => get(performance::serve_component_view),
        TEST_NOTIFICATION => post(alerts::send_test_notification),
        EVENTS => {
            post(events::ingest_events).layer(DefaultBodyLimit::max(shared.events_max_body_bytes))
        }
        other => unreachable!("{other} is in ROUTES without a handler"),
    }
}

/// The router over [`ROUTES`]; state-changing routes behind the access guard, everything behind
/// basic auth when the web configuration has users.
pub(crate) fn router(shared: &Arc<Shared>) -> Router {
    let mut reads = Router::new();
    let mut writes = Router::new();
    for route in ROUTES {
        if route.changes_state() {
            writes = writes.route(route.path, handler(route, shared));
        } else {
            reads = reads.route(route.path, handler(route, shared));
        }
    }
    let writes = writes.route_layer(from_fn_with_state(Arc::clone(shared), require_access));
    reads
        .merge(writes)
        .fallback(not_found)
        .layer(from_fn_with_state(
            Arc::clone(shared),
            crate::web_config::require_basic_auth,
        ))
        .with_state(Arc::clone(shared))
}

/// Refuses a state-changing request that lacks the access [`crate::access::Access`] demands.
async fn require_access(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    match shared.access.check(request.headers()) {
        Ok(()) => next.run(request).await,
        Err(refused) => refused,
    }
}

/// Names every route, so a mistyped path says what exists.
async fn not_found() -> impl IntoResponse {
    let routes: Vec<String> = ROUTES
        .iter()
        .map(|route| format!("{} {}", route.method, route.path))
        .collect();
    (
        StatusCode::NOT_FOUND,
        format!("not found; the exporter serves {}\n", routes.join(", ")),
    )
}
