//! Prometheus metrics: what every request took and answered, per route, and, read
//! at scrape time, the outbox and the database pool. Off unless `metrics_token`
//! is configured; then `GET /metrics` (`routes/metrics.rs`) shows them to whoever
//! sends that token.
//!
//! Everything goes through the `metrics` facade, so what other parts of the
//! process record (the job runner's `leerpad_job_*`) is shown too. The facade
//! takes one recorder per process: [`recorder`] installs it the first time it is
//! asked for and hands out the same one after that, so a process (or a test
//! binary) may build any number of apps.
//!
//! Labels are bounded: a route is its pattern (`/courses/{course}`, written
//! `/courses/:course`; never the path asked for), a path no route knows is
//! `unmatched`, and methods other than the usual ones are `other`.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::Method;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Seconds a request took, per method and route.
pub const REQUEST_DURATION: &str = "leerpad_http_request_duration_seconds";
/// Responses, per method, route and status.
pub const RESPONSES: &str = "leerpad_http_responses_total";

/// Histogram buckets for every `*_seconds` metric, in seconds: from a
/// millisecond (a cached page) to a minute (a long job).
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0,
];

/// How often histogram samples are folded into their buckets when nobody
/// scrapes, so memory stays bounded.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

static RECORDER: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's Prometheus recorder, installed as the facade's recorder on the
/// first call.
pub fn recorder() -> &'static PrometheusHandle {
    RECORDER.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        if ::metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!(
                "another metrics recorder was installed first: /metrics shows nothing it records"
            );
        }
        describe();
        let upkeep = handle.clone();
        let spawned = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || loop {
                std::thread::sleep(UPKEEP_EVERY);
                upkeep.run_upkeep();
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start the metrics upkeep thread");
        }
        handle
    })
}

fn describe() {
    ::metrics::describe_histogram!(
        REQUEST_DURATION,
        ::metrics::Unit::Seconds,
        "Time from a request's arrival to its response's headers, per method and route pattern."
    );
    ::metrics::describe_counter!(
        RESPONSES,
        "Responses, per method, route pattern and status code."
    );
    ::metrics::describe_gauge!(
        "leerpad_outbox_queued_emails",
        "Emails in the outbox waiting to be sent (read at scrape time)."
    );
    ::metrics::describe_gauge!(
        "leerpad_outbox_failed_emails",
        "Emails in the outbox given up on (read at scrape time)."
    );
    ::metrics::describe_gauge!(
        "leerpad_database_up",
        "1 when the database answered the scrape's query, 0 when it did not."
    );
    ::metrics::describe_gauge!(
        "leerpad_db_pool_connections",
        "Database connections open in this instance's pool, in use or idle."
    );
    ::metrics::describe_gauge!(
        "leerpad_db_pool_idle_connections",
        "Open database connections nobody is using."
    );
    ::metrics::describe_gauge!(
        "leerpad_db_pool_max_connections",
        "The most connections this instance's pool opens."
    );
}

/// The middleware that records every request: its duration and its answer.
pub struct Record;

impl<S, B> Transform<S, ServiceRequest> for Record
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = RecordService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RecordService { service }))
    }
}

pub struct RecordService<S> {
    service: S,
}

impl<S, B> Service<ServiceRequest> for RecordService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = Recording<S::Future>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let started = Instant::now();
        let method = method_label(req.method());
        // The pattern of the route that will answer: the app's resource map is
        // known before routing, and no other part of the request is kept.
        let route = req.match_pattern().map(route_label);
        Recording {
            inner: Box::pin(self.service.call(req)),
            started,
            method,
            route,
        }
    }
}

/// The inner service's answer, timed when it is ready.
pub struct Recording<F> {
    inner: Pin<Box<F>>,
    started: Instant,
    method: &'static str,
    route: Option<String>,
}

impl<F, B> Future for Recording<F>
where
    F: Future<Output = Result<ServiceResponse<B>, actix_web::Error>>,
{
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let out = match self.inner.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(out) => out,
        };
        let status = match &out {
            Ok(res) => res.status(),
            Err(e) => e.as_response_error().status_code(),
        };
        let elapsed = self.started.elapsed();
        let route = self.route.take().unwrap_or_else(|| "unmatched".to_string());
        let method = self.method;
        ::metrics::histogram!(REQUEST_DURATION, "method" => method, "route" => route.clone())
            .record(elapsed.as_secs_f64());
        ::metrics::counter!(
            RESPONSES,
            "method" => method,
            "route" => route,
            "status" => status.as_str().to_owned()
        )
        .increment(1);
        Poll::Ready(out)
    }
}

/// A route pattern as a label: `/courses/{course}` becomes `/courses/:course`
/// (and `/static/{path:.*}` `/static/:path`). Label values may hold braces, but
/// simple parsers of the text format (and people grepping it) trip over them.
fn route_label(pattern: String) -> String {
    if !pattern.contains('{') {
        return pattern;
    }
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '{' {
            out.push(c);
            continue;
        }
        out.push(':');
        // The name, then skip any `:regex` up to the matching brace.
        let mut depth = 1;
        let mut naming = true;
        for c in chars.by_ref() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                ':' if depth == 1 => naming = false,
                _ if naming && depth == 1 => out.push(c),
                _ => {}
            }
        }
    }
    out
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Whether `given` is `expected`, in time that does not depend on where they
/// differ: both are hashed first, so neither their contents nor (beyond the
/// hashing) their lengths show in how long the comparison takes.
pub fn token_matches(given: &str, expected: &str) -> bool {
    use sha2::{Digest, Sha256};
    let (a, b) = (
        Sha256::digest(given.as_bytes()),
        Sha256::digest(expected.as_bytes()),
    );
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_when_equal() {
        assert!(token_matches(
            "geheim-token-van-prometheus",
            "geheim-token-van-prometheus"
        ));
        assert!(!token_matches(
            "geheim-token-van-prometheus",
            "geheim-token-van-prometheuS"
        ));
        assert!(!token_matches("", "geheim-token-van-prometheus"));
        assert!(!token_matches("geheim", "geheim-token-van-prometheus"));
    }

    #[test]
    fn routes_are_labelled_by_their_pattern() {
        for (pattern, label) in [
            ("/healthz", "/healthz"),
            ("/courses/{course}", "/courses/:course"),
            (
                "/courses/{course}/{item}/done",
                "/courses/:course/:item/done",
            ),
            ("/static/{path:.*}", "/static/:path"),
            ("/x/{id:[0-9]{1,3}}/y", "/x/:id/y"),
        ] {
            assert_eq!(route_label(pattern.to_string()), label);
        }
    }

    #[test]
    fn unusual_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(
            method_label(&Method::from_bytes(b"PROPFIND").unwrap()),
            "other"
        );
    }
}
