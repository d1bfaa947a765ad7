//! `/metrics`: off without a token, only for the token, and what a scrape shows
//! after some requests, read back with a Prometheus text-format parser.
//!
//! The recorder is one per process, shared by every app this binary builds, so
//! request figures are at least (not exactly) what this test sent; the outbox's
//! and the pool's gauges are set by the scrape from this app's own database.

use crate::support::{registered, test_app, Browser};

use leerpad_store::outbox::{self, OutboxStatus};
use prometheus_parse::{Sample, Scrape, Value};

const TOKEN: &str = "een-lang-token-voor-prometheus";

fn parse(body: &str) -> Scrape {
    Scrape::parse(body.lines().map(|l| Ok(l.to_string()))).expect("Prometheus text format")
}

fn find<'a>(scrape: &'a Scrape, metric: &str, labels: &[(&str, &str)]) -> Vec<&'a Sample> {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .collect()
}

fn number(sample: &Sample) -> f64 {
    match &sample.value {
        Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
        other => panic!("{} is not a number: {other:?}", sample.metric),
    }
}

fn one(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    let found = find(scrape, metric, labels);
    assert_eq!(found.len(), 1, "one {metric} {labels:?}, found {found:?}");
    number(found[0])
}

#[actix_web::test]
async fn metrics_are_off_without_a_token_and_shown_only_with_it() {
    let off = test_app(|_| {}).await;
    let page = Browser::default().get(&off.service, "/metrics").await;
    page.assert_status(404);
    let page = Browser::default()
        .send_with_header(
            &off.service,
            "/metrics",
            ("Authorization", &format!("Bearer {TOKEN}")),
        )
        .await;
    page.assert_status(404);

    let on = test_app(|c| c.http.metrics_token = Some(TOKEN.into())).await;
    let s = &on.service;
    let page = Browser::default().get(s, "/metrics").await;
    page.assert_status(401);
    assert!(!page.body.contains("leerpad_"), "{}", page.body);
    for wrong in [
        "Bearer een-lang-token-voor-prometheuS",
        "Bearer een-lang-token",
        "Bearer ",
        "Basic een-lang-token-voor-prometheus",
        TOKEN,
    ] {
        let page = Browser::default()
            .send_with_header(s, "/metrics", ("Authorization", wrong))
            .await;
        assert_eq!(page.status.as_u16(), 401, "{wrong}");
    }
    // A signed-in person, even an administrator, is no scraper.
    let mut admin = registered(&on, "Beheerder Bea", "beheer@example.org").await;
    crate::support::set_role(&on.state, "beheer@example.org", leerpad_core::Role::Admin);
    admin.get(s, "/metrics").await.assert_status(401);

    let page = Browser::default()
        .send_with_header(s, "/metrics", ("Authorization", &format!("Bearer {TOKEN}")))
        .await;
    page.assert_status(200);
    assert!(page
        .body
        .contains("# TYPE leerpad_http_request_duration_seconds histogram"));
}

#[actix_web::test]
async fn a_scrape_shows_routes_statuses_the_outbox_and_the_pool() {
    let app = test_app(|c| c.http.metrics_token = Some(TOKEN.into())).await;
    let s = &app.service;
    // Registering queues a confirmation email; another learner's is given up on.
    let mut learner = crate::learning::learner(&app, "lea@example.org", true).await;
    registered(&app, "Piet Pech", "piet@example.org").await;
    {
        let mut c = app.state.db.conn().unwrap();
        let piet = outbox::list(&mut c, 100)
            .unwrap()
            .into_iter()
            .find(|e| e.recipient == "piet@example.org")
            .expect("Piet's email");
        outbox::mark_failed(&mut c, piet.id, "550 no such mailbox").unwrap();
    }
    let (queued, failed) = {
        let mut c = app.state.db.conn().unwrap();
        let all = outbox::list(&mut c, 1000).unwrap();
        let n = |st| all.iter().filter(|e| e.status == st).count() as f64;
        (n(OutboxStatus::Pending), n(OutboxStatus::Failed))
    };
    assert!(queued >= 1.0 && failed == 1.0, "{queued} {failed}");

    const OVERVIEWS: usize = 3;
    for _ in 0..OVERVIEWS {
        learner.get(s, "/courses/showcase").await.assert_status(200);
    }
    learner
        .get(s, "/courses/showcase/welkom")
        .await
        .assert_status(200);
    learner
        .get(s, "/nergens/te/vinden")
        .await
        .assert_status(404);

    let page = Browser::default()
        .send_with_header(s, "/metrics", ("Authorization", &format!("Bearer {TOKEN}")))
        .await;
    page.assert_status(200);
    let scrape = parse(&page.body);

    // Per route pattern, never the path asked for.
    let overview = [("method", "GET"), ("route", "/courses/:course")];
    let histograms = find(&scrape, "leerpad_http_request_duration_seconds", &overview);
    assert_eq!(histograms.len(), 1, "{histograms:?}");
    let Value::Histogram(buckets) = &histograms[0].value else {
        panic!("not a histogram: {:?}", histograms[0]);
    };
    assert!(buckets.len() >= 10, "{buckets:?}");
    assert!(
        buckets
            .windows(2)
            .all(|w| w[0].less_than < w[1].less_than && w[0].count <= w[1].count),
        "buckets grow: {buckets:?}"
    );
    let all = buckets.last().unwrap();
    assert!(all.less_than.is_infinite(), "{buckets:?}");
    let count = one(
        &scrape,
        "leerpad_http_request_duration_seconds_count",
        &overview,
    );
    let sum = one(
        &scrape,
        "leerpad_http_request_duration_seconds_sum",
        &overview,
    );
    assert_eq!(all.count, count);
    assert!(count >= OVERVIEWS as f64, "{count}");
    assert!(
        sum > 0.0 && sum / count < 5.0,
        "seconds per request: {sum} / {count}"
    );
    assert!(
        !find(
            &scrape,
            "leerpad_http_request_duration_seconds",
            &[("route", "/courses/:course/:item")]
        )
        .is_empty(),
        "the lesson's route"
    );
    for sample in &scrape.samples {
        if let Some(route) = sample.labels.get("route") {
            assert!(
                !route.contains("showcase") && !route.contains("nergens"),
                "a path, not a route, as a label: {sample:?}"
            );
        }
    }

    // Responses by status.
    let ok = one(
        &scrape,
        "leerpad_http_responses_total",
        &[
            ("route", "/courses/:course"),
            ("status", "200"),
            ("method", "GET"),
        ],
    );
    assert!(ok >= OVERVIEWS as f64, "{ok}");
    let unknown = one(
        &scrape,
        "leerpad_http_responses_total",
        &[("route", "unmatched"), ("status", "404"), ("method", "GET")],
    );
    assert!(unknown >= 1.0, "{unknown}");

    // Read from this app's database and pool at the scrape.
    assert_eq!(one(&scrape, "leerpad_outbox_queued_emails", &[]), queued);
    assert_eq!(one(&scrape, "leerpad_outbox_failed_emails", &[]), failed);
    assert_eq!(one(&scrape, "leerpad_database_up", &[]), 1.0);
    let pool = app.state.db.pool_state();
    assert_eq!(
        one(&scrape, "leerpad_db_pool_max_connections", &[]),
        f64::from(pool.max)
    );
    let open = one(&scrape, "leerpad_db_pool_connections", &[]);
    let idle = one(&scrape, "leerpad_db_pool_idle_connections", &[]);
    assert!(open >= 1.0 && open <= f64::from(pool.max), "{open}");
    assert!(idle <= open, "{idle} idle of {open}");
}
