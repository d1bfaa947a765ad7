//! The JSON API keeps its promises: `openapi.json` documents exactly the routes
//! the server declares (methods, paths, path parameters), every response a client
//! gets has its status documented and matches the documented schema, and the
//! bodies themselves are kept as snapshots so a change to what clients read is a
//! reviewed change (`cargo insta review`), never an accident.

use crate::authorization::{declared_routes, M};
use crate::support::{self, test_app, Browser};

use std::collections::BTreeSet;

use serde_json::{json, Value};

const DOCUMENT: &str = include_str!("../../openapi.json");

fn document() -> Value {
    serde_json::from_str(DOCUMENT).expect("openapi.json is JSON")
}

/// `(method, path)` of every operation in the document.
fn documented(doc: &Value) -> BTreeSet<(M, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let m = match method.as_str() {
                "get" => M::Get,
                "post" => M::Post,
                other => panic!("{path}: method `{other}` the server never declares"),
            };
            out.insert((m, path.clone()));
        }
    }
    out
}

fn method_key(m: M) -> &'static str {
    match m {
        M::Get => "get",
        M::Post => "post",
    }
}

#[test]
fn the_document_names_exactly_the_declared_api_routes() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let declared: BTreeSet<(M, String)> = declared_routes()
        .into_iter()
        .filter(|(_, p)| p.starts_with("/api/"))
        .collect();
    let documented = documented(&doc);
    assert!(declared.len() >= 10, "found only {declared:?}");
    let undocumented: Vec<_> = declared.difference(&documented).collect();
    let unknown: Vec<_> = documented.difference(&declared).collect();
    assert!(
        undocumented.is_empty(),
        "API routes missing from openapi.json: {undocumented:?}"
    );
    assert!(
        unknown.is_empty(),
        "openapi.json documents routes the server does not declare: {unknown:?}"
    );
    // Path parameters: exactly the template's, each documented `in: path`, required.
    for (m, path) in &documented {
        let op = &doc["paths"][path][method_key(*m)];
        let in_template: BTreeSet<String> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(str::to_string)
            .collect();
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        let in_doc: BTreeSet<String> = params
            .iter()
            .filter(|p| p["in"] == "path")
            .map(|p| {
                assert_eq!(p["required"], true, "{path}: {p}");
                p["name"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(in_template, in_doc, "{m:?} {path}: path parameters");
        assert!(
            op["responses"].as_object().is_some_and(|r| !r.is_empty()),
            "{path}: no responses"
        );
    }
}

/// Checks a response against the document: its status is documented for the
/// route, and its JSON body matches the schema given for that status.
struct Contract {
    doc: Value,
    exercised: BTreeSet<(M, String)>,
}

impl Contract {
    fn new() -> Contract {
        Contract {
            doc: document(),
            exercised: BTreeSet::new(),
        }
    }

    fn check(&mut self, m: M, route: &str, status: u16, body: &Value) {
        let op = &self.doc["paths"][route][method_key(m)];
        assert!(op.is_object(), "{m:?} {route} is not documented");
        self.exercised.insert((m, route.to_string()));
        let mut response = op["responses"][status.to_string()].clone();
        assert!(
            response.is_object(),
            "{m:?} {route} answered {status}, which openapi.json does not document: {body}"
        );
        if let Some(r) = response["$ref"].as_str() {
            response = self.resolve(r).clone();
        }
        let pointer = format!(
            "/paths/{}/{}/responses/{status}/content/application~1json/schema",
            route.replace('~', "~0").replace('/', "~1"),
            method_key(m)
        );
        let schema = match self.doc.pointer(&pointer) {
            // A URI fragment: the route's braces are percent-encoded.
            Some(_) => {
                json!({ "$ref": format!("#{}", pointer.replace('{', "%7B").replace('}', "%7D")) })
            }
            None => match response["content"]["application/json"]["schema"].clone() {
                Value::Null => panic!("{m:?} {route} {status}: no JSON schema documented"),
                s => s,
            },
        };
        // The whole document is the root, so `#/components/...` resolves.
        let mut root = self.doc.clone();
        let obj = root.as_object_mut().unwrap();
        for (k, v) in schema.as_object().unwrap() {
            obj.insert(k.clone(), v.clone());
        }
        obj.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        let validator = jsonschema::validator_for(&root)
            .unwrap_or_else(|e| panic!("{m:?} {route} {status}: schema does not compile: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{m:?} {route} {status}: the body does not match openapi.json: {errors:?}\n{body:#}"
        );
    }

    fn resolve(&self, reference: &str) -> &Value {
        let pointer = reference.strip_prefix('#').expect("a local reference");
        self.doc
            .pointer(pointer)
            .unwrap_or_else(|| panic!("{reference} points at nothing"))
    }
}

/// What changes from run to run (times, the CSRF token) made stable; row ids are
/// those of a fresh database.
fn stable(mut v: Value) -> Value {
    fn walk(v: &mut Value, key: &str) {
        match v {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    walk(v, k);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, key)),
            Value::String(s) if key == "csrf_token" => *s = "[csrf]".into(),
            Value::String(s) if looks_like_time(s) => *s = "[time]".into(),
            _ => {}
        }
    }
    walk(&mut v, "");
    v
}

fn looks_like_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 19
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b' ')
        && b[13] == b':'
        && b[..4].iter().all(u8::is_ascii_digit)
}

#[actix_web::test]
async fn every_api_response_matches_the_document() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let mut contract = Contract::new();
    let mut anon = Browser::default();

    let (status, body) = anon.json(s, "GET", "/api/v1/me", None, None).await;
    contract.check(M::Get, "/api/v1/me", status.as_u16(), &body);
    insta::assert_snapshot!("api_unauthenticated", pretty(&body));
    let (status, doc) = anon
        .json(s, "GET", "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(status.as_u16(), 200);
    assert_eq!(doc, document(), "the served document is the file");
    contract
        .exercised
        .insert((M::Get, "/api/v1/openapi.json".into()));

    let mut b = support::registered(&app, "An Peeters", "an@example.org").await;
    {
        let mut c = app.state.db.conn().unwrap();
        let uid = leerpad_store::accounts::user_by_email(&mut c, "an@example.org")
            .unwrap()
            .unwrap()
            .id;
        leerpad_store::learning::enrol(&mut c, uid, "showcase", app.clock.now()).unwrap();
    }
    let (status, me) = b.json(s, "GET", "/api/v1/me", None, None).await;
    contract.check(M::Get, "/api/v1/me", status.as_u16(), &me);
    insta::assert_snapshot!("api_me", pretty(&stable(me.clone())));
    let csrf = me["csrf_token"].as_str().unwrap().to_string();

    let (status, body) = b.json(s, "GET", "/api/v1/courses", None, None).await;
    contract.check(M::Get, "/api/v1/courses", status.as_u16(), &body);
    insta::assert_snapshot!("api_courses", pretty(&stable(body)));

    let progress = "/api/v1/courses/{course}/progress";
    let (status, body) = b
        .json(s, "GET", "/api/v1/courses/showcase/progress", None, None)
        .await;
    contract.check(M::Get, progress, status.as_u16(), &body);
    insta::assert_snapshot!("api_progress_before", pretty(&stable(body)));
    let (status, body) = b
        .json(
            s,
            "GET",
            "/api/v1/courses/bestaat-niet/progress",
            None,
            None,
        )
        .await;
    contract.check(M::Get, progress, status.as_u16(), &body);
    assert_eq!(status.as_u16(), 404);

    let done = "/api/v1/courses/{course}/items/{item}/done";
    let path = "/api/v1/courses/showcase/items/welkom/done";
    let (status, body) = b
        .json(s, "POST", path, Some(json!({"done": true})), None)
        .await;
    contract.check(M::Post, done, status.as_u16(), &body);
    assert_eq!(status.as_u16(), 403);
    let (status, body) = b
        .json(s, "POST", path, Some(json!({"done": "ja"})), Some(&csrf))
        .await;
    contract.check(M::Post, done, status.as_u16(), &body);
    assert_eq!(status.as_u16(), 400);
    let (status, body) = b
        .json(s, "POST", path, Some(json!({"done": true})), Some(&csrf))
        .await;
    contract.check(M::Post, done, status.as_u16(), &body);
    insta::assert_snapshot!("api_done", pretty(&stable(body)));

    let reflection = "/api/v1/courses/{course}/items/{item}/reflections/{reflection}";
    let (status, body) = b
        .json(
            s,
            "POST",
            "/api/v1/courses/showcase/items/welkom/reflections/eerste-gedachte",
            Some(json!({"answer": "Luisteren voor oordelen."})),
            Some(&csrf),
        )
        .await;
    contract.check(M::Post, reflection, status.as_u16(), &body);
    insta::assert_snapshot!("api_reflection", pretty(&stable(body)));
    let (status, body) = b
        .json(
            s,
            "POST",
            "/api/v1/courses/showcase/items/welkom/reflections/bestaat-niet",
            Some(json!({"answer": "x"})),
            Some(&csrf),
        )
        .await;
    contract.check(M::Post, reflection, status.as_u16(), &body);
    assert_eq!(status.as_u16(), 404);

    let attempts = "/api/v1/courses/{course}/quizzes/{quiz}/attempts";
    let (status, attempt) = b
        .json(
            s,
            "POST",
            "/api/v1/courses/showcase/quizzes/toets-basis/attempts",
            None,
            Some(&csrf),
        )
        .await;
    contract.check(M::Post, attempts, status.as_u16(), &attempt);
    assert_eq!(status.as_u16(), 201, "{attempt}");
    let id = attempt["attempt"].as_i64().unwrap();
    let answers = "/api/v1/courses/{course}/quizzes/{quiz}/attempts/{attempt}/answers";
    let answer_path = format!("/api/v1/courses/showcase/quizzes/toets-basis/attempts/{id}/answers");
    // Questions come in a random order: a true-or-false one, answered as a choice.
    let qid = attempt["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["answer_type"] == "bool")
        .expect("the showcase quiz has a true-or-false question")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = b
        .json(
            s,
            "POST",
            &answer_path,
            Some(json!({"question": qid, "answer": {"type": "choice", "value": 99}})),
            Some(&csrf),
        )
        .await;
    contract.check(M::Post, answers, status.as_u16(), &body);
    assert_eq!(status.as_u16(), 400, "{body}");
    insta::assert_snapshot!("api_bad_answer", pretty(&stable(body)));
    // Every question answered with what the API accepts for its kind.
    let mut last = Value::Null;
    for q in attempt["questions"].as_array().unwrap() {
        let kind = q["answer_type"].as_str().unwrap();
        let answer = match kind {
            "bool" => json!({"type": kind, "value": true}),
            "text" => json!({"type": kind, "value": "iets"}),
            "choices" => json!({"type": kind, "value": [0]}),
            "matching" | "ordering" => {
                let shown = &q["question"];
                let n = shown["left"]
                    .as_array()
                    .or(shown["items"].as_array())
                    .map(Vec::len)
                    .unwrap();
                json!({"type": kind, "value": (0..n).collect::<Vec<_>>()})
            }
            _ => json!({"type": kind, "value": 0}),
        };
        let (status, body) = b
            .json(
                s,
                "POST",
                &answer_path,
                Some(json!({"question": q["id"], "answer": answer})),
                Some(&csrf),
            )
            .await;
        contract.check(M::Post, answers, status.as_u16(), &body);
        last = body;
    }
    // Which pool questions an attempt draws is random, so the score is not
    // snapshotted; the schema check above covers its shape.
    assert!(last["finished"]["max_points"].is_u64(), "{last}");

    let (status, body) = b.json(s, "GET", "/api/v1/organisations", None, None).await;
    contract.check(M::Get, "/api/v1/organisations", status.as_u16(), &body);
    let (status, body) = b
        .json(s, "GET", "/api/v1/organisations/gent/report", None, None)
        .await;
    contract.check(
        M::Get,
        "/api/v1/organisations/{slug}/report",
        status.as_u16(),
        &body,
    );

    // A trainer who authors the showcase course, and one route for a learner.
    let (status, body) = b
        .json(s, "GET", "/api/v1/trainer/courses", None, None)
        .await;
    contract.check(M::Get, "/api/v1/trainer/courses", status.as_u16(), &body);
    let mut tessa = support::registered(&app, "Tessa", "tessa.trainer@example.org").await;
    support::set_role(
        &app.state,
        "tessa.trainer@example.org",
        leerpad_core::Role::Trainer,
    );
    let (status, body) = tessa
        .json(s, "GET", "/api/v1/trainer/courses", None, None)
        .await;
    contract.check(M::Get, "/api/v1/trainer/courses", status.as_u16(), &body);
    assert_eq!(status.as_u16(), 200, "{body}");
    let (status, body) = tessa
        .json(s, "GET", "/api/v1/trainer/courses/showcase", None, None)
        .await;
    contract.check(
        M::Get,
        "/api/v1/trainer/courses/{course}",
        status.as_u16(),
        &body,
    );
    assert_eq!(status.as_u16(), 200, "{body}");

    // The community, as the trainer (the network is theirs to read and moderate).
    let (_, me) = tessa.json(s, "GET", "/api/v1/me", None, None).await;
    let tcsrf = me["csrf_token"].as_str().unwrap().to_string();
    let (status, body) = tessa
        .json(s, "GET", "/api/v1/community/spaces", None, None)
        .await;
    contract.check(M::Get, "/api/v1/community/spaces", status.as_u16(), &body);
    let (status, body) = tessa
        .json(
            s,
            "POST",
            "/api/v1/community/spaces/network/guidelines",
            None,
            Some(&tcsrf),
        )
        .await;
    contract.check(
        M::Post,
        "/api/v1/community/spaces/{space}/guidelines",
        status.as_u16(),
        &body,
    );
    let threads = "/api/v1/community/spaces/{space}/threads";
    let (status, body) = tessa
        .json(
            s,
            "POST",
            "/api/v1/community/spaces/network/threads",
            Some(json!({"title": "Een vraag", "body": "Wie *weet* het?", "question": true})),
            Some(&tcsrf),
        )
        .await;
    contract.check(M::Post, threads, status.as_u16(), &body);
    assert_eq!(status.as_u16(), 201, "{body}");
    let thread = body["thread"].as_i64().unwrap();
    let (status, body) = tessa
        .json(
            s,
            "POST",
            "/api/v1/community/spaces/network/threads",
            Some(json!({"title": " ", "body": "Zonder titel"})),
            Some(&tcsrf),
        )
        .await;
    contract.check(M::Post, threads, status.as_u16(), &body);
    assert_eq!(status.as_u16(), 422, "{body}");
    let (status, body) = tessa
        .json(
            s,
            "GET",
            "/api/v1/community/spaces/network/threads",
            None,
            None,
        )
        .await;
    contract.check(M::Get, threads, status.as_u16(), &body);
    let replies = format!("/api/v1/community/threads/{thread}/replies");
    let (status, body) = tessa
        .json(
            s,
            "POST",
            &replies,
            Some(json!({"body": "Ikzelf."})),
            Some(&tcsrf),
        )
        .await;
    contract.check(
        M::Post,
        "/api/v1/community/threads/{id}/replies",
        status.as_u16(),
        &body,
    );
    let post = body["post"].as_i64().unwrap();
    let (status, body) = tessa
        .json(
            s,
            "GET",
            &format!("/api/v1/community/threads/{thread}"),
            None,
            None,
        )
        .await;
    contract.check(
        M::Get,
        "/api/v1/community/threads/{id}",
        status.as_u16(),
        &body,
    );
    assert_eq!(body["replies"][0]["badge"], "trainer", "{body}");
    let (status, body) = tessa
        .json(
            s,
            "POST",
            &format!("/api/v1/community/posts/{post}/report"),
            Some(json!({"reason": "Eigen bericht"})),
            Some(&tcsrf),
        )
        .await;
    contract.check(
        M::Post,
        "/api/v1/community/posts/{id}/report",
        status.as_u16(),
        &body,
    );
    assert_eq!(status.as_u16(), 422, "one's own post: {body}");

    let all = documented(&contract.doc);
    let missed: Vec<_> = all.difference(&contract.exercised).collect();
    assert!(
        missed.is_empty(),
        "documented routes this test never calls: {missed:?}"
    );
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap()
}
