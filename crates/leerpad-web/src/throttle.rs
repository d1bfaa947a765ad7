//! Rate limits that stop attackers, not owners, over HTTP.
//!
//! The limits themselves are `leerpad_app::limits` (the one rate limiter, counted
//! in the database so every instance sees the same numbers). Three kinds, as
//! OWASP's guidance on authentication advises:
//!
//! - a **client** (an address, see [`client_address`]) may try an action a bounded
//!   number of times per window, and then waits for the next window: this stops one
//!   machine from guessing or flooding, and affects no one else;
//! - an **account** is never locked: after a few wrong passwords each further try
//!   must wait a little longer ([`Failures`]), at most a minute for the account as a
//!   whole, so its owner with the right password gets in after a short wait while a
//!   guesser gets a few tries a minute;
//! - messages to an address (sign-in links, resets, verifications) are capped
//!   quietly ([`may_send`]): past the cap nothing more is sent, but the answer is the
//!   same, and the links already sent keep working, so the owner is never shut out.
//!
//! This module finds out who the client is behind `trusted_proxies` and turns a
//! refusal into 429 with `Retry-After`. Input is validated before anything is
//! counted.

use std::net::IpAddr;

use actix_web::HttpRequest;
pub use leerpad_app::limits::Failures;
use leerpad_app::limits::{Key, Limit, RetryAfter};

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The bucket of an account for `action`: a hash of the normalised address.
pub fn account_bucket(action: &str, email: &str) -> String {
    Key::Address(email).bucket(action)
}

/// The bucket of an account on one client for `action`.
pub fn account_client_bucket(action: &str, email: &str, client: &IpAddr) -> String {
    Key::AddressOnClient(email, *client).bucket(action)
}

/// The address of the client making the request: the peer, or, when the peer is
/// one of the configured `trusted_proxies`, the last address in `X-Forwarded-For`
/// that is not one of them (a client can put anything at the start of that header,
/// but not after what the proxy appends).
pub fn client_address(req: &HttpRequest, trusted: &[ipnet::IpNet]) -> IpAddr {
    let peer = req
        .peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    if !trusted.iter().any(|n| n.contains(&peer)) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map_while(|a| a.trim().parse::<IpAddr>().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|a| !trusted.iter().any(|n| n.contains(a)))
        .unwrap_or(peer)
}

fn refused(RetryAfter(seconds): RetryAfter) -> AppError {
    AppError::RateLimited {
        retry_after: seconds,
    }
}

/// Counts one try of the client's and refuses it (until the next window) past `max`
/// tries in the window.
pub async fn client_limit(
    state: &AppState,
    action: &'static str,
    client: &IpAddr,
    max: i32,
) -> AppResult<()> {
    let now = state.clock.now();
    let client = *client;
    let limit = Limit::new(action, max);
    let hit = state
        .db(move |c| limit.hit(c, &Key::Client(client), now))
        .await?;
    hit.map_err(|retry| {
        tracing::warn!(action, %client, "a client reached its rate limit");
        refused(retry)
    })
}

/// Whether one more message of this kind may go to `email` in this window, counting
/// it if so. Past `max`, callers answer as if it was sent.
pub async fn may_send(
    state: &AppState,
    action: &'static str,
    email: &str,
    max: i32,
) -> AppResult<bool> {
    let now = state.clock.now();
    let email = email.to_string();
    let limit = Limit::new(action, max);
    let allowed = state
        .db(move |c| limit.hit(c, &Key::Address(&email), now))
        .await?
        .is_ok();
    if !allowed {
        tracing::info!(action, "messages to one address capped for this window");
    }
    Ok(allowed)
}

/// Refuses a try that comes before the wait after the last wrong answer in
/// `bucket` is over.
pub async fn check(state: &AppState, failures: Failures, bucket: &str) -> AppResult<()> {
    let now = state.clock.now();
    let key = bucket.to_string();
    state
        .db(move |c| failures.check(c, &key, now))
        .await?
        .map_err(refused)
}

/// Counts a wrong answer in each of `buckets`.
pub async fn record_failure(state: &AppState, buckets: Vec<String>) -> AppResult<()> {
    let now = state.clock.now();
    state.db(move |c| Failures::record(c, &buckets, now)).await
}

/// Forgets the wrong answers in `bucket` (after a right one).
pub async fn clear(state: &AppState, bucket: String) -> AppResult<()> {
    state.db(move |c| Failures::clear(c, &bucket)).await
}
