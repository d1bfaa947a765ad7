//! Email from a flow: rendered from the theme's templates in the recipient's
//! language and queued in the outbox on the flow's own transaction, so the email
//! is committed with what it tells about, or neither is. The outbox worker sends.

use std::sync::Arc;

use chrono::NaiveDateTime;
use leerpad_mail::Templates;
use leerpad_store::accounts::User;
use leerpad_store::outbox::{enqueue, OutgoingEmail};
use leerpad_store::DbConnection;
use serde_json::Value;

use crate::error::{FlowError, FlowResult};

#[derive(Clone)]
pub struct Outbox {
    templates: Arc<Templates>,
}

impl Outbox {
    pub fn new(templates: Arc<Templates>) -> Outbox {
        Outbox { templates }
    }

    pub fn templates(&self) -> &Templates {
        &self.templates
    }

    /// Renders `template` for `to` and queues it on `c` (call it inside the flow's
    /// transaction). Returns whether it was queued: an email with the same `key`
    /// is queued once, ever.
    pub fn queue(
        &self,
        c: &mut DbConnection,
        to: &User,
        template: &str,
        key: &str,
        ctx: &Value,
        now: NaiveDateTime,
    ) -> FlowResult<bool> {
        self.queue_unsubscribable(c, to, template, key, ctx, None, now)
    }

    /// [`Outbox::queue`], with the one-click unsubscribe headers (RFC 8058) for
    /// `unsubscribe` when given.
    #[allow(clippy::too_many_arguments)]
    pub fn queue_unsubscribable(
        &self,
        c: &mut DbConnection,
        to: &User,
        template: &str,
        key: &str,
        ctx: &Value,
        unsubscribe: Option<&str>,
        now: NaiveDateTime,
    ) -> FlowResult<bool> {
        let mut message = self
            .templates
            .render(template, &to.language, ctx)
            .map_err(|source| FlowError::Email {
                template: template.to_string(),
                source,
            })?;
        if let Some(link) = unsubscribe {
            message.add_unsubscribe(link);
        }
        let email = OutgoingEmail {
            dedupe_key: key.to_string(),
            user_id: Some(to.id),
            kind: template.to_string(),
            recipient: to.email.clone(),
            message: message.into(),
        };
        Ok(enqueue(c, &email, now)?)
    }
}
