//! [`VictorMetrics`]: the one cheap-to-clone entry point a service holds, and the way to its
//! recording families.
//!
//! Each family records one part of the agent and owns that part's catalog entries
//! ([`crate::family`]). The families record through the `metrics` facade, so whatever recorder
//! is installed (the store from [`crate::exposition`], a test recorder, or none) receives the
//! values. Install the recorder before the first record: handles are resolved on first use of a
//! label set and kept.
//!
//! ```
//! use std::time::Duration;
//! use victor_metrics_core::{AgentMode, ToolExecution, ToolStatus, VictorMetrics};
//!
//! let metrics = VictorMetrics::new();
//! metrics.tools().record_tool_execution(&ToolExecution {
//!     tool: "read_file",
//!     vertical: "coding",
//!     mode: AgentMode::Build,
//!     status: ToolStatus::Success,
//!     duration: Duration::from_millis(45),
//!     error_type: None,
//! });
//! assert_eq!(metrics.summary().tools.total, 1);
//! ```

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use metrics::{Counter, Gauge, Histogram};

use crate::catalog::{self as cat, CounterDef, GaugeDef, HistogramDef};
use crate::component::{Component, ComponentError, Components};
use crate::custom::CustomMetrics;
use crate::family::{
    Agentic, Bootstrap, Caches, CatalogSeries, ExporterTraffic, Ingestion, Providers, Requests,
    Security, Sessions, System, Toolkit, Tools,
};
use crate::series::DEFAULT_CARDINALITY_LIMIT;
use crate::summary::{Summary, WindowFigures};

/// Builds a [`VictorMetrics`] with non-default limits.
#[derive(Clone, Debug)]
#[must_use]
pub struct VictorMetricsBuilder {
    cardinality_limit: usize,
    window: Duration,
    prices: crate::prices::PriceTable,
}

impl Default for VictorMetricsBuilder {
    fn default() -> Self {
        VictorMetricsBuilder {
            cardinality_limit: DEFAULT_CARDINALITY_LIMIT,
            window: Duration::from_secs(300),
            prices: crate::prices::PriceTable::builtin(),
        }
    }
}

impl VictorMetricsBuilder {
    /// Label sets each metric may hold before further ones fold into its overflow series
    /// (default 10 000; at least 1).
    pub fn cardinality_limit(mut self, limit: usize) -> Self {
        self.cardinality_limit = limit.max(1);
        self
    }

    /// The span of the sliding window behind the ratio gauges (default 5 minutes).
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// The prices a call without a cost is estimated from (default: the built-in table,
    /// [`crate::prices::PriceTable::builtin`]).
    pub fn prices(mut self, prices: crate::prices::PriceTable) -> Self {
        self.prices = prices;
        self
    }

    /// Creates the recorder-facing state. Nothing is registered until first use.
    pub fn build(self) -> VictorMetrics {
        let catalog = Arc::new(CatalogSeries::new(self.cardinality_limit, self.window));
        let shared = || Arc::clone(&catalog);
        VictorMetrics {
            inner: Arc::new(Inner {
                requests: Arc::new(Requests::new(shared())),
                providers: Arc::new(Providers::new(shared(), self.prices)),
                tools: Arc::new(Tools::new(shared())),
                caches: Arc::new(Caches::new(shared())),
                sessions: Arc::new(Sessions::new(shared())),
                agentic: Arc::new(Agentic::new(shared())),
                security: Arc::new(Security::new(shared())),
                bootstrap: Arc::new(Bootstrap::new(shared())),
                system: Arc::new(System::new(shared())),
                ingestion: Arc::new(Ingestion::new(shared())),
                exporter: Arc::new(ExporterTraffic::new(shared())),
                toolkit: Arc::new(Toolkit::new(shared())),
                custom: CustomMetrics::new(self.cardinality_limit),
                catalog,
            }),
        }
    }
}

/// The entry point a service holds: its recording families, generic handles on any catalog
/// metric, and metrics defined at run time. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct VictorMetrics {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for VictorMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VictorMetrics")
            .field("uptime", &self.inner.catalog.started.elapsed())
            .finish_non_exhaustive()
    }
}

impl Default for VictorMetrics {
    fn default() -> Self {
        VictorMetrics::new()
    }
}

struct Inner {
    catalog: Arc<CatalogSeries>,
    requests: Arc<Requests>,
    providers: Arc<Providers>,
    tools: Arc<Tools>,
    caches: Arc<Caches>,
    sessions: Arc<Sessions>,
    agentic: Arc<Agentic>,
    security: Arc<Security>,
    bootstrap: Arc<Bootstrap>,
    system: Arc<System>,
    ingestion: Arc<Ingestion>,
    exporter: Arc<ExporterTraffic>,
    toolkit: Arc<Toolkit>,
    custom: CustomMetrics,
}

impl VictorMetrics {
    /// A recorder-facing state with default limits (10 000 series per metric, 5-minute window).
    pub fn new() -> Self {
        VictorMetricsBuilder::default().build()
    }

    /// A builder for non-default limits.
    pub fn builder() -> VictorMetricsBuilder {
        VictorMetricsBuilder::default()
    }

    /// Requests the agent's API served.
    pub fn requests(&self) -> &Requests {
        &self.inner.requests
    }

    /// LLM calls and the provider pool.
    pub fn providers(&self) -> &Providers {
        &self.inner.providers
    }

    /// Tool executions.
    pub fn tools(&self) -> &Tools {
        &self.inner.tools
    }

    /// Named caches and the tool-selection cache.
    pub fn caches(&self) -> &Caches {
        &self.inner.caches
    }

    /// Users, sessions and tasks.
    pub fn sessions(&self) -> &Sessions {
        &self.inner.sessions
    }

    /// Coordinators, usage, agentic signals and the verticals.
    pub fn agentic(&self) -> &Agentic {
        &self.inner.agentic
    }

    /// Security checks and scans.
    pub fn security(&self) -> &Security {
        &self.inner.security
    }

    /// Start-up.
    pub fn bootstrap(&self) -> &Bootstrap {
        &self.inner.bootstrap
    }

    /// Process and host resources.
    pub fn system(&self) -> &System {
        &self.inner.system
    }

    /// Events posted to the exporter.
    pub fn ingestion(&self) -> &Ingestion {
        &self.inner.ingestion
    }

    /// The exporter's own HTTP traffic.
    pub fn exporter(&self) -> &ExporterTraffic {
        &self.inner.exporter
    }

    /// The toolkit's own figures.
    pub fn toolkit(&self) -> &Toolkit {
        &self.inner.toolkit
    }

    /// Registers every recording family, in the order their refreshes must run (all before
    /// anything that reads [`VictorMetrics::window_figures`]).
    ///
    /// # Errors
    /// When `components` holds a component with a family's name or one of its metrics.
    pub fn register_families(&self, components: &mut Components) -> Result<(), ComponentError> {
        let inner = &*self.inner;
        components.register(Arc::clone(&inner.requests))?;
        components.register(Arc::clone(&inner.providers))?;
        components.register(Arc::clone(&inner.tools))?;
        components.register(Arc::clone(&inner.caches))?;
        components.register(Arc::clone(&inner.sessions))?;
        components.register(Arc::clone(&inner.agentic))?;
        components.register(Arc::clone(&inner.security))?;
        components.register(Arc::clone(&inner.bootstrap))?;
        components.register(Arc::clone(&inner.system))?;
        components.register(Arc::clone(&inner.ingestion))?;
        components.register(Arc::clone(&inner.exporter))?;
        components.register(Arc::clone(&inner.toolkit))?;
        Ok(())
    }

    /// Brings every family's pull-style gauges up to date (the sliding-window ratios). The
    /// exporter does this through [`Components::refresh`]; call it before rendering when you
    /// render yourself.
    pub fn refresh(&self) {
        let inner = &*self.inner;
        inner.requests.refresh();
        inner.providers.refresh();
        inner.tools.refresh();
        inner.caches.refresh();
    }

    /// A pre-resolved counter handle for a catalog counter and its label values. Keep it for
    /// hot paths: incrementing is one relaxed atomic add on the store's cell.
    ///
    /// Request, tool, LLM and cache counters feed the summary only through their families'
    /// typed calls, not through handles taken here.
    ///
    /// ```
    /// use victor_metrics_core::{VictorMetrics, catalog};
    ///
    /// let metrics = VictorMetrics::new();
    /// let searches = metrics.counter(&catalog::FEATURE_USAGE_TOTAL, ["semantic_search"]);
    /// searches.increment(1);
    /// ```
    pub fn counter<const N: usize>(
        &self,
        def: &'static CounterDef<N>,
        labels: [&str; N],
    ) -> Counter {
        self.inner.catalog.with_counter(def, labels, Counter::clone)
    }

    /// A pre-resolved gauge handle for a catalog gauge and its label values.
    pub fn gauge<const N: usize>(&self, def: &'static GaugeDef<N>, labels: [&str; N]) -> Gauge {
        self.inner.catalog.with_gauge(def, labels, Gauge::clone)
    }

    /// A pre-resolved histogram handle for a catalog histogram and its label values.
    pub fn histogram<const N: usize>(
        &self,
        def: &'static HistogramDef<N>,
        labels: [&str; N],
    ) -> Histogram {
        self.inner
            .catalog
            .with_histogram(def, labels, Histogram::clone)
    }

    /// Metrics registered at run time, outside the catalog.
    pub fn custom(&self) -> &CustomMetrics {
        &self.inner.custom
    }

    /// The figures over the sliding window as of the last refresh: what the health score reads.
    pub fn window_figures(&self) -> WindowFigures {
        let inner = &*self.inner;
        WindowFigures {
            tool_failure_ratio: inner.tools.window_failure_ratio(),
            cache_hit_rate: inner.caches.window_hit_rate(),
            ..inner.requests.window_figures()
        }
    }

    /// Totals, rates and percentiles since start, for `/api/performance/summary` and logs.
    pub fn summary(&self) -> Summary {
        let inner = &*self.inner;
        Summary {
            uptime_seconds: inner.catalog.started.elapsed().as_secs_f64(),
            requests: inner.requests.summary(),
            llm: inner.providers.summary(),
            tools: inner.tools.summary(),
            cache: inner.caches.summary(),
        }
    }

    /// Label sets held per family, for tests and the self-monitoring view.
    pub fn series_counts(&self) -> HashMap<&'static str, usize> {
        let inner = &*self.inner;
        HashMap::from([
            (cat::REQUESTS_TOTAL.def().name(), inner.requests.len()),
            (cat::TOOL_EXECUTIONS_TOTAL.def().name(), inner.tools.len()),
            (cat::LLM_REQUESTS_TOTAL.def().name(), inner.providers.len()),
            (cat::CACHE_HITS_TOTAL.def().name(), inner.caches.len()),
        ])
    }
}

#[cfg(test)]
pub(crate) mod tests;
