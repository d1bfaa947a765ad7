//! The email outbox: email is written here in the same transaction as the decision
//! to send it, and a worker claims, sends and marks it.
//!
//! - [`enqueue`] inserts a pending row, or does nothing when its `dedupe_key` is
//!   already there: deciding twice for the same reason sends one email. It runs
//!   inside the caller's transaction, so an email exists if and only if the
//!   decision was committed.
//! - [`claim_due`] hands due rows to one worker for a lease. Two workers, in one
//!   process or several, never hold the same row: PostgreSQL claims with
//!   `FOR UPDATE SKIP LOCKED`, SQLite under its write lock. A worker that dies
//!   loses its claims when the lease runs out, and another worker sends them.
//! - [`mark_sent`], [`mark_retry`] (exponential backoff, `failed` after the last
//!   attempt), [`mark_failed`] and [`release`] end a claim.
//!
//! The store knows nothing of email formats or SMTP: a message is stored as the
//! JSON of a [`Payload`]: either a [`StoredMessage`], rendered by the mail crate
//! before it is enqueued, or a [`TemplateMessage`] (a template name, a language and
//! its context) that the worker renders when it sends it, which keeps bulk email
//! such as nudges small in the table.
//! Every time is passed in (UTC), so callers and tests control the clock.

use std::fmt;
use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::{write_transaction, DbConnection};
use crate::error::{StoreError, StoreResult};
use crate::per_backend;
use crate::schema::email_outbox;

/// Longest error text kept in `last_error`.
const MAX_ERROR_CHARS: usize = 2000;

/// The first retry waits this long; each further one twice as long as the last.
const FIRST_BACKOFF_SECS: i64 = 60;
/// No retry waits longer than this.
const MAX_BACKOFF_SECS: i64 = 60 * 60;

/// A rendered email, stored as JSON in `payload`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMessage {
    pub subject: String,
    /// The plain-text body; every email has one.
    pub text: String,
    /// The HTML alternative, if any.
    #[serde(default)]
    pub html: Option<String>,
    /// Extra headers such as `List-Unsubscribe`, in order.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
}

impl StoredMessage {
    /// Adds the one-click unsubscribe headers (RFC 8058) for `link`:
    /// `List-Unsubscribe: <link>` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.
    pub fn add_unsubscribe(&mut self, link: &str) {
        self.headers
            .push(("List-Unsubscribe".to_string(), format!("<{link}>")));
        self.headers.push((
            "List-Unsubscribe-Post".to_string(),
            "List-Unsubscribe=One-Click".to_string(),
        ));
    }
}

/// An email to be rendered when it is sent: the template `template` of the
/// theme in `lang` with `context`. Stored as JSON in `payload`:
/// `{"template": "nudge-inactive", "lang": "nl", "context": {…}, "unsubscribe": "https://…"}`.
///
/// A message with an `unsubscribe` link gets the one-click unsubscribe headers
/// ([`StoredMessage::add_unsubscribe`]) and its templates get the link as
/// `unsubscribe_link`: stored once, as bulk email is stored by the ten thousand.
/// `headers` are added as they are (rows queued before `unsubscribe` existed
/// carry their unsubscribe headers there).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateMessage {
    /// The message name (`nudge-inactive`, …), as for `Templates::render`.
    pub template: String,
    /// The recipient's language (`nl`, `en-GB`, …).
    #[serde(default)]
    pub lang: String,
    /// What the templates get, besides `lang`, `subject` and the globals.
    #[serde(default)]
    pub context: Context,
    /// The recipient's one-click unsubscribe link, if the email has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsubscribe: Option<String>,
    /// Extra headers added to the rendered message, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
}

impl TemplateMessage {
    /// The context the templates get: the stored one, with `unsubscribe_link`
    /// when the message has an unsubscribe link.
    pub fn template_context(&self) -> Result<serde_json::Value, serde_json::Error> {
        let mut ctx = self.context.to_value()?;
        if let (Some(link), serde_json::Value::Object(map)) = (&self.unsubscribe, &mut ctx) {
            map.insert(
                "unsubscribe_link".to_string(),
                serde_json::Value::String(link.clone()),
            );
        }
        Ok(ctx)
    }
}

/// A template context as JSON text, serialized once when the email is made and
/// stored as it is: building and dropping a `serde_json::Value` per email costs
/// more than the rest of queueing it.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Context(Box<serde_json::value::RawValue>);

impl Context {
    /// The JSON of `value` (normally an object).
    pub fn new(value: &impl Serialize) -> Result<Context, serde_json::Error> {
        serde_json::value::to_raw_value(value).map(Context)
    }

    /// The context as a JSON value.
    pub fn to_value(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_str(self.0.get())
    }

    /// The JSON text.
    pub fn json(&self) -> &str {
        self.0.get()
    }
}

impl Default for Context {
    /// No values: `{}`.
    fn default() -> Context {
        Context(serde_json::value::RawValue::from_string("{}".to_string()).expect("valid JSON"))
    }
}

impl PartialEq for Context {
    fn eq(&self, other: &Context) -> bool {
        self.json() == other.json()
    }
}

impl Eq for Context {}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.json())
    }
}

/// What an outbox row holds: a rendered email, or a template to render when it is
/// sent. Rows stored before templates existed are all [`Payload::Rendered`], and
/// still read as such.
///
/// Read with [`Payload::from_json`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Payload {
    /// Rendered before it was enqueued (sign-in links, invitations, …).
    Rendered(StoredMessage),
    /// Rendered by the worker when it sends it (nudges).
    Template(TemplateMessage),
}

impl Payload {
    /// Reads a stored payload: a template when it has a `template` field, else a
    /// rendered message (with the reason it is neither, if so).
    pub fn from_json(payload: &str) -> Result<Payload, serde_json::Error> {
        #[derive(Deserialize)]
        struct Kind {
            template: Option<serde::de::IgnoredAny>,
        }
        let kind: Kind = serde_json::from_str(payload)?;
        if kind.template.is_some() {
            serde_json::from_str(payload).map(Payload::Template)
        } else {
            serde_json::from_str(payload).map(Payload::Rendered)
        }
    }

    /// A line for listings: the subject, or `template <name>` for a message not yet
    /// rendered.
    pub fn summary(&self) -> String {
        match self {
            Payload::Rendered(m) => m.subject.clone(),
            Payload::Template(t) => format!("template {}", t.template),
        }
    }
}

impl From<StoredMessage> for Payload {
    fn from(m: StoredMessage) -> Payload {
        Payload::Rendered(m)
    }
}

impl From<TemplateMessage> for Payload {
    fn from(t: TemplateMessage) -> Payload {
        Payload::Template(t)
    }
}

/// An email to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    /// One email per key, ever: e.g. `magic-link:<token id>` or
    /// `nudge:<user>:<course>:<rule>:<period>`.
    pub dedupe_key: String,
    /// The user it is for, if any; their outbox rows go when the user is deleted.
    pub user_id: Option<i32>,
    /// What kind of email it is (the template name), for inspection and metrics.
    pub kind: String,
    /// The address, bare (`a@b.example`) or with a name (`An <a@b.example>`).
    pub recipient: String,
    pub message: Payload,
}

/// A row handed to a worker by [`claim_due`], until `claimed_until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedEmail {
    pub id: i32,
    pub dedupe_key: String,
    pub user_id: Option<i32>,
    pub kind: String,
    pub recipient: String,
    pub message: Payload,
    /// Attempts made before this one.
    pub attempts: i32,
    pub claimed_until: NaiveDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    /// Waiting to be sent (or being sent, while claimed).
    Pending,
    Sent,
    /// Given up on: a permanent error, or every attempt failed.
    Failed,
}

impl OutboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(OutboxStatus::Pending),
            "sent" => Some(OutboxStatus::Sent),
            "failed" => Some(OutboxStatus::Failed),
            _ => None,
        }
    }
}

impl fmt::Display for OutboxStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What [`mark_retry`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryOutcome {
    /// Pending again, due at `next_attempt_at`.
    Retrying { next_attempt_at: NaiveDateTime },
    /// That was the last attempt; the row is `failed`.
    Failed,
}

/// One outbox row, for inspection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    pub id: i32,
    pub dedupe_key: String,
    pub user_id: Option<i32>,
    pub kind: String,
    pub recipient: String,
    /// The stored subject; `template <name>` for an email rendered when it is
    /// sent; empty if the payload cannot be read.
    pub subject: String,
    pub status: OutboxStatus,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub claimed_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = email_outbox)]
struct Row {
    id: i32,
    dedupe_key: String,
    user_id: Option<i32>,
    kind: String,
    recipient: String,
    payload: String,
    status: String,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    claimed_until: Option<NaiveDateTime>,
    last_error: Option<String>,
    created_at: NaiveDateTime,
    sent_at: Option<NaiveDateTime>,
}

fn decode(payload: &str) -> Result<Payload, serde_json::Error> {
    Payload::from_json(payload)
}

fn clip(error: &str) -> String {
    match error.char_indices().nth(MAX_ERROR_CHARS) {
        Some((end, _)) => format!("{}…", &error[..end]),
        None => error.to_string(),
    }
}

fn not_pending(id: i32) -> StoreError {
    StoreError::Conflict(format!(
        "outbox email {id} is not pending (already sent, failed or removed)"
    ))
}

/// How long to wait after the `attempts`-th failed attempt: 1 minute, 2, 4, …,
/// at most an hour.
pub fn backoff(attempts: i32) -> TimeDelta {
    let doublings = attempts.clamp(1, 31) as u32 - 1;
    let secs = FIRST_BACKOFF_SECS.saturating_mul(1i64 << doublings.min(20));
    TimeDelta::seconds(secs.min(MAX_BACKOFF_SECS))
}

/// Adds a pending email, due at `now`. Returns `false`, changing nothing, when an
/// email with the same `dedupe_key` was enqueued before (whatever its status).
///
/// Runs no transaction of its own: call it inside the transaction that decides to
/// send, so the email is enqueued exactly when that decision commits.
pub fn enqueue(
    c: &mut DbConnection,
    email: &OutgoingEmail,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    let payload = serde_json::to_string(&email.message)
        .map_err(|e| StoreError::internal("cannot store the email", e))?;
    let row = (
        email_outbox::dedupe_key.eq(&email.dedupe_key),
        email_outbox::user_id.eq(email.user_id),
        email_outbox::kind.eq(&email.kind),
        email_outbox::recipient.eq(&email.recipient),
        email_outbox::payload.eq(&payload),
        email_outbox::status.eq(OutboxStatus::Pending.as_str()),
        email_outbox::attempts.eq(0),
        email_outbox::next_attempt_at.eq(now),
        email_outbox::created_at.eq(now),
    );
    let inserted = per_backend!(c, |b| diesel::insert_into(email_outbox::table)
        .values(&row)
        .on_conflict(email_outbox::dedupe_key)
        .do_nothing()
        .execute(b))?;
    Ok(inserted > 0)
}

/// Queues many emails, due at `now`, and says for each whether it was queued now
/// (`false`: its key was in the outbox already), as [`enqueue`] would one by one,
/// in multi-row statements.
pub fn enqueue_many(
    c: &mut DbConnection,
    emails: &[&OutgoingEmail],
    now: NaiveDateTime,
) -> StoreResult<Vec<bool>> {
    let payloads = emails
        .iter()
        .map(|e| serde_json::to_string(&e.message))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| StoreError::internal("cannot store the email", e))?;
    let mut inserted = std::collections::HashSet::new();
    // 100 rows of 9 values stay well under either backend's limit on bound values.
    for (chunk, payloads) in emails.chunks(100).zip(payloads.chunks(100)) {
        let rows: Vec<_> = chunk
            .iter()
            .zip(payloads)
            .map(|(email, payload)| {
                (
                    email_outbox::dedupe_key.eq(&email.dedupe_key),
                    email_outbox::user_id.eq(email.user_id),
                    email_outbox::kind.eq(&email.kind),
                    email_outbox::recipient.eq(&email.recipient),
                    email_outbox::payload.eq(payload),
                    email_outbox::status.eq(OutboxStatus::Pending.as_str()),
                    email_outbox::attempts.eq(0),
                    email_outbox::next_attempt_at.eq(now),
                    email_outbox::created_at.eq(now),
                )
            })
            .collect();
        let keys: Vec<String> =
            per_backend!(&mut *c, |b| diesel::insert_into(email_outbox::table)
                .values(&rows)
                .on_conflict(email_outbox::dedupe_key)
                .do_nothing()
                .returning(email_outbox::dedupe_key)
                .get_results(b))?;
        inserted.extend(keys);
    }
    Ok(emails
        .iter()
        .map(|e| inserted.contains(&e.dedupe_key))
        .collect())
}

/// Which of `keys` are in the outbox already, whatever their status: for a runner
/// that wants to skip work it did before (it still enqueues with [`enqueue`], which
/// settles a race).
pub fn existing_keys(
    c: &mut DbConnection,
    keys: &[String],
) -> StoreResult<std::collections::HashSet<String>> {
    let mut out = std::collections::HashSet::new();
    for chunk in keys.chunks(500) {
        let found: Vec<String> = email_outbox::table
            .filter(email_outbox::dedupe_key.eq_any(chunk))
            .select(email_outbox::dedupe_key)
            .load(c)?;
        out.extend(found);
    }
    Ok(out)
}

/// Claims up to `limit` pending emails that are due at `now` and not claimed by a
/// live lease, for `lease` from `now`, oldest due first. No two callers ever get
/// the same row while its lease runs, across connections and processes.
///
/// A row whose payload cannot be read is marked `failed` here (with the reason in
/// `last_error`) rather than handed out. `worker` names the caller in logs.
pub fn claim_due(
    c: &mut DbConnection,
    worker: &str,
    now: NaiveDateTime,
    lease: Duration,
    limit: i64,
) -> StoreResult<Vec<ClaimedEmail>> {
    if limit <= 0 {
        return Ok(Vec::new());
    }
    let lease = TimeDelta::from_std(lease)
        .map_err(|_| StoreError::Invalid(format!("lease of {lease:?} is too long")))?;
    let until = now + lease;
    let claim = |c: &mut DbConnection| -> StoreResult<Vec<Row>> {
        use crate::schema::email_outbox::dsl::*;
        macro_rules! due {
            () => {
                email_outbox
                    .filter(status.eq(OutboxStatus::Pending.as_str()))
                    .filter(next_attempt_at.le(now))
                    .filter(claimed_until.is_null().or(claimed_until.lt(now)))
                    .order((next_attempt_at.asc(), id.asc()))
                    .limit(limit)
                    .select(id)
            };
        }
        let ids: Vec<i32> = match c {
            DbConnection::Sqlite(s) => due!().load(s)?,
            DbConnection::Pg(p) => due!().for_update().skip_locked().load(p)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(email_outbox.filter(id.eq_any(&ids)))
            .set(claimed_until.eq(Some(until)))
            .execute(c)?;
        Ok(email_outbox
            .filter(id.eq_any(&ids))
            .order((next_attempt_at.asc(), id.asc()))
            .select(Row::as_select())
            .load(c)?)
    };
    let rows = if matches!(c, DbConnection::Sqlite(_)) {
        // The write lock first, so a second SQLite writer waits instead of reading
        // the same due rows.
        write_transaction(c, claim)?
    } else {
        // Rows locked by another claimer are skipped, not waited for; once it
        // commits, their new `claimed_until` excludes them.
        c.transaction(claim)?
    };

    let mut claimed = Vec::with_capacity(rows.len());
    for row in rows {
        match decode(&row.payload) {
            Ok(message) => claimed.push(ClaimedEmail {
                id: row.id,
                dedupe_key: row.dedupe_key,
                user_id: row.user_id,
                kind: row.kind,
                recipient: row.recipient,
                message,
                attempts: row.attempts,
                claimed_until: until,
            }),
            Err(e) => {
                let error = format!("the stored message cannot be read: {e}");
                tracing::error!(id = row.id, kind = %row.kind, %error, "outbox email failed");
                mark_failed(c, row.id, &error)?;
            }
        }
    }
    if !claimed.is_empty() {
        tracing::debug!(worker, count = claimed.len(), until = %until, "claimed outbox emails");
    }
    Ok(claimed)
}

/// Records that a claimed email was sent.
pub fn mark_sent(c: &mut DbConnection, id: i32, now: NaiveDateTime) -> StoreResult<()> {
    use crate::schema::email_outbox::dsl as o;
    let n = diesel::update(
        o::email_outbox
            .filter(o::id.eq(id))
            .filter(o::status.eq(OutboxStatus::Pending.as_str())),
    )
    .set((
        o::status.eq(OutboxStatus::Sent.as_str()),
        o::sent_at.eq(Some(now)),
        o::attempts.eq(o::attempts + 1),
        o::claimed_until.eq(None::<NaiveDateTime>),
    ))
    .execute(c)?;
    if n == 0 {
        return Err(not_pending(id));
    }
    Ok(())
}

/// Records a failed attempt at a claimed email: it is due again after
/// [`backoff`]`(attempts)`, or `failed` once `max_attempts` attempts were made.
pub fn mark_retry(
    c: &mut DbConnection,
    id: i32,
    now: NaiveDateTime,
    error: &str,
    max_attempts: i32,
) -> StoreResult<RetryOutcome> {
    use crate::schema::email_outbox::dsl as o;
    let error = clip(error);
    // The first statement writes, so SQLite takes its write lock at once.
    c.transaction(|c| {
        let n = diesel::update(
            o::email_outbox
                .filter(o::id.eq(id))
                .filter(o::status.eq(OutboxStatus::Pending.as_str())),
        )
        .set((
            o::attempts.eq(o::attempts + 1),
            o::last_error.eq(Some(&error)),
            o::claimed_until.eq(None::<NaiveDateTime>),
        ))
        .execute(c)?;
        if n == 0 {
            return Err(not_pending(id));
        }
        let attempts: i32 = o::email_outbox.find(id).select(o::attempts).first(c)?;
        if attempts >= max_attempts {
            diesel::update(o::email_outbox.find(id))
                .set(o::status.eq(OutboxStatus::Failed.as_str()))
                .execute(c)?;
            Ok(RetryOutcome::Failed)
        } else {
            let next = now + backoff(attempts);
            diesel::update(o::email_outbox.find(id))
                .set(o::next_attempt_at.eq(next))
                .execute(c)?;
            Ok(RetryOutcome::Retrying {
                next_attempt_at: next,
            })
        }
    })
}

/// Gives up on a claimed email at once (a permanent error such as a rejected
/// address), keeping `error`.
pub fn mark_failed(c: &mut DbConnection, id: i32, error: &str) -> StoreResult<()> {
    use crate::schema::email_outbox::dsl as o;
    let n = diesel::update(
        o::email_outbox
            .filter(o::id.eq(id))
            .filter(o::status.eq(OutboxStatus::Pending.as_str())),
    )
    .set((
        o::status.eq(OutboxStatus::Failed.as_str()),
        o::attempts.eq(o::attempts + 1),
        o::last_error.eq(Some(clip(error))),
        o::claimed_until.eq(None::<NaiveDateTime>),
    ))
    .execute(c)?;
    if n == 0 {
        return Err(not_pending(id));
    }
    Ok(())
}

/// Ends a claim without an attempt (a worker stopping before it sent the email):
/// the email is due again at once, for any worker.
pub fn release(c: &mut DbConnection, id: i32) -> StoreResult<()> {
    use crate::schema::email_outbox::dsl as o;
    diesel::update(
        o::email_outbox
            .filter(o::id.eq(id))
            .filter(o::status.eq(OutboxStatus::Pending.as_str())),
    )
    .set(o::claimed_until.eq(None::<NaiveDateTime>))
    .execute(c)?;
    Ok(())
}

/// Puts a `failed` email back in the queue with fresh attempts, due at `now`
/// (an operator's retry after fixing the cause). Returns `false` if `id` is not a
/// failed email.
pub fn requeue(c: &mut DbConnection, id: i32, now: NaiveDateTime) -> StoreResult<bool> {
    use crate::schema::email_outbox::dsl as o;
    let n = diesel::update(
        o::email_outbox
            .filter(o::id.eq(id))
            .filter(o::status.eq(OutboxStatus::Failed.as_str())),
    )
    .set((
        o::status.eq(OutboxStatus::Pending.as_str()),
        o::attempts.eq(0),
        o::next_attempt_at.eq(now),
        o::claimed_until.eq(None::<NaiveDateTime>),
    ))
    .execute(c)?;
    Ok(n > 0)
}

/// Emails not yet sent nor given up on (due or not, claimed or not).
pub fn pending_count(c: &mut DbConnection) -> StoreResult<i64> {
    use crate::schema::email_outbox::dsl as o;
    Ok(o::email_outbox
        .filter(o::status.eq(OutboxStatus::Pending.as_str()))
        .count()
        .get_result(c)?)
}

/// How many emails wait to be sent and how many were given up on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Not yet sent nor given up on (`pending`, due or not).
    pub queued: i64,
    /// Given up on (`failed`).
    pub failed: i64,
}

/// The outbox's depth and failures, in one query.
pub fn counts(c: &mut DbConnection) -> StoreResult<OutboxCounts> {
    use crate::schema::email_outbox::dsl as o;
    let rows: Vec<(String, i64)> = o::email_outbox
        .filter(o::status.eq_any([
            OutboxStatus::Pending.as_str(),
            OutboxStatus::Failed.as_str(),
        ]))
        .group_by(o::status)
        .select((o::status, diesel::dsl::count_star()))
        .load(c)?;
    let mut out = OutboxCounts::default();
    for (status, n) in rows {
        match OutboxStatus::parse(&status) {
            Some(OutboxStatus::Pending) => out.queued = n,
            Some(OutboxStatus::Failed) => out.failed = n,
            _ => {}
        }
    }
    Ok(out)
}

/// Emails given up on (`failed`).
pub fn failed_count(c: &mut DbConnection) -> StoreResult<i64> {
    use crate::schema::email_outbox::dsl as o;
    Ok(o::email_outbox
        .filter(o::status.eq(OutboxStatus::Failed.as_str()))
        .count()
        .get_result(c)?)
}

/// The latest `limit` emails given up on, newest first.
pub fn list_failed(c: &mut DbConnection, limit: i64) -> StoreResult<Vec<OutboxEntry>> {
    use crate::schema::email_outbox::dsl as o;
    let rows: Vec<Row> = o::email_outbox
        .filter(o::status.eq(OutboxStatus::Failed.as_str()))
        .order(o::id.desc())
        .limit(limit.max(0))
        .select(Row::as_select())
        .load(c)?;
    rows.into_iter().map(entry).collect()
}

/// The latest `limit` emails, newest first.
pub fn list(c: &mut DbConnection, limit: i64) -> StoreResult<Vec<OutboxEntry>> {
    use crate::schema::email_outbox::dsl as o;
    let rows: Vec<Row> = o::email_outbox
        .order(o::id.desc())
        .limit(limit.max(0))
        .select(Row::as_select())
        .load(c)?;
    rows.into_iter().map(entry).collect()
}

fn entry(r: Row) -> StoreResult<OutboxEntry> {
    let status = OutboxStatus::parse(&r.status).ok_or_else(|| StoreError::Corrupt {
        what: format!("outbox email {} has status `{}`", r.id, r.status),
        source: None,
    })?;
    Ok(OutboxEntry {
        subject: decode(&r.payload).map(|m| m.summary()).unwrap_or_default(),
        id: r.id,
        dedupe_key: r.dedupe_key,
        user_id: r.user_id,
        kind: r.kind,
        recipient: r.recipient,
        status,
        attempts: r.attempts,
        next_attempt_at: r.next_attempt_at,
        claimed_until: r.claimed_until,
        last_error: r.last_error,
        created_at: r.created_at,
        sent_at: r.sent_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_a_minute_up_to_an_hour() {
        let mins: Vec<i64> = (1..=9).map(|a| backoff(a).num_minutes()).collect();
        assert_eq!(mins, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(backoff(0).num_minutes(), 1);
        assert_eq!(backoff(i32::MAX).num_minutes(), 60);
    }

    #[test]
    fn rendered_payloads_stored_before_templates_still_read() {
        // As rows were written before payloads could be templates.
        let old = r#"{"subject":"Je aanmeldlink","text":"Klik\n","html":null,"headers":[["List-Unsubscribe","<https://x/u>"]]}"#;
        let expected = StoredMessage {
            subject: "Je aanmeldlink".into(),
            text: "Klik\n".into(),
            html: None,
            headers: vec![("List-Unsubscribe".into(), "<https://x/u>".into())],
        };
        assert_eq!(decode(old).unwrap(), Payload::Rendered(expected.clone()));
        // Optional fields missing, as in the oldest rows.
        let minimal = r#"{"subject":"S","text":"T"}"#;
        assert_eq!(
            decode(minimal).unwrap(),
            Payload::Rendered(StoredMessage {
                subject: "S".into(),
                text: "T".into(),
                ..StoredMessage::default()
            })
        );
        // A rendered payload is still written as it was.
        let written = serde_json::to_string(&Payload::Rendered(expected)).unwrap();
        assert_eq!(written, old);
        assert_eq!(decode(&written).unwrap().summary(), "Je aanmeldlink");
    }

    #[test]
    fn template_payloads_round_trip() {
        let t = TemplateMessage {
            template: "nudge-inactive".into(),
            lang: "nl".into(),
            context: Context::new(
                &serde_json::json!({ "name": "An", "percent": 40, "deadline": null }),
            )
            .unwrap(),
            unsubscribe: Some("https://leerpad.example/unsubscribe/1.x".into()),
            headers: vec![("X-Campaign".into(), "inactive".into())],
        };
        let json = serde_json::to_string(&Payload::Template(t.clone())).unwrap();
        assert_eq!(
            json,
            r#"{"template":"nudge-inactive","lang":"nl","context":{"deadline":null,"name":"An","percent":40},"unsubscribe":"https://leerpad.example/unsubscribe/1.x","headers":[["X-Campaign","inactive"]]}"#
        );
        let back = decode(&json).unwrap();
        assert_eq!(back, Payload::Template(t.clone()));
        assert_eq!(back.summary(), "template nudge-inactive");
        // The templates get the link with the rest of the context.
        assert_eq!(
            t.template_context().unwrap(),
            serde_json::json!({
                "name": "An", "percent": 40, "deadline": null,
                "unsubscribe_link": "https://leerpad.example/unsubscribe/1.x",
            })
        );
        let minimal = decode(r#"{"template":"digest"}"#).unwrap();
        assert_eq!(
            minimal,
            Payload::Template(TemplateMessage {
                template: "digest".into(),
                ..TemplateMessage::default()
            })
        );
        assert_eq!(
            serde_json::to_string(&minimal).unwrap(),
            r#"{"template":"digest","lang":"","context":{}}"#
        );
    }

    #[test]
    fn template_payloads_queued_with_headers_still_read() {
        let old = r#"{"template":"nudge-inactive","lang":"en","context":{"name":"An"},"headers":[["List-Unsubscribe","<https://x.example/u/1>"],["List-Unsubscribe-Post","List-Unsubscribe=One-Click"]]}"#;
        let Payload::Template(t) = decode(old).unwrap() else {
            panic!("a template payload");
        };
        assert_eq!(t.unsubscribe, None);
        assert_eq!(t.headers.len(), 2);
        assert_eq!(
            t.template_context().unwrap(),
            serde_json::json!({ "name": "An" })
        );
    }

    #[test]
    fn the_unsubscribe_headers_follow_rfc_8058() {
        let mut m = StoredMessage::default();
        m.add_unsubscribe("https://x.example/unsubscribe/1.abc");
        assert_eq!(
            m.headers,
            vec![
                (
                    "List-Unsubscribe".to_string(),
                    "<https://x.example/unsubscribe/1.abc>".to_string()
                ),
                (
                    "List-Unsubscribe-Post".to_string(),
                    "List-Unsubscribe=One-Click".to_string()
                ),
            ]
        );
    }

    #[test]
    fn unreadable_payloads_say_why() {
        let e = decode(r#"{"template": 3}"#).unwrap_err().to_string();
        assert!(e.contains("invalid type"), "{e}");
        let e = decode(r#"{"text": "no subject"}"#).unwrap_err().to_string();
        assert!(e.contains("subject"), "{e}");
        assert!(decode("not json").is_err());
    }

    #[test]
    fn long_errors_are_clipped() {
        let long = "é".repeat(MAX_ERROR_CHARS + 10);
        assert_eq!(clip(&long).chars().count(), MAX_ERROR_CHARS + 1);
        assert_eq!(clip("short"), "short");
    }
}
