//! API tokens, for coordinators who fetch reports from a script or a BI tool (and
//! trainers who fetch their courses' figures): made
//! and revoked on `/me/api-tokens`. A token is a signed JWT shown once; the server
//! keeps only its id, so it can be listed and revoked.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::Duration;
use leerpad_core::Role;
use leerpad_store::accounts::User;
use leerpad_store::api_tokens;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{AppError, AppResult};
use crate::page::{render, see_other, CsrfForm, NoFields};
use crate::security::{random_token, ApiClaims, API_AUDIENCE};
use crate::state::AppState;
use crate::viewer::SignedIn;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(tokens_page).service(create).service(revoke);
}

/// How long a new token may be valid, in days: the choices offered.
const VALIDITY_DAYS: [i64; 3] = [30, 90, 365];

/// Tokens are for people who can see reports: coordinators, trainers (their
/// courses' figures) and administrators.
fn may_have_tokens(user: &User) -> AppResult<()> {
    match user.role() {
        Role::Coordinator | Role::Trainer | Role::Admin => Ok(()),
        _ => Err(AppError::NotFound),
    }
}

async fn context(state: &AppState, user: &User) -> AppResult<Value> {
    let uid = user.id;
    let now = state.clock.now();
    let tokens = state.db(move |c| api_tokens::of_user(c, uid)).await?;
    Ok(json!({
        "tokens": tokens.iter().map(|t| json!({
            "id": t.id, "name": t.name, "created": t.created_at, "expires": t.expires_at,
            "last_used": t.last_used_at, "revoked": t.revoked_at, "usable": t.is_usable(now),
        })).collect::<Vec<_>>(),
        "validity_days": VALIDITY_DAYS,
        "base_url": state.config.base_url(),
    }))
}

#[get("/me/api-tokens")]
async fn tokens_page(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    may_have_tokens(&who.user)?;
    let ctx = context(&state, &who.user).await?;
    render(&state, &who.viewer, &req, "api-tokens.html.j2", ctx)
}

#[derive(Deserialize)]
struct CreateForm {
    name: String,
    days: i64,
}

#[post("/me/api-tokens")]
async fn create(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    form: CsrfForm<CreateForm>,
) -> AppResult<HttpResponse> {
    may_have_tokens(&who.user)?;
    let f = form.0;
    let name = f.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(AppError::BadRequest(
            "a token's name has 1 to 80 characters".into(),
        ));
    }
    if !VALIDITY_DAYS.contains(&f.days) {
        return Err(AppError::BadRequest(
            "choose one of the offered validity periods".into(),
        ));
    }
    let now = state.clock.now();
    let expires = now + Duration::days(f.days);
    let id = random_token(16);
    let claims = ApiClaims {
        sub: who.user.id.to_string(),
        jti: id.clone(),
        aud: API_AUDIENCE.to_string(),
        iat: now.and_utc().timestamp(),
        exp: expires.and_utc().timestamp(),
    };
    let token = state.keys.api_token(&claims);
    let uid = who.user.id;
    state
        .db(move |c| api_tokens::create(c, &id, uid, &name, now, expires))
        .await?;
    let mut ctx = context(&state, &who.user).await?;
    ctx["new_token"] = json!(token);
    render(&state, &who.viewer, &req, "api-tokens.html.j2", ctx)
}

#[post("/me/api-tokens/{id}/revoke")]
async fn revoke(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    may_have_tokens(&who.user)?;
    let (uid, id, now) = (who.user.id, path.into_inner(), state.clock.now());
    if !state
        .db(move |c| api_tokens::revoke(c, uid, &id, now))
        .await?
    {
        return Err(AppError::NotFound);
    }
    Ok(see_other("/me/api-tokens?notice=token-revoked"))
}
