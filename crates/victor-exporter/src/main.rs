//! `victor-exporter`: serves a Victor deployment's metrics to Prometheus.

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use tracing_subscriber::filter::LevelFilter;
use victor_exporter::Exporter;
use victor_exporter::config::{Config, Overrides};

/// Serves a Victor AI deployment's metrics to Prometheus.
///
/// With no arguments it listens on 127.0.0.1:9091 and serves GET /metrics and the Kubernetes
/// probes GET /health/live, /health/ready and /health/startup. Settings come from
/// defaults, then the --config file, then the environment (VICTOR_METRICS_ENABLED,
/// VICTOR_METRICS_PORT), then these flags; each overrides the one before.
#[derive(Debug, Parser)]
#[command(name = "victor-exporter", version, about, long_about)]
struct Cli {
    /// Address to listen on [default: 127.0.0.1:9091; VICTOR_METRICS_PORT sets only the port]
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,

    /// TOML configuration file (keys: listen, metrics_enabled, cardinality_limit,
    /// upkeep_interval_seconds, window_seconds, header_read_timeout_seconds, simulate; and in a
    /// [health] table: startup_timeout_seconds, cache_ttl_seconds, memory_max_ratio, disk_path,
    /// disk_min_free_ratio, shutdown_delay_seconds)
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Feed a built-in synthetic Victor workload (requests, LLM calls, tools, caches, verticals,
    /// with a recurring incident) so every dashboard panel and alert can be seen working without
    /// a real agent
    #[arg(long)]
    simulate: bool,

    /// Log verbosity: off, error, warn, info, debug or trace
    #[arg(long, value_name = "LEVEL", default_value = "info")]
    log_level: LevelFilter,
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
    tracing_subscriber::fmt()
        .with_max_level(cli.log_level)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("victor-exporter: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let overrides = Overrides {
        listen: cli.listen,
        simulate: cli.simulate,
    };
    let config = Config::resolve(
        cli.config.as_deref(),
        |name| std::env::var(name).ok(),
        &overrides,
    )?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("victor-exporter")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let exporter = Exporter::new(config)?;
        let listener = exporter.bind().await?;
        exporter.serve(listener, shutdown_signal()).await
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
