//! The pipeline: an OpenTelemetry tracer provider exporting over OTLP/HTTP from a background
//! thread, the `tracing` subscriber (logs plus the OpenTelemetry layer), and their shutdown.

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use metrics::{Counter, Gauge};
use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
#[cfg(feature = "otlp")]
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider, Span, SpanData, SpanExporter,
    SpanProcessor,
};
use serde::Serialize;
use thiserror::Error;
use tracing::Dispatch;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::{Layer, Registry};
use victor_metrics_core::exemplar::TraceId;
use victor_metrics_core::{Component, MetricDef, VictorMetrics, catalog as cat};

use crate::config::{LogFormat, TracingConfig};
use crate::logging::JsonLines;
use crate::spans::SpanTracer;

/// Spans waiting for export beyond this are dropped and counted (the SDK's default queue).
pub const EXPORT_QUEUE_CAPACITY: usize = 2048;

/// How often queued spans are sent. One export may take `OTEL_EXPORTER_OTLP_TIMEOUT` (10 s by
/// default); the SDK reads that and the `_HEADERS` and `_COMPRESSION` variables itself.
const EXPORT_INTERVAL: Duration = Duration::from_secs(1);

/// The tracer installed by [`Telemetry::install`], for [`spans()`].
static INSTALLED: OnceLock<SpanTracer> = OnceLock::new();

/// The span helpers of the installed pipeline; disabled ones before
/// [`Telemetry::install`] or when no endpoint is configured.
pub fn spans() -> SpanTracer {
    INSTALLED.get().cloned().unwrap_or_default()
}

/// Registers the span export counters at zero, so they are exposed (and alerts on them work)
/// before any span is exported, or when tracing is set up later or not at all; and makes
/// [`current_trace_id`] the source of exemplars, so duration histograms recorded while a
/// sampled span is current link to its trace.
///
/// The returned [`SpanPipeline`] is what [`Telemetry::new`] counts into and the component a
/// service registers to see the pipeline (`/api/performance/tracing`).
pub fn register_metrics(metrics: &VictorMetrics) -> SpanPipeline {
    victor_metrics_core::exemplar::set_source(current_trace_id);
    SpanPipeline::new(metrics)
}

/// The trace of the current OpenTelemetry context, when its span is valid and sampled (an
/// unsampled trace is never exported, so an exemplar could not link to it).
pub fn current_trace_id() -> Option<TraceId> {
    opentelemetry::Context::map_current(sampled_trace_id)
}

/// The trace of `cx`'s span, when it is valid and sampled.
pub(crate) fn sampled_trace_id(cx: &opentelemetry::Context) -> Option<TraceId> {
    use opentelemetry::trace::TraceContextExt as _;
    let span = cx.span();
    let context = span.span_context();
    if context.is_valid() && context.is_sampled() {
        TraceId::from_bytes(context.trace_id().to_bytes())
    } else {
        None
    }
}

/// Why the pipeline could not be set up.
#[derive(Debug, Error)]
pub enum SetupError {
    /// The OTLP exporter could not be built from the configuration.
    #[cfg(feature = "otlp")]
    #[error("cannot build the OTLP exporter for {endpoint}: {source}")]
    Exporter {
        /// The traces endpoint.
        endpoint: String,
        /// The SDK's reason.
        source: opentelemetry_otlp::ExporterBuildError,
    },
    /// A traces endpoint is configured but this build has no OTLP exporter (the `otlp`
    /// feature is off).
    #[cfg(not(feature = "otlp"))]
    #[error(
        "a traces endpoint ({endpoint}) is configured but this build has no OTLP exporter (feature `otlp`)"
    )]
    OtlpDisabled {
        /// The traces endpoint.
        endpoint: String,
    },
    /// The CA file for an `https://` collector (`OTEL_EXPORTER_OTLP_CERTIFICATE`) could not be
    /// read or holds no PEM certificate.
    #[cfg(feature = "otlp")]
    #[error("cannot use {path} as the collector's certificate authorities: {reason}")]
    Certificate {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A global `tracing` subscriber was set already (by this or another library).
    #[error("a global tracing subscriber is already installed in this process")]
    AlreadyInstalled,
}

/// The running pipeline. Keep it for the life of the process; dropping it (or
/// [`Telemetry::shutdown`]) flushes queued spans.
///
/// ```no_run
/// use victor_metrics_core::VictorMetrics;
/// use victor_tracing::{Telemetry, TracingConfig};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let config = TracingConfig::new("victor-agent", env!("CARGO_PKG_VERSION"))
///     .with_env(|name| std::env::var(name).ok())?;
/// let pipeline = victor_tracing::register_metrics(&VictorMetrics::new());
/// let telemetry = Telemetry::install(&config, &pipeline)?;
/// tracing::info!("started"); // logs; spans of #[instrument] functions are exported
/// // …
/// telemetry.shutdown(); // flush before exit
/// # Ok(())
/// # }
/// ```
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
    spans: SpanTracer,
    dispatch: Dispatch,
    shut_down: AtomicBool,
}

impl std::fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telemetry")
            .field("exporting", &self.provider.is_some())
            .finish_non_exhaustive()
    }
}

impl Telemetry {
    /// Builds the pipeline without touching any process-wide state: use
    /// [`Telemetry::dispatch`] with `tracing::dispatcher::with_default` (tests, several pipelines
    /// in one process). Spans started, exported and lost are counted on `pipeline`
    /// ([`register_metrics`] makes one).
    ///
    /// # Errors
    /// [`SetupError::Exporter`] when the OTLP exporter cannot be built.
    pub fn new(config: &TracingConfig, pipeline: &SpanPipeline) -> Result<Telemetry, SetupError> {
        Self::with_log_writer(config, pipeline, std::io::stderr)
    }

    /// [`Telemetry::new`] writing logs to `writer` instead of standard error.
    ///
    /// # Errors
    /// [`SetupError::Exporter`] when the OTLP exporter cannot be built.
    pub fn with_log_writer<W>(
        config: &TracingConfig,
        pipeline: &SpanPipeline,
        writer: W,
    ) -> Result<Telemetry, SetupError>
    where
        W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
    {
        let provider = match &config.traces_endpoint {
            Some(endpoint) => Some(provider(config, endpoint, pipeline.clone())?),
            None => None,
        };
        let tracer = provider.as_ref().map(|p| p.tracer("victor"));
        let ansi = std::io::stderr().is_terminal();
        let filter = || match &config.log_directives {
            // Checked when read (`TracingConfig::with_env`); a bad one set by hand logs nothing
            // finer than the level.
            Some(directives) => tracing_subscriber::EnvFilter::builder()
                .with_default_directive(config.log_level.into())
                .parse_lossy(directives),
            None => tracing_subscriber::EnvFilter::default().add_directive(config.log_level.into()),
        };
        let mut layers: Vec<Box<dyn Layer<Registry> + Send + Sync>> =
            vec![match config.log_format {
                LogFormat::Human => tracing_subscriber::fmt::layer()
                    .with_writer(writer)
                    .with_ansi(ansi)
                    .with_filter(filter())
                    .boxed(),
                LogFormat::Json => tracing_subscriber::fmt::layer()
                    .event_format(JsonLines)
                    .with_writer(writer)
                    .with_filter(filter())
                    .boxed(),
            }];
        if let Some(tracer) = &tracer {
            // Location, thread and busy/idle attributes cost ~1 µs a span; none is needed here.
            layers.push(
                tracing_opentelemetry::layer()
                    .with_tracer(tracer.clone())
                    .with_location(false)
                    .with_threads(false)
                    .with_tracked_inactivity(false)
                    .with_filter(LevelFilter::INFO)
                    .boxed(),
            );
        }
        Ok(Telemetry {
            spans: tracer.map(SpanTracer::from_tracer).unwrap_or_default(),
            provider,
            dispatch: Dispatch::new(Registry::default().with(layers)),
            shut_down: AtomicBool::new(false),
        })
    }

    /// Builds the pipeline and makes it the process's: the global `tracing` subscriber, the
    /// global OpenTelemetry tracer provider and W3C propagator, and [`spans()`].
    ///
    /// # Errors
    /// [`SetupError`] when the exporter cannot be built or a subscriber is installed already.
    pub fn install(
        config: &TracingConfig,
        pipeline: &SpanPipeline,
    ) -> Result<Telemetry, SetupError> {
        let telemetry = Telemetry::new(config, pipeline)?;
        tracing::dispatcher::set_global_default(telemetry.dispatch.clone())
            .map_err(|_| SetupError::AlreadyInstalled)?;
        opentelemetry::global::set_text_map_propagator(crate::propagation::propagator());
        if let Some(provider) = &telemetry.provider {
            opentelemetry::global::set_tracer_provider(provider.clone());
        }
        let _ = INSTALLED.set(telemetry.spans.clone());
        if let Some(endpoint) = &config.traces_endpoint {
            tracing::info!(
                endpoint = %endpoint,
                sampler = config.sampling.variable_name(),
                ratio = config.sampling.ratio,
                "exporting spans over OTLP/HTTP"
            );
        }
        Ok(telemetry)
    }

    /// The `tracing` dispatcher (logs, plus the OpenTelemetry layer when exporting).
    pub fn dispatch(&self) -> &Dispatch {
        &self.dispatch
    }

    /// The agent span helpers bound to this pipeline.
    pub fn spans(&self) -> &SpanTracer {
        &self.spans
    }

    /// Whether spans are exported (an endpoint is configured).
    pub fn is_exporting(&self) -> bool {
        self.provider.is_some()
    }

    /// Exports every span ended so far and waits for the receiver's answer.
    pub fn flush(&self) {
        if let Some(provider) = &self.provider
            && let Err(err) = provider.force_flush()
        {
            tracing::warn!(error = %err, "flushing spans failed");
        }
    }

    /// Flushes queued spans and stops the export thread. Later spans are not exported. Call it
    /// outside async code (or in `spawn_blocking`): it waits up to a few seconds.
    pub fn shutdown(&self) {
        if self.shut_down.swap(true, Ordering::AcqRel) {
            return;
        }
        if let Some(provider) = &self.provider
            && let Err(err) = provider.shutdown()
        {
            tracing::warn!(error = %err, "shutting the span exporter down failed");
        }
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn provider(
    config: &TracingConfig,
    endpoint: &str,
    pipeline: SpanPipeline,
) -> Result<SdkTracerProvider, SetupError> {
    let exporter = span_exporter(config, endpoint)?;
    let batch = BatchSpanProcessor::builder(CountingExporter {
        inner: exporter,
        pipeline: pipeline.clone(),
        failing: AtomicBool::new(false),
    })
    .with_batch_config(
        BatchConfigBuilder::default()
            .with_max_queue_size(EXPORT_QUEUE_CAPACITY)
            .with_scheduled_delay(EXPORT_INTERVAL)
            .build(),
    )
    .build();
    let resource = Resource::builder()
        .with_service_name(config.service_name.clone())
        .with_attribute(KeyValue::new(
            "service.version",
            config.service_version.clone(),
        ))
        .build();
    Ok(SdkTracerProvider::builder()
        .with_span_processor(BoundedQueue {
            inner: batch,
            pipeline,
        })
        .with_sampler(config.sampling.sampler())
        .with_resource(resource)
        .build())
}

/// The OTLP/HTTP span exporter for `endpoint`, gzip-compressed when configured, trusting the
/// configured CA file beside the platform's roots for `https://`.
#[cfg(feature = "otlp")]
fn span_exporter(
    config: &TracingConfig,
    endpoint: &str,
) -> Result<opentelemetry_otlp::SpanExporter, SetupError> {
    use opentelemetry_otlp::WithHttpConfig as _;
    // reqwest is built with rustls and no default crypto provider (victor-alerting needs TLS
    // for Slack and SMTP); building a client before one is installed panics, so install *ring*
    // unless a provider is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(endpoint);
    if config.compression == crate::config::OtlpCompression::Gzip {
        builder = builder.with_compression(opentelemetry_otlp::Compression::Gzip);
    }
    if let Some(path) = &config.certificate {
        builder = builder.with_http_client(client_trusting(path)?);
    }
    builder.build().map_err(|source| SetupError::Exporter {
        endpoint: endpoint.to_owned(),
        source,
    })
}

/// A blocking HTTP client trusting the certificates in the PEM file at `path` beside the
/// platform's roots. Built on a thread of its own: a blocking client owns a runtime, which may
/// be neither created nor dropped inside an async one.
#[cfg(feature = "otlp")]
fn client_trusting(path: &std::path::Path) -> Result<reqwest::blocking::Client, SetupError> {
    let refused = |reason: String| SetupError::Certificate {
        path: path.to_owned(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|err| refused(err.to_string()))?;
    let certificates =
        reqwest::Certificate::from_pem_bundle(&pem).map_err(|err| refused(err.to_string()))?;
    if certificates.is_empty() {
        return Err(refused("no PEM certificate in it".to_owned()));
    }
    std::thread::spawn(move || {
        certificates
            .into_iter()
            .fold(reqwest::blocking::Client::builder(), |builder, ca| {
                builder.add_root_certificate(ca)
            })
            .timeout(Duration::from_secs(10))
            .build()
    })
    .join()
    .map_err(|_| refused("building the HTTP client panicked".to_owned()))?
    .map_err(|err| refused(err.to_string()))
}

/// Without the `otlp` feature there is no exporter: a configured endpoint is refused.
#[cfg(not(feature = "otlp"))]
fn span_exporter(_config: &TracingConfig, endpoint: &str) -> Result<NoExporter, SetupError> {
    Err(SetupError::OtlpDisabled {
        endpoint: endpoint.to_owned(),
    })
}

/// Stands in for the OTLP exporter in builds without it; never constructed.
#[cfg(not(feature = "otlp"))]
#[derive(Debug)]
struct NoExporter;

#[cfg(not(feature = "otlp"))]
impl SpanExporter for NoExporter {
    async fn export(&self, _batch: Vec<SpanData>) -> OTelSdkResult {
        Ok(())
    }
}

/// The span export path as a [`Component`]: spans started, exported and dropped (the catalog
/// counters, resolved once) and the export queue's length, published as
/// `victor_tracing_export_queue_spans` on refresh. Cheap to clone; clones share the figures.
///
/// ```
/// use victor_metrics_core::{Components, VictorMetrics};
///
/// let metrics = VictorMetrics::new();
/// let mut components = Components::new();
/// components.register(victor_tracing::register_metrics(&metrics))?;
/// assert!(components.get("tracing").is_some());
/// # Ok::<(), victor_metrics_core::ComponentError>(())
/// ```
#[derive(Clone)]
pub struct SpanPipeline {
    figures: Arc<PipelineFigures>,
}

struct PipelineFigures {
    started: Counter,
    exported: Counter,
    queue_full: Counter,
    export_failed: Counter,
    queue_length: Gauge,
    /// Spans handed to the batch processor and not yet taken for export.
    queued: AtomicUsize,
    /// The same figures as plain atomics, for the JSON view.
    view: [AtomicU64; 4],
}

/// The `/api/performance/tracing` view: span counts since start and the queue now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PipelineView {
    /// Sampled spans started.
    pub started: u64,
    /// Spans the receiver accepted.
    pub exported: u64,
    /// Spans dropped because the export queue was full.
    pub dropped_queue_full: u64,
    /// Spans dropped because the receiver refused them or could not be reached.
    pub dropped_export_failed: u64,
    /// Spans waiting for export now.
    pub queue_length: usize,
    /// The queue's capacity ([`EXPORT_QUEUE_CAPACITY`]).
    pub queue_capacity: usize,
}

const STARTED: usize = 0;
const EXPORTED: usize = 1;
const QUEUE_FULL: usize = 2;
const EXPORT_FAILED: usize = 3;

impl SpanPipeline {
    /// A pipeline counting into `metrics`' span counters (registered at zero now).
    pub fn new(metrics: &VictorMetrics) -> Self {
        SpanPipeline {
            figures: Arc::new(PipelineFigures {
                started: metrics.counter(&cat::TRACING_SPANS_STARTED_TOTAL, []),
                exported: metrics.counter(&cat::TRACING_SPANS_EXPORTED_TOTAL, []),
                queue_full: metrics.counter(&cat::TRACING_SPANS_DROPPED_TOTAL, ["queue_full"]),
                export_failed: metrics
                    .counter(&cat::TRACING_SPANS_DROPPED_TOTAL, ["export_failed"]),
                queue_length: metrics.gauge(&cat::TRACING_EXPORT_QUEUE_SPANS, []),
                queued: AtomicUsize::new(0),
                view: Default::default(),
            }),
        }
    }

    fn count(&self, which: usize, spans: u64) {
        let figures = &*self.figures;
        let counter = match which {
            STARTED => &figures.started,
            EXPORTED => &figures.exported,
            QUEUE_FULL => &figures.queue_full,
            _ => &figures.export_failed,
        };
        counter.increment(spans);
        figures.view[which].fetch_add(spans, Ordering::Relaxed);
    }
}

impl std::fmt::Debug for SpanPipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpanPipeline")
            .field("queued", &self.figures.queued.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Component for SpanPipeline {
    type View = PipelineView;

    fn name(&self) -> &'static str {
        "tracing"
    }

    fn metrics(&self) -> Vec<&'static MetricDef> {
        victor_metrics_core::catalog::ALL
            .iter()
            .copied()
            .filter(|def| def.group() == victor_metrics_core::Group::Tracing)
            .collect()
    }

    /// Publishes the queue's length.
    fn refresh(&self) {
        let queued = self.figures.queued.load(Ordering::Relaxed);
        self.figures.queue_length.set(queued as f64);
    }

    fn view(&self) -> Option<PipelineView> {
        let view = &self.figures.view;
        let load = |which: usize| view[which].load(Ordering::Relaxed);
        Some(PipelineView {
            started: load(STARTED),
            exported: load(EXPORTED),
            dropped_queue_full: load(QUEUE_FULL),
            dropped_export_failed: load(EXPORT_FAILED),
            queue_length: self.figures.queued.load(Ordering::Relaxed),
            queue_capacity: EXPORT_QUEUE_CAPACITY,
        })
    }
}

/// Sits in front of the SDK's batch processor and keeps its queue from overflowing: a span that
/// would not fit is dropped here and counted, since the SDK drops silently.
///
/// `queued` counts spans handed on and not yet taken for export. The SDK frees a queue slot a
/// little before it calls the exporter, so this count is never below the real queue length: the
/// batch processor never drops on its own, and every loss is counted.
#[derive(Debug)]
struct BoundedQueue {
    inner: BatchSpanProcessor,
    pipeline: SpanPipeline,
}

impl SpanProcessor for BoundedQueue {
    fn on_start(&self, span: &mut Span, cx: &opentelemetry::Context) {
        self.pipeline.count(STARTED, 1);
        self.inner.on_start(span, cx);
    }

    fn on_end(&self, span: SpanData) {
        let queued = &self.pipeline.figures.queued;
        if queued.fetch_add(1, Ordering::AcqRel) >= EXPORT_QUEUE_CAPACITY {
            queued.fetch_sub(1, Ordering::AcqRel);
            self.pipeline.count(QUEUE_FULL, 1);
            return;
        }
        self.inner.on_end(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// Counts what the OTLP exporter delivers and loses, and logs when delivery starts failing and
/// when it recovers (once each, not per batch).
#[derive(Debug)]
struct CountingExporter<E> {
    inner: E,
    pipeline: SpanPipeline,
    failing: AtomicBool,
}

impl<E: SpanExporter> SpanExporter for CountingExporter<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let count = batch.len();
        self.pipeline
            .figures
            .queued
            .fetch_sub(count, Ordering::AcqRel);
        let result = self.inner.export(batch).await;
        let spans = u64::try_from(count).unwrap_or(u64::MAX);
        match &result {
            Ok(()) => {
                self.pipeline.count(EXPORTED, spans);
                if self.failing.swap(false, Ordering::Relaxed) {
                    tracing::info!("span export recovered");
                }
            }
            Err(err) => {
                self.pipeline.count(EXPORT_FAILED, spans);
                if !self.failing.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        error = %err,
                        spans = count,
                        "span export failed; spans are dropped until the receiver answers \
                         (counted in victor_tracing_spans_dropped_total{{reason=\"export_failed\"}})"
                    );
                }
            }
        }
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use opentelemetry::trace::{
        SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId as OtelTraceId, TraceState,
    };
    use victor_metrics_core::exposition::ExpositionBuilder;
    use victor_metrics_core::render::Format;
    use victor_metrics_core::{
        AgentMode, LlmCall, LlmOperation, ToolExecution, ToolStatus, VictorMetrics,
    };

    use super::*;

    fn context(trace: &str, flags: TraceFlags) -> opentelemetry::Context {
        let span = SpanContext::new(
            OtelTraceId::from_hex(trace).expect("trace id"),
            SpanId::from_hex("00f067aa0ba902b7").expect("span id"),
            flags,
            true,
            TraceState::default(),
        );
        opentelemetry::Context::current().with_remote_span_context(span)
    }

    /// Log lines kept for a test to read.
    #[derive(Clone, Default)]
    struct Lines(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn rust_log_directives_turn_one_target_up_and_the_rest_down() {
        let lines = Lines::default();
        let writer = lines.clone();
        let mut config = TracingConfig::new("svc", "1");
        config.log_directives = Some("warn,chatty=debug".to_owned());
        let telemetry = Telemetry::with_log_writer(
            &config,
            &register_metrics(&VictorMetrics::new()),
            move || writer.clone(),
        )
        .expect("telemetry");
        tracing::dispatcher::with_default(telemetry.dispatch(), || {
            tracing::debug!(target: "chatty", "wanted detail");
            tracing::info!(target: "quiet", "unwanted info");
            tracing::warn!(target: "quiet", "wanted warning");
        });
        let text = String::from_utf8_lossy(&lines.0.lock().expect("lines")).into_owned();
        assert!(text.contains("wanted detail"), "{text}");
        assert!(text.contains("wanted warning"), "{text}");
        assert!(!text.contains("unwanted info"), "{text}");
    }

    #[test]
    fn durations_recorded_under_a_sampled_span_link_to_its_trace() {
        let (store, exposition) = ExpositionBuilder::new().build().expect("store");
        let metrics = VictorMetrics::new();
        let sampled = "4bf92f3577b34da6a3ce929d0e0e4736";
        let unsampled = "0af7651916cd43dd8448eb211c80319c";
        metrics::with_local_recorder(&store, || {
            register_metrics(&metrics);
            {
                let _current = context(sampled, TraceFlags::SAMPLED).attach();
                metrics.providers().record_llm_call(&LlmCall {
                    provider: "anthropic",
                    model: "claude",
                    operation: LlmOperation::Chat,
                    prompt_tokens: 10,
                    completion_tokens: 5,
                    cached_prompt_tokens: 0,
                    cost_usd: Some(0.0),
                    tool_calls: false,
                    duration: Duration::from_millis(1_500),
                    error_type: None,
                    response_model: None,
                    time_to_first_token: None,
                    finish_reason: None,
                });
            }
            let _current = context(unsampled, TraceFlags::default()).attach();
            metrics.tools().record_tool_execution(&ToolExecution {
                tool: "grep",
                vertical: "coding",
                mode: AgentMode::Build,
                status: ToolStatus::Success,
                duration: Duration::from_millis(30),
                error_type: None,
            });
        });
        let text = exposition.render_as(Format::OpenMetrics);
        let exemplar = |metric: &str, trace: &str| {
            text.lines().any(|line| {
                line.starts_with(metric) && line.contains(&format!("# {{trace_id=\"{trace}\"}}"))
            })
        };
        assert!(
            exemplar("victor_llm_duration_seconds_bucket", sampled),
            "{text}"
        );
        assert!(
            !text.contains(unsampled),
            "an unsampled trace is never exported, so never an exemplar"
        );
        assert_eq!(current_trace_id(), None, "no context is current here");
    }
}
