//! Search, on every backend: it finds what is served (the course, lessons, quiz
//! questions) in Dutch and English, ranks and marks it, follows a new version in the
//! same publish, keeps hidden courses for those enrolled and leaves archived ones
//! out, and never finds quiz answers.

use crate::support::{self, add_user, course, now, opts, publish_one};

use diesel::prelude::*;
use leerpad_compiler::{compile_tree, SourceTree};
use leerpad_core::search::SearchQuery;
use leerpad_core::Course;
use leerpad_store::schema::courses;
use leerpad_store::search::{search, Hit, MARK_END, MARK_START};
use leerpad_store::{learning, Db};

/// A listed English course, to search in another language than `proef`'s.
fn english() -> Course {
    let mut tree = SourceTree::new("rumours");
    tree.add_text(
        "course.yaml",
        b"id: rumours\ntitle: Rumours and their spreading\nlanguage: en\nsummary: How rumours travel in a town.\nduration_minutes: 20\n",
    );
    tree.add_text("01-m/module.yaml", b"id: m\ntitle: First steps\n");
    tree.add_text(
        "01-m/01-l.md",
        b"---\nid: spreading\ntitle: Why stories spread\n---\n\nPeople were spreading a story about the mayor, and the neighbours kept repeating it.\n",
    );
    let (course, diags) = compile_tree(&tree);
    course.unwrap_or_else(|| panic!("{:?}", diags.into_vec()))
}

fn find(db: &Db, q: &str, user: Option<i32>) -> Vec<Hit> {
    let query = SearchQuery::parse(q).unwrap();
    let mut c = db.conn().unwrap();
    search(&mut c, &query, user, 20).unwrap()
}

fn places(hits: &[Hit]) -> Vec<(String, Option<String>)> {
    hits.iter()
        .map(|h| (h.course_id.clone(), h.item_id.clone()))
        .collect()
}

#[test]
fn search_finds_what_is_served_on_every_backend() {
    let lesson = "---\nid: basis\ntitle: Basis\n---\n\nPolarisatie groeit wanneer wij en zij tegenover elkaar komen te staan. De <em>reële</em> zorgen van bewoners tellen.\n";
    for t in support::backends() {
        let name = t.name;
        let proef = course(&[("01-start/02-basis.md", Some(lesson))]);
        publish_one(&t.db, &proef, &opts()).unwrap();
        publish_one(&t.db, &english(), &opts()).unwrap();

        // A lesson's text, with the word marked in the snippet; prefixes count.
        let hits = find(&t.db, "polarisat", None);
        assert_eq!(
            places(&hits),
            [("proef".to_string(), Some("basis".to_string()))],
            "{name}"
        );
        assert_eq!(hits[0].kind, "lesson");
        assert_eq!(hits[0].title, "Basis");
        assert!(
            hits[0]
                .snippet
                .contains(&format!("{MARK_START}Polarisatie{MARK_END}")),
            "{name}: {:?}",
            hits[0].snippet
        );
        assert!(!hits[0].snippet.contains("<em>"), "{name}: plain text");

        // Every word must be there.
        assert_eq!(find(&t.db, "polarisatie bewoners", None).len(), 1, "{name}");
        assert!(
            find(&t.db, "polarisatie burgemeester", None).is_empty(),
            "{name}"
        );

        // The course itself, by its summary; a quiz by its question, never by
        // anything the learner should work out.
        let hits = find(&t.db, "proefcursus", None);
        assert_eq!(places(&hits), [("proef".to_string(), None)], "{name}");
        assert_eq!(hits[0].kind, "course");
        assert_eq!(
            places(&find(&t.db, "klopt", None)),
            [("proef".to_string(), Some("toets".to_string()))],
            "{name}"
        );

        // English, with the English course's words; the title weighs more than
        // the text.
        let hits = find(&t.db, "spreading", None);
        assert_eq!(hits.len(), 2, "{name}: {hits:?}");
        assert!(hits.iter().all(|h| h.course_id == "rumours"), "{name}");

        // A new version replaces what is found, in the same publish.
        let changed = lesson.replace("Polarisatie groeit", "Verdeeldheid groeit");
        publish_one(
            &t.db,
            &course(&[("01-start/02-basis.md", Some(&changed))]),
            &opts(),
        )
        .unwrap();
        assert!(find(&t.db, "polarisatie", None).is_empty(), "{name}");
        assert_eq!(find(&t.db, "verdeeldheid", None).len(), 1, "{name}");

        // An archived course is not found.
        {
            let mut c = t.db.conn().unwrap();
            diesel::update(courses::table.find("rumours"))
                .set(courses::archived_at.eq(Some(now())))
                .execute(&mut *c)
                .unwrap();
        }
        assert!(find(&t.db, "spreading", None).is_empty(), "{name}");
    }
}

#[test]
fn hidden_courses_are_found_only_by_those_enrolled() {
    for t in support::backends() {
        let name = t.name;
        let hidden = course(&[(
            "course.yaml",
            Some("id: proef\ntitle: Proef\nlanguage: nl\nsummary: Een geheime proefcursus.\nduration_minutes: 30\nvisibility: hidden\n"),
        )]);
        publish_one(&t.db, &hidden, &opts()).unwrap();
        let enrolled = add_user(&t.db, "in@example.org");
        let outsider = add_user(&t.db, "uit@example.org");
        learning::enrol(&mut t.db.conn().unwrap(), enrolled, "proef", now()).unwrap();

        assert!(find(&t.db, "geheime", None).is_empty(), "{name}: anonymous");
        assert!(
            find(&t.db, "geheime", Some(outsider)).is_empty(),
            "{name}: outsider"
        );
        assert_eq!(find(&t.db, "geheime", Some(enrolled)).len(), 1, "{name}");
    }
}

#[test]
fn a_database_published_before_search_gets_indexed_on_the_next_publish() {
    for t in support::backends() {
        let name = t.name;
        let proef = course(&[]);
        publish_one(&t.db, &proef, &opts()).unwrap();
        {
            let mut c = t.db.conn().unwrap();
            diesel::delete(leerpad_store::schema::search_documents::table)
                .execute(&mut *c)
                .unwrap();
        }
        assert!(find(&t.db, "proefcursus", None).is_empty(), "{name}");
        // Unchanged, so no new version; the index is filled all the same.
        publish_one(&t.db, &proef, &opts()).unwrap();
        assert_eq!(find(&t.db, "proefcursus", None).len(), 1, "{name}");
    }
}
