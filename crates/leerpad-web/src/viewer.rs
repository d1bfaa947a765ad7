//! Who is asking: the session middleware and the extractors built on it.
//!
//! Every request passes `resolve`: it verifies the session cookie (a signed JWT),
//! checks the server-side session record (so sign-out and disabling an account take
//! effect at once on every instance), picks the language, and makes sure the browser
//! has a CSRF cookie. A session cookie older than `ROTATE_AFTER` is replaced by a
//! fresh one for a new session record with a later expiry; the old cookie stops
//! working seconds later, so a copied cookie dies with the next rotation.

use std::future::{ready, Ready};

use actix_web::body::MessageBody;
use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use chrono::{Duration, NaiveDateTime};
use leerpad_core::Role;
use leerpad_store::accounts::{rotate_session, session_user, User};

use crate::error::AppError;
use crate::security::{random_token, SessionClaims};
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "lp_session";
pub const CSRF_COOKIE: &str = "lp_csrf";
pub const LANG_COOKIE: &str = "lp_lang";
const ROTATE_AFTER_MINUTES: i64 = 10;

/// The person making the request, as far as we know.
#[derive(Clone)]
pub struct Viewer {
    pub user: Option<User>,
    pub session_id: Option<String>,
    pub lang: &'static str,
    /// The token forms must carry (tied to this browser's CSRF cookie).
    pub csrf_token: String,
    csrf_cookie: String,
}

impl Viewer {
    pub fn check_csrf(&self, state: &AppState, token: &str) -> Result<(), AppError> {
        if state.keys.csrf_matches(&self.csrf_cookie, token) {
            Ok(())
        } else {
            Err(AppError::Csrf)
        }
    }
}

impl FromRequest for Viewer {
    type Error = AppError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Viewer>()
                .cloned()
                .ok_or_else(|| AppError::Internal("session middleware is not installed".into())),
        )
    }
}

/// A signed-in user; other requests are sent to the sign-in page.
pub struct SignedIn {
    pub user: User,
    pub viewer: Viewer,
}

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let viewer = req.extensions().get::<Viewer>().cloned();
        ready(match viewer {
            Some(viewer) => match viewer.user.clone() {
                Some(user) => Ok(SignedIn { user, viewer }),
                None => Err(AppError::SignInRequired {
                    next: next_path(req),
                }),
            },
            None => Err(AppError::Internal(
                "session middleware is not installed".into(),
            )),
        })
    }
}

/// A signed-in administrator.
pub struct Admin(pub SignedIn);

impl FromRequest for Admin {
    type Error = AppError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, p: &mut Payload) -> Self::Future {
        ready(match SignedIn::from_request(req, p).into_inner() {
            Ok(s) if s.user.role() == Role::Admin => Ok(Admin(s)),
            Ok(_) => Err(AppError::Forbidden),
            Err(e) => Err(e),
        })
    }
}

fn next_path(req: &HttpRequest) -> String {
    match req.uri().path_and_query() {
        Some(pq) if req.method() == actix_web::http::Method::GET => pq.to_string(),
        _ => "/".into(),
    }
}

/// The session middleware; see the module documentation.
pub async fn resolve(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .expect("AppState is registered")
        .get_ref()
        .clone();
    let now = state.clock.now();

    let mut renewed: Option<String> = None;
    let mut expired_cookie = false;
    let (user, session_id) = match req.cookie(SESSION_COOKIE) {
        Some(cookie) => match state.keys.verify_session(cookie.value()) {
            Some(claims) if claims.exp > now.and_utc().timestamp() => {
                let mark = crate::fresh::mark_of(req.cookie(crate::fresh::WRITE_MARK_COOKIE));
                let user = match state.sessions.get(&claims.sid, mark) {
                    Some(u) => Some(u),
                    None => {
                        let sid = claims.sid.clone();
                        let found = state.db(move |c| session_user(c, &sid, now)).await?;
                        if let Some(u) = &found {
                            state.sessions.put(&claims.sid, mark, u.clone());
                        }
                        found
                    }
                };
                match user {
                    Some(u) if u.id.to_string() == claims.sub => {
                        let mut sid = claims.sid.clone();
                        if now.and_utc().timestamp() - claims.iat > ROTATE_AFTER_MINUTES * 60 {
                            // Best-effort, like recording a page view: when the
                            // database cannot write, the cookie is renewed later.
                            match rotate(&state, &claims, now).await {
                                Ok(Some((token, new_sid))) => {
                                    renewed = Some(token);
                                    sid = new_sid;
                                }
                                Ok(None) => {}
                                Err(e) => {
                                    tracing::warn!(error = %e, "the session cookie could not be renewed now")
                                }
                            }
                        }
                        (Some(u), Some(sid))
                    }
                    _ => {
                        expired_cookie = true;
                        (None, None)
                    }
                }
            }
            _ => {
                expired_cookie = true;
                (None, None)
            }
        },
        None => (None, None),
    };

    let (csrf_cookie_value, new_csrf) = match req.cookie(CSRF_COOKIE) {
        Some(c) if c.value().len() >= 16 => (c.value().to_string(), false),
        _ => (random_token(24), true),
    };
    let lang = pick_language(
        user.as_ref().map(|u| u.language.as_str()),
        req.cookie(LANG_COOKIE).as_ref().map(|c| c.value()),
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
        &state.config.default_language,
    );
    let viewer = Viewer {
        user,
        session_id,
        lang,
        csrf_token: state.keys.csrf_token(&csrf_cookie_value),
        csrf_cookie: csrf_cookie_value.clone(),
    };
    req.extensions_mut().insert(viewer);

    let mut res = error_page_for_viewer(&state, next.call(req).await?.map_into_boxed_body());
    let secure = state.config.secure_cookies();
    // Signing in and out set a new CSRF cookie of their own.
    let csrf_set = res.response().cookies().any(|c| c.name() == CSRF_COOKIE);
    if new_csrf && !csrf_set {
        res.response_mut()
            .add_cookie(&csrf_cookie(csrf_cookie_value, secure))?;
    }
    let touched_session = res.response().cookies().any(|c| c.name() == SESSION_COOKIE);
    if !touched_session {
        if let Some(token) = renewed {
            res.response_mut().add_cookie(&session_cookie(
                token,
                state.config.session_hours,
                secure,
            ))?;
        } else if expired_cookie {
            res.response_mut().add_cookie(&removal_cookie(secure))?;
        }
    }
    Ok(res)
}

/// An error page (from an [`AppError`]) rendered again for the person asking: in
/// their language, with their menu. API errors (JSON) and redirects are left alone.
fn error_page_for_viewer(
    state: &AppState,
    res: ServiceResponse<actix_web::body::BoxBody>,
) -> ServiceResponse<actix_web::body::BoxBody> {
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
    let ctx = serde_json::json!({ "status": status.as_u16(), "key": key, "seconds": seconds });
    match crate::page::render(state, &viewer, res.request(), "error.html.j2", ctx) {
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

/// How long a rotated session cookie keeps working: requests the browser sent
/// with it at the same time as the one that rotated it.
const ROTATION_GRACE_SECONDS: i64 = 30;

/// Replaces the session by a new one with a new cookie (returned with the new
/// session's id); the old cookie stops working after [`ROTATION_GRACE_SECONDS`].
/// `None` when the session was replaced already (an old cookie within its grace):
/// nothing changes.
async fn rotate(
    state: &AppState,
    claims: &SessionClaims,
    now: NaiveDateTime,
) -> Result<Option<(String, String)>, AppError> {
    let hours = state.config.session_hours as i64;
    let expires = now + Duration::hours(hours);
    let grace = now + Duration::seconds(ROTATION_GRACE_SECONDS);
    let (old, new) = (claims.sid.clone(), random_token(24));
    let sid = new.clone();
    let rotated = state
        .db(move |c| rotate_session(c, &old, &sid, now, expires, grace))
        .await?;
    if !rotated {
        // A cookie already replaced (within its grace): ask the database each time,
        // so it stops working when its grace ends.
        state.sessions.forget(Some(&claims.sid), None);
        return Ok(None);
    }
    state.sessions.forget(Some(&claims.sid), None);
    let token = state.keys.session_token(&SessionClaims {
        sub: claims.sub.clone(),
        sid: new.clone(),
        iat: now.and_utc().timestamp(),
        exp: expires.and_utc().timestamp(),
    });
    Ok(Some((token, new)))
}

pub fn session_cookie(token: String, hours: u32, secure: bool) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(time::Duration::hours(hours as i64))
        .finish()
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

pub fn removal_cookie(secure: bool) -> Cookie<'static> {
    let mut c = Cookie::build(SESSION_COOKIE, "")
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish();
    c.make_removal();
    c
}

/// The user's language, else the one chosen on the site, else the browser's
/// preference among nl and en, else the configured default.
pub fn pick_language(
    user: Option<&str>,
    cookie: Option<&str>,
    accept: Option<&str>,
    default: &str,
) -> &'static str {
    let known = |l: &str| match l {
        "nl" => Some("nl"),
        "en" => Some("en"),
        _ => None,
    };
    if let Some(l) = user.and_then(known).or_else(|| cookie.and_then(known)) {
        return l;
    }
    if let Some(accept) = accept {
        let mut best: Option<(&'static str, f32)> = None;
        for part in accept.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            if let Some(l) = known(primary) {
                if best.is_none_or(|(_, bq)| q > bq) {
                    best = Some((l, q));
                }
            }
        }
        if let Some((l, _)) = best {
            return l;
        }
    }
    known(default).unwrap_or("nl")
}

#[cfg(test)]
mod tests {
    use super::pick_language;

    #[test]
    fn language_follows_user_then_choice_then_browser() {
        assert_eq!(
            pick_language(Some("en"), Some("nl"), Some("nl"), "nl"),
            "en"
        );
        assert_eq!(pick_language(None, Some("en"), Some("nl"), "nl"), "en");
        assert_eq!(
            pick_language(None, None, Some("fr-BE, en;q=0.8, nl;q=0.9"), "nl"),
            "nl"
        );
        assert_eq!(
            pick_language(None, None, Some("en-GB,en;q=0.9"), "nl"),
            "en"
        );
        assert_eq!(pick_language(None, None, Some("de"), "en"), "en");
        assert_eq!(pick_language(None, None, None, "nl"), "nl");
    }
}
