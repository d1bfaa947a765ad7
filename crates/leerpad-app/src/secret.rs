//! The server's signing secret: every key that signs (sessions, forms, one-time
//! links, unsubscribe links, calendar feeds) is derived from it, so every instance
//! and every subcommand that signs must read the same one.

use std::path::Path;

use crate::tokens::random_token;

/// The configured secret, or the one in `<data_dir>/secret.key`, created at first
/// start with owner-only permissions.
pub fn load(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    if let Some(s) = configured {
        return Ok(s.as_bytes().to_vec());
    }
    let path = data_dir.join("secret.key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let trimmed = existing.trim();
        anyhow::ensure!(
            trimmed.len() >= 32,
            "{} is too short; delete it to generate a new one",
            path.display()
        );
        return Ok(trimmed.as_bytes().to_vec());
    }
    std::fs::create_dir_all(data_dir)?;
    let secret = random_token(48);
    write_private(&path, &secret)?;
    tracing::info!(path = %path.display(), "generated a new signing secret");
    Ok(secret.into_bytes())
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(text.as_bytes())
}
