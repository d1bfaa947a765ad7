//! Who is asking, as handlers see it: a [`Viewer`], [`SignedIn`] or [`Admin`],
//! which `who::resolve` found out before the handler runs.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use leerpad_core::Role;
use leerpad_store::accounts::User;

use crate::error::AppError;
use crate::state::AppState;

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
    pub(crate) fn new(
        user: Option<User>,
        session_id: Option<String>,
        lang: &'static str,
        csrf_token: String,
        csrf_cookie: String,
    ) -> Viewer {
        Viewer {
            user,
            session_id,
            lang,
            csrf_token,
            csrf_cookie,
        }
    }

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
