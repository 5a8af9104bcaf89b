//! `cargo xtask`: generates the workspace's derived files from code.
//!
//! Every generated file is committed; `--check` changes nothing and fails, listing every stale
//! file, when a committed file differs from what the code generates (the tests run it).

mod codegen;
mod dashboards;
mod docs;
mod events;
mod kubernetes;
mod operator;
mod owners;
mod rules;
mod ruletests;
mod runbooks;
mod slos;

use clap::{Parser, Subcommand};

/// Generates docs, Prometheus rules and Grafana dashboards from code.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run every generator.
    Gen(Mode),
    /// Generate docs/metrics.md from the catalog, docs/alerts.md from the alert rules, and the
    /// event reference (docs/events.schema.json, the table in docs/api.md) from the event types.
    GenDocs(Mode),
    /// Generate deploy/prometheus/rules/*.yml (alerting and recording rules), their promtool
    /// tests, and the Kubernetes ConfigMaps that carry them.
    GenRules(Mode),
    /// Generate deploy/grafana/dashboards/*.json from catalog queries and the alert rules.
    GenDashboards(Mode),
}

#[derive(Debug, clap::Args)]
struct Mode {
    /// Change nothing; fail, listing every stale file, if a file differs from what would be
    /// generated.
    #[arg(long)]
    check: bool,
}

/// Every generator, as `cargo xtask gen` runs them.
const ALL: &[codegen::Generator] = &[
    docs::generate,
    runbooks::generate,
    rules::generate,
    ruletests::generate,
    kubernetes::generate,
    dashboards::generate,
    operator::generate,
];

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Gen(mode) => codegen::run(ALL, mode.check),
        Command::GenDocs(mode) => codegen::run(&[docs::generate, runbooks::generate], mode.check),
        Command::GenRules(mode) => codegen::run(
            &[
                rules::generate,
                ruletests::generate,
                kubernetes::generate,
                operator::generate,
            ],
            mode.check,
        ),
        Command::GenDashboards(mode) => {
            codegen::run(&[dashboards::generate, operator::generate], mode.check)
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    /// `cargo test` fails on a stale generated file.
    #[test]
    fn generated_files_are_fresh() {
        if let Err(err) = crate::codegen::run(super::ALL, true) {
            panic!("{err:#}");
        }
    }
}
