//! Alert evaluation in a running exporter keeps its pace whatever label values agents send:
//! the engine reads the store, so a carriage return, a backslash, a NUL or a quote in a label
//! value neither stops nor slows it, and reaches the alert exactly; a series registered with the
//! wrong kind is counted and skipped.
//!
//! Its own test binary: the exporter installs the process-wide `metrics` recorder.

use std::time::{Duration, Instant};

use victor_exporter::Exporter;
use victor_exporter::config::Config;
use victor_test_support::series_value;

const INTERVAL: Duration = Duration::from_millis(200);

#[test]
fn evaluation_stays_on_time_and_exact_after_hostile_label_values() {
    let mut config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        ..Config::default()
    };
    config.alerting.eval_interval = INTERVAL;
    let exporter = Exporter::new(config)
        .expect("exporter")
        .serve_in_background()
        .expect("serve");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let get = |path: &str| {
        agent
            .get(&format!("{}{path}", exporter.url()))
            .call()
            .expect(path)
            .body_mut()
            .read_to_string()
            .expect("body")
    };
    let evaluations =
        || series_value(&get("/metrics"), "victor_alert_evaluations_total").unwrap_or(0.0);

    // A Windows error message, an escaped-looking path, a quote, NUL and a line separator.
    let hostile = "C:\\Users\\me\\r\r\n\"quoted\" \\\" \0 \u{2028} end";
    let events: String = (0..20)
        .map(|i| {
            serde_json::json!({
                "type": "request.completed",
                "endpoint": hostile,
                "method": "POST",
                "status": if i % 2 == 0 { 500 } else { 200 },
                "duration_ms": 12.5,
            })
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n");
    let posted = agent
        .post(&format!("{}/api/events", exporter.url()))
        .header("content-type", "application/x-ndjson")
        .send(events.as_str())
        .expect("post");
    assert_eq!(posted.status(), 200);

    // On time: about one evaluation per interval, before and after more hostile traffic.
    let before = evaluations();
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(2));
    let during = evaluations() - before;
    let expected = started.elapsed().as_secs_f64() / INTERVAL.as_secs_f64();
    assert!(
        during >= expected - 3.0,
        "{during} evaluations in {:?}, expected about {expected:.0}",
        started.elapsed()
    );

    // Exact: the error-rate alert carries the endpoint as it was sent (pending, as its `for`
    // is minutes).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let alerts: serde_json::Value = serde_json::from_str(&get("/api/alerts")).expect("json");
        let found = alerts["alerts"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|alert| {
                alert["labels"]["alertname"] == "HighErrorRate"
                    && alert["labels"]["endpoint"].as_str() == Some(hostile)
            });
        if found {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no HighErrorRate alert for the hostile endpoint: {alerts}"
        );
        // A ratio needs a second sample after the errors, so send more while waiting.
        agent
            .post(&format!("{}/api/events", exporter.url()))
            .header("content-type", "application/x-ndjson")
            .send(events.as_str())
            .expect("post");
        std::thread::sleep(INTERVAL);
    }
    // A series broken on purpose: a catalog counter registered as a gauge is counted, per
    // metric, and evaluation goes on.
    metrics::with_recorder(|recorder| {
        let key = metrics::Key::from_parts(
            "victor_llm_requests_total",
            vec![metrics::Label::new("provider", "broken")],
        );
        let meta = metrics::Metadata::new("test", metrics::Level::INFO, None);
        recorder.register_gauge(&key, &meta).set(1.0);
    });
    let text = get("/metrics");
    assert_eq!(
        series_value(
            &text,
            r#"victor_metrics_kind_conflicts_total{metric="victor_llm_requests_total"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert!(
        !text.contains(r#"provider="broken""#),
        "a broken series is not exposed"
    );
    let before = evaluations();
    std::thread::sleep(INTERVAL * 4);
    assert!(evaluations() > before, "evaluation goes on");
    exporter.shutdown().expect("shutdown");
}
