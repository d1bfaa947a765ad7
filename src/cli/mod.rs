//! Command-line interface: one module per subcommand.

mod check;
mod compile;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "leerpad",
    version,
    about = "Leerpad: short professional courses, authored as files in git"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check course sources and report every problem with file, line and column.
    Check(check::Args),
    /// Compile course sources to JSON, one file per course.
    Compile(compile::Args),
}

#[derive(Clone, Copy, Debug, Default, ValueEnum)]
pub enum Format {
    /// Readable reports, coloured on a terminal.
    #[default]
    Human,
    /// One JSON object per line, for CI.
    Json,
}

/// The course folders to read when none are named.
pub fn default_paths(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from("courses")]
    } else {
        paths
    }
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check(args) => check::run(args),
        Command::Compile(args) => compile::run(args),
    }
}
