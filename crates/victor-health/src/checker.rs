//! The checker: probes, their checks, start-up gating, caching and shutdown.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde::Serialize;
use thiserror::Error;
use tokio::task::JoinHandle;
use victor_metrics_core::{Component, MetricDef, VictorMetrics, catalog};

use crate::check::{Body, Check, Outcome, Status, panic_message};

/// How long start-up may take before it is reported as failed, unless configured.
pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a check's result is reused, unless configured: a probe storm runs each check at most
/// once a second, while Kubernetes (probing every 5–10 s) always sees fresh results.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(1);

/// The three Kubernetes probe kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Probe {
    /// Is the process alive? Failing means "restart me".
    Liveness,
    /// Can it take traffic? Failing means "send me nothing for now".
    Readiness,
    /// Has it finished starting? Until it has, readiness fails and liveness is not checked.
    Startup,
}

impl Probe {
    /// All three, in the order responses list them.
    pub const ALL: [Probe; 3] = [Probe::Liveness, Probe::Readiness, Probe::Startup];

    /// The name used in JSON, logs and the `probe` label.
    pub const fn as_str(self) -> &'static str {
        match self {
            Probe::Liveness => "liveness",
            Probe::Readiness => "readiness",
            Probe::Startup => "startup",
        }
    }

    const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A probe name that is none of the three.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("unknown probe {0:?}: expected live, ready or startup")]
pub struct ProbeParseError(pub String);

impl FromStr for Probe {
    type Err = ProbeParseError;

    /// Accepts the route names (`live`, `ready`, `startup`) and the full names.
    fn from_str(name: &str) -> Result<Probe, ProbeParseError> {
        match name {
            "live" | "liveness" => Ok(Probe::Liveness),
            "ready" | "readiness" => Ok(Probe::Readiness),
            "startup" => Ok(Probe::Startup),
            other => Err(ProbeParseError(other.to_owned())),
        }
    }
}

/// What went wrong adding a check or selecting checks.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum HealthError {
    /// Two checks of one probe would share a name.
    #[error("the {probe} probe already has a check named {name:?}")]
    DuplicateCheck {
        /// The probe.
        probe: Probe,
        /// The name.
        name: String,
    },
    /// A start-up check added after start-up completed would never run.
    #[error(
        "start-up has completed, so start-up check {name:?} would never run; add start-up checks before serving"
    )]
    StartupComplete {
        /// The check's name.
        name: String,
    },
    /// A query named a check the probe does not have.
    #[error("the {probe} probe has no check named {name:?}; its checks: {known}")]
    UnknownCheck {
        /// The probe.
        probe: Probe,
        /// The name asked for.
        name: String,
        /// The probe's check names, comma-separated (or "none").
        known: String,
    },
}

/// Which of a probe's checks to run: all (the default), one (`/health/ready/NAME`), or all but
/// some (`?exclude=NAME`, as kube-apiserver has it).
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Only this check.
    pub only: Option<String>,
    /// Every check but these.
    pub exclude: Vec<String>,
}

impl Selection {
    fn is_everything(&self) -> bool {
        self.only.is_none() && self.exclude.is_empty()
    }
}

/// One check's line in a probe response.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckReport {
    /// The check's name (`startup` or `shutdown` for the gates the checker adds itself).
    pub name: String,
    /// Whether it passed.
    pub status: Status,
    /// How long the run took, in seconds (0 for gates).
    pub duration_seconds: f64,
    /// What the check saw, or why it failed ("timed out after 1s", "panicked: …").
    pub message: String,
    /// Whether this result was reused from an earlier run (see the cache TTL).
    pub cached: bool,
}

impl CheckReport {
    fn gate(name: &str, passed: bool, message: String) -> CheckReport {
        CheckReport {
            name: name.to_owned(),
            status: Status::from_passed(passed),
            duration_seconds: 0.0,
            message,
            cached: false,
        }
    }
}

/// A probe's answer: overall status, version, uptime and each check.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProbeReport {
    /// Which probe answered.
    pub probe: Probe,
    /// Healthy only when every listed check is.
    pub status: Status,
    /// The service's version.
    pub version: String,
    /// Seconds since the checker was built (start-up of the service, in practice).
    pub uptime_seconds: f64,
    /// Each check, in the order they were added; gates first.
    pub checks: Vec<CheckReport>,
}

impl ProbeReport {
    /// Whether the probe passed (HTTP 200) or not (HTTP 503).
    pub fn is_healthy(&self) -> bool {
        self.status == Status::Healthy
    }

    /// The kube-apiserver `?verbose` text: one `[+]`/`[-]` line per check, then a verdict.
    pub fn to_verbose_text(&self) -> String {
        let mut text = String::new();
        for check in &self.checks {
            let (mark, verdict) = match check.status {
                Status::Healthy => ('+', "ok"),
                Status::Unhealthy => ('-', "failed"),
            };
            text.push_str(&format!(
                "[{mark}]{} {verdict}: {}\n",
                check.name, check.message
            ));
        }
        let verdict = if self.is_healthy() {
            "passed"
        } else {
            "failed"
        };
        text.push_str(&format!("{} check {verdict}\n", self.probe));
        text
    }
}

/// A check as the checker holds it.
struct Slot {
    check: Check,
    /// Set once the check has passed; start-up counts these.
    first_pass: OnceLock<CheckReport>,
    /// Set once a run has finished or timed out: the start-up timeout fails only checks that
    /// ran, never one that a tiny timeout or a slow scheduler kept from running.
    ran: AtomicBool,
    /// Held across a run, so concurrent probes of one check share a run instead of starting
    /// one each.
    state: tokio::sync::Mutex<SlotState>,
}

#[derive(Default)]
struct SlotState {
    cached: Option<(Instant, CheckReport)>,
    /// A blocking run that outlived its timeout. It cannot be cancelled, so the next probe
    /// waits on it instead of piling another blocked thread on top.
    unfinished: Option<(Instant, JoinHandle<Outcome>)>,
    last_passed: Option<bool>,
}

/// Where start-up stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Starting,
    Started,
    TimedOut,
}

/// Builds a [`HealthChecker`].
#[derive(Debug)]
pub struct HealthCheckerBuilder {
    version: Arc<str>,
    startup_timeout: Duration,
    cache_ttl: Duration,
    metrics: Option<VictorMetrics>,
}

impl HealthCheckerBuilder {
    /// How long start-up may take; past it, start-up, readiness and liveness report failure
    /// (default [`DEFAULT_STARTUP_TIMEOUT`]).
    #[must_use]
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }

    /// How long a check's result is reused (default [`DEFAULT_CACHE_TTL`]; zero runs checks on
    /// every probe).
    #[must_use]
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl;
        self
    }

    /// Where the checker records its metrics (by default a new [`VictorMetrics`], which
    /// records to the same installed recorder).
    #[must_use]
    pub fn metrics(mut self, metrics: VictorMetrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The checker, with no checks yet.
    pub fn build(self) -> HealthChecker {
        HealthChecker {
            inner: Arc::new(Inner {
                version: self.version,
                created: Instant::now(),
                startup_timeout: self.startup_timeout,
                cache_ttl: self.cache_ttl,
                metrics: self.metrics.unwrap_or_default(),
                slots: Default::default(),
                started: AtomicBool::new(false),
                startup_failed: AtomicBool::new(false),
                shutting_down: AtomicBool::new(false),
                last_status: Default::default(),
                last_reports: Mutex::default(),
            }),
        }
    }
}

/// Liveness, readiness and startup probes over named checks.
///
/// Every check runs with its timeout, isolated from the probe: a check that hangs reports
/// "timed out after …", one that panics reports the panic message, and neither blocks the probe
/// or the server. The checks of one probe run concurrently. Start-up gates the others: until each
/// start-up check has passed once, readiness fails and liveness answers without running its
/// checks; if start-up takes longer than its timeout, all three fail. Cloning is cheap and
/// shares the checker.
///
/// Probes must be awaited inside a tokio runtime.
///
/// ```
/// use victor_health::{Check, HealthChecker, Probe};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let health = HealthChecker::builder("1.4.2").build();
/// health.add(Probe::Startup, Check::sync("models", || true)?)?;
/// health.add(Probe::Readiness, Check::future("database", || async { Ok::<(), String>(()) })?)?;
///
/// let ready = health.probe(Probe::Readiness).await;
/// assert!(ready.is_healthy(), "{ready:?}");
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct HealthChecker {
    inner: Arc<Inner>,
}

struct Inner {
    version: Arc<str>,
    created: Instant,
    startup_timeout: Duration,
    cache_ttl: Duration,
    metrics: VictorMetrics,
    slots: [RwLock<Vec<Arc<Slot>>>; 3],
    started: AtomicBool,
    startup_failed: AtomicBool,
    shutting_down: AtomicBool,
    /// Per probe: 0 never answered, 1 healthy, 2 unhealthy; for logging changes.
    last_status: [AtomicU8; 3],
    last_reports: Mutex<[Option<ProbeReport>; 3]>,
}

impl fmt::Debug for HealthChecker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("HealthChecker")
            .field("version", &inner.version)
            .field("started", &inner.started.load(Ordering::Relaxed))
            .field(
                "shutting_down",
                &inner.shutting_down.load(Ordering::Relaxed),
            )
            .finish_non_exhaustive()
    }
}

impl HealthChecker {
    /// A builder; `version` appears in every response.
    pub fn builder(version: impl Into<Arc<str>>) -> HealthCheckerBuilder {
        HealthCheckerBuilder {
            version: version.into(),
            startup_timeout: DEFAULT_STARTUP_TIMEOUT,
            cache_ttl: DEFAULT_CACHE_TTL,
            metrics: None,
        }
    }

    /// Adds a check to a probe.
    ///
    /// # Errors
    /// [`HealthError::DuplicateCheck`] when the probe has a check of that name;
    /// [`HealthError::StartupComplete`] for a start-up check once start-up has completed.
    pub fn add(&self, probe: Probe, check: Check) -> Result<(), HealthError> {
        let inner = &*self.inner;
        let mut slots = inner.slots[probe.index()]
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if probe == Probe::Startup && inner.started.load(Ordering::Acquire) {
            return Err(HealthError::StartupComplete {
                name: check.name().to_owned(),
            });
        }
        if slots.iter().any(|slot| slot.check.name == check.name) {
            return Err(HealthError::DuplicateCheck {
                probe,
                name: check.name().to_owned(),
            });
        }
        slots.push(Arc::new(Slot {
            check,
            first_pass: OnceLock::new(),
            ran: AtomicBool::new(false),
            state: tokio::sync::Mutex::default(),
        }));
        Ok(())
    }

    /// Runs every check of `probe` (as gating allows) and answers.
    pub async fn probe(&self, probe: Probe) -> ProbeReport {
        let slots = self.slots(probe);
        self.answer(probe, slots, true).await
    }

    /// Runs the selected checks of `probe` and answers.
    ///
    /// # Errors
    /// [`HealthError::UnknownCheck`] when the selection names a check the probe lacks, so a typo
    /// in a probe's URL fails loudly instead of silently checking everything.
    pub async fn probe_selected(
        &self,
        probe: Probe,
        selection: &Selection,
    ) -> Result<ProbeReport, HealthError> {
        let all = self.slots(probe);
        let unknown = selection
            .only
            .iter()
            .chain(&selection.exclude)
            .find(|name| !all.iter().any(|slot| *slot.check.name == ***name));
        if let Some(name) = unknown {
            let known: Vec<&str> = all.iter().map(|slot| slot.check.name()).collect();
            return Err(HealthError::UnknownCheck {
                probe,
                name: name.clone(),
                known: if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                },
            });
        }
        let everything = selection.is_everything();
        let chosen = all
            .into_iter()
            .filter(|slot| {
                selection
                    .only
                    .as_deref()
                    .is_none_or(|only| only == slot.check.name())
                    && !selection.exclude.iter().any(|x| **x == *slot.check.name)
            })
            .collect();
        Ok(self.answer(probe, chosen, everything).await)
    }

    /// Turns readiness off for good (the process is shutting down), so load balancers stop
    /// sending work before the server drains. Liveness is unaffected.
    pub fn begin_shutdown(&self) {
        if !self.inner.shutting_down.swap(true, Ordering::AcqRel) {
            tracing::info!("shutting down: readiness now answers unhealthy");
        }
    }

    /// Whether every start-up check has passed.
    pub fn is_started(&self) -> bool {
        self.inner.started.load(Ordering::Acquire)
    }

    /// The checks of one probe, in the order they were added.
    pub fn check_names(&self, probe: Probe) -> Vec<String> {
        self.slots(probe)
            .iter()
            .map(|slot| slot.check.name().to_owned())
            .collect()
    }

    fn slots(&self, probe: Probe) -> Vec<Arc<Slot>> {
        self.inner.slots[probe.index()]
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    async fn answer(&self, probe: Probe, chosen: Vec<Arc<Slot>>, everything: bool) -> ProbeReport {
        let inner = &*self.inner;
        let mut checks = Vec::with_capacity(chosen.len() + 1);
        match probe {
            Probe::Startup => {
                let (phase, mut ran) = self.advance_startup().await;
                if phase == Phase::TimedOut {
                    checks.push(self.startup_timed_out());
                }
                for slot in &chosen {
                    let just_ran = ran.iter().position(|r| r.name == slot.check.name());
                    checks.push(match (just_ran, slot.first_pass.get()) {
                        (Some(index), _) => ran.swap_remove(index),
                        (None, Some(passed)) => CheckReport {
                            cached: true,
                            ..passed.clone()
                        },
                        (None, None) => self.last_or_never(slot).await,
                    });
                }
            }
            Probe::Readiness => {
                let (phase, _) = self.advance_startup().await;
                if inner.shutting_down.load(Ordering::Acquire) {
                    checks.push(CheckReport::gate(
                        "shutdown",
                        false,
                        "shutting down: not taking new work".to_owned(),
                    ));
                } else {
                    match phase {
                        Phase::Started => {
                            checks.extend(join_all(chosen.iter().map(|s| self.run(probe, s))).await)
                        }
                        Phase::Starting => checks.push(self.startup_pending()),
                        Phase::TimedOut => checks.push(self.startup_timed_out()),
                    }
                }
            }
            Probe::Liveness => match self.phase() {
                Phase::Started => {
                    checks.extend(join_all(chosen.iter().map(|s| self.run(probe, s))).await)
                }
                Phase::Starting => checks.push(CheckReport::gate(
                    "startup",
                    true,
                    "start-up in progress; liveness checks begin once it completes".to_owned(),
                )),
                Phase::TimedOut => checks.push(self.startup_timed_out()),
            },
        }
        let healthy = checks.iter().all(|check| check.status == Status::Healthy)
            && (probe != Probe::Startup || self.is_started());
        let report = ProbeReport {
            probe,
            status: Status::from_passed(healthy),
            version: inner.version.to_string(),
            uptime_seconds: inner.created.elapsed().as_secs_f64(),
            checks,
        };
        if everything {
            self.remember(&report);
        }
        report
    }

    /// Runs the start-up checks that have not passed yet, returning their reports; latches
    /// `started` when all have passed.
    async fn advance_startup(&self) -> (Phase, Vec<CheckReport>) {
        let phase = self.phase();
        if phase != Phase::Starting {
            return (phase, Vec::new());
        }
        let slots = self.slots(Probe::Startup);
        let pending: Vec<&Arc<Slot>> = slots
            .iter()
            .filter(|slot| slot.first_pass.get().is_none())
            .collect();
        let ran = join_all(pending.iter().map(|slot| self.run(Probe::Startup, slot))).await;
        (self.phase(), ran)
    }

    /// Where start-up stands, without running anything. Latches completion (every start-up
    /// check has passed once; true at once when there are none) and the timeout.
    fn phase(&self) -> Phase {
        let inner = &*self.inner;
        if inner.started.load(Ordering::Acquire) {
            Phase::Started
        } else if inner.startup_failed.load(Ordering::Acquire) {
            Phase::TimedOut
        } else if self.startup_checks_all_passed() {
            if !inner.started.swap(true, Ordering::AcqRel) {
                tracing::info!(
                    elapsed = ?inner.created.elapsed(),
                    "start-up complete: every start-up check has passed"
                );
            }
            Phase::Started
        } else if inner.created.elapsed() >= inner.startup_timeout && self.startup_checks_all_ran()
        {
            if !inner.startup_failed.swap(true, Ordering::AcqRel) {
                let waiting = self.waiting_for().join(", ");
                tracing::error!(
                    timeout = ?inner.startup_timeout,
                    waiting_for = %waiting,
                    "start-up did not complete in time; all probes now fail"
                );
            }
            Phase::TimedOut
        } else {
            Phase::Starting
        }
    }

    fn startup_checks_all_passed(&self) -> bool {
        self.inner.slots[Probe::Startup.index()]
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .all(|slot| slot.first_pass.get().is_some())
    }

    /// Every start-up check that has not passed has run at least once.
    fn startup_checks_all_ran(&self) -> bool {
        self.slots(Probe::Startup)
            .iter()
            .all(|slot| slot.first_pass.get().is_some() || slot.ran.load(Ordering::Acquire))
    }

    fn waiting_for(&self) -> Vec<String> {
        self.slots(Probe::Startup)
            .iter()
            .filter(|slot| slot.first_pass.get().is_none())
            .map(|slot| slot.check.name().to_owned())
            .collect()
    }

    fn startup_pending(&self) -> CheckReport {
        CheckReport::gate(
            "startup",
            false,
            format!(
                "waiting for start-up checks: {} ({:.0?} of {:?})",
                self.waiting_for().join(", "),
                self.inner.created.elapsed(),
                self.inner.startup_timeout
            ),
        )
    }

    fn startup_timed_out(&self) -> CheckReport {
        CheckReport::gate(
            "startup",
            false,
            format!(
                "start-up did not complete within {:?}; never passed: {}",
                self.inner.startup_timeout,
                self.waiting_for().join(", ")
            ),
        )
    }

    /// The last result of a check that is no longer run (start-up checks after a timeout).
    async fn last_or_never(&self, slot: &Slot) -> CheckReport {
        let state = slot.state.lock().await;
        match &state.cached {
            Some((_, report)) => CheckReport {
                cached: true,
                ..report.clone()
            },
            None => CheckReport::gate(slot.check.name(), false, "never ran".to_owned()),
        }
    }

    /// Runs one check with its timeout, or reuses a result younger than the cache TTL.
    async fn run(&self, probe: Probe, slot: &Slot) -> CheckReport {
        let inner = &*self.inner;
        let check = &slot.check;
        let arrived = Instant::now();
        let mut state = slot.state.lock().await;
        // Reuse a result younger than the TTL, or one that finished while this probe waited for
        // the lock: concurrent probes share one run instead of queueing for one each.
        if let Some((at, report)) = &state.cached
            && (at.elapsed() < inner.cache_ttl || *at >= arrived)
        {
            return CheckReport {
                cached: true,
                ..report.clone()
            };
        }
        let started = Instant::now();
        let (since, mut handle) = state
            .unfinished
            .take()
            .unwrap_or_else(|| (started, spawn(&check.body)));
        let outcome = match tokio::time::timeout(check.timeout, &mut handle).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(err)) if err.is_panic() => {
                Outcome::fail(format!("panicked: {}", panic_message(&*err.into_panic())))
            }
            Ok(Err(err)) => Outcome::fail(format!("did not finish: {err}")),
            Err(_) => {
                let mut message = format!("timed out after {:?}", check.timeout);
                if since < started {
                    message.push_str(&format!(
                        "; still running since {:.1?} ago",
                        since.elapsed()
                    ));
                }
                match check.body {
                    Body::Blocking(_) => state.unfinished = Some((since, handle)),
                    Body::Async(_) => handle.abort(),
                }
                Outcome::fail(message)
            }
        };
        let duration = started.elapsed();
        record_check(
            &inner.metrics,
            probe,
            check.name(),
            duration,
            outcome.passed,
        );
        match (state.last_passed, outcome.passed) {
            (Some(true) | None, false) => tracing::warn!(
                probe = probe.as_str(),
                check = check.name(),
                message = %outcome.message,
                "health check failing"
            ),
            (Some(false), true) => tracing::info!(
                probe = probe.as_str(),
                check = check.name(),
                message = %outcome.message,
                "health check passing again"
            ),
            _ => {}
        }
        state.last_passed = Some(outcome.passed);
        let report = CheckReport {
            name: check.name().to_owned(),
            status: Status::from_passed(outcome.passed),
            duration_seconds: duration.as_secs_f64(),
            message: outcome.message,
            cached: false,
        };
        if outcome.passed {
            let _ = slot.first_pass.set(report.clone());
        }
        slot.ran.store(true, Ordering::Release);
        state.cached = Some((Instant::now(), report.clone()));
        report
    }

    /// Publishes a full probe's status and keeps its report for [`Component::json`]; logs
    /// when the status changes.
    fn remember(&self, report: &ProbeReport) {
        let inner = &*self.inner;
        let probe = report.probe;
        let healthy = report.is_healthy();
        inner
            .metrics
            .gauge(&catalog::HEALTH_STATUS, [probe.as_str()])
            .set(f64::from(u8::from(healthy)));
        let now = if healthy { 1 } else { 2 };
        let before = inner.last_status[probe.index()].swap(now, Ordering::AcqRel);
        if before != now {
            let failing: Vec<&str> = report
                .checks
                .iter()
                .filter(|check| check.status == Status::Unhealthy)
                .map(|check| check.name.as_str())
                .collect();
            if healthy {
                tracing::info!(probe = probe.as_str(), "probe healthy");
            } else {
                tracing::warn!(probe = probe.as_str(), failing = %failing.join(", "), "probe unhealthy");
            }
        }
        inner
            .last_reports
            .lock()
            .unwrap_or_else(PoisonError::into_inner)[probe.index()] = Some(report.clone());
    }
}

fn spawn(body: &Body) -> JoinHandle<Outcome> {
    match body {
        Body::Blocking(check) => {
            let check = Arc::clone(check);
            tokio::task::spawn_blocking(move || check())
        }
        Body::Async(check) => tokio::spawn(check()),
    }
}

/// Records one run of a check: its duration, and a failure when it did not pass (failed, timed
/// out or panicked). The failure counter is touched on success too, so `rate()` has a series
/// from the start.
fn record_check(
    metrics: &VictorMetrics,
    probe: Probe,
    check: &str,
    duration: Duration,
    passed: bool,
) {
    let labels = [probe.as_str(), check];
    metrics
        .histogram(&catalog::HEALTH_CHECK_DURATION_SECONDS, labels)
        .record(duration.as_secs_f64());
    metrics
        .counter(&catalog::HEALTH_CHECK_FAILURES_TOTAL, labels)
        .increment(u64::from(!passed));
}

/// The checker's JSON view (`/api/performance/health`): the last full answer of each probe,
/// `null` for a probe not asked yet.
#[derive(Clone, Debug, serde::Serialize)]
pub struct HealthView {
    /// Liveness.
    pub liveness: Option<ProbeReport>,
    /// Readiness.
    pub readiness: Option<ProbeReport>,
    /// Start-up.
    pub startup: Option<ProbeReport>,
}

impl Component for HealthChecker {
    type View = HealthView;

    fn name(&self) -> &'static str {
        "health"
    }

    fn metrics(&self) -> Vec<&'static MetricDef> {
        catalog::ALL
            .iter()
            .copied()
            .filter(|def| def.group() == catalog::Group::Health)
            .collect()
    }

    fn view(&self) -> Option<HealthView> {
        let [liveness, readiness, startup] = self
            .inner
            .last_reports
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        Some(HealthView {
            liveness,
            readiness,
            startup,
        })
    }
}

#[cfg(test)]
mod tests;
