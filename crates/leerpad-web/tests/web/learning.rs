//! A learner's way through the showcase course over HTTP, and what another learner
//! may not see of it.

use crate::support;

use leerpad_core::grading::example_answer;
use leerpad_core::{Course, Id, ItemBody, Question, QuestionKind};
use leerpad_store::learning;
use support::{test_app, Browser, TestApp};

pub(crate) async fn learner<S, B>(app: &TestApp<S>, email: &str, enrol: bool) -> Browser
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let b = support::registered(app, "An Peeters", email).await;
    if enrol {
        // The showcase course is hidden: a coordinator enrols learners.
        let mut c = app.state.db.conn().unwrap();
        let user = leerpad_store::accounts::user_by_email(&mut c, email)
            .unwrap()
            .unwrap();
        learning::enrol(&mut c, user.id, "showcase", chrono::Utc::now().naive_utc()).unwrap();
    }
    b
}

pub(crate) fn course() -> Course {
    leerpad_compiler::compile_paths(&[support::showcase_dir()])
        .courses
        .remove(0)
}

pub(crate) fn question<'c>(course: &'c Course, id: &str) -> &'c Question {
    course
        .items()
        .filter_map(|(_, i)| match &i.body {
            ItemBody::Quiz(q) => Some(q),
            _ => None,
        })
        .flat_map(|q| q.pools.iter().flat_map(|p| &p.questions))
        .find(|q| q.id.as_str() == id)
        .unwrap()
}

/// Form fields answering `q` right or wrong.
pub(crate) fn answer_fields(q: &Question, right: bool) -> Vec<(String, String)> {
    let mut f = vec![("question".to_string(), q.id.to_string())];
    f.extend(leerpad_web::answer_form(&example_answer(q, right)));
    f
}

pub(crate) fn field(body: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker)? + marker.len();
    Some(body[start..].split('"').next()?.to_string())
}

/// Takes one attempt of quiz `item`, answering every question right or wrong;
/// returns the result page.
pub(crate) async fn take_quiz<S, B>(
    app: &TestApp<S>,
    b: &mut Browser,
    item: &str,
    right: bool,
) -> support::Page
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let c = course();
    let quiz_page = format!("/courses/showcase/{item}");
    let res = b
        .submit(
            &app.service,
            &quiz_page,
            &format!("{quiz_page}/attempts"),
            &[],
        )
        .await;
    res.assert_status(303);
    let attempt = res.location.unwrap();
    for _ in 0..20 {
        let page = b.get(&app.service, &attempt).await;
        page.assert_status(200);
        let Some(qid) = field(&page.body, "question") else {
            return page;
        };
        let fields = answer_fields(question(&c, &qid), right);
        let mut form: Vec<(&str, &str)> = vec![("csrf", "")];
        let csrf = page.csrf();
        form[0].1 = &csrf;
        form.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let res = b
            .post(&app.service, &format!("{attempt}/answer"), &form)
            .await;
        res.assert_status(303);
        // Immediate feedback on that question.
        let feedback = b.get(&app.service, &res.location.unwrap()).await;
        feedback.assert_status(200);
        let verdict = if right { "Juist" } else { "Niet juist" };
        assert!(feedback.body.contains(verdict), "{qid}: {}", feedback.body);
    }
    panic!("the attempt did not finish");
}

#[actix_web::test]
async fn a_learner_follows_the_course_to_a_certificate() {
    let app = test_app(|_| {}).await;
    let mut b = learner(&app, "an@example.org", true).await;

    let overview = b.get(&app.service, "/courses/showcase").await;
    overview.assert_status(200);
    assert!(overview.body.contains("Alles wat het cursusformaat kan"));

    // A lesson, its reflection prompt, and marking it done.
    let lesson = b.get(&app.service, "/courses/showcase/welkom").await;
    lesson.assert_status(200);
    assert!(
        lesson.body.contains("Welkom bij de cursus")
            && lesson.body.contains("reflection-eerste-gedachte")
    );
    b.post(
        &app.service,
        "/courses/showcase/welkom/reflections/eerste-gedachte",
        &[
            ("csrf", &lesson.csrf()),
            ("answer", "Veel <spanning> rond het park & de jeugd."),
        ],
    )
    .await
    .assert_status(303);
    let lesson = b.get(&app.service, "/courses/showcase/welkom").await;
    assert!(
        lesson
            .body
            .contains("Veel &lt;spanning&gt; rond het park &amp; de jeugd."),
        "learner text is escaped"
    );
    let done = b
        .post(
            &app.service,
            "/courses/showcase/welkom/done",
            &[("csrf", &lesson.csrf()), ("done", "1")],
        )
        .await;
    assert_eq!(
        done.location.as_deref(),
        Some("/courses/showcase/verder"),
        "on to the next item"
    );

    // Resume: the dashboard links to the next thing to do, in course order.
    let home = b.get(&app.service, "/").await;
    assert!(
        home.body.contains("href=\"/courses/showcase/verder\""),
        "{}",
        home.body
    );

    // A quiz: failed, then passed.
    let failed = take_quiz(&app, &mut b, "toets-basis", false).await;
    assert!(failed.body.contains("Nog niet geslaagd"), "{}", failed.body);
    let passed = take_quiz(&app, &mut b, "toets-basis", true).await;
    assert!(passed.body.contains("Geslaagd!"), "{}", passed.body);
    let quiz = b.get(&app.service, "/courses/showcase/toets-basis").await;
    assert!(
        quiz.body.contains("1 poging"),
        "one of three attempts left: {}",
        quiz.body
    );
    take_quiz(&app, &mut b, "kort-antwoord", true).await;

    // Not complete before the scenario is played.
    assert!(
        b.get(&app.service, "/courses/showcase/certificate")
            .await
            .status
            .as_u16()
            == 404
    );

    // The scenario, to an ending.
    let page = b.get(&app.service, "/courses/showcase/verhit-debat").await;
    b.post(
        &app.service,
        "/courses/showcase/verhit-debat/runs",
        &[("csrf", &page.csrf())],
    )
    .await
    .assert_status(303);
    let page = b.get(&app.service, "/courses/showcase/verhit-debat").await;
    assert!(page
        .body
        .contains("Onder een bericht verschijnen boze reacties."));
    let run = field(&page.body, "run").unwrap();
    let res = b
        .post(
            &app.service,
            "/courses/showcase/verhit-debat/runs/choose",
            &[
                ("csrf", &page.csrf()),
                ("run", &run),
                ("choice", "0"),
                ("taken", "0"),
            ],
        )
        .await;
    res.assert_status(303);
    let page = b.get(&app.service, &res.location.unwrap()).await;
    assert!(
        page.body.contains("Dat voedt het verhaal van censuur."),
        "the choice's consequence"
    );
    // A second submit of the first page changes nothing.
    b.post(
        &app.service,
        "/courses/showcase/verhit-debat/runs/choose",
        &[
            ("csrf", &page.csrf()),
            ("run", &run),
            ("choice", "1"),
            ("taken", "0"),
        ],
    )
    .await
    .assert_status(303);
    let page = b.get(&app.service, "/courses/showcase/verhit-debat").await;
    assert!(page.body.contains("Mensen klagen nu over censuur."));
    b.post(
        &app.service,
        "/courses/showcase/verhit-debat/runs/choose",
        &[
            ("csrf", &page.csrf()),
            ("run", &run),
            ("choice", "0"),
            ("taken", "1"),
        ],
    )
    .await
    .assert_status(303);
    let ending = b.get(&app.service, "/courses/showcase/verhit-debat").await;
    assert!(
        ending.body.contains("Nabespreking")
            && ending.body.contains("Je richtte je op het midden."),
        "{}",
        ending.body
    );

    // Complete: a certificate, verifiable by anyone.
    let cert = b.get(&app.service, "/courses/showcase/certificate").await;
    cert.assert_status(200);
    let code = cert
        .body
        .split("<strong>")
        .nth(1)
        .unwrap()
        .split("</strong>")
        .next()
        .unwrap()
        .to_string();
    let mut anyone = Browser::default();
    let verify = anyone
        .get(&app.service, &format!("/certificates/{code}"))
        .await;
    verify.assert_status(200);
    assert!(verify.body.contains("An Peeters") && verify.body.contains("echt en geldig"));
    anyone
        .get(&app.service, "/certificates/AAAA-BBBB-CCCC")
        .await
        .assert_status(404);

    // The action plan, as a page, Markdown and Word.
    let plan = b.get(&app.service, "/courses/showcase/action-plan").await;
    assert!(plan.body.contains("Wat we zien"));
    let md = b
        .get(&app.service, "/courses/showcase/action-plan.md")
        .await;
    md.assert_status(200);
    assert!(
        md.body.contains("Wat we zien") && md.body.contains("spanning"),
        "{}",
        md.body
    );
    let docx = b
        .get(&app.service, "/courses/showcase/action-plan.docx")
        .await;
    docx.assert_status(200);
    assert!(docx.body.starts_with("PK"), "a zip file");
}

#[actix_web::test]
async fn learners_cannot_reach_each_others_attempts_or_hidden_courses() {
    let app = test_app(|_| {}).await;
    let mut a = learner(&app, "a@example.org", true).await;
    let page = a.get(&app.service, "/courses/showcase/toets-basis").await;
    let res = a
        .post(
            &app.service,
            "/courses/showcase/toets-basis/attempts",
            &[("csrf", &page.csrf())],
        )
        .await;
    let attempt = res.location.unwrap();
    let a_page = a.get(&app.service, &attempt).await;
    let qid = field(&a_page.body, "question").unwrap();

    // B is enrolled too, but the attempt is A's.
    let mut b = learner(&app, "b@example.org", true).await;
    b.get(&app.service, &attempt).await.assert_status(404);
    let csrf = b.get(&app.service, "/courses/showcase").await.csrf();
    b.post(
        &app.service,
        &format!("{attempt}/answer"),
        &[("csrf", &csrf), ("question", &qid), ("value", "0")],
    )
    .await
    .assert_status(404);
    // Nor can B answer a question that is not in B's own attempt.
    let own = b
        .post(
            &app.service,
            "/courses/showcase/toets-basis/attempts",
            &[("csrf", &csrf)],
        )
        .await
        .location
        .unwrap();
    b.post(
        &app.service,
        &format!("{own}/answer"),
        &[("csrf", &csrf), ("question", "q-kort"), ("value", "x")],
    )
    .await
    .assert_status(400);

    // C is not enrolled in the hidden course: it does not exist for C.
    let mut c = learner(&app, "c@example.org", false).await;
    c.get(&app.service, "/courses/showcase")
        .await
        .assert_status(404);
    c.get(&app.service, "/courses/showcase/welkom")
        .await
        .assert_status(404);
    c.get(&app.service, &attempt).await.assert_status(404);

    // Anonymous visitors are sent to sign in.
    let mut anon = Browser::default();
    let res = anon.get(&app.service, "/courses/showcase/welkom").await;
    res.assert_status(303);
    assert_eq!(
        res.location.as_deref(),
        Some("/auth/sign-in?next=%2Fcourses%2Fshowcase%2Fwelkom")
    );
}

#[actix_web::test]
async fn bad_answers_are_refused_with_a_clear_error() {
    let app = test_app(|_| {}).await;
    let mut b = learner(&app, "a@example.org", true).await;
    let page = b.get(&app.service, "/courses/showcase/toets-basis").await;
    let attempt = b
        .post(
            &app.service,
            "/courses/showcase/toets-basis/attempts",
            &[("csrf", &page.csrf())],
        )
        .await
        .location
        .unwrap();
    let page = b.get(&app.service, &attempt).await;
    let qid = field(&page.body, "question").unwrap();
    let csrf = page.csrf();
    // Nonsense for whatever type the question has.
    for value in ["99", "-1", "abc", ""] {
        let res = b
            .post(
                &app.service,
                &format!("{attempt}/answer"),
                &[
                    ("csrf", &csrf),
                    ("question", &qid),
                    ("value", value),
                    ("slot0", value),
                ],
            )
            .await;
        // Back to the question with a message in the learner's language, or (for a
        // value the question can take) on to its feedback.
        assert!(
            res.status.as_u16() == 422 || res.status.as_u16() == 303,
            "{value}: {}",
            res.status
        );
        if res.status.as_u16() == 422 {
            assert!(
                res.body.contains(r#"role="alert""#) && res.body.contains(&qid),
                "{value}: {}",
                res.body
            );
            assert!(
                !res.body.contains("more than once") && !res.body.contains("answer every"),
                "{}",
                res.body
            );
        }
    }
    // A reflection that is far too long.
    let lesson = b.get(&app.service, "/courses/showcase/welkom").await;
    let long = "x".repeat(20_001);
    b.post(
        &app.service,
        "/courses/showcase/welkom/reflections/eerste-gedachte",
        &[("csrf", &lesson.csrf()), ("answer", &long)],
    )
    .await
    .assert_status(400);
    // A reflection id that does not exist in the lesson.
    b.post(
        &app.service,
        "/courses/showcase/welkom/reflections/niet-bestaand",
        &[("csrf", &lesson.csrf()), ("answer", "x")],
    )
    .await
    .assert_status(404);
    let _ = Id::new("x");
}

#[actix_web::test]
async fn the_json_api_serves_the_same_actions() {
    let app = test_app(|_| {}).await;
    let mut anon = Browser::default();
    let (status, body) = anon
        .json(&app.service, "GET", "/api/v1/me", None, None)
        .await;
    assert_eq!(status.as_u16(), 401);
    assert_eq!(body["error"], "unauthenticated");

    let mut b = learner(&app, "a@example.org", true).await;
    let (status, me) = b.json(&app.service, "GET", "/api/v1/me", None, None).await;
    assert_eq!(status.as_u16(), 200);
    let csrf = me["csrf_token"].as_str().unwrap().to_string();

    let (status, body) = b
        .json(
            &app.service,
            "POST",
            "/api/v1/courses/showcase/items/welkom/done",
            Some(serde_json::json!({"done": true})),
            None,
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (403, Some("csrf"))
    );
    let (status, body) = b
        .json(
            &app.service,
            "POST",
            "/api/v1/courses/showcase/items/welkom/done",
            Some(serde_json::json!({"done": true})),
            Some(&csrf),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    let (_, progress) = b
        .json(
            &app.service,
            "GET",
            "/api/v1/courses/showcase/progress",
            None,
            None,
        )
        .await;
    let welkom = progress["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "welkom")
        .unwrap();
    assert_eq!(welkom["done"], true);

    // A quiz attempt through the API.
    let (status, attempt) = b
        .json(
            &app.service,
            "POST",
            "/api/v1/courses/showcase/quizzes/kort-antwoord/attempts",
            None,
            Some(&csrf),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{attempt}");
    assert!(
        !attempt.to_string().contains("\"correct\""),
        "the API does not give answers away"
    );
    let id = attempt["attempt"].as_i64().unwrap();
    let c = course();
    let mut finished = serde_json::Value::Null;
    for q in attempt["questions"].as_array().unwrap() {
        let qid = q["id"].as_str().unwrap();
        let answer = match &question(&c, qid).answer {
            QuestionKind::TrueFalse { answer, .. } => {
                serde_json::json!({"type": "bool", "value": answer})
            }
            QuestionKind::ShortAnswer { .. } => {
                serde_json::json!({"type": "text", "value": "  bart   brandsma "})
            }
            other => panic!("unexpected {other:?}"),
        };
        let (status, res) = b
            .json(
                &app.service,
                "POST",
                &format!("/api/v1/courses/showcase/quizzes/kort-antwoord/attempts/{id}/answers"),
                Some(serde_json::json!({"question": qid, "answer": answer})),
                Some(&csrf),
            )
            .await;
        assert_eq!(status.as_u16(), 200, "{res}");
        assert_eq!(res["result"]["correct"], true, "{qid}: {res}");
        finished = res["finished"].clone();
    }
    assert_eq!(finished["passed"], true);

    // A wrongly shaped answer is a 400 with a reason.
    let (_, again) = b
        .json(
            &app.service,
            "POST",
            "/api/v1/courses/showcase/quizzes/toets-basis/attempts",
            None,
            Some(&csrf),
        )
        .await;
    let id = again["attempt"].as_i64().unwrap();
    let qid = again["questions"][0]["id"].as_str().unwrap();
    let (status, res) = b
        .json(
            &app.service,
            "POST",
            &format!("/api/v1/courses/showcase/quizzes/toets-basis/attempts/{id}/answers"),
            Some(serde_json::json!({"question": qid, "answer": {"type": "choice", "value": 99}})),
            Some(&csrf),
        )
        .await;
    assert_eq!(status.as_u16(), 400, "{res}");

    // The OpenAPI document names every API route.
    let (status, doc) = anon
        .json(&app.service, "GET", "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(status.as_u16(), 200);
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    for p in [
        "/api/v1/me",
        "/api/v1/courses",
        "/api/v1/courses/{course}/progress",
        "/api/v1/courses/{course}/items/{item}/done",
        "/api/v1/organisations",
        "/api/v1/organisations/{slug}/report",
        "/api/v1/trainer/courses",
        "/api/v1/trainer/courses/{course}",
    ] {
        assert!(paths.iter().any(|x| x.as_str() == p), "{p} is documented");
    }
}

/// Nothing typed is lost: marking a lesson completed saves what is typed in its
/// reflections (no JavaScript needed), "saved" shows beside the reflection that was
/// saved, and drafts saved through the API (as the page does while one types) show
/// on the next page.
#[actix_web::test]
async fn marking_a_lesson_completed_saves_its_reflections() {
    let app = test_app(|_| {}).await;
    let mut b = enrolled_in_showcase(&app, "an@example.org").await;
    let s = &app.service;
    let lesson = b.get(s, "/courses/showcase/welkom").await;
    assert!(
        lesson.body.contains(r#"name="answer.eerste-gedachte""#),
        "{}",
        lesson.body
    );
    // Straight to "completed", without pressing "save" first.
    let done = b
        .post(
            s,
            "/courses/showcase/welkom/done",
            &[
                ("csrf", &lesson.csrf()),
                ("answer.eerste-gedachte", "Wat ik typte en nooit bewaarde"),
                ("answer.niet-in-deze-les", "genegeerd"),
                ("done", "1"),
            ],
        )
        .await;
    done.assert_status(303);
    let again = b.get(s, "/courses/showcase/welkom").await;
    assert!(
        again.body.contains("Wat ik typte en nooit bewaarde"),
        "{}",
        again.body
    );
    assert!(again.body.contains("Je hebt deze les afgerond."));

    // Saving one reflection from the lesson's form: "saved" beside it, not on top.
    let saved = b
        .post(
            s,
            "/courses/showcase/welkom/reflections/eerste-gedachte",
            &[
                ("csrf", &again.csrf()),
                ("answer.eerste-gedachte", "Tweede versie"),
                ("done", "0"),
            ],
        )
        .await;
    saved.assert_status(303);
    let target = saved.location.clone().unwrap();
    assert!(
        target.contains("saved=eerste-gedachte") && target.ends_with("#reflection-eerste-gedachte"),
        "{target}"
    );
    let page = b.get(s, &target).await;
    let reflection = &page.body[page.body.find("id=\"reflection-eerste-gedachte\"").unwrap()..];
    assert!(
        reflection.contains("Bewaard."),
        "the confirmation is where the learner looks"
    );
    assert!(
        !page
            .body
            .contains(r#"<p class="notice" role="status">Bewaard."#),
        "not at the top of the page"
    );
    assert!(page.body.contains("Tweede versie"));
    // Marked completed still: saving a reflection changes nothing else.
    assert!(page.body.contains("Je hebt deze les afgerond."));

    // A draft through the API, as the page's script sends it.
    let (status, body) = b
        .json(
            s,
            "POST",
            "/api/v1/courses/showcase/items/welkom/reflections/eerste-gedachte",
            Some(serde_json::json!({ "answer": "Een concept terwijl ik typ" })),
            Some(&page.csrf()),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    assert!(b
        .get(s, "/courses/showcase/welkom")
        .await
        .body
        .contains("Een concept terwijl ik typ"));
    let (status, _) = b
        .json(
            s,
            "POST",
            "/api/v1/courses/showcase/items/welkom/reflections/bestaat-niet",
            Some(serde_json::json!({ "answer": "x" })),
            Some(&page.csrf()),
        )
        .await;
    assert_eq!(status.as_u16(), 404);
}

/// The same option twice in a matching or ordering question, or nothing chosen in a
/// multiple-response one, brings the learner back to the question with what they
/// chose and a message in their language; nothing is scored.
#[actix_web::test]
async fn an_answer_the_question_cannot_take_keeps_the_learner_in_the_quiz() {
    let app = test_app(|_| {}).await;
    let mut b = learner(&app, "a@example.org", true).await;
    let course = course();
    let s = &app.service;
    let mut seen = std::collections::BTreeSet::new();
    for (_, item) in course.items() {
        let ItemBody::Quiz(quiz) = &item.body else {
            continue;
        };
        let page = b.get(s, &format!("/courses/showcase/{}", item.id)).await;
        let Some(start) = b
            .post(
                s,
                &format!("/courses/showcase/{}/attempts", item.id),
                &[("csrf", &page.csrf())],
            )
            .await
            .location
        else {
            continue;
        };
        // Answer every question of the attempt wrongly shaped where the kind allows.
        for _ in 0..20 {
            let page = b.get(s, &start).await;
            let Some(qid) = field(&page.body, "question") else {
                break;
            };
            let q = quiz
                .pools
                .iter()
                .flat_map(|p| p.questions.iter())
                .find(|q| q.id.as_str() == qid)
                .unwrap();
            let csrf = page.csrf();
            let (bad, key): (Vec<(&str, &str)>, &str) = match &q.answer {
                QuestionKind::Matching { .. } | QuestionKind::Ordering { .. } => (
                    vec![
                        ("slot0", "0"),
                        ("slot1", "0"),
                        ("slot2", "0"),
                        ("slot3", "0"),
                    ],
                    "Gebruik elk antwoord maar één keer.",
                ),
                QuestionKind::MultipleResponse { .. } => {
                    (vec![], "Duid minstens één antwoord aan.")
                }
                _ => (vec![], ""),
            };
            if !key.is_empty() {
                let mut form = vec![("csrf", csrf.as_str()), ("question", qid.as_str())];
                form.extend(bad.iter().copied());
                let res = b.post(s, &format!("{start}/answer"), &form).await;
                res.assert_status(422);
                assert!(res.body.contains(key), "{}", res.body);
                if matches!(q.answer, QuestionKind::Matching { .. }) {
                    assert!(
                        res.body.contains(r#"value="0" checked"#),
                        "the choices are kept"
                    );
                }
                seen.insert(key);
            }
            let mut form = vec![("csrf".to_string(), csrf.clone())];
            form.extend(answer_fields(q, true));
            let fields: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            b.post(s, &format!("{start}/answer"), &fields)
                .await
                .assert_status(303);
        }
    }
    assert_eq!(
        seen.len(),
        2,
        "the showcase has matching or ordering and multiple-response questions: {seen:?}"
    );
}

#[actix_web::test]
async fn a_lessons_image_opens_at_full_size_on_its_own_page() {
    let app = test_app(|_| {}).await;
    let mut b = enrolled_in_showcase(&app, "an@example.org").await;
    let s = &app.service;
    let lesson = b.get(s, "/courses/showcase/welkom").await;
    assert!(
        lesson
            .body
            .contains(r#"href="/courses/showcase/welkom/figures/1""#),
        "{}",
        lesson.body
    );
    let figure = b.get(s, "/courses/showcase/welkom/figures/1").await;
    figure.assert_status(200);
    assert!(
        figure.body.contains(
            r#"<img src="/assets/showcase/polen.svg" alt="Twee polen met een stille middengroep ertussen">"#
        ),
        "{}",
        figure.body
    );
    // The way back returns to where the image is in the lesson.
    assert!(
        figure.body.contains("/courses/showcase/welkom#figure-1"),
        "{}",
        figure.body
    );
    assert!(figure.body.contains("Afbeelding 1"), "{}", figure.body);
    // Only the images a lesson has, and only in lessons.
    for missing in [
        "/courses/showcase/welkom/figures/2",
        "/courses/showcase/welkom/figures/0",
        "/courses/showcase/toets-basis/figures/1",
        "/courses/showcase/bestaat-niet/figures/1",
    ] {
        b.get(s, missing).await.assert_status(404);
    }
}

/// A registered learner, enrolled in the (hidden) showcase course.
async fn enrolled_in_showcase<S, B>(app: &TestApp<S>, email: &str) -> Browser
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let b = support::registered(app, "An", email).await;
    let mut c = app.state.db.conn().unwrap();
    let uid = leerpad_store::accounts::user_by_email(&mut c, email)
        .unwrap()
        .unwrap()
        .id;
    learning::enrol(&mut c, uid, "showcase", app.clock.now()).unwrap();
    b
}
