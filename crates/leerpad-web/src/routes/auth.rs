//! Accounts: register, verify, sign in by password or magic link, reset a password,
//! accept an invitation, sign out.
//!
//! Messages never say whether an account exists: asking for a link or a reset for an
//! unknown address looks exactly like asking for a known one.
//!
//! Whoever proves an address owns its account. A registration decides nothing about
//! the account until its verification link is confirmed: its name and password wait
//! on that link (`PendingRegistration`), and any proof of the address (that link, a
//! sign-in link, a reset, an invitation) drops whatever an unproven registration
//! set (`accounts::prove_address`). No link signs anyone in on a plain GET: each
//! shows a page with a button, so neither a mail scanner nor another site can use
//! it for the owner.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::Duration;
use leerpad_core::address::plausible_email;
use leerpad_core::Role;
use leerpad_store::accounts::{
    self, check_token, consume_token, create_session, create_token_for, prove_address,
    revoke_all_sessions, revoke_session, set_password, set_profile, user_by_email, void_tokens_for,
    NewUser, PendingRegistration, TokenProblem, TokenPurpose, User,
};
use leerpad_store::StoreResult;
use serde::Deserialize;
use serde_json::json;

use crate::config::Registration;
use crate::csrf::csrf_cookie;
use crate::error::{urlencode, AppError, AppResult};
use crate::language::LANG_COOKIE;
use crate::page::{render, safe_next, see_other, CsrfForm, NoFields};
use crate::security::{
    dummy_password_hash, hash_password, new_password_problem, random_token, token_hash,
    verify_password, SessionClaims, MAX_PASSWORD_BYTES,
};
use crate::session::{removal_cookie, session_cookie};
use crate::state::AppState;
use crate::throttle::{self, Failures};
use crate::viewer::Viewer;

pub const MAGIC_LINK_MINUTES: i64 = 15;
const VERIFY_HOURS: i64 = 48;
const RESET_MINUTES: i64 = 60;
pub use leerpad_app::members::INVITE_DAYS;

/// Sign-in tries per client per window, whatever the accounts.
const SIGN_IN_PER_CLIENT: i32 = 100;
/// Other account requests (links, resets, registrations) per client per window.
const REQUESTS_PER_CLIENT: i32 = 30;
/// Messages to one address per window (sign-in links, resets, verifications).
const MESSAGES_PER_ADDRESS: i32 = 3;
/// Wrong passwords for one account from one client: five free, then waits that
/// double up to five minutes.
const FAILURES_HERE: Failures = Failures {
    free: 5,
    cap_seconds: 300,
};
/// Wrong passwords for one account from anywhere: a guesser with many addresses
/// gets a few tries a minute; the owner waits at most a minute.
const FAILURES_ANYWHERE: Failures = Failures {
    free: 20,
    cap_seconds: 60,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(sign_in_page)
        .service(sign_in)
        .service(request_link)
        .service(link_page)
        .service(link_confirm)
        .service(register_page)
        .service(register)
        .service(verify_page)
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
    let next = safe_next(f.next.as_deref());
    let wrong = || {
        render_status(
            &state,
            &viewer,
            &req,
            "sign-in.html.j2",
            json!({ "next": next, "email": f.email, "error": "auth.wrong-credentials" }),
            401,
        )
    };
    // Nothing is counted or looked up for what cannot be an account's address or
    // password.
    if !plausible_email(&email) || f.password.is_empty() || f.password.len() > MAX_PASSWORD_BYTES {
        return wrong();
    }
    let client = throttle::client_address(&req, &state.config.http.trusted_proxy_networks());
    throttle::client_limit(&state, "sign-in", &client, SIGN_IN_PER_CLIENT).await?;
    let here = throttle::account_client_bucket("sign-in", &email, &client);
    let anywhere = throttle::account_bucket("sign-in", &email);
    throttle::check(&state, FAILURES_HERE, &here).await?;
    throttle::check(&state, FAILURES_ANYWHERE, &anywhere).await?;
    let (found, pending) = {
        let (email, now) = (email.clone(), state.clock.now());
        state
            .db(move |c| {
                let found = user_by_email(c, &email)?;
                let pending = match &found {
                    Some(u) if u.email_verified_at.is_none() => {
                        accounts::pending_registration(c, u.id, now)?
                    }
                    _ => None,
                };
                Ok((found, pending))
            })
            .await?
    };
    // An account whose address is not proven yet has no password of its own: the
    // password to try is the one its newest registration chose. Unknown addresses
    // are checked against a dummy hash, so timing reveals nothing.
    let hash = match (&found, &pending) {
        (Some(u), _) if u.email_verified_at.is_some() => u.password_hash.clone(),
        (_, Some(p)) => Some(p.password_hash.clone()),
        _ => None,
    };
    let has_password = hash.is_some();
    let hash = hash.unwrap_or_else(|| dummy_password_hash().to_string());
    let password = f.password.clone();
    let matches = state
        .hashing
        .run(move || verify_password(&password, &hash))
        .await?;
    match found {
        Some(user) if matches && has_password && !user.is_disabled() => {
            throttle::clear(&state, here).await?;
            if user.email_verified_at.is_none() {
                if let Some(p) = pending {
                    if throttle::may_send(&state, "verify", &email, MESSAGES_PER_ADDRESS).await? {
                        send_verification(&state, &user, &p).await?;
                    }
                }
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
        _ => {
            throttle::record_failure(&state, vec![here, anywhere]).await?;
            wrong()
        }
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
    let next = safe_next(f.next.as_deref());
    let sent = see_other(format!(
        "/auth/sign-in?notice=link-sent&next={}",
        urlencode(&next)
    ));
    if !plausible_email(&email) {
        return Ok(sent);
    }
    let client = throttle::client_address(&req, &state.config.http.trusted_proxy_networks());
    throttle::client_limit(&state, "account-request", &client, REQUESTS_PER_CLIENT).await?;
    // Past the cap the answer is the same and the links already sent still work:
    // nobody can keep the owner from signing in by asking for links.
    if !throttle::may_send(&state, "link", &email, MESSAGES_PER_ADDRESS).await? {
        return Ok(sent);
    }
    let found = {
        let email = email.clone();
        state.db(move |c| user_by_email(c, &email)).await?
    };
    if let Some(user) = found.filter(|u| !u.is_disabled()) {
        send_magic_link(&state, &user, Some(&next)).await?;
    }
    let _ = viewer;
    Ok(sent)
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
            let user = proven(&state, &user, None).await?;
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
    if state.config.accounts.registration == Registration::Invite {
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
    if state.config.accounts.registration == Registration::Invite {
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
    if let Some(problem) = new_password_problem(&f.password, &[&email, &f.name]) {
        errors.push(problem);
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
    let client = throttle::client_address(&req, &state.config.http.trusted_proxy_networks());
    throttle::client_limit(&state, "account-request", &client, REQUESTS_PER_CLIENT).await?;
    let registered = see_other("/auth/sign-in?notice=registered");
    if !throttle::may_send(&state, "register", &email, MESSAGES_PER_ADDRESS).await? {
        return Ok(registered);
    }
    let password = f.password.clone();
    let hash = state.hashing.run(move || hash_password(&password)).await?;
    let now = state.clock.now();
    let registration = PendingRegistration {
        display_name: f.name.trim().to_string(),
        password_hash: hash,
        language: viewer.lang.to_string(),
    };
    // The account starts with nothing the registration chose: its name and
    // password wait on the verification link.
    let created = {
        let (email, lang) = (email.clone(), viewer.lang.to_string());
        state
            .db(move |c| {
                accounts::create_user(
                    c,
                    &NewUser {
                        email: &email,
                        display_name: email.split('@').next().unwrap_or_default(),
                        password_hash: None,
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
        Some(user) => send_verification(&state, &user, &registration).await?,
        None => {
            let existing = {
                let email = email.clone();
                state.db(move |c| user_by_email(c, &email)).await?
            };
            match existing.filter(|u| !u.is_disabled()) {
                // Not proven yet: this registration gets its own verification link,
                // and whichever link the owner confirms decides.
                Some(user) if user.email_verified_at.is_none() => {
                    send_verification(&state, &user, &registration).await?
                }
                // The address has an account: tell its owner, with a sign-in link,
                // and show the newcomer the same page as for a new account.
                Some(user) => send_magic_link(&state, &user, None).await?,
                None => {}
            }
        }
    }
    Ok(registered)
}

/// Shows what is being confirmed, with a button: a plain GET (a mail scanner, an
/// image on another site) confirms nothing and signs nobody in.
#[get("/auth/verify")]
async fn verify_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    q: web::Query<TokenQuery>,
) -> AppResult<HttpResponse> {
    let token = q.token.clone().unwrap_or_default();
    match check(&state, &token, TokenPurpose::Verify).await? {
        Ok(user) => {
            let hash = token_hash(&token);
            let registration = state
                .db(move |c| accounts::token_registration(c, &hash))
                .await?;
            let name = registration.map(|r| r.display_name);
            render(
                &state,
                &viewer,
                &req,
                "verify.html.j2",
                json!({ "token": token, "email": user.email, "name": name }),
            )
        }
        Err(problem) => token_problem(&state, &viewer, &req, problem),
    }
}

#[post("/auth/verify")]
async fn verify(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    form: CsrfForm<TokenForm>,
) -> AppResult<HttpResponse> {
    let token = form.0.token;
    let hash = token_hash(&token);
    let registration = state
        .db(move |c| accounts::token_registration(c, &hash))
        .await?;
    match consume(&state, &token, TokenPurpose::Verify).await? {
        Ok(user) => {
            let user = proven(&state, &user, registration).await?;
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
    let sent = see_other("/auth/sign-in?notice=reset-sent");
    if !plausible_email(&email) {
        return Ok(sent);
    }
    let client = throttle::client_address(&req, &state.config.http.trusted_proxy_networks());
    throttle::client_limit(&state, "account-request", &client, REQUESTS_PER_CLIENT).await?;
    if !throttle::may_send(&state, "reset", &email, MESSAGES_PER_ADDRESS).await? {
        return Ok(sent);
    }
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
            .send_mail(
                &user,
                "password-reset",
                &format!("reset:{}", token_hash(&token)),
                ctx,
            )
            .await?;
    }
    Ok(sent)
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
    let own = match check(&state, &f.token, TokenPurpose::Reset).await? {
        Ok(u) => vec![u.email, u.display_name],
        Err(problem) => return token_problem(&state, &viewer, &req, problem),
    };
    if let Some(problem) = new_password_problem(&f.password, &[&own[0], &own[1]]) {
        return render_status(
            &state,
            &viewer,
            &req,
            "reset-confirm.html.j2",
            json!({ "token": f.token, "errors": [problem] }),
            422,
        );
    }
    let user = match consume(&state, &f.token, TokenPurpose::Reset).await? {
        Ok(user) => user,
        Err(problem) => return token_problem(&state, &viewer, &req, problem),
    };
    let user = proven(&state, &user, None).await?;
    let hash = state
        .hashing
        .run(move || hash_password(&f.password))
        .await?;
    let now = state.clock.now();
    let id = user.id;
    state
        .db(move |c| -> StoreResult<()> {
            set_password(c, id, &hash)?;
            // A new password ends every other session and voids every other link
            // that could sign in or set a password.
            revoke_all_sessions(c, id, now)?;
            void_tokens_for(c, id, &[TokenPurpose::Reset, TokenPurpose::Magic], now)?;
            Ok(())
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
        Ok(user) => {
            let ctx = invitation_context(&state, &user, &token).await?;
            render(&state, &viewer, &req, "invite.html.j2", ctx)
        }
        Err(problem) => token_problem(&state, &viewer, &req, problem),
    }
}

/// What the invitation page says: the address, the site role and the
/// organisations the invitation joins, with the role in each.
async fn invitation_context(
    state: &AppState,
    user: &User,
    token: &str,
) -> AppResult<serde_json::Value> {
    let id = user.id;
    let organisations = state
        .db(move |c| leerpad_store::organisations::memberships_of(c, id))
        .await?;
    Ok(json!({
        "token": token, "name": user.display_name, "email": user.email, "role": user.role,
        "organisations": organisations.iter().map(|(o, role)| json!({ "name": o.name, "role": role.as_str() })).collect::<Vec<_>>(),
    }))
}

/// Where someone lands after accepting an invitation: a coordinator of one
/// organisation on its dashboard, of several on the list, anyone else on their own.
async fn landing(state: &AppState, user: &User) -> AppResult<String> {
    let id = user.id;
    let coordinated = state
        .db(move |c| leerpad_store::organisations::coordinated_by(c, id))
        .await?;
    Ok(match coordinated.as_slice() {
        [] => "/".to_string(),
        [one] => format!("/organisations/{}", one.slug),
        _ => "/organisations".to_string(),
    })
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
    let invited = match check(&state, &f.token, TokenPurpose::Invite).await? {
        Ok(u) => u,
        Err(problem) => return token_problem(&state, &viewer, &req, problem),
    };
    let email = invited.email.clone();
    let mut errors = Vec::new();
    if f.name.trim().is_empty() || f.name.chars().count() > 100 {
        errors.push("auth.invalid-name");
    }
    if let Some(problem) = new_password_problem(&f.password, &[&email, &f.name]) {
        errors.push(problem);
    }
    if !errors.is_empty() {
        let mut ctx = invitation_context(&state, &invited, &f.token).await?;
        ctx["name"] = json!(f.name);
        ctx["errors"] = json!(errors);
        return render_status(&state, &viewer, &req, "invite.html.j2", ctx, 422);
    }
    let user = match consume(&state, &f.token, TokenPurpose::Invite).await? {
        Ok(user) => user,
        Err(problem) => return token_problem(&state, &viewer, &req, problem),
    };
    let user = proven(&state, &user, None).await?;
    let hash = state
        .hashing
        .run(move || hash_password(&f.password))
        .await?;
    let (id, name, lang) = (user.id, f.name.trim().to_string(), viewer.lang.to_string());
    state
        .db(move |c| -> StoreResult<()> {
            set_password(c, id, &hash)?;
            set_profile(c, id, &name, &lang)
        })
        .await?;
    let target = landing(&state, &user).await?;
    start_session(&state, &user, &target).await
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
    let secure = state.config.secure_cookies();
    res.add_cookie(&removal_cookie(secure))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    // A new CSRF cookie: tokens of the signed-in page are worth nothing now.
    res.add_cookie(&csrf_cookie(random_token(24), secure))
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
    let hours = state.config.accounts.session_hours;
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
    let secure = state.config.secure_cookies();
    res.add_cookie(&session_cookie(token, hours, secure))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    // A new CSRF cookie with the new session, so a token planted before sign-in
    // (login CSRF) or seen before it is worth nothing after.
    res.add_cookie(&csrf_cookie(random_token(24), secure))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(res)
}

/// The account after its owner proved the address (see `accounts::prove_address`);
/// `registration` is what the verification link that proved it carried.
async fn proven(
    state: &AppState,
    user: &User,
    registration: Option<PendingRegistration>,
) -> AppResult<User> {
    let (id, now) = (user.id, state.clock.now());
    let user = state
        .db(move |c| prove_address(c, id, registration.as_ref(), now))
        .await?
        .ok_or(AppError::NotFound)?;
    state.sessions.forget(None, Some(id));
    Ok(user)
}

/// Creates a one-time token for `user_id` and returns the token itself (only its hash
/// is stored).
pub async fn new_token(
    state: &AppState,
    user_id: i32,
    purpose: TokenPurpose,
    valid: Duration,
) -> AppResult<String> {
    let now = state.clock.now();
    state
        .db(move |c| leerpad_app::tokens::issue(c, user_id, purpose, valid, now))
        .await
}

/// Sends a sign-in link to `user`, which leads to `next` after signing in.
async fn send_magic_link(state: &AppState, user: &User, next: Option<&str>) -> AppResult<()> {
    let token = new_token(
        state,
        user.id,
        TokenPurpose::Magic,
        Duration::minutes(MAGIC_LINK_MINUTES),
    )
    .await?;
    let mut link = format!("{}/auth/link?token={token}", state.config.base_url());
    if let Some(next) = next {
        link.push_str(&format!("&next={}", urlencode(next)));
    }
    let ctx = json!({ "name": user.display_name, "link": link, "minutes": MAGIC_LINK_MINUTES });
    state
        .send_mail(
            user,
            "magic-link",
            &format!("magic-link:{}", token_hash(&token)),
            ctx,
        )
        .await
}

/// Sends a verification link that carries `registration` (applied when the owner
/// confirms it).
async fn send_verification(
    state: &AppState,
    user: &User,
    registration: &PendingRegistration,
) -> AppResult<()> {
    let token = random_token(32);
    let (hash, now, id) = (token_hash(&token), state.clock.now(), user.id);
    let expires = now + Duration::hours(VERIFY_HOURS);
    let carried = registration.clone();
    state
        .db(move |c| {
            create_token_for(
                c,
                &hash,
                id,
                TokenPurpose::Verify,
                Some(&carried),
                now,
                expires,
            )
        })
        .await?;
    let link = format!("{}/auth/verify?token={token}", state.config.base_url());
    let ctx = json!({ "name": registration.display_name, "link": link });
    state
        .send_mail(
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
