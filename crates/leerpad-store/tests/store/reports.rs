//! Organisations' course assignments and their completion reports: who gets enrolled
//! (and nobody else), which rows a report holds, their statuses, filters and sort
//! orders, and the progress figures reports read. On SQLite, and on PostgreSQL when
//! `LEERPAD_TEST_DATABASE_URL` is set.

use crate::support;

use std::cmp::Ordering;
use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use leerpad_core::report::{DateField, ReportQuery, SortColumn, Status};
use leerpad_core::Role;
use leerpad_store::accounts::{self, NewUser};
use leerpad_store::learning::{self, NewCertificate};
use leerpad_store::organisations::{self, Assigned, MemberRole, Organisation};
use leerpad_store::reports::{self, StoredRow};
use leerpad_store::schema::{assignments, courses, enrolments, memberships, users};
use leerpad_store::{Db, DbConnection, StoreError};
use support::{backends, course, now, opts, publish_one};

const TWEEDE: &str =
    "id: tweede\ntitle: Tweede\nlanguage: nl\nsummary: Nog een proefcursus.\nduration_minutes: 20\n";
const EIND_QUIZ: &str = "id: eind\ntitle: Eindtoets\nquestions:\n  - id: e1\n    type: true_false\n    prompt: Juist?\n    answer: true\n  - id: e2\n    type: true_false\n    prompt: Fout?\n    answer: false\n";

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M"))
        .unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn ms(n: i64) -> TimeDelta {
    TimeDelta::milliseconds(n)
}

/// Publishes `proef` (with a second quiz, `eind`) and `tweede`; returns the id of
/// the version of `proef`.
fn publish_courses(db: &Db) -> i32 {
    publish_one(
        db,
        &course(&[("02-verder/02-eind.quiz.yaml", Some(EIND_QUIZ))]),
        &opts(),
    )
    .unwrap();
    publish_one(db, &course(&[("course.yaml", Some(TWEEDE))]), &opts()).unwrap();
    let mut c = db.conn().unwrap();
    courses::table
        .find("proef")
        .select(courses::current_version_id)
        .first::<Option<i32>>(&mut *c)
        .unwrap()
        .expect("published")
}

fn user(c: &mut DbConnection, email: &str, name: &str, verified: bool) -> i32 {
    accounts::create_user(
        c,
        &NewUser {
            email,
            display_name: name,
            password_hash: None,
            role: Role::Learner,
            language: "nl",
            verified,
        },
        now() - TimeDelta::days(100),
    )
    .unwrap()
    .expect("a new address")
    .id
}

fn organisation(c: &mut DbConnection, slug: &str) -> Organisation {
    organisations::create(c, slug, &format!("Organisatie {slug}"), now())
        .unwrap()
        .expect("a new slug")
}

fn group(c: &mut DbConnection, org: &Organisation, name: &str) -> i32 {
    organisations::group_named(c, org.id, name, now())
        .unwrap()
        .id
}

fn join(c: &mut DbConnection, org: &Organisation, user: i32, group: Option<i32>) {
    assert!(
        organisations::add_member(c, org.id, user, MemberRole::Member, group, None, now()).unwrap()
    );
}

/// (user, deadline, assigned_by, enrolled_at) of every enrolment in `course`, by user.
type EnrolmentFacts = (i32, Option<NaiveDateTime>, Option<i32>, NaiveDateTime);

fn enrolled_in(c: &mut DbConnection, course: &str) -> Vec<EnrolmentFacts> {
    enrolments::table
        .filter(enrolments::course_id.eq(course))
        .order(enrolments::user_id)
        .select((
            enrolments::user_id,
            enrolments::deadline,
            enrolments::assigned_by,
            enrolments::enrolled_at,
        ))
        .load(c)
        .unwrap()
}

fn deadline_of(c: &mut DbConnection, user: i32, course: &str) -> Option<NaiveDateTime> {
    learning::enrolment(c, user, course)
        .unwrap()
        .expect("enrolled")
        .deadline
}

// --- assignments ---

#[test]
fn assigning_to_a_group_enrols_exactly_its_members_with_the_deadline() {
    for t in backends() {
        publish_courses(&t.db);
        let c = &mut *t.db.conn().unwrap();
        let gent = organisation(c, "gent");
        let noord = group(c, &gent, "Noord");
        let zuid = group(c, &gent, "Zuid");
        let coordinator = user(c, "coordinator@gent.example", "Coördinator", true);
        organisations::add_member(
            c,
            gent.id,
            coordinator,
            MemberRole::Coordinator,
            None,
            None,
            now(),
        )
        .unwrap();
        let a = user(c, "a@gent.example", "A", true);
        let b = user(c, "b@gent.example", "B", false);
        let z = user(c, "z@gent.example", "Z", true);
        let loose = user(c, "loose@gent.example", "Loose", true);
        let outsider = user(c, "outsider@example.org", "Outsider", true);
        join(c, &gent, a, Some(noord));
        join(c, &gent, b, Some(noord));
        join(c, &gent, z, Some(zuid));
        join(c, &gent, loose, None);

        let deadline = Some(now() + TimeDelta::days(30));
        let later = now() + TimeDelta::hours(1);
        let out = organisations::assign(
            c,
            gent.id,
            Some(noord),
            "proef",
            deadline,
            Some(coordinator),
            later,
        )
        .unwrap();
        assert_eq!(
            out,
            Assigned {
                enrolled: 2,
                deadlines_set: 0
            },
            "{}",
            t.name
        );
        assert_eq!(
            enrolled_in(c, "proef"),
            vec![
                (a, deadline, Some(coordinator), later),
                (b, deadline, Some(coordinator), later)
            ],
            "{}",
            t.name
        );
        assert!(enrolled_in(c, "tweede").is_empty(), "{}", t.name);
        let listed = organisations::assignments(c, gent.id).unwrap();
        assert_eq!(listed.len(), 1, "{}", t.name);
        assert_eq!(listed[0].course_id, "proef");
        assert_eq!(listed[0].group_id, Some(noord));
        assert_eq!(listed[0].group.as_deref(), Some("Noord"));
        assert_eq!(listed[0].deadline, deadline);
        let _ = outsider;
    }
}

#[test]
fn assigning_to_the_whole_organisation_enrols_every_member() {
    for t in backends() {
        publish_courses(&t.db);
        let c = &mut *t.db.conn().unwrap();
        let gent = organisation(c, "gent");
        let brugge = organisation(c, "brugge");
        let noord = group(c, &gent, "Noord");
        let a = user(c, "a@gent.example", "A", true);
        let b = user(c, "b@gent.example", "B", false);
        let d = user(c, "d@gent.example", "D", true);
        let x = user(c, "x@brugge.example", "X", true);
        let outsider = user(c, "outsider@example.org", "Outsider", true);
        join(c, &gent, a, Some(noord));
        join(c, &gent, b, None);
        organisations::add_member(c, gent.id, d, MemberRole::Coordinator, None, None, now())
            .unwrap();
        join(c, &brugge, x, None);

        let out = organisations::assign(c, gent.id, None, "tweede", None, Some(d), now()).unwrap();
        assert_eq!(out.enrolled, 3, "{}", t.name);
        assert_eq!(out.deadlines_set, 0, "{}", t.name);
        let users: Vec<i32> = enrolled_in(c, "tweede").iter().map(|e| e.0).collect();
        assert_eq!(users, vec![a, b, d], "{}", t.name);
        assert!(!users.contains(&x) && !users.contains(&outsider));
        // Assigning the same again enrols nobody twice.
        let again =
            organisations::assign(c, gent.id, None, "tweede", None, Some(d), now()).unwrap();
        assert_eq!(again.enrolled, 0, "{}", t.name);
        assert_eq!(enrolled_in(c, "tweede").len(), 3, "{}", t.name);
        assert_eq!(organisations::assignments(c, gent.id).unwrap().len(), 1);
    }
}

#[test]
fn reassigning_changes_the_deadline_of_enrolments_not_completed_only() {
    for t in backends() {
        publish_courses(&t.db);
        let c = &mut *t.db.conn().unwrap();
        let gent = organisation(c, "gent");
        let noord = group(c, &gent, "Noord");
        let done = user(c, "done@gent.example", "Done", true);
        let busy = user(c, "busy@gent.example", "Busy", true);
        let early = user(c, "early@gent.example", "Early", true);
        let elsewhere = user(c, "elsewhere@gent.example", "Elsewhere", true);
        for u in [done, busy, early] {
            join(c, &gent, u, Some(noord));
        }
        join(c, &gent, elsewhere, None);
        // Enrolled on their own before any assignment, without a deadline.
        learning::enrol(c, early, "proef", now() - TimeDelta::days(3)).unwrap();
        learning::enrol(c, elsewhere, "proef", now() - TimeDelta::days(3)).unwrap();

        let first = Some(at("2026-10-01 00:00"));
        let out =
            organisations::assign(c, gent.id, Some(noord), "proef", first, None, now()).unwrap();
        assert_eq!(
            out,
            Assigned {
                enrolled: 2,
                deadlines_set: 1
            },
            "{}",
            t.name
        );
        assert_eq!(deadline_of(c, early, "proef"), first, "{}", t.name);
        assert_eq!(deadline_of(c, elsewhere, "proef"), None, "{}", t.name);
        learning::mark_completed(c, done, "proef", now()).unwrap();

        let second = Some(at("2026-11-15 17:00"));
        let out =
            organisations::assign(c, gent.id, Some(noord), "proef", second, None, now()).unwrap();
        assert_eq!(
            out,
            Assigned {
                enrolled: 0,
                deadlines_set: 2
            },
            "{}",
            t.name
        );
        assert_eq!(deadline_of(c, done, "proef"), first, "{}", t.name);
        assert_eq!(deadline_of(c, busy, "proef"), second, "{}", t.name);
        assert_eq!(deadline_of(c, early, "proef"), second, "{}", t.name);
        assert_eq!(deadline_of(c, elsewhere, "proef"), None, "{}", t.name);
        // Still one assignment, with the new deadline.
        let listed = organisations::assignments(c, gent.id).unwrap();
        assert_eq!(listed.len(), 1, "{}", t.name);
        assert_eq!(listed[0].deadline, second);

        // Reassigning without a deadline takes it away, again only where not completed.
        organisations::assign(c, gent.id, Some(noord), "proef", None, None, now()).unwrap();
        assert_eq!(deadline_of(c, done, "proef"), first, "{}", t.name);
        assert_eq!(deadline_of(c, busy, "proef"), None, "{}", t.name);
    }
}

#[test]
fn members_who_join_later_are_enrolled_in_what_was_assigned() {
    for t in backends() {
        publish_courses(&t.db);
        let c = &mut *t.db.conn().unwrap();
        let gent = organisation(c, "gent");
        let noord = group(c, &gent, "Noord");
        let zuid = group(c, &gent, "Zuid");
        let org_deadline = Some(at("2026-12-01 00:00"));
        let noord_deadline = Some(at("2026-10-15 00:00"));
        organisations::assign(c, gent.id, None, "proef", org_deadline, None, now()).unwrap();
        organisations::assign(
            c,
            gent.id,
            Some(noord),
            "proef",
            noord_deadline,
            None,
            now(),
        )
        .unwrap();
        organisations::assign(c, gent.id, Some(zuid), "tweede", None, None, now()).unwrap();
        assert!(enrolled_in(c, "proef").is_empty(), "{}", t.name);

        // add_member applies the assignments.
        let n = user(c, "n@gent.example", "N", true);
        let later = now() + TimeDelta::days(2);
        assert!(organisations::add_member(
            c,
            gent.id,
            n,
            MemberRole::Member,
            Some(noord),
            Some(n),
            later
        )
        .unwrap());
        assert_eq!(
            enrolled_in(c, "proef"),
            vec![(n, noord_deadline, Some(n), later)],
            "the group's deadline wins ({})",
            t.name
        );
        assert!(enrolled_in(c, "tweede").is_empty(), "{}", t.name);

        let loose = user(c, "loose@gent.example", "Loose", true);
        join(c, &gent, loose, None);
        assert_eq!(deadline_of(c, loose, "proef"), org_deadline, "{}", t.name);
        assert!(learning::enrolment(c, loose, "tweede").unwrap().is_none());

        // A membership written some other way: apply_assignments enrols.
        let s = user(c, "s@gent.example", "S", true);
        diesel::insert_into(memberships::table)
            .values((
                memberships::organisation_id.eq(gent.id),
                memberships::user_id.eq(s),
                memberships::role.eq("member"),
                memberships::group_id.eq(Some(zuid)),
                memberships::created_at.eq(now()),
                memberships::accepted_at.eq(Some(now())),
            ))
            .execute(c)
            .unwrap();
        assert_eq!(
            organisations::apply_assignments(c, gent.id, s, None, now()).unwrap(),
            2,
            "{}",
            t.name
        );
        assert_eq!(deadline_of(c, s, "proef"), org_deadline, "{}", t.name);
        assert_eq!(deadline_of(c, s, "tweede"), None, "{}", t.name);
        // Applying again changes nothing; a non-member gets nothing.
        assert_eq!(
            organisations::apply_assignments(c, gent.id, s, None, now()).unwrap(),
            0
        );
        let outsider = user(c, "outsider@example.org", "Outsider", true);
        assert_eq!(
            organisations::apply_assignments(c, gent.id, outsider, None, now()).unwrap(),
            0
        );
        assert!(learning::enrolments_of(c, outsider).unwrap().is_empty());

        // Moving into a group enrols in that group's courses.
        assert!(
            organisations::set_member_group(c, gent.id, loose, Some(zuid), None, now()).unwrap()
        );
        assert_eq!(deadline_of(c, loose, "tweede"), None, "{}", t.name);
        // add_member of someone who is a member already moves them.
        assert!(!organisations::add_member(
            c,
            gent.id,
            n,
            MemberRole::Member,
            Some(zuid),
            None,
            now()
        )
        .unwrap());
        assert_eq!(
            organisations::member(c, gent.id, n)
                .unwrap()
                .unwrap()
                .group_id,
            Some(zuid)
        );
        assert!(learning::enrolment(c, n, "tweede").unwrap().is_some());
    }
}

#[test]
fn members_of_another_organisation_are_never_touched() {
    for t in backends() {
        publish_courses(&t.db);
        let c = &mut *t.db.conn().unwrap();
        let gent = organisation(c, "gent");
        let brugge = organisation(c, "brugge");
        // Both have a group called Noord.
        let gent_noord = group(c, &gent, "Noord");
        let brugge_noord = group(c, &brugge, "Noord");
        let g = user(c, "g@gent.example", "G", true);
        let b = user(c, "b@brugge.example", "B", true);
        let both = user(c, "both@example.org", "Both", true);
        join(c, &gent, g, Some(gent_noord));
        join(c, &brugge, b, Some(brugge_noord));
        join(c, &brugge, both, Some(brugge_noord));
        join(c, &gent, both, None);
        let brugge_deadline = Some(at("2026-10-01 00:00"));
        organisations::assign(
            c,
            brugge.id,
            Some(brugge_noord),
            "proef",
            brugge_deadline,
            None,
            now(),
        )
        .unwrap();
        assert_eq!(deadline_of(c, b, "proef"), brugge_deadline);

        let gent_deadline = Some(at("2026-11-01 00:00"));
        let out = organisations::assign(
            c,
            gent.id,
            Some(gent_noord),
            "proef",
            gent_deadline,
            None,
            now(),
        )
        .unwrap();
        assert_eq!(
            out,
            Assigned {
                enrolled: 1,
                deadlines_set: 0
            },
            "{}",
            t.name
        );
        assert_eq!(deadline_of(c, b, "proef"), brugge_deadline, "{}", t.name);
        assert_eq!(deadline_of(c, both, "proef"), brugge_deadline, "{}", t.name);

        // Organisation-wide: gent's members only (someone in both counts as gent's).
        let out =
            organisations::assign(c, gent.id, None, "tweede", gent_deadline, None, now()).unwrap();
        assert_eq!(out.enrolled, 2, "{}", t.name);
        assert!(learning::enrolment(c, b, "tweede").unwrap().is_none());
        organisations::assign(c, gent.id, None, "proef", gent_deadline, None, now()).unwrap();
        assert_eq!(deadline_of(c, b, "proef"), brugge_deadline, "{}", t.name);
        // Someone in both keeps brugge's deadline, the earlier one; gent's report
        // shows gent's own.
        assert_eq!(deadline_of(c, both, "proef"), brugge_deadline, "{}", t.name);
        let in_gent = reports::member_rows(c, gent.id, both, now()).unwrap();
        let proef = in_gent.iter().find(|r| r.course_id == "proef").unwrap();
        assert_eq!(proef.deadline, gent_deadline, "{}", t.name);
        let in_brugge = reports::member_rows(c, brugge.id, both, now()).unwrap();
        assert_eq!(in_brugge[0].deadline, brugge_deadline, "{}", t.name);

        // Brugge's assignments do not apply to gent's members.
        let later = user(c, "later@gent.example", "Later", true);
        join(c, &gent, later, Some(gent_noord));
        assert_eq!(deadline_of(c, later, "proef"), gent_deadline);
        assert!(organisations::assignments(c, brugge.id)
            .unwrap()
            .iter()
            .all(|a| a.group_id == Some(brugge_noord)));
    }
}

#[test]
fn assigning_an_unknown_course_or_another_organisations_group_is_an_error() {
    for t in backends() {
        publish_courses(&t.db);
        let c = &mut *t.db.conn().unwrap();
        let gent = organisation(c, "gent");
        let brugge = organisation(c, "brugge");
        let brugge_group = group(c, &brugge, "Oost");
        let a = user(c, "a@gent.example", "A", true);
        let b = user(c, "b@brugge.example", "B", true);
        join(c, &gent, a, None);
        join(c, &brugge, b, Some(brugge_group));

        let e = organisations::assign(c, gent.id, None, "bestaat-niet", None, None, now());
        assert!(
            matches!(e, Err(StoreError::Invalid(_))),
            "{}: {e:?}",
            t.name
        );
        let e = organisations::assign(c, gent.id, Some(brugge_group), "proef", None, None, now());
        assert!(
            matches!(e, Err(StoreError::Invalid(_))),
            "{}: {e:?}",
            t.name
        );
        let e = organisations::assign(c, gent.id, Some(999_999), "proef", None, None, now());
        assert!(
            matches!(e, Err(StoreError::Invalid(_))),
            "{}: {e:?}",
            t.name
        );
        // An archived course cannot be assigned any more.
        diesel::update(courses::table.find("tweede"))
            .set(courses::archived_at.eq(Some(now())))
            .execute(c)
            .unwrap();
        let e = organisations::assign(c, gent.id, None, "tweede", None, None, now());
        assert!(
            matches!(e, Err(StoreError::Invalid(_))),
            "{}: {e:?}",
            t.name
        );

        let assignments: i64 = assignments::table.count().get_result(c).unwrap();
        assert_eq!(assignments, 0, "{}", t.name);
        let enrolments: i64 = enrolments::table.count().get_result(c).unwrap();
        assert_eq!(enrolments, 0, "{}", t.name);
    }
}

#[test]
fn a_group_of_another_organisation_cannot_hold_a_member() {
    for t in backends() {
        publish_courses(&t.db);
        let c = &mut *t.db.conn().unwrap();
        let gent = organisation(c, "gent");
        let brugge = organisation(c, "brugge");
        let brugge_group = group(c, &brugge, "Oost");
        let a = user(c, "a@gent.example", "A", true);
        let e = organisations::add_member(
            c,
            gent.id,
            a,
            organisations::MemberRole::Member,
            Some(brugge_group),
            None,
            now(),
        );
        assert!(
            matches!(e, Err(StoreError::Invalid(_))),
            "{}: {e:?}",
            t.name
        );
        join(c, &gent, a, None);
        let e = organisations::set_member_group(c, gent.id, a, Some(brugge_group), None, now());
        assert!(
            matches!(e, Err(StoreError::Invalid(_))),
            "{}: {e:?}",
            t.name
        );
    }
}

#[test]
fn an_organisation_wide_deadline_leaves_a_groups_own_deadline() {
    for t in backends() {
        publish_courses(&t.db);
        let c = &mut *t.db.conn().unwrap();
        let gent = organisation(c, "gent");
        let oost = group(c, &gent, "Oost");
        let a = user(c, "a@gent.example", "A", true);
        let b = user(c, "b@gent.example", "B", true);
        join(c, &gent, a, Some(oost));
        join(c, &gent, b, None);
        let group_deadline = Some(at("2027-01-31 23:59"));
        let org_deadline = Some(at("2027-03-31 23:59"));
        organisations::assign(c, gent.id, Some(oost), "proef", group_deadline, None, now())
            .unwrap();
        organisations::assign(c, gent.id, None, "proef", org_deadline, None, now()).unwrap();
        assert_eq!(deadline_of(c, a, "proef"), group_deadline, "{}", t.name);
        assert_eq!(deadline_of(c, b, "proef"), org_deadline, "{}", t.name);
        // Someone joining the group later gets the group's deadline too.
        let d = user(c, "d@gent.example", "D", true);
        join(c, &gent, d, Some(oost));
        assert_eq!(deadline_of(c, d, "proef"), group_deadline, "{}", t.name);
    }
}

#[test]
fn set_deadline_refuses_a_user_who_is_not_a_member() {
    for t in backends() {
        publish_courses(&t.db);
        let c = &mut *t.db.conn().unwrap();
        let gent = organisation(c, "gent");
        let brugge = organisation(c, "brugge");
        let a = user(c, "a@gent.example", "A", true);
        let b = user(c, "b@brugge.example", "B", true);
        let nobody = user(c, "nobody@example.org", "Nobody", true);
        join(c, &gent, a, None);
        join(c, &brugge, b, None);
        let old = Some(at("2026-10-01 00:00"));
        // Each organisation sets deadlines for what it assigned; nobody enrolled on
        // their own.
        organisations::assign_member(c, gent.id, a, "proef", old, None, now()).unwrap();
        organisations::assign_member(c, brugge.id, b, "proef", old, None, now()).unwrap();
        learning::enrol(c, nobody, "proef", now()).unwrap();
        let new = Some(at("2026-12-24 12:00"));
        assert!(!organisations::set_deadline(c, gent.id, b, "proef", new).unwrap());
        assert!(!organisations::set_deadline(c, gent.id, nobody, "proef", new).unwrap());
        assert_eq!(deadline_of(c, b, "proef"), old, "{}", t.name);
        assert_eq!(deadline_of(c, nobody, "proef"), None, "{}", t.name);
        // A member: changed; a member not enrolled in the course: false.
        assert!(organisations::set_deadline(c, gent.id, a, "proef", new).unwrap());
        assert_eq!(deadline_of(c, a, "proef"), new, "{}", t.name);
        assert!(!organisations::set_deadline(c, gent.id, a, "tweede", new).unwrap());
        assert!(organisations::set_deadline(c, gent.id, a, "proef", None).unwrap());
        assert_eq!(deadline_of(c, a, "proef"), None, "{}", t.name);
    }
}

// --- reports ---

/// An enrolment as the fixture writes it.
#[derive(Debug, Clone)]
struct Fact {
    user: i32,
    course: &'static str,
    enrolled: NaiveDateTime,
    deadline: Option<NaiveDateTime>,
    started: Option<NaiveDateTime>,
    last: Option<NaiveDateTime>,
    completed: Option<NaiveDateTime>,
    progress: i32,
    scores: &'static str,
    certificate: Option<&'static str>,
}

#[derive(Debug, Clone)]
struct Person {
    id: i32,
    name: &'static str,
    email: &'static str,
    verified: bool,
}

/// Two organisations, their members in groups, and enrolments in every status.
struct Fixture {
    gent: Organisation,
    brugge: Organisation,
    /// Groups of gent: centrum, noord, Zuid; brugge's Oost.
    groups: Vec<(i32, &'static str)>,
    people: Vec<Person>,
    /// (organisation, user, group)
    memberships: Vec<(i32, i32, Option<i32>)>,
    facts: Vec<Fact>,
    now: NaiveDateTime,
}

impl Fixture {
    fn person(&self, id: i32) -> &Person {
        self.people.iter().find(|p| p.id == id).unwrap()
    }

    fn group_name(&self, id: i32) -> &'static str {
        self.groups.iter().find(|g| g.0 == id).unwrap().1
    }

    /// Every row of `org`'s report, unordered, as the rules say it should be.
    fn expected(&self, org: i32) -> Vec<StoredRow> {
        let mut out = Vec::new();
        for f in &self.facts {
            let Some(&(_, _, group)) = self
                .memberships
                .iter()
                .find(|m| m.0 == org && m.1 == f.user)
            else {
                continue;
            };
            let p = self.person(f.user);
            out.push(StoredRow {
                user_id: p.id,
                name: p.name.to_string(),
                email: p.email.to_string(),
                group: group.map(|g| self.group_name(g).to_string()),
                course_id: f.course.to_string(),
                status: Status::of(
                    p.verified,
                    f.started.is_some(),
                    f.completed.is_some(),
                    f.deadline,
                    self.now,
                ),
                progress_percent: f.progress,
                enrolled_at: f.enrolled,
                deadline: f.deadline,
                last_activity_at: f.last,
                completed_at: f.completed,
                quiz_scores: f.scores.to_string(),
                certificate: f.certificate.map(str::to_string),
            });
        }
        out
    }

    fn group_of(&self, org: i32, user: i32) -> Option<i32> {
        self.memberships
            .iter()
            .find(|m| m.0 == org && m.1 == user)
            .and_then(|m| m.2)
    }

    /// The expected report of `org` for `q`: filtered and sorted here, independently
    /// of the SQL.
    fn report(&self, org: i32, q: &ReportQuery) -> Vec<StoredRow> {
        let mut rows: Vec<StoredRow> = self
            .expected(org)
            .into_iter()
            .filter(|r| q.course.as_ref().is_none_or(|c| *c == r.course_id))
            .filter(|r| {
                q.group
                    .is_none_or(|g| self.group_of(org, r.user_id) == Some(g))
            })
            .filter(|r| q.statuses.is_empty() || q.statuses.contains(&r.status))
            .filter(|r| {
                if q.from.is_none() && q.to.is_none() {
                    return true;
                }
                let Some(value) = date_of(r, q.date_field) else {
                    return false;
                };
                q.from.is_none_or(|f| value.date() >= f) && q.to.is_none_or(|t| value.date() <= t)
            })
            .collect();
        rows.sort_by(|a, b| {
            by_column(a, b, q.sort, q.descending)
                .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
                .then(a.user_id.cmp(&b.user_id))
                .then_with(|| a.course_id.cmp(&b.course_id))
        });
        rows
    }
}

fn date_of(r: &StoredRow, field: DateField) -> Option<NaiveDateTime> {
    match field {
        DateField::Completed => r.completed_at,
        DateField::Enrolled => Some(r.enrolled_at),
        DateField::LastActivity => r.last_activity_at,
        DateField::Deadline => r.deadline,
    }
}

/// Compares by a column, empty values last whatever the direction.
fn by_column(a: &StoredRow, b: &StoredRow, column: SortColumn, descending: bool) -> Ordering {
    fn present<T: Ord>(a: Option<T>, b: Option<T>, descending: bool) -> Ordering {
        match (a, b) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(a), Some(b)) if descending => b.cmp(&a),
            (Some(a), Some(b)) => a.cmp(&b),
        }
    }
    let d = descending;
    match column {
        SortColumn::Name => present(Some(a.name.to_lowercase()), Some(b.name.to_lowercase()), d),
        SortColumn::Email => present(Some(&a.email), Some(&b.email), d),
        SortColumn::Group => present(
            a.group.as_ref().map(|g| g.to_lowercase()),
            b.group.as_ref().map(|g| g.to_lowercase()),
            d,
        ),
        SortColumn::Course => present(Some(&a.course_id), Some(&b.course_id), d),
        SortColumn::Status => present(Some(a.status), Some(b.status), d),
        SortColumn::Progress => present(Some(a.progress_percent), Some(b.progress_percent), d),
        SortColumn::LastActivity => present(a.last_activity_at, b.last_activity_at, d),
        SortColumn::Deadline => present(a.deadline, b.deadline, d),
        SortColumn::Completed => present(a.completed_at, b.completed_at, d),
    }
}

/// The report now: not a whole second, so comparing with deadlines a millisecond
/// either side (and exactly at it) shows that SQL compares moments, not text.
fn report_now() -> NaiveDateTime {
    at("2026-09-21 12:00:00.500")
}

/// Names and addresses chosen so that any collation orders them alike (single
/// words, distinct first letters of addresses), with case that byte order would get
/// wrong ("bert" before "Carla").
fn fixture(db: &Db) -> Fixture {
    let version = publish_courses(db);
    let c = &mut *db.conn().unwrap();
    let now = report_now();
    let gent = organisation(c, "gent");
    let brugge = organisation(c, "brugge");
    let centrum = group(c, &gent, "centrum");
    let noord = group(c, &gent, "noord");
    let zuid = group(c, &gent, "Zuid");
    let oost = group(c, &brugge, "Oost");
    let groups = vec![
        (centrum, "centrum"),
        (noord, "noord"),
        (zuid, "Zuid"),
        (oost, "Oost"),
    ];

    let mut people = Vec::new();
    let mut person = |c: &mut DbConnection, email: &'static str, name: &'static str, verified| {
        let id = user(c, email, name, verified);
        people.push(Person {
            id,
            name,
            email,
            verified,
        });
        id
    };
    let anna = person(c, "anna@gent.example", "Anna", true);
    let bert = person(c, "bert@gent.example", "bert", true);
    let carla = person(c, "carla@gent.example", "Carla", false);
    let dirk = person(c, "dirk@gent.example", "Dirk", true);
    let eva = person(c, "eva@gent.example", "eva", true);
    let anna2 = person(c, "zanna@gent.example", "Anna", true);
    let fien = person(c, "fien@gent.example", "Fien", true);
    let gert = person(c, "gert@example.org", "Gert", true);
    let hans = person(c, "hans@brugge.example", "Hans", true);
    let ilse = person(c, "ilse@example.org", "Ilse", true);

    let memberships = vec![
        (gent.id, anna, Some(noord)),
        (gent.id, bert, Some(zuid)),
        (gent.id, carla, Some(centrum)),
        (gent.id, dirk, None),
        (gent.id, eva, Some(noord)),
        (gent.id, anna2, Some(zuid)),
        (gent.id, fien, Some(noord)),
        (gent.id, ilse, Some(centrum)),
        (brugge.id, hans, None),
        (brugge.id, ilse, Some(oost)),
    ];
    for &(org, u, g) in &memberships {
        let role = if u == fien {
            MemberRole::Coordinator
        } else {
            MemberRole::Member
        };
        organisations::add_member(c, org, u, role, g, None, now).unwrap();
    }

    let f = |user, course, enrolled: &str| Fact {
        user,
        course,
        enrolled: at(enrolled),
        deadline: None,
        started: None,
        last: None,
        completed: None,
        progress: 0,
        scores: "{}",
        certificate: None,
    };
    // Boundaries of the range 2026-09-01 … 2026-09-10 appear in every date column.
    let facts = vec![
        Fact {
            deadline: Some(at("2026-09-10 23:59:59.999")),
            started: Some(at("2026-09-02 09:00")),
            last: Some(at("2026-09-11 00:00")),
            completed: Some(at("2026-09-11 00:00")),
            progress: 100,
            scores: r#"{"eind":80,"toets":100}"#,
            certificate: Some("CERT-ANNA"),
            ..f(anna, "proef", "2026-09-01 00:00")
        },
        Fact {
            started: Some(at("2026-09-05 12:00")),
            last: Some(at("2026-09-05 12:00")),
            progress: 40,
            ..f(anna, "tweede", "2026-08-31 23:59:59")
        },
        // Overdue by a millisecond.
        Fact {
            deadline: Some(now - ms(1)),
            started: Some(at("2026-09-06 08:00")),
            last: Some(at("2026-09-01 00:00")),
            progress: 20,
            scores: r#"{"toets":50}"#,
            ..f(bert, "proef", "2026-09-05 12:00")
        },
        // The deadline is now: not overdue yet.
        Fact {
            deadline: Some(now),
            ..f(bert, "tweede", "2026-09-11 00:00")
        },
        // Invited, past the deadline: invited.
        Fact {
            deadline: Some(at("2026-09-01 00:00")),
            ..f(carla, "proef", "2026-09-10 23:59:59.999")
        },
        // Completed without ever activating (an administrator marked it): completed.
        Fact {
            started: Some(at("2026-09-02 10:00")),
            last: Some(at("2026-09-10 23:59:59.999")),
            completed: Some(at("2026-09-10 23:59:59.999")),
            progress: 100,
            certificate: Some("CERT-CARLA"),
            ..f(carla, "tweede", "2026-09-01 00:00")
        },
        Fact {
            deadline: Some(at("2026-10-01 00:00")),
            ..f(dirk, "proef", "2026-09-03 08:30")
        },
        // Never started and past the deadline: overdue.
        Fact {
            deadline: Some(at("2026-08-31 23:59:59")),
            ..f(dirk, "tweede", "2026-09-03 08:30")
        },
        // A millisecond before the deadline.
        Fact {
            deadline: Some(now + ms(1)),
            started: Some(at("2026-09-04 10:00")),
            last: Some(at("2026-08-31 23:59:59")),
            progress: 60,
            scores: r#"{"toets":50}"#,
            ..f(eva, "proef", "2026-09-04 10:00")
        },
        Fact {
            started: Some(at("2026-08-21 10:00")),
            last: Some(at("2026-09-01 00:00")),
            completed: Some(at("2026-09-01 00:00")),
            progress: 100,
            scores: r#"{"eind":100,"toets":100}"#,
            ..f(anna2, "proef", "2026-08-20 10:00")
        },
        Fact {
            started: Some(at("2026-09-02 11:00")),
            last: Some(at("2026-09-20 16:45")),
            progress: 10,
            ..f(ilse, "proef", "2026-09-02 11:00")
        },
        // Not a member of gent: never in its report.
        Fact {
            started: Some(at("2026-09-02 11:00")),
            last: Some(at("2026-09-02 11:00")),
            progress: 30,
            ..f(gert, "proef", "2026-09-02 11:00")
        },
        Fact {
            deadline: Some(at("2026-09-05 00:00")),
            ..f(hans, "proef", "2026-09-02 11:00")
        },
    ];
    // Whatever the memberships enrolled (nothing is assigned) is replaced by the facts.
    diesel::delete(enrolments::table).execute(c).unwrap();
    for fact in &facts {
        diesel::insert_into(enrolments::table)
            .values((
                enrolments::user_id.eq(fact.user),
                enrolments::course_id.eq(fact.course),
                enrolments::enrolled_at.eq(fact.enrolled),
                enrolments::deadline.eq(fact.deadline),
                enrolments::started_at.eq(fact.started),
                enrolments::last_activity_at.eq(fact.last),
                enrolments::completed_at.eq(fact.completed),
                enrolments::progress_percent.eq(fact.progress),
                enrolments::quiz_scores.eq(fact.scores),
            ))
            .execute(c)
            .unwrap();
        if let Some(code) = fact.certificate {
            learning::issue_certificate(
                c,
                &NewCertificate {
                    code,
                    user_id: fact.user,
                    course_id: fact.course,
                    // The certificate's version is `proef`'s; the table does not mind.
                    version_id: version,
                    holder_name: "Houder",
                    title: "Proef",
                    expires_at: None,
                },
                fact.completed.unwrap(),
            )
            .unwrap();
        }
    }
    assign_every_enrolment(c);
    Fixture {
        gent,
        brugge,
        groups,
        people,
        memberships,
        facts,
        now,
    }
}

/// As if every organisation had assigned its members the courses they are enrolled
/// in, with the enrolment's deadline: reports show only enrolments their
/// organisation asked for, with its deadline.
fn assign_every_enrolment(c: &mut DbConnection) {
    diesel::sql_query(
        "INSERT INTO assigned_enrolments (organisation_id, user_id, course_id, assigned_at, deadline) \
         SELECT m.organisation_id, e.user_id, e.course_id, e.enrolled_at, e.deadline \
         FROM memberships m JOIN enrolments e ON e.user_id = m.user_id \
         WHERE NOT EXISTS (SELECT 1 FROM assigned_enrolments x WHERE x.organisation_id = m.organisation_id \
           AND x.user_id = e.user_id AND x.course_id = e.course_id)",
    )
    .execute(c)
    .unwrap();
}

fn rows(
    c: &mut DbConnection,
    org: &Organisation,
    q: &ReportQuery,
    now: NaiveDateTime,
) -> Vec<StoredRow> {
    let mut out = Vec::new();
    reports::for_each_row::<StoreError>(c, org.id, q, now, |r| {
        out.push(r);
        Ok(())
    })
    .unwrap();
    out
}

fn keys(rows: &[StoredRow]) -> Vec<(String, String)> {
    rows.iter()
        .map(|r| (r.email.clone(), r.course_id.clone()))
        .collect()
}

/// Runs `q` on gent's report and compares rows and order with the expectation.
fn check(fx: &Fixture, c: &mut DbConnection, backend: &str, q: &ReportQuery) -> Vec<StoredRow> {
    let got = rows(c, &fx.gent, q, fx.now);
    let want = fx.report(fx.gent.id, q);
    assert_eq!(keys(&got), keys(&want), "{backend}: {q:?}");
    assert_eq!(got, want, "{backend}: {q:?}");
    got
}

#[test]
fn a_report_holds_the_members_enrolments_with_their_status() {
    for t in backends() {
        let fx = fixture(&t.db);
        let c = &mut *t.db.conn().unwrap();
        let all = check(&fx, c, t.name, &ReportQuery::default());
        assert_eq!(all.len(), 11, "{}", t.name);
        let emails: BTreeSet<&str> = all.iter().map(|r| r.email.as_str()).collect();
        assert!(!emails.contains("gert@example.org"), "{}", t.name);
        assert!(!emails.contains("hans@brugge.example"), "{}", t.name);
        // A coordinator without enrolments has no rows.
        assert!(!emails.contains("fien@gent.example"), "{}", t.name);

        // Every status occurs, each as Status::of computes it from what is stored.
        let statuses: BTreeSet<Status> = all.iter().map(|r| r.status).collect();
        assert_eq!(statuses, Status::ALL.into_iter().collect(), "{}", t.name);
        for r in &all {
            let verified: Option<NaiveDateTime> = users::table
                .find(r.user_id)
                .select(users::email_verified_at)
                .first(c)
                .unwrap();
            let e = learning::enrolment(c, r.user_id, &r.course_id)
                .unwrap()
                .unwrap();
            let want = Status::of(
                verified.is_some(),
                e.started_at.is_some(),
                e.completed_at.is_some(),
                e.deadline,
                fx.now,
            );
            assert_eq!(r.status, want, "{}: {} in {}", t.name, r.email, r.course_id);
        }
        let status_of = |email: &str, course: &str| {
            all.iter()
                .find(|r| r.email == email && r.course_id == course)
                .unwrap()
                .status
        };
        assert_eq!(status_of("bert@gent.example", "proef"), Status::Overdue);
        assert_eq!(status_of("bert@gent.example", "tweede"), Status::NotStarted);
        assert_eq!(status_of("eva@gent.example", "proef"), Status::InProgress);
        assert_eq!(status_of("carla@gent.example", "proef"), Status::Invited);
        assert_eq!(status_of("carla@gent.example", "tweede"), Status::Completed);
        assert_eq!(status_of("dirk@gent.example", "tweede"), Status::Overdue);
        let anna = all
            .iter()
            .find(|r| r.email == "anna@gent.example" && r.course_id == "proef")
            .unwrap();
        assert_eq!(anna.certificate.as_deref(), Some("CERT-ANNA"));
        assert_eq!(anna.group.as_deref(), Some("noord"));

        // Later, the deadline that was exactly now has passed.
        let later = rows(c, &fx.gent, &ReportQuery::default(), fx.now + ms(1));
        let bert = later
            .iter()
            .find(|r| r.email == "bert@gent.example" && r.course_id == "tweede")
            .unwrap();
        assert_eq!(bert.status, Status::Overdue, "{}", t.name);
    }
}

#[test]
fn a_user_in_two_organisations_is_in_both_reports() {
    for t in backends() {
        let fx = fixture(&t.db);
        let c = &mut *t.db.conn().unwrap();
        let gent = rows(c, &fx.gent, &ReportQuery::default(), fx.now);
        let brugge = rows(c, &fx.brugge, &ReportQuery::default(), fx.now);
        assert_eq!(
            brugge,
            fx.report(fx.brugge.id, &ReportQuery::default()),
            "{}",
            t.name
        );
        let ilse_in = |rows: &[StoredRow]| {
            rows.iter()
                .filter(|r| r.email == "ilse@example.org")
                .map(|r| (r.course_id.clone(), r.group.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ilse_in(&gent),
            vec![("proef".to_string(), Some("centrum".to_string()))],
            "{}",
            t.name
        );
        assert_eq!(
            ilse_in(&brugge),
            vec![("proef".to_string(), Some("Oost".to_string()))],
            "{}",
            t.name
        );
        assert_eq!(
            keys(&brugge),
            vec![
                ("hans@brugge.example".to_string(), "proef".to_string()),
                ("ilse@example.org".to_string(), "proef".to_string())
            ],
            "{}",
            t.name
        );
    }
}

#[test]
fn a_report_filters_by_course_group_and_status() {
    for t in backends() {
        let fx = fixture(&t.db);
        let c = &mut *t.db.conn().unwrap();
        let group = |name: &str| fx.groups.iter().find(|g| g.1 == name).unwrap().0;
        let statuses = |s: &[Status]| s.iter().copied().collect::<BTreeSet<_>>();

        let tweede = check(
            &fx,
            c,
            t.name,
            &ReportQuery {
                course: Some("tweede".into()),
                ..ReportQuery::default()
            },
        );
        assert_eq!(tweede.len(), 4, "{}", t.name);
        let none = check(
            &fx,
            c,
            t.name,
            &ReportQuery {
                course: Some("bestaat-niet".into()),
                ..ReportQuery::default()
            },
        );
        assert!(none.is_empty());
        let noord = check(
            &fx,
            c,
            t.name,
            &ReportQuery {
                group: Some(group("noord")),
                ..ReportQuery::default()
            },
        );
        assert_eq!(noord.len(), 3, "{}", t.name);
        // Another organisation's group: nothing.
        let oost = check(
            &fx,
            c,
            t.name,
            &ReportQuery {
                group: Some(group("Oost")),
                ..ReportQuery::default()
            },
        );
        assert!(oost.is_empty(), "{}", t.name);
        for status in Status::ALL {
            let got = check(
                &fx,
                c,
                t.name,
                &ReportQuery {
                    statuses: statuses(&[status]),
                    ..ReportQuery::default()
                },
            );
            assert!(!got.is_empty(), "{}: {status}", t.name);
            assert!(got.iter().all(|r| r.status == status));
        }
        let two = check(
            &fx,
            c,
            t.name,
            &ReportQuery {
                statuses: statuses(&[Status::Overdue, Status::Invited]),
                ..ReportQuery::default()
            },
        );
        assert_eq!(two.len(), 3, "{}", t.name);
        let combined = check(
            &fx,
            c,
            t.name,
            &ReportQuery {
                course: Some("proef".into()),
                group: Some(group("Zuid")),
                statuses: statuses(&[Status::Overdue, Status::Completed]),
                sort: SortColumn::Status,
                descending: true,
                ..ReportQuery::default()
            },
        );
        assert_eq!(
            keys(&combined),
            vec![
                ("bert@gent.example".to_string(), "proef".to_string()),
                ("zanna@gent.example".to_string(), "proef".to_string())
            ],
            "{}",
            t.name
        );
    }
}

#[test]
fn a_date_range_holds_its_first_and_last_day_whole() {
    for t in backends() {
        let fx = fixture(&t.db);
        let c = &mut *t.db.conn().unwrap();
        for field in DateField::ALL {
            for (from, to) in [
                (Some("2026-09-01"), Some("2026-09-10")),
                (Some("2026-09-01"), None),
                (None, Some("2026-09-10")),
                (Some("2026-09-10"), Some("2026-09-10")),
                (Some("2026-09-11"), Some("2026-09-11")),
            ] {
                let q = ReportQuery {
                    date_field: field,
                    from: from.map(day),
                    to: to.map(day),
                    ..ReportQuery::default()
                };
                check(&fx, c, t.name, &q);
            }
            // The boundaries themselves: midnight of `from` and the last millisecond of
            // `to` are in, the moments either side are out.
            let q = ReportQuery {
                date_field: field,
                from: Some(day("2026-09-01")),
                to: Some(day("2026-09-10")),
                ..ReportQuery::default()
            };
            let got = rows(c, &fx.gent, &q, fx.now);
            let values: BTreeSet<NaiveDateTime> =
                got.iter().filter_map(|r| date_of(r, field)).collect();
            let all = rows(c, &fx.gent, &ReportQuery::default(), fx.now);
            let everything: BTreeSet<NaiveDateTime> =
                all.iter().filter_map(|r| date_of(r, field)).collect();
            for inside in ["2026-09-01 00:00", "2026-09-10 23:59:59.999"] {
                if everything.contains(&at(inside)) {
                    assert!(
                        values.contains(&at(inside)),
                        "{}: {field:?} {inside}",
                        t.name
                    );
                }
            }
            for outside in ["2026-08-31 23:59:59", "2026-09-11 00:00"] {
                assert!(
                    !values.contains(&at(outside)),
                    "{}: {field:?} {outside}",
                    t.name
                );
            }
            assert!(
                everything.contains(&at("2026-09-01 00:00"))
                    || everything.contains(&at("2026-09-10 23:59:59.999")),
                "the fixture has a boundary value for {field:?}"
            );
        }
    }
}

#[test]
fn a_report_sorts_by_every_column_both_ways_with_empty_values_last() {
    for t in backends() {
        let fx = fixture(&t.db);
        let c = &mut *t.db.conn().unwrap();
        for sort in SortColumn::ALL {
            for descending in [false, true] {
                let got = check(
                    &fx,
                    c,
                    t.name,
                    &ReportQuery {
                        sort,
                        descending,
                        ..ReportQuery::default()
                    },
                );
                // Empty values last, in both directions.
                let empty = |r: &StoredRow| match sort {
                    SortColumn::Group => r.group.is_none(),
                    SortColumn::LastActivity => r.last_activity_at.is_none(),
                    SortColumn::Deadline => r.deadline.is_none(),
                    SortColumn::Completed => r.completed_at.is_none(),
                    _ => false,
                };
                if let Some(first_empty) = got.iter().position(empty) {
                    assert!(
                        got[first_empty..].iter().all(empty),
                        "{}: {sort:?} descending={descending}",
                        t.name
                    );
                    assert!(first_empty > 0);
                }
            }
        }
        // Names without regard to case: "bert" between "Anna" and "Carla".
        let by_name = rows(c, &fx.gent, &ReportQuery::default(), fx.now);
        let names: Vec<&str> = by_name.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Anna", "Anna", "Anna", "bert", "bert", "Carla", "Carla", "Dirk", "Dirk", "eva",
                "Ilse"
            ],
            "{}",
            t.name
        );
        // A sort together with filters.
        check(
            &fx,
            c,
            t.name,
            &ReportQuery {
                course: Some("proef".into()),
                sort: SortColumn::Deadline,
                descending: true,
                date_field: DateField::Enrolled,
                from: Some(day("2026-09-01")),
                ..ReportQuery::default()
            },
        );
    }
}

// --- progress figures ---

#[test]
fn record_progress_keeps_the_percentage_and_the_best_score_per_quiz() {
    for t in backends() {
        let version = publish_courses(&t.db);
        let c = &mut *t.db.conn().unwrap();
        let a = user(c, "a@gent.example", "A", true);
        let b = user(c, "b@gent.example", "B", true);
        for u in [a, b] {
            learning::enrol(c, u, "proef", now()).unwrap();
        }
        let attempt = |c: &mut DbConnection, u: i32, quiz: &str, score: Option<(i32, i32)>| {
            let qs = if quiz == "toets" {
                ["q1".to_string(), "q2".to_string()]
            } else {
                ["e1".to_string(), "e2".to_string()]
            };
            let at = learning::start_attempt(c, u, "proef", quiz, version, &qs, now())
                .unwrap()
                .expect("no attempt open");
            if let Some((score, max)) = score {
                learning::finish_attempt(c, at.id, score, max, score == max, now()).unwrap();
            }
        };
        let stored = |c: &mut DbConnection, u: i32| -> (i32, serde_json::Value) {
            let (p, s): (i32, String) = enrolments::table
                .filter(enrolments::user_id.eq(u))
                .filter(enrolments::course_id.eq("proef"))
                .select((enrolments::progress_percent, enrolments::quiz_scores))
                .first(c)
                .unwrap();
            (p, serde_json::from_str(&s).unwrap())
        };

        // Nothing submitted yet: no scores.
        learning::record_progress(c, a, "proef", 10).unwrap();
        assert_eq!(stored(c, a), (10, serde_json::json!({})), "{}", t.name);

        attempt(c, a, "toets", Some((1, 2)));
        attempt(c, a, "toets", Some((2, 2)));
        attempt(c, a, "toets", Some((0, 2)));
        // Started, never submitted: not counted.
        attempt(c, a, "toets", None);
        attempt(c, a, "eind", Some((1, 2)));
        // Someone else's perfect score is theirs.
        attempt(c, b, "eind", Some((2, 2)));
        learning::record_progress(c, a, "proef", 75).unwrap();
        assert_eq!(
            stored(c, a),
            (75, serde_json::json!({"toets": 100, "eind": 50})),
            "{}",
            t.name
        );
        // A worse attempt later changes nothing; a better one counts.
        attempt(c, a, "eind", Some((0, 2)));
        learning::record_progress(c, a, "proef", 80).unwrap();
        assert_eq!(
            stored(c, a).1,
            serde_json::json!({"toets": 100, "eind": 50})
        );
        attempt(c, a, "eind", Some((2, 2)));
        learning::record_progress(c, a, "proef", 100).unwrap();
        assert_eq!(
            stored(c, a),
            (100, serde_json::json!({"toets": 100, "eind": 100})),
            "{}",
            t.name
        );
        // Beyond 100 is 100.
        learning::record_progress(c, b, "proef", 250).unwrap();
        assert_eq!(
            stored(c, b),
            (100, serde_json::json!({"eind": 100})),
            "{}",
            t.name
        );

        // The report shows what was recorded.
        let gent = organisation(c, "gent");
        join(c, &gent, a, None);
        assign_every_enrolment(c);
        let got = rows(c, &gent, &ReportQuery::default(), now());
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].progress_percent, 100);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&got[0].quiz_scores).unwrap(),
            serde_json::json!({"toets": 100, "eind": 100})
        );
    }
}

#[test]
fn an_organisation_sees_only_the_courses_it_assigned() {
    for t in backends() {
        let fx = fixture(&t.db);
        let c = &mut *t.db.conn().unwrap();
        let before = rows(c, &fx.gent, &ReportQuery::default(), fx.now);
        let ilse = before
            .iter()
            .find(|r| r.email == "ilse@example.org")
            .expect("ilse is in gent's report")
            .user_id;
        // Brugge assigned Ilse's course; gent did not.
        diesel::delete(
            leerpad_store::schema::assigned_enrolments::table
                .filter(leerpad_store::schema::assigned_enrolments::user_id.eq(ilse))
                .filter(leerpad_store::schema::assigned_enrolments::organisation_id.eq(fx.gent.id)),
        )
        .execute(c)
        .unwrap();
        let after = rows(c, &fx.gent, &ReportQuery::default(), fx.now);
        assert!(after.iter().all(|r| r.user_id != ilse), "{}", t.name);
        assert_eq!(
            after.len() + before.iter().filter(|r| r.user_id == ilse).count(),
            before.len()
        );
        let brugge = rows(c, &fx.brugge, &ReportQuery::default(), fx.now);
        assert!(
            brugge.iter().any(|r| r.user_id == ilse),
            "{}: brugge still sees her",
            t.name
        );
        assert!(
            reports::member_rows(c, fx.gent.id, ilse, fx.now)
                .unwrap()
                .is_empty(),
            "{}: nor on her page in gent",
            t.name
        );
    }
}
