//! One item of a course: a lesson, a quiz or a scenario, and what learners do there.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use leerpad_core::completion::{is_done, progress};
use leerpad_core::grading::{self, Answer};
use leerpad_core::scenario_play;
use leerpad_core::{Item, ItemBody, LessonBlock, Question, QuestionKind, Quiz, Scenario};
use leerpad_store::learning::{self, Attempt, Run};
use leerpad_store::StoreResult;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{AppError, AppResult};
use crate::page::{render, see_other, CsrfForm, NoFields};
use crate::progress::{act, enrolled, needs_settling, repair, visit};
use crate::quiz_flow::{self, find_question};
use crate::routes::course::course_card;
use crate::state::{AppState, Served};
use crate::viewer::SignedIn;

/// Longest reflection answer kept, in characters.
const MAX_REFLECTION: usize = 20_000;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(item_page)
        .service(figure_page)
        .service(mark_done)
        .service(save_reflection)
        .service(start_attempt)
        .service(attempt_page)
        .service(submit_answer)
        .service(start_run)
        .service(choose);
}

fn find_item<'c>(served: &'c Served, item_id: &str) -> AppResult<(usize, &'c Item)> {
    served
        .course
        .items()
        .map(|(_, i)| i)
        .enumerate()
        .find(|(_, i)| i.id.as_str() == item_id)
        .ok_or(AppError::NotFound)
}

/// Previous and next items, for navigation.
fn neighbours(served: &Served, index: usize) -> (Option<Value>, Option<Value>) {
    let items: Vec<&Item> = served.course.items().map(|(_, i)| i).collect();
    let link = |i: &Item| json!({ "id": i.id, "title": i.title, "kind": i.kind() });
    (
        index
            .checked_sub(1)
            .and_then(|p| items.get(p))
            .map(|i| link(i)),
        items.get(index + 1).map(|i| link(i)),
    )
}

/// A lesson's `n`th image at its full size, for phones, where a diagram in the
/// column is too small to read ([`leerpad_core::urls::figure`]). Who may see the
/// lesson may see it: listed courses to everyone signed in, hidden ones to those
/// enrolled.
#[get("/courses/{course}/{item}/figures/{n}")]
async fn figure_page(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<(String, String, usize)>,
) -> AppResult<HttpResponse> {
    let (course_id, item_id, n) = path.into_inner();
    let served = state.courses.current(&state, &course_id).await?;
    if served.course.visibility == leerpad_core::Visibility::Hidden {
        let (uid, cid) = (who.user.id, course_id.clone());
        state
            .db(move |c| learning::enrolment(c, uid, &cid))
            .await?
            .ok_or(AppError::NotFound)?;
    }
    let (_, item) = find_item(&served, &item_id)?;
    let ItemBody::Lesson(lesson) = &item.body else {
        return Err(AppError::NotFound);
    };
    let href = leerpad_core::urls::figure(&served.course.id, &item.id, n);
    let (src, alt) = lesson
        .blocks
        .iter()
        .find_map(|b| match b {
            LessonBlock::Html { html } => figure_in(html, &href),
            LessonBlock::Reflection(_) => None,
        })
        .ok_or(AppError::NotFound)?;
    let ctx = json!({
        "course": course_card(&served.course),
        "item": { "id": item.id, "title": item.title },
        "figure": { "n": n, "src": src, "alt": alt },
    });
    render(&state, &who.viewer, &req, "figure.html.j2", ctx)
}

/// The image the compiler wrapped in the link to `href`: its `src` and `alt`, as
/// the sanitiser wrote them (attribute values, already escaped).
fn figure_in<'h>(html: &'h str, href: &str) -> Option<(&'h str, &'h str)> {
    let link = html.find(&format!("href=\"{href}\""))?;
    let rest = &html[link..];
    let img = &rest[rest.find("<img ")?..];
    let tag = &img[..img.find('>')?];
    let attribute = |name: &str| {
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        let len = tag[start..].find('"')?;
        Some(&tag[start..start + len])
    };
    Some((attribute("src")?, attribute("alt").unwrap_or("")))
}

#[get("/courses/{course}/{item}")]
async fn item_page(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (course_id, item_id) = path.into_inner();
    // Only a lesson's own id is recorded as opened; which kind it is, is known from
    // the course (cached), before the one trip to the database.
    let current = state.courses.current(&state, &course_id).await?;
    let is_lesson = current
        .course
        .item(&leerpad_core::Id::new(item_id.clone()).map_err(|_| AppError::NotFound)?)
        .is_some_and(|i| matches!(i.body, ItemBody::Lesson(_)));
    let v = visit(
        &state,
        &who.user,
        &course_id,
        is_lesson.then_some(item_id.as_str()),
        crate::fresh::mark(&req),
    )
    .await?;
    let (served, enrolment, ls) = (v.served, v.enrolment, v.state);
    let (index, item) = find_item(&served, &item_id)?;
    let (prev, next) = neighbours(&served, index);
    let p = progress(&served.course, &ls);
    if needs_settling(&served.course, p.complete, &enrolment, None) {
        repair(&state, &who.user, &served).await;
    }
    let module = served
        .course
        .modules
        .iter()
        .find(|m| m.items.iter().any(|i| i.id == item.id))
        .map(|m| m.title.clone());
    let mut ctx = json!({
        "course": course_card(&served.course),
        "item": { "id": item.id, "title": item.title, "kind": item.kind(), "duration_minutes": item.duration_minutes },
        "module": module,
        "prev": prev,
        "next": next,
        "done": is_done(&served.course.completion, &ls, item),
        "progress": { "percent": p.percent, "complete": p.complete },
        "deadline": enrolment.deadline,
    });
    let uid = who.user.id;
    match &item.body {
        ItemBody::Lesson(lesson) => {
            let answers = &v.reflections;
            let blocks: Vec<Value> = lesson
                .blocks
                .iter()
                .map(|b| match b {
                    LessonBlock::Html { html } => json!({ "html": html }),
                    LessonBlock::Reflection(r) => json!({
                        "reflection": {
                            "id": r.id, "prompt_html": r.prompt_html, "placeholder": r.placeholder,
                            "heading": r.action_plan_heading,
                            "answer": answers.iter().find(|(id, _, _)| id == r.id.as_str()).map(|(_, a, _)| a),
                        }
                    }),
                })
                .collect();
            ctx["blocks"] = json!(blocks);
            ctx["has_reflections"] = json!(lesson.reflections().next().is_some());
            // "Saved" shows beside the reflection that was saved, not at the top.
            let saved = web::Query::<SavedQuery>::from_query(req.query_string())
                .ok()
                .and_then(|q| q.0.saved);
            if saved.is_some() {
                ctx["notice"] = Value::Null;
                ctx["saved"] = json!(saved);
            }
            render(&state, &who.viewer, &req, "lesson.html.j2", ctx)
        }
        ItemBody::Quiz(quiz) => {
            let (cid, iid) = (course_id.clone(), item_id.clone());
            let mut attempts = state
                .db(move |c| learning::attempts_of(c, uid, &cid, &iid))
                .await?;
            if let Some(stuck) = attempts.iter().find(|a| a.submitted_at.is_none()) {
                if quiz_flow::finish_if_answered(&state, &who.user, stuck, quiz).await {
                    let (cid, iid) = (course_id.clone(), item_id.clone());
                    attempts = state
                        .db(move |c| learning::attempts_of(c, uid, &cid, &iid))
                        .await?;
                }
            }
            let open = attempts
                .iter()
                .rev()
                .find(|a| a.submitted_at.is_none())
                .map(|a| a.id);
            let used = attempts.len() as u32;
            ctx["quiz"] = json!({
                "intro_html": quiz.intro_html,
                "pass_mark": quiz.pass_mark,
                "questions": quiz.pools.iter().map(|p| p.draw).sum::<u32>(),
                "attempts_left": grading::attempts_left(quiz, used),
                "may_attempt": grading::may_attempt(quiz, used),
                "open_attempt": open,
                "history": attempts.iter().filter(|a| a.submitted_at.is_some()).map(|a| json!({
                    "id": a.id, "score": a.score, "max": a.max_score, "passed": a.passed, "at": a.submitted_at,
                })).collect::<Vec<_>>(),
            });
            render(&state, &who.viewer, &req, "quiz.html.j2", ctx)
        }
        ItemBody::Scenario(scenario) => {
            let (cid, iid) = (course_id.clone(), item_id.clone());
            let run = state
                .db(move |c| learning::latest_run(c, uid, &cid, &iid))
                .await?;
            ctx["scenario"] = scenario_view(
                &state,
                scenario,
                run.as_ref(),
                &served,
                req.query_string().contains("feedback=1"),
            )
            .await?;
            render(&state, &who.viewer, &req, "scenario.html.j2", ctx)
        }
    }
}

#[derive(Deserialize)]
struct SavedQuery {
    saved: Option<String>,
}

/// A lesson's form: `done` (`1` or `0`) and what is typed in its reflections, as
/// `answer.<reflection id>`.
type LessonForm = Vec<(String, String)>;

/// The reflection answers of a lesson's form that belong to `lesson`, checked:
/// (reflection id, answer). An answer too long is an error.
fn typed_answers(
    lesson: &leerpad_core::Lesson,
    form: &LessonForm,
) -> AppResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (key, value) in form {
        let Some(rid) = key.strip_prefix("answer.") else {
            continue;
        };
        if !lesson.reflections().any(|r| r.id.as_str() == rid) {
            continue;
        }
        let answer = value.replace("\r\n", "\n");
        if answer.chars().count() > MAX_REFLECTION {
            return Err(AppError::BadRequest(format!(
                "an answer may be at most {MAX_REFLECTION} characters"
            )));
        }
        out.push((rid.to_string(), answer.trim().to_string()));
    }
    Ok(out)
}

/// Saves these answers where they differ from what is stored (so an unchanged
/// answer keeps the time it was written). Inside the learner's transaction.
fn save_answers(
    c: &mut leerpad_store::DbConnection,
    user_id: i32,
    course_id: &str,
    answers: &[(String, String)],
    now: chrono::NaiveDateTime,
) -> leerpad_store::StoreResult<()> {
    if answers.is_empty() {
        return Ok(());
    }
    let stored = learning::reflections_of(c, user_id, course_id)?;
    for (rid, answer) in answers {
        let same = stored.iter().any(|(id, a, _)| id == rid && a == answer);
        let nothing = answer.is_empty() && !stored.iter().any(|(id, _, _)| id == rid);
        if !same && !nothing {
            learning::save_reflection(c, user_id, course_id, rid, answer, now)?;
        }
    }
    Ok(())
}

#[post("/courses/{course}/{item}/done")]
async fn mark_done(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, String)>,
    form: CsrfForm<LessonForm>,
) -> AppResult<HttpResponse> {
    let (course_id, item_id) = path.into_inner();
    let (served, _) = enrolled(&state, &who.user, &course_id).await?;
    let (index, item) = find_item(&served, &item_id)?;
    let ItemBody::Lesson(lesson) = &item.body else {
        return Err(AppError::BadRequest("only lessons are marked done".into()));
    };
    let done = !form.0.iter().any(|(k, v)| k == "done" && v == "0");
    // What is typed in the lesson's reflections is saved with it, in the same
    // transaction: pressing "completed" before "save" loses nothing.
    let answers = typed_answers(lesson, &form.0)?;
    let (uid, cid, iid, now) = (
        who.user.id,
        course_id.clone(),
        item_id.clone(),
        state.clock.now(),
    );
    let ((), p) = act(&state, &who.user, &served, move |c| {
        save_answers(c, uid, &cid, &answers, now)?;
        learning::set_lesson_done(c, uid, &cid, &iid, done, now)
    })
    .await?;
    let (_, next) = neighbours(&served, index);
    let target = match (done, next) {
        _ if p.complete && done => format!("/courses/{course_id}"),
        (true, Some(n)) => format!(
            "/courses/{course_id}/{}",
            n["id"].as_str().unwrap_or_default()
        ),
        _ => format!("/courses/{course_id}/{item_id}"),
    };
    Ok(see_other(target))
}

/// Saves one reflection: from the lesson's form (`answer.<id>`, the others are left
/// as they are) or a form of its own (`answer`).
#[post("/courses/{course}/{item}/reflections/{reflection}")]
async fn save_reflection(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, String, String)>,
    form: CsrfForm<LessonForm>,
) -> AppResult<HttpResponse> {
    let (course_id, item_id, reflection_id) = path.into_inner();
    let field = format!("answer.{reflection_id}");
    let answer = form
        .0
        .iter()
        .find(|(k, _)| *k == field || k == "answer")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    save_one_reflection(
        &state,
        &who.user,
        &course_id,
        &item_id,
        &reflection_id,
        &answer,
    )
    .await?;
    Ok(see_other(format!(
        "/courses/{course_id}/{item_id}?notice=saved&saved={reflection_id}#reflection-{reflection_id}"
    )))
}

/// Saves one reflection of a lesson for `user`; 404 for a reflection the lesson
/// does not have. Shared by the page and the API (drafts saved as one types).
pub async fn save_one_reflection(
    state: &AppState,
    user: &leerpad_store::accounts::User,
    course_id: &str,
    item_id: &str,
    reflection_id: &str,
    answer: &str,
) -> AppResult<()> {
    let (served, _) = enrolled(state, user, course_id).await?;
    let (_, item) = find_item(&served, item_id)?;
    let ItemBody::Lesson(lesson) = &item.body else {
        return Err(AppError::NotFound);
    };
    let form = vec![(format!("answer.{reflection_id}"), answer.to_string())];
    let answers = typed_answers(lesson, &form)?;
    if answers.is_empty() {
        return Err(AppError::NotFound);
    }
    let (uid, cid, now) = (user.id, course_id.to_string(), state.clock.now());
    state
        .db(move |c| {
            learning::in_enrolment(c, uid, &cid, now, |c| {
                for (rid, answer) in &answers {
                    learning::save_reflection(c, uid, &cid, rid, answer, now)?;
                }
                Ok(())
            })
        })
        .await?;
    state.learners.forget(user.id, course_id);
    Ok(())
}

// --- quizzes ---

fn quiz_of<'c>(served: &'c Served, item_id: &str) -> AppResult<&'c Quiz> {
    match &find_item(served, item_id)?.1.body {
        ItemBody::Quiz(q) => Ok(q),
        _ => Err(AppError::NotFound),
    }
}

#[post("/courses/{course}/{item}/attempts")]
async fn start_attempt(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, String)>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let (course_id, item_id) = path.into_inner();
    let (served, _) = enrolled(&state, &who.user, &course_id).await?;
    let quiz = quiz_of(&served, &item_id)?;
    let attempt = quiz_flow::start(&state, &who.user, &served, quiz, &item_id).await?;
    Ok(see_other(format!(
        "/courses/{course_id}/{item_id}/attempts/{}",
        attempt.id
    )))
}

/// An attempt of the learner's own, on the course version it started on.
async fn own_attempt(
    state: &AppState,
    who: &SignedIn,
    course_id: &str,
    item_id: &str,
    attempt_id: i32,
) -> AppResult<(Attempt, Served)> {
    let attempt = state
        .db(move |c| learning::attempt(c, attempt_id))
        .await?
        .filter(|a| a.user_id == who.user.id && a.course_id == course_id && a.item_id == item_id)
        .ok_or(AppError::NotFound)?;
    let served = state.courses.version(state, attempt.version_id).await?;
    Ok((attempt, served))
}

#[derive(Deserialize)]
struct AttemptQuery {
    answered: Option<String>,
}

#[get("/courses/{course}/{item}/attempts/{attempt}")]
async fn attempt_page(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<(String, String, i32)>,
    q: web::Query<AttemptQuery>,
) -> AppResult<HttpResponse> {
    let (course_id, item_id, attempt_id) = path.into_inner();
    enrolled(&state, &who.user, &course_id).await?;
    let (mut attempt, served) = own_attempt(&state, &who, &course_id, &item_id, attempt_id).await?;
    let quiz = quiz_of(&served, &item_id)?;
    let (index, item) = find_item(&served, &item_id)?;
    let (_, next) = neighbours(&served, index);
    if quiz_flow::finish_if_answered(&state, &who.user, &attempt, quiz).await {
        attempt = own_attempt(&state, &who, &course_id, &item_id, attempt_id)
            .await?
            .0;
    }
    let answers = state.db(move |c| learning::answers(c, attempt_id)).await?;
    let ids = attempt.questions();
    let seed = attempt_seed(&attempt);
    let results = quiz_flow::results(quiz, &answers);
    let mut ctx = json!({
        "course": course_card(&served.course),
        "item": { "id": item.id, "title": item.title },
        "attempt": { "id": attempt.id, "number": ids.len(), "answered": results.len() },
        "next": next,
    });
    if let Some(qid) = &q.answered {
        if let Some((_, r, answer)) = results.iter().find(|(id, _, _)| id == qid) {
            let question = find_question(quiz, qid).ok_or(AppError::NotFound)?;
            ctx["feedback"] = json!({
                "question": question_view(question, seed, quiz.shuffle_options, Some(answer)),
                "result": r,
                "position": ids.iter().position(|i| i == qid).map(|p| p + 1),
            });
        }
    }
    if attempt.submitted_at.is_some() {
        ctx["finished"] = json!({
            "score": attempt.score, "max": attempt.max_score, "passed": attempt.passed,
            "pass_mark": quiz.pass_mark,
            "review": ids.iter().filter_map(|id| {
                let question = find_question(quiz, id)?;
                let (_, r, answer) = results.iter().find(|(q, _, _)| q == id)?;
                Some(json!({ "question": question_view(question, seed, quiz.shuffle_options, Some(answer)), "result": r }))
            }).collect::<Vec<_>>(),
        });
        let (uid, cid, iid) = (who.user.id, course_id.clone(), item_id.clone());
        let used = state
            .db(move |c| learning::attempts_of(c, uid, &cid, &iid))
            .await?
            .len() as u32;
        ctx["may_retry"] = json!(grading::may_attempt(quiz, used) && attempt.passed != Some(true));
        ctx["attempts_left"] = json!(grading::attempts_left(quiz, used));
    } else if ctx.get("feedback").is_none() {
        let next = ids
            .iter()
            .find(|id| !results.iter().any(|(q, _, _)| q == *id));
        if let Some(id) = next {
            let question = find_question(quiz, id).ok_or(AppError::NotFound)?;
            ctx["question"] = question_view(question, seed, quiz.shuffle_options, None);
            ctx["position"] = json!(ids.iter().position(|i| i == id).map(|p| p + 1));
        }
    }
    render(&state, &who.viewer, &req, "attempt.html.j2", ctx)
}

/// What a learner's answer form posts: the question and its answer fields.
struct AnswerForm {
    question: String,
    /// single_choice, true_false ("true"/"false"), short_answer.
    value: Option<String>,
    /// multiple_response: the checked option indices (`choices` repeated).
    choices: Vec<usize>,
    /// matching and ordering: position-indexed selections `slot0`, `slot1`, …
    slots: std::collections::HashMap<String, String>,
}

#[post("/courses/{course}/{item}/attempts/{attempt}/answer")]
async fn submit_answer(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<(String, String, i32)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let (course_id, item_id, attempt_id) = path.into_inner();
    let viewer = who.viewer.clone();
    // Checkbox lists repeat the `choices` key, which serde_urlencoded cannot collect;
    // parse the pairs by hand.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|_| AppError::BadRequest("the form is not valid".into()))?;
    let csrf = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.clone())
        .ok_or(AppError::Csrf)?;
    viewer.check_csrf(&state, &csrf)?;
    let form = AnswerForm {
        question: pairs
            .iter()
            .find(|(k, _)| k == "question")
            .map(|(_, v)| v.clone())
            .unwrap_or_default(),
        value: pairs
            .iter()
            .find(|(k, _)| k == "value")
            .map(|(_, v)| v.clone()),
        choices: pairs
            .iter()
            .filter(|(k, _)| k == "choices")
            .filter_map(|(_, v)| v.parse().ok())
            .collect(),
        slots: pairs
            .iter()
            .filter(|(k, _)| k.starts_with("slot"))
            .cloned()
            .collect(),
    };

    enrolled(&state, &who.user, &course_id).await?;
    let (attempt, served) = own_attempt(&state, &who, &course_id, &item_id, attempt_id).await?;
    if attempt.submitted_at.is_some() {
        return Ok(see_other(format!(
            "/courses/{course_id}/{item_id}/attempts/{attempt_id}"
        )));
    }
    let quiz = quiz_of(&served, &item_id)?;
    let question = find_question(quiz, &form.question)
        .ok_or_else(|| AppError::BadRequest("that question is not part of this attempt".into()))?;
    // An answer the question cannot take (nothing chosen, a part left open, one
    // option used twice) brings the learner back to the question, with what they
    // chose and a message in their language.
    let answer = match parse_answer(question, &form) {
        Ok(answer) => answer,
        Err(problem) => {
            let (_, item) = find_item(&served, &item_id)?;
            let ids = attempt.questions();
            let kept = json!({
                "value": form.value, "choices": form.choices, "slots": form.slots,
            });
            let ctx = json!({
                "course": course_card(&served.course),
                "item": { "id": item.id, "title": item.title },
                "attempt": { "id": attempt.id, "number": ids.len() },
                "question": question_view(question, attempt_seed(&attempt), quiz.shuffle_options, None),
                "position": ids.iter().position(|i| *i == form.question).map(|p| p + 1),
                "error": problem,
                "kept": kept,
            });
            let mut res = render(&state, &viewer, &req, "attempt.html.j2", ctx)?;
            *res.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(res);
        }
    };
    // A second submit of the same question (a double click) just shows its feedback.
    quiz_flow::answer(&state, &who.user, &attempt, quiz, &form.question, &answer).await?;
    Ok(see_other(format!(
        "/courses/{course_id}/{item_id}/attempts/{attempt_id}?answered={}",
        form.question
    )))
}

/// The seed for presenting options in shuffled order, stable for an attempt.
pub fn attempt_seed(attempt: &Attempt) -> u64 {
    (attempt.id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ attempt.started_at.and_utc().timestamp() as u64
}

/// A question as its form shows it, options in presentation order.
fn question_view(q: &Question, seed: u64, shuffle: bool, answer: Option<&Answer>) -> Value {
    let order = grading::option_order(q, shuffle, seed);
    let (kind, options) = match &q.answer {
        QuestionKind::SingleChoice { options } | QuestionKind::MultipleResponse { options } => (
            if matches!(q.answer, QuestionKind::SingleChoice { .. }) { "single_choice" } else { "multiple_response" },
            order
                .iter()
                .map(|&i| {
                    let chosen = match answer {
                        Some(Answer::Choice(c)) => *c == i,
                        Some(Answer::Choices(cs)) => cs.contains(&i),
                        _ => false,
                    };
                    json!({ "index": i, "html": options[i].text_html, "correct": options[i].correct, "chosen": chosen, "feedback_html": options[i].feedback_html })
                })
                .collect::<Vec<_>>(),
        ),
        QuestionKind::TrueFalse { answer: truth, .. } => (
            "true_false",
            vec![json!({ "value": "true", "correct": *truth, "chosen": answer == Some(&Answer::Bool(true)) }),
                 json!({ "value": "false", "correct": !*truth, "chosen": answer == Some(&Answer::Bool(false)) })],
        ),
        QuestionKind::Matching { pairs, .. } => (
            "matching",
            pairs
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let chosen = match answer {
                        Some(Answer::Matching(m)) => m.get(i).map(|&r| pairs[r].right_html.clone()),
                        _ => None,
                    };
                    json!({ "index": i, "left_html": p.left_html, "right_html": p.right_html, "chosen_html": chosen,
                            "choices": order.iter().map(|&r| json!({ "index": r, "html": pairs[r].right_html })).collect::<Vec<_>>() })
                })
                .collect(),
        ),
        QuestionKind::Ordering { items_html, .. } => (
            "ordering",
            vec![json!({
                "items": order.iter().map(|&i| json!({ "index": i, "html": items_html[i] })).collect::<Vec<_>>(),
                "correct": items_html,
                "chosen": match answer { Some(Answer::Ordering(o)) => o.iter().map(|&i| items_html[i].clone()).collect::<Vec<_>>(), _ => vec![] },
            })],
        ),
        QuestionKind::ShortAnswer { .. } => (
            "short_answer",
            vec![json!({ "chosen": match answer { Some(Answer::Text(t)) => Some(t.clone()), _ => None } })],
        ),
    };
    json!({ "id": q.id, "prompt_html": q.prompt_html, "points": q.points, "kind": kind, "options": options })
}

/// The fields of the answer form that post `answer` (what [`parse_answer`] reads),
/// for clients that fill in the form: tests and the load benchmark.
pub fn answer_form(answer: &Answer) -> Vec<(String, String)> {
    let slots = |picks: &[usize]| -> Vec<(String, String)> {
        picks
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("slot{i}"), p.to_string()))
            .collect()
    };
    match answer {
        Answer::Choice(i) => vec![("value".into(), i.to_string())],
        Answer::Choices(all) => all
            .iter()
            .map(|i| ("choices".to_string(), i.to_string()))
            .collect(),
        Answer::Bool(b) => vec![("value".into(), b.to_string())],
        Answer::Matching(picks) | Answer::Ordering(picks) => slots(picks),
        Answer::Text(t) => vec![("value".into(), t.clone())],
    }
}

/// Reads the learner's answer from the form, by question type; a text key saying
/// what is missing or wrong when the question cannot take it.
fn parse_answer(q: &Question, form: &AnswerForm) -> Result<Answer, &'static str> {
    let index = |s: &str| s.parse::<usize>().map_err(|_| "quiz.error-choose-one");
    let slots = |n: usize| -> Result<Vec<usize>, &'static str> {
        let picks = (0..n)
            .map(|i| {
                form.slots
                    .get(&format!("slot{i}"))
                    .filter(|v| !v.is_empty())
                    .ok_or("quiz.error-every-part")
                    .and_then(|v| v.parse::<usize>().map_err(|_| "quiz.error-every-part"))
            })
            .collect::<Result<Vec<usize>, _>>()?;
        if picks.iter().any(|&p| p >= n) {
            return Err("quiz.error-every-part");
        }
        let mut seen = std::collections::BTreeSet::new();
        if !picks.iter().all(|p| seen.insert(*p)) {
            return Err("quiz.error-each-once");
        }
        Ok(picks)
    };
    Ok(match &q.answer {
        QuestionKind::SingleChoice { options } => {
            let i = index(form.value.as_deref().ok_or("quiz.error-choose-one")?)?;
            if i >= options.len() {
                return Err("quiz.error-choose-one");
            }
            Answer::Choice(i)
        }
        QuestionKind::MultipleResponse { options } => {
            if form.choices.is_empty() {
                return Err("quiz.error-choose-some");
            }
            if form.choices.iter().any(|&c| c >= options.len()) {
                return Err("quiz.error-choose-some");
            }
            let mut choices = form.choices.clone();
            choices.sort_unstable();
            choices.dedup();
            Answer::Choices(choices)
        }
        QuestionKind::TrueFalse { .. } => match form.value.as_deref() {
            Some("true") => Answer::Bool(true),
            Some("false") => Answer::Bool(false),
            _ => return Err("quiz.error-true-false"),
        },
        QuestionKind::Matching { pairs, .. } => Answer::Matching(slots(pairs.len())?),
        QuestionKind::Ordering { items_html, .. } => Answer::Ordering(slots(items_html.len())?),
        QuestionKind::ShortAnswer { .. } => {
            let text = form.value.clone().unwrap_or_default();
            if text.trim().is_empty() {
                return Err("quiz.error-type-answer");
            }
            if text.chars().count() > 500 {
                return Err("quiz.error-too-long");
            }
            Answer::Text(text)
        }
    })
}

// --- scenarios ---

fn scenario_of<'c>(served: &'c Served, item_id: &str) -> AppResult<&'c Scenario> {
    match &find_item(served, item_id)?.1.body {
        ItemBody::Scenario(s) => Ok(s),
        _ => Err(AppError::NotFound),
    }
}

async fn scenario_view(
    state: &AppState,
    scenario: &Scenario,
    run: Option<&Run>,
    current: &Served,
    show_feedback: bool,
) -> AppResult<Value> {
    let Some(run) = run else {
        return Ok(json!({ "intro_html": scenario.intro_html, "run": null }));
    };
    // A run is played on the version it started on.
    let served = if run.version_id == current.version_id {
        current.clone()
    } else {
        state.courses.version(state, run.version_id).await?
    };
    let s = scenario_of(&served, &run.item_id).unwrap_or(scenario);
    let choices = run.choices();
    let pos = scenario_play::replay(s, &choices).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(json!({
        "intro_html": s.intro_html,
        "run": {
            "id": run.id,
            "steps_taken": choices.len(),
            "step": { "id": pos.step.id, "text_html": pos.step.text_html,
                      "choices": pos.step.choices.iter().enumerate().map(|(i, c)| json!({ "index": i, "label": c.label })).collect::<Vec<_>>() },
            "feedback_html": if show_feedback { pos.last_feedback_html } else { None },
            "ending": pos.ended.map(|e| json!({ "outcome": e.outcome, "debrief_html": e.debrief_html })),
            "path": choices,
        }
    }))
}

#[post("/courses/{course}/{item}/runs")]
async fn start_run(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, String)>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let (course_id, item_id) = path.into_inner();
    let (served, _) = enrolled(&state, &who.user, &course_id).await?;
    let scenario = scenario_of(&served, &item_id)?;
    let (uid, cid, iid, vid, start, now) = (
        who.user.id,
        course_id.clone(),
        item_id.clone(),
        served.version_id,
        scenario.start.to_string(),
        state.clock.now(),
    );
    state
        .db(move |c| -> StoreResult<Run> {
            learning::in_enrolment(c, uid, &cid, now, |c| {
                learning::start_run(c, uid, &cid, &iid, vid, &start, now)
            })
        })
        .await?;
    state.learners.forget(who.user.id, &course_id);
    Ok(see_other(format!(
        "/courses/{course_id}/{item_id}#scenario"
    )))
}

#[derive(Deserialize)]
struct ChoiceForm {
    run: i32,
    choice: usize,
    /// How many choices the page showing this one had recorded; a second submit of
    /// the same page is ignored.
    taken: usize,
}

#[post("/courses/{course}/{item}/runs/choose")]
async fn choose(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, String)>,
    form: CsrfForm<ChoiceForm>,
) -> AppResult<HttpResponse> {
    let (course_id, item_id) = path.into_inner();
    enrolled(&state, &who.user, &course_id).await?;
    let f = form.0;
    let (uid, cid, iid) = (who.user.id, course_id.clone(), item_id.clone());
    let run = state
        .db(move |c| learning::latest_run(c, uid, &cid, &iid))
        .await?
        .filter(|r| r.id == f.run)
        .ok_or(AppError::NotFound)?;
    let served = state.courses.version(&state, run.version_id).await?;
    let scenario = scenario_of(&served, &item_id)?;
    let choices = run.choices();
    if choices.len() != f.taken || run.finished_at.is_some() {
        return Ok(see_other(format!(
            "/courses/{course_id}/{item_id}#scenario"
        )));
    }
    let pos = scenario_play::choose(scenario, &choices, f.choice)
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let mut path_taken = choices.clone();
    path_taken.push(f.choice);
    let (before, after) = (
        serde_json::to_string(&choices).expect("list"),
        serde_json::to_string(&path_taken).expect("list"),
    );
    let step = pos.step.id.to_string();
    let outcome = pos.ended.map(|e| {
        serde_json::to_value(e.outcome)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    });
    let (rid, now) = (run.id, state.clock.now());
    // The step, and when it ends the run, the progress that follows: one transaction.
    let current = state.courses.current(&state, &course_id).await?;
    act(&state, &who.user, &current, move |c| {
        learning::advance_run(c, rid, &before, &after, &step, outcome.as_deref(), now)
    })
    .await?;
    Ok(see_other(format!(
        "/courses/{course_id}/{item_id}?feedback=1#scenario"
    )))
}
