//! `leerpad check PATH...`

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};
use leerpad_compiler::{compile_paths, Diagnostics};

use super::{default_paths, Format};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Course folders, or folders of courses (default: courses/).
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Treat warnings as errors (exit 1 when there are any).
    #[arg(long)]
    pub deny_warnings: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let compiled = compile_paths(&default_paths(args.paths));
    report(&compiled.diagnostics, args.format)?;
    if let Format::Human = args.format {
        let courses = compiled.courses.len();
        let lessons: usize = compiled.courses.iter().map(|c| c.items().count()).sum();
        eprintln!(
            "checked {courses} course(s) with {lessons} item(s): {} error(s), {} warning(s)",
            compiled.diagnostics.error_count(),
            compiled.diagnostics.warning_count()
        );
    }
    let failed = compiled.diagnostics.has_errors()
        || (args.deny_warnings && !compiled.diagnostics.is_empty());
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Prints diagnostics to stderr (human) or stdout (JSON).
pub fn report(diags: &Diagnostics, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            let mut out = io::stdout().lock();
            diags.write_json(&mut out)?;
            out.flush()?;
        }
        Format::Human => {
            let color = if io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
                ColorChoice::Auto
            } else {
                ColorChoice::Never
            };
            let mut err = StandardStream::stderr(color);
            diags.write_human(&mut err, &|path| std::fs::read_to_string(path).ok())?;
        }
    }
    Ok(())
}
