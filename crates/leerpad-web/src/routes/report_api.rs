//! Completion reports over the JSON API, for coordinators' scripts and BI tools:
//! `/api/v1/organisations` and `/api/v1/organisations/{slug}/report`, with the same
//! filters as the dashboard and the same formats as its downloads.
//!
//! A caller authenticates with an API token (`Authorization: Bearer <token>`, see
//! `api_tokens.rs`) or, from a browser, with their session. Either way they see
//! only the organisations they coordinate.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use leerpad_store::accounts::{self, User};
use leerpad_store::api_tokens;
use serde_json::json;

use crate::error::AppError;
use crate::reports;
use crate::routes::api::ApiError;
use crate::routes::organisations::{
    coordinated, export_format, param, query_of, visible_organisations,
};
use crate::state::AppState;
use crate::viewer::Viewer;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(organisations).service(report);
}

/// The user behind a request: its bearer API token if it has an Authorization
/// header (a bad token is refused even if there is a session), else its session.
pub async fn caller(
    state: &AppState,
    req: &HttpRequest,
    viewer: &Viewer,
) -> Result<User, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return viewer
            .user
            .clone()
            .ok_or_else(|| ApiError::from(AppError::SignInRequired { next: "/".into() }));
    };
    let unauthenticated = || ApiError::from(AppError::SignInRequired { next: "/".into() });
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(unauthenticated)?;
    let claims = state
        .keys
        .verify_api(token.trim())
        .ok_or_else(unauthenticated)?;
    let user_id: i32 = claims.sub.parse().map_err(|_| unauthenticated())?;
    let now = state.clock.now();
    let user = state
        .db(move |c| {
            let Some(record) = api_tokens::get(c, &claims.jti)? else {
                return Ok(None);
            };
            if record.user_id != user_id || !record.is_usable(now) {
                return Ok(None);
            }
            let user = accounts::user(c, user_id)?.filter(|u| !u.is_disabled());
            if user.is_some() {
                api_tokens::touch(c, &record.id, now)?;
            }
            Ok(user)
        })
        .await?;
    user.ok_or_else(unauthenticated)
}

#[get("/api/v1/organisations")]
async fn organisations(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Viewer,
) -> Result<HttpResponse, ApiError> {
    let user = caller(&state, &req, &viewer).await?;
    let orgs = visible_organisations(&state, &user).await?;
    Ok(HttpResponse::Ok().json(json!({
        "organisations": orgs.iter().map(|o| json!({ "slug": o.slug, "name": o.name })).collect::<Vec<_>>(),
    })))
}

/// The report, filtered and sorted by the query parameters, as `format` = `json`
/// (default), `csv` (with `delimiter` `comma` or `semicolon`) or `xlsx`.
#[get("/api/v1/organisations/{slug}/report")]
async fn report(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = caller(&state, &req, &viewer).await?;
    let org = coordinated(&state, &user, &path).await?;
    let query = query_of(&req)?;
    let format = param(&req, "format").unwrap_or_else(|| "json".into());
    let format = export_format(&req, &format)?;
    let lang = if user.language == "en" { "en" } else { "nl" };
    Ok(reports::download(&state, org, query, format, lang))
}
