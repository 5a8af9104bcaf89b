//! `deploy/grafana/dashboards/*.json`: the six Grafana dashboards, from catalog queries.
//!
//! | file | source | panels |
//! |---|---|---|
//! | `victor-overview.json` | `001` overview | traffic, errors, latency, users, health, providers, verticals |
//! | `victor-performance-summary.json` | `001` performance | latency, tools, providers, memory, CPU, traffic, caches |
//! | `victor-verticals.json` | `001` verticals | usage, tools and success per vertical, each vertical's own metrics |
//! | `victor-errors.json` | `001` errors | errors by endpoint and type, trends, tools, providers, security, heatmap |
//! | `victor-performance.json` | `002` | the five rows: overview, cache, tool selection, provider pool, tool execution |
//! | `victor-metrics.json` | `003` | requests, errors, tools, cache, system, business, active requests, uptime |
//!
//! Every query is a [`Query`] over catalog statics. A panel that shows what an alert watches
//! takes its thresholds from that alert's rule (so the red line is where the alert fires) and
//! links to its runbook. Each dashboard has a Prometheus `datasource` variable and `job` and
//! `instance` variables; the uids are fixed so links between dashboards survive a re-import.

use std::path::PathBuf;

use serde_json::{Value, json};
use victor_alerting::{
    AlertName, Comparison, Condition, RUNBOOK_BASE, Rule, Severity, default_rules,
};
use victor_metrics_core::catalog;

use crate::rules::{Recorded, recorded};
use victor_alerting::promql::{
    CounterSelector, PromqlError, Query, Scope, counter, gauge, histogram,
};

/// Where the dashboards go.
pub(crate) const DIR: &str = "deploy/grafana/dashboards";

/// Generates every dashboard.
pub(crate) fn generate() -> anyhow::Result<Vec<(PathBuf, String)>> {
    dashboards()
        .iter()
        .map(|dashboard| {
            let path = PathBuf::from(format!("{DIR}/{}.json", dashboard.uid));
            let json = dashboard
                .to_json()
                .map_err(|err| anyhow::anyhow!("dashboard {}: {err}", dashboard.uid))?;
            // A `Value` always serialises.
            let text = serde_json::to_string_pretty(&json).unwrap_or_default();
            Ok((path, text + "\n"))
        })
        .collect()
}

/// A dashboard: rows of panels.
pub(crate) struct Dashboard {
    pub(crate) uid: &'static str,
    title: &'static str,
    description: &'static str,
    refresh: &'static str,
    rows: Vec<Row>,
}

/// A titled row (or, with no title, panels at the top).
struct Row {
    title: Option<&'static str>,
    panels: Vec<Panel>,
}

/// How a panel draws its queries.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    TimeSeries,
    Stat,
    Gauge,
    PieChart,
    BarGauge,
    Table,
    Heatmap,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::TimeSeries => "timeseries",
            Kind::Stat => "stat",
            Kind::Gauge => "gauge",
            Kind::PieChart => "piechart",
            Kind::BarGauge => "bargauge",
            Kind::Table => "table",
            Kind::Heatmap => "heatmap",
        }
    }

    /// Whether it shows one value per series (an instant query) rather than a history.
    fn instant(self) -> bool {
        matches!(
            self,
            Kind::Stat | Kind::Gauge | Kind::PieChart | Kind::BarGauge | Kind::Table
        )
    }
}

/// Grafana unit ids.
mod unit {
    pub(super) const SECONDS: &str = "s";
    pub(super) const BYTES: &str = "bytes";
    pub(super) const PERCENT: &str = "percent";
    pub(super) const SHARE: &str = "percentunit";
    pub(super) const REQ_PER_SEC: &str = "reqps";
    pub(super) const OPS_PER_SEC: &str = "ops";
    pub(super) const COUNT: &str = "short";
    pub(super) const USD: &str = "currencyUSD";
}

/// One panel: queries with legends, a unit, and the alerts whose thresholds it shows.
struct Panel {
    title: &'static str,
    description: &'static str,
    kind: Kind,
    unit: &'static str,
    targets: Vec<(Query, &'static str)>,
    alerts: Vec<AlertName>,
    width: u32,
    up_down: bool,
}

impl Panel {
    fn new(kind: Kind, title: &'static str, unit: &'static str) -> Panel {
        Panel {
            title,
            description: "",
            kind,
            unit,
            targets: Vec::new(),
            alerts: Vec::new(),
            width: 8,
            up_down: false,
        }
    }

    fn query(mut self, query: Query, legend: &'static str) -> Panel {
        self.targets.push((query, legend));
        self
    }

    fn describe(mut self, description: &'static str) -> Panel {
        self.description = description;
        self
    }

    /// Shows these alerts' thresholds and links to their runbooks.
    fn alerts<const N: usize>(mut self, names: [AlertName; N]) -> Panel {
        self.alerts.extend(names);
        self
    }

    fn width(mut self, width: u32) -> Panel {
        self.width = width;
        self
    }

    /// Values are 1 (up) or 0 (down).
    fn up_down(mut self) -> Panel {
        self.up_down = true;
        self
    }

    fn rules(&self) -> Vec<Rule> {
        let rules = default_rules();
        self.alerts
            .iter()
            .map(|name| {
                rules
                    .iter()
                    .find(|rule| rule.name() == name.as_str())
                    .unwrap_or_else(|| panic!("panel {:?}: no alert {name}", self.title))
                    .clone()
            })
            .collect()
    }

    /// Threshold steps from the alerts: green where no alert fires, the severity's colour past
    /// each threshold.
    fn thresholds(&self) -> Value {
        let mut limits: Vec<(f64, Comparison, Severity)> = self
            .rules()
            .iter()
            .filter_map(|rule| match rule.condition() {
                Condition::Threshold(t) => Some((t.value(), t.comparison(), rule.severity())),
                _ => None,
            })
            .collect();
        limits.sort_by(|a, b| a.0.total_cmp(&b.0));
        let below = limits
            .iter()
            .any(|(_, comparison, _)| *comparison == Comparison::Below);
        let mut steps = Vec::new();
        if self.up_down {
            steps.push(json!({"color": "red", "value": null}));
            steps.push(json!({"color": "green", "value": 1}));
        } else if below {
            // Below the lowest threshold is the worst; each threshold up is one step better.
            let colours: Vec<&str> = limits.iter().map(|l| colour(l.2)).collect();
            steps.push(json!({"color": colours.first().copied().unwrap_or("red"), "value": null}));
            for (i, (value, _, _)) in limits.iter().enumerate() {
                let next = colours.get(i + 1).copied().unwrap_or("green");
                steps.push(json!({"color": next, "value": value}));
            }
        } else {
            steps.push(json!({"color": "green", "value": null}));
            for (value, _, severity) in &limits {
                steps.push(json!({"color": colour(*severity), "value": value}));
            }
        }
        json!({"mode": "absolute", "steps": steps})
    }

    fn links(&self) -> Vec<Value> {
        self.rules()
            .iter()
            .map(|rule| {
                let title = format!("Runbook: {} ({})", rule.name(), rule.severity().as_str());
                let url = rule.annotations().get("runbook_url").cloned();
                link(&title, "link", url.as_deref().unwrap_or_default(), "doc")
            })
            .collect()
    }

    fn to_json(&self, id: u32, x: u32, y: u32, height: u32) -> Result<Value, PromqlError> {
        let targets: Vec<Value> = self
            .targets
            .iter()
            .zip('A'..)
            .map(|((query, legend), ref_id)| {
                let mut target = json!({
                    "datasource": datasource(),
                    "expr": query.render(Scope::Dashboard)?,
                    "legendFormat": legend,
                    "refId": ref_id.to_string(),
                    "range": !self.kind.instant(),
                    "instant": self.kind.instant(),
                });
                if self.kind == Kind::Table {
                    target["format"] = json!("table");
                }
                if self.kind == Kind::Heatmap {
                    target["format"] = json!("time_series");
                }
                Ok(target)
            })
            .collect::<Result<_, PromqlError>>()?;
        let mut defaults = json!({
            "unit": self.unit,
            "thresholds": self.thresholds(),
            // Graphs keep one colour per series (thresholds are drawn as lines); single values
            // take the colour of the threshold they are past.
            "color": {"mode": if self.kind == Kind::TimeSeries || (self.alerts.is_empty() && !self.up_down) { "palette-classic" } else { "thresholds" }},
        });
        if self.unit == unit::SHARE {
            defaults["min"] = json!(0);
            defaults["max"] = json!(1);
        }
        if self.up_down {
            defaults["mappings"] = json!([{
                "type": "value",
                "options": {
                    "0": {"text": "DOWN", "color": "red", "index": 0},
                    "1": {"text": "UP", "color": "green", "index": 1},
                },
            }]);
        }
        if self.kind == Kind::TimeSeries && !self.alerts.is_empty() {
            // Draw the alert thresholds as dashed lines on the graph.
            defaults["custom"] = json!({"thresholdsStyle": {"mode": "dashed"}});
        }
        Ok(json!({
            "id": id,
            "type": self.kind.as_str(),
            "title": self.title,
            "description": self.description,
            "datasource": datasource(),
            "gridPos": {"h": height, "w": self.width, "x": x, "y": y},
            "targets": targets,
            "fieldConfig": {"defaults": defaults, "overrides": []},
            "options": self.options(),
            "links": self.links(),
        }))
    }

    /// The panel's options: what we chose, plus the fields Grafana's schema requires, at
    /// Grafana's defaults (the TypeScript check in `tests/deploy.rs` holds them to the schema).
    fn options(&self) -> Value {
        let reduce = json!({"calcs": ["lastNotNull"], "fields": "", "values": false});
        let legend = |display: &str, placement: &str, show: bool| json!({"displayMode": display, "placement": placement, "showLegend": show, "calcs": []});
        match self.kind {
            Kind::TimeSeries => json!({
                "legend": legend("list", "bottom", true),
                "tooltip": {"mode": "multi", "sort": "desc"},
            }),
            Kind::Stat => json!({
                "reduceOptions": reduce,
                "colorMode": "value",
                "graphMode": "area",
                "justifyMode": "auto",
                "textMode": "auto",
                "orientation": "auto",
                "wideLayout": true,
                "showPercentChange": false,
                "percentChangeColorMode": "standard",
            }),
            Kind::Gauge => json!({
                "reduceOptions": reduce,
                "showThresholdMarkers": true,
                "showThresholdLabels": false,
                "orientation": "auto",
                "sizing": "auto",
                "minVizHeight": 75,
                "minVizWidth": 75,
            }),
            Kind::BarGauge => json!({
                "reduceOptions": reduce,
                "orientation": "horizontal",
                "displayMode": "gradient",
                "legend": legend("list", "bottom", false),
                "namePlacement": "auto",
                "showUnfilled": true,
                "sizing": "auto",
                "valueMode": "color",
                "maxVizHeight": 300,
                "minVizHeight": 16,
                "minVizWidth": 8,
            }),
            Kind::PieChart => {
                let mut legend = legend("table", "right", true);
                legend["values"] = json!(["value", "percent"]);
                json!({
                    "reduceOptions": reduce,
                    "pieType": "pie",
                    "legend": legend,
                    "displayLabels": [],
                    "orientation": "auto",
                    "tooltip": {"mode": "single", "sort": "none"},
                })
            }
            Kind::Table => json!({
                "showHeader": true,
                "frameIndex": 0,
                "sortBy": [{"displayName": "Value", "desc": true}],
            }),
            Kind::Heatmap => json!({
                "calculate": false,
                "yAxis": {"unit": self.unit},
                "color": {
                    "mode": "scheme",
                    "scheme": "Reds",
                    "fill": "dark-orange",
                    "exponent": 0.5,
                    "steps": 64,
                    "reverse": false,
                },
                "exemplars": {"color": "rgba(255,0,255,0.7)"},
                "legend": {"show": true},
                "showValue": "auto",
                "tooltip": {"mode": "single", "yHistogram": false, "showColorScale": false},
            }),
        }
    }
}

/// A dashboard or panel link with every field Grafana's schema requires (its defaults where we
/// have no opinion); `kind` is `link` (to `url`) or `dashboards` (the Victor ones, by tag).
fn link(title: &str, kind: &str, url: &str, icon: &str) -> Value {
    let to_dashboards = kind == "dashboards";
    json!({
        "title": title,
        "type": kind,
        "url": url,
        "icon": icon,
        "tooltip": "",
        "tags": if to_dashboards { json!(["victor"]) } else { json!([]) },
        "asDropdown": to_dashboards,
        "includeVars": to_dashboards,
        "keepTime": to_dashboards,
        "targetBlank": !to_dashboards,
    })
}

fn colour(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "blue",
        Severity::Warning => "orange",
        Severity::Error => "red",
        Severity::Critical => "dark-red",
    }
}

fn datasource() -> Value {
    json!({"type": "prometheus", "uid": "${datasource}"})
}

impl Dashboard {
    fn to_json(&self) -> Result<Value, PromqlError> {
        const HEIGHT: u32 = 8;
        let mut panels = Vec::new();
        let (mut id, mut x, mut y) = (1, 0, 0);
        for row in &self.rows {
            if x > 0 {
                (x, y) = (0, y + HEIGHT);
            }
            if let Some(title) = row.title {
                panels.push(json!({
                    "id": id, "type": "row", "title": title, "collapsed": false,
                    "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": [],
                }));
                id += 1;
                y += 1;
            }
            for panel in &row.panels {
                if x + panel.width > 24 {
                    (x, y) = (0, y + HEIGHT);
                }
                panels.push(panel.to_json(id, x, y, HEIGHT)?);
                id += 1;
                x += panel.width;
            }
        }
        let job_query = "label_values(victor_build_info, job)";
        let instance_query = "label_values(victor_build_info{job=~\"$job\"}, instance)";
        let variable = |name: &str, label: &str, query: &str| {
            json!({
                "name": name, "label": label, "type": "query",
                "datasource": datasource(),
                "query": {"qryType": 1, "query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
                "refresh": 2, "includeAll": true, "multi": true, "allValue": ".*",
                "current": {"selected": true, "text": ["All"], "value": ["$__all"]},
                "sort": 1,
            })
        };
        Ok(json!({
            "uid": self.uid,
            "title": self.title,
            "description": self.description,
            "tags": ["victor"],
            "timezone": "browser",
            "editable": true,
            "graphTooltip": 1,
            "schemaVersion": 39,
            "version": 1,
            "refresh": self.refresh,
            "time": {"from": "now-1h", "to": "now"},
            "links": [
                link("Victor dashboards", "dashboards", "", "external link"),
                link("Runbooks", "link", RUNBOOK_BASE, "doc"),
            ],
            "templating": {"list": [
                {
                    "name": "datasource", "label": "Data source", "type": "datasource",
                    "query": "prometheus", "refresh": 1, "hide": 0,
                    "current": {"selected": true, "text": "Prometheus", "value": "prometheus"},
                },
                variable("job", "Job", job_query),
                variable("instance", "Instance", instance_query),
            ]},
            "annotations": {"list": [{
                "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                "enable": true, "hide": true, "iconColor": "rgba(0, 211, 255, 1)",
                "name": "Annotations & Alerts", "type": "dashboard",
            }]},
            "panels": panels,
        }))
    }
}

fn row(title: &'static str, panels: Vec<Panel>) -> Row {
    Row {
        title: Some(title),
        panels,
    }
}

fn top(panels: Vec<Panel>) -> Row {
    Row {
        title: None,
        panels,
    }
}

// --- Queries shared by several dashboards --------------------------------------------------

/// The agent's requests: every endpoint except the exporter's own routes.
fn requests() -> CounterSelector {
    counter(&catalog::REQUESTS_TOTAL)
}

fn request_rate_panel() -> Panel {
    Panel::new(Kind::TimeSeries, "Request rate", unit::REQ_PER_SEC)
        .describe("Requests per second by endpoint (the exporter's own routes left out).")
        .query(
            recorded(Recorded::RequestRate, []),
            "{{instance}} {{endpoint}}",
        )
}

fn error_rate_panel(title: &'static str) -> Panel {
    Panel::new(Kind::TimeSeries, title, unit::SHARE)
        .describe("Share of requests answered with a 5xx, by endpoint.")
        .query(
            recorded(Recorded::RequestErrors, []),
            "{{instance}} {{endpoint}}",
        )
        .alerts([AlertName::HighErrorRate])
}

fn latency_percentiles_panel(title: &'static str) -> Panel {
    Panel::new(Kind::TimeSeries, title, unit::SECONDS)
        .describe("Request latency percentiles over all of the agent's endpoints.")
        .query(
            recorded(Recorded::RequestDurationQuantile, [("quantile", "0.5")]),
            "{{instance}} p50",
        )
        .query(
            recorded(Recorded::RequestDurationQuantile, [("quantile", "0.95")]),
            "{{instance}} p95",
        )
        .query(
            recorded(Recorded::RequestDurationQuantile, [("quantile", "0.99")]),
            "{{instance}} p99",
        )
        .alerts([AlertName::DegradedResponseTime, AlertName::SlowResponseTime])
}

fn memory_panel() -> Panel {
    Panel::new(Kind::TimeSeries, "Memory usage", unit::BYTES)
        .describe("Resident memory by component, and the memory limit (cgroup or host).")
        .query(
            Query::max(gauge(&catalog::MEMORY_USAGE_BYTES), ["component"]),
            "{{component}}",
        )
        .query(Query::max(gauge(&catalog::MEMORY_LIMIT_BYTES), []), "limit")
        .alerts([
            AlertName::HighProcessMemory,
            AlertName::CriticalProcessMemory,
        ])
}

fn cpu_panel() -> Panel {
    Panel::new(Kind::TimeSeries, "CPU usage", unit::PERCENT)
        .describe("Process CPU, percent of one core.")
        .query(
            Query::max(gauge(&catalog::CPU_USAGE_PERCENT), []),
            "process",
        )
        .alerts([AlertName::HighCPUUsage, AlertName::CriticalCPUUsage])
}

fn cache_hit_panel() -> Panel {
    Panel::new(Kind::TimeSeries, "Cache hit rate", unit::SHARE)
        .describe("Hits over lookups, by named cache.")
        .query(
            recorded(Recorded::CacheHits, []),
            "{{instance}} {{cache_name}}",
        )
        .alerts([AlertName::LowCacheHitRate])
}

fn tool_p95_panel() -> Panel {
    Panel::new(
        Kind::TimeSeries,
        "Tool execution time (p95) by tool",
        unit::SECONDS,
    )
    .query(
        Query::quantile(
            0.95,
            histogram(&catalog::TOOL_EXECUTION_DURATION_SECONDS),
            ["tool"],
        ),
        "{{tool}}",
    )
}

fn provider_latency_panel() -> Panel {
    Panel::new(Kind::TimeSeries, "Provider latency (p95)", unit::SECONDS)
        .query(
            Query::quantile(
                0.95,
                histogram(&catalog::PROVIDER_LATENCY_SECONDS),
                ["provider"],
            ),
            "{{provider}}",
        )
        .alerts([AlertName::HighProviderLatency])
}

fn uptime_panel() -> Panel {
    Panel::new(Kind::Stat, "Uptime", unit::SECONDS)
        .query(Query::max(gauge(&catalog::SYSTEM_UPTIME_SECONDS), []), "")
        .width(4)
}

// --- The dashboards ------------------------------------------------------------------------

/// The six dashboards.
pub(crate) fn dashboards() -> Vec<Dashboard> {
    vec![
        overview(),
        performance_summary(),
        verticals(),
        errors(),
        victor_performance(),
        victor_metrics(),
        slos(),
    ]
}

/// The SLOs' error budgets and burn rates (`deploy/prometheus/rules/victor-slos.yml`), and the
/// OpenTelemetry GenAI view of LLM calls.
fn slos() -> Dashboard {
    let recorded = |name| Query::Recorded(name, Vec::new());
    Dashboard {
        uid: "victor-slos",
        title: "Victor / SLOs and GenAI",
        description: "Error budgets and burn rates of Victor's SLOs (docs/slos.md), and LLM calls as the OpenTelemetry GenAI conventions measure them.",
        refresh: "30s",
        rows: vec![
            row(
                "Error budgets",
                vec![
                    Panel::new(Kind::BarGauge, "Error budget left (30 days)", unit::SHARE)
                        .describe("1 − the period's burn rate: what is left of each SLO's budget; below 0 the objective is missed.")
                        .query(recorded("slo:period_error_budget_remaining:ratio"), "{{sloth_slo}}")
                        .width(8),
                    Panel::new(Kind::TimeSeries, "Burn rate (5 m)", unit::COUNT)
                        .describe("The error ratio over 5 minutes as a multiple of the budget: 1 spends it exactly over 30 days; 14.4 over 1 h pages (SLOErrorBudgetBurnFast).")
                        .query(recorded("slo:current_burn_rate:ratio"), "{{sloth_slo}}")
                        .width(8),
                    Panel::new(Kind::TimeSeries, "Error ratio (1 h)", unit::SHARE)
                        .describe("Bad events among all over the last hour, per SLO (for spend: spend over the daily budget).")
                        .query(recorded("slo:sli_error:ratio_rate1h"), "{{sloth_slo}}")
                        .width(8),
                ],
            ),
            row(
                "GenAI (OpenTelemetry conventions)",
                vec![
                    Panel::new(Kind::TimeSeries, "Output tokens per call p95", unit::COUNT)
                        .query(
                            Query::quantile(
                                0.95,
                                histogram(&catalog::GEN_AI_CLIENT_TOKEN_USAGE),
                                ["gen_ai_request_model"],
                            ),
                            "{{gen_ai_request_model}}",
                        )
                        .width(8),
                    Panel::new(Kind::TimeSeries, "Operation duration p95", unit::SECONDS)
                        .query(
                            Query::quantile(
                                0.95,
                                histogram(&catalog::GEN_AI_CLIENT_OPERATION_DURATION_SECONDS),
                                ["gen_ai_request_model"],
                            ),
                            "{{gen_ai_request_model}}",
                        )
                        .width(8),
                    Panel::new(Kind::TimeSeries, "Time to first chunk p95", unit::SECONDS)
                        .describe("Streamed calls only.")
                        .query(
                            Query::quantile(
                                0.95,
                                histogram(&catalog::GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK_SECONDS),
                                ["gen_ai_request_model"],
                            ),
                            "{{gen_ai_request_model}}",
                        )
                        .width(8),
                ],
            ),
        ],
    }
}

fn overview() -> Dashboard {
    Dashboard {
        uid: "victor-overview",
        title: "Victor / Overview",
        description: "High-level health and traffic of a Victor service (001: overview).",
        refresh: "30s",
        rows: vec![top(vec![
            request_rate_panel(),
            error_rate_panel("Error rate"),
            latency_percentiles_panel("Latency p50 / p95 / p99"),
            Panel::new(Kind::Stat, "Active users", unit::COUNT)
                .query(
                    Query::sum(gauge(&catalog::ACTIVE_USERS), ["interface"]),
                    "{{interface}}",
                )
                .width(6),
            Panel::new(Kind::Stat, "System health", unit::COUNT)
                .describe("The exporter's probes: UP when the probe passes.")
                .query(
                    Query::max(gauge(&catalog::HEALTH_STATUS), ["probe"]),
                    "{{probe}}",
                )
                .up_down()
                .width(6),
            Panel::new(Kind::Stat, "Provider status", unit::COUNT)
                .query(
                    Query::max(gauge(&catalog::PROVIDER_HEALTHY), ["provider"]),
                    "{{provider}}",
                )
                .up_down()
                .alerts([AlertName::UnhealthyProviders])
                .width(6),
            Panel::new(Kind::PieChart, "Vertical usage", unit::COUNT)
                .query(
                    Query::increase(counter(&catalog::VERTICAL_USAGE_TOTAL), ["vertical"]),
                    "{{vertical}}",
                )
                .width(6),
        ])],
    }
}

fn performance_summary() -> Dashboard {
    Dashboard {
        uid: "victor-performance-summary",
        title: "Victor / Performance",
        description: "Where a Victor service spends its time and resources (001: performance).",
        refresh: "15s",
        rows: vec![top(vec![
            latency_percentiles_panel("Response time percentiles"),
            tool_p95_panel().alerts([
                AlertName::HighToolExecutionLatency,
                AlertName::CriticalToolExecutionLatency,
            ]),
            provider_latency_panel(),
            memory_panel(),
            cpu_panel(),
            Panel::new(Kind::TimeSeries, "Request rate trend", unit::REQ_PER_SEC)
                .query(recorded(Recorded::JobRequestRate, []), "{{job}}"),
            cache_hit_panel().width(12),
            Panel::new(
                Kind::TimeSeries,
                "Tool-selection cache hit rate",
                unit::SHARE,
            )
            .query(
                recorded(Recorded::ToolSelectionCacheHits, []),
                "{{instance}} {{namespace}}",
            )
            .width(12),
        ])],
    }
}

fn verticals() -> Dashboard {
    let rate = |def: &'static victor_metrics_core::CounterDef<0>, legend| {
        (Query::rate(counter(def), []), legend)
    };
    let vertical_panel = |title, targets: Vec<(Query, &'static str)>| {
        let mut panel = Panel::new(Kind::TimeSeries, title, unit::OPS_PER_SEC);
        panel.targets = targets;
        panel
    };
    let accuracy = |title, def: &'static victor_metrics_core::GaugeDef<0>| {
        Panel::new(Kind::Gauge, title, unit::SHARE)
            .query(Query::max(gauge(def), []), "")
            .width(4)
    };
    Dashboard {
        uid: "victor-verticals",
        title: "Victor / Verticals",
        description: "Usage and results of each vertical (001: verticals).",
        refresh: "1m",
        rows: vec![
            top(vec![
                Panel::new(Kind::TimeSeries, "Vertical usage", unit::OPS_PER_SEC).query(
                    Query::rate(counter(&catalog::VERTICAL_USAGE_TOTAL), ["vertical"]),
                    "{{vertical}}",
                ),
                Panel::new(
                    Kind::TimeSeries,
                    "Tool usage by vertical",
                    unit::OPS_PER_SEC,
                )
                .query(
                    Query::rate(counter(&catalog::TOOL_EXECUTIONS_TOTAL), ["vertical"]),
                    "{{vertical}}",
                ),
                Panel::new(Kind::TimeSeries, "Success rate by vertical", unit::SHARE)
                    .query(
                        Query::ratio(
                            Query::rate(
                                counter(&catalog::TOOL_EXECUTIONS_TOTAL).eq("status", "success"),
                                ["vertical"],
                            ),
                            Query::rate(counter(&catalog::TOOL_EXECUTIONS_TOTAL), ["vertical"]),
                        ),
                        "{{vertical}}",
                    )
                    .alerts([AlertName::LowVerticalSuccessRate]),
            ]),
            row(
                "Coding, RAG, DevOps",
                vec![
                    vertical_panel(
                        "Coding",
                        vec![
                            rate(&catalog::CODING_FILES_ANALYZED_TOTAL, "files analyzed"),
                            rate(&catalog::CODING_LOC_REVIEWED_TOTAL, "lines reviewed"),
                            rate(&catalog::CODING_ISSUES_FOUND_TOTAL, "issues found"),
                        ],
                    ),
                    vertical_panel(
                        "RAG",
                        vec![rate(
                            &catalog::RAG_DOCUMENTS_INGESTED_TOTAL,
                            "documents ingested",
                        )],
                    )
                    .width(4),
                    accuracy("RAG search accuracy", &catalog::RAG_SEARCH_ACCURACY),
                    vertical_panel(
                        "DevOps deployments",
                        vec![rate(&catalog::DEVOPS_DEPLOYMENTS_TOTAL, "deployments")],
                    )
                    .width(4),
                    Panel::new(Kind::Stat, "Containers managed", unit::COUNT)
                        .query(
                            Query::max(gauge(&catalog::DEVOPS_CONTAINERS_MANAGED), []),
                            "",
                        )
                        .width(4),
                ],
            ),
            row(
                "Data analysis, research",
                vec![
                    vertical_panel(
                        "Data analysis",
                        vec![
                            rate(&catalog::DATAANALYSIS_QUERIES_TOTAL, "queries"),
                            rate(
                                &catalog::DATAANALYSIS_VISUALIZATIONS_TOTAL,
                                "visualizations",
                            ),
                        ],
                    )
                    .width(12),
                    vertical_panel(
                        "Research",
                        vec![
                            rate(&catalog::RESEARCH_SEARCHES_TOTAL, "searches"),
                            rate(
                                &catalog::RESEARCH_CITATIONS_GENERATED_TOTAL,
                                "citations generated",
                            ),
                        ],
                    )
                    .width(12),
                ],
            ),
        ],
    }
}

fn errors() -> Dashboard {
    let server_errors = || requests().matches("status", "5..");
    Dashboard {
        uid: "victor-errors",
        title: "Victor / Errors",
        description: "Error tracking and analysis (001: errors).",
        refresh: "1m",
        rows: vec![top(vec![
            error_rate_panel("Error rate by endpoint"),
            Panel::new(Kind::PieChart, "Error types", unit::COUNT).query(
                Query::increase(counter(&catalog::REQUEST_ERRORS_TOTAL), ["error_type"]),
                "{{error_type}}",
            ),
            Panel::new(Kind::TimeSeries, "Error trend", unit::REQ_PER_SEC).query(
                Query::rate(counter(&catalog::REQUEST_ERRORS_TOTAL), ["error_type"]),
                "{{error_type}}",
            ),
            Panel::new(Kind::TimeSeries, "Tool failures by tool", unit::SHARE)
                .query(recorded(Recorded::ToolErrors, []), "{{tool}}")
                .alerts([
                    AlertName::HighToolErrorRate,
                    AlertName::CriticalToolErrorRate,
                ]),
            Panel::new(
                Kind::TimeSeries,
                "Provider failures by provider",
                unit::SHARE,
            )
            .query(recorded(Recorded::ProviderFailures, []), "{{provider}}")
            .alerts([
                AlertName::HighProviderFailureRate,
                AlertName::CriticalProviderFailureRate,
            ]),
            Panel::new(Kind::TimeSeries, "Security events", unit::OPS_PER_SEC)
                .query(
                    Query::rate(counter(&catalog::SECURITY_FAILED_AUTHORIZATIONS_TOTAL), []),
                    "failed authorizations",
                )
                .query(
                    Query::rate(
                        counter(&catalog::SECURITY_VULNERABILITIES_FOUND_TOTAL),
                        ["severity"],
                    ),
                    "vulnerabilities ({{severity}})",
                ),
            Panel::new(
                Kind::Heatmap,
                "5xx rate heatmap (endpoint × time)",
                unit::REQ_PER_SEC,
            )
            .query(Query::rate(server_errors(), ["endpoint"]), "{{endpoint}}")
            .width(24),
        ])],
    }
}

fn victor_performance() -> Dashboard {
    let selection_hits = || counter(&catalog::TOOL_SELECTION_CACHE_HITS_TOTAL);
    let selection_misses = || counter(&catalog::TOOL_SELECTION_CACHE_MISSES_TOTAL);
    let selection_latency =
        |q| Query::quantile(q, histogram(&catalog::TOOL_SELECTION_DURATION_SECONDS), []);
    let tool_latency =
        |q| Query::quantile(q, histogram(&catalog::TOOL_EXECUTION_DURATION_SECONDS), []);
    Dashboard {
        uid: "victor-performance",
        title: "Victor / Performance monitoring",
        description: "The performance collector's view: cache, tool selection, provider pool and tool execution (002).",
        refresh: "30s",
        rows: vec![
            row(
                "Overview",
                vec![
                    Panel::new(Kind::Stat, "Tool selection latency (p95)", unit::SECONDS)
                        .query(selection_latency(0.95), "p95")
                        .alerts([
                            AlertName::HighToolSelectionLatency,
                            AlertName::CriticalToolSelectionLatency,
                        ])
                        .width(4),
                    Panel::new(Kind::Gauge, "Cache hit rate", unit::SHARE)
                        .query(
                            Query::max(gauge(&catalog::TOOL_SELECTION_CACHE_HIT_RATE), []),
                            "",
                        )
                        .width(4),
                    memory_panel(),
                    uptime_panel(),
                    Panel::new(Kind::Stat, "Health score", unit::COUNT)
                        .query(
                            Query::max(gauge(&catalog::PERFORMANCE_HEALTH_SCORE), []),
                            "",
                        )
                        .alerts([
                            AlertName::PerformanceCritical,
                            AlertName::PerformanceDegraded,
                        ])
                        .width(4),
                ],
            ),
            row(
                "Cache performance",
                vec![
                    Panel::new(Kind::TimeSeries, "Cache entries by namespace", unit::COUNT)
                        .query(
                            Query::max(
                                gauge(&catalog::TOOL_SELECTION_CACHE_ENTRIES),
                                ["namespace"],
                            ),
                            "{{namespace}}",
                        )
                        .width(6),
                    Panel::new(Kind::PieChart, "Cache hit / miss", unit::COUNT)
                        .query(Query::increase(selection_hits(), []), "hits")
                        .query(Query::increase(selection_misses(), []), "misses")
                        .width(6),
                    Panel::new(Kind::TimeSeries, "Cache evictions", unit::OPS_PER_SEC)
                        .query(
                            Query::rate(
                                counter(&catalog::TOOL_SELECTION_CACHE_EVICTIONS_TOTAL),
                                ["namespace"],
                            ),
                            "{{namespace}}",
                        )
                        .alerts([AlertName::HighCacheEvictionRate])
                        .width(6),
                    Panel::new(Kind::Gauge, "Cache utilization", unit::SHARE)
                        .query(
                            Query::max(
                                gauge(&catalog::TOOL_SELECTION_CACHE_UTILIZATION),
                                ["namespace"],
                            ),
                            "{{namespace}}",
                        )
                        .alerts([
                            AlertName::HighCacheUtilization,
                            AlertName::CriticalCacheUtilization,
                        ])
                        .width(6),
                ],
            ),
            row(
                "Tool selection",
                vec![
                    Panel::new(Kind::TimeSeries, "Selection latency", unit::SECONDS)
                        .query(selection_latency(0.5), "p50")
                        .query(selection_latency(0.95), "p95")
                        .query(selection_latency(0.99), "p99")
                        .alerts([
                            AlertName::HighToolSelectionLatency,
                            AlertName::CriticalToolSelectionLatency,
                        ]),
                    Panel::new(
                        Kind::BarGauge,
                        "Selection hit rate by namespace",
                        unit::SHARE,
                    )
                    .query(
                        recorded(Recorded::ToolSelectionCacheHits, []),
                        "{{instance}} {{namespace}}",
                    ),
                    Panel::new(Kind::TimeSeries, "Selection miss rate", unit::SHARE)
                        .query(
                            Query::ratio(
                                Query::rate(selection_misses(), ["namespace"]),
                                Query::rate(selection_misses(), ["namespace"])
                                    .plus(Query::rate(selection_hits(), ["namespace"])),
                            ),
                            "{{namespace}}",
                        )
                        .alerts([AlertName::HighToolSelectionMissRate]),
                ],
            ),
            row(
                "Provider pool",
                vec![
                    Panel::new(Kind::Table, "Provider health", unit::COUNT)
                        .query(
                            Query::max(gauge(&catalog::PROVIDER_HEALTHY), ["provider"]),
                            "{{provider}}",
                        )
                        .up_down()
                        .alerts([AlertName::UnhealthyProviders]),
                    provider_latency_panel(),
                    Panel::new(Kind::Stat, "Active providers", unit::COUNT)
                        .query(Query::sum(gauge(&catalog::PROVIDER_HEALTHY), []), "healthy"),
                ],
            ),
            row(
                "Tool execution",
                vec![
                    Panel::new(Kind::TimeSeries, "Execution duration", unit::SECONDS)
                        .query(tool_latency(0.95), "p95")
                        .query(tool_latency(0.99), "p99"),
                    Panel::new(Kind::TimeSeries, "Execution errors", unit::OPS_PER_SEC).query(
                        Query::rate(counter(&catalog::TOOL_ERRORS_TOTAL), ["tool", "error_type"]),
                        "{{tool}}: {{error_type}}",
                    ),
                    Panel::new(Kind::Table, "Top tools by executions", unit::COUNT).query(
                        Query::increase(counter(&catalog::TOOL_EXECUTIONS_TOTAL), ["tool"]).top(10),
                        "{{tool}}",
                    ),
                ],
            ),
        ],
    }
}

fn victor_metrics() -> Dashboard {
    let disk_free = Query::ratio(
        Query::max(gauge(&catalog::SYSTEM_DISK_FREE_BYTES), ["path"]),
        Query::max(gauge(&catalog::SYSTEM_DISK_TOTAL_BYTES), ["path"]),
    );
    Dashboard {
        uid: "victor-metrics",
        title: "Victor / Metrics",
        description: "The production collector's metrics: requests, tools, cache, system and business (003).",
        refresh: "30s",
        rows: vec![
            row(
                "Requests",
                vec![
                    request_rate_panel(),
                    latency_percentiles_panel("Request latency"),
                    error_rate_panel("Error rate"),
                    Panel::new(Kind::TimeSeries, "Active requests", unit::COUNT)
                        .query(
                            Query::sum(gauge(&catalog::ACTIVE_REQUESTS), ["endpoint"]),
                            "{{endpoint}}",
                        )
                        .width(12),
                    uptime_panel().width(12),
                ],
            ),
            row(
                "Tools and cache",
                vec![
                    Panel::new(Kind::TimeSeries, "Tool executions", unit::OPS_PER_SEC).query(
                        Query::rate(counter(&catalog::TOOL_EXECUTIONS_TOTAL), ["tool", "status"]),
                        "{{tool}} {{status}}",
                    ),
                    tool_p95_panel().alerts([
                        AlertName::HighToolExecutionLatency,
                        AlertName::CriticalToolExecutionLatency,
                    ]),
                    cache_hit_panel(),
                ],
            ),
            row(
                "System resources",
                vec![
                    memory_panel(),
                    cpu_panel(),
                    Panel::new(Kind::Gauge, "Disk free", unit::SHARE)
                        .query(disk_free, "{{path}}")
                        .alerts([AlertName::LowDiskSpace]),
                ],
            ),
            row(
                "Business",
                vec![
                    Panel::new(Kind::TimeSeries, "Tasks", unit::OPS_PER_SEC).query(
                        Query::rate(counter(&catalog::TASKS_TOTAL), ["status"]),
                        "{{status}}",
                    ),
                    Panel::new(Kind::TimeSeries, "LLM cost per hour", unit::USD).query(
                        recorded(Recorded::LlmCost, []).times(3600.0),
                        "{{instance}} {{provider}}",
                    ),
                    Panel::new(Kind::TimeSeries, "Token usage", unit::OPS_PER_SEC).query(
                        recorded(Recorded::LlmTokens, []),
                        "{{instance}} {{provider}} {{type}}",
                    ),
                ],
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_are_unique_and_every_panel_has_a_query() {
        let dashboards = dashboards();
        let mut uids: Vec<&str> = dashboards.iter().map(|d| d.uid).collect();
        uids.sort_unstable();
        uids.dedup();
        assert_eq!(uids.len(), dashboards.len());
        for dashboard in &dashboards {
            for panel in dashboard.rows.iter().flat_map(|row| &row.panels) {
                assert!(
                    !panel.targets.is_empty(),
                    "{}: {}",
                    dashboard.uid,
                    panel.title
                );
                // Building the JSON resolves every alert name.
                panel.to_json(1, 0, 0, 8).expect("renders");
            }
        }
    }

    #[test]
    fn alert_thresholds_become_panel_thresholds() {
        let panel = error_rate_panel("Error rate");
        let steps = &panel.thresholds()["steps"];
        assert_eq!(steps[0]["color"], "green");
        assert_eq!(steps[1]["value"], 0.05);
        assert_eq!(steps[1]["color"], "dark-red");
    }
}
