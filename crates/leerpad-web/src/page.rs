//! Rendering pages, and reading forms with their CSRF token checked.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::viewer::Viewer;

/// Notices a page may show after a redirect (`?notice=…`); only these keys.
const NOTICES: &[&str] = &[
    "link-sent",
    "signed-out",
    "registered",
    "verified",
    "password-changed",
    "reset-sent",
    "saved",
    "enrolled",
    "invited",
    "account-disabled",
    "account-enabled",
    "account-deleted",
    "organisation-created",
    "assigned",
    "unassigned",
    "member-updated",
    "deadline-changed",
    "member-removed",
    "token-revoked",
];

/// Renders `template` with `ctx` plus what every page needs: the language, the
/// viewer, the CSRF token, the current path and a notice.
pub fn render(
    state: &AppState,
    viewer: &Viewer,
    req: &HttpRequest,
    template: &str,
    ctx: Value,
) -> AppResult<HttpResponse> {
    let notice = web::Query::<NoticeQuery>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.notice.clone())
        .filter(|n| NOTICES.contains(&n.as_str()));
    let user = viewer.user.as_ref().map(|u| {
        json!({ "id": u.id, "name": u.display_name, "email": u.email, "role": u.role, "language": u.language })
    });
    let mut full = json!({
        "lang": viewer.lang,
        "user": user,
        "csrf": viewer.csrf_token,
        "path": req.path(),
        "notice": notice,
        "registration_open": state.config.registration == crate::config::Registration::Open,
    });
    if let (Value::Object(base), Value::Object(extra)) = (&mut full, ctx) {
        base.extend(extra);
    }
    let html = state.templates.get_template(template)?.render(&full)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html))
}

#[derive(Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

/// A redirect after a successful form (303, so the browser GETs the target).
pub fn see_other(location: impl Into<String>) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.into()))
        .finish()
}

/// Only local paths may be redirect targets (no open redirects).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}

/// An urlencoded form whose `csrf` field has been checked against the browser's
/// CSRF cookie. Fails with 403 when it does not match.
pub struct CsrfForm<T>(pub T);

/// A form with nothing but its CSRF token (a button).
#[derive(Deserialize)]
pub struct NoFields {}

#[derive(Deserialize)]
struct CsrfField {
    csrf: Option<String>,
}

const FORM_LIMIT: usize = 64 * 1024;

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let is_form = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
            if !is_form {
                return Err(AppError::BadRequest("expected a form".into()));
            }
            let bytes = body
                .await
                .map_err(|_| AppError::BadRequest("the form could not be read".into()))?;
            if bytes.len() > FORM_LIMIT {
                return Err(AppError::BadRequest("the form is too large".into()));
            }
            let viewer = Viewer::extract(&req).await?;
            let state = req
                .app_data::<web::Data<AppState>>()
                .expect("AppState is registered");
            let token = serde_urlencoded::from_bytes::<CsrfField>(&bytes)
                .ok()
                .and_then(|f| f.csrf)
                .ok_or(AppError::Csrf)?;
            viewer.check_csrf(state, &token)?;
            serde_urlencoded::from_bytes::<T>(&bytes)
                .map(CsrfForm)
                .map_err(|e| AppError::BadRequest(format!("the form is not valid: {e}")))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn redirects_stay_on_the_site() {
        assert_eq!(safe_next(Some("/courses/x")), "/courses/x");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
