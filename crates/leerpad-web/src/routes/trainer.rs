//! Trainers' pages: the courses they author (`/trainer`), and per course its
//! published versions and its learners in numbers (`/trainer/{course}`); the same
//! figures over the JSON API (`/api/v1/trainer/courses…`).
//!
//! A course's authors are the addresses in its `course.yaml` (`authors:`). A trainer
//! sees a course when their verified address is one of its authors; administrators
//! see every course. Everyone else gets "not found", so these pages reveal no course
//! beyond what the catalogue shows. The figures are counts only: no learner's name or
//! address is read here.

use actix_web::{get, web, HttpRequest, HttpResponse};
use leerpad_core::Role;
use leerpad_store::accounts::User;
use leerpad_store::authoring::{self, CourseSummary, ItemRow, VersionSummary};
use serde_json::{json, Value};

use crate::error::{AppError, AppResult};
use crate::page::render;
use crate::routes::api::ApiError;
use crate::routes::report_api::caller;
use crate::state::AppState;
use crate::viewer::{SignedIn, Viewer};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(course)
        .service(api_list)
        .service(api_course);
}

/// Whose courses `user` sees: `None` for all of them (administrators), their own
/// verified address for trainers; anyone else sees none ("not found").
fn scope(user: &User) -> AppResult<Option<String>> {
    match user.role() {
        Role::Admin => Ok(None),
        Role::Trainer if user.email_verified_at.is_some() => Ok(Some(user.email.clone())),
        // A trainer whose address is not verified yet authors nothing (yet).
        Role::Trainer => Ok(Some(String::new())),
        _ => Err(AppError::NotFound),
    }
}

/// The courses `user` may follow as a trainer, each with its current version and
/// learners in numbers.
pub async fn courses_for(state: &AppState, user: &User) -> AppResult<Vec<CourseSummary>> {
    let email = scope(user)?;
    state
        .db(move |c| {
            let ids = match email.as_deref() {
                Some("") => Vec::new(),
                other => authoring::courses_of(c, other)?,
            };
            let mut out = Vec::new();
            for id in ids {
                out.extend(authoring::summary(c, &id)?);
            }
            Ok(out)
        })
        .await
}

/// One course as its author (or an administrator) sees it.
pub struct AuthoredCourse {
    pub summary: CourseSummary,
    pub versions: Vec<VersionSummary>,
    pub items: Vec<ItemRow>,
}

/// The course `course_id` if `user` authors it (any course for administrators);
/// otherwise "not found".
pub async fn authored(state: &AppState, user: &User, course_id: &str) -> AppResult<AuthoredCourse> {
    let email = scope(user)?;
    let id = course_id.to_string();
    state
        .db(move |c| {
            if let Some(email) = &email {
                if email.is_empty() || !authoring::is_author(c, &id, email)? {
                    return Ok(None);
                }
            }
            let Some(summary) = authoring::summary(c, &id)? else {
                return Ok(None);
            };
            Ok(Some(AuthoredCourse {
                summary,
                versions: authoring::versions(c, &id)?,
                items: authoring::items(c, &id)?,
            }))
        })
        .await?
        .ok_or(AppError::NotFound)
}

/// A course in the list, for pages and the API alike.
fn course_json(s: &CourseSummary) -> Value {
    json!({
        "id": s.course.id.as_str(),
        "title": s.course.title,
        "language": s.course.language.code(),
        "version": s.version,
        "published_at": s.published_at,
        "archived": s.archived,
        "learners": {
            "enrolled": s.learners.enrolled,
            "started": s.learners.started,
            "completed": s.learners.completed,
            "completion_rate": s.learners.completion_rate(),
        },
    })
}

/// A course with its versions and items, for pages and the API alike.
fn detail_json(a: &AuthoredCourse) -> Value {
    let mut out = course_json(&a.summary);
    out["versions"] = a
        .versions
        .iter()
        .map(|v| {
            json!({
                "version": v.version,
                "published_at": v.published_at,
                "current": v.current,
                "items": v.items,
                "changes": {
                    "added": v.changes.added,
                    "changed": v.changes.changed,
                    "moved": v.changes.moved,
                    "removed": v.changes.removed,
                },
            })
        })
        .collect();
    out["items"] = a
        .items
        .iter()
        .map(|i| {
            json!({
                "id": i.item_id,
                "kind": i.kind,
                "module": i.module_id,
                "title": i.title,
                "reached": i.figures.reached,
                "finished": i.figures.finished,
            })
        })
        .collect();
    out
}

#[get("/trainer")]
async fn list(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let courses = courses_for(&state, &who.user).await?;
    let rows: Vec<Value> = courses.iter().map(course_json).collect();
    render(
        &state,
        &who.viewer,
        &req,
        "trainer-courses.html.j2",
        json!({ "courses": rows, "all": who.user.role() == Role::Admin }),
    )
}

#[get("/trainer/{course}")]
async fn course(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let a = authored(&state, &who.user, &path).await?;
    render(
        &state,
        &who.viewer,
        &req,
        "trainer-course.html.j2",
        json!({ "course": detail_json(&a) }),
    )
}

#[get("/api/v1/trainer/courses")]
async fn api_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Viewer,
) -> Result<HttpResponse, ApiError> {
    let user = caller(&state, &req, &viewer).await?;
    let courses = courses_for(&state, &user).await?;
    Ok(HttpResponse::Ok().json(json!({
        "courses": courses.iter().map(course_json).collect::<Vec<_>>(),
    })))
}

#[get("/api/v1/trainer/courses/{course}")]
async fn api_course(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = caller(&state, &req, &viewer).await?;
    let a = authored(&state, &user, &path).await?;
    Ok(HttpResponse::Ok().json(detail_json(&a)))
}
