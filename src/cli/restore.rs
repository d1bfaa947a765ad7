//! `leerpad restore FILE [--data-dir DIR | --database FILE]`: puts a backup made
//! by `leerpad backup` in place as the SQLite database of an empty data folder,
//! after checking it, then migrates it to this version's schema.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use leerpad_store::{backup, Db, DbUrl};

use super::DatabaseArgs;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The backup to restore.
    pub file: PathBuf,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let url = args.database.url()?;
    let DbUrl::Sqlite(dest) = DbUrl::parse(&url)? else {
        anyhow::bail!(
            "`leerpad restore` restores SQLite backups; restore PostgreSQL with pg_restore (see docs/operations.md)"
        );
    };
    let inspected = backup::inspect(&args.file)
        .with_context(|| format!("{} cannot be restored", args.file.display()))?;
    if !inspected.problems.is_empty() {
        anyhow::bail!(
            "{} cannot be restored: {}",
            args.file.display(),
            inspected.problems.join("; ")
        );
    }
    let copied = backup::restore(&args.file, &dest)?;
    let migrated = leerpad_store::db::pending_migrations(&url)?;
    Db::open(&url).context("the restored database does not open")?;
    println!(
        "restored {} to {} ({} bytes, integrity checked{})",
        args.file.display(),
        copied.path.display(),
        copied.bytes,
        if migrated.is_empty() {
            String::new()
        } else {
            format!(", {} migrations applied", migrated.len())
        }
    );
    Ok(ExitCode::SUCCESS)
}
