//! Slack and webhook payloads against an in-test HTTP receiver, HMAC verification, and the
//! delivery faults: retry until success, a hanging receiver, a receiver down past the queue bound.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use victor_alerting::{
    Alert, AlertState, DeliverySettings, Dispatcher, Engine, Notification, Rule, Secret, Severity,
    Signal, SlackNotifier, WebhookNotifier, gauge, sign,
};
use victor_metrics_core::exposition::{Exposition, ExpositionBuilder};
use victor_metrics_core::{VictorMetrics, catalog};

/// What the receiver answers next: each request pops one; when empty it answers 200.
#[derive(Clone, Copy, Debug)]
enum Answer {
    Status(u16),
    Hang,
}

#[derive(Default)]
struct Received {
    script: Vec<Answer>,
    requests: Vec<(HeaderMap, Bytes)>,
}

#[derive(Clone, Default)]
struct Receiver(Arc<Mutex<Received>>);

impl Receiver {
    fn with_script(script: &[Answer]) -> Receiver {
        let receiver = Receiver::default();
        receiver.lock().script = script.iter().rev().copied().collect();
        receiver
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Received> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Serves on a loopback port and returns its URL.
    async fn serve(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = Router::new()
            .route("/hook/{*rest}", post(receive))
            .with_state(self.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/hook/T000/B000/secret-token")
    }

    /// Accepted bodies (requests answered 2xx).
    fn accepted(&self) -> Vec<(HeaderMap, serde_json::Value)> {
        self.lock()
            .requests
            .iter()
            .map(|(headers, body)| {
                (
                    headers.clone(),
                    serde_json::from_slice(body).expect("JSON body"),
                )
            })
            .collect()
    }

    async fn wait_for(&self, count: usize) -> Vec<(HeaderMap, serde_json::Value)> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let accepted = self.accepted();
            if accepted.len() >= count || Instant::now() > deadline {
                return accepted;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let answer = receiver.lock().script.pop();
    match answer {
        Some(Answer::Hang) => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::OK
        }
        Some(Answer::Status(code)) if code >= 300 => {
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }
        _ => {
            receiver.lock().requests.push((headers, body));
            StatusCode::OK
        }
    }
}

fn exposition() -> &'static Exposition {
    static EXPOSITION: OnceLock<Exposition> = OnceLock::new();
    EXPOSITION.get_or_init(|| {
        ExpositionBuilder::new()
            .install()
            .expect("install recorder")
    })
}

/// Recording state whose series reach the process' Prometheus recorder: the recorder must be
/// installed before a series is first registered.
fn recorded_metrics() -> VictorMetrics {
    exposition();
    VictorMetrics::new()
}

/// Reads a counter from `/metrics`, 0 when absent.
fn counter(metrics: &VictorMetrics, name: &str, labels: &[(&str, &str)]) -> f64 {
    metrics.refresh();
    let text = exposition().render();
    text.lines()
        .filter(|line| line.starts_with(&format!("{name}{{")))
        .filter(|line| {
            labels
                .iter()
                .all(|(k, v)| line.contains(&format!("{k}=\"{v}\"")))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn notification(name: &str, state: AlertState) -> Notification {
    let labels = BTreeMap::from([
        ("alertname".to_owned(), name.to_owned()),
        ("severity".to_owned(), "critical".to_owned()),
        ("endpoint".to_owned(), "/chat".to_owned()),
    ]);
    let annotations = BTreeMap::from([
        ("summary".to_owned(), "High error rate detected".to_owned()),
        (
            "description".to_owned(),
            "Error rate is 31.25% for endpoint /chat".to_owned(),
        ),
        (
            "runbook_url".to_owned(),
            "https://example.com/runbook#higherrorrate".to_owned(),
        ),
    ]);
    Notification {
        alert: Alert {
            name: name.to_owned(),
            fingerprint: "00000000deadbeef".to_owned(),
            state,
            severity: Severity::Critical,
            value: Some(0.3125),
            labels,
            annotations,
            active_since: SystemTime::UNIX_EPOCH,
            fired_at: Some(SystemTime::UNIX_EPOCH),
            resolved_at: None,
        },
        valid_until: SystemTime::UNIX_EPOCH + Duration::from_secs(1200),
        channels: Arc::from(Vec::new()),
    }
}

fn fast_retries(queue_capacity: usize) -> DeliverySettings {
    DeliverySettings {
        queue_capacity,
        max_attempts: 4,
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        attempt_timeout: Duration::from_millis(500),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_message_is_readable() {
    let receiver = Receiver::default();
    let url = receiver.serve().await;
    let metrics = recorded_metrics();
    let mut dispatcher = Dispatcher::new(metrics.clone(), fast_retries(8));
    let slack = SlackNotifier::new(url.parse().expect("url"));
    assert!(!format!("{slack:?}").contains("secret-token"), "{slack:?}");
    dispatcher
        .add_channel("slack-test", Arc::new(slack))
        .expect("channel");
    dispatcher.dispatch([notification("HighErrorRate", AlertState::Firing)]);
    let received = receiver.wait_for(1).await;
    assert_eq!(received.len(), 1);
    let body = &received[0].1;
    assert_eq!(
        body["text"],
        "[FIRING] CRITICAL HighErrorRate: High error rate detected"
    );
    let text = body["attachments"][0]["text"].as_str().expect("text");
    assert!(
        text.contains("Error rate is 31.25% for endpoint /chat"),
        "{text}"
    );
    assert!(text.contains("Value: 0.3125"), "{text}");
    assert!(text.contains("endpoint=/chat"), "{text}");
    assert!(
        text.contains("<https://example.com/runbook#higherrorrate|Runbook>"),
        "{text}"
    );
    assert_eq!(body["attachments"][0]["color"], "#e01e5a");
    assert_eq!(
        counter(
            &metrics,
            "victor_alert_notifications_sent_total",
            &[("channel", "slack-test")]
        ),
        1.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_body_is_signed_with_hmac() {
    let receiver = Receiver::default();
    let url = receiver.serve().await;
    let mut dispatcher = Dispatcher::new(VictorMetrics::new(), fast_retries(8));
    let key = Secret::new("shared-key");
    dispatcher
        .add_channel(
            "webhook-hmac",
            Arc::new(WebhookNotifier::new(url.parse().expect("url"), Some(key))),
        )
        .expect("channel");
    dispatcher.dispatch([
        notification("HighErrorRate", AlertState::Firing),
        notification("HighErrorRate", AlertState::Resolved),
    ]);
    let received = receiver.wait_for(2).await;
    assert_eq!(received.len(), 2);
    let raw = receiver.lock().requests[0].1.clone();
    let header = received[0].0["x-victor-signature-256"]
        .to_str()
        .expect("header");
    // What a receiver does: recompute over the exact bytes and compare.
    assert_eq!(header, sign(b"shared-key", &raw));
    assert_ne!(header, sign(b"wrong-key", &raw));
    let body = &received[0].1;
    assert_eq!(body["version"], "1");
    assert_eq!(body["status"], "firing");
    assert_eq!(body["alert"]["labels"]["endpoint"], "/chat");
    assert_eq!(body["alert"]["active_since"], "1970-01-01T00:00:00.000Z");
    assert_eq!(received[1].1["status"], "resolved");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_then_recovering_receiver_gets_the_alert_exactly_once() {
    let receiver = Receiver::with_script(&[Answer::Status(500), Answer::Status(503)]);
    let url = receiver.serve().await;
    let metrics = recorded_metrics();
    let mut dispatcher = Dispatcher::new(metrics.clone(), fast_retries(8));
    dispatcher
        .add_channel(
            "flaky",
            Arc::new(WebhookNotifier::new(url.parse().expect("url"), None)),
        )
        .expect("channel");
    dispatcher.dispatch([notification("HighErrorRate", AlertState::Firing)]);
    assert_eq!(receiver.wait_for(1).await.len(), 1);
    // Give a duplicate time to show up if there were one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.accepted().len(), 1, "delivered exactly once");
    assert_eq!(
        counter(
            &metrics,
            "victor_alert_notifications_sent_total",
            &[("channel", "flaky")]
        ),
        1.0
    );
    assert_eq!(
        counter(
            &metrics,
            "victor_alert_notifications_failed_total",
            &[("channel", "flaky")]
        ),
        0.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hanging_receiver_delays_neither_evaluation_nor_other_channels() {
    let hanging = Receiver::with_script(&[Answer::Hang; 16]);
    let healthy = Receiver::default();
    let (hanging_url, healthy_url) = (hanging.serve().await, healthy.serve().await);
    let metrics = recorded_metrics();
    let mut dispatcher = Dispatcher::new(metrics.clone(), fast_retries(8));
    dispatcher
        .add_channel(
            "hangs",
            Arc::new(WebhookNotifier::new(
                hanging_url.parse().expect("url"),
                None,
            )),
        )
        .expect("channel");
    dispatcher
        .add_channel(
            "healthy",
            Arc::new(WebhookNotifier::new(
                healthy_url.parse().expect("url"),
                None,
            )),
        )
        .expect("channel");

    let engine = Engine::new(metrics.clone());
    for name in ["First", "Second", "Third"] {
        engine
            .add_rule(
                Rule::builder(name)
                    .condition(Signal::gauge(gauge(&catalog::SECURITY_TEST_PASS_RATE)).below(0.9))
                    .build()
                    .expect("rule"),
            )
            .expect("add");
    }
    engine
        .observe(
            "# TYPE victor_security_test_pass_rate gauge\nvictor_security_test_pass_rate 0.1\n",
        )
        .expect("observe");
    let started = Instant::now();
    let notifications = engine.evaluate();
    dispatcher.dispatch(notifications);
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(100),
        "evaluation and dispatch took {took:?}"
    );
    assert_eq!(engine.alerts().len(), 3, "every rule was evaluated");
    // The healthy channel gets all three while the other hangs.
    assert_eq!(healthy.wait_for(3).await.len(), 3);
    assert!(hanging.accepted().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receiver_down_past_the_queue_bound_counts_overflow() {
    // Nothing listens on this port: every attempt is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let url = format!("http://127.0.0.1:{port}/hook");
    let metrics = recorded_metrics();
    let settings = DeliverySettings {
        max_attempts: 2,
        ..fast_retries(2)
    };
    let mut dispatcher = Dispatcher::new(metrics.clone(), settings);
    dispatcher
        .add_channel(
            "down",
            Arc::new(WebhookNotifier::new(url.parse().expect("url"), None)),
        )
        .expect("channel");
    for i in 0..10 {
        dispatcher.dispatch([notification(&format!("Alert{i}"), AlertState::Firing)]);
    }
    let overflow = counter(
        &metrics,
        "victor_alert_notifications_failed_total",
        &[("channel", "down"), ("reason", "queue_full")],
    );
    // One in flight, two queued; the other seven (or eight, if the worker had not taken the
    // first yet) are refused.
    assert!((7.0..=8.0).contains(&overflow), "queue_full = {overflow}");
    // The queued ones are retried, then given up and counted.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut exhausted = 0.0;
    while Instant::now() < deadline {
        exhausted = counter(
            &metrics,
            "victor_alert_notifications_failed_total",
            &[("channel", "down"), ("reason", "retries_exhausted")],
        );
        if exhausted + overflow >= 10.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        exhausted + overflow,
        10.0,
        "every notification is accounted for"
    );
    dispatcher.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_duplicate_channels_are_named() {
    let mut dispatcher = Dispatcher::new(VictorMetrics::new(), DeliverySettings::default());
    let url: victor_alerting::SecretUrl = "http://127.0.0.1:1/x".parse().expect("url");
    dispatcher
        .add_channel("ops", Arc::new(WebhookNotifier::new(url.clone(), None)))
        .expect("channel");
    let err = dispatcher
        .add_channel("ops", Arc::new(WebhookNotifier::new(url, None)))
        .expect_err("duplicate");
    assert!(err.to_string().contains("\"ops\""), "{err}");
    let rule = Rule::builder("X")
        .condition(Signal::gauge(gauge(&catalog::SECURITY_TEST_PASS_RATE)).below(0.9))
        .channels(["pager"])
        .build()
        .expect("rule");
    let err = dispatcher.check_rule(&rule).expect_err("unknown channel");
    assert!(err.to_string().contains("\"pager\""), "{err}");
}
