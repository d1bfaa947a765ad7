//! Sending email from the web layer: render a template of the theme in the
//! recipient's language and write it to the outbox; the worker sends it.

use std::sync::Arc;

use leerpad_app::Outbox;
use leerpad_mail::Templates;

/// Called after an email is queued, to wake the outbox worker.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

#[derive(Clone)]
pub struct Mail {
    outbox: Outbox,
    wake: Waker,
}

impl Mail {
    pub fn new(templates: Templates, wake: Waker) -> Self {
        Mail {
            outbox: Outbox::new(Arc::new(templates)),
            wake,
        }
    }

    /// What flows queue their email with, in their own transaction.
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// Wakes the outbox worker: call it after a flow that queued email committed.
    pub fn wake(&self) {
        (self.wake)();
    }
}
