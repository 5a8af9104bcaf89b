use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use victor_metrics_core::catalog;

use super::*;
use crate::rule::{Signal, counter, gauge};

const SECOND: Duration = Duration::from_secs(1);

const META: metrics::Metadata<'static> = metrics::Metadata::new("test", metrics::Level::INFO, None);

/// A store holding what a test sets.
fn store() -> Store {
    victor_metrics_core::exposition::ExpositionBuilder::new()
        .build()
        .expect("store")
        .0
}

/// Sets the security test pass rate in `store` to `value`.
fn pass_rate(store: &Store, value: f64) -> &Store {
    use metrics::Recorder;
    store
        .register_gauge(
            &metrics::Key::from_name("victor_security_test_pass_rate"),
            &META,
        )
        .set(value);
    store
}

fn security_rule(for_duration: Duration, cooldown: Duration) -> Rule {
    Rule::builder("SecurityTestFailure")
        .condition(Signal::gauge(gauge(&catalog::SECURITY_TEST_PASS_RATE)).below(0.9))
        .severity(Severity::Critical)
        .for_duration(for_duration)
        .cooldown(cooldown)
        .summary("Pass rate {{ $value | humanizePercentage }}")
        .build()
        .expect("rule")
}

/// The share of 5xx requests per endpoint over 5 minutes, as HighErrorRate watches it.
fn error_ratio_by_endpoint() -> Signal {
    Signal::ratio(
        counter(&catalog::REQUESTS_TOTAL).matches("status", "5.."),
        [counter(&catalog::REQUESTS_TOTAL)],
        Duration::from_secs(300),
    )
    .by(["endpoint"])
}

/// Reads `store` at `start + at` and evaluates.
fn step(engine: &Engine, start: Instant, at: Duration, store: &Store) -> Vec<Notification> {
    engine.observe_at(store, start + at);
    engine.evaluate_at(start + at, SystemTime::UNIX_EPOCH + at)
}

#[test]
fn pending_until_for_then_firing_then_resolved_once() {
    let engine = Engine::new(VictorMetrics::new());
    let store = store();
    engine
        .add_rule(security_rule(60 * SECOND, 300 * SECOND))
        .expect("add");
    let start = Instant::now();

    assert!(step(&engine, start, Duration::ZERO, pass_rate(&store, 0.5)).is_empty());
    let alerts = engine.alerts();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].state, AlertState::Pending);
    assert_eq!(alerts[0].annotations["summary"], "Pass rate 50%");

    // Still pending just before `for` elapses.
    assert!(step(&engine, start, 59 * SECOND, pass_rate(&store, 0.5)).is_empty());
    assert_eq!(engine.alerts()[0].state, AlertState::Pending);

    let fired = step(&engine, start, 60 * SECOND, pass_rate(&store, 0.4));
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].alert.state, AlertState::Firing);
    assert_eq!(fired[0].alert.value, Some(0.4));
    assert_eq!(fired[0].alert.labels["alertname"], "SecurityTestFailure");
    assert_eq!(fired[0].alert.labels["severity"], "critical");
    assert_eq!(fired[0].alert.active_since, SystemTime::UNIX_EPOCH);
    assert!(fired[0].valid_until > SystemTime::UNIX_EPOCH + 60 * SECOND);

    let resolved = step(&engine, start, 70 * SECOND, pass_rate(&store, 0.95));
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].alert.state, AlertState::Resolved);
    assert_eq!(resolved[0].alert.fingerprint, fired[0].alert.fingerprint);
    assert_eq!(
        resolved[0].alert.resolved_at,
        Some(SystemTime::UNIX_EPOCH + 70 * SECOND)
    );
    assert!(engine.alerts().is_empty());
    // Resolved is sent once.
    assert!(step(&engine, start, 80 * SECOND, pass_rate(&store, 0.95)).is_empty());
}

#[test]
fn pending_that_clears_goes_away_silently() {
    let engine = Engine::new(VictorMetrics::new());
    let store = store();
    engine
        .add_rule(security_rule(60 * SECOND, 300 * SECOND))
        .expect("add");
    let start = Instant::now();
    assert!(step(&engine, start, Duration::ZERO, pass_rate(&store, 0.5)).is_empty());
    assert!(step(&engine, start, 30 * SECOND, pass_rate(&store, 0.99)).is_empty());
    assert!(engine.alerts().is_empty());
    // Coming back restarts the `for` clock.
    assert!(step(&engine, start, 40 * SECOND, pass_rate(&store, 0.5)).is_empty());
    assert!(step(&engine, start, 90 * SECOND, pass_rate(&store, 0.5)).is_empty());
    assert_eq!(
        step(&engine, start, 100 * SECOND, pass_rate(&store, 0.5)).len(),
        1
    );
}

#[test]
fn cooldown_limits_repeats_and_fingerprint_deduplicates() {
    let engine = Engine::new(VictorMetrics::new());
    let store = store();
    engine
        .add_rule(security_rule(Duration::ZERO, 300 * SECOND))
        .expect("add");
    let start = Instant::now();
    let mut sent = 0;
    // Every 15 s for 20 minutes, always failing: one alert, sent at 0, 300, 600, 900 s.
    for tick in 0..80 {
        let notifications = step(&engine, start, tick * 15 * SECOND, pass_rate(&store, 0.1));
        assert_eq!(engine.alerts().len(), 1, "one alert per fingerprint");
        sent += notifications.len();
    }
    assert_eq!(sent, 4);
}

#[test]
fn one_alert_per_group_with_group_labels() {
    let engine = Engine::new(VictorMetrics::new());
    let store = store();
    let rule = Rule::builder("HighErrorRate")
        .condition(error_ratio_by_endpoint().above(0.05))
        .label("team", "agents")
        .description("{{ $labels.endpoint }} at {{ $value | humanizePercentage }}")
        .build()
        .expect("rule");
    engine.add_rule(rule).expect("add");
    let text = |ok: u64, chat_errors: u64, tool_errors: u64| {
        use metrics::Recorder;
        for (endpoint, status, value) in [
            ("/chat", "200", ok),
            ("/chat", "500", chat_errors),
            ("/tools", "200", ok),
            ("/tools", "503", tool_errors),
        ] {
            let labels = [
                ("endpoint", endpoint),
                ("method", "POST"),
                ("status", status),
            ];
            let key = metrics::Key::from_parts(
                "victor_requests_total",
                labels
                    .iter()
                    .map(|(k, v)| metrics::Label::new(*k, *v))
                    .collect::<Vec<_>>(),
            );
            store.register_counter(&key, &META).absolute(value);
        }
        &store
    };
    let start = Instant::now();
    assert!(step(&engine, start, Duration::ZERO, text(0, 0, 0)).is_empty());
    let fired = step(&engine, start, 10 * SECOND, text(100, 50, 1));
    assert_eq!(fired.len(), 1, "only /chat is over 5%");
    let alert = &fired[0].alert;
    assert_eq!(alert.labels["endpoint"], "/chat");
    assert_eq!(alert.labels["team"], "agents");
    assert_eq!(alert.annotations["description"], "/chat at 33.33%");

    let both = step(&engine, start, 20 * SECOND, text(200, 100, 50));
    assert_eq!(both.len(), 1, "/chat is in cooldown; /tools fires");
    assert_eq!(both[0].alert.labels["endpoint"], "/tools");
    assert_eq!(engine.alerts().len(), 2);
}

#[test]
fn custom_conditions_and_panics() {
    let engine = Engine::new(VictorMetrics::new());
    let store = store();
    let flag = Arc::new(AtomicBool::new(true));
    let condition = Arc::clone(&flag);
    engine
        .add_rule(
            Rule::builder("Custom")
                .condition(Condition::custom(move || condition.load(Ordering::Relaxed)))
                .build()
                .expect("rule"),
        )
        .expect("add");
    engine
        .add_rule(
            Rule::builder("Panics")
                .condition(Condition::custom(|| panic!("boom")))
                .build()
                .expect("rule"),
        )
        .expect("add");
    let start = Instant::now();
    let fired = step(&engine, start, Duration::ZERO, &store);
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].alert.value, None);
    flag.store(false, Ordering::Relaxed);
    let resolved = step(&engine, start, SECOND, &store);
    assert_eq!(resolved[0].alert.state, AlertState::Resolved);
}

#[test]
fn duplicate_rule_names_are_refused() {
    let engine = Engine::new(VictorMetrics::new());
    engine
        .add_rule(security_rule(Duration::ZERO, SECOND))
        .expect("add");
    let err = engine
        .add_rule(security_rule(Duration::ZERO, SECOND))
        .expect_err("duplicate");
    assert!(err.to_string().contains("SecurityTestFailure"), "{err}");
}

#[test]
fn json_lists_alerts_with_rfc3339_times() {
    let engine = Engine::new(VictorMetrics::new());
    let store = store();
    engine
        .add_rule(security_rule(60 * SECOND, SECOND))
        .expect("add");
    step(
        &engine,
        Instant::now(),
        Duration::ZERO,
        pass_rate(&store, 0.5),
    );
    let json = serde_json::to_value(Component::view(&engine)).expect("serializable");
    let alert = &json["alerts"][0];
    assert_eq!(alert["state"], "pending");
    assert_eq!(alert["severity"], "critical");
    assert_eq!(alert["active_since"], "1970-01-01T00:00:00.000Z");
    assert!(alert["fired_at"].is_null());
}

#[test]
fn a_broken_series_skips_only_itself() {
    use metrics::Recorder;
    let engine = Engine::new(VictorMetrics::new());
    let store = store();
    // Broken on purpose: the catalog's counter registered as a gauge. The store keeps the
    // counter family, counts the conflict, and never shows the gauge to anyone.
    store
        .register_gauge(
            &metrics::Key::from_parts(
                "victor_llm_requests_total",
                vec![metrics::Label::new("provider", "p")],
            ),
            &META,
        )
        .set(1e9);
    engine
        .add_rule(
            Rule::builder("LlmTraffic")
                .condition(
                    Signal::rate(counter(&catalog::LLM_REQUESTS_TOTAL), 60 * SECOND).above(0.0),
                )
                .build()
                .expect("rule"),
        )
        .expect("add");
    engine
        .add_rule(security_rule(Duration::ZERO, 300 * SECOND))
        .expect("add");
    let start = Instant::now();
    assert_eq!(
        step(&engine, start, Duration::ZERO, pass_rate(&store, 0.5)).len(),
        1
    );
    let fired = step(&engine, start, 10 * SECOND, pass_rate(&store, 0.5));
    assert!(fired.is_empty(), "in cooldown");
    let alerts = engine.alerts();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].name, "SecurityTestFailure");
    assert_eq!(store.kind_conflicts(), 1);
}

#[test]
fn hostile_label_values_reach_alerts_exactly() {
    use metrics::Recorder;
    let engine = Engine::new(VictorMetrics::new());
    let store = store();
    let hostile = format!(
        "C:\\Users\\me\r\n\"quoted\"\0\u{2028}{}",
        "x".repeat(10_000)
    );
    let rule = Rule::builder("HighErrorRate")
        .condition(error_ratio_by_endpoint().above(0.05))
        .build()
        .expect("rule");
    engine.add_rule(rule).expect("add");
    let errors = store.register_counter(
        &metrics::Key::from_parts(
            "victor_requests_total",
            vec![
                metrics::Label::new("endpoint", hostile.clone()),
                metrics::Label::new("method", "POST"),
                metrics::Label::new("status", "500"),
            ],
        ),
        &META,
    );
    let start = Instant::now();
    step(&engine, start, Duration::ZERO, &store);
    errors.increment(10);
    let fired = step(&engine, start, 10 * SECOND, &store);
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].alert.labels["endpoint"], hostile);
}

#[test]
fn keep_firing_for_holds_a_firing_alert_through_a_flap_and_never_a_pending_one() {
    let engine = Engine::new(VictorMetrics::new());
    let store = store();
    let rule = Rule::builder("SecurityTestFailure")
        .condition(Signal::gauge(gauge(&catalog::SECURITY_TEST_PASS_RATE)).below(0.9))
        .for_duration(10 * SECOND)
        .keep_firing_for(60 * SECOND)
        .cooldown(300 * SECOND)
        .build()
        .expect("rule");
    assert_eq!(
        rule.to_prometheus()
            .expect("typed")
            .keep_firing_for
            .as_deref(),
        Some("1m")
    );
    engine.add_rule(rule).expect("add");
    let start = Instant::now();
    let bad = |at: u32| step(&engine, start, at * SECOND, pass_rate(&store, 0.5));
    let good = |at: u32| step(&engine, start, at * SECOND, pass_rate(&store, 0.99));

    // A pending alert that clears goes at once: hysteresis is for firing alerts only.
    assert!(bad(0).is_empty());
    assert!(good(5).is_empty());
    assert!(engine.alerts().is_empty());

    assert!(bad(20).is_empty());
    assert_eq!(bad(30).len(), 1, "fires once");
    // The signal flaps: good, bad, good. The alert keeps firing and sends nothing more.
    assert!(good(40).is_empty());
    assert_eq!(engine.alerts()[0].state, AlertState::Firing);
    assert!(bad(50).is_empty());
    assert!(good(60).is_empty());
    assert!(good(109).is_empty(), "59 s after it last held");
    assert_eq!(engine.alerts()[0].state, AlertState::Firing);
    let resolved = good(110);
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].alert.state, AlertState::Resolved);
    assert!(engine.alerts().is_empty());
}

#[test]
fn rules_may_share_a_name_when_a_label_differs() {
    let engine = Engine::new(VictorMetrics::new());
    let rule = |slo: &str| {
        Rule::builder("SLOErrorBudgetBurnFast")
            .condition(Signal::gauge(gauge(&catalog::SECURITY_TEST_PASS_RATE)).below(0.9))
            .label("sloth_slo", slo)
            .build()
            .expect("rule")
    };
    engine.add_rule(rule("a")).expect("first");
    engine
        .add_rule(rule("b"))
        .expect("a label tells them apart");
    let err = engine
        .add_rule(rule("a"))
        .expect_err("same name and labels");
    assert!(matches!(err, EngineError::DuplicateRule(_)), "{err}");
    let store = store();
    pass_rate(&store, 0.5);
    let fired = step(&engine, Instant::now(), Duration::ZERO, &store);
    assert_eq!(fired.len(), 2);
    assert_ne!(
        fired[0].alert.fingerprint, fired[1].alert.fingerprint,
        "each rule's alert has its own identity"
    );
}
