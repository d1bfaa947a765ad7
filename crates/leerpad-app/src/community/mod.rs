//! The learning community's flows: starting a thread, replying, editing and
//! deleting one's post, reporting, accepting an answer, accepting the
//! guidelines, following; and moderating (approve, hide, restore, edit with a
//! note, lock, pin, move, mute or ban), each kept in the audit log with who,
//! when and why.
//!
//! Who may act is a proof: [`InSpace`] exists only for someone who may read the
//! space (the rule is `leerpad_core::community::access`), and [`Moderating`]
//! only for someone who moderates it. A page or an API call that cannot make an
//! `InSpace` answers 404: nobody learns which spaces and threads exist.

use chrono::{NaiveDateTime, TimeDelta};
use leerpad_core::community::{
    access, clean_body, clean_reason, clean_title, Access, Moderation, PostState, RestrictionKind,
    SpaceKind,
};
use leerpad_core::nudges::Preference;
use leerpad_markdown::learner_html;
use leerpad_store::accounts::{self, User};
use leerpad_store::community::{self as store, NewPost, NewThread, Post, Space, Thread};
use leerpad_store::db::write_transaction;
use leerpad_store::{audit, nudges, DbConnection, StoreResult};
use serde_json::json;

use crate::error::FlowResult;
use crate::limits::{Key, Limit};
use crate::outbox::Outbox;
use crate::refusal::Refusal;

/// Proof that `user` may read `space`, with what else they may do there.
#[derive(Debug, Clone)]
pub struct InSpace {
    space: Space,
    user: User,
    access: Access,
}

impl InSpace {
    /// The proof for the space `kind` (made if nobody opened it before), or `None`
    /// when `user` may not read it.
    pub fn open(
        c: &mut DbConnection,
        user: &User,
        kind: &SpaceKind,
        now: NaiveDateTime,
    ) -> StoreResult<Option<InSpace>> {
        // Whether they may read it is decided before the space is made, so
        // strangers never make rows.
        let before = store::space_by_key(c, &kind.key())?;
        let standing = store::standing(c, Some(user), kind, before.as_ref().map(|s| s.id))?;
        let access = access(kind, &standing, now);
        if !access.read {
            return Ok(None);
        }
        let space = match before {
            Some(s) => s,
            None => store::space(c, kind, now)?,
        };
        Ok(Some(InSpace {
            space,
            user: user.clone(),
            access,
        }))
    }

    /// The proof for the space a thread is in, with the thread.
    pub fn of_thread(
        c: &mut DbConnection,
        user: &User,
        thread_id: i32,
        now: NaiveDateTime,
    ) -> StoreResult<Option<(InSpace, Thread)>> {
        let Some(thread) = store::thread(c, thread_id)? else {
            return Ok(None);
        };
        let Some(space) = store::space_by_id(c, thread.space_id)? else {
            return Ok(None);
        };
        Ok(Self::open(c, user, &space.kind(), now)?.map(|s| (s, thread)))
    }

    /// The proof for the space a post is in, with its thread and the post.
    pub fn of_post(
        c: &mut DbConnection,
        user: &User,
        post_id: i32,
        now: NaiveDateTime,
    ) -> StoreResult<Option<(InSpace, Thread, Post)>> {
        let Some(post) = store::post(c, post_id)? else {
            return Ok(None);
        };
        let Some((space, thread)) = Self::of_thread(c, user, post.thread_id, now)? else {
            return Ok(None);
        };
        // A post one may not see is not there.
        if !space.sees(&post) {
            return Ok(None);
        }
        Ok(Some((space, thread, post)))
    }

    pub fn space(&self) -> &Space {
        &self.space
    }

    pub fn user(&self) -> &User {
        &self.user
    }

    pub fn access(&self) -> Access {
        self.access
    }

    /// Whether this person sees a post: visible posts, their own held ones, and
    /// everything for a moderator.
    pub fn sees(&self, post: &Post) -> bool {
        match post.state() {
            PostState::Visible | PostState::Deleted => true,
            PostState::Held | PostState::Hidden => {
                self.access.moderate || post.author_id == Some(self.user.id)
            }
        }
    }

    /// The moderator's proof, when this person moderates the space.
    pub fn moderating(&self) -> Option<Moderating> {
        self.access.moderate.then(|| Moderating {
            space: self.clone(),
        })
    }
}

/// Proof that someone moderates a space.
#[derive(Debug, Clone)]
pub struct Moderating {
    space: InSpace,
}

impl Moderating {
    pub fn space(&self) -> &InSpace {
        &self.space
    }
}

/// What someone writes to start a thread.
#[derive(Debug, Clone, Default)]
pub struct ThreadInput {
    pub title: String,
    pub body: String,
    pub question: bool,
    /// Learners post their answer before they see others' (moderators set it).
    pub answer_first: bool,
}

/// A post made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posted {
    pub thread_id: i32,
    pub post_id: i32,
    /// Waiting for a moderator's approval before others see it.
    pub held: bool,
}

/// Everything a flow of this module needs besides its input.
#[derive(Clone)]
pub struct Community {
    pub outbox: Outbox,
    pub base_url: String,
    pub moderation: Moderation,
    /// The site's signing secret: reply emails carry a signed one-click
    /// unsubscribe link.
    pub secret: Vec<u8>,
}

impl Community {
    /// Checks that the writer may post now, and the state the post starts in.
    fn may_post(
        &self,
        c: &mut DbConnection,
        at: &InSpace,
        now: NaiveDateTime,
    ) -> FlowResult<Result<PostState, Refusal>> {
        if !at.access.post {
            return Ok(Err(Refusal::MayNotPost));
        }
        if !at.access.moderate && !store::has_accepted(c, at.user.id, at.space.id)? {
            return Ok(Err(Refusal::GuidelinesFirst));
        }
        let earlier = store::published_posts(c, at.user.id)?;
        // Counted last, in the flow's transaction: only posts made count.
        if !at.access.moderate {
            let limit = Limit {
                purpose: "post",
                max: i32::try_from(self.moderation.posts_per_window).unwrap_or(i32::MAX),
                window: TimeDelta::minutes(i64::from(self.moderation.window_minutes)),
            };
            if limit.hit(c, &Key::Account(at.user.id), now)?.is_err() {
                return Ok(Err(Refusal::PostingTooFast));
            }
        }
        Ok(Ok(self
            .moderation
            .new_post_state(earlier, at.access.moderate)))
    }

    /// Starts a thread in a space (or the thread of a lesson, `lesson`), its
    /// author following it.
    pub fn start_thread(
        &self,
        c: &mut DbConnection,
        at: &InSpace,
        input: &ThreadInput,
        lesson: Option<&str>,
        now: NaiveDateTime,
    ) -> FlowResult<Result<Posted, Refusal>> {
        let Some(title) = clean_title(&input.title) else {
            return Ok(Err(Refusal::MissingTitle));
        };
        let Some(body) = clean_body(&input.body) else {
            return Ok(Err(Refusal::MissingText));
        };
        // Someone else opened the lesson's thread meanwhile: this is a reply to it.
        if let Some(lesson) = lesson {
            if let Some(existing) = store::lesson_thread(c, at.space.id, lesson)? {
                return self.reply(c, at, &existing, &body, now);
            }
        }
        write_transaction(c, |c| {
            let state = match self.may_post(c, at, now)? {
                Ok(s) => s,
                Err(r) => return Ok(Err(r)),
            };
            let html = learner_html(&body);
            let (thread_id, post_id) = store::create_thread(
                c,
                &NewThread {
                    space_id: at.space.id,
                    lesson_id: lesson,
                    title: &title,
                    author_id: at.user.id,
                    question: input.question,
                    answer_first: input.question && input.answer_first && at.access.moderate,
                },
                &NewPost {
                    author_id: at.user.id,
                    body: &body,
                    html: &html,
                    state,
                },
                now,
            )?;
            store::follow(c, at.user.id, thread_id, now)?;
            store::mark_read(c, at.user.id, thread_id, post_id)?;
            Ok(Ok(Posted {
                thread_id,
                post_id,
                held: state == PostState::Held,
            }))
        })
    }

    /// Replies in a thread; its followers (the writer now among them) are told by
    /// email once the reply is visible.
    pub fn reply(
        &self,
        c: &mut DbConnection,
        at: &InSpace,
        thread: &Thread,
        body: &str,
        now: NaiveDateTime,
    ) -> FlowResult<Result<Posted, Refusal>> {
        let Some(body) = clean_body(body) else {
            return Ok(Err(Refusal::MissingText));
        };
        write_transaction(c, |c| {
            if thread.locked_at.is_some() && !at.access.moderate {
                return Ok(Err(Refusal::ThreadLocked));
            }
            let state = match self.may_post(c, at, now)? {
                Ok(s) => s,
                Err(r) => return Ok(Err(r)),
            };
            let html = learner_html(&body);
            let post_id = store::add_post(
                c,
                thread.id,
                &NewPost {
                    author_id: at.user.id,
                    body: &body,
                    html: &html,
                    state,
                },
                now,
            )?;
            store::follow(c, at.user.id, thread.id, now)?;
            store::mark_read(c, at.user.id, thread.id, post_id)?;
            if state == PostState::Visible {
                self.tell_followers(c, thread, post_id, &at.user, now)?;
            }
            Ok(Ok(Posted {
                thread_id: thread.id,
                post_id,
                held: state == PostState::Held,
            }))
        })
    }

    /// Queues one email per follower (never the writer, never twice per post) for
    /// those who did not turn email off.
    fn tell_followers(
        &self,
        c: &mut DbConnection,
        thread: &Thread,
        post_id: i32,
        writer: &User,
        now: NaiveDateTime,
    ) -> FlowResult<()> {
        let Some(post) = store::post(c, post_id)? else {
            return Ok(());
        };
        let Some(space) = store::space_by_id(c, thread.space_id)? else {
            return Ok(());
        };
        for follower in store::followers(c, thread.id)? {
            if follower.id == writer.id
                || nudges::preference(c, follower.id)? == Some(Preference::None)
            {
                continue;
            }
            // A follower who may no longer read the space is not told.
            let standing = store::standing(c, Some(&follower), &space.kind(), Some(space.id))?;
            if !access(&space.kind(), &standing, now).read {
                continue;
            }
            let link = format!(
                "{}/community/threads/{}#post-{post_id}",
                self.base_url, thread.id
            );
            let ctx = json!({
                "name": follower.display_name, "writer": writer.display_name,
                "thread": thread.title, "text": post.body, "link": link,
                "preferences_link": format!("{}/me/notifications", self.base_url),
            });
            let key = format!("community-reply:{post_id}:{}", follower.id);
            let unsubscribe = format!(
                "{}/unsubscribe/{}",
                self.base_url,
                crate::signed::unsubscribe_token(&self.secret, follower.id, &follower.email)
            );
            self.outbox.queue_unsubscribable(
                c,
                &follower,
                "community-reply",
                &key,
                &ctx,
                Some(&unsubscribe),
                now,
            )?;
        }
        Ok(())
    }

    /// Replaces the text of one's own post (or, for a moderator, anyone's, with a
    /// note saying why), keeping the old text in its history.
    pub fn edit(
        &self,
        c: &mut DbConnection,
        at: &InSpace,
        post: &Post,
        body: &str,
        note: Option<&str>,
        now: NaiveDateTime,
    ) -> FlowResult<Result<(), Refusal>> {
        let Some(body) = clean_body(body) else {
            return Ok(Err(Refusal::MissingText));
        };
        let own = post.author_id == Some(at.user.id);
        if post.state() == PostState::Deleted {
            return Ok(Err(Refusal::PostDeleted));
        }
        let moderator_note = match (own, at.access.moderate) {
            (true, _) => None,
            (false, true) => match note.and_then(clean_reason) {
                Some(n) => Some(n),
                None => return Ok(Err(Refusal::MissingReason)),
            },
            (false, false) => return Ok(Err(Refusal::NotYourPost)),
        };
        if own && !at.access.post {
            return Ok(Err(Refusal::MayNotPost));
        }
        if body == post.body {
            return Ok(Ok(()));
        }
        write_transaction(c, |c| {
            store::edit_post(
                c,
                post,
                &body,
                &learner_html(&body),
                moderator_note.as_deref(),
                now,
            )?;
            if let Some(note) = &moderator_note {
                audit::record(
                    c,
                    Some(at.user.id),
                    "community.edit",
                    &format!("post:{}", post.id),
                    &json!({ "reason": note, "space": at.space.key }),
                    now,
                )?;
            }
            Ok(Ok(()))
        })
    }

    /// Deletes one's own post: it stays in the thread as "deleted", so replies keep
    /// their place; its text is gone (its history with it).
    pub fn delete_own(
        &self,
        c: &mut DbConnection,
        at: &InSpace,
        post: &Post,
        now: NaiveDateTime,
    ) -> FlowResult<Result<(), Refusal>> {
        if post.author_id != Some(at.user.id) {
            return Ok(Err(Refusal::NotYourPost));
        }
        write_transaction(c, |c| {
            store::delete_post_text(c, post.id)?;
            store::set_post_state(c, post, PostState::Deleted, false, now)?;
            Ok(Ok(()))
        })
    }

    /// Reports a post with a reason; enough reports hide it until a moderator
    /// reviews it. Returns whether the post is now hidden.
    pub fn report(
        &self,
        c: &mut DbConnection,
        at: &InSpace,
        post: &Post,
        reason: &str,
        now: NaiveDateTime,
    ) -> FlowResult<Result<bool, Refusal>> {
        let Some(reason) = clean_reason(reason) else {
            return Ok(Err(Refusal::MissingReason));
        };
        if post.author_id == Some(at.user.id) {
            return Ok(Err(Refusal::OwnPost));
        }
        if post.state() == PostState::Deleted {
            return Ok(Err(Refusal::PostDeleted));
        }
        write_transaction(c, |c| {
            let open = store::report(c, post, at.user.id, &reason, now)?;
            let hide =
                post.state() == PostState::Visible && self.moderation.hidden_by_reports(open);
            if hide {
                store::set_post_state(c, post, PostState::Hidden, false, now)?;
                audit::record(
                    c,
                    None,
                    "community.hidden-by-reports",
                    &format!("post:{}", post.id),
                    &json!({ "reports": open, "space": at.space.key }),
                    now,
                )?;
            }
            Ok(Ok(hide))
        })
    }

    /// Marks (or, with `None`, unmarks) a reply as the accepted answer of a
    /// question: its author or a moderator (a trainer in a course's space).
    pub fn accept_answer(
        &self,
        c: &mut DbConnection,
        at: &InSpace,
        thread: &Thread,
        post: Option<&Post>,
        now: NaiveDateTime,
    ) -> FlowResult<Result<(), Refusal>> {
        if thread.author_id != Some(at.user.id) && !at.access.moderate {
            return Ok(Err(Refusal::NotYourThread));
        }
        if !thread.question {
            return Ok(Err(Refusal::NotAQuestion));
        }
        if let Some(p) = post {
            if p.thread_id != thread.id || p.state() != PostState::Visible {
                return Ok(Err(Refusal::NotAnAnswer));
            }
        }
        write_transaction(c, |c| {
            store::set_accepted(c, thread.id, post.map(|p| p.id))?;
            if at.access.moderate && thread.author_id != Some(at.user.id) {
                audit::record(
                    c,
                    Some(at.user.id),
                    "community.accept-answer",
                    &format!("thread:{}", thread.id),
                    &json!({ "post": post.map(|p| p.id), "space": at.space.key }),
                    now,
                )?;
            }
            Ok(Ok(()))
        })
    }

    /// Records that someone accepted the space's guidelines.
    pub fn accept_guidelines(
        &self,
        c: &mut DbConnection,
        at: &InSpace,
        now: NaiveDateTime,
    ) -> FlowResult<()> {
        Ok(store::accept_guidelines(c, at.user.id, at.space.id, now)?)
    }

    /// Follows or stops following a thread.
    pub fn set_following(
        &self,
        c: &mut DbConnection,
        at: &InSpace,
        thread: &Thread,
        follow: bool,
        now: NaiveDateTime,
    ) -> FlowResult<()> {
        if follow {
            store::follow(c, at.user.id, thread.id, now)?;
        } else {
            store::unfollow(c, at.user.id, thread.id)?;
        }
        Ok(())
    }

    /// Approves, hides or restores a post; the post's reports so far count as
    /// reviewed. Every action is in the audit log with its reason.
    pub fn moderate_post(
        &self,
        c: &mut DbConnection,
        by: &Moderating,
        post: &Post,
        action: PostAction,
        reason: &str,
        now: NaiveDateTime,
    ) -> FlowResult<Result<(), Refusal>> {
        let Some(reason) = clean_reason(reason) else {
            return Ok(Err(Refusal::MissingReason));
        };
        if post.state() == PostState::Deleted {
            return Ok(Err(Refusal::PostDeleted));
        }
        let state = match action {
            PostAction::Hide => PostState::Hidden,
            PostAction::Restore | PostAction::Approve => PostState::Visible,
        };
        write_transaction(c, |c| {
            store::set_post_state(c, post, state, true, now)?;
            audit::record(
                c,
                Some(by.space.user.id),
                action.audit_name(),
                &format!("post:{}", post.id),
                &json!({ "reason": reason, "space": by.space.space.key }),
                now,
            )?;
            // Followers hear of an approved post as of any reply (once).
            if post.state() == PostState::Held && state == PostState::Visible {
                if let (Some(thread), Some(author)) = (
                    store::thread(c, post.thread_id)?,
                    match post.author_id {
                        Some(id) => accounts::user(c, id)?,
                        None => None,
                    },
                ) {
                    self.tell_followers(c, &thread, post.id, &author, now)?;
                }
            }
            Ok(Ok(()))
        })
    }

    /// Locks, unlocks, pins, unpins or moves a thread.
    pub fn moderate_thread(
        &self,
        c: &mut DbConnection,
        by: &Moderating,
        thread: &Thread,
        action: ThreadAction,
        reason: &str,
        now: NaiveDateTime,
    ) -> FlowResult<Result<(), Refusal>> {
        let Some(reason) = clean_reason(reason) else {
            return Ok(Err(Refusal::MissingReason));
        };
        write_transaction(c, |c| {
            let mut details = json!({ "reason": reason, "space": by.space.space.key });
            match &action {
                ThreadAction::Lock => store::set_locked(c, thread.id, Some(now))?,
                ThreadAction::Unlock => store::set_locked(c, thread.id, None)?,
                ThreadAction::Pin => store::set_pinned(c, thread.id, Some(now))?,
                ThreadAction::Unpin => store::set_pinned(c, thread.id, None)?,
                ThreadAction::Move(to) => {
                    if to.space.space.id == by.space.space.id {
                        return Ok(Ok(()));
                    }
                    store::move_thread(c, thread.id, to.space.space.id)?;
                    details["to"] = json!(to.space.space.key);
                }
            }
            audit::record(
                c,
                Some(by.space.user.id),
                action.audit_name(),
                &format!("thread:{}", thread.id),
                &details,
                now,
            )?;
            Ok(Ok(()))
        })
    }

    /// Mutes or bans a member in the space (see [`Restrict`]).
    pub fn restrict(
        &self,
        c: &mut DbConnection,
        by: &Moderating,
        what: &Restrict<'_>,
        now: NaiveDateTime,
    ) -> FlowResult<Result<(), Refusal>> {
        let Restrict {
            member_id,
            kind,
            days,
            reason,
        } = *what;
        let Some(reason) = clean_reason(reason) else {
            return Ok(Err(Refusal::MissingReason));
        };
        if days.is_some_and(|d| !(1..=3650).contains(&d)) {
            return Ok(Err(Refusal::BadPeriod));
        }
        let space = &by.space.space;
        let Some(member) = accounts::user(c, member_id)? else {
            return Ok(Err(Refusal::NoSuchMember));
        };
        // Only someone who takes part in the space can be restricted in it, and
        // never one of its moderators.
        let standing = store::standing(c, Some(&member), &space.kind(), None)?;
        let theirs = access(&space.kind(), &standing, now);
        if !theirs.read {
            return Ok(Err(Refusal::NoSuchMember));
        }
        if theirs.moderate {
            return Ok(Err(Refusal::IsModerator));
        }
        let until = days.map(|d| now + TimeDelta::days(d));
        write_transaction(c, |c| {
            store::restrict(c, space.id, member.id, kind, &reason, until, now)?;
            audit::record(
                c,
                Some(by.space.user.id),
                &format!("community.{}", kind.as_str()),
                &format!("user:{}", member.id),
                &json!({ "reason": reason, "space": space.key, "days": days }),
                now,
            )?;
            Ok(Ok(()))
        })
    }

    /// Lifts a member's restriction in the space.
    pub fn lift(
        &self,
        c: &mut DbConnection,
        by: &Moderating,
        member_id: i32,
        now: NaiveDateTime,
    ) -> FlowResult<bool> {
        write_transaction(c, |c| {
            let lifted = store::lift(c, by.space.space.id, member_id)?;
            if lifted {
                audit::record(
                    c,
                    Some(by.space.user.id),
                    "community.lift",
                    &format!("user:{member_id}"),
                    &json!({ "space": by.space.space.key }),
                    now,
                )?;
            }
            Ok(lifted)
        })
    }
}

impl Community {
    /// Invites someone to the space as an expert: they read and post there and
    /// carry the badge. Not someone who moderates it already.
    pub fn add_expert(
        &self,
        c: &mut DbConnection,
        by: &Moderating,
        email: &str,
        now: NaiveDateTime,
    ) -> FlowResult<Result<(), Refusal>> {
        let space = &by.space.space;
        let Some(expert) = accounts::user_by_email(c, &accounts::normalise_email(email))? else {
            return Ok(Err(Refusal::NoSuchAccount));
        };
        if expert.is_disabled() {
            return Ok(Err(Refusal::NoSuchAccount));
        }
        let standing = store::standing(c, Some(&expert), &space.kind(), None)?;
        if access(&space.kind(), &standing, now).moderate {
            return Ok(Err(Refusal::IsModerator));
        }
        write_transaction(c, |c| {
            if store::add_expert(c, space.id, expert.id, now)? {
                audit::record(
                    c,
                    Some(by.space.user.id),
                    "community.add-expert",
                    &format!("user:{}", expert.id),
                    &json!({ "space": space.key }),
                    now,
                )?;
            }
            Ok(Ok(()))
        })
    }

    /// Ends someone's invitation as an expert; `false` when they were none.
    pub fn remove_expert(
        &self,
        c: &mut DbConnection,
        by: &Moderating,
        expert_id: i32,
        now: NaiveDateTime,
    ) -> FlowResult<bool> {
        write_transaction(c, |c| {
            let removed = store::remove_expert(c, by.space.space.id, expert_id)?;
            if removed {
                audit::record(
                    c,
                    Some(by.space.user.id),
                    "community.remove-expert",
                    &format!("user:{expert_id}"),
                    &json!({ "space": by.space.space.key }),
                    now,
                )?;
            }
            Ok(removed)
        })
    }

    /// Gives the space guidelines of its own (Markdown), or with an empty text
    /// the site's again. Members accept them anew: earlier acceptances were of
    /// other guidelines.
    pub fn set_guidelines(
        &self,
        c: &mut DbConnection,
        by: &Moderating,
        text: &str,
        now: NaiveDateTime,
    ) -> FlowResult<Result<(), Refusal>> {
        let text = text.trim();
        let own = if text.is_empty() {
            None
        } else {
            match clean_body(text) {
                Some(t) => Some(t),
                None => return Ok(Err(Refusal::MissingText)),
            }
        };
        let space = &by.space.space;
        if own.as_deref() == space.guidelines.as_deref() {
            return Ok(Ok(()));
        }
        write_transaction(c, |c| {
            store::set_guidelines(c, space.id, own.as_deref())?;
            store::forget_acceptances(c, space.id)?;
            audit::record(
                c,
                Some(by.space.user.id),
                "community.guidelines",
                &format!("space:{}", space.id),
                &json!({ "space": space.key, "own": own.is_some() }),
                now,
            )?;
            Ok(Ok(()))
        })
    }
}

/// A restriction a moderator imposes: on whom, which, for how many days (`None`:
/// until lifted) and why.
#[derive(Debug, Clone, Copy)]
pub struct Restrict<'a> {
    pub member_id: i32,
    pub kind: RestrictionKind,
    pub days: Option<i64>,
    pub reason: &'a str,
}

/// What a moderator does to a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostAction {
    /// A held post becomes visible.
    Approve,
    Hide,
    /// A hidden post becomes visible again.
    Restore,
}

impl PostAction {
    pub fn parse(s: &str) -> Option<PostAction> {
        match s {
            "approve" => Some(PostAction::Approve),
            "hide" => Some(PostAction::Hide),
            "restore" => Some(PostAction::Restore),
            _ => None,
        }
    }

    fn audit_name(self) -> &'static str {
        match self {
            PostAction::Approve => "community.approve",
            PostAction::Hide => "community.hide",
            PostAction::Restore => "community.restore",
        }
    }
}

/// What a moderator does to a thread.
#[derive(Debug, Clone)]
pub enum ThreadAction {
    Lock,
    Unlock,
    Pin,
    Unpin,
    /// To another space the moderator moderates too.
    Move(Box<Moderating>),
}

impl ThreadAction {
    fn audit_name(&self) -> &'static str {
        match self {
            ThreadAction::Lock => "community.lock",
            ThreadAction::Unlock => "community.unlock",
            ThreadAction::Pin => "community.pin",
            ThreadAction::Unpin => "community.unpin",
            ThreadAction::Move(_) => "community.move",
        }
    }
}

/// The spaces `user` moderates, as keys (`None`: every space, for administrators).
pub fn moderated_spaces(
    c: &mut DbConnection,
    user: &User,
    now: NaiveDateTime,
) -> StoreResult<Option<Vec<String>>> {
    if user.role() == leerpad_core::Role::Admin {
        return Ok(None);
    }
    let mut keys = Vec::new();
    for kind in store::candidate_spaces(c, user)? {
        let standing = store::standing(c, Some(user), &kind, None)?;
        if access(&kind, &standing, now).moderate {
            keys.push(kind.key());
        }
    }
    Ok(Some(keys))
}

pub mod views;
