//! Resident memory after registering 100 000 series, the project beside `prometheus-client`,
//! each measured in a fresh process so neither inherits the other's heap.
//!
//! `cargo bench -p victor-metrics-core --bench memory`
//!
//! The workload is the render benchmark's: 50 000 label sets of the request metrics (three
//! labels), each a counter and a histogram with the catalog's request buckets, so 100 000
//! series. Three figures each: resident memory grown by registering (and recording once in)
//! every series, the peak resident memory once a render of all of them has been made, and
//! the rendered size.
//!
//! - `victor typed`: through [`VictorMetrics::record_request`], as the exporter and a service
//!   record: the store, plus the typed API's label cache and per-series statistics.
//! - `victor store`: the same series registered straight through the `metrics` facade into the
//!   store (what a service using `metrics::counter!` pays).
//! - `anchor: prometheus-client`: the same families in `prometheus-client`, encoded as text.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "benchmark harness"
)]

use std::process::Command;
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use victor_metrics_core::exposition::ExpositionBuilder;
use victor_metrics_core::{Request, VictorMetrics, catalog};

mod anchor;

use anchor::{Anchor, labels};

const LABEL_SETS: usize = 50_000;
const CASES: [&str; 3] = ["victor typed", "victor store", "anchor: prometheus-client"];

/// `VmRSS` and `VmHWM` of this process, in bytes.
fn resident() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .unwrap()
            * 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn endpoint(i: usize) -> String {
    format!("/api/route/{i}")
}

/// Registers the workload the way `case` says: resident growth, peak, rendered size.
fn run(case: &str) -> (u64, u64, usize) {
    let (before, _) = resident();
    match case {
        "victor typed" => {
            let (store, exposition) = ExpositionBuilder::new().build().unwrap();
            let metrics = VictorMetrics::builder()
                .cardinality_limit(LABEL_SETS)
                .build();
            metrics::with_local_recorder(&store, || {
                for i in 0..LABEL_SETS {
                    metrics.requests().record_request(&Request {
                        endpoint: &endpoint(i),
                        method: "POST",
                        status: 200,
                        duration: Duration::from_millis(i as u64 % 5000),
                        error_type: None,
                    });
                }
            });
            let registered = resident().0;
            metrics.refresh();
            let size = exposition.render().len();
            finish(before, registered, size, (store, metrics))
        }
        "victor store" => {
            let (store, exposition) = ExpositionBuilder::new().build().unwrap();
            metrics::with_local_recorder(&store, || {
                for i in 0..LABEL_SETS {
                    let labels = [
                        ("endpoint", endpoint(i)),
                        ("method", "POST".to_owned()),
                        ("status", "200".to_owned()),
                    ];
                    #[allow(clippy::disallowed_macros, reason = "the facade path is measured")]
                    {
                        metrics::counter!(catalog::REQUESTS_TOTAL.def().name(), &labels)
                            .increment(1);
                        metrics::histogram!(
                            catalog::REQUEST_DURATION_SECONDS.def().name(),
                            &labels
                        )
                        .record((i % 5000) as f64 / 1000.0);
                    }
                }
            });
            let registered = resident().0;
            let size = exposition.render().len();
            finish(before, registered, size, store)
        }
        _ => {
            let anchor = Anchor::new();
            for i in 0..LABEL_SETS {
                anchor.record(&labels(&endpoint(i)), (i % 5000) as f64 / 1000.0);
            }
            let registered = resident().0;
            let mut out = String::new();
            encode(&mut out, &anchor.registry).unwrap();
            let size = out.len();
            drop(out);
            finish(before, registered, size, anchor)
        }
    }
}

/// The figures, with `keep` alive until they are taken.
fn finish<T>(before: u64, registered: u64, size: usize, keep: T) -> (u64, u64, usize) {
    let (_, peak) = resident();
    drop(keep);
    (registered.saturating_sub(before), peak, size)
}

fn main() {
    // `cargo bench` passes `--bench`; a child gets the case to measure.
    if let Some(case) = std::env::args().skip_while(|a| a != "--case").nth(1) {
        let (registered, peak, size) = run(&case);
        println!("{registered} {peak} {size}");
        return;
    }
    let exe = std::env::current_exe().unwrap();
    println!("resident memory, 100 000 series (50 000 label sets x counter + histogram)");
    println!(
        "{:<28} {:>14} {:>14} {:>14}",
        "case", "registered", "peak (render)", "rendered"
    );
    let mut figures = Vec::new();
    for case in CASES {
        let output = Command::new(&exe).args(["--case", case]).output().unwrap();
        let text = String::from_utf8(output.stdout).unwrap();
        let numbers: Vec<u64> = text
            .split_whitespace()
            .map(|n| n.parse().unwrap())
            .collect();
        let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
        println!(
            "{case:<28} {:>10.1} MiB {:>10.1} MiB {:>10.1} MiB",
            mib(numbers[0]),
            mib(numbers[1]),
            mib(numbers[2])
        );
        figures.push(numbers);
    }
    let anchor = &figures[2];
    for (case, numbers) in CASES.iter().zip(&figures).take(2) {
        println!(
            "{case}: {:.2}x prometheus-client registered, {:.2}x peak",
            numbers[0] as f64 / anchor[0] as f64,
            numbers[1] as f64 / anchor[1] as f64
        );
    }
}
