//! `victor`: the operator's command line for a running victor-exporter.

mod alerts;
mod client;
mod format;
mod http_config;
mod metrics;
mod status;

use std::io::{IsTerminal as _, Read as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use clap::{CommandFactory as _, Parser, Subcommand};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::client::{ApiError, Client};
use crate::format::{BAD, BOLD, DIM, GOOD, paint};
use crate::metrics::View;

/// Checks and inspects a running victor-exporter: probes, performance figures, alerts, event
/// ingestion and configuration files.
///
/// It talks to the exporter's HTTP API at --url (VICTOR_URL, default http://127.0.0.1:9091).
/// Output is for people (aligned tables, colour on a terminal; NO_COLOR turns colour off) unless
/// -o json (or --json) asks for one JSON document per answer, for scripts; -o wide adds the
/// columns a table leaves out.
#[derive(Debug, Parser)]
#[command(
    name = "victor",
    version,
    about,
    long_about,
    after_help = "Exit status: 0 done (healthy; every event accepted; configuration valid); \
                  1 unhealthy, an error answer, rejected events, a failed test notification, \
                  configuration problems or an unreadable file; 2 the command line is wrong; \
                  3 the exporter is unreachable or did not answer within --timeout."
)]
struct Cli {
    /// The exporter's base URL
    #[arg(
        long,
        global = true,
        env = "VICTOR_URL",
        hide_env_values = true,
        default_value = "http://127.0.0.1:9091",
        value_name = "URL"
    )]
    url: String,

    /// Output format: table (for people), wide (a table with every column: alerts add value,
    /// fingerprint and runbook), or json (one document per answer, for scripts)
    #[arg(
        short = 'o',
        long,
        global = true,
        value_enum,
        default_value = "table",
        value_name = "FORMAT"
    )]
    output: Output,

    /// Same as -o json
    #[arg(long, global = true, conflicts_with = "output")]
    json: bool,

    /// Give up on a request after this long (e.g. 500ms, 10s)
    #[arg(long, global = true, default_value = "10s", value_name = "DURATION", value_parser = parse_timeout)]
    timeout: Duration,

    /// Bearer token for the routes that change state (send-event, alerts test); the exporter's
    /// VICTOR_API_TOKEN
    #[arg(
        long,
        global = true,
        env = "VICTOR_API_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    token: Option<String>,

    /// HTTP client settings for an exporter behind --web.config.file, in the YAML promtool and
    /// amtool take: basic_auth (username, password or password_file), authorization (type,
    /// credentials or credentials_file), tls_config (ca_file, cert_file, key_file,
    /// insecure_skip_verify); paths relative to the file
    #[arg(
        long = "http.config.file",
        global = true,
        env = "VICTOR_HTTP_CONFIG_FILE",
        hide_env_values = true,
        value_name = "FILE"
    )]
    http_config_file: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The startup, liveness and readiness probes with every check (exit 0 healthy, 1 unhealthy,
    /// 3 unreachable)
    Status,

    /// Performance figures: summary, cache, providers, tools, system or slos
    Metrics {
        /// What to show
        #[arg(value_enum, default_value = "summary")]
        view: View,

        /// Refresh at this interval in place until interrupted (e.g. 2s, 500ms, 1m; with -o
        /// json: one line per refresh)
        #[arg(long, value_name = "DURATION", value_parser = parse_interval)]
        watch: Option<Duration>,
    },

    /// Pending and firing alerts, with severity and since when
    #[command(args_conflicts_with_subcommands = true)]
    Alerts {
        #[command(subcommand)]
        command: Option<AlertsCommand>,
    },

    /// Post NDJSON events (or a JSON array) from FILE, or standard input for -, to
    /// POST /api/events, and print what was accepted and rejected (exit 1 if any was rejected)
    SendEvent {
        /// The events file, or - for standard input
        #[arg(value_name = "FILE|-")]
        file: PathBuf,
    },

    /// Validate files without starting anything
    Check {
        #[command(subcommand)]
        what: CheckCommand,
    },

    /// Print a shell completion script (e.g. `victor completions bash > /etc/bash_completion.d/victor`)
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
enum AlertsCommand {
    /// Send a test notification through a configured channel of the exporter (webhook, slack,
    /// email or alertmanager), once, now, and report whether it was delivered
    Test {
        /// The channel's name
        channel: String,
    },
}

#[derive(Debug, Subcommand)]
enum CheckCommand {
    /// Check an exporter configuration file (TOML): every unknown key, wrong type and value out
    /// of range, each with its line (exit 1 when there is any)
    Config {
        /// The file
        file: PathBuf,
    },
    /// Check a Prometheus rule file of your own alerts (YAML): every rule the exporter's engine
    /// cannot evaluate, naming the construct (exit 1 when there is any)
    Rules {
        /// The file
        file: PathBuf,
    },
}

fn parse_timeout(value: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(value)
        .map_err(|err| format!("{err}; expected a duration such as 500ms or 10s"))?;
    if duration.is_zero() {
        return Err("must be greater than 0".into());
    }
    Ok(duration)
}

fn parse_interval(value: &str) -> Result<Duration, String> {
    if value.trim().parse::<f64>().is_ok() {
        return Err(format!(
            "{value} has no unit; write a duration such as {}s or 500ms",
            value.trim()
        ));
    }
    let duration = humantime::parse_duration(value)
        .map_err(|err| format!("{err}; expected a duration such as 2s, 500ms or 1m"))?;
    if !(Duration::from_millis(100)..=Duration::from_secs(86_400)).contains(&duration) {
        return Err("expected between 100ms and 24h".into());
    }
    Ok(duration)
}

/// How answers are printed (`-o`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Output {
    /// Aligned tables for people
    Table,
    /// Tables with every column a view has
    Wide,
    /// One JSON document per answer
    Json,
}

/// Exit code when the exporter is unreachable or timed out (distinct from clap's 2 for usage).
const EXIT_UNREACHABLE: u8 = 3;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Exit 0.
    Done,
    /// Exit 1: unhealthy, rejected, invalid, failed.
    NotOk,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => err.exit(), // --help and --version exit 0; usage errors 2, with clap's hint
    };
    match run(&cli) {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::NotOk) => ExitCode::from(1),
        Err(err) => {
            let unreachable = err
                .downcast_ref::<ApiError>()
                .is_some_and(ApiError::is_unreachable);
            let mut stderr = anstream::stderr();
            let _ = writeln!(stderr, "{} {err:#}", paint(BAD, "victor: error:"));
            ExitCode::from(if unreachable { EXIT_UNREACHABLE } else { 1 })
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<Outcome> {
    let client = || -> Result<Client, ApiError> {
        let settings = match &cli.http_config_file {
            Some(path) => http_config::read(path).map_err(ApiError::HttpConfig)?,
            None => http_config::HttpSettings::default(),
        };
        Client::new(&cli.url, cli.timeout, cli.token.clone(), settings)
    };
    let output = if cli.json { Output::Json } else { cli.output };
    let as_json = output == Output::Json;
    let wide = output == Output::Wide;
    match &cli.command {
        Command::Status => {
            let status = status::Status::fetch(&client()?)?;
            if as_json {
                print_json(&status.json())?;
            } else {
                print(&status.render())?;
            }
            Ok(outcome(status.healthy()))
        }
        Command::Metrics { view, watch } => {
            let client = client()?;
            match watch {
                None => {
                    let answer = client.get(view.path())?.json_if(&[])?;
                    if as_json {
                        print_json(&answer)?;
                    } else {
                        print(&view.render(&answer))?;
                    }
                    Ok(Outcome::Done)
                }
                Some(every) => watch_view(&client, *view, *every, as_json),
            }
        }
        Command::Alerts { command: None } => {
            let answer = client()?.get("api/alerts")?.json_if(&[])?;
            if as_json {
                print_json(&answer)?;
            } else {
                print(&alerts::render_list(&answer, SystemTime::now(), wide))?;
            }
            Ok(Outcome::Done)
        }
        Command::Alerts {
            command: Some(AlertsCommand::Test { channel }),
        } => {
            let path = format!("api/alerts/test/{channel}");
            let answer = client()?.post(&path, Vec::new(), "application/json")?;
            let answer = answer.json_if(&[StatusCode::BAD_GATEWAY, StatusCode::GATEWAY_TIMEOUT])?;
            let (line, delivered) = alerts::render_test(&answer);
            if as_json {
                print_json(&answer)?;
            } else {
                print(&line)?;
            }
            Ok(outcome(delivered))
        }
        Command::SendEvent { file } => send_events(&client()?, file, as_json),
        Command::Check {
            what: CheckCommand::Config { file },
        } => check_config(file, as_json),
        Command::Check {
            what: CheckCommand::Rules { file },
        } => check_rules(file, as_json),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "victor", &mut out);
            std::io::stdout()
                .write_all(&out)
                .context("cannot write to standard output")?;
            Ok(Outcome::Done)
        }
    }
}

/// Redraws `view` every `every` until interrupted. An error is shown in place of the figures and
/// the next refresh tries again, so a restarting exporter does not end the watch.
fn watch_view(client: &Client, view: View, every: Duration, json: bool) -> anyhow::Result<Outcome> {
    let terminal = std::io::stdout().is_terminal();
    loop {
        let answer = client.get(view.path()).and_then(|a| a.json_if(&[]));
        if json {
            match &answer {
                Ok(figures) => print_json(figures)?,
                Err(err) => print_json(&json!({ "error": err.to_string() }))?,
            }
        } else {
            let body = match &answer {
                Ok(figures) => view.render(figures),
                Err(err) => format!("{} {err}\n", paint(BAD, "error:")),
            };
            let heading = paint(
                DIM,
                &format!(
                    "every {}: victor metrics {} at {}, {}",
                    humantime::format_duration(every),
                    format!("{view:?}").to_lowercase(),
                    client.base(),
                    humantime::format_rfc3339_seconds(SystemTime::now()),
                ),
            );
            // Clear the screen and home the cursor on a terminal; elsewhere, one frame after another.
            let clear = if terminal { "\x1b[2J\x1b[H" } else { "" };
            print(&format!("{clear}{heading}\n\n{body}\n"))?;
        }
        std::thread::sleep(every);
    }
}

fn send_events(client: &Client, file: &PathBuf, json: bool) -> anyhow::Result<Outcome> {
    let body = if file.as_os_str() == "-" {
        let mut body = Vec::new();
        std::io::stdin()
            .read_to_end(&mut body)
            .context("cannot read events from standard input")?;
        body
    } else {
        std::fs::read(file)
            .with_context(|| format!("cannot read events from {}", file.display()))?
    };
    let report = client
        .post("api/events", body, "application/x-ndjson")?
        .json_if(&[])?;
    let number = |key: &str| report.get(key).and_then(Value::as_u64).unwrap_or(0);
    let (accepted, rejected) = (number("accepted"), number("rejected"));
    if json {
        print_json(&report)?;
    } else {
        let mut out = format!(
            "{} accepted, {} rejected\n",
            paint(GOOD, &accepted.to_string()),
            paint(if rejected > 0 { BAD } else { GOOD }, &rejected.to_string())
        );
        let errors = report.get("errors").and_then(Value::as_array);
        for error in errors.into_iter().flatten() {
            let index = error.get("index").and_then(Value::as_u64).unwrap_or(0);
            let reason = error.get("reason").and_then(Value::as_str).unwrap_or("");
            out.push_str(&format!("  event {index}: {reason}\n"));
        }
        let listed = errors.map_or(0, Vec::len) as u64;
        if rejected > listed {
            out.push_str(&format!(
                "  … and {} more (the exporter lists the first {listed})\n",
                rejected - listed
            ));
        }
        print(&out)?;
    }
    Ok(if rejected == 0 {
        Outcome::Done
    } else {
        Outcome::NotOk
    })
}

fn check_config(file: &PathBuf, json: bool) -> anyhow::Result<Outcome> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read config file {}", file.display()))?;
    let problems = victor_config::check_file(&text);
    let shown = file.display();
    if json {
        print_json(&json!({
            "file": shown.to_string(),
            "valid": problems.is_empty(),
            "problems": problems,
        }))?;
    } else if problems.is_empty() {
        print(&format!("{} {shown}: valid\n", paint(GOOD, "✓")))?;
    } else {
        let lines = problems.iter().map(|problem| {
            let message = problem.to_string();
            let message = message
                .split_once(": ")
                .map_or(message.as_str(), |(_, rest)| rest)
                .to_owned();
            (
                format!("{shown}:{}:{}:", problem.line, problem.column),
                message,
            )
        });
        let summary = format!("{} in {shown}", plural(problems.len(), "problem"));
        print_problems(lines, &summary)?;
    }
    Ok(outcome(problems.is_empty()))
}

fn check_rules(file: &PathBuf, json: bool) -> anyhow::Result<Outcome> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read rule file {}", file.display()))?;
    let shown = file.display();
    let (rules, problems) = match victor_alerting::user_rules::parse_rule_file(&text) {
        Ok(rules) => (rules.len(), Vec::new()),
        Err(problems) => (0, problems),
    };
    if json {
        let problems: Vec<Value> = problems
            .iter()
            .map(|p| json!({"rule": p.rule, "problem": p.problem}))
            .collect();
        print_json(&json!({
            "file": shown.to_string(),
            "valid": problems.is_empty(),
            "rules": rules,
            "problems": problems,
        }))?;
    } else if problems.is_empty() {
        print(&format!(
            "{} {shown}: {} the engine evaluates\n",
            paint(GOOD, "✓"),
            plural(rules, "rule")
        ))?;
    } else {
        let lines = problems
            .iter()
            .map(|p| (format!("{shown}: {}:", p.rule), p.problem.clone()));
        let summary = format!(
            "{} in {shown} the engine cannot evaluate",
            plural(problems.len(), "rule")
        );
        print_problems(lines, &summary)?;
    }
    Ok(outcome(problems.is_empty()))
}

/// Prints each problem as `where: what`, then a `✗` summary line.
fn print_problems(
    problems: impl IntoIterator<Item = (String, String)>,
    summary: &str,
) -> anyhow::Result<()> {
    let mut out = String::new();
    for (at, message) in problems {
        out.push_str(&format!("{} {message}\n", paint(BOLD, &at)));
    }
    out.push_str(&format!("{} {summary}\n", paint(BAD, "✗")));
    print(&out)
}

/// `1 rule`, `2 rules`.
fn plural(count: usize, word: &str) -> String {
    format!("{count} {word}{}", if count == 1 { "" } else { "s" })
}

fn outcome(ok: bool) -> Outcome {
    if ok { Outcome::Done } else { Outcome::NotOk }
}

/// Writes `text` to standard output, colour stripped unless it is a terminal.
fn print(text: &str) -> anyhow::Result<()> {
    let mut out = anstream::stdout();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write to standard output")
}

/// Writes `json` as one line.
fn print_json(json: &Value) -> anyhow::Result<()> {
    let mut line = serde_json::to_string(json).context("cannot encode JSON")?;
    line.push('\n');
    let mut out = std::io::stdout().lock();
    out.write_all(line.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write to standard output")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations_and_intervals_are_checked() {
        assert_eq!(parse_timeout("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_timeout("0s").is_err());
        assert!(parse_timeout("soon").expect_err("bad").contains("10s"));
        assert_eq!(parse_interval("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_interval("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_interval("1m 30s"), Ok(Duration::from_secs(90)));
        assert!(parse_interval("0s").is_err());
        assert!(parse_interval("25h").is_err());
        assert!(parse_interval("2").expect_err("bare").contains("2s"));
    }
}
