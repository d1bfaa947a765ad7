//! The completion reports read back: CSV with the csv crate, XLSX with calamine and
//! as a zip of XML.

use std::io::{Cursor, Read};

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use chrono::NaiveDateTime;
use leerpad_core::report::{ReportRow, Status};
use leerpad_core::Language;
use leerpad_report::completion::{
    status_label, CsvOptions, CsvReport, Delimiter, ReportLayout, XlsxReport, XLSX_MAX_ROWS,
};
use leerpad_report::ReportError;

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

/// A completed row with every field filled, and a row with every optional field
/// empty and formula-like text.
fn rows() -> Vec<ReportRow> {
    vec![
        ReportRow {
            user_id: 1,
            name: "Anne de Vries".into(),
            email: "anne@example.org".into(),
            group: Some("Team Noord".into()),
            course_id: "polarisatie".into(),
            course_title: "Polarisatie, \"samen\" aanpakken".into(),
            status: Status::Completed,
            progress_percent: 100,
            enrolled_at: at("2026-01-05 09:15:42"),
            deadline: Some(at("2026-03-31 23:59:00")),
            last_activity_at: Some(at("2026-02-10 14:03:07")),
            completed_at: Some(at("2026-02-10 14:03:07")),
            quiz_scores: vec![Some(80), Some(100)],
            certificate: Some("KDFH-7QXM".into()),
        },
        ReportRow {
            user_id: 2,
            name: "=HYPERLINK(\"http://evil.example\",\"klik\")".into(),
            email: "+31@example.org".into(),
            group: Some("-groep".into()),
            course_id: "veiligheid".into(),
            course_title: "@SUM(1+1)".into(),
            status: Status::Overdue,
            progress_percent: 0,
            enrolled_at: at("2026-01-06 00:00:00"),
            deadline: None,
            last_activity_at: None,
            completed_at: None,
            quiz_scores: vec![None],
            certificate: None,
        },
    ]
}

fn layout(language: Language) -> ReportLayout {
    ReportLayout {
        language,
        quiz_columns: 2,
    }
}

fn csv_bytes(language: Language, delimiter: Delimiter) -> Vec<u8> {
    let mut report =
        CsvReport::new(Vec::new(), &layout(language), CsvOptions { delimiter }).unwrap();
    for row in rows() {
        report.row(&row).unwrap();
    }
    assert_eq!(report.rows(), 2);
    report.finish().unwrap()
}

fn read_csv(bytes: &[u8], delimiter: u8) -> Vec<Vec<String>> {
    let body = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .expect("the CSV starts with a UTF-8 byte order mark");
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .from_reader(body)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[test]
fn csv_in_dutch() {
    let bytes = csv_bytes(Language::Nl, Delimiter::Comma);
    let records = read_csv(&bytes, b',');
    assert_eq!(
        records[0],
        [
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
            "Quiz 1 (beste %)",
            "Quiz 2 (beste %)",
        ]
    );
    assert_eq!(
        records[1],
        [
            "Anne de Vries",
            "anne@example.org",
            "Team Noord",
            "Polarisatie, \"samen\" aanpakken",
            "polarisatie",
            "afgerond",
            "100",
            "2026-01-05 09:15",
            "2026-03-31 23:59",
            "2026-02-10 14:03",
            "2026-02-10 14:03",
            "KDFH-7QXM",
            "80",
            "100",
        ]
    );
    assert_eq!(records.len(), 3);
    // CRLF line ends, and the quoting a comma and quotes need.
    let text = std::str::from_utf8(&bytes).unwrap();
    assert!(text.contains("\"Polarisatie, \"\"samen\"\" aanpakken\""));
    assert!(text.ends_with("\r\n"));
}

#[test]
fn csv_in_english_with_semicolons() {
    let bytes = csv_bytes(Language::En, Delimiter::Semicolon);
    let records = read_csv(&bytes, b';');
    assert_eq!(
        records[0],
        [
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
            "Quiz 1 (best %)",
            "Quiz 2 (best %)",
        ]
    );
    assert!(records.iter().all(|r| r.len() == 14));
    assert_eq!(records[1][5], "completed");
    // Quotes are doubled in a quoted field; every line has 13 semicolons.
    let text = std::str::from_utf8(&bytes).unwrap();
    assert!(text.contains(";\"Polarisatie, \"\"samen\"\" aanpakken\";"));
    for line in text.trim_end().split("\r\n") {
        assert_eq!(line.matches(';').count(), 13, "{line}");
    }
}

#[test]
fn csv_leaves_absent_values_empty_and_neutralises_formulas() {
    let records = read_csv(&csv_bytes(Language::Nl, Delimiter::Comma), b',');
    let row = &records[2];
    assert_eq!(
        row[..5],
        [
            "'=HYPERLINK(\"http://evil.example\",\"klik\")",
            "'+31@example.org",
            "'-groep",
            "'@SUM(1+1)",
            "veiligheid",
        ]
    );
    assert_eq!(row[5], "te laat");
    // Numbers are untouched, dates and the certificate are absent, and the quiz
    // columns past the row's own quizzes are empty.
    assert_eq!(row[6], "0");
    assert_eq!(row[7], "2026-01-06 00:00");
    assert_eq!(row[8..], ["", "", "", "", "", ""]);
}

#[test]
fn csv_without_rows_or_quizzes_is_the_header() {
    let layout = ReportLayout {
        language: Language::En,
        quiz_columns: 0,
    };
    let bytes = CsvReport::new(Vec::new(), &layout, CsvOptions::default())
        .unwrap()
        .finish()
        .unwrap();
    let records = read_csv(&bytes, b',');
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].len(), 12);
    assert_eq!(records[0][11], "Certificate");
}

#[test]
fn too_many_quiz_scores_is_an_error() {
    let layout = ReportLayout {
        language: Language::Nl,
        quiz_columns: 1,
    };
    let row = &rows()[0];
    let mut csv = CsvReport::new(Vec::new(), &layout, CsvOptions::default()).unwrap();
    assert!(matches!(
        csv.row(row),
        Err(ReportError::QuizColumns {
            row: 1,
            scores: 2,
            columns: 1
        })
    ));
    let mut xlsx = XlsxReport::new(&layout, "Rapport").unwrap();
    assert!(matches!(
        xlsx.row(row),
        Err(ReportError::QuizColumns { .. })
    ));
}

/// Writes many rows to show the CSV writer streams: nothing is kept per row.
#[test]
fn csv_streams_200_000_rows() {
    let layout = layout(Language::Nl);
    let mut report = CsvReport::new(std::io::sink(), &layout, CsvOptions::default()).unwrap();
    let mut row = rows().remove(0);
    for i in 0..200_000u32 {
        row.user_id = i as i32;
        row.progress_percent = (i % 101) as u8;
        report.row(&row).unwrap();
    }
    assert_eq!(report.rows(), 200_000);
    report.finish().unwrap();
}

fn xlsx_bytes(language: Language, sheet: &str) -> Vec<u8> {
    let mut report = XlsxReport::new(&layout(language), sheet).unwrap();
    for row in rows() {
        report.row(&row).unwrap();
    }
    assert_eq!(report.rows(), 2);
    report.finish().unwrap()
}

#[test]
fn xlsx_reads_back_with_typed_cells() {
    let bytes = xlsx_bytes(Language::Nl, "Voortgang: Q1/2026");
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    // The sheet name lost the characters Excel forbids.
    assert_eq!(workbook.sheet_names(), ["Voortgang- Q1-2026"]);
    let range = workbook.worksheet_range("Voortgang- Q1-2026").unwrap();
    assert_eq!(range.get_size(), (3, 14));

    let header: Vec<String> = range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header[0], "Naam");
    assert_eq!(header[6], "Voortgang (%)");
    assert_eq!(header[13], "Quiz 2 (beste %)");

    let row = |r: usize| range.rows().nth(r).unwrap().to_vec();
    let first = row(1);
    assert_eq!(first[0], Data::String("Anne de Vries".into()));
    assert_eq!(first[5], Data::String("afgerond".into()));
    assert_eq!(first[6], Data::Float(100.0));
    assert_eq!(first[11], Data::String("KDFH-7QXM".into()));
    assert_eq!(first[12], Data::Float(80.0));
    for (col, want) in [
        (7, "2026-01-05 09:15:42"),
        (8, "2026-03-31 23:59:00"),
        (9, "2026-02-10 14:03:07"),
        (10, "2026-02-10 14:03:07"),
    ] {
        match &first[col] {
            Data::DateTime(d) => {
                assert!(d.is_datetime());
                let got = d.as_datetime().unwrap();
                // Excel keeps a day fraction: equal to within a millisecond.
                assert!(
                    (got - at(want)).num_milliseconds().abs() <= 1,
                    "{got} vs {want}"
                );
            }
            other => panic!("column {col} is not a date-time: {other:?}"),
        }
    }

    // Formula-like text stays a plain string, unprefixed; absent values are empty.
    let second = row(2);
    assert_eq!(
        second[0],
        Data::String("=HYPERLINK(\"http://evil.example\",\"klik\")".into())
    );
    assert_eq!(second[3], Data::String("@SUM(1+1)".into()));
    assert_eq!(
        second[5],
        Data::String(status_label(Status::Overdue, Language::Nl).into())
    );
    assert_eq!(second[6], Data::Float(0.0));
    assert!(matches!(second[7], Data::DateTime(_)));
    for col in [8, 9, 10, 11, 12, 13] {
        assert_eq!(second[col], Data::Empty, "column {col}");
    }
}

#[test]
fn xlsx_header_is_english_when_asked() {
    let bytes = xlsx_bytes(Language::En, "");
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    assert_eq!(workbook.sheet_names(), ["Report"]);
    let range = workbook.worksheet_range("Report").unwrap();
    assert_eq!(range.get((0, 0)), Some(&Data::String("Name".into())));
    assert_eq!(
        range.get((0, 12)),
        Some(&Data::String("Quiz 1 (best %)".into()))
    );
    assert_eq!(range.get((2, 5)), Some(&Data::String("overdue".into())));
}

fn zip_entry(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut entry = archive.by_name(name).unwrap();
    let mut xml = String::new();
    entry.read_to_string(&mut xml).unwrap();
    xml
}

#[test]
fn xlsx_freezes_the_header_and_filters_every_row() {
    let bytes = xlsx_bytes(Language::Nl, "Rapport");
    let sheet = zip_entry(&bytes, "xl/worksheets/sheet1.xml");
    let pane = &sheet[sheet.find("<pane ").expect("a <pane> element")..];
    let pane = &pane[..pane.find("/>").unwrap()];
    assert!(pane.contains(r#"state="frozen""#), "{pane}");
    assert!(pane.contains(r#"ySplit="1""#), "{pane}");
    assert!(pane.contains(r#"topLeftCell="A2""#), "{pane}");
    // Header and two rows, columns A to N.
    assert!(sheet.contains(r#"<autoFilter ref="A1:N3""#), "{sheet}");
    // Column widths are set.
    assert!(sheet.contains("<cols>"));
    // The header is bold: its cells use a style whose font is bold.
    let styles = zip_entry(&bytes, "xl/styles.xml");
    assert!(styles.contains("<b/>"), "{styles}");
}

#[test]
fn xlsx_without_rows_filters_the_header() {
    let report = XlsxReport::new(&ReportLayout::default(), "Rapport").unwrap();
    let bytes = report.finish().unwrap();
    let sheet = zip_entry(&bytes, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains(r#"<autoFilter ref="A1:L1""#), "{sheet}");
}

#[test]
fn xlsx_rejects_dates_excel_cannot_hold_without_a_half_row() {
    let mut report = XlsxReport::new(&layout(Language::Nl), "Rapport").unwrap();
    let mut row = rows().remove(0);
    row.completed_at = Some(at("1899-01-01 00:00:00"));
    assert!(matches!(report.row(&row), Err(ReportError::Xlsx(_))));
    assert_eq!(report.rows(), 0);
    row.completed_at = None;
    report.row(&row).unwrap();
    let bytes = report.finish().unwrap();
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let range = workbook.worksheet_range("Rapport").unwrap();
    assert_eq!(range.get_size(), (2, 14));
    assert_eq!(range.get((1, 10)), Some(&Data::Empty));
}

#[test]
fn too_many_columns_for_excel() {
    let layout = ReportLayout {
        language: Language::Nl,
        quiz_columns: 16_384 - 12 + 1,
    };
    assert!(matches!(
        XlsxReport::new(&layout, "Rapport"),
        Err(ReportError::TooManyColumns {
            columns: 16_385,
            ..
        })
    ));
}

#[test]
fn the_row_limit_is_excels() {
    assert_eq!(XLSX_MAX_ROWS, 1_048_576 - 1);
    let message = ReportError::TooManyRows {
        limit: XLSX_MAX_ROWS,
    }
    .to_string();
    assert!(message.contains("1048575"), "{message}");
}

#[test]
fn writers_can_move_between_threads() {
    fn send<T: Send>() {}
    send::<XlsxReport>();
    send::<CsvReport<Vec<u8>>>();
}
