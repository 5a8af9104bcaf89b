//! The monitoring middleware: a tower layer that, for every request, continues the caller's
//! trace, opens a server span, and records the catalog's request metrics.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Instant;

use axum::extract::MatchedPath;
use http::{Request, Response};
use opentelemetry::Context;
use pin_project_lite::pin_project;
use tower::{Layer, Service};
use victor_metrics_core::exemplar::{self, TraceId};
use victor_metrics_core::{InFlight, VictorMetrics};

use crate::{AgentSpan, SpanTracer};

/// The endpoint label of requests no route matched (404s, probes of random paths): one label,
/// so scanners cannot blow up the series count.
pub const UNMATCHED_ENDPOINT: &str = "unmatched";

/// Wraps a service so every request is measured and traced:
///
/// - the W3C `traceparent`/`baggage` of the request become the parent of a server span named
///   `{method} {route}` (`http.request.method`, `http.route`, `url.path`,
///   `http.response.status_code`), which is the current OpenTelemetry context while the handler
///   runs (so `tracing` spans and [`crate::spans()`] helpers there nest under it); with tracing
///   off, the caller's context is current instead, so logs and outbound calls still carry it;
/// - `victor_requests_total`, `victor_request_duration_seconds`, `victor_request_errors_total`
///   (5xx, or a failed service) and `victor_active_requests` are recorded with `endpoint` set to
///   the route template (`/health/{probe}`), never the raw path, so cardinality stays bounded.
///
/// On an axum `Router`, add it with `Router::layer` after the routes; the template comes from
/// axum's `MatchedPath`. On a plain hyper or tower service, give the templates with
/// [`MonitoringLayer::route_with`]. Duration runs until the service returns the response
/// (headers and a buffered body); the time to stream a body is not included.
///
/// ```
/// use axum::{Router, routing::get};
/// use victor_metrics_core::VictorMetrics;
/// use victor_tracing::MonitoringLayer;
///
/// let app: Router = Router::new()
///     .route("/chat/{session}", get(|| async { "hi" }))
///     .layer(MonitoringLayer::new(VictorMetrics::new()));
/// ```
#[derive(Clone, Debug)]
pub struct MonitoringLayer {
    metrics: VictorMetrics,
    traffic: Traffic,
    route: Option<fn(&http::Uri) -> &'static str>,
    spans: Option<SpanTracer>,
}

/// Whose requests a layer measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Traffic {
    /// The agent's API: `victor_requests_total` and friends, which the agent's alerts watch.
    Agent,
    /// The exporter's own routes: `victor_exporter_requests_total` and friends.
    Exporter,
}

impl MonitoringLayer {
    /// A layer measuring an agent's API into `metrics`' request family.
    pub fn new(metrics: VictorMetrics) -> Self {
        MonitoringLayer {
            metrics,
            traffic: Traffic::Agent,
            route: None,
            spans: None,
        }
    }

    /// A layer measuring the exporter's own routes into `metrics`' exporter family, apart from
    /// the agent's requests: a failed test notification or a probe's 503 never reads as the
    /// agent failing.
    pub fn exporter(metrics: VictorMetrics) -> Self {
        MonitoringLayer {
            traffic: Traffic::Exporter,
            ..MonitoringLayer::new(metrics)
        }
    }

    /// Opens server spans with this tracer instead of the installed one ([`crate::spans()`]),
    /// for a pipeline built with [`crate::Telemetry::new`].
    pub fn with_spans(mut self, spans: SpanTracer) -> Self {
        self.spans = Some(spans);
        self
    }

    /// Names the route template of a request when axum's `MatchedPath` is absent (plain hyper
    /// services). The `'static` return keeps the set of endpoint labels bounded.
    pub fn route_with(mut self, route: fn(&http::Uri) -> &'static str) -> Self {
        self.route = Some(route);
        self
    }
}

impl<S> Layer<S> for MonitoringLayer {
    type Service = MonitoringService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        MonitoringService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`MonitoringLayer`] wraps around another.
#[derive(Clone, Debug)]
pub struct MonitoringService<S> {
    inner: S,
    layer: MonitoringLayer,
}

impl<S, B, R> Service<Request<B>> for MonitoringService<S>
where
    S: Service<Request<B>, Response = Response<R>>,
{
    type Response = Response<R>;
    type Error = S::Error;
    type Future = MonitoredFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let start = Instant::now();
        let endpoint: Cow<'static, str> = match request.extensions().get::<MatchedPath>() {
            Some(matched) => Cow::Owned(matched.as_str().to_owned()),
            None => Cow::Borrowed(
                self.layer
                    .route
                    .map_or(UNMATCHED_ENDPOINT, |route| route(request.uri())),
            ),
        };
        let method = request.method().clone();
        let parent = crate::propagation::extract(request.headers());
        let spans = match &self.layer.spans {
            Some(spans) => spans.clone(),
            None => crate::spans(),
        };
        let span = spans.server(&parent, &method, &endpoint, request.uri().path());
        // The server span (or, with tracing off, the caller's context) is current while the
        // handler runs: its spans nest under it, its logs carry the trace id, and its outbound
        // calls propagate it.
        let cx = span.context_under(&parent);
        let metrics = &self.layer.metrics;
        let in_flight = match self.layer.traffic {
            Traffic::Agent => metrics.requests().track_request(&endpoint, method.as_str()),
            Traffic::Exporter => metrics.exporter().track_request(&endpoint, method.as_str()),
        };
        let inner = {
            let _current = cx.clone().attach();
            self.inner.call(request)
        };
        MonitoredFuture {
            inner,
            record: Some(Completion {
                trace_id: crate::telemetry::sampled_trace_id(&cx),
                metrics: self.layer.metrics.clone(),
                traffic: self.layer.traffic,
                endpoint,
                method,
                start,
                span,
                recorded: false,
                _in_flight: in_flight,
            }),
            cx,
        }
    }
}

/// The status recorded for a request whose client went away before the answer (nginx's 499): a
/// client-side outcome, so not an error of the service.
pub const CLIENT_CLOSED_STATUS: u16 = 499;

/// What is recorded when the response is ready, or with status 499 when the request is dropped
/// before that.
struct Completion {
    /// The request's trace when sampled: the exemplar of its duration.
    trace_id: Option<TraceId>,
    metrics: VictorMetrics,
    traffic: Traffic,
    endpoint: Cow<'static, str>,
    method: http::Method,
    start: Instant,
    span: AgentSpan,
    recorded: bool,
    _in_flight: InFlight,
}

impl Completion {
    fn record(&mut self, status: u16, error_type: Option<&str>) {
        self.recorded = true;
        self.span.record_response(status);
        if let Some(error_type) = error_type {
            self.span.record_error(error_type);
        }
        let request = victor_metrics_core::Request {
            endpoint: &self.endpoint,
            method: self.method.as_str(),
            status,
            duration: self.start.elapsed(),
            error_type,
        };
        exemplar::with_trace_id(self.trace_id, || match self.traffic {
            Traffic::Agent => self.metrics.requests().record_request(&request),
            Traffic::Exporter => self.metrics.exporter().record_request(&request),
        });
    }
}

impl Drop for Completion {
    fn drop(&mut self) {
        if !self.recorded {
            self.record(CLIENT_CLOSED_STATUS, None);
        }
    }
}

pin_project! {
    /// The response future of [`MonitoringService`].
    pub struct MonitoredFuture<F> {
        #[pin]
        inner: F,
        record: Option<Completion>,
        cx: Context,
    }
}

impl<F, R, E> Future for MonitoredFuture<F>
where
    F: Future<Output = Result<Response<R>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _current = this.cx.clone().attach();
        let output = std::task::ready!(this.inner.poll(cx));
        if let Some(mut completion) = this.record.take() {
            match &output {
                Ok(response) => completion.record(response.status().as_u16(), None),
                Err(_) => completion.record(500, Some("service_error")),
            }
        }
        Poll::Ready(output)
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::extract::Path;
    use axum::routing::get;
    use http::StatusCode;
    use tower::ServiceExt as _;
    use victor_metrics_core::exposition::ExpositionBuilder;

    use super::*;

    async fn item(Path(id): Path<u32>) -> StatusCode {
        if id == 0 {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::OK
        }
    }

    /// The value of the series written exactly as `series` (labels in catalog order).
    fn value(text: &str, series: &str) -> f64 {
        victor_test_support::series_value(text, series)
            .unwrap_or_else(|| panic!("no {series} in\n{text}"))
    }

    /// Sends each request through a router with the monitoring layer, checks the status when
    /// one is expected, and returns the exposition after a refresh.
    fn served(requests: Vec<(Request<Body>, Option<u16>)>) -> String {
        let (recorder, exposition) = ExpositionBuilder::new().build().expect("catalog buckets");
        let metrics = VictorMetrics::new();
        let app = Router::new()
            .route("/items/{id}", get(item))
            .layer(MonitoringLayer::new(metrics.clone()));
        metrics::with_local_recorder(&recorder, || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                for (request, expected) in requests {
                    let sent = format!("{} {}", request.method(), request.uri());
                    let response = app.clone().oneshot(request).await.expect("infallible");
                    if let Some(status) = expected {
                        assert_eq!(response.status().as_u16(), status, "{sent}");
                    }
                }
            });
            metrics.refresh();
            exposition.render()
        })
    }

    #[test]
    fn a_flood_of_made_up_methods_mints_no_series() {
        let requests = (0..300)
            .map(|n| {
                let method = match n % 4 {
                    0 => format!("X{}", fastrand::u64(..)),
                    1 => "get".to_owned(),
                    2 => "GET".to_owned(),
                    _ => "PATCH".to_owned(),
                };
                let request = Request::builder()
                    .method(method.as_str())
                    .uri(format!("/items/{n}"))
                    .body(Body::empty())
                    .expect("request");
                (request, None)
            })
            .collect();
        let text = served(requests);
        let standard = [
            "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
            "_OTHER",
        ];
        let mut methods: Vec<&str> = text
            .lines()
            .filter(|line| line.starts_with("victor_request"))
            .filter_map(|line| line.split("method=\"").nth(1)?.split('"').next())
            .collect();
        methods.sort_unstable();
        methods.dedup();
        assert_eq!(methods, ["GET", "PATCH", "_OTHER"], "{text}");
        assert!(methods.iter().all(|method| standard.contains(method)));
    }

    #[test]
    fn request_metrics_match_the_requests_made() {
        let requests = [
            ("GET", "/items/1", 200),
            ("GET", "/items/2", 200),
            ("GET", "/items/0", 500),
            ("GET", "/items/x", 400),
            ("POST", "/items/1", 405),
            ("GET", "/nowhere/7", 404),
            ("GET", "/nowhere/8", 404),
        ]
        .into_iter()
        .map(|(method, uri, status)| {
            let request = Request::builder()
                .method(method)
                .uri(uri)
                .header("traceparent", "not a traceparent")
                .body(Body::empty())
                .expect("request");
            (request, Some(status))
        })
        .collect();
        let text = served(requests);
        let total = |endpoint: &str, method: &str, status: u16| {
            value(
                &text,
                &format!(
                    "victor_requests_total{{endpoint=\"{endpoint}\",method=\"{method}\",status=\"{status}\"}}"
                ),
            )
        };
        assert_eq!(total("/items/{id}", "GET", 200), 2.0);
        assert_eq!(total("/items/{id}", "GET", 500), 1.0);
        assert_eq!(total("/items/{id}", "GET", 400), 1.0);
        assert_eq!(total("/items/{id}", "POST", 405), 1.0);
        assert_eq!(total(UNMATCHED_ENDPOINT, "GET", 404), 2.0);
        assert_eq!(
            value(
                &text,
                "victor_request_errors_total{endpoint=\"/items/{id}\",method=\"GET\",status=\"500\",error_type=\"server_error\"}"
            ),
            1.0
        );
        assert!(
            !text.contains(
                "victor_request_errors_total{endpoint=\"/items/{id}\",method=\"GET\",status=\"400\""
            ),
            "4xx are the client's, not errors"
        );
        assert_eq!(
            value(
                &text,
                "victor_request_duration_seconds_count{endpoint=\"/items/{id}\",method=\"GET\",status=\"200\"}"
            ),
            2.0
        );
        assert_eq!(
            value(
                &text,
                "victor_active_requests{endpoint=\"/items/{id}\",method=\"GET\"}"
            ),
            0.0
        );
        assert!(!text.contains("/nowhere"), "raw paths never become labels");
    }

    #[test]
    fn a_dropped_request_counts_as_client_closed() {
        let (recorder, exposition) = ExpositionBuilder::new().build().expect("catalog buckets");
        let metrics = VictorMetrics::new();
        let slow = Router::new()
            .route("/slow", get(std::future::pending::<&'static str>))
            .layer(MonitoringLayer::new(metrics.clone()));
        let text = metrics::with_local_recorder(&recorder, || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let request = Request::get("/slow").body(Body::empty()).expect("request");
                let call = slow.oneshot(request);
                let timed_out = tokio::time::timeout(std::time::Duration::from_millis(10), call);
                assert!(timed_out.await.is_err(), "the handler never answers");
            });
            metrics.refresh();
            exposition.render()
        });
        assert_eq!(
            value(
                &text,
                "victor_requests_total{endpoint=\"/slow\",method=\"GET\",status=\"499\"}"
            ),
            1.0
        );
        assert_eq!(
            value(
                &text,
                "victor_active_requests{endpoint=\"/slow\",method=\"GET\"}"
            ),
            0.0
        );
    }
}
