//! The `[alerting]` table and its `VICTOR_ALERT_*` variables: whether the engine runs, how
//! often, and the notification channels (built from these settings by the exporter).
//!
//! ```toml
//! [alerting]
//! enabled = true                       # false: no evaluation, /api/alerts lists nothing
//! eval_interval = "15s"                # VICTOR_ALERT_EVAL_INTERVAL
//! webhook_url = "https://…"            # VICTOR_ALERT_WEBHOOK_URL: JSON POST per notification
//! webhook_secret = "…"                 # VICTOR_ALERT_WEBHOOK_SECRET: HMAC-SHA256 signing key
//! slack_webhook_url = "https://hooks.slack.com/services/…"  # VICTOR_ALERT_SLACK_WEBHOOK_URL
//! alertmanager_url = "http://alertmanager:9093"             # VICTOR_ALERTMANAGER_URL; an HA pair: "http://am-0:9093,http://am-1:9093"
//! pagerduty_routing_key = "…"          # VICTOR_ALERT_PAGERDUTY_ROUTING_KEY: Events API v2 integration
//! mode = "single-node"                 # or "fleet": Prometheus' rules notify (VICTOR_ALERTING_MODE)
//! labels = { job = "victor" }          # labels on every alert, as Prometheus gives them (VICTOR_ALERT_LABELS)
//!
//! [alerting.email]                     # VICTOR_ALERT_SMTP_HOST, _PORT, _SECURITY, _USERNAME, _PASSWORD
//! host = "smtp.example.com"
//! port = 587
//! security = "starttls"                # none | starttls | tls
//! username = "alerts@example.com"
//! password = "…"
//! from = "Victor Alerts <alerts@example.com>"  # VICTOR_ALERT_EMAIL_FROM
//! to = ["oncall@example.com"]                  # VICTOR_ALERT_EMAIL_TO (comma-separated)
//! ```

use std::time::Duration;

use serde::Deserialize;
use std::collections::BTreeMap;

use victor_alerting::{
    AlertName, RuleOverride, Secret, SecretUrl, Severity, SmtpSecurity, SmtpSettings,
};

use crate::{ConfigError, FileDuration, SecretText};

/// Who notifies: the in-process engine, or Prometheus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlertingMode {
    /// One exporter, no Prometheus rules: the engine evaluates and notifies the channels (the
    /// quick start).
    #[default]
    SingleNode,
    /// A fleet scraped by Prometheus, whose rule files notify: the engine evaluates and lists
    /// (`/api/alerts`, the CLI) but sends nothing, so nobody is paged twice. Test notifications
    /// still go out.
    Fleet,
}

impl std::str::FromStr for AlertingMode {
    type Err = &'static str;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "single-node" => Ok(AlertingMode::SingleNode),
            "fleet" => Ok(AlertingMode::Fleet),
            _ => Err("expected single-node or fleet"),
        }
    }
}

/// Alert evaluation and notification channels.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertingConfig {
    /// Whether the engine runs.
    pub enabled: bool,
    /// Whether the engine notifies ([`AlertingMode::SingleNode`]) or only lists
    /// ([`AlertingMode::Fleet`]).
    pub mode: AlertingMode,
    /// Labels every alert of the engine carries, as Prometheus gives its alerts the scraped
    /// series' `job` and `instance` (and its `external_labels`): with the same labels,
    /// Alertmanager merges the engine's alert with Prometheus' instead of paging twice. The
    /// exporter fills `job` (`victor`) and `instance` (the external URL's host and port) when
    /// they are not set.
    pub labels: BTreeMap<String, String>,
    /// Per-rule changes (`[alerting.rules.HighErrorRate]`): threshold, `for`, `keep_firing_for`,
    /// severity, enabled, channels.
    pub rules: BTreeMap<AlertName, RuleOverride>,
    /// Channels per severity (`[alerting.routes] critical = ["pagerduty", "slack"]`), for rules
    /// that name none of their own; a severity not listed goes to every channel.
    pub routes: BTreeMap<Severity, Vec<String>>,
    /// A Prometheus rule file of the operator's own alerts, evaluated beside the defaults
    /// (`--rules`, `VICTOR_ALERT_RULES_FILE`, `rules_file`).
    pub rules_file: Option<std::path::PathBuf>,
    /// How often every rule is evaluated.
    pub eval_interval: Duration,
    /// A generic JSON webhook.
    pub webhook_url: Option<SecretUrl>,
    /// The key that signs webhook bodies (HMAC-SHA256).
    pub webhook_secret: Option<Secret>,
    /// A Slack incoming webhook.
    pub slack_webhook_url: Option<SecretUrl>,
    /// Alertmanagers to push alerts to: one, or every instance of an HA cluster (as
    /// Prometheus sends to each; the cluster deduplicates).
    pub alertmanager_urls: Vec<SecretUrl>,
    /// A PagerDuty Events API v2 integration's routing key.
    pub pagerduty_routing_key: Option<Secret>,
    /// Where PagerDuty events go (its Events API v2 by default; a proxy or a test receiver).
    pub pagerduty_url: Option<SecretUrl>,
    /// Email over SMTP.
    pub email: Option<SmtpSettings>,
}

impl Default for AlertingConfig {
    fn default() -> Self {
        AlertingConfig {
            enabled: true,
            mode: AlertingMode::SingleNode,
            labels: BTreeMap::new(),
            rules: BTreeMap::new(),
            routes: BTreeMap::new(),
            rules_file: None,
            eval_interval: Duration::from_secs(15),
            webhook_url: None,
            webhook_secret: None,
            slack_webhook_url: None,
            alertmanager_urls: Vec::new(),
            pagerduty_routing_key: None,
            pagerduty_url: None,
            email: None,
        }
    }
}

/// The file's `[alerting]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileAlerting {
    enabled: Option<bool>,
    mode: Option<AlertingMode>,
    labels: Option<BTreeMap<String, String>>,
    rules: Option<BTreeMap<String, FileRule>>,
    routes: Option<BTreeMap<String, Vec<String>>>,
    rules_file: Option<std::path::PathBuf>,
    eval_interval: Option<FileDuration>,
    webhook_url: Option<SecretText>,
    webhook_secret: Option<SecretText>,
    slack_webhook_url: Option<SecretText>,
    alertmanager_url: Option<SecretText>,
    pagerduty_routing_key: Option<SecretText>,
    pagerduty_url: Option<SecretText>,
    email: Option<FileEmail>,
}

/// One `[alerting.rules.NAME]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRule {
    enabled: Option<bool>,
    threshold: Option<f64>,
    #[serde(rename = "for")]
    for_duration: Option<FileDuration>,
    keep_firing_for: Option<FileDuration>,
    severity: Option<String>,
    channels: Option<Vec<String>>,
}

/// The file's `[alerting.email]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEmail {
    host: Option<String>,
    port: Option<u16>,
    security: Option<SmtpSecurity>,
    username: Option<String>,
    password: Option<SecretText>,
    from: Option<String>,
    to: Option<Vec<String>>,
}

/// Email settings being assembled from the file and the environment.
#[derive(Default)]
struct EmailParts {
    host: Option<String>,
    port: Option<u16>,
    security: Option<SmtpSecurity>,
    username: Option<String>,
    password: Option<Secret>,
    from: Option<String>,
    to: Vec<String>,
}

/// A label name Prometheus accepts, not one the engine sets itself.
fn label_name(key: &str, name: String) -> Result<String, String> {
    victor_metrics_core::names::validate_label_name(&name)
        .map_err(|err| format!("invalid {key}: {err}"))?;
    if matches!(name.as_str(), "alertname" | "severity") {
        return Err(format!("invalid {key}: {name:?} is set by each rule"));
    }
    Ok(name)
}

/// Comma-separated URLs (an HA Alertmanager's instances).
fn urls(key: &str, value: &str) -> Result<Vec<SecretUrl>, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| url(key, part))
        .collect()
}

fn url(key: &str, value: &str) -> Result<SecretUrl, String> {
    value.parse().map_err(|err| format!("invalid {key}: {err}"))
}

fn interval(key: &str, value: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(value.trim()).map_err(|err| {
        format!("invalid {key} {value:?}: {err}; expected a duration such as 15s or 1m")
    })?;
    at_least_100ms(key, duration)
}

fn at_least_100ms(key: &str, duration: Duration) -> Result<Duration, String> {
    if duration < Duration::from_millis(100) {
        return Err(format!(
            "invalid {key} {}: must be at least 100ms",
            humantime::format_duration(duration)
        ));
    }
    Ok(duration)
}

impl AlertingConfig {
    pub(crate) fn apply_file(&mut self, file: FileAlerting) -> Result<(), String> {
        if let Some(enabled) = file.enabled {
            self.enabled = enabled;
        }
        if let Some(FileDuration(value)) = file.eval_interval {
            self.eval_interval = at_least_100ms("alerting.eval_interval", value)?;
        }
        if let Some(mode) = file.mode {
            self.mode = mode;
        }
        for (name, rule) in file.rules.unwrap_or_default() {
            let key = format!("alerting.rules.{name}");
            let alert: AlertName = name.parse().map_err(|_| {
                let known: Vec<&str> = AlertName::ALL.iter().map(|a| a.as_str()).collect();
                format!(
                    "{key}: no rule is named {name:?}; the rules are {}",
                    known.join(", ")
                )
            })?;
            let changes = RuleOverride {
                enabled: rule.enabled,
                threshold: match rule.threshold {
                    Some(value) if !value.is_finite() => {
                        return Err(format!("{key}.threshold: {value} is not a finite number"));
                    }
                    value => value,
                },
                for_duration: rule.for_duration.map(|FileDuration(value)| value),
                keep_firing_for: rule.keep_firing_for.map(|FileDuration(value)| value),
                severity: rule
                    .severity
                    .map(|severity| {
                        severity
                            .parse()
                            .map_err(|why| format!("{key}.severity: {why}"))
                    })
                    .transpose()?,
                channels: rule.channels,
            };
            self.rules.insert(alert, changes);
        }
        if let Some(path) = file.rules_file {
            // Checked here too, so `victor check config` names a bad rule file at its key.
            let text = std::fs::read_to_string(&path).map_err(|err| {
                format!("alerting.rules_file: cannot read {}: {err}", path.display())
            })?;
            victor_alerting::user_rules::parse_rule_file(&text).map_err(|problems| {
                let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
                format!(
                    "alerting.rules_file: {} has rules the engine cannot evaluate: {}",
                    path.display(),
                    problems.join("; ")
                )
            })?;
            self.rules_file = Some(path);
        }
        for (severity, channels) in file.routes.unwrap_or_default() {
            let parsed: Severity = severity
                .parse()
                .map_err(|why| format!("alerting.routes.{severity}: {why}"))?;
            self.routes.insert(parsed, channels);
        }
        if let Some(labels) = file.labels {
            for (name, value) in labels {
                self.labels
                    .insert(label_name("alerting.labels", name)?, value);
            }
        }
        if let Some(value) = file.webhook_url {
            self.webhook_url = Some(url("alerting.webhook_url", &value.0)?);
        }
        if let Some(value) = file.webhook_secret {
            self.webhook_secret = Some(Secret::new(value.0));
        }
        if let Some(value) = file.slack_webhook_url {
            self.slack_webhook_url = Some(url("alerting.slack_webhook_url", &value.0)?);
        }
        if let Some(value) = file.alertmanager_url {
            self.alertmanager_urls = urls("alerting.alertmanager_url", &value.0)?;
        }
        if let Some(value) = file.pagerduty_routing_key {
            self.pagerduty_routing_key = Some(Secret::new(value.0));
        }
        if let Some(value) = file.pagerduty_url {
            self.pagerduty_url = Some(url("alerting.pagerduty_url", &value.0)?);
        }
        if let Some(email) = file.email {
            let mut parts = self.email_parts();
            parts.host = email.host.or(parts.host);
            parts.port = email.port.or(parts.port);
            parts.security = email.security.or(parts.security);
            parts.username = email.username.or(parts.username);
            parts.password = email
                .password
                .map(|password| Secret::new(password.0))
                .or(parts.password);
            parts.from = email.from.or(parts.from);
            if let Some(to) = email.to {
                parts.to = to;
            }
            self.email = parts
                .finish()
                .map_err(|reason| format!("invalid alerting.email: {reason}"))?;
        }
        Ok(())
    }

    pub(crate) fn apply_env(
        &mut self,
        env: &impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        let bad = |name: &'static str, value: String, expected: &'static str| ConfigError::Env {
            name,
            value,
            expected,
        };
        let url_expected = "expected an http:// or https:// URL";
        if let Some(value) = env("VICTOR_ALERT_EVAL_INTERVAL") {
            self.eval_interval = interval("VICTOR_ALERT_EVAL_INTERVAL", &value).map_err(|_| {
                bad(
                    "VICTOR_ALERT_EVAL_INTERVAL",
                    value.clone(),
                    "expected a duration of at least 100ms, such as 15s or 1m",
                )
            })?;
        }
        if let Some(value) = env("VICTOR_ALERT_RULES_FILE") {
            self.rules_file = Some(value.into());
        }
        if let Some(value) = env("VICTOR_ALERTING_MODE") {
            self.mode = value
                .parse()
                .map_err(|expected| bad("VICTOR_ALERTING_MODE", value.clone(), expected))?;
        }
        if let Some(value) = env("VICTOR_ALERT_LABELS") {
            let expected =
                "expected name=value pairs separated by commas (job=victor,instance=host:9091)";
            for pair in value
                .split(',')
                .map(str::trim)
                .filter(|pair| !pair.is_empty())
            {
                let (name, label) = pair
                    .split_once('=')
                    .ok_or_else(|| bad("VICTOR_ALERT_LABELS", value.clone(), expected))?;
                let name = label_name("VICTOR_ALERT_LABELS", name.trim().to_owned())
                    .map_err(|_| bad("VICTOR_ALERT_LABELS", value.clone(), expected))?;
                self.labels.insert(name, label.trim().to_owned());
            }
        }
        // URLs are secrets: errors name the variable, never its value.
        for (name, target) in [
            ("VICTOR_ALERT_WEBHOOK_URL", &mut self.webhook_url),
            (
                "VICTOR_ALERT_SLACK_WEBHOOK_URL",
                &mut self.slack_webhook_url,
            ),
            ("VICTOR_ALERT_PAGERDUTY_URL", &mut self.pagerduty_url),
        ] {
            if let Some(value) = env(name) {
                *target = Some(
                    value
                        .parse()
                        .map_err(|_| bad(name, "[redacted]".into(), url_expected))?,
                );
            }
        }
        if let Some(value) = env("VICTOR_ALERTMANAGER_URL") {
            self.alertmanager_urls = urls("VICTOR_ALERTMANAGER_URL", &value).map_err(|_| {
                bad(
                    "VICTOR_ALERTMANAGER_URL",
                    "[redacted]".into(),
                    "expected http:// or https:// URLs, separated by commas",
                )
            })?;
        }
        if let Some(value) = env("VICTOR_ALERT_WEBHOOK_SECRET") {
            self.webhook_secret = Some(Secret::new(value));
        }
        if let Some(value) = env("VICTOR_ALERT_PAGERDUTY_ROUTING_KEY") {
            self.pagerduty_routing_key = Some(Secret::new(value));
        }
        let names = [
            "VICTOR_ALERT_SMTP_HOST",
            "VICTOR_ALERT_SMTP_PORT",
            "VICTOR_ALERT_SMTP_SECURITY",
            "VICTOR_ALERT_SMTP_USERNAME",
            "VICTOR_ALERT_SMTP_PASSWORD",
            "VICTOR_ALERT_EMAIL_FROM",
            "VICTOR_ALERT_EMAIL_TO",
        ];
        if names.iter().all(|name| env(name).is_none()) {
            return Ok(());
        }
        let mut parts = self.email_parts();
        if let Some(value) = env("VICTOR_ALERT_SMTP_HOST") {
            parts.host = Some(value);
        }
        if let Some(value) = env("VICTOR_ALERT_SMTP_PORT") {
            parts.port = Some(value.trim().parse().map_err(|_| {
                bad(
                    "VICTOR_ALERT_SMTP_PORT",
                    value.clone(),
                    "expected a port number from 1 to 65535",
                )
            })?);
        }
        if let Some(value) = env("VICTOR_ALERT_SMTP_SECURITY") {
            parts.security = Some(value.trim().parse().map_err(|_| {
                bad(
                    "VICTOR_ALERT_SMTP_SECURITY",
                    value.clone(),
                    "expected none, starttls or tls",
                )
            })?);
        }
        if let Some(value) = env("VICTOR_ALERT_SMTP_USERNAME") {
            parts.username = Some(value);
        }
        if let Some(value) = env("VICTOR_ALERT_SMTP_PASSWORD") {
            parts.password = Some(Secret::new(value));
        }
        if let Some(value) = env("VICTOR_ALERT_EMAIL_FROM") {
            parts.from = Some(value);
        }
        if let Some(value) = env("VICTOR_ALERT_EMAIL_TO") {
            parts.to = value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
        }
        self.email = parts.finish().map_err(|reason| ConfigError::Value {
            key: "VICTOR_ALERT_SMTP_* / VICTOR_ALERT_EMAIL_*",
            reason,
        })?;
        Ok(())
    }

    fn email_parts(&self) -> EmailParts {
        match &self.email {
            None => EmailParts::default(),
            Some(email) => EmailParts {
                host: Some(email.host.clone()),
                port: Some(email.port),
                security: Some(email.security),
                username: email.username.clone(),
                password: email.password.clone(),
                from: Some(email.from.clone()),
                to: email.to.clone(),
            },
        }
    }
}

impl EmailParts {
    /// `None` when nothing about email was given; an error naming what is missing when only part.
    fn finish(self) -> Result<Option<SmtpSettings>, String> {
        let Some(host) = self.host else {
            return Err(String::from(
                "host is required (alerting.email.host or VICTOR_ALERT_SMTP_HOST)",
            ));
        };
        let Some(from) = self.from else {
            return Err(String::from(
                "the sender is required (alerting.email.from or VICTOR_ALERT_EMAIL_FROM)",
            ));
        };
        if self.to.is_empty() {
            return Err(String::from(
                "at least one recipient is required (alerting.email.to or VICTOR_ALERT_EMAIL_TO)",
            ));
        }
        if self.username.is_some() != self.password.is_some() {
            return Err(String::from(
                "SMTP AUTH needs both a username and a password",
            ));
        }
        let security = self.security.unwrap_or(SmtpSecurity::Starttls);
        let port = self.port.unwrap_or(match security {
            SmtpSecurity::None => 25,
            SmtpSecurity::Starttls => 587,
            SmtpSecurity::Tls => 465,
        });
        let settings = SmtpSettings {
            host,
            port,
            security,
            username: self.username,
            password: self.password,
            from,
            to: self.to,
        };
        settings.check_addresses()?;
        Ok(Some(settings))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn env_sets_channels_and_interval() {
        let mut config = AlertingConfig::default();
        config
            .apply_env(&env(&[
                ("VICTOR_ALERT_EVAL_INTERVAL", "1s"),
                ("VICTOR_ALERT_WEBHOOK_URL", "http://127.0.0.1:8080/hook"),
                (
                    "VICTOR_ALERT_SLACK_WEBHOOK_URL",
                    "https://hooks.slack.com/services/T/B/secret",
                ),
                ("VICTOR_ALERTMANAGER_URL", "http://127.0.0.1:9093"),
                ("VICTOR_ALERT_SMTP_HOST", "127.0.0.1"),
                ("VICTOR_ALERT_SMTP_SECURITY", "none"),
                ("VICTOR_ALERT_SMTP_PASSWORD", "hunter2"),
                ("VICTOR_ALERT_SMTP_USERNAME", "me"),
                ("VICTOR_ALERT_EMAIL_FROM", "alerts@example.com"),
                ("VICTOR_ALERT_EMAIL_TO", "a@example.com, b@example.com"),
            ]))
            .expect("valid");
        assert_eq!(config.eval_interval, Duration::from_secs(1));
        let email = config.email.as_ref().expect("email");
        assert_eq!((email.port, email.to.len()), (25, 2));
        let debug = format!("{config:?}");
        assert!(
            !debug.contains("services/T/B") && !debug.contains("hunter2"),
            "{debug}"
        );
    }

    #[test]
    fn bad_values_name_the_variable_not_the_secret() {
        let mut config = AlertingConfig::default();
        let err = config
            .apply_env(&env(&[(
                "VICTOR_ALERT_SLACK_WEBHOOK_URL",
                "hooks.slack.com/secret-path",
            )]))
            .expect_err("no scheme");
        let text = err.to_string();
        assert!(
            text.contains("VICTOR_ALERT_SLACK_WEBHOOK_URL") && !text.contains("secret-path"),
            "{text}"
        );
        let err = config
            .apply_env(&env(&[("VICTOR_ALERT_EVAL_INTERVAL", "soon")]))
            .expect_err("duration");
        assert!(err.to_string().contains("15s"), "{err}");
        let err = config
            .apply_env(&env(&[("VICTOR_ALERT_SMTP_HOST", "smtp.example.com")]))
            .expect_err("incomplete email");
        assert!(err.to_string().contains("sender is required"), "{err}");
    }
}
