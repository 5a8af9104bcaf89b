//! Event ingestion over loopback HTTP, with the p99 of `GET /metrics` while it runs.
//!
//! `cargo bench -p victor-exporter --bench ingest`
//!
//! The exporter runs as its own process (the release `victor-exporter` binary); this process is
//! the load generator: `CLIENTS` keep-alive connections each post NDJSON batches of 1 000
//! `tool.executed` events for `SECONDS`, while one more connection scrapes `/metrics` every
//! 50 ms. Printed in one run, side by side:
//!
//! - **ingest over HTTP**: events applied per second (counted from the responses);
//! - anchor **in process**: the same batches through `Ingestor::ingest` with a recorder
//!   installed, no HTTP (the route's ceiling);
//! - anchor **HTTP floor**: batches of the same size made of blank lines (the transfer and
//!   routing cost with no event to parse);
//! - **/metrics p99** under that load, beside its p99 with no load.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "benchmark harness: prints its table"
)]

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use victor_exporter::events::Ingestor;
use victor_metrics_core::VictorMetrics;
use victor_metrics_core::exposition::ExpositionBuilder;

const BATCH: usize = 1_000;
const CLIENTS: usize = 4;
const SECONDS: u64 = 10;

fn batch() -> String {
    let tools = ["read_file", "write_file", "grep", "shell", "web_search"];
    let statuses = ["success", "success", "success", "failure"];
    (0..BATCH)
        .map(|i| {
            format!(
                r#"{{"type":"tool.executed","tool":"{}","vertical":"coding","mode":"build","status":"{}","duration_ms":{}.{}}}"#,
                tools[i % tools.len()],
                statuses[i % statuses.len()],
                10 + i % 900,
                i % 10
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

struct Exporter {
    child: Child,
    base: String,
}

impl Exporter {
    fn start() -> Exporter {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_victor-exporter"))
            .args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--log-level",
                "warn",
            ])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while agent().get(&format!("{base}/health/live")).call().is_err() {
            assert!(Instant::now() < deadline, "exporter did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Exporter { child, base }
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn p99(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples
        .get(samples.len() * 99 / 100)
        .copied()
        .unwrap_or_default()
}

/// Scrapes `/metrics` every 50 ms until `stop`; the latencies.
fn scrape_until(base: &str, stop: &AtomicBool) -> Vec<Duration> {
    let agent = agent();
    let mut latencies = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let start = Instant::now();
        let mut response = agent.get(&format!("{base}/metrics")).call().unwrap();
        let _ = response.body_mut().read_to_string().unwrap();
        latencies.push(start.elapsed());
        std::thread::sleep(Duration::from_millis(50));
    }
    latencies
}

/// Posts `body` from `CLIENTS` connections for `SECONDS`: events per second (from the
/// `accepted` counts, or batches × `BATCH` when `count_batches`) and the scrape latencies.
fn load(base: &str, body: &str, count_batches: bool) -> (f64, Vec<Duration>) {
    let stop = AtomicBool::new(false);
    let events = Arc::new(AtomicU64::new(0));
    let url = format!("{base}/api/events");
    let start = Instant::now();
    let latencies = std::thread::scope(|scope| {
        for _ in 0..CLIENTS {
            let (stop, events, url) = (&stop, Arc::clone(&events), url.clone());
            scope.spawn(move || {
                let agent = agent();
                while !stop.load(Ordering::Relaxed) {
                    let mut response = agent.post(&url).send(body).unwrap();
                    assert_eq!(response.status(), 200);
                    let text = response.body_mut().read_to_string().unwrap();
                    let accepted = if count_batches {
                        BATCH as u64
                    } else {
                        let report: serde_json::Value = serde_json::from_str(&text).unwrap();
                        report["accepted"].as_u64().unwrap()
                    };
                    events.fetch_add(accepted, Ordering::Relaxed);
                }
            });
        }
        let scraper = scope.spawn(|| scrape_until(base, &stop));
        std::thread::sleep(Duration::from_secs(SECONDS));
        stop.store(true, Ordering::Relaxed);
        scraper.join().unwrap()
    });
    let rate = events.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64();
    (rate, latencies)
}

fn in_process(body: &str) -> f64 {
    let _exposition = ExpositionBuilder::new().install().unwrap();
    let ingestor = Ingestor::new(VictorMetrics::new());
    let start = Instant::now();
    let mut events = 0;
    while start.elapsed() < Duration::from_secs(3) {
        events += ingestor.ingest(body.as_bytes()).unwrap().accepted;
    }
    events as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this as a quick no-op.
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    let body = batch();
    let blank = " \n".repeat(body.len() / 2);
    let exporter = Exporter::start();
    let stop = AtomicBool::new(false);
    let idle = std::thread::scope(|scope| {
        let scraper = scope.spawn(|| scrape_until(&exporter.base, &stop));
        std::thread::sleep(Duration::from_secs(3));
        stop.store(true, Ordering::Relaxed);
        scraper.join().unwrap()
    });
    let (floor, _) = load(&exporter.base, &blank, true);
    let (rate, loaded) = load(&exporter.base, &body, false);
    drop(exporter);
    let ceiling = in_process(&body);
    println!("ingest: batches of {BATCH} NDJSON events, {CLIENTS} connections, {SECONDS} s each");
    println!("| measure | events/s |");
    println!("|---|---|");
    println!("| ingest over HTTP (victor-exporter) | {rate:.0} |");
    println!("| anchor: in process, one thread, no HTTP | {ceiling:.0} |");
    println!("| anchor: HTTP floor, same bytes, nothing to parse | {floor:.0} |");
    println!(
        "GET /metrics p99: {:.2} ms under that load ({} scrapes), {:.2} ms idle ({} scrapes)",
        p99(loaded.clone()).as_secs_f64() * 1e3,
        loaded.len(),
        p99(idle.clone()).as_secs_f64() * 1e3,
        idle.len()
    );
}
