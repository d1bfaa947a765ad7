//! What learners do: enrolments, lesson progress, quiz attempts, scenario runs,
//! reflections and certificates.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::StoreResult;
use crate::per_backend;
use crate::schema::{
    certificates, enrolments, lesson_progress, quiz_answers, quiz_attempts, reflections,
    scenario_runs,
};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = enrolments)]
pub struct Enrolment {
    pub id: i32,
    pub user_id: i32,
    pub course_id: String,
    pub enrolled_at: NaiveDateTime,
    pub deadline: Option<NaiveDateTime>,
    pub started_at: Option<NaiveDateTime>,
    pub last_activity_at: Option<NaiveDateTime>,
    pub completed_at: Option<NaiveDateTime>,
    pub assigned_by: Option<i32>,
}

/// Enrols a learner; enrolling twice changes nothing.
pub fn enrol(
    c: &mut DbConnection,
    user_id: i32,
    course_id: &str,
    now: NaiveDateTime,
) -> StoreResult<Enrolment> {
    per_backend!(&mut *c, |b| diesel::insert_into(enrolments::table)
        .values((
            enrolments::user_id.eq(user_id),
            enrolments::course_id.eq(course_id),
            enrolments::enrolled_at.eq(now),
        ))
        .on_conflict((enrolments::user_id, enrolments::course_id))
        .do_nothing()
        .execute(b))?;
    Ok(enrolment(c, user_id, course_id)?.expect("just enrolled"))
}

pub fn enrolment(
    c: &mut DbConnection,
    user_id: i32,
    course_id: &str,
) -> StoreResult<Option<Enrolment>> {
    Ok(enrolments::table
        .filter(enrolments::user_id.eq(user_id))
        .filter(enrolments::course_id.eq(course_id))
        .select(Enrolment::as_select())
        .first(c)
        .optional()?)
}

pub fn enrolments_of(c: &mut DbConnection, user_id: i32) -> StoreResult<Vec<Enrolment>> {
    Ok(enrolments::table
        .filter(enrolments::user_id.eq(user_id))
        .order(enrolments::enrolled_at.desc())
        .select(Enrolment::as_select())
        .load(c)?)
}

/// Records activity: sets the start the first time, and the last activity always.
pub fn record_activity(
    c: &mut DbConnection,
    user_id: i32,
    course_id: &str,
    now: NaiveDateTime,
) -> StoreResult<()> {
    let target = enrolments::table
        .filter(enrolments::user_id.eq(user_id))
        .filter(enrolments::course_id.eq(course_id));
    // The enrolment's row first, always: see `in_enrolment`.
    diesel::update(target)
        .set(enrolments::last_activity_at.eq(Some(now)))
        .execute(c)?;
    diesel::update(target.filter(enrolments::started_at.is_null()))
        .set(enrolments::started_at.eq(Some(now)))
        .execute(c)?;
    Ok(())
}

/// Runs `f`, something a learner does in a course, in one transaction with the
/// activity it counts as: all of it is saved or none of it.
///
/// It starts by writing the enrolment's row (the activity), which takes SQLite's
/// write lock, or that row's lock on PostgreSQL, until the commit. So two requests
/// of the same learner in the same course (a double click, two tabs, two instances)
/// run one after the other, and each reads what the other wrote: "start an attempt
/// unless one is open" and "complete the course when everything is done" cannot be
/// decided twice on the same old state.
pub fn in_enrolment<T>(
    c: &mut DbConnection,
    user_id: i32,
    course_id: &str,
    now: NaiveDateTime,
    f: impl FnOnce(&mut DbConnection) -> StoreResult<T>,
) -> StoreResult<T> {
    c.transaction(|c| {
        record_activity(c, user_id, course_id, now)?;
        f(c)
    })
}

/// Keeps the enrolment's report figures up to date: the progress percentage the
/// caller computed, and the best score (%) of each quiz the learner submitted.
pub fn record_progress(
    c: &mut DbConnection,
    user_id: i32,
    course_id: &str,
    percent: u8,
) -> StoreResult<()> {
    let attempts: Vec<(String, Option<i32>, Option<i32>)> = quiz_attempts::table
        .filter(quiz_attempts::user_id.eq(user_id))
        .filter(quiz_attempts::course_id.eq(course_id))
        .filter(quiz_attempts::submitted_at.is_not_null())
        .select((
            quiz_attempts::item_id,
            quiz_attempts::score,
            quiz_attempts::max_score,
        ))
        .load(c)?;
    let mut best: std::collections::BTreeMap<String, u8> = Default::default();
    for (quiz, score, max) in attempts {
        let percent = match (score, max) {
            (Some(s), Some(m)) if m > 0 => (s.clamp(0, m) * 100 / m) as u8,
            (Some(_), Some(_)) => 100,
            _ => continue,
        };
        let entry = best.entry(quiz).or_insert(percent);
        *entry = (*entry).max(percent);
    }
    diesel::update(
        enrolments::table
            .filter(enrolments::user_id.eq(user_id))
            .filter(enrolments::course_id.eq(course_id)),
    )
    .set((
        enrolments::progress_percent.eq(i32::from(percent.min(100))),
        enrolments::quiz_scores.eq(serde_json::to_string(&best)?),
    ))
    .execute(c)?;
    Ok(())
}

pub fn mark_completed(
    c: &mut DbConnection,
    user_id: i32,
    course_id: &str,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    let changed = diesel::update(
        enrolments::table
            .filter(enrolments::user_id.eq(user_id))
            .filter(enrolments::course_id.eq(course_id))
            .filter(enrolments::completed_at.is_null()),
    )
    .set(enrolments::completed_at.eq(Some(now)))
    .execute(c)?;
    Ok(changed > 0)
}

// --- lessons ---

pub fn lesson_opened(
    c: &mut DbConnection,
    user_id: i32,
    course_id: &str,
    item_id: &str,
    now: NaiveDateTime,
) -> StoreResult<()> {
    per_backend!(&mut *c, |b| diesel::insert_into(lesson_progress::table)
        .values((
            lesson_progress::user_id.eq(user_id),
            lesson_progress::course_id.eq(course_id),
            lesson_progress::item_id.eq(item_id),
            lesson_progress::first_opened_at.eq(now),
            lesson_progress::last_opened_at.eq(now),
        ))
        .on_conflict((
            lesson_progress::user_id,
            lesson_progress::course_id,
            lesson_progress::item_id
        ))
        .do_update()
        .set(lesson_progress::last_opened_at.eq(now))
        .execute(b))?;
    Ok(())
}

/// A lesson opened: when, and the activity it counts as, in one transaction.
pub fn record_view(
    c: &mut DbConnection,
    user_id: i32,
    course_id: &str,
    item_id: &str,
    now: NaiveDateTime,
) -> StoreResult<()> {
    c.transaction(|c| {
        lesson_opened(c, user_id, course_id, item_id, now)?;
        record_activity(c, user_id, course_id, now)
    })
}

/// Marks a lesson done (or not done again).
pub fn set_lesson_done(
    c: &mut DbConnection,
    user_id: i32,
    course_id: &str,
    item_id: &str,
    done: bool,
    now: NaiveDateTime,
) -> StoreResult<()> {
    lesson_opened(c, user_id, course_id, item_id, now)?;
    diesel::update(lesson_progress::table.find((user_id, course_id, item_id)))
        .set(lesson_progress::completed_at.eq(done.then_some(now)))
        .execute(c)?;
    Ok(())
}

/// Per item, when the learner last opened it (for "resume where you left off").
pub fn last_opened(
    c: &mut DbConnection,
    user_id: i32,
    course_id: &str,
) -> StoreResult<Option<String>> {
    Ok(lesson_progress::table
        .filter(lesson_progress::user_id.eq(user_id))
        .filter(lesson_progress::course_id.eq(course_id))
        .order(lesson_progress::last_opened_at.desc())
        .select(lesson_progress::item_id)
        .first(c)
        .optional()?)
}

/// The ids a learner has finished in a course, by kind of progress.
#[derive(Debug, Default, Clone)]
pub struct Finished {
    pub lessons_done: HashSet<String>,
    pub quizzes_attempted: HashSet<String>,
    pub quizzes_passed: HashSet<String>,
    pub scenarios_completed: HashSet<String>,
}

pub fn finished(c: &mut DbConnection, user_id: i32, course_id: &str) -> StoreResult<Finished> {
    Ok(finished_by_course(c, user_id, Some(course_id))?
        .remove(course_id)
        .unwrap_or_default())
}

/// What the learner finished, per course: in one course (`only`) or in all of them,
/// in three queries whatever the number of courses.
pub fn finished_by_course(
    c: &mut DbConnection,
    user_id: i32,
    only: Option<&str>,
) -> StoreResult<HashMap<String, Finished>> {
    let mut lessons = lesson_progress::table
        .filter(lesson_progress::user_id.eq(user_id))
        .filter(lesson_progress::completed_at.is_not_null())
        .select((lesson_progress::course_id, lesson_progress::item_id))
        .into_boxed();
    let mut attempts = quiz_attempts::table
        .filter(quiz_attempts::user_id.eq(user_id))
        .filter(quiz_attempts::submitted_at.is_not_null())
        .select((
            quiz_attempts::course_id,
            quiz_attempts::item_id,
            quiz_attempts::passed,
        ))
        .into_boxed();
    let mut scenarios = scenario_runs::table
        .filter(scenario_runs::user_id.eq(user_id))
        .filter(scenario_runs::finished_at.is_not_null())
        .select((scenario_runs::course_id, scenario_runs::item_id))
        .into_boxed();
    if let Some(course_id) = only {
        lessons = lessons.filter(lesson_progress::course_id.eq(course_id));
        attempts = attempts.filter(quiz_attempts::course_id.eq(course_id));
        scenarios = scenarios.filter(scenario_runs::course_id.eq(course_id));
    }
    let mut out: HashMap<String, Finished> = HashMap::new();
    for (course, item) in lessons.load::<(String, String)>(c)? {
        out.entry(course).or_default().lessons_done.insert(item);
    }
    for (course, item, passed) in attempts.load::<(String, String, Option<bool>)>(c)? {
        let f = out.entry(course).or_default();
        if passed == Some(true) {
            f.quizzes_passed.insert(item.clone());
        }
        f.quizzes_attempted.insert(item);
    }
    for (course, item) in scenarios.load::<(String, String)>(c)? {
        out.entry(course)
            .or_default()
            .scenarios_completed
            .insert(item);
    }
    Ok(out)
}

// --- quizzes ---

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = quiz_attempts)]
pub struct Attempt {
    pub id: i32,
    pub user_id: i32,
    pub course_id: String,
    pub item_id: String,
    pub version_id: i32,
    /// JSON list of the question ids drawn for this attempt, in the order asked.
    pub question_ids: String,
    pub started_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    pub score: Option<i32>,
    pub max_score: Option<i32>,
    pub passed: Option<bool>,
}

impl Attempt {
    pub fn questions(&self) -> Vec<String> {
        serde_json::from_str(&self.question_ids).unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = quiz_answers)]
pub struct AnswerRow {
    pub attempt_id: i32,
    pub course_id: String,
    pub question_id: String,
    /// The answer as JSON.
    pub answer: String,
    pub correct: bool,
    pub points: i32,
    pub answered_at: NaiveDateTime,
}

/// Starts an attempt, unless the learner has one open at this quiz already: the
/// database keeps at most one open (a unique index), so `None` means another
/// request started it first; [`open_attempt`] finds it.
pub fn start_attempt(
    c: &mut DbConnection,
    user_id: i32,
    course_id: &str,
    item_id: &str,
    version_id: i32,
    question_ids: &[String],
    now: NaiveDateTime,
) -> StoreResult<Option<Attempt>> {
    let questions = serde_json::to_string(question_ids)?;
    let inserted = per_backend!(&mut *c, |b| diesel::insert_into(quiz_attempts::table)
        .values((
            quiz_attempts::user_id.eq(user_id),
            quiz_attempts::course_id.eq(course_id),
            quiz_attempts::item_id.eq(item_id),
            quiz_attempts::version_id.eq(version_id),
            quiz_attempts::question_ids.eq(&questions),
            quiz_attempts::started_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(b))?;
    if inserted == 0 {
        return Ok(None);
    }
    open_attempt(c, user_id, course_id, item_id)
}

/// The learner's open attempt at a quiz, if any (there is at most one).
pub fn open_attempt(
    c: &mut DbConnection,
    user_id: i32,
    course_id: &str,
    item_id: &str,
) -> StoreResult<Option<Attempt>> {
    Ok(quiz_attempts::table
        .filter(quiz_attempts::user_id.eq(user_id))
        .filter(quiz_attempts::course_id.eq(course_id))
        .filter(quiz_attempts::item_id.eq(item_id))
        .filter(quiz_attempts::submitted_at.is_null())
        .select(Attempt::as_select())
        .first(c)
        .optional()?)
}

pub fn attempt(c: &mut DbConnection, id: i32) -> StoreResult<Option<Attempt>> {
    Ok(quiz_attempts::table
        .find(id)
        .select(Attempt::as_select())
        .first(c)
        .optional()?)
}

pub fn attempts_of(
    c: &mut DbConnection,
    user_id: i32,
    course_id: &str,
    item_id: &str,
) -> StoreResult<Vec<Attempt>> {
    Ok(quiz_attempts::table
        .filter(quiz_attempts::user_id.eq(user_id))
        .filter(quiz_attempts::course_id.eq(course_id))
        .filter(quiz_attempts::item_id.eq(item_id))
        .order(quiz_attempts::id)
        .select(Attempt::as_select())
        .load(c)?)
}

/// Stores an answer; `false` when that question of the attempt was answered already.
#[allow(clippy::too_many_arguments)]
pub fn save_answer(
    c: &mut DbConnection,
    attempt_id: i32,
    course_id: &str,
    question_id: &str,
    answer_json: &str,
    correct: bool,
    points: i32,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    let n = per_backend!(&mut *c, |b| diesel::insert_into(quiz_answers::table)
        .values((
            quiz_answers::attempt_id.eq(attempt_id),
            quiz_answers::course_id.eq(course_id),
            quiz_answers::question_id.eq(question_id),
            quiz_answers::answer.eq(answer_json),
            quiz_answers::correct.eq(correct),
            quiz_answers::points.eq(points),
            quiz_answers::answered_at.eq(now),
        ))
        .on_conflict((quiz_answers::attempt_id, quiz_answers::question_id))
        .do_nothing()
        .execute(b))?;
    Ok(n > 0)
}

pub fn answers(c: &mut DbConnection, attempt_id: i32) -> StoreResult<Vec<AnswerRow>> {
    Ok(quiz_answers::table
        .filter(quiz_answers::attempt_id.eq(attempt_id))
        .select(AnswerRow::as_select())
        .load(c)?)
}

/// Scores an open attempt; `false` when it was scored already.
pub fn finish_attempt(
    c: &mut DbConnection,
    attempt_id: i32,
    score: i32,
    max_score: i32,
    passed: bool,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    let n = diesel::update(
        quiz_attempts::table
            .find(attempt_id)
            .filter(quiz_attempts::submitted_at.is_null()),
    )
    .set((
        quiz_attempts::submitted_at.eq(Some(now)),
        quiz_attempts::score.eq(Some(score)),
        quiz_attempts::max_score.eq(Some(max_score)),
        quiz_attempts::passed.eq(Some(passed)),
    ))
    .execute(c)?;
    Ok(n > 0)
}

// --- scenarios ---

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = scenario_runs)]
pub struct Run {
    pub id: i32,
    pub user_id: i32,
    pub course_id: String,
    pub item_id: String,
    pub version_id: i32,
    /// JSON list of the choice indices taken, in order.
    pub path: String,
    pub current_step: String,
    pub outcome: Option<String>,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

impl Run {
    pub fn choices(&self) -> Vec<usize> {
        serde_json::from_str(&self.path).unwrap_or_default()
    }
}

/// Starts a run of a scenario, or returns the learner's unfinished one: the
/// database keeps at most one unfinished run per learner and scenario (a unique
/// index), so a double submission starts one.
pub fn start_run(
    c: &mut DbConnection,
    user_id: i32,
    course_id: &str,
    item_id: &str,
    version_id: i32,
    start_step: &str,
    now: NaiveDateTime,
) -> StoreResult<Run> {
    per_backend!(&mut *c, |b| diesel::insert_into(scenario_runs::table)
        .values((
            scenario_runs::user_id.eq(user_id),
            scenario_runs::course_id.eq(course_id),
            scenario_runs::item_id.eq(item_id),
            scenario_runs::version_id.eq(version_id),
            scenario_runs::path.eq("[]"),
            scenario_runs::current_step.eq(start_step),
            scenario_runs::started_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(b))?;
    Ok(scenario_runs::table
        .filter(scenario_runs::user_id.eq(user_id))
        .filter(scenario_runs::course_id.eq(course_id))
        .filter(scenario_runs::item_id.eq(item_id))
        .filter(scenario_runs::finished_at.is_null())
        .select(Run::as_select())
        .first(c)?)
}

pub fn latest_run(
    c: &mut DbConnection,
    user_id: i32,
    course_id: &str,
    item_id: &str,
) -> StoreResult<Option<Run>> {
    Ok(scenario_runs::table
        .filter(scenario_runs::user_id.eq(user_id))
        .filter(scenario_runs::course_id.eq(course_id))
        .filter(scenario_runs::item_id.eq(item_id))
        .order(scenario_runs::id.desc())
        .select(Run::as_select())
        .first(c)
        .optional()?)
}

/// Records a step; only while the run is unfinished and still at `expected_len` choices,
/// so a double submit cannot take two steps.
pub fn advance_run(
    c: &mut DbConnection,
    run_id: i32,
    expected_path: &str,
    path: &str,
    current_step: &str,
    outcome: Option<&str>,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    let n = diesel::update(
        scenario_runs::table
            .find(run_id)
            .filter(scenario_runs::path.eq(expected_path))
            .filter(scenario_runs::finished_at.is_null()),
    )
    .set((
        scenario_runs::path.eq(path),
        scenario_runs::current_step.eq(current_step),
        scenario_runs::outcome.eq(outcome),
        scenario_runs::finished_at.eq(outcome.map(|_| now)),
    ))
    .execute(c)?;
    Ok(n > 0)
}

// --- reflections ---

pub fn save_reflection(
    c: &mut DbConnection,
    user_id: i32,
    course_id: &str,
    reflection_id: &str,
    answer: &str,
    now: NaiveDateTime,
) -> StoreResult<()> {
    per_backend!(&mut *c, |b| diesel::insert_into(reflections::table)
        .values((
            reflections::user_id.eq(user_id),
            reflections::course_id.eq(course_id),
            reflections::reflection_id.eq(reflection_id),
            reflections::answer.eq(answer),
            reflections::updated_at.eq(now),
        ))
        .on_conflict((
            reflections::user_id,
            reflections::course_id,
            reflections::reflection_id
        ))
        .do_update()
        .set((
            reflections::answer.eq(answer),
            reflections::updated_at.eq(now)
        ))
        .execute(b))?;
    Ok(())
}

/// A learner's reflections in a course: (reflection id, answer, last saved).
pub fn reflections_of(
    c: &mut DbConnection,
    user_id: i32,
    course_id: &str,
) -> StoreResult<Vec<(String, String, NaiveDateTime)>> {
    Ok(reflections::table
        .filter(reflections::user_id.eq(user_id))
        .filter(reflections::course_id.eq(course_id))
        .select((
            reflections::reflection_id,
            reflections::answer,
            reflections::updated_at,
        ))
        .load(c)?)
}

// --- certificates ---

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = certificates)]
pub struct Certificate {
    pub id: i32,
    pub code: String,
    pub user_id: i32,
    pub course_id: String,
    pub version_id: i32,
    pub holder_name: String,
    pub title: String,
    pub issued_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
}

pub struct NewCertificate<'a> {
    pub code: &'a str,
    pub user_id: i32,
    pub course_id: &'a str,
    pub version_id: i32,
    pub holder_name: &'a str,
    pub title: &'a str,
    pub expires_at: Option<NaiveDateTime>,
}

/// Issues the learner's certificate for a course, once; returns the one that exists.
pub fn issue_certificate(
    c: &mut DbConnection,
    new: &NewCertificate<'_>,
    now: NaiveDateTime,
) -> StoreResult<Certificate> {
    per_backend!(&mut *c, |b| diesel::insert_into(certificates::table)
        .values((
            certificates::code.eq(new.code),
            certificates::user_id.eq(new.user_id),
            certificates::course_id.eq(new.course_id),
            certificates::version_id.eq(new.version_id),
            certificates::holder_name.eq(new.holder_name),
            certificates::title.eq(new.title),
            certificates::issued_at.eq(now),
            certificates::expires_at.eq(new.expires_at),
        ))
        .on_conflict((certificates::user_id, certificates::course_id))
        .do_nothing()
        .execute(b))?;
    Ok(certificate_of(c, new.user_id, new.course_id)?.expect("issued"))
}

pub fn certificate_of(
    c: &mut DbConnection,
    user_id: i32,
    course_id: &str,
) -> StoreResult<Option<Certificate>> {
    Ok(certificates::table
        .filter(certificates::user_id.eq(user_id))
        .filter(certificates::course_id.eq(course_id))
        .select(Certificate::as_select())
        .first(c)
        .optional()?)
}

/// Every certificate of the learner's, one per course at most.
pub fn certificates_of_user(c: &mut DbConnection, user_id: i32) -> StoreResult<Vec<Certificate>> {
    Ok(certificates::table
        .filter(certificates::user_id.eq(user_id))
        .select(Certificate::as_select())
        .load(c)?)
}

pub fn certificate_by_code(c: &mut DbConnection, code: &str) -> StoreResult<Option<Certificate>> {
    Ok(certificates::table
        .filter(certificates::code.eq(code))
        .select(Certificate::as_select())
        .first(c)
        .optional()?)
}
