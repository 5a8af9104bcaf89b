//! The routes that change state over HTTP: the API token on `POST /api/events` and
//! `POST /api/alerts/test/{channel}`, and test notifications through a real channel (a webhook
//! receiver in this test) and a dead one.
//!
//! Its own test binary: the exporter installs the process-wide `metrics` recorder.

use victor_exporter::Exporter;
use victor_exporter::config::Config;

const TOKEN: &str = "t0ken-for-tests";

fn call(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: &str,
) -> (u16, String) {
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = request.body(body.to_owned()).expect("request");
    let mut response = agent.run(request).expect("exporter answers");
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_string().expect("body"))
}

#[test]
fn state_changing_routes_need_the_token_and_test_notifications_report_delivery() {
    let receiver = victor_test_support::WebhookReceiver::start().expect("receiver");
    let hook = format!("{}/hook", receiver.url);
    let mut config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        api_token: Some(victor_alerting::Secret::new(TOKEN)),
        ..Config::default()
    };
    config.alerting.webhook_url = Some(hook.parse().expect("url"));
    // Nothing listens on port 1: the channel is configured but dead.
    config.alerting.slack_webhook_url = Some("http://127.0.0.1:1/slack".parse().expect("url"));
    let exporter = Exporter::new(config).expect("exporter");
    let exporter = exporter.serve_in_background().expect("serve");
    let base = exporter.url().to_owned();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();

    // Reading routes stay open.
    let (status, _) = call(&agent, "GET", &format!("{base}/api/alerts"), None, "");
    assert_eq!(status, 200);

    // Events: no token and a wrong one are refused and apply nothing; the token is accepted.
    let events = format!("{base}/api/events");
    let event = r#"{"type":"tool.executed","tool":"read_file","vertical":"coding","mode":"build","status":"success","duration_ms":45.2}"#;
    for token in [None, Some("wrong")] {
        let (status, body) = call(&agent, "POST", &events, token, event);
        assert_eq!(status, 401, "{token:?}: {body}");
        assert!(body.to_lowercase().contains("token"), "{body}");
    }
    let (status, body) = call(&agent, "POST", &events, Some(TOKEN), event);
    assert_eq!(status, 200, "{body}");
    let report: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(report["accepted"], 1, "{body}");

    // Test notifications.
    let test = |channel: &str, token| {
        let (status, body) = call(
            &agent,
            "POST",
            &format!("{base}/api/alerts/test/{channel}"),
            token,
            "",
        );
        let body = serde_json::from_str::<serde_json::Value>(&body).unwrap_or(body.into());
        (status, body)
    };
    let (status, _) = test("webhook", None);
    assert_eq!(status, 401);
    assert!(receiver.bodies().is_empty());

    let (status, body) = test("webhook", Some(TOKEN));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["delivered"], true, "{body}");
    assert_eq!(body["kind"], "webhook", "{body}");
    let received = receiver.bodies();
    assert_eq!(received.len(), 1, "{received:?}");
    let alert = &received[0]["alert"];
    assert_eq!(alert["name"], victor_alerting::TEST_ALERT_NAME, "{alert}");
    assert_eq!(alert["labels"]["channel"], "webhook", "{alert}");
    assert_eq!(alert["severity"], "info", "{alert}");

    let (status, body) = test("slack", Some(TOKEN));
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["delivered"], false, "{body}");
    assert!(
        !body["error"].as_str().unwrap_or_default().is_empty(),
        "{body}"
    );

    let (status, body) = test("pager", Some(TOKEN));
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        body["channels"],
        serde_json::json!(["webhook", "slack"]),
        "{body}"
    );
    assert!(
        body["error"].as_str().unwrap_or_default().contains("pager"),
        "{body}"
    );

    exporter.shutdown().expect("serve");
}
