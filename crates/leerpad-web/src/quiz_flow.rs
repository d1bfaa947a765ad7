//! Taking a quiz, shared by the pages and the JSON API: starting (or resuming) an
//! attempt, and answering its questions until it is scored.

use leerpad_core::grading::{self, Answer, QuestionResult, QuizScore};
use leerpad_core::{Question, Quiz};
use leerpad_store::accounts::User;
use leerpad_store::learning::{self, AnswerRow, Attempt};
use leerpad_store::{DbConnection, StoreResult};

use crate::error::{AppError, AppResult};
use crate::progress::act;
use crate::state::{AppState, Served};

/// The learner's open attempt at quiz `item_id`, or a new one with freshly drawn
/// questions when attempts are left. Two requests at once (a double click, two
/// tabs, two instances) start one attempt: they run one after the other (see
/// `learning::in_enrolment`), and the database keeps one open attempt per learner
/// and quiz.
pub async fn start(
    state: &AppState,
    user: &User,
    served: &Served,
    quiz: &Quiz,
    item_id: &str,
) -> AppResult<Attempt> {
    let questions: Vec<String> = grading::draw_questions(quiz, rand::random())
        .iter()
        .map(|q| q.id.to_string())
        .collect();
    let (uid, cid, iid, vid, now) = (
        user.id,
        served.course.id.to_string(),
        item_id.to_string(),
        served.version_id,
        state.clock.now(),
    );
    let limit = quiz.clone();
    let attempt = state
        .db(move |c| -> StoreResult<Option<Attempt>> {
            learning::in_enrolment(c, uid, &cid, now, |c| {
                if let Some(open) = learning::open_attempt(c, uid, &cid, &iid)? {
                    return Ok(Some(open));
                }
                let used = learning::attempts_of(c, uid, &cid, &iid)?.len() as u32;
                if !grading::may_attempt(&limit, used) {
                    return Ok(None);
                }
                match learning::start_attempt(c, uid, &cid, &iid, vid, &questions, now)? {
                    Some(new) => Ok(Some(new)),
                    // Started by a request that did not wait for this one.
                    None => learning::open_attempt(c, uid, &cid, &iid),
                }
            })
        })
        .await?;
    state.learners.forget(user.id, served.course.id.as_str());
    attempt.ok_or_else(|| AppError::BadRequest("no attempts left for this quiz".into()))
}

pub fn find_question<'q>(quiz: &'q Quiz, id: &str) -> Option<&'q Question> {
    quiz.pools
        .iter()
        .flat_map(|p| &p.questions)
        .find(|q| q.id.as_str() == id)
}

/// Grades short answers' patterns the way the compiler checked them.
pub fn pattern_matches(pattern: &str, answer: &str, case_sensitive: bool) -> bool {
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .case_insensitive(!case_sensitive)
        .build()
        .is_ok_and(|re| re.is_match(answer))
}

/// The results of an attempt's stored answers, by question id.
pub fn results(quiz: &Quiz, rows: &[AnswerRow]) -> Vec<(String, QuestionResult, Answer)> {
    rows.iter()
        .filter_map(|a| {
            let question = find_question(quiz, &a.question_id)?;
            let answer: Answer = serde_json::from_str(&a.answer).ok()?;
            let r = grading::grade_with(question, &answer, &pattern_matches).ok()?;
            Some((a.question_id.clone(), r, answer))
        })
        .collect()
}

pub struct Answered {
    pub result: QuestionResult,
    /// False when that question of the attempt had been answered already.
    pub saved: bool,
    /// Set when this answer completed the attempt.
    pub score: Option<QuizScore>,
}

/// Grades and stores the answer to one question of an open attempt (on the course
/// version the attempt started on). The last answer scores the attempt and may
/// complete the course: the answer, the score, the enrolment's figures, the
/// completion and the certificate are one transaction.
pub async fn answer(
    state: &AppState,
    user: &User,
    attempt: &Attempt,
    quiz: &Quiz,
    question_id: &str,
    answer: &Answer,
) -> AppResult<Answered> {
    if attempt.submitted_at.is_some() {
        return Err(AppError::BadRequest("this attempt is finished".into()));
    }
    if !attempt.questions().iter().any(|i| i == question_id) {
        return Err(AppError::BadRequest(
            "that question is not part of this attempt".into(),
        ));
    }
    let question = find_question(quiz, question_id).ok_or(AppError::NotFound)?;
    let result = grading::grade_with(question, answer, &pattern_matches)
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let answer_json =
        serde_json::to_string(answer).map_err(|e| AppError::Internal(e.to_string()))?;
    let (cid, qid, now) = (
        attempt.course_id.clone(),
        question_id.to_string(),
        state.clock.now(),
    );
    let (correct, points) = (result.correct, result.points as i32);
    let (open, quiz_owned) = (attempt.clone(), quiz.clone());
    let current = state.courses.current(state, &attempt.course_id).await?;
    let ((saved, score), _) = act(state, user, &current, move |c| {
        let saved =
            learning::save_answer(c, open.id, &cid, &qid, &answer_json, correct, points, now)?;
        Ok((saved, score_if_answered(c, &open, &quiz_owned, now)?))
    })
    .await?;
    Ok(Answered {
        result,
        saved,
        score,
    })
}

/// Scores the attempt when every question has an answer, inside the caller's
/// transaction; `None` when questions are left or it was scored already.
fn score_if_answered(
    c: &mut DbConnection,
    attempt: &Attempt,
    quiz: &Quiz,
    now: chrono::NaiveDateTime,
) -> StoreResult<Option<QuizScore>> {
    let all = learning::answers(c, attempt.id)?;
    let complete = attempt
        .questions()
        .iter()
        .all(|id| all.iter().any(|a| &a.question_id == id));
    if !complete {
        return Ok(None);
    }
    let graded: Vec<QuestionResult> = results(quiz, &all).into_iter().map(|(_, r, _)| r).collect();
    let s = grading::score(quiz, &graded);
    let scored = learning::finish_attempt(
        c,
        attempt.id,
        s.points as i32,
        s.max_points as i32,
        s.passed,
        now,
    )?;
    Ok(scored.then_some(s))
}

/// An open attempt whose questions all have answers, left so by a crash between the
/// last answer and its score (before those were one transaction), is scored now,
/// with what follows. Returns whether it was; a database that cannot write just now
/// leaves it for the next visit.
pub async fn finish_if_answered(
    state: &AppState,
    user: &User,
    attempt: &Attempt,
    quiz: &Quiz,
) -> bool {
    if attempt.submitted_at.is_some() {
        return false;
    }
    let (open, quiz_owned, now) = (attempt.clone(), quiz.clone(), state.clock.now());
    let id = open.id;
    let answered = match state.db(move |c| learning::answers(c, id)).await {
        Ok(rows) => rows,
        Err(_) => return false,
    };
    if !attempt
        .questions()
        .iter()
        .all(|q| answered.iter().any(|a| &a.question_id == q))
    {
        return false;
    }
    let current = match state.courses.current(state, &attempt.course_id).await {
        Ok(c) => c,
        Err(_) => return false,
    };
    match act(state, user, &current, move |c| {
        score_if_answered(c, &open, &quiz_owned, now)
    })
    .await
    {
        Ok((scored, _)) => scored.is_some(),
        Err(e) => {
            tracing::warn!(error = %e, attempt = attempt.id, "could not score an answered attempt");
            false
        }
    }
}
