//! `leerpad serve`: publish the courses if they changed, start the job runner
//! (email, nudges, digests, pruning: `crate::jobs`) unless `jobs = false`, and serve
//! the site until Ctrl-C or SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;
use leerpad_app::Config;
use leerpad_compiler::compile_paths;
use leerpad_core::Role;
use leerpad_jobs::SystemClock;
use leerpad_store::accounts::{self, NewUser, TokenPurpose};
use leerpad_store::{publish, Db, PublishInput, PublishOptions, PublishStatus, StoreError};
use leerpad_web::{build_state, Clock};

use tokio::sync::Notify;

use super::check::report;
use super::Format;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Configuration file (default: leerpad.toml, if present).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
}

/// How long the first administrator's sign-in link works.
const ADMIN_LINK_HOURS: i64 = 24;

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = Config::load(args.config.as_deref())?;
    tracing::info!(?config, "starting");
    private_data(&config.data_dir)?;
    let db = Db::open_options(&config.database_url(), config.db_options())
        .context("cannot open the database")?;
    if config.courses.publish_on_start {
        publish_courses(&config, &db);
    }
    first_start(&config, &db)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        // Email queued by a request is sent at once: the web layer notifies this,
        // which runs the runner's outbox job.
        let outbox_wake = Arc::new(Notify::new());
        let runner = if config.jobs.enabled {
            Some(Arc::new(crate::jobs::runner(
                &config,
                db.clone(),
                Arc::new(SystemClock),
                outbox_wake.clone(),
            )?))
        } else {
            tracing::info!("periodic jobs are off here (jobs = false): run `leerpad worker`");
            None
        };
        let waker = outbox_wake.clone();
        let state = build_state(
            config,
            db,
            Clock::default(),
            Arc::new(move || waker.notify_one()),
        )?;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let jobs = runner.map(|r| {
            r.spawn(async move {
                let _ = stop_rx.await;
            })
        });
        let served = leerpad_web::serve(state).await;
        let _ = stop_tx.send(());
        if let Some(jobs) = jobs {
            let _ = jobs.await;
        }
        tracing::info!("stopped");
        served.context("the web server failed")
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Keeps the data folder to its owner: what Leerpad writes is readable by its user
/// only (the umask set in `main`), and the folder, the database, the signing
/// secret and the mail files made before are made so too.
fn private_data(data_dir: &std::path::Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create the data folder {}", data_dir.display()))?;
        let private = |path: &std::path::Path, mode: u32| {
            if path.exists() {
                if let Err(e) =
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
                {
                    tracing::warn!(path = %path.display(), error = %e, "cannot make this file private");
                }
            }
        };
        private(data_dir, 0o700);
        for file in [
            "leerpad.db",
            "leerpad.db-wal",
            "leerpad.db-shm",
            "secret.key",
        ] {
            private(&data_dir.join(file), 0o600);
        }
        let mail = data_dir.join("mail");
        private(&mail, 0o700);
        if let Ok(entries) = std::fs::read_dir(&mail) {
            for entry in entries.flatten() {
                private(&entry.path(), 0o600);
            }
        }
    }
    Ok(())
}

/// Publishes `courses_dir` when its sources changed. Problems are logged and the
/// versions already published keep being served.
fn publish_courses(config: &Config, db: &Db) {
    if !config.courses.dir.is_dir() {
        tracing::warn!(dir = %config.courses.dir.display(), "no courses folder: nothing to publish");
        return;
    }
    let compiled = compile_paths(std::slice::from_ref(&config.courses.dir));
    if compiled.diagnostics.has_errors() {
        let _ = report(&compiled.diagnostics, Format::Human);
        tracing::error!("the courses have errors: serving the versions published before");
        return;
    }
    let inputs: Vec<_> = compiled
        .courses
        .iter()
        .zip(&compiled.sources)
        .map(|(course, dir)| PublishInput {
            course,
            source_dir: Some(dir.as_path()),
        })
        .collect();
    let opts = PublishOptions {
        dry_run: false,
        allow_orphans: false,
        now: Utc::now().naive_utc(),
    };
    match publish(db, &inputs, &opts) {
        Ok(reports) => {
            for r in reports
                .iter()
                .filter(|r| r.status != PublishStatus::Unchanged)
            {
                tracing::info!(course = %r.course_id, version = r.version, "published");
            }
        }
        Err(StoreError::Orphans(o)) => tracing::error!("{o}"),
        Err(e) => {
            let error = format!("{:#}", anyhow::Error::from(e));
            tracing::error!(%error, "publishing failed: serving the versions published before")
        }
    }
}

/// On the very first start, creates the administrator and prints a one-time
/// sign-in link.
fn first_start(config: &Config, db: &Db) -> anyhow::Result<()> {
    let mut c = db.conn()?;
    if accounts::count_users_with_role(&mut c, Role::Admin)? > 0 {
        return Ok(());
    }
    let now = Utc::now().naive_utc();
    let new = NewUser {
        email: &config.accounts.admin_email,
        display_name: "Beheerder",
        password_hash: None,
        role: Role::Admin,
        language: &config.site.default_language,
        verified: true,
    };
    let admin = match accounts::create_user(&mut c, &new, now)? {
        Some(u) => u,
        None => {
            let u = accounts::user_by_email(&mut c, &config.accounts.admin_email)?
                .context("the admin account exists")?;
            accounts::set_role(&mut c, u.id, Role::Admin)?;
            u
        }
    };
    let token = leerpad_web::random_token(32);
    let expires = now + chrono::Duration::hours(ADMIN_LINK_HOURS);
    accounts::create_token(
        &mut c,
        &leerpad_web::token_hash(&token),
        admin.id,
        TokenPurpose::Magic,
        now,
        expires,
    )?;
    println!();
    println!("  Leerpad's first start: sign in as administrator ({}) within {ADMIN_LINK_HOURS} hours, once, at", admin.email);
    println!("  {}/auth/link?token={token}", config.base_url());
    println!();
    Ok(())
}
