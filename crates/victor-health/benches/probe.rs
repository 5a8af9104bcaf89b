//! Probe latency in-process, the project's figures beside their anchors in one run.
//!
//! `cargo bench -p victor-health --bench probe`
//!
//! - `probe/*`: a readiness probe over three trivial checks (sync closures, which run on the
//!   blocking pool; and futures, which run as tasks), with the default 1 s result cache and
//!   with the cache off.
//! - Anchors: the same three closures called directly (the floor), and one
//!   `tokio::task::spawn_blocking` round trip (what isolating a sync check costs).

#![allow(missing_docs, clippy::unwrap_used, reason = "benchmark harness")]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use victor_health::{Check, HealthChecker, Probe};

fn checker(cache_ttl: Duration, sync: bool) -> HealthChecker {
    let health = HealthChecker::builder("bench").cache_ttl(cache_ttl).build();
    for name in ["a", "b", "c"] {
        let check = if sync {
            Check::sync(name, || true).unwrap()
        } else {
            Check::future(name, || async { true }).unwrap()
        };
        health.add(Probe::Readiness, check).unwrap();
    }
    health
}

fn probe(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("probe");
    for (label, ttl, sync) in [
        (
            "3 sync checks, cached (default)",
            victor_health::DEFAULT_CACHE_TTL,
            true,
        ),
        ("3 sync checks, uncached", Duration::ZERO, true),
        (
            "3 async checks, cached (default)",
            victor_health::DEFAULT_CACHE_TTL,
            false,
        ),
        ("3 async checks, uncached", Duration::ZERO, false),
    ] {
        let health = checker(ttl, sync);
        runtime.block_on(health.probe(Probe::Readiness));
        group.bench_function(label, |b| {
            b.to_async(&runtime)
                .iter(|| async { black_box(health.probe(Probe::Readiness).await) });
        });
    }
    let checks: Vec<fn() -> bool> = vec![|| true, || true, || true];
    group.bench_function("anchor: 3 closures called directly", |b| {
        b.iter(|| checks.iter().all(|check| black_box(check)()));
    });
    group.bench_function("anchor: one spawn_blocking round trip", |b| {
        b.to_async(&runtime)
            .iter(|| async { tokio::task::spawn_blocking(|| true).await.unwrap() });
    });
    group.finish();
}

criterion_group!(benches, probe);
criterion_main!(benches);
