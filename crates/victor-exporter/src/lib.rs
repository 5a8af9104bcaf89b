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
//! | `GET /api/performance/{component}` | a registered [`Component`]'s JSON view: `summary` (the agent's totals, rates and percentiles, the health score and the system figures), `system`, `tools`, `providers`, `cache`, `bootstrap`, `requests`, `health`, `alerts`, `tracing`, and a service's own |
//! | `GET /api/performance/prometheus` | the same text as `/metrics` |
//! | `POST /api/events` | events from agents (JSON array or NDJSON), applied to the metrics: `{"accepted", "rejected", "errors"}` ([`events`]) |
//! | `POST /api/alerts/test/{channel}` | sends one test notification through a configured channel now: `{"channel", "kind", "delivered", "duration_seconds"}`, 502/504 with `"error"` when it fails |
//!
//! The `POST` routes change state: the router puts them behind one guard ([`routes`]). With
//! `VICTOR_API_TOKEN` set they need `Authorization: Bearer <token>`; without one they are open
//! on loopback and refused (403) beyond it.
//!
//! The probe routes take `?exclude=NAME` (repeatable) to leave checks out and `?verbose` for
//! kube-apiserver style text (`[+]disk ok: …`). Naming a check the probe lacks is a 404 (in the
//! path) or 400 (in `exclude`), so a typo in a probe definition fails loudly.
//!
//! Every route goes through [`MonitoringLayer::exporter`]: its own requests are counted in the
//! exporter's family (`victor_exporter_requests_total`, `…_request_duration_seconds`,
//! `…_active_requests`) with `endpoint` set to the route template, and traced (continuing a
//! caller's W3C `traceparent`) when span export is configured. They never reach the agent's
//! request metrics, so no agent alert, summary or ratio gauge sees a scrape, a probe's 503 or a
//! failed test notification.
//!
//! The alert engine evaluates [`victor_alerting::default_rules`] over the same text `/metrics`
//! serves, every `alerting.eval_interval`, and delivers notifications to the channels the
//! configuration names ([`alerting`]).
//!
//! The health score ([`performance`]) is recomputed before every render.
//!
//! The exporter installs the process-wide `metrics` recorder, so there is one [`Exporter`] per
//! process. It composes [`Component`]s through the trait alone: the recording families, the
//! health checker, the alert engine, the span pipeline, the health score, and whatever a
//! service adds with [`Exporter::component`]. Each is refreshed before every render and serves
//! its view at `/api/performance/{name}`.
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
pub use victor_config as config;
pub mod events;
pub mod performance;
pub mod routes;
mod server;
pub mod simulate;
mod slos;
pub mod status_page;
pub mod system;
pub mod web_config;

use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use tokio::net::TcpListener;
use victor_alerting::{Engine, Notifier};
use victor_health::{HealthChecker, Probe, builtin};
use victor_metrics_core::exposition::{Exposition, ExpositionBuilder};
use victor_metrics_core::prices::PriceTable;
use victor_metrics_core::render::Format;
use victor_metrics_core::{Component, ComponentError, Components, VictorMetrics};
use victor_tracing::{MonitoringLayer, SpanPipeline};

pub use crate::background::BackgroundExporter;
use crate::config::Config;
use crate::simulate::Simulator;

/// How long in-flight requests may take to finish once shutdown begins.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a stopping exporter waits for blocking calls still running (a health check or a
/// host call that never returns) before it exits without them: a stop takes at most
/// `health.shutdown_delay` + [`DRAIN_TIMEOUT`] + this.
pub const ABANDON_TIMEOUT: Duration = Duration::from_secs(2);

/// Shuts `runtime` down, waiting at most [`ABANDON_TIMEOUT`] for its blocking calls; `false`
/// (and an error log) when some never returned and were abandoned, which `victor-exporter`
/// reports with exit code 3.
///
/// `Runtime::drop` would wait for them for ever: a `statfs` on a hung mount would keep a
/// stopped exporter from exiting.
pub fn stop_runtime(runtime: tokio::runtime::Runtime) -> bool {
    let started = std::time::Instant::now();
    runtime.shutdown_timeout(ABANDON_TIMEOUT);
    let clean = started.elapsed() < ABANDON_TIMEOUT;
    if !clean {
        tracing::error!(
            "blocking calls (a health check or host call) still running {ABANDON_TIMEOUT:?} \
             after the server stopped; exiting without them"
        );
    }
    clean
}

/// The exporter: configuration, the recording state and what serves it.
pub struct Exporter {
    config: Config,
    metrics: VictorMetrics,
    /// The span export path, for [`victor_tracing::Telemetry::install`].
    spans: SpanPipeline,
    shared: Arc<Shared>,
    /// Notification channels, started by `serve` (their workers need the runtime).
    channels: Vec<(&'static str, Arc<dyn Notifier>)>,
    /// Where the system figures come from, sampled by `serve` on a thread of its own.
    host: Box<dyn system::HostSource>,
    /// TLS for every connection, from the web configuration file.
    tls: Option<Arc<rustls::ServerConfig>>,
    /// The samples behind the status page's charts (also the `history` component).
    history: status_page::History,
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exporter")
            .field("config", &self.config)
            .field("components", &*self.shared.components())
            .finish_non_exhaustive()
    }
}

/// What request handlers share.
struct Shared {
    exposition: Option<Exposition>,
    health: HealthChecker,
    /// Everything refreshed before a render and served at `/api/performance/{name}`.
    components: RwLock<Components>,
    /// The alert engine; `None` when alerting or metrics are disabled.
    alerts: Option<Arc<Engine>>,
    /// Applies `POST /api/events`.
    events: events::Ingestor,
    /// The largest `POST /api/events` body.
    events_max_body_bytes: usize,
    /// Open client connections, kept by the accept loop.
    connections: Arc<std::sync::atomic::AtomicU64>,
    /// Who may call the routes that change state.
    access: access::Access,
    /// The notification channels, by name, for test notifications.
    channels: Vec<(&'static str, Arc<dyn Notifier>)>,
    /// Where people reach the exporter ([`Config::external_url`]), named in test notifications.
    external_url: String,
    /// Where the exporter's own figures go (kind conflicts).
    metrics: VictorMetrics,
    /// Users and password hashes every route requires, from the web configuration file.
    basic_auth: Option<Arc<web_config::BasicAuth>>,
}

impl Shared {
    fn components(&self) -> RwLockReadGuard<'_, Components> {
        self.components
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

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
                    .toolkit()
                    .record_kind_conflicts(&conflict.metric, conflict.count);
            }
        }
        self.components().refresh();
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
    /// publishes `victor_build_info`, builds the health checker with its built-in checks
    /// (liveness: process; readiness: memory and disk; start-up: the metrics recorder, when
    /// metrics are enabled), and registers the built-in components.
    ///
    /// # Errors
    /// When a recorder is installed in this process already.
    pub fn new(config: Config) -> anyhow::Result<Exporter> {
        let prices =
            (config.prices.iter().cloned()).fold(PriceTable::builtin(), PriceTable::with_override);
        let metrics = VictorMetrics::builder()
            .cardinality_limit(config.cardinality_limit)
            .window(config.window)
            .prices(prices)
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
        metrics.toolkit().set_build_info(env!("CARGO_PKG_VERSION"));
        let spans = victor_tracing::register_metrics(&metrics);
        let health = health_checker(&config, &metrics)?;
        let external_url = config.external_url();
        let generator_url = format!("{external_url}/api/alerts");
        let channels = alerting::channels(&config.alerting, &generator_url)?;
        let channel_names: Vec<&str> = channels.iter().map(|(name, _)| *name).collect();
        let rules = alerting::effective_rules(&config.alerting, &channel_names)
            .context("invalid alerting configuration")?;
        let slo_rules = alerting::slo_rules(&config.slos, &config.alerting)
            .context("invalid SLO configuration")?;
        let alert_labels = alert_labels(&config, &external_url);
        let slo_labels = alerting::slo_alert_labels(&alert_labels);
        let alerts = if config.alerting.enabled && config.metrics_enabled {
            let engine = Arc::new(Engine::new(metrics.clone()));
            engine
                .add_rules(
                    rules
                        .into_iter()
                        .map(|rule| rule.with_labels(&alert_labels))
                        .chain(
                            slo_rules
                                .into_iter()
                                .map(|rule| rule.with_labels(&slo_labels)),
                        ),
                )
                .context("cannot load the alert rules")?;
            Some(engine)
        } else {
            None
        };
        // The families first: their refresh computes the window figures the score reads.
        let mut components = Components::new();
        metrics.register_families(&mut components)?;
        components.register(health.clone())?;
        if let Some(engine) = &alerts {
            components.register(Arc::clone(engine))?;
            components.register(slos::Slos::new(config.slos.clone(), Arc::clone(engine)))?;
        }
        components.register(spans.clone())?;
        components.register(performance::Performance::new(
            metrics.clone(),
            !config.simulate,
        ))?;
        let history = status_page::History::default();
        components.register(history.clone())?;
        let events = events::Ingestor::new(metrics.clone());
        let connections = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let host = Box::new(system::SysinfoHost::new(
            config.health.disk_path.clone(),
            Arc::clone(&connections),
        ));
        let access = access::Access::new(config.api_token.as_ref(), config.listen);
        let events_max_body_bytes = config.events_max_body_bytes;
        let web = match &config.web_config_file {
            Some(path) => web_config::WebConfig::load(path)?,
            None => web_config::WebConfig::default(),
        };
        Ok(Exporter {
            config,
            metrics: metrics.clone(),
            spans,
            shared: Arc::new(Shared {
                exposition,
                health,
                components: RwLock::new(components),
                alerts,
                events,
                events_max_body_bytes,
                connections,
                access,
                channels: channels.clone(),
                external_url,
                metrics,
                basic_auth: web.basic_auth,
            }),
            channels,
            host,
            tls: web.tls,
            history,
        })
    }

    /// Adds a service's own component: refreshed before every render, after the built-in
    /// ones, and served at `/api/performance/{name}`. `examples/own_component.rs` shows one.
    ///
    /// # Errors
    /// When a registered component has its name or owns one of its catalog metrics.
    pub fn component(self, component: impl Component) -> Result<Exporter, ComponentError> {
        self.shared
            .components
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .register(component)?;
        Ok(self)
    }

    /// Replaces where the system figures come from (this process and host, through `sysinfo`,
    /// by default). The source runs on a thread of its own: a call that blocks, even for ever,
    /// leaves `/metrics` answering with the last figures and `victor_system_sample_age_seconds`
    /// growing.
    #[must_use]
    pub fn host_source(mut self, source: impl system::HostSource) -> Exporter {
        self.host = Box::new(source);
        self
    }

    /// The registered components, in refresh order.
    pub fn components(&self) -> Components {
        self.shared.components().clone()
    }

    /// The recording API, for in-process instrumentation and tests.
    pub fn metrics(&self) -> &VictorMetrics {
        &self.metrics
    }

    /// The span export path: pass it to [`victor_tracing::Telemetry::install`] so the
    /// registered `tracing` component shows the spans exported.
    pub fn span_pipeline(&self) -> &SpanPipeline {
        &self.spans
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
        routes::router(&self.shared)
            // Last, so it wraps every route: request metrics by route template, server spans.
            // Into the exporter's own family: its traffic is never the agent's.
            .layer(MonitoringLayer::exporter(self.metrics.clone()))
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
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        if self.shared.basic_auth.is_some() {
            tracing::info!("every route requires a user and password (basic_auth_users)");
        }
        if self.config.metrics_enabled {
            tracing::info!("serving Prometheus metrics on {scheme}://{local}/metrics");
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
        let history = tokio::spawn(status_page::sample_history(
            Arc::clone(&self.shared),
            self.history.clone(),
        ));
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
                    "readiness answers 503; draining in {delay:?} (health.shutdown_delay)"
                );
                tokio::time::sleep(delay).await;
            }
        };
        // The simulation records its own system figures (to show the resource alerts working).
        let router = self.router();
        let sampling = match (self.config.metrics_enabled, self.config.simulate) {
            (true, false) => Some(
                system::start_sampling(self.host, self.metrics.clone(), system::DEFAULT_INTERVAL)
                    .context("cannot start the system sampler thread")?,
            ),
            (true, true) => Some(
                system::start_process_family(system::DEFAULT_INTERVAL)
                    .context("cannot start the process sampler thread")?,
            ),
            (false, _) => None,
        };
        server::serve_connections(
            listener,
            router,
            server::Transport {
                header_read_timeout: self.config.header_read_timeout,
                tls: self.tls.clone().map(tokio_rustls::TlsAcceptor::from),
            },
            Arc::clone(&self.shared.connections),
            server::ConnectionLimit::new(self.config.max_connections),
            self.metrics.clone(),
            shutdown,
        )
        .await;
        drop(sampling);
        history.abort();
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
        let interval = self.config.alerting.eval_interval;
        let rules = engine.rules().len();
        let fleet = self.config.alerting.mode == config::AlertingMode::Fleet;
        // In fleet mode Prometheus' rules notify: the engine's alerts are listed, never sent.
        let notified = if fleet {
            Vec::new()
        } else {
            self.channels.clone()
        };
        let dispatcher = Arc::new(alerting::dispatcher(notified, &self.metrics)?);
        if fleet {
            tracing::info!(
                "alerting: fleet mode (alerting.mode, VICTOR_ALERTING_MODE): {rules} rules evaluated \
                 every {interval:?} and listed at /api/alerts; Prometheus' rule files notify, so \
                 this exporter sends no alert (test notifications still go out)"
            );
        } else if self.channels.is_empty() {
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

/// The labels every engine alert carries: the configured ones, then `job="victor"` (the scrape
/// job the shipped Prometheus configurations use) and `instance` (the external URL's host and
/// port, as Prometheus names a target) when not configured.
fn alert_labels(config: &Config, external_url: &str) -> std::collections::BTreeMap<String, String> {
    let mut labels = config.alerting.labels.clone();
    labels
        .entry("job".to_owned())
        .or_insert_with(|| "victor".to_owned());
    if !labels.contains_key("instance")
        && let Ok(url) = url::Url::parse(external_url)
        && let Some(host) = url.host_str()
    {
        let instance = match url.port_or_known_default() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        labels.insert("instance".to_owned(), instance);
    }
    labels
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
