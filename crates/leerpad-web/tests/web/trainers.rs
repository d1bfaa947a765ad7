//! Trainers' pages: an author sees the courses that name them in `authors`, with
//! their versions and learners in numbers (never names); anyone else gets 404.

use crate::support;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use leerpad_core::Role;
use leerpad_store::schema::enrolments;
use leerpad_store::{accounts, learning, publish, PublishInput, PublishOptions};
use support::{registered, set_role, showcase_dir, test_app};

/// The author named in showcase's course.yaml.
const AUTHOR: &str = "tessa.trainer@example.org";
const TITLE: &str = "Alles wat het cursusformaat kan";

fn user_id(state: &leerpad_web::AppState, email: &str) -> i32 {
    let mut c = state.db.conn().unwrap();
    accounts::user_by_email(&mut c, email).unwrap().unwrap().id
}

/// Publishes showcase again, with `change` applied to the compiled course.
fn republish(
    state: &leerpad_web::AppState,
    at: NaiveDateTime,
    change: impl FnOnce(&mut leerpad_core::Course),
) {
    let mut compiled = leerpad_compiler::compile_paths(&[showcase_dir()]);
    let mut course = compiled.courses.remove(0);
    change(&mut course);
    course.seal();
    let input = PublishInput {
        course: &course,
        source_dir: Some(compiled.sources[0].as_path()),
    };
    let opts = PublishOptions {
        dry_run: false,
        allow_orphans: false,
        now: at,
    };
    publish(&state.db, &[input], &opts).unwrap();
}

#[actix_web::test]
async fn an_author_sees_their_course_and_its_learners_in_numbers() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let mut tessa = registered(&app, "Tessa Trainer", AUTHOR).await;
    set_role(&app.state, AUTHOR, Role::Trainer);

    // Three learners enrolled; two started, one of them completed.
    let mut learners = Vec::new();
    for (name, email) in [
        ("Ann Een", "ann@example.org"),
        ("Bert Twee", "bert@example.org"),
        ("Cis Drie", "cis@example.org"),
    ] {
        let b = registered(&app, name, email).await;
        let id = user_id(&app.state, email);
        let mut c = app.state.db.conn().unwrap();
        learning::enrol(&mut c, id, "showcase", app.clock.now()).unwrap();
        learners.push((b, id));
    }
    for (b, _) in learners.iter_mut().take(2) {
        b.get(s, "/courses/showcase/welkom")
            .await
            .assert_status(200);
    }
    {
        let mut c = app.state.db.conn().unwrap();
        diesel::update(enrolments::table.filter(enrolments::user_id.eq(learners[0].1)))
            .set(enrolments::completed_at.eq(Some(app.clock.now())))
            .execute(&mut *c)
            .unwrap();
    }

    let list = tessa.get(s, "/trainer").await;
    list.assert_status(200);
    assert!(list.body.contains(TITLE), "{}", list.body);
    assert!(list.body.contains("33%"), "1 of 3 completed: {}", list.body);
    assert!(
        list.body.contains(r#"href="/trainer""#),
        "the menu links to /trainer"
    );

    let page = tessa.get(s, "/trainer/showcase").await;
    page.assert_status(200);
    for (id, value) in [
        ("fig-enrolled", "3"),
        ("fig-started", "2"),
        ("fig-completed", "1"),
        ("fig-rate", "33%"),
    ] {
        assert!(
            page.body.contains(&format!(r#"id="{id}">{value}<"#)),
            "{id} is {value}: {}",
            page.body
        );
    }
    for secret in ["Ann Een", "ann@example.org", "Bert Twee", "cis@example.org"] {
        assert!(!page.body.contains(secret), "numbers only, never {secret}");
        assert!(!list.body.contains(secret), "numbers only, never {secret}");
    }

    let (status, json) = tessa
        .json(s, "GET", "/api/v1/trainer/courses/showcase", None, None)
        .await;
    assert_eq!(status.as_u16(), 200, "{json}");
    assert_eq!(json["learners"]["enrolled"], 3);
    assert_eq!(json["learners"]["started"], 2);
    assert_eq!(json["learners"]["completed"], 1);
    assert_eq!(json["learners"]["completion_rate"], 33);
    let items = json["items"].as_array().unwrap();
    let welkom = items.iter().find(|i| i["id"] == "welkom").expect("welkom");
    assert_eq!(
        (welkom["reached"].as_u64(), welkom["finished"].as_u64()),
        (Some(2), Some(0))
    );
    assert_eq!(items[0]["id"], "welkom", "in course order");
    assert!(!json.to_string().contains("ann@example.org"));

    let (status, json) = tessa
        .json(s, "GET", "/api/v1/trainer/courses", None, None)
        .await;
    assert_eq!(status.as_u16(), 200);
    assert_eq!(json["courses"][0]["id"], "showcase");
    assert_eq!(json["courses"][0]["learners"]["completion_rate"], 33);

    // A script with the trainer's API token gets the same.
    let made = tessa
        .submit(
            s,
            "/me/api-tokens",
            "/me/api-tokens",
            &[("name", "script"), ("days", "30")],
        )
        .await;
    made.assert_status(200);
    let marker = "id=\"new-token\">";
    let at = made.body.find(marker).expect("the new token") + marker.len();
    let token = made.body[at..].split('<').next().unwrap().to_string();
    let res = support::Browser::default()
        .send_with_header(
            s,
            "/api/v1/trainer/courses/showcase",
            ("Authorization", &format!("Bearer {token}")),
        )
        .await;
    res.assert_status(200);
    assert!(res.body.contains(r#""completion_rate":33"#), "{}", res.body);
}

#[actix_web::test]
async fn only_authors_and_administrators_see_a_course() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let mut other = registered(&app, "Olaf Ander", "olaf@example.org").await;
    set_role(&app.state, "olaf@example.org", Role::Trainer);
    let mut learner = registered(&app, "Lien Leerder", "lien@example.org").await;
    let mut coordinator = registered(&app, "Coby Coord", "coby@example.org").await;
    set_role(&app.state, "coby@example.org", Role::Coordinator);
    let mut admin = registered(&app, "Bea Beheer", "bea@example.org").await;
    set_role(&app.state, "bea@example.org", Role::Admin);
    // A learner (or coordinator) named among the authors is no trainer.
    let mut named = registered(&app, "Tessa Trainer", AUTHOR).await;

    // A trainer who authors nothing sees an empty list, and no course.
    let list = other.get(s, "/trainer").await;
    list.assert_status(200);
    assert!(!list.body.contains(TITLE));
    other.get(s, "/trainer/showcase").await.assert_status(404);
    let (status, json) = other
        .json(s, "GET", "/api/v1/trainer/courses", None, None)
        .await;
    assert_eq!(status.as_u16(), 200);
    assert_eq!(json["courses"], serde_json::json!([]));
    let (status, _) = other
        .json(s, "GET", "/api/v1/trainer/courses/showcase", None, None)
        .await;
    assert_eq!(status.as_u16(), 404);

    for b in [&mut learner, &mut coordinator, &mut named] {
        b.get(s, "/trainer").await.assert_status(404);
        b.get(s, "/trainer/showcase").await.assert_status(404);
        let (status, _) = b
            .json(s, "GET", "/api/v1/trainer/courses", None, None)
            .await;
        assert_eq!(status.as_u16(), 404);
        let page = b.get(s, "/").await;
        assert!(!page.body.contains(r#"href="/trainer""#), "no menu link");
    }
    support::Browser::default()
        .get(s, "/trainer")
        .await
        .assert_status(303);

    // Administrators see every course.
    let list = admin.get(s, "/trainer").await;
    list.assert_status(200);
    assert!(list.body.contains(TITLE));
    admin.get(s, "/trainer/showcase").await.assert_status(200);
    admin.get(s, "/trainer/nergens").await.assert_status(404);
}

#[actix_web::test]
async fn each_publish_adds_a_version_and_rewrites_the_authors() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let mut tessa = registered(&app, "Tessa Trainer", AUTHOR).await;
    set_role(&app.state, AUTHOR, Role::Trainer);
    let versions = |json: &serde_json::Value| -> Vec<(i64, bool)> {
        json["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["version"].as_i64().unwrap(),
                    v["current"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    let (_, json) = tessa
        .json(s, "GET", "/api/v1/trainer/courses/showcase", None, None)
        .await;
    assert_eq!(versions(&json), [(1, true)]);

    let later = app.clock.now() + chrono::Duration::hours(1);
    republish(&app.state, later, |c| {
        c.summary = "Een nieuwe samenvatting.".into()
    });
    let (_, json) = tessa
        .json(s, "GET", "/api/v1/trainer/courses/showcase", None, None)
        .await;
    assert_eq!(versions(&json), [(2, true), (1, false)], "{json}");
    assert_eq!(json["version"], 2);
    let v2 = &json["versions"][0];
    assert_eq!(v2["changes"]["added"], 0);
    assert_eq!(v2["changes"]["changed"], 0);
    assert_eq!(v2["items"], json["versions"][1]["items"]);
    let page = tessa.get(s, "/trainer/showcase").await;
    assert!(
        page.body.contains("Versie 2") && page.body.contains("Versie 1"),
        "{}",
        page.body
    );

    // A version that no longer names Tessa takes the course off her pages.
    republish(&app.state, later + chrono::Duration::hours(1), |c| {
        c.authors.clear()
    });
    tessa.get(s, "/trainer/showcase").await.assert_status(404);
    let list = tessa.get(s, "/trainer").await;
    assert!(!list.body.contains(TITLE));
}
