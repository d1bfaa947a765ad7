//! The audit log: who did what, to what, when and why, for actions others must be
//! able to account for later (publishing a course, moderating the community).
//! Rows are only ever added. `actor_id` is `NULL` for what the system did by its
//! own rule (a post hidden by reports) and once the actor's account is gone.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;

use crate::db::DbConnection;
use crate::error::StoreResult;
use crate::schema::{audit_log, users};

/// Adds an entry: `action` is dotted (`community.hide`), `subject` names what it
/// was done to (`post:12`), `details` holds the rest (the reason, the space).
pub fn record(
    c: &mut DbConnection,
    actor_id: Option<i32>,
    action: &str,
    subject: &str,
    details: &Value,
    now: NaiveDateTime,
) -> StoreResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(now),
            audit_log::actor_id.eq(actor_id),
            audit_log::action.eq(action),
            audit_log::subject.eq(subject),
            audit_log::details.eq(details.to_string()),
        ))
        .execute(c)?;
    Ok(())
}

/// One entry, with the actor's name (`None`: the system, or a former member).
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Entry {
    pub at: NaiveDateTime,
    pub actor: Option<String>,
    pub action: String,
    pub subject: String,
    pub details: String,
}

/// The newest `limit` entries whose action starts with `prefix`, newest first.
pub fn recent(c: &mut DbConnection, prefix: &str, limit: i64) -> StoreResult<Vec<Entry>> {
    Ok(audit_log::table
        .left_join(users::table.on(users::id.nullable().eq(audit_log::actor_id)))
        .filter(audit_log::action.like(format!("{prefix}%")))
        .order((audit_log::at.desc(), audit_log::id.desc()))
        .limit(limit)
        .select((
            audit_log::at,
            users::display_name.nullable(),
            audit_log::action,
            audit_log::subject,
            audit_log::details,
        ))
        .load(c)?)
}
