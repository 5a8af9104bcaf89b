//! Tool executions: counts, latency, errors, executions in flight and the windowed success rate.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use metrics::{Counter, Histogram};
use serde::Serialize;

use super::{CatalogSeries, InFlight, SeriesStats, Totals, breakdown, label_enum, owned};
use crate::Component;
use crate::catalog::{self as cat, Group, MetricDef};
use crate::series::{SeriesCache, register_counter, register_histogram};
use crate::stats::{Tally, Window};
use crate::summary::{Breakdown, OutcomeSummary};

label_enum! {
    /// How a tool execution ended (`001`: success, failure, timeout).
    ToolStatus, "tool status" {
        /// The tool did what was asked.
        Success = "success",
        /// The tool failed.
        Failure = "failure",
        /// The tool ran out of time.
        Timeout = "timeout",
    }
}

label_enum! {
    /// The agent's mode (`001`: build, plan, explore).
    AgentMode, "agent mode" {
        /// Making changes.
        Build = "build",
        /// Planning without changes.
        Plan = "plan",
        /// Reading and exploring.
        Explore = "explore",
    }
}

/// One tool execution, for [`Tools::record_tool_execution`].
#[derive(Clone, Copy, Debug)]
pub struct ToolExecution<'a> {
    /// The tool's name (`read_file`).
    pub tool: &'a str,
    /// The vertical that ran it (`coding`, `rag`, `devops`, `dataanalysis`, `research`).
    pub vertical: &'a str,
    /// The agent's mode.
    pub mode: AgentMode,
    /// How it ended.
    pub status: ToolStatus,
    /// How long it ran.
    pub duration: Duration,
    /// Why it failed; defaults to the status when it did not succeed.
    pub error_type: Option<&'a str>,
}

/// The tool family ([`Group::Tool`]).
pub struct Tools {
    catalog: Arc<CatalogSeries>,
    series: SeriesCache<ToolSeries>,
    errors: SeriesCache<Counter>,
    window: Mutex<ToolWindow>,
}

/// Success per tool and vertical over the window, and the failure ratio across all of them as
/// of the last refresh.
struct ToolWindow {
    tallies: Window<(Box<str>, Box<str>)>,
    failure_ratio: Option<f64>,
}

struct ToolSeries {
    executions: Counter,
    duration: Histogram,
    stats: SeriesStats,
}

/// The `/api/performance/tools` view: per tool since start, most executed first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ToolsView {
    /// One row per tool (every vertical, mode and status together).
    pub tools: Vec<Breakdown>,
}

impl Tools {
    pub(crate) fn new(catalog: Arc<CatalogSeries>) -> Self {
        Tools {
            series: SeriesCache::new(cat::TOOL_EXECUTIONS_TOTAL.def().name(), catalog.limit),
            errors: SeriesCache::new(cat::TOOL_ERRORS_TOTAL.def().name(), catalog.limit),
            window: Mutex::new(ToolWindow {
                tallies: Window::new(catalog.window, catalog.started),
                failure_ratio: None,
            }),
            catalog,
        }
    }

    /// Records one tool execution: `victor_tool_executions_total`,
    /// `victor_tool_execution_duration_seconds`, and on failure `victor_tool_errors_total`.
    #[inline]
    pub fn record_tool_execution(&self, execution: &ToolExecution<'_>) {
        let seconds = execution.duration.as_secs_f64();
        let success = execution.status == ToolStatus::Success;
        // The catalog's label order for `victor_tool_executions_total`; the duration histogram
        // takes the first three.
        let labels = [
            execution.tool,
            execution.vertical,
            execution.status.as_str(),
            execution.mode.as_str(),
        ];
        self.series.with(
            &labels,
            |labels| ToolSeries {
                executions: register_counter(cat::TOOL_EXECUTIONS_TOTAL.def(), labels),
                duration: register_histogram(
                    cat::TOOL_EXECUTION_DURATION_SECONDS.def(),
                    &labels[..3],
                ),
                stats: SeriesStats::new(cat::TOOL_EXECUTION_DURATION_SECONDS.def()),
            },
            |series| {
                series.executions.increment(1);
                series.duration.record(seconds);
                series.stats.record(!success, seconds);
            },
        );
        if !success {
            let error_type = execution.error_type.unwrap_or(execution.status.as_str());
            self.errors.with(
                &[execution.tool, error_type],
                |labels| register_counter(cat::TOOL_ERRORS_TOTAL.def(), labels),
                |errors| errors.increment(1),
            );
        }
    }

    /// Counts a tool execution in flight on `victor_tool_active_executions` until the guard drops.
    pub fn track_tool(&self, tool: &str) -> InFlight {
        let gauge = self
            .catalog
            .with_gauge(&cat::TOOL_ACTIVE_EXECUTIONS, [tool], Clone::clone);
        InFlight::start(gauge)
    }

    /// Every execution since start.
    pub fn summary(&self) -> OutcomeSummary {
        let mut totals = Totals::new(cat::TOOL_EXECUTION_DURATION_SECONDS.def());
        self.series
            .for_each_series(|series| totals.add(&series.stats));
        totals.summary()
    }

    /// Per tool (every vertical, mode and status together), most executed first.
    pub fn tool_breakdown(&self) -> Vec<Breakdown> {
        let mut by_tool: HashMap<Box<str>, Totals> = HashMap::new();
        self.series.for_each(|labels, series| {
            by_tool
                .entry(labels[0].into())
                .or_insert_with(|| Totals::new(cat::TOOL_EXECUTION_DURATION_SECONDS.def()))
                .add(&series.stats);
        });
        breakdown(by_tool)
    }

    /// Share of executions that failed over the window, as of the last refresh.
    pub(crate) fn window_failure_ratio(&self) -> Option<f64> {
        self.window
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .failure_ratio
    }

    /// Label sets held.
    pub(crate) fn len(&self) -> usize {
        self.series.len()
    }
}

impl Component for Tools {
    type View = ToolsView;

    fn name(&self) -> &'static str {
        "tools"
    }

    fn metrics(&self) -> Vec<&'static MetricDef> {
        owned(&[Group::Tool])
    }

    /// Recomputes `victor_tool_success_rate` per tool and vertical over the window.
    fn refresh(&self) {
        let mut tallies: HashMap<(Box<str>, Box<str>), Tally> = HashMap::new();
        self.series.for_each(|labels, series| {
            tallies
                .entry((labels[0].into(), labels[1].into()))
                .or_default()
                .add(series.stats.tally());
        });
        let mut window = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        let mut all = Tally::default();
        for ((tool, vertical), change, _) in window.tallies.advance(Instant::now(), tallies) {
            self.catalog
                .set(&cat::TOOL_SUCCESS_RATE, [&tool, &vertical], change.ratio());
            all.add(change);
        }
        window.failure_ratio = all.ratio_or_none().map(|ok| 1.0 - ok);
    }

    fn view(&self) -> Option<ToolsView> {
        Some(ToolsView {
            tools: self.tool_breakdown(),
        })
    }
}
