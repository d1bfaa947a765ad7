//! A person's data over HTTP: downloading it, and deleting the account.

use crate::support;

use chrono::Duration;
use diesel::prelude::*;
use leerpad_core::Role;
use leerpad_store::accounts::{self, NewUser};
use leerpad_store::learning::{self, NewCertificate};
use leerpad_store::schema::{
    anonymised_enrolments, audit_log, memberships, org_groups, organisations,
};
use support::{last_email, link_in, test_app, Browser, TestApp, PASSWORD};

/// Registers and verifies `email`, enrolled in the showcase course; returns the
/// signed-in browser and the user's id.
async fn learner<S, B>(app: &TestApp<S>, email: &str, name: &str) -> (Browser, i32)
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let b = support::registered(app, name, email).await;
    let mut c = app.state.db.conn().unwrap();
    let id = accounts::user_by_email(&mut c, email).unwrap().unwrap().id;
    learning::enrol(&mut c, id, "showcase", app.clock.now()).unwrap();
    (b, id)
}

fn exists(state: &leerpad_web::AppState, email: &str) -> bool {
    let mut c = state.db.conn().unwrap();
    accounts::user_by_email(&mut c, email).unwrap().is_some()
}

#[actix_web::test]
async fn downloading_data_needs_sign_in_and_gives_only_ones_own() {
    let app = test_app(|_| {}).await;
    let mut anonymous = Browser::default();
    let res = anonymous.get(&app.service, "/me/data").await;
    res.assert_status(303);
    assert_eq!(
        res.location.as_deref(),
        Some("/auth/sign-in?next=%2Fme%2Fdata")
    );

    let (mut an, an_id) = learner(&app, "an@example.org", "An Peeters").await;
    let (_, bo_id) = learner(&app, "bo@example.org", "Bo Janssens").await;
    {
        let mut c = app.state.db.conn().unwrap();
        let now = app.clock.now();
        for (id, text) in [(an_id, "Wat An opschreef"), (bo_id, "Wat Bo opschreef")] {
            learning::save_reflection(&mut c, id, "showcase", "eerste-gedachte", text, now)
                .unwrap();
        }
    }

    let res = an.get(&app.service, "/me/data").await;
    res.assert_status(200);
    let header = |name: &str| {
        res.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    assert!(header("content-type").starts_with("application/json"));
    assert_eq!(header("cache-control"), "no-store");
    let today = app.clock.now().format("%Y-%m-%d").to_string();
    assert_eq!(
        header("content-disposition"),
        format!("attachment; filename=\"leerpad-data-{today}.json\"")
    );
    let data: serde_json::Value = serde_json::from_str(&res.body).unwrap();
    assert_eq!(data["format"], "leerpad-personal-data/1");
    assert_eq!(data["profile"]["email"], "an@example.org");
    assert_eq!(data["profile"]["display_name"], "An Peeters");
    assert_eq!(data["enrolments"][0]["course"], "showcase");
    assert_eq!(data["reflections"][0]["answer"], "Wat An opschreef");
    assert!(data["sessions"].as_array().is_some_and(|s| !s.is_empty()));
    assert_eq!(data["emails"][0]["kind"], "verify-email");
    for other in [
        "bo@example.org",
        "Bo Janssens",
        "Wat Bo opschreef",
        "$argon2",
    ] {
        assert!(!res.body.contains(other), "`{other}` in the export");
    }
}

#[actix_web::test]
async fn the_settings_page_links_to_both() {
    let app = test_app(|_| {}).await;
    let (mut an, _) = learner(&app, "an@example.org", "An").await;
    let me = an.get(&app.service, "/me").await;
    me.assert_status(200);
    assert!(me.body.contains("href=\"/me/data\""));
    assert!(me.body.contains("href=\"/me/delete\""));
    let page = an.get(&app.service, "/me/delete").await;
    page.assert_status(200);
    assert!(page.body.contains("certificaten"), "{}", page.body);
    assert!(page.body.contains("<label for=\"confirm-password\">"));
    Browser::default()
        .get(&app.service, "/me/delete")
        .await
        .assert_status(303);
}

#[actix_web::test]
async fn a_wrong_password_or_a_missing_form_token_deletes_nothing() {
    let app = test_app(|_| {}).await;
    let (mut an, _) = learner(&app, "an@example.org", "An").await;

    let wrong = an
        .submit(
            &app.service,
            "/me/delete",
            "/me/delete",
            &[("password", "niet mijn wachtwoord")],
        )
        .await;
    wrong.assert_status(422);
    assert!(wrong.body.contains("role=\"alert\" id=\"form-errors\""));
    assert!(wrong.body.contains("Dat wachtwoord klopt niet"));
    assert!(
        wrong
            .body
            .contains("aria-describedby=\"confirm-hint form-errors\""),
        "the error is tied to the field"
    );
    assert!(exists(&app.state, "an@example.org"));

    // Without the CSRF token, or with another browser's, the form is refused.
    an.post(&app.service, "/me/delete", &[("password", PASSWORD)])
        .await
        .assert_status(403);
    let foreign = Browser::default()
        .get(&app.service, "/auth/sign-in")
        .await
        .csrf();
    an.post(
        &app.service,
        "/me/delete",
        &[("csrf", &foreign), ("password", PASSWORD)],
    )
    .await
    .assert_status(403);
    assert!(exists(&app.state, "an@example.org"));
    an.get(&app.service, "/me").await.assert_status(200);
}

#[actix_web::test]
async fn the_right_password_deletes_the_account_and_leaves_a_count() {
    let app = test_app(|_| {}).await;
    let (mut an, an_id) = learner(&app, "an@example.org", "An Peeters").await;
    let (mut bo, _) = learner(&app, "bo@example.org", "Bo").await;
    let (org, code) = {
        let mut c = app.state.db.conn().unwrap();
        let now = app.clock.now();
        diesel::insert_into(organisations::table)
            .values((
                organisations::slug.eq("gent"),
                organisations::name.eq("Stad Gent"),
                organisations::created_at.eq(now),
            ))
            .execute(&mut *c)
            .unwrap();
        let org: i32 = organisations::table
            .select(organisations::id)
            .first(&mut *c)
            .unwrap();
        diesel::insert_into(org_groups::table)
            .values((
                org_groups::organisation_id.eq(org),
                org_groups::name.eq("Welzijn"),
                org_groups::created_at.eq(now),
            ))
            .execute(&mut *c)
            .unwrap();
        let group: i32 = org_groups::table
            .select(org_groups::id)
            .first(&mut *c)
            .unwrap();
        diesel::insert_into(memberships::table)
            .values((
                memberships::organisation_id.eq(org),
                memberships::user_id.eq(an_id),
                memberships::role.eq("member"),
                memberships::created_at.eq(now),
                memberships::group_id.eq(Some(group)),
                memberships::accepted_at.eq(Some(now)),
            ))
            .execute(&mut *c)
            .unwrap();
        // The organisation assigned her the course (which enrols her).
        leerpad_store::organisations::assign(&mut c, org, Some(group), "showcase", None, None, now)
            .unwrap();
        let version = leerpad_store::publish::serving_version(&mut c, "showcase")
            .unwrap()
            .unwrap();
        let cert = learning::issue_certificate(
            &mut c,
            &NewCertificate {
                code: "ABCD-EFGH-JKLM",
                user_id: an_id,
                course_id: "showcase",
                version_id: version,
                holder_name: "An Peeters",
                title: "Showcase",
                expires_at: None,
            },
            now,
        )
        .unwrap();
        (org, cert.code)
    };
    let verify = format!("/certificates/{code}");
    Browser::default()
        .get(&app.service, &verify)
        .await
        .assert_status(200);
    let old_session = an.cookies.get("lp_session").cloned().unwrap();

    let res = an
        .submit(
            &app.service,
            "/me/delete",
            "/me/delete",
            &[("password", PASSWORD)],
        )
        .await;
    res.assert_status(303);
    assert_eq!(res.location.as_deref(), Some("/?notice=account-deleted"));
    assert!(!an.cookies.contains_key("lp_session"), "signed out");
    let home = an.get(&app.service, "/?notice=account-deleted").await;
    home.assert_status(200);
    assert!(
        home.body
            .contains("Je account en al je gegevens zijn verwijderd."),
        "{}",
        home.body
    );
    assert!(!exists(&app.state, "an@example.org"));

    // The old session cookie no longer works, and nor does the password.
    let mut thief = Browser::default();
    thief.cookies.insert("lp_session".into(), old_session);
    let res = thief.get(&app.service, "/me").await;
    res.assert_status(303);
    assert!(res.location.unwrap().starts_with("/auth/sign-in"));
    Browser::default()
        .submit(
            &app.service,
            "/auth/sign-in",
            "/auth/sign-in",
            &[("email", "an@example.org"), ("password", PASSWORD)],
        )
        .await
        .assert_status(401);

    // The certificate no longer verifies.
    Browser::default()
        .get(&app.service, &verify)
        .await
        .assert_status(404);

    // Reports keep a count, the audit log a line without a name.
    let mut c = app.state.db.conn().unwrap();
    let counts: Vec<(i32, String, String, String, i32)> = anonymised_enrolments::table
        .select((
            anonymised_enrolments::organisation_id,
            anonymised_enrolments::group_name,
            anonymised_enrolments::course_id,
            anonymised_enrolments::status,
            anonymised_enrolments::count,
        ))
        .load(&mut *c)
        .unwrap();
    assert_eq!(
        counts,
        vec![(
            org,
            "Welzijn".into(),
            "showcase".into(),
            "not_started".into(),
            1
        )]
    );
    let audit: Vec<(Option<i32>, String, String)> = audit_log::table
        .filter(audit_log::action.eq("account.deleted"))
        .select((audit_log::actor_id, audit_log::subject, audit_log::details))
        .load(&mut *c)
        .unwrap();
    assert_eq!(audit, vec![(None, format!("user:{an_id}"), "{}".into())]);

    // Another learner is untouched.
    bo.get(&app.service, "/me").await.assert_status(200);
    assert!(exists(&app.state, "bo@example.org"));
}

#[actix_web::test]
async fn an_account_without_a_password_confirms_with_its_address() {
    let app = test_app(|_| {}).await;
    {
        let mut c = app.state.db.conn().unwrap();
        accounts::create_user(
            &mut c,
            &NewUser {
                email: "cas@example.org",
                display_name: "Cas",
                password_hash: None,
                role: Role::Learner,
                language: "nl",
                verified: true,
            },
            app.clock.now(),
        )
        .unwrap()
        .unwrap();
    }
    // Sign in with a link by email.
    let mut b = Browser::default();
    b.submit(
        &app.service,
        "/auth/sign-in",
        "/auth/link",
        &[("email", "cas@example.org")],
    )
    .await
    .assert_status(303);
    let (_, msg) = last_email(&app.state, "cas@example.org").unwrap();
    let link = link_in(&msg.text);
    let token = link
        .split("token=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    b.submit(
        &app.service,
        &link,
        "/auth/link/confirm",
        &[("token", &token)],
    )
    .await
    .assert_status(303);

    let page = b.get(&app.service, "/me/delete").await;
    page.assert_status(200);
    assert!(page.body.contains("<label for=\"confirm-email\">"));
    assert!(!page.body.contains("type=\"password\""));
    let wrong = b
        .submit(
            &app.service,
            "/me/delete",
            "/me/delete",
            &[("email", "iemand@example.org")],
        )
        .await;
    wrong.assert_status(422);
    assert!(wrong
        .body
        .contains("Dat is niet het e-mailadres van je account"));
    assert!(exists(&app.state, "cas@example.org"));
    b.submit(
        &app.service,
        "/me/delete",
        "/me/delete",
        &[("email", " Cas@Example.org")],
    )
    .await
    .assert_status(303);
    assert!(!exists(&app.state, "cas@example.org"));
}

#[actix_web::test]
async fn the_last_administrator_is_told_to_appoint_another_first() {
    let app = test_app(|_| {}).await;
    let (mut admin, id) = learner(&app, "beheer@example.org", "Beheer").await;
    {
        let mut c = app.state.db.conn().unwrap();
        accounts::set_role(&mut c, id, Role::Admin).unwrap();
    }
    app.state.sessions.forget(None, Some(id));
    let res = admin
        .submit(
            &app.service,
            "/me/delete",
            "/me/delete",
            &[("password", PASSWORD)],
        )
        .await;
    res.assert_status(409);
    assert!(res.body.contains("Je bent de laatste beheerder"));
    assert!(exists(&app.state, "beheer@example.org"));
    admin.get(&app.service, "/me").await.assert_status(200);
}

#[actix_web::test]
async fn confirmation_attempts_are_rate_limited() {
    let app = test_app(|_| {}).await;
    let (mut an, _) = learner(&app, "an@example.org", "An").await;
    let csrf = an.get(&app.service, "/me/delete").await.csrf();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let res = an
            .post(
                &app.service,
                "/me/delete",
                &[("csrf", &csrf), ("password", "fout fout fout")],
            )
            .await;
        statuses.push(res.status.as_u16());
    }
    assert_eq!(statuses, [422, 422, 422, 422, 422, 429]);
    an.post(
        &app.service,
        "/me/delete",
        &[("csrf", &csrf), ("password", PASSWORD)],
    )
    .await
    .assert_status(429);
    assert!(exists(&app.state, "an@example.org"));
    app.clock.advance(Duration::minutes(16));
    an.post(
        &app.service,
        "/me/delete",
        &[("csrf", &csrf), ("password", PASSWORD)],
    )
    .await
    .assert_status(303);
    assert!(!exists(&app.state, "an@example.org"));
}
