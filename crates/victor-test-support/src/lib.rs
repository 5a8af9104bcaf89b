//! Helpers the workspace's tests share, so each test crate does not grow its own copy: an HTTP
//! receiver for webhook-style notifications ([`WebhookReceiver`]), reading samples from a
//! rendered Prometheus exposition ([`series_value`], [`sample_sum`]), and a store at the
//! cardinality limit ([`fill_every_metric`]), and throwaway TLS ([`tls`]).
//!
//! A dev-dependency only: no library or binary of the workspace depends on it.

pub mod tls;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

/// Records, through `recorder`, every catalog metric with `label_sets` label sets (one for a
/// metric without labels), each series once: a store at the cardinality limit when
/// `label_sets` is the limit. Returns how many series that made.
pub fn fill_every_metric(recorder: &dyn metrics::Recorder, label_sets: usize) -> u64 {
    use metrics::{Key, Label, Level, Metadata};
    use victor_metrics_core::{MetricKind, catalog};

    const META: Metadata<'static> = Metadata::new("fill", Level::INFO, None);
    let mut series = 0;
    for def in catalog::ALL {
        let sets = if def.labels().is_empty() {
            1
        } else {
            label_sets
        };
        for i in 0..sets {
            let labels: Vec<Label> = def
                .labels()
                .iter()
                .map(|name| Label::new(*name, format!("{name}-{i}")))
                .collect();
            let key = Key::from_parts(def.name(), labels);
            match def.kind() {
                MetricKind::Counter => recorder.register_counter(&key, &META).increment(1),
                MetricKind::Gauge => recorder.register_gauge(&key, &META).set(i as f64),
                MetricKind::Histogram => recorder.register_histogram(&key, &META).record(0.2),
            }
            series += 1;
        }
    }
    series
}

/// The value of the one series written exactly as `series` (name and labels in the order the
/// exposition writes them, escapes included) in `text`; `None` when it is not there.
///
/// ```
/// use victor_test_support::series_value;
///
/// let text = "t{tool=\"a\"} 2\nt{tool=\"a\",mode=\"x\"} 7\n";
/// assert_eq!(series_value(text, r#"t{tool="a"}"#), Some(2.0));
/// assert_eq!(series_value(text, "t"), None);
/// ```
pub fn series_value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
}

/// The sum of every sample of metric `name` whose labels include all of `labels`, in `text` (the
/// Prometheus text format); 0 when there is none. Other metrics sharing the prefix
/// (`name_bucket`, `name_total` for `name`) are not counted.
///
/// ```
/// use victor_test_support::sample_sum;
///
/// let text = "# TYPE t counter\nt{tool=\"a\",status=\"ok\"} 2\nt{tool=\"b\",status=\"ok\"} 3\nt_x 9\n";
/// assert_eq!(sample_sum(text, "t", &[("status", "ok")]), 5.0);
/// assert_eq!(sample_sum(text, "t", &[("tool", "b")]), 3.0);
/// assert_eq!(sample_sum(text, "t", &[("tool", "c")]), 0.0);
/// ```
pub fn sample_sum(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let rest = line.strip_prefix(name)?;
            let (series_labels, value) = match rest.strip_prefix('{') {
                Some(rest) => rest.rsplit_once("} ")?,
                None => ("", rest.strip_prefix(' ')?),
            };
            let wanted = labels
                .iter()
                .all(|(key, value)| series_labels.contains(&format!("{key}=\"{value}\"")));
            wanted.then(|| value.trim().parse::<f64>().ok()).flatten()
        })
        .sum()
}

/// How the receiver answers a request: a script is played one answer per request, then 200.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Answer with this status (a 2xx keeps the request as accepted).
    Status(u16),
    /// Never answer (the handler sleeps for an hour).
    Hang,
    /// Answer with this status to every request for this long after the first one (an outage
    /// of a duration), then move on in the script.
    StatusFor(u16, Duration),
    /// Answer with this (error) status and a body that repeats the request's path, query and
    /// body, as many 404 pages do: a secret in the URL or the payload comes back.
    Echo(u16),
}

/// A request the receiver accepted (answered 2xx).
#[derive(Clone, Debug)]
pub struct Received {
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body, as sent.
    pub body: Bytes,
}

impl Received {
    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }

    /// A header's value, when present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

#[derive(Default)]
struct Inbox {
    script: VecDeque<Answer>,
    accepted: Vec<Received>,
    /// When the `StatusFor` at the head of the script began.
    outage_began: Option<std::time::Instant>,
}

/// An HTTP server on loopback, on its own runtime, that accepts `POST` to any path and keeps
/// every request it answers with 2xx, for checking webhook, Slack and Alertmanager deliveries.
/// It may be started and dropped in synchronous and in async tests alike.
pub struct WebhookReceiver {
    /// Its base URL (`http://127.0.0.1:PORT`); any path under it is accepted.
    pub url: String,
    inbox: Arc<Mutex<Inbox>>,
    /// `Some` until dropped.
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        // Not `Runtime::drop`, which refuses to run inside an async test.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl WebhookReceiver {
    /// Starts one that answers 200 to every request.
    ///
    /// # Errors
    /// When it cannot start its runtime or bind a port.
    pub fn start() -> anyhow::Result<WebhookReceiver> {
        WebhookReceiver::with_script(&[])
    }

    /// Starts one that plays `script` (one answer per request, in order), then answers 200.
    ///
    /// # Errors
    /// When it cannot start its runtime or bind a port.
    pub fn with_script(script: &[Answer]) -> anyhow::Result<WebhookReceiver> {
        WebhookReceiver::serve(script, "127.0.0.1:0")
    }

    /// Starts one that answers 200, on `port`: for a test that sends before the receiver is up.
    ///
    /// # Errors
    /// When it cannot start its runtime or bind the port.
    pub fn start_on(port: u16) -> anyhow::Result<WebhookReceiver> {
        WebhookReceiver::serve(&[], &format!("127.0.0.1:{port}"))
    }

    fn serve(script: &[Answer], address: &str) -> anyhow::Result<WebhookReceiver> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .context("cannot start the receiver's runtime")?;
        let inbox = Arc::new(Mutex::new(Inbox {
            script: script.iter().copied().collect(),
            accepted: Vec::new(),
            outage_began: None,
        }));
        // Bound here, registered with the runtime in its task: `block_on` would refuse to run
        // inside an async test.
        let listener = std::net::TcpListener::bind(address)
            .with_context(|| format!("cannot bind the receiver on {address}"))?;
        listener
            .set_nonblocking(true)
            .context("cannot make the receiver's socket non-blocking")?;
        let addr = listener.local_addr().context("the receiver's address")?;
        let app = axum::Router::new()
            .route("/", axum::routing::post(receive))
            .route("/{*path}", axum::routing::post(receive))
            .with_state(Arc::clone(&inbox));
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            axum::serve(listener, app).await
        });
        Ok(WebhookReceiver {
            url: format!("http://{addr}"),
            inbox,
            runtime: Some(runtime),
        })
    }

    fn inbox(&self) -> MutexGuard<'_, Inbox> {
        self.inbox.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every accepted request so far.
    pub fn received(&self) -> Vec<Received> {
        self.inbox().accepted.clone()
    }

    /// Every accepted body so far, as JSON.
    pub fn bodies(&self) -> Vec<serde_json::Value> {
        self.received().iter().map(Received::json).collect()
    }

    /// Waits (blocking, at most `timeout`) until an accepted body satisfies `accept`, and
    /// returns it.
    ///
    /// # Errors
    /// When none does in time; the bodies received are listed.
    pub fn wait_for(
        &self,
        timeout: Duration,
        accept: impl Fn(&serde_json::Value) -> bool,
    ) -> anyhow::Result<serde_json::Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let bodies = self.bodies();
            if let Some(found) = bodies.iter().find(|body| accept(body)) {
                return Ok(found.clone());
            }
            if Instant::now() > deadline {
                bail!("no matching request within {timeout:?}; received: {bodies:#?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits on the async runtime of the caller (at most `timeout`) until `count` requests were
    /// accepted, and returns what was accepted by then.
    pub async fn wait_for_count(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let received = self.received();
            if received.len() >= count || Instant::now() > deadline {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// `text` with `%XX` escapes decoded (lossily).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| {
            bytes
                .get(at)
                .and_then(|b| (*b as char).to_digit(16))
                .map(|d| d as u8)
        };
        match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(high), Some(low)) => {
                out.push(high * 16 + low);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn receive(
    State(inbox): State<Arc<Mutex<Inbox>>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let answer = {
        let mut inbox = inbox.lock().unwrap_or_else(PoisonError::into_inner);
        match inbox.script.front().copied() {
            Some(Answer::StatusFor(code, span)) => {
                let began = *inbox
                    .outage_began
                    .get_or_insert_with(std::time::Instant::now);
                if began.elapsed() < span {
                    Some(Answer::Status(code))
                } else {
                    inbox.script.pop_front();
                    inbox.outage_began = None;
                    inbox.script.pop_front()
                }
            }
            _ => inbox.script.pop_front(),
        }
    };
    let code = |code: u16| StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match answer {
        Some(Answer::Hang) => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            (StatusCode::OK, String::new())
        }
        Some(Answer::Echo(status)) => (
            code(status),
            format!(
                "Cannot POST {uri} ({}): {}",
                percent_decoded(&uri.to_string()),
                String::from_utf8_lossy(&body)
            ),
        ),
        Some(Answer::Status(status)) if !(200..300).contains(&status) => {
            (code(status), String::new())
        }
        answer => {
            let status = match answer {
                Some(Answer::Status(code)) => StatusCode::from_u16(code).unwrap_or(StatusCode::OK),
                _ => StatusCode::OK,
            };
            let mut inbox = inbox.lock().unwrap_or_else(PoisonError::into_inner);
            inbox.accepted.push(Received { headers, body });
            (status, String::new())
        }
    }
}
