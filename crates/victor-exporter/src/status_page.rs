//! The status page at `/`: what a person without Grafana looks at. Server-rendered HTML with no
//! external asset (it works offline and behind any proxy), refreshed every few seconds by the
//! browser: the three probes with each check, pending and firing alerts, the summary, and small
//! charts of the request rate, error ratio, p95 latency, tokens and cost over the last minutes.
//!
//! The page reads the same JSON the API serves and the CLI prints (`/health/*`, `/api/alerts`,
//! `/api/performance/summary`), and its charts read the `history` component
//! (`/api/performance/history`): a bounded ring of samples of the summary, taken every
//! [`SAMPLE_INTERVAL`] by a task of the server.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use victor_health::Probe;
use victor_metrics_core::{Component, MetricDef};

use crate::Shared;

/// How often the history samples the summary.
pub const SAMPLE_INTERVAL: Duration = Duration::from_secs(2);

/// Samples kept: ten minutes at [`SAMPLE_INTERVAL`].
pub const HISTORY_LENGTH: usize = 300;

/// How often the page reloads itself, in seconds.
const REFRESH_SECONDS: u32 = 5;

/// One sample of the summary: rates over the interval before it, and the window's figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct HistoryPoint {
    /// Seconds since the Unix epoch.
    pub at: f64,
    /// Requests per second since the previous sample.
    pub request_rate: Option<f64>,
    /// Share of requests in the sliding window that failed.
    pub error_ratio: Option<f64>,
    /// 95th percentile request latency in the sliding window, in seconds.
    pub p95_seconds: Option<f64>,
    /// LLM tokens (prompt and completion) per second since the previous sample.
    pub token_rate: Option<f64>,
    /// LLM cost, in US dollars per hour, since the previous sample.
    pub cost_per_hour: Option<f64>,
}

/// The `history` view: samples oldest first.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct HistoryView {
    /// Seconds between samples.
    pub interval_seconds: f64,
    /// The samples, oldest first, at most [`HISTORY_LENGTH`].
    pub points: Vec<HistoryPoint>,
}

/// The totals a sample keeps to compute the next one's rates.
#[derive(Clone, Copy, Debug)]
struct Totals {
    at: f64,
    requests: f64,
    tokens: f64,
    cost: f64,
}

/// The ring of samples behind the page's charts; a [`Component`] named `history`. Clones share
/// the ring.
#[derive(Clone, Debug, Default)]
pub struct History {
    state: Arc<Mutex<(VecDeque<HistoryPoint>, Option<Totals>)>>,
}

impl History {
    /// Adds a sample read from `summary` (the `summary` view's JSON) at `at` (Unix seconds),
    /// dropping the oldest past [`HISTORY_LENGTH`]. Totals that went down (a restart of the
    /// agent's counters) give no rate for that interval.
    pub fn record(&self, summary: &Value, at: f64) {
        let number = |path: &[&str]| {
            path.iter()
                .try_fold(summary, |value, key| value.get(*key))
                .and_then(Value::as_f64)
        };
        let totals = Totals {
            at,
            requests: number(&["agent", "requests", "total"]).unwrap_or(0.0),
            tokens: number(&["agent", "llm", "prompt_tokens"]).unwrap_or(0.0)
                + number(&["agent", "llm", "completion_tokens"]).unwrap_or(0.0),
            cost: number(&["agent", "llm", "cost_usd"]).unwrap_or(0.0),
        };
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let (points, last) = &mut *state;
        let rate = |now: f64, before: f64, per: f64| {
            last.and_then(|last| {
                let seconds = at - last.at;
                (seconds > 0.0 && now >= before).then(|| (now - before) / seconds * per)
            })
        };
        let previous = last.unwrap_or(totals);
        points.push_back(HistoryPoint {
            at,
            request_rate: rate(totals.requests, previous.requests, 1.0),
            error_ratio: number(&["window", "request_error_ratio"]),
            p95_seconds: number(&["window", "request_p95_seconds"]),
            token_rate: rate(totals.tokens, previous.tokens, 1.0),
            cost_per_hour: rate(totals.cost, previous.cost, 3600.0),
        });
        while points.len() > HISTORY_LENGTH {
            points.pop_front();
        }
        *last = Some(totals);
    }
}

impl Component for History {
    type View = HistoryView;

    fn name(&self) -> &'static str {
        "history"
    }

    fn metrics(&self) -> Vec<&'static MetricDef> {
        Vec::new()
    }

    fn view(&self) -> Option<HistoryView> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        Some(HistoryView {
            interval_seconds: SAMPLE_INTERVAL.as_secs_f64(),
            points: state.0.iter().cloned().collect(),
        })
    }
}

/// The JSON of the component view `name`, as `/api/performance/{name}` answers it.
fn view(shared: &Shared, name: &str) -> Value {
    shared
        .components()
        .view_json(name)
        .and_then(Result::ok)
        .and_then(|body| serde_json::from_slice(&body).ok())
        .unwrap_or(Value::Null)
}

/// Samples the summary into `history` every [`SAMPLE_INTERVAL`] until the task is dropped.
pub(crate) async fn sample_history(shared: Arc<Shared>, history: History) {
    let mut ticks = tokio::time::interval(SAMPLE_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let (shared, history) = (Arc::clone(&shared), history.clone());
        // A refresh is CPU work proportional to the series: off the async workers.
        let _ = tokio::task::spawn_blocking(move || {
            shared.refresh();
            history.record(&view(&shared, "summary"), unix_seconds(SystemTime::now()));
        })
        .await;
    }
}

fn unix_seconds(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0.0, |since| since.as_secs_f64())
}

/// `GET /`: the status page.
pub(crate) async fn serve_status_page(State(shared): State<Arc<Shared>>) -> Response {
    let mut probes = Vec::new();
    for probe in [Probe::Startup, Probe::Liveness, Probe::Readiness] {
        let report = shared.health.probe(probe).await;
        probes.push(serde_json::to_value(report).unwrap_or(Value::Null));
    }
    let page = tokio::task::spawn_blocking(move || {
        shared.refresh();
        let alerts = shared
            .alerts
            .as_ref()
            .and_then(|engine| serde_json::to_value(Component::view(&**engine)).ok());
        render(&Page {
            probes,
            alerts,
            summary: view(&shared, "summary"),
            history: view(&shared, "history"),
            now: SystemTime::now(),
        })
    })
    .await
    .unwrap_or_else(|_| "<!doctype html><title>victor-exporter</title>rendering failed".into());
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        page,
    )
        .into_response()
}

/// What the page shows: the JSON documents of the API.
struct Page {
    /// `/health/startup`, `/health/live`, `/health/ready`.
    probes: Vec<Value>,
    /// `/api/alerts`; `None` when alerting is off.
    alerts: Option<Value>,
    /// `/api/performance/summary`.
    summary: Value,
    /// `/api/performance/history`.
    history: Value,
    now: SystemTime,
}

/// Escapes text for HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn number(value: &Value, path: &[&str]) -> Option<f64> {
    path.iter()
        .try_fold(value, |value, key| value.get(*key))
        .and_then(Value::as_f64)
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "–".into(), |v| format!("{:.1}%", v * 100.0))
}

fn seconds(value: Option<f64>) -> String {
    match value {
        None => "–".into(),
        Some(v) if v < 1.0 => format!("{:.0} ms", v * 1000.0),
        Some(v) => format!("{v:.2} s"),
    }
}

fn count(value: Option<f64>) -> String {
    value.map_or_else(|| "–".into(), |v| format!("{v:.0}"))
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d2129;background:#fafbfc}\
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:1.4em 0 .5em}\
.muted{color:#6a737d}.ok{color:#1a7f37}.bad{color:#cf222e}.warn{color:#9a6700}\
table{border-collapse:collapse}td,th{padding:.25em .8em .25em 0;text-align:left;vertical-align:top}\
th{font-weight:600;border-bottom:1px solid #d0d7de}\
.charts{display:flex;flex-wrap:wrap;gap:1em}.chart{margin:0;padding:.6em;background:#fff;border:1px solid #d0d7de;border-radius:6px}\
.chart figcaption{font-size:.9em}.chart b{font-size:1.2em}\
.chart svg{display:block;width:240px;height:60px}.chart polyline{fill:none;stroke:#0969da;stroke-width:1.5}\
.figures{display:flex;flex-wrap:wrap;gap:1.5em}.figures div b{display:block;font-size:1.3em}";

/// One chart: `series` of the history's points as an SVG polyline scaled to its maximum.
fn chart(
    out: &mut String,
    points: &[Value],
    key: &str,
    title: &str,
    shown: impl Fn(f64) -> String,
) {
    let values: Vec<f64> = points
        .iter()
        .filter_map(|point| point.get(key).and_then(Value::as_f64))
        .filter(|value| value.is_finite())
        .collect();
    let max = values.iter().copied().fold(0.0_f64, f64::max);
    let (width, height) = (240.0, 60.0);
    let step = if values.len() > 1 {
        width / (values.len() - 1) as f64
    } else {
        0.0
    };
    let coordinates: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, value)| {
            let y = if max > 0.0 {
                height - 2.0 - value / max * (height - 4.0)
            } else {
                height - 2.0
            };
            format!("{:.1},{y:.1}", i as f64 * step)
        })
        .collect();
    let last = values.last().map_or_else(|| "–".into(), |v| shown(*v));
    let _ = write!(
        out,
        "<figure class=\"chart\" data-series=\"{key}\" data-points=\"{}\">\
         <figcaption>{title} <b>{}</b> <span class=\"muted\">max {}</span></figcaption>\
         <svg viewBox=\"0 0 240 60\" role=\"img\" aria-label=\"{title}\"><polyline points=\"{}\"/></svg></figure>",
        values.len(),
        escape(&last),
        escape(&shown(max)),
        coordinates.join(" ")
    );
}

fn render(page: &Page) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let summary = &page.summary;
    let first = page.probes.first().unwrap_or(&Value::Null);
    let healthy = page.probes.iter().all(|p| text(p, "status") == "healthy");
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta http-equiv=\"refresh\" content=\"{REFRESH_SECONDS}\">\
         <title>victor-exporter: {}</title><style>{STYLE}</style></head><body>\
         <h1>victor-exporter {} <span class=\"{}\">{}</span></h1>\
         <p class=\"muted\">up {} · refreshed {} · every {REFRESH_SECONDS} s · \
         <a href=\"/metrics\">/metrics</a> · <a href=\"/api/performance/summary\">summary JSON</a> · \
         <a href=\"/api/alerts\">alerts JSON</a></p>",
        if healthy { "healthy" } else { "unhealthy" },
        escape(text(first, "version")),
        if healthy { "ok" } else { "bad" },
        if healthy { "healthy" } else { "unhealthy" },
        number(first, &["uptime_seconds"]).map_or_else(
            || "–".into(),
            |up| humantime::format_duration(Duration::from_secs(up.max(0.0) as u64)).to_string()
        ),
        escape(&humantime::format_rfc3339_seconds(page.now).to_string()),
    );

    out.push_str("<h2>Last minutes</h2><div class=\"charts\">");
    let points: Vec<Value> = page.history["points"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    chart(&mut out, &points, "request_rate", "requests/s", |v| {
        format!("{v:.1}")
    });
    chart(&mut out, &points, "error_ratio", "error ratio", |v| {
        percent(Some(v))
    });
    chart(&mut out, &points, "p95_seconds", "p95 latency", |v| {
        seconds(Some(v))
    });
    chart(&mut out, &points, "token_rate", "tokens/s", |v| {
        format!("{v:.0}")
    });
    chart(&mut out, &points, "cost_per_hour", "cost $/h", |v| {
        format!("{v:.2}")
    });
    out.push_str("</div>");

    let agent = &summary["agent"];
    let _ = write!(
        out,
        "<h2>Summary</h2><div class=\"figures\" id=\"summary\">\
         <div>health score<b>{}</b></div><div>requests<b>{}</b></div>\
         <div>error ratio (window)<b>{}</b></div><div>p95 (window)<b>{}</b></div>\
         <div>LLM calls<b>{}</b></div><div>tokens<b>{}</b></div><div>cost<b>${:.2}</b></div>\
         <div>tool runs<b>{}</b></div><div>cache hit rate<b>{}</b></div></div>",
        count(number(summary, &["health", "score"])),
        count(number(agent, &["requests", "total"])),
        percent(number(summary, &["window", "request_error_ratio"])),
        seconds(number(summary, &["window", "request_p95_seconds"])),
        count(number(agent, &["llm", "calls", "total"])),
        count(
            number(agent, &["llm", "prompt_tokens"])
                .zip(number(agent, &["llm", "completion_tokens"]))
                .map(|(prompt, completion)| prompt + completion)
        ),
        number(agent, &["llm", "cost_usd"]).unwrap_or(0.0),
        count(number(agent, &["tools", "total"])),
        percent(number(agent, &["cache", "hit_rate"])),
    );

    // After the figures that explain them, before the probes.
    out.push_str("<h2>Alerts</h2>");
    match &page.alerts {
        None => out.push_str("<p class=\"muted\">alerting is off</p>"),
        Some(alerts) => {
            let list: Vec<&Value> = alerts["alerts"].as_array().into_iter().flatten().collect();
            if list.is_empty() {
                out.push_str("<p class=\"ok\" id=\"no-alerts\">no pending or firing alerts</p>");
            } else {
                let firing = list.iter().filter(|a| text(a, "state") == "firing").count();
                let _ = write!(
                    out,
                    "<p><span class=\"bad\">{firing} firing</span>, \
                     <span class=\"warn\">{} pending</span></p>",
                    list.len() - firing
                );
                out.push_str(
                    "<table id=\"alerts\"><tr><th>state</th><th>severity</th><th>alert</th>\
                     <th>labels</th><th>since</th><th>summary</th></tr>",
                );
                for alert in list {
                    let state = text(alert, "state");
                    let labels = victor_alerting::distinguishing_labels(alert);
                    let _ = write!(
                        out,
                        "<tr class=\"alert\" data-alert=\"{}\" data-state=\"{}\"><td class=\"{}\">{}</td>\
                         <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        escape(text(alert, "name")),
                        escape(state),
                        if state == "firing" { "bad" } else { "warn" },
                        escape(state),
                        escape(text(alert, "severity")),
                        escape(text(alert, "name")),
                        escape(&labels.join(", ")),
                        escape(text(alert, "active_since")),
                        escape(text(&alert["annotations"], "summary")),
                    );
                }
                out.push_str("</table>");
            }
        }
    }

    out.push_str("<h2>Probes</h2>");
    for report in &page.probes {
        let status = text(report, "status");
        let _ = write!(
            out,
            "<p><b>{}</b> <span class=\"{}\">{}</span></p><table>",
            escape(text(report, "probe")),
            if status == "healthy" { "ok" } else { "bad" },
            escape(status)
        );
        for check in report["checks"].as_array().into_iter().flatten() {
            let ok = text(check, "status") == "healthy";
            let _ = write!(
                out,
                "<tr><td class=\"{}\">{}</td><td>{}</td><td class=\"muted\">{}</td><td>{}</td></tr>",
                if ok { "ok" } else { "bad" },
                if ok { "✓" } else { "✗" },
                escape(text(check, "name")),
                seconds(number(check, &["duration_seconds"])),
                escape(text(check, "message")),
            );
        }
        out.push_str("</table>");
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn summary(requests: u64, tokens: u64, cost: f64) -> Value {
        json!({
            "health": {"score": 91.5},
            "window": {"request_error_ratio": 0.25, "request_p95_seconds": 0.4},
            "agent": {"requests": {"total": requests},
                      "llm": {"prompt_tokens": tokens, "completion_tokens": 0, "cost_usd": cost}},
        })
    }

    #[test]
    fn the_history_keeps_rates_between_samples_and_stays_bounded() {
        let history = History::default();
        history.record(&summary(100, 1_000, 1.0), 10.0);
        history.record(&summary(120, 1_400, 1.5), 12.0);
        // A restart of the agent's counters gives no rate, not a negative one.
        history.record(&summary(5, 10, 0.0), 14.0);
        let view = history.view().expect("a view");
        let rates: Vec<Option<f64>> = view.points.iter().map(|p| p.request_rate).collect();
        assert_eq!(rates, [None, Some(10.0), None]);
        assert_eq!(view.points[1].token_rate, Some(200.0));
        assert_eq!(view.points[1].cost_per_hour, Some(900.0));
        assert_eq!(view.points[1].error_ratio, Some(0.25));
        for i in 0..(HISTORY_LENGTH as u64 + 50) {
            history.record(&summary(i, i, 0.0), 20.0 + i as f64);
        }
        assert_eq!(history.view().expect("view").points.len(), HISTORY_LENGTH);
    }

    #[test]
    fn the_page_shows_everything_and_escapes_what_agents_send() {
        let hostile = "<script>alert(1)</script>\"&'\0";
        let history = History::default();
        for i in 0..5_u32 {
            history.record(&summary(u64::from(i) * 10, 0, 0.0), f64::from(i) * 2.0);
        }
        let page = Page {
            probes: vec![
                json!({"probe": "readiness", "status": "unhealthy", "version": "0.1.0",
                "uptime_seconds": 42.0, "checks": [{"name": "disk", "status": "unhealthy",
                "duration_seconds": 0.0004, "message": hostile}]}),
            ],
            alerts: Some(
                json!({"alerts": [{"name": "HighErrorRate", "state": "pending",
                "severity": "critical", "labels": {"endpoint": hostile},
                "active_since": "2026-12-02T10:00:00Z", "annotations": {"summary": hostile}}]}),
            ),
            summary: summary(40, 0, 0.0),
            history: serde_json::to_value(history.view()).expect("json"),
            now: UNIX_EPOCH,
        };
        let html = render(&page);
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;&#39;\u{FFFD}"));
        assert!(html.contains("data-alert=\"HighErrorRate\" data-state=\"pending\""));
        assert!(
            html.contains("data-series=\"request_rate\" data-points=\"4\""),
            "{html}"
        );
        assert!(html.contains("<meta http-equiv=\"refresh\""));
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "no external asset"
        );
        assert!(html.contains("unhealthy"));
    }
}
