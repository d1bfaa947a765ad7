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
use leerpad_app::config::{Config, LogFormat};

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

/// Where the database is: the configuration as every subcommand reads it
/// (defaults, `--config` or `leerpad.toml`, `LEERPAD_*`), with `--database` and
/// `--data-dir` on top.
#[derive(clap::Args, Debug, Clone)]
pub struct DatabaseArgs {
    /// Configuration file (default: leerpad.toml, if present), for the database
    /// settings.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Database URL: postgres://… or a SQLite file (default: <data-dir>/leerpad.db).
    #[arg(long = "database", env = "LEERPAD_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Folder for Leerpad's own files, such as the SQLite database (default: data).
    #[arg(long, env = "LEERPAD_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

impl DatabaseArgs {
    /// The configuration with `--database` and `--data-dir` on top.
    pub fn config(&self) -> anyhow::Result<Config> {
        let mut config = Config::load(self.config.as_deref())?;
        if let Some(dir) = &self.data_dir {
            config.data_dir = dir.clone();
        }
        if let Some(url) = &self.database_url {
            config.database.url = Some(url.clone());
        }
        config.validate()?;
        Ok(config)
    }

    pub fn url(&self) -> anyhow::Result<String> {
        Ok(self.config()?.database_url())
    }

    /// Opens (and migrates) the database, with the configured SQLite durability.
    pub fn open(&self) -> anyhow::Result<leerpad_store::Db> {
        let config = self.config()?;
        Ok(leerpad_store::Db::open_options(
            &config.database_url(),
            config.db_options(),
        )?)
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
pub fn log_format(cli: &Cli) -> LogFormat {
    let file = match &cli.command {
        Command::Serve(args) => Some(args.config.as_deref()),
        Command::Worker(args) => Some(args.config.as_deref()),
        _ => None,
    };
    if let Some(file) = file {
        if let Ok(config) = Config::load(file) {
            return config.log_format;
        }
    }
    std::env::var("LEERPAD_LOG_FORMAT")
        .ok()
        .and_then(|v| LogFormat::parse(&v))
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
