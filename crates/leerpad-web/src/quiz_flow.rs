//! Taking a quiz, shared by the pages and the JSON API: starting (or resuming) an
//! attempt, and answering its questions until it is scored.

use leerpad_core::grading::{self, Answer, QuestionResult, QuizScore};
use leerpad_core::{Question, Quiz};
use leerpad_store::accounts::User;
use leerpad_store::learning::{self, AnswerRow, Attempt};
use leerpad_store::StoreResult;

use crate::error::{AppError, AppResult};
use crate::progress::after_progress;
use crate::state::{AppState, Served};

/// The learner's open attempt at quiz `item_id`, or a new one with freshly drawn
/// questions when attempts are left.
pub async fn start(
    state: &AppState,
    user: &User,
    served: &Served,
    quiz: &Quiz,
    item_id: &str,
) -> AppResult<Attempt> {
    let (uid, cid, iid) = (user.id, served.course.id.to_string(), item_id.to_string());
    let attempts = state
        .db(move |c| learning::attempts_of(c, uid, &cid, &iid))
        .await?;
    if let Some(open) = attempts.iter().find(|a| a.submitted_at.is_none()) {
        return Ok(open.clone());
    }
    if !grading::may_attempt(quiz, attempts.len() as u32) {
        return Err(AppError::BadRequest(
            "no attempts left for this quiz".into(),
        ));
    }
    let questions: Vec<String> = grading::draw_questions(quiz, rand::random())
        .iter()
        .map(|q| q.id.to_string())
        .collect();
    let (cid, iid, vid, now) = (
        served.course.id.to_string(),
        item_id.to_string(),
        served.version_id,
        state.clock.now(),
    );
    let attempt = state
        .db(move |c| -> StoreResult<Attempt> {
            learning::record_activity(c, uid, &cid, now)?;
            learning::start_attempt(c, uid, &cid, &iid, vid, &questions, now)
        })
        .await?;
    state.learners.forget(user.id, served.course.id.as_str());
    Ok(attempt)
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
/// version the attempt started on); the last answer scores the attempt and may
/// complete the course.
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
    let ids = attempt.questions();
    if !ids.iter().any(|i| i == question_id) {
        return Err(AppError::BadRequest(
            "that question is not part of this attempt".into(),
        ));
    }
    let question = find_question(quiz, question_id).ok_or(AppError::NotFound)?;
    let result = grading::grade_with(question, answer, &pattern_matches)
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let answer_json =
        serde_json::to_string(answer).map_err(|e| AppError::Internal(e.to_string()))?;
    let (attempt_id, cid, qid, now) = (
        attempt.id,
        attempt.course_id.clone(),
        question_id.to_string(),
        state.clock.now(),
    );
    let (correct, points) = (result.correct, result.points as i32);
    let (saved, all) = state
        .db(move |c| -> StoreResult<(bool, Vec<AnswerRow>)> {
            let saved = learning::save_answer(
                c,
                attempt_id,
                &cid,
                &qid,
                &answer_json,
                correct,
                points,
                now,
            )?;
            Ok((saved, learning::answers(c, attempt_id)?))
        })
        .await?;
    let mut score = None;
    if saved
        && ids
            .iter()
            .all(|id| all.iter().any(|a| &a.question_id == id))
    {
        let graded: Vec<QuestionResult> =
            results(quiz, &all).into_iter().map(|(_, r, _)| r).collect();
        let s = grading::score(quiz, &graded);
        let now = state.clock.now();
        state
            .db(move |c| {
                learning::finish_attempt(
                    c,
                    attempt_id,
                    s.points as i32,
                    s.max_points as i32,
                    s.passed,
                    now,
                )
            })
            .await?;
        let current = state.courses.current(state, &attempt.course_id).await?;
        after_progress(state, user, &current).await?;
        score = Some(s);
    }
    Ok(Answered {
        result,
        saved,
        score,
    })
}
