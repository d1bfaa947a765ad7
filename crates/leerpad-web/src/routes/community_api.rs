//! The learning community in the JSON API (`/api/v1/community/…`): the same
//! spaces, threads and flows as the pages, for a signed-in session (changes with
//! the page's CSRF token in `X-CSRF-Token`). A refused action answers 422 with
//! `{"error": "refused", "refusal": "<text key>"}`; what one may not read, 404.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use leerpad_app::community::{views, InSpace, ThreadInput};
use leerpad_app::Refusal;
use leerpad_store::community as store;
use serde::Deserialize;
use serde_json::json;

use crate::error::AppError;
use crate::routes::api::{check_csrf, user, ApiError, ApiResult};
use crate::routes::community::{post_json, space_kind, space_names};
use crate::state::AppState;
use crate::viewer::Viewer;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(spaces)
        .service(threads)
        .service(start_thread)
        .service(accept_guidelines)
        .service(get_thread)
        .service(reply)
        .service(report);
}

fn refusal(r: Refusal) -> HttpResponse {
    HttpResponse::UnprocessableEntity().json(json!({ "error": "refused", "refusal": r.key() }))
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<i64>,
}

fn page(req: &HttpRequest) -> i64 {
    web::Query::<PageQuery>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.page)
        .unwrap_or(1)
        .clamp(1, 100_000)
}

async fn open(state: &AppState, viewer: &Viewer, segment: &str) -> Result<InSpace, ApiError> {
    let u = user(viewer)?;
    let kind = space_kind(state, segment).await?;
    let now = state.clock.now();
    Ok(state
        .db(move |c| InSpace::open(c, &u, &kind, now))
        .await?
        .ok_or(AppError::NotFound)?)
}

#[get("/api/v1/community/spaces")]
async fn spaces(state: web::Data<AppState>, viewer: Viewer) -> ApiResult {
    let u = user(&viewer)?;
    let now = state.clock.now();
    let out = state
        .db(move |c| {
            let mut out = Vec::new();
            for kind in store::candidate_spaces(c, &u)? {
                if let Some(at) = InSpace::open(c, &u, &kind, now)? {
                    let (segment, title) = space_names(c, at.space())?;
                    out.push(json!({
                        "space": segment, "kind": kind.name(), "title": title,
                        "may_post": at.access().post, "moderates": at.access().moderate,
                    }));
                }
            }
            Ok(out)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "spaces": out })))
}

#[get("/api/v1/community/spaces/{space}/threads")]
async fn threads(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<String>,
) -> ApiResult {
    let at = open(&state, &viewer, &path).await?;
    let p = page(&req);
    let segment = path.into_inner();
    let view = state.db(move |c| views::space(c, &at, p)).await?;
    Ok(HttpResponse::Ok().json(json!({
        "space": segment,
        "page": view.page, "pages": view.pages, "total": view.total,
        "accepted_guidelines": view.accepted_guidelines,
        "threads": view.threads.iter().map(|t| json!({
            "id": t.thread.id, "title": t.thread.title, "author": t.author,
            "question": t.thread.question, "answered": t.thread.accepted_post_id.is_some(),
            "locked": t.thread.locked_at.is_some(), "pinned": t.thread.pinned_at.is_some(),
            "replies": t.replies, "unread": t.unread,
            "last_post_at": t.thread.last_post_at.and_utc().to_rfc3339(),
        })).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize)]
struct NewThreadBody {
    title: String,
    body: String,
    #[serde(default)]
    question: bool,
    #[serde(default)]
    answer_first: bool,
}

#[post("/api/v1/community/spaces/{space}/threads")]
async fn start_thread(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<NewThreadBody>,
) -> ApiResult {
    check_csrf(&state, &viewer, &req)?;
    let at = open(&state, &viewer, &path).await?;
    let b = body.into_inner();
    let input = ThreadInput {
        title: b.title,
        body: b.body,
        question: b.question,
        answer_first: b.answer_first,
    };
    let (community, now) = (state.community(), state.clock.now());
    let started = state
        .flow(move |c| community.start_thread(c, &at, &input, None, now))
        .await?;
    match started {
        Ok(p) => {
            state.mail.wake();
            Ok(HttpResponse::Created().json(json!({
                "thread": p.thread_id, "post": p.post_id, "held": p.held,
            })))
        }
        Err(r) => Ok(refusal(r)),
    }
}

#[post("/api/v1/community/spaces/{space}/guidelines")]
async fn accept_guidelines(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<String>,
) -> ApiResult {
    check_csrf(&state, &viewer, &req)?;
    let at = open(&state, &viewer, &path).await?;
    let (community, now) = (state.community(), state.clock.now());
    state
        .flow(move |c| community.accept_guidelines(c, &at, now))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "accepted": true })))
}

#[get("/api/v1/community/threads/{id}")]
async fn get_thread(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<i32>,
) -> ApiResult {
    let u = user(&viewer)?;
    let (uid, now, p, id) = (u.id, state.clock.now(), page(&req), *path);
    let view = state
        .db(move |c| {
            let Some((at, thread)) = InSpace::of_thread(c, &u, id, now)? else {
                return Ok(None);
            };
            let (segment, _) = space_names(c, at.space())?;
            Ok(views::thread(c, &at, &thread, p)?.map(|v| (v, segment)))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let (v, segment) = view;
    let accepted = v.thread.accepted_post_id;
    Ok(HttpResponse::Ok().json(json!({
        "id": v.thread.id, "space": segment, "title": v.thread.title,
        "question": v.thread.question, "answer_first": v.thread.answer_first,
        "locked": v.thread.locked_at.is_some(), "pinned": v.thread.pinned_at.is_some(),
        "accepted": accepted, "following": v.following,
        "answer_first_pending": v.answer_first_pending,
        "opening": post_json(&v.opening, uid, accepted, &v.experts),
        "replies": v.replies.iter().map(|r| post_json(r, uid, accepted, &v.experts)).collect::<Vec<_>>(),
        "total_replies": v.total_replies, "page": v.page, "pages": v.pages,
    })))
}

#[derive(Deserialize)]
struct ReplyBody {
    body: String,
}

#[post("/api/v1/community/threads/{id}/replies")]
async fn reply(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<i32>,
    body: web::Json<ReplyBody>,
) -> ApiResult {
    check_csrf(&state, &viewer, &req)?;
    let u = user(&viewer)?;
    let (community, now, id, text) = (
        state.community(),
        state.clock.now(),
        *path,
        body.into_inner().body,
    );
    let posted = state
        .flow(move |c| {
            let Some((at, thread)) = InSpace::of_thread(c, &u, id, now)? else {
                return Ok(None);
            };
            community.reply(c, &at, &thread, &text, now).map(Some)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    match posted {
        Ok(p) => {
            state.mail.wake();
            Ok(HttpResponse::Created().json(json!({
                "thread": p.thread_id, "post": p.post_id, "held": p.held,
            })))
        }
        Err(r) => Ok(refusal(r)),
    }
}

#[derive(Deserialize)]
struct ReportBody {
    reason: String,
}

#[post("/api/v1/community/posts/{id}/report")]
async fn report(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<i32>,
    body: web::Json<ReportBody>,
) -> ApiResult {
    check_csrf(&state, &viewer, &req)?;
    let u = user(&viewer)?;
    let (community, now, id, reason) = (
        state.community(),
        state.clock.now(),
        *path,
        body.into_inner().reason,
    );
    let done = state
        .flow(move |c| {
            let Some((at, _, post)) = InSpace::of_post(c, &u, id, now)? else {
                return Ok(None);
            };
            community.report(c, &at, &post, &reason, now).map(Some)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    match done {
        Ok(hidden) => Ok(HttpResponse::Ok().json(json!({ "reported": true, "hidden": hidden }))),
        Err(r) => Ok(refusal(r)),
    }
}
