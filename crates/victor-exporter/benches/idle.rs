//! The exporter at the cardinality limit on every metric: what it costs while nobody scrapes,
//! and what a scrape and an alert evaluation cost.
//!
//! `cargo bench -p victor-exporter --bench idle`
//!
//! The exporter runs in this process (release build) with the default rules evaluated every
//! 2 s. Every catalog metric is filled to the default limit of 10 000 label sets through the
//! `metrics` facade (about 680 000 series). Then, with nobody calling it, the process' CPU time
//! is read from `/proc/self/stat` over `IDLE_SECONDS`: the share of one core the exporter
//! takes between scrapes (alert evaluation, system sampling, refreshes). Printed beside it:
//! resident memory, one `/metrics` scrape, and the evaluation duration the engine records.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "benchmark harness: prints its table"
)]

use std::time::{Duration, Instant};

use victor_exporter::Exporter;
use victor_exporter::config::Config;
use victor_metrics_core::DEFAULT_CARDINALITY_LIMIT;
use victor_test_support::{fill_every_metric, series_value};

const IDLE_SECONDS: u64 = 20;

/// User plus system CPU time of this process.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..]
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // USER_HZ is 100 on Linux.
    Duration::from_millis(ticks * 10)
}

fn resident_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
        .unwrap();
    kb / 1024.0
}

fn main() {
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Config::default()
    };
    config.alerting.eval_interval = Duration::from_secs(2);
    let exporter = Exporter::new(config)
        .unwrap()
        .serve_in_background()
        .unwrap();
    let filled = Instant::now();
    let series =
        metrics::with_recorder(|recorder| fill_every_metric(recorder, DEFAULT_CARDINALITY_LIMIT));
    println!(
        "{series} series recorded in {:.1} s; resident {:.0} MiB",
        filled.elapsed().as_secs_f64(),
        resident_mib()
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let scrape = || {
        let started = Instant::now();
        let text = agent
            .get(&format!("{}/metrics", exporter.url()))
            .call()
            .unwrap()
            .body_mut()
            .with_config()
            .limit(1 << 31)
            .read_to_string()
            .unwrap();
        (started.elapsed(), text)
    };
    // Let the engine index what its rules name, then settle.
    std::thread::sleep(Duration::from_secs(6));
    let (first, text) = scrape();
    println!(
        "scrape at the limit: {:.0} ms, {:.0} MiB of text",
        first.as_secs_f64() * 1e3,
        text.len() as f64 / (1024.0 * 1024.0)
    );
    let figures = |text: &str| {
        [
            "victor_alert_evaluations_total",
            "victor_alert_evaluation_duration_seconds_sum",
        ]
        .map(|series| series_value(text, series).unwrap_or(f64::NAN))
    };
    let [evaluations_before, seconds_before] = figures(&text);
    drop(text);

    let cpu_before = cpu_time();
    let wall = Instant::now();
    std::thread::sleep(Duration::from_secs(IDLE_SECONDS));
    let cpu = cpu_time() - cpu_before;
    let share = cpu.as_secs_f64() / wall.elapsed().as_secs_f64() * 100.0;

    let (_, text) = scrape();
    let [evaluations, seconds] = figures(&text);
    let evaluations = evaluations - evaluations_before;
    println!(
        "idle, nobody scraping, {IDLE_SECONDS} s: {share:.1} % of one core; \
         {evaluations} alert evaluations (every 2 s), {:.1} ms each on average; resident {:.0} MiB",
        (seconds - seconds_before) / evaluations * 1e3,
        resident_mib()
    );
    exporter.shutdown().unwrap();
}
