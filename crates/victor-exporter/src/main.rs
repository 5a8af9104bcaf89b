//! `victor-exporter`: serves a Victor deployment's metrics to Prometheus.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use tracing_subscriber::filter::LevelFilter;
use victor_exporter::Exporter;
use victor_exporter::config::{Config, Overrides};
use victor_tracing::Telemetry;

/// Serves a Victor AI deployment's metrics to Prometheus, and alerts on them.
///
/// With no arguments it listens on 127.0.0.1:9091 and serves GET /metrics, the Kubernetes
/// probes GET /health/live, /health/ready and /health/startup, and GET /api/alerts (pending and
/// firing alerts of the built-in rules, evaluated every 15 s). Settings come from
/// defaults, then the --config file, then the environment (VICTOR_METRICS_ENABLED,
/// VICTOR_METRICS_PORT, VICTOR_LOG_FORMAT and the standard OTEL_* variables), then these flags;
/// each overrides the one before.
///
/// Its own requests are measured (victor_requests_total by route) and traced: set
/// OTEL_EXPORTER_OTLP_ENDPOINT (e.g. http://127.0.0.1:4318) to export spans over OTLP/HTTP,
/// continuing the trace of any caller that sends a W3C traceparent.
///
/// Alerts are delivered to every channel configured: VICTOR_ALERT_WEBHOOK_URL (JSON, signed with
/// VICTOR_ALERT_WEBHOOK_SECRET), VICTOR_ALERT_SLACK_WEBHOOK_URL, email (VICTOR_ALERT_SMTP_HOST,
/// _PORT, _SECURITY, _USERNAME, _PASSWORD, VICTOR_ALERT_EMAIL_FROM, VICTOR_ALERT_EMAIL_TO) and
/// VICTOR_ALERTMANAGER_URL; VICTOR_ALERT_EVAL_INTERVAL (e.g. 1s) sets how often rules run. To see
/// alerting work: --simulate --simulate-error-rate 0.3 with VICTOR_ALERT_EVAL_INTERVAL=1s fires
/// HighErrorRate after its 2-minute `for`.
///
/// Agents post events to POST /api/events, and `victor alerts test CHANNEL` sends a test
/// notification through POST /api/alerts/test/CHANNEL. These routes change state: with
/// VICTOR_API_TOKEN set they need `Authorization: Bearer <token>`; without it they are open on
/// loopback and refused when listening beyond it (e.g. --listen 0.0.0.0:9091).
///
/// On SIGTERM readiness turns 503 for health.shutdown_delay, in-flight requests get 10 s,
/// and blocking calls still running get 2 s more. Exit codes: 0 stopped cleanly; 1 an error (the
/// line before says which); 2 invalid arguments; 3 stopped, but a blocking call that never
/// returned (a health check or host call, e.g. on a hung mount) was abandoned.
#[derive(Debug, Parser)]
#[command(name = "victor-exporter", version, about, long_about)]
struct Cli {
    /// Address to listen on: IP:PORT, HOST:PORT or :PORT for every interface; also spelt
    /// --web.listen-address, as other Prometheus exporters do [default: 127.0.0.1:9091;
    /// VICTOR_METRICS_PORT sets only the port]
    #[arg(long, visible_alias = "web.listen-address", value_name = "ADDR",
          value_parser = victor_exporter::config::listen_address)]
    listen: Option<SocketAddr>,

    /// The URL people and Alertmanager reach this exporter at, as Prometheus' flag of the same
    /// name: the base of generatorURL and of the links in notifications [default:
    /// http://<host name>:<listen port>; VICTOR_EXTERNAL_URL]
    #[arg(long = "web.external-url", value_name = "URL", value_parser = victor_exporter::config::external_url)]
    external_url: Option<url::Url>,

    /// TOML configuration file (keys: listen, metrics_enabled, cardinality_limit,
    /// window, header_read_timeout, simulate,
    /// events_max_body_bytes, max_connections, api_token, external_url; and in a
    /// [health] table: startup_timeout, cache_ttl, memory_max_ratio, disk_path,
    /// disk_min_free_ratio, shutdown_delay; in a [tracing] table: otlp_endpoint, sampler,
    /// sampler_arg, service_name, log_format; in an [alerting] table: enabled, mode,
    /// eval_interval, webhook_url, webhook_secret, slack_webhook_url, alertmanager_url,
    /// pagerduty_routing_key, pagerduty_url; [alerting.email]: host, port, security, username,
    /// password, from, to; [alerting.labels]: labels on every alert; [alerting.rules.NAME]:
    /// enabled, threshold, for, keep_firing_for, severity, channels; [alerting.routes]:
    /// channels per severity)
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Web configuration file in the format of Prometheus exporters (exporter-toolkit): TLS
    /// (tls_server_config: cert_file, key_file, min_version, max_version, client_auth_type,
    /// client_ca_file) and basic auth for every route (basic_auth_users: user: bcrypt hash).
    /// POST routes also take the API token instead of a password
    #[arg(long = "web.config.file", value_name = "FILE")]
    web_config_file: Option<PathBuf>,

    /// Feed a built-in synthetic Victor workload (requests, LLM calls, tools, caches, verticals,
    /// with a recurring incident) so every dashboard panel and alert can be seen working without
    /// a real agent
    #[arg(long)]
    simulate: bool,

    /// With --simulate: the share of simulated requests that fail with a 5xx, all the time
    /// (0 to 1; e.g. 0.3 fires the error-rate alerts)
    #[arg(long, value_name = "SHARE", requires = "simulate")]
    simulate_error_rate: Option<f64>,

    /// A Prometheus rule file (YAML) of your own alerts, evaluated beside the defaults; the
    /// engine refuses, naming it, any expression it cannot evaluate (`victor check rules FILE`
    /// checks one offline) [VICTOR_ALERT_RULES_FILE]
    #[arg(long, value_name = "FILE")]
    rules: Option<PathBuf>,

    /// Print the alert rules in force (the defaults with the configuration's overrides) as a
    /// Prometheus rule file and exit, so a fleet's Prometheus alerts on the same thresholds
    #[arg(long)]
    print_rules: bool,

    /// Log verbosity: off, error, warn, info, debug or trace. RUST_LOG takes finer directives
    /// (e.g. warn,victor_alerting=debug); this flag, when given, wins over it [default: info]
    #[arg(long, value_name = "LEVEL")]
    log_level: Option<LevelFilter>,

    /// Log lines as human-readable text or JSON (with trace_id and span_id) [default: human]
    #[arg(long, value_name = "FORMAT", value_parser = ["human", "json"])]
    log_format: Option<String>,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => err.exit(), // --help, --version
        Err(err) => {
            // One line naming the problem, not clap's usage block.
            let rendered = err.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments");
            eprintln!(
                "victor-exporter: {}; see --help",
                first.trim_start_matches("error: ")
            );
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(Stopped::Cleanly) => ExitCode::SUCCESS,
        Ok(Stopped::Abandoning) => ExitCode::from(3),
        Err(err) => {
            eprintln!("victor-exporter: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// How serving ended.
enum Stopped {
    /// Everything finished.
    Cleanly,
    /// Blocking calls that never returned were left behind (exit code 3).
    Abandoning,
}

fn run(cli: Cli) -> anyhow::Result<Stopped> {
    let overrides = Overrides {
        listen: cli.listen,
        simulate: cli.simulate,
        log_format: cli.log_format.as_deref().and_then(|f| f.parse().ok()),
        simulate_error_rate: cli.simulate_error_rate,
        external_url: cli.external_url,
        rules_file: cli.rules,
        web_config_file: cli.web_config_file,
    };
    let mut config = Config::resolve(
        cli.config.as_deref(),
        |name| std::env::var(name).ok(),
        &overrides,
    )?;
    if let Some(level) = cli.log_level {
        config.tracing.log_level = level;
        config.tracing.log_directives = None;
    }
    if cli.print_rules {
        let generator_url = format!("{}/api/alerts", config.external_url());
        let channels = victor_exporter::alerting::channels(&config.alerting, &generator_url)?;
        let names: Vec<&str> = channels.iter().map(|(name, _)| *name).collect();
        let rules = victor_exporter::alerting::effective_rules(&config.alerting, &names)
            .context("invalid alerting configuration")?;
        let text = victor_exporter::alerting::rule_file(&config.alerting, &rules, &config.slos);
        std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes())
            .context("cannot write the rules to standard output")?;
        return Ok(Stopped::Cleanly);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("victor-exporter")
        .build()
        .context("cannot start the async runtime")?;
    let tracing_config = config.tracing.clone();
    let served = runtime.block_on(async {
        let exporter = Exporter::new(config)?;
        // After the recorder is installed, so the span export counters are registered with it.
        let telemetry = Telemetry::install(&tracing_config, exporter.span_pipeline())
            .context("cannot set up logging and tracing")?;
        let listener = exporter.bind().await?;
        exporter.serve(listener, shutdown_signal()).await?;
        // Flush queued spans off the async workers; the export waits on the receiver, at most
        // the drain timeout.
        let flush = tokio::task::spawn_blocking(move || telemetry.shutdown());
        if tokio::time::timeout(victor_exporter::DRAIN_TIMEOUT, flush)
            .await
            .is_err()
        {
            tracing::warn!("spans still unexported after the drain timeout; dropping them");
        }
        anyhow::Ok(())
    });
    // Never `Runtime::drop`: it waits for ever on a blocking call that never returns.
    let clean = victor_exporter::stop_runtime(runtime);
    served?;
    Ok(if clean {
        Stopped::Cleanly
    } else {
        Stopped::Abandoning
    })
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}
