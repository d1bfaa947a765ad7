//! `leerpad nudge run [--dry-run] [--database URL] [--data-dir DIR] [--config FILE]`:
//! queue the email nudges that are due now, once, and list them; then the same for
//! the coordinators' weekly digests. The running server's email worker sends them
//! (within its interval); the job runner (`leerpad serve` or `leerpad worker`, see
//! `crate::jobs`) also runs both by itself every `nudge_interval_minutes`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use leerpad_app::nudges::NudgeRunner;
use leerpad_app::Config;
use leerpad_store::Db;

use super::Format;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub command: NudgeCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum NudgeCommand {
    /// Queue the nudges and weekly digests that are due now and list who gets what
    /// and why.
    Run(RunArgs),
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// List the nudges and weekly digests that are due, and why coordinators get no
    /// digest; queue nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Configuration file (default: leerpad.toml, if present), for the database, the
    /// signing secret (unsubscribe links), the base URL and the theme.
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Database URL: postgres://… or a SQLite file (default: from the configuration).
    #[arg(long = "database")]
    pub database_url: Option<String>,
    /// Folder with the SQLite database and the signing secret (default: from the
    /// configuration).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Queue at most this many nudges (default: `nudge_max_per_run`, 5,000); the
    /// rest stay due for the next run.
    #[arg(long)]
    pub max_per_run: Option<u32>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        NudgeCommand::Run(args) => run_once(args),
    }
}

fn run_once(args: RunArgs) -> anyhow::Result<ExitCode> {
    let mut config = Config::load(args.config.as_deref())?;
    if let Some(dir) = args.data_dir {
        config.data_dir = dir;
    }
    if let Some(url) = args.database_url {
        config.database.url = Some(url);
    }
    if let Some(max) = args.max_per_run {
        config.jobs.nudge_max_per_run = max;
    }
    config.validate()?;
    let db = Db::open_options(&config.database_url(), config.db_options())
        .context("cannot open the database")?;
    let runner = NudgeRunner::from_config(&config, db)?;
    let report = runner.run(chrono::Utc::now().naive_utc(), args.dry_run)?;
    match args.format {
        Format::Human => println!("{report}"),
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    Ok(if report.failed() > 0 || report.digests.failed() > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
