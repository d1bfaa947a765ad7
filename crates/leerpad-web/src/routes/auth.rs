//! Accounts: register, verify, sign in by password or magic link, reset a password,
//! accept an invitation, sign out.
//!
//! Messages never say whether an account exists: asking for a link or a reset for an
//! unknown address looks exactly like asking for a known one.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::Duration;
use leerpad_core::Role;
use leerpad_store::accounts::{
    self, check_token, consume_token, create_session, create_token, mark_verified,
    revoke_all_sessions, revoke_session, set_password, set_profile, user_by_email, NewUser,
    TokenProblem, TokenPurpose, User,
};
use leerpad_store::StoreResult;
use serde::Deserialize;
use serde_json::json;

use crate::config::Registration;
use crate::error::{urlencode, AppError, AppResult};
use crate::page::{render, safe_next, see_other, CsrfForm, NoFields};
use crate::security::{
    dummy_password_hash, hash_password, random_token, token_hash, verify_password, SessionClaims,
};
use crate::state::AppState;
use crate::viewer::{removal_cookie, session_cookie, Viewer, LANG_COOKIE};

pub const MAGIC_LINK_MINUTES: i64 = 15;
const VERIFY_HOURS: i64 = 48;
const RESET_MINUTES: i64 = 60;
pub const INVITE_DAYS: i64 = 14;
const MIN_PASSWORD: usize = 10;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(sign_in_page)
        .service(sign_in)
        .service(request_link)
        .service(link_page)
        .service(link_confirm)
        .service(register_page)
        .service(register)
        .service(verify)
        .service(reset_page)
        .service(request_reset)
        .service(reset_confirm_page)
        .service(reset_confirm)
        .service(invite_page)
        .service(accept_invite)
        .service(sign_out)
        .service(choose_language);
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

#[get("/auth/sign-in")]
async fn sign_in_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    q: web::Query<NextQuery>,
) -> AppResult<HttpResponse> {
    if viewer.user.is_some() {
        return Ok(see_other(safe_next(q.next.as_deref())));
    }
    render(
        &state,
        &viewer,
        &req,
        "sign-in.html.j2",
        json!({ "next": safe_next(q.next.as_deref()) }),
    )
}

#[derive(Deserialize)]
struct SignInForm {
    email: String,
    password: String,
    next: Option<String>,
}

#[post("/auth/sign-in")]
async fn sign_in(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    form: CsrfForm<SignInForm>,
) -> AppResult<HttpResponse> {
    let f = form.0;
    let email = accounts::normalise_email(&f.email);
    limit(&state, &req, "sign-in", &email, 10).await?;
    let found = {
        let email = email.clone();
        state.db(move |c| user_by_email(c, &email)).await?
    };
    // Verify against a dummy hash for unknown addresses, so timing reveals nothing.
    let hash = found
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| dummy_password_hash().to_string());
    let password = f.password.clone();
    let matches = web::block(move || verify_password(&password, &hash)).await?;
    let next = safe_next(f.next.as_deref());
    match found {
        Some(user) if matches && user.password_hash.is_some() && !user.is_disabled() => {
            if user.email_verified_at.is_none() {
                send_verification(&state, &user).await?;
                return render_status(
                    &state,
                    &viewer,
                    &req,
                    "sign-in.html.j2",
                    json!({ "next": next, "email": f.email, "error": "auth.verify-first" }),
                    403,
                );
            }
            start_session(&state, &user, &next).await
        }
        _ => render_status(
            &state,
            &viewer,
            &req,
            "sign-in.html.j2",
            json!({ "next": next, "email": f.email, "error": "auth.wrong-credentials" }),
            401,
        ),
    }
}

#[derive(Deserialize)]
struct LinkRequest {
    email: String,
    next: Option<String>,
}

#[post("/auth/link")]
async fn request_link(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    form: CsrfForm<LinkRequest>,
) -> AppResult<HttpResponse> {
    let f = form.0;
    let email = accounts::normalise_email(&f.email);
    limit(&state, &req, "link", &email, 5).await?;
    let next = safe_next(f.next.as_deref());
    let found = {
        let email = email.clone();
        state.db(move |c| user_by_email(c, &email)).await?
    };
    if let Some(user) = found.filter(|u| !u.is_disabled()) {
        let token = new_token(
            &state,
            user.id,
            TokenPurpose::Magic,
            Duration::minutes(MAGIC_LINK_MINUTES),
        )
        .await?;
        let link = format!(
            "{}/auth/link?token={token}&next={}",
            state.config.base_url(),
            urlencode(&next)
        );
        let ctx = json!({ "name": user.display_name, "link": link, "minutes": MAGIC_LINK_MINUTES });
        state
            .mail
            .send(
                &state,
                &user,
                "magic-link",
                &format!("magic-link:{}", token_hash(&token)),
                ctx,
            )
            .await?;
    }
    let _ = viewer;
    Ok(see_other(format!(
        "/auth/sign-in?notice=link-sent&next={}",
        urlencode(&next)
    )))
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
    next: Option<String>,
}

/// Shows a button rather than signing in on GET: mail scanners that open links must
/// not use up the learner's one-time link.
#[get("/auth/link")]
async fn link_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    q: web::Query<TokenQuery>,
) -> AppResult<HttpResponse> {
    let token = q.token.clone().unwrap_or_default();
    match check(&state, &token, TokenPurpose::Magic).await? {
        Ok(user) => render(
            &state,
            &viewer,
            &req,
            "link.html.j2",
            json!({ "token": token, "next": safe_next(q.next.as_deref()), "email": user.email }),
        ),
        Err(problem) => token_problem(&state, &viewer, &req, problem),
    }
}

#[derive(Deserialize)]
struct TokenForm {
    token: String,
    next: Option<String>,
}

#[post("/auth/link/confirm")]
async fn link_confirm(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    form: CsrfForm<TokenForm>,
) -> AppResult<HttpResponse> {
    let f = form.0;
    match consume(&state, &f.token, TokenPurpose::Magic).await? {
        Ok(user) => {
            let now = state.clock.now();
            let id = user.id;
            state.db(move |c| mark_verified(c, id, now)).await?;
            start_session(&state, &user, &safe_next(f.next.as_deref())).await
        }
        Err(problem) => token_problem(&state, &viewer, &req, problem),
    }
}

#[get("/auth/register")]
async fn register_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    if state.config.registration == Registration::Invite {
        return render_status(
            &state,
            &viewer,
            &req,
            "register.html.j2",
            json!({ "closed": true }),
            403,
        );
    }
    render(&state, &viewer, &req, "register.html.j2", json!({}))
}

#[derive(Deserialize)]
struct RegisterForm {
    name: String,
    email: String,
    password: String,
}

#[post("/auth/register")]
async fn register(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    form: CsrfForm<RegisterForm>,
) -> AppResult<HttpResponse> {
    if state.config.registration == Registration::Invite {
        return render_status(
            &state,
            &viewer,
            &req,
            "register.html.j2",
            json!({ "closed": true }),
            403,
        );
    }
    let f = form.0;
    let email = accounts::normalise_email(&f.email);
    let mut errors = Vec::new();
    if !plausible_email(&email) {
        errors.push("auth.invalid-email");
    }
    if f.name.trim().is_empty() || f.name.chars().count() > 100 {
        errors.push("auth.invalid-name");
    }
    if !password_ok(&f.password) {
        errors.push("auth.password-too-short");
    }
    if !errors.is_empty() {
        return render_status(
            &state,
            &viewer,
            &req,
            "register.html.j2",
            json!({ "errors": errors, "name": f.name, "email": f.email }),
            422,
        );
    }
    limit(&state, &req, "register", &email, 5).await?;
    let password = f.password.clone();
    let hash = web::block(move || hash_password(&password)).await?;
    let now = state.clock.now();
    let (name, lang) = (f.name.trim().to_string(), viewer.lang.to_string());
    let created = {
        let email = email.clone();
        state
            .db(move |c| {
                accounts::create_user(
                    c,
                    &NewUser {
                        email: &email,
                        display_name: &name,
                        password_hash: Some(&hash),
                        role: Role::Learner,
                        language: &lang,
                        verified: false,
                    },
                    now,
                )
            })
            .await?
    };
    match created {
        Some(user) => send_verification(&state, &user).await?,
        None => {
            // The address has an account: tell its owner, with a sign-in link, and
            // show the newcomer the same page as for a new account.
            let existing = {
                let email = email.clone();
                state.db(move |c| user_by_email(c, &email)).await?
            };
            if let Some(user) = existing.filter(|u| !u.is_disabled()) {
                let token = new_token(
                    &state,
                    user.id,
                    TokenPurpose::Magic,
                    Duration::minutes(MAGIC_LINK_MINUTES),
                )
                .await?;
                let link = format!("{}/auth/link?token={token}", state.config.base_url());
                let ctx = json!({ "name": user.display_name, "link": link, "minutes": MAGIC_LINK_MINUTES });
                state
                    .mail
                    .send(
                        &state,
                        &user,
                        "magic-link",
                        &format!("magic-link:{}", token_hash(&token)),
                        ctx,
                    )
                    .await?;
            }
        }
    }
    Ok(see_other("/auth/sign-in?notice=registered"))
}

#[get("/auth/verify")]
async fn verify(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    q: web::Query<TokenQuery>,
) -> AppResult<HttpResponse> {
    let token = q.token.clone().unwrap_or_default();
    match consume(&state, &token, TokenPurpose::Verify).await? {
        Ok(user) => {
            let now = state.clock.now();
            let id = user.id;
            state.db(move |c| mark_verified(c, id, now)).await?;
            start_session(&state, &user, "/?notice=verified").await
        }
        Err(problem) => token_problem(&state, &viewer, &req, problem),
    }
}

#[get("/auth/reset")]
async fn reset_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    render(&state, &viewer, &req, "reset.html.j2", json!({}))
}

#[derive(Deserialize)]
struct ResetRequest {
    email: String,
}

#[post("/auth/reset")]
async fn request_reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: CsrfForm<ResetRequest>,
) -> AppResult<HttpResponse> {
    let email = accounts::normalise_email(&form.0.email);
    limit(&state, &req, "reset", &email, 5).await?;
    let found = {
        let email = email.clone();
        state.db(move |c| user_by_email(c, &email)).await?
    };
    if let Some(user) = found.filter(|u| !u.is_disabled()) {
        let token = new_token(
            &state,
            user.id,
            TokenPurpose::Reset,
            Duration::minutes(RESET_MINUTES),
        )
        .await?;
        let link = format!(
            "{}/auth/reset/confirm?token={token}",
            state.config.base_url()
        );
        let ctx = json!({ "name": user.display_name, "link": link, "minutes": RESET_MINUTES });
        state
            .mail
            .send(
                &state,
                &user,
                "password-reset",
                &format!("reset:{}", token_hash(&token)),
                ctx,
            )
            .await?;
    }
    Ok(see_other("/auth/sign-in?notice=reset-sent"))
}

#[get("/auth/reset/confirm")]
async fn reset_confirm_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    q: web::Query<TokenQuery>,
) -> AppResult<HttpResponse> {
    let token = q.token.clone().unwrap_or_default();
    match check(&state, &token, TokenPurpose::Reset).await? {
        Ok(_) => render(
            &state,
            &viewer,
            &req,
            "reset-confirm.html.j2",
            json!({ "token": token }),
        ),
        Err(problem) => token_problem(&state, &viewer, &req, problem),
    }
}

#[derive(Deserialize)]
struct NewPasswordForm {
    token: String,
    password: String,
}

#[post("/auth/reset/confirm")]
async fn reset_confirm(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    form: CsrfForm<NewPasswordForm>,
) -> AppResult<HttpResponse> {
    let f = form.0;
    if !password_ok(&f.password) {
        return render_status(
            &state,
            &viewer,
            &req,
            "reset-confirm.html.j2",
            json!({ "token": f.token, "errors": ["auth.password-too-short"] }),
            422,
        );
    }
    let user = match consume(&state, &f.token, TokenPurpose::Reset).await? {
        Ok(user) => user,
        Err(problem) => return token_problem(&state, &viewer, &req, problem),
    };
    let hash = web::block(move || hash_password(&f.password)).await?;
    let now = state.clock.now();
    let id = user.id;
    state
        .db(move |c| -> StoreResult<()> {
            set_password(c, id, &hash)?;
            mark_verified(c, id, now)?;
            // A new password ends every other session.
            revoke_all_sessions(c, id, now)
        })
        .await?;
    state.sessions.forget(None, Some(id));
    start_session(&state, &user, "/?notice=password-changed").await
}

#[get("/auth/invite")]
async fn invite_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    q: web::Query<TokenQuery>,
) -> AppResult<HttpResponse> {
    let token = q.token.clone().unwrap_or_default();
    match check(&state, &token, TokenPurpose::Invite).await? {
        Ok(user) => render(
            &state,
            &viewer,
            &req,
            "invite.html.j2",
            json!({ "token": token, "name": user.display_name, "email": user.email }),
        ),
        Err(problem) => token_problem(&state, &viewer, &req, problem),
    }
}

#[derive(Deserialize)]
struct AcceptForm {
    token: String,
    name: String,
    password: String,
}

#[post("/auth/invite")]
async fn accept_invite(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    form: CsrfForm<AcceptForm>,
) -> AppResult<HttpResponse> {
    let f = form.0;
    if !password_ok(&f.password) || f.name.trim().is_empty() || f.name.chars().count() > 100 {
        return render_status(
            &state,
            &viewer,
            &req,
            "invite.html.j2",
            json!({ "token": f.token, "name": f.name, "errors": ["auth.password-too-short"] }),
            422,
        );
    }
    let user = match consume(&state, &f.token, TokenPurpose::Invite).await? {
        Ok(user) => user,
        Err(problem) => return token_problem(&state, &viewer, &req, problem),
    };
    let hash = web::block(move || hash_password(&f.password)).await?;
    let (now, id, name, lang) = (
        state.clock.now(),
        user.id,
        f.name.trim().to_string(),
        viewer.lang.to_string(),
    );
    state
        .db(move |c| -> StoreResult<()> {
            set_password(c, id, &hash)?;
            set_profile(c, id, &name, &lang)?;
            mark_verified(c, id, now)
        })
        .await?;
    start_session(&state, &user, "/").await
}

#[post("/auth/sign-out")]
async fn sign_out(
    state: web::Data<AppState>,
    viewer: Viewer,
    _form: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    if let Some(sid) = viewer.session_id.clone() {
        let now = state.clock.now();
        state.sessions.forget(Some(&sid), None);
        state.db(move |c| revoke_session(c, &sid, now)).await?;
    }
    let mut res = see_other("/?notice=signed-out");
    res.add_cookie(&removal_cookie(state.config.secure_cookies()))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(res)
}

#[derive(Deserialize)]
struct LanguageForm {
    lang: String,
    next: Option<String>,
}

/// Switches the interface language (remembered in a cookie, and on the account).
#[post("/language")]
async fn choose_language(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: CsrfForm<LanguageForm>,
) -> AppResult<HttpResponse> {
    let f = form.0;
    let lang = match f.lang.as_str() {
        "en" => "en",
        _ => "nl",
    };
    if let Some(user) = viewer.user.clone() {
        let name = user.display_name.clone();
        state
            .db(move |c| set_profile(c, user.id, &name, lang))
            .await?;
        state.sessions.forget(None, Some(user.id));
    }
    let mut res = see_other(safe_next(f.next.as_deref()));
    let cookie = actix_web::cookie::Cookie::build(LANG_COOKIE, lang)
        .path("/")
        .same_site(actix_web::cookie::SameSite::Lax)
        .secure(state.config.secure_cookies())
        .max_age(actix_web::cookie::time::Duration::days(365))
        .finish();
    res.add_cookie(&cookie)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(res)
}

// --- helpers ---

/// Signs `user` in: a new server-side session (never reusing one from before
/// sign-in) and its signed cookie.
pub async fn start_session(state: &AppState, user: &User, next: &str) -> AppResult<HttpResponse> {
    let now = state.clock.now();
    let hours = state.config.session_hours;
    let expires = now + Duration::hours(hours as i64);
    let sid = random_token(24);
    let (id, s) = (user.id, sid.clone());
    state
        .db(move |c| create_session(c, &s, id, now, expires))
        .await?;
    let token = state.keys.session_token(&SessionClaims {
        sub: user.id.to_string(),
        sid,
        iat: now.and_utc().timestamp(),
        exp: expires.and_utc().timestamp(),
    });
    let mut res = see_other(next.to_string());
    res.add_cookie(&session_cookie(token, hours, state.config.secure_cookies()))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(res)
}

/// Creates a one-time token for `user_id` and returns the token itself (only its hash
/// is stored).
pub async fn new_token(
    state: &AppState,
    user_id: i32,
    purpose: TokenPurpose,
    valid: Duration,
) -> AppResult<String> {
    let token = random_token(32);
    let hash = token_hash(&token);
    let now = state.clock.now();
    state
        .db(move |c| create_token(c, &hash, user_id, purpose, now, now + valid))
        .await?;
    Ok(token)
}

async fn send_verification(state: &AppState, user: &User) -> AppResult<()> {
    let token = new_token(
        state,
        user.id,
        TokenPurpose::Verify,
        Duration::hours(VERIFY_HOURS),
    )
    .await?;
    let link = format!("{}/auth/verify?token={token}", state.config.base_url());
    let ctx = json!({ "name": user.display_name, "link": link });
    state
        .mail
        .send(
            state,
            user,
            "verify-email",
            &format!("verify:{}", token_hash(&token)),
            ctx,
        )
        .await
}

async fn check(
    state: &AppState,
    token: &str,
    purpose: TokenPurpose,
) -> AppResult<Result<User, TokenProblem>> {
    let (hash, now) = (token_hash(token), state.clock.now());
    state.db(move |c| check_token(c, &hash, purpose, now)).await
}

async fn consume(
    state: &AppState,
    token: &str,
    purpose: TokenPurpose,
) -> AppResult<Result<User, TokenProblem>> {
    let (hash, now) = (token_hash(token), state.clock.now());
    state
        .db(move |c| consume_token(c, &hash, purpose, now))
        .await
}

fn token_problem(
    state: &AppState,
    viewer: &Viewer,
    req: &HttpRequest,
    problem: TokenProblem,
) -> AppResult<HttpResponse> {
    let key = match problem {
        TokenProblem::Expired => "auth.link-expired",
        TokenProblem::Used => "auth.link-used",
        TokenProblem::Unknown => "auth.link-unknown",
    };
    render_status(
        state,
        viewer,
        req,
        "link-problem.html.j2",
        json!({ "problem": key }),
        410,
    )
}

fn render_status(
    state: &AppState,
    viewer: &Viewer,
    req: &HttpRequest,
    template: &str,
    ctx: serde_json::Value,
    status: u16,
) -> AppResult<HttpResponse> {
    let mut res = render(state, viewer, req, template, ctx)?;
    *res.status_mut() = actix_web::http::StatusCode::from_u16(status).expect("valid status");
    Ok(res)
}

/// Counts an attempt per address and per client, in 15-minute windows.
async fn limit(
    state: &AppState,
    req: &HttpRequest,
    action: &str,
    email: &str,
    per_email: i32,
) -> AppResult<()> {
    let now = state.clock.now();
    let ts = now.and_utc().timestamp();
    let window = chrono::DateTime::from_timestamp(ts - ts.rem_euclid(15 * 60), 0)
        .expect("a valid time")
        .naive_utc();
    let ip = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let buckets = [
        (format!("{action}:email:{email}"), per_email),
        (format!("{action}:ip:{ip}"), per_email * 10),
    ];
    let allowed = state
        .db(move |c| -> StoreResult<bool> {
            let mut ok = true;
            for (bucket, max) in &buckets {
                ok &= accounts::rate_limit_hit(c, bucket, window, *max)?;
            }
            Ok(ok)
        })
        .await?;
    if allowed {
        Ok(())
    } else {
        tracing::warn!(action, "rate limit reached");
        Err(AppError::RateLimited)
    }
}

/// A password long enough to be worth having and short enough to hash: the same
/// rule wherever a password is chosen.
fn password_ok(password: &str) -> bool {
    password.chars().count() >= MIN_PASSWORD && password.len() <= 1024
}

/// A light check: something@something.something, no spaces, sane length.
pub fn plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
        && !domain.contains('@')
}
