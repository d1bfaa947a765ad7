//! `leerpad`: the one binary. Each subcommand lives in `cli/`.

mod cli;
mod jobs;

use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let default_level = if matches!(
        args.command,
        cli::Command::Serve(_) | cli::Command::Worker(_)
    ) {
        "info"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("LEERPAD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli::log_format(&args) {
        // One JSON object per line, for log collectors.
        leerpad_app::config::LogFormat::Json => logs.json().init(),
        leerpad_app::config::LogFormat::Human => logs.init(),
    }
    // Databases, mail files, reports and secrets hold personal data: whatever
    // Leerpad writes is readable by its own user only.
    #[cfg(unix)]
    // SAFETY: umask only sets the process's file-creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
    match cli::run(args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
