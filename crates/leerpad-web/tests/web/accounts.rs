//! Accounts over HTTP: every flow and its error paths.

use crate::support;

use chrono::Duration;
use support::{email_count, last_email, link_in, test_app, Browser};

const PASSWORD: &str = "een lange zin als wachtwoord";

/// Registers and verifies `email`; returns the signed-in browser.
async fn registered<S, B>(app: &support::TestApp<S>, email: &str) -> Browser
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let mut b = Browser::default();
    let res = b
        .submit(
            &app.service,
            "/auth/register",
            "/auth/register",
            &[
                ("name", "An Peeters"),
                ("email", email),
                ("password", PASSWORD),
            ],
        )
        .await;
    res.assert_status(303);
    assert_eq!(
        res.location.as_deref(),
        Some("/auth/sign-in?notice=registered")
    );
    let (kind, msg) = last_email(&app.state, email).expect("a verification email");
    assert_eq!(kind, "verify-email");
    // The link shows a button; only pressing it confirms and signs in.
    let link = link_in(&msg.text);
    let shown = b.get(&app.service, &link).await;
    shown.assert_status(200);
    assert!(
        !b.cookies.contains_key("lp_session"),
        "a GET signs nobody in"
    );
    support::confirm_link(app, &mut b, &link, "/auth/verify").await;
    b
}

#[actix_web::test]
async fn register_verify_and_land_signed_in() {
    let app = test_app(|_| {}).await;
    let mut b = registered(&app, "an@example.org").await;
    let home = b.get(&app.service, "/").await;
    home.assert_status(200);
    assert!(home.body.contains("An Peeters"), "{}", home.body);
    let session = b.cookies.get("lp_session").expect("a session cookie");
    assert!(!session.is_empty());
}

#[actix_web::test]
async fn session_cookies_are_http_only_and_same_site() {
    let app = test_app(|_| {}).await;
    let mut b = Browser::default();
    b.submit(
        &app.service,
        "/auth/register",
        "/auth/register",
        &[
            ("name", "An"),
            ("email", "an@example.org"),
            ("password", PASSWORD),
        ],
    )
    .await;
    let (_, msg) = last_email(&app.state, "an@example.org").unwrap();
    let res = support::confirm_link(&app, &mut b, &link_in(&msg.text), "/auth/verify").await;
    let cookie = res
        .set_cookies
        .iter()
        .find(|c| c.starts_with("lp_session="))
        .expect("session cookie set");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
}

#[actix_web::test]
async fn unverified_accounts_cannot_sign_in_with_a_password() {
    let app = test_app(|_| {}).await;
    let mut b = Browser::default();
    b.submit(
        &app.service,
        "/auth/register",
        "/auth/register",
        &[
            ("name", "An"),
            ("email", "an@example.org"),
            ("password", PASSWORD),
        ],
    )
    .await;
    let res = b
        .submit(
            &app.service,
            "/auth/sign-in",
            "/auth/sign-in",
            &[("email", "an@example.org"), ("password", PASSWORD)],
        )
        .await;
    res.assert_status(403);
    assert!(!b.cookies.contains_key("lp_session"));
}

#[actix_web::test]
async fn wrong_password_and_unknown_account_look_the_same() {
    let app = test_app(|_| {}).await;
    registered(&app, "an@example.org").await;
    let mut b = Browser::default();
    let wrong = b
        .submit(
            &app.service,
            "/auth/sign-in",
            "/auth/sign-in",
            &[
                ("email", "an@example.org"),
                ("password", "niet dit wachtwoord"),
            ],
        )
        .await;
    let unknown = b
        .submit(
            &app.service,
            "/auth/sign-in",
            "/auth/sign-in",
            &[
                ("email", "niemand@example.org"),
                ("password", "niet dit wachtwoord"),
            ],
        )
        .await;
    wrong.assert_status(401);
    unknown.assert_status(401);
    let message = |body: &str| {
        body.split("role=\"alert\"")
            .nth(1)
            .map(|s| s.split("</").next().unwrap().to_string())
    };
    assert_eq!(message(&wrong.body), message(&unknown.body));
    assert!(!b.cookies.contains_key("lp_session"));
}

#[actix_web::test]
async fn password_sign_in_and_sign_out() {
    let app = test_app(|_| {}).await;
    registered(&app, "an@example.org").await;
    let mut b = Browser::default();
    let res = b
        .submit(
            &app.service,
            "/auth/sign-in",
            "/auth/sign-in",
            &[
                ("email", "AN@Example.org "),
                ("password", PASSWORD),
                ("next", "/courses"),
            ],
        )
        .await;
    res.assert_status(303);
    assert_eq!(res.location.as_deref(), Some("/courses"));
    b.get(&app.service, "/me").await.assert_status(200);
    let session = b.cookies.get("lp_session").cloned().unwrap();
    b.submit(&app.service, "/me", "/auth/sign-out", &[])
        .await
        .assert_status(303);
    assert!(!b.cookies.contains_key("lp_session"));
    // The old cookie is worthless after signing out, even if someone kept it.
    let mut thief = Browser::default();
    thief.cookies.insert("lp_session".into(), session);
    let res = thief.get(&app.service, "/me").await;
    res.assert_status(303);
    assert!(res.location.unwrap().starts_with("/auth/sign-in"));
}

#[actix_web::test]
async fn open_redirects_are_refused() {
    let app = test_app(|_| {}).await;
    registered(&app, "an@example.org").await;
    let mut b = Browser::default();
    let res = b
        .submit(
            &app.service,
            "/auth/sign-in",
            "/auth/sign-in",
            &[
                ("email", "an@example.org"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(res.location.as_deref(), Some("/"));
}

#[actix_web::test]
async fn magic_link_signs_in_once_and_expires() {
    let app = test_app(|_| {}).await;
    registered(&app, "an@example.org").await;
    let mut b = Browser::default();
    let res = b
        .submit(
            &app.service,
            "/auth/sign-in",
            "/auth/link",
            &[("email", "an@example.org")],
        )
        .await;
    res.assert_status(303);
    let (kind, msg) = last_email(&app.state, "an@example.org").unwrap();
    assert_eq!(kind, "magic-link");
    let link = link_in(&msg.text);

    // Opening the link shows a button; it does not sign in (mail scanners open links).
    let page = b.get(&app.service, &link).await;
    page.assert_status(200);
    assert!(!b.cookies.contains_key("lp_session"));
    let token = link
        .split("token=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let csrf = page.csrf();
    let res = b
        .post(
            &app.service,
            "/auth/link/confirm",
            &[("csrf", &csrf), ("token", &token), ("next", "/")],
        )
        .await;
    res.assert_status(303);
    assert!(b.cookies.contains_key("lp_session"));

    // Reused: refused.
    let mut other = Browser::default();
    let page = other.get(&app.service, &link).await;
    page.assert_status(410);
    let csrf = other.get(&app.service, "/auth/sign-in").await.csrf();
    other
        .post(
            &app.service,
            "/auth/link/confirm",
            &[("csrf", &csrf), ("token", &token)],
        )
        .await
        .assert_status(410);

    // A new link, used after 16 minutes: expired.
    other
        .submit(
            &app.service,
            "/auth/sign-in",
            "/auth/link",
            &[("email", "an@example.org")],
        )
        .await;
    let (_, msg) = last_email(&app.state, "an@example.org").unwrap();
    app.clock.advance(Duration::minutes(16));
    let page = other.get(&app.service, &link_in(&msg.text)).await;
    page.assert_status(410);
    assert!(!other.cookies.contains_key("lp_session"));
}

#[actix_web::test]
async fn link_requests_do_not_reveal_whether_an_account_exists() {
    let app = test_app(|_| {}).await;
    registered(&app, "an@example.org").await;
    let before = email_count(&app.state);
    let mut b = Browser::default();
    let known = b
        .submit(
            &app.service,
            "/auth/sign-in",
            "/auth/link",
            &[("email", "an@example.org")],
        )
        .await;
    let unknown = b
        .submit(
            &app.service,
            "/auth/sign-in",
            "/auth/link",
            &[("email", "niemand@example.org")],
        )
        .await;
    assert_eq!(
        (known.status, known.location.clone()),
        (unknown.status, unknown.location.clone())
    );
    assert_eq!(
        email_count(&app.state),
        before + 1,
        "only the known address gets mail"
    );
    let reset_known = b
        .submit(
            &app.service,
            "/auth/reset",
            "/auth/reset",
            &[("email", "an@example.org")],
        )
        .await;
    let reset_unknown = b
        .submit(
            &app.service,
            "/auth/reset",
            "/auth/reset",
            &[("email", "niemand@example.org")],
        )
        .await;
    assert_eq!(reset_known.location, reset_unknown.location);
}

#[actix_web::test]
async fn registering_an_existing_address_says_the_same_and_mails_the_owner() {
    let app = test_app(|_| {}).await;
    registered(&app, "an@example.org").await;
    let mut b = Browser::default();
    let res = b
        .submit(
            &app.service,
            "/auth/register",
            "/auth/register",
            &[
                ("name", "Iemand"),
                ("email", "an@example.org"),
                ("password", "een ander wachtwoord hier"),
            ],
        )
        .await;
    assert_eq!(
        res.location.as_deref(),
        Some("/auth/sign-in?notice=registered")
    );
    let (kind, _) = last_email(&app.state, "an@example.org").unwrap();
    assert_eq!(
        kind, "magic-link",
        "the owner gets a sign-in link, not a second account"
    );
}

#[actix_web::test]
async fn registration_checks_its_fields() {
    let app = test_app(|_| {}).await;
    let mut b = Browser::default();
    let res = b
        .submit(
            &app.service,
            "/auth/register",
            "/auth/register",
            &[("name", ""), ("email", "geen-adres"), ("password", "kort")],
        )
        .await;
    res.assert_status(422);
    assert!(res.body.contains("role=\"alert\""));
    assert_eq!(email_count(&app.state), 0);
}

#[actix_web::test]
async fn password_reset_changes_the_password_and_ends_other_sessions() {
    let app = test_app(|_| {}).await;
    let mut first = registered(&app, "an@example.org").await;
    let mut b = Browser::default();
    b.submit(
        &app.service,
        "/auth/reset",
        "/auth/reset",
        &[("email", "an@example.org")],
    )
    .await;
    let (kind, msg) = last_email(&app.state, "an@example.org").unwrap();
    assert_eq!(kind, "password-reset");
    let link = link_in(&msg.text);
    let page = b.get(&app.service, &link).await;
    page.assert_status(200);
    let token = link.split("token=").nth(1).unwrap().to_string();
    let res = b
        .post(
            &app.service,
            "/auth/reset/confirm",
            &[
                ("csrf", &page.csrf()),
                ("token", &token),
                ("password", "een gloednieuw wachtwoord"),
            ],
        )
        .await;
    res.assert_status(303);
    // The session that existed before the reset has ended.
    first.get(&app.service, "/me").await.assert_status(303);
    let mut c = Browser::default();
    c.submit(
        &app.service,
        "/auth/sign-in",
        "/auth/sign-in",
        &[
            ("email", "an@example.org"),
            ("password", "een gloednieuw wachtwoord"),
        ],
    )
    .await
    .assert_status(303);
    assert!(c.cookies.contains_key("lp_session"));
}

#[actix_web::test]
async fn forged_and_expired_session_cookies_are_rejected() {
    let app = test_app(|_| {}).await;
    let mut b = registered(&app, "an@example.org").await;
    let good = b.cookies.get("lp_session").cloned().unwrap();

    // Signed with another secret.
    let mut forger = Browser::default();
    let parts: Vec<&str> = good.split('.').collect();
    forger.cookies.insert(
        "lp_session".into(),
        format!(
            "{}.{}.{}",
            parts[0], parts[1], "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        ),
    );
    forger.get(&app.service, "/me").await.assert_status(303);
    // A changed payload (another user id) breaks the signature.
    let mut forger = Browser::default();
    forger.cookies.insert(
        "lp_session".into(),
        format!("{}.{}x.{}", parts[0], parts[1], parts[2]),
    );
    forger.get(&app.service, "/me").await.assert_status(303);

    // The real cookie works until the session expires.
    b.get(&app.service, "/me").await.assert_status(200);
    app.clock.advance(Duration::hours(13));
    let res = b.get(&app.service, "/me").await;
    res.assert_status(303);
    assert!(
        !b.cookies.contains_key("lp_session"),
        "the expired cookie is cleared"
    );
}

#[actix_web::test]
async fn sessions_rotate_their_cookie() {
    let app = test_app(|_| {}).await;
    let mut b = registered(&app, "an@example.org").await;
    let before = b.cookies.get("lp_session").cloned().unwrap();
    app.clock.advance(Duration::minutes(11));
    b.get(&app.service, "/me").await.assert_status(200);
    let after = b.cookies.get("lp_session").cloned().unwrap();
    assert_ne!(before, after, "a fresh cookie after ten minutes");
    // Activity keeps the session alive past its original expiry.
    app.clock.advance(Duration::hours(6));
    b.get(&app.service, "/me").await.assert_status(200);
    app.clock.advance(Duration::hours(7));
    b.get(&app.service, "/me").await.assert_status(200);
}

#[actix_web::test]
async fn forms_without_a_valid_csrf_token_are_refused() {
    let app = test_app(|_| {}).await;
    let mut b = registered(&app, "an@example.org").await;
    b.post(
        &app.service,
        "/me",
        &[("name", "Gekaapt"), ("language", "en")],
    )
    .await
    .assert_status(403);
    b.post(
        &app.service,
        "/me",
        &[
            ("csrf", "vervalst"),
            ("name", "Gekaapt"),
            ("language", "en"),
        ],
    )
    .await
    .assert_status(403);
    // A token from another browser does not fit this browser's cookie.
    let mut other = Browser::default();
    let foreign = other.get(&app.service, "/auth/sign-in").await.csrf();
    b.post(
        &app.service,
        "/me",
        &[("csrf", &foreign), ("name", "Gekaapt"), ("language", "en")],
    )
    .await
    .assert_status(403);
    let me = b.get(&app.service, "/me").await;
    assert!(!me.body.contains("Gekaapt"));
}

/// Wrong passwords slow an account down; they never lock its owner out.
#[actix_web::test]
async fn sign_in_attempts_slow_down_but_never_lock_the_owner_out() {
    let app = test_app(|_| {}).await;
    registered(&app, "an@example.org").await;
    let mut b = Browser::default();
    let csrf = b.get(&app.service, "/auth/sign-in").await.csrf();
    let try_password = |password: &'static str| {
        [
            ("csrf", csrf.clone()),
            ("email", "an@example.org".to_string()),
            ("password", password.to_string()),
        ]
    };
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let form = try_password("fout fout fout");
        let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        statuses.push(
            b.post(&app.service, "/auth/sign-in", &fields)
                .await
                .status
                .as_u16(),
        );
    }
    assert_eq!(&statuses[..5], &[401; 5], "five tries without waiting");
    assert_eq!(statuses[5], 429, "then a wait before the next try");
    // Even the right password waits, but only as long as Retry-After says, never a
    // quarter of an hour.
    let form = try_password(PASSWORD);
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = b.post(&app.service, "/auth/sign-in", &fields).await;
    refused.assert_status(429);
    let wait: i64 = refused
        .headers
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=300).contains(&wait), "{wait}");
    assert!(
        refused.body.contains(&format!("{wait} seconden")),
        "{}",
        refused.body
    );
    app.clock.advance(Duration::seconds(wait));
    b.post(&app.service, "/auth/sign-in", &fields)
        .await
        .assert_status(303);
}

#[actix_web::test]
async fn invitation_only_registration_is_closed() {
    let app = test_app(|c| c.accounts.registration = leerpad_web::Registration::Invite).await;
    let mut b = Browser::default();
    b.get(&app.service, "/auth/register")
        .await
        .assert_status(403);
    let csrf = b.get(&app.service, "/auth/sign-in").await.csrf();
    b.post(
        &app.service,
        "/auth/register",
        &[
            ("csrf", &csrf),
            ("name", "An"),
            ("email", "an@example.org"),
            ("password", PASSWORD),
        ],
    )
    .await
    .assert_status(403);
    assert_eq!(email_count(&app.state), 0);
}

/// Makes `email` an administrator (as the first start does).
fn make_admin(app_state: &leerpad_web::AppState, email: &str) {
    let mut c = app_state.db.conn().unwrap();
    let user = leerpad_store::accounts::user_by_email(&mut c, email)
        .unwrap()
        .unwrap();
    leerpad_store::accounts::set_role(&mut c, user.id, leerpad_core::Role::Admin).unwrap();
}

#[actix_web::test]
async fn an_admin_disables_an_account_and_its_sessions_end_at_once() {
    let app = test_app(|_| {}).await;
    let mut admin = registered(&app, "beheer@example.org").await;
    make_admin(&app.state, "beheer@example.org");
    let mut learner = registered(&app, "an@example.org").await;
    learner.get(&app.service, "/me").await.assert_status(200);
    // Learners cannot reach administration.
    learner
        .get(&app.service, "/admin/users")
        .await
        .assert_status(403);

    let users = admin.get(&app.service, "/admin/users").await;
    users.assert_status(200);
    let id = {
        let mut c = app.state.db.conn().unwrap();
        leerpad_store::accounts::user_by_email(&mut c, "an@example.org")
            .unwrap()
            .unwrap()
            .id
    };
    let res = admin
        .post(
            &app.service,
            &format!("/admin/users/{id}/disabled"),
            &[("csrf", &users.csrf()), ("disabled", "1")],
        )
        .await;
    res.assert_status(303);
    learner.get(&app.service, "/me").await.assert_status(303);
    // Nor can they sign in again, or get a link.
    let mut b = Browser::default();
    b.submit(
        &app.service,
        "/auth/sign-in",
        "/auth/sign-in",
        &[("email", "an@example.org"), ("password", PASSWORD)],
    )
    .await
    .assert_status(401);
}

#[actix_web::test]
async fn an_invitation_sets_up_an_account() {
    let app = test_app(|c| c.accounts.registration = leerpad_web::Registration::Invite).await;
    // The first administrator comes from the first start; here, directly.
    {
        let mut c = app.state.db.conn().unwrap();
        let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$0000000000000000000000000000000000000000000";
        leerpad_store::accounts::create_user(
            &mut c,
            &leerpad_store::accounts::NewUser {
                email: "beheer@example.org",
                display_name: "Beheer",
                password_hash: Some(hash),
                role: leerpad_core::Role::Admin,
                language: "nl",
                verified: true,
            },
            chrono::Utc::now().naive_utc(),
        )
        .unwrap();
    }
    let mut admin = Browser::default();
    admin
        .submit(
            &app.service,
            "/auth/sign-in",
            "/auth/link",
            &[("email", "beheer@example.org")],
        )
        .await;
    let (_, msg) = last_email(&app.state, "beheer@example.org").unwrap();
    let link = link_in(&msg.text);
    let page = admin.get(&app.service, &link).await;
    let token = link
        .split("token=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    admin
        .post(
            &app.service,
            "/auth/link/confirm",
            &[("csrf", &page.csrf()), ("token", &token)],
        )
        .await
        .assert_status(303);

    admin
        .submit(
            &app.service,
            "/admin/users",
            "/admin/invitations",
            &[
                ("name", "Bert"),
                ("email", "bert@example.org"),
                ("role", "learner"),
            ],
        )
        .await
        .assert_status(303);
    let (kind, msg) = last_email(&app.state, "bert@example.org").unwrap();
    assert_eq!(kind, "invitation");
    let link = link_in(&msg.text);
    let mut bert = Browser::default();
    let page = bert.get(&app.service, &link).await;
    page.assert_status(200);
    let token = link.split("token=").nth(1).unwrap().to_string();
    bert.post(
        &app.service,
        "/auth/invite",
        &[
            ("csrf", &page.csrf()),
            ("token", &token),
            ("name", "Bert V."),
            ("password", PASSWORD),
        ],
    )
    .await
    .assert_status(303);
    let me = bert.get(&app.service, "/me").await;
    me.assert_status(200);
    assert!(me.body.contains("Bert V."));
}

#[actix_web::test]
async fn pages_carry_security_headers_and_language_follows_the_browser() {
    let app = test_app(|_| {}).await;
    let mut b = Browser::default();
    let page = b.get(&app.service, "/auth/sign-in").await;
    for h in [
        "content-security-policy",
        "x-content-type-options",
        "x-frame-options",
        "referrer-policy",
    ] {
        assert!(page.headers.contains_key(h), "{h} missing");
    }
    assert!(page.body.contains("<html lang=\"nl\">"));
    let en = b
        .send_with_header(
            &app.service,
            "/auth/sign-in",
            ("Accept-Language", "en-GB,en;q=0.9"),
        )
        .await;
    assert!(
        en.body.contains("<html lang=\"en\">"),
        "{}",
        &en.body[..200]
    );
}

/// An administrator sees and changes anyone's role; inviting someone who already
/// has an account gives them the role at once (no invitation, no new password), and
/// the last administrator keeps theirs.
#[actix_web::test]
async fn an_administrator_manages_roles() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let mut admin = registered(&app, "beheer@example.org").await;
    let admin_id = support::set_role(&app.state, "beheer@example.org", leerpad_core::Role::Admin);
    let mut an = registered(&app, "an@example.org").await;
    let an_id = support::set_role(&app.state, "an@example.org", leerpad_core::Role::Learner);
    let before = email_count(&app.state);
    let res = admin
        .submit(
            s,
            "/admin/users",
            "/admin/invitations",
            &[
                ("email", "an@example.org"),
                ("name", "An"),
                ("role", "coordinator"),
            ],
        )
        .await;
    res.assert_status(303);
    assert_eq!(
        res.location.as_deref(),
        Some("/admin/users?notice=role-changed")
    );
    assert_eq!(
        email_count(&app.state),
        before,
        "no invitation to an existing account"
    );
    let role_of = |id: i32| {
        let mut c = app.state.db.conn().unwrap();
        leerpad_store::accounts::user(&mut c, id)
            .unwrap()
            .unwrap()
            .role()
    };
    assert_eq!(role_of(an_id), leerpad_core::Role::Coordinator);
    // The menu shows it on her next page.
    assert!(an
        .get(s, "/me")
        .await
        .body
        .contains("href=\"/organisations\""));
    // Changed back on the accounts page.
    let page = admin.get(s, "/admin/users").await;
    assert!(page
        .body
        .contains(&format!("action=\"/admin/users/{an_id}/role\"")));
    admin
        .submit(
            s,
            "/admin/users",
            &format!("/admin/users/{an_id}/role"),
            &[("role", "learner")],
        )
        .await
        .assert_status(303);
    assert_eq!(role_of(an_id), leerpad_core::Role::Learner);
    // The last administrator cannot stop being one.
    let res = admin
        .submit(
            s,
            "/admin/users",
            &format!("/admin/users/{admin_id}/role"),
            &[("role", "learner")],
        )
        .await;
    res.assert_status(409);
    assert!(
        res.body.contains("laatste beheerdersaccount"),
        "{}",
        res.body
    );
    admin.get(s, "/admin/users").await.assert_status(200);
}
