//! Organisations (a municipality, a region), their groups and members, and the
//! courses assigned to them with deadlines.
//!
//! A user may belong to several organisations, as a `member` or a `coordinator`, and
//! to at most one group in each. An assignment gives a course, with an optional
//! deadline, to everyone in an organisation or in one group: assigning enrols the
//! members at once, and members who join later are enrolled by
//! [`apply_assignments`]. Every function that acts on a learner for a coordinator
//! takes the organisation and only touches members of it.
//!
//! An organisation sees a member's enrolment in its reports only if it assigned
//! that course to them (`assigned_enrolments`): not the courses they take on their
//! own or for another organisation.
//!
//! Joining takes consent: someone who already has an account is added as a pending
//! member ([`Joining::AsksConsent`]) and is nothing more than that to the
//! organisation (no name, no courses, no progress) until they accept
//! ([`accept_membership`]). Each organisation keeps its own deadline for a course it
//! assigned (`assigned_enrolments.deadline`); the learner's enrolment carries the
//! earliest of them, which is the one they see and are reminded of.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{write_transaction, DbConnection};
use crate::error::{StoreError, StoreResult};
use crate::per_backend;
use crate::schema::{
    assigned_enrolments, assignments, courses, enrolments, memberships, org_groups, organisations,
    users,
};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = organisations)]
pub struct Organisation {
    pub id: i32,
    pub slug: String,
    pub name: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MemberRole {
    Member,
    Coordinator,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Member => "member",
            MemberRole::Coordinator => "coordinator",
        }
    }

    fn parse(s: &str) -> MemberRole {
        if s == "coordinator" {
            MemberRole::Coordinator
        } else {
            MemberRole::Member
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = org_groups)]
pub struct Group {
    pub id: i32,
    pub organisation_id: i32,
    pub name: String,
    pub created_at: NaiveDateTime,
}

/// A slug: 2–40 lowercase letters, digits and hyphens, starting with a letter.
pub fn valid_slug(slug: &str) -> bool {
    (2..=40).contains(&slug.len())
        && slug.starts_with(|c: char| c.is_ascii_lowercase())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Creates an organisation; `Ok(None)` when the slug is taken.
pub fn create(
    c: &mut DbConnection,
    slug: &str,
    name: &str,
    now: NaiveDateTime,
) -> StoreResult<Option<Organisation>> {
    if !valid_slug(slug) {
        return Err(StoreError::Invalid(format!(
            "`{slug}` is not a usable short name: use 2 to 40 lowercase letters, digits and hyphens, starting with a letter"
        )));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(StoreError::Invalid(
            "an organisation's name has 1 to 120 characters".into(),
        ));
    }
    let inserted = per_backend!(&mut *c, |b| diesel::insert_into(organisations::table)
        .values((
            organisations::slug.eq(slug),
            organisations::name.eq(name),
            organisations::created_at.eq(now),
        ))
        .on_conflict(organisations::slug)
        .do_nothing()
        .execute(b))?;
    if inserted == 0 {
        return Ok(None);
    }
    by_slug(c, slug)
}

pub fn by_slug(c: &mut DbConnection, slug: &str) -> StoreResult<Option<Organisation>> {
    Ok(organisations::table
        .filter(organisations::slug.eq(slug))
        .select(Organisation::as_select())
        .first(c)
        .optional()?)
}

/// Every organisation, by name (for administrators).
pub fn all(c: &mut DbConnection) -> StoreResult<Vec<Organisation>> {
    Ok(organisations::table
        .order(organisations::name)
        .select(Organisation::as_select())
        .load(c)?)
}

/// The organisations a user coordinates, by name.
pub fn coordinated_by(c: &mut DbConnection, user_id: i32) -> StoreResult<Vec<Organisation>> {
    Ok(organisations::table
        .inner_join(memberships::table)
        .filter(memberships::user_id.eq(user_id))
        .filter(memberships::role.eq(MemberRole::Coordinator.as_str()))
        .filter(memberships::accepted_at.is_not_null())
        .order(organisations::name)
        .select(Organisation::as_select())
        .load(c)?)
}

/// The user's role in the organisation, if they belong to it (a request they have
/// not accepted yet is no membership).
pub fn role_in(
    c: &mut DbConnection,
    organisation_id: i32,
    user_id: i32,
) -> StoreResult<Option<MemberRole>> {
    let role: Option<String> = memberships::table
        .find((organisation_id, user_id))
        .filter(memberships::accepted_at.is_not_null())
        .select(memberships::role)
        .first(c)
        .optional()?;
    Ok(role.map(|r| MemberRole::parse(&r)))
}

// --- groups ---

pub fn groups(c: &mut DbConnection, organisation_id: i32) -> StoreResult<Vec<Group>> {
    Ok(org_groups::table
        .filter(org_groups::organisation_id.eq(organisation_id))
        .order(org_groups::name)
        .select(Group::as_select())
        .load(c)?)
}

/// The organisation's group of that name (trimmed, compared exactly), created if
/// there is none.
pub fn group_named(
    c: &mut DbConnection,
    organisation_id: i32,
    name: &str,
    now: NaiveDateTime,
) -> StoreResult<Group> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(StoreError::Invalid(
            "a group's name has 1 to 80 characters".into(),
        ));
    }
    per_backend!(&mut *c, |b| diesel::insert_into(org_groups::table)
        .values((
            org_groups::organisation_id.eq(organisation_id),
            org_groups::name.eq(name),
            org_groups::created_at.eq(now),
        ))
        .on_conflict((org_groups::organisation_id, org_groups::name))
        .do_nothing()
        .execute(b))?;
    Ok(org_groups::table
        .filter(org_groups::organisation_id.eq(organisation_id))
        .filter(org_groups::name.eq(name))
        .select(Group::as_select())
        .first(c)?)
}

/// Refuses a group of another organisation.
fn check_group(
    c: &mut DbConnection,
    organisation_id: i32,
    group_id: Option<i32>,
) -> StoreResult<()> {
    match group_id {
        Some(g) if group(c, organisation_id, g)?.is_none() => Err(StoreError::Invalid(
            "that group is not in this organisation".into(),
        )),
        _ => Ok(()),
    }
}

/// The group, if it belongs to the organisation.
pub fn group(
    c: &mut DbConnection,
    organisation_id: i32,
    group_id: i32,
) -> StoreResult<Option<Group>> {
    Ok(org_groups::table
        .find(group_id)
        .filter(org_groups::organisation_id.eq(organisation_id))
        .select(Group::as_select())
        .first(c)
        .optional()?)
}

// --- members ---

/// A member as a coordinator sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user_id: i32,
    pub name: String,
    pub email: String,
    pub role: MemberRole,
    pub group_id: Option<i32>,
    pub group: Option<String>,
    /// Whether they accepted their invitation (or otherwise verified their address).
    pub activated: bool,
    /// An existing account that has not yet accepted the organisation's request: the
    /// organisation knows only the address it typed, not the person's name.
    pub pending: bool,
    pub disabled: bool,
    pub since: NaiveDateTime,
}

type MemberRow = (
    i32,
    String,
    String,
    String,
    Option<i32>,
    Option<String>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    NaiveDateTime,
    Option<NaiveDateTime>,
);

fn member_from(r: MemberRow) -> Member {
    let pending = r.9.is_none();
    Member {
        user_id: r.0,
        name: if pending { String::new() } else { r.1 },
        email: r.2,
        role: MemberRole::parse(&r.3),
        group_id: r.4,
        group: r.5,
        activated: r.6.is_some(),
        disabled: r.7.is_some(),
        since: r.8,
        pending,
    }
}

macro_rules! members_query {
    ($organisation_id:expr) => {
        memberships::table
            .inner_join(users::table)
            .left_join(org_groups::table)
            .filter(memberships::organisation_id.eq($organisation_id))
            .select((
                users::id,
                users::display_name,
                users::email,
                memberships::role,
                memberships::group_id,
                org_groups::name.nullable(),
                users::email_verified_at,
                users::disabled_at,
                memberships::created_at,
                memberships::accepted_at,
            ))
    };
}

/// A page of the organisation's members, by name, and how many there are in all.
pub fn members(
    c: &mut DbConnection,
    organisation_id: i32,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<Member>, i64)> {
    let rows: Vec<MemberRow> = members_query!(organisation_id)
        .order((users::display_name, users::id))
        .limit(limit)
        .offset(offset)
        .load(c)?;
    let total = memberships::table
        .filter(memberships::organisation_id.eq(organisation_id))
        .count()
        .get_result(c)?;
    Ok((rows.into_iter().map(member_from).collect(), total))
}

/// One member of the organisation; `None` if the user is not a member.
pub fn member(
    c: &mut DbConnection,
    organisation_id: i32,
    user_id: i32,
) -> StoreResult<Option<Member>> {
    let row: Option<MemberRow> = members_query!(organisation_id)
        .filter(memberships::user_id.eq(user_id))
        .first(c)
        .optional()?;
    Ok(row.map(member_from))
}

/// How someone joins an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joining {
    /// At once: an account the organisation made (an invitation, never used before),
    /// which has nothing of its own to show.
    AtOnce,
    /// As a request the person accepts or declines: an account of their own.
    AsksConsent,
}

/// Adds a user who joins at once (see [`join`]).
pub fn add_member(
    c: &mut DbConnection,
    organisation_id: i32,
    user_id: i32,
    role: MemberRole,
    group_id: Option<i32>,
    assigned_by: Option<i32>,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    join(
        c,
        organisation_id,
        user_id,
        role,
        group_id,
        Joining::AtOnce,
        assigned_by,
        now,
    )
}

/// Adds a user to the organisation, in `group_id` if given, and (once they are a
/// member, see [`Joining`]) enrols them in the courses assigned to the organisation
/// and their group. A user who is a member already keeps their role (a coordinator
/// stays one; a member asked to coordinate becomes one) and is moved to `group_id`
/// if one is given. Returns whether they were new to the organisation. Call inside
/// a transaction.
#[allow(clippy::too_many_arguments)]
pub fn join(
    c: &mut DbConnection,
    organisation_id: i32,
    user_id: i32,
    role: MemberRole,
    group_id: Option<i32>,
    joining: Joining,
    assigned_by: Option<i32>,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    check_group(c, organisation_id, group_id)?;
    let accepted_at = (joining == Joining::AtOnce).then_some(now);
    let inserted = per_backend!(&mut *c, |b| diesel::insert_into(memberships::table)
        .values((
            memberships::organisation_id.eq(organisation_id),
            memberships::user_id.eq(user_id),
            memberships::role.eq(role.as_str()),
            memberships::group_id.eq(group_id),
            memberships::created_at.eq(now),
            memberships::accepted_at.eq(accepted_at),
        ))
        .on_conflict((memberships::organisation_id, memberships::user_id))
        .do_nothing()
        .execute(b))?;
    if inserted == 0 {
        if group_id.is_some() {
            diesel::update(memberships::table.find((organisation_id, user_id)))
                .set(memberships::group_id.eq(group_id))
                .execute(c)?;
        }
        if role == MemberRole::Coordinator {
            diesel::update(memberships::table.find((organisation_id, user_id)))
                .set(memberships::role.eq(role.as_str()))
                .execute(c)?;
        }
    }
    apply_assignments(c, organisation_id, user_id, assigned_by, now)?;
    Ok(inserted > 0)
}

/// Sets each of these learners' deadline for the course (if they have not completed
/// it) to the earliest deadline any organisation gave them for it, or none.
fn refresh_deadlines(c: &mut DbConnection, user_ids: &[i32], course_id: &str) -> StoreResult<()> {
    for chunk in user_ids.chunks(500) {
        let earliest: Vec<(i32, Option<NaiveDateTime>)> = assigned_enrolments::table
            .filter(assigned_enrolments::course_id.eq(course_id))
            .filter(assigned_enrolments::user_id.eq_any(chunk))
            .group_by(assigned_enrolments::user_id)
            .select((
                assigned_enrolments::user_id,
                diesel::dsl::min(assigned_enrolments::deadline),
            ))
            .load(c)?;
        let mut by_deadline: std::collections::BTreeMap<Option<NaiveDateTime>, Vec<i32>> =
            std::collections::BTreeMap::new();
        for u in chunk {
            let d = earliest
                .iter()
                .find(|(id, _)| id == u)
                .and_then(|(_, d)| *d);
            by_deadline.entry(d).or_default().push(*u);
        }
        for (deadline, users) in by_deadline {
            diesel::update(
                enrolments::table
                    .filter(enrolments::course_id.eq(course_id))
                    .filter(enrolments::user_id.eq_any(&users))
                    .filter(enrolments::completed_at.is_null()),
            )
            .set(enrolments::deadline.eq(deadline))
            .execute(c)?;
        }
    }
    Ok(())
}

/// The organisations that asked the user to join and await their answer, with the
/// role they were asked for and when, oldest first.
pub fn pending_memberships(
    c: &mut DbConnection,
    user_id: i32,
) -> StoreResult<Vec<(Organisation, MemberRole, NaiveDateTime)>> {
    let rows: Vec<(Organisation, String, NaiveDateTime)> = organisations::table
        .inner_join(memberships::table)
        .filter(memberships::user_id.eq(user_id))
        .filter(memberships::accepted_at.is_null())
        .order((memberships::created_at, organisations::id))
        .select((
            Organisation::as_select(),
            memberships::role,
            memberships::created_at,
        ))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|(o, r, at)| (o, MemberRole::parse(&r), at))
        .collect())
}

/// The organisations the user belongs to (requests they accepted), by name, with
/// their role in each.
pub fn memberships_of(
    c: &mut DbConnection,
    user_id: i32,
) -> StoreResult<Vec<(Organisation, MemberRole)>> {
    let rows: Vec<(Organisation, String)> = organisations::table
        .inner_join(memberships::table)
        .filter(memberships::user_id.eq(user_id))
        .filter(memberships::accepted_at.is_not_null())
        .order(organisations::name)
        .select((Organisation::as_select(), memberships::role))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|(o, r)| (o, MemberRole::parse(&r)))
        .collect())
}

/// The user accepts the organisation's request: they become a member (a
/// coordinator if asked to be one), and are enrolled in the courses it assigned.
/// `false` if there was no request.
pub fn accept_membership(
    c: &mut DbConnection,
    organisation_id: i32,
    user_id: i32,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    write_transaction(c, |c| {
        let n = diesel::update(
            memberships::table
                .find((organisation_id, user_id))
                .filter(memberships::accepted_at.is_null()),
        )
        .set(memberships::accepted_at.eq(Some(now)))
        .execute(c)?;
        if n == 0 {
            return Ok(false);
        }
        let role = role_in(c, organisation_id, user_id)?;
        if role == Some(MemberRole::Coordinator) {
            diesel::update(
                users::table
                    .find(user_id)
                    .filter(users::role.eq(leerpad_core::Role::Learner.as_str())),
            )
            .set(users::role.eq(leerpad_core::Role::Coordinator.as_str()))
            .execute(c)?;
        }
        apply_assignments(c, organisation_id, user_id, None, now)?;
        Ok(true)
    })
}

/// The user declines the organisation's request: it is gone, and the organisation
/// may ask again. `false` if there was no request.
pub fn decline_membership(
    c: &mut DbConnection,
    organisation_id: i32,
    user_id: i32,
) -> StoreResult<bool> {
    Ok(diesel::delete(
        memberships::table
            .find((organisation_id, user_id))
            .filter(memberships::accepted_at.is_null()),
    )
    .execute(c)?
        > 0)
}

/// Moves a member to another group, or out of any (`None`), and enrols them in the
/// new group's courses; `false` if the user is not a member.
pub fn set_member_group(
    c: &mut DbConnection,
    organisation_id: i32,
    user_id: i32,
    group_id: Option<i32>,
    assigned_by: Option<i32>,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    write_transaction(c, |c| {
        check_group(c, organisation_id, group_id)?;
        let n = diesel::update(memberships::table.find((organisation_id, user_id)))
            .set(memberships::group_id.eq(group_id))
            .execute(c)?;
        if n > 0 {
            apply_assignments(c, organisation_id, user_id, assigned_by, now)?;
        }
        Ok(n > 0)
    })
}

/// Takes a user out of the organisation: their account and enrolments stay, but the
/// organisation no longer sees them in its reports.
pub fn remove_member(
    c: &mut DbConnection,
    organisation_id: i32,
    user_id: i32,
) -> StoreResult<bool> {
    write_transaction(c, |c| {
        let courses: Vec<String> = diesel::delete(
            assigned_enrolments::table
                .filter(assigned_enrolments::organisation_id.eq(organisation_id))
                .filter(assigned_enrolments::user_id.eq(user_id)),
        )
        .returning(assigned_enrolments::course_id)
        .get_results(c)?;
        for course in courses {
            refresh_deadlines(c, &[user_id], &course)?;
        }
        Ok(diesel::delete(memberships::table.find((organisation_id, user_id))).execute(c)? > 0)
    })
}

/// Enrols these members in the course (those enrolled already keep their
/// enrolment) and records that the organisation asked them to take it, with its
/// deadline, which is what puts their enrolment in its reports; an earlier request
/// of the organisation keeps its deadline. Then each learner's deadline is the
/// earliest any organisation gave. Returns how many were enrolled now.
fn enrol_assigned(
    c: &mut DbConnection,
    organisation_id: i32,
    user_ids: &[i32],
    course_id: &str,
    deadline: Option<NaiveDateTime>,
    assigned_by: Option<i32>,
    now: NaiveDateTime,
) -> StoreResult<usize> {
    let mut enrolled = 0;
    // 100 rows of 5 values stay well under either backend's limit on bound values.
    for chunk in user_ids.chunks(100) {
        let enrolments: Vec<_> = chunk
            .iter()
            .map(|u| {
                (
                    enrolments::user_id.eq(*u),
                    enrolments::course_id.eq(course_id),
                    enrolments::enrolled_at.eq(now),
                    enrolments::deadline.eq(deadline),
                    enrolments::assigned_by.eq(assigned_by),
                )
            })
            .collect();
        enrolled += per_backend!(&mut *c, |b| diesel::insert_into(enrolments::table)
            .values(&enrolments)
            .on_conflict((enrolments::user_id, enrolments::course_id))
            .do_nothing()
            .execute(b))?;
        let assigned: Vec<_> = chunk
            .iter()
            .map(|u| {
                (
                    assigned_enrolments::organisation_id.eq(organisation_id),
                    assigned_enrolments::user_id.eq(*u),
                    assigned_enrolments::course_id.eq(course_id),
                    assigned_enrolments::assigned_at.eq(now),
                    assigned_enrolments::deadline.eq(deadline),
                )
            })
            .collect();
        per_backend!(&mut *c, |b| diesel::insert_into(assigned_enrolments::table)
            .values(&assigned)
            .on_conflict_do_nothing()
            .execute(b))?;
        refresh_deadlines(c, chunk, course_id)?;
    }
    Ok(enrolled)
}

/// Refuses a course that does not exist or is archived.
fn check_course(c: &mut DbConnection, course_id: &str) -> StoreResult<()> {
    let found: i64 = courses::table
        .filter(courses::id.eq(course_id))
        .filter(courses::archived_at.is_null())
        .count()
        .get_result(c)?;
    if found == 0 {
        return Err(StoreError::Invalid(format!(
            "there is no course `{course_id}`"
        )));
    }
    Ok(())
}

// --- assignments ---

/// A course given to an organisation or one of its groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub id: i32,
    pub course_id: String,
    pub group_id: Option<i32>,
    pub group: Option<String>,
    pub deadline: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

type AssignmentRow = (
    i32,
    String,
    Option<i32>,
    Option<String>,
    Option<NaiveDateTime>,
    NaiveDateTime,
);

pub fn assignments(c: &mut DbConnection, organisation_id: i32) -> StoreResult<Vec<Assignment>> {
    let rows: Vec<AssignmentRow> = assignments::table
        .left_join(org_groups::table)
        .filter(assignments::organisation_id.eq(organisation_id))
        .order((assignments::course_id, org_groups::name.nullable()))
        .select((
            assignments::id,
            assignments::course_id,
            assignments::group_id,
            org_groups::name.nullable(),
            assignments::deadline,
            assignments::updated_at,
        ))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|r| Assignment {
            id: r.0,
            course_id: r.1,
            group_id: r.2,
            group: r.3,
            deadline: r.4,
            updated_at: r.5,
        })
        .collect())
}

/// What an assignment changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Assigned {
    /// Members enrolled now.
    pub enrolled: usize,
    /// Members enrolled before whose deadline was set to the assignment's.
    pub deadlines_set: usize,
}

/// Assigns a course to everyone in the organisation (`group_id` `None`) or in one
/// of its groups, with a deadline: records the assignment (replacing the deadline
/// of an earlier one for the same course and group), enrols every member it covers,
/// and gives members already enrolled who have not completed the course the new
/// deadline. One transaction.
pub fn assign(
    c: &mut DbConnection,
    organisation_id: i32,
    group_id: Option<i32>,
    course_id: &str,
    deadline: Option<NaiveDateTime>,
    assigned_by: Option<i32>,
    now: NaiveDateTime,
) -> StoreResult<Assigned> {
    write_transaction(c, |c| {
        check_course(c, course_id)?;
        check_group(c, organisation_id, group_id)?;
        let mut existing = assignments::table
            .filter(assignments::organisation_id.eq(organisation_id))
            .filter(assignments::course_id.eq(course_id))
            .select(assignments::id)
            .into_boxed();
        existing = match group_id {
            Some(g) => existing.filter(assignments::group_id.eq(g)),
            None => existing.filter(assignments::group_id.is_null()),
        };
        let existing: Option<i32> = existing.first(c).optional()?;
        match existing {
            Some(id) => {
                diesel::update(assignments::table.find(id))
                    .set((
                        assignments::deadline.eq(deadline),
                        assignments::assigned_by.eq(assigned_by),
                        assignments::updated_at.eq(now),
                    ))
                    .execute(c)?;
            }
            None => {
                diesel::insert_into(assignments::table)
                    .values((
                        assignments::organisation_id.eq(organisation_id),
                        assignments::group_id.eq(group_id),
                        assignments::course_id.eq(course_id),
                        assignments::deadline.eq(deadline),
                        assignments::assigned_by.eq(assigned_by),
                        assignments::created_at.eq(now),
                        assignments::updated_at.eq(now),
                    ))
                    .execute(c)?;
            }
        }
        let mut members = memberships::table
            .filter(memberships::organisation_id.eq(organisation_id))
            .filter(memberships::accepted_at.is_not_null())
            .select(memberships::user_id)
            .into_boxed();
        if let Some(g) = group_id {
            members = members.filter(memberships::group_id.eq(g));
        }
        let members: Vec<i32> = members.load(c)?;
        // An organisation-wide deadline does not override a group's own assignment
        // of the course: members of such groups keep their group's deadline (as
        // members who join later get it, see `apply_assignments`).
        let keep_deadline: Vec<i32> = if group_id.is_none() {
            let groups_with_own: Vec<Option<i32>> = assignments::table
                .filter(assignments::organisation_id.eq(organisation_id))
                .filter(assignments::course_id.eq(course_id))
                .filter(assignments::group_id.is_not_null())
                .select(assignments::group_id)
                .load(c)?;
            memberships::table
                .filter(memberships::organisation_id.eq(organisation_id))
                .filter(
                    memberships::group_id
                        .eq_any(groups_with_own.into_iter().flatten().collect::<Vec<_>>()),
                )
                .select(memberships::user_id)
                .load(c)?
        } else {
            Vec::new()
        };
        let mut out = Assigned::default();
        for chunk in members.chunks(500) {
            let to_update: Vec<i32> = chunk
                .iter()
                .copied()
                .filter(|u| !keep_deadline.contains(u))
                .collect();
            // First this organisation's deadline for the members it asked before who
            // have not completed the course, then the new enrolments (which also
            // give every member the earliest deadline of all).
            let open: Vec<i32> = enrolments::table
                .filter(enrolments::course_id.eq(course_id))
                .filter(enrolments::user_id.eq_any(&to_update))
                .filter(enrolments::completed_at.is_null())
                .select(enrolments::user_id)
                .load(c)?;
            diesel::update(
                assigned_enrolments::table
                    .filter(assigned_enrolments::organisation_id.eq(organisation_id))
                    .filter(assigned_enrolments::course_id.eq(course_id))
                    .filter(assigned_enrolments::user_id.eq_any(&open)),
            )
            .set(assigned_enrolments::deadline.eq(deadline))
            .execute(c)?;
            out.deadlines_set += open.len();
            out.enrolled += enrol_assigned(
                c,
                organisation_id,
                chunk,
                course_id,
                deadline,
                assigned_by,
                now,
            )?;
        }
        Ok(out)
    })
}

/// Assigns a course to one member, with the organisation's deadline: enrols them
/// (or changes the organisation's deadline if it asked before) and puts the
/// enrolment in the organisation's reports. `false` if the user is not a member.
pub fn assign_member(
    c: &mut DbConnection,
    organisation_id: i32,
    user_id: i32,
    course_id: &str,
    deadline: Option<NaiveDateTime>,
    assigned_by: Option<i32>,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    write_transaction(c, |c| {
        if role_in(c, organisation_id, user_id)?.is_none() {
            return Ok(false);
        }
        check_course(c, course_id)?;
        diesel::update(assigned_enrolments::table.find((organisation_id, user_id, course_id)))
            .set(assigned_enrolments::deadline.eq(deadline))
            .execute(c)?;
        enrol_assigned(
            c,
            organisation_id,
            &[user_id],
            course_id,
            deadline,
            assigned_by,
            now,
        )?;
        Ok(true)
    })
}

/// Removes an assignment; learners stay enrolled, with their deadlines.
pub fn remove_assignment(
    c: &mut DbConnection,
    organisation_id: i32,
    assignment_id: i32,
) -> StoreResult<bool> {
    Ok(diesel::delete(
        assignments::table
            .filter(assignments::id.eq(assignment_id))
            .filter(assignments::organisation_id.eq(organisation_id)),
    )
    .execute(c)?
        > 0)
}

/// Enrols a member in every course assigned to the organisation or to their group
/// that they are not enrolled in yet, with that assignment's deadline. Where both
/// give the course, the group's deadline wins.
pub fn apply_assignments(
    c: &mut DbConnection,
    organisation_id: i32,
    user_id: i32,
    assigned_by: Option<i32>,
    now: NaiveDateTime,
) -> StoreResult<usize> {
    let group_id: Option<Option<i32>> = memberships::table
        .find((organisation_id, user_id))
        .select(memberships::group_id)
        .first(c)
        .optional()?;
    let Some(group_id) = group_id else {
        return Ok(0);
    };
    let mut rows: Vec<(String, Option<i32>, Option<NaiveDateTime>)> = assignments::table
        .filter(assignments::organisation_id.eq(organisation_id))
        .select((
            assignments::course_id,
            assignments::group_id,
            assignments::deadline,
        ))
        .load(c)?;
    rows.retain(|(_, g, _)| g.is_none() || *g == group_id);
    // Group assignments after organisation-wide ones, so theirs are inserted first.
    rows.sort_by_key(|(_, g, _)| g.is_none());
    let mut enrolled = 0;
    for (course_id, _, deadline) in rows {
        enrolled += enrol_assigned(
            c,
            organisation_id,
            &[user_id],
            &course_id,
            deadline,
            assigned_by,
            now,
        )?;
    }
    Ok(enrolled)
}

/// Changes the organisation's deadline for one member and one course it assigned
/// them (another organisation's deadline for the same course stays as it is; the
/// learner's is the earliest); `false` if the user is not a member or the
/// organisation did not assign them the course.
pub fn set_deadline(
    c: &mut DbConnection,
    organisation_id: i32,
    user_id: i32,
    course_id: &str,
    deadline: Option<NaiveDateTime>,
) -> StoreResult<bool> {
    write_transaction(c, |c| {
        if role_in(c, organisation_id, user_id)?.is_none() {
            return Ok(false);
        }
        let n =
            diesel::update(assigned_enrolments::table.find((organisation_id, user_id, course_id)))
                .set(assigned_enrolments::deadline.eq(deadline))
                .execute(c)?;
        if n == 0 {
            return Ok(false);
        }
        refresh_deadlines(c, &[user_id], course_id)?;
        Ok(true)
    })
}
