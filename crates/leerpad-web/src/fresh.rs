//! Learners read their own writes, on any instance, without sticky sessions.
//!
//! Instances keep what they read of a learner's records for a moment
//! (`state::LearnerCache`). A change a learner makes through one instance is not
//! seen by the others' copies, so after saving a reflection through instance A, a
//! page from instance B could show the old answer. To prevent that, every request
//! that changes something for a signed-in person gives their browser a new random
//! *write mark* in a cookie, set on the response, after the change was committed.
//! A cached copy is used only for requests carrying the mark it was read under: the
//! next page after a change, from whichever instance, reads the database again.
//! Requests that only read keep the mark, and the cache keeps serving them. The
//! same goes for the sessions an instance trusts for a few seconds
//! (`state::SessionCache`), which hold the learner's name and language.

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest};

use crate::session::SESSION_COOKIE;
use crate::state::AppState;

/// The cookie holding the browser's write mark.
pub const WRITE_MARK_COOKIE: &str = "lp_w";

/// The write mark a request carries (0: none yet).
pub fn mark(req: &HttpRequest) -> u64 {
    mark_of(req.cookie(WRITE_MARK_COOKIE))
}

/// The write mark in the cookie, if the request had one (0: none yet).
pub fn mark_of(cookie: Option<Cookie<'_>>) -> u64 {
    cookie
        .and_then(|c| u64::from_str_radix(c.value(), 16).ok())
        .unwrap_or(0)
}

/// Middleware: a new write mark after every successful change by a signed-in
/// person (any method but GET, HEAD and OPTIONS, answered with a success or a
/// redirect).
pub async fn stamp(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let changes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        && req.cookie(SESSION_COOKIE).is_some();
    let secure = changes
        && req
            .app_data::<web::Data<AppState>>()
            .is_some_and(|s| s.config.secure_cookies());
    let mut res = next.call(req).await?;
    let status = res.status();
    if changes && (status.is_success() || status.is_redirection()) {
        let cookie = Cookie::build(WRITE_MARK_COOKIE, format!("{:x}", rand::random::<u64>()))
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Lax)
            .finish();
        res.response_mut().add_cookie(&cookie)?;
    }
    Ok(res)
}
