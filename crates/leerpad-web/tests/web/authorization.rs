//! Authorization, route by route: every route of the app is tried by every kind of
//! caller, and what each may get is written down in one table ([`routes`]). Two
//! organisations share one server; nothing one organisation's coordinator, learners,
//! scripts or outsiders can reach may show the other organisation's learners, and no
//! learner may reach another learner's records.
//!
//! - Refused is one of: 303 to the sign-in page, 401 (API without credentials), 403
//!   or 404. A refused answer never names organisation A's learners or their group,
//!   and a refused POST changes nothing in the database (a snapshot of every user's
//!   personal-data export and every organisation's members, groups and assignments is
//!   compared before and after).
//! - Allowed answers are checked too: each caller's pages never show what that
//!   caller may not know (the other organisation's learners, another learner's
//!   reflection, another coordinator's API tokens).
//! - `every_route_has_an_authorization_row` reads the `#[get]`/`#[post]` attributes in
//!   `src/routes/*.rs`: a route added without a row in the table fails it.
//! - `another_organisations_learner_stays_out_of_sight_when_invited_by_address`: a
//!   coordinator cannot pull another organisation's learner into their reports by
//!   typing her address into the invitation form (fails today; see the test).

use crate::support;

use std::collections::BTreeSet;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header;
use actix_web::test::TestRequest;
use chrono::{Duration, NaiveDate, NaiveDateTime, Utc};
use leerpad_core::Role;
use leerpad_store::organisations::{self, MemberRole};
use leerpad_store::{accounts, api_tokens, learning, privacy, publish};
use support::{accept_invitation_as, registered, set_role, test_app, Browser, Page, TestApp};

// --- callers ---

/// Who is asking. The order is the order of the columns of the route table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    /// A browser that never signed in.
    Anonymous,
    /// A signed-in learner in no organisation.
    L0,
    /// A learner of organisation A (gent), in its group Burgerzaken, enrolled in the
    /// showcase course through an assignment, with progress, a reflection, a quiz
    /// attempt, a scenario run and a certificate.
    La1,
    /// A learner of organisation B (antwerpen), enrolled in showcase too.
    Lb1,
    /// The coordinator of B, signed in.
    Cb,
    /// B's coordinator's API token, sent by a script without cookies.
    CbToken,
    /// The coordinator of A, signed in.
    Ca,
    /// A's coordinator's API token, sent by a script without cookies.
    CaToken,
    /// An administrator.
    Admin,
    /// A trainer in no organisation whose address is among showcase's `authors`.
    /// Rows give this caller's outcome only where it differs from L0's (the trainer
    /// pages, API tokens): elsewhere a trainer is a learner like L0.
    Trainer,
}

const CALLERS: [Caller; 10] = [
    Caller::Anonymous,
    Caller::L0,
    Caller::La1,
    Caller::Lb1,
    Caller::Cb,
    Caller::CbToken,
    Caller::Ca,
    Caller::CaToken,
    Caller::Admin,
    Caller::Trainer,
];

// --- expected outcomes ---

/// What a caller gets from a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum E {
    /// Allowed: 2xx.
    Ok,
    /// Allowed: a redirect that is part of the normal flow (not to the sign-in page).
    Redirect,
    /// Allowed: a redirect to a location starting with this.
    RedirectTo(&'static str),
    /// Allowed, and answered with this status (a form with a mistake, an expired link).
    Status(u16),
    /// Refused: 303 to `/auth/sign-in?next=…`.
    SignIn,
    /// Refused: 401 (the API without credentials, a wrong password).
    Unauthorized,
    /// Refused: 403.
    Forbidden,
    /// Refused: 404.
    NotFound,
}

impl E {
    fn refused(self) -> bool {
        matches!(
            self,
            E::SignIn | E::Unauthorized | E::Forbidden | E::NotFound
        )
    }

    fn matches(self, page: &Page) -> bool {
        let s = page.status.as_u16();
        let location = page.location.as_deref().unwrap_or("");
        let redirect = (300..400).contains(&s);
        let to_sign_in = redirect && location.starts_with("/auth/sign-in?next=");
        match self {
            E::Ok => (200..300).contains(&s),
            E::Redirect => redirect && !to_sign_in,
            E::RedirectTo(prefix) => redirect && location.starts_with(prefix),
            E::Status(n) => s == n,
            E::SignIn => s == 303 && to_sign_in,
            E::Unauthorized => s == 401,
            E::Forbidden => s == 403,
            E::NotFound => s == 404,
        }
    }
}

const OK: E = E::Ok;
const RE: E = E::Redirect;
const SI: E = E::SignIn;
const UA: E = E::Unauthorized;
const FB: E = E::Forbidden;
const NF: E = E::NotFound;
/// An expired or unknown one-time link.
const GONE: E = E::Status(410);
/// A form with a mistake, shown again.
const UNPR: E = E::Status(422);
const BAD: E = E::Status(400);
const TO_GENT: E = E::RedirectTo("/organisations/gent");
const TO_ANTW: E = E::RedirectTo("/organisations/antwerpen");

// --- the route table ---

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum M {
    Get,
    Post,
}

enum Body {
    None,
    /// An urlencoded form; the caller's CSRF token is added.
    Form(&'static [(&'static str, &'static str)]),
    /// JSON, with the caller's CSRF token in `X-CSRF-Token`.
    Json(&'static str),
    /// A multipart form with this file as `file`, and the CSRF token.
    Upload(&'static str),
}

/// What has to be true before each request of a row (and is made true again after
/// the row), for rows whose allowed callers undo what the row needs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prepare {
    None,
    /// A's assignment of showcase to Burgerzaken exists (`$assignment` is its id).
    Assignment,
    /// LA2 is a member of A, in Burgerzaken.
    La2Member,
}

type Check = fn(&Fixture, &Who, &Page) -> Result<(), String>;

struct Row {
    method: M,
    /// The route as declared in `#[get("…")]` / `#[post("…")]`.
    route: &'static str,
    /// The concrete request; `$name`s are filled in from the fixture (see `vars`).
    path: &'static str,
    body: Body,
    /// One outcome per caller, in the order of [`CALLERS`], but the trainer's.
    expect: [E; 9],
    /// The trainer's outcome, when it is not L0's.
    trainer: Option<E>,
    /// The path itself carries the authority (a certificate code, a signed
    /// unsubscribe token): an allowed answer may show its holder.
    credential: bool,
    prepare: Prepare,
    /// More to check of an allowed answer.
    check: Option<Check>,
}

fn get(route: &'static str, path: &'static str, expect: [E; 9]) -> Row {
    Row {
        method: M::Get,
        route,
        path,
        body: Body::None,
        expect,
        trainer: None,
        credential: false,
        prepare: Prepare::None,
        check: None,
    }
}

fn post(route: &'static str, path: &'static str, body: Body, expect: [E; 9]) -> Row {
    Row {
        method: M::Post,
        body,
        ..get(route, path, expect)
    }
}

impl Row {
    fn credential(mut self) -> Row {
        self.credential = true;
        self
    }

    fn prepare(mut self, p: Prepare) -> Row {
        self.prepare = p;
        self
    }

    fn check(mut self, c: Check) -> Row {
        self.check = Some(c);
        self
    }

    /// What the trainer (the last caller) gets, when it is not what L0 gets.
    fn trainer(mut self, e: E) -> Row {
        self.trainer = Some(e);
        self
    }

    /// What caller `i` of [`CALLERS`] gets.
    fn outcome(&self, i: usize) -> E {
        match self.expect.get(i) {
            Some(e) => *e,
            None => self.trainer.unwrap_or(self.expect[1]),
        }
    }
}

const NO_FIELDS: Body = Body::Form(&[]);

/// The metrics token of the table's server, which no caller has.
const METRICS_TOKEN: &str = "prometheus-scrapes-with-this";

/// Every route, and what every caller gets from it. Rows run in this order; signing
/// out is last. `$la1`, `$la2`, `$lb1` are user ids; `$group` is Burgerzaken's id;
/// `$assignment` A's assignment; `$token` an API token of CA's; `$attempt` LA1's
/// quiz attempt (questions `$q1`, `$q2`); `$run` LA1's latest scenario run; `$code`
/// LA1's certificate; `$unsubscribe` LA1's signed unsubscribe token; `$me` and
/// `$name` the caller's label and display name; `$failed` an email that failed.
#[rustfmt::skip]
fn routes() -> Vec<Row> {
    vec![
        //                                                                   anon L0  LA1 LB1 CB  CBt CA  CAt admin
        // --- support ---
        get("/healthz", "/healthz",                                         [OK, OK, OK, OK, OK, OK, OK, OK, OK]),
        // Only for Prometheus with the configured token (tests/web/metrics.rs).
        get("/metrics", "/metrics",                                         [UA, UA, UA, UA, UA, UA, UA, UA, UA]),
        get("/static/{path:.*}", "/static/leerpad.css",                     [OK, OK, OK, OK, OK, OK, OK, OK, OK]),
        get("/static/{path:.*}", "/static/../Cargo.toml",                   [NF, NF, NF, NF, NF, NF, NF, NF, NF]),

        // --- accounts (public; a script without cookies has no CSRF token) ---
        get("/auth/sign-in", "/auth/sign-in",                               [OK, RE, RE, RE, RE, OK, RE, OK, RE]),
        post("/auth/sign-in", "/auth/sign-in",
            Body::Form(&[("email", "niemand-$me@example.org"), ("password", "een verkeerd wachtwoord")]),
                                                                            [UA, UA, UA, UA, UA, FB, UA, FB, UA]),
        post("/auth/link", "/auth/link", Body::Form(&[("email", "niemand-$me@example.org")]),
                                                                            [RE, RE, RE, RE, RE, FB, RE, FB, RE]),
        get("/auth/link", "/auth/link?token=ongeldig",                      [GONE, GONE, GONE, GONE, GONE, GONE, GONE, GONE, GONE]),
        post("/auth/link/confirm", "/auth/link/confirm", Body::Form(&[("token", "ongeldig")]),
                                                                            [GONE, GONE, GONE, GONE, GONE, FB, GONE, FB, GONE]),
        get("/auth/register", "/auth/register",                             [OK, OK, OK, OK, OK, OK, OK, OK, OK]),
        post("/auth/register", "/auth/register",
            Body::Form(&[("name", "Nieuw"), ("email", "nieuw-$me@example.org"), ("password", "kort")]),
                                                                            [UNPR, UNPR, UNPR, UNPR, UNPR, FB, UNPR, FB, UNPR]),
        get("/auth/verify", "/auth/verify?token=ongeldig",                  [GONE, GONE, GONE, GONE, GONE, GONE, GONE, GONE, GONE]),
        post("/auth/verify", "/auth/verify", Body::Form(&[("token", "ongeldig")]),
                                                                            [GONE, GONE, GONE, GONE, GONE, FB, GONE, FB, GONE]),
        get("/auth/reset", "/auth/reset",                                   [OK, OK, OK, OK, OK, OK, OK, OK, OK]),
        post("/auth/reset", "/auth/reset", Body::Form(&[("email", "niemand-$me@example.org")]),
                                                                            [RE, RE, RE, RE, RE, FB, RE, FB, RE]),
        get("/auth/reset/confirm", "/auth/reset/confirm?token=ongeldig",    [GONE, GONE, GONE, GONE, GONE, GONE, GONE, GONE, GONE]),
        post("/auth/reset/confirm", "/auth/reset/confirm",
            Body::Form(&[("token", "ongeldig"), ("password", "een lang genoeg wachtwoord")]),
                                                                            [GONE, GONE, GONE, GONE, GONE, FB, GONE, FB, GONE]),
        get("/auth/invite", "/auth/invite?token=ongeldig",                  [GONE, GONE, GONE, GONE, GONE, GONE, GONE, GONE, GONE]),
        post("/auth/invite", "/auth/invite",
            Body::Form(&[("token", "ongeldig"), ("name", "Iemand"), ("password", "een lang genoeg wachtwoord")]),
                                                                            [GONE, GONE, GONE, GONE, GONE, FB, GONE, FB, GONE]),
        post("/language", "/language", Body::Form(&[("lang", "nl"), ("next", "/")]),
                                                                            [RE, RE, RE, RE, RE, FB, RE, FB, RE]),

        // --- the catalogue, a course, certificates, the action plan, assets ---
        get("/", "/",                                                       [OK, OK, OK, OK, OK, OK, OK, OK, OK]),
        get("/courses", "/courses",                                         [OK, OK, OK, OK, OK, OK, OK, OK, OK]),
        // showcase is hidden: it exists only for those enrolled (LA1, LB1, and CB
        // through B's organisation-wide assignment).
        get("/courses/{course}", "/courses/showcase",                       [NF, NF, OK, OK, OK, NF, NF, NF, NF]),
        post("/courses/{course}/enrol", "/courses/showcase/enrol", NO_FIELDS,
                                                                            [SI, NF, RE, RE, RE, SI, NF, SI, NF]),
        get("/courses/{course}/certificate", "/courses/showcase/certificate",
                                                                            [SI, NF, OK, NF, NF, SI, NF, SI, NF]),
        get("/certificates/{code}", "/certificates/$code",                  [OK, OK, OK, OK, OK, OK, OK, OK, OK]).credential(),
        get("/certificates/{code}", "/certificates/ZZZZ-ZZZZ-ZZZZ",         [NF, NF, NF, NF, NF, NF, NF, NF, NF]),
        // Everyone enrolled gets their own plan; LA1's reflection is only in LA1's.
        get("/courses/{course}/action-plan", "/courses/showcase/action-plan",
                                                                            [SI, NF, OK, OK, OK, SI, NF, SI, NF]),
        get("/courses/{course}/action-plan.md", "/courses/showcase/action-plan.md",
                                                                            [SI, NF, OK, OK, OK, SI, NF, SI, NF]),
        get("/courses/{course}/action-plan.docx", "/courses/showcase/action-plan.docx",
                                                                            [SI, NF, OK, OK, OK, SI, NF, SI, NF]),
        // A hidden course's files are for those enrolled, as its pages are.
        get("/assets/{course}/{path:.*}", "/assets/showcase/polen.svg",     [NF, NF, OK, OK, OK, NF, NF, NF, NF]),
        get("/assets/{course}/{path:.*}", "/assets/showcase/../course.yaml",
                                                                            [NF, NF, NF, NF, NF, NF, NF, NF, NF]),

        // --- items: lessons, quizzes, scenarios ---
        get("/courses/{course}/{item}", "/courses/showcase/welkom",         [SI, NF, OK, OK, OK, SI, NF, SI, NF]),
        get("/courses/{course}/{item}", "/courses/showcase/kort-antwoord",  [SI, NF, OK, OK, OK, SI, NF, SI, NF]),
        get("/courses/{course}/{item}", "/courses/showcase/verhit-debat",   [SI, NF, OK, OK, OK, SI, NF, SI, NF]),
        get("/courses/{course}/{item}/figures/{n}", "/courses/showcase/welkom/figures/1",
                                                                            [SI, NF, OK, OK, OK, SI, NF, SI, NF]),
        get("/courses/{course}/{item}/figures/{n}", "/courses/showcase/welkom/figures/2",
                                                                            [SI, NF, NF, NF, NF, SI, NF, SI, NF]),
        post("/courses/{course}/{item}/done", "/courses/showcase/welkom/done", NO_FIELDS,
                                                                            [SI, NF, RE, RE, RE, SI, NF, SI, NF]),
        post("/courses/{course}/{item}/reflections/{reflection}", "/courses/showcase/welkom/reflections/eerste-gedachte",
            Body::Form(&[("answer", "Geheime reflectie van $me")]),         [SI, NF, RE, RE, RE, SI, NF, SI, NF]),
        post("/courses/{course}/{item}/attempts", "/courses/showcase/kort-antwoord/attempts", NO_FIELDS,
                                                                            [SI, NF, RE, RE, RE, SI, NF, SI, NF]),
        get("/courses/{course}/{item}/attempts/{attempt}", "/courses/showcase/kort-antwoord/attempts/$attempt",
                                                                            [SI, NF, OK, NF, NF, SI, NF, SI, NF]),
        post("/courses/{course}/{item}/attempts/{attempt}/answer", "/courses/showcase/kort-antwoord/attempts/$attempt/answer",
            Body::Form(&[("question", "$q1"), ("value", "true")]),          [SI, NF, RE, NF, NF, SI, NF, SI, NF]),
        post("/courses/{course}/{item}/runs", "/courses/showcase/verhit-debat/runs", NO_FIELDS,
                                                                            [SI, NF, RE, RE, RE, SI, NF, SI, NF]),
        post("/courses/{course}/{item}/runs/choose", "/courses/showcase/verhit-debat/runs/choose",
            Body::Form(&[("run", "$run"), ("choice", "1"), ("taken", "0")]),
                                                                            [SI, NF, RE, NF, NF, SI, NF, SI, NF]),

        // --- the learner's JSON API: sessions only, never a bearer token ---
        get("/api/v1/openapi.json", "/api/v1/openapi.json",                 [OK, OK, OK, OK, OK, OK, OK, OK, OK]),
        get("/api/v1/me", "/api/v1/me",                                     [UA, OK, OK, OK, OK, UA, OK, UA, OK]).check(own_api_me),
        get("/api/v1/courses", "/api/v1/courses",                           [UA, OK, OK, OK, OK, UA, OK, UA, OK]),
        get("/api/v1/courses/{course}/progress", "/api/v1/courses/showcase/progress",
                                                                            [UA, NF, OK, OK, OK, UA, NF, UA, NF]),
        post("/api/v1/courses/{course}/items/{item}/done", "/api/v1/courses/showcase/items/welkom/done",
            Body::Json(r#"{"done": true}"#),                                [UA, NF, OK, OK, OK, FB, NF, FB, NF]),
        post("/api/v1/courses/{course}/items/{item}/reflections/{reflection}", "/api/v1/courses/showcase/items/welkom/reflections/eerste-gedachte",
            Body::Json(r#"{"answer": "Concept van $me"}"#),                 [UA, NF, OK, OK, OK, FB, NF, FB, NF]),
        post("/api/v1/courses/{course}/quizzes/{quiz}/attempts", "/api/v1/courses/showcase/quizzes/kort-antwoord/attempts",
            Body::Json(""),                                                 [UA, NF, OK, OK, OK, FB, NF, FB, NF]),
        post("/api/v1/courses/{course}/quizzes/{quiz}/attempts/{attempt}/answers",
            "/api/v1/courses/showcase/quizzes/kort-antwoord/attempts/$attempt/answers",
            Body::Json(r#"{"question": "$q2", "answer": $q2answer}"#),      [UA, NF, OK, NF, NF, FB, NF, FB, NF]),

        // --- reports over the API: a token or a session, only organisations coordinated ---
        get("/api/v1/organisations", "/api/v1/organisations",               [UA, OK, OK, OK, OK, OK, OK, OK, OK]).check(organisations_listed),
        get("/api/v1/organisations/{slug}/report", "/api/v1/organisations/gent/report",
                                                                            [UA, NF, NF, NF, NF, NF, OK, OK, OK]).check(shows_la1),
        get("/api/v1/organisations/{slug}/report", "/api/v1/organisations/gent/report?format=csv&delimiter=semicolon",
                                                                            [UA, NF, NF, NF, NF, NF, OK, OK, OK]).check(shows_la1),
        get("/api/v1/organisations/{slug}/report", "/api/v1/organisations/gent/report?format=xlsx",
                                                                            [UA, NF, NF, NF, NF, NF, OK, OK, OK]),
        get("/api/v1/organisations/{slug}/report", "/api/v1/organisations/gent/report?format=json&status=invited",
                                                                            [UA, NF, NF, NF, NF, NF, OK, OK, OK]),
        get("/api/v1/organisations/{slug}/report", "/api/v1/organisations/antwerpen/report",
                                                                            [UA, NF, NF, NF, OK, OK, NF, NF, OK]),
        get("/api/v1/organisations/{slug}/report", "/api/v1/organisations/nergens/report",
                                                                            [UA, NF, NF, NF, NF, NF, NF, NF, NF]),

        // --- API tokens: coordinators, trainers and administrators, each only their own ---
        // --- a learner's organisations and requests to join: only their own ---
        get("/me/organisations", "/me/organisations",                       [SI, OK, OK, OK, OK, SI, OK, SI, OK]),
        post("/me/organisations/{slug}/accept", "/me/organisations/gent/accept", NO_FIELDS,
                                                                            [SI, NF, NF, NF, NF, SI, NF, SI, NF]),
        post("/me/organisations/{slug}/decline", "/me/organisations/gent/decline", NO_FIELDS,
                                                                            [SI, NF, NF, NF, NF, SI, NF, SI, NF]),

        get("/me/api-tokens", "/me/api-tokens",                             [SI, NF, NF, NF, OK, SI, OK, SI, OK]).trainer(OK),
        post("/me/api-tokens", "/me/api-tokens", Body::Form(&[("name", "matrix-$me"), ("days", "30")]),
                                                                            [SI, NF, NF, NF, OK, SI, OK, SI, OK]).trainer(OK),
        post("/me/api-tokens/{id}/revoke", "/me/api-tokens/$token/revoke", NO_FIELDS,
                                                                            [SI, NF, NF, NF, NF, SI, RE, SI, NF]),

        // --- organisations: their coordinators and administrators; 404 for anyone else ---
        get("/organisations", "/organisations",                             [SI, NF, NF, NF, TO_ANTW, SI, TO_GENT, SI, OK]),
        post("/organisations", "/organisations",
            Body::Form(&[("name", "Stad Brugge"), ("slug", "brugge"), ("coordinator_name", "Bram Brugge"), ("coordinator_email", "bram@brugge.be")]),
                                                                            [SI, FB, FB, FB, FB, SI, FB, SI, RE]),
        get("/organisations/{slug}", "/organisations/gent",                 [SI, NF, NF, NF, NF, SI, OK, SI, OK]).check(shows_la1),
        get("/organisations/{slug}", "/organisations/gent?status=invited&sort=name",
                                                                            [SI, NF, NF, NF, NF, SI, OK, SI, OK]),
        get("/organisations/{slug}", "/organisations/antwerpen",            [SI, NF, NF, NF, OK, SI, NF, SI, OK]),
        get("/organisations/{slug}", "/organisations/nergens",              [SI, NF, NF, NF, NF, SI, NF, SI, NF]),
        get("/organisations/{slug}/report.{format}", "/organisations/gent/report.csv",
                                                                            [SI, NF, NF, NF, NF, SI, OK, SI, OK]).check(shows_la1),
        get("/organisations/{slug}/report.{format}", "/organisations/gent/report.csv?delimiter=semicolon",
                                                                            [SI, NF, NF, NF, NF, SI, OK, SI, OK]).check(shows_la1),
        get("/organisations/{slug}/report.{format}", "/organisations/gent/report.xlsx",
                                                                            [SI, NF, NF, NF, NF, SI, OK, SI, OK]),
        get("/organisations/{slug}/report.{format}", "/organisations/gent/report.json",
                                                                            [SI, NF, NF, NF, NF, SI, OK, SI, OK]).check(shows_la1),
        get("/organisations/{slug}/report.{format}", "/organisations/gent/report.pdf",
                                                                            [SI, NF, NF, NF, NF, SI, BAD, SI, BAD]),
        get("/organisations/{slug}/report.{format}", "/organisations/antwerpen/report.csv",
                                                                            [SI, NF, NF, NF, OK, SI, NF, SI, OK]),
        get("/organisations/{slug}/assignments", "/organisations/gent/assignments",
                                                                            [SI, NF, NF, NF, NF, SI, OK, SI, OK]),
        get("/organisations/{slug}/assignments", "/organisations/antwerpen/assignments",
                                                                            [SI, NF, NF, NF, OK, SI, NF, SI, OK]),
        post("/organisations/{slug}/assignments", "/organisations/gent/assignments",
            Body::Form(&[("course", "showcase"), ("group", "$group"), ("deadline", "$deadline")]),
                                                                            [SI, NF, NF, NF, NF, SI, RE, SI, RE]),
        post("/organisations/{slug}/assignments/{id}/remove", "/organisations/gent/assignments/$assignment/remove", NO_FIELDS,
                                                                            [SI, NF, NF, NF, NF, SI, RE, SI, RE]).prepare(Prepare::Assignment),

        // --- members ---
        get("/organisations/{slug}/members", "/organisations/gent/members", [SI, NF, NF, NF, NF, SI, OK, SI, OK]).check(shows_la1),
        get("/organisations/{slug}/members", "/organisations/antwerpen/members",
                                                                            [SI, NF, NF, NF, OK, SI, NF, SI, OK]),
        post("/organisations/{slug}/members", "/organisations/gent/members",
            Body::Form(&[("name", "Nieuw Lid"), ("email", "nieuw@gent.be"), ("group", "Burgerzaken")]),
                                                                            [SI, NF, NF, NF, NF, SI, RE, SI, RE]),
        post("/organisations/{slug}/members/import", "/organisations/gent/members/import",
            Body::Upload("naam;e-mail;groep\nIngelezen Lid;ingelezen@gent.be;Burgerzaken\n"),
                                                                            [SI, NF, NF, NF, NF, SI, OK, SI, OK]),
        get("/organisations/{slug}/members/{user}", "/organisations/gent/members/$la1",
                                                                            [SI, NF, NF, NF, NF, SI, OK, SI, OK]).check(shows_la1),
        get("/organisations/{slug}/members/{user}", "/organisations/antwerpen/members/$la1",
                                                                            [SI, NF, NF, NF, NF, SI, NF, SI, NF]),
        get("/organisations/{slug}/members/{user}", "/organisations/gent/members/$lb1",
                                                                            [SI, NF, NF, NF, NF, SI, NF, SI, NF]),
        get("/organisations/{slug}/members/{user}", "/organisations/antwerpen/members/$lb1",
                                                                            [SI, NF, NF, NF, OK, SI, NF, SI, OK]),
        post("/organisations/{slug}/members/{user}/deadline", "/organisations/gent/members/$la1/deadline",
            Body::Form(&[("course", "showcase"), ("deadline", "$deadline")]),
                                                                            [SI, NF, NF, NF, NF, SI, RE, SI, RE]),
        post("/organisations/{slug}/members/{user}/deadline", "/organisations/antwerpen/members/$la1/deadline",
            Body::Form(&[("course", "showcase"), ("deadline", "2020-01-01")]),
                                                                            [SI, NF, NF, NF, NF, SI, NF, SI, NF]),
        post("/organisations/{slug}/members/{user}/courses", "/organisations/gent/members/$la1/courses",
            Body::Form(&[("course", "showcase"), ("deadline", "$deadline")]),
                                                                            [SI, NF, NF, NF, NF, SI, RE, SI, RE]),
        post("/organisations/{slug}/members/{user}/courses", "/organisations/antwerpen/members/$la1/courses",
            Body::Form(&[("course", "showcase"), ("deadline", "")]),
                                                                            [SI, NF, NF, NF, NF, SI, NF, SI, NF]),
        post("/organisations/{slug}/members/{user}/group", "/organisations/gent/members/$la1/group",
            Body::Form(&[("group", "$group")]),                             [SI, NF, NF, NF, NF, SI, RE, SI, RE]),
        post("/organisations/{slug}/members/{user}/group", "/organisations/antwerpen/members/$la1/group",
            Body::Form(&[("group", "")]),                                   [SI, NF, NF, NF, NF, SI, NF, SI, NF]),
        post("/organisations/{slug}/members/{user}/remove", "/organisations/gent/members/$la2/remove", NO_FIELDS,
                                                                            [SI, NF, NF, NF, NF, SI, RE, SI, RE]).prepare(Prepare::La2Member),
        post("/organisations/{slug}/members/{user}/remove", "/organisations/antwerpen/members/$la1/remove", NO_FIELDS,
                                                                            [SI, NF, NF, NF, NF, SI, NF, SI, NF]),

        // --- trainers: the courses they author (all for administrators); 404 for anyone else ---
        get("/trainer", "/trainer",                                         [SI, NF, NF, NF, NF, SI, NF, SI, OK]).trainer(OK).check(shows_showcase),
        get("/trainer/{course}", "/trainer/showcase",                       [SI, NF, NF, NF, NF, SI, NF, SI, OK]).trainer(OK).check(shows_showcase),
        get("/trainer/{course}", "/trainer/nergens",                        [SI, NF, NF, NF, NF, SI, NF, SI, NF]),
        get("/api/v1/trainer/courses", "/api/v1/trainer/courses",           [UA, NF, NF, NF, NF, NF, NF, NF, OK]).trainer(OK).check(shows_showcase),
        get("/api/v1/trainer/courses/{course}", "/api/v1/trainer/courses/showcase",
                                                                            [UA, NF, NF, NF, NF, NF, NF, NF, OK]).trainer(OK).check(shows_showcase),
        get("/api/v1/trainer/courses/{course}", "/api/v1/trainer/courses/nergens",
                                                                            [UA, NF, NF, NF, NF, NF, NF, NF, NF]),

        // --- administration ---
        get("/admin/users", "/admin/users",                                 [SI, FB, FB, FB, FB, SI, FB, SI, OK]),
        post("/admin/users/{id}/disabled", "/admin/users/$la2/disabled", Body::Form(&[("disabled", "1")]),
                                                                            [SI, FB, FB, FB, FB, SI, FB, SI, RE]),
        post("/admin/users/{id}/role", "/admin/users/$la2/role", Body::Form(&[("role", "learner")]),
                                                                            [SI, FB, FB, FB, FB, SI, FB, SI, RE]),
        get("/admin/status", "/admin/status",                               [SI, FB, FB, FB, FB, SI, FB, SI, OK]),
        post("/admin/outbox/{id}/retry", "/admin/outbox/$failed/retry", NO_FIELDS,
                                                                            [SI, FB, FB, FB, FB, SI, FB, SI, RE]),
        post("/admin/invitations", "/admin/invitations",
            Body::Form(&[("email", "uitgenodigd@example.org"), ("name", "Uitgenodigd"), ("role", "coordinator")]),
                                                                            [SI, FB, FB, FB, FB, SI, FB, SI, RE]),
        get("/me", "/me",                                                   [SI, OK, OK, OK, OK, SI, OK, SI, OK]),
        post("/me", "/me", Body::Form(&[("name", "$name"), ("language", "nl")]),
                                                                            [SI, RE, RE, RE, RE, SI, RE, SI, RE]),

        // --- notifications; the unsubscribe link needs no sign-in, its signature is the authority ---
        get("/me/notifications", "/me/notifications",                       [SI, OK, OK, OK, OK, SI, OK, SI, OK]),
        post("/me/notifications", "/me/notifications", Body::Form(&[("preference", "all")]),
                                                                            [SI, RE, RE, RE, RE, SI, RE, SI, RE]),
        get("/unsubscribe/{token}", "/unsubscribe/$unsubscribe",            [OK, OK, OK, OK, OK, OK, OK, OK, OK]).credential(),
        get("/unsubscribe/{token}", "/unsubscribe/$la1.bm90LXNpZ25lZA",     [NF, NF, NF, NF, NF, NF, NF, NF, NF]),
        post("/unsubscribe/{token}", "/unsubscribe/$unsubscribe", Body::Form(&[("preference", "all")]),
                                                                            [OK, OK, OK, OK, OK, OK, OK, OK, OK]).credential(),
        post("/unsubscribe/{token}", "/unsubscribe/$la1.bm90LXNpZ25lZA", Body::Form(&[("preference", "none")]),
                                                                            [NF, NF, NF, NF, NF, NF, NF, NF, NF]),

        // --- the learning community: the network (members of any organisation, trainers,
        // coordinators), a course's space (its learners and trainers), an organisation's
        // space (its members); 404 for anyone else. `$gthread` is LA1's question in A's
        // space (opening post `$gpost`), `$greply` CA's reply, `$gdel` LA1's reply.
        get("/community", "/community",                                     [SI, OK, OK, OK, OK, SI, OK, SI, OK]),
        get("/community/{space}", "/community/organisation-gent",           [SI, NF, OK, NF, NF, SI, OK, SI, OK]),
        get("/community/{space}", "/community/organisation-antwerpen",      [SI, NF, NF, OK, OK, SI, NF, SI, OK]),
        get("/community/{space}", "/community/organisation-nergens",        [SI, NF, NF, NF, NF, SI, NF, SI, NF]),
        get("/community/{space}", "/community/network",                     [SI, NF, OK, OK, OK, SI, OK, SI, OK]).trainer(OK),
        get("/community/{space}", "/community/course-showcase",             [SI, NF, OK, OK, OK, SI, NF, SI, OK]).trainer(OK),
        get("/community/{space}/lessons/{item}", "/community/course-showcase/lessons/welkom",
                                                                            [SI, NF, OK, OK, OK, SI, NF, SI, OK]).trainer(OK),
        get("/community/{space}/restrictions", "/community/organisation-gent/restrictions",
                                                                            [SI, NF, NF, NF, NF, SI, OK, SI, OK]),
        get("/community/moderation", "/community/moderation",               [SI, NF, NF, NF, OK, SI, OK, SI, OK]).trainer(OK),
        get("/community/threads/{id}", "/community/threads/$gthread",       [SI, NF, OK, NF, NF, SI, OK, SI, OK]),
        get("/community/posts/{id}/edit", "/community/posts/$gpost/edit",   [SI, NF, OK, NF, NF, SI, OK, SI, OK]),
        get("/community/posts/{id}/history", "/community/posts/$gpost/history",
                                                                            [SI, NF, OK, NF, NF, SI, OK, SI, OK]),
        get("/community/posts/{id}/report", "/community/posts/$greply/report",
                                                                            [SI, NF, OK, NF, NF, SI, OK, SI, OK]),
        get("/community/search", "/community/search?q=pakken",             [SI, OK, OK, OK, OK, SI, OK, SI, OK]).check(community_search_keeps_spaces_apart),
        get("/community/search", "/community/search?q=%22%22",             [SI, UNPR, UNPR, UNPR, UNPR, SI, UNPR, SI, UNPR]),
        get("/api/v1/community/spaces", "/api/v1/community/spaces",         [UA, OK, OK, OK, OK, UA, OK, UA, OK]),
        get("/api/v1/community/spaces/{space}/threads", "/api/v1/community/spaces/organisation-gent/threads",
                                                                            [UA, NF, OK, NF, NF, UA, OK, UA, OK]),
        get("/api/v1/community/threads/{id}", "/api/v1/community/threads/$gthread",
                                                                            [UA, NF, OK, NF, NF, UA, OK, UA, OK]),
        // Changes in A's space. A learner may not moderate (403 where they read).
        post("/community/{space}/guidelines", "/community/organisation-gent/guidelines", NO_FIELDS,
                                                                            [SI, NF, RE, NF, NF, SI, RE, SI, RE]),
        post("/community/{space}/threads", "/community/organisation-gent/threads",
            Body::Form(&[("title", "Draad van $me"), ("body", "Tekst van $me")]),
                                                                            [SI, NF, RE, NF, NF, SI, RE, SI, RE]),
        post("/community/threads/{id}/replies", "/community/threads/$gthread/replies",
            Body::Form(&[("body", "Reactie van $me")]),                     [SI, NF, RE, NF, NF, SI, RE, SI, RE]),
        post("/community/threads/{id}/follow", "/community/threads/$gthread/follow",
            Body::Form(&[("follow", "1")]),                                 [SI, NF, RE, NF, NF, SI, RE, SI, RE]),
        post("/community/threads/{id}/accept", "/community/threads/$gthread/accept",
            Body::Form(&[("post", "$greply")]),                             [SI, NF, RE, NF, NF, SI, RE, SI, RE]),
        post("/community/threads/{id}/moderate", "/community/threads/$gthread/moderate",
            Body::Form(&[("action", "pin"), ("reason", "Vastgezet door $me")]),
                                                                            [SI, NF, FB, NF, NF, SI, RE, SI, RE]),
        post("/community/posts/{id}/edit", "/community/posts/$gpost/edit",
            Body::Form(&[("body", "Bewerkt door $me"), ("note", "Nagekeken door $me")]),
                                                                            [SI, NF, RE, NF, NF, SI, RE, SI, RE]),
        // One's own post cannot be reported (CA wrote the reply).
        post("/community/posts/{id}/report", "/community/posts/$greply/report",
            Body::Form(&[("reason", "Gemeld door $me")]),                   [SI, NF, RE, NF, NF, SI, UNPR, SI, RE]),
        post("/community/posts/{id}/moderate", "/community/posts/$greply/moderate",
            Body::Form(&[("action", "restore"), ("reason", "Nagekeken door $me")]),
                                                                            [SI, NF, FB, NF, NF, SI, RE, SI, RE]),
        // Nobody with that address takes part in A's space; nobody is restricted there.
        post("/community/{space}/restrictions", "/community/organisation-gent/restrictions",
            Body::Form(&[("email", "niemand@example.org"), ("kind", "mute"), ("days", ""), ("reason", "proef")]),
                                                                            [SI, NF, NF, NF, NF, SI, UNPR, SI, UNPR]),
        post("/community/{space}/experts", "/community/organisation-gent/experts",
            Body::Form(&[("email", "niemand@example.org")]),              [SI, NF, NF, NF, NF, SI, UNPR, SI, UNPR]),
        post("/community/{space}/experts/{user}/remove", "/community/organisation-gent/experts/$la1/remove", NO_FIELDS,
                                                                            [SI, NF, NF, NF, NF, SI, NF, SI, NF]),
        post("/community/{space}/own-guidelines", "/community/organisation-antwerpen/own-guidelines",
            Body::Form(&[("guidelines", "")]),                              [SI, NF, NF, NF, RE, SI, NF, SI, RE]),
        post("/community/{space}/restrictions/{user}/lift", "/community/organisation-gent/restrictions/$la1/lift", NO_FIELDS,
                                                                            [SI, NF, NF, NF, NF, SI, NF, SI, NF]),
        post("/community/posts/{id}/delete", "/community/posts/$gdel/delete", NO_FIELDS,
                                                                            [SI, NF, RE, NF, NF, SI, NF, SI, NF]),
        post("/api/v1/community/spaces/{space}/guidelines", "/api/v1/community/spaces/organisation-gent/guidelines",
            Body::Json(""),                                                 [UA, NF, OK, NF, NF, FB, OK, FB, OK]),
        post("/api/v1/community/spaces/{space}/threads", "/api/v1/community/spaces/organisation-gent/threads",
            Body::Json(r#"{"title": "API-draad van $me", "body": "Tekst"}"#),
                                                                            [UA, NF, OK, NF, NF, FB, OK, FB, OK]),
        post("/api/v1/community/threads/{id}/replies", "/api/v1/community/threads/$gthread/replies",
            Body::Json(r#"{"body": "API-reactie van $me"}"#),              [UA, NF, OK, NF, NF, FB, OK, FB, OK]),
        post("/api/v1/community/posts/{id}/report", "/api/v1/community/posts/$greply/report",
            Body::Json(r#"{"reason": "Via de API gemeld door $me"}"#),      [UA, NF, OK, NF, NF, FB, UNPR, FB, OK]),
        // Last in the shared spaces, where what one posts shows with one's name to
        // the members of other organisations.
        post("/community/{space}/guidelines", "/community/network/guidelines", NO_FIELDS,
                                                                            [SI, NF, RE, RE, RE, SI, RE, SI, RE]).trainer(RE),
        post("/community/{space}/threads", "/community/network/threads",
            Body::Form(&[("title", "Netwerkdraad van $me"), ("body", "Tekst van $me")]),
                                                                            [SI, NF, RE, RE, RE, SI, RE, SI, RE]).trainer(RE),
        post("/community/{space}/guidelines", "/community/course-showcase/guidelines", NO_FIELDS,
                                                                            [SI, NF, RE, RE, RE, SI, NF, SI, RE]).trainer(RE),
        post("/community/{space}/lessons/{item}", "/community/course-showcase/lessons/welkom",
            Body::Form(&[("body", "Over deze les, van $me")]),              [SI, NF, RE, RE, RE, SI, NF, SI, RE]).trainer(RE),

        // --- personal data: only one's own ---
        get("/me/data", "/me/data",                                         [SI, OK, OK, OK, OK, SI, OK, SI, OK]).check(own_data),
        get("/me/delete", "/me/delete",                                     [SI, OK, OK, OK, OK, SI, OK, SI, OK]),
        post("/me/delete", "/me/delete", Body::Form(&[("password", "niet mijn wachtwoord")]),
                                                                            [SI, UNPR, UNPR, UNPR, UNPR, SI, UNPR, SI, UNPR]),

        // --- what learners expect of a learning site: public pages, and their own certificate and deadlines ---
        get("/accessibility", "/accessibility",                             [OK, OK, OK, OK, OK, OK, OK, OK, OK]),
        // Hidden showcase is found only by those enrolled in it (see the check).
        get("/search", "/search?q=cursusformaat",                           [OK, OK, OK, OK, OK, OK, OK, OK, OK]).check(search_keeps_hidden_courses_hidden),
        get("/search", "/search?q=",                                        [UNPR, UNPR, UNPR, UNPR, UNPR, UNPR, UNPR, UNPR, UNPR]),
        // The feed's address is the credential: LA1's deadlines, for whoever has it.
        get("/calendar/{token}.ics", "/calendar/$calendar.ics",             [OK, OK, OK, OK, OK, OK, OK, OK, OK]).credential(),
        get("/calendar/{token}.ics", "/calendar/$la1.bm90LXNpZ25lZA.ics",   [NF, NF, NF, NF, NF, NF, NF, NF, NF]),
        get("/me/calendar", "/me/calendar",                                 [SI, OK, OK, OK, OK, SI, OK, SI, OK]),
        get("/courses/{course}/certificate.pdf", "/courses/showcase/certificate.pdf",
                                                                            [SI, NF, OK, NF, NF, SI, NF, SI, NF]),

        // Renews the caller's own feed key (LA1's feed row above runs before this).
        post("/me/calendar", "/me/calendar", NO_FIELDS,                     [SI, RE, RE, RE, RE, SI, RE, SI, RE]),

        // --- last, as it ends the sessions ---
        post("/auth/sign-out", "/auth/sign-out", NO_FIELDS,                 [RE, RE, RE, RE, RE, FB, RE, FB, RE]),
    ]
}

// --- checks of allowed answers ---

fn json_of(page: &Page) -> Result<serde_json::Value, String> {
    serde_json::from_slice(&page.bytes).map_err(|e| format!("not JSON ({e})"))
}

/// `/me/data` holds the caller's own profile.
fn own_data(_: &Fixture, who: &Who, page: &Page) -> Result<(), String> {
    let data = json_of(page)?;
    if data["profile"]["email"] != who.email.as_str() {
        return Err(format!("the export of someone else: {}", data["profile"]));
    }
    Ok(())
}

fn own_api_me(_: &Fixture, who: &Who, page: &Page) -> Result<(), String> {
    let me = json_of(page)?;
    if me["email"] != who.email.as_str() {
        return Err(format!("someone else: {me}"));
    }
    Ok(())
}

/// Exactly the organisations the caller coordinates (all for an administrator).
fn organisations_listed(_: &Fixture, who: &Who, page: &Page) -> Result<(), String> {
    let list = json_of(page)?;
    let slugs: BTreeSet<String> = list["organisations"]
        .as_array()
        .ok_or("no list")?
        .iter()
        .filter_map(|o| o["slug"].as_str().map(str::to_string))
        .collect();
    let wanted: &[&str] = match who.caller {
        Caller::Cb | Caller::CbToken => &["antwerpen"],
        Caller::Ca | Caller::CaToken => &["gent"],
        Caller::Admin => {
            return if slugs.contains("gent") && slugs.contains("antwerpen") {
                Ok(())
            } else {
                Err(format!(
                    "an administrator sees every organisation: {slugs:?}"
                ))
            };
        }
        _ => &[],
    };
    let wanted: BTreeSet<String> = wanted.iter().map(|s| s.to_string()).collect();
    if slugs == wanted {
        Ok(())
    } else {
        Err(format!("organisations {slugs:?}, wanted {wanted:?}"))
    }
}

/// Search finds the hidden course showcase only for those enrolled in it.
fn search_keeps_hidden_courses_hidden(_: &Fixture, who: &Who, page: &Page) -> Result<(), String> {
    let enrolled = matches!(who.caller, Caller::La1 | Caller::Lb1 | Caller::Cb);
    let found = page.body.contains("href=\"/courses/showcase");
    match (enrolled, found) {
        (true, false) => Err("an enrolled learner does not find the course".into()),
        (false, true) => Err("someone not enrolled finds the hidden course".into()),
        _ => Ok(()),
    }
}

/// A's reports and member pages do show LA1 to those allowed (so the leak checks
/// elsewhere are not vacuous).
/// A trainer's page or answer lists showcase, with its enrolments counted.
fn shows_showcase(_: &Fixture, _: &Who, page: &Page) -> Result<(), String> {
    if page.body.contains("Alles wat het cursusformaat kan") {
        Ok(())
    } else {
        Err("showcase missing from the trainer's courses".into())
    }
}

/// Search finds LA1's question in A's space only for those who read it.
fn community_search_keeps_spaces_apart(_: &Fixture, who: &Who, page: &Page) -> Result<(), String> {
    let found = page.body.contains("Vraag van Lotte");
    let reads = matches!(who.caller, Caller::La1 | Caller::Ca | Caller::Admin);
    match (found, reads) {
        (true, false) => Err("search shows a post of a space the caller may not read".into()),
        (false, true) => Err("search misses a post the caller may read".into()),
        _ => Ok(()),
    }
}

fn shows_la1(f: &Fixture, _: &Who, page: &Page) -> Result<(), String> {
    if page.body.contains(LA1_EMAIL) && page.body.contains(&f.la1.to_string()) {
        Ok(())
    } else {
        Err("LA1 missing from A's report or member page".into())
    }
}

// --- the people and their secrets ---

/// One of the `authors` in showcase's course.yaml.
const TRAINER_EMAIL: &str = "tessa.trainer@example.org";
const LA1_NAME: &str = "Lotte Aalst";
const LA1_EMAIL: &str = "lotte@gent.be";
const LA2_NAME: &str = "Pieter Tweede";
const LA2_EMAIL: &str = "pieter@gent.be";
const LB1_NAME: &str = "Eva Brouwers";
const LB1_EMAIL: &str = "eva@antwerpen.be";
const GROUP_A: &str = "Burgerzaken";
const GROUP_B: &str = "Havenbedrijf";
const ORG_A: &str = "Stad Gent";
const ORG_B: &str = "Stad Antwerpen";
const LA1_REFLECTION: &str = "Geheime reflectie van la1";
const LB1_REFLECTION: &str = "Geheime reflectie van lb1";
const LA1_CERTIFICATE: &str = "GENT-LTTE-CERT";
const CA_TOKENS: &str = "token-van-cora";
/// The example line of the import form (`members.html.j2`), on every members page.
const IMPORT_EXAMPLE: &str = "an.peeters@gemeente.be;Burgerzaken";
const CB_TOKENS: &str = "token-van-dirk";

/// What identifies A's learners: a refused answer, to anyone, never contains it.
const A_LEARNERS: [&str; 7] = [
    LA1_NAME,
    LA1_EMAIL,
    LA2_NAME,
    LA2_EMAIL,
    GROUP_A,
    LA1_REFLECTION,
    LA1_CERTIFICATE,
];
const B_LEARNERS: [&str; 5] = [LB1_NAME, LB1_EMAIL, GROUP_B, ORG_B, LB1_REFLECTION];

/// What `caller` may never see, in any answer (but those of credential rows).
fn forbidden_for(caller: Caller) -> Vec<&'static str> {
    let a: Vec<&str> = A_LEARNERS.iter().copied().chain([ORG_A]).collect();
    let b: Vec<&str> = B_LEARNERS.to_vec();
    let mut out = Vec::new();
    match caller {
        Caller::Anonymous | Caller::L0 | Caller::Trainer => {
            out.extend(&a);
            out.extend(&b);
            out.extend([CA_TOKENS, CB_TOKENS]);
        }
        Caller::La1 => {
            out.extend([LA2_NAME, LA2_EMAIL]);
            out.extend(&b);
            out.extend([CA_TOKENS, CB_TOKENS]);
        }
        Caller::Lb1 => {
            out.extend(&a);
            out.extend([CA_TOKENS, CB_TOKENS]);
        }
        Caller::Cb | Caller::CbToken => {
            out.extend(&a);
            out.push(CA_TOKENS);
        }
        Caller::Ca | Caller::CaToken => {
            out.extend(&b);
            out.push(CB_TOKENS);
        }
        Caller::Admin => out.extend([CA_TOKENS, CB_TOKENS]),
    }
    out
}

/// What a refused answer to `caller` never contains: A's learners (but the caller
/// themself).
fn forbidden_when_refused(caller: Caller) -> Vec<&'static str> {
    let own: &[&str] = match caller {
        Caller::La1 => &[
            LA1_NAME,
            LA1_EMAIL,
            GROUP_A,
            LA1_REFLECTION,
            LA1_CERTIFICATE,
        ],
        _ => &[],
    };
    A_LEARNERS
        .iter()
        .copied()
        .filter(|s| !own.contains(s))
        .collect()
}

struct Who {
    caller: Caller,
    label: &'static str,
    name: String,
    email: String,
    browser: Browser,
    csrf: String,
    /// `Authorization: Bearer …` on every request, and no cookies.
    bearer: Option<String>,
}

struct Fixture {
    org_a: i32,
    ca: i32,
    la1: i32,
    la2: i32,
    lb1: i32,
    group: i32,
    deadline: String,
    attempt: i32,
    q1: String,
    q2: String,
    q2_answer: String,
    token: String,
    unsubscribe: String,
    /// LA1's calendar feed token (from the address on LA1's calendar page).
    calendar: String,
    /// An email that failed, for the status page's retry.
    failed_email: i32,
    /// LA1's question in A's space, its opening post, CA's reply and LA1's reply.
    gthread: i32,
    gpost: i32,
    greply: i32,
    gdel: i32,
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

fn end_of(day: &str) -> NaiveDateTime {
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .unwrap()
        .and_hms_opt(23, 59, 59)
        .unwrap()
}

impl Fixture {
    /// A's assignment of showcase to Burgerzaken, re-made if `ensure` and gone.
    fn assignment(&self, state: &leerpad_web::AppState, ensure: bool) -> Option<i32> {
        let mut c = state.db.conn().unwrap();
        let find = |c: &mut leerpad_store::DbConnection| {
            organisations::assignments(c, self.org_a)
                .unwrap()
                .into_iter()
                .find(|a| a.course_id == "showcase" && a.group_id == Some(self.group))
                .map(|a| a.id)
        };
        match find(&mut c) {
            Some(id) => Some(id),
            None if ensure => {
                organisations::assign(
                    &mut c,
                    self.org_a,
                    Some(self.group),
                    "showcase",
                    Some(end_of(&self.deadline)),
                    Some(self.ca),
                    now(),
                )
                .unwrap();
                find(&mut c)
            }
            None => None,
        }
    }

    fn prepare(&self, state: &leerpad_web::AppState, p: Prepare) {
        match p {
            Prepare::None => {}
            Prepare::Assignment => {
                self.assignment(state, true);
            }
            Prepare::La2Member => {
                let mut c = state.db.conn().unwrap();
                organisations::add_member(
                    &mut c,
                    self.org_a,
                    self.la2,
                    MemberRole::Member,
                    Some(self.group),
                    Some(self.ca),
                    now(),
                )
                .unwrap();
            }
        }
    }

    /// The `$name`s of the table, for `who`; longest names first, so `$q2answer`
    /// is not read as `$q2`.
    fn vars(&self, state: &leerpad_web::AppState, who: &Who) -> Vec<(&'static str, String)> {
        let run = {
            let mut c = state.db.conn().unwrap();
            learning::latest_run(&mut c, self.la1, "showcase", "verhit-debat")
                .unwrap()
                .map_or(0, |r| r.id)
        };
        let assignment = self.assignment(state, false).unwrap_or(0);
        let mut vars = vec![
            ("$la1", self.la1.to_string()),
            ("$la2", self.la2.to_string()),
            ("$lb1", self.lb1.to_string()),
            ("$group", self.group.to_string()),
            ("$deadline", self.deadline.clone()),
            ("$assignment", assignment.to_string()),
            ("$token", self.token.clone()),
            ("$attempt", self.attempt.to_string()),
            ("$q1", self.q1.clone()),
            ("$q2", self.q2.clone()),
            ("$q2answer", self.q2_answer.clone()),
            ("$run", run.to_string()),
            ("$code", LA1_CERTIFICATE.to_string()),
            ("$unsubscribe", self.unsubscribe.clone()),
            ("$calendar", self.calendar.clone()),
            ("$failed", self.failed_email.to_string()),
            ("$gthread", self.gthread.to_string()),
            ("$gpost", self.gpost.to_string()),
            ("$greply", self.greply.to_string()),
            ("$gdel", self.gdel.to_string()),
            ("$me", who.label.to_string()),
            ("$name", who.name.clone()),
        ];
        vars.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
        vars
    }
}

fn fill(template: &str, vars: &[(&'static str, String)]) -> String {
    let mut out = template.to_string();
    for (k, v) in vars {
        out = out.replace(k, v);
    }
    out
}

/// Everything a refused request must leave as it was: every user's personal-data
/// export (without sessions and its time stamp), the list of accounts, and every
/// organisation with its members, groups and assignments.
fn snapshot(state: &leerpad_web::AppState) -> String {
    let mut c = state.db.conn().unwrap();
    let at = NaiveDate::from_ymd_opt(2030, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let users = accounts::list_users(&mut c, 10_000, 0).unwrap();
    let mut out = format!("{users:?}\n");
    for u in &users {
        let mut data = privacy::export_at(&mut c, u.id, at).unwrap().unwrap();
        let obj = data.as_object_mut().unwrap();
        obj.remove("sessions");
        obj.remove("exported_at");
        out.push_str(&format!("{}\n", serde_json::Value::Object(obj.clone())));
    }
    for org in organisations::all(&mut c).unwrap() {
        out.push_str(&format!(
            "{org:?}\n{:?}\n{:?}\n{:?}\n",
            organisations::members(&mut c, org.id, 10_000, 0).unwrap(),
            organisations::groups(&mut c, org.id).unwrap(),
            organisations::assignments(&mut c, org.id).unwrap(),
        ));
    }
    out
}

/// Where two snapshots first differ, for the failure message.
fn first_difference(before: &str, after: &str) -> String {
    for (a, b) in before.lines().zip(after.lines()) {
        if a != b {
            let start = a
                .char_indices()
                .zip(b.chars())
                .find(|((_, x), y)| x != y)
                .map_or(0, |((i, _), _)| i);
            let from = a[..start]
                .char_indices()
                .rev()
                .nth(80)
                .map_or(0, |(i, _)| i);
            return format!(
                "before: …{}…\n  after: …{}…",
                &a[from..a.len().min(start + 120)],
                &b[from.min(b.len())..b.len().min(start + 120)]
            );
        }
    }
    format!(
        "{} lines before, {} after",
        before.lines().count(),
        after.lines().count()
    )
}

// --- sending requests ---

async fn send<S, B>(
    app: &TestApp<S>,
    who: &mut Who,
    method: M,
    path: &str,
    body: &Body,
    vars: &[(&'static str, String)],
) -> Page
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut req = match method {
        M::Get => TestRequest::get(),
        M::Post => TestRequest::post(),
    }
    .uri(path);
    match body {
        Body::None => {}
        Body::Form(fields) => {
            let mut form: Vec<(&str, String)> = vec![("csrf", who.csrf.clone())];
            form.extend(fields.iter().map(|(k, v)| (*k, fill(v, vars))));
            req = req
                .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
                .set_payload(serde_urlencoded::to_string(&form).unwrap());
        }
        Body::Json(json) => {
            req = req.insert_header(("X-CSRF-Token", who.csrf.clone()));
            if !json.is_empty() {
                req = req
                    .insert_header((header::CONTENT_TYPE, "application/json"))
                    .set_payload(fill(json, vars));
            }
        }
        Body::Upload(file) => {
            let boundary = "leerpad-authorization-boundary";
            let payload = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"mensen.csv\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n--{boundary}--\r\n",
                who.csrf
            );
            req = req
                .insert_header((
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={boundary}"),
                ))
                .set_payload(payload);
        }
    }
    match &who.bearer {
        Some(token) => {
            // A script: its token, and never a cookie.
            let req = req.insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
            Browser::default().request(&app.service, req).await
        }
        None => who.browser.request(&app.service, req).await,
    }
}

// --- setting up ---

fn user_id(state: &leerpad_web::AppState, email: &str) -> i32 {
    let mut c = state.db.conn().unwrap();
    accounts::user_by_email(&mut c, email).unwrap().unwrap().id
}

/// A new API token of the signed-in coordinator: the token shown once.
async fn new_token<S, B>(app: &TestApp<S>, b: &mut Browser, name: &str) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let page = b
        .submit(
            &app.service,
            "/me/api-tokens",
            "/me/api-tokens",
            &[("name", name), ("days", "30")],
        )
        .await;
    page.assert_status(200);
    let marker = "id=\"new-token\">";
    let start = page.body.find(marker).expect("the new token") + marker.len();
    page.body[start..].split('<').next().unwrap().to_string()
}

async fn organisation<S, B>(
    app: &TestApp<S>,
    admin: &mut Browser,
    slug: &str,
    name: &str,
    coordinator: (&str, &str),
) -> Browser
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    admin
        .submit(
            &app.service,
            "/organisations",
            "/organisations",
            &[
                ("name", name),
                ("slug", slug),
                ("coordinator_name", coordinator.0),
                ("coordinator_email", coordinator.1),
            ],
        )
        .await
        .assert_status(303);
    accept_invitation_as(app, coordinator.1, coordinator.0).await
}

async fn invite<S, B>(
    app: &TestApp<S>,
    coordinator: &mut Browser,
    slug: &str,
    name: &str,
    email: &str,
    group: &str,
) where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let members = format!("/organisations/{slug}/members");
    coordinator
        .submit(
            &app.service,
            &members,
            &members,
            &[("name", name), ("email", email), ("group", group)],
        )
        .await
        .assert_status(303);
}

#[actix_web::test]
async fn every_route_for_every_caller() {
    // Metrics on: no session or API token is the metrics token.
    let app = test_app(|c| c.http.metrics_token = Some(METRICS_TOKEN.into())).await;
    let s = &app.service;

    // An administrator, and organisation A with its coordinator CA, learners LA1 and
    // LA2 (invited, never accepted) in Burgerzaken, and showcase assigned to them.
    let mut admin = registered(&app, "Beheerder Bea", "beheer@example.org").await;
    set_role(&app.state, "beheer@example.org", Role::Admin);
    let mut ca = organisation(
        &app,
        &mut admin,
        "gent",
        ORG_A,
        ("Cora Gent", "cora@gent.be"),
    )
    .await;
    invite(&app, &mut ca, "gent", LA1_NAME, LA1_EMAIL, GROUP_A).await;
    invite(&app, &mut ca, "gent", LA2_NAME, LA2_EMAIL, GROUP_A).await;
    let mut la1 = accept_invitation_as(&app, LA1_EMAIL, LA1_NAME).await;
    let (org_a, group) = {
        let mut c = app.state.db.conn().unwrap();
        let org = organisations::by_slug(&mut c, "gent").unwrap().unwrap();
        let group = organisations::groups(&mut c, org.id)
            .unwrap()
            .into_iter()
            .find(|g| g.name == GROUP_A)
            .unwrap()
            .id;
        (org.id, group)
    };
    let deadline = (Utc::now() + Duration::days(30))
        .format("%Y-%m-%d")
        .to_string();
    ca.submit(
        s,
        "/organisations/gent/assignments",
        "/organisations/gent/assignments",
        &[
            ("course", "showcase"),
            ("group", &group.to_string()),
            ("deadline", &deadline),
        ],
    )
    .await
    .assert_status(303);

    // Organisation B: coordinator CB, learner LB1 in Havenbedrijf; showcase assigned
    // to everyone in B (CB too).
    let mut cb = organisation(
        &app,
        &mut admin,
        "antwerpen",
        ORG_B,
        ("Dirk Antwerpen", "dirk@antwerpen.be"),
    )
    .await;
    invite(&app, &mut cb, "antwerpen", LB1_NAME, LB1_EMAIL, GROUP_B).await;
    let mut lb1 = accept_invitation_as(&app, LB1_EMAIL, LB1_NAME).await;
    cb.submit(
        s,
        "/organisations/antwerpen/assignments",
        "/organisations/antwerpen/assignments",
        &[("course", "showcase"), ("group", ""), ("deadline", "")],
    )
    .await
    .assert_status(303);

    // A learner in no organisation, and a trainer who authors showcase.
    let l0 = registered(&app, "Nora Nergens", "nora@example.org").await;
    let trainer = registered(&app, "Tessa Trainer", TRAINER_EMAIL).await;
    set_role(&app.state, TRAINER_EMAIL, Role::Trainer);

    // LA1's progress: a lesson opened and done, a reflection, a quiz attempt (not
    // answered yet), a scenario run and a certificate.
    la1.get(s, "/courses/showcase/welkom")
        .await
        .assert_status(200);
    la1.submit(
        s,
        "/courses/showcase/welkom",
        "/courses/showcase/welkom/done",
        &[],
    )
    .await
    .assert_status(303);
    la1.submit(
        s,
        "/courses/showcase/welkom",
        "/courses/showcase/welkom/reflections/eerste-gedachte",
        &[("answer", LA1_REFLECTION)],
    )
    .await
    .assert_status(303);
    let res = la1
        .submit(
            s,
            "/courses/showcase/kort-antwoord",
            "/courses/showcase/kort-antwoord/attempts",
            &[],
        )
        .await;
    res.assert_status(303);
    let attempt: i32 = res
        .location
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    la1.submit(
        s,
        "/courses/showcase/verhit-debat",
        "/courses/showcase/verhit-debat/runs",
        &[],
    )
    .await
    .assert_status(303);
    lb1.submit(
        s,
        "/courses/showcase/welkom",
        "/courses/showcase/welkom/reflections/eerste-gedachte",
        &[("answer", LB1_REFLECTION)],
    )
    .await
    .assert_status(303);
    let (la1_id, la2_id, lb1_id, ca_id) = (
        user_id(&app.state, LA1_EMAIL),
        user_id(&app.state, LA2_EMAIL),
        user_id(&app.state, LB1_EMAIL),
        user_id(&app.state, "cora@gent.be"),
    );
    let questions = {
        let mut c = app.state.db.conn().unwrap();
        let version = publish::serving_version(&mut c, "showcase")
            .unwrap()
            .unwrap();
        learning::issue_certificate(
            &mut c,
            &learning::NewCertificate {
                code: LA1_CERTIFICATE,
                user_id: la1_id,
                course_id: "showcase",
                version_id: version,
                holder_name: LA1_NAME,
                title: "Cursusformaat verkend",
                expires_at: None,
            },
            now(),
        )
        .unwrap();
        learning::attempt(&mut c, attempt)
            .unwrap()
            .unwrap()
            .questions()
    };
    assert_eq!(questions.len(), 2, "{questions:?}");
    let q2_answer = if questions[1] == "q-kort" {
        r#"{"type": "text", "value": "Brandsma"}"#
    } else {
        r#"{"type": "bool", "value": true}"#
    };

    // API tokens, made on /me/api-tokens; CA's second one is for the revoke row.
    let ca_token = new_token(&app, &mut ca, CA_TOKENS).await;
    new_token(&app, &mut ca, &format!("{CA_TOKENS}-wegwerp")).await;
    let cb_token = new_token(&app, &mut cb, CB_TOKENS).await;
    let throwaway = {
        let mut c = app.state.db.conn().unwrap();
        api_tokens::of_user(&mut c, ca_id)
            .unwrap()
            .into_iter()
            .find(|t| t.name.ends_with("-wegwerp"))
            .unwrap()
            .id
    };

    // LA1 asks for a calendar feed; its address holds the token.
    la1.submit(&app.service, "/me/calendar", "/me/calendar", &[])
        .await
        .assert_status(303);
    let calendar = {
        let page = la1.get(&app.service, "/me/calendar").await;
        let body = page.body.replace("&#x2f;", "/");
        let start = body.find("/calendar/").expect("a feed address") + "/calendar/".len();
        let rest = &body[start..];
        rest[..rest.find(".ics").unwrap()].to_string()
    };

    // An email the outbox gave up on.
    let failed_email = {
        use leerpad_store::outbox;
        let mut c = app.state.db.conn().unwrap();
        let email = outbox::OutgoingEmail {
            dedupe_key: "authorization:failed".into(),
            user_id: Some(la1_id),
            kind: "magic-link".into(),
            recipient: LA1_EMAIL.into(),
            message: outbox::StoredMessage {
                subject: "Onderwerp".into(),
                text: "Tekst".into(),
                ..Default::default()
            }
            .into(),
        };
        outbox::enqueue(&mut c, &email, now()).unwrap();
        let claimed = outbox::claim_due(
            &mut c,
            "test",
            now(),
            std::time::Duration::from_secs(60),
            100,
        )
        .unwrap();
        let id = claimed
            .iter()
            .find(|e| e.dedupe_key == "authorization:failed")
            .unwrap()
            .id;
        outbox::mark_failed(&mut c, id, "550 no such mailbox").unwrap();
        for other in claimed.iter().filter(|e| e.id != id) {
            outbox::release(&mut c, other.id).unwrap();
        }
        id
    };

    // LA1's question in A's space, with a reply of CA's and one of LA1's own.
    let (gthread, gpost, greply, gdel) = {
        use leerpad_core::community::{PostState, SpaceKind};
        use leerpad_store::community::{self as cs, NewPost, NewThread};
        let mut c = app.state.db.conn().unwrap();
        let space = cs::space(&mut c, &SpaceKind::Organisation(org_a), now()).unwrap();
        let post = |author, body| NewPost {
            author_id: author,
            body,
            html: "<p>tekst</p>",
            state: PostState::Visible,
        };
        let (thread, first) = cs::create_thread(
            &mut c,
            &NewThread {
                space_id: space.id,
                lesson_id: None,
                title: "Vraag van Lotte",
                author_id: la1_id,
                question: true,
                answer_first: false,
            },
            &post(la1_id, "Hoe pakken jullie dit aan?"),
            now(),
        )
        .unwrap();
        let reply = cs::add_post(&mut c, thread, &post(ca_id, "Zo doen wij het."), now()).unwrap();
        let own = cs::add_post(&mut c, thread, &post(la1_id, "Nog een vraag."), now()).unwrap();
        (thread, first, reply, own)
    };

    let fixture = Fixture {
        gthread,
        gpost,
        greply,
        gdel,
        org_a,
        ca: ca_id,
        la1: la1_id,
        la2: la2_id,
        lb1: lb1_id,
        group,
        deadline: deadline.clone(),
        attempt,
        q1: questions[0].clone(),
        q2: questions[1].clone(),
        q2_answer: q2_answer.to_string(),
        token: throwaway,
        unsubscribe: leerpad_web::nudges::unsubscribe_token(
            &app.state.keys.secret,
            la1_id,
            LA1_EMAIL,
        ),
        calendar,
        failed_email,
    };

    // The callers, each with their own browser and CSRF token (a script has none).
    let who = |caller, label, name: &str, email: &str, browser, bearer| Who {
        caller,
        label,
        name: name.to_string(),
        email: email.to_string(),
        browser,
        csrf: String::new(),
        bearer,
    };
    let mut callers = vec![
        who(Caller::Anonymous, "anon", "", "", Browser::default(), None),
        who(
            Caller::L0,
            "l0",
            "Nora Nergens",
            "nora@example.org",
            l0,
            None,
        ),
        who(Caller::La1, "la1", LA1_NAME, LA1_EMAIL, la1, None),
        who(Caller::Lb1, "lb1", LB1_NAME, LB1_EMAIL, lb1, None),
        who(
            Caller::Cb,
            "cb",
            "Dirk Antwerpen",
            "dirk@antwerpen.be",
            cb,
            None,
        ),
        who(
            Caller::CbToken,
            "cb-token",
            "",
            "",
            Browser::default(),
            Some(cb_token),
        ),
        who(Caller::Ca, "ca", "Cora Gent", "cora@gent.be", ca, None),
        who(
            Caller::CaToken,
            "ca-token",
            "",
            "",
            Browser::default(),
            Some(ca_token),
        ),
        who(
            Caller::Admin,
            "admin",
            "Beheerder Bea",
            "beheer@example.org",
            admin,
            None,
        ),
        who(
            Caller::Trainer,
            "trainer",
            "Tessa Trainer",
            TRAINER_EMAIL,
            trainer,
            None,
        ),
    ];
    for (who, caller) in callers.iter_mut().zip(CALLERS) {
        assert_eq!(
            who.caller, caller,
            "callers in the order of the table's columns"
        );
        who.csrf = match (caller, &who.bearer) {
            (_, Some(_)) => String::new(),
            (Caller::Anonymous, _) => who.browser.get(s, "/auth/sign-in").await.csrf(),
            _ => who.browser.get(s, "/me").await.csrf(),
        };
    }

    // A few refusals spelled out: nothing of A changes when B's coordinator tries.
    let la1_deadline = || {
        let mut c = app.state.db.conn().unwrap();
        learning::enrolment(&mut c, la1_id, "showcase")
            .unwrap()
            .unwrap()
            .deadline
    };
    assert_eq!(la1_deadline(), Some(end_of(&deadline)));
    let assignment = fixture
        .assignment(&app.state, false)
        .expect("A's assignment");
    {
        let cb = &mut callers[4];
        assert_eq!(cb.caller, Caller::Cb);
        let csrf = cb.csrf.clone();
        for (path, form) in [
            (
                format!("/organisations/gent/members/{la1_id}/deadline"),
                vec![("course", "showcase"), ("deadline", "2020-01-01")],
            ),
            (
                format!("/organisations/gent/assignments/{assignment}/remove"),
                vec![],
            ),
            (
                format!("/organisations/gent/members/{la1_id}/remove"),
                vec![],
            ),
            (
                format!("/organisations/gent/members/{la1_id}/group"),
                vec![("group", "")],
            ),
        ] {
            let mut fields = vec![("csrf", csrf.as_str())];
            fields.extend(form);
            cb.browser.post(s, &path, &fields).await.assert_status(404);
        }
        let mut c = app.state.db.conn().unwrap();
        let member = organisations::member(&mut c, org_a, la1_id)
            .unwrap()
            .expect("LA1 is still in A");
        assert_eq!(member.group.as_deref(), Some(GROUP_A));
    }
    assert_eq!(
        la1_deadline(),
        Some(end_of(&deadline)),
        "LA1's deadline is unchanged"
    );
    assert_eq!(
        fixture.assignment(&app.state, false),
        Some(assignment),
        "A's assignment is still there"
    );
    // Another learner cannot see or answer LA1's attempt.
    for i in [1, 3] {
        let who = &mut callers[i];
        let url = format!("/courses/showcase/kort-antwoord/attempts/{attempt}");
        who.browser.get(s, &url).await.assert_status(404);
        let csrf = who.csrf.clone();
        who.browser
            .post(
                s,
                &format!("{url}/answer"),
                &[
                    ("csrf", &csrf),
                    ("question", &fixture.q1),
                    ("value", "true"),
                ],
            )
            .await
            .assert_status(404);
    }
    {
        let mut c = app.state.db.conn().unwrap();
        assert!(
            learning::answers(&mut c, attempt).unwrap().is_empty(),
            "LA1's attempt is untouched"
        );
    }
    // B's token fetches nothing of A; A's token still works.
    let cb_bearer = format!("Bearer {}", callers[5].bearer.clone().unwrap());
    let res = Browser::default()
        .send_with_header(
            s,
            "/api/v1/organisations/gent/report",
            ("Authorization", &cb_bearer),
        )
        .await;
    res.assert_status(404);
    let ca_bearer = format!("Bearer {}", callers[7].bearer.clone().unwrap());
    let res = Browser::default()
        .send_with_header(
            s,
            "/api/v1/organisations/gent/report",
            ("Authorization", &ca_bearer),
        )
        .await;
    res.assert_status(200);
    assert!(res.body.contains(LA1_EMAIL) && !res.body.contains(LB1_EMAIL));

    // The table: every route, every caller.
    let table = routes();
    let mut problems: Vec<String> = Vec::new();
    let mut requests = 0;
    let mut routes_tried = BTreeSet::new();
    for row in &table {
        routes_tried.insert((row.method, row.route));
        // Refused callers first, so that what they must not change is still there.
        let mut order: Vec<usize> = (0..CALLERS.len()).collect();
        order.sort_by_key(|&i| !row.outcome(i).refused());
        for i in order {
            fixture.prepare(&app.state, row.prepare);
            let expect = row.outcome(i);
            let who = &mut callers[i];
            let vars = fixture.vars(&app.state, who);
            let path = fill(row.path, &vars);
            let before = (row.method == M::Post && expect.refused()).then(|| snapshot(&app.state));
            let page = send(&app, who, row.method, &path, &row.body, &vars).await;
            requests += 1;
            let what = format!("{:?} {:?} {path}", who.caller, row.method);
            if let Some(before) = before {
                let after = snapshot(&app.state);
                if before != after {
                    problems.push(format!(
                        "{what}: refused, but changed something\n  {}",
                        first_difference(&before, &after)
                    ));
                }
            }
            if !expect.matches(&page) {
                // The page's own content, not its head and menu.
                let body = page
                    .body
                    .find("<main")
                    .map_or(&page.body[..], |i| &page.body[i..]);
                let excerpt: String = body
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .chars()
                    .take(300)
                    .collect();
                problems.push(format!(
                    "{what}: expected {expect:?}, got {} {}\n  {excerpt}",
                    page.status,
                    page.location.as_deref().unwrap_or("")
                ));
                continue;
            }
            let text = format!("{}\n{}", page.location.as_deref().unwrap_or(""), page.body);
            let mut leaked = BTreeSet::new();
            if expect.refused() {
                leaked.extend(
                    forbidden_when_refused(who.caller)
                        .into_iter()
                        .filter(|f| text.contains(f)),
                );
            }
            if !row.credential {
                // The import form's example file names a group like A's; that is
                // the theme's text, not A's data.
                let text = text.replace(IMPORT_EXAMPLE, "");
                leaked.extend(
                    forbidden_for(who.caller)
                        .into_iter()
                        .filter(|f| text.contains(f)),
                );
            }
            if !leaked.is_empty() {
                let at = leaked
                    .iter()
                    .filter_map(|l| text.find(l))
                    .min()
                    .unwrap_or(0);
                let from = text[..at]
                    .char_indices()
                    .rev()
                    .nth(200)
                    .map_or(0, |(i, _)| i);
                let to = text.len().min(at + 100);
                problems.push(format!(
                    "{what}: shows {leaked:?}\n  …{}…",
                    text.get(from..to).unwrap_or("")
                ));
            }
            if let (Some(check), false) = (row.check, expect.refused()) {
                if let Err(e) = check(&fixture, who, &page) {
                    problems.push(format!("{what}: {e}"));
                }
            }
        }
        fixture.prepare(&app.state, row.prepare);
    }
    assert!(
        problems.is_empty(),
        "{} of {requests} requests went wrong:\n{}",
        problems.len(),
        problems.join("\n")
    );
    println!(
        "{} routes, {} rows, {} callers, {requests} requests",
        routes_tried.len(),
        table.len(),
        CALLERS.len()
    );
}

// --- the table is complete ---

/// Every `#[get("…")]` and `#[post("…")]` in `src/routes/*.rs`.
pub(crate) fn declared_routes() -> BTreeSet<(M, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
    let mut found = BTreeSet::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        for line in source.lines().map(str::trim) {
            let method = match line.split('(').next().unwrap_or("") {
                "#[get" => M::Get,
                "#[post" => M::Post,
                other => {
                    assert!(
                        !["#[put", "#[delete", "#[patch", "#[head", "#[route"].contains(&other),
                        "{}: a route with a method the table does not know: {line}",
                        file.display()
                    );
                    continue;
                }
            };
            let path = line
                .split('"')
                .nth(1)
                .unwrap_or_else(|| panic!("{}: cannot read {line}", file.display()));
            found.insert((method, path.to_string()));
        }
    }
    found
}

/// Whether a concrete path (query left off) fits a route template.
fn fits(template: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap();
    let (mut t, mut p) = (template.split('/'), path.split('/'));
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(ts), _) if ts.contains(":.*}") => return true,
            (Some(ts), Some(ps)) => {
                let ok = match ts.find('{') {
                    None => ts == ps,
                    Some(i) => ps.starts_with(&ts[..i]) && ps.len() > i,
                };
                if !ok {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

#[test]
fn every_route_has_an_authorization_row() {
    let declared = declared_routes();
    assert!(declared.len() > 60, "the parser found only {declared:?}");
    let table = routes();
    let listed: BTreeSet<(M, String)> = table
        .iter()
        .map(|r| (r.method, r.route.to_string()))
        .collect();
    let missing: Vec<_> = declared.difference(&listed).collect();
    let unknown: Vec<_> = listed.difference(&declared).collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the authorization table of tests/web/authorization.rs: {missing:?}"
    );
    assert!(
        unknown.is_empty(),
        "rows for routes that do not exist: {unknown:?}"
    );
    for row in &table {
        assert!(
            fits(row.route, row.path),
            "{} is not a request to {}",
            row.path,
            row.route
        );
    }
    let posts = table.iter().filter(|r| r.method == M::Post).count();
    assert!(posts > 20, "only {posts} POST rows");
    assert_eq!(
        table.last().map(|r| r.route),
        Some("/auth/sign-out"),
        "signing out ends the sessions: it is the last row"
    );
}

/// A coordinator who types the address of another organisation's learner into the
/// invitation form must not get to see what that learner did for the other
/// organisation. Organisation A never assigned showcase; LB1 follows it for B.
///
/// Fails today: an existing account is added to A at once, without the learner
/// agreeing (or even being told), and A's dashboard, export, API report and member
/// page then show LB1's real name and progress in B's course.
#[actix_web::test]
async fn another_organisations_learner_stays_out_of_sight_when_invited_by_address() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let mut admin = registered(&app, "Beheerder Bea", "beheer@example.org").await;
    set_role(&app.state, "beheer@example.org", Role::Admin);
    let mut ca = organisation(
        &app,
        &mut admin,
        "gent",
        ORG_A,
        ("Cora Gent", "cora@gent.be"),
    )
    .await;
    let mut cb = organisation(
        &app,
        &mut admin,
        "antwerpen",
        ORG_B,
        ("Dirk Antwerpen", "dirk@antwerpen.be"),
    )
    .await;
    invite(&app, &mut cb, "antwerpen", LB1_NAME, LB1_EMAIL, GROUP_B).await;
    let mut lb1 = accept_invitation_as(&app, LB1_EMAIL, LB1_NAME).await;
    cb.submit(
        s,
        "/organisations/antwerpen/assignments",
        "/organisations/antwerpen/assignments",
        &[("course", "showcase"), ("group", ""), ("deadline", "")],
    )
    .await
    .assert_status(303);
    lb1.get(s, "/courses/showcase/welkom")
        .await
        .assert_status(200);
    lb1.submit(
        s,
        "/courses/showcase/welkom",
        "/courses/showcase/welkom/done",
        &[],
    )
    .await
    .assert_status(303);

    // What A's pages show before and after CA "invites" LB1's address under another
    // name: nothing of LB1's may appear.
    let lb1_id = user_id(&app.state, LB1_EMAIL);
    let paths = [
        "/organisations/gent".to_string(),
        "/organisations/gent/members".to_string(),
        format!("/organisations/gent/members/{lb1_id}"),
        "/organisations/gent/report.csv".to_string(),
        "/api/v1/organisations/gent/report".to_string(),
    ];
    // Her own name comes with her account (A typed her address); her courses for B
    // must not. She is told by email who added her.
    // (The course's title may appear where courses are offered to assign, so look
    // for it where a learner's course is shown: a card, a table cell, a report row.)
    let secrets = [
        ">Alles wat het cursusformaat kan</h3>",
        ">Alles wat het cursusformaat kan</td>",
        ">Alles wat het cursusformaat kan</th>",
        "\"course_id\":\"showcase\"",
        ",showcase,",
    ];
    let mut before = Vec::new();
    for path in &paths {
        before.push(ca.get(s, path).await.body);
    }
    invite(&app, &mut ca, "gent", "Iemand Anders", LB1_EMAIL, "").await;
    let mut seen = Vec::new();
    for (path, before) in paths.iter().zip(&before) {
        let page = ca.get(s, path).await;
        for secret in secrets {
            if page.body.contains(secret) && !before.contains(secret) {
                seen.push(format!("{path} shows {secret:?}"));
            }
        }
    }
    assert!(
        seen.is_empty(),
        "A's coordinator sees B's learner's courses after typing her address:\n{}",
        seen.join("\n")
    );
    let (kind, message) = support::last_email(&app.state, LB1_EMAIL).unwrap();
    assert_eq!(kind, "join-request");
    assert!(message.text.contains(ORG_A), "{}", message.text);
}
