//! `leerpad backup FILE [--database URL]`: a consistent copy of the SQLite
//! database, made while the server runs (see `leerpad_store::backup`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use leerpad_store::backup;

use super::DatabaseArgs;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The backup to write; it must not exist yet.
    pub file: PathBuf,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let db = args.database.open().context("cannot open the database")?;
    let copied = backup::backup(&db, &args.file)?;
    println!(
        "backed up {} to {} ({} bytes, {} migrations; integrity checked)",
        db.url().redacted(),
        copied.path.display(),
        copied.bytes,
        copied.migrations
    );
    Ok(ExitCode::SUCCESS)
}
