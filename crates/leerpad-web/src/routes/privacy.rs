//! A person's rights over their data, for anyone signed in:
//!
//! - `GET /me/data`: everything stored about them, as a JSON download (the format is
//!   documented in `leerpad_store::privacy`);
//! - `GET /me/delete`: what deleting the account removes, and a form to confirm it
//!   with the password (or, for an account without one, the email address);
//! - `POST /me/delete`: deletes the account at once, signs out, and goes home. Reports
//!   keep only anonymised counts. Attempts are rate-limited per account.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use leerpad_store::accounts::{self, User};
use leerpad_store::{learning, privacy, StoreError, StoreResult};
use serde::Deserialize;
use serde_json::json;

use crate::error::{AppError, AppResult};
use crate::page::{render, see_other, CsrfForm};
use crate::security::verify_password;
use crate::session::removal_cookie;
use crate::state::AppState;
use crate::throttle::{self, Failures};
use crate::viewer::{SignedIn, Viewer};

/// Wrong passwords when confirming: five, then waits that double up to five
/// minutes (see `throttle`).
const CONFIRM_FAILURES: Failures = Failures {
    free: 5,
    cap_seconds: 300,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(download)
        .service(delete_page)
        .service(delete_account);
}

#[get("/me/data")]
async fn download(state: web::Data<AppState>, who: SignedIn) -> AppResult<HttpResponse> {
    let (id, now) = (who.user.id, state.clock.now());
    let data = state
        .db(move |c| privacy::export_at(c, id, now))
        .await?
        .ok_or(AppError::NotFound)?;
    let body = serde_json::to_string_pretty(&data)
        .map_err(|e| AppError::Internal(format!("export: {e}")))?;
    tracing::info!(user = id, "personal data downloaded");
    Ok(HttpResponse::Ok()
        .content_type("application/json; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"leerpad-data-{}.json\"",
                now.format("%Y-%m-%d")
            ),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

#[get("/me/delete")]
async fn delete_page(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let user = current(&state, who.user.id).await?;
    page(&state, &who.viewer, &req, &user, None, 200)
}

#[derive(Deserialize)]
struct DeleteForm {
    password: Option<String>,
    email: Option<String>,
    /// `remove` to remove one's community posts; they are kept otherwise.
    posts: Option<String>,
}

#[post("/me/delete")]
async fn delete_account(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    form: CsrfForm<DeleteForm>,
) -> AppResult<HttpResponse> {
    let f = form.0;
    // Read afresh: the session cache may be a few seconds old.
    let user = current(&state, who.user.id).await?;
    let bucket = throttle::account_bucket("delete-account", &user.email);
    throttle::check(&state, CONFIRM_FAILURES, &bucket).await?;
    let confirmed = match user.password_hash.clone() {
        Some(hash) => {
            let password = f.password.unwrap_or_default();
            state
                .hashing
                .run(move || verify_password(&password, &hash))
                .await?
        }
        None => f
            .email
            .is_some_and(|e| accounts::normalise_email(&e) == user.email),
    };
    if !confirmed {
        throttle::record_failure(&state, vec![bucket]).await?;
        let error = if user.password_hash.is_some() {
            "privacy.wrong-password"
        } else {
            "privacy.wrong-email"
        };
        return page(&state, &who.viewer, &req, &user, Some(error), 422);
    }

    let (id, now) = (user.id, state.clock.now());
    let posts = match f.posts.as_deref() {
        Some("remove") => privacy::PostsOnDeletion::Remove,
        _ => privacy::PostsOnDeletion::Keep,
    };
    let outcome = state
        .db(move |c| -> StoreResult<Result<Vec<String>, String>> {
            let courses = learning::enrolments_of(c, id)?
                .into_iter()
                .map(|e| e.course_id)
                .collect();
            match privacy::delete_account_with(c, id, posts, now) {
                Ok(_) => Ok(Ok(courses)),
                Err(StoreError::Invalid(reason)) => Ok(Err(reason)),
                Err(e) => Err(e),
            }
        })
        .await?;
    let courses = match outcome {
        Ok(courses) => courses,
        Err(reason) => {
            tracing::info!(user = id, %reason, "account deletion refused");
            return page(
                &state,
                &who.viewer,
                &req,
                &user,
                Some("privacy.last-admin"),
                409,
            );
        }
    };
    state.sessions.forget(None, Some(id));
    for course in &courses {
        state.learners.forget(id, course);
    }
    tracing::info!(user = id, "account deleted at its owner's request");
    let mut res = see_other("/?notice=account-deleted");
    res.add_cookie(&removal_cookie(state.config.secure_cookies()))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(res)
}

/// The signed-in user as stored now.
async fn current(state: &AppState, id: i32) -> AppResult<User> {
    state
        .db(move |c| accounts::user(c, id))
        .await?
        .ok_or(AppError::NotFound)
}

fn page(
    state: &AppState,
    viewer: &Viewer,
    req: &HttpRequest,
    user: &User,
    error: Option<&str>,
    status: u16,
) -> AppResult<HttpResponse> {
    let mut res = render(
        state,
        viewer,
        req,
        "delete-account.html.j2",
        json!({ "has_password": user.password_hash.is_some(), "error": error }),
    )?;
    *res.status_mut() = actix_web::http::StatusCode::from_u16(status).expect("a valid status");
    Ok(res)
}
