//! The learning community's data: spaces, threads, posts, their edit history
//! and reports, what each member has read and follows, guidelines accepted and
//! restrictions. Who may do what is `leerpad_core::community`'s rule, applied by
//! the flows in `leerpad-app`; these functions only read and write.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use leerpad_core::community::{
    PostState, Restriction, RestrictionKind, SpaceKind, Standing, POSTS_PER_PAGE, THREADS_PER_PAGE,
};
use leerpad_core::Role;

use crate::accounts::User;
use crate::db::DbConnection;
use crate::error::{StoreError, StoreResult};
use crate::per_backend;
use crate::schema::{
    course_authors, enrolments, guideline_acceptances, memberships, organisations, post_reports,
    post_revisions, posts, space_experts, space_restrictions, spaces, thread_follows, thread_reads,
    threads, users,
};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = spaces)]
pub struct Space {
    pub id: i32,
    pub key: String,
    pub course_id: Option<String>,
    pub organisation_id: Option<i32>,
    pub guidelines: Option<String>,
    pub created_at: NaiveDateTime,
}

impl Space {
    pub fn kind(&self) -> SpaceKind {
        SpaceKind::from_key(&self.key).unwrap_or(SpaceKind::Network)
    }
}

/// The space `kind`, made if nobody opened it before.
pub fn space(c: &mut DbConnection, kind: &SpaceKind, now: NaiveDateTime) -> StoreResult<Space> {
    let key = kind.key();
    if let Some(s) = space_by_key(c, &key)? {
        return Ok(s);
    }
    let (course_id, organisation_id) = match kind {
        SpaceKind::Network => (None, None),
        SpaceKind::Course(id) => (Some(id.as_str()), None),
        SpaceKind::Organisation(id) => (None, Some(*id)),
    };
    per_backend!(&mut *c, |b| diesel::insert_into(spaces::table)
        .values((
            spaces::key.eq(&key),
            spaces::course_id.eq(course_id),
            spaces::organisation_id.eq(organisation_id),
            spaces::created_at.eq(now),
        ))
        .on_conflict(spaces::key)
        .do_nothing()
        .execute(b))?;
    space_by_key(c, &key)?.ok_or_else(|| StoreError::Invalid("a space vanished".into()))
}

pub fn space_by_key(c: &mut DbConnection, key: &str) -> StoreResult<Option<Space>> {
    Ok(spaces::table
        .filter(spaces::key.eq(key))
        .select(Space::as_select())
        .first(c)
        .optional()?)
}

pub fn space_by_id(c: &mut DbConnection, id: i32) -> StoreResult<Option<Space>> {
    Ok(spaces::table
        .find(id)
        .select(Space::as_select())
        .first(c)
        .optional()?)
}

/// Replaces a space's own guidelines (`None`: the site's apply).
pub fn set_guidelines(c: &mut DbConnection, space_id: i32, text: Option<&str>) -> StoreResult<()> {
    diesel::update(spaces::table.find(space_id))
        .set(spaces::guidelines.eq(text))
        .execute(c)?;
    Ok(())
}

/// What is known of `user` with respect to the space `kind` (`None`: signed out).
pub fn standing(
    c: &mut DbConnection,
    user: Option<&User>,
    kind: &SpaceKind,
    space_id: Option<i32>,
) -> StoreResult<Standing> {
    let Some(user) = user else {
        return Ok(Standing::default());
    };
    let mut s = Standing {
        role: Some(user.role()),
        ..Standing::default()
    };
    if user.is_disabled() {
        return Ok(Standing::default());
    }
    match kind {
        SpaceKind::Network => {
            s.in_any_organisation = memberships::table
                .filter(memberships::user_id.eq(user.id))
                .filter(memberships::accepted_at.is_not_null())
                .count()
                .get_result::<i64>(c)?
                > 0;
        }
        SpaceKind::Course(course) => {
            s.enrolled = enrolments::table
                .filter(enrolments::user_id.eq(user.id))
                .filter(enrolments::course_id.eq(course))
                .count()
                .get_result::<i64>(c)?
                > 0;
            s.authors = user.email_verified_at.is_some()
                && user.role() != Role::Learner
                && course_authors::table
                    .filter(course_authors::course_id.eq(course))
                    .filter(course_authors::email.eq(user.email.to_lowercase()))
                    .count()
                    .get_result::<i64>(c)?
                    > 0;
        }
        SpaceKind::Organisation(org) => {
            let role: Option<String> = memberships::table
                .find((*org, user.id))
                .filter(memberships::accepted_at.is_not_null())
                .select(memberships::role)
                .first(c)
                .optional()?;
            s.member = role.is_some();
            s.coordinates = role.as_deref() == Some("coordinator");
        }
    }
    if let Some(space_id) = space_id {
        s.restriction = restriction(c, space_id, user.id)?;
        s.expert = is_expert(c, space_id, user.id)?;
    }
    Ok(s)
}

/// The spaces someone signed in may find in the community's list, besides the
/// network: their courses' spaces and their organisations' spaces (as kinds;
/// `access` decides).
pub fn candidate_spaces(c: &mut DbConnection, user: &User) -> StoreResult<Vec<SpaceKind>> {
    let mut out = vec![SpaceKind::Network];
    let mut courses: Vec<String> = enrolments::table
        .filter(enrolments::user_id.eq(user.id))
        .select(enrolments::course_id)
        .load(c)?;
    if user.email_verified_at.is_some() && user.role() != Role::Learner {
        courses.extend(
            course_authors::table
                .filter(course_authors::email.eq(user.email.to_lowercase()))
                .select(course_authors::course_id)
                .load::<String>(c)?,
        );
    }
    courses.sort();
    courses.dedup();
    out.extend(courses.into_iter().map(SpaceKind::Course));
    let orgs: Vec<i32> = memberships::table
        .filter(memberships::user_id.eq(user.id))
        .filter(memberships::accepted_at.is_not_null())
        .select(memberships::organisation_id)
        .load(c)?;
    out.extend(orgs.into_iter().map(SpaceKind::Organisation));
    // Spaces they were invited to as an expert.
    let invited: Vec<String> = space_experts::table
        .inner_join(spaces::table)
        .filter(space_experts::user_id.eq(user.id))
        .select(spaces::key)
        .load(c)?;
    for key in invited {
        if let Some(kind) = SpaceKind::from_key(&key) {
            if !out.contains(&kind) {
                out.push(kind);
            }
        }
    }
    Ok(out)
}

/// Every space made so far (for administrators, who may read them all).
pub fn all_spaces(c: &mut DbConnection) -> StoreResult<Vec<Space>> {
    Ok(spaces::table
        .order(spaces::id)
        .select(Space::as_select())
        .load(c)?)
}

/// The name of an organisation, for an organisation space's title.
pub fn organisation_name(c: &mut DbConnection, id: i32) -> StoreResult<Option<(String, String)>> {
    Ok(organisations::table
        .find(id)
        .select((organisations::slug, organisations::name))
        .first(c)
        .optional()?)
}

// --- restrictions ---

pub fn restriction(
    c: &mut DbConnection,
    space_id: i32,
    user_id: i32,
) -> StoreResult<Option<Restriction>> {
    let row: Option<(String, Option<NaiveDateTime>)> = space_restrictions::table
        .find((space_id, user_id))
        .select((space_restrictions::kind, space_restrictions::until))
        .first(c)
        .optional()?;
    Ok(row.and_then(|(kind, until)| {
        RestrictionKind::parse(&kind).map(|kind| Restriction { kind, until })
    }))
}

/// Mutes or bans a member in a space until `until` (replacing what was there).
pub fn restrict(
    c: &mut DbConnection,
    space_id: i32,
    user_id: i32,
    kind: RestrictionKind,
    reason: &str,
    until: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> StoreResult<()> {
    lift(c, space_id, user_id)?;
    diesel::insert_into(space_restrictions::table)
        .values((
            space_restrictions::space_id.eq(space_id),
            space_restrictions::user_id.eq(user_id),
            space_restrictions::kind.eq(kind.as_str()),
            space_restrictions::reason.eq(reason),
            space_restrictions::until.eq(until),
            space_restrictions::created_at.eq(now),
        ))
        .execute(c)?;
    Ok(())
}

pub fn lift(c: &mut DbConnection, space_id: i32, user_id: i32) -> StoreResult<bool> {
    Ok(diesel::delete(space_restrictions::table.find((space_id, user_id))).execute(c)? > 0)
}

/// A member's restriction in a space, as the moderation page lists them.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct RestrictionRow {
    pub user_id: i32,
    pub name: String,
    pub kind: String,
    pub reason: String,
    pub until: Option<NaiveDateTime>,
}

pub fn restrictions(c: &mut DbConnection, space_id: i32) -> StoreResult<Vec<RestrictionRow>> {
    Ok(space_restrictions::table
        .inner_join(users::table)
        .filter(space_restrictions::space_id.eq(space_id))
        .order(users::display_name)
        .select((
            space_restrictions::user_id,
            users::display_name,
            space_restrictions::kind,
            space_restrictions::reason,
            space_restrictions::until,
        ))
        .load(c)?)
}

// --- experts ---

pub fn is_expert(c: &mut DbConnection, space_id: i32, user_id: i32) -> StoreResult<bool> {
    Ok(space_experts::table
        .find((space_id, user_id))
        .count()
        .get_result::<i64>(c)?
        > 0)
}

/// Invites `user_id` to the space as an expert; `false` when they already are.
pub fn add_expert(
    c: &mut DbConnection,
    space_id: i32,
    user_id: i32,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    Ok(
        per_backend!(&mut *c, |b| diesel::insert_into(space_experts::table)
            .values((
                space_experts::space_id.eq(space_id),
                space_experts::user_id.eq(user_id),
                space_experts::since.eq(now),
            ))
            .on_conflict((space_experts::space_id, space_experts::user_id))
            .do_nothing()
            .execute(b))?
            > 0,
    )
}

pub fn remove_expert(c: &mut DbConnection, space_id: i32, user_id: i32) -> StoreResult<bool> {
    Ok(diesel::delete(space_experts::table.find((space_id, user_id))).execute(c)? > 0)
}

/// A space's experts: id and name, by name.
pub fn experts(c: &mut DbConnection, space_id: i32) -> StoreResult<Vec<(i32, String)>> {
    Ok(space_experts::table
        .inner_join(users::table)
        .filter(space_experts::space_id.eq(space_id))
        .order(users::display_name)
        .select((users::id, users::display_name))
        .load(c)?)
}

// --- guidelines ---

pub fn has_accepted(c: &mut DbConnection, user_id: i32, space_id: i32) -> StoreResult<bool> {
    Ok(guideline_acceptances::table
        .find((user_id, space_id))
        .count()
        .get_result::<i64>(c)?
        > 0)
}

/// Forgets who accepted a space's guidelines (they changed).
pub fn forget_acceptances(c: &mut DbConnection, space_id: i32) -> StoreResult<()> {
    diesel::delete(
        guideline_acceptances::table.filter(guideline_acceptances::space_id.eq(space_id)),
    )
    .execute(c)?;
    Ok(())
}

pub fn accept_guidelines(
    c: &mut DbConnection,
    user_id: i32,
    space_id: i32,
    now: NaiveDateTime,
) -> StoreResult<()> {
    per_backend!(&mut *c, |b| diesel::insert_into(
        guideline_acceptances::table
    )
    .values((
        guideline_acceptances::user_id.eq(user_id),
        guideline_acceptances::space_id.eq(space_id),
        guideline_acceptances::accepted_at.eq(now),
    ))
    .on_conflict((
        guideline_acceptances::user_id,
        guideline_acceptances::space_id
    ))
    .do_nothing()
    .execute(b))?;
    Ok(())
}

// --- threads ---

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = threads)]
pub struct Thread {
    pub id: i32,
    pub space_id: i32,
    pub lesson_id: Option<String>,
    pub title: String,
    pub author_id: Option<i32>,
    pub question: bool,
    pub answer_first: bool,
    pub accepted_post_id: Option<i32>,
    pub locked_at: Option<NaiveDateTime>,
    pub pinned_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub last_post_at: NaiveDateTime,
}

pub fn thread(c: &mut DbConnection, id: i32) -> StoreResult<Option<Thread>> {
    Ok(threads::table
        .find(id)
        .select(Thread::as_select())
        .first(c)
        .optional()?)
}

/// The "discuss this lesson" thread of a lesson in a space, if someone opened it.
pub fn lesson_thread(
    c: &mut DbConnection,
    space_id: i32,
    lesson_id: &str,
) -> StoreResult<Option<Thread>> {
    Ok(threads::table
        .filter(threads::space_id.eq(space_id))
        .filter(threads::lesson_id.eq(lesson_id))
        .select(Thread::as_select())
        .first(c)
        .optional()?)
}

/// A new thread.
pub struct NewThread<'a> {
    pub space_id: i32,
    pub lesson_id: Option<&'a str>,
    pub title: &'a str,
    pub author_id: i32,
    pub question: bool,
    pub answer_first: bool,
}

/// Starts a thread with its opening post; returns the thread's and the post's ids.
pub fn create_thread(
    c: &mut DbConnection,
    new: &NewThread<'_>,
    post: &NewPost<'_>,
    now: NaiveDateTime,
) -> StoreResult<(i32, i32)> {
    let thread_id: i32 = per_backend!(&mut *c, |b| diesel::insert_into(threads::table)
        .values((
            threads::space_id.eq(new.space_id),
            threads::lesson_id.eq(new.lesson_id),
            threads::title.eq(new.title),
            threads::author_id.eq(new.author_id),
            threads::question.eq(new.question),
            threads::answer_first.eq(new.answer_first),
            threads::created_at.eq(now),
            threads::last_post_at.eq(now),
        ))
        .returning(threads::id)
        .get_result(b))?;
    let post_id = add_post(c, thread_id, post, now)?;
    Ok((thread_id, post_id))
}

/// One thread in a space's list, with what the reader has not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadRow {
    pub thread: Thread,
    pub author: Option<String>,
    /// Visible replies (the opening post not counted).
    pub replies: i64,
    /// Visible posts newer than what the reader last saw (all, when never opened).
    pub unread: i64,
}

/// Page `page` (from 1) of a space's threads, pinned ones first, then by last post;
/// and how many threads there are.
pub fn threads_page(
    c: &mut DbConnection,
    space_id: i32,
    reader: i32,
    page: i64,
) -> StoreResult<(Vec<ThreadRow>, i64)> {
    let total: i64 = threads::table
        .filter(threads::space_id.eq(space_id))
        .count()
        .get_result(c)?;
    // The page's threads are found in the index `threads_in_order` alone, so a
    // later page skips index entries instead of sorting every thread of the space
    // with its author; then only those threads are read.
    let order = (
        threads::pinned_at.is_null(),
        threads::pinned_at.desc(),
        threads::last_post_at.desc(),
        threads::id.desc(),
    );
    let ids: Vec<i32> = threads::table
        .filter(threads::space_id.eq(space_id))
        .order(order)
        .limit(THREADS_PER_PAGE)
        .offset((page.max(1) - 1) * THREADS_PER_PAGE)
        .select(threads::id)
        .load(c)?;
    let rows: Vec<(Thread, Option<String>)> = threads::table
        .left_join(users::table.on(users::id.nullable().eq(threads::author_id)))
        .filter(threads::id.eq_any(&ids))
        .order(order)
        .select((Thread::as_select(), users::display_name.nullable()))
        .load(c)?;
    let counts: Vec<(i32, i64)> = posts::table
        .filter(posts::thread_id.eq_any(&ids))
        .filter(posts::state.eq(PostState::Visible.as_str()))
        .group_by(posts::thread_id)
        .select((posts::thread_id, diesel::dsl::count_star()))
        .load(c)?;
    let read: Vec<(i32, i32)> = thread_reads::table
        .filter(thread_reads::user_id.eq(reader))
        .filter(thread_reads::thread_id.eq_any(&ids))
        .select((thread_reads::thread_id, thread_reads::last_post_id))
        .load(c)?;
    // Visible posts after the last one the reader saw, for all the page's threads
    // they opened in one query (a thread with none has no row: 0).
    let unread: Vec<(i32, i64)> = posts::table
        .inner_join(
            thread_reads::table.on(thread_reads::thread_id
                .eq(posts::thread_id)
                .and(thread_reads::user_id.eq(reader))),
        )
        .filter(posts::thread_id.eq_any(&ids))
        .filter(posts::state.eq(PostState::Visible.as_str()))
        .filter(posts::id.gt(thread_reads::last_post_id))
        .group_by(posts::thread_id)
        .select((posts::thread_id, diesel::dsl::count_star()))
        .load(c)?;
    let out = rows
        .into_iter()
        .map(|(thread, author)| {
            let visible = counts
                .iter()
                .find(|(t, _)| *t == thread.id)
                .map_or(0, |(_, n)| *n);
            let unread = match read.iter().any(|(t, _)| *t == thread.id) {
                true => unread
                    .iter()
                    .find(|(t, _)| *t == thread.id)
                    .map_or(0, |(_, n)| *n),
                false => visible,
            };
            ThreadRow {
                thread,
                author,
                replies: (visible - 1).max(0),
                unread,
            }
        })
        .collect();
    Ok((out, total))
}

pub fn set_locked(
    c: &mut DbConnection,
    thread_id: i32,
    at: Option<NaiveDateTime>,
) -> StoreResult<()> {
    diesel::update(threads::table.find(thread_id))
        .set(threads::locked_at.eq(at))
        .execute(c)?;
    Ok(())
}

pub fn set_pinned(
    c: &mut DbConnection,
    thread_id: i32,
    at: Option<NaiveDateTime>,
) -> StoreResult<()> {
    diesel::update(threads::table.find(thread_id))
        .set(threads::pinned_at.eq(at))
        .execute(c)?;
    Ok(())
}

pub fn set_accepted(c: &mut DbConnection, thread_id: i32, post_id: Option<i32>) -> StoreResult<()> {
    diesel::update(threads::table.find(thread_id))
        .set(threads::accepted_post_id.eq(post_id))
        .execute(c)?;
    Ok(())
}

/// Moves a thread to another space (a lesson thread stops being one).
pub fn move_thread(c: &mut DbConnection, thread_id: i32, space_id: i32) -> StoreResult<()> {
    diesel::update(threads::table.find(thread_id))
        .set((
            threads::space_id.eq(space_id),
            threads::lesson_id.eq(None::<String>),
        ))
        .execute(c)?;
    Ok(())
}

// --- posts ---

pub struct NewPost<'a> {
    pub author_id: i32,
    pub body: &'a str,
    pub html: &'a str,
    pub state: PostState,
}

/// Adds a post to a thread; a visible one moves the thread up its space's list.
pub fn add_post(
    c: &mut DbConnection,
    thread_id: i32,
    post: &NewPost<'_>,
    now: NaiveDateTime,
) -> StoreResult<i32> {
    let id: i32 = per_backend!(&mut *c, |b| diesel::insert_into(posts::table)
        .values((
            posts::thread_id.eq(thread_id),
            posts::author_id.eq(post.author_id),
            posts::body.eq(post.body),
            posts::html.eq(post.html),
            posts::state.eq(post.state.as_str()),
            posts::created_at.eq(now),
        ))
        .returning(posts::id)
        .get_result(b))?;
    if post.state == PostState::Visible {
        touch(c, thread_id, now)?;
    }
    Ok(id)
}

fn touch(c: &mut DbConnection, thread_id: i32, now: NaiveDateTime) -> StoreResult<()> {
    diesel::update(threads::table.find(thread_id))
        .set(threads::last_post_at.eq(now))
        .execute(c)?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = posts)]
pub struct Post {
    pub id: i32,
    pub thread_id: i32,
    pub author_id: Option<i32>,
    pub body: String,
    pub html: String,
    pub state: String,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    pub reviewed_at: Option<NaiveDateTime>,
}

impl Post {
    pub fn state(&self) -> PostState {
        PostState::parse(&self.state)
    }
}

pub fn post(c: &mut DbConnection, id: i32) -> StoreResult<Option<Post>> {
    Ok(posts::table
        .find(id)
        .select(Post::as_select())
        .first(c)
        .optional()?)
}

/// A post as a thread shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostRow {
    pub post: Post,
    /// `None` for a former member.
    pub author: Option<String>,
    pub author_role: Option<String>,
    pub revisions: i64,
    /// Reports since the post was last reviewed.
    pub open_reports: i64,
}

/// The opening post of a thread.
pub fn first_post(c: &mut DbConnection, thread_id: i32) -> StoreResult<Option<Post>> {
    Ok(posts::table
        .filter(posts::thread_id.eq(thread_id))
        .order(posts::id)
        .select(Post::as_select())
        .first(c)
        .optional()?)
}

/// How many replies (posts after the opening one) a thread has in the states given.
pub fn count_replies(
    c: &mut DbConnection,
    thread_id: i32,
    first_id: i32,
    states: &[&str],
) -> StoreResult<i64> {
    Ok(posts::table
        .filter(posts::thread_id.eq(thread_id))
        .filter(posts::id.gt(first_id))
        .filter(posts::state.eq_any(states))
        .count()
        .get_result(c)?)
}

/// How many replies before `post_id` a thread has in the states given.
pub fn count_replies_before(
    c: &mut DbConnection,
    thread_id: i32,
    first_id: i32,
    post_id: i32,
    states: &[&str],
) -> StoreResult<i64> {
    Ok(posts::table
        .filter(posts::thread_id.eq(thread_id))
        .filter(posts::id.gt(first_id))
        .filter(posts::id.lt(post_id))
        .filter(posts::state.eq_any(states))
        .count()
        .get_result(c)?)
}

/// The ids of `user_id`'s held or hidden posts in a thread.
pub fn own_unpublished(
    c: &mut DbConnection,
    thread_id: i32,
    user_id: i32,
) -> StoreResult<Vec<i32>> {
    Ok(posts::table
        .filter(posts::thread_id.eq(thread_id))
        .filter(posts::author_id.eq(user_id))
        .filter(posts::state.eq_any([PostState::Held.as_str(), PostState::Hidden.as_str()]))
        .select(posts::id)
        .load(c)?)
}

/// The posts `ids`, or page `page` of a thread's replies in the states given (the
/// opening post is not among them), in order, with their authors and counts.
pub fn replies_page(
    c: &mut DbConnection,
    thread_id: i32,
    first_id: i32,
    states: &[&str],
    page: i64,
) -> StoreResult<Vec<PostRow>> {
    // The page's posts are found in the index `posts_in_thread` alone, so a
    // later page skips index entries instead of reading every earlier post with
    // its author; then only those posts are read.
    let ids: Vec<i32> = posts::table
        .filter(posts::thread_id.eq(thread_id))
        .filter(posts::id.gt(first_id))
        .filter(posts::state.eq_any(states))
        .order(posts::id)
        .limit(POSTS_PER_PAGE)
        .offset((page.max(1) - 1) * POSTS_PER_PAGE)
        .select(posts::id)
        .load(c)?;
    post_rows(c, &ids)
}

/// Posts with their authors and counts, by id, in id order.
pub fn post_rows(c: &mut DbConnection, ids: &[i32]) -> StoreResult<Vec<PostRow>> {
    let rows: Vec<(Post, Option<String>, Option<String>)> = posts::table
        .left_join(users::table.on(users::id.nullable().eq(posts::author_id)))
        .filter(posts::id.eq_any(ids))
        .order(posts::id)
        .select((
            Post::as_select(),
            users::display_name.nullable(),
            users::role.nullable(),
        ))
        .load(c)?;
    with_counts(c, rows)
}

fn with_counts(
    c: &mut DbConnection,
    rows: Vec<(Post, Option<String>, Option<String>)>,
) -> StoreResult<Vec<PostRow>> {
    let ids: Vec<i32> = rows.iter().map(|(p, ..)| p.id).collect();
    let revisions: Vec<(i32, i64)> = post_revisions::table
        .filter(post_revisions::post_id.eq_any(&ids))
        .group_by(post_revisions::post_id)
        .select((post_revisions::post_id, diesel::dsl::count_star()))
        .load(c)?;
    let reports: Vec<(i32, NaiveDateTime)> = post_reports::table
        .filter(post_reports::post_id.eq_any(&ids))
        .select((post_reports::post_id, post_reports::reported_at))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|(post, author, author_role)| {
            let revisions = revisions
                .iter()
                .find(|(p, _)| *p == post.id)
                .map_or(0, |(_, n)| *n);
            let open_reports = reports
                .iter()
                .filter(|(p, at)| *p == post.id && post.reviewed_at.is_none_or(|r| *at > r))
                .count() as i64;
            PostRow {
                post,
                author,
                author_role,
                revisions,
                open_reports,
            }
        })
        .collect())
}

/// Replaces a post's text, keeping the old one in its history.
pub fn edit_post(
    c: &mut DbConnection,
    post: &Post,
    body: &str,
    html: &str,
    moderator_note: Option<&str>,
    now: NaiveDateTime,
) -> StoreResult<()> {
    diesel::insert_into(post_revisions::table)
        .values((
            post_revisions::post_id.eq(post.id),
            post_revisions::body.eq(&post.body),
            post_revisions::replaced_at.eq(now),
            post_revisions::by_moderator.eq(moderator_note.is_some()),
            post_revisions::note.eq(moderator_note),
        ))
        .execute(c)?;
    diesel::update(posts::table.find(post.id))
        .set((
            posts::body.eq(body),
            posts::html.eq(html),
            posts::edited_at.eq(now),
        ))
        .execute(c)?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = post_revisions)]
pub struct Revision {
    pub id: i32,
    pub post_id: i32,
    pub body: String,
    pub replaced_at: NaiveDateTime,
    pub by_moderator: bool,
    pub note: Option<String>,
}

/// A post's earlier texts, oldest first.
pub fn revisions(c: &mut DbConnection, post_id: i32) -> StoreResult<Vec<Revision>> {
    Ok(post_revisions::table
        .filter(post_revisions::post_id.eq(post_id))
        .order(post_revisions::id)
        .select(Revision::as_select())
        .load(c)?)
}

/// Removes a post's text and its earlier texts (its author deleted it).
pub fn delete_post_text(c: &mut DbConnection, post_id: i32) -> StoreResult<()> {
    diesel::delete(post_revisions::table.filter(post_revisions::post_id.eq(post_id))).execute(c)?;
    diesel::update(posts::table.find(post_id))
        .set((posts::body.eq(""), posts::html.eq("")))
        .execute(c)?;
    Ok(())
}

/// Sets a post's state; `reviewed` marks its reports so far as dealt with. A post
/// that becomes visible moves its thread up.
pub fn set_post_state(
    c: &mut DbConnection,
    post: &Post,
    state: PostState,
    reviewed: bool,
    now: NaiveDateTime,
) -> StoreResult<()> {
    diesel::update(posts::table.find(post.id))
        .set(posts::state.eq(state.as_str()))
        .execute(c)?;
    if reviewed {
        diesel::update(posts::table.find(post.id))
            .set(posts::reviewed_at.eq(now))
            .execute(c)?;
    }
    if state == PostState::Visible && post.state() == PostState::Held {
        touch(c, post.thread_id, now)?;
    }
    Ok(())
}

/// Records `user_id`'s report of a post (once per person: a second report changes
/// nothing) and returns the post's open reports.
pub fn report(
    c: &mut DbConnection,
    post: &Post,
    user_id: i32,
    reason: &str,
    now: NaiveDateTime,
) -> StoreResult<i64> {
    // A report made before the last review was dealt with: reporting again
    // after a review counts again.
    if let Some(reviewed) = post.reviewed_at {
        diesel::delete(
            post_reports::table
                .filter(post_reports::post_id.eq(post.id))
                .filter(post_reports::user_id.eq(user_id))
                .filter(post_reports::reported_at.le(reviewed)),
        )
        .execute(c)?;
    }
    per_backend!(&mut *c, |b| diesel::insert_into(post_reports::table)
        .values((
            post_reports::post_id.eq(post.id),
            post_reports::user_id.eq(user_id),
            post_reports::reason.eq(reason),
            post_reports::reported_at.eq(now),
        ))
        .on_conflict((post_reports::post_id, post_reports::user_id))
        .do_nothing()
        .execute(b))?;
    let mut open = post_reports::table
        .filter(post_reports::post_id.eq(post.id))
        .into_boxed();
    if let Some(reviewed) = post.reviewed_at {
        open = open.filter(post_reports::reported_at.gt(reviewed));
    }
    Ok(open.count().get_result(c)?)
}

/// The reasons given in a post's open reports (never who gave them).
pub fn report_reasons(c: &mut DbConnection, post: &Post) -> StoreResult<Vec<String>> {
    let mut q = post_reports::table
        .filter(post_reports::post_id.eq(post.id))
        .into_boxed();
    if let Some(reviewed) = post.reviewed_at {
        q = q.filter(post_reports::reported_at.gt(reviewed));
    }
    Ok(q.order(post_reports::reported_at)
        .select(post_reports::reason)
        .load(c)?)
}

/// How many of `author_id`'s posts are or were published (not held).
pub fn published_posts(c: &mut DbConnection, author_id: i32) -> StoreResult<i64> {
    Ok(posts::table
        .filter(posts::author_id.eq(author_id))
        .filter(posts::state.ne(PostState::Held.as_str()))
        .count()
        .get_result(c)?)
}

/// Whether `user_id` has a post in the thread that others can see (or that waits
/// for approval): for threads where one answers before seeing others' answers.
pub fn has_answered(c: &mut DbConnection, thread_id: i32, user_id: i32) -> StoreResult<bool> {
    Ok(posts::table
        .filter(posts::thread_id.eq(thread_id))
        .filter(posts::author_id.eq(user_id))
        .filter(posts::state.ne(PostState::Deleted.as_str()))
        .count()
        .get_result::<i64>(c)?
        > 0
        || first_post(c, thread_id)?.and_then(|p| p.author_id) == Some(user_id))
}

// --- the moderation queue ---

/// A post that needs a moderator: held for approval, or reported since its last
/// review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRow {
    pub row: PostRow,
    pub thread: Thread,
    pub space_key: String,
}

/// The posts waiting for a moderator in the spaces `space_keys` (every space
/// when `None`), oldest first.
pub fn queue(c: &mut DbConnection, space_keys: Option<&[String]>) -> StoreResult<Vec<QueueRow>> {
    let reported: Vec<(i32, NaiveDateTime, Option<NaiveDateTime>)> = post_reports::table
        .inner_join(posts::table)
        .select((
            post_reports::post_id,
            post_reports::reported_at,
            posts::reviewed_at,
        ))
        .load(c)?;
    let mut ids: Vec<i32> = reported
        .iter()
        .filter(|(_, at, reviewed)| reviewed.is_none_or(|r| *at > r))
        .map(|(id, ..)| *id)
        .collect();
    ids.extend(
        posts::table
            .filter(posts::state.eq(PostState::Held.as_str()))
            .select(posts::id)
            .load::<i32>(c)?,
    );
    ids.sort_unstable();
    ids.dedup();
    let rows = post_rows(c, &ids)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        if row.post.state() == PostState::Deleted {
            continue;
        }
        let Some(thread) = thread(c, row.post.thread_id)? else {
            continue;
        };
        let Some(space) = space_by_id(c, thread.space_id)? else {
            continue;
        };
        if space_keys.is_some_and(|keys| !keys.contains(&space.key)) {
            continue;
        }
        out.push(QueueRow {
            row,
            thread,
            space_key: space.key,
        });
    }
    Ok(out)
}

// --- reading and following ---

/// Remembers that `user_id` has seen the thread up to `last_post_id` (never
/// going back).
pub fn mark_read(
    c: &mut DbConnection,
    user_id: i32,
    thread_id: i32,
    last_post_id: i32,
) -> StoreResult<()> {
    let updated = diesel::update(
        thread_reads::table
            .find((user_id, thread_id))
            .filter(thread_reads::last_post_id.lt(last_post_id)),
    )
    .set(thread_reads::last_post_id.eq(last_post_id))
    .execute(c)?;
    if updated == 0 {
        per_backend!(&mut *c, |b| diesel::insert_into(thread_reads::table)
            .values((
                thread_reads::user_id.eq(user_id),
                thread_reads::thread_id.eq(thread_id),
                thread_reads::last_post_id.eq(last_post_id),
            ))
            .on_conflict((thread_reads::user_id, thread_reads::thread_id))
            .do_nothing()
            .execute(b))?;
    }
    Ok(())
}

/// The newest post `user_id` has seen in a thread (0: never opened).
pub fn last_read(c: &mut DbConnection, user_id: i32, thread_id: i32) -> StoreResult<i32> {
    Ok(thread_reads::table
        .find((user_id, thread_id))
        .select(thread_reads::last_post_id)
        .first(c)
        .optional()?
        .unwrap_or(0))
}

pub fn follows(c: &mut DbConnection, user_id: i32, thread_id: i32) -> StoreResult<bool> {
    Ok(thread_follows::table
        .find((user_id, thread_id))
        .count()
        .get_result::<i64>(c)?
        > 0)
}

pub fn follow(
    c: &mut DbConnection,
    user_id: i32,
    thread_id: i32,
    now: NaiveDateTime,
) -> StoreResult<()> {
    per_backend!(&mut *c, |b| diesel::insert_into(thread_follows::table)
        .values((
            thread_follows::user_id.eq(user_id),
            thread_follows::thread_id.eq(thread_id),
            thread_follows::since.eq(now),
        ))
        .on_conflict((thread_follows::user_id, thread_follows::thread_id))
        .do_nothing()
        .execute(b))?;
    Ok(())
}

pub fn unfollow(c: &mut DbConnection, user_id: i32, thread_id: i32) -> StoreResult<()> {
    diesel::delete(thread_follows::table.find((user_id, thread_id))).execute(c)?;
    Ok(())
}

/// Who follows a thread (active accounts only).
pub fn followers(c: &mut DbConnection, thread_id: i32) -> StoreResult<Vec<User>> {
    Ok(users::table
        .inner_join(thread_follows::table)
        .filter(thread_follows::thread_id.eq(thread_id))
        .filter(users::disabled_at.is_null())
        .order(users::id)
        .select(User::as_select())
        .load(c)?)
}

/// Removes every post a member wrote (they chose so when deleting their
/// account): a thread nobody else posted in goes whole; elsewhere their posts
/// stay as "removed" markers with no text and no author, so replies keep their
/// place, and their posts' earlier texts go too.
pub fn remove_posts_of(c: &mut DbConnection, user_id: i32) -> StoreResult<()> {
    let started: Vec<i32> = threads::table
        .filter(threads::author_id.eq(user_id))
        .select(threads::id)
        .load(c)?;
    for thread_id in started {
        let others: i64 = posts::table
            .filter(posts::thread_id.eq(thread_id))
            .filter(posts::author_id.ne(user_id).or(posts::author_id.is_null()))
            .count()
            .get_result(c)?;
        if others == 0 {
            diesel::delete(threads::table.find(thread_id)).execute(c)?;
        }
    }
    let theirs = posts::table
        .filter(posts::author_id.eq(user_id))
        .select(posts::id);
    diesel::delete(post_revisions::table.filter(post_revisions::post_id.eq_any(theirs)))
        .execute(c)?;
    diesel::update(posts::table.filter(posts::author_id.eq(user_id)))
        .set((
            posts::body.eq(""),
            posts::html.eq(""),
            posts::state.eq(PostState::Deleted.as_str()),
            posts::author_id.eq(None::<i32>),
        ))
        .execute(c)?;
    Ok(())
}

// --- a member's data ---

/// Everything of the community about `user_id`, for their data download: the
/// threads they started, their posts with earlier texts, their reports, what
/// they read and follow, the guidelines they accepted and their restrictions.
pub fn export(c: &mut DbConnection, user_id: i32) -> StoreResult<serde_json::Value> {
    use serde_json::json;
    let time = |t: NaiveDateTime| {
        t.and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let key_of = |c: &mut DbConnection, space_id: i32| -> StoreResult<String> {
        Ok(space_by_id(c, space_id)?.map(|s| s.key).unwrap_or_default())
    };
    let started: Vec<Thread> = threads::table
        .filter(threads::author_id.eq(user_id))
        .order(threads::id)
        .select(Thread::as_select())
        .load(c)?;
    let mut threads_out = Vec::new();
    for t in &started {
        threads_out.push(json!({
            "thread": t.id, "space": key_of(c, t.space_id)?, "title": t.title,
            "question": t.question, "created_at": time(t.created_at),
        }));
    }
    let written: Vec<Post> = posts::table
        .filter(posts::author_id.eq(user_id))
        .order(posts::id)
        .select(Post::as_select())
        .load(c)?;
    let mut posts_out = Vec::new();
    for p in &written {
        let revisions: Vec<serde_json::Value> = revisions(c, p.id)?
            .into_iter()
            .map(|r| json!({ "body": r.body, "replaced_at": time(r.replaced_at), "by_moderator": r.by_moderator, "note": r.note }))
            .collect();
        posts_out.push(json!({
            "post": p.id, "thread": p.thread_id, "body": p.body, "state": p.state,
            "created_at": time(p.created_at), "edited_at": p.edited_at.map(time),
            "revisions": revisions,
        }));
    }
    let reports: Vec<(i32, String, NaiveDateTime)> = post_reports::table
        .filter(post_reports::user_id.eq(user_id))
        .order(post_reports::reported_at)
        .select((
            post_reports::post_id,
            post_reports::reason,
            post_reports::reported_at,
        ))
        .load(c)?;
    let read: Vec<(i32, i32)> = thread_reads::table
        .filter(thread_reads::user_id.eq(user_id))
        .order(thread_reads::thread_id)
        .select((thread_reads::thread_id, thread_reads::last_post_id))
        .load(c)?;
    let follows: Vec<(i32, NaiveDateTime)> = thread_follows::table
        .filter(thread_follows::user_id.eq(user_id))
        .order(thread_follows::thread_id)
        .select((thread_follows::thread_id, thread_follows::since))
        .load(c)?;
    let accepted: Vec<(i32, NaiveDateTime)> = guideline_acceptances::table
        .filter(guideline_acceptances::user_id.eq(user_id))
        .order(guideline_acceptances::space_id)
        .select((
            guideline_acceptances::space_id,
            guideline_acceptances::accepted_at,
        ))
        .load(c)?;
    let mut accepted_out = Vec::new();
    for (space_id, at) in accepted {
        accepted_out.push(json!({ "space": key_of(c, space_id)?, "accepted_at": time(at) }));
    }
    let restricted: Vec<(i32, String, String, Option<NaiveDateTime>)> = space_restrictions::table
        .filter(space_restrictions::user_id.eq(user_id))
        .order(space_restrictions::space_id)
        .select((
            space_restrictions::space_id,
            space_restrictions::kind,
            space_restrictions::reason,
            space_restrictions::until,
        ))
        .load(c)?;
    let mut restricted_out = Vec::new();
    for (space_id, kind, reason, until) in restricted {
        restricted_out.push(json!({ "space": key_of(c, space_id)?, "kind": kind, "reason": reason, "until": until.map(time) }));
    }
    let invited: Vec<(i32, NaiveDateTime)> = space_experts::table
        .filter(space_experts::user_id.eq(user_id))
        .order(space_experts::space_id)
        .select((space_experts::space_id, space_experts::since))
        .load(c)?;
    let mut expert_out = Vec::new();
    for (space_id, since) in invited {
        expert_out.push(json!({ "space": key_of(c, space_id)?, "since": time(since) }));
    }
    Ok(json!({
        "expert_in": expert_out,
        "threads": threads_out,
        "posts": posts_out,
        "reports": reports.into_iter().map(|(post, reason, at)| json!({ "post": post, "reason": reason, "reported_at": time(at) })).collect::<Vec<_>>(),
        "read": read.into_iter().map(|(thread, last)| json!({ "thread": thread, "last_post": last })).collect::<Vec<_>>(),
        "follows": follows.into_iter().map(|(thread, since)| json!({ "thread": thread, "since": time(since) })).collect::<Vec<_>>(),
        "guidelines_accepted": accepted_out,
        "restrictions": restricted_out,
    }))
}

// --- search ---

/// A post found by search.
#[derive(Debug, Clone, PartialEq, Eq, diesel::QueryableByName)]
pub struct Found {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub post_id: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub thread_id: i32,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub title: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub space_id: i32,
    /// Plain text around the words found, which are marked with
    /// [`crate::search::MARK_START`] and [`crate::search::MARK_END`].
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub snippet: String,
}

/// The best `limit` visible posts matching `query` in the spaces `space_ids`.
pub fn search(
    c: &mut DbConnection,
    query: &leerpad_core::search::SearchQuery,
    space_ids: &[i32],
    limit: i32,
) -> StoreResult<Vec<Found>> {
    use diesel::sql_types::{Integer, Text};
    if space_ids.is_empty() {
        return Ok(Vec::new());
    }
    // Ids are numbers from the database: safe to write into the query.
    let spaces = space_ids
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let found = match c {
        DbConnection::Sqlite(c) => diesel::sql_query(format!(
            "SELECT p.id AS post_id, t.id AS thread_id, t.title, t.space_id, \
               snippet(post_search, 0, char(2), char(3), '…', 24) AS snippet \
             FROM post_search JOIN posts p ON p.id = post_search.rowid \
             JOIN threads t ON t.id = p.thread_id \
             WHERE post_search MATCH ? AND p.state = 'visible' AND t.space_id IN ({spaces}) \
             ORDER BY bm25(post_search), p.id DESC LIMIT ?"
        ))
        .bind::<Text, _>(query.fts5())
        .bind::<Integer, _>(limit)
        .load(c)?,
        DbConnection::Pg(c) => diesel::sql_query(format!(
            "SELECT p.id AS post_id, t.id AS thread_id, t.title, t.space_id, \
               ts_headline('simple', p.body, to_tsquery('simple', $1), \
                 'StartSel=' || chr(2) || ', StopSel=' || chr(3) || \
                 ', MaxWords=24, MinWords=10, MaxFragments=2, FragmentDelimiter=\" … \"') AS snippet \
             FROM posts p JOIN threads t ON t.id = p.thread_id \
             WHERE to_tsvector('simple', p.body) @@ to_tsquery('simple', $1) \
               AND p.state = 'visible' AND t.space_id IN ({spaces}) \
             ORDER BY ts_rank(to_tsvector('simple', p.body), to_tsquery('simple', $1)) DESC, p.id DESC \
             LIMIT $2"
        ))
        .bind::<Text, _>(query.tsquery())
        .bind::<Integer, _>(limit)
        .load(c)?,
    };
    Ok(found)
}
