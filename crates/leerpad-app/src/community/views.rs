//! What the community's pages and API show, read for one person: a space's
//! threads, a thread's posts, the moderation queue. Reading a thread remembers
//! how far its reader got (unread markers).

use leerpad_core::community::{pages, POSTS_PER_PAGE, THREADS_PER_PAGE};
use leerpad_markdown::learner_html;
use leerpad_store::community::{self as store, PostRow, QueueRow, Thread, ThreadRow};
use leerpad_store::{DbConnection, StoreResult};

use super::InSpace;

/// A page of a space's threads.
#[derive(Debug, Clone)]
pub struct SpaceView {
    pub threads: Vec<ThreadRow>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    /// The reader accepted the guidelines (or moderates: they need not).
    pub accepted_guidelines: bool,
    /// The space's own guidelines as HTML, when it has them.
    pub own_guidelines: Option<String>,
}

pub fn space(c: &mut DbConnection, at: &InSpace, page: i64) -> StoreResult<SpaceView> {
    let (threads, total) = store::threads_page(c, at.space.id, at.user.id, page)?;
    Ok(SpaceView {
        threads,
        total,
        page: page.max(1),
        pages: pages(total, THREADS_PER_PAGE),
        accepted_guidelines: accepted(c, at)?,
        own_guidelines: at.space.guidelines.as_deref().map(learner_html),
    })
}

fn accepted(c: &mut DbConnection, at: &InSpace) -> StoreResult<bool> {
    Ok(at.access.moderate || store::has_accepted(c, at.user.id, at.space.id)?)
}

/// A page of a thread: its opening post on every page, then the replies.
#[derive(Debug, Clone)]
pub struct ThreadView {
    pub thread: Thread,
    pub opening: PostRow,
    pub replies: Vec<PostRow>,
    pub total_replies: i64,
    pub page: i64,
    pub pages: i64,
    /// Others' replies wait until the reader posts an answer of their own.
    pub answer_first_pending: bool,
    pub following: bool,
    /// The newest post the reader had seen before this page (for "new" markers).
    pub last_read: i32,
    pub accepted_guidelines: bool,
    /// The space's invited experts (their posts carry the badge).
    pub experts: Vec<i32>,
}

/// The states of posts the reader sees in a thread (moderators see all).
fn visible_states(at: &InSpace) -> Vec<&'static str> {
    if at.access.moderate {
        vec!["visible", "held", "hidden", "deleted"]
    } else {
        vec!["visible", "deleted"]
    }
}

pub fn thread(
    c: &mut DbConnection,
    at: &InSpace,
    thread: &Thread,
    page: i64,
) -> StoreResult<Option<ThreadView>> {
    let Some(first) = store::first_post(c, thread.id)? else {
        return Ok(None);
    };
    let mut opening = store::post_rows(c, &[first.id])?.remove(0);
    // An opening post the reader may not see keeps its place, without its text.
    if !at.sees(&opening.post) {
        opening.post.body.clear();
        opening.post.html.clear();
    }
    let answer_first_pending = thread.answer_first
        && !at.access.moderate
        && !store::has_answered(c, thread.id, at.user.id)?;
    let states = visible_states(at);
    let (mut replies, total_replies) = if answer_first_pending {
        (Vec::new(), 0)
    } else {
        (
            store::replies_page(c, thread.id, first.id, &states, page)?,
            store::count_replies(c, thread.id, first.id, &states)?,
        )
    };
    // The reader's own held or hidden replies show to them, marked (the opening
    // post has its own place above them).
    if !at.access.moderate && !answer_first_pending {
        let mut own = store::own_unpublished(c, thread.id, at.user.id)?;
        own.retain(|id| *id != first.id);
        if !own.is_empty() {
            replies.extend(store::post_rows(c, &own)?);
            replies.sort_by_key(|r| r.post.id);
            replies.dedup_by_key(|r| r.post.id);
        }
    }
    let last_read = store::last_read(c, at.user.id, thread.id)?;
    let newest = replies
        .iter()
        .map(|r| r.post.id)
        .chain([first.id])
        .max()
        .unwrap_or(first.id);
    if newest > last_read {
        store::mark_read(c, at.user.id, thread.id, newest)?;
    }
    Ok(Some(ThreadView {
        thread: thread.clone(),
        opening,
        replies,
        total_replies,
        page: page.max(1),
        pages: pages(total_replies, POSTS_PER_PAGE),
        answer_first_pending,
        following: store::follows(c, at.user.id, thread.id)?,
        last_read,
        accepted_guidelines: accepted(c, at)?,
        experts: store::experts(c, at.space.id)?
            .into_iter()
            .map(|(id, _)| id)
            .collect(),
    }))
}

/// The moderation queue of the spaces `keys` (every space when `None`), with
/// each post's report reasons (never who reported).
pub fn queue(
    c: &mut DbConnection,
    keys: Option<&[String]>,
) -> StoreResult<Vec<(QueueRow, Vec<String>)>> {
    let rows = store::queue(c, keys)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let reasons = store::report_reasons(c, &row.row.post)?;
        out.push((row, reasons));
    }
    Ok(out)
}

/// The page a post is on in its thread, for links to it (1 for the opening post).
pub fn page_of(
    c: &mut DbConnection,
    at: &InSpace,
    post_id: i32,
    thread_id: i32,
) -> StoreResult<i64> {
    let Some(first) = store::first_post(c, thread_id)? else {
        return Ok(1);
    };
    if post_id == first.id {
        return Ok(1);
    }
    let before = store::count_replies_before(c, thread_id, first.id, post_id, &visible_states(at))?;
    Ok(before / POSTS_PER_PAGE + 1)
}
