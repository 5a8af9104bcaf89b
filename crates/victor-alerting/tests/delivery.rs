//! Slack and webhook payloads against an in-test HTTP receiver, HMAC verification, and the
//! delivery faults: retry until success, a hanging receiver, a receiver down past the queue bound.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use victor_alerting::{
    Alert, AlertState, DeliverySettings, Dispatcher, Engine, Notification, PagerDutyNotifier, Rule,
    Secret, Severity, Signal, SlackNotifier, WebhookNotifier, gauge, sign,
};
use victor_metrics_core::exposition::{Exposition, ExpositionBuilder};
use victor_metrics_core::{VictorMetrics, catalog};
use victor_test_support::{Answer, WebhookReceiver, sample_sum};

/// A receiver and the URL the notifiers post to (a Slack-like path with a secret in it).
fn receiver(script: &[Answer]) -> (WebhookReceiver, String) {
    let receiver = WebhookReceiver::with_script(script).expect("receiver");
    let url = format!("{}/hook/T000/B000/secret-token", receiver.url);
    (receiver, url)
}

const WAIT: Duration = Duration::from_secs(10);

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
    sample_sum(&exposition().render(), name, labels)
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
    let (receiver, url) = receiver(&[]);
    let metrics = recorded_metrics();
    let mut dispatcher = Dispatcher::new(metrics.clone(), fast_retries(8));
    let slack = SlackNotifier::new(url.parse().expect("url"));
    assert!(!format!("{slack:?}").contains("secret-token"), "{slack:?}");
    dispatcher
        .add_channel("slack-test", Arc::new(slack))
        .expect("channel");
    dispatcher.dispatch([notification("HighErrorRate", AlertState::Firing)]);
    let received = receiver.wait_for_count(1, WAIT).await;
    assert_eq!(received.len(), 1);
    let body = &received[0].json();
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
    let (receiver, url) = receiver(&[]);
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
    let received = receiver.wait_for_count(2, WAIT).await;
    assert_eq!(received.len(), 2);
    let raw = received[0].body.clone();
    let header = received[0]
        .header("x-victor-signature-256")
        .expect("header");
    // What a receiver does: recompute over the exact bytes and compare.
    assert_eq!(header, sign(b"shared-key", &raw));
    assert_ne!(header, sign(b"wrong-key", &raw));
    let body = &received[0].json();
    assert_eq!(body["version"], "1");
    assert_eq!(body["status"], "firing");
    assert_eq!(body["alert"]["labels"]["endpoint"], "/chat");
    assert_eq!(body["alert"]["active_since"], "1970-01-01T00:00:00.000Z");
    assert_eq!(received[1].json()["status"], "resolved");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_then_recovering_receiver_gets_the_alert_exactly_once() {
    let (receiver, url) = receiver(&[Answer::Status(500), Answer::Status(503)]);
    let metrics = recorded_metrics();
    let mut dispatcher = Dispatcher::new(metrics.clone(), fast_retries(8));
    dispatcher
        .add_channel(
            "flaky",
            Arc::new(WebhookNotifier::new(url.parse().expect("url"), None)),
        )
        .expect("channel");
    dispatcher.dispatch([notification("HighErrorRate", AlertState::Firing)]);
    assert_eq!(receiver.wait_for_count(1, WAIT).await.len(), 1);
    // Give a duplicate time to show up if there were one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 1, "delivered exactly once");
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
async fn a_resolve_outlasting_every_retry_is_kept_until_delivered_but_a_firing_one_is_not() {
    // Ten failures: more than two rounds of four attempts.
    let (receiver, url) = receiver(&[Answer::Status(500); 10]);
    let metrics = recorded_metrics();
    let mut dispatcher = Dispatcher::new(metrics.clone(), fast_retries(8));
    dispatcher
        .add_channel(
            "down-a-while",
            Arc::new(WebhookNotifier::new(url.parse().expect("url"), None)),
        )
        .expect("channel");
    dispatcher.dispatch([
        notification("HighErrorRate", AlertState::Firing),
        notification("SlowResponseTime", AlertState::Resolved),
    ]);
    // The firing one uses the first round (4 failures) and is given up; the resolve fails a
    // round of 4, is kept, and gets through on its next round after 2 more failures.
    let received = receiver.wait_for_count(1, WAIT).await;
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].json()["status"], "resolved");
    assert_eq!(received[0].json()["alert"]["name"], "SlowResponseTime");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 1, "delivered exactly once");
    let failed = |reason| {
        counter(
            &metrics,
            "victor_alert_notifications_failed_total",
            &[("channel", "down-a-while"), ("reason", reason)],
        )
    };
    assert_eq!(failed("retries_exhausted"), 1.0, "the firing one only");
    assert_eq!(
        counter(
            &metrics,
            "victor_alert_notifications_sent_total",
            &[("channel", "down-a-while")]
        ),
        1.0
    );
}

/// What PagerDuty's Events API v2 requires of an event, checked as its receiver would.
fn assert_pagerduty_event(event: &serde_json::Value) {
    assert_eq!(
        event["routing_key"], "R0UT1NG-KEY-32-CHARS-LONG-000000",
        "{event}"
    );
    let dedup = event["dedup_key"].as_str().expect("dedup_key");
    assert!(!dedup.is_empty() && dedup.len() <= 255, "{event}");
    match event["event_action"].as_str() {
        Some("trigger") => {
            let payload = &event["payload"];
            let summary = payload["summary"].as_str().expect("summary");
            assert!(!summary.is_empty() && summary.len() <= 1024, "{event}");
            assert!(
                payload["source"].as_str().is_some_and(|s| !s.is_empty()),
                "{event}"
            );
            assert!(
                matches!(
                    payload["severity"].as_str(),
                    Some("critical" | "error" | "warning" | "info")
                ),
                "{event}"
            );
            assert!(
                payload["timestamp"]
                    .as_str()
                    .is_some_and(|t| t.ends_with('Z')),
                "{event}"
            );
            assert_eq!(event["links"][0]["text"], "Runbook", "{event}");
        }
        Some("resolve") => {
            assert!(event.get("payload").is_none(), "{event}");
        }
        other => panic!("event_action {other:?}: {event}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagerduty_gets_a_trigger_then_a_resolve_with_the_same_dedup_key() {
    // PagerDuty answers 202; a 500 first, as a hiccup, is retried.
    let (receiver, url) = receiver(&[Answer::Status(202), Answer::Status(500)]);
    let metrics = recorded_metrics();
    let mut dispatcher = Dispatcher::new(metrics.clone(), fast_retries(8));
    let key = Secret::new("R0UT1NG-KEY-32-CHARS-LONG-000000");
    let notifier = PagerDutyNotifier::new(
        url.parse().expect("url"),
        key,
        "http://victor-exporter:9091",
    );
    assert!(!format!("{notifier:?}").contains("R0UT1NG"), "{notifier:?}");
    dispatcher
        .add_channel("pagerduty", Arc::new(notifier))
        .expect("channel");
    dispatcher.dispatch([
        notification("HighErrorRate", AlertState::Firing),
        notification("HighErrorRate", AlertState::Resolved),
    ]);
    let received = receiver.wait_for_count(2, WAIT).await;
    assert_eq!(received.len(), 2);
    let (trigger, resolve) = (received[0].json(), received[1].json());
    assert_pagerduty_event(&trigger);
    assert_pagerduty_event(&resolve);
    assert_eq!(trigger["event_action"], "trigger");
    assert_eq!(trigger["payload"]["severity"], "critical");
    assert_eq!(trigger["payload"]["source"], "http://victor-exporter:9091");
    assert_eq!(resolve["event_action"], "resolve");
    assert_eq!(resolve["dedup_key"], trigger["dedup_key"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_failing_for_a_while_then_answering_gets_the_alert_once() {
    // 500 for 1 s, with attempts every 50–200 ms (the default schedule's 31 s, scaled down).
    let (receiver, url) = receiver(&[Answer::StatusFor(500, Duration::from_secs(1))]);
    let metrics = recorded_metrics();
    let settings = DeliverySettings {
        max_attempts: 12,
        ..fast_retries(8)
    };
    let mut dispatcher = Dispatcher::new(metrics.clone(), settings);
    dispatcher
        .add_channel(
            "outage",
            Arc::new(WebhookNotifier::new(url.parse().expect("url"), None)),
        )
        .expect("channel");
    let sent = std::time::Instant::now();
    dispatcher.dispatch([notification("HighErrorRate", AlertState::Firing)]);
    assert_eq!(receiver.wait_for_count(1, WAIT).await.len(), 1);
    assert!(
        sent.elapsed() >= Duration::from_secs(1),
        "not before the outage ended"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 1, "delivered exactly once");
    assert_eq!(
        counter(
            &metrics,
            "victor_alert_notifications_failed_total",
            &[("channel", "outage")]
        ),
        0.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_down_then_up_gets_the_alert_exactly_once() {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        probe.local_addr().expect("address").port()
    };
    let metrics = recorded_metrics();
    let mut dispatcher = Dispatcher::new(metrics.clone(), fast_retries(8));
    let url = format!("http://127.0.0.1:{port}/hook");
    dispatcher
        .add_channel(
            "comes-up-later",
            Arc::new(WebhookNotifier::new(url.parse().expect("url"), None)),
        )
        .expect("channel");
    // Nothing listens: the first attempts are refused.
    dispatcher.dispatch([notification("HighErrorRate", AlertState::Firing)]);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let receiver = WebhookReceiver::start_on(port).expect("receiver");
    assert_eq!(receiver.wait_for_count(1, WAIT).await.len(), 1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 1, "delivered exactly once");
    assert_eq!(
        counter(
            &metrics,
            "victor_alert_notifications_sent_total",
            &[("channel", "comes-up-later")]
        ),
        1.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hanging_receiver_delays_neither_evaluation_nor_other_channels() {
    let (hanging, hanging_url) = receiver(&[Answer::Hang; 16]);
    let (healthy, healthy_url) = receiver(&[]);
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
    metrics
        .gauge(&catalog::SECURITY_TEST_PASS_RATE, [])
        .set(0.1);
    engine.observe(exposition().store());
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
    assert_eq!(healthy.wait_for_count(3, WAIT).await.len(), 3);
    assert!(hanging.received().is_empty());
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
