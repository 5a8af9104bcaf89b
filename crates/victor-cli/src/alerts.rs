//! `victor alerts`: pending and firing alerts; `victor alerts test CHANNEL`.

use std::fmt::Write as _;
use std::time::SystemTime;

use anstyle::{AnsiColor, Style};
use serde_json::Value;

use crate::format::{BAD, Cell, DIM, GOOD, Table, WARN, paint, since, text};

fn severity_style(severity: &str) -> Style {
    match severity {
        "critical" => BAD,
        "error" => AnsiColor::Red.on_default(),
        "warning" => WARN,
        _ => AnsiColor::Blue.on_default(),
    }
}

/// `GET /api/alerts` as a table: state, severity, alert, labels, since when, summary; `wide`
/// adds the value, the fingerprint and the runbook. Firing alerts come first, then by severity.
pub(crate) fn render_list(json: &Value, now: SystemTime, wide: bool) -> String {
    let mut alerts: Vec<&Value> = json["alerts"].as_array().into_iter().flatten().collect();
    if alerts.is_empty() {
        return format!("{}\n", paint(GOOD, "no pending or firing alerts"));
    }
    let rank = |severity: &str| match severity {
        "critical" => 0,
        "error" => 1,
        "warning" => 2,
        _ => 3,
    };
    alerts.sort_by_key(|alert| {
        (
            text(alert, "state") != "firing",
            rank(text(alert, "severity")),
            text(alert, "name").to_owned(),
        )
    });
    let mut header = vec!["STATE", "SEVERITY", "ALERT", "LABELS", "SINCE", "SUMMARY"];
    if wide {
        header.extend(["VALUE", "FINGERPRINT", "RUNBOOK"]);
    }
    let mut table = Table::new(header, usize::MAX);
    for alert in &alerts {
        let state = text(alert, "state");
        let severity = text(alert, "severity");
        let labels = victor_alerting::distinguishing_labels(alert);
        let when = match state {
            "firing" => alert.get("fired_at").and_then(Value::as_str),
            _ => None,
        }
        .or_else(|| alert.get("active_since").and_then(Value::as_str))
        .map_or_else(|| "-".into(), |at| since(at, now));
        let state_style = if state == "firing" { BAD } else { WARN };
        let mut row = vec![
            Cell::styled(state, state_style),
            Cell::styled(severity, severity_style(severity)),
            text(alert, "name").into(),
            labels.join(",").into(),
            when.into(),
            text(&alert["annotations"], "summary").into(),
        ];
        if wide {
            row.extend([
                crate::format::count(alert.get("value").and_then(Value::as_f64)).into(),
                text(alert, "fingerprint").into(),
                text(&alert["annotations"], "runbook_url").into(),
            ]);
        }
        table.row(row);
    }
    let firing = alerts
        .iter()
        .filter(|a| text(a, "state") == "firing")
        .count();
    let mut out = table.render();
    let _ = writeln!(
        out,
        "{}",
        paint(
            DIM,
            &format!("{firing} firing, {} pending", alerts.len() - firing)
        )
    );
    out
}

/// The answer of `POST /api/alerts/test/{channel}` in one line, and whether it was delivered.
pub(crate) fn render_test(json: &Value) -> (String, bool) {
    let channel = text(json, "channel");
    let kind = text(json, "kind");
    let took = crate::format::seconds(json.get("duration_seconds").and_then(Value::as_f64));
    if json.get("delivered").and_then(Value::as_bool) == Some(true) {
        let line = format!(
            "{} test notification delivered through {channel} ({kind}) in {took}\n",
            paint(GOOD, "✓")
        );
        (line, true)
    } else {
        let line = format!(
            "{} test notification through {channel} ({kind}) failed after {took}: {}\n",
            paint(BAD, "✗"),
            text(json, "error")
        );
        (line, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    #[test]
    fn firing_alerts_come_first_with_their_labels_and_age() {
        let now = humantime::parse_rfc3339("2026-11-23T03:15:00Z").expect("time");
        let json = json!({"alerts": [
            {"name": "SlowResponses", "state": "pending", "severity": "warning",
             "labels": {"alertname": "SlowResponses", "severity": "warning", "endpoint": "/chat"},
             "active_since": "2026-11-23T03:14:30Z", "fired_at": null,
             "annotations": {"summary": "p95 above 5s"}},
            {"name": "HighErrorRate", "state": "firing", "severity": "critical",
             "labels": {"alertname": "HighErrorRate", "severity": "critical", "endpoint": "/chat", "method": "POST"},
             "active_since": "2026-11-23T03:08:00Z", "fired_at": "2026-11-23T03:10:00Z",
             "value": 0.3125, "fingerprint": "5c3b0d8e6f1a2b47",
             "annotations": {"summary": "5xx above 5%", "runbook_url": "https://example.com/rb"}},
        ]});
        let text = anstream::adapter::strip_str(&render_list(&json, now, false)).to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("STATE    SEVERITY  ALERT"), "{text}");
        assert!(
            lines[1].starts_with("firing   critical  HighErrorRate  endpoint=/chat,method=POST  2026-11-23 03:10:00Z (5m 0s ago)  5xx above 5%"),
            "{text}"
        );
        assert!(
            lines[2].starts_with("pending  warning   SlowResponses  endpoint=/chat"),
            "{text}"
        );
        assert!(lines[2].contains("(30s ago)"), "{text}");
        assert_eq!(lines[3], "1 firing, 1 pending");
        assert!(!text.contains("FINGERPRINT") && !text.contains("5c3b0d8e6f1a2b47"));
        let wide = anstream::adapter::strip_str(&render_list(&json, now, true)).to_string();
        let lines: Vec<&str> = wide.lines().collect();
        assert!(
            lines[0].ends_with("SUMMARY       VALUE  FINGERPRINT       RUNBOOK"),
            "{wide}"
        );
        assert!(
            lines[1].ends_with("5xx above 5%  0.31   5c3b0d8e6f1a2b47  https://example.com/rb"),
            "{wide}"
        );
        let none = render_list(&json!({"alerts": []}), now + Duration::from_secs(1), true);
        assert!(none.contains("no pending or firing alerts"));
    }

    #[test]
    fn a_test_notification_reports_delivery_or_the_reason() {
        let (line, ok) = render_test(
            &json!({"channel": "webhook", "kind": "webhook", "delivered": true, "duration_seconds": 0.012}),
        );
        assert!(ok);
        assert!(
            line.contains("delivered through webhook (webhook) in 12.0ms"),
            "{line}"
        );
        let (line, ok) = render_test(
            &json!({"channel": "slack", "kind": "slack", "delivered": false,
            "duration_seconds": 0.001, "error": "connection refused"}),
        );
        assert!(!ok);
        assert!(
            line.contains("through slack (slack) failed after 1.0ms: connection refused"),
            "{line}"
        );
    }
}
