//! Who is asking: the middleware that finds out, and the extractors built on it.
//!
//! Every request passes `resolve`: it checks the session cookie ([`crate::session`]:
//! a signed JWT and the server-side session record, so sign-out and disabling an
//! account take effect at once on every instance), picks the language
//! ([`crate::language`]), and makes sure the browser has a CSRF cookie
//! ([`crate::csrf`]). Handlers take a [`Viewer`], [`SignedIn`] or [`Admin`].

use std::future::{ready, Ready};

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use leerpad_core::Role;
use leerpad_store::accounts::User;

use crate::error::AppError;
use crate::state::AppState;
use crate::{csrf, session};

use crate::csrf::{csrf_cookie, CSRF_COOKIE};
use crate::language::{pick_language, LANG_COOKIE};
use crate::session::{removal_cookie, session_cookie, SESSION_COOKIE};

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

    let mark = crate::fresh::mark_of(req.cookie(crate::fresh::WRITE_MARK_COOKIE));
    let found = session::from_cookie(&state, req.request(), mark, now).await?;
    let (user, session_id, renewed, expired_cookie) = (
        found.user,
        found.session_id,
        found.renewed,
        found.expired_cookie,
    );

    let (csrf_cookie_value, new_csrf) = csrf::browser_csrf(req.request());
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

    let mut res = next.call(req).await?;
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
