//! The learning community's rules: which spaces there are, who may read, post
//! and moderate in each, and when a post is held, hidden or too soon. Pure: the
//! facts about a person come in as a [`Standing`], the time as `now`.
//!
//! | space | read and post | moderate |
//! |---|---|---|
//! | `network` | members of any organisation, trainers, coordinators, administrators | trainers, administrators |
//! | `course:<id>` | the course's learners (enrolled), its trainers (authors), administrators | its trainers, administrators |
//! | `organisation:<id>` | the organisation's members (accepted), administrators | its coordinators, administrators |
//!
//! An expert the moderators invited reads and posts in the space besides. A
//! member banned from a space may not read it; a muted member may read but not
//! post. Moderators are never restricted in a space they moderate.

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::Role;

/// Threads per page of a space.
pub const THREADS_PER_PAGE: i64 = 20;
/// Posts per page of a thread (the opening post is on every page).
pub const POSTS_PER_PAGE: i64 = 25;
/// The longest title a thread may have, in characters.
pub const MAX_TITLE: usize = 150;
/// The longest post, in characters of Markdown.
pub const MAX_BODY: usize = 20_000;
/// The longest reason for a report, a moderation action or a restriction.
pub const MAX_REASON: usize = 500;

/// Which space, by what it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "of", rename_all = "snake_case")]
pub enum SpaceKind {
    /// Every organisation's members, to share practice across municipalities.
    Network,
    /// A course's learners and trainers (the course id).
    Course(String),
    /// One organisation's members (its database id).
    Organisation(i32),
}

impl SpaceKind {
    /// The key a space is stored under.
    pub fn key(&self) -> String {
        match self {
            SpaceKind::Network => "network".into(),
            SpaceKind::Course(id) => format!("course:{id}"),
            SpaceKind::Organisation(id) => format!("organisation:{id}"),
        }
    }

    pub fn from_key(key: &str) -> Option<SpaceKind> {
        if key == "network" {
            return Some(SpaceKind::Network);
        }
        let (kind, of) = key.split_once(':')?;
        match kind {
            "course" => Some(SpaceKind::Course(of.to_string())),
            "organisation" => of.parse().ok().map(SpaceKind::Organisation),
            _ => None,
        }
    }

    /// `network`, `course` or `organisation`, for texts and the API.
    pub fn name(&self) -> &'static str {
        match self {
            SpaceKind::Network => "network",
            SpaceKind::Course(_) => "course",
            SpaceKind::Organisation(_) => "organisation",
        }
    }
}

/// A restriction on a member in a space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RestrictionKind {
    /// May read, not post.
    Mute,
    /// May not read or post.
    Ban,
}

impl RestrictionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RestrictionKind::Mute => "mute",
            RestrictionKind::Ban => "ban",
        }
    }

    pub fn parse(s: &str) -> Option<RestrictionKind> {
        match s {
            "mute" => Some(RestrictionKind::Mute),
            "ban" => Some(RestrictionKind::Ban),
            _ => None,
        }
    }
}

/// A restriction, with when it ends (`None`: until lifted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restriction {
    pub kind: RestrictionKind,
    pub until: Option<NaiveDateTime>,
}

impl Restriction {
    pub fn in_force(&self, now: NaiveDateTime) -> bool {
        self.until.is_none_or(|u| now < u)
    }
}

/// What is known of a person with respect to one space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Standing {
    pub role: Option<Role>,
    /// An accepted member of at least one organisation (the network space).
    pub in_any_organisation: bool,
    /// Enrolled in the space's course.
    pub enrolled: bool,
    /// Among the space's course's authors (with a verified address).
    pub authors: bool,
    /// An accepted member of the space's organisation.
    pub member: bool,
    /// A coordinator of the space's organisation.
    pub coordinates: bool,
    /// Invited to the space as an expert by its moderators.
    pub expert: bool,
    pub restriction: Option<Restriction>,
}

/// What a person may do in a space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Access {
    pub read: bool,
    pub post: bool,
    pub moderate: bool,
}

/// The rule of the table in the module documentation.
pub fn access(space: &SpaceKind, s: &Standing, now: NaiveDateTime) -> Access {
    let Some(role) = s.role else {
        return Access::default();
    };
    let admin = role == Role::Admin;
    let (in_space, moderate) = match space {
        SpaceKind::Network => (
            admin || matches!(role, Role::Trainer | Role::Coordinator) || s.in_any_organisation,
            admin || role == Role::Trainer,
        ),
        SpaceKind::Course(_) => (admin || s.authors || s.enrolled, admin || s.authors),
        SpaceKind::Organisation(_) => (admin || s.member, admin || s.coordinates),
    };
    let read = in_space || s.expert;
    if moderate {
        return Access {
            read: true,
            post: true,
            moderate: true,
        };
    }
    let restriction = s.restriction.filter(|r| r.in_force(now)).map(|r| r.kind);
    Access {
        read: read && restriction != Some(RestrictionKind::Ban),
        post: read && restriction.is_none(),
        moderate: false,
    }
}

/// Where a post stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PostState {
    Visible,
    /// A new member's post, waiting for a moderator's approval.
    Held,
    /// Hidden by a moderator, or by enough reports until a moderator reviews it.
    Hidden,
    /// Deleted by its author.
    Deleted,
}

impl PostState {
    pub fn as_str(self) -> &'static str {
        match self {
            PostState::Visible => "visible",
            PostState::Held => "held",
            PostState::Hidden => "hidden",
            PostState::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> PostState {
        match s {
            "held" => PostState::Held,
            "hidden" => PostState::Hidden,
            "deleted" => PostState::Deleted,
            _ => PostState::Visible,
        }
    }
}

/// The site's moderation settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moderation {
    /// A post reported by this many people is hidden until a moderator reviews it.
    pub hide_after_reports: u32,
    /// A member's first this many posts (on the whole site) wait for approval.
    pub hold_first_posts: u32,
    /// At most this many posts per member in [`Moderation::window_minutes`]
    /// (counted by the application layer's rate limiter).
    pub posts_per_window: u32,
    pub window_minutes: u32,
}

impl Default for Moderation {
    fn default() -> Moderation {
        Moderation {
            hide_after_reports: 3,
            hold_first_posts: 0,
            posts_per_window: 10,
            window_minutes: 10,
        }
    }
}

impl Moderation {
    /// The state a new post starts in, for a member with `earlier` posts approved or
    /// published before, who `moderates` the space or not.
    pub fn new_post_state(&self, earlier: i64, moderates: bool) -> PostState {
        if !moderates && earlier < i64::from(self.hold_first_posts) {
            PostState::Held
        } else {
            PostState::Visible
        }
    }

    /// Whether a post with `reports` open reports is hidden until reviewed.
    pub fn hidden_by_reports(&self, reports: i64) -> bool {
        self.hide_after_reports > 0 && reports >= i64::from(self.hide_after_reports)
    }
}

/// The number of pages `total` things make at `per_page`, at least one.
pub fn pages(total: i64, per_page: i64) -> i64 {
    ((total + per_page - 1) / per_page).max(1)
}

/// A title as it is kept: trimmed, inner whitespace folded; `None` when empty or
/// too long.
pub fn clean_title(title: &str) -> Option<String> {
    let folded = title.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = folded.chars().count();
    (n > 0 && n <= MAX_TITLE).then_some(folded)
}

/// A post's text as it is kept (trailing whitespace trimmed); `None` when empty or
/// too long.
pub fn clean_body(body: &str) -> Option<String> {
    let body = body.trim_end().trim_start_matches(['\n', '\r']);
    let n = body.chars().count();
    (!body.trim().is_empty() && n <= MAX_BODY).then(|| body.replace("\r\n", "\n"))
}

/// A reason as it is kept; `None` when empty or too long.
pub fn clean_reason(reason: &str) -> Option<String> {
    let reason = reason.trim();
    let n = reason.chars().count();
    (n > 0 && n <= MAX_REASON).then(|| reason.to_string())
}

/// `text` as a Markdown quotation of `author`, to start a reply with.
pub fn quote(author: &str, text: &str) -> String {
    let mut out = format!("> **{}**\n>\n", author.replace(['*', '_', '`'], ""));
    for line in text.lines() {
        if line.is_empty() {
            out.push_str(">\n");
        } else {
            out.push_str("> ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, 5)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap()
    }

    fn learner() -> Standing {
        Standing {
            role: Some(Role::Learner),
            ..Standing::default()
        }
    }

    #[test]
    fn keys_round_trip() {
        for k in [
            SpaceKind::Network,
            SpaceKind::Course("polarisatie".into()),
            SpaceKind::Organisation(7),
        ] {
            assert_eq!(SpaceKind::from_key(&k.key()), Some(k));
        }
        assert_eq!(SpaceKind::from_key("organisation:x"), None);
        assert_eq!(SpaceKind::from_key("elders:1"), None);
    }

    #[test]
    fn nobody_signed_out_reads_anything() {
        for space in [
            SpaceKind::Network,
            SpaceKind::Course("c".into()),
            SpaceKind::Organisation(1),
        ] {
            assert_eq!(
                access(&space, &Standing::default(), now()),
                Access::default()
            );
        }
    }

    #[test]
    fn the_network_is_for_members_of_organisations() {
        let net = SpaceKind::Network;
        assert!(!access(&net, &learner(), now()).read);
        let member = Standing {
            in_any_organisation: true,
            ..learner()
        };
        assert_eq!(
            access(&net, &member, now()),
            Access {
                read: true,
                post: true,
                moderate: false
            }
        );
        let trainer = Standing {
            role: Some(Role::Trainer),
            ..Standing::default()
        };
        assert!(access(&net, &trainer, now()).moderate);
    }

    #[test]
    fn a_course_space_is_for_its_learners_and_trainers() {
        let course = SpaceKind::Course("c".into());
        assert!(!access(&course, &learner(), now()).read);
        let enrolled = Standing {
            enrolled: true,
            ..learner()
        };
        assert!(access(&course, &enrolled, now()).post);
        assert!(!access(&course, &enrolled, now()).moderate);
        // A trainer of another course is a stranger here.
        let trainer = Standing {
            role: Some(Role::Trainer),
            ..Standing::default()
        };
        assert!(!access(&course, &trainer, now()).read);
        let author = Standing {
            authors: true,
            ..trainer
        };
        assert!(access(&course, &author, now()).moderate);
    }

    #[test]
    fn an_organisation_space_is_for_its_members() {
        let org = SpaceKind::Organisation(1);
        let coordinator_elsewhere = Standing {
            role: Some(Role::Coordinator),
            ..Standing::default()
        };
        assert!(!access(&org, &coordinator_elsewhere, now()).read);
        let member = Standing {
            member: true,
            ..learner()
        };
        assert!(access(&org, &member, now()).post);
        let coordinator = Standing {
            member: true,
            coordinates: true,
            ..coordinator_elsewhere
        };
        assert!(access(&org, &coordinator, now()).moderate);
        let admin = Standing {
            role: Some(Role::Admin),
            ..Standing::default()
        };
        assert!(access(&org, &admin, now()).moderate);
    }

    #[test]
    fn an_invited_expert_reads_and_posts_but_does_not_moderate() {
        let org = SpaceKind::Organisation(1);
        let expert = Standing {
            expert: true,
            ..learner()
        };
        assert_eq!(
            access(&org, &expert, now()),
            Access {
                read: true,
                post: true,
                moderate: false
            }
        );
    }

    #[test]
    fn restrictions_hold_until_they_end() {
        let org = SpaceKind::Organisation(1);
        let later = now() + chrono::TimeDelta::hours(1);
        let muted = Standing {
            member: true,
            restriction: Some(Restriction {
                kind: RestrictionKind::Mute,
                until: Some(later),
            }),
            ..learner()
        };
        let a = access(&org, &muted, now());
        assert!(a.read && !a.post);
        assert!(access(&org, &muted, later).post);
        let banned = Standing {
            restriction: Some(Restriction {
                kind: RestrictionKind::Ban,
                until: None,
            }),
            ..muted
        };
        assert_eq!(access(&org, &banned, later), Access::default());
        // A moderator is never restricted where they moderate.
        let coordinator = Standing {
            coordinates: true,
            ..banned
        };
        assert!(access(&org, &coordinator, now()).post);
    }

    #[test]
    fn moderation_thresholds() {
        let m = Moderation {
            hold_first_posts: 2,
            ..Moderation::default()
        };
        assert_eq!(m.new_post_state(0, false), PostState::Held);
        assert_eq!(m.new_post_state(1, false), PostState::Held);
        assert_eq!(m.new_post_state(2, false), PostState::Visible);
        assert_eq!(m.new_post_state(0, true), PostState::Visible);
        assert!(!m.hidden_by_reports(2) && m.hidden_by_reports(3));
        let never = Moderation {
            hide_after_reports: 0,
            ..m
        };
        assert!(!never.hidden_by_reports(100));
    }

    #[test]
    fn texts_are_cleaned() {
        assert_eq!(clean_title("  Een   vraag \n"), Some("Een vraag".into()));
        assert_eq!(clean_title("   "), None);
        assert_eq!(clean_title(&"x".repeat(MAX_TITLE + 1)), None);
        assert_eq!(
            clean_body("\n\nTekst\r\nmeer  \n"),
            Some("Tekst\nmeer".into())
        );
        assert_eq!(clean_body(" \n "), None);
        assert_eq!(pages(0, 20), 1);
        assert_eq!(pages(41, 20), 3);
    }

    #[test]
    fn quotes_mark_every_line() {
        assert_eq!(
            quote("An *Peeters*", "Eerste\n\nTweede"),
            "> **An Peeters**\n>\n> Eerste\n>\n> Tweede\n\n"
        );
    }
}
