//! Publishing never loses learner progress: on SQLite, and on PostgreSQL when
//! `LEERPAD_TEST_DATABASE_URL` is set.

use crate::support;

use diesel::prelude::*;
use leerpad_core::TrackableKind;
use leerpad_store::publish::{current_version, load_version};
use leerpad_store::schema::{
    audit_log, course_versions, items, lesson_progress, quiz_answers, quiz_attempts, reflections,
};
use leerpad_store::{Db, PublishStatus, StoreError};
use support::{add_user, backends, course, now, opts, publish_one};

fn record_lesson_done(db: &Db, user: i32, item: &str) {
    let mut c = db.conn().unwrap();
    diesel::insert_into(lesson_progress::table)
        .values((
            lesson_progress::user_id.eq(user),
            lesson_progress::course_id.eq("proef"),
            lesson_progress::item_id.eq(item),
            lesson_progress::first_opened_at.eq(now()),
            lesson_progress::last_opened_at.eq(now()),
            lesson_progress::completed_at.eq(Some(now())),
        ))
        .execute(&mut *c)
        .unwrap();
}

fn progress_count(db: &Db, item: &str) -> i64 {
    let mut c = db.conn().unwrap();
    lesson_progress::table
        .filter(lesson_progress::item_id.eq(item))
        .count()
        .get_result(&mut *c)
        .unwrap()
}

fn version_count(db: &Db) -> i64 {
    let mut c = db.conn().unwrap();
    course_versions::table.count().get_result(&mut *c).unwrap()
}

#[test]
fn publishing_the_same_sources_twice_writes_nothing_the_second_time() {
    for t in backends() {
        let c = course(&[]);
        let first = publish_one(&t.db, &c, &opts()).unwrap();
        assert_eq!(first.status, PublishStatus::Created, "{}", t.name);
        assert_eq!(first.version, 1);
        let second = publish_one(&t.db, &c, &opts()).unwrap();
        assert_eq!(second.status, PublishStatus::Unchanged, "{}", t.name);
        assert_eq!(second.version, 1);
        assert!(second.diff.is_empty());
        assert_eq!(version_count(&t.db), 1, "{}", t.name);
        let mut conn = t.db.conn().unwrap();
        let audits: i64 = audit_log::table.count().get_result(&mut *conn).unwrap();
        assert_eq!(audits, 1, "{}", t.name);
    }
}

#[test]
fn a_published_course_reads_back_exactly() {
    for t in backends() {
        let c = course(&[]);
        publish_one(&t.db, &c, &opts()).unwrap();
        let mut conn = t.db.conn().unwrap();
        let back = current_version(&mut conn, "proef")
            .unwrap()
            .expect("published");
        assert_eq!(back.version, 1);
        assert_eq!(back.course, c, "{}", t.name);
    }
}

#[test]
fn a_changed_lesson_gives_a_new_version_with_its_diff() {
    for t in backends() {
        publish_one(&t.db, &course(&[]), &opts()).unwrap();
        let edited = course(&[(
            "01-start/02-basis.md",
            Some("---\nid: basis\ntitle: Basis\n---\n\nDe nieuwe basis.\n"),
        )]);
        let r = publish_one(&t.db, &edited, &opts()).unwrap();
        assert_eq!(r.status, PublishStatus::Updated, "{}", t.name);
        assert_eq!((r.version, r.previous_version), (2, Some(1)));
        let changed: Vec<&str> = r.diff.changed.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(changed, ["basis"], "{}", t.name);
        assert!(r.diff.added.is_empty() && r.diff.removed.is_empty() && r.diff.moved.is_empty());
        let mut conn = t.db.conn().unwrap();
        assert_eq!(
            current_version(&mut conn, "proef").unwrap().unwrap().course,
            edited
        );
    }
}

#[test]
fn renaming_a_lesson_file_keeps_its_progress() {
    for t in backends() {
        publish_one(&t.db, &course(&[]), &opts()).unwrap();
        let learner = add_user(&t.db, "an@example.org");
        record_lesson_done(&t.db, learner, "basis");
        let text = support::COURSE
            .iter()
            .find(|(p, _)| *p == "01-start/02-basis.md")
            .unwrap()
            .1;
        let renamed = course(&[
            ("01-start/02-basis.md", None),
            ("01-start/02-de-basis-van-alles.md", Some(text)),
        ]);
        let r = publish_one(&t.db, &renamed, &opts()).unwrap();
        assert_eq!(
            r.status,
            PublishStatus::Unchanged,
            "{}: a rename changes no content",
            t.name
        );
        assert_eq!(progress_count(&t.db, "basis"), 1);
    }
}

#[test]
fn reordering_and_moving_lessons_keeps_progress() {
    for t in backends() {
        publish_one(&t.db, &course(&[]), &opts()).unwrap();
        let learner = add_user(&t.db, "an@example.org");
        record_lesson_done(&t.db, learner, "basis");
        record_lesson_done(&t.db, learner, "meer");
        let file = |p: &str| support::COURSE.iter().find(|(q, _)| *q == p).unwrap().1;
        // `basis` goes before `welkom`; `meer` moves to the first module.
        let moved = course(&[
            ("01-start/02-basis.md", None),
            ("01-start/00-basis.md", Some(file("01-start/02-basis.md"))),
            ("02-verder/01-meer.md", None),
            (
                "02-verder/01-nieuw.md",
                Some("---\nid: nieuw\ntitle: Nieuw\n---\nNieuw.\n"),
            ),
            ("01-start/09-meer.md", Some(file("02-verder/01-meer.md"))),
        ]);
        let r = publish_one(&t.db, &moved, &opts()).unwrap();
        assert_eq!(r.status, PublishStatus::Updated, "{}", t.name);
        assert!(r.diff.removed.is_empty(), "{:?}", r.diff.removed);
        let moved_ids: Vec<&str> = r.diff.moved.iter().map(|m| m.id.as_str()).collect();
        assert!(
            moved_ids.contains(&"basis") && moved_ids.contains(&"meer"),
            "{moved_ids:?}"
        );
        let meer = r.diff.moved.iter().find(|m| m.id == "meer").unwrap();
        assert_eq!(
            (meer.from_module.as_str(), meer.to_module.as_str()),
            ("verder", "start")
        );
        assert_eq!(progress_count(&t.db, "basis"), 1);
        assert_eq!(progress_count(&t.db, "meer"), 1);
    }
}

#[test]
fn editing_a_question_keeps_earlier_attempts_pinned_to_their_version() {
    for t in backends() {
        publish_one(&t.db, &course(&[]), &opts()).unwrap();
        let learner = add_user(&t.db, "an@example.org");
        let mut conn = t.db.conn().unwrap();
        let v1 = current_version(&mut conn, "proef").unwrap().unwrap();
        diesel::insert_into(quiz_attempts::table)
            .values((
                quiz_attempts::user_id.eq(learner),
                quiz_attempts::course_id.eq("proef"),
                quiz_attempts::item_id.eq("toets"),
                quiz_attempts::version_id.eq(v1.version_id),
                quiz_attempts::question_ids.eq("[\"q1\",\"q2\"]"),
                quiz_attempts::started_at.eq(now()),
            ))
            .execute(&mut *conn)
            .unwrap();
        let attempt: i32 = quiz_attempts::table
            .select(quiz_attempts::id)
            .first(&mut *conn)
            .unwrap();
        diesel::insert_into(quiz_answers::table)
            .values((
                quiz_answers::attempt_id.eq(attempt),
                quiz_answers::course_id.eq("proef"),
                quiz_answers::question_id.eq("q1"),
                quiz_answers::answer.eq("true"),
                quiz_answers::correct.eq(true),
                quiz_answers::points.eq(1),
                quiz_answers::answered_at.eq(now()),
            ))
            .execute(&mut *conn)
            .unwrap();
        drop(conn);

        let quiz = support::COURSE
            .iter()
            .find(|(p, _)| p.ends_with("toets.quiz.yaml"))
            .unwrap()
            .1;
        let edited = course(&[(
            "01-start/03-toets.quiz.yaml",
            Some(&quiz.replace("Klopt dit?", "Klopt dit echt?")),
        )]);
        let r = publish_one(&t.db, &edited, &opts()).unwrap();
        let changed: Vec<(&str, TrackableKind)> = r
            .diff
            .changed
            .iter()
            .map(|i| (i.id.as_str(), i.kind))
            .collect();
        assert!(
            changed.contains(&("q1", TrackableKind::Question)),
            "{changed:?}"
        );

        let mut conn = t.db.conn().unwrap();
        let pinned: i32 = quiz_attempts::table
            .find(attempt)
            .select(quiz_attempts::version_id)
            .first(&mut *conn)
            .unwrap();
        assert_eq!(pinned, v1.version_id, "{}", t.name);
        let old = load_version(&mut conn, pinned).unwrap();
        let new = current_version(&mut conn, "proef").unwrap().unwrap();
        assert_ne!(new.version_id, pinned);
        let prompt = |c: &leerpad_core::Course| {
            serde_json::to_string(c.item(&leerpad_core::Id::new("toets").unwrap()).unwrap())
                .unwrap()
        };
        assert!(prompt(&old.course).contains("Klopt dit?"), "{}", t.name);
        assert!(
            prompt(&new.course).contains("Klopt dit echt?"),
            "{}",
            t.name
        );
        let answers: i64 = quiz_answers::table.count().get_result(&mut *conn).unwrap();
        assert_eq!(answers, 1);
    }
}

#[test]
fn removing_an_item_with_learner_data_is_refused_unless_allowed() {
    for t in backends() {
        publish_one(&t.db, &course(&[]), &opts()).unwrap();
        let (a, b) = (
            add_user(&t.db, "a@example.org"),
            add_user(&t.db, "b@example.org"),
        );
        record_lesson_done(&t.db, a, "meer");
        record_lesson_done(&t.db, b, "meer");
        let mut conn = t.db.conn().unwrap();
        diesel::insert_into(reflections::table)
            .values((
                reflections::user_id.eq(a),
                reflections::course_id.eq("proef"),
                reflections::reflection_id.eq("eerste-indruk"),
                reflections::answer.eq("Veel spanning in de wijk."),
                reflections::updated_at.eq(now()),
            ))
            .execute(&mut *conn)
            .unwrap();
        drop(conn);
        // Remove the lesson `meer` and the reflection prompt in `welkom`.
        let without = course(&[
            (
                "02-verder/01-meer.md",
                Some("---\nid: ander\ntitle: Ander\n---\nAnder.\n"),
            ),
            (
                "01-start/01-welkom.md",
                Some("---\nid: welkom\ntitle: Welkom\n---\n\nWelkom.\n"),
            ),
        ]);

        let dry = publish_one(&t.db, &without, &support::PublishOptionsExt::dry(&opts())).unwrap();
        let learners = |id: &str| {
            dry.diff
                .removed
                .iter()
                .find(|r| r.id == id)
                .map(|r| r.learners)
        };
        assert_eq!(learners("meer"), Some(2), "{}", t.name);
        assert_eq!(learners("eerste-indruk"), Some(1), "{}", t.name);
        assert_eq!(version_count(&t.db), 1, "a dry run writes nothing");

        match publish_one(&t.db, &without, &opts()) {
            Err(StoreError::Orphans(o)) => {
                let text = o.to_string();
                assert!(
                    text.contains("lesson `meer` was removed, 2 learner(s)"),
                    "{text}"
                );
                assert!(text.contains("--allow-orphans"), "{text}");
            }
            other => panic!("{}: expected a refusal, got {other:?}", t.name),
        }
        assert_eq!(
            version_count(&t.db),
            1,
            "{}: the refused publish wrote nothing",
            t.name
        );

        let forced = publish_one(
            &t.db,
            &without,
            &support::PublishOptionsExt::allow_orphans(&opts()),
        )
        .unwrap();
        assert_eq!(forced.status, PublishStatus::Updated);
        let mut conn = t.db.conn().unwrap();
        let archived: Option<chrono::NaiveDateTime> = items::table
            .find(("proef", "meer"))
            .select(items::archived_at)
            .first(&mut *conn)
            .unwrap();
        assert!(archived.is_some(), "{}: removed items are archived", t.name);
        drop(conn);
        assert_eq!(
            progress_count(&t.db, "meer"),
            2,
            "{}: archived items keep their history",
            t.name
        );

        // Bringing the lesson back un-archives it, with its history.
        publish_one(
            &t.db,
            &course(&[]),
            &support::PublishOptionsExt::allow_orphans(&opts()),
        )
        .unwrap();
        let mut conn = t.db.conn().unwrap();
        let archived: Option<chrono::NaiveDateTime> = items::table
            .find(("proef", "meer"))
            .select(items::archived_at)
            .first(&mut *conn)
            .unwrap();
        assert!(archived.is_none());
    }
}

#[test]
fn a_failed_publish_leaves_the_previous_version_serving() {
    for t in backends() {
        let v1 = course(&[]);
        publish_one(&t.db, &v1, &opts()).unwrap();
        // A new version with an asset whose file cannot be read fails halfway.
        let with_image = course(&[
            ("assets/foto.png", Some("png")),
            (
                "01-start/02-basis.md",
                Some("---\nid: basis\ntitle: Basis\n---\n\n![Een foto](../assets/foto.png)\n"),
            ),
        ]);
        let err = publish_one(&t.db, &with_image, &opts()).unwrap_err();
        assert!(err.to_string().contains("foto.png"), "{err}");
        let mut conn = t.db.conn().unwrap();
        let serving = current_version(&mut conn, "proef").unwrap().unwrap();
        assert_eq!((serving.version, &serving.course), (1, &v1), "{}", t.name);
        drop(conn);
        assert_eq!(version_count(&t.db), 1);
    }
}
