//! A test server: the real app over a fresh SQLite database with the showcase course
//! published, driven through actix's test service with a cookie jar.
#![allow(dead_code)]

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

pub fn config(dir: &std::path::Path) -> Config {
    Config {
        data_dir: dir.to_path_buf(),
        secret: Some("a test secret that is long enough to sign with".into()),
        publish_on_start: false,
        ..Config::default()
    }
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
    let compiled = leerpad_compiler::compile_paths(&[showcase_dir()]);
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
        now: chrono::Utc::now().naive_utc(),
    };
    publish(&db, &inputs, &opts).unwrap();
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
        let body = String::from_utf8_lossy(&test::read_body(res).await).into_owned();
        Page {
            status,
            location,
            body,
            set_cookies,
            headers,
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

/// The newest email to `recipient` in the outbox: (kind, message).
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
    row.map(|(kind, payload)| (kind, serde_json::from_str(&payload).unwrap()))
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
