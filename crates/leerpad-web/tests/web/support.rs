//! A test server: the real app over a fresh SQLite database with the showcase course
//! published, driven through actix's test service with a cookie jar.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::test;
use leerpad_store::outbox;
use leerpad_store::{publish, Db, PublishInput, PublishOptions};
use leerpad_web::{app, build_state, AppState, Clock, Config};

pub struct TestApp<S> {
    pub service: S,
    pub state: AppState,
    pub clock: Clock,
    _dir: tempfile::TempDir,
}

pub fn showcase_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/valid/showcase")
}

/// A second, listed course, in English (`english`).
pub fn english_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/valid/english")
}

pub fn config(dir: &std::path::Path) -> Config {
    let mut config = Config {
        data_dir: dir.to_path_buf(),
        secret: Some("a test secret that is long enough to sign with".into()),
        ..Config::default()
    };
    config.courses.publish_on_start = false;
    config
}

pub async fn test_app(
    tweak: impl FnOnce(&mut Config),
) -> TestApp<
    impl Service<
        actix_http::Request,
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
    >,
> {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    tweak(&mut config);
    let db = Db::open(&config.database_url()).unwrap();
    publish_into(&db, &[showcase_dir()], chrono::Utc::now().naive_utc());
    let clock = Clock::default();
    let state = build_state(config, db, clock.clone(), Arc::new(|| {})).unwrap();
    let service = test::init_service(app(state.clone())).await;
    TestApp {
        service,
        state,
        clock,
        _dir: dir,
    }
}

/// Compiles the courses at `paths` and publishes them into `db`, as of `at`.
pub fn publish_into(db: &Db, paths: &[PathBuf], at: chrono::NaiveDateTime) {
    let compiled = leerpad_compiler::compile_paths(paths);
    assert!(!compiled.diagnostics.has_errors());
    let inputs: Vec<_> = compiled
        .courses
        .iter()
        .zip(&compiled.sources)
        .map(|(course, dir)| PublishInput {
            course,
            source_dir: Some(dir.as_path()),
        })
        .collect();
    let opts = PublishOptions {
        dry_run: false,
        allow_orphans: false,
        now: at,
    };
    publish(db, &inputs, &opts).unwrap();
}

/// A database with courses published, on SQLite or on the PostgreSQL server named by
/// `LEERPAD_TEST_DATABASE_URL`; removed when dropped.
pub type PublishedDb = leerpad_store::testing::TestDb;

/// A fresh SQLite database with the courses at `paths` published as of `at`.
pub fn published_sqlite(paths: &[PathBuf], at: chrono::NaiveDateTime) -> PublishedDb {
    let t = PublishedDb::sqlite();
    publish_into(&t.db, paths, at);
    t
}

/// The same on a fresh PostgreSQL database; `None` when no server is configured.
pub fn published_postgres(paths: &[PathBuf], at: chrono::NaiveDateTime) -> Option<PublishedDb> {
    let t = PublishedDb::postgres()?;
    publish_into(&t.db, paths, at);
    Some(t)
}

/// A browser: cookies kept between requests.
#[derive(Default, Clone)]
pub struct Browser {
    pub cookies: BTreeMap<String, String>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
    pub set_cookies: Vec<String>,
    pub headers: actix_web::http::header::HeaderMap,
    /// The body as sent (for downloads that are not text).
    pub bytes: Vec<u8>,
}

impl Page {
    /// The CSRF token of the first form on the page.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("no form on the page:\n{}", self.body))
            + marker.len();
        self.body[start..].split('"').next().unwrap().to_string()
    }

    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(self.status.as_u16(), status, "body:\n{}", self.body);
        self
    }
}

impl Browser {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send<S, B>(&mut self, app: &S, req: test::TestRequest) -> Page
    where
        S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
        B: MessageBody,
    {
        let mut req = req.peer_addr("127.0.0.1:40000".parse().unwrap());
        if !self.cookies.is_empty() {
            req = req.insert_header((header::COOKIE, self.cookie_header()));
        }
        let res = test::call_service(app, req.to_request()).await;
        let status = res.status();
        let headers = res.headers().clone();
        let location = headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_string());
        let set_cookies: Vec<String> = headers
            .get_all(header::SET_COOKIE)
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        for c in &set_cookies {
            let pair = c.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            let removed = c.contains("Max-Age=0") || value.is_empty();
            if removed {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        let bytes = test::read_body(res).await.to_vec();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        Page {
            status,
            location,
            body,
            set_cookies,
            headers,
            bytes,
        }
    }

    pub async fn get<S, B>(&mut self, app: &S, path: &str) -> Page
    where
        S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
        B: MessageBody,
    {
        self.send(app, test::TestRequest::get().uri(path)).await
    }

    pub async fn send_with_header<S, B>(&mut self, app: &S, path: &str, h: (&str, &str)) -> Page
    where
        S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
        B: MessageBody,
    {
        self.send(
            app,
            test::TestRequest::get().uri(path).insert_header((h.0, h.1)),
        )
        .await
    }

    pub async fn post<S, B>(&mut self, app: &S, path: &str, form: &[(&str, &str)]) -> Page
    where
        S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
        B: MessageBody,
    {
        let body = serde_urlencoded::to_string(form).unwrap();
        self.send(
            app,
            test::TestRequest::post()
                .uri(path)
                .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
                .set_payload(body),
        )
        .await
    }

    /// Posts a form with the CSRF token from `page_path`.
    pub async fn submit<S, B>(
        &mut self,
        app: &S,
        page_path: &str,
        action: &str,
        form: &[(&str, &str)],
    ) -> Page
    where
        S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
        B: MessageBody,
    {
        let csrf = self.get(app, page_path).await.csrf();
        let mut fields: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        fields.extend_from_slice(form);
        self.post(app, action, &fields).await
    }

    /// Uploads `file` as the form field `file` of a multipart form, with the CSRF
    /// token from `page_path`.
    pub async fn upload<S, B>(
        &mut self,
        app: &S,
        page_path: &str,
        action: &str,
        file: &[u8],
    ) -> Page
    where
        S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
        B: MessageBody,
    {
        let csrf = self.get(app, page_path).await.csrf();
        let boundary = "leerpad-test-boundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"people.csv\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.send(
            app,
            test::TestRequest::post()
                .uri(action)
                .insert_header((
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={boundary}"),
                ))
                .set_payload(body),
        )
        .await
    }

    pub async fn json<S, B>(
        &mut self,
        app: &S,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
        csrf: Option<&str>,
    ) -> (StatusCode, serde_json::Value)
    where
        S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
        B: MessageBody,
    {
        let mut req = match method {
            "POST" => test::TestRequest::post(),
            _ => test::TestRequest::get(),
        }
        .uri(path);
        if let Some(b) = body {
            req = req.set_json(b);
        }
        if let Some(token) = csrf {
            req = req.insert_header(("X-CSRF-Token", token));
        }
        let page = self.send(app, req).await;
        (
            page.status,
            serde_json::from_str(&page.body).unwrap_or(serde_json::Value::Null),
        )
    }
}

/// The newest email to `recipient` in the outbox: (kind, message). One queued as a
/// template (a nudge) is rendered with the built-in theme, as the worker would.
pub fn last_email(state: &AppState, recipient: &str) -> Option<(String, outbox::StoredMessage)> {
    use diesel::prelude::*;
    use leerpad_store::schema::email_outbox;
    let mut c = state.db.conn().unwrap();
    let row: Option<(String, String)> = email_outbox::table
        .filter(email_outbox::recipient.eq(recipient))
        .order(email_outbox::id.desc())
        .select((email_outbox::kind, email_outbox::payload))
        .first(&mut *c)
        .optional()
        .unwrap();
    row.map(|(kind, payload)| {
        let payload = outbox::Payload::from_json(&payload).unwrap();
        let message = leerpad_mail::Templates::builtin()
            .render_payload(&payload)
            .unwrap()
            .into_owned();
        (kind, message)
    })
}

pub fn email_count(state: &AppState) -> i64 {
    use diesel::prelude::*;
    use leerpad_store::schema::email_outbox;
    let mut c = state.db.conn().unwrap();
    email_outbox::table.count().get_result(&mut *c).unwrap()
}

/// The first link into the site in an email's text.
pub fn link_in(text: &str) -> String {
    let start = text
        .find("http://127.0.0.1:8080")
        .unwrap_or_else(|| panic!("no link in:\n{text}"));
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    link.trim_start_matches("http://127.0.0.1:8080").to_string()
}

pub const PASSWORD: &str = "een lange zin als wachtwoord";

/// A browser signed in as a newly registered, verified user.
pub async fn registered<S, B>(app: &TestApp<S>, name: &str, email: &str) -> Browser
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut b = Browser::default();
    b.submit(
        &app.service,
        "/auth/register",
        "/auth/register",
        &[("name", name), ("email", email), ("password", PASSWORD)],
    )
    .await
    .assert_status(303);
    let (_, msg) = last_email(&app.state, email).expect("a verification email");
    confirm_link(app, &mut b, &link_in(&msg.text), "/auth/verify").await;
    b
}

/// Opens an emailed link (a page with a button: a GET confirms nothing) and
/// presses its button, which posts the link's token to `action`.
pub async fn confirm_link<S, B>(app: &TestApp<S>, b: &mut Browser, link: &str, action: &str) -> Page
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let token = link
        .split("token=")
        .nth(1)
        .expect("a token in the link")
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let page = b
        .submit(&app.service, link, action, &[("token", &token)])
        .await;
    page.assert_status(303);
    page
}

/// Gives the user with this email another role (as an administrator would).
pub fn set_role(state: &AppState, email: &str, role: leerpad_core::Role) -> i32 {
    let mut c = state.db.conn().unwrap();
    let user = leerpad_store::accounts::user_by_email(&mut c, email)
        .unwrap()
        .unwrap();
    leerpad_store::accounts::set_role(&mut c, user.id, role).unwrap();
    state.sessions.forget(None, Some(user.id));
    user.id
}

/// A browser signed in through the invitation last emailed to `email`.
pub async fn accept_invitation<S, B>(app: &TestApp<S>, email: &str) -> Browser
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    accept_invitation_as(app, email, "Invited Person").await
}

/// A browser signed in through the invitation last emailed to `email`, as `name`.
pub async fn accept_invitation_as<S, B>(app: &TestApp<S>, email: &str, name: &str) -> Browser
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let (kind, msg) = last_email(&app.state, email).expect("an invitation");
    assert_eq!(kind, "invitation");
    let link = link_in(&msg.text);
    let token = link.split("token=").nth(1).unwrap().to_string();
    let mut b = Browser::default();
    b.submit(
        &app.service,
        &link,
        "/auth/invite",
        &[("token", &token), ("name", name), ("password", PASSWORD)],
    )
    .await
    .assert_status(303);
    b
}

impl Browser {
    /// Sends any request (method, headers and body as built by the caller) with this
    /// browser's cookies, and keeps the cookies it sets.
    pub async fn request<S, B>(&mut self, app: &S, req: test::TestRequest) -> Page
    where
        S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
        B: MessageBody,
    {
        self.send(app, req).await
    }
}
