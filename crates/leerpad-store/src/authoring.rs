//! Who authors a course, and what its authors see of it: its published versions and
//! its learners in numbers (counts only; no query here returns a learner).
//!
//! `course_authors` holds the authors of the version being served; the publish
//! transaction rewrites it ([`set_authors`]). Each version keeps its own list in its
//! `course_json`.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
// `count_distinct` is deprecated for `aggregate_distinct`, which the
// `MultiConnection` of both backends cannot run yet.
#[allow(deprecated)]
use diesel::dsl::count_distinct;
use diesel::dsl::{count, count_star};
use diesel::prelude::*;
use leerpad_core::{Course, ItemFigures, LearnerFigures};

use crate::db::DbConnection;
use crate::error::StoreResult;
use crate::schema::{
    course_authors, course_versions, courses, enrolments, lesson_progress, quiz_attempts,
    scenario_runs, version_items,
};

/// Replaces the authors of `course_id` by `authors` (already lower case).
pub fn set_authors(c: &mut DbConnection, course_id: &str, authors: &[String]) -> StoreResult<()> {
    diesel::delete(course_authors::table.filter(course_authors::course_id.eq(course_id)))
        .execute(c)?;
    for email in authors {
        diesel::insert_into(course_authors::table)
            .values((
                course_authors::course_id.eq(course_id),
                course_authors::email.eq(email),
            ))
            .execute(c)?;
    }
    Ok(())
}

/// The ids of the published courses `email` authors (all of them when `email` is
/// `None`, for administrators), in id order.
pub fn courses_of(c: &mut DbConnection, email: Option<&str>) -> StoreResult<Vec<String>> {
    let served = courses::table
        .filter(courses::current_version_id.is_not_null())
        .order(courses::id)
        .select(courses::id);
    Ok(match email {
        None => served.load(c)?,
        Some(email) => served
            .filter(
                courses::id.eq_any(
                    course_authors::table
                        .filter(course_authors::email.eq(email.trim().to_lowercase()))
                        .select(course_authors::course_id),
                ),
            )
            .load(c)?,
    })
}

/// Whether `email` is one of the authors of the version of `course_id` being served.
pub fn is_author(c: &mut DbConnection, course_id: &str, email: &str) -> StoreResult<bool> {
    let n: i64 = course_authors::table
        .filter(course_authors::course_id.eq(course_id))
        .filter(course_authors::email.eq(email.trim().to_lowercase()))
        .count()
        .get_result(c)?;
    Ok(n > 0)
}

/// One published version of a course, with what changed from the one before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionSummary {
    pub version: i32,
    pub published_at: NaiveDateTime,
    /// Lessons, quizzes and scenarios in it.
    pub items: i64,
    /// Lessons, quizzes and scenarios added, changed, moved (to another module) and
    /// removed since the version before.
    pub changes: Changes,
    /// The version being served.
    pub current: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changes {
    pub added: i64,
    pub changed: i64,
    pub moved: i64,
    pub removed: i64,
}

/// What a trainer's list shows of one course.
#[derive(Debug, Clone)]
pub struct CourseSummary {
    /// The version being served, without its items' bodies.
    pub course: Course,
    pub version: i32,
    pub published_at: NaiveDateTime,
    pub archived: bool,
    pub learners: LearnerFigures,
}

/// The course being served with its version and learners, if it was published.
pub fn summary(c: &mut DbConnection, course_id: &str) -> StoreResult<Option<CourseSummary>> {
    let row: Option<(Option<i32>, Option<NaiveDateTime>)> = courses::table
        .find(course_id)
        .select((courses::current_version_id, courses::archived_at))
        .first(c)
        .optional()?;
    let Some((Some(version_id), archived)) = row else {
        return Ok(None);
    };
    let (version, published_at, json): (i32, NaiveDateTime, String) = course_versions::table
        .find(version_id)
        .select((
            course_versions::version,
            course_versions::published_at,
            course_versions::course_json,
        ))
        .first(c)?;
    Ok(Some(CourseSummary {
        course: serde_json::from_str(&json)?,
        version,
        published_at,
        archived: archived.is_some(),
        learners: learners(c, course_id)?,
    }))
}

/// Enrolled, started and completed learners of a course.
pub fn learners(c: &mut DbConnection, course_id: &str) -> StoreResult<LearnerFigures> {
    let (enrolled, started, completed): (i64, i64, i64) = enrolments::table
        .filter(enrolments::course_id.eq(course_id))
        .select((
            count_star(),
            count(enrolments::started_at),
            count(enrolments::completed_at),
        ))
        .first(c)?;
    Ok(LearnerFigures {
        enrolled: enrolled as u64,
        started: started as u64,
        completed: completed as u64,
    })
}

/// The published versions of a course, newest first.
pub fn versions(c: &mut DbConnection, course_id: &str) -> StoreResult<Vec<VersionSummary>> {
    let current: Option<i32> = courses::table
        .find(course_id)
        .select(courses::current_version_id)
        .first(c)
        .optional()?
        .flatten();
    let rows: Vec<(i32, i32, NaiveDateTime)> = course_versions::table
        .filter(course_versions::course_id.eq(course_id))
        .order(course_versions::version.desc())
        .select((
            course_versions::id,
            course_versions::version,
            course_versions::published_at,
        ))
        .load(c)?;
    // Each version's lessons, quizzes and scenarios: (module, content hash) by id.
    type Items = BTreeMap<String, (String, String)>;
    let mut by_version: BTreeMap<i32, Items> = BTreeMap::new();
    let all: Vec<(i32, String, String, String)> = version_items::table
        .filter(version_items::course_id.eq(course_id))
        .filter(version_items::kind.eq_any(["lesson", "quiz", "scenario"]))
        .select((
            version_items::version_id,
            version_items::item_id,
            version_items::module_id,
            version_items::content_hash,
        ))
        .load(c)?;
    for (version_id, item, module, hash) in all {
        by_version
            .entry(version_id)
            .or_default()
            .insert(item, (module, hash));
    }
    let empty = Items::new();
    // Oldest first, so each version is compared with the one before it.
    let mut changes: BTreeMap<i32, Changes> = BTreeMap::new();
    let mut before = &empty;
    for (id, _, _) in rows.iter().rev() {
        let now = by_version.get(id).unwrap_or(&empty);
        let mut ch = Changes::default();
        for (item, (module, hash)) in now {
            match before.get(item) {
                None => ch.added += 1,
                Some((m, h)) => {
                    ch.changed += i64::from(h != hash);
                    ch.moved += i64::from(m != module);
                }
            }
        }
        ch.removed = before.keys().filter(|k| !now.contains_key(*k)).count() as i64;
        changes.insert(*id, ch);
        before = now;
    }
    Ok(rows
        .into_iter()
        .map(|(id, version, published_at)| VersionSummary {
            version,
            published_at,
            items: by_version.get(&id).map_or(0, |i| i.len() as i64),
            changes: changes.get(&id).copied().unwrap_or_default(),
            current: current == Some(id),
        })
        .collect())
}

/// One item of the version being served and how far learners got with it.
#[derive(Debug, Clone)]
pub struct ItemRow {
    pub item_id: String,
    pub kind: String,
    pub module_id: String,
    pub title: String,
    pub figures: ItemFigures,
}

/// Every lesson, quiz and scenario of the version being served, in course order,
/// with the number of learners who reached and who finished it.
#[allow(deprecated)]
pub fn items(c: &mut DbConnection, course_id: &str) -> StoreResult<Vec<ItemRow>> {
    let Some(version_id) = courses::table
        .find(course_id)
        .select(courses::current_version_id)
        .first::<Option<i32>>(c)
        .optional()?
        .flatten()
    else {
        return Ok(Vec::new());
    };
    let rows: Vec<(String, String, String, String)> = version_items::table
        .filter(version_items::version_id.eq(version_id))
        .filter(version_items::kind.eq_any(["lesson", "quiz", "scenario"]))
        .order(version_items::position)
        .select((
            version_items::item_id,
            version_items::kind,
            version_items::module_id,
            version_items::title,
        ))
        .load(c)?;

    let mut figures: BTreeMap<String, ItemFigures> = BTreeMap::new();
    let lessons: Vec<(String, i64, i64)> = lesson_progress::table
        .filter(lesson_progress::course_id.eq(course_id))
        .group_by(lesson_progress::item_id)
        .select((
            lesson_progress::item_id,
            count_star(),
            count(lesson_progress::completed_at),
        ))
        .load(c)?;
    for (item, reached, finished) in lessons {
        let f = figures.entry(item).or_default();
        f.reached += reached as u64;
        f.finished += finished as u64;
    }
    // Quizzes and scenarios count learners, not attempts or runs.
    let started: Vec<(String, i64)> = quiz_attempts::table
        .filter(quiz_attempts::course_id.eq(course_id))
        .group_by(quiz_attempts::item_id)
        .select((
            quiz_attempts::item_id,
            count_distinct(quiz_attempts::user_id),
        ))
        .load(c)?;
    let submitted: Vec<(String, i64)> = quiz_attempts::table
        .filter(quiz_attempts::course_id.eq(course_id))
        .filter(quiz_attempts::submitted_at.is_not_null())
        .group_by(quiz_attempts::item_id)
        .select((
            quiz_attempts::item_id,
            count_distinct(quiz_attempts::user_id),
        ))
        .load(c)?;
    let runs: Vec<(String, i64)> = scenario_runs::table
        .filter(scenario_runs::course_id.eq(course_id))
        .group_by(scenario_runs::item_id)
        .select((
            scenario_runs::item_id,
            count_distinct(scenario_runs::user_id),
        ))
        .load(c)?;
    let ended: Vec<(String, i64)> = scenario_runs::table
        .filter(scenario_runs::course_id.eq(course_id))
        .filter(scenario_runs::finished_at.is_not_null())
        .group_by(scenario_runs::item_id)
        .select((
            scenario_runs::item_id,
            count_distinct(scenario_runs::user_id),
        ))
        .load(c)?;
    for (item, n) in started.into_iter().chain(runs) {
        figures.entry(item).or_default().reached += n as u64;
    }
    for (item, n) in submitted.into_iter().chain(ended) {
        figures.entry(item).or_default().finished += n as u64;
    }
    Ok(rows
        .into_iter()
        .map(|(item_id, kind, module_id, title)| ItemRow {
            figures: figures.get(&item_id).copied().unwrap_or_default(),
            item_id,
            kind,
            module_id,
            title,
        })
        .collect())
}
