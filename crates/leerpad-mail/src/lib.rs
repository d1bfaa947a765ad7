//! Leerpad's email: templates, transports, and the worker that sends the outbox.
//!
//! Email is never sent from a request. The code that decides to send renders the
//! message with [`Templates`] (or, for bulk email such as nudges, stores the
//! template name and its context, [`TemplateMessage`]) and enqueues it with
//! [`leerpad_store::outbox::enqueue`] in its own transaction; an [`OutboxWorker`]
//! claims due emails, renders those queued as templates with the same
//! [`Templates`], and sends them with a [`Mailer`] over SMTP, or writes them as
//! `.eml` files (the default on a fresh setup).
//!
//! ```no_run
//! # async fn t(db: leerpad_store::Db) -> Result<(), Box<dyn std::error::Error>> {
//! use leerpad_mail::{Mailer, OutboxWorker, Templates, Transport, WorkerConfig};
//! use leerpad_store::outbox::{self, OutgoingEmail};
//!
//! let templates = Templates::new(["themes/custom", "themes/default"]);
//! templates.check(leerpad_mail::MESSAGES)?;
//! let mailer = Mailer::new(&Transport::files_in_data_dir("data".as_ref()))?;
//! let templates = std::sync::Arc::new(templates);
//! let worker = OutboxWorker::with_templates(mailer, templates.clone(), WorkerConfig::default());
//! let task = worker.spawn(db.clone(), std::time::Duration::from_secs(30), std::future::pending());
//!
//! let message = templates.render(
//!     "magic-link",
//!     "nl",
//!     serde_json::json!({ "name": "An", "link": "https://leerpad.example/login/abc", "minutes": 15 }),
//! )?;
//! let email = OutgoingEmail {
//!     dedupe_key: "magic-link:42".into(),
//!     user_id: None,
//!     kind: "magic-link".into(),
//!     recipient: "an@example.org".into(),
//!     message: message.into(),
//! };
//! let mut c = db.conn()?;
//! leerpad_store::db::write_transaction(&mut c, |c| {
//!     // … the decision to send, then:
//!     outbox::enqueue(c, &email, chrono::Utc::now().naive_utc())
//! })?;
//! worker.wake();
//! # drop(task); Ok(()) }
//! ```

pub mod templates;
#[cfg(feature = "testing")]
pub mod testing;
pub mod transport;
pub mod worker;

pub use leerpad_store::outbox::{Context, OutgoingEmail, Payload, StoredMessage, TemplateMessage};
pub use templates::{TemplateError, Templates, DEFAULT_LANG, MESSAGES};
pub use transport::{parse_address, ConfigError, Mailer, Security, SendError, Transport};
pub use worker::{OutboxWorker, RunSummary, WorkerConfig, WorkerError};
