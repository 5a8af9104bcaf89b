//! `cargo xtask`: generates the workspace's derived files from code.
//!
//! Every generated file is committed; `--check` changes nothing and fails, listing every stale
//! file, when a committed file differs from what the code generates (the tests run it).

mod codegen;
mod docs;

use clap::{Parser, Subcommand};

/// Generates docs (and, as the crates grow, dashboards and rules) from the catalog.
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
    /// Generate docs/metrics.md from the catalog.
    GenDocs(Mode),
}

#[derive(Debug, clap::Args)]
struct Mode {
    /// Change nothing; fail, listing every stale file, if a file differs from what would be
    /// generated.
    #[arg(long)]
    check: bool,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Gen(mode) | Command::GenDocs(mode) => codegen::run(&[docs::generate], mode.check),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
