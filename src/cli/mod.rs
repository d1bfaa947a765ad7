//! Command-line interface: one module per subcommand.

mod backup;
mod check;
mod compile;
mod doctor;
mod migrate;
mod nudge;
mod publish;
mod report;
mod restore;
mod serve;
mod worker;

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
    /// Compile and publish courses into the database, in one transaction.
    Publish(publish::Args),
    /// Apply pending database migrations (also done at every start).
    Migrate(migrate::Args),
    /// Run the web server (and the periodic jobs, unless `jobs = false`),
    /// publishing courses/ when it changed.
    Serve(serve::Args),
    /// Run only the periodic jobs (email, nudges, digests, pruning), no web server.
    Worker(worker::Args),
    /// Email nudges: queue the reminders that are due (`nudge run`).
    Nudge(nudge::Args),
    /// An organisation's completion report as CSV, XLSX or JSON, with the
    /// dashboard's filters.
    Report(Box<report::Args>),
    /// Check a configuration: database, email, base URL, secret and courses;
    /// one line per check, exit 1 when any fails.
    Doctor(doctor::Args),
    /// Copy the SQLite database to a new file while the server runs (consistent,
    /// checked).
    Backup(backup::Args),
    /// Put a backup in place as the database of an empty data folder.
    Restore(restore::Args),
}

/// Where the database is.
#[derive(clap::Args, Debug, Clone)]
pub struct DatabaseArgs {
    /// Database URL: postgres://… or a SQLite file (default: <data-dir>/leerpad.db).
    #[arg(long = "database", env = "LEERPAD_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Folder for Leerpad's own files, such as the SQLite database.
    #[arg(long, env = "LEERPAD_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
}

impl DatabaseArgs {
    pub fn url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            self.data_dir
                .join("leerpad.db")
                .to_string_lossy()
                .into_owned()
        })
    }
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

/// How log lines are written: `log_format` of the configuration for `serve` and
/// `worker` (file or `LEERPAD_LOG_FORMAT`), `LEERPAD_LOG_FORMAT` for the other
/// commands.
pub fn log_format(cli: &Cli) -> leerpad_web::LogFormat {
    let file = match &cli.command {
        Command::Serve(args) => Some(args.config.as_deref()),
        Command::Worker(args) => Some(args.config.as_deref()),
        _ => None,
    };
    if let Some(file) = file {
        if let Ok(config) = leerpad_web::Config::load(file) {
            return config.log_format;
        }
    }
    std::env::var("LEERPAD_LOG_FORMAT")
        .ok()
        .and_then(|v| leerpad_web::LogFormat::parse(&v))
        .unwrap_or_default()
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check(args) => check::run(args),
        Command::Compile(args) => compile::run(args),
        Command::Publish(args) => publish::run(args),
        Command::Migrate(args) => migrate::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Worker(args) => worker::run(args),
        Command::Nudge(args) => nudge::run(args),
        Command::Report(args) => report::run(*args),
        Command::Doctor(args) => doctor::run(args),
        Command::Backup(args) => backup::run(args),
        Command::Restore(args) => restore::run(args),
    }
}
