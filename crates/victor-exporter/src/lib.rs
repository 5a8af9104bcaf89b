//! The Victor exporter: an HTTP server that serves a Victor deployment's metrics to Prometheus.
//!
//! # Routes
//!
//! | route | answer |
//! |---|---|
//! | `GET /metrics` | Prometheus text format 0.0.4; 404 when metrics are disabled |
//! | `GET /health/live`, `/health/ready`, `/health/startup` | the probe's JSON report; 200 healthy, 503 not |
//! | `GET /health/{probe}/{check}` | one check of a probe, same JSON and codes |
//! | `GET /api/alerts` | pending and firing alerts as JSON: `{"alerts": [...]}` |
//! | `GET /api/performance/summary` | the agent's totals, rates and percentiles, and the system figures (JSON) |
//! | `GET /api/performance/system` | the last process and host sample ([`system`]) |
//! | `GET /api/performance/tools`, `/providers`, `/cache`, `/bootstrap` | per tool, provider, cache and tool-selection namespace since start; start-up phases (JSON) |
//! | `GET /api/performance/prometheus` | the same text as `/metrics` |
//! | `POST /api/events` | events from agents (JSON array or NDJSON), applied to the metrics: `{"accepted", "rejected", "errors"}` ([`events`]) |
//! | `POST /api/alerts/test/{channel}` | sends one test notification through a configured channel now: `{"channel", "kind", "delivered", "duration_seconds"}`, 502/504 with `"error"` when it fails |
//!
//! The `POST` routes change state: with `VICTOR_API_TOKEN` set they need
//! `Authorization: Bearer <token>`; without one they are open on loopback and refused (403)
//! beyond it.
//!
//! The probe routes take `?exclude=NAME` (repeatable) to leave checks out and `?verbose` for
//! kube-apiserver style text (`[+]disk ok: …`). Naming a check the probe lacks is a 404 (in the
//! path) or 400 (in `exclude`), so a typo in a probe definition fails loudly.
//!
//! Every route goes through [`MonitoringLayer`]: its own requests are counted in
//! `victor_requests_total` and friends with `endpoint` set to the route template, and traced
//! (continuing a caller's W3C `traceparent`) when span export is configured. They are kept out
//! of the agent's JSON summary and sliding-window ratio gauges.
//!
//! The alert engine evaluates [`victor_alerting::default_rules`] over the same text `/metrics`
//! serves, every `alerting.eval_interval`, and delivers notifications to the channels the
//! configuration names ([`alerting`]).
//!
//! The health score ([`performance`]) is recomputed before every render.
//!
//! The exporter installs the process-wide `metrics` recorder, so there is one [`Exporter`] per
//! process. Components (anything implementing [`Component`]) are refreshed before every render.
//!
//! ```no_run
//! use victor_exporter::{config::Config, Exporter};
//!
//! # async fn run() -> anyhow::Result<()> {
//! let exporter = Exporter::new(Config::default())?;
//! let listener = exporter.bind().await?;
//! exporter.serve(listener, std::future::pending()).await?;
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

mod access;
pub mod alerting;
mod background;
pub mod config;
pub mod events;
pub mod performance;
pub mod simulate;
pub mod system;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use victor_alerting::{Engine, Notification, Notifier, default_rules};
use victor_health::{HealthChecker, HealthError, Probe, Selection, builtin};
use victor_metrics_core::exposition::{Exposition, ExpositionBuilder};
use victor_metrics_core::render::Format;
use victor_metrics_core::{Component, VictorMetrics, catalog};
use victor_tracing::MonitoringLayer;

pub use crate::background::BackgroundExporter;
use crate::config::Config;
use crate::simulate::Simulator;

/// How long in-flight requests may take to finish once shutdown begins.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The exporter: configuration, the recording state and what serves it.
pub struct Exporter {
    config: Config,
    metrics: VictorMetrics,
    /// Records the exporter's own requests. The same catalog series reach Prometheus (told apart
    /// by `endpoint`), but this state is never refreshed or summarised, so scrapes and probes
    /// stay out of the agent's summary and its ratio gauges (`victor_error_rate`): a probe's
    /// deliberate 503 during start-up must not read as the agent failing.
    own_requests: VictorMetrics,
    shared: Arc<Shared>,
    /// Notification channels, started by `serve` (their workers need the runtime).
    channels: Vec<(&'static str, Arc<dyn Notifier>)>,
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exporter")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// What request handlers share.
struct Shared {
    exposition: Option<Exposition>,
    health: HealthChecker,
    components: Vec<Box<dyn Component>>,
    /// The alert engine; `None` when alerting or metrics are disabled.
    alerts: Option<Arc<Engine>>,
    /// Applies `POST /api/events`.
    events: events::Ingestor,
    /// Process and host figures; also one of `components` (the `system` view).
    system: Arc<system::SystemSampler>,
    /// Open client connections, kept by the accept loop.
    connections: Arc<std::sync::atomic::AtomicU64>,
    /// The health score and the window figures it reads.
    performance: Arc<performance::Performance>,
    /// Who may call the routes that change state.
    access: access::Access,
    /// The notification channels, by name, for test notifications.
    channels: Vec<(&'static str, Arc<dyn Notifier>)>,
    /// The configured listen address, named in test notifications.
    listen: std::net::SocketAddr,
    /// Where the exporter's own figures go (kind conflicts).
    metrics: VictorMetrics,
}

impl Shared {
    /// Refreshes every component, so pull-style values are current. Kind conflicts the store
    /// found since the last refresh are logged (once per metric) and counted first, so the
    /// components' refresh publishes the count.
    fn refresh(&self) {
        if let Some(exposition) = &self.exposition {
            for conflict in exposition.store().take_kind_conflicts() {
                if !conflict.seen_before {
                    tracing::warn!(
                        metric = %conflict.metric,
                        "{} is a {} but was registered as a {}: those series are neither exposed \
                         nor alerted on (counted in victor_metrics_kind_conflicts_total)",
                        conflict.metric,
                        conflict.kind.as_str(),
                        conflict.attempted.as_str(),
                    );
                }
                self.metrics
                    .counter(&catalog::METRICS_KIND_CONFLICTS_TOTAL, [&conflict.metric])
                    .increment(conflict.count);
            }
        }
        for component in &self.components {
            component.refresh();
        }
    }

    /// Refreshes every component and renders the exposition in `format` (empty when metrics
    /// are disabled).
    fn render(&self, format: Format) -> String {
        self.refresh();
        self.exposition
            .as_ref()
            .map(|exposition| exposition.render_as(format))
            .unwrap_or_default()
    }
}

impl Exporter {
    /// Sets the exporter up: installs the metrics store (unless metrics are disabled),
    /// publishes `victor_build_info`, and builds the health checker with its built-in checks
    /// (liveness: process; readiness: memory and disk; start-up: the metrics recorder, when
    /// metrics are enabled).
    ///
    /// # Errors
    /// When a recorder is installed in this process already.
    pub fn new(config: Config) -> anyhow::Result<Exporter> {
        let metrics = VictorMetrics::builder()
            .cardinality_limit(config.cardinality_limit)
            .window(config.window)
            .build();
        let exposition = if config.metrics_enabled {
            Some(
                ExpositionBuilder::new()
                    .install()
                    .context("cannot install the metrics recorder")?,
            )
        } else {
            None
        };
        metrics.set_build_info(env!("CARGO_PKG_VERSION"));
        victor_tracing::register_metrics(&metrics);
        let health = health_checker(&config, &metrics)?;
        let mut components: Vec<Box<dyn Component>> =
            vec![Box::new(metrics.clone()), Box::new(health.clone())];
        let alerts = if config.alerting.enabled && config.metrics_enabled {
            let engine = Arc::new(Engine::new(metrics.clone()));
            engine
                .add_rules(default_rules())
                .context("cannot load the default alert rules")?;
            components.push(Box::new(Arc::clone(&engine)));
            Some(engine)
        } else {
            None
        };
        let generator_url = format!("http://{}/api/alerts", config.listen);
        let channels = config.alerting.channels(&generator_url)?;
        let own_requests = VictorMetrics::builder()
            .cardinality_limit(config.cardinality_limit)
            .build();
        let events = events::Ingestor::new(metrics.clone());
        let connections = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let system = Arc::new(system::SystemSampler::new(
            metrics.clone(),
            config.health.disk_path.clone(),
            Arc::clone(&connections),
        ));
        components.push(Box::new(Arc::clone(&system)));
        // After the recording state in `components`, whose refresh computes the window figures.
        let performance = Arc::new(performance::Performance::new(
            metrics.clone(),
            Arc::clone(&system),
            !config.simulate,
        ));
        components.push(Box::new(Arc::clone(&performance)));
        for view in performance::View::all(&metrics) {
            components.push(Box::new(view));
        }
        let access = access::Access::new(config.api_token.as_ref(), config.listen);
        let listen = config.listen;
        Ok(Exporter {
            config,
            metrics: metrics.clone(),
            own_requests,
            shared: Arc::new(Shared {
                exposition,
                health,
                components,
                alerts,
                events,
                system,
                connections,
                performance,
                access,
                channels: channels.clone(),
                listen,
                metrics,
            }),
            channels,
        })
    }

    /// The recording API, for in-process instrumentation and tests.
    pub fn metrics(&self) -> &VictorMetrics {
        &self.metrics
    }

    /// The health checker behind `/health/*`; add a service's own checks to it before serving.
    pub fn health(&self) -> &HealthChecker {
        &self.shared.health
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The routes, as an axum router (for in-process tests with `tower::ServiceExt::oneshot`).
    pub fn router(&self) -> Router {
        Router::new()
            .route(
                "/metrics",
                get(serve_metrics).layer(CompressionLayer::new().gzip(true)),
            )
            .route("/health/{probe}", get(serve_probe))
            .route("/health/{probe}/{check}", get(serve_probe_check))
            .route("/api/alerts", get(serve_alerts))
            .route("/api/alerts/test/{channel}", post(send_test_notification))
            .route("/api/performance/summary", get(serve_performance_summary))
            .route(
                "/api/performance/prometheus",
                get(serve_metrics).layer(CompressionLayer::new().gzip(true)),
            )
            .route("/api/performance/{view}", get(serve_performance_view))
            .route(
                "/api/events",
                post(ingest_events).layer(DefaultBodyLimit::max(self.config.events_max_body_bytes)),
            )
            .fallback(not_found)
            .with_state(Arc::clone(&self.shared))
            // Last, so it wraps every route: request metrics by route template, server spans.
            .layer(MonitoringLayer::new(self.own_requests.clone()))
    }

    /// Binds the configured listen address.
    ///
    /// # Errors
    /// One line naming the address and the OS error (for example "address already in use").
    pub async fn bind(&self) -> anyhow::Result<TcpListener> {
        let addr = self.config.listen;
        TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish (at most
    /// [`DRAIN_TIMEOUT`]). Runs the synthetic workload alongside when the configuration asks for it.
    ///
    /// # Errors
    /// When the bound address cannot be read. Accept errors are logged and retried.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> anyhow::Result<()> {
        let local = listener
            .local_addr()
            .context("cannot read the bound address")?;
        if self.config.metrics_enabled {
            tracing::info!("serving Prometheus metrics on http://{local}/metrics");
        } else {
            tracing::warn!(
                "listening on {local}; metrics are disabled (metrics_enabled = false or VICTOR_METRICS_ENABLED=false): \
                 /metrics answers 404 and nothing is recorded"
            );
        }
        let simulation = self.config.simulate.then(|| {
            tracing::info!(
                "simulating a Victor workload (--simulate): every catalog metric within one tick"
            );
            let mut simulator = Simulator::new(self.metrics.clone(), fastrand::u64(..));
            if let Some(rate) = self.config.simulate_error_rate {
                tracing::info!(
                    "simulated requests fail with a 5xx {:.0}% of the time (--simulate-error-rate)",
                    rate * 100.0
                );
                simulator = simulator.with_server_error_rate(rate);
            }
            // The first tick records every catalog metric: run it before serving the first scrape.
            simulator.tick();
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(simulate::TICK);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                loop {
                    ticks.tick().await;
                    simulator.tick();
                }
            })
        });
        let alerting = self.start_alerting()?;
        match &self.shared.access {
            access::Access::Refused(_) => tracing::warn!("{}", self.shared.access.describe()),
            access => tracing::info!("{}", access.describe()),
        }
        // Probe once at start: the log says at once whether the service is ready and why not,
        // and the health metrics exist before the first scrape.
        let health = self.shared.health.clone();
        tokio::spawn(async move {
            for probe in Probe::ALL {
                health.probe(probe).await;
            }
        });
        let health = self.shared.health.clone();
        let delay = self.config.health.shutdown_delay;
        let shutdown = async move {
            shutdown.await;
            health.begin_shutdown();
            if !delay.is_zero() {
                tracing::info!(
                    "readiness answers 503; draining in {delay:?} (health.shutdown_delay_seconds)"
                );
                tokio::time::sleep(delay).await;
            }
        };
        // The simulation records its own system figures (to show the resource alerts working).
        let sampling = (self.config.metrics_enabled && !self.config.simulate)
            .then(|| Arc::clone(&self.shared.system).spawn(system::DEFAULT_INTERVAL));
        serve_connections(
            listener,
            self.router(),
            self.config.header_read_timeout,
            Arc::clone(&self.shared.connections),
            shutdown,
        )
        .await;
        if let Some(sampling) = sampling {
            sampling.abort();
        }
        if let Some(simulation) = simulation {
            simulation.abort();
        }
        if let Some((evaluation, dispatcher)) = alerting {
            evaluation.abort();
            // The loop holds the other reference; it is dropped once the aborted task is.
            let _ = evaluation.await;
            if let Ok(dispatcher) = Arc::try_unwrap(dispatcher) {
                dispatcher.shutdown(DRAIN_TIMEOUT).await;
            }
        }
        tracing::info!("stopped");
        Ok(())
    }
}

impl Exporter {
    /// Starts the notification channels and the evaluation loop, when alerting is on.
    fn start_alerting(
        &self,
    ) -> anyhow::Result<
        Option<(
            tokio::task::JoinHandle<()>,
            Arc<victor_alerting::Dispatcher>,
        )>,
    > {
        let Some(engine) = &self.shared.alerts else {
            if self.config.alerting.enabled {
                tracing::warn!(
                    "alerting is off because metrics are disabled: the engine reads what they record"
                );
            }
            return Ok(None);
        };
        let dispatcher = Arc::new(alerting::dispatcher(self.channels.clone(), &self.metrics)?);
        let interval = self.config.alerting.eval_interval;
        let rules = engine.rules().len();
        if self.channels.is_empty() {
            tracing::info!(
                "alerting: {rules} rules evaluated every {interval:?}; no notification channel configured \
                 (VICTOR_ALERT_WEBHOOK_URL, VICTOR_ALERT_SLACK_WEBHOOK_URL, VICTOR_ALERT_SMTP_HOST or \
                 VICTOR_ALERTMANAGER_URL), so alerts are only listed at /api/alerts"
            );
        } else {
            let channels: Vec<String> = self
                .channels
                .iter()
                .map(|(name, notifier)| format!("{name} ({notifier:?})"))
                .collect();
            tracing::info!(
                "alerting: {rules} rules evaluated every {interval:?}, notifying {}",
                channels.join(", ")
            );
        }
        let Some(store) = self
            .shared
            .exposition
            .as_ref()
            .map(|exposition| exposition.store().clone())
        else {
            return Ok(None);
        };
        let shared = Arc::clone(&self.shared);
        let evaluation = tokio::spawn(alerting::evaluate_forever(
            Arc::clone(engine),
            Arc::clone(&dispatcher),
            interval,
            store,
            move || shared.refresh(),
        ));
        Ok(Some((evaluation, dispatcher)))
    }
}

/// Accepts connections until `shutdown`, then gives in-flight requests [`DRAIN_TIMEOUT`] to finish.
/// Each connection is HTTP/1.1 (what Prometheus scrapes with) and is closed when its client takes
/// longer than `header_read_timeout` to send a request's headers, so idle or slow clients cannot
/// pile up.
async fn serve_connections(
    listener: TcpListener,
    router: Router,
    header_read_timeout: Duration,
    connections: Arc<std::sync::atomic::AtomicU64>,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors, for one: back off instead of spinning.
                    tracing::warn!(error = %err, "cannot accept a connection; retrying in 100 ms");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(router.clone());
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        let open = OpenConnection::new(Arc::clone(&connections));
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%peer, error = %err, "connection closed with an error");
            }
            drop(open);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "connections still open {DRAIN_TIMEOUT:?} after shutdown began; closing them"
        );
    }
}

/// Counts one open connection while alive (`victor_active_connections`).
struct OpenConnection(Arc<std::sync::atomic::AtomicU64>);

impl OpenConnection {
    fn new(count: Arc<std::sync::atomic::AtomicU64>) -> Self {
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        OpenConnection(count)
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// `/metrics`: OpenMetrics (with exemplars) when the scraper's `Accept` asks for it, the
/// Prometheus text format otherwise; gzip comes from the route's compression layer.
async fn serve_metrics(
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

/// The health checker the exporter serves, with the built-in checks its configuration asks for.
fn health_checker(config: &Config, metrics: &VictorMetrics) -> anyhow::Result<HealthChecker> {
    let settings = &config.health;
    let health = HealthChecker::builder(env!("CARGO_PKG_VERSION"))
        .startup_timeout(settings.startup_timeout)
        .cache_ttl(settings.cache_ttl)
        .metrics(metrics.clone())
        .build();
    let mut checks = vec![
        (Probe::Liveness, builtin::process_alive()),
        (
            Probe::Readiness,
            builtin::memory_below(settings.memory_max_ratio),
        ),
        (
            Probe::Readiness,
            builtin::disk_free_above(&settings.disk_path, settings.disk_min_free_ratio),
        ),
    ];
    if config.metrics_enabled {
        checks.push((Probe::Startup, builtin::recorder_installed()));
    }
    for (probe, check) in checks {
        health
            .add(probe, check)
            .context("cannot add a built-in health check")?;
    }
    Ok(health)
}

async fn serve_probe(
    State(shared): State<Arc<Shared>>,
    Path(probe): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    answer_probe(&shared.health, &probe, None, params).await
}

async fn serve_probe_check(
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

async fn serve_alerts(State(shared): State<Arc<Shared>>) -> Response {
    let no_store = (header::CACHE_CONTROL, "no-store");
    match &shared.alerts {
        Some(engine) => (StatusCode::OK, [no_store], axum::Json(engine.json())).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "alerting is disabled (alerting.enabled = false, or metrics are disabled)\n",
        )
            .into_response(),
    }
}

/// `GET /api/performance/summary`: the agent summary and the last system sample.
async fn serve_performance_summary(State(shared): State<Arc<Shared>>) -> Response {
    let body = tokio::task::spawn_blocking(move || {
        // Bring the window figures and the score up to date, as a scrape would.
        for component in &shared.components {
            component.refresh();
        }
        let agent = shared
            .components
            .iter()
            .find(|component| component.name() == "agent")
            .map(|agent| agent.json());
        let performance = shared.performance.json();
        serde_json::json!({
            "health": performance["health"],
            "window": performance["window"],
            "agent": agent,
            "system": shared.system.json(),
        })
    })
    .await
    .unwrap_or_default();
    axum::Json(body).into_response()
}

/// The views `/api/performance/{view}` serves, each a registered [`Component`]'s JSON.
pub const PERFORMANCE_VIEWS: [&str; 5] = ["system", "tools", "providers", "cache", "bootstrap"];

/// `GET /api/performance/{view}`: one registered component's JSON view.
async fn serve_performance_view(
    State(shared): State<Arc<Shared>>,
    Path(view): Path<String>,
) -> Response {
    let component = PERFORMANCE_VIEWS
        .contains(&view.as_str())
        .then(|| shared.components.iter().find(|c| c.name() == view))
        .flatten();
    match component {
        Some(component) => axum::Json(component.json()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            format!(
                "no performance view {view:?}; the views are summary, prometheus, {}\n",
                PERFORMANCE_VIEWS.join(", ")
            ),
        )
            .into_response(),
    }
}

/// How long `POST /api/alerts/test/{channel}` waits for the channel (under a client's usual 10 s).
pub const TEST_NOTIFICATION_TIMEOUT: Duration = Duration::from_secs(8);

/// `POST /api/alerts/test/{channel}`: sends one test notification through `channel` now, once,
/// without the queue and its retries, and answers whether it was delivered.
async fn send_test_notification(
    State(shared): State<Arc<Shared>>,
    Path(channel): Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    if let Err(refused) = shared.access.check(&headers) {
        return refused;
    }
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
    let source = format!("victor-exporter on {}", shared.listen);
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

/// `POST /api/events`: applies the valid events, reports the rest ([`events`]).
async fn ingest_events(
    State(shared): State<Arc<Shared>>,
    headers: axum::http::HeaderMap,
    body: Result<axum::body::Bytes, BytesRejection>,
) -> Response {
    if let Err(refused) = shared.access.check(&headers) {
        return refused;
    }
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

async fn not_found() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        "not found; the exporter serves GET /metrics, /health/live, /health/ready, /health/startup, /api/alerts, /api/performance/{summary,system,tools,providers,cache,bootstrap,prometheus}, POST /api/events and POST /api/alerts/test/{channel}\n",
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::OpenConnection;

    #[test]
    fn open_connections_are_counted_while_their_guards_live() {
        let count = Arc::new(AtomicU64::new(0));
        let first = OpenConnection::new(Arc::clone(&count));
        let second = OpenConnection::new(Arc::clone(&count));
        assert_eq!(count.load(Ordering::Relaxed), 2);
        drop(first);
        assert_eq!(count.load(Ordering::Relaxed), 1);
        drop(second);
        assert_eq!(count.load(Ordering::Relaxed), 0);
    }
}
