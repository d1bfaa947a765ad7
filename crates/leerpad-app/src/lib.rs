//! The application layer: what a person can do on Leerpad, each action one *flow*.
//!
//! A flow takes who acts (a [`Caller`], or a proof such as [`Coordinating`] that
//! can only be made by checking), the input and `now`; it runs in one write
//! transaction on the connection it is given, queues its email in the outbox in
//! that same transaction ([`Outbox`]), and returns what the page or the API needs
//! and what it made stale ([`Stale`]). It knows no HTTP: the web handlers, the JSON
//! API, the CLI and jobs call the same flows.
//!
//! Either everything an action does is committed, its email included, or nothing
//! is: an invitation is never stored without the message that invites.

pub mod caller;
pub mod community;
pub mod config;
pub mod digest;
pub mod error;
pub mod limits;
pub mod members;
pub mod nudges;
pub mod organisations;
pub mod outbox;
pub mod refusal;
pub mod reports;
pub mod secret;
pub mod signed;
pub mod tokens;

pub use caller::{Administering, Caller, Coordinating};
pub use config::Config;
pub use error::{FlowError, FlowResult};
pub use outbox::Outbox;
pub use refusal::Refusal;

/// Cached state a flow changed, for the caller to forget.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stale {
    /// Accounts whose checked sessions (role, name, disabled) changed.
    pub sessions_of: Vec<i32>,
}
