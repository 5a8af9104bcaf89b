//! What the tracing pipeline and the logs are set up from: code defaults, then the standard
//! `OTEL_*` environment variables.

use std::str::FromStr;

use opentelemetry_sdk::trace::Sampler;
use thiserror::Error;
use tracing_subscriber::filter::LevelFilter;

/// Where spans go, how many are kept, and how logs look.
///
/// ```
/// use victor_tracing::{Sampling, TracingConfig};
///
/// let config = TracingConfig::new("victor-agent", "1.4.0")
///     .with_env(|name| match name {
///         "OTEL_EXPORTER_OTLP_ENDPOINT" => Some("http://127.0.0.1:4318".into()),
///         "OTEL_TRACES_SAMPLER" => Some("parentbased_traceidratio".into()),
///         "OTEL_TRACES_SAMPLER_ARG" => Some("0.1".into()),
///         _ => None,
///     })?;
/// assert_eq!(config.traces_endpoint.as_deref(), Some("http://127.0.0.1:4318/v1/traces"));
/// assert_eq!(config.sampling, Sampling::parent_based(0.1));
/// # Ok::<(), victor_tracing::ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct TracingConfig {
    /// `service.name` of every span (`OTEL_SERVICE_NAME`).
    pub service_name: String,
    /// `service.version` of every span.
    pub service_version: String,
    /// The full OTLP/HTTP traces URL (`…/v1/traces`). `None`: no span is exported and the
    /// OpenTelemetry layer is not installed, so spans cost what plain `tracing` costs.
    pub traces_endpoint: Option<String>,
    /// Which traces are kept.
    pub sampling: Sampling,
    /// How log lines look.
    pub log_format: LogFormat,
    /// The most verbose log level written. Spans are exported down to `INFO` whatever this says.
    pub log_level: LevelFilter,
    /// `RUST_LOG`-style directives (`warn,victor_exporter=debug`), which replace `log_level`
    /// when set: the standard way to turn one module up at 3 a.m.
    pub log_directives: Option<String>,
    /// Whether export bodies are gzip-compressed (`OTEL_EXPORTER_OTLP_COMPRESSION=gzip`).
    pub compression: OtlpCompression,
    /// A PEM file of certificate authorities trusted for an `https://` endpoint, beside the
    /// platform's (`OTEL_EXPORTER_OTLP_CERTIFICATE`): a collector with a private CA.
    pub certificate: Option<std::path::PathBuf>,
}

/// How OTLP export bodies are encoded on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OtlpCompression {
    /// As they are (the specification's default).
    #[default]
    None,
    /// gzip, sent with `Content-Encoding: gzip`: a tenth of the bytes for typical spans.
    Gzip,
}

impl TracingConfig {
    /// Defaults for a service: no export, every trace kept (parent-based, as in development),
    /// human-readable logs at `INFO`.
    pub fn new(service_name: impl Into<String>, service_version: impl Into<String>) -> Self {
        TracingConfig {
            service_name: service_name.into(),
            service_version: service_version.into(),
            traces_endpoint: None,
            sampling: Sampling::parent_based(1.0),
            log_format: LogFormat::Human,
            log_level: LevelFilter::INFO,
            log_directives: None,
            compression: OtlpCompression::None,
            certificate: None,
        }
    }

    /// Applies the standard variables, read through `env` so tests can pass their own:
    /// `OTEL_SDK_DISABLED`, `OTEL_SERVICE_NAME`, `OTEL_EXPORTER_OTLP_ENDPOINT` (a base URL;
    /// `/v1/traces` is appended), `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as given),
    /// `OTEL_TRACES_EXPORTER` (`otlp` or `none`), `OTEL_TRACES_SAMPLER` and
    /// `OTEL_TRACES_SAMPLER_ARG` (alone, it sets the ratio of the parent-based default), and
    /// `RUST_LOG` (env-filter directives, checked here), and `OTEL_EXPORTER_OTLP_PROTOCOL` /
    /// `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` (`http/protobuf` only: `grpc` is refused, saying
    /// how to reach a collector), `OTEL_EXPORTER_OTLP_COMPRESSION` /
    /// `OTEL_EXPORTER_OTLP_TRACES_COMPRESSION` (`gzip` or `none`) and
    /// `OTEL_EXPORTER_OTLP_CERTIFICATE` / `OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE` (a PEM file of
    /// CAs for an `https://` collector). The OTLP exporter itself also honours
    /// `OTEL_EXPORTER_OTLP_HEADERS` and `_TIMEOUT`; `OTEL_RESOURCE_ATTRIBUTES` adds attributes
    /// to every span's resource, as the SDK reads it.
    ///
    /// # Errors
    /// [`ConfigError`] naming the variable and its value.
    pub fn with_env(mut self, env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &'static str| {
            env(name)
                .map(|value| (name, value))
                .filter(|(_, value)| !value.trim().is_empty())
        };
        if let Some((_, name)) = var("OTEL_SERVICE_NAME") {
            self.service_name = name;
        }
        if let Some((name, value)) = var("RUST_LOG") {
            tracing_subscriber::EnvFilter::builder()
                .parse(value.trim())
                .map_err(|err| {
                    ConfigError::new(
                        name,
                        &value,
                        format!("{err}; expected directives such as warn,victor_exporter=debug"),
                    )
                })?;
            self.log_directives = Some(value.trim().to_owned());
        }
        if let Some((name, value)) = var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
            self.traces_endpoint = Some(checked_endpoint(name, &value, false)?);
        } else if let Some((name, value)) = var("OTEL_EXPORTER_OTLP_ENDPOINT") {
            self.traces_endpoint = Some(checked_endpoint(name, &value, true)?);
        }
        let protocol = var("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
            .or_else(|| var("OTEL_EXPORTER_OTLP_PROTOCOL"));
        if let Some((name, value)) = protocol {
            match value.trim() {
                "http/protobuf" => {}
                "grpc" => {
                    return Err(ConfigError::new(
                        name,
                        &value,
                        "OTLP over gRPC is not built in: spans go over OTLP/HTTP (protobuf). \
                         Point OTEL_EXPORTER_OTLP_ENDPOINT at the collector's HTTP receiver \
                         (port 4318), or let a collector take gRPC and forward",
                    ));
                }
                "http/json" => {
                    return Err(ConfigError::new(
                        name,
                        &value,
                        "OTLP/HTTP with JSON is not built in; use http/protobuf",
                    ));
                }
                _ => {
                    return Err(ConfigError::new(
                        name,
                        &value,
                        "expected http/protobuf (grpc and http/json are not built in)",
                    ));
                }
            }
        }
        let compression = var("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION")
            .or_else(|| var("OTEL_EXPORTER_OTLP_COMPRESSION"));
        if let Some((name, value)) = compression {
            self.compression = match value.trim().to_ascii_lowercase().as_str() {
                "gzip" => OtlpCompression::Gzip,
                "none" => OtlpCompression::None,
                _ => {
                    return Err(ConfigError::new(
                        name,
                        &value,
                        "expected gzip or none (zstd is not built in)",
                    ));
                }
            };
        }
        let certificate = var("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE")
            .or_else(|| var("OTEL_EXPORTER_OTLP_CERTIFICATE"));
        if let Some((name, value)) = certificate {
            let path = std::path::PathBuf::from(value.trim());
            if !path.is_file() {
                return Err(ConfigError::new(
                    name,
                    &value,
                    "no such file; expected a PEM file of certificate authorities",
                ));
            }
            self.certificate = Some(path);
        }
        if let Some((name, value)) = var("OTEL_TRACES_EXPORTER") {
            match value.trim() {
                "otlp" => {}
                "none" => self.traces_endpoint = None,
                _ => return Err(ConfigError::new(name, &value, "expected otlp or none")),
            }
        }
        if let Some((name, value)) = var("OTEL_SDK_DISABLED") {
            match value.trim().to_ascii_lowercase().as_str() {
                "true" => self.traces_endpoint = None,
                "false" => {}
                _ => return Err(ConfigError::new(name, &value, "expected true or false")),
            }
        }
        let sampler = var("OTEL_TRACES_SAMPLER");
        let arg = var("OTEL_TRACES_SAMPLER_ARG");
        if sampler.is_some() || arg.is_some() {
            let (name, value) = sampler.unwrap_or(("OTEL_TRACES_SAMPLER", String::new()));
            let named = Some(value.as_str()).filter(|v| !v.is_empty());
            self.sampling = (self.sampling)
                .updated(named, arg.as_ref().map(|(_, arg)| arg.as_str()))
                .map_err(|reason| match (&arg, reason) {
                    (Some((arg_name, arg)), SamplingError::Arg(reason)) => {
                        ConfigError::new(arg_name, arg, reason)
                    }
                    (_, reason) => ConfigError::new(name, &value, reason.to_string()),
                })?;
        }
        Ok(self)
    }

    /// Sets the OTLP/HTTP base URL (`http://collector:4318`, or `https://…`), as
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` does; `key` names the setting in errors.
    ///
    /// # Errors
    /// [`ConfigError`] when it is not an `http://` or `https://` URL with a host.
    pub fn set_otlp_endpoint(&mut self, key: &str, base: &str) -> Result<(), ConfigError> {
        self.traces_endpoint = Some(checked_endpoint(key, base, true)?);
        Ok(())
    }
}

/// Checks an OTLP/HTTP URL and, for a base URL, appends the traces path.
fn checked_endpoint(key: &str, value: &str, base: bool) -> Result<String, ConfigError> {
    let trimmed = value.trim();
    let expected = "expected a URL such as http://127.0.0.1:4318 or https://collector:4318";
    let uri = trimmed
        .parse::<http::Uri>()
        .map_err(|_| ConfigError::new(key, value, expected))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
        return Err(ConfigError::new(key, value, expected));
    }
    Ok(if base {
        format!("{}/v1/traces", trimmed.trim_end_matches('/'))
    } else {
        trimmed.to_owned()
    })
}

/// Which traces are kept: a share of new traces, and whether a span follows its parent's
/// decision (parent-based, the default, so a trace is kept or dropped whole across services).
///
/// The source's advice: keep everything in development, 10–20 % in production.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sampling {
    /// The share of traces kept, 0 to 1 (by trace id, so every service decides alike).
    pub ratio: f64,
    /// Whether a span with a parent takes the parent's decision instead.
    pub parent_based: bool,
}

impl Sampling {
    /// Keep `ratio` of new traces, and follow the parent's decision when there is one.
    pub const fn parent_based(ratio: f64) -> Self {
        Sampling {
            ratio,
            parent_based: true,
        }
    }

    /// Parses the `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` pair. The argument is the
    /// ratio of the `traceidratio` samplers (1 when absent) and ignored by the others.
    ///
    /// # Errors
    /// [`SamplingError`] saying which of the two is wrong.
    pub fn parse(sampler: &str, arg: Option<&str>) -> Result<Sampling, SamplingError> {
        let ratio = || match arg {
            None => Ok(1.0),
            Some(arg) => match arg.trim().parse::<f64>() {
                Ok(ratio) if (0.0..=1.0).contains(&ratio) => Ok(ratio),
                _ => Err(SamplingError::Arg("expected a ratio from 0 to 1")),
            },
        };
        let (ratio, parent_based) = match sampler.trim() {
            "always_on" => (1.0, false),
            "always_off" => (0.0, false),
            "traceidratio" => (ratio()?, false),
            "parentbased_always_on" => (1.0, true),
            "parentbased_always_off" => (0.0, true),
            "parentbased_traceidratio" => (ratio()?, true),
            _ => return Err(SamplingError::Name),
        };
        Ok(Sampling {
            ratio,
            parent_based,
        })
    }

    /// This sampling with a sampler name and/or argument applied: an argument alone sets the
    /// ratio of the current kind of sampler (parent-based or not).
    ///
    /// # Errors
    /// [`SamplingError`] saying which of the two is wrong.
    pub fn updated(
        self,
        sampler: Option<&str>,
        arg: Option<&str>,
    ) -> Result<Sampling, SamplingError> {
        let ratio_kind = if self.parent_based {
            "parentbased_traceidratio"
        } else {
            "traceidratio"
        };
        match (sampler, arg) {
            (None, None) => Ok(self),
            (sampler, arg) => Sampling::parse(sampler.unwrap_or(ratio_kind), arg),
        }
    }

    /// The `OTEL_TRACES_SAMPLER` value this corresponds to.
    pub fn variable_name(&self) -> &'static str {
        match (self.parent_based, self.ratio) {
            (true, r) if r >= 1.0 => "parentbased_always_on",
            (true, r) if r <= 0.0 => "parentbased_always_off",
            (true, _) => "parentbased_traceidratio",
            (false, r) if r >= 1.0 => "always_on",
            (false, r) if r <= 0.0 => "always_off",
            (false, _) => "traceidratio",
        }
    }

    pub(crate) fn sampler(&self) -> Sampler {
        let root = if self.ratio >= 1.0 {
            Sampler::AlwaysOn
        } else if self.ratio <= 0.0 {
            Sampler::AlwaysOff
        } else {
            Sampler::TraceIdRatioBased(self.ratio)
        };
        if self.parent_based {
            Sampler::ParentBased(Box::new(root))
        } else {
            root
        }
    }
}

/// Why an `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` pair was refused.
#[derive(Clone, Copy, Debug, Error, PartialEq)]
pub enum SamplingError {
    /// The sampler name is not one of the six standard ones.
    #[error(
        "expected always_on, always_off, traceidratio, parentbased_always_on, \
         parentbased_always_off or parentbased_traceidratio"
    )]
    Name,
    /// The ratio is not a number from 0 to 1.
    #[error("{0}")]
    Arg(&'static str),
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// One readable line per event, coloured on a terminal.
    #[default]
    Human,
    /// One JSON object per line with timestamp, level, target, message, fields, the span name
    /// and, inside a trace, `trace_id` and `span_id`, for log pipelines that join logs to traces.
    Json,
}

impl FromStr for LogFormat {
    type Err = &'static str;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim().to_ascii_lowercase().as_str() {
            "human" | "text" => Ok(LogFormat::Human),
            "json" => Ok(LogFormat::Json),
            _ => Err("expected human or json"),
        }
    }
}

/// A setting that cannot be used, naming the variable or key and its value.
#[derive(Clone, Debug, Error, PartialEq)]
#[error("invalid {key}={value:?}: {reason}")]
pub struct ConfigError {
    /// The environment variable or configuration key.
    pub key: String,
    /// The value given.
    pub value: String,
    /// What it should be.
    pub reason: String,
}

impl ConfigError {
    /// An error for `key` set to `value`.
    pub fn new(key: &str, value: &str, reason: impl Into<String>) -> Self {
        ConfigError {
            key: key.to_owned(),
            value: value.to_owned(),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    fn resolve(vars: &[(&str, &str)]) -> Result<TracingConfig, ConfigError> {
        TracingConfig::new("svc", "1.0").with_env(env(vars))
    }

    #[test]
    fn defaults_export_nothing_and_keep_every_trace() {
        let config = resolve(&[]).expect("defaults");
        assert_eq!(config.traces_endpoint, None);
        assert_eq!(config.sampling, Sampling::parent_based(1.0));
        assert_eq!(config.service_name, "svc");
    }

    #[test]
    fn only_otlp_over_http_protobuf_is_taken_and_grpc_says_what_to_do() {
        let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318");
        assert!(resolve(&[endpoint, ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")]).is_ok());
        let grpc = resolve(&[endpoint, ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")])
            .expect_err("grpc")
            .to_string();
        assert!(
            grpc.contains("OTEL_EXPORTER_OTLP_PROTOCOL") && grpc.contains("4318"),
            "{grpc}"
        );
        let json = resolve(&[("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json")])
            .expect_err("json")
            .to_string();
        assert!(
            json.contains("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"),
            "{json}"
        );
    }

    #[test]
    fn rust_log_directives_are_checked_and_kept() {
        let config = resolve(&[("RUST_LOG", " warn,victor_alerting=debug ")]).expect("directives");
        assert_eq!(
            config.log_directives.as_deref(),
            Some("warn,victor_alerting=debug")
        );
        let err = resolve(&[("RUST_LOG", "victor=loud")]).expect_err("bad level");
        let shown = err.to_string();
        assert!(
            shown.contains("RUST_LOG") && shown.contains("victor=loud"),
            "{shown}"
        );
        assert_eq!(resolve(&[]).expect("none").log_directives, None);
    }

    #[test]
    fn endpoints_follow_the_otlp_rules() {
        let base = resolve(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/")]).expect("base");
        assert_eq!(
            base.traces_endpoint.as_deref(),
            Some("http://c:4318/v1/traces")
        );
        let signal = resolve(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t:9/custom"),
        ])
        .expect("signal");
        assert_eq!(signal.traces_endpoint.as_deref(), Some("http://t:9/custom"));
        for off in [
            ("OTEL_TRACES_EXPORTER", "none"),
            ("OTEL_SDK_DISABLED", "true"),
        ] {
            let config =
                resolve(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"), off]).expect("off");
            assert_eq!(config.traces_endpoint, None, "{off:?}");
        }
    }

    #[test]
    fn samplers_parse_with_their_argument() {
        let ratio = resolve(&[
            ("OTEL_TRACES_SAMPLER", "traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.2"),
        ])
        .expect("ratio");
        assert_eq!(
            ratio.sampling,
            Sampling {
                ratio: 0.2,
                parent_based: false
            }
        );
        let arg_only = resolve(&[("OTEL_TRACES_SAMPLER_ARG", "0.1")]).expect("arg only");
        assert_eq!(arg_only.sampling, Sampling::parent_based(0.1));
        let off = resolve(&[("OTEL_TRACES_SAMPLER", "parentbased_always_off")]).expect("off");
        assert_eq!(off.sampling, Sampling::parent_based(0.0));
    }

    #[test]
    fn compression_and_https_are_read_from_the_standard_variables() {
        let gzip = resolve(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318"),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
        ])
        .expect("gzip over https");
        assert_eq!(gzip.compression, OtlpCompression::Gzip);
        assert_eq!(
            gzip.traces_endpoint.as_deref(),
            Some("https://collector:4318/v1/traces")
        );
        let signal = resolve(&[
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
            ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "none"),
        ])
        .expect("the signal's variable wins");
        assert_eq!(signal.compression, OtlpCompression::None);
    }

    #[test]
    fn errors_name_the_variable_and_value() {
        let cases = [
            (("OTEL_TRACES_SAMPLER", "sometimes"), "OTEL_TRACES_SAMPLER"),
            (
                ("OTEL_TRACES_SAMPLER_ARG", "1.5"),
                "OTEL_TRACES_SAMPLER_ARG",
            ),
            (
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "c:4318"),
                "OTEL_EXPORTER_OTLP_ENDPOINT",
            ),
            (
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://c"),
                "OTEL_EXPORTER_OTLP_ENDPOINT",
            ),
            (("OTEL_TRACES_EXPORTER", "jaeger"), "OTEL_TRACES_EXPORTER"),
            (
                ("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"),
                "OTEL_EXPORTER_OTLP_COMPRESSION",
            ),
            (
                ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent/ca.pem"),
                "OTEL_EXPORTER_OTLP_CERTIFICATE",
            ),
        ];
        for ((name, value), key) in cases {
            let err = resolve(&[(name, value)]).expect_err(value);
            assert_eq!(err.key, key);
            assert_eq!(err.value, value);
            assert!(
                err.to_string().starts_with(&format!("invalid {key}=")),
                "{err}"
            );
        }
    }

    #[test]
    fn sampling_names_round_trip() {
        for name in [
            "always_on",
            "always_off",
            "parentbased_always_on",
            "parentbased_always_off",
        ] {
            let sampling = Sampling::parse(name, None).expect(name);
            assert_eq!(sampling.variable_name(), name);
        }
        assert_eq!(
            Sampling::parse("traceidratio", Some("0.5"))
                .expect("ratio")
                .variable_name(),
            "traceidratio"
        );
    }
}
