//! A person's data: the export holds all of it and nobody else's; deleting an
//! account removes every row about them, leaves others alone, and keeps only
//! anonymised counts for reports. On SQLite, and on PostgreSQL when
//! `LEERPAD_TEST_DATABASE_URL` is set.

use crate::support;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use leerpad_core::Role;
use leerpad_store::accounts::{self, NewUser, TokenPurpose};
use leerpad_store::learning::{self, NewCertificate};
use leerpad_store::outbox::{self, OutgoingEmail, StoredMessage};
use leerpad_store::schema::{
    anonymised_enrolments, api_tokens, assigned_enrolments, assignments, audit_log, certificates,
    email_outbox, enrolments, lesson_progress, login_tokens, memberships, nudge_log, org_groups,
    organisations, quiz_answers, quiz_attempts, rate_limits, reflections, scenario_runs, sessions,
    users,
};
use leerpad_store::{privacy, Db, DbConnection, StoreError};
use serde_json::Value;
use support::{backends, course, now, opts, publish_one};

const SCENARIO: &str = "id: oefening\ntitle: Oefening\nintro: Een burger belt.\nsteps:\n  - id: start\n    text: Wat doe je?\n    choices:\n      - label: Luisteren\n        next: einde\n      - label: Ophangen\n        next: einde\n  - id: einde\n    text: Het gesprek is voorbij.\n    ending:\n      outcome: good\n      debrief: Goed geluisterd.\n";

fn days(n: i64) -> TimeDelta {
    TimeDelta::days(n)
}

/// Publishes the test course (with a scenario) and returns its version id.
fn setup(db: &Db) -> i32 {
    let course = course(&[("01-start/04-oefening.scenario.yaml", Some(SCENARIO))]);
    publish_one(db, &course, &opts()).unwrap().version
}

fn user(c: &mut DbConnection, email: &str, name: &str, role: Role, verified: bool) -> i32 {
    accounts::create_user(
        c,
        &NewUser {
            email,
            display_name: name,
            password_hash: Some(&format!("$argon2id$secret-hash-of-{name}")),
            role,
            language: "nl",
            verified,
        },
        now() - days(30),
    )
    .unwrap()
    .unwrap()
    .id
}

fn organisation(c: &mut DbConnection, slug: &str, name: &str) -> i32 {
    diesel::insert_into(organisations::table)
        .values((
            organisations::slug.eq(slug),
            organisations::name.eq(name),
            organisations::created_at.eq(now() - days(60)),
        ))
        .execute(c)
        .unwrap();
    organisations::table
        .filter(organisations::slug.eq(slug))
        .select(organisations::id)
        .first(c)
        .unwrap()
}

fn group(c: &mut DbConnection, org: i32, name: &str) -> i32 {
    diesel::insert_into(org_groups::table)
        .values((
            org_groups::organisation_id.eq(org),
            org_groups::name.eq(name),
            org_groups::created_at.eq(now() - days(60)),
        ))
        .execute(c)
        .unwrap();
    org_groups::table
        .filter(org_groups::organisation_id.eq(org))
        .filter(org_groups::name.eq(name))
        .select(org_groups::id)
        .first(c)
        .unwrap()
}

/// As if every organisation had assigned its members the courses they are enrolled
/// in, with the enrolment's deadline: deleting an account counts only what an
/// organisation assigned.
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

fn member(c: &mut DbConnection, org: i32, user: i32, group: Option<i32>) {
    diesel::insert_into(memberships::table)
        .values((
            memberships::organisation_id.eq(org),
            memberships::user_id.eq(user),
            memberships::role.eq("member"),
            memberships::created_at.eq(now() - days(20)),
            memberships::group_id.eq(group),
            memberships::accepted_at.eq(Some(now() - days(20))),
        ))
        .execute(c)
        .unwrap();
}

/// Gives `user` a row in every table that can hold learner data, with `tag` in
/// every free text so the export can be searched for it.
fn learner_data(c: &mut DbConnection, user: i32, email: &str, tag: &str, version: i32) {
    let t = now() - days(10);
    learning::enrol(c, user, "proef", t).unwrap();
    learning::record_activity(c, user, "proef", t + days(1)).unwrap();
    diesel::update(enrolments::table.filter(enrolments::user_id.eq(user)))
        .set((
            enrolments::deadline.eq(Some(now() + days(30))),
            enrolments::progress_percent.eq(40),
            enrolments::quiz_scores.eq(r#"{"toets":50}"#),
        ))
        .execute(c)
        .unwrap();
    learning::set_lesson_done(c, user, "proef", "welkom", true, t + days(1)).unwrap();
    let attempt = learning::start_attempt(
        c,
        user,
        "proef",
        "toets",
        version,
        &["q1".into(), "q2".into()],
        t + days(2),
    )
    .unwrap()
    .expect("no attempt open");
    learning::save_answer(c, attempt.id, "proef", "q1", "true", true, 1, t + days(2)).unwrap();
    learning::save_answer(c, attempt.id, "proef", "q2", "true", false, 0, t + days(2)).unwrap();
    learning::finish_attempt(c, attempt.id, 1, 2, false, t + days(2)).unwrap();
    let run =
        learning::start_run(c, user, "proef", "oefening", version, "start", t + days(3)).unwrap();
    learning::advance_run(c, run.id, "[]", "[0]", "einde", Some("good"), t + days(3)).unwrap();
    learning::save_reflection(
        c,
        user,
        "proef",
        "eerste-indruk",
        &format!("Reflectie van {tag}"),
        t + days(3),
    )
    .unwrap();
    learning::issue_certificate(
        c,
        &NewCertificate {
            code: &format!("CERT-{tag}").to_uppercase(),
            user_id: user,
            course_id: "proef",
            version_id: version,
            holder_name: tag,
            title: "Proef",
            expires_at: None,
        },
        t + days(4),
    )
    .unwrap();
    accounts::create_session(c, &format!("session-id-of-{tag}"), user, t, now() + days(1)).unwrap();
    accounts::create_token(
        c,
        &format!("token-hash-of-{tag}"),
        user,
        TokenPurpose::Magic,
        t,
        t + days(1),
    )
    .unwrap();
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::id.eq(format!("api-token-id-of-{tag}")),
            api_tokens::user_id.eq(user),
            api_tokens::name.eq(format!("rapport {tag}")),
            api_tokens::created_at.eq(t),
            api_tokens::expires_at.eq(now() + days(90)),
        ))
        .execute(c)
        .unwrap();
    leerpad_store::calendar::renew_feed_key(c, user, &format!("feed-key-of-{tag}"), t).unwrap();
    diesel::insert_into(nudge_log::table)
        .values((
            nudge_log::user_id.eq(user),
            nudge_log::course_id.eq("proef"),
            nudge_log::rule_id.eq("inactive-7"),
            nudge_log::period.eq("1"),
            nudge_log::queued_at.eq(t + days(5)),
        ))
        .execute(c)
        .unwrap();
    outbox::enqueue(
        c,
        &OutgoingEmail {
            dedupe_key: format!("nudge:{user}:proef:inactive-7:1"),
            user_id: Some(user),
            kind: "nudge-inactive".into(),
            recipient: email.into(),
            message: StoredMessage {
                subject: format!("Body-of-email-to-{tag}"),
                text: format!("Body-of-email-to-{tag}"),
                html: None,
                headers: vec![],
            }
            .into(),
        },
        t + days(5),
    )
    .unwrap();
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(t),
            audit_log::actor_id.eq(Some(user)),
            audit_log::action.eq("test.action"),
            audit_log::subject.eq(format!("subject-of-{tag}")),
            audit_log::details.eq(r#"{"n":1}"#),
        ))
        .execute(c)
        .unwrap();
    accounts::rate_limit_hit(c, &format!("sign-in:email:{email}"), t, 10, t).unwrap();
    community_data(c, user, tag, t);
}

/// A thread and a post (edited once) in the network, read, followed and
/// reported, the guidelines accepted, and a restriction.
fn community_data(c: &mut DbConnection, user: i32, tag: &str, t: NaiveDateTime) {
    use leerpad_core::community::{PostState, RestrictionKind, SpaceKind};
    use leerpad_store::community as cs;
    let space = cs::space(c, &SpaceKind::Network, t).unwrap();
    cs::accept_guidelines(c, user, space.id, t).unwrap();
    let (thread, post_id) = cs::create_thread(
        c,
        &cs::NewThread {
            space_id: space.id,
            lesson_id: None,
            title: &format!("Draad van {tag}"),
            author_id: user,
            question: false,
            answer_first: false,
        },
        &cs::NewPost {
            author_id: user,
            body: &format!("Bericht van {tag}"),
            html: "<p>bericht</p>",
            state: PostState::Visible,
        },
        t,
    )
    .unwrap();
    let post = cs::post(c, post_id).unwrap().unwrap();
    cs::edit_post(
        c,
        &post,
        &format!("Bewerkt bericht van {tag}"),
        "<p>bewerkt</p>",
        None,
        t,
    )
    .unwrap();
    cs::mark_read(c, user, thread, post_id).unwrap();
    cs::follow(c, user, thread, t).unwrap();
    cs::report(c, &post, user, &format!("Melding van {tag}"), t).unwrap();
    cs::restrict(c, space.id, user, RestrictionKind::Mute, "proef", None, t).unwrap();
    cs::add_expert(c, space.id, user, t).unwrap();
}

/// How many rows of each table reference `user` (by id, or by address for the outbox
/// and rate limits).
fn rows_of(c: &mut DbConnection, user: i32, email: &str) -> Vec<(&'static str, i64)> {
    let n = |r: QueryResult<i64>| r.unwrap();
    vec![
        ("users", n(users::table.find(user).count().get_result(c))),
        (
            "memberships",
            n(memberships::table
                .filter(memberships::user_id.eq(user))
                .count()
                .get_result(c)),
        ),
        (
            "enrolments",
            n(enrolments::table
                .filter(enrolments::user_id.eq(user))
                .count()
                .get_result(c)),
        ),
        (
            "enrolments assigned",
            n(enrolments::table
                .filter(enrolments::assigned_by.eq(user))
                .count()
                .get_result(c)),
        ),
        (
            "assignments",
            n(assignments::table
                .filter(assignments::assigned_by.eq(user))
                .count()
                .get_result(c)),
        ),
        (
            "lesson_progress",
            n(lesson_progress::table
                .filter(lesson_progress::user_id.eq(user))
                .count()
                .get_result(c)),
        ),
        (
            "quiz_attempts",
            n(quiz_attempts::table
                .filter(quiz_attempts::user_id.eq(user))
                .count()
                .get_result(c)),
        ),
        (
            "quiz_answers",
            n(quiz_answers::table
                .inner_join(quiz_attempts::table)
                .filter(quiz_attempts::user_id.eq(user))
                .count()
                .get_result(c)),
        ),
        (
            "scenario_runs",
            n(scenario_runs::table
                .filter(scenario_runs::user_id.eq(user))
                .count()
                .get_result(c)),
        ),
        (
            "reflections",
            n(reflections::table
                .filter(reflections::user_id.eq(user))
                .count()
                .get_result(c)),
        ),
        (
            "certificates",
            n(certificates::table
                .filter(certificates::user_id.eq(user))
                .count()
                .get_result(c)),
        ),
        (
            "sessions",
            n(sessions::table
                .filter(sessions::user_id.eq(user))
                .count()
                .get_result(c)),
        ),
        (
            "login_tokens",
            n(login_tokens::table
                .filter(login_tokens::user_id.eq(user))
                .count()
                .get_result(c)),
        ),
        (
            "api_tokens",
            n(api_tokens::table
                .filter(api_tokens::user_id.eq(user))
                .count()
                .get_result(c)),
        ),
        (
            "assigned_enrolments",
            n(assigned_enrolments::table
                .filter(assigned_enrolments::user_id.eq(user))
                .count()
                .get_result(c)),
        ),
        (
            "nudge_log",
            n(nudge_log::table
                .filter(nudge_log::user_id.eq(user))
                .count()
                .get_result(c)),
        ),
        (
            "email_outbox",
            n(email_outbox::table
                .filter(
                    email_outbox::user_id
                        .eq(user)
                        .or(email_outbox::recipient.eq(email)),
                )
                .count()
                .get_result(c)),
        ),
        (
            "audit_log",
            n(audit_log::table
                .filter(audit_log::actor_id.eq(user))
                .count()
                .get_result(c)),
        ),
        (
            "rate_limits",
            n(rate_limits::table
                .filter(rate_limits::bucket.eq(format!("sign-in:email:{email}")))
                .count()
                .get_result(c)),
        ),
    ]
}

fn anonymised(c: &mut DbConnection) -> Vec<(i32, String, String, String, i32)> {
    anonymised_enrolments::table
        .order((
            anonymised_enrolments::organisation_id,
            anonymised_enrolments::group_name,
            anonymised_enrolments::course_id,
            anonymised_enrolments::status,
        ))
        .select((
            anonymised_enrolments::organisation_id,
            anonymised_enrolments::group_name,
            anonymised_enrolments::course_id,
            anonymised_enrolments::status,
            anonymised_enrolments::count,
        ))
        .load(c)
        .unwrap()
}

struct World {
    an: i32,
    bo: i32,
    admin: i32,
    gent: i32,
}

/// Two learners with data in every table, in the same organisation and group, and
/// an administrator who assigned An's course.
fn world(db: &Db) -> World {
    let version = setup(db);
    let mut c = db.conn().unwrap();
    let c = &mut *c;
    let admin = user(c, "admin@gent.example", "Beheer", Role::Admin, true);
    let an = user(c, "an_p@gent.example", "An Peeters", Role::Learner, true);
    let bo = user(c, "bo@gent.example", "Bo Janssens", Role::Learner, true);
    let gent = organisation(c, "gent", "Stad Gent");
    let welzijn = group(c, gent, "Welzijn");
    member(c, gent, an, Some(welzijn));
    member(c, gent, bo, Some(welzijn));
    learner_data(c, an, "an_p@gent.example", "an-tag", version);
    learner_data(c, bo, "bo@gent.example", "bo-tag", version);
    diesel::update(enrolments::table.filter(enrolments::user_id.eq(an)))
        .set(enrolments::assigned_by.eq(Some(admin)))
        .execute(c)
        .unwrap();
    // An once assigned Bo the course, and the course to the organisation: both stay.
    diesel::update(enrolments::table.filter(enrolments::user_id.eq(bo)))
        .set(enrolments::assigned_by.eq(Some(an)))
        .execute(c)
        .unwrap();
    diesel::insert_into(assignments::table)
        .values((
            assignments::organisation_id.eq(gent),
            assignments::course_id.eq("proef"),
            assignments::assigned_by.eq(Some(an)),
            assignments::created_at.eq(now() - days(20)),
            assignments::updated_at.eq(now() - days(20)),
        ))
        .execute(c)
        .unwrap();
    assign_every_enrolment(c);
    World {
        an,
        bo,
        admin,
        gent,
    }
}

fn field<'v>(v: &'v Value, path: &str) -> &'v Value {
    path.split('.').fold(v, |v, k| match k.parse::<usize>() {
        Ok(i) => &v[i],
        Err(_) => &v[k],
    })
}

#[test]
fn the_export_holds_the_users_data_and_nobody_elses() {
    for t in backends() {
        let w = world(&t.db);
        let mut c = t.db.conn().unwrap();
        let at: NaiveDateTime = now();
        let export = privacy::export_at(&mut c, w.an, at).unwrap().unwrap();
        let name = t.name;

        assert_eq!(export["format"], "leerpad-personal-data/1", "{name}");
        assert_eq!(export["exported_at"], "2026-09-21T14:13:20Z", "{name}");
        let expect = [
            ("profile.email", Value::from("an_p@gent.example")),
            ("profile.display_name", "An Peeters".into()),
            ("profile.role", "learner".into()),
            ("profile.language", "nl".into()),
            ("profile.notifications", "all".into()),
            ("profile.disabled_at", Value::Null),
            ("memberships.0.organisation", "Stad Gent".into()),
            ("memberships.0.organisation_slug", "gent".into()),
            ("memberships.0.group", "Welzijn".into()),
            ("memberships.0.role", "member".into()),
            ("enrolments.0.course", "proef".into()),
            ("enrolments.0.assigned", true.into()),
            ("enrolments.0.progress_percent", 40.into()),
            ("enrolments.0.quiz_scores.toets", 50.into()),
            ("lesson_progress.0.lesson", "welkom".into()),
            ("quiz_attempts.0.quiz", "toets".into()),
            ("quiz_attempts.0.questions.1", "q2".into()),
            ("quiz_attempts.0.score", 1.into()),
            ("quiz_attempts.0.passed", false.into()),
            ("quiz_attempts.0.answers.0.question", "q1".into()),
            ("quiz_attempts.0.answers.0.answer", true.into()),
            ("quiz_attempts.0.answers.1.correct", false.into()),
            ("scenario_runs.0.scenario", "oefening".into()),
            ("scenario_runs.0.choices.0", 0.into()),
            ("scenario_runs.0.outcome", "good".into()),
            ("reflections.0.answer", "Reflectie van an-tag".into()),
            ("certificates.0.code", "CERT-AN-TAG".into()),
            ("certificates.0.title", "Proef".into()),
            ("certificates.0.expires_at", Value::Null),
            ("sessions.0.revoked_at", Value::Null),
            ("api_tokens.0.name", "rapport an-tag".into()),
            ("sign_in_links.0.purpose", "magic".into()),
            ("nudges.0.rule", "inactive-7".into()),
            ("emails.0.kind", "nudge-inactive".into()),
            ("emails.0.status", "pending".into()),
            ("audit_log.0.action", "test.action".into()),
            ("audit_log.0.details.n", 1.into()),
        ];
        for (path, value) in expect {
            assert_eq!(field(&export, path), &value, "{name}: {path}");
        }
        for list in [
            "memberships",
            "enrolments",
            "lesson_progress",
            "quiz_attempts",
            "scenario_runs",
            "reflections",
            "certificates",
            "sessions",
            "api_tokens",
            "sign_in_links",
            "nudges",
            "emails",
            "audit_log",
        ] {
            assert_eq!(
                export[list].as_array().map(Vec::len),
                Some(1),
                "{name}: {list}"
            );
        }
        assert!(
            export["profile"]["created_at"]
                .as_str()
                .is_some_and(|s| s.ends_with('Z')),
            "{name}: times are UTC"
        );

        let text = export.to_string();
        for secret in [
            "bo-tag",
            "Bo Janssens",
            "bo@gent.example",
            "$argon2id$",
            "secret-hash-of",
            "session-id-of",
            "token-hash-of",
            "api-token-id-of",
            "feed-key-of",
            "Body-of-email",
            "password",
            "admin@gent.example",
        ] {
            assert!(!text.contains(secret), "{name}: `{secret}` in {text}");
        }
        assert_eq!(
            privacy::export(&mut c, w.an + 1000).unwrap(),
            None,
            "{name}"
        );
        let _ = (w.bo, w.admin, w.gent);
    }
}

#[test]
fn deleting_an_account_removes_every_row_about_it_and_keeps_counts() {
    for t in backends() {
        let w = world(&t.db);
        let name = t.name;
        let mut c = t.db.conn().unwrap();
        let c = &mut *c;
        let bo_before = rows_of(c, w.bo, "bo@gent.example");
        let admin_before = rows_of(c, w.admin, "admin@gent.example");
        assert!(
            rows_of(c, w.an, "an_p@gent.example")
                .iter()
                .all(|(_, n)| *n > 0),
            "{name}: the test gives An a row in every table"
        );

        assert!(privacy::delete_account(c, w.an, now()).unwrap(), "{name}");
        for (table, n) in rows_of(c, w.an, "an_p@gent.example") {
            assert_eq!(n, 0, "{name}: {table} still references the deleted user");
        }
        assert_eq!(
            rows_of(c, w.bo, "bo@gent.example"),
            bo_before,
            "{name}: another learner is untouched"
        );
        let admin_after = rows_of(c, w.admin, "admin@gent.example");
        assert_eq!(
            admin_after
                .iter()
                .filter(|(t, _)| *t != "enrolments assigned")
                .collect::<Vec<_>>(),
            admin_before
                .iter()
                .filter(|(t, _)| *t != "enrolments assigned")
                .collect::<Vec<_>>(),
            "{name}: the admin is untouched"
        );
        assert_eq!(
            anonymised(c),
            vec![(
                w.gent,
                "Welzijn".to_string(),
                "proef".to_string(),
                "in_progress".to_string(),
                1
            )],
            "{name}"
        );

        let audit: Vec<(Option<i32>, String, String, String)> = audit_log::table
            .filter(audit_log::action.eq("account.deleted"))
            .select((
                audit_log::actor_id,
                audit_log::action,
                audit_log::subject,
                audit_log::details,
            ))
            .load(c)
            .unwrap();
        assert_eq!(
            audit,
            vec![(
                None,
                "account.deleted".into(),
                format!("user:{}", w.an),
                "{}".into()
            )],
            "{name}"
        );
        // The audit row An wrote as actor stays, without the actor.
        let orphaned: i64 = audit_log::table
            .filter(audit_log::subject.eq("subject-of-an-tag"))
            .filter(audit_log::actor_id.is_null())
            .count()
            .get_result(c)
            .unwrap();
        assert_eq!(orphaned, 1, "{name}");
        let assignments_left: i64 = assignments::table
            .filter(assignments::assigned_by.is_null())
            .count()
            .get_result(c)
            .unwrap();
        assert_eq!(assignments_left, 1, "{name}: the assignment stays");

        // A second learner in the same organisation, group, course and status.
        assert!(privacy::delete_account(c, w.bo, now()).unwrap(), "{name}");
        assert_eq!(anonymised(c)[0].4, 2, "{name}: the count adds up");
        assert_eq!(anonymised(c).len(), 1, "{name}");
        assert!(
            !privacy::delete_account(c, w.bo, now()).unwrap(),
            "{name}: deleting twice finds nobody"
        );
        assert_eq!(anonymised(c)[0].4, 2, "{name}");
    }
}

#[test]
fn anonymised_counts_keep_organisation_group_and_status() {
    for t in backends() {
        setup(&t.db);
        let name = t.name;
        let mut c = t.db.conn().unwrap();
        let c = &mut *c;
        let gent = organisation(c, "gent", "Stad Gent");
        let aalst = organisation(c, "aalst", "Stad Aalst");
        let welzijn = group(c, gent, "Welzijn");
        // In two organisations (a group in one), finished the course.
        let cas = user(c, "cas@x.example", "Cas", Role::Learner, true);
        member(c, gent, cas, Some(welzijn));
        member(c, aalst, cas, None);
        learning::enrol(c, cas, "proef", now() - days(5)).unwrap();
        learning::mark_completed(c, cas, "proef", now() - days(1)).unwrap();
        // Never activated the account.
        let dirk = user(c, "dirk@x.example", "Dirk", Role::Learner, false);
        member(c, gent, dirk, None);
        learning::enrol(c, dirk, "proef", now() - days(5)).unwrap();
        // Past the deadline, not started.
        let eva = user(c, "eva@x.example", "Eva", Role::Learner, true);
        member(c, gent, eva, None);
        learning::enrol(c, eva, "proef", now() - days(5)).unwrap();
        diesel::update(enrolments::table.filter(enrolments::user_id.eq(eva)))
            .set(enrolments::deadline.eq(Some(now() - days(1))))
            .execute(c)
            .unwrap();
        // Not started, no deadline.
        let fien = user(c, "fien@x.example", "Fien", Role::Learner, true);
        member(c, gent, fien, None);
        learning::enrol(c, fien, "proef", now() - days(5)).unwrap();
        // In no organisation: nothing to count it under.
        let geert = user(c, "geert@x.example", "Geert", Role::Learner, true);
        learning::enrol(c, geert, "proef", now() - days(5)).unwrap();

        assign_every_enrolment(c);
        for u in [cas, dirk, eva, fien, geert] {
            assert!(privacy::delete_account(c, u, now()).unwrap(), "{name}");
        }
        let row = |org: i32, group: &str, status: &str| {
            (
                org,
                group.to_string(),
                "proef".to_string(),
                status.to_string(),
                1,
            )
        };
        let mut expected = vec![
            row(gent, "", "invited"),
            row(gent, "", "not_started"),
            row(gent, "", "overdue"),
            row(gent, "Welzijn", "completed"),
            row(aalst, "", "completed"),
        ];
        expected.sort();
        assert_eq!(anonymised(c), expected, "{name}");
    }
}

#[test]
fn the_last_administrator_cannot_be_deleted() {
    for t in backends() {
        let name = t.name;
        let mut c = t.db.conn().unwrap();
        let c = &mut *c;
        let first = user(c, "een@x.example", "Een", Role::Admin, true);
        let refused = privacy::delete_account(c, first, now());
        assert!(
            matches!(&refused, Err(StoreError::Invalid(msg)) if msg.contains("last administrator")),
            "{name}: {refused:?}"
        );
        assert_eq!(users::table.count().get_result::<i64>(c).unwrap(), 1);

        // A disabled administrator does not count as one left.
        let second = user(c, "twee@x.example", "Twee", Role::Admin, true);
        accounts::set_disabled(c, second, true, now()).unwrap();
        assert!(privacy::delete_account(c, first, now()).is_err(), "{name}");

        accounts::set_disabled(c, second, false, now()).unwrap();
        assert!(privacy::delete_account(c, first, now()).unwrap(), "{name}");
        assert!(privacy::delete_account(c, second, now()).is_err(), "{name}");

        // A disabled administrator can always go.
        let third = user(c, "drie@x.example", "Drie", Role::Admin, true);
        accounts::set_disabled(c, third, true, now()).unwrap();
        assert!(privacy::delete_account(c, third, now()).unwrap(), "{name}");
    }
}

/// Where the export holds each table that references a person, and which
/// references only name who did something to someone else's row (they become
/// `NULL` when the account goes). The test below derives the tables from the
/// schema's foreign keys: a new table that references users, directly or through
/// another table, fails it until it is here, in the export and in deletion.
const EXPORTED: &[(&str, &str)] = &[
    ("users.id", "profile"),
    ("memberships.user_id", "memberships"),
    ("assigned_enrolments.user_id", "memberships.0.assigned"),
    ("enrolments.user_id", "enrolments"),
    ("lesson_progress.user_id", "lesson_progress"),
    ("quiz_attempts.user_id", "quiz_attempts"),
    ("quiz_answers.attempt_id", "quiz_attempts.0.answers"),
    ("scenario_runs.user_id", "scenario_runs"),
    ("reflections.user_id", "reflections"),
    ("certificates.user_id", "certificates"),
    ("sessions.user_id", "sessions"),
    ("api_tokens.user_id", "api_tokens"),
    ("login_tokens.user_id", "sign_in_links"),
    ("nudge_log.user_id", "nudges"),
    ("email_outbox.user_id", "emails"),
    ("audit_log.actor_id", "audit_log"),
    ("calendar_feeds.user_id", "calendar_feed"),
    ("threads.author_id", "community.threads"),
    ("posts.author_id", "community.posts"),
    ("post_revisions.post_id", "community.posts.0.revisions"),
    ("post_reports.user_id", "community.reports"),
    ("thread_reads.user_id", "community.read"),
    ("thread_follows.user_id", "community.follows"),
    (
        "guideline_acceptances.user_id",
        "community.guidelines_accepted",
    ),
    ("space_restrictions.user_id", "community.restrictions"),
    ("space_experts.user_id", "community.expert_in"),
];
const ACTOR_ONLY: &[(&str, &str)] = &[
    (
        "enrolments.assigned_by",
        "the coordinator who assigned another learner's course",
    ),
    (
        "assignments.assigned_by",
        "the coordinator who assigned a course to an organisation",
    ),
];

/// `WHERE` condition on `table` for rows that reach `user` through `column`,
/// following the schema's foreign keys down to `users`.
fn reaches(
    fks: &std::collections::BTreeSet<crate::keys::ForeignKey>,
    table: &str,
    column: &str,
    user: i32,
) -> String {
    if table == "users" && column == "id" {
        return format!("id = {user}");
    }
    let (_, _, target, target_cols, _) = fks
        .iter()
        .find(|(t, cols, ..)| t == table && cols.len() == 1 && cols[0] == column)
        .unwrap_or_else(|| panic!("{table}.{column} is not a foreign key"));
    let inner = if target == "users" {
        format!("{} = {user}", target_cols[0])
    } else {
        let (_, next) = personal_references(fks)
            .into_iter()
            .find(|(t, _)| t == target)
            .unwrap_or_else(|| panic!("{target} does not reference a person"));
        reaches(fks, target, &next, user)
    };
    format!(
        "{column} IN (SELECT {} FROM {target} WHERE {inner})",
        target_cols[0]
    )
}

/// Every `(table, column)` whose foreign key leads to a row of `users`, directly
/// or through tables that do (one column per table beyond `users` itself).
fn personal_references(
    fks: &std::collections::BTreeSet<crate::keys::ForeignKey>,
) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = vec![("users".into(), "id".into())];
    loop {
        let before = found.len();
        for (table, cols, target, ..) in fks {
            let reaches_person = found.iter().any(|(t, _)| t == target);
            let known = found.iter().any(|(t, c)| t == table && c == &cols[0]);
            // Only the first path to a person counts for tables reached twice.
            let table_known = target != "users" && found.iter().any(|(t, _)| t == table);
            if cols.len() == 1 && reaches_person && !known && !table_known {
                found.push((table.clone(), cols[0].clone()));
            }
        }
        if found.len() == before {
            return found;
        }
    }
}

fn count_where(c: &mut DbConnection, table: &str, condition: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE {condition}");
    let row: N = match c {
        DbConnection::Sqlite(c) => diesel::sql_query(sql).get_result(c).unwrap(),
        DbConnection::Pg(c) => diesel::sql_query(sql).get_result(c).unwrap(),
    };
    row.n
}

#[test]
fn every_table_about_a_person_is_in_the_export_and_goes_with_the_account() {
    for t in backends() {
        let w = world(&t.db);
        let name = t.name;
        let mut c = t.db.conn().unwrap();
        let c = &mut *c;
        let fks = crate::keys::foreign_keys(c);
        let personal = personal_references(&fks);
        assert!(personal.len() > 10, "{name}: found only {personal:?}");
        let export = privacy::export_at(c, w.an, now()).unwrap().unwrap();
        for (table, column) in &personal {
            let key = format!("{table}.{column}");
            let exported = EXPORTED.iter().find(|(k, _)| *k == key);
            let actor = ACTOR_ONLY.iter().any(|(k, _)| *k == key);
            assert!(
                exported.is_some() || actor,
                "{name}: `{key}` references a person but is neither in the data download \
                 (privacy::export, and EXPORTED here) nor an actor-only reference"
            );
            let condition = reaches(&fks, table, column, w.an);
            assert!(
                count_where(c, table, &condition) > 0,
                "{name}: the test's learner has no row in `{table}`: give them one in \
                 `learner_data` so the export and deletion of it are checked"
            );
            if let Some((_, path)) = exported {
                let value = field(&export, path);
                assert!(
                    value.as_array().is_some_and(|a| !a.is_empty())
                        || value.as_object().is_some_and(|o| !o.is_empty()),
                    "{name}: `{key}` has rows for the learner but the export's `{path}` is empty"
                );
            }
        }
        for (key, _) in EXPORTED.iter().chain(ACTOR_ONLY) {
            let (table, column) = key.split_once('.').unwrap();
            assert!(
                personal.iter().any(|(t, c)| t == table && c == column),
                "{name}: `{key}` is listed here but the schema has no such reference to a person"
            );
        }

        assert!(privacy::delete_account(c, w.an, now()).unwrap(), "{name}");
        for (table, column) in &personal {
            let condition = reaches(&fks, table, column, w.an);
            assert_eq!(
                count_where(c, table, &condition),
                0,
                "{name}: `{table}` still reaches the deleted account through `{column}`"
            );
        }
    }
}
