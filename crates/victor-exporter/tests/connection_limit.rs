//! The connection limit: past `max_connections` open connections a new one is served
//! `/health/*` only (probes keep answering), past the probe reserve it is closed at once; both
//! are counted, and once connections close everything is served again.
//!
//! Its own test binary: the exporter installs the process-wide `metrics` recorder.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use victor_exporter::Exporter;
use victor_exporter::config::{Config, PROBE_RESERVE};
use victor_test_support::series_value;

/// One request on a new connection: its status line and body, or `None` when the server
/// closed the connection without answering.
fn request(addr: SocketAddr, path: &str) -> Option<(String, String)> {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let sent = write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
    );
    let mut answer = String::new();
    let read = stream.read_to_string(&mut answer);
    if sent.is_err() || read.is_err() || answer.is_empty() {
        return None;
    }
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    Some((
        head.lines().next().unwrap_or_default().to_owned(),
        body.to_owned(),
    ))
}

/// Connections that send nothing, held open.
fn idle(addr: SocketAddr, count: usize) -> Vec<TcpStream> {
    (0..count)
        .map(|_| TcpStream::connect(addr).expect("connect"))
        .collect()
}

#[test]
fn past_the_limit_probes_answer_then_connections_close_and_service_returns() {
    const MAX: usize = 4;
    let mut config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        max_connections: MAX,
        ..Config::default()
    };
    // The exporter says it turned connections away: ConnectionLimitReached, made quick.
    config.alerting.eval_interval = Duration::from_millis(100);
    config.alerting.rules.insert(
        victor_alerting::AlertName::ConnectionLimitReached,
        victor_alerting::RuleOverride {
            for_duration: Some(Duration::ZERO),
            ..Default::default()
        },
    );
    let exporter = Exporter::new(config)
        .expect("exporter")
        .serve_in_background()
        .expect("serve");
    let addr = exporter.addr();
    let (status, _) = request(addr, "/metrics").expect("served");
    assert!(status.contains("200"), "{status}");

    let held = idle(addr, MAX);
    // From the reserve: probes answer, anything else is refused with a reason.
    let (status, body) = request(addr, "/health/live").expect("a probe is served");
    assert!(status.contains("200"), "{status} {body}");
    let (status, body) = request(addr, "/metrics").expect("an answer");
    assert!(status.contains("503"), "{status}");
    assert!(body.contains("max_connections"), "{body}");

    // The reserve full too: closed at once.
    let reserve = idle(addr, PROBE_RESERVE);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(request(addr, "/health/live"), None);

    drop((held, reserve));
    let deadline = Instant::now() + Duration::from_secs(10);
    let text = loop {
        if let Some((status, body)) = request(addr, "/metrics")
            && status.contains("200")
        {
            break body;
        }
        assert!(
            Instant::now() < deadline,
            "still refused after the connections closed"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let over = |outcome: &str| {
        series_value(
            &text,
            &format!("victor_exporter_connections_over_limit_total{{outcome=\"{outcome}\"}}"),
        )
        .unwrap_or_else(|| panic!("no {outcome} series"))
    };
    assert!(
        over("probes_only") >= 2.0 + PROBE_RESERVE as f64,
        "{}",
        over("probes_only")
    );
    assert!(over("closed") >= 1.0);

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, alerts) = request(addr, "/api/alerts").expect("alerts answer");
        let firing = |outcome: &str| {
            alerts.contains("\"ConnectionLimitReached\"")
                && alerts.contains(&format!("\"outcome\":\"{outcome}\""))
        };
        if firing("probes_only") && firing("closed") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no ConnectionLimitReached alert per outcome: {alerts}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
