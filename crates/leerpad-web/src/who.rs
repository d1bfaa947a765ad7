//! Who is asking: the middleware every request passes before its handler.
//!
//! `resolve` checks the session cookie ([`crate::session`]: a signed JWT and the
//! server-side session record, so sign-out and disabling an account take effect
//! at once on every instance), picks the language ([`crate::language`]), makes sure
//! the browser has a CSRF cookie ([`crate::csrf`]), and gives handlers the
//! [`Viewer`]. An error page is rendered again for the person asking
//! ([`page::error_page_for_viewer`]).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};

use crate::csrf::{self, csrf_cookie, CSRF_COOKIE};
use crate::language::{pick_language, LANG_COOKIE};
use crate::page;
use crate::session::{self, removal_cookie, session_cookie, SESSION_COOKIE};
use crate::state::AppState;
use crate::viewer::Viewer;

/// The middleware every request passes; see the module documentation.
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
        &state.config.site.default_language,
    );
    let viewer = Viewer::new(
        user,
        session_id,
        lang,
        state.keys.csrf_token(&csrf_cookie_value),
        csrf_cookie_value.clone(),
    );
    req.extensions_mut().insert(viewer);

    let mut res = page::error_page_for_viewer(next.call(req).await?.map_into_boxed_body());
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
                state.config.accounts.session_hours,
                secure,
            ))?;
        } else if expired_cookie {
            res.response_mut().add_cookie(&removal_cookie(secure))?;
        }
    }
    Ok(res)
}
