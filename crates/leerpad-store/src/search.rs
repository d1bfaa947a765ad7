//! Full-text search over the catalogue and the lessons of the versions being served.
//!
//! `search_documents` holds the plain text of every course and item
//! ([`leerpad_core::search::documents`]); [`index_course`] rewrites a course's rows
//! inside the publish transaction, so search never disagrees with what is served.
//! SQLite finds rows through an FTS5 index kept by triggers (diacritics folded, every
//! word a prefix); PostgreSQL through a GIN index per language with its stemming
//! (`dutch`, `english`). Both rank by relevance, titles weighing more, and return
//! a snippet of the text around the words found, the words marked with
//! [`MARK_START`] and [`MARK_END`].

use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text};
use leerpad_core::search::{documents, SearchQuery};
use leerpad_core::{Course, Visibility};

use crate::db::DbConnection;
use crate::error::StoreResult;
use crate::schema::{courses, search_documents};

/// Marks the start of a word found, in a [`Hit`]'s snippet (a control character no
/// course text holds).
pub const MARK_START: char = '\u{2}';
/// Marks the end of a word found.
pub const MARK_END: char = '\u{3}';

/// One thing found.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Hit {
    #[diesel(sql_type = Text)]
    pub course_id: String,
    /// `None` when the course itself was found.
    #[diesel(sql_type = Nullable<Text>)]
    pub item_id: Option<String>,
    /// `course`, `lesson`, `quiz` or `scenario`.
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    /// Plain text around the words found, which are marked.
    #[diesel(sql_type = Text)]
    pub snippet: String,
}

/// Replaces a course's searchable text with that of `course` at `version_id`.
pub fn index_course(c: &mut DbConnection, course: &Course, version_id: i32) -> StoreResult<()> {
    let course_id = course.id.as_str();
    diesel::delete(search_documents::table.filter(search_documents::course_id.eq(course_id)))
        .execute(c)?;
    let listed = course.visibility == Visibility::Listed;
    let docs = documents(course);
    let rows: Vec<_> = docs
        .iter()
        .map(|d| {
            (
                search_documents::course_id.eq(course_id),
                search_documents::version_id.eq(version_id),
                search_documents::item_id.eq(d.item_id.as_deref()),
                search_documents::kind.eq(d.kind),
                search_documents::language.eq(course.language.code()),
                search_documents::listed.eq(listed),
                search_documents::position.eq(d.position),
                search_documents::title.eq(&d.title),
                search_documents::body.eq(&d.body),
            )
        })
        .collect();
    // Rows per INSERT: well under SQLite's limit of bound variables.
    for chunk in rows.chunks(200) {
        crate::per_backend!(&mut *c, |b| diesel::insert_into(search_documents::table)
            .values(chunk)
            .execute(b))?;
    }
    Ok(())
}

/// Indexes the version being served of `course` if it is not indexed yet (a
/// database that was published into before search existed).
pub fn ensure_indexed(c: &mut DbConnection, course: &Course) -> StoreResult<()> {
    let version: Option<Option<i32>> = courses::table
        .find(course.id.as_str())
        .select(courses::current_version_id)
        .first(c)
        .optional()?;
    let Some(version_id) = version.flatten() else {
        return Ok(());
    };
    let indexed: i64 = search_documents::table
        .filter(search_documents::version_id.eq(version_id))
        .count()
        .get_result(c)?;
    if indexed == 0 {
        index_course(c, course, version_id)?;
    }
    Ok(())
}

/// The best `limit` matches of `query` in the courses being served: listed courses,
/// and hidden ones only when `user_id` is enrolled in them.
pub fn search(
    c: &mut DbConnection,
    query: &SearchQuery,
    user_id: Option<i32>,
    limit: i32,
) -> StoreResult<Vec<Hit>> {
    // Only rows of the version being served of a course that is not archived.
    const VISIBLE: &str = "JOIN courses c ON c.id = d.course_id \
        AND c.current_version_id = d.version_id AND c.archived_at IS NULL \
        WHERE (d.listed OR d.course_id IN (SELECT e.course_id FROM enrolments e WHERE e.user_id = {user}))";
    let hits = match c {
        DbConnection::Sqlite(c) => diesel::sql_query(format!(
            "SELECT d.course_id, d.item_id, d.kind, d.title, \
               snippet(search_index, 1, char(2), char(3), '…', 24) AS snippet \
             FROM search_index JOIN search_documents d ON d.id = search_index.rowid \
             {} AND search_index MATCH ? \
             ORDER BY bm25(search_index, 4.0, 1.0), d.course_id, d.position LIMIT ?",
            VISIBLE.replace("{user}", "?")
        ))
        .bind::<Nullable<Integer>, _>(user_id)
        .bind::<Text, _>(query.fts5())
        .bind::<Integer, _>(limit)
        .load(c)?,
        DbConnection::Pg(c) => {
            // One branch per language, each with exactly its index's expression.
            let branch = |config: &str, language: &str| {
                format!(
                    "SELECT *, to_tsquery('{config}', $2) AS q, '{config}'::regconfig AS config \
                     FROM search_documents \
                     WHERE language = '{language}' \
                       AND to_tsvector('{config}', title || ' ' || body) @@ to_tsquery('{config}', $2)"
                )
            };
            diesel::sql_query(format!(
                "SELECT d.course_id, d.item_id, d.kind, d.title, \
                   ts_headline(d.config, d.body, d.q, \
                     'StartSel=' || chr(2) || ', StopSel=' || chr(3) || \
                     ', MaxWords=24, MinWords=10, MaxFragments=2, FragmentDelimiter=\" … \"') AS snippet \
                 FROM ({} UNION ALL {}) d {} \
                 ORDER BY ts_rank(setweight(to_tsvector(d.config, d.title), 'A') \
                     || setweight(to_tsvector(d.config, d.body), 'D'), d.q) DESC, \
                   d.course_id, d.position LIMIT $3",
                branch("dutch", "nl"),
                branch("english", "en"),
                VISIBLE.replace("{user}", "$1")
            ))
            .bind::<Nullable<Integer>, _>(user_id)
            .bind::<Text, _>(query.tsquery())
            .bind::<Integer, _>(limit)
            .load(c)?
        }
    };
    Ok(hits)
}
