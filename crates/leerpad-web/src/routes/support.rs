//! Static theme files and the health check.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};

use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(static_file).service(health);
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

/// For load balancers: 200 when the database answers.
#[get("/healthz")]
async fn health(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    state
        .db(|c| leerpad_store::publish::serving_versions(c).map(|_| ()))
        .await?;
    Ok(HttpResponse::Ok().content_type("text/plain").body("ok"))
}
