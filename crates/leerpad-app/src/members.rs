//! An organisation's members: inviting someone, one by one or row by row of an
//! uploaded list.

use chrono::{NaiveDateTime, TimeDelta};
use leerpad_core::address::plausible_email;
use leerpad_core::Role;
use leerpad_store::accounts::{self, NewUser, TokenPurpose, User};
use leerpad_store::db::write_transaction;
use leerpad_store::organisations::{self, Joining, MemberRole};
use leerpad_store::{DbConnection, StoreError};
use serde_json::json;

use crate::caller::Coordinating;
use crate::error::FlowResult;
use crate::outbox::Outbox;
use crate::refusal::Refusal;
use crate::{tokens, Stale};

/// How long an invitation link works.
pub const INVITE_DAYS: i64 = 14;

/// Someone to add to an organisation.
#[derive(Debug, Clone)]
pub struct Invitee {
    pub email: String,
    pub name: String,
    pub group: Option<String>,
    pub role: MemberRole,
}

/// What inviting someone did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invited {
    /// A new account, invited by email.
    NewAccount,
    /// An account that was never activated, now a member: invited (again) by email.
    Reinvited,
    /// An existing account, asked to join: a member once they accept.
    AskedToJoin,
    /// Already a member (moved to the group given, if any).
    AlreadyMember,
}

impl Invited {
    /// The theme's text for this outcome.
    pub fn key(self) -> &'static str {
        match self {
            Invited::NewAccount => "import.result-invited",
            Invited::Reinvited => "import.result-reinvited",
            Invited::AskedToJoin => "import.result-asked",
            Invited::AlreadyMember => "import.result-member",
        }
    }
}

/// Checks what a coordinator typed about someone to invite, before anything is
/// stored (a list is checked whole before any row of it is).
pub fn check_invitee(who: &Invitee) -> Result<(), Refusal> {
    let email = accounts::normalise_email(&who.email);
    if !plausible_email(&email) {
        return Err(Refusal::BadEmail);
    }
    let name = who.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Refusal::MissingName);
    }
    if group_of(who).is_some_and(|g| g.chars().count() > 80) {
        return Err(Refusal::LongGroup);
    }
    Ok(())
}

fn group_of(who: &Invitee) -> Option<&str> {
    who.group
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
}

/// Adds someone to the organisation, in one transaction with the email that tells
/// them: creates their account if they have none, puts them in their group
/// (created if new) and so in the organisation's and the group's assigned courses,
/// and invites accounts that were never activated. Someone with an account of
/// their own is asked to join instead, and is a member only once they accept.
/// Inviting someone again changes nothing but their group (and sends a new link
/// to an account never activated).
pub fn invite(
    c: &mut DbConnection,
    outbox: &Outbox,
    base_url: &str,
    by: &Coordinating,
    who: &Invitee,
    now: NaiveDateTime,
) -> FlowResult<Result<(Invited, Stale), Refusal>> {
    if let Err(problem) = check_invitee(who) {
        return Ok(Err(problem));
    }
    write_transaction(c, |c| invite_in(c, outbox, base_url, by, who, now).map(Ok))
}

/// [`invite`] inside a transaction the caller holds, for flows that invite as
/// one of their steps; `who` is already checked.
pub(crate) fn invite_in(
    c: &mut DbConnection,
    outbox: &Outbox,
    base_url: &str,
    by: &Coordinating,
    who: &Invitee,
    now: NaiveDateTime,
) -> FlowResult<(Invited, Stale)> {
    let email = accounts::normalise_email(&who.email);
    let name = who.name.trim();
    let org = by.organisation();
    {
        let new = NewUser {
            email: &email,
            display_name: name,
            password_hash: None,
            role: Role::Learner,
            language: &by.by().language,
            verified: false,
        };
        let (user, created) = match accounts::create_user(c, &new, now)? {
            Some(u) => (u, true),
            None => (
                accounts::user_by_email(c, &email)?
                    .ok_or_else(|| StoreError::NotFound("the account".into()))?,
                false,
            ),
        };
        // An account its owner uses (the address is proven) has a history of its
        // own: the owner decides whether this organisation may see it.
        let joining = if user.email_verified_at.is_some() {
            Joining::AsksConsent
        } else {
            Joining::AtOnce
        };
        if who.role == MemberRole::Coordinator
            && user.role() == Role::Learner
            && joining == Joining::AtOnce
        {
            accounts::set_role(c, user.id, Role::Coordinator)?;
        }
        let group_id = match group_of(who) {
            Some(g) => Some(organisations::group_named(c, org.id, g, now)?.id),
            None => None,
        };
        let joined = organisations::join(
            c,
            org.id,
            user.id,
            who.role,
            group_id,
            joining,
            Some(by.by().id),
            now,
        )?;
        let outcome = match (created, joined, joining) {
            (true, _, _) => Invited::NewAccount,
            (false, true, Joining::AtOnce) => Invited::Reinvited,
            (false, true, Joining::AsksConsent) => Invited::AskedToJoin,
            (false, false, _) => Invited::AlreadyMember,
        };
        tell(c, outbox, base_url, by, who.role, &user, outcome, now)?;
        Ok((
            outcome,
            Stale {
                sessions_of: vec![user.id],
            },
        ))
    }
}

/// The email an invitation sends, if any, queued on the invitation's transaction.
#[allow(clippy::too_many_arguments)]
fn tell(
    c: &mut DbConnection,
    outbox: &Outbox,
    base_url: &str,
    by: &Coordinating,
    role: MemberRole,
    user: &User,
    outcome: Invited,
    now: NaiveDateTime,
) -> FlowResult<()> {
    let org = by.organisation();
    let coordinator = role == MemberRole::Coordinator;
    match outcome {
        Invited::NewAccount | Invited::Reinvited => {
            let token = tokens::issue(
                c,
                user.id,
                TokenPurpose::Invite,
                TimeDelta::days(INVITE_DAYS),
                now,
            )?;
            let ctx = json!({
                "name": user.display_name, "inviter": by.by().display_name,
                "organisation": org.name, "coordinator": coordinator, "email": user.email,
                "link": format!("{base_url}/auth/invite?token={token}"),
            });
            let key = format!("invite:{}", tokens::token_hash(&token));
            outbox.queue(c, user, "invitation", &key, &ctx, now)?;
        }
        Invited::AskedToJoin => {
            // Someone with an account of their own is asked, and told who asks,
            // which role and what the organisation would see.
            let ctx = json!({
                "name": user.display_name, "inviter": by.by().display_name,
                "organisation": org.name, "coordinator": coordinator, "email": user.email,
                "link": format!("{base_url}/me/organisations"),
            });
            let key = format!(
                "join-request:{}:{}:{}",
                org.id,
                user.id,
                now.and_utc().timestamp()
            );
            outbox.queue(c, user, "join-request", &key, &ctx, now)?;
        }
        Invited::AlreadyMember => {}
    }
    Ok(())
}
