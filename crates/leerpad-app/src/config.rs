//! Configuration: defaults, then a TOML file, then `LEERPAD_*` environment
//! variables, into one typed [`Config`] that is validated at start. Every
//! subcommand that needs more than a database URL loads it with [`Config::load`].
//!
//! What operators write is flat, as documented in `docs/configuration.md`
//! (`nudge_interval_minutes = 15`, `LEERPAD_NUDGE_INTERVAL_MINUTES`, `[mail]`):
//! that is [`Settings`], read with unknown keys refused so a misspelt setting
//! does not go unnoticed. What the program reads is nested by concern
//! ([`Config::http`], [`Config::site`], [`Config::accounts`], [`Config::database`],
//! [`Config::courses`], [`Config::jobs`], [`Config::mail`]), so a part of the
//! program can take only the part it needs. The defaults are those of the nested
//! types; each field's documentation names its key.

use std::fmt;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

/// The whole configuration.
#[derive(Clone)]
pub struct Config {
    /// `data_dir`: folder for the SQLite database, the signing secret and mail files.
    pub data_dir: PathBuf,
    /// `secret`: for signing sessions, forms and links; default: generated into
    /// `<data_dir>/secret.key` at first start (see [`crate::secret`]).
    pub secret: Option<String>,
    /// `log_format`: `human` (default) or `json`.
    pub log_format: LogFormat,
    pub http: HttpConfig,
    pub site: SiteConfig,
    pub accounts: AccountsConfig,
    pub database: DatabaseConfig,
    pub courses: CoursesConfig,
    pub jobs: JobsConfig,
    pub mail: MailConfig,
    pub community: CommunityConfig,
}

/// `[community]`: the learning community's moderation settings.
#[derive(Debug, Clone)]
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

/// How the web server listens and whom it believes.
#[derive(Clone)]
pub struct HttpConfig {
    /// `listen`: address to listen on.
    pub listen: String,
    /// `trusted_proxies`: reverse proxies (addresses or networks such as
    /// `10.0.0.0/8`) whose `X-Forwarded-For` tells the client's address. Requests
    /// from anywhere else count as coming from their own address, whatever they send.
    pub trusted_proxies: Vec<String>,
    /// `body_timeout_seconds`: the most seconds a request body may take to arrive.
    pub body_timeout_seconds: u64,
    /// `metrics_token`: a bearer token for `GET /metrics` (Prometheus); without
    /// one, there are no metrics (404).
    pub metrics_token: Option<String>,
}

/// What the site is and looks like.
#[derive(Clone)]
pub struct SiteConfig {
    /// `base_url`: the address learners use, for links in email; default
    /// `http://<listen>` ([`Config::base_url`]).
    pub base_url: Option<String>,
    /// `theme_dir`: a theme folder whose templates, static files and texts
    /// override the default.
    pub theme_dir: Option<PathBuf>,
    /// `default_language`: language before sign-in when the browser asks for
    /// neither nl nor en.
    pub default_language: String,
    /// `accessibility_contact`: where people report accessibility problems (the
    /// accessibility statement's contact); default: `admin_email`.
    pub accessibility_contact: Option<String>,
    /// `anonymity_threshold`: the smallest group of people any aggregate is
    /// shown for (`leerpad_core::anonymity`); never below 3.
    pub anonymity_threshold: u32,
}

/// Who gets an account and for how long they stay signed in.
#[derive(Clone)]
pub struct AccountsConfig {
    /// `registration`: `open`: anyone may register; `invite`: only invited people.
    pub registration: Registration,
    /// `session_hours`: how long a session lasts without activity.
    pub session_hours: u32,
    /// `admin_email`: the first administrator, created at first start with a
    /// one-time sign-in link.
    pub admin_email: String,
}

/// Where the data is.
#[derive(Clone)]
pub struct DatabaseConfig {
    /// `database_url`: `postgres://…` or a SQLite file; default
    /// `<data_dir>/leerpad.db` ([`Config::database_url`]).
    pub url: Option<String>,
    /// `sqlite_synchronous`: SQLite's durability: `full` (every acknowledged write
    /// survives a power loss) or `normal` (faster writes; a power loss can lose
    /// the last ones).
    pub sqlite_synchronous: String,
}

/// The course sources `serve` publishes.
#[derive(Clone)]
pub struct CoursesConfig {
    /// `courses_dir`: course sources published at start when they changed.
    pub dir: PathBuf,
    /// `publish_on_start`.
    pub publish_on_start: bool,
}

/// The periodic work.
#[derive(Clone)]
pub struct JobsConfig {
    /// `jobs`: whether `leerpad serve` runs the periodic jobs (sending email,
    /// nudges, digests, pruning) besides serving; `false` for web instances when
    /// `leerpad worker` runs them elsewhere.
    pub enabled: bool,
    /// `nudge_interval_minutes`: how often the job runner looks for email nudges
    /// and weekly digests that are due; 0: never.
    pub nudge_interval_minutes: u32,
    /// `nudge_max_per_run`: nudges queued per run at most; the rest wait for the
    /// next run.
    pub nudge_max_per_run: u32,
    /// `digest_weekday`: the day of the week coordinators' weekly digests go out
    /// (`monday` … `sunday`), in the server's time zone; with the nudges, so not
    /// when those are off.
    pub digest_weekday: String,
    /// `digest_hour`: the hour (0–23, server time) of `digest_weekday` from which
    /// the digests go out.
    pub digest_hour: u32,
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

/// `[mail]`: how email leaves.
#[derive(Clone)]
pub struct MailConfig {
    /// `mail.from`: sender address.
    pub from: String,
    /// `mail.smtp_host`: SMTP server; without it, messages are written as files in
    /// `<data_dir>/mail`.
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    /// `mail.smtp_security`: `starttls` (default), `tls` or `none`.
    pub smtp_security: String,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("data"),
            secret: None,
            log_format: LogFormat::Human,
            http: HttpConfig::default(),
            site: SiteConfig::default(),
            accounts: AccountsConfig::default(),
            database: DatabaseConfig::default(),
            courses: CoursesConfig::default(),
            jobs: JobsConfig::default(),
            mail: MailConfig::default(),
            community: CommunityConfig::default(),
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: "127.0.0.1:8080".into(),
            trusted_proxies: Vec::new(),
            body_timeout_seconds: 60,
            metrics_token: None,
        }
    }
}

impl Default for SiteConfig {
    fn default() -> Self {
        SiteConfig {
            base_url: None,
            theme_dir: None,
            default_language: "nl".into(),
            accessibility_contact: None,
            anonymity_threshold: leerpad_core::anonymity::DEFAULT,
        }
    }
}

impl Default for AccountsConfig {
    fn default() -> Self {
        AccountsConfig {
            registration: Registration::Open,
            session_hours: 12,
            admin_email: "admin@localhost".into(),
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: None,
            sqlite_synchronous: "full".into(),
        }
    }
}

impl Default for CoursesConfig {
    fn default() -> Self {
        CoursesConfig {
            dir: PathBuf::from("courses"),
            publish_on_start: true,
        }
    }
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig {
            enabled: true,
            nudge_interval_minutes: 15,
            nudge_max_per_run: 5_000,
            digest_weekday: "monday".into(),
            digest_hour: 7,
        }
    }
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

/// The configuration as operators write it: flat keys (and `[mail]`), each one
/// optional, unknown ones refused. Every key given replaces its default in
/// [`Config`].
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub listen: Option<String>,
    pub base_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub sqlite_synchronous: Option<String>,
    pub courses_dir: Option<PathBuf>,
    pub publish_on_start: Option<bool>,
    pub theme_dir: Option<PathBuf>,
    pub registration: Option<Registration>,
    pub default_language: Option<String>,
    pub session_hours: Option<u32>,
    pub admin_email: Option<String>,
    pub accessibility_contact: Option<String>,
    pub anonymity_threshold: Option<u32>,
    pub secret: Option<String>,
    pub jobs: Option<bool>,
    pub nudge_interval_minutes: Option<u32>,
    pub nudge_max_per_run: Option<u32>,
    pub digest_weekday: Option<String>,
    pub digest_hour: Option<u32>,
    pub trusted_proxies: Option<Vec<String>>,
    pub body_timeout_seconds: Option<u64>,
    pub metrics_token: Option<String>,
    pub log_format: Option<LogFormat>,
    pub mail: Option<MailSettings>,
    pub community: Option<CommunitySettings>,
}

/// `[community]` as operators write it.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommunitySettings {
    pub hide_after_reports: Option<u32>,
    pub hold_first_posts: Option<u32>,
    pub posts_per_window: Option<u32>,
    pub window_minutes: Option<u32>,
}

/// `[mail]` as operators write it.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub from: Option<String>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    pub smtp_security: Option<String>,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<String>,
}

impl Settings {
    /// The defaults with every key given here replacing its own.
    pub fn apply(self, mut c: Config) -> Config {
        fn set<T>(target: &mut T, value: Option<T>) {
            if let Some(v) = value {
                *target = v;
            }
        }
        fn set_opt<T>(target: &mut Option<T>, value: Option<T>) {
            if value.is_some() {
                *target = value;
            }
        }
        set(&mut c.http.listen, self.listen);
        set_opt(&mut c.site.base_url, self.base_url);
        set(&mut c.data_dir, self.data_dir);
        set_opt(&mut c.database.url, self.database_url);
        set(&mut c.database.sqlite_synchronous, self.sqlite_synchronous);
        set(&mut c.courses.dir, self.courses_dir);
        set(&mut c.courses.publish_on_start, self.publish_on_start);
        set_opt(&mut c.site.theme_dir, self.theme_dir);
        set(&mut c.accounts.registration, self.registration);
        set(&mut c.site.default_language, self.default_language);
        set(&mut c.accounts.session_hours, self.session_hours);
        set(&mut c.accounts.admin_email, self.admin_email);
        set_opt(
            &mut c.site.accessibility_contact,
            self.accessibility_contact,
        );
        set(&mut c.site.anonymity_threshold, self.anonymity_threshold);
        set_opt(&mut c.secret, self.secret);
        set(&mut c.jobs.enabled, self.jobs);
        set(
            &mut c.jobs.nudge_interval_minutes,
            self.nudge_interval_minutes,
        );
        set(&mut c.jobs.nudge_max_per_run, self.nudge_max_per_run);
        set(&mut c.jobs.digest_weekday, self.digest_weekday);
        set(&mut c.jobs.digest_hour, self.digest_hour);
        set(&mut c.http.trusted_proxies, self.trusted_proxies);
        set(&mut c.http.body_timeout_seconds, self.body_timeout_seconds);
        set_opt(&mut c.http.metrics_token, self.metrics_token);
        set(&mut c.log_format, self.log_format);
        if let Some(m) = self.community {
            set(&mut c.community.hide_after_reports, m.hide_after_reports);
            set(&mut c.community.hold_first_posts, m.hold_first_posts);
            set(&mut c.community.posts_per_window, m.posts_per_window);
            set(&mut c.community.window_minutes, m.window_minutes);
        }
        if let Some(m) = self.mail {
            set(&mut c.mail.from, m.from);
            set_opt(&mut c.mail.smtp_host, m.smtp_host);
            set_opt(&mut c.mail.smtp_port, m.smtp_port);
            set(&mut c.mail.smtp_security, m.smtp_security);
            set_opt(&mut c.mail.smtp_username, m.smtp_username);
            set_opt(&mut c.mail.smtp_password, m.smtp_password);
        }
        c
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

impl SiteConfig {
    /// The anonymity threshold (validated at start, so never below the floor).
    pub fn anonymity(&self) -> leerpad_core::anonymity::Threshold {
        leerpad_core::anonymity::Threshold::new(self.anonymity_threshold).unwrap_or_default()
    }
}

impl Config {
    /// Loads defaults, then `file` (if given, it must exist; else `leerpad.toml` if
    /// present), then `LEERPAD_*` variables (`LEERPAD_MAIL__SMTP_HOST` for nested keys).
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let mut figment = Figment::new();
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
        let settings: Settings = figment
            .merge(
                Env::prefixed("LEERPAD_")
                    .ignore(NOT_CONFIGURATION)
                    .split("__"),
            )
            .extract()
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        let config = settings.apply(Config::default()).without_empty_values();
        config.validate()?;
        Ok(config)
    }

    /// An optional setting given as an empty value is not set: a deployment
    /// template (`LEERPAD_METRICS_TOKEN=` in a compose file) may leave it empty.
    pub fn without_empty_values(mut self) -> Config {
        for value in [
            &mut self.site.base_url,
            &mut self.database.url,
            &mut self.site.accessibility_contact,
            &mut self.secret,
            &mut self.http.metrics_token,
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
            self.http.listen.parse::<std::net::SocketAddr>().is_ok(),
            "`listen` must be an address like 127.0.0.1:8080, not `{}`",
            self.http.listen
        );
        if let Some(url) = &self.site.base_url {
            anyhow::ensure!(
                url.starts_with("http://") || url.starts_with("https://"),
                "`base_url` must start with http:// or https://"
            );
        }
        anyhow::ensure!(
            matches!(self.site.default_language.as_str(), "nl" | "en"),
            "`default_language` must be nl or en"
        );
        anyhow::ensure!(
            (1..=24 * 30).contains(&self.accounts.session_hours),
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
            self.jobs.nudge_interval_minutes <= 24 * 60,
            "`nudge_interval_minutes` must be between 0 (off) and 1440 (a day)"
        );
        anyhow::ensure!(
            self.jobs.nudge_max_per_run >= 1,
            "`nudge_max_per_run` must be at least 1"
        );
        self.jobs.digest_weekday()?;
        anyhow::ensure!(
            leerpad_core::anonymity::Threshold::new(self.site.anonymity_threshold).is_some(),
            "`anonymity_threshold` must be at least {}: a smaller group could point at a person",
            leerpad_core::anonymity::FLOOR
        );
        anyhow::ensure!(
            self.community.posts_per_window >= 1
                && (1..=24 * 60).contains(&self.community.window_minutes),
            "`community.posts_per_window` must be at least 1 and `community.window_minutes` between 1 and 1440"
        );
        anyhow::ensure!(
            leerpad_store::Synchronous::parse(&self.database.sqlite_synchronous).is_some(),
            "`sqlite_synchronous` must be full or normal, not `{}`",
            self.database.sqlite_synchronous
        );
        anyhow::ensure!(
            self.jobs.digest_hour <= 23,
            "`digest_hour` must be an hour from 0 to 23, not {}",
            self.jobs.digest_hour
        );
        anyhow::ensure!(
            (1..=3600).contains(&self.http.body_timeout_seconds),
            "`body_timeout_seconds` must be between 1 and 3600"
        );
        for p in &self.http.trusted_proxies {
            anyhow::ensure!(
                parse_net(p).is_some(),
                "`trusted_proxies` takes addresses or networks like 10.0.0.1 or 10.0.0.0/8, not `{p}`"
            );
        }
        if let Some(contact) = &self.site.accessibility_contact {
            anyhow::ensure!(
                contact.contains('@') && !contact.trim().contains(char::is_whitespace),
                "`accessibility_contact` must be an email address, not `{contact}`"
            );
        }
        if let Some(token) = &self.http.metrics_token {
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

    pub fn database_url(&self) -> String {
        self.database.url.clone().unwrap_or_else(|| {
            self.data_dir
                .join("leerpad.db")
                .to_string_lossy()
                .into_owned()
        })
    }

    /// How to open the database: the pool's defaults and `sqlite_synchronous`.
    pub fn db_options(&self) -> leerpad_store::DbOptions {
        leerpad_store::DbOptions {
            synchronous: leerpad_store::Synchronous::parse(&self.database.sqlite_synchronous)
                .unwrap_or_default(),
            ..leerpad_store::DbOptions::default()
        }
    }

    /// The accessibility statement's contact address.
    pub fn accessibility_contact(&self) -> &str {
        self.site
            .accessibility_contact
            .as_deref()
            .map(str::trim)
            .unwrap_or(&self.accounts.admin_email)
    }

    pub fn base_url(&self) -> String {
        self.site
            .base_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.http.listen))
            .trim_end_matches('/')
            .to_string()
    }

    /// The signing secret: the configured one, or the one in `<data_dir>/secret.key`
    /// (created at first start).
    pub fn signing_secret(&self) -> anyhow::Result<Vec<u8>> {
        crate::secret::load(self.secret.as_deref(), &self.data_dir)
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

    /// Whether cookies must be `Secure` (the site is served over https).
    pub fn secure_cookies(&self) -> bool {
        self.base_url().starts_with("https://")
    }
}

impl HttpConfig {
    /// The `trusted_proxies` as networks (an address is a network of one).
    pub fn trusted_proxy_networks(&self) -> Vec<ipnet::IpNet> {
        self.trusted_proxies
            .iter()
            .filter_map(|p| parse_net(p))
            .collect()
    }
}

impl JobsConfig {
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
            .field("listen", &self.http.listen)
            .field("base_url", &self.base_url())
            .field("data_dir", &self.data_dir)
            .field(
                "database",
                &leerpad_store::DbUrl::parse(&self.database_url())
                    .map(|u| u.redacted())
                    .unwrap_or_default(),
            )
            .field("sqlite_synchronous", &self.database.sqlite_synchronous)
            .field("courses_dir", &self.courses.dir)
            .field("theme_dir", &self.site.theme_dir)
            .field("registration", &self.accounts.registration)
            .field("jobs", &self.jobs.enabled)
            .field("nudge_interval_minutes", &self.jobs.nudge_interval_minutes)
            .field("nudge_max_per_run", &self.jobs.nudge_max_per_run)
            .field("digest_weekday", &self.jobs.digest_weekday)
            .field("digest_hour", &self.jobs.digest_hour)
            .field("trusted_proxies", &self.http.trusted_proxies)
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .field(
                "metrics_token",
                &self.http.metrics_token.as_ref().map(|_| "***"),
            )
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
            database: DatabaseConfig {
                url: Some("postgres://leerpad:geheim@db/leerpad".into()),
                ..DatabaseConfig::default()
            },
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
        let mut c = Config::default();
        c.http.listen = "localhost".into();
        assert!(c.validate().unwrap_err().to_string().contains("listen"));
        let mut c = Config::default();
        c.accounts.session_hours = 0;
        assert!(c.validate().is_err());
    }

    #[test]
    fn empty_optional_values_are_not_set() {
        let mut c = Config::default();
        c.http.metrics_token = Some(String::new());
        c.mail.smtp_username = Some(" ".into());
        let c = c.without_empty_values();
        assert_eq!(c.http.metrics_token, None);
        assert_eq!(c.mail.smtp_username, None);
        c.validate().unwrap();
        let mut c = Config::default();
        c.http.metrics_token = Some("kort".into());
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("`metrics_token`"), "{e}");
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let mut c = Config::default();
        c.http.trusted_proxies = vec!["10.0.0.0/8".into(), " 192.168.1.7 ".into(), "::1".into()];
        c.validate().unwrap();
        assert_eq!(c.http.trusted_proxy_networks().len(), 3);
        c.http.trusted_proxies = vec!["proxy.local".into()];
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("`trusted_proxies`"), "{e}");
    }

    #[test]
    fn digest_schedule() {
        assert_eq!(
            Config::default().jobs.digest_weekday().unwrap(),
            chrono::Weekday::Mon
        );
        let mut c = Config::default();
        c.jobs.digest_weekday = " Friday".into();
        c.jobs.digest_hour = 23;
        c.validate().unwrap();
        assert_eq!(c.jobs.digest_weekday().unwrap(), chrono::Weekday::Fri);
        assert_eq!(parse_weekday("sunday"), Some(chrono::Weekday::Sun));
        for bad in ["maandag", "mon", "", "mondays"] {
            let mut c = Config::default();
            c.jobs.digest_weekday = bad.into();
            let e = c.validate().unwrap_err().to_string();
            assert!(e.contains("`digest_weekday` must be one of monday,"), "{e}");
        }
        let mut c = Config::default();
        c.jobs.digest_hour = 24;
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("`digest_hour`"), "{e}");
    }

    /// The keys operators write stay flat, `[mail]` nested, and each lands in its
    /// concern; an unknown key is refused with its name.
    #[test]
    fn flat_keys_land_in_their_concern() {
        let settings: Settings = toml::from_str(
            r#"
            listen = "0.0.0.0:9000"
            base_url = "https://leren.example.be/"
            database_url = "postgres://db/leerpad"
            courses_dir = "cursussen"
            publish_on_start = false
            registration = "invite"
            session_hours = 8
            jobs = false
            nudge_interval_minutes = 0
            digest_weekday = "friday"
            trusted_proxies = ["10.0.0.0/8"]
            metrics_token = "0123456789abcdef"
            log_format = "json"
            [mail]
            smtp_host = "smtp.example.be"
            "#,
        )
        .unwrap();
        let c = settings.apply(Config::default());
        c.validate().unwrap();
        assert_eq!(c.http.listen, "0.0.0.0:9000");
        assert_eq!(c.base_url(), "https://leren.example.be");
        assert_eq!(c.database_url(), "postgres://db/leerpad");
        assert_eq!(c.courses.dir, PathBuf::from("cursussen"));
        assert!(!c.courses.publish_on_start);
        assert_eq!(c.accounts.registration, Registration::Invite);
        assert_eq!(c.accounts.session_hours, 8);
        assert!(!c.jobs.enabled);
        assert_eq!(c.jobs.nudge_interval_minutes, 0);
        assert_eq!(c.jobs.digest_weekday, "friday");
        assert_eq!(c.jobs.digest_hour, 7, "untouched keys keep their default");
        assert_eq!(c.http.trusted_proxies, vec!["10.0.0.0/8".to_string()]);
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.mail.smtp_host.as_deref(), Some("smtp.example.be"));
        assert_eq!(c.mail.smtp_security, "starttls");

        let e = toml::from_str::<Settings>("base_ulr = \"https://x.be\"")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("base_ulr"), "{e}");
        let e = toml::from_str::<Settings>("[mail]\nsmtp_hots = \"x\"")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("smtp_hots"), "{e}");
    }
}
