//! The JSON API under `/api/v1`, for the same learner actions as the pages.
//!
//! Requests are authenticated by the session cookie; requests that change something
//! must carry the page's CSRF token in an `X-CSRF-Token` header. The OpenAPI
//! document is served at `/api/v1/openapi.json`.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse, ResponseError};
use leerpad_core::completion::{is_done, progress};
use leerpad_core::grading::{self, Answer};
use leerpad_core::{ItemBody, Quiz};
use leerpad_store::learning;
use serde::Deserialize;
use serde_json::json;

use crate::error::AppError;
use crate::progress::{act, enrolled, learner_state};
use crate::quiz_flow;
use crate::routes::course::course_card;
use crate::routes::item::attempt_seed;
use crate::state::AppState;
use crate::viewer::Viewer;

const OPENAPI: &str = include_str!("../../openapi.json");

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(openapi)
        .service(me)
        .service(courses)
        .service(course_progress)
        .service(mark_done)
        .service(save_reflection)
        .service(start_attempt)
        .service(submit_answer);
}

/// API errors as JSON: `{"error": "<code>", "message": "…"}`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match &self.0 {
            AppError::SignInRequired { .. } => StatusCode::UNAUTHORIZED,
            other => other.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let code = match &self.0 {
            AppError::NotFound => "not_found",
            AppError::SignInRequired { .. } => "unauthenticated",
            AppError::Forbidden => "forbidden",
            AppError::Csrf => "csrf",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::BadRequest(_) => "bad_request",
            AppError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "API request failed: the database is unavailable");
                "unavailable"
            }
            AppError::Internal(detail) => {
                tracing::error!(error = %detail, "API request failed");
                "internal"
            }
        };
        let message = match &self.0 {
            AppError::Internal(_) => "something went wrong on our side".to_string(),
            AppError::Unavailable(_) => {
                "temporarily unavailable: nothing of this request was saved, nothing saved before is lost; try again shortly".to_string()
            }
            other => other.to_string(),
        };
        let mut res = HttpResponse::build(self.status_code());
        if let Some(wait) = self.0.retry_after() {
            res.insert_header((actix_web::http::header::RETRY_AFTER, wait.to_string()));
        }
        res.json(json!({ "error": code, "message": message }))
    }
}

pub(crate) type ApiResult = Result<HttpResponse, ApiError>;

pub(crate) fn user(viewer: &Viewer) -> Result<leerpad_store::accounts::User, ApiError> {
    viewer
        .user
        .clone()
        .ok_or(ApiError(AppError::SignInRequired { next: "/".into() }))
}

pub(crate) fn check_csrf(
    state: &AppState,
    viewer: &Viewer,
    req: &HttpRequest,
) -> Result<(), ApiError> {
    let token = req
        .headers()
        .get("X-CSRF-Token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    viewer.check_csrf(state, token).map_err(ApiError)
}

#[get("/api/v1/openapi.json")]
async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI)
}

#[get("/api/v1/me")]
async fn me(viewer: Viewer) -> ApiResult {
    let u = user(&viewer)?;
    Ok(HttpResponse::Ok().json(json!({
        "id": u.id, "email": u.email, "name": u.display_name, "role": u.role, "language": u.language,
        "csrf_token": viewer.csrf_token,
    })))
}

#[get("/api/v1/courses")]
async fn courses(state: web::Data<AppState>, viewer: Viewer) -> ApiResult {
    let u = user(&viewer)?;
    let uid = u.id;
    let enrolments = state.db(move |c| learning::enrolments_of(c, uid)).await?;
    let mut out = Vec::new();
    for served in state.courses.all(&state).await? {
        let id = served.course.id.to_string();
        let enrolment = enrolments.iter().find(|e| e.course_id == id);
        if served.course.visibility == leerpad_core::Visibility::Hidden && enrolment.is_none() {
            continue;
        }
        let mut card = course_card(&served.course);
        if enrolment.is_some() {
            let p = progress(&served.course, &learner_state(&state, uid, &id).await?);
            card["progress"] = json!({ "percent": p.percent, "done": p.done, "total": p.total, "complete": p.complete });
        }
        card["enrolled"] = json!(enrolment.is_some());
        out.push(card);
    }
    Ok(HttpResponse::Ok().json(out))
}

#[get("/api/v1/courses/{course}/progress")]
async fn course_progress(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
) -> ApiResult {
    let u = user(&viewer)?;
    let course_id = path.into_inner();
    let (served, enrolment) = enrolled(&state, &u, &course_id).await?;
    let ls = learner_state(&state, u.id, &course_id).await?;
    let p = progress(&served.course, &ls);
    let items: Vec<_> = served
        .course
        .items()
        .map(|(m, i)| json!({ "id": i.id, "module": m.id, "kind": i.kind(), "title": i.title, "done": is_done(&served.course.completion, &ls, i) }))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "course": course_id,
        "percent": p.percent, "done": p.done, "total": p.total, "complete": p.complete,
        "next_item": p.next_item, "deadline": enrolment.deadline, "completed_at": enrolment.completed_at,
        "items": items,
    })))
}

#[derive(Deserialize)]
struct DoneBody {
    done: bool,
}

#[post("/api/v1/courses/{course}/items/{item}/done")]
async fn mark_done(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<DoneBody>,
) -> ApiResult {
    check_csrf(&state, &viewer, &req)?;
    let u = user(&viewer)?;
    let (course_id, item_id) = path.into_inner();
    let (served, _) = enrolled(&state, &u, &course_id).await?;
    let item = served
        .course
        .items()
        .map(|(_, i)| i)
        .find(|i| i.id.as_str() == item_id)
        .ok_or(AppError::NotFound)?;
    if !matches!(item.body, ItemBody::Lesson(_)) {
        return Err(AppError::BadRequest("only lessons are marked done".into()).into());
    }
    let (uid, cid, iid, done, now) = (
        u.id,
        course_id.clone(),
        item_id.clone(),
        body.done,
        state.clock.now(),
    );
    let ((), p) = act(&state, &u, &served, move |c| {
        learning::set_lesson_done(c, uid, &cid, &iid, done, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(
        json!({ "item": item_id, "done": done, "percent": p.percent, "complete": p.complete }),
    ))
}

#[derive(Deserialize)]
struct ReflectionBody {
    answer: String,
}

/// Saves a reflection's answer (the lesson page saves drafts this way as one types).
#[post("/api/v1/courses/{course}/items/{item}/reflections/{reflection}")]
async fn save_reflection(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
    body: web::Json<ReflectionBody>,
) -> ApiResult {
    check_csrf(&state, &viewer, &req)?;
    let u = user(&viewer)?;
    let (course_id, item_id, reflection_id) = path.into_inner();
    crate::routes::item::save_one_reflection(
        &state,
        &u,
        &course_id,
        &item_id,
        &reflection_id,
        &body.answer,
    )
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "reflection": reflection_id, "saved": true })))
}

fn quiz<'c>(served: &'c crate::state::Served, item_id: &str) -> Result<&'c Quiz, ApiError> {
    match served
        .course
        .items()
        .map(|(_, i)| i)
        .find(|i| i.id.as_str() == item_id)
        .map(|i| &i.body)
    {
        Some(ItemBody::Quiz(q)) => Ok(q),
        _ => Err(AppError::NotFound.into()),
    }
}

#[post("/api/v1/courses/{course}/quizzes/{quiz}/attempts")]
async fn start_attempt(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> ApiResult {
    check_csrf(&state, &viewer, &req)?;
    let u = user(&viewer)?;
    let (course_id, item_id) = path.into_inner();
    let (served, _) = enrolled(&state, &u, &course_id).await?;
    let q = quiz(&served, &item_id)?;
    let attempt = quiz_flow::start(&state, &u, &served, q, &item_id).await?;
    let questions: Vec<_> = attempt
        .questions()
        .iter()
        .filter_map(|id| q.pools.iter().flat_map(|p| &p.questions).find(|x| x.id.as_str() == id))
        .map(|x| json!({ "id": x.id, "prompt_html": x.prompt_html, "points": x.points, "answer_type": Answer::type_name_for(&x.answer), "question": strip_answers(x, attempt_seed(&attempt), q.shuffle_options) }))
        .collect();
    Ok(HttpResponse::Created().json(
        json!({ "attempt": attempt.id, "version": attempt.version_id, "questions": questions }),
    ))
}

/// A question without what would give the answer away (which options are correct).
fn strip_answers(q: &leerpad_core::Question, seed: u64, shuffle: bool) -> serde_json::Value {
    use leerpad_core::QuestionKind as K;
    match &q.answer {
        K::SingleChoice { options } | K::MultipleResponse { options } => {
            json!({ "options": grading::option_order(q, shuffle, seed).iter().map(|&i| json!({ "index": i, "html": options[i].text_html })).collect::<Vec<_>>() })
        }
        K::TrueFalse { .. } => json!({}),
        K::Matching { pairs, .. } => json!({
            "left": pairs.iter().map(|p| &p.left_html).collect::<Vec<_>>(),
            "right": grading::option_order(q, shuffle, seed).iter().map(|&i| json!({ "index": i, "html": pairs[i].right_html })).collect::<Vec<_>>(),
        }),
        K::Ordering { items_html, .. } => json!({
            "items": grading::option_order(q, shuffle, seed).iter().map(|&i| json!({ "index": i, "html": items_html[i] })).collect::<Vec<_>>(),
        }),
        K::ShortAnswer { .. } => json!({}),
    }
}

#[derive(Deserialize)]
struct AnswerBody {
    question: String,
    answer: Answer,
}

#[post("/api/v1/courses/{course}/quizzes/{quiz}/attempts/{attempt}/answers")]
async fn submit_answer(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<(String, String, i32)>,
    body: web::Json<AnswerBody>,
) -> ApiResult {
    check_csrf(&state, &viewer, &req)?;
    let u = user(&viewer)?;
    let (course_id, item_id, attempt_id) = path.into_inner();
    enrolled(&state, &u, &course_id).await?;
    let attempt = state
        .db(move |c| learning::attempt(c, attempt_id))
        .await?
        .filter(|a| a.user_id == u.id && a.course_id == course_id && a.item_id == item_id)
        .ok_or(AppError::NotFound)?;
    if attempt.submitted_at.is_some() {
        return Err(AppError::BadRequest("this attempt is finished".into()).into());
    }
    let served = state.courses.version(&state, attempt.version_id).await?;
    let q = quiz(&served, &item_id)?;
    let answered = quiz_flow::answer(&state, &u, &attempt, q, &body.question, &body.answer).await?;
    if !answered.saved {
        return Err(AppError::BadRequest("that question was answered already".into()).into());
    }
    let (result, finished) = (
        answered.result,
        answered.score.map(|s| json!({ "points": s.points, "max_points": s.max_points, "percent": s.percent, "passed": s.passed })),
    );
    Ok(HttpResponse::Ok().json(json!({ "result": result, "finished": finished })))
}
