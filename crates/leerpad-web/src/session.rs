//! Sessions: the signed session cookie (a JWT naming a server-side session row),
//! checked on every request, and rotated when it is older than
//! `ROTATE_AFTER_MINUTES`: the old cookie stops working seconds later, so a copied
//! cookie dies with the next rotation. Signing in by password, link or invitation
//! starts one with [`session_cookie`].

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::HttpRequest;
use chrono::{Duration, NaiveDateTime};
use leerpad_store::accounts::{rotate_session, session_user, User};

use crate::error::AppError;
use crate::security::{random_token, SessionClaims};
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "lp_session";
const ROTATE_AFTER_MINUTES: i64 = 10;

/// What the request's session cookie says.
pub struct FromCookie {
    pub user: Option<User>,
    pub session_id: Option<String>,
    /// A new cookie to set: the session was rotated.
    pub renewed: Option<String>,
    /// The cookie no longer works: remove it.
    pub expired_cookie: bool,
}

/// The signed-in user of the request's session cookie, if it works; a checked
/// session is cached per write mark (`mark`, see `fresh.rs`).
pub async fn from_cookie(
    state: &AppState,
    req: &HttpRequest,
    mark: u64,
    now: NaiveDateTime,
) -> Result<FromCookie, AppError> {
    let mut renewed: Option<String> = None;
    let mut expired_cookie = false;
    let (user, session_id) = match req.cookie(SESSION_COOKIE) {
        Some(cookie) => match state.keys.verify_session(cookie.value()) {
            Some(claims) if claims.exp > now.and_utc().timestamp() => {
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
                            match rotate(state, &claims, now).await {
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
    Ok(FromCookie {
        user,
        session_id,
        renewed,
        expired_cookie,
    })
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
    let hours = state.config.accounts.session_hours as i64;
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
