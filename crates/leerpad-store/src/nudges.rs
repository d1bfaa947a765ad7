//! Email nudges: learners' notification preferences, the enrolments the nudge runner
//! looks at, and queueing nudges exactly once; and the coordinators who get the
//! weekly digest of their organisation ([`digest_recipients`], [`digest_key`]).
//!
//! A nudge is identified by (user, course, rule id, period), written as the outbox
//! `dedupe_key` `nudge:<user>:<course>:<rule>:<period>` ([`key`]). [`enqueue`] puts
//! nudges in the outbox with [`outbox::enqueue`] and, for each one the outbox did
//! not have yet, writes a row in `nudge_log`, all in one transaction per batch. The
//! outbox's UNIQUE `dedupe_key` is what makes a nudge go out once, however many
//! runners decide it at the same time; `nudge_log` is the compact record the runner
//! reads back ([`enrolments()`]: how often each rule fired, for which periods, and when)
//! without scanning the outbox and its message bodies.
//!
//! The rules themselves are in `leerpad_core::nudges`; rendering and the decision
//! what to send are the runner's (in the web crate).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

pub use leerpad_core::nudges::Preference;

use crate::db::{write_transaction, DbConnection};
use crate::error::{StoreError, StoreResult};
use crate::learning::Finished;
use crate::outbox::{self, OutgoingEmail, Payload};
use crate::per_backend;
use crate::schema::{
    courses, enrolments, lesson_progress, memberships, nudge_log, quiz_attempts, scenario_runs,
    users,
};

/// Rows per `IN (…)` list or batched INSERT; well under SQLite's variable limit.
const CHUNK: usize = 500;

/// The outbox de-duplication key of a nudge: `nudge:<user>:<course>:<rule>:<period>`.
pub fn key(user_id: i32, course_id: &str, rule_id: &str, period: &str) -> String {
    format!("nudge:{user_id}:{course_id}:{rule_id}:{period}")
}

/// The outbox de-duplication key of a coordinator's weekly digest of one
/// organisation: `digest:<user>:<organisation id>:<ISO week>`, the week written
/// `2026-W45`. One digest per coordinator, organisation and week, however many
/// runners decide it.
pub fn digest_key(user_id: i32, organisation_id: i32, iso_week: &str) -> String {
    format!("digest:{user_id}:{organisation_id}:{iso_week}")
}

/// A coordinator of an organisation, with what the weekly digest needs to decide
/// whether to send (the caller decides and reports) and in which language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestRecipient {
    pub organisation_id: i32,
    pub user_id: i32,
    pub email: String,
    pub display_name: String,
    pub language: String,
    pub preference: Preference,
    /// Whether they accepted their invitation (or otherwise verified their address).
    pub activated: bool,
    pub disabled: bool,
}

/// Every coordinator of every organisation, ordered by organisation and user; one
/// query.
pub fn digest_recipients(c: &mut DbConnection) -> StoreResult<Vec<DigestRecipient>> {
    type Row = (
        i32,
        i32,
        String,
        String,
        String,
        String,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
    );
    let rows: Vec<Row> = memberships::table
        .inner_join(users::table)
        .filter(memberships::role.eq(crate::organisations::MemberRole::Coordinator.as_str()))
        .order((memberships::organisation_id, memberships::user_id))
        .select((
            memberships::organisation_id,
            users::id,
            users::email,
            users::display_name,
            users::language,
            users::notifications,
            users::email_verified_at,
            users::disabled_at,
        ))
        .load(c)?;
    rows.into_iter()
        .map(|r| {
            Ok(DigestRecipient {
                organisation_id: r.0,
                user_id: r.1,
                email: r.2,
                display_name: r.3,
                language: r.4,
                preference: parse_preference(&r.5)?,
                activated: r.6.is_some(),
                disabled: r.7.is_some(),
            })
        })
        .collect()
}

/// A user's notification preference; `None` if there is no such user.
pub fn preference(c: &mut DbConnection, user_id: i32) -> StoreResult<Option<Preference>> {
    let stored: Option<String> = users::table
        .find(user_id)
        .select(users::notifications)
        .first(c)
        .optional()?;
    stored.map(|s| parse_preference(&s)).transpose()
}

/// Sets a user's notification preference; `false` if there is no such user.
pub fn set_preference(
    c: &mut DbConnection,
    user_id: i32,
    preference: Preference,
) -> StoreResult<bool> {
    let n = diesel::update(users::table.find(user_id))
        .set(users::notifications.eq(preference.as_str()))
        .execute(c)?;
    Ok(n > 0)
}

fn parse_preference(s: &str) -> StoreResult<Preference> {
    Preference::parse(s).ok_or_else(|| StoreError::Corrupt {
        what: format!("unknown notification preference `{s}`"),
        source: None,
    })
}

/// A nudge queued before, as recorded in `nudge_log`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentNudge {
    pub rule_id: String,
    pub period: String,
    pub queued_at: NaiveDateTime,
}

/// One enrolment with what the nudge rules need: its learner, its facts and the
/// nudges already queued for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NudgeEnrolment {
    pub user_id: i32,
    pub course_id: String,
    pub email: String,
    pub display_name: String,
    pub language: String,
    pub preference: Preference,
    pub disabled: bool,
    pub enrolled_at: NaiveDateTime,
    pub started_at: Option<NaiveDateTime>,
    pub last_activity_at: Option<NaiveDateTime>,
    pub completed_at: Option<NaiveDateTime>,
    pub deadline: Option<NaiveDateTime>,
    /// Nudges queued for this enrolment before, every rule's.
    pub sent: Vec<SentNudge>,
}

impl NudgeEnrolment {
    /// How many nudges of `rule_id` were queued for this enrolment.
    pub fn times_sent(&self, rule_id: &str) -> usize {
        self.sent.iter().filter(|s| s.rule_id == rule_id).count()
    }
}

type EnrolmentRow = (
    i32,
    String,
    String,
    String,
    String,
    String,
    Option<NaiveDateTime>,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

/// Every enrolment in a course that is published and not archived (listed or
/// hidden), ordered by user and course, with its learner (disabled or not, whatever
/// their preference: the caller decides and reports) and the nudges already queued
/// for it. Two queries, whatever the number of enrolments.
pub fn enrolments(c: &mut DbConnection) -> StoreResult<Vec<NudgeEnrolment>> {
    let rows: Vec<EnrolmentRow> = enrolments::table
        .inner_join(users::table.on(users::id.eq(enrolments::user_id)))
        .inner_join(courses::table)
        .filter(courses::archived_at.is_null())
        .filter(courses::current_version_id.is_not_null())
        .order((enrolments::user_id, enrolments::course_id))
        .select((
            enrolments::user_id,
            enrolments::course_id,
            users::email,
            users::display_name,
            users::language,
            users::notifications,
            users::disabled_at,
            enrolments::enrolled_at,
            enrolments::started_at,
            enrolments::last_activity_at,
            enrolments::completed_at,
            enrolments::deadline,
        ))
        .load(c)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(NudgeEnrolment {
            user_id: r.0,
            course_id: r.1,
            email: r.2,
            display_name: r.3,
            language: r.4,
            preference: parse_preference(&r.5)?,
            disabled: r.6.is_some(),
            enrolled_at: r.7,
            started_at: r.8,
            last_activity_at: r.9,
            completed_at: r.10,
            deadline: r.11,
            sent: Vec::new(),
        });
    }
    // The database orders text by its collation, which need not be byte order;
    // sorting already sorted rows again is linear.
    out.sort_by(|a, b| (a.user_id, &a.course_id).cmp(&(b.user_id, &b.course_id)));

    let mut log: Vec<(i32, String, String, String, NaiveDateTime)> = nudge_log::table
        .order((nudge_log::user_id, nudge_log::course_id))
        .select((
            nudge_log::user_id,
            nudge_log::course_id,
            nudge_log::rule_id,
            nudge_log::period,
            nudge_log::queued_at,
        ))
        .load(c)?;
    log.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));

    // Both lists are ordered by (user, course): merge.
    let mut i = 0;
    for (user_id, course_id, rule_id, period, queued_at) in log {
        while i < out.len() && (out[i].user_id, out[i].course_id.as_str()) < (user_id, &course_id) {
            i += 1;
        }
        match out.get_mut(i) {
            Some(e) if e.user_id == user_id && e.course_id == course_id => e.sent.push(SentNudge {
                rule_id,
                period,
                queued_at,
            }),
            // A nudge of an archived course, or of an enrolment since removed.
            _ => {}
        }
    }
    Ok(out)
}

/// What learners have finished in one course, for many learners at once: by user
/// id, for those of `user_ids` who finished anything.
pub fn finished_in(
    c: &mut DbConnection,
    course_id: &str,
    user_ids: &[i32],
) -> StoreResult<HashMap<i32, Finished>> {
    let mut out: HashMap<i32, Finished> = HashMap::new();
    for chunk in user_ids.chunks(CHUNK) {
        let lessons: Vec<(i32, String)> = lesson_progress::table
            .filter(lesson_progress::course_id.eq(course_id))
            .filter(lesson_progress::user_id.eq_any(chunk))
            .filter(lesson_progress::completed_at.is_not_null())
            .select((lesson_progress::user_id, lesson_progress::item_id))
            .load(c)?;
        for (user, item) in lessons {
            out.entry(user).or_default().lessons_done.insert(item);
        }
        let attempts: Vec<(i32, String, Option<bool>)> = quiz_attempts::table
            .filter(quiz_attempts::course_id.eq(course_id))
            .filter(quiz_attempts::user_id.eq_any(chunk))
            .filter(quiz_attempts::submitted_at.is_not_null())
            .select((
                quiz_attempts::user_id,
                quiz_attempts::item_id,
                quiz_attempts::passed,
            ))
            .load(c)?;
        for (user, item, passed) in attempts {
            let f = out.entry(user).or_default();
            if passed == Some(true) {
                f.quizzes_passed.insert(item.clone());
            }
            f.quizzes_attempted.insert(item);
        }
        let runs: Vec<(i32, String)> = scenario_runs::table
            .filter(scenario_runs::course_id.eq(course_id))
            .filter(scenario_runs::user_id.eq_any(chunk))
            .filter(scenario_runs::finished_at.is_not_null())
            .select((scenario_runs::user_id, scenario_runs::item_id))
            .load(c)?;
        for (user, item) in runs {
            out.entry(user)
                .or_default()
                .scenarios_completed
                .insert(item);
        }
    }
    Ok(out)
}

/// A nudge to queue: its identity and its email (usually a template the worker
/// renders when it sends it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNudge {
    pub user_id: i32,
    pub course_id: String,
    pub rule_id: String,
    pub period: String,
    /// The email; its `dedupe_key` is [`key`] of the four fields above.
    pub email: OutgoingEmail,
}

impl NewNudge {
    /// A nudge for `recipient` with the email `message`, of kind `template`.
    pub fn new(
        user_id: i32,
        course_id: &str,
        rule_id: &str,
        period: &str,
        template: &str,
        recipient: &str,
        message: impl Into<Payload>,
    ) -> NewNudge {
        NewNudge {
            user_id,
            course_id: course_id.to_string(),
            rule_id: rule_id.to_string(),
            period: period.to_string(),
            email: OutgoingEmail {
                dedupe_key: key(user_id, course_id, rule_id, period),
                user_id: Some(user_id),
                kind: template.to_string(),
                recipient: recipient.to_string(),
                message: message.into(),
            },
        }
    }
}

/// Queues `nudges` in one transaction, due at `now`, and says for each whether it
/// was queued now (`false`: it was queued before, by this runner or another).
///
/// On PostgreSQL two runners may queue the same nudges at once: the second one's
/// insert waits for the first one's transaction and then does nothing. Give nudges
/// in a fixed order (by user, course, rule, period) so that concurrent batches wait
/// on each other in the same order and never deadlock. On SQLite the batch holds
/// the write lock from its first statement.
pub fn enqueue(
    c: &mut DbConnection,
    nudges: &[NewNudge],
    now: NaiveDateTime,
) -> StoreResult<Vec<bool>> {
    for n in nudges {
        let expected = key(n.user_id, &n.course_id, &n.rule_id, &n.period);
        if n.email.dedupe_key != expected {
            return Err(StoreError::bug(format!(
                "nudge email has dedupe key `{}`, expected `{expected}`",
                n.email.dedupe_key
            )));
        }
    }
    let queue = |c: &mut DbConnection| -> StoreResult<Vec<bool>> {
        let emails: Vec<&OutgoingEmail> = nudges.iter().map(|n| &n.email).collect();
        let queued = outbox::enqueue_many(c, &emails, now)?;
        let new: Vec<_> = nudges
            .iter()
            .zip(&queued)
            .filter(|(_, q)| **q)
            .map(|(n, _)| {
                (
                    nudge_log::user_id.eq(n.user_id),
                    nudge_log::course_id.eq(&n.course_id),
                    nudge_log::rule_id.eq(&n.rule_id),
                    nudge_log::period.eq(&n.period),
                    nudge_log::queued_at.eq(now),
                )
            })
            .collect();
        for chunk in new.chunks(CHUNK / 5) {
            per_backend!(&mut *c, |b| diesel::insert_into(nudge_log::table)
                .values(chunk)
                .on_conflict_do_nothing()
                .execute(b))?;
        }
        Ok(queued)
    };
    if matches!(c, DbConnection::Sqlite(_)) {
        write_transaction(c, queue)
    } else {
        c.transaction(queue)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::outbox::StoredMessage;
    use crate::schema::{course_versions, email_outbox};
    use crate::testing::TestDb;

    fn t(days: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_790_000_000, 0)
            .unwrap()
            .naive_utc()
            + TimeDelta::days(days)
    }

    /// A course row with a (content-free) current version, or without one.
    fn course(c: &mut DbConnection, id: &str, published: bool, archived: bool) {
        diesel::insert_into(courses::table)
            .values((
                courses::id.eq(id),
                courses::archived_at.eq(archived.then(|| t(0))),
                courses::created_at.eq(t(0)),
                courses::updated_at.eq(t(0)),
            ))
            .execute(c)
            .unwrap();
        if published {
            diesel::insert_into(course_versions::table)
                .values((
                    course_versions::course_id.eq(id),
                    course_versions::version.eq(1),
                    course_versions::content_hash.eq("x"),
                    course_versions::course_json.eq("{}"),
                    course_versions::published_at.eq(t(0)),
                ))
                .execute(c)
                .unwrap();
            let v: i32 = course_versions::table
                .filter(course_versions::course_id.eq(id))
                .select(course_versions::id)
                .first(c)
                .unwrap();
            diesel::update(courses::table.find(id))
                .set(courses::current_version_id.eq(Some(v)))
                .execute(c)
                .unwrap();
        }
    }

    fn user(c: &mut DbConnection, email: &str) -> i32 {
        let new = crate::accounts::NewUser {
            email,
            display_name: "An",
            password_hash: None,
            role: leerpad_core::Role::Learner,
            language: "nl",
            verified: true,
        };
        crate::accounts::create_user(c, &new, t(0))
            .unwrap()
            .unwrap()
            .id
    }

    fn nudge(user: i32, course: &str, rule: &str, period: &str) -> NewNudge {
        NewNudge::new(
            user,
            course,
            rule,
            period,
            "nudge-inactive",
            "an@example.org",
            StoredMessage {
                subject: "Ga verder".into(),
                text: "Tekst\n".into(),
                ..StoredMessage::default()
            },
        )
    }

    #[test]
    fn preferences_default_to_all_and_can_change() {
        for tdb in TestDb::backends() {
            let mut c = tdb.db.conn().unwrap();
            let u = user(&mut c, "an@example.org");
            assert_eq!(preference(&mut c, u).unwrap(), Some(Preference::All));
            for p in [Preference::Deadlines, Preference::None, Preference::All] {
                assert!(set_preference(&mut c, u, p).unwrap());
                assert_eq!(preference(&mut c, u).unwrap(), Some(p));
            }
            assert_eq!(preference(&mut c, u + 100).unwrap(), None);
            assert!(!set_preference(&mut c, u + 100, Preference::None).unwrap());
        }
    }

    #[test]
    fn enrolments_of_published_courses_with_what_was_sent() {
        for tdb in TestDb::backends() {
            let mut c = tdb.db.conn().unwrap();
            // Ids a collation would order differently from bytes.
            for id in ["ab", "a-b", "a_b", "b"] {
                course(&mut c, id, true, false);
            }
            course(&mut c, "archived", true, true);
            course(&mut c, "draft", false, false);
            let an = user(&mut c, "an@example.org");
            let bo = user(&mut c, "bo@example.org");
            crate::accounts::set_disabled(&mut c, bo, true, t(1)).unwrap();
            set_preference(&mut c, bo, Preference::Deadlines).unwrap();
            for id in ["ab", "a-b", "a_b", "archived", "draft"] {
                crate::learning::enrol(&mut c, an, id, t(1)).unwrap();
            }
            crate::learning::enrol(&mut c, bo, "b", t(2)).unwrap();
            crate::learning::record_activity(&mut c, bo, "b", t(3)).unwrap();

            let queued = enqueue(
                &mut c,
                &[
                    nudge(an, "a-b", "inactive-7", "1"),
                    nudge(an, "a-b", "inactive-7", "2"),
                    nudge(an, "a_b", "not-started-3", "once"),
                    nudge(an, "archived", "not-started-3", "once"),
                    nudge(bo, "b", "deadline-passed-0", "20270101T000000"),
                ],
                t(5),
            )
            .unwrap();
            assert_eq!(queued, [true; 5]);

            let got = enrolments(&mut c).unwrap();
            let ids: Vec<(i32, &str)> = got
                .iter()
                .map(|e| (e.user_id, e.course_id.as_str()))
                .collect();
            assert_eq!(ids, [(an, "a-b"), (an, "a_b"), (an, "ab"), (bo, "b")]);
            let sent = |i: usize| -> Vec<(&str, &str)> {
                got[i]
                    .sent
                    .iter()
                    .map(|s| (s.rule_id.as_str(), s.period.as_str()))
                    .collect()
            };
            assert_eq!(sent(0), [("inactive-7", "1"), ("inactive-7", "2")]);
            assert_eq!(sent(1), [("not-started-3", "once")]);
            assert!(sent(2).is_empty());
            assert_eq!(sent(3), [("deadline-passed-0", "20270101T000000")]);
            assert_eq!(got[0].times_sent("inactive-7"), 2);
            assert_eq!(got[0].sent[0].queued_at, t(5));
            let b = &got[3];
            assert!(b.disabled);
            assert_eq!(b.preference, Preference::Deadlines);
            assert_eq!(
                (b.enrolled_at, b.started_at, b.last_activity_at),
                (t(2), Some(t(3)), Some(t(3)))
            );
            assert_eq!(
                (b.email.as_str(), b.language.as_str()),
                ("bo@example.org", "nl")
            );
            assert!(!got[0].disabled && got[0].completed_at.is_none() && got[0].deadline.is_none());
        }
    }

    #[test]
    fn a_nudge_is_queued_once() {
        for tdb in TestDb::backends() {
            let mut c = tdb.db.conn().unwrap();
            course(&mut c, "c", true, false);
            let an = user(&mut c, "an@example.org");
            let first = [nudge(an, "c", "inactive-7", "1")];
            assert_eq!(enqueue(&mut c, &first, t(1)).unwrap(), [true]);
            let again = [
                nudge(an, "c", "inactive-7", "1"),
                nudge(an, "c", "inactive-7", "2"),
            ];
            assert_eq!(enqueue(&mut c, &again, t(2)).unwrap(), [false, true]);
            let keys: Vec<String> = email_outbox::table
                .order(email_outbox::dedupe_key)
                .select(email_outbox::dedupe_key)
                .load(&mut c)
                .unwrap();
            assert_eq!(
                keys,
                [
                    format!("nudge:{an}:c:inactive-7:1"),
                    format!("nudge:{an}:c:inactive-7:2")
                ]
            );
            let log: Vec<(String, NaiveDateTime)> = nudge_log::table
                .order(nudge_log::period)
                .select((nudge_log::period, nudge_log::queued_at))
                .load(&mut c)
                .unwrap();
            assert_eq!(log, [("1".to_string(), t(1)), ("2".to_string(), t(2))]);
            // A nudge whose email has another key is refused, and nothing is written.
            let mut bad = nudge(an, "c", "inactive-7", "3");
            bad.email.dedupe_key = "nudge:other".into();
            assert!(enqueue(&mut c, &[bad], t(3)).is_err());
            assert_eq!(
                nudge_log::table.count().get_result::<i64>(&mut c).unwrap(),
                2
            );
        }
    }

    #[test]
    fn progress_of_many_learners_at_once() {
        for tdb in TestDb::backends() {
            let mut c = tdb.db.conn().unwrap();
            course(&mut c, "c", true, false);
            for item in ["l1", "l2"] {
                // `items` rows for the foreign keys of lesson_progress.
                diesel::sql_query(format!(
                    "INSERT INTO items (course_id, id, kind, created_version_id) SELECT 'c', '{item}', 'lesson', id FROM course_versions WHERE course_id = 'c'"
                ))
                .execute(&mut c)
                .unwrap();
            }
            let an = user(&mut c, "an@example.org");
            let bo = user(&mut c, "bo@example.org");
            let cas = user(&mut c, "cas@example.org");
            crate::learning::set_lesson_done(&mut c, an, "c", "l1", true, t(1)).unwrap();
            crate::learning::set_lesson_done(&mut c, an, "c", "l2", true, t(1)).unwrap();
            crate::learning::set_lesson_done(&mut c, bo, "c", "l2", true, t(1)).unwrap();
            crate::learning::lesson_opened(&mut c, cas, "c", "l1", t(1)).unwrap();
            let got = finished_in(&mut c, "c", &[an, bo, cas]).unwrap();
            let mut a: Vec<&String> = got[&an].lessons_done.iter().collect();
            a.sort();
            assert_eq!(a, ["l1", "l2"]);
            assert_eq!(got[&bo].lessons_done.len(), 1);
            // Opened is not done.
            assert!(!got.contains_key(&cas));
            assert!(finished_in(&mut c, "c", &[]).unwrap().is_empty());
        }
    }
}
