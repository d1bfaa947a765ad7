//! The security suite: each hole found when Leerpad was tried as an attacker would,
//! as the request that used to succeed and what it must get now. See
//! `docs/security.md` for what Leerpad protects, from whom, and how.

use crate::support;

use actix_web::http::header;
use actix_web::test::TestRequest;
use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use leerpad_core::Role;
use leerpad_store::organisations::{self, MemberRole};
use leerpad_store::schema::{login_tokens, rate_limits, sessions};
use leerpad_store::{accounts, learning, reports};
use support::{
    confirm_link, email_count, last_email, link_in, registered, set_role, test_app, Browser,
    TestApp, PASSWORD,
};

fn at(y: i32, m: u32, d: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(23, 59, 59)
        .unwrap()
}

fn rate_limit_rows(app: &TestApp<impl Sized>) -> i64 {
    let mut c = app.state.db.conn().unwrap();
    rate_limits::table.count().get_result(&mut *c).unwrap()
}

async fn register_only(
    app: &TestApp<
        impl actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
            Error = actix_web::Error,
        >,
    >,
    b: &mut Browser,
    name: &str,
    email: &str,
    password: &str,
) {
    b.submit(
        &app.service,
        "/auth/register",
        "/auth/register",
        &[("name", name), ("email", email), ("password", password)],
    )
    .await
    .assert_status(303);
}

/// Signs in with a password in `b`, on the page's own form.
async fn sign_in_with<S, B>(s: &S, b: &mut Browser, email: &str, password: &str) -> support::Page
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    b.submit(
        s,
        "/auth/sign-in",
        "/auth/sign-in",
        &[("email", email), ("password", password)],
    )
    .await
}

/// A form posted with one more header, as a browser (or another site) would send it.
fn form_post(uri: &str, h: (&str, String), fields: &[(&str, &str)]) -> TestRequest {
    TestRequest::post()
        .uri(uri)
        .insert_header((h.0.to_string(), h.1))
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .set_payload(serde_urlencoded::to_string(fields).unwrap())
}

// --- 1. whoever proves an address owns the account ---

/// Used to: an attacker registered the victim's address with a password of theirs;
/// when the victim later signed in by an emailed link, the account was verified and
/// the attacker's password kept working. Now nothing an unproven registration set
/// survives the owner proving the address.
#[actix_web::test]
async fn a_registration_of_someone_elses_address_decides_nothing() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let victim = "slachtoffer@gent.be";
    let mut attacker = Browser::default();
    register_only(
        &app,
        &mut attacker,
        "Aanvaller",
        victim,
        "het wachtwoord van de aanvaller",
    )
    .await;
    let (_, attackers_link) = last_email(&app.state, victim).unwrap();
    let attackers_link = link_in(&attackers_link.text);

    // The owner never clicks that; they ask for a sign-in link instead.
    let mut owner = Browser::default();
    owner
        .submit(s, "/auth/sign-in", "/auth/link", &[("email", victim)])
        .await
        .assert_status(303);
    let (kind, msg) = last_email(&app.state, victim).unwrap();
    assert_eq!(kind, "magic-link");
    confirm_link(&app, &mut owner, &link_in(&msg.text), "/auth/link/confirm").await;
    let home = owner.get(s, "/").await;
    assert!(
        !home.body.contains("Aanvaller"),
        "the attacker's name survived"
    );

    // The attacker's password does not sign in, and their verification link is void.
    let res = attacker
        .submit(
            s,
            "/auth/sign-in",
            "/auth/sign-in",
            &[
                ("email", victim),
                ("password", "het wachtwoord van de aanvaller"),
            ],
        )
        .await;
    res.assert_status(401);
    let page = attacker.get(s, &attackers_link).await;
    page.assert_status(410);
}

/// When the owner registers after an attacker did, the owner's own verification
/// link decides: their name and password, and the attacker's are gone.
#[actix_web::test]
async fn the_owners_own_verification_decides_and_voids_the_others() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let victim = "an@gent.be";
    let mut attacker = Browser::default();
    register_only(
        &app,
        &mut attacker,
        "Aanvaller",
        victim,
        "het wachtwoord van de aanvaller",
    )
    .await;
    let attackers_link = link_in(&last_email(&app.state, victim).unwrap().1.text);
    let mut owner = Browser::default();
    register_only(&app, &mut owner, "An Peeters", victim, PASSWORD).await;
    let (kind, msg) = last_email(&app.state, victim).unwrap();
    assert_eq!(kind, "verify-email");
    assert!(msg.text.contains("An Peeters"), "{}", msg.text);
    // The link shows whose registration it confirms, and a GET signs nobody in.
    let link = link_in(&msg.text);
    let page = owner.get(s, &link).await;
    page.assert_status(200);
    assert!(page.body.contains("An Peeters") && !page.body.contains("Aanvaller"));
    assert!(!owner.cookies.contains_key("lp_session"));
    confirm_link(&app, &mut owner, &link, "/auth/verify").await;
    assert!(owner.get(s, "/").await.body.contains("An Peeters"));
    // The attacker's link is void now, and their password never worked.
    attacker.get(s, &attackers_link).await.assert_status(410);
    attacker
        .submit(
            s,
            "/auth/sign-in",
            "/auth/sign-in",
            &[
                ("email", victim),
                ("password", "het wachtwoord van de aanvaller"),
            ],
        )
        .await
        .assert_status(401);
    let mut again = Browser::default();
    sign_in_with(s, &mut again, victim, PASSWORD)
        .await
        .assert_status(303);
}

/// Used to: opening the verification link signed in at once (login CSRF: another
/// site could sign a visitor into an account of the attacker's).
#[actix_web::test]
async fn no_link_signs_in_on_a_plain_get() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let mut b = Browser::default();
    register_only(&app, &mut b, "An", "an@gent.be", PASSWORD).await;
    let link = link_in(&last_email(&app.state, "an@gent.be").unwrap().1.text);
    let mut elsewhere = Browser::default();
    let page = elsewhere.get(s, &link).await;
    page.assert_status(200);
    assert!(page
        .set_cookies
        .iter()
        .all(|c| !c.starts_with("lp_session=")));
    // Without the page's CSRF token, posting the link's token is refused.
    let token = link.split("token=").nth(1).unwrap();
    let mut forger = Browser::default();
    forger
        .post(s, "/auth/verify", &[("token", token)])
        .await
        .assert_status(403);
    assert!(!forger.cookies.contains_key("lp_session"));
}

// --- 2. course files cannot run script on the site ---

/// Used to: any file in a course's `assets/` was published and served with its own
/// type, so an `.html` or `.js` file ran as whoever opened it. Now the compiler
/// refuses such files (see the compiler's `asset-type` cases), and what is served
/// is sandboxed, never sniffed, and downloaded where a browser would render it.
#[actix_web::test]
async fn course_files_are_served_so_that_they_run_nothing() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let mut la = registered(&app, "An", "an@gent.be").await;
    {
        // showcase is hidden: only those enrolled (by an organisation) see it.
        let mut c = app.state.db.conn().unwrap();
        let uid = accounts::user_by_email(&mut c, "an@gent.be")
            .unwrap()
            .unwrap()
            .id;
        learning::enrol(&mut c, uid, "showcase", app.clock.now()).unwrap();
    }
    let svg = la.get(s, "/assets/showcase/polen.svg").await;
    svg.assert_status(200);
    let h = |name: &str| {
        svg.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    assert_eq!(h("content-type"), "image/svg+xml");
    assert_eq!(h("x-content-type-options"), "nosniff");
    assert!(
        h("content-security-policy").starts_with("sandbox;"),
        "{}",
        h("content-security-policy")
    );
    assert!(h("content-security-policy").contains("default-src 'none'"));
    assert!(
        h("content-disposition").starts_with("attachment;"),
        "an SVG opened on its own is downloaded"
    );

    // A database that still holds a page from before (published by an older
    // version) does not serve it.
    {
        use leerpad_store::schema::assets;
        let mut c = app.state.db.conn().unwrap();
        diesel::update(assets::table)
            .set(assets::media_type.eq("text/html"))
            .execute(&mut *c)
            .unwrap();
    }
    let served = app
        .state
        .courses
        .current(&app.state, "showcase")
        .await
        .unwrap();
    let media: Vec<&str> = served
        .course
        .assets
        .iter()
        .map(|a| a.media_type.as_str())
        .collect();
    assert!(media
        .iter()
        .all(|m| leerpad_core::media::asset_kind_of_media_type(m).is_some()));
}

// --- 3. redirects stay on the site ---

/// Used to: `next=/%09/evil.example` passed the check, and the browser, which drops
/// tabs from URLs, followed it to another site.
#[actix_web::test]
async fn redirects_stay_on_the_site() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    registered(&app, "An", "an@gent.be").await;
    for next in [
        "/%09/evil.example",
        "/%0a/evil.example",
        "/%5Cevil.example",
        "//evil.example",
        "https:evil.example",
        "/\\/evil.example",
    ] {
        let mut b = Browser::default();
        let page = b.get(s, &format!("/auth/sign-in?next={next}")).await;
        assert!(
            !page.body.contains("evil.example"),
            "{next}: the form keeps a foreign target"
        );
        let csrf = page.csrf();
        let decoded = percent_decode(next);
        let res = b
            .post(
                s,
                "/auth/sign-in",
                &[
                    ("csrf", csrf.as_str()),
                    ("email", "an@gent.be"),
                    ("password", PASSWORD),
                    ("next", decoded.as_str()),
                ],
            )
            .await;
        res.assert_status(303);
        assert_eq!(res.location.as_deref(), Some("/"), "{next}");
    }
}

fn percent_decode(s: &str) -> String {
    serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("x={s}"))
        .unwrap()
        .remove(0)
        .1
}

// --- 4. joining an organisation takes consent ---

/// Used to: a coordinator added any existing account by email and at once saw that
/// person's progress from self-study or another organisation, and could overwrite
/// the deadline another organisation had set. Now the person is asked; until they
/// accept the organisation sees only that the request waits; each organisation
/// keeps its own deadline, the learner sees the earliest, and no coordinator
/// changes another organisation's.
#[actix_web::test]
async fn joining_takes_consent_and_each_organisation_keeps_its_deadline() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let now = app.clock.now();
    // Two coordinators and a learner with an account of her own.
    let mut cb = registered(&app, "Dirk Antwerpen", "dirk@antwerpen.be").await;
    let mut ca = registered(&app, "Cora Gent", "cora@gent.be").await;
    let (org_a, org_b) = {
        let mut c = app.state.db.conn().unwrap();
        let a = organisations::create(&mut c, "gent", "Stad Gent", now)
            .unwrap()
            .unwrap();
        let b = organisations::create(&mut c, "antwerpen", "Stad Antwerpen", now)
            .unwrap()
            .unwrap();
        for (org, email) in [(a.id, "cora@gent.be"), (b.id, "dirk@antwerpen.be")] {
            let uid = accounts::user_by_email(&mut c, email).unwrap().unwrap().id;
            organisations::add_member(&mut c, org, uid, MemberRole::Coordinator, None, None, now)
                .unwrap();
        }
        (a.id, b.id)
    };
    set_role(&app.state, "cora@gent.be", Role::Coordinator);
    set_role(&app.state, "dirk@antwerpen.be", Role::Coordinator);
    let mut lena = registered(&app, "Lena Lemmens", "lena@example.org").await;
    let lena_id = set_role(&app.state, "lena@example.org", Role::Learner);

    // B asks Lena; she accepts; B assigns showcase with its deadline.
    cb.submit(
        s,
        "/organisations/antwerpen/members",
        "/organisations/antwerpen/members",
        &[
            ("name", "Lena"),
            ("email", "lena@example.org"),
            ("group", ""),
            ("role", "member"),
        ],
    )
    .await
    .assert_status(303);
    let (kind, msg) = last_email(&app.state, "lena@example.org").unwrap();
    assert_eq!(kind, "join-request");
    assert!(msg.text.contains("Stad Antwerpen") && msg.text.contains("/me/organisations"));
    let requests = lena.get(s, "/me/organisations").await;
    requests.assert_status(200);
    assert!(requests.body.contains("Stad Antwerpen"));
    lena.submit(
        s,
        "/me/organisations",
        "/me/organisations/antwerpen/accept",
        &[],
    )
    .await
    .assert_status(303);
    cb.submit(
        s,
        "/organisations/antwerpen/assignments",
        "/organisations/antwerpen/assignments",
        &[
            ("course", "showcase"),
            ("group", ""),
            ("deadline", "2027-03-01"),
        ],
    )
    .await
    .assert_status(303);

    // A asks Lena too: until she answers, A sees only the address and that the
    // request waits; nothing of her courses; assigning enrols her in nothing.
    ca.submit(
        s,
        "/organisations/gent/members",
        "/organisations/gent/members",
        &[
            ("name", "Iemand"),
            ("email", "lena@example.org"),
            ("group", ""),
            ("role", "member"),
        ],
    )
    .await
    .assert_status(303);
    ca.submit(
        s,
        "/organisations/gent/assignments",
        "/organisations/gent/assignments",
        &[
            ("course", "showcase"),
            ("group", ""),
            ("deadline", "2027-01-15"),
        ],
    )
    .await
    .assert_status(303);
    let members = ca.get(s, "/organisations/gent/members").await;
    assert!(
        !members.body.contains("Lena Lemmens"),
        "A sees her name before she accepts"
    );
    assert!(members.body.contains("lena@example.org"));
    let member = ca
        .get(s, &format!("/organisations/gent/members/{lena_id}"))
        .await;
    member.assert_status(200);
    assert!(
        !member.body.contains("Lena Lemmens")
            && !member.body.contains("Alles wat het cursusformaat kan</h3>")
    );
    let report = ca.get(s, "/organisations/gent/report.csv").await;
    assert!(!report.body.contains("lena@example.org"), "{}", report.body);
    // Nor can A act on her as a member.
    ca.submit(
        s,
        &format!("/organisations/gent/members/{lena_id}"),
        &format!("/organisations/gent/members/{lena_id}/deadline"),
        &[("course", "showcase"), ("deadline", "2027-02-01")],
    )
    .await
    .assert_status(404);
    {
        let mut c = app.state.db.conn().unwrap();
        assert!(reports::member_rows(&mut c, org_a, lena_id, now)
            .unwrap()
            .is_empty());
        let e = learning::enrolment(&mut c, lena_id, "showcase")
            .unwrap()
            .unwrap();
        assert_eq!(e.deadline, Some(at(2027, 3, 1)), "B's deadline alone");
    }

    // She accepts A too: A's assignment applies, and she sees the earliest deadline.
    lena.submit(s, "/me/organisations", "/me/organisations/gent/accept", &[])
        .await
        .assert_status(303);
    assert!(ca
        .get(s, "/organisations/gent/members")
        .await
        .body
        .contains("Lena Lemmens"));
    {
        let mut c = app.state.db.conn().unwrap();
        let e = learning::enrolment(&mut c, lena_id, "showcase")
            .unwrap()
            .unwrap();
        assert_eq!(e.deadline, Some(at(2027, 1, 15)), "the earliest deadline");
    }

    // A moves its deadline later: B's stays, and is now the earliest.
    ca.submit(
        s,
        &format!("/organisations/gent/members/{lena_id}"),
        &format!("/organisations/gent/members/{lena_id}/deadline"),
        &[("course", "showcase"), ("deadline", "2027-06-30")],
    )
    .await
    .assert_status(303);
    {
        let mut c = app.state.db.conn().unwrap();
        let a_rows = reports::member_rows(&mut c, org_a, lena_id, now).unwrap();
        let b_rows = reports::member_rows(&mut c, org_b, lena_id, now).unwrap();
        assert_eq!(a_rows[0].deadline, Some(at(2027, 6, 30)));
        assert_eq!(
            b_rows[0].deadline,
            Some(at(2027, 3, 1)),
            "A changed B's deadline"
        );
        let e = learning::enrolment(&mut c, lena_id, "showcase")
            .unwrap()
            .unwrap();
        assert_eq!(e.deadline, Some(at(2027, 3, 1)));
    }
    // And A cannot reach B's.
    ca.submit(
        s,
        "/organisations/gent/members",
        &format!("/organisations/antwerpen/members/{lena_id}/deadline"),
        &[("course", "showcase"), ("deadline", "2027-12-31")],
    )
    .await
    .assert_status(404);
}

/// A request can be declined: nothing was shared, and the organisation may ask
/// again. Someone asked to coordinate becomes a coordinator only by accepting.
#[actix_web::test]
async fn a_request_to_join_can_be_declined_and_coordinating_takes_acceptance() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let (mut ca, org_a) = coordinator_setup(&app).await;
    let mut jo = registered(&app, "Jo Janssens", "jo@example.org").await;
    ca.submit(
        s,
        "/organisations/gent/members",
        "/organisations/gent/members",
        &[
            ("name", "Jo"),
            ("email", "jo@example.org"),
            ("group", ""),
            ("role", "coordinator"),
        ],
    )
    .await
    .assert_status(303);
    let (_, msg) = last_email(&app.state, "jo@example.org").unwrap();
    assert!(msg.text.contains("coördinator"), "{}", msg.text);
    // Not a coordinator yet.
    jo.get(s, "/organisations/gent").await.assert_status(404);
    jo.submit(
        s,
        "/me/organisations",
        "/me/organisations/gent/decline",
        &[],
    )
    .await
    .assert_status(303);
    {
        let mut c = app.state.db.conn().unwrap();
        let uid = accounts::user_by_email(&mut c, "jo@example.org")
            .unwrap()
            .unwrap()
            .id;
        assert!(organisations::member(&mut c, org_a, uid).unwrap().is_none());
    }
    // Declining twice, or accepting what was declined, finds nothing.
    jo.submit(s, "/me/organisations", "/me/organisations/gent/accept", &[])
        .await
        .assert_status(404);
    // Asked again, Jo accepts and coordinates.
    ca.submit(
        s,
        "/organisations/gent/members",
        "/organisations/gent/members",
        &[
            ("name", "Jo"),
            ("email", "jo@example.org"),
            ("group", ""),
            ("role", "coordinator"),
        ],
    )
    .await
    .assert_status(303);
    jo.submit(s, "/me/organisations", "/me/organisations/gent/accept", &[])
        .await
        .assert_status(303);
    jo.get(s, "/organisations/gent").await.assert_status(200);
}

async fn coordinator_setup<S, B>(app: &TestApp<S>) -> (Browser, i32)
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let b = registered(app, "Cora Gent", "cora@gent.be").await;
    let uid = set_role(&app.state, "cora@gent.be", Role::Coordinator);
    let mut c = app.state.db.conn().unwrap();
    let now = app.clock.now();
    let org = organisations::create(&mut c, "gent", "Stad Gent", now)
        .unwrap()
        .unwrap();
    organisations::add_member(
        &mut c,
        org.id,
        uid,
        MemberRole::Coordinator,
        None,
        None,
        now,
    )
    .unwrap();
    (b, org.id)
}

// --- 5. rate limits that stop attackers, not owners ---

/// Used to: ten wrong passwords locked the owner out for 15 minutes, and behind a
/// load balancer every client was one address. Now a client's wrong answers slow
/// that client down for that account, a trusted proxy's `X-Forwarded-For` names the
/// client, and the owner's sign-in link always works.
#[actix_web::test]
async fn one_client_guessing_slows_down_only_that_client_and_the_link_stays_open() {
    let app = test_app(|c| c.http.trusted_proxies = vec!["127.0.0.1".into()]).await;
    let s = &app.service;
    registered(&app, "An", "an@gent.be").await;
    let mut guesser = Browser::default();
    let csrf = guesser.get(s, "/auth/sign-in").await.csrf();
    let sign_in = |from: &'static str, csrf: String, password: &'static str| {
        form_post(
            "/auth/sign-in",
            ("x-forwarded-for", from.to_string()),
            &[
                ("csrf", csrf.as_str()),
                ("email", "an@gent.be"),
                ("password", password),
            ],
        )
    };
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let res = guesser
            .request(s, sign_in("203.0.113.5", csrf.clone(), "fout fout fout"))
            .await;
        statuses.push(res.status.as_u16());
    }
    assert_eq!(&statuses[..5], &[401; 5]);
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    // The owner, on another address behind the same proxy, signs in at once.
    let mut owner = Browser::default();
    let owner_csrf = owner.get(s, "/auth/sign-in").await.csrf();
    owner
        .request(s, sign_in("198.51.100.7", owner_csrf.clone(), PASSWORD))
        .await
        .assert_status(303);
    // And asking for sign-in links for her address many times shuts her out of
    // nothing: the answer is always the same, at most a few mails go out, and the
    // newest link works.
    let before = email_count(&app.state);
    for _ in 0..10 {
        guesser
            .submit(s, "/auth/sign-in", "/auth/link", &[("email", "an@gent.be")])
            .await
            .assert_status(303);
    }
    assert!(
        email_count(&app.state) - before <= 3,
        "the address was flooded"
    );
    let (_, msg) = last_email(&app.state, "an@gent.be").unwrap();
    let mut phone = Browser::default();
    confirm_link(&app, &mut phone, &link_in(&msg.text), "/auth/link/confirm").await;
}

/// Without trusted proxies, a forwarded address is whatever the client says, so it
/// is ignored.
#[actix_web::test]
async fn forwarded_addresses_from_untrusted_peers_are_ignored() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    registered(&app, "An", "an@gent.be").await;
    let mut b = Browser::default();
    let csrf = b.get(s, "/auth/sign-in").await.csrf();
    let mut statuses = Vec::new();
    for i in 0..7 {
        let req = form_post(
            "/auth/sign-in",
            ("x-forwarded-for", format!("203.0.113.{i}")),
            &[
                ("csrf", csrf.as_str()),
                ("email", "an@gent.be"),
                ("password", "fout fout fout"),
            ],
        );
        statuses.push(b.request(s, req).await.status.as_u16());
    }
    assert_eq!(statuses[5], 429, "{statuses:?}");
}

/// Used to: a refused request still stored a rate-limit row of up to 60 KB, and
/// nothing ever deleted them, nor ended sessions or used links.
#[actix_web::test]
async fn nothing_is_counted_for_what_cannot_be_an_address_and_old_rows_are_pruned() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let mut b = Browser::default();
    let before = rate_limit_rows(&app);
    let huge = format!("{}@example.org", "x".repeat(60_000));
    sign_in_with(s, &mut b, &huge, "x").await.assert_status(401);
    b.submit(s, "/auth/sign-in", "/auth/link", &[("email", &huge)])
        .await
        .assert_status(303);
    b.submit(s, "/auth/reset", "/auth/reset", &[("email", &huge)])
        .await
        .assert_status(303);
    assert_eq!(
        rate_limit_rows(&app),
        before,
        "a row for an impossible address"
    );
    // A real try is counted under a short key.
    sign_in_with(s, &mut b, "an@gent.be", "fout fout fout").await;
    {
        let mut c = app.state.db.conn().unwrap();
        let keys: Vec<String> = rate_limits::table
            .select(rate_limits::bucket)
            .load(&mut *c)
            .unwrap();
        assert!(
            !keys.is_empty() && keys.iter().all(|k| k.len() < 100),
            "{keys:?}"
        );
    }

    // Pruning: a session that ended, a link that expired and a window long past go;
    // what still works stays.
    let mut lena = registered(&app, "Lena", "lena@gent.be").await;
    let (sessions_before, tokens_before) = {
        let mut c = app.state.db.conn().unwrap();
        (
            sessions::table.count().get_result::<i64>(&mut *c).unwrap(),
            login_tokens::table
                .count()
                .get_result::<i64>(&mut *c)
                .unwrap(),
        )
    };
    assert!(sessions_before > 0 && tokens_before > 0);
    let later = app.clock.now() + Duration::days(8);
    let pruned = {
        let mut c = app.state.db.conn().unwrap();
        // Lena's session is still in use (it slides).
        let now = app.clock.now();
        diesel::update(sessions::table)
            .set(sessions::expires_at.eq(later + Duration::hours(1)))
            .filter(sessions::revoked_at.is_null())
            .execute(&mut *c)
            .unwrap();
        let _ = now;
        accounts::prune(&mut c, later).unwrap()
    };
    assert!(pruned.tokens >= 1 && pruned.rate_limits >= 1, "{pruned:?}");
    {
        let mut c = app.state.db.conn().unwrap();
        assert_eq!(
            rate_limits::table
                .count()
                .get_result::<i64>(&mut *c)
                .unwrap(),
            0
        );
        assert_eq!(
            login_tokens::table
                .count()
                .get_result::<i64>(&mut *c)
                .unwrap(),
            0
        );
    }
    lena.get(s, "/me").await.assert_status(200);
}

// --- 6. smaller holes ---

/// Used to: after a reset, the other reset links sent before kept working.
#[actix_web::test]
async fn a_new_password_voids_every_other_reset_link() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    registered(&app, "An", "an@gent.be").await;
    let mut b = Browser::default();
    let mut links = Vec::new();
    for _ in 0..2 {
        b.submit(s, "/auth/reset", "/auth/reset", &[("email", "an@gent.be")])
            .await
            .assert_status(303);
        links.push(link_in(
            &last_email(&app.state, "an@gent.be").unwrap().1.text,
        ));
    }
    assert_ne!(links[0], links[1]);
    let token = links[1].split("token=").nth(1).unwrap().to_string();
    b.submit(
        s,
        &links[1],
        "/auth/reset/confirm",
        &[("token", &token), ("password", "een gloednieuw wachtwoord")],
    )
    .await
    .assert_status(303);
    Browser::default()
        .get(s, &links[0])
        .await
        .assert_status(410);
}

/// Used to: the CSRF cookie stayed the same across signing in and out, and a rotated
/// session cookie kept working until sign-out.
#[actix_web::test]
async fn signing_in_renews_the_csrf_cookie_and_rotated_cookies_die() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    registered(&app, "An", "an@gent.be").await;
    let mut b = Browser::default();
    let page = b.get(s, "/auth/sign-in").await;
    let old_csrf_cookie = b.cookies["lp_csrf"].clone();
    let old_token = page.csrf();
    let res = b
        .post(
            s,
            "/auth/sign-in",
            &[
                ("csrf", old_token.as_str()),
                ("email", "an@gent.be"),
                ("password", PASSWORD),
            ],
        )
        .await;
    res.assert_status(303);
    assert_ne!(
        b.cookies["lp_csrf"], old_csrf_cookie,
        "a new CSRF cookie at sign-in"
    );
    // A token from before signing in is worth nothing now.
    b.post(
        s,
        "/me",
        &[
            ("csrf", old_token.as_str()),
            ("name", "X"),
            ("language", "nl"),
        ],
    )
    .await
    .assert_status(403);

    // Rotation: the old cookie works for requests under way, then never again.
    let old_session = b.cookies["lp_session"].clone();
    app.clock.advance(Duration::minutes(11));
    b.get(s, "/me").await.assert_status(200);
    assert_ne!(b.cookies["lp_session"], old_session);
    let mut copy = Browser::default();
    copy.cookies
        .insert("lp_session".into(), old_session.clone());
    copy.get(s, "/me").await.assert_status(200);
    app.clock.advance(Duration::seconds(31));
    let res = copy.get(s, "/me").await;
    res.assert_status(303);
    b.get(s, "/me").await.assert_status(200);

    // Signing out gives a new CSRF cookie too.
    let before = b.cookies["lp_csrf"].clone();
    b.submit(s, "/me", "/auth/sign-out", &[])
        .await
        .assert_status(303);
    assert_ne!(b.cookies["lp_csrf"], before);
}

/// Used to: personal JSON had no `Cache-Control`; an https site sent no HSTS.
#[actix_web::test]
async fn personal_answers_are_not_cached_and_https_sites_send_hsts() {
    let app = test_app(|c| c.site.base_url = Some("https://leren.gent.be".into())).await;
    let s = &app.service;
    let mut b = Browser::default();
    let page = b.get(s, "/").await;
    assert_eq!(
        page.headers.get("strict-transport-security").unwrap(),
        "max-age=31536000"
    );
    let plain = test_app(|_| {}).await;
    let mut an = registered(&plain, "An", "an@gent.be").await;
    for path in ["/api/v1/me", "/me/data", "/me", "/"] {
        let res = an.get(&plain.service, path).await;
        res.assert_status(200);
        assert_eq!(
            res.headers.get("cache-control").unwrap(),
            "no-store",
            "{path}"
        );
        assert!(!res.headers.contains_key("strict-transport-security"));
    }
    let css = an.get(&plain.service, "/static/leerpad.css").await;
    assert!(css
        .headers
        .get("cache-control")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("public"));
}

/// Used to: any password of ten characters was accepted, however common.
#[actix_web::test]
async fn common_passwords_are_refused_with_a_reason() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let mut b = Browser::default();
    for password in ["password1234", "1234567890", "an.peeters@gent.be"] {
        let res = b
            .submit(
                s,
                "/auth/register",
                "/auth/register",
                &[
                    ("name", "An Peeters"),
                    ("email", "an.peeters@gent.be"),
                    ("password", password),
                ],
            )
            .await;
        res.assert_status(422);
        assert!(
            res.body.contains("te makkelijk te raden"),
            "{password}: {}",
            res.body
        );
    }
}

/// Used to: only the CSRF token stood between another site and a change. Now the
/// browser's own word on where a request comes from is checked first.
#[actix_web::test]
async fn changes_sent_from_another_site_are_refused() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let mut b = registered(&app, "An", "an@gent.be").await;
    let csrf = b.get(s, "/me").await.csrf();
    let change = |h: (&'static str, &'static str)| {
        form_post(
            "/me",
            (h.0, h.1.to_string()),
            &[
                ("csrf", csrf.as_str()),
                ("name", "Gekaapt"),
                ("language", "nl"),
            ],
        )
    };
    for h in [
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
        ("origin", "https://evil.example"),
        ("origin", "null"),
    ] {
        b.request(s, change(h)).await.assert_status(403);
    }
    assert!(!b.get(s, "/me").await.body.contains("Gekaapt"));
    b.request(s, change(("sec-fetch-site", "same-origin")))
        .await
        .assert_status(303);
    b.request(s, change(("origin", "http://127.0.0.1:8080")))
        .await
        .assert_status(303);
}

/// Used to: a malformed path or query answered with actix's plain text naming Rust
/// types, in English.
#[actix_web::test]
async fn unreadable_requests_get_themed_errors_in_the_readers_language() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let mut b = registered(&app, "An", "an@gent.be").await;
    {
        let mut c = app.state.db.conn().unwrap();
        let uid = accounts::user_by_email(&mut c, "an@gent.be")
            .unwrap()
            .unwrap()
            .id;
        learning::enrol(&mut c, uid, "showcase", app.clock.now()).unwrap();
    }
    let res = b
        .get(s, "/courses/showcase/kort-antwoord/attempts/geen-getal")
        .await;
    assert!(res.status.is_client_error(), "{}", res.status);
    assert!(res
        .headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(
        res.body.contains("Dat lukte niet") || res.body.contains("Pagina niet gevonden"),
        "{}",
        res.body
    );
    assert!(
        !res.body.contains("ParseIntError") && !res.body.contains("invalid digit"),
        "{}",
        res.body
    );
    let mut en = Browser::default();
    let res = en
        .send_with_header(s, "/certificates/%FF", ("accept-language", "en"))
        .await;
    assert!(!res.body.contains("error:"), "{}", res.body);
    // The API answers in JSON.
    let (status, body) = b
        .json(
            s,
            "POST",
            "/api/v1/courses/showcase/items/welkom/done",
            Some(serde_json::json!({"done": "ja"})),
            None,
        )
        .await;
    assert!(status.is_client_error(), "{status}");
    assert!(body.get("error").is_some(), "{body}");
}

/// Used to: a request body could take forever to arrive.
#[actix_web::test]
async fn a_body_that_does_not_arrive_in_time_is_cut_off() {
    let app = test_app(|c| c.http.body_timeout_seconds = 1).await;
    let s = &app.service;
    let mut b = Browser::default();
    let csrf = b.get(s, "/auth/sign-in").await.csrf();
    let cookie = b
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    // A body that sends its first bytes and then nothing.
    let (tx, rx) = tokio::sync::mpsc::channel::<
        Result<actix_web::web::Bytes, actix_web::error::PayloadError>,
    >(1);
    tx.send(Ok(actix_web::web::Bytes::from(format!(
        "csrf={csrf}&email=an%40gent.be"
    ))))
    .await
    .unwrap();
    let stalled = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let req = TestRequest::post()
        .uri("/auth/sign-in")
        .peer_addr("127.0.0.1:40000".parse().unwrap())
        .insert_header((header::COOKIE, cookie))
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .to_request();
    let (req, _) = req.replace_payload(actix_http::Payload::from(
        Box::pin(stalled) as actix_http::BoxedPayloadStream
    ));
    let res = actix_web::test::call_service(s, req).await;
    assert_eq!(res.status().as_u16(), 400);
    drop(tx);
}
