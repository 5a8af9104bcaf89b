//! `victor metrics VIEW`: the performance API as readable tables.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::Value;

use crate::format::{
    self, BAD, BOLD, Cell, DIM, GOOD, Table, WARN, bytes, count, number, paint, percent, seconds,
    text,
};

/// A view of `GET /api/performance/{view}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum View {
    /// Health score, request/LLM/tool totals, rates and p50/p95/p99, cache, tokens and cost.
    Summary,
    /// Named caches and tool-selection namespaces: hits, misses, hit rate, evictions, latency, fill.
    Cache,
    /// LLM providers: health, calls, errors, p50/p95/p99.
    Providers,
    /// Tools, most used first: runs, errors, success rate, p50/p95/p99.
    Tools,
    /// The exporter's process and host: CPU, memory, threads, file descriptors, disk.
    System,
    /// SLOs in force: objective, burn rate over each window the alerts read, alerts.
    Slos,
}

impl View {
    /// The API path of this view.
    pub(crate) fn path(self) -> &'static str {
        match self {
            View::Summary => "api/performance/summary",
            View::Cache => "api/performance/cache",
            View::Providers => "api/performance/providers",
            View::Tools => "api/performance/tools",
            View::System => "api/performance/system",
            View::Slos => "api/performance/slos",
        }
    }

    /// The view's JSON as text for a reader.
    pub(crate) fn render(self, json: &Value) -> String {
        match self {
            View::Summary => summary(json),
            View::Cache => cache(json),
            View::Providers => providers(json),
            View::Tools => tools(json),
            View::System => system(json),
            View::Slos => slos(json),
        }
    }
}

/// The p50/p95/p99 cells of `json["duration_seconds"]`.
fn percentiles(json: &Value) -> [Cell; 3] {
    ["p50", "p95", "p99"].map(|q| seconds(number(json, &["duration_seconds", q])).into())
}

/// An error share, coloured from 1% (yellow) and 5% (red).
fn error_share(value: Option<f64>) -> Cell {
    let style = match value {
        Some(v) if v >= 0.05 => BAD,
        Some(v) if v >= 0.01 => WARN,
        _ => anstyle::Style::new(),
    };
    Cell::styled(percent(value), style)
}

/// A hit rate, coloured below 80% (yellow) and 50% (red).
fn hit_share(value: Option<f64>) -> Cell {
    let style = match value {
        Some(v) if v < 0.5 => BAD,
        Some(v) if v < 0.8 => WARN,
        _ => anstyle::Style::new(),
    };
    Cell::styled(percent(value), style)
}

fn summary(json: &Value) -> String {
    let mut out = String::new();
    let score = number(json, &["health", "score"]);
    let style = match score {
        Some(s) if s >= 80.0 => GOOD,
        Some(s) if s >= 60.0 => WARN,
        _ => BAD,
    };
    let penalties: Vec<String> = ["errors", "latency", "tools", "cache", "memory"]
        .iter()
        .filter_map(|name| {
            let penalty = number(json, &["health", name])?;
            (penalty > 0.0).then(|| format!("{name} -{penalty:.1}"))
        })
        .collect();
    let _ = writeln!(
        out,
        "{} {}/100{}",
        paint(BOLD, "Health score"),
        paint(style, &score.map_or("-".into(), |s| format!("{s:.0}"))),
        if penalties.is_empty() {
            String::new()
        } else {
            paint(DIM, &format!("  ({})", penalties.join(", ")))
        }
    );
    let window = &json["window"];
    let _ = writeln!(
        out,
        "{}",
        paint(
            DIM,
            &format!(
                "over the last {}: {} requests, {} errors, p95 {}, tool failures {}, cache hits {}",
                seconds(number(window, &["seconds"])),
                count(number(window, &["requests"])),
                percent(number(window, &["request_error_ratio"])),
                seconds(number(window, &["request_p95_seconds"])),
                percent(number(window, &["tool_failure_ratio"])),
                percent(number(window, &["cache_hit_rate"])),
            )
        )
    );
    let agent = &json["agent"];
    let mut table = Table::new(
        vec![
            "SINCE START",
            "TOTAL",
            "ERRORS",
            "ERROR %",
            "P50",
            "P95",
            "P99",
        ],
        1,
    );
    for (name, part) in [
        ("requests", &agent["requests"]),
        ("llm calls", &agent["llm"]["calls"]),
        ("tool runs", &agent["tools"]),
    ] {
        let [p50, p95, p99] = percentiles(part);
        table.row(vec![
            name.into(),
            count(number(part, &["total"])).into(),
            count(number(part, &["errors"])).into(),
            error_share(number(part, &["error_rate"])),
            p50,
            p95,
            p99,
        ]);
    }
    out.push('\n');
    out.push_str(&table.render());
    let llm = &agent["llm"];
    let _ = writeln!(
        out,
        "\ncache    {} hit rate ({} hits, {} misses)",
        percent(number(agent, &["cache", "hit_rate"])),
        count(number(agent, &["cache", "hits"])),
        count(number(agent, &["cache", "misses"])),
    );
    let _ = writeln!(
        out,
        "tokens   {} prompt, {} completion; cost ${:.4}",
        count(number(llm, &["prompt_tokens"])),
        count(number(llm, &["completion_tokens"])),
        number(llm, &["cost_usd"]).unwrap_or(0.0),
    );
    if let Some(uptime) = number(agent, &["uptime_seconds"]) {
        let _ = writeln!(
            out,
            "uptime   {}",
            format::age(Duration::from_secs_f64(uptime.max(0.0)))
        );
    }
    if json["system"]["sampled"] == Value::Bool(true) {
        let s = &json["system"];
        let _ = writeln!(
            out,
            "process  CPU {:.1}%, RSS {} ({} of the limit)",
            number(s, &["process_cpu_percent"]).unwrap_or(0.0),
            bytes(number(s, &["rss_bytes"])),
            percent(number(s, &["memory_used_ratio"])),
        );
    }
    out
}

fn cache(json: &Value) -> String {
    let mut out = String::new();
    let mut caches = Table::new(vec!["CACHE", "HITS", "MISSES", "HIT RATE", "EVICTIONS"], 1);
    for entry in json["caches"].as_array().into_iter().flatten() {
        caches.row(vec![
            text(entry, "name").into(),
            count(number(entry, &["hits"])).into(),
            count(number(entry, &["misses"])).into(),
            hit_share(number(entry, &["hit_rate"])),
            count(number(entry, &["evictions"])).into(),
        ]);
    }
    out.push_str(&or_none(&caches, "no cache activity yet"));
    let mut namespaces = Table::new(
        vec![
            "TOOL SELECTION",
            "HITS",
            "MISSES",
            "HIT RATE",
            "EVICTIONS",
            "P50",
            "P95",
            "P99",
            "ENTRIES",
            "FILL",
        ],
        1,
    );
    let fill = &json["tool_selection_fill"];
    for entry in json["tool_selection"].as_array().into_iter().flatten() {
        let name = text(entry, "name");
        let [p50, p95, p99] = percentiles(entry);
        let entries = match (
            number(&fill[name], &["entries"]),
            number(&fill[name], &["capacity"]),
        ) {
            (Some(entries), Some(capacity)) => {
                format!("{}/{}", count(Some(entries)), count(Some(capacity)))
            }
            _ => "-".into(),
        };
        namespaces.row(vec![
            name.into(),
            count(number(entry, &["hits"])).into(),
            count(number(entry, &["misses"])).into(),
            hit_share(number(entry, &["hit_rate"])),
            count(number(entry, &["evictions"])).into(),
            p50,
            p95,
            p99,
            entries.into(),
            percent(number(&fill[name], &["utilization"])).into(),
        ]);
    }
    out.push('\n');
    out.push_str(&or_none(&namespaces, "no tool-selection lookups yet"));
    out
}

fn providers(json: &Value) -> String {
    let mut table = Table::new(
        vec![
            "PROVIDER", "HEALTH", "CALLS", "ERRORS", "ERROR %", "P50", "P95", "P99",
        ],
        2,
    );
    for entry in json["providers"].as_array().into_iter().flatten() {
        let health = match entry.get("healthy").and_then(Value::as_bool) {
            Some(true) => Cell::styled("healthy", GOOD),
            Some(false) => Cell::styled("unhealthy", BAD),
            None => Cell::styled("unknown", DIM),
        };
        let [p50, p95, p99] = percentiles(entry);
        table.row(vec![
            text(entry, "name").into(),
            health,
            count(number(entry, &["total"])).into(),
            count(number(entry, &["errors"])).into(),
            error_share(number(entry, &["error_rate"])),
            p50,
            p95,
            p99,
        ]);
    }
    let mut out = format!(
        "{} of {} providers healthy\n\n",
        count(number(json, &["healthy"])),
        count(number(json, &["known"]))
    );
    out.push_str(&or_none(&table, "no LLM calls yet"));
    out
}

fn tools(json: &Value) -> String {
    let mut table = Table::new(
        vec!["TOOL", "RUNS", "ERRORS", "SUCCESS %", "P50", "P95", "P99"],
        1,
    );
    for entry in json["tools"].as_array().into_iter().flatten() {
        let success = number(entry, &["success_rate"]);
        let style = match success {
            Some(s) if s < 0.95 => BAD,
            Some(s) if s < 0.99 => WARN,
            _ => anstyle::Style::new(),
        };
        let [p50, p95, p99] = percentiles(entry);
        table.row(vec![
            text(entry, "name").into(),
            count(number(entry, &["total"])).into(),
            count(number(entry, &["errors"])).into(),
            Cell::styled(percent(success), style),
            p50,
            p95,
            p99,
        ]);
    }
    or_none(&table, "no tool runs yet")
}

/// One row per SLO: its objective, the burn rate over each window (1 spends the budget exactly
/// over the period; red from 14.4, the page's pace, yellow from 3, the ticket's), its alerts.
fn slos(json: &Value) -> String {
    use victor_alerting::slo::WINDOWS;
    let mut header = vec!["SLO", "OBJECTIVE"];
    header.extend(WINDOWS);
    header.push("ALERTS");
    let mut table = Table::new(header, 2);
    for slo in json["slos"].as_array().into_iter().flatten() {
        let objective = number(slo, &["objective"]).filter(|objective| *objective > 0.0);
        let mut row: Vec<Cell> = vec![
            text(slo, "name").into(),
            objective
                .map_or_else(|| "budget".to_owned(), |o| percent(Some(o)))
                .into(),
        ];
        for window in WINDOWS {
            let value = slo["burn_rates"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|burn| text(burn, "window") == window)
                .and_then(|burn| number(burn, &["burn_rate"]));
            let style = match value {
                Some(v) if v >= 14.4 => BAD,
                Some(v) if v >= 3.0 => WARN,
                _ => anstyle::Style::new(),
            };
            let shown = value.map_or_else(|| "-".to_owned(), |v| format!("{v:.2}x"));
            row.push(Cell::styled(shown, style));
        }
        let alerts: Vec<String> = slo["alerts"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|alert| format!("{} {}", text(alert, "name"), text(alert, "state")))
            .collect();
        row.push(if alerts.is_empty() {
            "-".into()
        } else {
            alerts.join(", ").into()
        });
        table.row(row);
    }
    or_none(&table, "no SLOs in force (or the engine is off)")
}

fn system(json: &Value) -> String {
    if json["sampled"] != Value::Bool(true) {
        return "not sampled: the exporter runs --simulate, whose synthetic figures are in /metrics\n"
            .into();
    }
    let n = |key: &str| number(json, &[key]);
    let rows = [
        (
            "process CPU",
            format!("{:.1}%", n("process_cpu_percent").unwrap_or(0.0)),
        ),
        (
            "host CPU",
            format!("{:.1}%", n("host_cpu_percent").unwrap_or(0.0)),
        ),
        (
            "memory",
            format!(
                "RSS {} ({} of the {} limit), virtual {}",
                bytes(n("rss_bytes")),
                percent(n("memory_used_ratio")),
                bytes(n("memory_limit_bytes")),
                bytes(n("virtual_bytes")),
            ),
        ),
        (
            "host memory",
            format!(
                "{} available of {}",
                bytes(n("host_memory_available_bytes")),
                bytes(n("host_memory_total_bytes"))
            ),
        ),
        ("threads", count(n("threads"))),
        (
            "file descriptors",
            format!("{} open of {}", count(n("open_fds")), count(n("max_fds"))),
        ),
        (
            "disk",
            format!(
                "{} free of {} ({}) for {}",
                bytes(number(json, &["disk", "free_bytes"])),
                bytes(number(json, &["disk", "total_bytes"])),
                percent(number(json, &["disk", "free_ratio"])),
                text(&json["disk"], "path"),
            ),
        ),
        ("connections", count(n("active_connections"))),
        (
            "uptime",
            n("uptime_seconds").map_or("-".into(), |s| {
                format::age(Duration::from_secs_f64(s.max(0.0)))
            }),
        ),
    ];
    let mut out = String::new();
    for (name, value) in rows {
        let _ = writeln!(out, "{:<17} {value}", paint(BOLD, name));
    }
    out
}

/// The table, or a dim line saying it is empty.
fn or_none(table: &Table, empty: &str) -> String {
    if table.is_empty() {
        format!("{}\n", paint(DIM, empty))
    } else {
        table.render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plain(text: &str) -> String {
        anstream::adapter::strip_str(text).to_string()
    }

    #[test]
    fn tools_are_a_table_of_runs_and_percentiles() {
        let json = json!({"tools": [
            {"name": "read_file", "total": 1500, "errors": 0, "success_rate": 1.0, "error_rate": 0.0,
             "duration_seconds": {"p50": 0.032, "p95": 0.22, "p99": 0.44}},
            {"name": "bash", "total": 11, "errors": 3, "success_rate": 0.727, "error_rate": 0.273,
             "duration_seconds": {"p50": 0.85, "p95": 2.29, "p99": 2.46}},
        ]});
        assert_eq!(
            plain(&View::Tools.render(&json)),
            "TOOL        RUNS  ERRORS  SUCCESS %      P50      P95      P99\n\
             read_file  1 500       0     100.0%   32.0ms  220.0ms  440.0ms\n\
             bash          11       3      72.7%  850.0ms    2.29s    2.46s\n"
        );
        assert_eq!(
            plain(&View::Tools.render(&json!({"tools": []}))),
            "no tool runs yet\n"
        );
    }

    #[test]
    fn summary_shows_the_score_its_penalties_and_the_totals() {
        let json = json!({
            "health": {"score": 63.0, "errors": 12.9, "latency": 20.0, "tools": 4.1, "cache": 0.0, "memory": 0.0},
            "window": {"seconds": 300.0, "requests": 93, "request_error_ratio": 0.032, "request_p95_seconds": 8.1,
                       "tool_failure_ratio": 0.04, "cache_hit_rate": 0.83},
            "agent": {"requests": {"total": 93, "errors": 3, "error_rate": 0.032,
                                   "duration_seconds": {"p50": 0.79, "p95": 8.1, "p99": 20.7}},
                      "llm": {"calls": {"total": 26, "errors": 2, "error_rate": 0.077}, "prompt_tokens": 90979,
                              "completion_tokens": 19136, "cost_usd": 0.375864},
                      "tools": {"total": 98, "errors": 4, "error_rate": 0.04},
                      "cache": {"hit_rate": 0.83, "hits": 344, "misses": 70}, "uptime_seconds": 3725.0},
            "system": {"sampled": false}
        });
        let text = plain(&View::Summary.render(&json));
        assert!(
            text.starts_with("Health score 63/100  (errors -12.9, latency -20.0, tools -4.1)\n"),
            "{text}"
        );
        assert!(
            text.contains("over the last 5m 0s: 93 requests, 3.2% errors, p95 8.10s"),
            "{text}"
        );
        assert!(
            text.contains("requests        93       3     3.2%  790.0ms  8.10s  20.70s"),
            "{text}"
        );
        assert!(
            text.contains("tokens   90 979 prompt, 19 136 completion; cost $0.3759"),
            "{text}"
        );
        assert!(text.contains("uptime   1h 2m"), "{text}");
        assert!(!text.contains("process"), "{text}");
    }

    #[test]
    fn system_says_when_it_is_not_sampled() {
        let text = plain(&View::System.render(&json!({"sampled": false})));
        assert!(text.contains("--simulate"), "{text}");
        let text = plain(&View::System.render(&json!({
            "sampled": true, "rss_bytes": 19132416, "memory_used_ratio": 0.0008, "memory_limit_bytes": 25276063744u64,
            "open_fds": 13, "max_fds": 20000, "disk": {"free_bytes": 1073741824u64, "total_bytes": 2147483648u64,
            "free_ratio": 0.5, "path": "/data"}
        })));
        assert!(
            text.contains("RSS 18.2 MiB (0.1% of the 23.5 GiB limit)"),
            "{text}"
        );
        assert!(text.contains("13 open of 20 000"), "{text}");
        assert!(
            text.contains("1.0 GiB free of 2.0 GiB (50.0%) for /data"),
            "{text}"
        );
    }
}
