//! `victor status`: the three probes, each check with its outcome.

use std::fmt::Write as _;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::client::{ApiError, Client};
use crate::format::{self, BAD, BOLD, DIM, GOOD, paint};

/// The probes, in the order Kubernetes runs them.
const PROBES: [(&str, &str); 3] = [
    ("startup", "health/startup"),
    ("liveness", "health/live"),
    ("readiness", "health/ready"),
];

/// The three probe reports, and whether all are healthy.
#[derive(Debug)]
pub(crate) struct Status {
    url: String,
    reports: Vec<(&'static str, Value)>,
}

impl Status {
    /// Asks every probe; a 503 is an answer (unhealthy), anything but 200 or 503 is an error.
    pub(crate) fn fetch(client: &Client) -> Result<Status, ApiError> {
        let mut reports = Vec::with_capacity(PROBES.len());
        for (name, path) in PROBES {
            let answer = client.get(path)?;
            reports.push((name, answer.json_if(&[StatusCode::SERVICE_UNAVAILABLE])?));
        }
        Ok(Status {
            url: client.base(),
            reports,
        })
    }

    /// Whether every probe says healthy.
    pub(crate) fn healthy(&self) -> bool {
        self.reports
            .iter()
            .all(|(_, report)| format::text(report, "status") == "healthy")
    }

    /// `{"url", "healthy", "probes": {"startup": report, "liveness": …, "readiness": …}}`.
    pub(crate) fn json(&self) -> Value {
        let probes: serde_json::Map<String, Value> = self
            .reports
            .iter()
            .map(|(name, report)| ((*name).to_owned(), report.clone()))
            .collect();
        json!({ "url": self.url, "healthy": self.healthy(), "probes": probes })
    }

    /// One line for the exporter, then each probe and its checks.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        let first = self.reports.first().map(|(_, report)| report);
        let version = first.map(|r| format::text(r, "version")).unwrap_or("");
        let uptime = first
            .and_then(|r| format::number(r, &["uptime_seconds"]))
            .map(|s| format::age(Duration::from_secs_f64(s.max(0.0))))
            .unwrap_or_else(|| "-".into());
        let verdict = if self.healthy() {
            paint(GOOD, "healthy")
        } else {
            paint(BAD, "unhealthy")
        };
        let _ = writeln!(
            out,
            "{} {version} at {}, up {uptime}: {verdict}",
            paint(BOLD, "victor-exporter"),
            self.url
        );
        let checks = self
            .reports
            .iter()
            .flat_map(|(_, r)| r.get("checks").and_then(Value::as_array))
            .flatten();
        let name_width = checks
            .map(|c| format::text(c, "name").chars().count())
            .max()
            .unwrap_or(0);
        for (probe, report) in &self.reports {
            let status = format::text(report, "status");
            let painted = if status == "healthy" {
                paint(GOOD, status)
            } else {
                paint(BAD, status)
            };
            let _ = writeln!(out, "\n{} {painted}", paint(BOLD, &format!("{probe:<10}")));
            let checks = report.get("checks").and_then(Value::as_array);
            for check in checks.into_iter().flatten() {
                let healthy = format::text(check, "status") == "healthy";
                let mark = if healthy {
                    paint(GOOD, "✓")
                } else {
                    paint(BAD, "✗")
                };
                let name = format::text(check, "name");
                let pad = " ".repeat(name_width.saturating_sub(name.chars().count()));
                let took = format::seconds(format::number(check, &["duration_seconds"]));
                let cached = if check.get("cached").and_then(Value::as_bool) == Some(true) {
                    paint(DIM, " (cached)")
                } else {
                    String::new()
                };
                let message = format::text(check, "message");
                let _ = writeln!(
                    out,
                    "  {mark} {name}{pad}  {}  {message}{cached}",
                    paint(DIM, &format!("{took:>8}"))
                );
            }
            if checks.is_none_or(Vec::is_empty) {
                let _ = writeln!(out, "  {}", paint(DIM, "(no checks)"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(ready: &str) -> Status {
        let report = |probe: &str, status: &str, check: &str| {
            json!({
                "probe": probe, "status": status, "version": "0.1.0", "uptime_seconds": 192.5,
                "checks": [{"name": check, "status": status, "duration_seconds": 0.0008,
                            "message": format!("{check} says {status}"), "cached": false}]
            })
        };
        Status {
            url: "http://127.0.0.1:9091".into(),
            reports: vec![
                ("startup", report("startup", "healthy", "metrics_recorder")),
                ("liveness", report("liveness", "healthy", "process")),
                ("readiness", report("readiness", ready, "disk")),
            ],
        }
    }

    #[test]
    fn every_probe_and_check_is_listed_with_its_verdict() {
        let unhealthy = status("unhealthy");
        assert!(!unhealthy.healthy());
        let text = anstream::adapter::strip_str(&unhealthy.render()).to_string();
        assert!(
            text.starts_with(
                "victor-exporter 0.1.0 at http://127.0.0.1:9091, up 3m 12s: unhealthy\n"
            ),
            "{text}"
        );
        assert!(text.contains("\nreadiness  unhealthy\n"), "{text}");
        assert!(
            text.contains("  ✗ disk                 800µs  disk says unhealthy\n"),
            "{text}"
        );
        assert!(
            text.contains("  ✓ process              800µs  process says healthy\n"),
            "{text}"
        );
        assert!(status("healthy").healthy());
        assert_eq!(
            status("healthy").json()["probes"]["readiness"]["status"],
            "healthy"
        );
    }
}
