//! Cross-site request forgery: every form that changes something carries a token
//! tied to this browser's CSRF cookie (`Viewer::check_csrf`); the JSON API wants
//! it in `X-CSRF-Token`.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;

use crate::security::random_token;

pub const CSRF_COOKIE: &str = "lp_csrf";

/// The browser's CSRF cookie value, and whether it is new (to be set).
pub fn browser_csrf(req: &HttpRequest) -> (String, bool) {
    match req.cookie(CSRF_COOKIE) {
        Some(c) if c.value().len() >= 16 => (c.value().to_string(), false),
        _ => (random_token(24), true),
    }
}

/// The browser's CSRF cookie, which form tokens are tied to.
pub fn csrf_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(CSRF_COOKIE, value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish()
}
