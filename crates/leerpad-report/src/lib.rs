//! Leerpad's downloadable documents.
//!
//! Each module turns data the caller has already gathered (from the store) into a
//! file a person downloads. The crate opens no files and no connections of its own:
//! functions take plain values and return bytes or strings, or write to a writer the
//! caller gives. (The one exception is the XLSX report, which keeps the rows it has
//! written in an anonymous temporary file, so its memory does not grow with them.)
//!
//! - [`action_plan`]: a learner's personal action plan, their answers to a course's
//!   reflection prompts, as Markdown and as a Word document (DOCX).
//! - [`certificate`]: a learner's certificate as a one-page A4 PDF, with a QR code
//!   of its verification address.
//! - [`completion`]: coordinators' completion reports, one row per learner and
//!   course, written row by row as CSV and as an Excel workbook (XLSX).

pub mod action_plan;
pub mod certificate;
pub mod completion;

/// Why a document could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The Word document could not be written (its XML or its zip container).
    #[error("could not write the Word document")]
    Docx(#[from] docx_rs::DocxError),
    /// The certificate PDF could not be written (its font or its QR code).
    #[error("could not write the certificate PDF: {0}")]
    Pdf(String),
    /// The CSV report could not be written to its destination.
    #[error("could not write the CSV report")]
    Csv(#[from] csv::Error),
    /// Writing a report to its destination failed.
    #[error("could not write the report")]
    Io(#[from] std::io::Error),
    /// The Excel workbook could not be written: a value Excel cannot hold (a date
    /// before 1900, a text over 32,767 characters) or its temporary file or zip
    /// container failed.
    #[error("could not write the Excel workbook")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// More rows than an Excel worksheet holds.
    #[error(
        "the report has more than {limit} rows, the most an Excel worksheet holds; \
         narrow it down with filters or download it as CSV"
    )]
    TooManyRows { limit: u32 },
    /// More columns than an Excel worksheet holds.
    #[error("the report has {columns} columns, more than the {limit} an Excel worksheet holds")]
    TooManyColumns { columns: usize, limit: usize },
    /// A row has more quiz scores than the report has quiz columns (a caller's
    /// mistake: the layout's `quiz_columns` must be the most of any row).
    #[error("row {row} has {scores} quiz scores but the report has only {columns} quiz columns")]
    QuizColumns {
        /// 1-based, not counting the header.
        row: u64,
        scores: usize,
        columns: usize,
    },
}
