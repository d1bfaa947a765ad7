//! Where email goes: an SMTP server, or `.eml` files in a folder (the default on a
//! fresh setup, so nothing is sent by accident).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use leerpad_store::outbox::StoredMessage;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::{AsyncSmtpTransport, AsyncSmtpTransportBuilder};
use lettre::{AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

/// How long one SMTP command may take (connecting included) before the attempt
/// counts as failed and is retried later.
pub const DEFAULT_SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Headers the mailer sets itself; a message's extra headers may not replace them.
const RESERVED_HEADERS: &[&str] = &[
    "from",
    "sender",
    "to",
    "cc",
    "bcc",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
];

/// The mail transport, from configuration.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "transport", rename_all = "lowercase", deny_unknown_fields)]
pub enum Transport {
    /// Send through an SMTP server.
    Smtp {
        host: String,
        /// Default: 587 for STARTTLS, 465 for TLS, 25 without encryption.
        #[serde(default)]
        port: Option<u16>,
        #[serde(default)]
        security: Security,
        #[serde(default)]
        username: Option<String>,
        /// Never printed (`Debug` shows `***`) nor serialised.
        #[serde(default, skip_serializing)]
        password: Option<String>,
        /// The sender, `Leerpad <leerpad@example.org>` or a bare address.
        from: String,
    },
    /// Write each message as an `.eml` file into `dir` instead of sending it.
    Files { dir: PathBuf, from: String },
}

impl Transport {
    /// The default on a fresh setup: files in `<data dir>/mail`.
    pub fn files_in_data_dir(data_dir: &Path) -> Transport {
        Transport::Files {
            dir: data_dir.join("mail"),
            from: "Leerpad <leerpad@localhost>".into(),
        }
    }

    pub fn from(&self) -> &str {
        match self {
            Transport::Smtp { from, .. } | Transport::Files { from, .. } => from,
        }
    }
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Transport::Smtp {
                host,
                port,
                security,
                username,
                password,
                from,
            } => f
                .debug_struct("Smtp")
                .field("host", host)
                .field("port", port)
                .field("security", security)
                .field("username", username)
                .field("password", &password.as_ref().map(|_| "***"))
                .field("from", from)
                .finish(),
            Transport::Files { dir, from } => f
                .debug_struct("Files")
                .field("dir", dir)
                .field("from", from)
                .finish(),
        }
    }
}

/// How the SMTP connection is encrypted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain connection upgraded with STARTTLS, which is required (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same machine or in tests (port 25).
    None,
}

impl Security {
    pub fn default_port(self) -> u16 {
        match self {
            Security::Starttls => 587,
            Security::Tls => 465,
            Security::None => 25,
        }
    }
}

/// A mail configuration that cannot work; reported at start.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("the sender address `{from}` is not valid: {reason}")]
    From { from: String, reason: String },
    #[error("SMTP: give both a username and a password, or neither")]
    Credentials,
    #[error("SMTP server `{host}`: {reason}")]
    Smtp { host: String, reason: String },
    #[error("cannot create the mail folder {}: {source}", dir.display())]
    Folder {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Why one email was not sent. [`SendError::is_transient`] tells whether trying
/// again later may work.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("`{address}` is not a valid email address: {reason}")]
    InvalidAddress { address: String, reason: String },
    #[error("the email cannot be built: {0}")]
    Message(String),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("cannot write the email to {}: {source}", path.display())]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl SendError {
    /// Temporary: the server could not be reached, timed out, answered 4xx, or
    /// refused our credentials (a configuration to fix, not a reason to drop the
    /// email). Permanent: a 5xx answer about this email, or an email that cannot be
    /// built or addressed.
    pub fn is_transient(&self) -> bool {
        match self {
            SendError::InvalidAddress { .. } | SendError::Message(_) => false,
            SendError::Smtp(e) => match e.status().map(u16::from) {
                // 530 authentication required, 534/538 mechanism, 535 credentials.
                Some(530 | 534 | 535 | 538) => true,
                Some(code) => code < 500,
                // No answer: unreachable, timed out, TLS or protocol trouble.
                None => true,
            },
            SendError::File { .. } => true,
        }
    }

    /// The failure is not about this email: the server is unreachable, times out,
    /// closes the service (421) or refuses our credentials, so the next email
    /// would fail the same way.
    pub fn is_server_failure(&self) -> bool {
        match self {
            SendError::Smtp(e) => match e.status().map(u16::from) {
                Some(code) => matches!(code, 421 | 530 | 534 | 535 | 538),
                None => true,
            },
            SendError::File { .. } => true,
            _ => false,
        }
    }

    /// The SMTP reply code, if the server answered.
    pub fn smtp_code(&self) -> Option<u16> {
        match self {
            SendError::Smtp(e) => e.status().map(u16::from),
            _ => None,
        }
    }
}

enum Kind {
    Smtp {
        builder: AsyncSmtpTransportBuilder,
        // Built on first use, inside the runtime (its connection pool spawns a task).
        transport: OnceLock<AsyncSmtpTransport<Tokio1Executor>>,
    },
    Files {
        dir: PathBuf,
    },
}

/// Sends rendered emails through the configured [`Transport`]. Cheap to share
/// behind an `Arc`; SMTP connections are pooled.
pub struct Mailer {
    from: Mailbox,
    kind: Kind,
    description: String,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("transport", &self.description)
            .finish()
    }
}

impl Mailer {
    /// Checks the configuration and prepares the transport; connects to nothing.
    /// The files transport creates its folder and says at `info` level where mail
    /// goes.
    pub fn new(transport: &Transport) -> Result<Mailer, ConfigError> {
        Self::with_timeout(transport, DEFAULT_SMTP_TIMEOUT)
    }

    /// As [`Mailer::new`], with another SMTP command timeout.
    pub fn with_timeout(transport: &Transport, timeout: Duration) -> Result<Mailer, ConfigError> {
        let from_str = transport.from();
        let from: Mailbox = from_str.parse().map_err(|e| ConfigError::From {
            from: from_str.to_string(),
            reason: format!("{e}"),
        })?;
        match transport {
            Transport::Smtp {
                host,
                port,
                security,
                username,
                password,
                ..
            } => {
                let port = port.unwrap_or(security.default_port());
                let smtp_err = |e: lettre::transport::smtp::Error| ConfigError::Smtp {
                    host: host.clone(),
                    reason: e.to_string(),
                };
                let mut builder = match security {
                    Security::Tls => {
                        AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(smtp_err)?
                    }
                    Security::Starttls => {
                        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                            .map_err(smtp_err)?
                    }
                    Security::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
                }
                .port(port)
                .timeout(Some(timeout));
                match (username, password) {
                    (Some(u), Some(p)) => {
                        builder = builder.credentials(Credentials::new(u.clone(), p.clone()))
                    }
                    (None, None) => {}
                    _ => return Err(ConfigError::Credentials),
                }
                let description = format!(
                    "SMTP {host}:{port} ({})",
                    match security {
                        Security::Starttls => "STARTTLS",
                        Security::Tls => "TLS",
                        Security::None => "unencrypted",
                    }
                );
                if *security == Security::None && !is_local(host) {
                    tracing::warn!(%host, port, "sending email over an unencrypted SMTP connection");
                }
                Ok(Mailer {
                    from,
                    kind: Kind::Smtp {
                        builder,
                        transport: OnceLock::new(),
                    },
                    description,
                })
            }
            Transport::Files { dir, .. } => {
                std::fs::create_dir_all(dir).map_err(|source| ConfigError::Folder {
                    dir: dir.clone(),
                    source,
                })?;
                tracing::info!(
                    dir = %dir.display(),
                    "email is not sent: each message is written as an .eml file to {} (configure SMTP to send it)",
                    dir.display()
                );
                Ok(Mailer {
                    from,
                    kind: Kind::Files { dir: dir.clone() },
                    description: format!("files in {}", dir.display()),
                })
            }
        }
    }

    /// Whether email could be sent now: connects to the SMTP server as sending
    /// does (TLS and credentials as configured), waits for its answers and says
    /// goodbye. The files transport has nothing to connect to.
    pub async fn check_connection(&self) -> Result<(), SendError> {
        match &self.kind {
            Kind::Smtp { builder, .. } => {
                let transport: AsyncSmtpTransport<Tokio1Executor> = builder.clone().build();
                if transport.test_connection().await? {
                    Ok(())
                } else {
                    Err(SendError::Message(
                        "the SMTP server closed the connection before answering".into(),
                    ))
                }
            }
            Kind::Files { .. } => Ok(()),
        }
    }

    /// `SMTP host:port (STARTTLS)` or `files in <dir>`, for logs.
    pub fn describe(&self) -> &str {
        &self.description
    }

    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// The message as it would be sent: `multipart/alternative` (text, then HTML)
    /// or text only, with the extra headers.
    pub fn build(&self, recipient: &str, msg: &StoredMessage) -> Result<Message, SendError> {
        self.build_with_id(recipient, msg, None)
    }

    /// The Message-ID of the email queued under outbox key `key`: the same on every
    /// attempt and on every instance, so that when an attempt's outcome was unknown
    /// (the connection dropped after the whole message, before the server's answer)
    /// and it is sent again, the receiving systems can recognise the copy.
    pub fn message_id(&self, key: &str) -> String {
        let hash = blake3::hash(key.as_bytes()).to_hex();
        format!("<{}.leerpad@{}>", &hash[..32], self.from.email.domain())
    }

    fn build_with_id(
        &self,
        recipient: &str,
        msg: &StoredMessage,
        message_id: Option<String>,
    ) -> Result<Message, SendError> {
        let to = parse_address(recipient)?;
        let mut b = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(msg.subject.clone())
            .message_id(message_id);
        for (name, value) in &msg.headers {
            b = b.raw_header(extra_header(name, value)?);
        }
        let built = match &msg.html {
            Some(html) => b.multipart(MultiPart::alternative_plain_html(
                msg.text.clone(),
                html.clone(),
            )),
            None => b.singlepart(SinglePart::plain(msg.text.clone())),
        };
        built.map_err(|e| SendError::Message(e.to_string()))
    }

    /// Sends one email to `recipient` (`a@b.example` or `Name <a@b.example>`).
    pub async fn send(&self, recipient: &str, msg: &StoredMessage) -> Result<(), SendError> {
        self.deliver(self.build(recipient, msg)?).await
    }

    /// Sends the email queued under outbox key `key`, with the Message-ID derived
    /// from it ([`Mailer::message_id`]).
    pub async fn send_queued(
        &self,
        key: &str,
        recipient: &str,
        msg: &StoredMessage,
    ) -> Result<(), SendError> {
        let message = self.build_with_id(recipient, msg, Some(self.message_id(key)))?;
        self.deliver(message).await
    }

    async fn deliver(&self, message: Message) -> Result<(), SendError> {
        match &self.kind {
            Kind::Smtp { builder, transport } => {
                let transport = transport.get_or_init(|| builder.clone().build());
                transport.send(message).await?;
                Ok(())
            }
            Kind::Files { dir } => write_eml(dir, &message.formatted()).await,
        }
    }
}

/// Checks an address as [`Mailer::send`] will (`a@b.example` or
/// `Name <a@b.example>`), e.g. to refuse a form before anything is enqueued.
pub fn parse_address(address: &str) -> Result<Mailbox, SendError> {
    address
        .trim()
        .parse::<Mailbox>()
        .map_err(|e| SendError::InvalidAddress {
            address: address.to_string(),
            reason: e.to_string(),
        })
}

fn extra_header(name: &str, value: &str) -> Result<HeaderValue, SendError> {
    if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(SendError::Message(format!(
            "header `{name}` is set by the mailer"
        )));
    }
    if value.contains(['\r', '\n']) {
        return Err(SendError::Message(format!(
            "header `{name}` has a line break in its value"
        )));
    }
    let header = HeaderName::new_from_ascii(name.to_string())
        .map_err(|_| SendError::Message(format!("`{name}` is not a valid header name")))?;
    Ok(HeaderValue::new(header, value.to_string()))
}

fn is_local(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "::1" | "[::1]")
}

/// Writes `<dir>/<UTC time>-<pid>-<n>.eml` (sorting by name sorts by time) via a
/// temporary file, so a reader never sees half a message.
async fn write_eml(dir: &Path, bytes: &[u8]) -> Result<(), SendError> {
    static N: AtomicU64 = AtomicU64::new(0);
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
    let name = format!(
        "{stamp}-{}-{}.eml",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let path = dir.join(&name);
    let tmp = dir.join(format!(".{name}.tmp"));
    let io = |source| SendError::File {
        path: path.clone(),
        source,
    };
    tokio::fs::write(&tmp, bytes).await.map_err(io)?;
    tokio::fs::rename(&tmp, &path).await.map_err(io)?;
    tracing::debug!(path = %path.display(), "email written to a file");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_printed() {
        let t = Transport::Smtp {
            host: "smtp.example.org".into(),
            port: None,
            security: Security::Starttls,
            username: Some("leerpad".into()),
            password: Some("geheim".into()),
            from: "Leerpad <leerpad@example.org>".into(),
        };
        let shown = format!("{t:?}");
        assert!(!shown.contains("geheim"), "{shown}");
        assert!(shown.contains("***"));
    }

    #[test]
    fn headers_cannot_replace_the_mailers_or_inject_lines() {
        assert!(extra_header("List-Unsubscribe", "<https://x.example/u>").is_ok());
        assert!(extra_header("Subject", "x").is_err());
        assert!(extra_header("bcc", "x@example.org").is_err());
        assert!(extra_header("X-Evil", "a\r\nBcc: x@example.org").is_err());
        assert!(extra_header("Bad Name", "x").is_err());
    }

    #[test]
    fn addresses_are_checked() {
        assert!(parse_address("an@example.org").is_ok());
        assert!(parse_address("An Peeters <an@example.org>").is_ok());
        let e = parse_address("not an address").unwrap_err();
        assert!(!e.is_transient());
    }

    #[test]
    fn the_smtp_config_reads_from_toml_like_data() {
        let t: Transport = serde_json::from_str(
            r#"{"transport":"smtp","host":"mail.example.org","username":"u","password":"p","from":"a@example.org"}"#,
        )
        .unwrap();
        assert!(matches!(
            t,
            Transport::Smtp {
                security: Security::Starttls,
                port: None,
                ..
            }
        ));
        let t: Transport = serde_json::from_str(
            r#"{"transport":"files","dir":"data/mail","from":"a@example.org"}"#,
        )
        .unwrap();
        assert!(matches!(t, Transport::Files { .. }));
    }
}
