//! `leerpad publish PATH... [--database URL] [--dry-run] [--allow-orphans]`

use std::path::PathBuf;
use std::process::ExitCode;

use leerpad_compiler::compile_paths;
use leerpad_store::{
    publish, CourseReport, Db, PublishInput, PublishOptions, PublishStatus, StoreError,
};

use super::{check::report, default_paths, DatabaseArgs, Format};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Course folders, or folders of courses (default: courses/).
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Show what would change, including learners affected by removals; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Publish even when removed items have learner data; they are archived with
    /// their history.
    #[arg(long)]
    pub allow_orphans: bool,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let paths = default_paths(args.paths);
    let compiled = compile_paths(&paths);
    report(&compiled.diagnostics, args.format)?;
    if compiled.diagnostics.has_errors() {
        eprintln!("not published: fix the errors above first");
        return Ok(ExitCode::FAILURE);
    }
    let db = args.database.open()?;
    let inputs: Vec<PublishInput<'_>> = compiled
        .courses
        .iter()
        .zip(&compiled.sources)
        .map(|(course, dir)| PublishInput {
            course,
            source_dir: Some(dir.as_path()),
        })
        .collect();
    let opts = PublishOptions {
        dry_run: args.dry_run,
        allow_orphans: args.allow_orphans,
        now: chrono::Utc::now().naive_utc(),
    };
    match publish(&db, &inputs, &opts) {
        Ok(reports) => {
            match args.format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&reports)?),
                Format::Human => print_reports(&reports, args.dry_run, &db),
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(StoreError::Orphans(orphans)) => {
            eprintln!("error: {orphans}");
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}

fn print_reports(reports: &[CourseReport], dry_run: bool, db: &Db) {
    let verb = if dry_run {
        "would publish"
    } else {
        "published"
    };
    for r in reports {
        match r.status {
            PublishStatus::Unchanged => {
                println!("{}: unchanged, version {} stays", r.course_id, r.version)
            }
            PublishStatus::Created => println!(
                "{}: {verb} as a new course, version {}",
                r.course_id, r.version
            ),
            PublishStatus::Updated => {
                let d = &r.diff;
                println!(
                    "{}: {verb} version {} (was {}): {} added, {} changed, {} moved, {} removed",
                    r.course_id,
                    r.version,
                    r.previous_version.unwrap_or(0),
                    d.added.len(),
                    d.changed.len(),
                    d.moved.len(),
                    d.removed.len()
                );
                if dry_run || !d.is_empty() {
                    for a in &d.added {
                        println!("  + {} `{}`", a.kind.as_str(), a.id);
                    }
                    for c in &d.changed {
                        println!("  ~ {} `{}`", c.kind.as_str(), c.id);
                    }
                    for m in &d.moved {
                        println!(
                            "  > {} `{}` ({} -> {})",
                            m.kind.as_str(),
                            m.id,
                            m.from_module,
                            m.to_module
                        );
                    }
                    for x in &d.removed {
                        println!(
                            "  - {} `{}`: {} learner(s) have data on it",
                            x.kind.as_str(),
                            x.id,
                            x.learners
                        );
                    }
                }
            }
        }
    }
    if reports.iter().all(|r| r.status == PublishStatus::Unchanged) {
        println!("nothing to publish: {} is up to date", db.url().redacted());
    }
}
