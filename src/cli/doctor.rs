//! `leerpad doctor [--config FILE]`: checks a configuration the way `serve` will
//! use it and says what to fix, one line per check (`ok`, `warn` or `fail`); exits
//! 1 when any check fails. It changes nothing: it creates no database, applies no
//! migration and sends no email.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use leerpad_app::Config;
use leerpad_compiler::compile_paths;
use leerpad_mail::{Mailer, Transport};
use leerpad_store::{db::pending_migrations, DbUrl};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Configuration file (default: leerpad.toml, if present).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
}

/// How long the SMTP server may take to greet and answer.
const SMTP_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Ok,
    Warn,
    Fail,
}

struct Check {
    level: Level,
    name: &'static str,
    message: String,
}

fn check(level: Level, name: &'static str, message: impl Into<String>) -> Check {
    Check {
        level,
        name,
        message: message.into(),
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let file = args
        .config
        .clone()
        .or_else(|| Some(PathBuf::from("leerpad.toml")).filter(|f| f.is_file()));
    let mut checks = Vec::new();
    match Config::load(args.config.as_deref()) {
        Err(e) => checks.push(check(Level::Fail, "config", format!("{e:#}"))),
        Ok(config) => {
            checks.push(check(
                Level::Ok,
                "config",
                match &file {
                    Some(f) => format!("read {} and the LEERPAD_* variables", f.display()),
                    None => "no configuration file: defaults and the LEERPAD_* variables".into(),
                },
            ));
            checks.push(database(&config));
            checks.push(mail(&config));
            checks.push(base_url(&config));
            checks.extend(secret(&config, file.as_deref()));
            checks.push(courses(&config));
        }
    }
    let mut failed = false;
    for c in &checks {
        let level = match c.level {
            Level::Ok => "ok",
            Level::Warn => "warn",
            Level::Fail => "fail",
        };
        failed |= c.level == Level::Fail;
        println!("{level:<5} {:<9} {}", c.name, one_line(&c.message));
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn database(config: &Config) -> Check {
    let url = config.database_url();
    let parsed = match DbUrl::parse(&url) {
        Ok(p) => p,
        Err(e) => return check(Level::Fail, "database", e.to_string()),
    };
    let shown = parsed.redacted();
    if let DbUrl::Sqlite(path) = &parsed {
        if !path.exists() {
            return match writable_folder(path.parent().unwrap_or(Path::new("."))) {
                Ok(()) => check(
                    Level::Warn,
                    "database",
                    format!("no database at {shown} yet: `leerpad serve` or `leerpad migrate` creates it"),
                ),
                Err(e) => check(
                    Level::Fail,
                    "database",
                    format!("no database at {shown}, and it cannot be created: {e}"),
                ),
            };
        }
    }
    match pending_migrations(&url) {
        Ok(pending) if pending.is_empty() => check(
            Level::Ok,
            "database",
            format!("{shown} answers and is at the current schema"),
        ),
        Ok(pending) => check(
            Level::Warn,
            "database",
            format!(
                "{shown} answers; {} migration(s) pending ({}): `leerpad migrate` or the next `leerpad serve` applies them",
                pending.len(),
                pending.join(", ")
            ),
        ),
        Err(e) => {
            let reason = match e {
                leerpad_store::StoreError::Open { reason, .. } => reason,
                e => e.to_string(),
            };
            check(
                Level::Fail,
                "database",
                format!("cannot reach {shown}: {reason}; check `database_url` and that the server runs"),
            )
        }
    }
}

fn mail(config: &Config) -> Check {
    match config.mail_transport() {
        Transport::Files { dir, .. } => match writable_folder(&dir) {
            Ok(()) => check(
                Level::Ok,
                "mail",
                format!(
                    "no SMTP server: email is written as files to {} (writable); set `mail.smtp_host` to send it",
                    dir.display()
                ),
            ),
            Err(e) => check(
                Level::Fail,
                "mail",
                format!("email is written as files to {}, which cannot be written: {e}", dir.display()),
            ),
        },
        transport @ Transport::Smtp { .. } => {
            let mailer = match Mailer::with_timeout(&transport, SMTP_TIMEOUT) {
                Ok(m) => m,
                Err(e) => return check(Level::Fail, "mail", e.to_string()),
            };
            let what = mailer.describe().to_string();
            let answered = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
                .and_then(|rt| {
                    rt.block_on(async {
                        match tokio::time::timeout(2 * SMTP_TIMEOUT, mailer.check_connection())
                            .await
                        {
                            Ok(Ok(())) => Ok(()),
                            Ok(Err(e)) => Err(e.to_string()),
                            Err(_) => Err(format!(
                                "no answer within {} seconds",
                                2 * SMTP_TIMEOUT.as_secs()
                            )),
                        }
                    })
                });
            match answered {
                Ok(()) => check(Level::Ok, "mail", format!("{what} answers")),
                Err(e) => check(
                    Level::Fail,
                    "mail",
                    format!("{what} does not answer: {e}; check `mail.smtp_host`, `mail.smtp_port` and `mail.smtp_security`"),
                ),
            }
        }
    }
}

fn base_url(config: &Config) -> Check {
    let url = config.base_url();
    let Some((scheme, rest)) = url.split_once("://") else {
        return check(
            Level::Fail,
            "base_url",
            format!("`{url}` is not an absolute http(s) address"),
        );
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    if host.is_empty() || rest.contains(['?', '#']) || !matches!(scheme, "http" | "https") {
        return check(
            Level::Fail,
            "base_url",
            format!("`{url}` is not an absolute http(s) address without query, such as https://leren.example.be"),
        );
    }
    let local = is_local(host);
    match (scheme, local, config.site.base_url.is_some()) {
        ("https", _, _) => check(Level::Ok, "base_url", url.clone()),
        ("http", true, true) => check(
            Level::Ok,
            "base_url",
            format!("{url} (http: only for this machine)"),
        ),
        ("http", true, false) => check(
            Level::Warn,
            "base_url",
            format!("not set: links in email point to {url}; set `base_url` to the address learners use"),
        ),
        _ => check(
            Level::Fail,
            "base_url",
            format!("{url} is plain http on the network: sign-in links and sessions would travel unencrypted; use https:// (behind a reverse proxy)"),
        ),
    }
}

fn is_local(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The signing secret, and the configuration file's permissions when it holds
/// secrets.
fn secret(config: &Config, file: Option<&Path>) -> Vec<Check> {
    let mut out = Vec::new();
    let shared = matches!(DbUrl::parse(&config.database_url()), Ok(DbUrl::Postgres(_)));
    match &config.secret {
        Some(s) => out.push(check(
            Level::Ok,
            "secret",
            format!("set in the configuration ({} characters)", s.len()),
        )),
        None => {
            let path = config.data_dir.join("secret.key");
            match std::fs::read_to_string(&path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => out.push(check(
                    Level::Warn,
                    "secret",
                    format!(
                        "no secret yet: `leerpad serve` generates {} at its first start{}",
                        path.display(),
                        if shared {
                            "; instances sharing this PostgreSQL database must share one: set `secret`"
                        } else {
                            ""
                        }
                    ),
                )),
                Err(e) => out.push(check(
                    Level::Fail,
                    "secret",
                    format!("cannot read {}: {e}", path.display()),
                )),
                Ok(text) if text.trim().len() < 32 => out.push(check(
                    Level::Fail,
                    "secret",
                    format!(
                        "{} is too short ({} characters, at least 32): delete it to have a new one generated",
                        path.display(),
                        text.trim().len()
                    ),
                )),
                Ok(_) => out.push(match others_may_read(&path) {
                    Some(mode) => check(
                        Level::Fail,
                        "secret",
                        format!("{} can be read by others (mode {mode:o}): chmod 600 {}", path.display(), path.display()),
                    ),
                    None => check(Level::Ok, "secret", format!("{} (private)", path.display())),
                }),
            }
        }
    }
    if let Some(file) = file {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let holds_secrets = text.lines().any(|l| {
            let key = l.split('=').next().unwrap_or("").trim();
            l.contains('=') && matches!(key, "secret" | "smtp_password" | "metrics_token")
        });
        if holds_secrets {
            if let Some(mode) = others_may_read(file) {
                out.push(check(
                    Level::Fail,
                    "secret",
                    format!(
                        "{} holds secrets and can be read by others (mode {mode:o}): chmod 600 {}",
                        file.display(),
                        file.display()
                    ),
                ));
            }
        }
    }
    out
}

/// The file's mode if users other than its owner and group may read or write
/// it. (A group of its own, as `root:leerpad 0640` for a configuration file, is
/// private enough.)
fn others_may_read(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o007 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

fn courses(config: &Config) -> Check {
    let dir = &config.courses.dir;
    if !config.courses.publish_on_start {
        return check(
            Level::Ok,
            "courses",
            "not published at start (`publish_on_start = false`): `leerpad publish` publishes them",
        );
    }
    if !dir.is_dir() {
        return check(
            Level::Warn,
            "courses",
            format!(
                "no courses folder at {}: nothing is published at start (`courses_dir`)",
                dir.display()
            ),
        );
    }
    let compiled = compile_paths(std::slice::from_ref(dir));
    let (errors, warnings) = (
        compiled.diagnostics.error_count(),
        compiled.diagnostics.warning_count(),
    );
    let courses = compiled.courses.len();
    if errors > 0 {
        check(
            Level::Fail,
            "courses",
            format!(
                "{} has {errors} error(s) and {warnings} warning(s): `leerpad check {}` shows them; until they are fixed the versions published before are served",
                dir.display(),
                dir.display()
            ),
        )
    } else if warnings > 0 {
        check(
            Level::Warn,
            "courses",
            format!(
                "{courses} course(s) in {}, no errors, {warnings} warning(s): `leerpad check {}` shows them",
                dir.display(),
                dir.display()
            ),
        )
    } else {
        check(
            Level::Ok,
            "courses",
            format!(
                "{courses} course(s) in {}, no errors or warnings",
                dir.display()
            ),
        )
    }
}

/// Messages from other programs (libpq's) come in several lines: one line each.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether a file can be made in `dir` (or, if it does not exist yet, in the
/// nearest folder above it that does, where it would be created). The probe file
/// is removed again.
fn writable_folder(dir: &Path) -> Result<(), String> {
    let mut at = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    while !at.exists() {
        at = match at.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
    }
    if !at.is_dir() {
        return Err(format!("{} is not a folder", at.display()));
    }
    tempfile::Builder::new()
        .prefix(".leerpad-doctor")
        .tempfile_in(at)
        .map(drop)
        .map_err(|e| format!("{}: {e}", at.display()))
}
