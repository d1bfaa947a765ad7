//! What can go wrong in a flow besides a refusal: the database, or an email that
//! cannot be rendered. Either way nothing of the action was committed.

use leerpad_mail::TemplateError;
use leerpad_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the email `{template}` cannot be made")]
    Email {
        template: String,
        #[source]
        source: TemplateError,
    },
}

impl FlowError {
    /// The database is down or cannot write just now: try again later.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, FlowError::Store(e) if e.is_unavailable())
    }
}

impl From<diesel::result::Error> for FlowError {
    fn from(e: diesel::result::Error) -> Self {
        FlowError::Store(e.into())
    }
}

pub type FlowResult<T> = Result<T, FlowError>;
