//! Course authors: published with each version, and found by address.

use crate::support;

use leerpad_store::authoring::{courses_of, is_author, items, learners, versions};
use leerpad_store::PublishStatus;
use support::{add_user, backends, course, opts, publish_one};

const WITH_AUTHORS: &str = "id: proef\ntitle: Proef\nlanguage: nl\nsummary: Een proefcursus.\nduration_minutes: 30\nauthors:\n  - Tessa@Example.org\n  - jan@example.org\n";
const OTHER_AUTHOR: &str = "id: proef\ntitle: Proef\nlanguage: nl\nsummary: Een proefcursus.\nduration_minutes: 30\nauthors:\n  - jan@example.org\n";

#[test]
fn each_publish_rewrites_who_authors_the_course() {
    for t in backends() {
        let plain = course(&[]);
        publish_one(&t.db, &plain, &opts()).unwrap();
        let mut c = t.db.conn().unwrap();
        assert!(courses_of(&mut c, Some("tessa@example.org"))
            .unwrap()
            .is_empty());
        assert_eq!(courses_of(&mut c, None).unwrap(), ["proef"], "{}", t.name);
        drop(c);

        let authored = course(&[("course.yaml", Some(WITH_AUTHORS))]);
        let report = publish_one(&t.db, &authored, &opts()).unwrap();
        assert_eq!(report.status, PublishStatus::Updated, "{}", t.name);
        assert!(report.diff.is_empty(), "no item changed: {:?}", report.diff);
        let mut c = t.db.conn().unwrap();
        assert_eq!(
            courses_of(&mut c, Some("TESSA@example.org")).unwrap(),
            ["proef"]
        );
        assert!(is_author(&mut c, "proef", "jan@example.org").unwrap());
        drop(c);

        let other = course(&[("course.yaml", Some(OTHER_AUTHOR))]);
        publish_one(&t.db, &other, &opts()).unwrap();
        let mut c = t.db.conn().unwrap();
        assert!(
            !is_author(&mut c, "proef", "tessa@example.org").unwrap(),
            "{}",
            t.name
        );
        assert!(is_author(&mut c, "proef", "jan@example.org").unwrap());
        // Each version keeps its own authors.
        let v2 = leerpad_store::publish::versions(&mut c, "proef").unwrap();
        assert_eq!(v2.len(), 3);
        let listed = versions(&mut c, "proef").unwrap();
        assert_eq!(
            listed
                .iter()
                .map(|v| (v.version, v.current))
                .collect::<Vec<_>>(),
            [(3, true), (2, false), (1, false)],
            "{}",
            t.name
        );
        assert_eq!(listed[2].items, 4, "welkom, basis, toets, meer");
        assert_eq!(
            listed[2].changes.added, 4,
            "the first version adds every item"
        );
        let c = listed[1].changes;
        assert_eq!(
            (c.added, c.changed, c.moved, c.removed),
            (0, 0, 0, 0),
            "a new list of authors changes no item"
        );
    }
}

#[test]
fn figures_count_learners_without_naming_them() {
    for t in backends() {
        publish_one(&t.db, &course(&[]), &opts()).unwrap();
        let mut c = t.db.conn().unwrap();
        let f = learners(&mut c, "proef").unwrap();
        assert_eq!((f.enrolled, f.started, f.completed), (0, 0, 0));
        drop(c);
        let a = add_user(&t.db, "a@example.org");
        let mut c = t.db.conn().unwrap();
        leerpad_store::learning::enrol(&mut c, a, "proef", support::now()).unwrap();
        let f = learners(&mut c, "proef").unwrap();
        assert_eq!(f.enrolled, 1, "{}", t.name);
        let rows = items(&mut c, "proef").unwrap();
        assert_eq!(
            rows.iter().map(|r| r.item_id.as_str()).collect::<Vec<_>>(),
            ["welkom", "basis", "toets", "meer"]
        );
        assert!(rows.iter().all(|r| r.figures.reached == 0));
    }
}

#[test]
fn each_version_says_what_changed_in_items() {
    for t in backends() {
        publish_one(&t.db, &course(&[]), &opts()).unwrap();
        let next = course(&[
            (
                "01-start/02-basis.md",
                Some("---\nid: basis\ntitle: Basis\n---\n\nDe basis, herschreven.\n"),
            ),
            ("02-verder/01-meer.md", None),
            (
                "02-verder/01-nieuw.md",
                Some("---\nid: nieuw\ntitle: Nieuw\n---\n\nNieuw.\n"),
            ),
        ]);
        publish_one(&t.db, &next, &opts()).unwrap();
        let mut c = t.db.conn().unwrap();
        let listed = versions(&mut c, "proef").unwrap();
        let ch = listed[0].changes;
        assert_eq!(
            (ch.added, ch.changed, ch.moved, ch.removed),
            (1, 1, 0, 1),
            "nieuw added, basis changed, meer removed ({})",
            t.name
        );
        assert_eq!(listed[0].items, 4);
    }
}
