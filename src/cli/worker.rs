//! `leerpad worker [--config FILE]`: run only the job runner (sending email,
//! nudges, weekly digests, pruning: `crate::jobs`), no web server, until Ctrl-C or
//! SIGTERM. For operators who run web instances with `jobs = false` and the
//! periodic work elsewhere; any number of workers and servers may run the jobs on
//! one PostgreSQL database: each scheduled run happens once.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use leerpad_app::Config;
use leerpad_jobs::SystemClock;
use leerpad_store::Db;
use tokio::sync::Notify;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Configuration file (default: leerpad.toml, if present): the same as the web
    /// instances', for the database, the signing secret, the base URL, the theme
    /// and the mail settings.
    #[arg(long, short)]
    pub config: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = Config::load(args.config.as_deref())?;
    tracing::info!(?config, "starting the worker");
    let db = Db::open_options(&config.database_url(), config.db_options())
        .context("cannot open the database")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        // Email queued by a job (nudges, digests) wakes the outbox job.
        let runner =
            crate::jobs::runner(&config, db, Arc::new(SystemClock), Arc::new(Notify::new()))?;
        let task = Arc::new(runner).spawn(stopped());
        task.await.context("the job runner failed")?;
        tracing::info!("stopped");
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Completes on Ctrl-C or (on Unix) SIGTERM.
async fn stopped() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
