//! Sending email from the web layer: render a template of the theme in the
//! recipient's language and write it to the outbox; the worker sends it.

use std::sync::Arc;

use leerpad_mail::Templates;
use leerpad_store::accounts::User;
use leerpad_store::outbox::{enqueue, OutgoingEmail};
use serde_json::Value;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Called after an email is queued, to wake the outbox worker.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

#[derive(Clone)]
pub struct Mail {
    templates: Arc<Templates>,
    wake: Waker,
}

impl Mail {
    pub fn new(templates: Templates, wake: Waker) -> Self {
        Mail {
            templates: Arc::new(templates),
            wake,
        }
    }

    /// Tells the outbox that email is due now (after queuing or requeuing
    /// outside [`Mail::send`]).
    pub fn wake(&self) {
        (self.wake)();
    }

    /// Queues `template` for `user`; a second call with the same `dedupe_key` does
    /// nothing.
    pub async fn send(
        &self,
        state: &AppState,
        user: &User,
        template: &str,
        dedupe_key: &str,
        ctx: Value,
    ) -> AppResult<()> {
        let message = self
            .templates
            .render(template, &user.language, &ctx)
            .map_err(|e| AppError::Internal(format!("email template {template}: {e}")))?;
        let email = OutgoingEmail {
            dedupe_key: dedupe_key.to_string(),
            user_id: Some(user.id),
            kind: template.to_string(),
            recipient: user.email.clone(),
            message: message.into(),
        };
        let now = state.clock.now();
        state.db(move |c| enqueue(c, &email, now)).await?;
        (self.wake)();
        Ok(())
    }
}
