//! Administration: accounts (disable, enable, invite) and the interface language.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::Duration;
use leerpad_core::Role;
use leerpad_store::accounts::{self, NewUser, TokenPurpose};
use serde::Deserialize;
use serde_json::json;

use crate::error::{AppError, AppResult};
use crate::page::{render, see_other, CsrfForm};
use crate::routes::auth::{new_token, INVITE_DAYS};
use crate::security::token_hash;
use crate::state::AppState;
use crate::viewer::{Admin, SignedIn};
use leerpad_core::address::plausible_email;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(users)
        .service(set_disabled)
        .service(set_role)
        .service(invite)
        .service(settings_page)
        .service(save_settings);
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<i64>,
}

const PER_PAGE: i64 = 100;

#[get("/admin/users")]
async fn users(
    state: web::Data<AppState>,
    admin: Admin,
    req: HttpRequest,
    q: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    users_page(&state, &admin, &req, q.page.unwrap_or(0).max(0), None, 200).await
}

/// The accounts page, with a mistake to show (a text key) and its status.
async fn users_page(
    state: &AppState,
    admin: &Admin,
    req: &HttpRequest,
    page: i64,
    error: Option<&str>,
    status: u16,
) -> AppResult<HttpResponse> {
    let list = state
        .db(move |c| accounts::list_users(c, PER_PAGE + 1, page * PER_PAGE))
        .await?;
    let more = list.len() as i64 > PER_PAGE;
    let rows: Vec<_> = list
        .iter()
        .take(PER_PAGE as usize)
        .map(|u| {
            json!({
                "id": u.id, "email": u.email, "name": u.display_name, "role": u.role,
                "verified": u.email_verified_at.is_some(), "disabled": u.is_disabled(), "created_at": u.created_at,
                "is_self": u.id == admin.0.user.id,
            })
        })
        .collect();
    let mut res = render(
        state,
        &admin.0.viewer,
        req,
        "admin-users.html.j2",
        json!({ "users": rows, "page": page, "more": more, "roles": ROLES, "error": error }),
    )?;
    *res.status_mut() = actix_web::http::StatusCode::from_u16(status).expect("a valid status");
    Ok(res)
}

const ROLES: [&str; 4] = ["learner", "trainer", "coordinator", "admin"];

#[derive(Deserialize)]
struct DisableForm {
    disabled: String,
}

#[post("/admin/users/{id}/disabled")]
async fn set_disabled(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<i32>,
    form: CsrfForm<DisableForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    if id == admin.0.user.id {
        return Err(AppError::BadRequest(
            "you cannot disable your own account".into(),
        ));
    }
    let disable = form.0.disabled == "1";
    let now = state.clock.now();
    state
        .db(move |c| accounts::set_disabled(c, id, disable, now))
        .await?;
    state.sessions.forget(None, Some(id));
    let notice = if disable {
        "account-disabled"
    } else {
        "account-enabled"
    };
    Ok(see_other(format!("/admin/users?notice={notice}")))
}

#[derive(Deserialize)]
struct RoleForm {
    role: String,
}

/// Gives an account another role. The last administrator keeps theirs, so the site
/// always has one.
#[post("/admin/users/{id}/role")]
async fn set_role(
    state: web::Data<AppState>,
    admin: Admin,
    req: HttpRequest,
    path: web::Path<i32>,
    form: CsrfForm<RoleForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let role =
        Role::parse(&form.0.role).ok_or_else(|| AppError::BadRequest("unknown role".into()))?;
    let changed = state
        .db(move |c| {
            leerpad_store::db::write_transaction(c, |c| {
                let Some(user) = accounts::user(c, id)? else {
                    return Ok(None);
                };
                if user.role() == Role::Admin
                    && role != Role::Admin
                    && accounts::count_users_with_role(c, Role::Admin)? <= 1
                {
                    return Ok(Some(false));
                }
                accounts::set_role(c, id, role)?;
                Ok(Some(true))
            })
        })
        .await?
        .ok_or(AppError::NotFound)?;
    if !changed {
        return users_page(&state, &admin, &req, 0, Some("admin.last-admin"), 409).await;
    }
    state.sessions.forget(None, Some(id));
    tracing::info!(
        user = id,
        role = role.as_str(),
        by = admin.0.user.id,
        "role changed"
    );
    Ok(see_other("/admin/users?notice=role-changed"))
}

#[derive(Deserialize)]
struct InviteForm {
    email: String,
    name: String,
    role: String,
}

#[post("/admin/invitations")]
async fn invite(
    state: web::Data<AppState>,
    admin: Admin,
    form: CsrfForm<InviteForm>,
) -> AppResult<HttpResponse> {
    let f = form.0;
    let email = accounts::normalise_email(&f.email);
    if !plausible_email(&email) {
        return Err(AppError::BadRequest("that is not an email address".into()));
    }
    let role = Role::parse(&f.role).ok_or_else(|| AppError::BadRequest("unknown role".into()))?;
    let (now, lang, name) = (
        state.clock.now(),
        admin.0.viewer.lang.to_string(),
        f.name.trim().to_string(),
    );
    let user = {
        let email = email.clone();
        state
            .db(move |c| {
                let new = NewUser {
                    email: &email,
                    display_name: &name,
                    password_hash: None,
                    role,
                    language: &lang,
                    verified: false,
                };
                match accounts::create_user(c, &new, now)? {
                    Some(u) => Ok(u),
                    None => {
                        // An account already: it gets the role asked for.
                        let u = accounts::user_by_email(c, &email)?.ok_or_else(|| {
                            leerpad_store::StoreError::NotFound("the account".into())
                        })?;
                        accounts::set_role(c, u.id, role)?;
                        Ok(u)
                    }
                }
            })
            .await?
    };
    state.sessions.forget(None, Some(user.id));
    // Someone who uses their account needs no invitation (nor a new password): they
    // have the new role at once.
    if user.email_verified_at.is_some() {
        tracing::info!(
            user = user.id,
            role = role.as_str(),
            "role given by invitation"
        );
        return Ok(see_other("/admin/users?notice=role-changed"));
    }
    let token = new_token(
        &state,
        user.id,
        TokenPurpose::Invite,
        Duration::days(INVITE_DAYS),
    )
    .await?;
    let link = format!("{}/auth/invite?token={token}", state.config.base_url());
    let ctx = json!({
        "name": user.display_name, "inviter": admin.0.user.display_name, "organisation": "Leerpad",
        "coordinator": role == Role::Coordinator, "email": user.email, "link": link,
    });
    state
        .send_mail(
            &user,
            "invitation",
            &format!("invite:{}", token_hash(&token)),
            ctx,
        )
        .await?;
    Ok(see_other("/admin/users?notice=invited"))
}

#[get("/me")]
async fn settings_page(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    render(&state, &who.viewer, &req, "settings.html.j2", json!({}))
}

#[derive(Deserialize)]
struct SettingsForm {
    name: String,
    language: String,
}

#[post("/me")]
async fn save_settings(
    state: web::Data<AppState>,
    who: SignedIn,
    form: CsrfForm<SettingsForm>,
) -> AppResult<HttpResponse> {
    let f = form.0;
    let name = f.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::BadRequest(
            "a name has 1 to 100 characters".into(),
        ));
    }
    let lang = if f.language == "en" { "en" } else { "nl" };
    let id = who.user.id;
    state
        .db(move |c| accounts::set_profile(c, id, &name, lang))
        .await?;
    state.sessions.forget(None, Some(id));
    Ok(see_other("/me?notice=saved"))
}
