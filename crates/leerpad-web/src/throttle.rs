//! Rate limits that stop attackers, not owners.
//!
//! Counts live in the database (`rate_limits`), so every instance sees the same
//! numbers. Three kinds of limit, as OWASP's guidance on authentication advises:
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
//! Keys are bounded: an address is stored as a hash, a client as its IP address, so
//! nobody can grow the table with long values, and input is validated before
//! anything is counted. Old windows are deleted by `accounts::prune`.

use std::net::IpAddr;

use actix_web::HttpRequest;
use chrono::{Duration, NaiveDateTime};
use leerpad_store::accounts;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The length of a counting window.
pub const WINDOW_MINUTES: i64 = 15;

/// The start of the window `now` falls in.
fn window_start(now: NaiveDateTime) -> NaiveDateTime {
    let ts = now.and_utc().timestamp();
    let secs = WINDOW_MINUTES * 60;
    chrono::DateTime::from_timestamp(ts - ts.rem_euclid(secs), 0)
        .expect("a valid time")
        .naive_utc()
}

/// Seconds until the next window starts.
fn seconds_to_next_window(now: NaiveDateTime) -> u32 {
    let next = window_start(now) + Duration::minutes(WINDOW_MINUTES);
    (next - now).num_seconds().max(1) as u32
}

/// The bucket of an account for `action`: a hash of the normalised address.
pub fn account_bucket(action: &str, email: &str) -> String {
    let hash = crate::security::token_hash(&accounts::normalise_email(email));
    format!("{action}:a:{}", &hash[..32])
}

/// The bucket of a client for `action`.
pub fn client_bucket(action: &str, client: &IpAddr) -> String {
    format!("{action}:c:{client}")
}

/// The bucket of an account on one client for `action`.
pub fn account_client_bucket(action: &str, email: &str, client: &IpAddr) -> String {
    format!("{}:{client}", account_bucket(action, email))
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

/// Counts one try of the client's and refuses it (until the next window) past `max`
/// tries in the window.
pub async fn client_limit(
    state: &AppState,
    action: &str,
    client: &IpAddr,
    max: i32,
) -> AppResult<()> {
    let now = state.clock.now();
    let bucket = client_bucket(action, client);
    let window = window_start(now);
    let allowed = state
        .db(move |c| accounts::rate_limit_hit(c, &bucket, window, max, now))
        .await?;
    if allowed {
        Ok(())
    } else {
        tracing::warn!(action, %client, "a client reached its rate limit");
        Err(AppError::RateLimited {
            retry_after: seconds_to_next_window(now),
        })
    }
}

/// Whether one more message of this kind may go to `email` in this window, counting
/// it if so. Past `max`, callers answer as if it was sent.
pub async fn may_send(state: &AppState, action: &str, email: &str, max: i32) -> AppResult<bool> {
    let now = state.clock.now();
    let bucket = account_bucket(action, email);
    let window = window_start(now);
    let allowed = state
        .db(move |c| accounts::rate_limit_hit(c, &bucket, window, max, now))
        .await?;
    if !allowed {
        tracing::info!(action, "messages to one address capped for this window");
    }
    Ok(allowed)
}

/// Wrong answers in a bucket, and how they slow the next try down: `free` tries
/// without waiting, then a wait that doubles with every wrong answer, up to `cap`
/// seconds.
#[derive(Debug, Clone, Copy)]
pub struct Failures {
    pub free: i64,
    pub cap_seconds: i64,
}

impl Failures {
    /// The wait after `failures` wrong answers.
    pub fn wait(&self, failures: i64) -> i64 {
        if failures < self.free {
            return 0;
        }
        let doublings = (failures - self.free).min(20) as u32;
        (1i64 << doublings).min(self.cap_seconds)
    }

    /// Refuses a try that comes before the wait after the last wrong answer is over.
    pub async fn check(&self, state: &AppState, bucket: &str) -> AppResult<()> {
        let now = state.clock.now();
        let since = window_start(now) - Duration::minutes(WINDOW_MINUTES);
        let key = bucket.to_string();
        let (failures, last) = state
            .db(move |c| accounts::rate_limit_state(c, &key, since))
            .await?;
        let wait = self.wait(failures);
        match last {
            Some(last) if wait > 0 && now < last + Duration::seconds(wait) => {
                let left = (last + Duration::seconds(wait) - now).num_seconds().max(1);
                Err(AppError::RateLimited {
                    retry_after: left as u32,
                })
            }
            _ => Ok(()),
        }
    }
}

/// Counts a wrong answer in each of `buckets`.
pub async fn record_failure(state: &AppState, buckets: Vec<String>) -> AppResult<()> {
    let now = state.clock.now();
    let window = window_start(now);
    state
        .db(move |c| -> leerpad_store::StoreResult<()> {
            for b in &buckets {
                accounts::rate_limit_hit(c, b, window, i32::MAX, now)?;
            }
            Ok(())
        })
        .await
}

/// Forgets the wrong answers in `bucket` (after a right one).
pub async fn clear(state: &AppState, bucket: String) -> AppResult<()> {
    state
        .db(move |c| accounts::rate_limit_clear(c, &bucket))
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_cap() {
        let f = Failures {
            free: 5,
            cap_seconds: 60,
        };
        let waits: Vec<i64> = (0..14).map(|n| f.wait(n)).collect();
        assert_eq!(waits, [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(f.wait(10_000), 60);
    }

    #[test]
    fn windows_are_fifteen_minutes() {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 12, 3)
            .unwrap()
            .and_hms_opt(10, 7, 30)
            .unwrap();
        assert_eq!(window_start(t).to_string(), "2026-12-03 10:00:00");
        assert_eq!(seconds_to_next_window(t), 450);
        assert!(account_bucket("sign-in", " A@B.be ").len() < 50);
        assert_eq!(
            account_bucket("sign-in", " A@B.be "),
            account_bucket("sign-in", "a@b.be")
        );
    }
}
