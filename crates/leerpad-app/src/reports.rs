//! Completion reports, from the store's rows to what a coordinator reads: the
//! dashboard's page of rows with totals per course, and the CSV, XLSX and JSON
//! exports. The web pages, the API and `leerpad report` all go through [`export`]
//! or [`summarise`], so they agree on rows, order and figures.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use chrono::NaiveDateTime;
use leerpad_core::report::{scores_in_order, CourseTotals, ReportQuery, ReportRow};
use leerpad_core::Language;
use leerpad_report::completion::{CsvOptions, CsvReport, Delimiter, ReportLayout, XlsxReport};
use leerpad_store::organisations::{self, Organisation};
use leerpad_store::reports::{self, CourseOutline, StoredRow};
use leerpad_store::{DbConnection, StoreError};
use serde::Serialize;

/// The file formats a report is exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// UTF-8 with a byte order mark; `;` for Excel set up for Belgium and most of
    /// Europe, `,` elsewhere.
    Csv {
        delimiter: Delimiter,
    },
    Xlsx,
    Json,
}

impl ExportFormat {
    /// From a format name (`csv`, `xlsx`, `json`) and an optional delimiter name
    /// (`comma`/`,` or `semicolon`/`;`).
    pub fn parse(format: &str, delimiter: Option<&str>) -> Result<ExportFormat, String> {
        let delimiter = match delimiter.map(str::trim).filter(|d| !d.is_empty()) {
            None | Some("comma") | Some(",") => Delimiter::Comma,
            Some("semicolon") | Some(";") => Delimiter::Semicolon,
            Some(other) => {
                return Err(format!(
                    "unknown delimiter `{other}`; use `comma` or `semicolon`"
                ))
            }
        };
        match format {
            "csv" => Ok(ExportFormat::Csv { delimiter }),
            "xlsx" => Ok(ExportFormat::Xlsx),
            "json" => Ok(ExportFormat::Json),
            other => Err(format!("unknown format `{other}`; use csv, xlsx or json")),
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv { .. } => "csv",
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Json => "json",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv { .. } => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            ExportFormat::Json => "application/json",
        }
    }
}

/// Why a report could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Document(#[from] leerpad_report::ReportError),
    #[error("could not write the report: {0}")]
    Io(#[from] std::io::Error),
    #[error("could not write the report: {0}")]
    Json(#[from] serde_json::Error),
}

/// Every course's title and quizzes, by id, for turning stored rows into report rows.
pub struct Outlines {
    by_id: HashMap<String, CourseOutline>,
}

impl Outlines {
    pub fn load(c: &mut DbConnection) -> Result<Outlines, StoreError> {
        Ok(Outlines {
            by_id: reports::course_outlines(c)?
                .into_iter()
                .map(|o| (o.id.clone(), o))
                .collect(),
        })
    }

    /// Courses by title, for filter menus.
    pub fn courses(&self) -> Vec<&CourseOutline> {
        let mut all: Vec<_> = self.by_id.values().collect();
        all.sort_by(|a, b| a.title.cmp(&b.title).then(a.id.cmp(&b.id)));
        all
    }

    pub fn get(&self, id: &str) -> Option<&CourseOutline> {
        self.by_id.get(id)
    }

    /// How many quiz columns a report needs: the most quizzes of any course it can
    /// hold (only the filtered course's, when there is one).
    pub fn quiz_columns(&self, query: &ReportQuery) -> usize {
        match &query.course {
            Some(id) => self.by_id.get(id).map_or(0, |o| o.quizzes.len()),
            None => self
                .by_id
                .values()
                .map(|o| o.quizzes.len())
                .max()
                .unwrap_or(0),
        }
    }

    pub fn row(&self, s: StoredRow) -> ReportRow {
        let outline = self.by_id.get(&s.course_id);
        ReportRow {
            quiz_scores: outline
                .map_or_else(Vec::new, |o| scores_in_order(&s.quiz_scores, &o.quizzes)),
            course_title: outline.map_or_else(|| s.course_id.clone(), |o| o.title.clone()),
            user_id: s.user_id,
            name: s.name,
            email: s.email,
            group: s.group,
            course_id: s.course_id,
            status: s.status,
            progress_percent: s.progress_percent.clamp(0, 100) as u8,
            enrolled_at: s.enrolled_at,
            deadline: s.deadline,
            last_activity_at: s.last_activity_at,
            completed_at: s.completed_at,
            certificate: s.certificate,
        }
    }
}

/// Writes the organisation's report for `query` to `out`, one row at a time (XLSX
/// is assembled in a compact form and written at the end). Returns the number of
/// rows.
pub fn export(
    c: &mut DbConnection,
    organisation: &Organisation,
    query: &ReportQuery,
    now: NaiveDateTime,
    format: ExportFormat,
    lang: &str,
    out: &mut (dyn Write + Send),
) -> Result<u64, ExportError> {
    let outlines = Outlines::load(c)?;
    let layout = ReportLayout {
        language: if lang == "en" {
            Language::En
        } else {
            Language::Nl
        },
        quiz_columns: outlines.quiz_columns(query),
    };
    let mut rows = 0u64;
    match format {
        ExportFormat::Csv { delimiter } => {
            let mut csv = CsvReport::new(&mut *out, &layout, CsvOptions { delimiter })?;
            reports::for_each_row(
                c,
                organisation.id,
                query,
                now,
                |s| -> Result<(), ExportError> {
                    rows += 1;
                    Ok(csv.row(&outlines.row(s))?)
                },
            )?;
            csv.finish()?;
        }
        ExportFormat::Xlsx => {
            let mut xlsx = XlsxReport::new(&layout, &organisation.name)?;
            reports::for_each_row(
                c,
                organisation.id,
                query,
                now,
                |s| -> Result<(), ExportError> {
                    rows += 1;
                    Ok(xlsx.row(&outlines.row(s))?)
                },
            )?;
            xlsx.finish_to(&mut *out)?;
        }
        ExportFormat::Json => {
            // {"organisation": …, "generated_at": …, "query": …, "rows": [ … ], "totals": [ … ]}
            let mut totals = Totals::default();
            write!(
                out,
                "{{\"organisation\":{},\"generated_at\":{},\"query\":{},\"rows\":[",
                serde_json::to_string(&OrganisationJson::from(organisation))?,
                serde_json::to_string(&now)?,
                serde_json::to_string(query)?,
            )?;
            reports::for_each_row(
                c,
                organisation.id,
                query,
                now,
                |s| -> Result<(), ExportError> {
                    let row = outlines.row(s);
                    if rows > 0 {
                        out.write_all(b",")?;
                    }
                    serde_json::to_writer(&mut *out, &row)?;
                    totals.add(&row);
                    rows += 1;
                    Ok(())
                },
            )?;
            let totals = totals.finish(c, organisation, query, &outlines)?;
            write!(out, "],\"totals\":{}}}", serde_json::to_string(&totals)?)?;
        }
    }
    out.flush()?;
    Ok(rows)
}

#[derive(Serialize)]
struct OrganisationJson<'a> {
    slug: &'a str,
    name: &'a str,
}

impl<'a> From<&'a Organisation> for OrganisationJson<'a> {
    fn from(o: &'a Organisation) -> Self {
        OrganisationJson {
            slug: &o.slug,
            name: &o.name,
        }
    }
}

/// Totals per course, gathered row by row.
#[derive(Default)]
struct Totals {
    by_course: BTreeMap<String, CourseTotals>,
}

impl Totals {
    fn add(&mut self, row: &ReportRow) {
        self.by_course
            .entry(row.course_id.clone())
            .or_insert_with(|| CourseTotals::new(&row.course_id, &row.course_title))
            .add(row);
    }

    /// Adds what deleted accounts left (for the same course and group), and orders
    /// the courses by title.
    fn finish(
        mut self,
        c: &mut DbConnection,
        organisation: &Organisation,
        query: &ReportQuery,
        outlines: &Outlines,
    ) -> Result<Vec<CourseTotals>, StoreError> {
        let group_name = match query.group {
            Some(g) => Some(
                organisations::group(c, organisation.id, g)?
                    .map(|g| g.name)
                    .unwrap_or_default(),
            ),
            None => None,
        };
        // Counts kept of deleted accounts have no dates: with a date range, leave them out.
        if query.from.is_none() && query.to.is_none() {
            for (course, status, count) in reports::anonymised(
                c,
                organisation.id,
                query.course.as_deref(),
                group_name.as_deref(),
            )? {
                if !query.statuses.is_empty() && !query.statuses.contains(&status) {
                    continue;
                }
                let title = outlines
                    .get(&course)
                    .map_or(course.as_str(), |o| o.title.as_str());
                self.by_course
                    .entry(course.clone())
                    .or_insert_with(|| CourseTotals::new(&course, title))
                    .add_anonymised(status, count.max(0) as u64);
            }
        }
        let mut all: Vec<CourseTotals> = self.by_course.into_values().collect();
        all.sort_by(|a, b| a.course_title.cmp(&b.course_title));
        Ok(all)
    }
}

/// What the dashboard shows: one page of rows, how many rows there are, and totals
/// per course over all of them.
pub struct Summary {
    pub rows: Vec<ReportRow>,
    pub total_rows: u64,
    pub totals: Vec<CourseTotals>,
}

pub fn summarise(
    c: &mut DbConnection,
    organisation: &Organisation,
    query: &ReportQuery,
    now: NaiveDateTime,
    offset: u64,
    limit: u64,
) -> Result<(Summary, Outlines), ExportError> {
    let outlines = Outlines::load(c)?;
    let mut totals = Totals::default();
    let mut rows = Vec::new();
    let mut seen = 0u64;
    reports::for_each_row(
        c,
        organisation.id,
        query,
        now,
        |s| -> Result<(), ExportError> {
            let row = outlines.row(s);
            totals.add(&row);
            if seen >= offset && seen < offset + limit {
                rows.push(row);
            }
            seen += 1;
            Ok(())
        },
    )?;
    let totals = totals.finish(c, organisation, query, &outlines)?;
    Ok((
        Summary {
            rows,
            total_rows: seen,
            totals,
        },
        outlines,
    ))
}
