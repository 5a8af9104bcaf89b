//! The exporter's alerting at run time: the notification channels the configuration names
//! (its `[alerting]` table: [`AlertingConfig`]), the dispatcher over them, and the evaluation
//! loop over the store `/metrics` renders.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use victor_alerting::slo::{Slo, SloRuleGroup};
use victor_alerting::{
    AlertName, AlertmanagerNotifier, DeliverySettings, Dispatcher, EmailNotifier, Engine, Notifier,
    PAGERDUTY_EVENTS_URL, PagerDutyNotifier, PrometheusRule, Rule, SlackNotifier, WebhookNotifier,
    default_rule_groups,
};
use victor_metrics_core::exposition::Store;

pub use crate::config::AlertingConfig;

/// The rules in force: the defaults with the configuration's overrides applied, disabled ones
/// left out, and each routed by severity (`[alerting.routes]`) unless it names its channels.
/// Every channel a rule or a route names must be one of `channels` (the configured ones).
///
/// # Errors
/// A bad override (a threshold out of range) or an unknown channel, naming the rule and key.
pub fn effective_rules(config: &AlertingConfig, channels: &[&str]) -> anyhow::Result<Vec<Rule>> {
    let unknown = |key: &str, channel: &str| {
        anyhow::anyhow!(
            "{key} names channel {channel:?}, which is not configured (configured: {})",
            if channels.is_empty() {
                "none".to_owned()
            } else {
                channels.join(", ")
            }
        )
    };
    for (severity, routed) in &config.routes {
        if let Some(channel) = routed.iter().find(|c| !channels.contains(&c.as_str())) {
            return Err(unknown(&format!("alerting.routes.{severity}"), channel));
        }
    }
    let mut rules = Vec::new();
    let own = match &config.rules_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the rule file {}", path.display()))?;
            victor_alerting::user_rules::parse_rule_file(&text).map_err(|problems| {
                let lines: Vec<String> = problems.iter().map(|p| format!("\n  {p}")).collect();
                anyhow::anyhow!(
                    "{} has rules the engine cannot evaluate:{}",
                    path.display(),
                    lines.concat()
                )
            })?
        }
        None => Vec::new(),
    };
    for rule in own {
        let key = format!(
            "{}: rule {}",
            config
                .rules_file
                .as_ref()
                .map_or(String::new(), |p| p.display().to_string()),
            rule.name()
        );
        if let Some(channel) = rule
            .channels()
            .iter()
            .find(|c| !channels.contains(&c.as_str()))
        {
            return Err(unknown(&key, channel));
        }
        let rule = match config.routes.get(&rule.severity()) {
            Some(routed) => rule.routed_to(routed),
            None => rule,
        };
        rules.push(rule);
    }
    for rule in victor_alerting::default_rules() {
        let name: AlertName = rule
            .name()
            .parse()
            .map_err(|err: String| anyhow::anyhow!(err))?;
        let key = format!("alerting.rules.{name}");
        let rule = match config.rules.get(&name) {
            Some(changes) if changes.enabled == Some(false) => continue,
            Some(changes) => rule.with_override(changes).with_context(|| key.clone())?,
            None => rule,
        };
        if let Some(channel) = rule
            .channels()
            .iter()
            .find(|c| !channels.contains(&c.as_str()))
        {
            return Err(unknown(&format!("{key}.channels"), channel));
        }
        let rule = match config.routes.get(&rule.severity()) {
            Some(routed) => rule.routed_to(routed),
            None => rule,
        };
        rules.push(rule);
    }
    Ok(rules)
}

/// The burn-rate alerts of the SLOs in force (`[slos.NAME]` over the shipped ones), as engine
/// rules routed by severity: page (critical) and ticket (warning) per SLO.
///
/// # Errors
/// An invalid SLO, or a route naming a channel that is not configured.
pub fn slo_rules(slos: &[Slo], config: &AlertingConfig) -> anyhow::Result<Vec<Rule>> {
    let mut rules = Vec::new();
    for slo in slos {
        for rule in slo.engine_rules()? {
            rules.push(match config.routes.get(&rule.severity()) {
                Some(routed) => rule.routed_to(routed),
                None => rule,
            });
        }
    }
    Ok(rules)
}

/// The labels an SLO's engine alerts carry besides their own: `labels` without `instance`. An
/// SLO is the service's (`sum by (job)` in `victor-slos.yml`), so every replica's alert and
/// Prometheus' are one alert to Alertmanager: a burn pages once.
pub fn slo_alert_labels(
    labels: &std::collections::BTreeMap<String, String>,
) -> std::collections::BTreeMap<String, String> {
    let mut labels = labels.clone();
    labels.remove("instance");
    labels
}

/// The rules in force as a Prometheus rule file, so a fleet's Prometheus alerts on the same
/// tuned thresholds as the engine: the effective rules, the Prometheus-only ones (ServiceDown)
/// unless disabled, and a group per SLO in force (its `slo:*` recording rules and burn-rate
/// alerts).
pub fn rule_file(config: &AlertingConfig, rules: &[Rule], slos: &[Slo]) -> String {
    #[derive(serde::Serialize)]
    struct File {
        groups: Vec<Group>,
    }
    #[derive(serde::Serialize)]
    #[serde(untagged)]
    enum Group {
        Effective {
            name: &'static str,
            rules: Vec<PrometheusRule>,
        },
        Slo(SloRuleGroup),
    }
    let mut prometheus: Vec<PrometheusRule> =
        rules.iter().filter_map(Rule::to_prometheus).collect();
    prometheus.sort_by(|a, b| a.alert.cmp(&b.alert));
    for group in default_rule_groups() {
        for rule in group.prometheus_only {
            let disabled = rule
                .alert
                .parse::<AlertName>()
                .ok()
                .and_then(|name| config.rules.get(&name))
                .is_some_and(|changes| changes.enabled == Some(false));
            if !disabled {
                prometheus.push(rule);
            }
        }
    }
    let effective = Group::Effective {
        name: "victor_effective",
        rules: prometheus,
    };
    let file = File {
        groups: std::iter::once(effective)
            .chain(slos.iter().map(|slo| Group::Slo(slo.rule_group())))
            .collect(),
    };
    format!(
        "# The alert rules in force (defaults and this configuration's overrides) and its SLOs,\n\
         # printed by `victor-exporter --print-rules`. Load it into Prometheus in place of\n\
         # victor-alerts.yml and victor-slos.yml.\n{}",
        serde_norway::to_string(&file).unwrap_or_default()
    )
}

/// The notification channels configured, by name (`webhook`, `slack`, `email`,
/// `alertmanager`). `generator_url` is where Alertmanager links back to.
///
/// # Errors
/// When the email settings cannot make a transport (a bad address).
pub fn channels(
    config: &AlertingConfig,
    generator_url: &str,
) -> anyhow::Result<Vec<(&'static str, Arc<dyn Notifier>)>> {
    let mut channels: Vec<(&'static str, Arc<dyn Notifier>)> = Vec::new();
    if let Some(url) = &config.webhook_url {
        channels.push((
            "webhook",
            Arc::new(WebhookNotifier::new(
                url.clone(),
                config.webhook_secret.clone(),
            )),
        ));
    }
    if let Some(url) = &config.slack_webhook_url {
        channels.push(("slack", Arc::new(SlackNotifier::new(url.clone()))));
    }
    if let Some(settings) = &config.email {
        let email = EmailNotifier::new(settings)
            .map_err(|err| anyhow::anyhow!("invalid email alert settings: {err}"))?;
        channels.push(("email", Arc::new(email)));
    }
    if let Some(key) = &config.pagerduty_routing_key {
        let url = match &config.pagerduty_url {
            Some(url) => url.clone(),
            None => PAGERDUTY_EVENTS_URL
                .parse()
                .map_err(|err| anyhow::anyhow!("PagerDuty's URL: {err}"))?,
        };
        let source = generator_url.trim_end_matches("/api/alerts").to_owned();
        channels.push((
            "pagerduty",
            Arc::new(PagerDutyNotifier::new(url, key.clone(), source)),
        ));
    }
    if !config.alertmanager_urls.is_empty() {
        channels.push((
            "alertmanager",
            Arc::new(AlertmanagerNotifier::for_cluster(
                &config.alertmanager_urls,
                Some(generator_url.to_owned()),
            )),
        ));
    }
    Ok(channels)
}

/// Evaluates every rule each `interval` over the values in `store` (after `refresh` brings
/// pull-style values up to date) and hands the notifications to `dispatcher`. Runs until the
/// task is dropped.
pub(crate) async fn evaluate_forever(
    engine: Arc<Engine>,
    dispatcher: Arc<Dispatcher>,
    interval: Duration,
    store: Store,
    refresh: impl Fn() + Send + Sync + Clone + 'static,
) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        ticks.tick().await;
        let engine = Arc::clone(&engine);
        let refresh = refresh.clone();
        let store = store.clone();
        // Reading every series the rules name is CPU work proportional to their count.
        let evaluated =
            tokio::task::spawn_blocking(move || engine.evaluate_cycle(&store, refresh)).await;
        match evaluated {
            Ok(notifications) => dispatcher.dispatch(notifications),
            Err(err) => tracing::error!(error = %err, "alert evaluation failed"),
        }
    }
}

/// The dispatcher with every configured channel, on the current runtime.
pub(crate) fn dispatcher(
    channels: Vec<(&'static str, Arc<dyn Notifier>)>,
    metrics: &victor_metrics_core::VictorMetrics,
) -> anyhow::Result<Dispatcher> {
    let mut dispatcher = Dispatcher::new(metrics.clone(), DeliverySettings::default());
    for (name, notifier) in channels {
        dispatcher.add_channel(name, notifier)?;
    }
    Ok(dispatcher)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_configured_channel_is_built_by_name() {
        let env = |name: &str| {
            [
                ("VICTOR_ALERT_WEBHOOK_URL", "http://127.0.0.1:8080/hook"),
                (
                    "VICTOR_ALERT_SLACK_WEBHOOK_URL",
                    "https://hooks.slack.com/services/T/B/secret",
                ),
                ("VICTOR_ALERTMANAGER_URL", "http://127.0.0.1:9093"),
                ("VICTOR_ALERT_PAGERDUTY_ROUTING_KEY", "R0UT1NGKEY"),
                ("VICTOR_ALERT_SMTP_HOST", "127.0.0.1"),
                ("VICTOR_ALERT_SMTP_SECURITY", "none"),
                ("VICTOR_ALERT_EMAIL_FROM", "alerts@example.com"),
                ("VICTOR_ALERT_EMAIL_TO", "a@example.com"),
            ]
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
        };
        let config =
            crate::config::Config::resolve(None, env, &crate::config::Overrides::default())
                .expect("valid");
        let names: Vec<&str> = channels(&config.alerting, "http://x/api/alerts")
            .expect("channels")
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(
            names,
            ["webhook", "slack", "email", "pagerduty", "alertmanager"]
        );
        assert!(!format!("{config:?}").contains("R0UT1NGKEY"));
    }
}
