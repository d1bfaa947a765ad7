//! Configuration: defaults, then a TOML file, then `LEERPAD_*` environment
//! variables, into one typed struct that is validated at start.

use std::fmt;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// The address learners use, for links in email; default `http://<listen>`.
    pub base_url: Option<String>,
    /// Folder for the SQLite database, the signing secret and mail files.
    pub data_dir: PathBuf,
    /// `postgres://…` or a SQLite file; default `<data_dir>/leerpad.db`.
    pub database_url: Option<String>,
    /// SQLite's durability: `full` (every acknowledged write survives a power loss)
    /// or `normal` (faster writes; a power loss can lose the last ones).
    pub sqlite_synchronous: String,
    /// Course sources published at start when they changed.
    pub courses_dir: PathBuf,
    pub publish_on_start: bool,
    /// A theme folder whose templates, static files and texts override the default.
    pub theme_dir: Option<PathBuf>,
    /// `open`: anyone may register; `invite`: only invited people.
    pub registration: Registration,
    /// Language before sign-in when the browser asks for neither nl nor en.
    pub default_language: String,
    /// How long a session lasts without activity.
    pub session_hours: u32,
    /// The first administrator, created at first start with a one-time sign-in link.
    pub admin_email: String,
    /// Where people report accessibility problems (the accessibility statement's
    /// contact); default: `admin_email`.
    pub accessibility_contact: Option<String>,
    /// Secret for signing sessions and tokens; default: generated into
    /// `<data_dir>/secret.key` at first start.
    pub secret: Option<String>,
    /// Whether `leerpad serve` runs the periodic jobs (sending email, nudges,
    /// digests, pruning) besides serving; `false` for web instances when
    /// `leerpad worker` runs them elsewhere.
    pub jobs: bool,
    /// How often the job runner looks for email nudges and weekly digests that
    /// are due; 0: never.
    pub nudge_interval_minutes: u32,
    /// Nudges queued per run at most; the rest wait for the next run.
    pub nudge_max_per_run: u32,
    /// The day of the week coordinators' weekly digests go out (`monday` … `sunday`),
    /// in the server's time zone; with the nudges, so not when those are off.
    pub digest_weekday: String,
    /// The hour (0–23, server time) of `digest_weekday` from which the digests go out.
    pub digest_hour: u32,
    /// Reverse proxies (addresses or networks such as `10.0.0.0/8`) whose
    /// `X-Forwarded-For` tells the client's address. Requests from anywhere else
    /// count as coming from their own address, whatever they send.
    pub trusted_proxies: Vec<String>,
    /// The most seconds a request body may take to arrive.
    pub body_timeout_seconds: u64,
    /// A bearer token for `GET /metrics` (Prometheus); without one, there are no
    /// metrics (404).
    pub metrics_token: Option<String>,
    /// `human` (default): readable lines; `json`: one JSON object per line.
    pub log_format: LogFormat,
    pub mail: MailConfig,
    pub community: CommunityConfig,
}

/// The learning community's moderation settings (`[community]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CommunityConfig {
    /// A post reported by this many people is hidden until a moderator reviews it
    /// (0: never hidden by reports alone).
    pub hide_after_reports: u32,
    /// A member's first this many posts wait for a moderator's approval (0: none).
    pub hold_first_posts: u32,
    /// At most this many posts per member in `window_minutes`.
    pub posts_per_window: u32,
    pub window_minutes: u32,
}

impl Default for CommunityConfig {
    fn default() -> Self {
        let m = leerpad_core::community::Moderation::default();
        CommunityConfig {
            hide_after_reports: m.hide_after_reports,
            hold_first_posts: m.hold_first_posts,
            posts_per_window: m.posts_per_window,
            window_minutes: m.window_minutes,
        }
    }
}

impl CommunityConfig {
    pub fn moderation(&self) -> leerpad_core::community::Moderation {
        leerpad_core::community::Moderation {
            hide_after_reports: self.hide_after_reports,
            hold_first_posts: self.hold_first_posts,
            posts_per_window: self.posts_per_window,
            window_minutes: self.window_minutes,
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

impl LogFormat {
    /// `human` or `json`, in any case.
    pub fn parse(s: &str) -> Option<LogFormat> {
        match s.trim().to_ascii_lowercase().as_str() {
            "human" => Some(LogFormat::Human),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Registration {
    Open,
    Invite,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// Sender address.
    pub from: String,
    /// SMTP server; without it, messages are written as files in `<data_dir>/mail`.
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    /// `starttls` (default), `tls` or `none`.
    pub smtp_security: String,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<String>,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            from: "Leerpad <leerpad@localhost>".into(),
            smtp_host: None,
            smtp_port: None,
            smtp_security: "starttls".into(),
            smtp_username: None,
            smtp_password: None,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            base_url: None,
            data_dir: PathBuf::from("data"),
            database_url: None,
            sqlite_synchronous: "full".into(),
            courses_dir: PathBuf::from("courses"),
            publish_on_start: true,
            theme_dir: None,
            registration: Registration::Open,
            default_language: "nl".into(),
            session_hours: 12,
            admin_email: "admin@localhost".into(),
            accessibility_contact: None,
            secret: None,
            jobs: true,
            nudge_interval_minutes: 15,
            nudge_max_per_run: 5_000,
            digest_weekday: "monday".into(),
            digest_hour: 7,
            trusted_proxies: Vec::new(),
            body_timeout_seconds: 60,
            metrics_token: None,
            log_format: LogFormat::Human,
            mail: MailConfig::default(),
            community: CommunityConfig::default(),
        }
    }
}

/// `LEERPAD_*` variables that are not settings of the server: the log filter, and
/// what tests and benchmarks use. Any other unknown `LEERPAD_*` variable is an error,
/// so a misspelt setting does not go unnoticed.
const NOT_CONFIGURATION: &[&str] = &[
    "LOG",
    "FAIL_POINT",
    "TEST_DATABASE_URL",
    "BENCH_DATABASE_URL",
    "BIN",
];

impl Config {
    /// Loads defaults, then `file` (if given, it must exist; else `leerpad.toml` if
    /// present), then `LEERPAD_*` variables (`LEERPAD_MAIL__SMTP_HOST` for nested keys).
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(f) => {
                anyhow::ensure!(
                    f.is_file(),
                    "configuration file {} does not exist",
                    f.display()
                );
                figment = figment.merge(Toml::file(f));
            }
            None => figment = figment.merge(Toml::file("leerpad.toml")),
        }
        let config: Config = figment
            .merge(
                Env::prefixed("LEERPAD_")
                    .ignore(NOT_CONFIGURATION)
                    .split("__"),
            )
            .extract()
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        let config = config.without_empty_values();
        config.validate()?;
        Ok(config)
    }

    /// An optional setting given as an empty value is not set: a deployment
    /// template (`LEERPAD_METRICS_TOKEN=` in a compose file) may leave it empty.
    fn without_empty_values(mut self) -> Config {
        for value in [
            &mut self.base_url,
            &mut self.database_url,
            &mut self.accessibility_contact,
            &mut self.secret,
            &mut self.metrics_token,
            &mut self.mail.smtp_host,
            &mut self.mail.smtp_username,
            &mut self.mail.smtp_password,
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                *value = None;
            }
        }
        self
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.listen.parse::<std::net::SocketAddr>().is_ok(),
            "`listen` must be an address like 127.0.0.1:8080, not `{}`",
            self.listen
        );
        if let Some(url) = &self.base_url {
            anyhow::ensure!(
                url.starts_with("http://") || url.starts_with("https://"),
                "`base_url` must start with http:// or https://"
            );
        }
        anyhow::ensure!(
            matches!(self.default_language.as_str(), "nl" | "en"),
            "`default_language` must be nl or en"
        );
        anyhow::ensure!(
            (1..=24 * 30).contains(&self.session_hours),
            "`session_hours` must be between 1 and 720"
        );
        anyhow::ensure!(
            matches!(
                self.mail.smtp_security.as_str(),
                "starttls" | "tls" | "none"
            ),
            "`mail.smtp_security` must be starttls, tls or none"
        );
        anyhow::ensure!(
            self.nudge_interval_minutes <= 24 * 60,
            "`nudge_interval_minutes` must be between 0 (off) and 1440 (a day)"
        );
        anyhow::ensure!(
            self.nudge_max_per_run >= 1,
            "`nudge_max_per_run` must be at least 1"
        );
        self.digest_weekday()?;
        anyhow::ensure!(
            self.community.posts_per_window >= 1 && (1..=24 * 60).contains(&self.community.window_minutes),
            "`community.posts_per_window` must be at least 1 and `community.window_minutes` between 1 and 1440"
        );
        anyhow::ensure!(
            leerpad_store::Synchronous::parse(&self.sqlite_synchronous).is_some(),
            "`sqlite_synchronous` must be full or normal, not `{}`",
            self.sqlite_synchronous
        );
        anyhow::ensure!(
            self.digest_hour <= 23,
            "`digest_hour` must be an hour from 0 to 23, not {}",
            self.digest_hour
        );
        anyhow::ensure!(
            (1..=3600).contains(&self.body_timeout_seconds),
            "`body_timeout_seconds` must be between 1 and 3600"
        );
        for p in &self.trusted_proxies {
            anyhow::ensure!(
                parse_net(p).is_some(),
                "`trusted_proxies` takes addresses or networks like 10.0.0.1 or 10.0.0.0/8, not `{p}`"
            );
        }
        if let Some(contact) = &self.accessibility_contact {
            anyhow::ensure!(
                contact.contains('@') && !contact.trim().contains(char::is_whitespace),
                "`accessibility_contact` must be an email address, not `{contact}`"
            );
        }
        if let Some(token) = &self.metrics_token {
            anyhow::ensure!(
                token.trim().len() >= 16 && token.trim() == token,
                "`metrics_token` must be at least 16 characters, without spaces around"
            );
        }
        if let Some(secret) = &self.secret {
            anyhow::ensure!(
                secret.len() >= 32,
                "`secret` must be at least 32 characters"
            );
        }
        Ok(())
    }

    /// `digest_weekday` as a day of the week; an error naming the setting for
    /// anything but `monday` … `sunday` (in any case).
    pub fn digest_weekday(&self) -> anyhow::Result<chrono::Weekday> {
        parse_weekday(&self.digest_weekday).ok_or_else(|| {
            anyhow::anyhow!(
                "`digest_weekday` must be one of {}, not `{}`",
                WEEKDAYS.join(", "),
                self.digest_weekday
            )
        })
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            self.data_dir
                .join("leerpad.db")
                .to_string_lossy()
                .into_owned()
        })
    }

    /// How to open the database: the pool's defaults and `sqlite_synchronous`.
    pub fn db_options(&self) -> leerpad_store::DbOptions {
        leerpad_store::DbOptions {
            synchronous: leerpad_store::Synchronous::parse(&self.sqlite_synchronous)
                .unwrap_or_default(),
            ..leerpad_store::DbOptions::default()
        }
    }

    /// The accessibility statement's contact address.
    pub fn accessibility_contact(&self) -> &str {
        self.accessibility_contact
            .as_deref()
            .map(str::trim)
            .unwrap_or(&self.admin_email)
    }

    pub fn base_url(&self) -> String {
        self.base_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_string()
    }

    /// Where email goes: the SMTP server if one is configured, else files in
    /// `<data_dir>/mail`.
    pub fn mail_transport(&self) -> leerpad_mail::Transport {
        let m = &self.mail;
        match &m.smtp_host {
            Some(host) => leerpad_mail::Transport::Smtp {
                host: host.clone(),
                port: m.smtp_port,
                security: match m.smtp_security.as_str() {
                    "tls" => leerpad_mail::Security::Tls,
                    "none" => leerpad_mail::Security::None,
                    _ => leerpad_mail::Security::Starttls,
                },
                username: m.smtp_username.clone(),
                password: m.smtp_password.clone(),
                from: m.from.clone(),
            },
            None => leerpad_mail::Transport::Files {
                dir: self.data_dir.join("mail"),
                from: m.from.clone(),
            },
        }
    }

    /// The `trusted_proxies` as networks (an address is a network of one).
    pub fn trusted_proxy_networks(&self) -> Vec<ipnet::IpNet> {
        self.trusted_proxies
            .iter()
            .filter_map(|p| parse_net(p))
            .collect()
    }

    /// Whether cookies must be `Secure` (the site is served over https).
    pub fn secure_cookies(&self) -> bool {
        self.base_url().starts_with("https://")
    }
}

fn parse_net(s: &str) -> Option<ipnet::IpNet> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>()
        .ok()
        .or_else(|| s.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from))
}

const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// `monday` … `sunday`, in any case and with spaces around.
fn parse_weekday(s: &str) -> Option<chrono::Weekday> {
    let s = s.trim().to_ascii_lowercase();
    let i = WEEKDAYS.iter().position(|d| *d == s)?;
    chrono::Weekday::try_from(i as u8).ok()
}

/// Secrets are never printed.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("base_url", &self.base_url())
            .field("data_dir", &self.data_dir)
            .field(
                "database",
                &leerpad_store::DbUrl::parse(&self.database_url())
                    .map(|u| u.redacted())
                    .unwrap_or_default(),
            )
            .field("sqlite_synchronous", &self.sqlite_synchronous)
            .field("courses_dir", &self.courses_dir)
            .field("theme_dir", &self.theme_dir)
            .field("registration", &self.registration)
            .field("jobs", &self.jobs)
            .field("nudge_interval_minutes", &self.nudge_interval_minutes)
            .field("nudge_max_per_run", &self.nudge_max_per_run)
            .field("digest_weekday", &self.digest_weekday)
            .field("digest_hour", &self.digest_hour)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "***"))
            .field("log_format", &self.log_format)
            .field("mail.smtp_host", &self.mail.smtp_host)
            .field(
                "mail.smtp_password",
                &self.mail.smtp_password.as_ref().map(|_| "***"),
            )
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        Config::default().validate().unwrap();
        assert_eq!(Config::default().database_url(), "data/leerpad.db");
        assert_eq!(Config::default().base_url(), "http://127.0.0.1:8080");
    }

    #[test]
    fn debug_output_hides_secrets() {
        let mut c = Config {
            secret: Some("s".repeat(40)),
            database_url: Some("postgres://leerpad:geheim@db/leerpad".into()),
            ..Config::default()
        };
        c.mail.smtp_password = Some("hunter2hunter2".into());
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("ssss") && !shown.contains("hunter2") && !shown.contains("geheim"),
            "{shown}"
        );
    }

    #[test]
    fn bad_values_are_explained() {
        let c = Config {
            listen: "localhost".into(),
            ..Config::default()
        };
        assert!(c.validate().unwrap_err().to_string().contains("listen"));
        let c = Config {
            session_hours: 0,
            ..Config::default()
        };
        assert!(c.validate().is_err());
    }

    #[test]
    fn empty_optional_values_are_not_set() {
        let c = Config {
            metrics_token: Some(String::new()),
            mail: MailConfig {
                smtp_username: Some(" ".into()),
                ..MailConfig::default()
            },
            ..Config::default()
        }
        .without_empty_values();
        assert_eq!(c.metrics_token, None);
        assert_eq!(c.mail.smtp_username, None);
        c.validate().unwrap();
        let c = Config {
            metrics_token: Some("kort".into()),
            ..Config::default()
        };
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("`metrics_token`"), "{e}");
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let c = Config {
            trusted_proxies: vec!["10.0.0.0/8".into(), " 192.168.1.7 ".into(), "::1".into()],
            ..Config::default()
        };
        c.validate().unwrap();
        assert_eq!(c.trusted_proxy_networks().len(), 3);
        let c = Config {
            trusted_proxies: vec!["proxy.local".into()],
            ..Config::default()
        };
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("`trusted_proxies`"), "{e}");
    }

    #[test]
    fn digest_schedule() {
        assert_eq!(
            Config::default().digest_weekday().unwrap(),
            chrono::Weekday::Mon
        );
        let c = Config {
            digest_weekday: " Friday".into(),
            digest_hour: 23,
            ..Config::default()
        };
        c.validate().unwrap();
        assert_eq!(c.digest_weekday().unwrap(), chrono::Weekday::Fri);
        assert_eq!(parse_weekday("sunday"), Some(chrono::Weekday::Sun));
        for bad in ["maandag", "mon", "", "mondays"] {
            let c = Config {
                digest_weekday: bad.into(),
                ..Config::default()
            };
            let e = c.validate().unwrap_err().to_string();
            assert!(e.contains("`digest_weekday` must be one of monday,"), "{e}");
        }
        let c = Config {
            digest_hour: 24,
            ..Config::default()
        };
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("`digest_hour`"), "{e}");
    }
}
