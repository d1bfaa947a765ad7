//! Users, sessions, one-time sign-in tokens and rate limits.
//!
//! The web layer generates secrets (session ids, tokens) and passes only what may be
//! stored: session ids are random and unguessable, token values are stored as hashes.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use leerpad_core::Role;

use crate::db::DbConnection;
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

/// Extends a live session (when its cookie is rotated).
pub fn extend_session(
    c: &mut DbConnection,
    session_id: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> StoreResult<()> {
    diesel::update(
        sessions::table
            .find(session_id)
            .filter(sessions::revoked_at.is_null()),
    )
    .set((
        sessions::last_seen_at.eq(now),
        sessions::expires_at.eq(expires_at),
    ))
    .execute(c)?;
    Ok(())
}

pub fn revoke_session(
    c: &mut DbConnection,
    session_id: &str,
    now: NaiveDateTime,
) -> StoreResult<()> {
    diesel::update(
        sessions::table
            .find(session_id)
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
    diesel::insert_into(login_tokens::table)
        .values((
            login_tokens::token_hash.eq(token_hash),
            login_tokens::user_id.eq(user_id),
            login_tokens::purpose.eq(purpose.as_str()),
            login_tokens::created_at.eq(now),
            login_tokens::expires_at.eq(expires_at),
        ))
        .execute(c)?;
    Ok(())
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
) -> StoreResult<bool> {
    per_backend!(&mut *c, |b| diesel::insert_into(rate_limits::table)
        .values((
            rate_limits::bucket.eq(bucket),
            rate_limits::window_start.eq(window_start),
            rate_limits::hits.eq(1),
        ))
        .on_conflict((rate_limits::bucket, rate_limits::window_start))
        .do_update()
        .set(rate_limits::hits.eq(rate_limits::hits + 1))
        .execute(b))?;
    let hits: i32 = rate_limits::table
        .find((bucket, window_start))
        .select(rate_limits::hits)
        .first(c)?;
    Ok(hits <= limit)
}

/// Forgets rate-limit windows that started before `before`.
pub fn prune_rate_limits(c: &mut DbConnection, before: NaiveDateTime) -> StoreResult<usize> {
    Ok(
        diesel::delete(rate_limits::table.filter(rate_limits::window_start.lt(before)))
            .execute(c)?,
    )
}
