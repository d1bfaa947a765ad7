//! Email reminders (nudges): a learner's choice of which ones to get, and the
//! unsubscribe link every nudge carries.
//!
//! - `GET`/`POST /me/notifications`: the signed-in learner's preference (`all`,
//!   `deadlines`, `none`), a form with a CSRF token like every other.
//! - `GET /unsubscribe/{token}`: for someone following the link in an email, without
//!   signing in: a button that unsubscribes, and the same choice.
//! - `POST /unsubscribe/{token}`: RFC 8058 one-click unsubscribe. Mail clients post
//!   `List-Unsubscribe=One-Click` without cookies, so there is no CSRF token: the
//!   signed token is the authority, and it can only turn reminders down or change
//!   which ones come. A body with `preference=all|deadlines|none` (the page's form)
//!   sets that; anything else means none. Answers 200 with a confirmation page.
//!
//! A token that is not signed for the user it names is answered 404, as is a token
//! for an account that does not exist.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use leerpad_store::accounts::{self, User};
use leerpad_store::nudges::{self, Preference};
use serde::Deserialize;
use serde_json::json;

use crate::error::{AppError, AppResult};
use crate::nudges::{unsubscribe_token_matches, unsubscribe_token_user};
use crate::page::{render, see_other, CsrfForm};
use crate::state::AppState;
use crate::viewer::{SignedIn, Viewer};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(preferences_page)
        .service(save_preferences)
        .service(unsubscribe_page)
        .service(unsubscribe);
}

const CHOICES: [&str; 3] = ["all", "deadlines", "none"];

#[get("/me/notifications")]
async fn preferences_page(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let id = who.user.id;
    let preference = state
        .db(move |c| nudges::preference(c, id))
        .await?
        .unwrap_or_default();
    render(
        &state,
        &who.viewer,
        &req,
        "notifications.html.j2",
        json!({ "preference": preference.as_str(), "choices": CHOICES }),
    )
}

#[derive(Deserialize)]
struct PreferenceForm {
    preference: String,
}

#[post("/me/notifications")]
async fn save_preferences(
    state: web::Data<AppState>,
    who: SignedIn,
    form: CsrfForm<PreferenceForm>,
) -> AppResult<HttpResponse> {
    let preference = Preference::parse(&form.0.preference)
        .ok_or_else(|| AppError::BadRequest("choose all, deadlines or none".into()))?;
    let id = who.user.id;
    state
        .db(move |c| nudges::set_preference(c, id, preference))
        .await?;
    tracing::info!(
        user = id,
        preference = preference.as_str(),
        "notification preference changed"
    );
    Ok(see_other("/me/notifications?notice=saved"))
}

#[get("/unsubscribe/{token}")]
async fn unsubscribe_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    let user = token_user(&state, &token).await?;
    let id = user.id;
    let preference = state
        .db(move |c| nudges::preference(c, id))
        .await?
        .unwrap_or_default();
    page(&state, &viewer, &req, &token, &user, preference, false)
}

#[post("/unsubscribe/{token}")]
async fn unsubscribe(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    let user = token_user(&state, &token).await?;
    let preference = chosen(&req, &body).unwrap_or(Preference::None);
    let id = user.id;
    state
        .db(move |c| nudges::set_preference(c, id, preference))
        .await?;
    tracing::info!(
        user = id,
        preference = preference.as_str(),
        "notification preference changed by unsubscribe link"
    );
    page(&state, &viewer, &req, &token, &user, preference, true)
}

/// The user a token was signed for; 404 for a forged token or a deleted account.
async fn token_user(state: &AppState, token: &str) -> AppResult<User> {
    let id = unsubscribe_token_user(token).ok_or(AppError::NotFound)?;
    let user = state
        .db(move |c| accounts::user(c, id))
        .await?
        .ok_or(AppError::NotFound)?;
    if unsubscribe_token_matches(&state.keys.secret, token, user.id, &user.email) {
        Ok(user)
    } else {
        tracing::warn!(user = id, "an unsubscribe link with a bad signature");
        Err(AppError::NotFound)
    }
}

/// The preference chosen on the page's form, if the body is such a form.
fn chosen(req: &HttpRequest, body: &[u8]) -> Option<Preference> {
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return None;
    }
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == "preference")
        .and_then(|(_, v)| Preference::parse(&v))
}

fn page(
    state: &AppState,
    viewer: &Viewer,
    req: &HttpRequest,
    token: &str,
    user: &User,
    preference: Preference,
    saved: bool,
) -> AppResult<HttpResponse> {
    // The page speaks the learner's language, signed in or not.
    let lang = if user.language == "en" { "en" } else { "nl" };
    let mut res = render(
        state,
        viewer,
        req,
        "notifications.html.j2",
        json!({
            "lang": lang,
            "token": token,
            "email": user.email,
            "preference": preference.as_str(),
            "choices": CHOICES,
            "saved": saved,
        }),
    )?;
    // The token is in the address: keep it out of other sites' logs.
    res.headers_mut().insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    Ok(res)
}
