//! Completion reports for coordinators, as CSV ([`CsvReport`]) and as an Excel
//! workbook ([`XlsxReport`]): one row per learner and course, the rows a
//! [`ReportQuery`](leerpad_core::report::ReportQuery) chose, in its order.
//!
//! Both writers take the rows one at a time, so the caller can stream them from the
//! database and memory stays the same whatever the number of rows: the CSV goes
//! straight to its writer; the workbook keeps only the current row in memory and the
//! rest in an anonymous temporary file (deleted when it is closed), until
//! [`XlsxReport::finish`] zips the file together.
//!
//! The columns are fixed, then one per quiz position ([`ReportLayout::quiz_columns`]):
//!
//! | nl                 | en                 | cell                                   |
//! |--------------------|--------------------|----------------------------------------|
//! | Naam               | Name               | text                                   |
//! | E-mail             | Email              | text                                   |
//! | Groep              | Group              | text, empty without a group            |
//! | Opleiding          | Course             | text (the course title)                |
//! | Opleidings-id      | Course id          | text                                   |
//! | Status             | Status             | text, translated                       |
//! | Voortgang (%)      | Progress (%)       | whole number 0–100                     |
//! | Ingeschreven       | Enrolled           | date and time                          |
//! | Deadline           | Deadline           | date and time, or empty                |
//! | Laatste activiteit | Last activity      | date and time, or empty                |
//! | Afgerond           | Completed          | date and time, or empty                |
//! | Certificaat        | Certificate        | verification code, or empty            |
//! | Quiz 1 (beste %)   | Quiz 1 (best %)    | whole number 0–100, or empty           |
//!
//! In CSV, dates and times are written `YYYY-MM-DD HH:MM`, and a text cell that a
//! spreadsheet would take for a formula (it begins with `=`, `+`, `-`, `@`, a tab or
//! a carriage return) gets a leading `'`, as OWASP advises against CSV injection.
//! In XLSX, dates and times are real date-time cells (shown `yyyy-mm-dd hh:mm`),
//! numbers are numbers and text is always a string cell, never a formula, so it
//! needs no such prefix.

use std::fmt::Write as _;
use std::io::Write;

use chrono::{Datelike, NaiveDateTime, Timelike};
use leerpad_core::report::{ReportRow, Status};
use leerpad_core::Language;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use crate::ReportError;

/// The columns before the quiz columns.
const FIXED_COLUMNS: usize = 12;

/// The most columns an Excel worksheet has (A to XFD).
pub const XLSX_MAX_COLUMNS: usize = 16_384;

/// The most data rows an Excel worksheet holds below its header row (Excel's
/// 1,048,576 rows, less the header).
pub const XLSX_MAX_ROWS: u32 = 1_048_575;

/// What a report holds besides its rows: the language of its labels and how many
/// quiz columns it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportLayout {
    /// The language of the header row and of the status values.
    pub language: Language,
    /// The number of "Quiz n" columns: the most quizzes of any course in the report.
    /// Rows with fewer quizzes leave the rest empty.
    pub quiz_columns: usize,
}

impl Default for ReportLayout {
    /// Dutch, no quiz columns.
    fn default() -> Self {
        ReportLayout {
            language: Language::Nl,
            quiz_columns: 0,
        }
    }
}

impl ReportLayout {
    /// The header row's labels, in column order.
    pub fn headers(&self) -> Vec<String> {
        let labels = labels(self.language);
        labels
            .columns
            .iter()
            .map(|label| (*label).to_owned())
            .chain((1..=self.quiz_columns).map(|n| labels.quiz_column(n)))
            .collect()
    }

    fn column_count(&self) -> usize {
        FIXED_COLUMNS.saturating_add(self.quiz_columns)
    }
}

/// The status as a report shows it, in the report's language.
pub fn status_label(status: Status, language: Language) -> &'static str {
    let labels = labels(language);
    match status {
        Status::Invited => labels.statuses[0],
        Status::NotStarted => labels.statuses[1],
        Status::InProgress => labels.statuses[2],
        Status::Completed => labels.statuses[3],
        Status::Overdue => labels.statuses[4],
    }
}

/// The character between a CSV file's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Delimiter {
    #[default]
    Comma,
    /// What Excel expects in locales whose decimal separator is a comma, such as
    /// Dutch.
    Semicolon,
}

impl Delimiter {
    pub fn byte(self) -> u8 {
        match self {
            Delimiter::Comma => b',',
            Delimiter::Semicolon => b';',
        }
    }
}

/// How a CSV report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CsvOptions {
    pub delimiter: Delimiter,
}

/// A completion report being written as CSV: UTF-8 with a byte order mark (so Excel
/// reads it as UTF-8), a header row, fields quoted only where needed, lines ending in
/// CRLF (RFC 4180).
///
/// Nothing is kept beyond the CSV writer's own small buffer, so any number of rows
/// can be written. `out` needs no `BufWriter` around it: the CSV writer buffers.
pub struct CsvReport<W: Write> {
    writer: csv::Writer<W>,
    language: Language,
    quiz_columns: usize,
    rows: u64,
    record: csv::ByteRecord,
    scratch: String,
}

impl<W: Write> CsvReport<W> {
    /// Writes the byte order mark and the header row to `out`.
    pub fn new(
        mut out: W,
        layout: &ReportLayout,
        options: CsvOptions,
    ) -> Result<CsvReport<W>, ReportError> {
        out.write_all(b"\xEF\xBB\xBF")?;
        let mut writer = csv::WriterBuilder::new()
            .delimiter(options.delimiter.byte())
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        writer.write_record(layout.headers())?;
        Ok(CsvReport {
            writer,
            language: layout.language,
            quiz_columns: layout.quiz_columns,
            rows: 0,
            record: csv::ByteRecord::new(),
            scratch: String::new(),
        })
    }

    /// Writes one row.
    ///
    /// # Errors
    ///
    /// [`ReportError::QuizColumns`] when the row has more quiz scores than the layout
    /// has quiz columns (nothing of the row is written then); [`ReportError::Csv`]
    /// when `out` fails.
    pub fn row(&mut self, row: &ReportRow) -> Result<(), ReportError> {
        check_quiz_scores(row, self.quiz_columns, self.rows)?;
        let record = &mut self.record;
        let scratch = &mut self.scratch;
        record.clear();

        push_text(record, scratch, &row.name);
        push_text(record, scratch, &row.email);
        push_text(record, scratch, row.group.as_deref().unwrap_or(""));
        push_text(record, scratch, &row.course_title);
        push_text(record, scratch, &row.course_id);
        record.push_field(status_label(row.status, self.language).as_bytes());
        push_number(record, scratch, Some(row.progress_percent));
        push_date_time(record, scratch, Some(row.enrolled_at));
        push_date_time(record, scratch, row.deadline);
        push_date_time(record, scratch, row.last_activity_at);
        push_date_time(record, scratch, row.completed_at);
        push_text(record, scratch, row.certificate.as_deref().unwrap_or(""));
        for i in 0..self.quiz_columns {
            push_number(record, scratch, row.quiz_scores.get(i).copied().flatten());
        }

        self.writer.write_byte_record(record)?;
        self.rows += 1;
        Ok(())
    }

    /// The number of rows written so far, not counting the header.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Flushes everything written and gives `out` back.
    pub fn finish(self) -> Result<W, ReportError> {
        self.writer
            .into_inner()
            .map_err(|e| ReportError::Io(e.into_error()))
    }
}

/// A text field, with a leading `'` where a spreadsheet would otherwise read it as a
/// formula (OWASP's advice against CSV injection).
fn push_text(record: &mut csv::ByteRecord, scratch: &mut String, text: &str) {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        scratch.clear();
        scratch.push('\'');
        scratch.push_str(text);
        record.push_field(scratch.as_bytes());
    } else {
        record.push_field(text.as_bytes());
    }
}

fn push_number(record: &mut csv::ByteRecord, scratch: &mut String, value: Option<u8>) {
    scratch.clear();
    if let Some(value) = value {
        // Writing to a String cannot fail.
        let _ = write!(scratch, "{value}");
    }
    record.push_field(scratch.as_bytes());
}

/// `YYYY-MM-DD HH:MM`, or an empty field.
fn push_date_time(
    record: &mut csv::ByteRecord,
    scratch: &mut String,
    value: Option<NaiveDateTime>,
) {
    scratch.clear();
    if let Some(t) = value {
        let _ = write!(
            scratch,
            "{:04}-{:02}-{:02} {:02}:{:02}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute()
        );
    }
    record.push_field(scratch.as_bytes());
}

/// A completion report being written as an Excel workbook (XLSX) with one worksheet:
/// a bold header row that stays in view (frozen panes) and carries an autofilter
/// over all the rows, and columns wide enough for their usual contents.
///
/// The worksheet is in `rust_xlsxwriter`'s constant-memory mode: each row goes to
/// an anonymous temporary file in the system's temporary directory once the next one
/// is begun, so memory does not grow with the rows (the finished, compressed file is
/// held in memory by [`finish`](XlsxReport::finish), or streamed by
/// [`finish_to`](XlsxReport::finish_to)).
pub struct XlsxReport {
    workbook: Workbook,
    language: Language,
    quiz_columns: usize,
    last_column: u16,
    rows: u32,
    date_time: Format,
}

impl XlsxReport {
    /// Starts the workbook and writes the header row.
    ///
    /// `sheet_name` is made into a name Excel accepts: the characters it forbids
    /// (`[ ] : * ? / \`) become `-`, apostrophes at either end and surrounding
    /// whitespace are dropped, it is cut to 31 characters, and an empty or reserved
    /// name ("History") becomes the report's default name ("Rapport" / "Report").
    ///
    /// # Errors
    ///
    /// [`ReportError::TooManyColumns`] when the layout has more columns than a
    /// worksheet; [`ReportError::Xlsx`] when the temporary file cannot be created.
    pub fn new(layout: &ReportLayout, sheet_name: &str) -> Result<XlsxReport, ReportError> {
        let columns = layout.column_count();
        if columns > XLSX_MAX_COLUMNS {
            return Err(ReportError::TooManyColumns {
                columns,
                limit: XLSX_MAX_COLUMNS,
            });
        }
        // At most 16,384, so it fits.
        let last_column = (columns - 1) as u16;
        let labels = labels(layout.language);
        let headers = layout.headers();

        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(excel_sheet_name(sheet_name, labels.sheet_name))?;

        let bold = Format::new().set_bold();
        for (col, header) in (0u16..).zip(&headers) {
            let width = COLUMN_WIDTHS
                .get(usize::from(col))
                .copied()
                .unwrap_or(QUIZ_COLUMN_WIDTH);
            // Room for the label and the autofilter's button.
            let width = width.max(header.chars().count() as f64 + 4.0);
            sheet.set_column_width(col, width)?;
            sheet.write_string_with_format(0, col, header, &bold)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        // The autofilter's range is set by `finish_to`, when the rows are known.

        Ok(XlsxReport {
            workbook,
            language: layout.language,
            quiz_columns: layout.quiz_columns,
            last_column,
            rows: 0,
            date_time: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
        })
    }

    /// Writes one row below the previous one.
    ///
    /// # Errors
    ///
    /// [`ReportError::TooManyRows`] for a row beyond the worksheet's last
    /// ([`XLSX_MAX_ROWS`] data rows): the workbook is still good, with the rows
    /// before it, but the caller should say the report is incomplete or offer CSV.
    /// [`ReportError::QuizColumns`] when the row has more quiz scores than the layout
    /// has quiz columns. [`ReportError::Xlsx`] when a date is outside Excel's range
    /// (1900–9999), a text is longer than a cell holds (32,767 characters) or the
    /// temporary file cannot be written. Nothing of a rejected row is written.
    pub fn row(&mut self, row: &ReportRow) -> Result<(), ReportError> {
        if self.rows >= XLSX_MAX_ROWS {
            return Err(ReportError::TooManyRows {
                limit: XLSX_MAX_ROWS,
            });
        }
        check_quiz_scores(row, self.quiz_columns, u64::from(self.rows))?;
        // Convert and check everything first, so a bad row leaves no half-row behind.
        let enrolled = Some(excel_date_time(row.enrolled_at)?);
        let deadline = row.deadline.map(excel_date_time).transpose()?;
        let last_activity = row.last_activity_at.map(excel_date_time).transpose()?;
        let completed = row.completed_at.map(excel_date_time).transpose()?;
        for text in [
            row.name.as_str(),
            &row.email,
            row.group.as_deref().unwrap_or(""),
            &row.course_title,
            &row.course_id,
            row.certificate.as_deref().unwrap_or(""),
        ] {
            if text.encode_utf16().count() > XLSX_MAX_STRING_UNITS {
                return Err(ReportError::Xlsx(
                    rust_xlsxwriter::XlsxError::MaxStringLengthExceeded,
                ));
            }
        }

        let r = self.rows + 1;
        let status = status_label(row.status, self.language);
        let date_time = &self.date_time;
        let sheet = self.workbook.worksheet_from_index(0)?;
        sheet.write_string(r, 0, &row.name)?;
        sheet.write_string(r, 1, &row.email)?;
        if let Some(group) = &row.group {
            sheet.write_string(r, 2, group)?;
        }
        sheet.write_string(r, 3, &row.course_title)?;
        sheet.write_string(r, 4, &row.course_id)?;
        sheet.write_string(r, 5, status)?;
        sheet.write_number(r, 6, row.progress_percent)?;
        for (col, value) in [
            (7, enrolled),
            (8, deadline),
            (9, last_activity),
            (10, completed),
        ] {
            if let Some(value) = value {
                sheet.write_datetime_with_format(r, col, value, date_time)?;
            }
        }
        if let Some(code) = &row.certificate {
            sheet.write_string(r, 11, code)?;
        }
        for (col, score) in (FIXED_COLUMNS as u16..).zip(&row.quiz_scores) {
            if let Some(score) = score {
                sheet.write_number(r, col, *score)?;
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// The number of rows written so far, not counting the header.
    pub fn rows(&self) -> u32 {
        self.rows
    }

    /// The `.xlsx` file.
    pub fn finish(self) -> Result<Vec<u8>, ReportError> {
        let mut out = Vec::new();
        self.finish_to(&mut out)?;
        Ok(out)
    }

    /// Writes the `.xlsx` file to `out`, without holding all of it in memory.
    pub fn finish_to<W: Write + Send>(mut self, out: W) -> Result<(), ReportError> {
        let (rows, last_column) = (self.rows, self.last_column);
        self.workbook
            .worksheet_from_index(0)?
            .autofilter(0, 0, rows, last_column)?;
        self.workbook.save_to_writer(out)?;
        Ok(())
    }
}

/// The most characters an Excel cell holds, in UTF-16 code units.
const XLSX_MAX_STRING_UNITS: usize = 32_767;

/// Column widths in characters, for the fixed columns.
const COLUMN_WIDTHS: [f64; FIXED_COLUMNS] = [
    24.0, // name
    30.0, // email
    16.0, // group
    32.0, // course
    18.0, // course id
    14.0, // status
    12.0, // progress
    17.0, // enrolled
    17.0, // deadline
    17.0, // last activity
    17.0, // completed
    16.0, // certificate
];
const QUIZ_COLUMN_WIDTH: f64 = 12.0;

fn excel_date_time(t: NaiveDateTime) -> Result<ExcelDateTime, ReportError> {
    let out_of_range = || {
        ReportError::Xlsx(rust_xlsxwriter::XlsxError::DateTimeRangeError(format!(
            "{t} is outside Excel's dates (1900–9999)"
        )))
    };
    let year = u16::try_from(t.year()).map_err(|_| out_of_range())?;
    // Month, day, hour and minute are small; seconds keep their fraction.
    let seconds = f64::from(t.second()) + f64::from(t.nanosecond().min(999_999_999)) / 1e9;
    Ok(
        ExcelDateTime::from_ymd(year, t.month() as u8, t.day() as u8)?.and_hms(
            t.hour() as u16,
            t.minute() as u8,
            seconds,
        )?,
    )
}

/// A worksheet name Excel accepts (see [`XlsxReport::new`]).
fn excel_sheet_name(name: &str, default: &str) -> String {
    let replaced: String = name
        .chars()
        .map(|c| match c {
            '[' | ']' | ':' | '*' | '?' | '/' | '\\' => '-',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let trimmed = replaced.trim().trim_matches('\'').trim();
    // At most 31 UTF-16 code units.
    let mut out = String::new();
    let mut units = 0;
    for c in trimmed.chars() {
        units += c.len_utf16();
        if units > 31 {
            break;
        }
        out.push(c);
    }
    let out = out.trim_end().trim_end_matches('\'').trim_end();
    if out.is_empty() || out.eq_ignore_ascii_case("history") {
        default.to_owned()
    } else {
        out.to_owned()
    }
}

fn check_quiz_scores(row: &ReportRow, columns: usize, index: u64) -> Result<(), ReportError> {
    if row.quiz_scores.len() > columns {
        return Err(ReportError::QuizColumns {
            row: index + 1,
            scores: row.quiz_scores.len(),
            columns,
        });
    }
    Ok(())
}

struct Labels {
    columns: [&'static str; FIXED_COLUMNS],
    /// "Quiz {n} (...)", split around the number.
    quiz: (&'static str, &'static str),
    /// In the order of [`Status::ALL`].
    statuses: [&'static str; 5],
    sheet_name: &'static str,
}

impl Labels {
    fn quiz_column(&self, n: usize) -> String {
        format!("{}{n}{}", self.quiz.0, self.quiz.1)
    }
}

const NL: Labels = Labels {
    columns: [
        "Naam",
        "E-mail",
        "Groep",
        "Opleiding",
        "Opleidings-id",
        "Status",
        "Voortgang (%)",
        "Ingeschreven",
        "Deadline",
        "Laatste activiteit",
        "Afgerond",
        "Certificaat",
    ],
    quiz: ("Quiz ", " (beste %)"),
    statuses: [
        "uitgenodigd",
        "niet gestart",
        "bezig",
        "afgerond",
        "te laat",
    ],
    sheet_name: "Rapport",
};

const EN: Labels = Labels {
    columns: [
        "Name",
        "Email",
        "Group",
        "Course",
        "Course id",
        "Status",
        "Progress (%)",
        "Enrolled",
        "Deadline",
        "Last activity",
        "Completed",
        "Certificate",
    ],
    quiz: ("Quiz ", " (best %)"),
    statuses: [
        "invited",
        "not started",
        "in progress",
        "completed",
        "overdue",
    ],
    sheet_name: "Report",
};

fn labels(language: Language) -> &'static Labels {
    match language {
        Language::Nl => &NL,
        Language::En => &EN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_labelled_in_order() {
        assert_eq!(Status::ALL[0], Status::Invited);
        assert_eq!(Status::ALL[4], Status::Overdue);
        assert_eq!(status_label(Status::Overdue, Language::Nl), "te laat");
        assert_eq!(
            status_label(Status::NotStarted, Language::En),
            "not started"
        );
    }

    #[test]
    fn sheet_names_are_made_acceptable() {
        assert_eq!(excel_sheet_name("Q1: a/b [x]?", "R"), "Q1- a-b -x--");
        assert_eq!(excel_sheet_name("  'quoted'  ", "R"), "quoted");
        assert_eq!(excel_sheet_name("", "Rapport"), "Rapport");
        assert_eq!(excel_sheet_name("History", "Report"), "Report");
        let long = excel_sheet_name(&"é".repeat(40), "R");
        assert_eq!(long.chars().count(), 31);
        // An emoji is two UTF-16 units.
        assert_eq!(excel_sheet_name(&"😀".repeat(20), "R").chars().count(), 15);
    }

    #[test]
    fn the_last_excel_row_is_written_and_the_next_refused() {
        let layout = ReportLayout::default();
        let mut report = XlsxReport::new(&layout, "Rapport").unwrap();
        // As if all rows but the last had been written.
        report.rows = XLSX_MAX_ROWS - 1;
        let row = ReportRow {
            user_id: 1,
            name: "Last".into(),
            email: "last@example.org".into(),
            group: None,
            course_id: "c".into(),
            course_title: "C".into(),
            status: Status::InProgress,
            progress_percent: 50,
            enrolled_at: NaiveDateTime::default(),
            deadline: None,
            last_activity_at: None,
            completed_at: None,
            quiz_scores: vec![],
            certificate: None,
        };
        report.row(&row).unwrap();
        assert!(matches!(
            report.row(&row),
            Err(ReportError::TooManyRows { limit: 1_048_575 })
        ));
        let bytes = report.finish().unwrap();
        assert_eq!(&bytes[..2], b"PK");
    }

    #[test]
    fn formula_like_text_is_neutralised() {
        let mut record = csv::ByteRecord::new();
        let mut scratch = String::new();
        for (text, want) in [
            ("=1+1", "'=1+1"),
            ("+31 6", "'+31 6"),
            ("-x", "'-x"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("Anne", "Anne"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            record.clear();
            push_text(&mut record, &mut scratch, text);
            assert_eq!(&record[0], want.as_bytes(), "{text:?}");
        }
    }
}
