//! Leerpad's downloadable documents.
//!
//! Each module turns data the caller has already gathered (from the store) into a
//! file a person downloads. The crate does no I/O of its own: functions take plain
//! values and return bytes or strings.
//!
//! - [`action_plan`]: a learner's personal action plan, their answers to a course's
//!   reflection prompts, as Markdown and as a Word document (DOCX).

pub mod action_plan;

/// Why a document could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The Word document could not be written (its XML or its zip container).
    #[error("could not write the Word document")]
    Docx(#[from] docx_rs::DocxError),
}
