//! A host whose calls never return (as a `statfs` on a hung mount does): the system sampler is
//! stuck in one and a readiness check in another, yet `/metrics`, the performance routes, the
//! probes and alert evaluation keep answering within a second, and a stop ends within its
//! bound (`health.shutdown_delay` + drain + [`victor_exporter::ABANDON_TIMEOUT`]), saying it left
//! a blocking call behind.
//!
//! The hung calls are injected behind [`HostSource`] and a health check: a FUSE file system that
//! stops answering needs privileges CI machines do not grant.
//!
//! Its own test binary: the exporter installs the process-wide `metrics` recorder.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use victor_exporter::config::Config;
use victor_exporter::system::HostSource;
use victor_exporter::{ABANDON_TIMEOUT, DRAIN_TIMEOUT, Exporter};
use victor_health::{Check, Probe};
use victor_metrics_core::SystemSample;
use victor_test_support::series_value;

/// Blocks in every call until the test ends.
struct HungHost(mpsc::Receiver<()>);

impl HostSource for HungHost {
    fn sample(&mut self) -> Option<SystemSample> {
        let _ = self.0.recv();
        None
    }
}

fn get(agent: &ureq::Agent, url: &str) -> (u16, String, Duration) {
    let started = Instant::now();
    let mut response = agent
        .get(url)
        .call()
        .unwrap_or_else(|err| panic!("{url}: {err}"));
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().expect("body");
    (status, body, started.elapsed())
}

#[test]
fn a_hung_host_call_stops_nothing_and_shutdown_ends_within_its_bound() {
    let mut config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        ..Config::default()
    };
    config.alerting.eval_interval = Duration::from_millis(200);
    config.health.shutdown_delay = Duration::ZERO;
    // The exporter notices its own stale host figures: HostSamplesStale, made quick.
    config.alerting.rules.insert(
        victor_alerting::AlertName::HostSamplesStale,
        victor_alerting::RuleOverride {
            threshold: Some(0.5),
            for_duration: Some(Duration::ZERO),
            ..Default::default()
        },
    );
    let (release, hang) = mpsc::channel::<()>();
    let (_release_check, hang_check) = mpsc::channel::<()>();
    let hang_check = std::sync::Mutex::new(hang_check);
    let exporter = Exporter::new(config)
        .expect("exporter")
        .host_source(HungHost(hang));
    exporter
        .health()
        .add(
            Probe::Readiness,
            Check::sync("nfs", move || {
                let _ = hang_check.lock().map(|hang| hang.recv());
                true
            })
            .expect("valid name")
            .timeout(Duration::from_millis(300)),
        )
        .expect("added");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let listener = runtime.block_on(exporter.bind()).expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || {
        let served = runtime.block_on(exporter.serve(listener, async {
            let _ = stopped.await;
        }));
        let stopping = Instant::now();
        let clean = victor_exporter::stop_runtime(runtime);
        (served.map_err(|err| err.to_string()), clean, stopping)
    });

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    std::thread::sleep(Duration::from_millis(500));
    let evaluations = |text: &str| series_value(text, "victor_alert_evaluations_total");
    let (status, first, took) = get(&agent, &format!("{base}/metrics"));
    assert!(
        status == 200 && took < Duration::from_secs(1),
        "{status} in {took:?}"
    );
    for route in [
        "/api/performance/system",
        "/api/performance/summary",
        "/health/live",
        "/health/ready",
    ] {
        let (status, body, took) = get(&agent, &format!("{base}{route}"));
        assert!(
            took < Duration::from_secs(1),
            "{route} took {took:?}: {body}"
        );
        if route == "/health/ready" {
            assert_eq!(status, 503, "{body}");
            assert!(body.contains("timed out after 300ms"), "{body}");
        } else {
            assert_eq!(status, 200, "{route}: {body}");
        }
        if route == "/api/performance/system" {
            let view: serde_json::Value = serde_json::from_str(&body).expect("json");
            assert_eq!(view["sampled"], false, "{view}");
            assert!(
                view["age_seconds"].as_f64().is_some_and(|age| age > 0.3),
                "{view}"
            );
        }
    }
    std::thread::sleep(Duration::from_millis(600));
    let (_, second, took) = get(&agent, &format!("{base}/metrics"));
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert!(
        evaluations(&second) > evaluations(&first),
        "alert evaluation stalled: {:?} then {:?}",
        evaluations(&first),
        evaluations(&second)
    );
    assert!(
        series_value(&second, "victor_system_sample_age_seconds").is_some_and(|age| age > 0.9),
        "the sample age grows while the host call hangs"
    );
    let (_, alerts, _) = get(&agent, &format!("{base}/api/alerts"));
    let alerts: serde_json::Value = serde_json::from_str(&alerts).expect("json");
    assert!(
        alerts["alerts"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|alert| alert["name"] == "HostSamplesStale" && alert["state"] == "firing"),
        "the exporter does not say its host figures are stale: {alerts}"
    );

    let signalled = Instant::now();
    let _ = stop.send(());
    let (served, clean, stopping) = server.join().expect("server thread");
    served.expect("served");
    let (took, runtime_took) = (signalled.elapsed(), stopping.elapsed());
    // No request is in flight, so draining is immediate: the bound is the runtime's.
    assert!(
        took <= DRAIN_TIMEOUT + ABANDON_TIMEOUT && runtime_took < ABANDON_TIMEOUT * 2,
        "stopping took {took:?}, of which the runtime {runtime_took:?}"
    );
    assert!(!clean, "the hung readiness check is reported abandoned");
    drop(release);
}
