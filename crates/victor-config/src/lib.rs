//! The configuration of `victor-exporter` (and what `victor check config` validates, without
//! linking the server): defaults, then a TOML file, then `VICTOR_*` environment
//! variables, then command-line flags, each overriding the one before.
//!
//! ```toml
//! # victor-exporter.toml
//! listen = "127.0.0.1:9091"        # address of the HTTP server
//! metrics_enabled = true           # false: serve no /metrics (VICTOR_METRICS_ENABLED)
//! cardinality_limit = 10000        # label sets per metric before they fold into overflow
//! window = "5m"                    # span of the sliding-window ratio gauges
//! header_read_timeout = "10s"       # a client slower than this to send headers is cut off
//! simulate = false                 # run the built-in synthetic Victor workload
//! events_max_body_bytes = 8388608  # POST /api/events bodies above this get 413 (VICTOR_EVENTS_MAX_BODY_BYTES)
//! max_connections = 512            # open connections served fully; 32 more get /health/* only, the rest are closed
//! api_token = "…"                  # bearer token for the routes that change state (VICTOR_API_TOKEN)
//! external_url = "https://victor.example.com"  # how people and Alertmanager reach it: generatorURL, notification texts (VICTOR_EXTERNAL_URL, --web.external-url)
//!
//! [health]
//! startup_timeout = "60s"          # start-up checks must all pass within this
//! cache_ttl = "1s"                 # reuse a check's result this long ("0s": run on every probe)
//! memory_max_ratio = 0.9           # readiness fails at this share of the memory limit
//! disk_path = "."                  # the data directory whose file system is checked
//! disk_min_free_ratio = 0.05       # readiness fails below this share of free space
//! shutdown_delay = "0s"            # on SIGTERM, answer readiness 503 this long before draining (VICTOR_SHUTDOWN_DELAY=5s)
//!
//! [tracing]
//! otlp_endpoint = "http://127.0.0.1:4318"  # OTLP/HTTP receiver (OTEL_EXPORTER_OTLP_ENDPOINT); unset: no export
//! sampler = "parentbased_traceidratio"     # OTEL_TRACES_SAMPLER
//! sampler_arg = 0.1                         # OTEL_TRACES_SAMPLER_ARG: share of new traces kept
//! service_name = "victor-exporter"          # OTEL_SERVICE_NAME
//! log_format = "human"                      # or "json", with trace ids (VICTOR_LOG_FORMAT)
//!
//! [[prices]]                       # add or replace an LLM price (per million tokens); see docs/prices.md
//! provider = "openai"
//! model = "gpt-4o"                 # exact name, or a pattern: "gpt-4o*", "*"
//! effective = "2026-12-01"         # the first day it applies
//! input_per_mtok = 2.5
//! output_per_mtok = 10.0
//! cached_input_per_mtok = 1.25     # default 0
//! source = "our contract, 2026"    # where it was read (default "configuration")
//!
//! [slos.chat-latency]             # an SLO with burn-rate alerts (shipped ones: see docs/slos.md)
//! objective = 0.99                 # a table named after a shipped SLO changes it; enabled = false removes it
//! latency = 'victor_request_duration_seconds{endpoint="/chat"}'
//! le = 2.5                         # or: errors + total (counters), spend + budget_usd_per_day
//!
//! [alerting]                       # see the `alerting` module for every key
//! eval_interval = "15s"            # VICTOR_ALERT_EVAL_INTERVAL
//! webhook_url = "https://…"        # VICTOR_ALERT_WEBHOOK_URL
//! ```
//!
//! Every duration is a quoted [humantime] string: `"500ms"`, `"15s"`, `"1m30s"`, `"2h"`. A
//! bare number is refused, with a message that says how to write it: "seconds" or
//! "milliseconds" is not a guess worth making for an operator.
//!
//! [humantime]: https://docs.rs/humantime
//!
//! Unknown keys are errors, so a typo is reported instead of silently ignored. [`check_file`]
//! reports every problem of a file at once, each with its line (`victor check config FILE`).
//!
//! The routes that change state (`POST /api/events`, `POST /api/alerts/test/{channel}`) take
//! `Authorization: Bearer <api_token>` when a token is set. Without one they are open on
//! loopback and refused (403) when the exporter listens beyond it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use victor_alerting::Secret;
use victor_tracing::{LogFormat, TracingConfig};

pub mod alerting;
mod slos;

/// The default limit on a `POST /api/events` body; larger bodies get 413 and nothing is
/// applied.
pub const DEFAULT_EVENTS_MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// The default `max_connections`: well under the usual 1024 file descriptors a process may
/// open, so the limit is reached before the process runs out.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// The largest `max_connections` accepted: far above any file-descriptor limit, and small
/// enough that adding the probe reserve cannot overflow.
pub const MAX_CONNECTIONS_LIMIT: usize = 1 << 20;

/// Connections past `max_connections` still served, `/health/*` only, so probes answer while
/// the limit holds (a kubelet's probes come from the node's address, not loopback).
pub const PROBE_RESERVE: usize = 32;

use crate::alerting::FileAlerting;
pub use crate::alerting::{AlertingConfig, AlertingMode};

/// Parses an external URL: absolute, `http` or `https`, with a host.
///
/// # Errors
/// What is wrong with it.
pub fn external_url(text: &str) -> Result<url::Url, String> {
    let url =
        url::Url::parse(text.trim()).map_err(|err| format!("{text:?} is not a URL: {err}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "{text:?} is not an http:// or https:// URL with a host"
        ));
    }
    Ok(url)
}

impl Config {
    /// The external URL in force, without a trailing slash: the configured one, else
    /// `http://{host name}:{listen port}`.
    pub fn external_url(&self) -> String {
        match &self.external_url {
            Some(url) => url.as_str().trim_end_matches('/').to_owned(),
            None => format!("http://{}:{}", host_name(), self.listen.port()),
        }
    }
}

/// This host's name: `HOSTNAME` (set in every container), else the kernel's, else `localhost`.
fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// A listen address as Prometheus exporters take it (`--web.listen-address`): `IP:PORT`,
/// `HOST:PORT` with a host name (resolved, an IPv4 address preferred), or `:PORT` for every
/// interface.
///
/// ```
/// use victor_config::listen_address;
///
/// assert_eq!(listen_address(":9091")?, "0.0.0.0:9091".parse()?);
/// assert_eq!(listen_address("localhost:9091")?.port(), 9091);
/// assert!(listen_address("9091").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// Naming the text and the forms accepted, when it is none of them or does not resolve.
pub fn listen_address(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    let expected = "expected IP:PORT, HOST:PORT or :PORT (every interface)";
    if let Some(port) = text.strip_prefix(':') {
        let port: u16 = port
            .parse()
            .map_err(|_| format!("{text:?} is not a listen address: {expected}"))?;
        return Ok(SocketAddr::from(([0, 0, 0, 0], port)));
    }
    if let Ok(address) = text.parse::<SocketAddr>() {
        return Ok(address);
    }
    if !text.contains(':') {
        return Err(format!("{text:?} is not a listen address: {expected}"));
    }
    let addresses: Vec<SocketAddr> = std::net::ToSocketAddrs::to_socket_addrs(text)
        .map_err(|err| format!("{text:?} is not a listen address ({err}): {expected}"))?
        .collect();
    addresses
        .iter()
        .find(|address| address.is_ipv4())
        .or_else(|| addresses.first())
        .copied()
        .ok_or_else(|| format!("{text:?} resolves to no address"))
}

/// The default listen address: loopback, port 9091 so Prometheus keeps 9090.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 9091);

/// Everything the exporter needs to start.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Address of the HTTP server.
    pub listen: SocketAddr,
    /// Whether `/metrics` is served and a recorder installed.
    pub metrics_enabled: bool,
    /// Label sets per metric before further ones fold into an overflow series.
    pub cardinality_limit: usize,
    /// Span of the sliding-window ratio gauges.
    pub window: Duration,
    /// How long a client may take to send a request's headers before the connection is closed.
    pub header_read_timeout: Duration,
    /// Whether the synthetic workload runs.
    pub simulate: bool,
    /// The largest `POST /api/events` body accepted; larger ones get 413 and apply nothing.
    pub events_max_body_bytes: usize,
    /// Open connections served fully. [`PROBE_RESERVE`] more are served `/health/*` only (so
    /// probes answer while the limit holds); any beyond are closed at once.
    pub max_connections: usize,
    /// The bearer token the routes that change state require; `None`: open on loopback,
    /// refused beyond it.
    pub api_token: Option<Secret>,
    /// Where people and Alertmanager reach this exporter (Prometheus' `--web.external-url`):
    /// the base of `generatorURL` and of the links and names in notifications. `None`: the
    /// host's name and the listen port ([`Config::external_url`]); never the listen address,
    /// which is `0.0.0.0` in every container.
    pub external_url: Option<url::Url>,
    /// The share of simulated requests that fail with a 5xx (`--simulate-error-rate`); `None`
    /// keeps the workload's own mix (1%, 9% during its incidents).
    pub simulate_error_rate: Option<f64>,
    /// The health probes' settings.
    pub health: HealthConfig,
    /// Span export, sampling and log format.
    pub tracing: TracingConfig,
    /// Alert evaluation and notification channels.
    pub alerting: AlertingConfig,
    /// exporter-toolkit's web configuration file (`--web.config.file`): TLS and basic auth for
    /// every route. `None`: plain HTTP, open reads.
    pub web_config_file: Option<PathBuf>,
    /// LLM prices added to or replacing the built-in table (`[[prices]]`).
    pub prices: Vec<victor_metrics_core::prices::Price>,
    /// The SLOs the engine alerts on: the shipped ones with the `[slos.NAME]` tables applied
    /// (see the `slos` module's documentation in the crate's README).
    pub slos: Vec<victor_alerting::slo::Slo>,
}

/// Settings of the `/health/*` probes and their built-in checks.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthConfig {
    /// How long start-up may take before every probe fails.
    pub startup_timeout: Duration,
    /// How long a check's result is reused.
    pub cache_ttl: Duration,
    /// Readiness fails when resident memory reaches this share of the memory limit (the cgroup
    /// limit in a container, host memory otherwise).
    pub memory_max_ratio: f64,
    /// The directory whose file system the disk check watches.
    pub disk_path: PathBuf,
    /// Readiness fails when that file system has less than this share free.
    pub disk_min_free_ratio: f64,
    /// On SIGTERM, how long readiness answers 503 before the server stops accepting and drains,
    /// so load balancers stop sending work first (Kubernetes: a few seconds).
    pub shutdown_delay: Duration,
}

impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig {
            startup_timeout: victor_health::DEFAULT_STARTUP_TIMEOUT,
            cache_ttl: victor_health::DEFAULT_CACHE_TTL,
            memory_max_ratio: 0.9,
            disk_path: PathBuf::from("."),
            disk_min_free_ratio: 0.05,
            shutdown_delay: Duration::ZERO,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: DEFAULT_LISTEN,
            metrics_enabled: true,
            cardinality_limit: victor_metrics_core::DEFAULT_CARDINALITY_LIMIT,
            window: Duration::from_secs(300),
            header_read_timeout: Duration::from_secs(10),
            simulate: false,
            events_max_body_bytes: DEFAULT_EVENTS_MAX_BODY_BYTES,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            api_token: None,
            external_url: None,
            simulate_error_rate: None,
            health: HealthConfig::default(),
            tracing: TracingConfig::new("victor-exporter", env!("CARGO_PKG_VERSION")),
            alerting: AlertingConfig::default(),
            web_config_file: None,
            prices: Vec::new(),
            slos: slos::defaults(),
        }
    }
}

/// A configuration that cannot be used, naming the source and the value at fault.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has wrong keys or values: every problem, with its line.
    #[error("invalid config file {path}:{}", problems.iter().map(|p| format!("\n  {p}")).collect::<String>())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, in file order.
        problems: Vec<FileProblem>,
    },
    /// An environment variable has a value that cannot be used.
    #[error("invalid {name}={value:?}: {expected}")]
    Env {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What it should be.
        expected: &'static str,
    },
    /// A tracing setting (an `OTEL_*` variable or a `[tracing]` key) cannot be used.
    #[error(transparent)]
    Tracing(#[from] victor_tracing::ConfigError),
    /// A value is out of range.
    #[error("invalid {key}: {reason}")]
    Value {
        /// The setting.
        key: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// A secret as a configuration file holds it: a string, refused in any other type without
/// repeating the value (serde's own message would: "invalid type: integer `12345`"), and
/// shown as `<secret>` by `Debug`.
pub(crate) struct SecretText(pub(crate) String);

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<secret>")
    }
}

impl<'de> Deserialize<'de> for SecretText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Any TOML value reads as one; only a string is a secret, and the refusal of anything
        // else never quotes it.
        match toml::Value::deserialize(deserializer)? {
            toml::Value::String(text) => Ok(SecretText(text)),
            _ => Err(serde::de::Error::custom(
                "expected a quoted string (the value is not shown: this key holds a secret)",
            )),
        }
    }
}

/// A duration in the configuration file: a quoted humantime string (`"15s"`, `"1m30s"`).
///
/// A bare number is refused with a message that shows the quoted form, since its unit would
/// be a guess.
///
/// ```
/// use std::time::Duration;
/// use victor_config::FileDuration;
///
/// #[derive(serde::Deserialize)]
/// struct Table { delay: FileDuration }
///
/// let table: Table = toml::from_str("delay = \"1m30s\"")?;
/// assert_eq!(table.delay.0, Duration::from_secs(90));
/// let refused = toml::from_str::<Table>("delay = 5").err().expect("a bare number");
/// assert!(refused.message().contains("write it as a quoted duration with a unit, such as \"5s\""));
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileDuration(pub Duration);

impl<'de> Deserialize<'de> for FileDuration {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A bare number's unit would be a guess; the message shows it written in seconds (or
        // milliseconds, which humantime takes for fractions).
        let refuse = |number: f64| {
            let suggestion = if number.fract() == 0.0 {
                format!("{number}s")
            } else {
                format!("{}ms", (number * 1000.0).round())
            };
            serde::de::Error::custom(format!(
                "{number} has no unit: write it as a quoted duration with a unit, such as \
                 \"{suggestion}\" (\"500ms\", \"15s\", \"1m30s\" and \"2h\" are all accepted)"
            ))
        };
        match toml::Value::deserialize(deserializer)? {
            toml::Value::String(text) => humantime::parse_duration(text.trim())
                .map(FileDuration)
                .map_err(|err| {
                    serde::de::Error::custom(format!(
                        "{text:?} is not a duration ({err}); write one such as \"500ms\", \"15s\" or \"1m30s\""
                    ))
                }),
            #[allow(clippy::cast_precision_loss)] // only shown in the message
            toml::Value::Integer(number) => Err(refuse(number as f64)),
            toml::Value::Float(number) => Err(refuse(number)),
            other => Err(serde::de::Error::custom(format!(
                "expected a quoted duration such as \"15s\", found a {}",
                other.type_str()
            ))),
        }
    }
}

/// The file's shape; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    metrics_enabled: Option<bool>,
    cardinality_limit: Option<usize>,
    window: Option<FileDuration>,
    header_read_timeout: Option<FileDuration>,
    simulate: Option<bool>,
    events_max_body_bytes: Option<usize>,
    max_connections: Option<usize>,
    api_token: Option<SecretText>,
    external_url: Option<String>,
    health: Option<FileHealth>,
    tracing: Option<FileTracing>,
    alerting: Option<FileAlerting>,
    prices: Option<Vec<FilePrice>>,
    slos: Option<std::collections::BTreeMap<String, slos::FileSlo>>,
}

/// One `[[prices]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePrice {
    provider: String,
    model: String,
    effective: String,
    input_per_mtok: f64,
    output_per_mtok: f64,
    #[serde(default)]
    cached_input_per_mtok: f64,
    source: Option<String>,
}

/// The file's `[tracing]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTracing {
    otlp_endpoint: Option<String>,
    sampler: Option<String>,
    sampler_arg: Option<f64>,
    service_name: Option<String>,
    log_format: Option<String>,
}

/// The file's `[health]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileHealth {
    startup_timeout: Option<FileDuration>,
    cache_ttl: Option<FileDuration>,
    memory_max_ratio: Option<f64>,
    disk_path: Option<PathBuf>,
    disk_min_free_ratio: Option<f64>,
    shutdown_delay: Option<FileDuration>,
}

/// What the command line says; `None` means "not given".
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--listen`.
    pub listen: Option<SocketAddr>,
    /// `--simulate`.
    pub simulate: bool,
    /// `--log-format`.
    pub log_format: Option<LogFormat>,
    /// `--simulate-error-rate`.
    pub simulate_error_rate: Option<f64>,
    /// `--web.external-url`.
    pub external_url: Option<url::Url>,
    /// `--rules`.
    pub rules_file: Option<PathBuf>,
    /// `--web.config.file`.
    pub web_config_file: Option<PathBuf>,
}

impl Config {
    /// Resolves the configuration from an optional file, the environment (through `env`, so
    /// tests can pass their own) and the command line.
    ///
    /// # Errors
    /// [`ConfigError`] naming the file, variable or key at fault.
    pub fn resolve(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
        overrides: &Overrides,
    ) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_owned(),
                source,
            })?;
            config = Config::from_file_text(&text).map_err(|problems| ConfigError::Parse {
                path: path.to_owned(),
                problems,
            })?;
        }
        config.apply_env(env)?;
        if let Some(listen) = overrides.listen {
            config.listen = listen;
        }
        config.simulate |= overrides.simulate;
        if let Some(format) = overrides.log_format {
            config.tracing.log_format = format;
        }
        if let Some(path) = &overrides.rules_file {
            config.alerting.rules_file = Some(path.clone());
        }
        if let Some(path) = &overrides.web_config_file {
            config.web_config_file = Some(path.clone());
        }
        if let Some(url) = &overrides.external_url {
            config.external_url = Some(url.clone());
        }
        if overrides.simulate_error_rate.is_some() {
            config.simulate_error_rate = overrides.simulate_error_rate;
        }
        config.validate()?;
        Ok(config)
    }

    /// The configuration a file's `text` gives over the defaults, before the environment and
    /// the command line: what [`Config::resolve`] starts from. Refused with every problem
    /// [`check_file`] finds, each at its line.
    ///
    /// # Errors
    /// The file's problems, in file order.
    pub fn from_file_text(text: &str) -> Result<Config, Vec<FileProblem>> {
        let problems = check_file(text);
        if !problems.is_empty() {
            return Err(problems);
        }
        let file =
            toml::from_str(text).map_err(|err| vec![FileProblem::from_toml(text, "", &err)])?;
        let mut config = Config::default();
        config.apply_file(file).map_err(|message| {
            vec![FileProblem {
                line: 1,
                column: 1,
                key: String::new(),
                message,
            }]
        })?;
        Ok(config)
    }

    fn apply_file(&mut self, file: FileConfig) -> Result<(), String> {
        if let Some(listen) = file.listen {
            self.listen =
                listen_address(&listen).map_err(|err| format!("invalid listen: {err}"))?;
        }
        if let Some(enabled) = file.metrics_enabled {
            self.metrics_enabled = enabled;
        }
        if let Some(limit) = file.cardinality_limit {
            self.cardinality_limit = limit;
        }
        if let Some(FileDuration(value)) = file.window {
            self.window = value;
        }
        if let Some(FileDuration(value)) = file.header_read_timeout {
            self.header_read_timeout = value;
        }
        if let Some(simulate) = file.simulate {
            self.simulate = simulate;
        }
        if let Some(limit) = file.max_connections {
            self.max_connections = limit;
        }
        if let Some(limit) = file.events_max_body_bytes {
            self.events_max_body_bytes = limit;
        }
        if let Some(token) = file.api_token {
            self.api_token = Some(Secret::new(token.0));
        }
        if let Some(value) = file.external_url {
            self.external_url =
                Some(external_url(&value).map_err(|why| format!("external_url: {why}"))?);
        }
        let health = file.health.unwrap_or_default();
        let target = &mut self.health;
        if let Some(FileDuration(value)) = health.startup_timeout {
            target.startup_timeout = value;
        }
        if let Some(FileDuration(value)) = health.cache_ttl {
            target.cache_ttl = value;
        }
        if let Some(FileDuration(value)) = health.shutdown_delay {
            target.shutdown_delay = value;
        }
        if let Some(value) = health.memory_max_ratio {
            target.memory_max_ratio = value;
        }
        if let Some(value) = health.disk_min_free_ratio {
            target.disk_min_free_ratio = value;
        }
        if let Some(path) = health.disk_path {
            target.disk_path = path;
        }
        let tracing = file.tracing.unwrap_or_default();
        let target = &mut self.tracing;
        if let Some(endpoint) = tracing.otlp_endpoint {
            target
                .set_otlp_endpoint("tracing.otlp_endpoint", &endpoint)
                .map_err(|err| err.to_string())?;
        }
        let arg = tracing.sampler_arg.map(|ratio| ratio.to_string());
        target.sampling = (target.sampling)
            .updated(tracing.sampler.as_deref(), arg.as_deref())
            .map_err(|err| format!("invalid tracing.sampler / tracing.sampler_arg: {err}"))?;
        if let Some(name) = tracing.service_name {
            target.service_name = name;
        }
        if let Some(format) = tracing.log_format {
            target.log_format = format
                .parse()
                .map_err(|err| format!("invalid tracing.log_format {format:?}: {err}"))?;
        }
        if let Some(alerting) = file.alerting {
            self.alerting.apply_file(alerting)?;
        }
        for (i, price) in file.prices.unwrap_or_default().into_iter().enumerate() {
            let key = format!("prices[{i}] ({}/{})", price.provider, price.model);
            let effective = victor_metrics_core::prices::Date::parse(&price.effective)
                .map_err(|err| format!("{key}.effective: {err}"))?;
            let price = victor_metrics_core::prices::Price::new(
                &price.provider,
                &price.model,
                effective,
                [
                    price.input_per_mtok,
                    price.output_per_mtok,
                    price.cached_input_per_mtok,
                ],
                price.source.as_deref().unwrap_or("configuration"),
            )
            .map_err(|err| format!("{key}: {err}"))?;
            self.prices.push(price);
        }
        if let Some(tables) = file.slos {
            slos::apply(&mut self.slos, tables)?;
        }
        Ok(())
    }

    fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(value) = env("VICTOR_METRICS_ENABLED") {
            self.metrics_enabled = match value.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => true,
                "0" | "false" | "no" | "off" => false,
                _ => {
                    return Err(ConfigError::Env {
                        name: "VICTOR_METRICS_ENABLED",
                        value,
                        expected: "expected true or false",
                    });
                }
            };
        }
        if let Some(value) = env("VICTOR_SHUTDOWN_DELAY") {
            self.health.shutdown_delay =
                humantime::parse_duration(value.trim()).map_err(|_| ConfigError::Env {
                    name: "VICTOR_SHUTDOWN_DELAY",
                    value: value.clone(),
                    expected: "expected a duration such as 5s",
                })?;
        }
        if let Some(value) = env("VICTOR_METRICS_PORT") {
            let port = value.trim().parse::<u16>().map_err(|_| ConfigError::Env {
                name: "VICTOR_METRICS_PORT",
                value: value.clone(),
                expected: "expected a port number from 0 to 65535",
            })?;
            self.listen.set_port(port);
        }
        if let Some(value) = env("VICTOR_EVENTS_MAX_BODY_BYTES") {
            self.events_max_body_bytes = value.trim().parse().map_err(|_| ConfigError::Env {
                name: "VICTOR_EVENTS_MAX_BODY_BYTES",
                value: value.clone(),
                expected: "expected a number of bytes",
            })?;
        }
        if let Some(value) = env("VICTOR_API_TOKEN") {
            self.api_token = Some(Secret::new(value));
        }
        if let Some(value) = env("VICTOR_EXTERNAL_URL") {
            self.external_url = Some(external_url(&value).map_err(|_| ConfigError::Env {
                name: "VICTOR_EXTERNAL_URL",
                value: value.clone(),
                expected: "expected an absolute http:// or https:// URL",
            })?);
        }
        if let Some(value) = env("VICTOR_LOG_FORMAT") {
            self.tracing.log_format = value.parse().map_err(|expected| ConfigError::Env {
                name: "VICTOR_LOG_FORMAT",
                value: value.clone(),
                expected,
            })?;
        }
        self.tracing = self.tracing.clone().with_env(&env)?;
        self.alerting.apply_env(&env)?;
        Ok(())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self
            .simulate_error_rate
            .is_some_and(|rate| !(0.0..=1.0).contains(&rate))
        {
            return Err(ConfigError::Value {
                key: "--simulate-error-rate",
                reason: "must be a share between 0 and 1".into(),
            });
        }
        if self
            .api_token
            .as_ref()
            .is_some_and(|token| token.expose().trim().is_empty())
        {
            return Err(ConfigError::Value {
                key: "api_token",
                reason: "must not be empty (VICTOR_API_TOKEN or api_token)".into(),
            });
        }
        if self.events_max_body_bytes == 0 {
            return Err(ConfigError::Value {
                key: "events_max_body_bytes",
                reason: "must be at least 1".into(),
            });
        }
        if !(1..=MAX_CONNECTIONS_LIMIT).contains(&self.max_connections) {
            return Err(ConfigError::Value {
                key: "max_connections",
                reason: format!(
                    "must be from 1 to {MAX_CONNECTIONS_LIMIT} (each connection holds a file \
                     descriptor), not {}",
                    self.max_connections
                ),
            });
        }
        if self.cardinality_limit == 0 {
            return Err(ConfigError::Value {
                key: "cardinality_limit",
                reason: "must be at least 1".into(),
            });
        }
        for (key, duration) in [
            ("window", self.window),
            ("header_read_timeout", self.header_read_timeout),
            ("health.startup_timeout", self.health.startup_timeout),
        ] {
            if duration.is_zero() {
                return Err(ConfigError::Value {
                    key,
                    reason: "must be greater than 0".into(),
                });
            }
        }
        for (key, ratio) in [
            ("health.memory_max_ratio", self.health.memory_max_ratio),
            (
                "health.disk_min_free_ratio",
                self.health.disk_min_free_ratio,
            ),
        ] {
            if !(0.0..=1.0).contains(&ratio) {
                return Err(ConfigError::Value {
                    key,
                    reason: "must be a share between 0 and 1".into(),
                });
            }
        }
        Ok(())
    }
}

/// One problem in a configuration file, at the line of the key (or table) at fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileProblem {
    /// Line of the key at fault, from 1.
    pub line: usize,
    /// Column of the key at fault, from 1.
    pub column: usize,
    /// The dotted key at fault (`health.memory_max_ratio`); empty for a syntax error.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.key.is_empty() || self.message.contains(&self.key) {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            write!(f, "line {}: {}: {}", self.line, self.key, self.message)
        }
    }
}

impl FileProblem {
    fn at(text: &str, offset: usize, key: &str, message: impl Into<String>) -> FileProblem {
        let before = &text[..offset.min(text.len())];
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        FileProblem {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
            key: key.to_owned(),
            message: message.into(),
        }
    }

    fn from_toml(text: &str, key: &str, err: &toml::de::Error) -> FileProblem {
        let offset = err.span().map_or(0, |span| span.start);
        FileProblem::at(text, offset, key, err.message().trim())
    }
}

/// The tables a file may have; every other key is a setting.
const TABLES: [&str; 8] = [
    "health",
    "slos",
    "tracing",
    "alerting",
    "alerting.email",
    "alerting.rules",
    "alerting.routes",
    "alerting.labels",
];

/// Whether the dotted key names a table whose keys are settings of their own: one of
/// [`TABLES`], or a rule's table under `alerting.rules`. (An SLO's table under `slos` is one
/// setting: its keys only make sense together.)
fn is_table(dotted: &str) -> bool {
    TABLES.contains(&dotted)
        || dotted
            .strip_prefix("alerting.rules.")
            .is_some_and(|rule| !rule.contains('.'))
}

/// Checks a configuration file's text without starting anything, and returns every problem
/// in it, in file order: syntax errors, unknown keys, values of the wrong type and values out of
/// range, each at the line of its key. Empty means the file is valid. The environment and flags
/// are not read: this is the file alone, as [`Config::resolve`] would apply it.
///
/// ```
/// use victor_config::check_file;
///
/// let problems = check_file("listen = \"127.0.0.1:9091\"\n[health]\nmemory_max_ratio = 90\ncache_tll = 1\n");
/// assert_eq!(problems.len(), 2);
/// assert_eq!((problems[0].line, problems[0].key.as_str()), (3, "health.memory_max_ratio"));
/// assert_eq!((problems[1].line, problems[1].key.as_str()), (4, "health.cache_tll"));
/// ```
pub fn check_file(text: &str) -> Vec<FileProblem> {
    let (document, syntax) = DeTable::parse_recoverable(text);
    if !syntax.is_empty() {
        return syntax
            .iter()
            .map(|err| FileProblem::from_toml(text, "", err))
            .collect();
    }
    let mut leaves = Vec::new();
    collect_leaves(document.get_ref(), &mut Vec::new(), &mut leaves);
    let mut problems = Vec::new();
    for (path, value) in leaves {
        let key = path
            .iter()
            .map(|part| part.get_ref().as_ref())
            .collect::<Vec<&str>>()
            .join(".");
        let offset = path.last().map_or(0, |part| part.span().start);
        let in_email = key.starts_with("alerting.email.");
        if let Err(message) = check_setting(&path, value, !in_email) {
            problems.push(FileProblem::at(text, offset, &key, message));
        }
    }
    // The email table is one setting: its keys only make sense together.
    let email = document
        .get_ref()
        .get("alerting")
        .and_then(|alerting| alerting.get_ref().as_table())
        .and_then(|alerting| alerting.get_key_value("email"));
    if let Some((key, table)) = email
        && !problems.iter().any(|p| p.key.starts_with("alerting.email"))
    {
        let path = [Spanned::new(0..0, "alerting".into()), key.clone()];
        if let Err(message) = check_setting(&path, table.clone(), true) {
            problems.push(FileProblem::at(
                text,
                key.span().start,
                "alerting.email",
                message,
            ));
        }
    }
    problems.sort_by_key(|problem| (problem.line, problem.column));
    problems
}

/// Gathers the settings of `table` (keys that are not one of [`TABLES`]) with their paths.
fn collect_leaves<'i>(
    table: &DeTable<'i>,
    path: &mut Vec<Spanned<toml::de::DeString<'i>>>,
    leaves: &mut Vec<(Vec<Spanned<toml::de::DeString<'i>>>, Spanned<DeValue<'i>>)>,
) {
    for (key, value) in table {
        path.push(key.clone());
        let dotted = path
            .iter()
            .map(|part| part.get_ref().as_ref())
            .collect::<Vec<&str>>()
            .join(".");
        match value.get_ref().as_table() {
            Some(inner) if is_table(&dotted) => {
                collect_leaves(inner, path, leaves);
            }
            _ => leaves.push((path.clone(), value.clone())),
        }
        path.pop();
    }
}

/// Reads one setting (`path` = `value`, alone in a file) and, when `apply`, applies it to the
/// defaults and validates the result.
fn check_setting<'i>(
    path: &[Spanned<toml::de::DeString<'i>>],
    value: Spanned<DeValue<'i>>,
    apply: bool,
) -> Result<(), String> {
    let mut nested = value;
    for part in path.iter().rev() {
        let span = nested.span();
        let mut table = DeTable::new();
        table.insert(part.clone(), nested);
        nested = Spanned::new(span, DeValue::Table(table));
    }
    let file = FileConfig::deserialize(ValueDeserializer::from(nested))
        .map_err(|err| err.message().trim().to_owned())?;
    if !apply {
        return Ok(());
    }
    let mut config = Config::default();
    config.apply_file(file)?;
    config.validate().map_err(|err| err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Config → effective config: any valid values written to a file come back as the
        /// configuration in force, for every kind of key (addresses, counts, seconds, ratios,
        /// booleans, durations as text, secrets).
        #[test]
        fn a_file_of_valid_values_is_the_effective_configuration(
            port in 1_u16..,
            cardinality in 1_usize..1_000_000,
            max_connections in 1_usize..100_000,
            body in 1_usize..(64 << 20),
            window_ms in 1_000_u64..86_400_000,
            ratio in 0.01_f64..1.0,
            simulate in proptest::bool::ANY,
            delay_ms in 0_u64..600_000,
            eval_ms in 100_u64..3_600_000,
            token in "[!-~]{1,40}",
        ) {
            let text = format!(
                "listen = \":{port}\"\ncardinality_limit = {cardinality}\n\
                 max_connections = {max_connections}\nevents_max_body_bytes = {body}\n\
                 window = \"{window_ms}ms\"\nsimulate = {simulate}\napi_token = {token:?}\n\
                 [health]\nmemory_max_ratio = {ratio:?}\nshutdown_delay = \"{delay_ms}ms\"\n\
                 [alerting]\neval_interval = \"{eval_ms}ms\"\n"
            );
            let config = Config::from_file_text(&text)
                .map_err(|problems| proptest::test_runner::TestCaseError::fail(format!("{text}\n{problems:?}")))?;
            proptest::prop_assert_eq!(config.listen, SocketAddr::from(([0, 0, 0, 0], port)));
            proptest::prop_assert_eq!(config.cardinality_limit, cardinality);
            proptest::prop_assert_eq!(config.max_connections, max_connections);
            proptest::prop_assert_eq!(config.events_max_body_bytes, body);
            proptest::prop_assert_eq!(config.window, Duration::from_millis(window_ms));
            proptest::prop_assert_eq!(config.simulate, simulate);
            proptest::prop_assert_eq!(
                config.api_token.as_ref().map(Secret::expose),
                Some(token.as_str())
            );
            proptest::prop_assert_eq!(config.health.memory_max_ratio, ratio);
            proptest::prop_assert_eq!(config.health.shutdown_delay, Duration::from_millis(delay_ms));
            proptest::prop_assert_eq!(config.alerting.eval_interval, Duration::from_millis(eval_ms));
        }
    }

    #[test]
    fn price_entries_are_read_and_bad_ones_named() {
        let good = "[[prices]]\nprovider = \"openai\"\nmodel = \"gpt-4o*\"\n\
                    effective = \"2026-12-01\"\ninput_per_mtok = 2.0\noutput_per_mtok = 8.0\n";
        let config = Config::from_file_text(good).expect("valid");
        assert_eq!(config.prices.len(), 1);
        assert_eq!(config.prices[0].model, "gpt-4o*");
        assert_eq!(config.prices[0].effective.to_string(), "2026-12-01");
        assert_eq!(config.prices[0].source, "configuration");
        for (text, named) in [
            (good.replace("2026-12-01", "December"), "effective"),
            (good.replace("2.0", "-2.0"), "input_per_mtok"),
            (good.replace("model = \"gpt-4o*\"\n", ""), "model"),
            (good.replace("input_per_mtok", "input_price"), "input_price"),
        ] {
            let problems = check_file(&text);
            let shown = format!("{problems:?}");
            assert!(
                !problems.is_empty() && shown.contains(named),
                "{text}: {shown}"
            );
        }
    }

    /// Every duration key of the file takes a humantime string and refuses a bare number,
    /// saying how to write it.
    #[test]
    fn every_duration_key_refuses_a_bare_number_and_says_how_to_write_it() {
        for (table, key) in [
            ("", "window"),
            ("", "header_read_timeout"),
            ("[health]\n", "startup_timeout"),
            ("[health]\n", "cache_ttl"),
            ("[health]\n", "shutdown_delay"),
            ("[alerting]\n", "eval_interval"),
            ("[alerting.rules.HighErrorRate]\n", "for"),
            ("[alerting.rules.HighErrorRate]\n", "keep_firing_for"),
        ] {
            let accepted = format!("{table}{key} = \"1m30s\"\n");
            assert_eq!(check_file(&accepted), [], "{accepted}");
            for (number, suggested) in [("90", "90s"), ("1.5", "1500ms")] {
                let text = format!("{table}{key} = {number}\n");
                let problems = check_file(&text);
                assert_eq!(problems.len(), 1, "{text}: {problems:?}");
                let shown = problems[0].to_string();
                assert!(
                    shown.contains(key)
                        && shown.contains(&format!("such as \"{suggested}\""))
                        && problems[0].line == if table.is_empty() { 1 } else { 2 },
                    "{text}: {shown}"
                );
            }
        }
    }

    #[test]
    fn rule_overrides_and_routes_are_checked_naming_the_rule_and_key() {
        let text = "[alerting.rules.HighErrorRatez]\nenabled = false\n\
                    [alerting.rules.SlowResponseTime]\nfor = \"soon\"\nseverity = \"urgent\"\nthreshold = 10\n\
                    [alerting.routes]\npanic = [\"slack\"]\ncritical = [\"slack\"]\n";
        let problems = check_file(text);
        let found: Vec<(usize, &str)> = problems.iter().map(|p| (p.line, p.key.as_str())).collect();
        assert_eq!(
            found,
            [
                (2, "alerting.rules.HighErrorRatez.enabled"),
                (4, "alerting.rules.SlowResponseTime.for"),
                (5, "alerting.rules.SlowResponseTime.severity"),
                (8, "alerting.routes.panic"),
            ],
            "{problems:?}"
        );
        assert!(
            problems[0].message.contains("no rule is named"),
            "{problems:?}"
        );
        assert!(
            problems[1].message.contains("not a duration"),
            "{problems:?}"
        );
        assert!(
            problems[3].message.contains("not a severity"),
            "{problems:?}"
        );
        let good = "[alerting.rules.SlowResponseTime]\nthreshold = 10\nfor = \"1m\"\n\
                    [alerting.routes]\ncritical = [\"pagerduty\", \"slack\"]\n";
        assert!(check_file(good).is_empty(), "{:?}", check_file(good));
    }

    #[test]
    fn a_rule_file_named_in_the_config_is_checked_with_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let rules = dir.path().join("own.yml");
        std::fs::write(
            &rules,
            "groups:\n  - name: g\n    rules:\n      - alert: Mine\n        expr: avg(victor_cpu_usage_percent) > 1\n",
        )
        .expect("write");
        let text = format!(
            "[alerting]\nrules_file = {:?}\n",
            rules.display().to_string()
        );
        let problems = check_file(&text);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].key, "alerting.rules_file");
        assert!(problems[0].message.contains("rule Mine"), "{problems:?}");
        let missing = check_file("[alerting]\nrules_file = \"/no/such/file.yml\"\n");
        assert!(missing[0].message.contains("cannot read"), "{missing:?}");
    }

    #[test]
    fn the_external_url_comes_from_flag_env_or_file_and_never_from_the_listen_address() {
        let defaults = Config {
            listen: "0.0.0.0:9091".parse().expect("addr"),
            ..Config::default()
        };
        let url = defaults.external_url();
        assert!(!url.contains("0.0.0.0"), "{url}");
        assert!(
            url.starts_with("http://") && url.ends_with(":9091"),
            "{url}"
        );

        let vars = env(&[("VICTOR_EXTERNAL_URL", "https://victor.example.com/")]);
        let config = Config::resolve(None, vars, &Overrides::default()).expect("valid");
        assert_eq!(config.external_url(), "https://victor.example.com");
        let flags = Overrides {
            external_url: Some(external_url("http://flag.example:8080").expect("url")),
            ..Overrides::default()
        };
        let vars = env(&[("VICTOR_EXTERNAL_URL", "https://victor.example.com/")]);
        let config = Config::resolve(None, vars, &flags).expect("valid");
        assert_eq!(config.external_url(), "http://flag.example:8080");

        let vars = env(&[("VICTOR_EXTERNAL_URL", "victor.example.com")]);
        let err = Config::resolve(None, vars, &Overrides::default()).expect_err("no scheme");
        assert!(err.to_string().contains("VICTOR_EXTERNAL_URL"), "{err}");
        assert!(external_url("ftp://x").is_err());
        assert!(
            check_file("external_url = \"nope\"\n")[0]
                .message
                .contains("external_url")
        );
    }
    use std::collections::HashMap;
    use std::io::Write;
    use victor_tracing::Sampling;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(text.as_bytes()).expect("write");
        file
    }

    #[test]
    fn listen_addresses_take_the_exporter_conventions() {
        let v4 = |text: &str| listen_address(text).map(|address| address.to_string());
        assert_eq!(v4(":9100").as_deref(), Ok("0.0.0.0:9100"));
        assert_eq!(v4("127.0.0.1:9091").as_deref(), Ok("127.0.0.1:9091"));
        assert_eq!(v4("[::1]:9091").as_deref(), Ok("[::1]:9091"));
        assert!(listen_address("localhost:9091").is_ok_and(|a| a.ip().is_loopback()));
        for bad in ["9091", ":port", "", "localhost:99999"] {
            let err = listen_address(bad).expect_err(bad);
            assert!(
                err.contains("HOST:PORT") || err.contains("resolves"),
                "{bad}: {err}"
            );
        }
        for limit in [
            "max_connections = 0\n",
            "max_connections = 18446744073709551615\n",
        ] {
            let problems = check_file(limit);
            assert_eq!(problems[0].key, "max_connections", "{limit}: {problems:?}");
            assert!(problems[0].message.contains("1048576"), "{problems:?}");
        }
        let problems = check_file("listen = \":nine\"\n");
        assert_eq!((problems[0].line, problems[0].key.as_str()), (1, "listen"));
    }

    #[test]
    fn defaults_listen_on_loopback_9091() {
        let config = Config::resolve(None, env(&[]), &Overrides::default()).expect("defaults");
        assert_eq!(config, Config::default());
        assert_eq!(config.listen.to_string(), "127.0.0.1:9091");
    }

    #[test]
    fn flags_override_env_override_file() {
        let f = file("listen = \"0.0.0.0:8000\"\nmetrics_enabled = true\ncardinality_limit = 50\n");
        let from_file = Config::resolve(Some(f.path()), env(&[]), &Overrides::default());
        let from_file = from_file.expect("valid file");
        assert_eq!(from_file.listen.to_string(), "0.0.0.0:8000");
        assert_eq!(from_file.cardinality_limit, 50);

        let vars = env(&[
            ("VICTOR_METRICS_PORT", "9200"),
            ("VICTOR_METRICS_ENABLED", "false"),
        ]);
        let with_env = Config::resolve(Some(f.path()), vars, &Overrides::default()).expect("valid");
        assert_eq!(
            with_env.listen.to_string(),
            "0.0.0.0:9200",
            "env port keeps the file's host"
        );
        assert!(!with_env.metrics_enabled);

        let flags = Overrides {
            listen: Some("127.0.0.1:9300".parse().expect("addr")),
            simulate: true,
            log_format: Some(LogFormat::Json),
            simulate_error_rate: Some(0.3),
            external_url: None,
            rules_file: None,
            web_config_file: Some(PathBuf::from("/etc/victor/web.yml")),
        };
        let vars = env(&[("VICTOR_METRICS_PORT", "9200")]);
        let with_flags = Config::resolve(Some(f.path()), vars, &flags).expect("valid");
        assert_eq!(with_flags.listen.to_string(), "127.0.0.1:9300");
        assert_eq!(
            with_flags.web_config_file.as_deref(),
            Some(Path::new("/etc/victor/web.yml"))
        );
        assert!(with_flags.simulate);
        assert_eq!(with_flags.simulate_error_rate, Some(0.3));
        assert_eq!(with_flags.tracing.log_format, LogFormat::Json);
    }

    #[test]
    fn tracing_comes_from_the_file_then_otel_variables() {
        let f = file(
            "[tracing]\notlp_endpoint = \"http://collector:4318\"\nsampler_arg = 0.2\n\
             log_format = \"json\"\nservice_name = \"edge\"\n",
        );
        let from_file =
            Config::resolve(Some(f.path()), env(&[]), &Overrides::default()).expect("valid file");
        let tracing = &from_file.tracing;
        assert_eq!(
            tracing.traces_endpoint.as_deref(),
            Some("http://collector:4318/v1/traces")
        );
        assert_eq!(tracing.sampling, Sampling::parent_based(0.2));
        assert_eq!(tracing.log_format, LogFormat::Json);
        assert_eq!(tracing.service_name, "edge");

        let vars = env(&[
            ("OTEL_TRACES_EXPORTER", "none"),
            ("OTEL_SERVICE_NAME", "from-env"),
            ("VICTOR_LOG_FORMAT", "human"),
        ]);
        let with_env = Config::resolve(Some(f.path()), vars, &Overrides::default()).expect("valid");
        assert_eq!(with_env.tracing.traces_endpoint, None);
        assert_eq!(with_env.tracing.service_name, "from-env");
        assert_eq!(with_env.tracing.log_format, LogFormat::Human);
    }

    #[test]
    fn bad_tracing_settings_name_the_key() {
        for (text, key) in [
            (
                "[tracing]\notlp_endpoint = \"collector\"\n",
                "tracing.otlp_endpoint",
            ),
            ("[tracing]\nsampler = \"often\"\n", "tracing.sampler"),
            ("[tracing]\nlog_format = \"xml\"\n", "tracing.log_format"),
        ] {
            let f = file(text);
            let err = Config::resolve(Some(f.path()), env(&[]), &Overrides::default())
                .expect_err(text)
                .to_string();
            assert!(err.contains(key), "{err}");
        }
        let err = Config::resolve(
            None,
            env(&[("OTEL_TRACES_SAMPLER_ARG", "2")]),
            &Overrides::default(),
        )
        .expect_err("ratio above 1")
        .to_string();
        assert!(err.contains("OTEL_TRACES_SAMPLER_ARG=\"2\""), "{err}");
    }

    #[test]
    fn bad_env_values_name_the_variable() {
        for (name, value) in [
            ("VICTOR_METRICS_ENABLED", "maybe"),
            ("VICTOR_METRICS_PORT", "99999"),
        ] {
            let err = Config::resolve(None, env(&[(name, value)]), &Overrides::default())
                .expect_err(value)
                .to_string();
            assert!(err.contains(name) && err.contains(value), "{err}");
        }
    }

    #[test]
    fn bad_files_name_the_file_and_line() {
        let f = file("listen = \"127.0.0.1:9091\"\ncardinalty_limit = 5\n");
        let err = Config::resolve(Some(f.path()), env(&[]), &Overrides::default())
            .expect_err("typo")
            .to_string();
        assert!(err.contains(&f.path().display().to_string()), "{err}");
        assert!(
            err.contains("cardinalty_limit") && err.contains("line 2"),
            "{err}"
        );

        let f = file("listen = \"not an address\"\n");
        let err = Config::resolve(Some(f.path()), env(&[]), &Overrides::default());
        assert!(err.expect_err("bad address").to_string().contains("line 1"));

        let f = file("window = \"-1s\"\n");
        let err = Config::resolve(Some(f.path()), env(&[]), &Overrides::default());
        assert!(err.expect_err("negative").to_string().contains("window"));

        let missing = Path::new("/nonexistent/victor.toml");
        let err = Config::resolve(Some(missing), env(&[]), &Overrides::default());
        assert!(
            err.expect_err("missing")
                .to_string()
                .contains("/nonexistent/victor.toml")
        );
    }

    #[test]
    fn the_health_table_sets_probe_thresholds_and_rejects_bad_ones() {
        let f = file(
            "[health]\nstartup_timeout = \"5s\"\nmemory_max_ratio = 0.8\n\
             disk_path = \"/var/lib/victor\"\nshutdown_delay = \"3s500ms\"\n",
        );
        let config = Config::resolve(Some(f.path()), env(&[]), &Overrides::default());
        let health = config.expect("valid").health;
        assert_eq!(health.startup_timeout, Duration::from_secs(5));
        assert_eq!(health.memory_max_ratio, 0.8);
        assert_eq!(health.disk_path, Path::new("/var/lib/victor"));
        assert_eq!(health.shutdown_delay, Duration::from_millis(3500));
        assert_eq!(health.cache_ttl, HealthConfig::default().cache_ttl);

        for (text, key) in [
            (
                "[health]\nmemory_max_ratio = 90\n",
                "health.memory_max_ratio",
            ),
            (
                "[health]\nstartup_timeout = \"0s\"\n",
                "health.startup_timeout",
            ),
            ("[health]\ndisk_min_free = 0.1\n", "disk_min_free"),
        ] {
            let f = file(text);
            let err = Config::resolve(Some(f.path()), env(&[]), &Overrides::default());
            let err = err.expect_err(text).to_string();
            assert!(err.contains(key), "{err}");
        }
    }

    #[test]
    fn check_file_reports_every_problem_at_its_line() {
        let text = "listen = \"localhost\"\n\
                    cardinalty_limit = 5\n\
                    window = 300\n\
                    api_token = \"s3cret\"\n\
                    [health]\n\
                    memory_max_ratio = 90\n\
                    disk_path = \"/data\"\n\
                    [tracing]\n\
                    log_format = \"xml\"\n\
                    [alerting]\n\
                    eval_interval = \"1ms\"\n\
                    webhook_url = \"http://127.0.0.1:1/hook\"\n\
                    [helth]\n\
                    x = 1\n";
        let problems = check_file(text);
        let found: Vec<(usize, &str)> = problems.iter().map(|p| (p.line, p.key.as_str())).collect();
        assert_eq!(
            found,
            [
                (1, "listen"),
                (2, "cardinalty_limit"),
                (3, "window"),
                (6, "health.memory_max_ratio"),
                (9, "tracing.log_format"),
                (11, "alerting.eval_interval"),
                (13, "helth"),
            ],
            "{problems:#?}"
        );
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            shown[1].starts_with("line 2: ")
                && shown[1].contains("unknown field `cardinalty_limit`"),
            "{shown:?}"
        );
        assert!(
            shown[2].contains("window")
                && shown[2].contains("write it as a quoted duration with a unit, such as \"300s\""),
            "{shown:?}"
        );
        assert!(
            shown[3].contains("must be a share between 0 and 1"),
            "{shown:?}"
        );
        assert!(shown[5].contains("at least 100ms"), "{shown:?}");
        assert!(!format!("{problems:?}").contains("s3cret"));
    }

    #[test]
    fn check_file_reports_syntax_errors_and_email_tables_whole() {
        let problems = check_file("listen = \"127.0.0.1:9091\"\nsimulate = \n");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!((problems[0].line, problems[0].key.as_str()), (2, ""));

        let email = "[alerting]\nenabled = true\n[alerting.email]\nhost = \"smtp\"\nport = 99999\n";
        let problems = check_file(email);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(
            (problems[0].line, problems[0].key.as_str()),
            (5, "alerting.email.port")
        );

        let email = "[alerting]\nenabled = true\n[alerting.email]\nhost = \"smtp\"\nfrom = \"not an address\"\nto = [\"b@example.com\"]\n";
        let problems = check_file(email);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(
            (problems[0].line, problems[0].key.as_str()),
            (3, "alerting.email")
        );

        let email = "[alerting.email]\nhost = \"smtp\"\n";
        let problems = check_file(email);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].message.contains("sender is required"),
            "{problems:?}"
        );

        let valid = "listen = \"0.0.0.0:9091\"\napi_token = \"t\"\n[health]\nmemory_max_ratio = 0.8\n\
                     [alerting.email]\nhost = \"smtp\"\nfrom = \"a@example.com\"\nto = [\"b@example.com\"]\n";
        assert_eq!(check_file(valid), []);
    }

    #[test]
    fn the_api_token_comes_from_the_file_or_the_environment_and_is_never_shown() {
        let f = file("api_token = \"from-file\"\n");
        let config = Config::resolve(Some(f.path()), env(&[]), &Overrides::default());
        let config = config.expect("valid");
        assert_eq!(
            config.api_token.as_ref().map(Secret::expose),
            Some("from-file")
        );
        let vars = env(&[("VICTOR_API_TOKEN", "from-env")]);
        let config = Config::resolve(Some(f.path()), vars, &Overrides::default()).expect("valid");
        assert_eq!(
            config.api_token.as_ref().map(Secret::expose),
            Some("from-env")
        );
        assert!(!format!("{config:?}").contains("from-env"));
        let err = Config::resolve(
            None,
            env(&[("VICTOR_API_TOKEN", " ")]),
            &Overrides::default(),
        );
        assert!(err.expect_err("empty").to_string().contains("api_token"));
    }

    #[test]
    fn zero_limits_are_rejected() {
        let f = file("cardinality_limit = 0\n");
        let err = Config::resolve(Some(f.path()), env(&[]), &Overrides::default());
        assert!(
            err.expect_err("zero")
                .to_string()
                .contains("cardinality_limit")
        );
    }

    #[test]
    fn the_alerting_table_sets_channels_and_names_bad_keys() {
        let f = file(
            "[alerting]\neval_interval = \"2s\"\nwebhook_url = \"http://127.0.0.1:1/hook\"\n\
             [alerting.email]\nhost = \"127.0.0.1\"\nsecurity = \"none\"\nfrom = \"a@example.com\"\nto = [\"b@example.com\"]\n",
        );
        let config =
            Config::resolve(Some(f.path()), env(&[]), &Overrides::default()).expect("valid");
        assert_eq!(config.alerting.eval_interval, Duration::from_secs(2));
        assert!(config.alerting.webhook_url.is_some());
        assert_eq!(config.alerting.email.as_ref().map(|e| e.port), Some(25));

        let f = file("[alerting]\neval_interval = \"fast\"\n");
        let err =
            Config::resolve(Some(f.path()), env(&[]), &Overrides::default()).expect_err("bad");
        assert!(err.to_string().contains("alerting.eval_interval"), "{err}");
        let f = file("[alerting.email]\nhost = \"h\"\nsecurity = \"ssl\"\n");
        let err =
            Config::resolve(Some(f.path()), env(&[]), &Overrides::default()).expect_err("bad");
        assert!(
            err.to_string()
                .contains("\"ssl\" is not one of none, starttls, tls"),
            "{err}"
        );
        let f = file("[alerting]\nslack_url = \"x\"\n");
        let err =
            Config::resolve(Some(f.path()), env(&[]), &Overrides::default()).expect_err("bad");
        assert!(err.to_string().contains("slack_url"), "{err}");
        let err = Config::resolve(
            None,
            env(&[]),
            &Overrides {
                simulate_error_rate: Some(1.5),
                ..Overrides::default()
            },
        )
        .expect_err("share");
        assert!(err.to_string().contains("--simulate-error-rate"), "{err}");
    }
}
