//! Rendering pages, and reading forms with their CSRF token checked.

use std::future::Future;
use std::pin::Pin;

use actix_web::body::BoxBody;
use actix_web::dev::{Payload, ServiceResponse};
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use leerpad_core::Role;
use minijinja::{context, Value};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

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
    "joined",
    "declined",
    "role-changed",
    "calendar-renewed",
    "email-retried",
    "post-held",
    "guidelines-accepted",
    "following",
    "not-following",
    "answer-accepted",
    "moderated",
    "post-edited",
    "post-deleted",
    "post-reported",
    "restricted",
    "lifted",
    "expert-added",
    "expert-removed",
];

/// Renders `template` with `ctx` plus what every page needs: the language, the
/// viewer, the CSRF token, the current path and a notice. `ctx` is usually a
/// `json!` object; a page on a hot path can pass a struct, which goes into the
/// template without an intermediate JSON tree. Its values win over the common ones.
pub fn render(
    state: &AppState,
    viewer: &Viewer,
    req: &HttpRequest,
    template: &str,
    ctx: impl Serialize,
) -> AppResult<HttpResponse> {
    let notice = web::Query::<NoticeQuery>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.notice.clone())
        .filter(|n| NOTICES.contains(&n.as_str()));
    // What the menu shows, decided here once rather than by list tests in every
    // page's template.
    let user = viewer.user.as_ref().map(|u| {
        let role = u.role();
        context! {
            id => u.id, name => &u.display_name, email => &u.email, role => &u.role,
            language => &u.language,
            trains => matches!(role, Role::Trainer | Role::Admin),
            coordinates => matches!(role, Role::Coordinator | Role::Admin),
        }
    });
    let common: [(&str, Value); 6] = [
        ("lang", Value::from(viewer.lang)),
        ("user", Value::from(user)),
        ("csrf", Value::from(viewer.csrf_token.as_str())),
        ("path", Value::from(req.path())),
        ("notice", Value::from(notice)),
        (
            "registration_open",
            Value::from(state.config.accounts.registration == crate::config::Registration::Open),
        ),
    ];
    // One map (templates look names up in it many times): the common values, then
    // the page's, which win.
    let page = Value::from_serialize(&ctx);
    let own = page
        .try_iter()
        .into_iter()
        .flatten()
        .filter_map(|key| page.get_item(&key).ok().map(|v| (key, v)));
    let full: Value = common
        .into_iter()
        .map(|(k, v)| (Value::from(k), v))
        .chain(own)
        .collect();
    let html = state.templates.get_template(template)?.render(full)?;
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

/// Only paths on this site may be redirect targets (no open redirects). `next` is
/// parsed as a URL relative to the site: anything with control characters or
/// backslashes (which browsers drop or turn into slashes), a scheme or a host of its
/// own is refused, and what is returned is the parsed path, query and fragment, so
/// the browser cannot read it differently.
pub fn safe_next(next: Option<&str>) -> String {
    const SITE: &str = "http://leerpad.invalid";
    let local = || -> Option<String> {
        let n = next?;
        if !n.starts_with('/') || n.starts_with("//") {
            return None;
        }
        if n.chars().any(|c| c.is_control() || c == '\\') {
            return None;
        }
        let base = url::Url::parse(SITE).ok()?;
        let url = base.join(n).ok()?;
        if url.origin() != base.origin() || !url.username().is_empty() {
            return None;
        }
        let mut out = url.path().to_string();
        if let Some(q) = url.query() {
            out.push('?');
            out.push_str(q);
        }
        if let Some(f) = url.fragment() {
            out.push('#');
            out.push_str(f);
        }
        (out.starts_with('/') && !out.starts_with("//")).then_some(out)
    };
    local().unwrap_or_else(|| "/".to_string())
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

/// An error page (from an [`AppError`]) rendered again for the person asking: in
/// their language, with their menu. API errors (JSON) and redirects are left alone.
pub(crate) fn error_page_for_viewer(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let Some(err) = res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>())
    else {
        return res;
    };
    if matches!(err, AppError::SignInRequired { .. }) {
        return res;
    }
    let (key, seconds) = err.page();
    let status = res.status();
    let Some(viewer) = res.request().extensions().get::<Viewer>().cloned() else {
        return res;
    };
    let Some(state) = res
        .request()
        .app_data::<actix_web::web::Data<AppState>>()
        .cloned()
    else {
        return res;
    };
    let ctx = serde_json::json!({ "status": status.as_u16(), "key": key, "seconds": seconds });
    match render(&state, &viewer, res.request(), "error.html.j2", ctx) {
        Ok(mut page) => {
            *page.status_mut() = status;
            if let Some(wait) = err.retry_after() {
                page.headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from(wait));
            }
            res.into_response(page).map_into_boxed_body()
        }
        Err(_) => res,
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
        assert_eq!(safe_next(Some("/\t/evil.example")), "/");
        assert_eq!(safe_next(Some("/\n/evil.example")), "/");
        assert_eq!(safe_next(Some("/ /evil.example")), "/%20/evil.example");
        assert_eq!(safe_next(Some("/./\\evil")), "/");
        assert_eq!(safe_next(Some("/../../x?y=1#z")), "/x?y=1#z");
        assert_eq!(safe_next(Some("javascript:alert(1)")), "/");
        assert_eq!(safe_next(Some("/courses/x?tab=2")), "/courses/x?tab=2");
    }
}
