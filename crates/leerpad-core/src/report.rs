//! Completion reports: what a coordinator sees about an organisation's learners,
//! one row per learner and course, and the filters and sort orders that choose and
//! order the rows. The dashboard, the CSV and XLSX exports, the API and
//! `leerpad report` all take a [`ReportQuery`], so an export holds exactly the rows
//! the dashboard shows.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

/// Where a learner stands in a course, in this order of precedence: completed,
/// invited (the account was never activated), overdue (past the deadline), not
/// started, in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Invited,
    NotStarted,
    InProgress,
    Completed,
    Overdue,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Invited,
        Status::NotStarted,
        Status::InProgress,
        Status::Completed,
        Status::Overdue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Invited => "invited",
            Status::NotStarted => "not_started",
            Status::InProgress => "in_progress",
            Status::Completed => "completed",
            Status::Overdue => "overdue",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The status of an enrolment at `now`. The store computes the same in SQL
    /// (`leerpad_store::reports`), where filters and sorting need it; a test keeps
    /// the two in step.
    pub fn of(
        activated: bool,
        started: bool,
        completed: bool,
        deadline: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> Status {
        if completed {
            Status::Completed
        } else if !activated {
            Status::Invited
        } else if deadline.is_some_and(|d| d < now) {
            Status::Overdue
        } else if !started {
            Status::NotStarted
        } else {
            Status::InProgress
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The columns a report can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SortColumn {
    #[default]
    Name,
    Email,
    Group,
    Course,
    Status,
    Progress,
    LastActivity,
    Deadline,
    Completed,
}

impl SortColumn {
    pub const ALL: [SortColumn; 9] = [
        SortColumn::Name,
        SortColumn::Email,
        SortColumn::Group,
        SortColumn::Course,
        SortColumn::Status,
        SortColumn::Progress,
        SortColumn::LastActivity,
        SortColumn::Deadline,
        SortColumn::Completed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SortColumn::Name => "name",
            SortColumn::Email => "email",
            SortColumn::Group => "group",
            SortColumn::Course => "course",
            SortColumn::Status => "status",
            SortColumn::Progress => "progress",
            SortColumn::LastActivity => "last_activity",
            SortColumn::Deadline => "deadline",
            SortColumn::Completed => "completed",
        }
    }

    pub fn parse(s: &str) -> Option<SortColumn> {
        SortColumn::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Which date a date range applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DateField {
    #[default]
    Completed,
    Enrolled,
    LastActivity,
    Deadline,
}

impl DateField {
    pub const ALL: [DateField; 4] = [
        DateField::Completed,
        DateField::Enrolled,
        DateField::LastActivity,
        DateField::Deadline,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DateField::Completed => "completed",
            DateField::Enrolled => "enrolled",
            DateField::LastActivity => "last_activity",
            DateField::Deadline => "deadline",
        }
    }

    pub fn parse(s: &str) -> Option<DateField> {
        DateField::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// The filters and sort order of a report. Every field is optional; an empty query
/// is every enrolment of the organisation, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReportQuery {
    pub course: Option<String>,
    /// Statuses to keep; empty keeps all.
    pub statuses: BTreeSet<Status>,
    pub group: Option<i32>,
    pub date_field: DateField,
    /// Inclusive: from the start of `from` to the end of `to`.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub sort: SortColumn,
    pub descending: bool,
}

/// A filter or sort parameter that makes no sense, named so the caller can say
/// which one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{parameter}: {message}")]
pub struct QueryError {
    pub parameter: &'static str,
    pub message: String,
}

impl ReportQuery {
    /// Builds a query from its text parameters, as in a URL or on the command line:
    /// `course`, `status` (repeatable), `group`, `date` (which date the range is
    /// about), `from` and `to` (YYYY-MM-DD), `sort` and `order` (`asc`/`desc`).
    /// Empty values count as absent.
    pub fn from_params<'a>(
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<ReportQuery, QueryError> {
        let mut q = ReportQuery::default();
        let err = |parameter: &'static str, message: String| QueryError { parameter, message };
        for (key, value) in params {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            match key {
                "course" => q.course = Some(value.to_string()),
                "status" => {
                    let status = Status::parse(value).ok_or_else(|| {
                        err(
                            "status",
                            format!(
                                "unknown status `{value}`; use one of {}",
                                names(&Status::ALL.map(Status::as_str))
                            ),
                        )
                    })?;
                    q.statuses.insert(status);
                }
                "group" => {
                    q.group =
                        Some(value.parse().map_err(|_| {
                            err("group", format!("`{value}` is not a group number"))
                        })?)
                }
                "date" => {
                    q.date_field = DateField::parse(value).ok_or_else(|| {
                        err(
                            "date",
                            format!(
                                "unknown date `{value}`; use one of {}",
                                names(&DateField::ALL.map(DateField::as_str))
                            ),
                        )
                    })?
                }
                "from" | "to" => {
                    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
                        err(
                            if key == "from" { "from" } else { "to" },
                            format!("`{value}` is not a date like 2026-03-31"),
                        )
                    })?;
                    if key == "from" {
                        q.from = Some(date);
                    } else {
                        q.to = Some(date);
                    }
                }
                "sort" => {
                    q.sort = SortColumn::parse(value).ok_or_else(|| {
                        err(
                            "sort",
                            format!(
                                "unknown column `{value}`; use one of {}",
                                names(&SortColumn::ALL.map(SortColumn::as_str))
                            ),
                        )
                    })?
                }
                "order" => {
                    q.descending = match value {
                        "asc" => false,
                        "desc" => true,
                        _ => {
                            return Err(err(
                                "order",
                                format!("`{value}` is neither `asc` nor `desc`"),
                            ))
                        }
                    }
                }
                _ => {}
            }
        }
        if let (Some(from), Some(to)) = (q.from, q.to) {
            if from > to {
                return Err(err("from", format!("{from} is after {to}")));
            }
        }
        Ok(q)
    }

    /// The query as URL parameters, in a fixed order; with `sort` left out so a
    /// page can add its own (for column headers).
    pub fn to_params(&self, with_sort: bool) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(c) = &self.course {
            out.push(("course", c.clone()));
        }
        for s in &self.statuses {
            out.push(("status", s.as_str().to_string()));
        }
        if let Some(g) = self.group {
            out.push(("group", g.to_string()));
        }
        if self.from.is_some() || self.to.is_some() {
            out.push(("date", self.date_field.as_str().to_string()));
        }
        if let Some(f) = self.from {
            out.push(("from", f.to_string()));
        }
        if let Some(t) = self.to {
            out.push(("to", t.to_string()));
        }
        if with_sort {
            out.push(("sort", self.sort.as_str().to_string()));
            out.push((
                "order",
                if self.descending { "desc" } else { "asc" }.to_string(),
            ));
        }
        out
    }

    /// The range as timestamps: from midnight of `from` to before midnight after `to`.
    pub fn range(&self) -> (Option<NaiveDateTime>, Option<NaiveDateTime>) {
        (
            self.from.and_then(|d| d.and_hms_opt(0, 0, 0)),
            self.to
                .and_then(|d| d.succ_opt())
                .and_then(|d| d.and_hms_opt(0, 0, 0)),
        )
    }
}

fn names(all: &[&str]) -> String {
    all.iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One learner in one course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportRow {
    pub user_id: i32,
    pub name: String,
    pub email: String,
    pub group: Option<String>,
    pub course_id: String,
    pub course_title: String,
    pub status: Status,
    /// 0–100, as of the learner's last progress.
    pub progress_percent: u8,
    pub enrolled_at: NaiveDateTime,
    pub deadline: Option<NaiveDateTime>,
    pub last_activity_at: Option<NaiveDateTime>,
    pub completed_at: Option<NaiveDateTime>,
    /// The best score (%) of each of the course's quizzes, in course order; `None`
    /// where the learner has no submitted attempt. Reports show them by position
    /// ("quiz 1", "quiz 2"), so rows of different courses line up.
    pub quiz_scores: Vec<Option<u8>>,
    pub certificate: Option<String>,
}

/// Best quiz scores as stored with an enrolment (a JSON object from quiz id to
/// percentage), in the order of `quizzes`. Unknown or malformed entries are absent.
pub fn scores_in_order(stored: &str, quizzes: &[(String, String)]) -> Vec<Option<u8>> {
    let map: BTreeMap<String, u8> = serde_json::from_str(stored).unwrap_or_default();
    quizzes.iter().map(|(id, _)| map.get(id).copied()).collect()
}

/// Counts per course, of the rows a report holds plus what deleted accounts left
/// behind (anonymised): a learner who deleted their account still counts in the
/// enrolments, the statuses and the completion rate, only without a name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CourseTotals {
    pub course_id: String,
    pub course_title: String,
    pub enrolled: u64,
    pub by_status: BTreeMap<Status, u64>,
    /// Rounded-down average of the rows' progress (deleted accounts kept no
    /// progress, so they are not in it).
    pub average_progress: u8,
    /// Of `enrolled` and `by_status`: the enrolments of deleted accounts, by status
    /// at deletion.
    pub anonymised: BTreeMap<Status, u64>,
    #[serde(skip)]
    progress_sum: u64,
    #[serde(skip)]
    rows: u64,
}

impl CourseTotals {
    pub fn new(course_id: &str, course_title: &str) -> CourseTotals {
        CourseTotals {
            course_id: course_id.to_string(),
            course_title: course_title.to_string(),
            ..CourseTotals::default()
        }
    }

    pub fn add(&mut self, row: &ReportRow) {
        self.enrolled += 1;
        self.rows += 1;
        *self.by_status.entry(row.status).or_default() += 1;
        self.progress_sum += u64::from(row.progress_percent);
        self.average_progress = (self.progress_sum / self.rows) as u8;
    }

    /// Counts `count` enrolments of deleted accounts that had `status`.
    pub fn add_anonymised(&mut self, status: Status, count: u64) {
        self.enrolled += count;
        *self.by_status.entry(status).or_default() += count;
        *self.anonymised.entry(status).or_default() += count;
    }

    pub fn count(&self, status: Status) -> u64 {
        self.by_status.get(&status).copied().unwrap_or(0)
    }

    /// Completed rows as a rounded-down percentage of all rows.
    pub fn completion_rate(&self) -> u8 {
        (self.count(Status::Completed) * 100)
            .checked_div(self.enrolled)
            .unwrap_or(0) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn status_precedence() {
        let now = at("2026-03-01 12:00");
        let past = Some(at("2026-02-01 00:00"));
        let future = Some(at("2026-04-01 00:00"));
        assert_eq!(Status::of(true, true, true, past, now), Status::Completed);
        assert_eq!(Status::of(false, false, false, past, now), Status::Invited);
        assert_eq!(Status::of(true, true, false, past, now), Status::Overdue);
        assert_eq!(
            Status::of(true, false, false, future, now),
            Status::NotStarted
        );
        assert_eq!(Status::of(true, true, false, None, now), Status::InProgress);
        // The deadline moment itself is not yet overdue.
        assert_eq!(
            Status::of(true, true, false, Some(now), now),
            Status::InProgress
        );
    }

    #[test]
    fn query_from_params_round_trips() {
        let params = [
            ("course", "polarisatie"),
            ("status", "overdue"),
            ("status", "not_started"),
            ("group", "7"),
            ("date", "deadline"),
            ("from", "2026-01-01"),
            ("to", "2026-03-31"),
            ("sort", "progress"),
            ("order", "desc"),
        ];
        let q = ReportQuery::from_params(params).unwrap();
        assert_eq!(q.course.as_deref(), Some("polarisatie"));
        assert_eq!(q.statuses.len(), 2);
        assert_eq!(q.group, Some(7));
        assert_eq!(q.date_field, DateField::Deadline);
        assert_eq!(q.sort, SortColumn::Progress);
        assert!(q.descending);
        let back: Vec<(&str, String)> = q.to_params(true);
        let again = ReportQuery::from_params(back.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
        assert_eq!(q, again);
        assert_eq!(
            q.range(),
            (Some(at("2026-01-01 00:00")), Some(at("2026-04-01 00:00")))
        );
    }

    #[test]
    fn bad_parameters_name_themselves() {
        for (params, parameter) in [
            (vec![("status", "done")], "status"),
            (vec![("group", "sales")], "group"),
            (vec![("from", "31/03/2026")], "from"),
            (vec![("to", "2026-02-30")], "to"),
            (vec![("sort", "password")], "sort"),
            (vec![("order", "up")], "order"),
            (vec![("date", "birthday")], "date"),
            (vec![("from", "2026-04-01"), ("to", "2026-03-01")], "from"),
        ] {
            let e = ReportQuery::from_params(params).unwrap_err();
            assert_eq!(e.parameter, parameter, "{e}");
        }
        // Empty values are absent; unknown parameters are ignored (pages add their own).
        let q = ReportQuery::from_params([("course", ""), ("page", "3")]).unwrap();
        assert_eq!(q, ReportQuery::default());
    }

    #[test]
    fn quiz_scores_follow_the_course_order() {
        let quizzes = vec![
            ("q1".to_string(), "First".to_string()),
            ("q2".to_string(), "Second".to_string()),
        ];
        assert_eq!(
            scores_in_order(r#"{"q2": 80}"#, &quizzes),
            vec![None, Some(80)]
        );
        assert_eq!(scores_in_order("not json", &quizzes), vec![None, None]);
    }

    #[test]
    fn totals() {
        let row = |status, progress_percent| ReportRow {
            user_id: 1,
            name: "A".into(),
            email: "a@example.org".into(),
            group: None,
            course_id: "c".into(),
            course_title: "C".into(),
            status,
            progress_percent,
            enrolled_at: at("2026-01-01 00:00"),
            deadline: None,
            last_activity_at: None,
            completed_at: None,
            quiz_scores: vec![],
            certificate: None,
        };
        let mut t = CourseTotals::new("c", "C");
        assert_eq!(t.completion_rate(), 0);
        t.add(&row(Status::Completed, 100));
        t.add(&row(Status::NotStarted, 0));
        t.add(&row(Status::InProgress, 51));
        assert_eq!(t.enrolled, 3);
        assert_eq!(t.count(Status::Completed), 1);
        assert_eq!(t.completion_rate(), 33);
        assert_eq!(t.average_progress, 50);
        // A learner who completed and then deleted their account still counts.
        t.add_anonymised(Status::Completed, 1);
        assert_eq!(t.enrolled, 4);
        assert_eq!(t.count(Status::Completed), 2);
        assert_eq!(t.completion_rate(), 50);
        assert_eq!(t.average_progress, 50, "deleted accounts kept no progress");
    }
}
