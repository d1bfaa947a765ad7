//! What learners see under concurrency and faults: a double submission does one
//! thing, a half-done completion is repaired when read, their own changes show on
//! every instance, and a database that cannot write still lets them read.

use crate::learning::{answer_fields, course, learner, question};
use crate::support;

use diesel::prelude::*;
use leerpad_store::learning;
use leerpad_store::schema::{
    certificates, enrolments, quiz_answers, quiz_attempts, scenario_runs, users,
};
use leerpad_web::AppState;
use support::{test_app, Browser, PublishedDb};

type Now = chrono::NaiveDateTime;

fn now() -> Now {
    chrono::Utc::now().naive_utc()
}

fn user_id(state: &AppState, email: &str) -> i32 {
    let mut c = state.db.conn().unwrap();
    users::table
        .filter(users::email.eq(email))
        .select(users::id)
        .first(&mut c)
        .unwrap()
}

fn count_attempts(state: &AppState, uid: i32, quiz: &str) -> i64 {
    let mut c = state.db.conn().unwrap();
    quiz_attempts::table
        .filter(quiz_attempts::user_id.eq(uid))
        .filter(quiz_attempts::item_id.eq(quiz))
        .count()
        .get_result(&mut c)
        .unwrap()
}

/// The databases to run on: SQLite, and PostgreSQL when a server is configured.
/// The app opens its own pool on the database; the `PublishedDb` guard drops it.
fn databases() -> Vec<(Option<String>, Option<PublishedDb>)> {
    let mut all = vec![(None, None)];
    if let Some(pg) = PublishedDb::postgres() {
        let url = match pg.db.url() {
            leerpad_store::DbUrl::Postgres(u) => u.clone(),
            other => panic!("not PostgreSQL: {other:?}"),
        };
        all.push((Some(url), Some(pg)));
    }
    all
}

/// Everything in the showcase course done but the lesson `verder`, written as the
/// store would (quizzes passed, the scenario played to its end).
fn all_but_the_last_lesson(state: &AppState, uid: i32) {
    let mut c = state.db.conn().unwrap();
    let version = leerpad_store::publish::serving_version(&mut c, "showcase")
        .unwrap()
        .unwrap();
    learning::set_lesson_done(&mut c, uid, "showcase", "welkom", true, now()).unwrap();
    for quiz in ["toets-basis", "kort-antwoord"] {
        let a = match learning::open_attempt(&mut c, uid, "showcase", quiz).unwrap() {
            Some(open) => open,
            None => learning::start_attempt(&mut c, uid, "showcase", quiz, version, &[], now())
                .unwrap()
                .unwrap(),
        };
        learning::finish_attempt(&mut c, a.id, 1, 1, true, now()).unwrap();
    }
    let run = learning::start_run(
        &mut c,
        uid,
        "showcase",
        "verhit-debat",
        version,
        "start",
        now(),
    )
    .unwrap();
    learning::advance_run(&mut c, run.id, "[]", "[0]", "einde", Some("good"), now()).unwrap();
}

/// Posts `form` to `path` twice at the same moment from one browser (both answered
/// with a redirect, as one would be).
async fn twice_at_once<S, B>(
    app: &S,
    b: &Browser,
    path: &str,
    form: &[(&str, &str)],
) -> (support::Page, support::Page)
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let (mut b1, mut b2) = (b.clone(), b.clone());
    let (r1, r2) = tokio::join!(b1.post(app, path, form), b2.post(app, path, form));
    r1.assert_status(303);
    r2.assert_status(303);
    (r1, r2)
}

/// Two identical requests at the same moment (a double click, two tabs): starting
/// a quiz, a scenario, registering, completing the course with its last lesson.
/// Each creates one thing, on SQLite and on PostgreSQL, however they interleave.
#[actix_web::test]
async fn a_double_submission_does_one_thing() {
    for (url, _guard) in databases() {
        let app = test_app(|c| c.database.url = url.clone()).await;
        let backend = if url.is_some() { "postgres" } else { "sqlite" };
        for n in 0..6 {
            let email = format!("leerling{n}@example.org");
            let mut b = learner(&app, &email, true).await;
            let uid = user_id(&app.state, &email);
            let csrf = b
                .get(&app.service, "/courses/showcase/toets-basis")
                .await
                .csrf();
            let form = [("csrf", csrf.as_str())];

            let (r1, r2) = twice_at_once(
                &app.service,
                &b,
                "/courses/showcase/toets-basis/attempts",
                &form,
            )
            .await;
            assert_eq!(r1.location, r2.location, "{backend}: the same attempt");
            assert_eq!(
                count_attempts(&app.state, uid, "toets-basis"),
                1,
                "{backend}"
            );

            twice_at_once(
                &app.service,
                &b,
                "/courses/showcase/verhit-debat/runs",
                &form,
            )
            .await;
            let mut c = app.state.db.conn().unwrap();
            let runs: i64 = scenario_runs::table
                .filter(scenario_runs::user_id.eq(uid))
                .count()
                .get_result(&mut c)
                .unwrap();
            assert_eq!(runs, 1, "{backend}: one run");
            drop(c);

            // The last lesson marked done twice at once: one completion, one
            // certificate, both requests answered.
            all_but_the_last_lesson(&app.state, uid);
            twice_at_once(&app.service, &b, "/courses/showcase/verder/done", &form).await;
            let mut c = app.state.db.conn().unwrap();
            let certs: i64 = certificates::table
                .filter(certificates::user_id.eq(uid))
                .count()
                .get_result(&mut c)
                .unwrap();
            assert_eq!(certs, 1, "{backend}: one certificate");
            let completed: Option<Now> = enrolments::table
                .filter(enrolments::user_id.eq(uid))
                .select(enrolments::completed_at)
                .first(&mut c)
                .unwrap();
            assert!(completed.is_some(), "{backend}: completed");
            b.get(&app.service, "/courses/showcase/certificate")
                .await
                .assert_status(200);
        }

        // Registering twice at once with one address: one account, no error.
        let mut b = Browser::default();
        let csrf = b.get(&app.service, "/auth/register").await.csrf();
        let form = [
            ("csrf", csrf.as_str()),
            ("name", "Dubbel"),
            ("email", "dubbel@example.org"),
            ("password", support::PASSWORD),
        ];
        twice_at_once(&app.service, &b, "/auth/register", &form).await;
        let mut c = app.state.db.conn().unwrap();
        let accounts: i64 = users::table
            .filter(users::email.eq("dubbel@example.org"))
            .count()
            .get_result(&mut c)
            .unwrap();
        assert_eq!(accounts, 1, "{backend}");
    }
}

/// A crash between the writes of one step (before they were one transaction) left
/// a learner stuck: an attempt with every question answered but no score, or a
/// completed course without its certificate. Opening the page repairs it.
#[actix_web::test]
async fn a_half_done_step_is_repaired_when_the_learner_opens_the_page() {
    let app = test_app(|_| {}).await;
    let mut b = learner(&app, "an@example.org", true).await;
    let uid = user_id(&app.state, "an@example.org");

    // Every question answered, the attempt never scored.
    let res = b
        .submit(
            &app.service,
            "/courses/showcase/toets-basis",
            "/courses/showcase/toets-basis/attempts",
            &[],
        )
        .await;
    let attempt_url = res.location.unwrap();
    let id: i32 = attempt_url.rsplit('/').next().unwrap().parse().unwrap();
    {
        let mut c = app.state.db.conn().unwrap();
        let attempt = learning::attempt(&mut c, id).unwrap().unwrap();
        let showcase = course();
        for qid in attempt.questions() {
            let answer = stored_answer(question(&showcase, &qid));
            learning::save_answer(&mut c, id, "showcase", &qid, &answer, true, 1, now()).unwrap();
        }
    }
    let page = b.get(&app.service, &attempt_url).await;
    page.assert_status(200);
    let mut c = app.state.db.conn().unwrap();
    let attempt = learning::attempt(&mut c, id).unwrap().unwrap();
    assert!(attempt.submitted_at.is_some(), "scored when opened");
    assert_eq!(attempt.passed, Some(true));
    drop(c);

    // A completion recorded without its certificate.
    all_but_the_last_lesson(&app.state, uid);
    {
        let mut c = app.state.db.conn().unwrap();
        learning::set_lesson_done(&mut c, uid, "showcase", "verder", true, now()).unwrap();
        assert!(learning::mark_completed(&mut c, uid, "showcase", now()).unwrap());
        assert!(learning::certificate_of(&mut c, uid, "showcase")
            .unwrap()
            .is_none());
    }
    let page = b.get(&app.service, "/courses/showcase/certificate").await;
    page.assert_status(200);
    assert!(page.body.contains("Cursusformaat verkend"), "{}", page.body);
}

/// The answer as the server stores it, for a correct answer to `q`.
fn stored_answer(q: &leerpad_core::Question) -> String {
    serde_json::to_string(&leerpad_core::grading::example_answer(q, true)).unwrap()
}

/// Two instances on one database, no sticky sessions: a reflection saved through
/// one shows at once on the next page from the other, although that one had the
/// learner's records in its cache.
#[actix_web::test]
async fn a_learner_sees_their_own_change_on_every_instance() {
    for (url, _guard) in databases() {
        let a = test_app(|c| c.database.url = url.clone()).await;
        let shared = a.state.config.database_url();
        let b_app = test_app(|c| c.database.url = Some(shared.clone())).await;
        let mut b = learner(&a, "an@example.org", true).await;
        let lesson = "/courses/showcase/welkom";
        let save = "/courses/showcase/welkom/reflections/eerste-gedachte";
        for round in 0..3 {
            // The other instance reads the lesson twice: from then on it serves it
            // from its cache.
            b.get(&b_app.service, lesson).await.assert_status(200);
            b.get(&b_app.service, lesson).await.assert_status(200);
            let text = format!("Ronde {round}: in onze wijk praten mensen minder met elkaar.");
            b.submit(&a.service, lesson, save, &[("answer", &text)])
                .await
                .assert_status(303);
            let page = b.get(&b_app.service, lesson).await;
            page.assert_status(200);
            assert!(page.body.contains(&text), "round {round}: {}", page.body);
        }
        // The same for the learner's account: a language chosen through one
        // instance is the next page's language on the other (which knew the
        // session, with the learner's old language, from a moment ago).
        b.get(&b_app.service, lesson).await.assert_status(200);
        b.submit(
            &a.service,
            lesson,
            "/language",
            &[("lang", "en"), ("next", lesson)],
        )
        .await
        .assert_status(303);
        let page = b.get(&b_app.service, lesson).await;
        assert!(page.body.contains("<html lang=\"en\""), "{}", page.body);
    }
}

/// With a database that cannot write (a full disk), lessons still open; saving an
/// answer is refused with a clear message, a 503 with Retry-After, and nothing of
/// it is stored; once writing works again, so does answering.
#[actix_web::test]
async fn reading_works_when_writing_cannot() {
    let app = test_app(|_| {}).await;
    let mut b = learner(&app, "an@example.org", true).await;
    let res = b
        .submit(
            &app.service,
            "/courses/showcase/toets-basis",
            "/courses/showcase/toets-basis/attempts",
            &[],
        )
        .await;
    let attempt_url = res.location.unwrap();
    let page = b.get(&app.service, &attempt_url).await;
    let qid = crate::learning::field(&page.body, "question").unwrap();
    let csrf = page.csrf();
    let fields = answer_fields(question(&course(), &qid), true);
    let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    form.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));

    app.state.db.refuse_writes(true);
    // Opening a lesson records activity, which fails: the lesson shows anyway.
    let lesson = b.get(&app.service, "/courses/showcase/verder").await;
    lesson.assert_status(200);
    assert!(lesson.body.contains("lesson-body"), "{}", lesson.body);

    let refused = b
        .post(&app.service, &format!("{attempt_url}/answer"), &form)
        .await;
    refused.assert_status(503);
    assert!(
        refused.body.contains("Even niet beschikbaar"),
        "{}",
        refused.body
    );
    assert!(refused
        .body
        .contains("Niets wat je eerder bewaarde is verloren"));
    assert_eq!(
        refused
            .headers
            .get("retry-after")
            .map(|v| v.to_str().unwrap()),
        Some("5")
    );
    // The JSON API says the same as JSON.
    let answer: serde_json::Value =
        serde_json::from_str(&stored_answer(question(&course(), &qid))).unwrap();
    let (status, body) = b
        .json(
            &app.service,
            "POST",
            &format!(
                "/api/v1/courses/showcase/quizzes/toets-basis/attempts/{}/answers",
                attempt_url.rsplit('/').next().unwrap()
            ),
            Some(serde_json::json!({ "question": qid, "answer": answer })),
            Some(&csrf),
        )
        .await;
    assert_eq!(status.as_u16(), 503, "{body}");
    assert_eq!(body["error"], "unavailable", "{body}");

    app.state.db.refuse_writes(false);
    let mut c = app.state.db.conn().unwrap();
    let stored: i64 = quiz_answers::table.count().get_result(&mut c).unwrap();
    assert_eq!(stored, 0, "nothing half-saved");
    drop(c);
    b.post(&app.service, &format!("{attempt_url}/answer"), &form)
        .await
        .assert_status(303);
    let mut c = app.state.db.conn().unwrap();
    let stored: i64 = quiz_answers::table.count().get_result(&mut c).unwrap();
    assert_eq!(stored, 1);
}

/// An invitation is committed with its email or not at all: with an invitation
/// template that cannot be rendered, inviting stores no account, no membership,
/// no organisation and no email (before, the account and membership stayed and
/// the email was never sent).
#[actix_web::test]
async fn an_invitation_is_stored_with_its_email_or_not_at_all() {
    use leerpad_store::schema::{email_outbox, memberships, organisations, users};

    let theme = tempfile::tempdir().unwrap();
    let broken = theme.path().join("emails/invitation");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("subject.txt.j2"), "{{ no_such_value }}").unwrap();
    let dir = theme.path().to_path_buf();
    let app = test_app(move |c| c.site.theme_dir = Some(dir)).await;
    let s = &app.service;
    let mut admin = support::registered(&app, "Ada Beheer", "ada@example.org").await;
    support::set_role(&app.state, "ada@example.org", leerpad_core::Role::Admin);
    let count = |what: &str| -> i64 {
        let mut c = app.state.db.conn().unwrap();
        let c = &mut *c;
        match what {
            "users" => users::table.count().get_result(c).unwrap(),
            "memberships" => memberships::table.count().get_result(c).unwrap(),
            "organisations" => organisations::table.count().get_result(c).unwrap(),
            _ => email_outbox::table
                .filter(email_outbox::kind.eq("invitation"))
                .count()
                .get_result(c)
                .unwrap(),
        }
    };
    let before: Vec<i64> = ["users", "memberships", "organisations", "emails"]
        .iter()
        .map(|w| count(w))
        .collect();

    // A new organisation with its coordinator.
    let page = admin.get(s, "/organisations").await;
    let res = admin
        .post(
            s,
            "/organisations",
            &[
                ("csrf", &page.csrf()),
                ("name", "Stad Gent"),
                ("slug", "gent"),
                ("coordinator_name", "Cora"),
                ("coordinator_email", "cora@gent.example"),
            ],
        )
        .await;
    res.assert_status(500);
    // A member of an organisation that exists.
    {
        let mut c = app.state.db.conn().unwrap();
        leerpad_store::organisations::create(&mut c, "aalst", "Stad Aalst", app.clock.now())
            .unwrap()
            .unwrap();
    }
    let before_member: Vec<i64> = ["users", "memberships", "organisations", "emails"]
        .iter()
        .map(|w| count(w))
        .collect();
    let page = admin.get(s, "/organisations/aalst/members").await;
    let res = admin
        .post(
            s,
            "/organisations/aalst/members",
            &[
                ("csrf", &page.csrf()),
                ("name", "Nina"),
                ("email", "nina@aalst.example"),
                ("group", "Jeugd"),
                ("role", "member"),
            ],
        )
        .await;
    res.assert_status(500);
    let after: Vec<i64> = ["users", "memberships", "organisations", "emails"]
        .iter()
        .map(|w| count(w))
        .collect();
    assert_eq!(
        before_member,
        vec![before[0], before[1], before[2] + 1, before[3]],
        "creating the organisation left something behind"
    );
    assert_eq!(after, before_member, "the invitation left something behind");
}
