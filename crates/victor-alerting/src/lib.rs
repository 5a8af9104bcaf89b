//! Alerting for Victor AI agent services: rules, in-process evaluation, deduplication, and
//! delivery to Slack, email, webhooks and Alertmanager.
//!
//! - [`Rule`]s are built with [`Rule::builder`]: name, condition, [`Severity`], `for` duration,
//!   cooldown, channels, labels and annotations. A typed condition ([`Signal`] over catalog
//!   metrics, compared with a threshold) also renders as a Prometheus alerting rule
//!   ([`Rule::to_prometheus`]), so one node and a fleet alert on identical thresholds.
//!   [`default_rules`] holds every alert of the source documents.
//! - The [`Engine`] reads the store the exporter renders (never the rendered text), evaluates
//!   every rule per group of series, moves each alert through pending → firing → resolved (one alert per fingerprint,
//!   re-sent at most once per cooldown) and returns the [`Notification`]s due.
//! - The [`Dispatcher`] queues notifications per channel and delivers them with retries, so a slow
//!   channel never stalls evaluation; every outcome is counted.
//!
//! ```no_run
//! use std::sync::Arc;
//! use victor_alerting::{default_rules, DeliverySettings, Dispatcher, Engine, WebhookNotifier};
//! use victor_metrics_core::{exposition::ExpositionBuilder, VictorMetrics};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let exposition = ExpositionBuilder::new().install()?;
//! let metrics = VictorMetrics::new();
//! let engine = Engine::new(metrics.clone());
//! engine.add_rules(default_rules())?;
//! let mut dispatcher = Dispatcher::new(metrics.clone(), DeliverySettings::default());
//! let url = "http://127.0.0.1:8080/alerts".parse()?;
//! dispatcher.add_channel("webhook", Arc::new(WebhookNotifier::new(url, None)))?;
//! loop {
//!     // Refresh first (ratio gauges, handle counters), as before a render.
//!     let notifications = engine.evaluate_cycle(exposition.store(), || metrics.refresh());
//!     dispatcher.dispatch(notifications);
//!     tokio::time::sleep(std::time::Duration::from_secs(15)).await;
//! }
//! # }
//! ```

#![deny(missing_docs)]

mod defaults;
mod delivery;
mod engine;
mod eval;
pub mod notify;
pub mod promql;
mod promtool;
mod rule;
mod secret;
mod series;
pub mod slo;
mod template;
pub mod user_rules;

pub use defaults::{
    AlertName, RUNBOOK_BASE, RuleGroup, WINDOW, default_rule_groups, default_rules,
};
pub use delivery::{DeliveryError, DeliverySettings, Dispatcher};
pub use engine::{
    Alert, AlertState, AlertsView, Engine, EngineError, Notification, TEST_ALERT_NAME,
    distinguishing_labels,
};
#[cfg(feature = "delivery")]
pub use notify::{
    AlertmanagerNotifier, EmailNotifier, PAGERDUTY_EVENTS_URL, PagerDutyNotifier, SlackNotifier,
    WebhookNotifier, sign,
};
pub use notify::{Notifier, NotifyError, SmtpSecurity, SmtpSettings};
pub use promql::{
    FLEET_LABELS, PrometheusRule, PromqlError, Query, Scope, duration as prometheus_duration,
};
pub use promtool::{
    AlertRuleTest, ExpectedAlert, FIRING_INSTANCE, InputSeries, PromtoolTest, PromtoolTestError,
    QUIET_INSTANCE, TEST_JOB,
};
pub use rule::{
    Comparison, Condition, CounterSelector, CustomCondition, DEFAULT_COOLDOWN, GaugeSelector,
    HistogramSelector, Rule, RuleBuilder, RuleError, RuleOverride, Severity, Signal, Threshold,
    counter, gauge, histogram,
};
pub use secret::{Secret, SecretUrl, SecretUrlError, scrub};
pub use template::{expand_annotation, replace_placeholders};
