//! The in-process alert engine: evaluates rules over scraped samples, tracks each alert through
//! pending → firing → resolved, and says which notifications to send.
//!
//! Each evaluation:
//! 1. [`Engine::observe`] reads the current values from the store `/metrics` renders.
//! 2. [`Engine::evaluate`] computes every rule per group of series (per endpoint, tool, …). A
//!    group over its threshold is an alert, identified by its fingerprint (rule + labels), so
//!    evaluations never duplicate it.
//! 3. An alert is *pending* until its condition has held for the rule's `for` duration, then
//!    *firing*: a notification goes out at once and is repeated at most once per cooldown while it
//!    keeps firing. When the condition clears, one *resolved* notification goes out. A pending
//!    alert that clears goes away silently.
//!
//! Delivery is not the engine's business: it returns [`Notification`]s, and a
//! [`Dispatcher`](crate::Dispatcher) queues them per channel, so a slow channel never delays an
//! evaluation.
//!
//! ```
//! use std::time::Duration;
//! use victor_alerting::{Engine, Rule, Severity, Signal, gauge};
//! use victor_metrics_core::{catalog, exposition::ExpositionBuilder, VictorMetrics};
//!
//! let (store, _exposition) = ExpositionBuilder::new().build()?;
//! let metrics = VictorMetrics::new();
//! let engine = Engine::new(metrics.clone());
//! engine.add_rule(
//!     Rule::builder("SecurityTestFailure")
//!         .condition(Signal::gauge(gauge(&catalog::SECURITY_TEST_PASS_RATE)).below(0.9))
//!         .severity(Severity::Critical)
//!         .build()?,
//! )?;
//! metrics::with_local_recorder(&store, || {
//!     metrics.gauge(&catalog::SECURITY_TEST_PASS_RATE, []).set(0.5);
//! });
//! let notifications = engine.evaluate_cycle(&store, || metrics.refresh());
//! assert_eq!(notifications.len(), 1);
//! assert_eq!(notifications[0].alert.name, "SecurityTestFailure");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use metrics::Counter;
use metrics::{Gauge, Histogram};
use serde::{Serialize, Serializer};
use victor_metrics_core::catalog::{self, MetricDef};
use victor_metrics_core::exposition::Store;
use victor_metrics_core::{Component, VictorMetrics};

use crate::eval::{Compiled, GroupLabels};
use crate::rule::{Condition, Rule, Severity, Threshold};
use crate::series::SeriesIndex;
use crate::template;

/// Where an alert is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    /// The condition holds, not yet for the rule's `for` duration.
    Pending,
    /// The condition has held for `for`; notifications go out.
    Firing,
    /// The condition cleared after the alert fired.
    Resolved,
}

/// One alert: a rule over one group of series. This is what `/api/alerts` lists and what every
/// channel receives.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alert {
    /// The rule's name (also the `alertname` label).
    pub name: String,
    /// Stable identity of the rule and labels, hex; evaluations update one alert per fingerprint.
    pub fingerprint: String,
    /// Pending, firing or resolved.
    pub state: AlertState,
    /// How bad it is.
    pub severity: Severity,
    /// The signal's value at the last evaluation; `None` for closure conditions.
    pub value: Option<f64>,
    /// `alertname`, `severity`, the rule's labels and the group's labels.
    pub labels: BTreeMap<String, String>,
    /// The rule's annotations, expanded for this alert.
    pub annotations: BTreeMap<String, String>,
    /// When the condition started holding.
    #[serde(serialize_with = "rfc3339")]
    pub active_since: SystemTime,
    /// When it started firing.
    #[serde(serialize_with = "rfc3339_option")]
    pub fired_at: Option<SystemTime>,
    /// When it resolved.
    #[serde(serialize_with = "rfc3339_option")]
    pub resolved_at: Option<SystemTime>,
}

/// A message to send: a firing or resolved alert, and the channels that should get it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Notification {
    /// The alert, in state firing or resolved.
    pub alert: Alert,
    /// Until when a firing alert should be considered active if no further notification arrives
    /// (Alertmanager's `endsAt`): four cooldowns, as the engine re-sends once per cooldown.
    #[serde(serialize_with = "rfc3339")]
    pub valid_until: SystemTime,
    /// The rule's channels; empty means every channel.
    #[serde(skip)]
    pub channels: Arc<[String]>,
}

/// The name of the alert a test notification carries.
pub const TEST_ALERT_NAME: &str = "VictorTestNotification";

impl Notification {
    /// A notification that says it is a test, for checking a channel end to end
    /// (`victor alerts test CHANNEL`): alert [`TEST_ALERT_NAME`], severity info, firing now,
    /// labelled `test="true"` and `channel`, and valid for one minute, so an Alertmanager that
    /// receives it routes it like any alert and then lets it expire.
    ///
    /// ```
    /// use victor_alerting::{AlertState, Notification, Severity, TEST_ALERT_NAME};
    ///
    /// let test = Notification::test("webhook", "victor-exporter on 127.0.0.1:9091");
    /// assert_eq!(test.alert.name, TEST_ALERT_NAME);
    /// assert_eq!((test.alert.state, test.alert.severity), (AlertState::Firing, Severity::Info));
    /// assert_eq!(test.alert.labels["channel"], "webhook");
    /// ```
    pub fn test(channel: &str, source: &str) -> Notification {
        let now = SystemTime::now();
        let labels = BTreeMap::from([
            ("alertname".to_owned(), TEST_ALERT_NAME.to_owned()),
            ("severity".to_owned(), Severity::Info.as_str().to_owned()),
            ("channel".to_owned(), channel.to_owned()),
            ("test".to_owned(), "true".to_owned()),
        ]);
        let annotations = BTreeMap::from([
            (
                "summary".to_owned(),
                format!("Test notification through channel {channel}"),
            ),
            (
                "description".to_owned(),
                format!(
                    "Sent on request by {source} to check that channel {channel} delivers. \
                     No action is needed."
                ),
            ),
        ]);
        Notification {
            alert: Alert {
                name: TEST_ALERT_NAME.to_owned(),
                fingerprint: format!(
                    "{:016x}",
                    fingerprint(TEST_ALERT_NAME, &BTreeMap::new(), &[])
                ),
                state: AlertState::Firing,
                severity: Severity::Info,
                value: None,
                labels,
                annotations,
                active_since: now,
                fired_at: Some(now),
                resolved_at: None,
            },
            valid_until: now + Duration::from_secs(60),
            channels: Arc::from([channel.to_owned()]),
        }
    }
}

/// Why a rule cannot be added.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Two rules with one name and the same labels would share fingerprints.
    #[error(
        "a rule named {0:?} with the same labels is already loaded; rules that share a name must differ in a label"
    )]
    DuplicateRule(String),
}

/// Evaluates rules and tracks their alerts. Cheap to share behind an `Arc`; every method takes
/// `&self`.
pub struct Engine {
    state: Mutex<State>,
    metrics: EngineMetrics,
}

/// The engine's own series, resolved once (which also makes them exist, at zero, before the
/// first evaluation).
struct EngineMetrics {
    evaluations: Counter,
    duration: Histogram,
    /// `victor_alerts_active` by state (pending, firing) and [`Severity::ALL`] position.
    active: [[Gauge; Severity::ALL.len()]; 2],
}

/// The states `victor_alerts_active` counts, in [`EngineMetrics::active`] order.
const COUNTED_STATES: [AlertState; 2] = [AlertState::Pending, AlertState::Firing];

impl EngineMetrics {
    fn new(metrics: &VictorMetrics) -> Self {
        EngineMetrics {
            evaluations: metrics.counter(&catalog::ALERT_EVALUATIONS_TOTAL, []),
            duration: metrics.histogram(&catalog::ALERT_EVALUATION_DURATION_SECONDS, []),
            active: COUNTED_STATES.map(|state| {
                Severity::ALL.map(|severity| {
                    let gauge = metrics.gauge(
                        &catalog::ALERTS_ACTIVE,
                        [state_label(state), severity.as_str()],
                    );
                    gauge.set(0.0);
                    gauge
                })
            }),
        }
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("rules", &self.lock().rules.len())
            .finish_non_exhaustive()
    }
}

struct State {
    rules: Vec<RuleState>,
    index: SeriesIndex,
    /// Counts evaluations; an alert not touched in the current one has cleared.
    generation: u64,
}

struct RuleState {
    rule: Rule,
    channels: Arc<[String]>,
    /// One per threshold of the condition ([`Condition::thresholds`] order).
    compiled: Vec<Compiled>,
    /// A joined condition's groups: every threshold's groups, matched by their labels.
    joined: Joined,
    /// Alerts by group index (a threshold's [`Compiled::groups`], a joined condition's
    /// [`Joined::groups`], 0 for a closure condition). A group's labels never change, so its
    /// index identifies the alert across evaluations.
    alerts: Vec<Option<Tracked>>,
    /// How many of `alerts` are `Some`.
    active: usize,
}

/// The groups of a [`Condition::AnyOf`]: each threshold finds its groups on its own, in its
/// own order; they are the same group when their labels are.
#[derive(Default)]
struct Joined {
    groups: Vec<GroupLabels>,
    ids: HashMap<Vec<Box<str>>, usize>,
    /// Per threshold, its group index → the joined one.
    places: Vec<Vec<usize>>,
}

impl Joined {
    /// Maps the groups the thresholds found since the last call.
    fn update(&mut self, compiled: &[Compiled]) {
        self.places.resize_with(compiled.len(), Vec::new);
        for (places, compiled) in self.places.iter_mut().zip(compiled) {
            for labels in &compiled.groups[places.len()..] {
                let key: Vec<Box<str>> = labels.iter().map(|(_, value)| value.clone()).collect();
                let next = self.groups.len();
                let id = *self.ids.entry(key).or_insert(next);
                if id == next {
                    self.groups.push(labels.clone());
                }
                places.push(id);
            }
        }
    }

    /// Per joined group, the value of the first threshold of the first clause that holds for
    /// it (the value PromQL's `and`/`or` keep), or `None`.
    fn evaluate(&mut self, clauses: &[Vec<Threshold>], compiled: &[Compiled]) -> Vec<Option<f64>> {
        self.update(compiled);
        let mut active: Vec<Option<f64>> = vec![None; self.groups.len()];
        let mut position = 0;
        for clause in clauses {
            // Per joined group: the clause's first value, and whether every threshold held.
            let mut first: Vec<f64> = vec![f64::NAN; self.groups.len()];
            let mut held: Vec<usize> = vec![0; self.groups.len()];
            for (term, threshold) in clause.iter().enumerate() {
                let at = position + term;
                let values = compiled[at].evaluate(&threshold.signal);
                for (group, value) in values.into_iter().enumerate() {
                    let id = self.places[at][group];
                    if threshold.comparison.holds(value, threshold.threshold) {
                        held[id] += 1;
                        if term == 0 {
                            first[id] = value;
                        }
                    }
                }
            }
            for (id, slot) in active.iter_mut().enumerate() {
                if slot.is_none() && held[id] == clause.len() {
                    *slot = Some(first[id]);
                }
            }
            position += clause.len();
        }
        active
    }
}

/// An alert's changing state. Labels, fingerprint and annotations are derived from the rule and
/// group only when the alert is shown or sent, so a steady evaluation allocates nothing per alert.
struct Tracked {
    state: AlertState,
    value: Option<f64>,
    since: Instant,
    active_since: SystemTime,
    fired_at: Option<SystemTime>,
    last_sent: Option<Instant>,
    generation: u64,
    /// The last evaluation the condition held.
    last_active: Instant,
}

impl Engine {
    /// An engine with no rules, recording its own metrics through `metrics`.
    pub fn new(metrics: VictorMetrics) -> Engine {
        Engine {
            state: Mutex::new(State {
                rules: Vec::new(),
                index: SeriesIndex::default(),
                generation: 0,
            }),
            metrics: EngineMetrics::new(&metrics),
        }
    }

    /// Adds a rule.
    ///
    /// # Errors
    /// [`EngineError::DuplicateRule`] when a rule of that name and those labels is loaded
    /// already. Rules may share a name when a label tells them apart, as every SLO's
    /// burn-rate alert does (`sloth_slo`).
    pub fn add_rule(&self, rule: Rule) -> Result<(), EngineError> {
        let mut state = self.lock();
        if state
            .rules
            .iter()
            .any(|loaded| loaded.rule.name == rule.name && loaded.rule.labels == rule.labels)
        {
            return Err(EngineError::DuplicateRule(rule.name));
        }
        let thresholds = rule.condition.thresholds();
        let mut restarted = false;
        for threshold in &thresholds {
            for selector in threshold.signal.selectors() {
                restarted |= state.index.want(selector.metric.name());
            }
        }
        if restarted {
            // The index starts over with new places; rules match them again at the next read.
            for loaded in &mut state.rules {
                loaded.compiled.iter_mut().for_each(Compiled::forget_places);
            }
        }
        let compiled = thresholds.iter().map(|_| Compiled::default()).collect();
        state.rules.push(RuleState {
            channels: rule.channels.clone().into(),
            rule,
            compiled,
            joined: Joined::default(),
            alerts: Vec::new(),
            active: 0,
        });
        Ok(())
    }

    /// Adds several rules, stopping at the first error (the rules before it stay added).
    ///
    /// # Errors
    /// As [`Engine::add_rule`].
    pub fn add_rules(&self, rules: impl IntoIterator<Item = Rule>) -> Result<(), EngineError> {
        rules.into_iter().try_for_each(|rule| self.add_rule(rule))
    }

    /// The rules loaded, in the order they were added.
    pub fn rules(&self) -> Vec<Rule> {
        self.lock().rules.iter().map(|r| r.rule.clone()).collect()
    }

    /// Reads the current values of the series the rules name from `store` (what `/metrics`
    /// renders), for the next evaluation. Nothing is parsed, so no recorded value can make
    /// this fail.
    pub fn observe(&self, store: &Store) {
        self.observe_at(store, Instant::now());
    }

    /// [`Engine::observe`] with an explicit time (for tests and replays).
    pub fn observe_at(&self, store: &Store, at: Instant) {
        let mut guard = self.lock();
        let state = &mut *guard;
        let (sample, new_keys) = state.index.read(store, at);
        for rule_state in &mut state.rules {
            let thresholds = rule_state.rule.condition.thresholds();
            for (threshold, compiled) in thresholds.into_iter().zip(&mut rule_state.compiled) {
                compiled.update(&threshold.signal, &new_keys);
                compiled.observe(&threshold.signal, &sample);
            }
        }
        state.index.recycle(sample);
    }

    /// One evaluation cycle, as the exporter runs it: `refresh` brings pull-style values up to
    /// date (pass `|| metrics.refresh()`, or `|| {}`), then the engine reads `store` and
    /// evaluates every rule. `victor_alert_evaluation_duration_seconds` times all of it.
    pub fn evaluate_cycle(&self, store: &Store, refresh: impl FnOnce()) -> Vec<Notification> {
        let started = Instant::now();
        refresh();
        self.observe(store);
        self.evaluate_timed(Instant::now(), SystemTime::now(), started)
    }

    /// Evaluates every rule against what was last observed and returns the notifications due.
    pub fn evaluate(&self) -> Vec<Notification> {
        self.evaluate_at(Instant::now(), SystemTime::now())
    }

    /// [`Engine::evaluate`] at an explicit time: `now` for `for` and cooldown, `wall` for the
    /// timestamps alerts carry.
    pub fn evaluate_at(&self, now: Instant, wall: SystemTime) -> Vec<Notification> {
        self.evaluate_timed(now, wall, Instant::now())
    }

    /// Evaluates, recording the duration since `started` (which may include the observation).
    fn evaluate_timed(
        &self,
        now: Instant,
        wall: SystemTime,
        started: Instant,
    ) -> Vec<Notification> {
        let mut notifications = Vec::new();
        let mut guard = self.lock();
        let state = &mut *guard;
        state.generation += 1;
        for rule_state in &mut state.rules {
            rule_state.evaluate(state.generation, now, wall, &mut notifications);
        }
        let mut counts = [[0_u64; Severity::ALL.len()]; COUNTED_STATES.len()];
        for rule_state in &state.rules {
            // Severity's declaration order is `Severity::ALL`'s.
            let severity = rule_state.rule.severity as usize;
            for tracked in rule_state.alerts.iter().flatten() {
                if let Some(row) = COUNTED_STATES.iter().position(|s| *s == tracked.state) {
                    counts[row][severity] += 1;
                }
            }
        }
        drop(guard);
        for (gauges, counts) in self.metrics.active.iter().zip(counts) {
            for (gauge, count) in gauges.iter().zip(counts) {
                gauge.set(count as f64);
            }
        }
        self.metrics.evaluations.increment(1);
        self.metrics
            .duration
            .record(started.elapsed().as_secs_f64());
        notifications
    }

    /// The current value of each threshold's signal (clause by clause, in declaration order) of the
    /// rule named `name` whose label `label` is `value`, as the last observation left it; NaN
    /// where there is none. For rules without `by` (one group), such as an SLO's burn-rate
    /// rules; `None` when no such rule is loaded.
    pub fn threshold_values(&self, name: &str, label: &str, value: &str) -> Option<Vec<f64>> {
        let state = self.lock();
        let rule_state = state.rules.iter().find(|loaded| {
            loaded.rule.name == name
                && loaded.rule.labels.get(label).map(String::as_str) == Some(value)
        })?;
        let thresholds = rule_state.rule.condition.thresholds();
        Some(
            thresholds
                .iter()
                .zip(&rule_state.compiled)
                .map(|(threshold, compiled)| {
                    compiled
                        .evaluate(&threshold.signal)
                        .first()
                        .copied()
                        .unwrap_or(f64::NAN)
                })
                .collect(),
        )
    }

    /// Pending and firing alerts, most severe first, then by name and labels.
    pub fn alerts(&self) -> Vec<Alert> {
        let mut alerts: Vec<Alert> = self
            .lock()
            .rules
            .iter()
            .flat_map(|r| {
                r.alerts
                    .iter()
                    .enumerate()
                    .filter_map(move |(group, tracked)| Some(r.alert(group, tracked.as_ref()?)))
            })
            .collect();
        alerts.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.name.cmp(&b.name))
                .then_with(|| a.labels.cmp(&b.labels))
        });
        alerts
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent between statements, so a panic elsewhere leaves it usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl RuleState {
    fn evaluate(
        &mut self,
        generation: u64,
        now: Instant,
        wall: SystemTime,
        notifications: &mut Vec<Notification>,
    ) {
        match &self.rule.condition {
            Condition::Threshold(threshold) => {
                let values = self.compiled[0].evaluate(&threshold.signal);
                let (comparison, limit) = (threshold.comparison, threshold.threshold);
                for (group, value) in values.into_iter().enumerate() {
                    if comparison.holds(value, limit) {
                        self.touch(group, Some(value), generation, now, wall, notifications);
                    }
                }
            }
            Condition::AnyOf(clauses) => {
                let active = self.joined.evaluate(clauses, &self.compiled);
                for (group, value) in active.into_iter().enumerate() {
                    if let Some(value) = value {
                        self.touch(group, Some(value), generation, now, wall, notifications);
                    }
                }
            }
            Condition::Custom(condition) => {
                let condition = Arc::clone(condition);
                match std::panic::catch_unwind(AssertUnwindSafe(|| condition())) {
                    Ok(true) => self.touch(0, None, generation, now, wall, notifications),
                    Ok(false) => {}
                    Err(_) => tracing::error!(
                        rule = %self.rule.name,
                        "the rule's condition closure panicked; treating it as not active"
                    ),
                }
            }
        }
        if self.active == 0 {
            return;
        }
        for group in 0..self.alerts.len() {
            let keep_firing_for = self.rule.keep_firing_for;
            let cleared = self.alerts[group].as_ref().is_some_and(|tracked| {
                tracked.generation != generation
                    // Hysteresis: a firing alert holds until `keep_firing_for` has passed
                    // since its condition last held.
                    && !(tracked.state == AlertState::Firing
                        && now.saturating_duration_since(tracked.last_active) < keep_firing_for)
            });
            if !cleared {
                continue;
            }
            let Some(mut tracked) = self.alerts[group].take() else {
                continue;
            };
            self.active -= 1;
            if tracked.state == AlertState::Firing {
                tracked.state = AlertState::Resolved;
                let mut alert = self.alert(group, &tracked);
                alert.resolved_at = Some(wall);
                tracing::info!(alert = %alert.name, labels = ?alert.labels, "alert resolved");
                notifications.push(self.notification(alert, wall));
            }
        }
    }

    /// Records that `group` is over its threshold in this evaluation.
    fn touch(
        &mut self,
        group: usize,
        value: Option<f64>,
        generation: u64,
        now: Instant,
        wall: SystemTime,
        notifications: &mut Vec<Notification>,
    ) {
        if self.alerts.len() <= group {
            self.alerts.resize_with(group + 1, || None);
        }
        let slot = &mut self.alerts[group];
        if slot.is_none() {
            self.active += 1;
        }
        let rule = &self.rule;
        let tracked = slot.get_or_insert_with(|| Tracked {
            state: AlertState::Pending,
            value,
            since: now,
            active_since: wall,
            fired_at: None,
            last_sent: None,
            generation,
            last_active: now,
        });
        tracked.value = value;
        tracked.generation = generation;
        tracked.last_active = now;
        if tracked.state == AlertState::Pending
            && now.saturating_duration_since(tracked.since) >= rule.for_duration
        {
            tracked.state = AlertState::Firing;
            tracked.fired_at = Some(wall);
        }
        let due = tracked
            .last_sent
            .is_none_or(|sent| now.saturating_duration_since(sent) >= rule.cooldown);
        if tracked.state == AlertState::Firing && due {
            let first = tracked.last_sent.is_none();
            tracked.last_sent = Some(now);
            if let Some(tracked) = &self.alerts[group] {
                let alert = self.alert(group, tracked);
                if first {
                    // Visible in the log even with no channel configured.
                    tracing::warn!(
                        alert = %alert.name,
                        severity = %alert.severity,
                        labels = ?alert.labels,
                        value = ?alert.value,
                        "alert firing: {}",
                        alert.annotations.get("description").map_or("", String::as_str)
                    );
                }
                notifications.push(self.notification(alert, wall));
            }
        }
    }

    /// The alert as shown and sent: labels, fingerprint and expanded annotations.
    fn alert(&self, group: usize, tracked: &Tracked) -> Alert {
        let rule = &self.rule;
        let groups = match rule.condition {
            Condition::AnyOf(_) => &self.joined.groups,
            _ => self
                .compiled
                .first()
                .map_or(&self.joined.groups, |c| &c.groups),
        };
        let group_labels: &[(&'static str, Box<str>)] =
            groups.get(group).map_or(&[], Vec::as_slice);
        let mut labels = rule.labels.clone();
        labels.extend(
            group_labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.to_string())),
        );
        labels.insert("alertname".into(), rule.name.clone());
        labels.insert("severity".into(), rule.severity.as_str().into());
        let annotations = rule
            .annotations
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    template::expand_annotation(v, tracked.value, &labels),
                )
            })
            .collect();
        Alert {
            name: rule.name.clone(),
            fingerprint: format!(
                "{:016x}",
                fingerprint(&rule.name, &rule.labels, group_labels)
            ),
            state: tracked.state,
            severity: rule.severity,
            value: tracked.value,
            labels,
            annotations,
            active_since: tracked.active_since,
            fired_at: tracked.fired_at,
            resolved_at: None,
        }
    }

    fn notification(&self, alert: Alert, wall: SystemTime) -> Notification {
        let valid_until = match alert.state {
            AlertState::Resolved => wall,
            _ => wall + 4 * self.rule.cooldown.max(Duration::from_secs(60)),
        };
        Notification {
            alert,
            valid_until,
            channels: Arc::clone(&self.channels),
        }
    }
}

/// The identity of one alert: its rule's name, the rule's labels (when it has any, so rules
/// sharing a name differ) and its group's labels.
fn fingerprint(
    rule: &str,
    labels: &BTreeMap<String, String>,
    group: &[(&'static str, Box<str>)],
) -> u64 {
    let mut hasher = DefaultHasher::new();
    rule.hash(&mut hasher);
    if !labels.is_empty() {
        labels.hash(&mut hasher);
    }
    group.hash(&mut hasher);
    hasher.finish()
}

fn state_label(state: AlertState) -> &'static str {
    match state {
        AlertState::Pending => "pending",
        AlertState::Firing => "firing",
        AlertState::Resolved => "resolved",
    }
}

impl Component for Engine {
    type View = AlertsView;

    fn name(&self) -> &'static str {
        "alerts"
    }

    fn metrics(&self) -> Vec<&'static MetricDef> {
        vec![
            catalog::ALERT_EVALUATIONS_TOTAL.def(),
            catalog::ALERT_EVALUATION_DURATION_SECONDS.def(),
            catalog::ALERTS_ACTIVE.def(),
            catalog::ALERT_NOTIFICATIONS_SENT_TOTAL.def(),
            catalog::ALERT_NOTIFICATIONS_FAILED_TOTAL.def(),
        ]
    }

    fn view(&self) -> Option<AlertsView> {
        Some(AlertsView {
            alerts: self.alerts(),
        })
    }
}

/// The engine's JSON view (`GET /api/alerts`): the pending and firing alerts.
#[derive(Clone, Debug, Serialize)]
pub struct AlertsView {
    /// Pending and firing alerts, by rule.
    pub alerts: Vec<Alert>,
}

/// What sets one alert of a list apart beside its name and severity: every other label of an
/// alert of the [`AlertsView`] JSON, as `key=value`, in label order, except the SLO labels that
/// only repeat `sloth_slo` (`sloth_id`, `sloth_service`). The CLI and the status page show
/// alerts with it; the JSON keeps every label.
///
/// ```
/// let alert = serde_json::json!({"labels": {"alertname": "HighErrorRate", "endpoint": "/chat", "severity": "critical"}});
/// assert_eq!(victor_alerting::distinguishing_labels(&alert), ["endpoint=/chat"]);
/// let burn = serde_json::json!({"labels": {"alertname": "SLOErrorBudgetBurnFast", "job": "victor",
///     "severity": "critical", "sloth_id": "victor-llm-spend", "sloth_service": "victor", "sloth_slo": "llm-spend"}});
/// assert_eq!(victor_alerting::distinguishing_labels(&burn), ["job=victor", "sloth_slo=llm-spend"]);
/// ```
pub fn distinguishing_labels(alert: &serde_json::Value) -> Vec<String> {
    alert["labels"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(key, _)| {
            !matches!(
                key.as_str(),
                "alertname" | "severity" | "sloth_id" | "sloth_service"
            )
        })
        .map(|(key, value)| format!("{key}={}", value.as_str().unwrap_or_default()))
        .collect()
}

/// RFC 3339 in UTC with milliseconds: what Alertmanager and JSON readers expect.
pub(crate) fn format_time(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}

fn rfc3339<S: Serializer>(time: &SystemTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_time(*time))
}

fn rfc3339_option<S: Serializer>(
    time: &Option<SystemTime>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match time {
        Some(time) => rfc3339(time, serializer),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests;
