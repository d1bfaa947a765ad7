//! A person's rights over their data (GDPR articles 15, 17 and 20): a copy of
//! everything stored about them, and deleting their account.
//!
//! # The export
//!
//! [`export`] returns one JSON object. Times are UTC, RFC 3339 (`2026-09-21T14:13:20Z`);
//! absent values are `null`; lists are oldest first. Version 1 has these fields:
//!
//! - `format`: `"leerpad-personal-data/1"`; a change that is not only an added field
//!   gets a new number;
//! - `exported_at`;
//! - `profile`: `email`, `display_name`, `role`, `language`, `notifications` (the
//!   reminder preference), `created_at`, `email_verified_at`, `disabled_at`;
//! - `memberships`: per organisation, `organisation` (name), `organisation_slug`,
//!   `group` (name, or `null`), `role`, `since` (asked or added), `accepted_at`
//!   (`null` while a request to join waits), and `assigned`: the courses it
//!   assigned, each with `course`, `assigned_at` and its own `deadline`;
//! - `enrolments`: `course`, `enrolled_at`, `assigned` (by a coordinator),
//!   `deadline`, `started_at`, `last_activity_at`, `completed_at`,
//!   `progress_percent`, `quiz_scores` (best score in % per quiz);
//! - `lesson_progress`: `course`, `lesson`, `first_opened_at`, `last_opened_at`,
//!   `completed_at`;
//! - `quiz_attempts`: `course`, `quiz`, `questions` (ids, in the order asked),
//!   `started_at`, `submitted_at`, `score`, `max_score`, `passed`, and `answers`
//!   (`question`, `answer` as given, `correct`, `points`, `answered_at`);
//! - `scenario_runs`: `course`, `scenario`, `choices` (indices taken, in order),
//!   `current_step`, `outcome`, `started_at`, `finished_at`;
//! - `reflections`: `course`, `reflection`, `answer` (the full text), `updated_at`;
//! - `certificates`: `code`, `course`, `title`, `holder_name`, `issued_at`,
//!   `expires_at`;
//! - `sessions`: `created_at`, `last_seen_at`, `expires_at`, `revoked_at`;
//! - `api_tokens`: `name`, `created_at`, `expires_at`, `last_used_at`, `revoked_at`;
//! - `sign_in_links`: one-time links sent by email: `purpose` (`magic`, `verify`,
//!   `reset`, `invite`), `created_at`, `expires_at`, `used_at`;
//! - `nudges`: reminders queued: `course`, `rule`, `period`, `queued_at`;
//! - `emails`: email to them: `kind`, `status`, `created_at`, `sent_at` (not the
//!   messages themselves);
//! - `audit_log`: what they did that was logged: `at`, `action`, `subject`,
//!   `details`;
//! - `calendar_feed`: `null`, or `created_at` of the private address their
//!   deadlines' calendar feed has (not the key in it);
//! - `community`: `expert_in` (spaces they were invited to as an expert:
//!   `space`, `since`), `threads` they started (`thread`, `space`, `title`,
//!   `question`, `created_at`), `posts` they wrote (`post`, `thread`, `body`,
//!   `state`, `created_at`, `edited_at`, and `revisions`: earlier texts with
//!   `replaced_at`, `by_moderator` and `note`), `reports` they made (`post`,
//!   `reason`, `reported_at`), `read` (`thread`, `last_post` seen), `follows`
//!   (`thread`, `since`), `guidelines_accepted` (`space`, `accepted_at`) and
//!   `restrictions` on them (`space`, `kind`, `reason`, `until`).
//!
//! Secrets are never exported: no password hash, no session id, no token or token
//! hash, no API token id.
//!
//! # Deleting an account
//!
//! [`delete_account`] deletes the user row; their learner data goes with it (every
//! table references users `ON DELETE CASCADE`; `audit_log.actor_id` and the
//! `assigned_by` of enrolments and assignments become `NULL`). What reports keep is a
//! count per organisation, group name, course and status in `anonymised_enrolments`.

use std::collections::BTreeMap;

use chrono::{NaiveDateTime, SecondsFormat};
use diesel::prelude::*;
use leerpad_core::report::Status;
use leerpad_core::Role;
use serde_json::{json, Value};

use crate::db::{write_transaction, DbConnection};
use crate::error::{StoreError, StoreResult};
use crate::per_backend;
use crate::schema::{
    anonymised_enrolments, api_tokens, assigned_enrolments, audit_log, calendar_feeds,
    certificates, email_outbox, enrolments, lesson_progress, login_tokens, memberships, nudge_log,
    org_groups, organisations, quiz_answers, quiz_attempts, rate_limits, reflections,
    scenario_runs, sessions, users,
};

/// The `format` of an export made by this version.
pub const EXPORT_FORMAT: &str = "leerpad-personal-data/1";

/// Everything stored about `user_id`, as described in the module documentation,
/// stamped with the current time; `None` when there is no such user.
pub fn export(c: &mut DbConnection, user_id: i32) -> StoreResult<Option<Value>> {
    export_at(c, user_id, chrono::Utc::now().naive_utc())
}

/// [`export`], stamped `exported_at = now`.
pub fn export_at(
    c: &mut DbConnection,
    user_id: i32,
    now: NaiveDateTime,
) -> StoreResult<Option<Value>> {
    // One read transaction, so the parts are consistent with each other.
    c.transaction(|c| {
        let Some(profile) = users::table
            .find(user_id)
            .select(ProfileRow::as_select())
            .first(c)
            .optional()?
        else {
            return Ok(None);
        };
        Ok(Some(json!({
            "format": EXPORT_FORMAT,
            "exported_at": time(now),
            "profile": {
                "email": profile.email,
                "display_name": profile.display_name,
                "role": profile.role,
                "language": profile.language,
                "notifications": profile.notifications,
                "created_at": time(profile.created_at),
                "email_verified_at": opt_time(profile.email_verified_at),
                "disabled_at": opt_time(profile.disabled_at),
            },
            "memberships": export_memberships(c, user_id)?,
            "enrolments": export_enrolments(c, user_id)?,
            "lesson_progress": export_lessons(c, user_id)?,
            "quiz_attempts": export_attempts(c, user_id)?,
            "scenario_runs": export_runs(c, user_id)?,
            "reflections": export_reflections(c, user_id)?,
            "certificates": export_certificates(c, user_id)?,
            "sessions": export_sessions(c, user_id)?,
            "api_tokens": export_api_tokens(c, user_id)?,
            "sign_in_links": export_links(c, user_id)?,
            "nudges": export_nudges(c, user_id)?,
            "emails": export_emails(c, user_id, &profile.email)?,
            "audit_log": export_audit(c, user_id)?,
            "calendar_feed": export_calendar_feed(c, user_id)?,
            "community": crate::community::export(c, user_id)?,
        })))
    })
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
struct ProfileRow {
    email: String,
    display_name: String,
    role: String,
    language: String,
    notifications: String,
    created_at: NaiveDateTime,
    email_verified_at: Option<NaiveDateTime>,
    disabled_at: Option<NaiveDateTime>,
}

type MembershipRow = (
    i32,
    String,
    String,
    Option<String>,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
);

fn export_memberships(c: &mut DbConnection, user_id: i32) -> StoreResult<Vec<Value>> {
    let rows: Vec<MembershipRow> = memberships::table
        .inner_join(organisations::table)
        .left_join(org_groups::table.on(org_groups::id.nullable().eq(memberships::group_id)))
        .filter(memberships::user_id.eq(user_id))
        .order((memberships::created_at, memberships::organisation_id))
        .select((
            organisations::id,
            organisations::name,
            organisations::slug,
            org_groups::name.nullable(),
            memberships::role,
            memberships::created_at,
            memberships::accepted_at,
        ))
        .load(c)?;
    let assigned: Vec<(i32, String, NaiveDateTime, Option<NaiveDateTime>)> =
        assigned_enrolments::table
            .filter(assigned_enrolments::user_id.eq(user_id))
            .order((
                assigned_enrolments::assigned_at,
                assigned_enrolments::course_id,
            ))
            .select((
                assigned_enrolments::organisation_id,
                assigned_enrolments::course_id,
                assigned_enrolments::assigned_at,
                assigned_enrolments::deadline,
            ))
            .load(c)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, slug, group, role, since, accepted)| {
            let courses: Vec<Value> = assigned
                .iter()
                .filter(|a| a.0 == id)
                .map(|(_, course, at, deadline)| {
                    json!({ "course": course, "assigned_at": time(*at), "deadline": opt_time(*deadline) })
                })
                .collect();
            json!({
                "organisation": name,
                "organisation_slug": slug,
                "group": group,
                "role": role,
                "since": time(since),
                "accepted_at": opt_time(accepted),
                "assigned": courses,
            })
        })
        .collect())
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = enrolments)]
struct EnrolmentRow {
    course_id: String,
    enrolled_at: NaiveDateTime,
    deadline: Option<NaiveDateTime>,
    started_at: Option<NaiveDateTime>,
    last_activity_at: Option<NaiveDateTime>,
    completed_at: Option<NaiveDateTime>,
    assigned_by: Option<i32>,
    progress_percent: i32,
    quiz_scores: String,
}

fn export_enrolments(c: &mut DbConnection, user_id: i32) -> StoreResult<Vec<Value>> {
    let rows: Vec<EnrolmentRow> = enrolments::table
        .filter(enrolments::user_id.eq(user_id))
        .order((enrolments::enrolled_at, enrolments::id))
        .select(EnrolmentRow::as_select())
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|e| {
            json!({
                "course": e.course_id,
                "enrolled_at": time(e.enrolled_at),
                // Who assigned it is someone else's data; that it was assigned is theirs.
                "assigned": e.assigned_by.is_some(),
                "deadline": opt_time(e.deadline),
                "started_at": opt_time(e.started_at),
                "last_activity_at": opt_time(e.last_activity_at),
                "completed_at": opt_time(e.completed_at),
                "progress_percent": e.progress_percent,
                "quiz_scores": stored_json(&e.quiz_scores),
            })
        })
        .collect())
}

fn export_lessons(c: &mut DbConnection, user_id: i32) -> StoreResult<Vec<Value>> {
    let rows: Vec<(
        String,
        String,
        NaiveDateTime,
        NaiveDateTime,
        Option<NaiveDateTime>,
    )> = lesson_progress::table
        .filter(lesson_progress::user_id.eq(user_id))
        .order((
            lesson_progress::first_opened_at,
            lesson_progress::course_id,
            lesson_progress::item_id,
        ))
        .select((
            lesson_progress::course_id,
            lesson_progress::item_id,
            lesson_progress::first_opened_at,
            lesson_progress::last_opened_at,
            lesson_progress::completed_at,
        ))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|(course, lesson, first, last, done)| {
            json!({
                "course": course,
                "lesson": lesson,
                "first_opened_at": time(first),
                "last_opened_at": time(last),
                "completed_at": opt_time(done),
            })
        })
        .collect())
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = quiz_attempts)]
struct AttemptRow {
    id: i32,
    course_id: String,
    item_id: String,
    question_ids: String,
    started_at: NaiveDateTime,
    submitted_at: Option<NaiveDateTime>,
    score: Option<i32>,
    max_score: Option<i32>,
    passed: Option<bool>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = quiz_answers)]
struct AnswerRow {
    attempt_id: i32,
    question_id: String,
    answer: String,
    correct: bool,
    points: i32,
    answered_at: NaiveDateTime,
}

fn export_attempts(c: &mut DbConnection, user_id: i32) -> StoreResult<Vec<Value>> {
    let attempts: Vec<AttemptRow> = quiz_attempts::table
        .filter(quiz_attempts::user_id.eq(user_id))
        .order(quiz_attempts::id)
        .select(AttemptRow::as_select())
        .load(c)?;
    let answers: Vec<AnswerRow> = quiz_answers::table
        .inner_join(quiz_attempts::table)
        .filter(quiz_attempts::user_id.eq(user_id))
        .order((quiz_answers::attempt_id, quiz_answers::answered_at))
        .select(AnswerRow::as_select())
        .load(c)?;
    let mut by_attempt: BTreeMap<i32, Vec<Value>> = BTreeMap::new();
    for a in answers {
        by_attempt.entry(a.attempt_id).or_default().push(json!({
            "question": a.question_id,
            "answer": stored_json(&a.answer),
            "correct": a.correct,
            "points": a.points,
            "answered_at": time(a.answered_at),
        }));
    }
    Ok(attempts
        .into_iter()
        .map(|a| {
            json!({
                "course": a.course_id,
                "quiz": a.item_id,
                "questions": stored_json(&a.question_ids),
                "started_at": time(a.started_at),
                "submitted_at": opt_time(a.submitted_at),
                "score": a.score,
                "max_score": a.max_score,
                "passed": a.passed,
                "answers": by_attempt.remove(&a.id).unwrap_or_default(),
            })
        })
        .collect())
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = scenario_runs)]
struct RunRow {
    course_id: String,
    item_id: String,
    path: String,
    current_step: String,
    outcome: Option<String>,
    started_at: NaiveDateTime,
    finished_at: Option<NaiveDateTime>,
}

fn export_runs(c: &mut DbConnection, user_id: i32) -> StoreResult<Vec<Value>> {
    let rows: Vec<RunRow> = scenario_runs::table
        .filter(scenario_runs::user_id.eq(user_id))
        .order(scenario_runs::id)
        .select(RunRow::as_select())
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            json!({
                "course": r.course_id,
                "scenario": r.item_id,
                "choices": stored_json(&r.path),
                "current_step": r.current_step,
                "outcome": r.outcome,
                "started_at": time(r.started_at),
                "finished_at": opt_time(r.finished_at),
            })
        })
        .collect())
}

fn export_reflections(c: &mut DbConnection, user_id: i32) -> StoreResult<Vec<Value>> {
    let rows: Vec<(String, String, String, NaiveDateTime)> = reflections::table
        .filter(reflections::user_id.eq(user_id))
        .order((
            reflections::updated_at,
            reflections::course_id,
            reflections::reflection_id,
        ))
        .select((
            reflections::course_id,
            reflections::reflection_id,
            reflections::answer,
            reflections::updated_at,
        ))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|(course, reflection, answer, updated)| {
            json!({
                "course": course,
                "reflection": reflection,
                "answer": answer,
                "updated_at": time(updated),
            })
        })
        .collect())
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = certificates)]
struct CertificateRow {
    code: String,
    course_id: String,
    title: String,
    holder_name: String,
    issued_at: NaiveDateTime,
    expires_at: Option<NaiveDateTime>,
}

fn export_certificates(c: &mut DbConnection, user_id: i32) -> StoreResult<Vec<Value>> {
    let rows: Vec<CertificateRow> = certificates::table
        .filter(certificates::user_id.eq(user_id))
        .order(certificates::issued_at)
        .select(CertificateRow::as_select())
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            json!({
                "code": r.code,
                "course": r.course_id,
                "title": r.title,
                "holder_name": r.holder_name,
                "issued_at": time(r.issued_at),
                "expires_at": opt_time(r.expires_at),
            })
        })
        .collect())
}

/// A session without its id: the id is what the signed cookie points to.
#[derive(Queryable, Selectable)]
#[diesel(table_name = sessions)]
struct SessionRow {
    created_at: NaiveDateTime,
    last_seen_at: NaiveDateTime,
    expires_at: NaiveDateTime,
    revoked_at: Option<NaiveDateTime>,
}

fn export_sessions(c: &mut DbConnection, user_id: i32) -> StoreResult<Vec<Value>> {
    let rows: Vec<SessionRow> = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .order(sessions::created_at)
        .select(SessionRow::as_select())
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            json!({
                "created_at": time(r.created_at),
                "last_seen_at": time(r.last_seen_at),
                "expires_at": time(r.expires_at),
                "revoked_at": opt_time(r.revoked_at),
            })
        })
        .collect())
}

/// When the learner's calendar feed address was made; never its key.
fn export_calendar_feed(c: &mut DbConnection, user_id: i32) -> StoreResult<Value> {
    let created: Option<NaiveDateTime> = calendar_feeds::table
        .find(user_id)
        .select(calendar_feeds::created_at)
        .first(c)
        .optional()?;
    Ok(created.map_or(Value::Null, |at| json!({ "created_at": time(at) })))
}

/// An API token without its id: the id is the token's `jti`.
#[derive(Queryable, Selectable)]
#[diesel(table_name = api_tokens)]
struct ApiTokenRow {
    name: String,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
    last_used_at: Option<NaiveDateTime>,
    revoked_at: Option<NaiveDateTime>,
}

fn export_api_tokens(c: &mut DbConnection, user_id: i32) -> StoreResult<Vec<Value>> {
    let rows: Vec<ApiTokenRow> = api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .order(api_tokens::created_at)
        .select(ApiTokenRow::as_select())
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            json!({
                "name": r.name,
                "created_at": time(r.created_at),
                "expires_at": time(r.expires_at),
                "last_used_at": opt_time(r.last_used_at),
                "revoked_at": opt_time(r.revoked_at),
            })
        })
        .collect())
}

fn export_links(c: &mut DbConnection, user_id: i32) -> StoreResult<Vec<Value>> {
    // Never the token hash.
    let rows: Vec<(String, NaiveDateTime, NaiveDateTime, Option<NaiveDateTime>)> =
        login_tokens::table
            .filter(login_tokens::user_id.eq(user_id))
            .order(login_tokens::created_at)
            .select((
                login_tokens::purpose,
                login_tokens::created_at,
                login_tokens::expires_at,
                login_tokens::used_at,
            ))
            .load(c)?;
    Ok(rows
        .into_iter()
        .map(|(purpose, created, expires, used)| {
            json!({
                "purpose": purpose,
                "created_at": time(created),
                "expires_at": time(expires),
                "used_at": opt_time(used),
            })
        })
        .collect())
}

fn export_nudges(c: &mut DbConnection, user_id: i32) -> StoreResult<Vec<Value>> {
    let rows: Vec<(String, String, String, NaiveDateTime)> = nudge_log::table
        .filter(nudge_log::user_id.eq(user_id))
        .order((
            nudge_log::queued_at,
            nudge_log::course_id,
            nudge_log::rule_id,
        ))
        .select((
            nudge_log::course_id,
            nudge_log::rule_id,
            nudge_log::period,
            nudge_log::queued_at,
        ))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|(course, rule, period, queued)| {
            json!({ "course": course, "rule": rule, "period": period, "queued_at": time(queued) })
        })
        .collect())
}

fn export_emails(c: &mut DbConnection, user_id: i32, email: &str) -> StoreResult<Vec<Value>> {
    // The kind and fate of each message, not its text: the texts are the theme's
    // templates, and their links hold one-time tokens.
    let rows: Vec<(String, String, NaiveDateTime, Option<NaiveDateTime>)> = email_outbox::table
        .filter(
            email_outbox::user_id
                .eq(user_id)
                .or(email_outbox::recipient.eq(email)),
        )
        .order(email_outbox::id)
        .select((
            email_outbox::kind,
            email_outbox::status,
            email_outbox::created_at,
            email_outbox::sent_at,
        ))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|(kind, status, created, sent)| {
            json!({
                "kind": kind,
                "status": status,
                "created_at": time(created),
                "sent_at": opt_time(sent),
            })
        })
        .collect())
}

fn export_audit(c: &mut DbConnection, user_id: i32) -> StoreResult<Vec<Value>> {
    let rows: Vec<(NaiveDateTime, String, String, String)> = audit_log::table
        .filter(audit_log::actor_id.eq(user_id))
        .order(audit_log::id)
        .select((
            audit_log::at,
            audit_log::action,
            audit_log::subject,
            audit_log::details,
        ))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|(at, action, subject, details)| {
            json!({
                "at": time(at),
                "action": action,
                "subject": subject,
                "details": stored_json(&details),
            })
        })
        .collect())
}

/// Deletes the account of `user_id` and everything attached to it, in one write
/// transaction; `false` when there is no such user.
///
/// First, for every enrolment an organisation the user is a member of assigned, one is
/// added to `anonymised_enrolments` (organisation, the user's group name there or
/// `''`, course, status at `now`), so that reports keep their totals. Then the user
/// row is deleted (learner data cascades), as is email queued to their address
/// and the rate-limit counters named after it, and `account.deleted` is written to
/// the audit log with no actor, subject `user:<id>` and nothing that identifies the
/// person.
///
/// Refused with [`StoreError::Invalid`] for the last administrator who is not
/// disabled: someone must be left who can run the site.
pub fn delete_account(c: &mut DbConnection, user_id: i32, now: NaiveDateTime) -> StoreResult<bool> {
    delete_account_with(c, user_id, PostsOnDeletion::Keep, now)
}

/// What happens to a member's community posts when their account goes: kept,
/// shown as by a "former member", or removed (their text and earlier texts
/// gone; a thread only they posted in goes whole).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PostsOnDeletion {
    #[default]
    Keep,
    Remove,
}

/// [`delete_account`], with the member's choice for their posts.
pub fn delete_account_with(
    c: &mut DbConnection,
    user_id: i32,
    posts: PostsOnDeletion,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    write_transaction(c, |c| {
        if posts == PostsOnDeletion::Remove {
            crate::community::remove_posts_of(c, user_id)?;
        }
        let found: Option<(String, String, Option<NaiveDateTime>, Option<NaiveDateTime>)> =
            users::table
                .find(user_id)
                .select((
                    users::email,
                    users::role,
                    users::email_verified_at,
                    users::disabled_at,
                ))
                .first(c)
                .optional()?;
        let Some((email, role, verified_at, disabled_at)) = found else {
            return Ok(false);
        };
        let admin = Role::Admin.as_str();
        if role == admin && disabled_at.is_none() {
            let other_admins: i64 = users::table
                .filter(users::role.eq(admin))
                .filter(users::disabled_at.is_null())
                .filter(users::id.ne(user_id))
                .count()
                .get_result(c)?;
            if other_admins == 0 {
                return Err(StoreError::Invalid(
                    "this is the last administrator account: make someone else an \
                     administrator before deleting it"
                        .into(),
                ));
            }
        }

        let orgs: Vec<(i32, Option<String>)> = memberships::table
            .left_join(org_groups::table.on(org_groups::id.nullable().eq(memberships::group_id)))
            .filter(memberships::user_id.eq(user_id))
            .filter(memberships::accepted_at.is_not_null())
            .order(memberships::organisation_id)
            .select((memberships::organisation_id, org_groups::name.nullable()))
            .load(c)?;
        type Facts = (
            String,
            Option<NaiveDateTime>,
            Option<NaiveDateTime>,
            Option<NaiveDateTime>,
        );
        let enrolled: Vec<Facts> = enrolments::table
            .filter(enrolments::user_id.eq(user_id))
            .order(enrolments::course_id)
            .select((
                enrolments::course_id,
                enrolments::started_at,
                enrolments::completed_at,
                enrolments::deadline,
            ))
            .load(c)?;
        for (organisation_id, group) in &orgs {
            let group = group.as_deref().unwrap_or("");
            // Only what the organisation's reports showed: the courses it assigned,
            // with its own deadline.
            let assigned: Vec<(String, Option<NaiveDateTime>)> = assigned_enrolments::table
                .filter(assigned_enrolments::organisation_id.eq(organisation_id))
                .filter(assigned_enrolments::user_id.eq(user_id))
                .select((
                    assigned_enrolments::course_id,
                    assigned_enrolments::deadline,
                ))
                .load(c)?;
            for (course_id, started, completed, deadline) in enrolled.iter().filter_map(|e| {
                assigned
                    .iter()
                    .find(|(course, _)| *course == e.0)
                    .map(|(_, deadline)| (&e.0, e.1, e.2, *deadline))
            }) {
                let status = Status::of(
                    verified_at.is_some(),
                    started.is_some(),
                    completed.is_some(),
                    deadline,
                    now,
                );
                per_backend!(&mut *c, |b| diesel::insert_into(
                    anonymised_enrolments::table
                )
                .values((
                    anonymised_enrolments::organisation_id.eq(organisation_id),
                    anonymised_enrolments::group_name.eq(group),
                    anonymised_enrolments::course_id.eq(course_id),
                    anonymised_enrolments::status.eq(status.as_str()),
                    anonymised_enrolments::count.eq(1),
                ))
                .on_conflict((
                    anonymised_enrolments::organisation_id,
                    anonymised_enrolments::group_name,
                    anonymised_enrolments::course_id,
                    anonymised_enrolments::status,
                ))
                .do_update()
                .set(anonymised_enrolments::count.eq(anonymised_enrolments::count + 1))
                .execute(b))?;
            }
        }

        // Rows that name the address rather than the user: email queued without a
        // user id, and the web layer's rate-limit buckets `<action>:email:<address>`.
        diesel::delete(email_outbox::table.filter(email_outbox::recipient.eq(&email)))
            .execute(c)?;
        diesel::delete(
            rate_limits::table.filter(
                rate_limits::bucket
                    .like(format!("%:email:{}", escape_like(&email)))
                    .escape('\\'),
            ),
        )
        .execute(c)?;

        diesel::delete(users::table.find(user_id)).execute(c)?;
        diesel::insert_into(audit_log::table)
            .values((
                audit_log::at.eq(now),
                audit_log::actor_id.eq(None::<i32>),
                audit_log::action.eq("account.deleted"),
                audit_log::subject.eq(format!("user:{user_id}")),
                audit_log::details.eq("{}"),
            ))
            .execute(c)?;
        Ok(true)
    })
}

/// `s` as a literal in a LIKE pattern with `\` as the escape character.
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

fn time(t: NaiveDateTime) -> Value {
    Value::String(t.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true))
}

fn opt_time(t: Option<NaiveDateTime>) -> Value {
    t.map(time).unwrap_or(Value::Null)
}

/// A column that holds JSON, as JSON; as a string if it does not parse.
fn stored_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_the_address_literally() {
        assert_eq!(escape_like("a_b%c\\d@x.be"), "a\\_b\\%c\\\\d@x.be");
    }

    #[test]
    fn times_are_utc_rfc3339() {
        let t = chrono::DateTime::from_timestamp(1_790_000_000, 0)
            .unwrap()
            .naive_utc();
        assert_eq!(time(t), json!("2026-09-21T14:13:20Z"));
        assert_eq!(opt_time(None), Value::Null);
    }
}
