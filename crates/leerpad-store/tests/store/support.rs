//! Test databases on both backends, and a small course to publish.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use leerpad_compiler::{compile_tree, SourceTree};
use leerpad_core::Course;
use leerpad_store::schema::users;
use leerpad_store::{publish, CourseReport, Db, PublishInput, PublishOptions, StoreResult};

pub use leerpad_store::testing::TestDb;

/// SQLite always; PostgreSQL too when `LEERPAD_TEST_DATABASE_URL` is set.
pub fn backends() -> Vec<TestDb> {
    TestDb::backends()
}

pub fn now() -> NaiveDateTime {
    chrono::DateTime::from_timestamp(1_790_000_000, 0)
        .unwrap()
        .naive_utc()
}

pub const COURSE: &[(&str, &str)] = &[
    (
        "course.yaml",
        "id: proef\ntitle: Proef\nlanguage: nl\nsummary: Een proefcursus.\nduration_minutes: 30\n",
    ),
    ("01-start/module.yaml", "id: start\ntitle: Start\n"),
    (
        "01-start/01-welkom.md",
        "---\nid: welkom\ntitle: Welkom\n---\n\nWelkom.\n\n```reflection\nid: eerste-indruk\nprompt: Wat zie je?\n```\n",
    ),
    ("01-start/02-basis.md", "---\nid: basis\ntitle: Basis\n---\n\nDe basis.\n"),
    (
        "01-start/03-toets.quiz.yaml",
        "id: toets\ntitle: Toets\nquestions:\n  - id: q1\n    type: true_false\n    prompt: Klopt dit?\n    answer: true\n  - id: q2\n    type: true_false\n    prompt: En dit?\n    answer: false\n",
    ),
    ("02-verder/module.yaml", "id: verder\ntitle: Verder\n"),
    ("02-verder/01-meer.md", "---\nid: meer\ntitle: Meer\n---\n\nMeer.\n"),
];

/// The course with `changes` applied: `Some` adds or replaces a file, `None` removes it.
pub fn course(changes: &[(&str, Option<&str>)]) -> Course {
    let mut tree = SourceTree::new("proef");
    for (path, text) in COURSE {
        if !changes.iter().any(|(p, _)| p == path) {
            tree.add_text(path, text.as_bytes());
        }
    }
    for (path, text) in changes {
        if let Some(text) = text {
            tree.add_text(path, text.as_bytes());
        }
    }
    let (course, diags) = compile_tree(&tree);
    course.unwrap_or_else(|| panic!("test course does not compile: {:?}", diags.into_vec()))
}

pub fn opts() -> PublishOptions {
    PublishOptions {
        dry_run: false,
        allow_orphans: false,
        now: now(),
    }
}

pub fn publish_one(db: &Db, course: &Course, opts: &PublishOptions) -> StoreResult<CourseReport> {
    let input = PublishInput {
        course,
        source_dir: None,
    };
    publish(db, &[input], opts).map(|mut r| r.remove(0))
}

pub fn add_user(db: &Db, email: &str) -> i32 {
    let mut c = db.conn().unwrap();
    diesel::insert_into(users::table)
        .values((
            users::email.eq(email),
            users::display_name.eq(email),
            users::role.eq("learner"),
            users::created_at.eq(now()),
        ))
        .execute(&mut *c)
        .unwrap();
    users::table
        .filter(users::email.eq(email))
        .select(users::id)
        .first(&mut *c)
        .unwrap()
}

pub trait PublishOptionsExt {
    fn dry(&self) -> PublishOptions;
    fn allow_orphans(&self) -> PublishOptions;
}

impl PublishOptionsExt for PublishOptions {
    fn dry(&self) -> PublishOptions {
        PublishOptions {
            dry_run: true,
            ..self.clone()
        }
    }

    fn allow_orphans(&self) -> PublishOptions {
        PublishOptions {
            allow_orphans: true,
            ..self.clone()
        }
    }
}
