//! Static theme files, the health check, and the page for paths no route knows.

use actix_web::http::{header, StatusCode};
use actix_web::{get, web, HttpRequest, HttpResponse, ResponseError};
use serde_json::json;

use crate::error::{AppError, AppResult};
use crate::page::render;
use crate::routes::api::ApiError;
use crate::state::AppState;
use crate::viewer::Viewer;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(static_file)
        .service(health)
        .default_service(web::to(not_found));
}

/// Any path no route knows: the not-found page in the viewer's language and with
/// the site's menu (JSON under `/api/`), rather than an empty 404.
async fn not_found(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    if req.path().starts_with("/api/") {
        return Ok(ApiError::from(AppError::NotFound).error_response());
    }
    let mut res = render(
        &state,
        &viewer,
        &req,
        "error.html.j2",
        json!({ "key": "error.not-found", "status": 404 }),
    )?;
    *res.status_mut() = StatusCode::NOT_FOUND;
    Ok(res)
}

#[get("/static/{path:.*}")]
async fn static_file(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let path = path.into_inner();
    let bytes = state
        .theme
        .file(&format!("static/{path}"))
        .ok_or(AppError::NotFound)?;
    let etag = format!(
        "\"{}\"",
        &leerpad_core::ContentHash::of_bytes(&bytes).as_str()[..16]
    );
    if req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return Ok(HttpResponse::NotModified().finish());
    }
    let mime = mime_guess::from_path(&path).first_or_octet_stream();
    Ok(HttpResponse::Ok()
        .content_type(mime.essence_str())
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(bytes))
}

/// For load balancers: 200 when the database answers, 503 when it does not. While
/// the database is known to be unreachable this answers at once (and tries the
/// database again in the background), so a load balancer's check never hangs.
#[get("/healthz")]
async fn health(state: web::Data<AppState>) -> HttpResponse {
    let answer = if state.db.seems_down() {
        let db = state.db.clone();
        // Not awaited: the next check sees whether the database is back.
        drop(web::block(move || db.conn().map(drop)));
        Err(())
    } else {
        state
            .db(|c| leerpad_store::publish::serving_versions(c).map(|_| ()))
            .await
            .map_err(drop)
    };
    match answer {
        Ok(()) => HttpResponse::Ok().content_type("text/plain").body("ok"),
        Err(()) => HttpResponse::ServiceUnavailable()
            .insert_header((
                header::RETRY_AFTER,
                crate::error::RETRY_AFTER_SECONDS.to_string(),
            ))
            .content_type("text/plain")
            .body("the database is unavailable"),
    }
}
