//! Completion reports: the enrolments an organisation assigned to its members, filtered and sorted by
//! a [`ReportQuery`], streamed one row at a time.
//!
//! One query does the filtering and sorting (so the dashboard, the exports and the
//! API agree on rows and order), and rows are handed to the caller as the database
//! produces them: SQLite steps its statement, PostgreSQL sends rows one by one
//! (libpq's single-row mode), so memory does not grow with the size of the report.
//!
//! A row's status is computed in SQL by [`status_rank`], the same rule as
//! `leerpad_core::report::Status::of`.

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer};
use leerpad_core::report::{DateField, ReportQuery, SortColumn, Status};

use crate::db::DbConnection;
use crate::error::{StoreError, StoreResult};
use crate::schema::{
    anonymised_enrolments, assigned_enrolments, certificates, enrolments, memberships, org_groups,
    users,
};

/// One enrolment of a member, as stored; the course's title and quiz order are the
/// caller's to add (they come from the published course).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRow {
    pub user_id: i32,
    pub name: String,
    pub email: String,
    pub group: Option<String>,
    pub course_id: String,
    pub status: Status,
    pub progress_percent: i32,
    pub enrolled_at: NaiveDateTime,
    pub deadline: Option<NaiveDateTime>,
    pub last_activity_at: Option<NaiveDateTime>,
    pub completed_at: Option<NaiveDateTime>,
    /// Best score per quiz, a JSON object from quiz id to percentage.
    pub quiz_scores: String,
    pub certificate: Option<String>,
}

type Row = (
    i32,
    String,
    String,
    Option<String>,
    String,
    i32,
    i32,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    String,
    Option<String>,
);

/// The position of a row's status in [`Status::ALL`], in SQL. `now` is written into
/// the SQL as a literal: it is a timestamp we format, never text from a request.
///
/// SQLite keeps timestamps as text and compares them as text, so the literal has
/// exactly diesel's format for them (`%F %T%.f`: no fraction for whole seconds, the
/// fewest of 3, 6 or 9 digits otherwise); then text order is time order and a
/// deadline equal to `now` is not before it. (A fixed six digits made a deadline of
/// exactly `now` overdue, as `12:00:00` < `12:00:00.000000` as text.)
fn status_rank(now: NaiveDateTime) -> String {
    let rank = |s: Status| Status::ALL.iter().position(|x| *x == s).unwrap_or(0);
    format!(
        "(CASE WHEN enrolments.completed_at IS NOT NULL THEN {completed} \
         WHEN users.email_verified_at IS NULL THEN {invited} \
         WHEN assigned_enrolments.deadline IS NOT NULL AND assigned_enrolments.deadline < '{now}' THEN {overdue} \
         WHEN enrolments.started_at IS NULL THEN {not_started} \
         ELSE {in_progress} END)",
        completed = rank(Status::Completed),
        invited = rank(Status::Invited),
        overdue = rank(Status::Overdue),
        not_started = rank(Status::NotStarted),
        in_progress = rank(Status::InProgress),
        now = now.format("%Y-%m-%d %H:%M:%S%.f"),
    )
}

/// Calls `each` with every row of the organisation's report for `query`, in the
/// query's order, stopping at the first error `each` returns.
pub fn for_each_row<E: From<StoreError>>(
    c: &mut DbConnection,
    organisation_id: i32,
    query: &ReportQuery,
    now: NaiveDateTime,
    each: impl FnMut(StoredRow) -> Result<(), E>,
) -> Result<(), E> {
    rows(c, organisation_id, None, query, now, each)
}

/// One member's rows in the organisation's report, by course.
pub fn member_rows(
    c: &mut DbConnection,
    organisation_id: i32,
    user_id: i32,
    now: NaiveDateTime,
) -> StoreResult<Vec<StoredRow>> {
    let query = ReportQuery {
        sort: SortColumn::Course,
        ..ReportQuery::default()
    };
    let mut out = Vec::new();
    rows(
        c,
        organisation_id,
        Some(user_id),
        &query,
        now,
        |r| -> StoreResult<()> {
            out.push(r);
            Ok(())
        },
    )?;
    Ok(out)
}

fn rows<E: From<StoreError>>(
    c: &mut DbConnection,
    organisation_id: i32,
    only_user: Option<i32>,
    query: &ReportQuery,
    now: NaiveDateTime,
    mut each: impl FnMut(StoredRow) -> Result<(), E>,
) -> Result<(), E> {
    let rank = status_rank(now);
    let ranks: Vec<i32> = query
        .statuses
        .iter()
        .filter_map(|s| Status::ALL.iter().position(|x| x == s))
        .map(|i| i as i32)
        .collect();
    let (from, to) = query.range();

    // The same query for both backends, each with its streaming loading mode.
    macro_rules! stream {
        ($conn:expr, $mode:ty) => {{
            // Users are joined through the membership, not the enrolment (the same
            // rows): with planner statistics (ANALYZE) of a large organisation,
            // SQLite otherwise walks users in the order of their email index and
            // fetches everything else at random, 2.5 times as slow (see
            // docs/benchmarks.md).
            //
            // Only enrolments the organisation asked for (`assigned_enrolments`, see
            // `organisations`): a member's courses of their own or of another
            // organisation stay out of its reports, and the deadline is this
            // organisation's own, whatever another one set.
            let mut q = enrolments::table
                .inner_join(memberships::table.on(memberships::user_id.eq(enrolments::user_id)))
                .inner_join(
                    assigned_enrolments::table.on(assigned_enrolments::organisation_id
                        .eq(memberships::organisation_id)
                        .and(assigned_enrolments::user_id.eq(enrolments::user_id))
                        .and(assigned_enrolments::course_id.eq(enrolments::course_id))),
                )
                .inner_join(users::table.on(users::id.eq(memberships::user_id)))
                .left_join(
                    org_groups::table.on(org_groups::id.nullable().eq(memberships::group_id)),
                )
                .left_join(
                    certificates::table.on(certificates::user_id
                        .eq(enrolments::user_id)
                        .and(certificates::course_id.eq(enrolments::course_id))),
                )
                .filter(memberships::organisation_id.eq(organisation_id))
                .filter(memberships::accepted_at.is_not_null())
                .select((
                    users::id,
                    users::display_name,
                    users::email,
                    org_groups::name.nullable(),
                    enrolments::course_id,
                    sql::<Integer>(&rank),
                    enrolments::progress_percent,
                    enrolments::enrolled_at,
                    assigned_enrolments::deadline,
                    enrolments::last_activity_at,
                    enrolments::completed_at,
                    enrolments::quiz_scores,
                    certificates::code.nullable(),
                ))
                .into_boxed();
            if let Some(user) = only_user {
                q = q.filter(enrolments::user_id.eq(user));
            }
            if let Some(course) = &query.course {
                q = q.filter(enrolments::course_id.eq(course.clone()));
            }
            if let Some(group) = query.group {
                q = q.filter(memberships::group_id.eq(group));
            }
            if !ranks.is_empty() {
                q = q.filter(sql::<Integer>(&rank).eq_any(ranks.clone()));
            }
            macro_rules! range {
                ($column:expr) => {{
                    if let Some(from) = from {
                        q = q.filter($column.ge(from));
                    }
                    if let Some(to) = to {
                        q = q.filter($column.lt(to));
                    }
                }};
            }
            match query.date_field {
                DateField::Completed => range!(enrolments::completed_at),
                DateField::Enrolled => range!(enrolments::enrolled_at),
                DateField::LastActivity => range!(enrolments::last_activity_at),
                DateField::Deadline => range!(assigned_enrolments::deadline),
            }
            // Empty values last in both directions and on both backends; names
            // compared without case, which both backends do alike.
            macro_rules! by {
                ($key:expr, $nulls:expr) => {{
                    q = q.then_order_by(sql::<Bool>($nulls));
                    q = if query.descending {
                        q.then_order_by(sql::<Integer>($key).desc())
                    } else {
                        q.then_order_by(sql::<Integer>($key).asc())
                    };
                }};
            }
            let rank_key = rank.clone();
            match query.sort {
                SortColumn::Name => by!("lower(users.display_name)", "1 = 0"),
                SortColumn::Email => by!("users.email", "1 = 0"),
                SortColumn::Group => by!("lower(org_groups.name)", "org_groups.name IS NULL"),
                SortColumn::Course => by!("enrolments.course_id", "1 = 0"),
                SortColumn::Status => by!(&rank_key, "1 = 0"),
                SortColumn::Progress => by!("enrolments.progress_percent", "1 = 0"),
                SortColumn::LastActivity => by!(
                    "enrolments.last_activity_at",
                    "enrolments.last_activity_at IS NULL"
                ),
                SortColumn::Deadline => by!(
                    "assigned_enrolments.deadline",
                    "assigned_enrolments.deadline IS NULL"
                ),
                SortColumn::Completed => {
                    by!("enrolments.completed_at", "enrolments.completed_at IS NULL")
                }
            }
            q = q
                .then_order_by(sql::<Integer>("lower(users.display_name)").asc())
                .then_order_by(users::id.asc())
                .then_order_by(enrolments::course_id.asc());
            let rows = q.load_iter::<Row, $mode>($conn).map_err(StoreError::from)?;
            for row in rows {
                each(stored(row.map_err(StoreError::from)?))?;
            }
            Ok(())
        }};
    }
    match c {
        DbConnection::Sqlite(b) => stream!(b, diesel::connection::DefaultLoadingMode),
        DbConnection::Pg(b) => stream!(b, diesel::pg::PgRowByRowLoadingMode),
    }
}

fn stored(r: Row) -> StoredRow {
    StoredRow {
        user_id: r.0,
        name: r.1,
        email: r.2,
        group: r.3,
        course_id: r.4,
        status: Status::ALL
            .get(r.5 as usize)
            .copied()
            .unwrap_or(Status::InProgress),
        progress_percent: r.6,
        enrolled_at: r.7,
        deadline: r.8,
        last_activity_at: r.9,
        completed_at: r.10,
        quiz_scores: r.11,
        certificate: r.12,
    }
}

/// What deleted accounts left in the organisation's reports: (course, status,
/// count), for one course and one group name if given.
pub fn anonymised(
    c: &mut DbConnection,
    organisation_id: i32,
    course: Option<&str>,
    group_name: Option<&str>,
) -> StoreResult<Vec<(String, Status, i64)>> {
    let mut q = anonymised_enrolments::table
        .filter(anonymised_enrolments::organisation_id.eq(organisation_id))
        .select((
            anonymised_enrolments::course_id,
            anonymised_enrolments::status,
            anonymised_enrolments::count,
        ))
        .into_boxed();
    if let Some(course) = course {
        q = q.filter(anonymised_enrolments::course_id.eq(course.to_string()));
    }
    if let Some(group) = group_name {
        q = q.filter(anonymised_enrolments::group_name.eq(group.to_string()));
    }
    let rows: Vec<(String, String, i32)> = q.load(c)?;
    let mut out: Vec<(String, Status, i64)> = Vec::new();
    for (course, status, count) in rows {
        let Some(status) = Status::parse(&status) else {
            continue;
        };
        match out
            .iter_mut()
            .find(|(c, s, _)| *c == course && *s == status)
        {
            Some(entry) => entry.2 += i64::from(count),
            None => out.push((course, status, i64::from(count))),
        }
    }
    out.sort();
    Ok(out)
}

/// What a report needs of a course: its title and its quizzes in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseOutline {
    pub id: String,
    pub title: String,
    /// (quiz id, title), in course order.
    pub quizzes: Vec<(String, String)>,
}

/// The outline of every course's current version, archived ones included (their
/// enrolments are still in reports), by id.
pub fn course_outlines(c: &mut DbConnection) -> StoreResult<Vec<CourseOutline>> {
    use crate::schema::{course_versions, courses, version_items};
    let versions: Vec<(String, i32, String)> = courses::table
        .inner_join(
            course_versions::table.on(course_versions::id
                .nullable()
                .eq(courses::current_version_id)),
        )
        .order(courses::id)
        .select((
            courses::id,
            course_versions::id,
            course_versions::course_json,
        ))
        .load(c)?;
    let mut out = Vec::with_capacity(versions.len());
    for (id, version_id, json) in versions {
        let skeleton: serde_json::Value = serde_json::from_str(&json)?;
        let title = skeleton
            .get("title")
            .and_then(|t| t.as_str())
            .unwrap_or(&id)
            .to_string();
        let quizzes: Vec<(String, String)> = version_items::table
            .filter(version_items::version_id.eq(version_id))
            .filter(version_items::kind.eq("quiz"))
            .order(version_items::position)
            .select((version_items::item_id, version_items::title))
            .load(c)?;
        out.push(CourseOutline { id, title, quizzes });
    }
    Ok(out)
}
