//! `leerpad compile PATH... --out DIR`

use std::fs;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use leerpad_compiler::compile_paths;

use super::{check::report, default_paths, Format};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Course folders, or folders of courses (default: courses/).
    pub paths: Vec<PathBuf>,
    /// Folder to write `<course-id>.json` files into.
    #[arg(long, short)]
    pub out: PathBuf,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let compiled = compile_paths(&default_paths(args.paths));
    report(&compiled.diagnostics, args.format)?;
    if compiled.diagnostics.has_errors() {
        return Ok(ExitCode::FAILURE);
    }
    fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    for course in &compiled.courses {
        let path = args.out.join(format!("{}.json", course.id));
        let file =
            fs::File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
        let mut w = BufWriter::new(file);
        serde_json::to_writer_pretty(&mut w, course)?;
        w.write_all(b"\n")?;
        w.flush()?;
        if let Format::Human = args.format {
            eprintln!(
                "wrote {} ({} items, hash {})",
                path.display(),
                course.items().count(),
                &course.content_hash.as_str()[..12]
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
