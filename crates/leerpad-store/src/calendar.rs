//! The key a learner's calendar feed address is signed with. The feed's events are
//! the learner's enrolments ([`crate::learning::enrolments_of`]); renewing the key
//! voids the address given out before.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::StoreResult;
use crate::per_backend;
use crate::schema::calendar_feeds;

/// The learner's current feed key, if they ever asked for a feed.
pub fn feed_key(c: &mut DbConnection, user_id: i32) -> StoreResult<Option<String>> {
    Ok(calendar_feeds::table
        .find(user_id)
        .select(calendar_feeds::feed_key)
        .first(c)
        .optional()?)
}

/// Sets a new feed key (the first, or one replacing the old).
pub fn renew_feed_key(
    c: &mut DbConnection,
    user_id: i32,
    key: &str,
    now: NaiveDateTime,
) -> StoreResult<()> {
    per_backend!(&mut *c, |b| diesel::insert_into(calendar_feeds::table)
        .values((
            calendar_feeds::user_id.eq(user_id),
            calendar_feeds::feed_key.eq(key),
            calendar_feeds::created_at.eq(now),
        ))
        .on_conflict(calendar_feeds::user_id)
        .do_update()
        .set((
            calendar_feeds::feed_key.eq(key),
            calendar_feeds::created_at.eq(now),
        ))
        .execute(b))?;
    Ok(())
}
