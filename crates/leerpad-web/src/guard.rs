//! What every request passes on its way to the handlers, besides the session
//! (`viewer`):
//!
//! - **Same origin for changes.** A `POST` (or any method that can change
//!   something) sent by a browser from another site is refused with 403, whatever
//!   it carries: browsers say where a request comes from (`Sec-Fetch-Site`, else
//!   `Origin`), and only this site, or the user typing an address, may change
//!   things. A second line behind the CSRF tokens. Requests without either header
//!   (scripts, old browsers) are left to the tokens. The one-click unsubscribe of
//!   RFC 8058 is posted by mail providers from anywhere and is exempt: its signed
//!   token is its authority, and it can only turn email down.
//! - **Bodies arrive in time.** A request body that takes longer than
//!   `body_timeout_seconds` (60) to arrive is cut off, so slow senders cannot hold
//!   connections and memory (`serve` limits the time to the end of the headers).
//! - **Personal answers are not cached.** A response that says nothing about
//!   caching gets `Cache-Control: no-store`, so no proxy or shared computer keeps a
//!   learner's JSON or page.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::HttpMessage;
use futures_util::Stream;

use crate::error::AppError;
use crate::state::AppState;

/// The middleware; see the module documentation.
pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let changes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if changes {
        let (base_url, body_seconds) = req
            .app_data::<web::Data<AppState>>()
            .map(|s| (s.config.base_url(), s.config.http.body_timeout_seconds))
            .unwrap_or_default();
        if !req.path().starts_with("/unsubscribe/") && !same_origin(&req, &base_url) {
            tracing::warn!(
                path = req.path(),
                "a change sent from another site was refused"
            );
            return Ok(req
                .error_response(AppError::Forbidden)
                .map_into_boxed_body());
        }
        let body = req.take_payload();
        req.set_payload(Payload::Stream {
            payload: Box::pin(Deadline {
                inner: body,
                sleep: Box::pin(tokio::time::sleep(Duration::from_secs(body_seconds))),
            }),
        });
    }
    let mut res = next.call(req).await?.map_into_boxed_body();
    if res.status() != StatusCode::NOT_MODIFIED
        && !res.headers().contains_key(header::CACHE_CONTROL)
    {
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
    }
    Ok(res)
}

/// Whether the browser says the request comes from this site (or from no site: an
/// address typed or a bookmark), or says nothing.
fn same_origin(req: &ServiceRequest, base_url: &str) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.to_str(), Ok("same-origin" | "none"));
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return true;
    };
    let info = req.connection_info();
    let this = format!("{}://{}", info.scheme(), info.host());
    origin == this || origin == origin_of(base_url)
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
}

/// A request body that must arrive before its sleep ends.
struct Deadline {
    inner: Payload,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.sleep.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body took too long to arrive",
            )))));
        }
        Pin::new(&mut self.inner).poll_next(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn origins() {
        assert_eq!(
            origin_of("https://leren.gent.be/x/y"),
            "https://leren.gent.be"
        );
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }
}
