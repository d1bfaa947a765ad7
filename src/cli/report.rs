//! `leerpad report --organisation SLUG [filters] [--format csv|xlsx|json] [--output FILE]`:
//! an organisation's completion report, with the same filters, order and files as
//! the coordinator's dashboard and its downloads. Written to stdout unless
//! `--output` names a file (XLSX needs a file unless stdout is redirected).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use leerpad_app::reports::{export, ExportFormat};
use leerpad_core::report::ReportQuery;
use leerpad_store::organisations;

use super::DatabaseArgs;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The organisation's short name, as in /organisations/<slug>.
    #[arg(long, short)]
    pub organisation: String,
    /// Only this course (its id).
    #[arg(long)]
    pub course: Option<String>,
    /// Only these statuses: invited, not_started, in_progress, completed, overdue
    /// (repeat the option or separate with commas).
    #[arg(long, value_delimiter = ',')]
    pub status: Vec<String>,
    /// Only this group, by name.
    #[arg(long)]
    pub group: Option<String>,
    /// Which date --from and --to are about: completed, enrolled, last_activity, deadline.
    #[arg(long, default_value = "completed")]
    pub date: String,
    /// From this day (YYYY-MM-DD), inclusive.
    #[arg(long)]
    pub from: Option<String>,
    /// Up to and including this day (YYYY-MM-DD).
    #[arg(long)]
    pub to: Option<String>,
    /// Sort by: name, email, group, course, status, progress, last_activity, deadline, completed.
    #[arg(long, default_value = "name")]
    pub sort: String,
    /// Sort descending.
    #[arg(long)]
    pub desc: bool,
    /// csv, xlsx or json.
    #[arg(long, default_value = "csv")]
    pub format: String,
    /// For CSV: comma or semicolon (what Excel set up for Belgium expects).
    #[arg(long, default_value = "comma")]
    pub delimiter: String,
    /// Language of the column headers and statuses: nl or en.
    #[arg(long, default_value = "nl")]
    pub lang: String,
    /// Write to this file instead of stdout.
    #[arg(long, short = 'O')]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let format =
        ExportFormat::parse(&args.format, Some(&args.delimiter)).map_err(anyhow::Error::msg)?;
    if !matches!(args.lang.as_str(), "nl" | "en") {
        bail!("--lang: use nl or en");
    }
    if format == ExportFormat::Xlsx && args.output.is_none() && std::io::stdout().is_terminal() {
        bail!("an XLSX file is not for a terminal: give --output report.xlsx or redirect stdout");
    }
    let db = args.db.open().context("cannot open the database")?;
    let mut c = db.conn()?;
    let org = organisations::by_slug(&mut c, &args.organisation)?
        .with_context(|| format!("there is no organisation `{}`", args.organisation))?;
    let group = match &args.group {
        Some(name) => Some(
            organisations::groups(&mut c, org.id)?
                .into_iter()
                .find(|g| g.name == *name)
                .with_context(|| format!("{} has no group `{name}`", org.name))?
                .id
                .to_string(),
        ),
        None => None,
    };
    let mut params: Vec<(&str, String)> = vec![
        ("date", args.date.clone()),
        ("sort", args.sort.clone()),
        ("order", if args.desc { "desc" } else { "asc" }.into()),
    ];
    params.extend(args.course.iter().map(|c| ("course", c.clone())));
    params.extend(args.status.iter().map(|s| ("status", s.trim().to_string())));
    params.extend(group.map(|g| ("group", g)));
    params.extend(args.from.iter().map(|d| ("from", d.clone())));
    params.extend(args.to.iter().map(|d| ("to", d.clone())));
    let query = ReportQuery::from_params(params.iter().map(|(k, v)| (*k, v.as_str())))
        .map_err(|e| anyhow::anyhow!("--{e}"))?;

    let now = chrono::Utc::now().naive_utc();
    let rows = match &args.output {
        Some(path) => {
            // Written next to the target and renamed, so a failed export leaves no
            // half file behind under the name asked for.
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let mut file = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("cannot write in {}", dir.display()))?;
            let mut out = std::io::BufWriter::new(file.as_file_mut());
            let rows = export(&mut c, &org, &query, now, format, &args.lang, &mut out)?;
            out.flush()?;
            drop(out);
            file.persist(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            rows
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout());
            let rows = export(&mut c, &org, &query, now, format, &args.lang, &mut out)?;
            out.flush()?;
            rows
        }
    };
    eprintln!("{rows} row(s) for {}", org.name);
    Ok(ExitCode::SUCCESS)
}
