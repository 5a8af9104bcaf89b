//! State transitions, isolation and concurrency of probes.

use std::sync::atomic::AtomicUsize;

use super::*;

/// A checker that never reuses results, so every probe sees the current state.
fn checker() -> HealthChecker {
    HealthChecker::builder("9.9.9")
        .cache_ttl(Duration::ZERO)
        .build()
}

/// A sync check whose result the test flips.
fn switch(name: &str, initially: bool) -> (Check, Arc<AtomicBool>) {
    let on = Arc::new(AtomicBool::new(initially));
    let flag = Arc::clone(&on);
    let check = Check::sync(name, move || flag.load(Ordering::SeqCst)).expect("valid name");
    (check, on)
}

fn check<'a>(report: &'a ProbeReport, name: &str) -> &'a CheckReport {
    report
        .checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no {name} in {report:#?}"))
}

#[tokio::test]
async fn starting_then_ready_once_every_startup_check_has_passed() {
    let health = checker();
    let (models, models_loaded) = switch("models", false);
    health.add(Probe::Startup, models).expect("added");
    let (db, _) = switch("database", true);
    health.add(Probe::Readiness, db).expect("added");
    let (deadlock, _) = switch("deadlock", false);
    health.add(Probe::Liveness, deadlock).expect("added");

    let startup = health.probe(Probe::Startup).await;
    assert!(!startup.is_healthy());
    assert_eq!(check(&startup, "models").status, Status::Unhealthy);
    let ready = health.probe(Probe::Readiness).await;
    assert!(!ready.is_healthy());
    assert!(
        check(&ready, "startup").message.contains("models"),
        "{ready:#?}"
    );
    assert_eq!(ready.checks.len(), 1, "readiness checks wait for start-up");
    // Liveness is gated, not failed: its (failing) checks do not run until start-up completes.
    let live = health.probe(Probe::Liveness).await;
    assert!(live.is_healthy(), "{live:#?}");

    models_loaded.store(true, Ordering::SeqCst);
    let ready = health.probe(Probe::Readiness).await;
    assert!(ready.is_healthy(), "{ready:#?}");
    assert_eq!(check(&ready, "database").message, "ok");
    assert!(health.is_started());
    // Start-up latches: a start-up check failing later changes nothing.
    models_loaded.store(false, Ordering::SeqCst);
    let startup = health.probe(Probe::Startup).await;
    assert!(startup.is_healthy(), "{startup:#?}");
    assert!(check(&startup, "models").cached);
    let live = health.probe(Probe::Liveness).await;
    assert!(!live.is_healthy(), "liveness checks run once started");
    assert_eq!(startup.version, "9.9.9");
    assert!(startup.uptime_seconds > 0.0);
}

#[tokio::test]
async fn startup_timeout_fails_all_three_probes() {
    let health = HealthChecker::builder("1")
        .cache_ttl(Duration::ZERO)
        .startup_timeout(Duration::from_millis(50))
        .build();
    let (warmup, _) = switch("warmup", false);
    health.add(Probe::Startup, warmup).expect("added");
    assert!(!health.probe(Probe::Startup).await.is_healthy());
    tokio::time::sleep(Duration::from_millis(80)).await;

    for probe in Probe::ALL {
        let report = health.probe(probe).await;
        assert!(!report.is_healthy(), "{probe}: {report:#?}");
        let gate = check(&report, "startup");
        assert!(
            gate.message.contains("did not complete within 50ms")
                && gate.message.contains("warmup"),
            "{gate:?}"
        );
    }
}

#[tokio::test]
async fn a_timeout_shorter_than_the_first_probe_never_fails_a_check_that_did_not_run() {
    let health = HealthChecker::builder("1")
        .cache_ttl(Duration::ZERO)
        .startup_timeout(Duration::from_nanos(1))
        .build();
    let (warmup, warm) = switch("warmup", true);
    health.add(Probe::Startup, warmup).expect("added");
    tokio::time::sleep(Duration::from_millis(5)).await;
    // The timeout has long passed, but the check never ran: it runs now, passes, and start-up
    // completes.
    let ready = health.probe(Probe::Readiness).await;
    assert!(ready.is_healthy(), "{ready:#?}");
    assert!(health.is_started());
    drop(warm);

    // One that runs and fails after the timeout fails start-up, naming itself.
    let health = HealthChecker::builder("1")
        .cache_ttl(Duration::ZERO)
        .startup_timeout(Duration::from_nanos(1))
        .build();
    let (warmup, _) = switch("warmup", false);
    health.add(Probe::Startup, warmup).expect("added");
    let report = health.probe(Probe::Readiness).await;
    assert!(!report.is_healthy());
    let gate = check(&report, "startup");
    assert!(
        gate.message.contains("did not complete") && gate.message.contains("warmup"),
        "{gate:?}"
    );
}

#[tokio::test]
async fn a_failing_readiness_check_fails_readiness_and_recovery_restores_it() {
    let health = checker();
    let (cache, cache_up) = switch("cache", true);
    health.add(Probe::Readiness, cache).expect("added");
    let queue = Check::sync("queue", || Err::<(), _>("broker unreachable"));
    health
        .add(Probe::Readiness, queue.expect("valid"))
        .expect("added");
    let report = health.probe(Probe::Readiness).await;
    assert!(!report.is_healthy());
    assert_eq!(check(&report, "queue").message, "broker unreachable");
    assert_eq!(check(&report, "cache").status, Status::Healthy);

    let health = checker();
    let (cache, cache_up_again) = switch("cache", true);
    health.add(Probe::Readiness, cache).expect("added");
    assert!(health.probe(Probe::Readiness).await.is_healthy());
    cache_up_again.store(false, Ordering::SeqCst);
    assert!(!health.probe(Probe::Readiness).await.is_healthy());
    cache_up_again.store(true, Ordering::SeqCst);
    assert!(health.probe(Probe::Readiness).await.is_healthy());
    drop(cache_up);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_check_times_out_without_holding_the_probe() {
    let health = checker();
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    let blocking = Check::sync("blocking_db", move || {
        counted.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_secs(1));
        true
    })
    .expect("valid")
    .timeout(Duration::from_millis(100));
    let pending = Check::future("pending_rpc", std::future::pending::<bool>)
        .expect("valid")
        .timeout(Duration::from_millis(100));
    health.add(Probe::Readiness, blocking).expect("added");
    health.add(Probe::Readiness, pending).expect("added");

    let started = Instant::now();
    let report = health.probe(Probe::Readiness).await;
    let took = started.elapsed();
    assert!(took < Duration::from_millis(600), "took {took:?}");
    assert!(!report.is_healthy());
    for name in ["blocking_db", "pending_rpc"] {
        let hung = check(&report, name);
        assert!(
            hung.message.starts_with("timed out after 100ms"),
            "{hung:?}"
        );
    }
    // The next probe waits on the same stuck run instead of blocking a second thread.
    let again = health.probe(Probe::Readiness).await;
    assert!(
        check(&again, "blocking_db")
            .message
            .contains("still running"),
        "{again:#?}"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_check_reports_its_panic_message() {
    let health = checker();
    fn explode(state: u32) -> bool {
        panic!("bad state {state}")
    }
    let sync_panic = Check::sync("sync_panic", || -> bool { panic!("index out of range") });
    let async_panic = Check::future("async_panic", || async { explode(7) });
    health
        .add(Probe::Liveness, sync_panic.expect("valid"))
        .expect("added");
    health
        .add(Probe::Liveness, async_panic.expect("valid"))
        .expect("added");
    let report = health.probe(Probe::Liveness).await;
    assert!(!report.is_healthy());
    assert_eq!(
        check(&report, "sync_panic").message,
        "panicked: index out of range"
    );
    assert_eq!(
        check(&report, "async_panic").message,
        "panicked: bad state 7"
    );
    // The checker is still usable.
    let again = health.probe(Probe::Liveness).await;
    assert!(!again.is_healthy(), "{again:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_of_one_probe_run_concurrently() {
    let health = checker();
    for name in ["a", "b", "c"] {
        let check = Check::future(name, || async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            true
        });
        health
            .add(Probe::Readiness, check.expect("valid"))
            .expect("added");
    }
    for name in ["d", "e"] {
        let check = Check::sync(name, || {
            std::thread::sleep(Duration::from_millis(200));
            true
        });
        health
            .add(Probe::Readiness, check.expect("valid"))
            .expect("added");
    }
    let started = Instant::now();
    let report = health.probe(Probe::Readiness).await;
    let took = started.elapsed();
    assert!(report.is_healthy(), "{report:#?}");
    // Five checks of 200 ms each: about 200 ms together, 1 s one after another.
    assert!(took < Duration::from_millis(600), "took {took:?}");
}

#[tokio::test]
async fn results_are_reused_within_the_cache_ttl() {
    let health = HealthChecker::builder("1")
        .cache_ttl(Duration::from_secs(60))
        .build();
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    let db = Check::sync("db", move || {
        counted.fetch_add(1, Ordering::SeqCst);
        true
    });
    health
        .add(Probe::Readiness, db.expect("valid"))
        .expect("added");
    let first = health.probe(Probe::Readiness).await;
    let second = health.probe(Probe::Readiness).await;
    assert!(!check(&first, "db").cached);
    assert!(check(&second, "db").cached);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_probes_share_one_run_even_uncached() {
    let health = checker();
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    let slow = Check::future("slow", move || {
        counted.fetch_add(1, Ordering::SeqCst);
        async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            true
        }
    });
    health
        .add(Probe::Readiness, slow.expect("valid"))
        .expect("added");
    let probes = (0..8).map(|_| health.probe(Probe::Readiness));
    let reports = join_all(probes).await;
    assert!(reports.iter().all(ProbeReport::is_healthy));
    assert_eq!(runs.load(Ordering::SeqCst), 1, "one run for eight probes");
    // A probe that starts after that run finished runs the check again.
    health.probe(Probe::Readiness).await;
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn selections_pick_checks_and_refuse_unknown_names() {
    let health = checker();
    let (good, _) = switch("good", true);
    let (bad, _) = switch("bad", false);
    health.add(Probe::Readiness, good).expect("added");
    health.add(Probe::Readiness, bad).expect("added");

    let without_bad = Selection {
        exclude: vec!["bad".into()],
        ..Selection::default()
    };
    let report = health
        .probe_selected(Probe::Readiness, &without_bad)
        .await
        .expect("known names");
    assert!(report.is_healthy(), "{report:#?}");
    let only_bad = Selection {
        only: Some("bad".into()),
        ..Selection::default()
    };
    let report = health
        .probe_selected(Probe::Readiness, &only_bad)
        .await
        .expect("known names");
    assert_eq!(report.checks.len(), 1);
    assert!(!report.is_healthy());

    let typo = Selection {
        exclude: vec!["gdoo".into()],
        ..Selection::default()
    };
    let err = health
        .probe_selected(Probe::Readiness, &typo)
        .await
        .expect_err("unknown");
    assert_eq!(
        err.to_string(),
        "the readiness probe has no check named \"gdoo\"; its checks: good, bad"
    );
}

#[tokio::test]
async fn shutdown_turns_readiness_off_but_not_liveness() {
    let health = checker();
    health
        .add(Probe::Liveness, crate::builtin::process_alive())
        .expect("added");
    assert!(health.probe(Probe::Readiness).await.is_healthy());
    health.begin_shutdown();
    let ready = health.probe(Probe::Readiness).await;
    assert!(!ready.is_healthy());
    assert!(check(&ready, "shutdown").message.contains("shutting down"));
    assert!(health.probe(Probe::Liveness).await.is_healthy());
}

#[tokio::test]
async fn duplicate_and_late_startup_checks_are_refused() {
    let health = checker();
    health
        .add(Probe::Liveness, crate::builtin::process_alive())
        .expect("added");
    let err = health
        .add(Probe::Liveness, crate::builtin::process_alive())
        .expect_err("duplicate");
    assert_eq!(
        err,
        HealthError::DuplicateCheck {
            probe: Probe::Liveness,
            name: "process".into()
        }
    );
    // Same name on another probe is fine.
    health
        .add(Probe::Readiness, crate::builtin::process_alive())
        .expect("added");
    assert!(health.probe(Probe::Startup).await.is_healthy());
    let (late, _) = switch("late", true);
    assert!(matches!(
        health.add(Probe::Startup, late),
        Err(HealthError::StartupComplete { .. })
    ));
}

#[test]
fn probe_names_parse_from_routes_and_full_names() {
    assert_eq!("live".parse(), Ok(Probe::Liveness));
    assert_eq!("readiness".parse(), Ok(Probe::Readiness));
    assert_eq!("startup".parse(), Ok(Probe::Startup));
    assert_eq!(
        "healthz".parse::<Probe>().expect_err("unknown").to_string(),
        "unknown probe \"healthz\": expected live, ready or startup"
    );
}

#[tokio::test]
async fn reports_serialize_to_the_documented_json_and_verbose_text() {
    let health = checker();
    let (db, _) = switch("db", false);
    health.add(Probe::Readiness, db).expect("added");
    let report = health.probe(Probe::Readiness).await;
    let json = serde_json::to_value(&report).expect("serializable");
    assert_eq!(json["probe"], "readiness");
    assert_eq!(json["status"], "unhealthy");
    assert_eq!(json["version"], "9.9.9");
    assert!(json["uptime_seconds"].is_f64());
    let db = &json["checks"][0];
    assert_eq!(db["name"], "db");
    assert_eq!(db["status"], "unhealthy");
    assert_eq!(db["message"], "check returned false");
    assert!(db["duration_seconds"].is_f64());
    assert_eq!(db["cached"], false);
    assert_eq!(
        report.to_verbose_text(),
        "[-]db failed: check returned false\nreadiness check failed\n"
    );
    // The component view holds the last full answer per probe.
    let view = serde_json::to_value(Component::view(&health)).expect("serializable");
    assert_eq!(view["readiness"]["status"], "unhealthy");
    assert!(view["liveness"].is_null());
}
