//! The one rate limiter: "may this client, this address or this account do this
//! now?", for every area (signing in, links by email, and later posting in the
//! community or answering a survey).
//!
//! A [`Limit`] is a purpose, a number of tries and a window; a [`Key`] is who is
//! counted. Counts live in the database (`rate_limits`, one row per bucket and
//! window), so every instance sees the same numbers; [`Limit::hit`] runs on the
//! connection it is given, so a flow can count inside its own transaction. Keys are
//! bounded: an address is stored as a hash, a client as its IP address, an account
//! as its id, so nobody can grow the table with long values. Old windows are
//! deleted by `accounts::prune`.
//!
//! Besides limits per window, [`Failures`] slows down wrong answers (a password):
//! a few are free, then each further try waits twice as long, up to a cap, so an
//! account is never locked but a guesser gets a few tries a minute. The web layer
//! (`leerpad-web/src/throttle.rs`) finds out who the client is and turns a refusal
//! into 429 with `Retry-After`.

use std::net::IpAddr;

use chrono::{NaiveDateTime, TimeDelta};
use leerpad_store::accounts::{self, normalise_email};
use leerpad_store::{DbConnection, StoreResult};

use crate::tokens::token_hash;

/// The length of a counting window, unless a limit says otherwise.
pub const WINDOW_MINUTES: i64 = 15;

/// At most `max` tries of `purpose` per key in each `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// What is counted (`sign-in`, `link`, …): part of every bucket.
    pub purpose: &'static str,
    pub max: i32,
    pub window: TimeDelta,
}

/// Who or what a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key<'a> {
    /// A client, by its address.
    Client(IpAddr),
    /// An email address (an account, or a would-be one), by a hash of it normalised.
    Address(&'a str),
    /// An email address tried from one client.
    AddressOnClient(&'a str, IpAddr),
    /// A signed-in account, by its id.
    Account(i32),
}

/// Refused: the next try may come in this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u32);

impl Key<'_> {
    /// The bucket of `purpose` for this key, as counted in `rate_limits`.
    pub fn bucket(&self, purpose: &str) -> String {
        match self {
            Key::Client(client) => format!("{purpose}:c:{client}"),
            Key::Address(email) => {
                let hash = token_hash(&normalise_email(email));
                format!("{purpose}:a:{}", &hash[..32])
            }
            Key::AddressOnClient(email, client) => {
                format!("{}:{client}", Key::Address(email).bucket(purpose))
            }
            Key::Account(id) => format!("{purpose}:u:{id}"),
        }
    }
}

impl Limit {
    /// `max` tries of `purpose` per window of [`WINDOW_MINUTES`].
    pub const fn new(purpose: &'static str, max: i32) -> Limit {
        Limit {
            purpose,
            max,
            window: TimeDelta::minutes(WINDOW_MINUTES),
        }
    }

    /// The same limit over another window (a whole number of seconds).
    pub const fn per(self, window: TimeDelta) -> Limit {
        Limit { window, ..self }
    }

    /// Counts one try of `key` at `now` and says whether it may go on: past `max`
    /// tries in the window, it is refused until the next window starts.
    pub fn hit(
        &self,
        c: &mut DbConnection,
        key: &Key<'_>,
        now: NaiveDateTime,
    ) -> StoreResult<Result<(), RetryAfter>> {
        let window = window_start_of(now, self.window);
        let allowed =
            accounts::rate_limit_hit(c, &key.bucket(self.purpose), window, self.max, now)?;
        Ok(if allowed {
            Ok(())
        } else {
            Err(RetryAfter(seconds_to_next_of(now, self.window)))
        })
    }
}

/// The start of the window of [`WINDOW_MINUTES`] that `now` falls in.
pub fn window_start(now: NaiveDateTime) -> NaiveDateTime {
    window_start_of(now, TimeDelta::minutes(WINDOW_MINUTES))
}

/// Seconds until the next window of [`WINDOW_MINUTES`] starts.
pub fn seconds_to_next_window(now: NaiveDateTime) -> u32 {
    seconds_to_next_of(now, TimeDelta::minutes(WINDOW_MINUTES))
}

fn window_start_of(now: NaiveDateTime, window: TimeDelta) -> NaiveDateTime {
    let ts = now.and_utc().timestamp();
    let secs = window.num_seconds().max(1);
    chrono::DateTime::from_timestamp(ts - ts.rem_euclid(secs), 0)
        .expect("a valid time")
        .naive_utc()
}

fn seconds_to_next_of(now: NaiveDateTime, window: TimeDelta) -> u32 {
    let next = window_start_of(now, window) + window;
    (next - now).num_seconds().max(1) as u32
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

    /// Refuses a try that comes before the wait after the last wrong answer in
    /// `bucket` is over.
    pub fn check(
        &self,
        c: &mut DbConnection,
        bucket: &str,
        now: NaiveDateTime,
    ) -> StoreResult<Result<(), RetryAfter>> {
        let since = window_start(now) - TimeDelta::minutes(WINDOW_MINUTES);
        let (failures, last) = accounts::rate_limit_state(c, bucket, since)?;
        let wait = self.wait(failures);
        Ok(match last {
            Some(last) if wait > 0 && now < last + TimeDelta::seconds(wait) => {
                let left = (last + TimeDelta::seconds(wait) - now).num_seconds().max(1);
                Err(RetryAfter(left as u32))
            }
            _ => Ok(()),
        })
    }

    /// Counts a wrong answer in each of `buckets`.
    pub fn record(c: &mut DbConnection, buckets: &[String], now: NaiveDateTime) -> StoreResult<()> {
        let window = window_start(now);
        for b in buckets {
            accounts::rate_limit_hit(c, b, window, i32::MAX, now)?;
        }
        Ok(())
    }

    /// Forgets the wrong answers in `bucket` (after a right one).
    pub fn clear(c: &mut DbConnection, bucket: &str) -> StoreResult<()> {
        accounts::rate_limit_clear(c, bucket)?;
        Ok(())
    }
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
        let bucket = |email| Key::Address(email).bucket("sign-in");
        assert!(bucket(" A@B.be ").len() < 50);
        assert_eq!(bucket(" A@B.be "), bucket("a@b.be"));
    }

    #[test]
    fn a_limit_counts_per_purpose_and_key_in_its_window() {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 12, 3)
            .unwrap()
            .and_hms_opt(10, 7, 30)
            .unwrap();
        let hourly = Limit::new("post", 10).per(TimeDelta::hours(1));
        assert_eq!(
            window_start_of(t, hourly.window).to_string(),
            "2026-12-03 10:00:00"
        );
        assert_eq!(seconds_to_next_of(t, hourly.window), 52 * 60 + 30);
        assert_eq!(Key::Account(7).bucket("post"), "post:u:7");
        let client: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(Key::Client(client).bucket("sign-in"), "sign-in:c:10.0.0.1");
        assert!(Key::AddressOnClient("a@b.be", client)
            .bucket("sign-in")
            .ends_with(":10.0.0.1"));
    }

    /// What a new area does: "may this account post now?", on both databases.
    #[test]
    fn an_account_may_post_ten_times_an_hour_on_every_backend() {
        let start = chrono::NaiveDate::from_ymd_opt(2026, 12, 3)
            .unwrap()
            .and_hms_opt(10, 7, 30)
            .unwrap();
        let posting = Limit::new("post", 10).per(TimeDelta::hours(1));
        for t in leerpad_store::testing::TestDb::backends() {
            let mut c = t.db.conn().unwrap();
            for i in 0..10 {
                let now = start + TimeDelta::minutes(i);
                assert_eq!(
                    posting.hit(&mut c, &Key::Account(1), now).unwrap(),
                    Ok(()),
                    "{}",
                    t.name
                );
            }
            let late = start + TimeDelta::minutes(20);
            assert_eq!(
                posting.hit(&mut c, &Key::Account(1), late).unwrap(),
                Err(RetryAfter(32 * 60 + 30)),
                "{}",
                t.name
            );
            // Another account, another purpose, the next window: counted apart.
            assert_eq!(posting.hit(&mut c, &Key::Account(2), late).unwrap(), Ok(()));
            let survey = Limit::new("survey", 1);
            assert_eq!(survey.hit(&mut c, &Key::Account(1), late).unwrap(), Ok(()));
            let next_hour = start + TimeDelta::minutes(53);
            assert_eq!(
                posting.hit(&mut c, &Key::Account(1), next_hour).unwrap(),
                Ok(())
            );
        }
    }
}
