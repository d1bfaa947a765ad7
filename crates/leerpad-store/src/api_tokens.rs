//! API tokens: records behind the signed JWTs coordinators use for reports. The
//! token itself is never stored; its `jti` is the row's id, so a token can be
//! listed, checked and revoked.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::StoreResult;
use crate::schema::api_tokens;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: String,
    pub user_id: i32,
    pub name: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

impl ApiToken {
    pub fn is_usable(&self, now: NaiveDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

pub fn create(
    c: &mut DbConnection,
    id: &str,
    user_id: i32,
    name: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> StoreResult<()> {
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::id.eq(id),
            api_tokens::user_id.eq(user_id),
            api_tokens::name.eq(name),
            api_tokens::created_at.eq(now),
            api_tokens::expires_at.eq(expires_at),
        ))
        .execute(c)?;
    Ok(())
}

/// The user's tokens, newest first.
pub fn of_user(c: &mut DbConnection, user_id: i32) -> StoreResult<Vec<ApiToken>> {
    Ok(api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .order(api_tokens::created_at.desc())
        .select(ApiToken::as_select())
        .load(c)?)
}

pub fn get(c: &mut DbConnection, id: &str) -> StoreResult<Option<ApiToken>> {
    Ok(api_tokens::table
        .find(id)
        .select(ApiToken::as_select())
        .first(c)
        .optional()?)
}

/// Revokes one of the user's tokens; `false` if they have no such token (or it was
/// revoked before).
pub fn revoke(
    c: &mut DbConnection,
    user_id: i32,
    id: &str,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    let n = diesel::update(
        api_tokens::table
            .filter(api_tokens::id.eq(id))
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(Some(now)))
    .execute(c)?;
    Ok(n > 0)
}

pub fn touch(c: &mut DbConnection, id: &str, now: NaiveDateTime) -> StoreResult<()> {
    diesel::update(api_tokens::table.find(id))
        .set(api_tokens::last_used_at.eq(Some(now)))
        .execute(c)?;
    Ok(())
}
