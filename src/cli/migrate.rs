//! `leerpad migrate [--database URL]`

use std::process::ExitCode;

use super::DatabaseArgs;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub database: DatabaseArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // Opening the database applies pending migrations.
    let db = args.database.open()?;
    let pending = db.migrate()?;
    println!(
        "{} is at the current schema{}",
        db.url().redacted(),
        if pending.is_empty() {
            ""
        } else {
            " (migrated)"
        }
    );
    Ok(ExitCode::SUCCESS)
}
