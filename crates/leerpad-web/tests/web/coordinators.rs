//! A coordinator's work over HTTP: an organisation created by an administrator,
//! people invited from a CSV file, a course assigned to a group with a deadline,
//! the dashboard with its filters, and exports and the API that hold exactly the
//! dashboard's rows.

use crate::support;

use chrono::{Duration, Utc};
use leerpad_core::Role;
use leerpad_store::organisations;
use support::{accept_invitation, last_email, registered, set_role, test_app, Browser, TestApp};

/// An administrator creates organisation `slug` whose first coordinator is
/// `coordinator`; returns the coordinator's browser, signed in through the invitation.
async fn organisation_with_coordinator<S, B>(
    app: &TestApp<S>,
    admin: &mut Browser,
    slug: &str,
    name: &str,
    coordinator: &str,
) -> Browser
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let res = admin
        .submit(
            &app.service,
            "/organisations",
            "/organisations",
            &[
                ("name", name),
                ("slug", slug),
                ("coordinator_name", "Cora Coördinator"),
                ("coordinator_email", coordinator),
            ],
        )
        .await;
    res.assert_status(303);
    assert_eq!(
        res.location.as_deref(),
        Some(format!("/organisations/{slug}?notice=organisation-created").as_str())
    );
    accept_invitation(app, coordinator).await
}

fn user_id(app_state: &leerpad_web::AppState, email: &str) -> Option<i32> {
    let mut c = app_state.db.conn().unwrap();
    leerpad_store::accounts::user_by_email(&mut c, email)
        .unwrap()
        .map(|u| u.id)
}

/// The data rows of a CSV export (without the BOM and the header).
fn csv_rows(bytes: &[u8], delimiter: u8) -> Vec<Vec<String>> {
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "a UTF-8 byte order mark"
    );
    let mut r = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(&bytes[3..]);
    r.records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[actix_web::test]
async fn a_coordinator_invites_assigns_follows_up_and_exports() {
    let app = test_app(|_| {}).await;
    let mut admin = registered(&app, "Beheerder", "beheer@example.org").await;
    set_role(&app.state, "beheer@example.org", Role::Admin);
    let mut cora =
        organisation_with_coordinator(&app, &mut admin, "gent", "Stad Gent", "cora@gent.be").await;

    // One organisation: its dashboard is the coordinator's way in.
    let res = cora.get(&app.service, "/organisations").await;
    res.assert_status(303);
    assert_eq!(res.location.as_deref(), Some("/organisations/gent"));
    cora.get(&app.service, "/organisations/gent")
        .await
        .assert_status(200);

    // A file with mistakes: every bad row is reported, and no one is invited.
    let bad = "naam;e-mail;groep\nAn Peeters;an@gent.be;Burgerzaken\nBert;geen-adres;Welzijn\n;chris@gent.be;\nAn Peeters;AN@gent.be;Burgerzaken\n";
    let res = cora
        .upload(
            &app.service,
            "/organisations/gent/members",
            "/organisations/gent/members/import",
            bad.as_bytes(),
        )
        .await;
    res.assert_status(422);
    for line in [
        "<td class=\"num\">3</td>",
        "<td class=\"num\">4</td>",
        "<td class=\"num\">5</td>",
    ] {
        assert!(
            res.body.contains(line),
            "line reported: {line}\n{}",
            res.body
        );
    }
    assert!(
        res.body.contains("regel 2"),
        "the duplicate points to its first line"
    );
    assert_eq!(user_id(&app.state, "an@gent.be"), None, "nothing imported");

    // The file as Excel saves it in Belgium: Windows-1252 and semicolons.
    let mut good = b"Naam;E-mailadres;Groep\r\nRen".to_vec();
    good.push(0xe9);
    good.extend_from_slice(
        b"e Peeters;an@gent.be;Burgerzaken\r\nBert Claes;bert@gent.be;Burgerzaken\r\nChris Dua;chris@gent.be;Welzijn\r\n",
    );
    let res = cora
        .upload(
            &app.service,
            "/organisations/gent/members",
            "/organisations/gent/members/import",
            &good,
        )
        .await;
    res.assert_status(200);
    assert_eq!(
        res.body.matches("uitgenodigd per e-mail").count(),
        3,
        "{}",
        res.body
    );
    let (kind, _) = last_email(&app.state, "bert@gent.be").unwrap();
    assert_eq!(kind, "invitation");
    // Uploading it again changes nothing.
    let again = cora
        .upload(
            &app.service,
            "/organisations/gent/members",
            "/organisations/gent/members/import",
            &good,
        )
        .await;
    assert_eq!(
        again.body.matches("was al lid").count(),
        3,
        "{}",
        again.body
    );
    let members = cora.get(&app.service, "/organisations/gent/members").await;
    assert!(
        members.body.contains("Renée Peeters"),
        "decoded as Windows-1252"
    );

    // Assign the course to Burgerzaken with a deadline in a month.
    let burgerzaken = {
        let mut c = app.state.db.conn().unwrap();
        let org = organisations::by_slug(&mut c, "gent").unwrap().unwrap();
        organisations::groups(&mut c, org.id)
            .unwrap()
            .into_iter()
            .find(|g| g.name == "Burgerzaken")
            .unwrap()
            .id
    };
    let deadline = (Utc::now() + Duration::days(30))
        .format("%Y-%m-%d")
        .to_string();
    let res = cora
        .submit(
            &app.service,
            "/organisations/gent/assignments",
            "/organisations/gent/assignments",
            &[
                ("course", "showcase"),
                ("group", &burgerzaken.to_string()),
                ("deadline", &deadline),
            ],
        )
        .await;
    res.assert_status(303);
    let location = res.location.unwrap();
    assert!(location.contains("enrolled=2"));
    let notice = cora.get(&app.service, &location).await;
    assert!(
        notice.body.contains("De opleiding is toegewezen."),
        "the notice is shown"
    );
    let past = cora
        .submit(
            &app.service,
            "/organisations/gent/assignments",
            "/organisations/gent/assignments",
            &[
                ("course", "showcase"),
                ("group", ""),
                ("deadline", "2020-01-01"),
            ],
        )
        .await;
    past.assert_status(422);

    // Bert accepts his invitation and finishes a lesson; An has not reacted yet.
    let mut bert = accept_invitation(&app, "bert@gent.be").await;
    bert.get(&app.service, "/courses/showcase/welkom")
        .await
        .assert_status(200);
    bert.submit(
        &app.service,
        "/courses/showcase/welkom",
        "/courses/showcase/welkom/done",
        &[],
    )
    .await
    .assert_status(303);

    // The dashboard: one row per member and course, statuses and totals.
    let page = cora.get(&app.service, "/organisations/gent").await;
    page.assert_status(200);
    assert!(page.body.contains("2 rijen"), "{}", page.body);
    assert!(page.body.contains("uitgenodigd") && page.body.contains("bezig"));
    assert!(
        !page.body.contains("Chris Dua</a>"),
        "Welzijn was not assigned the course"
    );

    // Filtered on "invited": An only, and the exports hold exactly that row.
    let filtered = cora
        .get(&app.service, "/organisations/gent?status=invited")
        .await;
    assert!(filtered.body.contains("1 rij:"), "{}", filtered.body);
    assert!(filtered.body.contains("an@gent.be") && !filtered.body.contains("bert@gent.be</span>"));
    let csv = cora
        .get(
            &app.service,
            "/organisations/gent/report.csv?status=invited&delimiter=semicolon",
        )
        .await;
    csv.assert_status(200);
    assert!(csv
        .headers
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("attachment"));
    let rows = csv_rows(&csv.bytes, b';');
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].contains(&"an@gent.be".to_string()));
    let xlsx = cora
        .get(
            &app.service,
            "/organisations/gent/report.xlsx?status=invited",
        )
        .await;
    xlsx.assert_status(200);
    assert!(
        xlsx.bytes.starts_with(b"PK"),
        "an XLSX file is a zip archive"
    );

    // A date that has passed is refused on the member page as on the assignments
    // page; a learner whose (tomorrow's) deadline passes is overdue, found by the filter.
    let bert_id = user_id(&app.state, "bert@gent.be").unwrap();
    let refused = cora
        .submit(
            &app.service,
            &format!("/organisations/gent/members/{bert_id}"),
            &format!("/organisations/gent/members/{bert_id}/deadline"),
            &[("course", "showcase"), ("deadline", "2020-01-01")],
        )
        .await;
    refused.assert_status(422);
    assert!(
        refused.body.contains("Die deadline is al voorbij"),
        "{}",
        refused.body
    );
    let tomorrow = (app.clock.now() + chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let res = cora
        .submit(
            &app.service,
            &format!("/organisations/gent/members/{bert_id}"),
            &format!("/organisations/gent/members/{bert_id}/deadline"),
            &[("course", "showcase"), ("deadline", &tomorrow)],
        )
        .await;
    res.assert_status(303);
    // Two days go by, with the coordinator at work (a session lasts 12 hours idle).
    for _ in 0..5 {
        app.clock.advance(chrono::Duration::hours(10));
        cora.get(&app.service, "/organisations/gent")
            .await
            .assert_status(200);
    }
    let overdue = cora
        .get(
            &app.service,
            "/organisations/gent/report.csv?status=overdue",
        )
        .await;
    let rows = csv_rows(&overdue.bytes, b',');
    assert_eq!(rows.len(), 1);
    assert!(rows[0].contains(&"bert@gent.be".to_string()));

    // One person, outside the group, gets the course on their own.
    let chris_id = user_id(&app.state, "chris@gent.be").unwrap();
    let res = cora
        .submit(
            &app.service,
            &format!("/organisations/gent/members/{chris_id}"),
            &format!("/organisations/gent/members/{chris_id}/courses"),
            &[("course", "showcase"), ("deadline", &deadline)],
        )
        .await;
    res.assert_status(303);
    let all = cora
        .get(&app.service, "/organisations/gent/report.csv")
        .await;
    let rows = csv_rows(&all.bytes, b',');
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows
        .iter()
        .any(|r| r.contains(&"chris@gent.be".to_string())));

    // Bad filters are refused with a clear message, not ignored.
    let bad = cora
        .get(&app.service, "/organisations/gent?status=klaar")
        .await;
    bad.assert_status(400);
}

#[actix_web::test]
async fn a_coordinator_sees_nothing_of_another_organisation() {
    let app = test_app(|_| {}).await;
    let mut admin = registered(&app, "Beheerder", "beheer@example.org").await;
    set_role(&app.state, "beheer@example.org", Role::Admin);
    let mut gent =
        organisation_with_coordinator(&app, &mut admin, "gent", "Stad Gent", "cora@gent.be").await;
    let mut antwerpen = organisation_with_coordinator(
        &app,
        &mut admin,
        "antwerpen",
        "Stad Antwerpen",
        "dirk@antwerpen.be",
    )
    .await;
    antwerpen
        .submit(
            &app.service,
            "/organisations/antwerpen/members",
            "/organisations/antwerpen/members",
            &[
                ("name", "Eva Antwerpen"),
                ("email", "eva@antwerpen.be"),
                ("group", ""),
            ],
        )
        .await
        .assert_status(303);
    let eva = user_id(&app.state, "eva@antwerpen.be").unwrap();
    for path in [
        "/organisations/antwerpen".to_string(),
        "/organisations/antwerpen/members".to_string(),
        "/organisations/antwerpen/assignments".to_string(),
        "/organisations/antwerpen/report.csv".to_string(),
        format!("/organisations/antwerpen/members/{eva}"),
        format!("/organisations/gent/members/{eva}"),
    ] {
        let res = gent.get(&app.service, &path).await;
        res.assert_status(404);
        assert!(!res.body.contains("eva@antwerpen.be"), "{path}");
    }
    let res = gent
        .submit(
            &app.service,
            "/organisations/gent",
            &format!("/organisations/gent/members/{eva}/deadline"),
            &[("course", "showcase"), ("deadline", "2030-01-01")],
        )
        .await;
    res.assert_status(404);
    let (_, list) = gent
        .json(&app.service, "GET", "/api/v1/organisations", None, None)
        .await;
    assert_eq!(list["organisations"].as_array().unwrap().len(), 1, "{list}");
}

#[actix_web::test]
async fn api_tokens_fetch_reports_until_revoked() {
    let app = test_app(|_| {}).await;
    let mut admin = registered(&app, "Beheerder", "beheer@example.org").await;
    set_role(&app.state, "beheer@example.org", Role::Admin);
    let mut cora =
        organisation_with_coordinator(&app, &mut admin, "gent", "Stad Gent", "cora@gent.be").await;
    cora.submit(
        &app.service,
        "/organisations/gent/members",
        "/organisations/gent/members",
        &[
            ("name", "An Peeters"),
            ("email", "an@gent.be"),
            ("group", "Burgerzaken"),
        ],
    )
    .await
    .assert_status(303);
    cora.submit(
        &app.service,
        "/organisations/gent/assignments",
        "/organisations/gent/assignments",
        &[("course", "showcase"), ("group", ""), ("deadline", "")],
    )
    .await
    .assert_status(303);

    // Learners have no tokens.
    let mut learner = registered(&app, "Leo", "leo@example.org").await;
    learner
        .get(&app.service, "/me/api-tokens")
        .await
        .assert_status(404);

    let page = cora
        .submit(
            &app.service,
            "/me/api-tokens",
            "/me/api-tokens",
            &[("name", "BI"), ("days", "30")],
        )
        .await;
    page.assert_status(200);
    let marker = "id=\"new-token\">";
    let start = page.body.find(marker).unwrap() + marker.len();
    let token = page.body[start..].split('<').next().unwrap().to_string();

    // A script without cookies, with the token.
    let mut script = Browser::default();
    let bearer = format!("Bearer {token}");
    let res = script
        .send_with_header(
            &app.service,
            "/api/v1/organisations/gent/report?format=json",
            ("Authorization", &bearer),
        )
        .await;
    res.assert_status(200);
    let report: serde_json::Value = serde_json::from_str(&res.body).unwrap();
    assert_eq!(
        report["rows"].as_array().unwrap().len(),
        2,
        "An and Cora herself"
    );
    assert!(res.body.contains("an@gent.be"));
    let csv = script
        .send_with_header(
            &app.service,
            "/api/v1/organisations/gent/report?format=csv&delimiter=semicolon&group=999",
            ("Authorization", &bearer),
        )
        .await;
    csv.assert_status(200);
    assert_eq!(
        csv_rows(&csv.bytes, b';').len(),
        0,
        "no such group: no rows"
    );

    // A forged token, a session token as bearer, and no token: 401.
    for value in [
        "Bearer nonsense".to_string(),
        format!("Bearer {}x", token),
        "Basic abc".into(),
    ] {
        let res = script
            .send_with_header(
                &app.service,
                "/api/v1/organisations/gent/report",
                ("Authorization", &value),
            )
            .await;
        res.assert_status(401);
    }
    let session = cora.cookies.get("lp_session").unwrap().clone();
    let res = script
        .send_with_header(
            &app.service,
            "/api/v1/organisations",
            ("Authorization", &format!("Bearer {session}")),
        )
        .await;
    res.assert_status(401);

    // Revoked: refused at once.
    let id = {
        let mut c = app.state.db.conn().unwrap();
        let uid = user_id(&app.state, "cora@gent.be").unwrap();
        leerpad_store::api_tokens::of_user(&mut c, uid).unwrap()[0]
            .id
            .clone()
    };
    cora.submit(
        &app.service,
        "/me/api-tokens",
        &format!("/me/api-tokens/{id}/revoke"),
        &[],
    )
    .await
    .assert_status(303);
    let res = script
        .send_with_header(
            &app.service,
            "/api/v1/organisations/gent/report",
            ("Authorization", &bearer),
        )
        .await;
    res.assert_status(401);
}
