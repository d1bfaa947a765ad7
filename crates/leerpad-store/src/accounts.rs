//! Users, sessions, one-time sign-in tokens and rate limits.
//!
//! The web layer generates secrets (session ids, tokens) and passes only what may be
//! stored: session ids are random and unguessable, token values are stored as hashes.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use leerpad_core::Role;

use crate::db::{write_transaction, DbConnection};
use crate::error::StoreResult;
use crate::per_backend;
use crate::schema::{login_tokens, rate_limits, sessions, users};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i32,
    pub email: String,
    pub display_name: String,
    pub password_hash: Option<String>,
    pub role: String,
    pub language: String,
    pub email_verified_at: Option<NaiveDateTime>,
    pub disabled_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

impl User {
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Learner)
    }

    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: Option<&'a str>,
    pub role: Role,
    pub language: &'a str,
    /// Set when the address is known to work (for example, an invitation accepted).
    pub verified: bool,
}

/// Emails are compared case-insensitively: stored trimmed and lowercased.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Creates a user; `Ok(None)` when the email is taken.
pub fn create_user(
    c: &mut DbConnection,
    new: &NewUser<'_>,
    now: NaiveDateTime,
) -> StoreResult<Option<User>> {
    let email = normalise_email(new.email);
    let inserted = per_backend!(&mut *c, |b| diesel::insert_into(users::table)
        .values((
            users::email.eq(&email),
            users::display_name.eq(new.display_name.trim()),
            users::password_hash.eq(new.password_hash),
            users::role.eq(new.role.as_str()),
            users::language.eq(new.language),
            users::email_verified_at.eq(new.verified.then_some(now)),
            users::created_at.eq(now),
        ))
        .on_conflict(users::email)
        .do_nothing()
        .execute(b))?;
    if inserted == 0 {
        return Ok(None);
    }
    user_by_email(c, &email)
}

pub fn user_by_email(c: &mut DbConnection, email: &str) -> StoreResult<Option<User>> {
    Ok(users::table
        .filter(users::email.eq(normalise_email(email)))
        .select(User::as_select())
        .first(c)
        .optional()?)
}

pub fn user(c: &mut DbConnection, id: i32) -> StoreResult<Option<User>> {
    Ok(users::table
        .find(id)
        .select(User::as_select())
        .first(c)
        .optional()?)
}

pub fn list_users(c: &mut DbConnection, limit: i64, offset: i64) -> StoreResult<Vec<User>> {
    Ok(users::table
        .order(users::email)
        .limit(limit)
        .offset(offset)
        .select(User::as_select())
        .load(c)?)
}

pub fn count_users_with_role(c: &mut DbConnection, role: Role) -> StoreResult<i64> {
    Ok(users::table
        .filter(users::role.eq(role.as_str()))
        .count()
        .get_result(c)?)
}

pub fn set_password(c: &mut DbConnection, user_id: i32, hash: &str) -> StoreResult<()> {
    diesel::update(users::table.find(user_id))
        .set(users::password_hash.eq(Some(hash)))
        .execute(c)?;
    Ok(())
}

pub fn mark_verified(c: &mut DbConnection, user_id: i32, now: NaiveDateTime) -> StoreResult<()> {
    diesel::update(
        users::table
            .find(user_id)
            .filter(users::email_verified_at.is_null()),
    )
    .set(users::email_verified_at.eq(Some(now)))
    .execute(c)?;
    Ok(())
}

/// What someone chose when registering: applied to the account only when the
/// verification link sent to the address is confirmed, so an unproven registration
/// never decides anything about the account of whoever owns the address.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PendingRegistration {
    pub display_name: String,
    pub password_hash: String,
    pub language: String,
}

/// The owner of the address has just proven it (a verification, sign-in, reset or
/// invitation link sent there). If the account was not verified yet, nothing that
/// an unproven registration set survives: its password and name are dropped (and
/// replaced by `registration`'s, when the proof is that registration's own link),
/// every session ends and every other link still out is void. A verified account
/// is left as it is. Returns the account as it is now.
pub fn prove_address(
    c: &mut DbConnection,
    user_id: i32,
    registration: Option<&PendingRegistration>,
    now: NaiveDateTime,
) -> StoreResult<Option<User>> {
    write_transaction(c, |c| {
        let Some(found) = user(c, user_id)? else {
            return Ok(None);
        };
        if found.email_verified_at.is_none() {
            let (name, hash, language) = match registration {
                Some(r) => (
                    r.display_name.as_str(),
                    Some(r.password_hash.as_str()),
                    r.language.as_str(),
                ),
                None => (
                    found.email.split('@').next().unwrap_or_default(),
                    None,
                    found.language.as_str(),
                ),
            };
            diesel::update(users::table.find(user_id))
                .set((
                    users::display_name.eq(name.trim()),
                    users::password_hash.eq(hash),
                    users::language.eq(language),
                    users::email_verified_at.eq(Some(now)),
                ))
                .execute(c)?;
            revoke_all_sessions(c, user_id, now)?;
            void_tokens(c, user_id, now)?;
        }
        user(c, user_id)
    })
}

/// Voids every link of the user's that is still out (used or expired ones stay as
/// they are, for the record until pruned).
pub fn void_tokens(c: &mut DbConnection, user_id: i32, now: NaiveDateTime) -> StoreResult<usize> {
    void_tokens_for(c, user_id, &TokenPurpose::ALL, now)
}

/// The newest registration waiting on its verification link, if any is still valid.
pub fn pending_registration(
    c: &mut DbConnection,
    user_id: i32,
    now: NaiveDateTime,
) -> StoreResult<Option<PendingRegistration>> {
    let payload: Option<Option<String>> = login_tokens::table
        .filter(login_tokens::user_id.eq(user_id))
        .filter(login_tokens::purpose.eq(TokenPurpose::Verify.as_str()))
        .filter(login_tokens::used_at.is_null())
        .filter(login_tokens::expires_at.gt(now))
        .order(login_tokens::created_at.desc())
        .select(login_tokens::payload)
        .first(c)
        .optional()?;
    Ok(registration_in(payload))
}

fn registration_in(payload: Option<Option<String>>) -> Option<PendingRegistration> {
    payload
        .flatten()
        .and_then(|p| serde_json::from_str(&p).ok())
}

/// The registration a verification token carries.
pub fn token_registration(
    c: &mut DbConnection,
    token_hash: &str,
) -> StoreResult<Option<PendingRegistration>> {
    let payload: Option<Option<String>> = login_tokens::table
        .find(token_hash)
        .select(login_tokens::payload)
        .first(c)
        .optional()?;
    Ok(registration_in(payload))
}

pub fn set_profile(
    c: &mut DbConnection,
    user_id: i32,
    display_name: &str,
    language: &str,
) -> StoreResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::display_name.eq(display_name.trim()),
            users::language.eq(language),
        ))
        .execute(c)?;
    Ok(())
}

pub fn set_role(c: &mut DbConnection, user_id: i32, role: Role) -> StoreResult<()> {
    diesel::update(users::table.find(user_id))
        .set(users::role.eq(role.as_str()))
        .execute(c)?;
    Ok(())
}

/// Disables (or re-enables) an account; disabling also ends all its sessions.
pub fn set_disabled(
    c: &mut DbConnection,
    user_id: i32,
    disabled: bool,
    now: NaiveDateTime,
) -> StoreResult<()> {
    c.transaction(|c| {
        diesel::update(users::table.find(user_id))
            .set(users::disabled_at.eq(disabled.then_some(now)))
            .execute(c)?;
        if disabled {
            revoke_all_sessions(c, user_id, now)?;
        }
        Ok(())
    })
}

// --- sessions ---

pub fn create_session(
    c: &mut DbConnection,
    id: &str,
    user_id: i32,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> StoreResult<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(id),
            sessions::user_id.eq(user_id),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(c)?;
    Ok(())
}

/// The user of a live session: not revoked, not expired, account not disabled.
pub fn session_user(
    c: &mut DbConnection,
    session_id: &str,
    now: NaiveDateTime,
) -> StoreResult<Option<User>> {
    Ok(sessions::table
        .inner_join(users::table)
        .filter(sessions::id.eq(session_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .filter(users::disabled_at.is_null())
        .select(User::as_select())
        .first(c)
        .optional()?)
}

/// Replaces a live session by a new one with a later expiry (when its cookie is
/// rotated): the old session keeps working until `grace_until` at the latest (for
/// requests the browser already sent with the old cookie), never rotates again, and
/// ends with its successor. `false` when the old session was already replaced,
/// revoked or expired: then nothing changes.
pub fn rotate_session(
    c: &mut DbConnection,
    old_id: &str,
    new_id: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
    grace_until: NaiveDateTime,
) -> StoreResult<bool> {
    // Its first statement writes, so SQLite takes the write lock at once; no need
    // for the global write lock of `write_transaction`.
    c.transaction(|c| {
        let claimed = diesel::update(
            sessions::table
                .find(old_id)
                .filter(sessions::revoked_at.is_null())
                .filter(sessions::replaced_by.is_null())
                .filter(sessions::expires_at.gt(now)),
        )
        .set((
            sessions::replaced_by.eq(Some(new_id)),
            sessions::last_seen_at.eq(now),
        ))
        .execute(c)?;
        if claimed == 0 {
            return Ok(false);
        }
        diesel::update(
            sessions::table
                .find(old_id)
                .filter(sessions::expires_at.gt(grace_until)),
        )
        .set(sessions::expires_at.eq(grace_until))
        .execute(c)?;
        let (user_id, created_at): (i32, NaiveDateTime) = sessions::table
            .find(old_id)
            .select((sessions::user_id, sessions::created_at))
            .first(c)?;
        diesel::insert_into(sessions::table)
            .values((
                sessions::id.eq(new_id),
                sessions::user_id.eq(user_id),
                sessions::created_at.eq(created_at),
                sessions::last_seen_at.eq(now),
                sessions::expires_at.eq(expires_at),
            ))
            .execute(c)?;
        Ok(true)
    })
}

/// Ends a session, with the one it replaced and the one that replaced it (a
/// rotated cookie and its successor are one sign-in).
pub fn revoke_session(
    c: &mut DbConnection,
    session_id: &str,
    now: NaiveDateTime,
) -> StoreResult<()> {
    let successor: Option<String> = sessions::table
        .find(session_id)
        .select(sessions::replaced_by)
        .first::<Option<String>>(c)
        .optional()?
        .flatten();
    let mut ids = vec![session_id.to_string()];
    ids.extend(successor);
    diesel::update(
        sessions::table
            .filter(
                sessions::id
                    .eq_any(&ids)
                    .or(sessions::replaced_by.eq(session_id)),
            )
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(Some(now)))
    .execute(c)?;
    Ok(())
}

pub fn revoke_all_sessions(
    c: &mut DbConnection,
    user_id: i32,
    now: NaiveDateTime,
) -> StoreResult<()> {
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(Some(now)))
    .execute(c)?;
    Ok(())
}

// --- one-time tokens ---

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// Sign in without a password.
    Magic,
    /// Confirm an email address after registering.
    Verify,
    /// Choose a new password.
    Reset,
    /// Accept an invitation (sets up the account).
    Invite,
}

impl TokenPurpose {
    pub const ALL: [TokenPurpose; 4] = [
        TokenPurpose::Magic,
        TokenPurpose::Verify,
        TokenPurpose::Reset,
        TokenPurpose::Invite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::Magic => "magic",
            TokenPurpose::Verify => "verify",
            TokenPurpose::Reset => "reset",
            TokenPurpose::Invite => "invite",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    Unknown,
    Expired,
    Used,
}

pub fn create_token(
    c: &mut DbConnection,
    token_hash: &str,
    user_id: i32,
    purpose: TokenPurpose,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> StoreResult<()> {
    create_token_for(c, token_hash, user_id, purpose, None, now, expires_at)
}

/// A one-time token that carries a registration to apply when it is used.
pub fn create_token_for(
    c: &mut DbConnection,
    token_hash: &str,
    user_id: i32,
    purpose: TokenPurpose,
    registration: Option<&PendingRegistration>,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> StoreResult<()> {
    let payload = registration
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| crate::StoreError::internal("cannot store the registration", e))?;
    diesel::insert_into(login_tokens::table)
        .values((
            login_tokens::token_hash.eq(token_hash),
            login_tokens::user_id.eq(user_id),
            login_tokens::purpose.eq(purpose.as_str()),
            login_tokens::created_at.eq(now),
            login_tokens::expires_at.eq(expires_at),
            login_tokens::payload.eq(payload),
        ))
        .execute(c)?;
    Ok(())
}

/// Voids the user's other links of these purposes (a new password voids every other
/// reset and sign-in link).
pub fn void_tokens_for(
    c: &mut DbConnection,
    user_id: i32,
    purposes: &[TokenPurpose],
    now: NaiveDateTime,
) -> StoreResult<usize> {
    let purposes: Vec<&str> = purposes.iter().map(|p| p.as_str()).collect();
    Ok(diesel::update(
        login_tokens::table
            .filter(login_tokens::user_id.eq(user_id))
            .filter(login_tokens::purpose.eq_any(purposes))
            .filter(login_tokens::used_at.is_null()),
    )
    .set(login_tokens::used_at.eq(Some(now)))
    .execute(c)?)
}

/// Whether a token could be used now, without using it.
pub fn check_token(
    c: &mut DbConnection,
    token_hash: &str,
    purpose: TokenPurpose,
    now: NaiveDateTime,
) -> StoreResult<Result<User, TokenProblem>> {
    let row: Option<(NaiveDateTime, Option<NaiveDateTime>, i32)> = login_tokens::table
        .find(token_hash)
        .filter(login_tokens::purpose.eq(purpose.as_str()))
        .select((
            login_tokens::expires_at,
            login_tokens::used_at,
            login_tokens::user_id,
        ))
        .first(c)
        .optional()?;
    Ok(match row {
        None => Err(TokenProblem::Unknown),
        Some((_, Some(_), _)) => Err(TokenProblem::Used),
        Some((expires, None, _)) if expires <= now => Err(TokenProblem::Expired),
        Some((_, None, user_id)) => match user(c, user_id)? {
            Some(u) if !u.is_disabled() => Ok(u),
            _ => Err(TokenProblem::Unknown),
        },
    })
}

/// Uses a token once: of two concurrent uses, exactly one succeeds.
pub fn consume_token(
    c: &mut DbConnection,
    token_hash: &str,
    purpose: TokenPurpose,
    now: NaiveDateTime,
) -> StoreResult<Result<User, TokenProblem>> {
    let claimed = diesel::update(
        login_tokens::table
            .find(token_hash)
            .filter(login_tokens::purpose.eq(purpose.as_str()))
            .filter(login_tokens::used_at.is_null())
            .filter(login_tokens::expires_at.gt(now)),
    )
    .set(login_tokens::used_at.eq(Some(now)))
    .execute(c)?;
    if claimed == 0 {
        return Ok(match check_token(c, token_hash, purpose, now)? {
            Err(problem) => Err(problem),
            Ok(_) => Err(TokenProblem::Used),
        });
    }
    let user_id: i32 = login_tokens::table
        .find(token_hash)
        .select(login_tokens::user_id)
        .first(c)?;
    match user(c, user_id)? {
        Some(u) if !u.is_disabled() => Ok(Ok(u)),
        _ => Ok(Err(TokenProblem::Unknown)),
    }
}

// --- rate limits ---

/// Counts one hit in `bucket` for the window starting at `window_start`, and says
/// whether the bucket is still within `limit` hits. Shared by every web instance.
pub fn rate_limit_hit(
    c: &mut DbConnection,
    bucket: &str,
    window_start: NaiveDateTime,
    limit: i32,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    per_backend!(&mut *c, |b| diesel::insert_into(rate_limits::table)
        .values((
            rate_limits::bucket.eq(bucket),
            rate_limits::window_start.eq(window_start),
            rate_limits::hits.eq(1),
            rate_limits::last_hit_at.eq(Some(now)),
        ))
        .on_conflict((rate_limits::bucket, rate_limits::window_start))
        .do_update()
        .set((
            rate_limits::hits.eq(rate_limits::hits + 1),
            rate_limits::last_hit_at.eq(Some(now)),
        ))
        .execute(b))?;
    let hits: i32 = rate_limits::table
        .find((bucket, window_start))
        .select(rate_limits::hits)
        .first(c)?;
    Ok(hits <= limit)
}

/// The hits counted in `bucket` since `since` (over every window that started
/// then or later), and the last of them.
pub fn rate_limit_state(
    c: &mut DbConnection,
    bucket: &str,
    since: NaiveDateTime,
) -> StoreResult<(i64, Option<NaiveDateTime>)> {
    let rows: Vec<(i32, Option<NaiveDateTime>)> = rate_limits::table
        .filter(rate_limits::bucket.eq(bucket))
        .filter(rate_limits::window_start.ge(since))
        .select((rate_limits::hits, rate_limits::last_hit_at))
        .load(c)?;
    let hits = rows.iter().map(|(h, _)| i64::from(*h)).sum();
    let last = rows.iter().filter_map(|(_, l)| *l).max();
    Ok((hits, last))
}

/// Forgets every window of `bucket` (a right password clears its failures).
pub fn rate_limit_clear(c: &mut DbConnection, bucket: &str) -> StoreResult<usize> {
    Ok(diesel::delete(rate_limits::table.filter(rate_limits::bucket.eq(bucket))).execute(c)?)
}

/// What [`prune`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub sessions: usize,
    pub tokens: usize,
    pub rate_limits: usize,
}

/// How long ended sessions and used or expired links are kept (for the record of
/// recent sign-ins) before they are deleted.
pub const KEEP_ENDED: chrono::Duration = chrono::Duration::days(7);
/// How long rate-limit windows are kept: longer than any window or slow-down lasts.
pub const KEEP_RATE_LIMITS: chrono::Duration = chrono::Duration::hours(2);

/// Deletes what no longer does anything: sessions that ended and links that expired
/// more than [`KEEP_ENDED`] ago, and rate-limit windows older than
/// [`KEEP_RATE_LIMITS`]. Safe to run at any time and on several instances.
pub fn prune(c: &mut DbConnection, now: NaiveDateTime) -> StoreResult<Pruned> {
    let ended = now - KEEP_ENDED;
    let sessions = diesel::delete(
        sessions::table.filter(
            sessions::expires_at
                .lt(ended)
                .or(sessions::revoked_at.lt(ended)),
        ),
    )
    .execute(c)?;
    let tokens = diesel::delete(
        login_tokens::table.filter(
            login_tokens::expires_at
                .lt(ended)
                .or(login_tokens::used_at.lt(ended)),
        ),
    )
    .execute(c)?;
    let rate_limits = diesel::delete(
        rate_limits::table.filter(rate_limits::window_start.lt(now - KEEP_RATE_LIMITS)),
    )
    .execute(c)?;
    Ok(Pruned {
        sessions,
        tokens,
        rate_limits,
    })
}
