//! Publishing compiled courses: one transaction, idempotent, and never orphaning
//! learner data unless told to.
//!
//! A course version is stored as its skeleton (the course without item bodies) in
//! `course_versions`, one `version_items` row per trackable id in course order, and
//! the item bodies in `contents` by content hash. Unchanged items are shared between
//! versions, so republishing a large course with one changed lesson writes one body.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use leerpad_core::{ContentHash, Course, Item, Trackable, TrackableKind};
use serde::Serialize;

use crate::db::{write_transaction, Db, DbConnection};
use crate::error::{StoreError, StoreResult};
use crate::per_backend;
use crate::schema::{
    assets, contents, course_versions, courses, items, lesson_progress, quiz_answers,
    quiz_attempts, reflections, scenario_runs, version_items,
};

/// Rows per batched INSERT or `IN (…)` list; well under SQLite's variable limit.
const CHUNK: usize = 500;

/// A compiled course and the folder it came from (for its asset files).
pub struct PublishInput<'a> {
    pub course: &'a Course,
    pub source_dir: Option<&'a Path>,
}

#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// Compute and report the changes, write nothing.
    pub dry_run: bool,
    /// Publish even if items with learner data disappear (they are archived).
    pub allow_orphans: bool,
    pub now: NaiveDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PublishStatus {
    /// Same content as the version being served; nothing written.
    Unchanged,
    /// First version of a new course.
    Created,
    /// A new version of an existing course.
    Updated,
}

#[derive(Debug, Clone, Serialize)]
pub struct CourseReport {
    pub course_id: String,
    pub status: PublishStatus,
    /// The version serving after the publish (or that would, for a dry run).
    pub version: i32,
    pub previous_version: Option<i32>,
    pub diff: Diff,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Diff {
    pub added: Vec<ItemRef>,
    pub changed: Vec<ItemRef>,
    pub moved: Vec<ItemMove>,
    pub removed: Vec<Removal>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.changed.is_empty()
            && self.moved.is_empty()
            && self.removed.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemRef {
    pub id: String,
    pub kind: TrackableKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemMove {
    pub id: String,
    pub kind: TrackableKind,
    pub from_module: String,
    pub to_module: String,
}

pub use crate::orphans::{Orphans, Removal};

/// Publishes every course in one transaction. With errors, nothing is written and
/// the versions being served stay as they were.
pub fn publish(
    db: &Db,
    inputs: &[PublishInput<'_>],
    opts: &PublishOptions,
) -> StoreResult<Vec<CourseReport>> {
    let mut conn = db.conn()?;
    write_transaction(&mut conn, |c| {
        let mut plans = Vec::new();
        for input in inputs {
            plans.push(plan(c, input.course)?);
        }
        let orphans: Vec<(String, Vec<Removal>)> = plans
            .iter()
            .filter(|p| p.report.diff.removed.iter().any(|r| r.learners > 0))
            .map(|p| (p.report.course_id.clone(), p.report.diff.removed.clone()))
            .collect();
        if !orphans.is_empty() && !opts.allow_orphans && !opts.dry_run {
            return Err(StoreError::Orphans(Orphans { courses: orphans }));
        }
        if !opts.dry_run {
            for (input, plan) in inputs.iter().zip(&mut plans) {
                if plan.report.status != PublishStatus::Unchanged {
                    apply(c, input, plan, opts.now)?;
                } else {
                    // A database from before search: index what is served.
                    crate::search::ensure_indexed(c, input.course)?;
                }
            }
            fail_point("publish-before-commit");
        }
        Ok(plans.into_iter().map(|p| p.report).collect())
    })
}

/// Test hook: `LEERPAD_FAIL_POINT=<name>` makes the process abort at that point, as a
/// crash or `kill -9` would, to prove that nothing half-written survives.
fn fail_point(name: &str) {
    if std::env::var("LEERPAD_FAIL_POINT").is_ok_and(|v| v == name) {
        eprintln!("fail point `{name}` reached: aborting");
        std::process::abort();
    }
}

struct Plan {
    report: CourseReport,
    /// Ids known to the course (active or archived), with their kind and archival.
    known: HashMap<String, (String, bool)>,
}

#[derive(Queryable)]
struct VersionItemRow {
    item_id: String,
    kind: String,
    module_id: String,
    content_hash: String,
}

fn plan(c: &mut DbConnection, course: &Course) -> StoreResult<Plan> {
    let course_id = course.id.as_str();
    let current: Option<Option<i32>> = courses::table
        .find(course_id)
        .select(courses::current_version_id)
        .first(c)
        .optional()?;
    let current_version: Option<(i32, i32, String)> = match current.flatten() {
        Some(vid) => Some(
            course_versions::table
                .find(vid)
                .select((
                    course_versions::id,
                    course_versions::version,
                    course_versions::content_hash,
                ))
                .first(c)?,
        ),
        None => None,
    };
    let known: HashMap<String, (String, bool)> = items::table
        .filter(items::course_id.eq(course_id))
        .select((items::id, items::kind, items::archived_at.is_not_null()))
        .load::<(String, String, bool)>(c)?
        .into_iter()
        .map(|(id, kind, archived)| (id, (kind, archived)))
        .collect();

    let new = course.trackables();
    let (status, version, previous, diff) = match current_version {
        Some((_, version, hash)) if hash == course.content_hash.as_str() => (
            PublishStatus::Unchanged,
            version,
            Some(version),
            Diff::default(),
        ),
        Some((vid, version, _)) => {
            let old: Vec<VersionItemRow> = version_items::table
                .filter(version_items::version_id.eq(vid))
                .order(version_items::position)
                .select((
                    version_items::item_id,
                    version_items::kind,
                    version_items::module_id,
                    version_items::content_hash,
                ))
                .load(c)?;
            let mut diff = diff(&old, &new);
            count_learners(c, course_id, &mut diff.removed)?;
            (PublishStatus::Updated, version + 1, Some(version), diff)
        }
        None => {
            let last: Option<i32> = course_versions::table
                .filter(course_versions::course_id.eq(course_id))
                .select(diesel::dsl::max(course_versions::version))
                .first(c)?;
            let added = new
                .iter()
                .map(|t| ItemRef {
                    id: t.id.to_string(),
                    kind: t.kind,
                })
                .collect();
            let diff = Diff {
                added,
                ..Diff::default()
            };
            (PublishStatus::Created, last.unwrap_or(0) + 1, None, diff)
        }
    };
    Ok(Plan {
        report: CourseReport {
            course_id: course_id.to_string(),
            status,
            version,
            previous_version: previous,
            diff,
        },
        known,
    })
}

fn diff(old: &[VersionItemRow], new: &[Trackable]) -> Diff {
    let new_by_id: HashMap<&str, &Trackable> = new.iter().map(|t| (t.id.as_str(), t)).collect();
    let old_by_id: HashMap<&str, &VersionItemRow> =
        old.iter().map(|r| (r.item_id.as_str(), r)).collect();
    let kind_of = |s: &str| TrackableKind::parse(s).unwrap_or(TrackableKind::Lesson);
    let mut d = Diff::default();
    for t in new {
        match old_by_id.get(t.id.as_str()) {
            None => d.added.push(ItemRef {
                id: t.id.to_string(),
                kind: t.kind,
            }),
            Some(o) if o.content_hash != t.content_hash.as_str() || o.kind != t.kind.as_str() => {
                d.changed.push(ItemRef {
                    id: t.id.to_string(),
                    kind: t.kind,
                })
            }
            Some(_) => {}
        }
    }
    for o in old {
        if !new_by_id.contains_key(o.item_id.as_str()) {
            d.removed.push(Removal {
                id: o.item_id.clone(),
                kind: kind_of(&o.kind),
                learners: 0,
            });
        }
    }
    // Moves: lessons, quizzes and scenarios that changed module, or whose order
    // relative to the items present in both versions changed.
    let kept = |rows: Vec<(&str, &str)>| -> Vec<(String, String)> {
        rows.into_iter()
            .filter(|(id, _)| old_by_id.contains_key(id) && new_by_id.contains_key(id))
            .map(|(id, m)| (id.to_string(), m.to_string()))
            .collect()
    };
    let old_order = kept(
        old.iter()
            .filter(|o| kind_of(&o.kind).is_item())
            .map(|o| (o.item_id.as_str(), o.module_id.as_str()))
            .collect(),
    );
    let new_order = kept(
        new.iter()
            .filter(|t| t.kind.is_item())
            .map(|t| (t.id.as_str(), t.module.as_str()))
            .collect(),
    );
    let old_pos: HashMap<&str, (usize, &str)> = old_order
        .iter()
        .enumerate()
        .map(|(i, (id, m))| (id.as_str(), (i, m.as_str())))
        .collect();
    for (i, (id, module)) in new_order.iter().enumerate() {
        let (j, old_module) = old_pos[id.as_str()];
        if i != j || old_module != module {
            d.moved.push(ItemMove {
                id: id.clone(),
                kind: new_by_id[id.as_str()].kind,
                from_module: old_module.to_string(),
                to_module: module.clone(),
            });
        }
    }
    d
}

/// Fills in how many learners have data on each removed id.
fn count_learners(
    c: &mut DbConnection,
    course_id: &str,
    removed: &mut [Removal],
) -> StoreResult<()> {
    if removed.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = removed.iter().map(|r| r.id.clone()).collect();
    let mut learners: HashMap<String, HashSet<i32>> = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let mut rows: Vec<(String, i32)> = lesson_progress::table
            .filter(lesson_progress::course_id.eq(course_id))
            .filter(lesson_progress::item_id.eq_any(chunk))
            .select((lesson_progress::item_id, lesson_progress::user_id))
            .load(c)?;
        rows.extend(
            quiz_attempts::table
                .filter(quiz_attempts::course_id.eq(course_id))
                .filter(quiz_attempts::item_id.eq_any(chunk))
                .select((quiz_attempts::item_id, quiz_attempts::user_id))
                .load::<(String, i32)>(c)?,
        );
        rows.extend(
            quiz_answers::table
                .inner_join(quiz_attempts::table)
                .filter(quiz_answers::course_id.eq(course_id))
                .filter(quiz_answers::question_id.eq_any(chunk))
                .select((quiz_answers::question_id, quiz_attempts::user_id))
                .load::<(String, i32)>(c)?,
        );
        rows.extend(
            scenario_runs::table
                .filter(scenario_runs::course_id.eq(course_id))
                .filter(scenario_runs::item_id.eq_any(chunk))
                .select((scenario_runs::item_id, scenario_runs::user_id))
                .load::<(String, i32)>(c)?,
        );
        rows.extend(
            reflections::table
                .filter(reflections::course_id.eq(course_id))
                .filter(reflections::reflection_id.eq_any(chunk))
                .select((reflections::reflection_id, reflections::user_id))
                .load::<(String, i32)>(c)?,
        );
        for (id, user) in rows {
            learners.entry(id).or_default().insert(user);
        }
    }
    for r in removed {
        r.learners = learners.get(&r.id).map_or(0, |s| s.len() as i64);
    }
    Ok(())
}

#[derive(Insertable)]
#[diesel(table_name = version_items, treat_none_as_default_value = false)]
struct NewVersionItem<'a> {
    version_id: i32,
    course_id: &'a str,
    item_id: &'a str,
    kind: &'static str,
    parent_id: Option<&'a str>,
    module_id: &'a str,
    position: i32,
    title: &'a str,
    content_hash: &'a str,
}

fn apply(
    c: &mut DbConnection,
    input: &PublishInput<'_>,
    plan: &mut Plan,
    now: NaiveDateTime,
) -> StoreResult<()> {
    let course = input.course;
    let course_id = course.id.as_str();
    if plan.report.status == PublishStatus::Created
        && courses::table
            .find(course_id)
            .count()
            .get_result::<i64>(c)?
            == 0
    {
        diesel::insert_into(courses::table)
            .values((
                courses::id.eq(course_id),
                courses::created_at.eq(now),
                courses::updated_at.eq(now),
            ))
            .execute(c)?;
    }

    // The version row: the course without its items' bodies.
    let skeleton = course.skeleton();
    diesel::insert_into(course_versions::table)
        .values((
            course_versions::course_id.eq(course_id),
            course_versions::version.eq(plan.report.version),
            course_versions::content_hash.eq(course.content_hash.as_str()),
            course_versions::course_json.eq(serde_json::to_string(&skeleton)?),
            course_versions::published_at.eq(now),
        ))
        .execute(c)?;
    let version_id: i32 = course_versions::table
        .filter(course_versions::course_id.eq(course_id))
        .filter(course_versions::version.eq(plan.report.version))
        .select(course_versions::id)
        .first(c)?;

    store_contents(c, course, &plan.report.diff)?;
    store_assets(c, course, input.source_dir)?;

    // Items: new ids are added, returning ids are un-archived, vanished ids archived.
    let trackables = course.trackables();
    let present: HashSet<&str> = trackables.iter().map(|t| t.id.as_str()).collect();
    let mut fresh = Vec::new();
    for t in &trackables {
        match plan.known.get(t.id.as_str()) {
            None => fresh.push((
                items::course_id.eq(course_id),
                items::id.eq(t.id.as_str()),
                items::kind.eq(t.kind.as_str()),
                items::created_version_id.eq(version_id),
            )),
            Some((kind, archived)) => {
                if *archived || kind != t.kind.as_str() {
                    diesel::update(items::table.find((course_id, t.id.as_str())))
                        .set((
                            items::archived_at.eq(None::<NaiveDateTime>),
                            items::kind.eq(t.kind.as_str()),
                        ))
                        .execute(c)?;
                }
            }
        }
    }
    for chunk in fresh.chunks(CHUNK) {
        per_backend!(&mut *c, |b| diesel::insert_into(items::table)
            .values(chunk)
            .execute(b))?;
    }
    let vanished: Vec<&str> = plan
        .known
        .iter()
        .filter(|(id, (_, archived))| !archived && !present.contains(id.as_str()))
        .map(|(id, _)| id.as_str())
        .collect();
    for chunk in vanished.chunks(CHUNK) {
        diesel::update(
            items::table
                .filter(items::course_id.eq(course_id))
                .filter(items::id.eq_any(chunk)),
        )
        .set(items::archived_at.eq(Some(now)))
        .execute(c)?;
    }

    let rows: Vec<NewVersionItem<'_>> = trackables
        .iter()
        .map(|t| NewVersionItem {
            version_id,
            course_id,
            item_id: t.id.as_str(),
            kind: t.kind.as_str(),
            parent_id: t.parent.as_ref().map(|p| p.as_str()),
            module_id: t.module.as_str(),
            position: t.position as i32,
            title: &t.title,
            content_hash: t.content_hash.as_str(),
        })
        .collect();
    for chunk in rows.chunks(CHUNK) {
        per_backend!(&mut *c, |b| diesel::insert_into(version_items::table)
            .values(chunk)
            .execute(b))?;
    }

    // What search finds changes with what is served, in the same transaction.
    crate::search::index_course(c, course, version_id)?;
    // Who authors the course is who authors the version being served.
    crate::authoring::set_authors(c, course_id, &course.authors)?;

    diesel::update(courses::table.find(course_id))
        .set((
            courses::current_version_id.eq(Some(version_id)),
            courses::updated_at.eq(now),
            courses::archived_at.eq(None::<NaiveDateTime>),
        ))
        .execute(c)?;
    let d = &plan.report.diff;
    let details = serde_json::json!({
        "version": plan.report.version,
        "content_hash": course.content_hash,
        "added": d.added.len(),
        "changed": d.changed.len(),
        "moved": d.moved.len(),
        "removed": d.removed.iter().map(|r| &r.id).collect::<Vec<_>>(),
    });
    crate::audit::record(c, None, "course.publish", course_id, &details, now)
}

/// Stores the bodies of items whose content is not in the database yet. Items that
/// the previous version had unchanged are there already.
fn store_contents(c: &mut DbConnection, course: &Course, diff: &Diff) -> StoreResult<()> {
    let new: HashSet<&str> = diff
        .added
        .iter()
        .chain(&diff.changed)
        .map(|i| i.id.as_str())
        .collect();
    let items: Vec<&Item> = course
        .items()
        .map(|(_, i)| i)
        .filter(|i| new.contains(i.id.as_str()))
        .collect();
    for chunk in items.chunks(CHUNK) {
        let hashes: Vec<&str> = chunk.iter().map(|i| i.content_hash.as_str()).collect();
        let existing: HashSet<String> = contents::table
            .filter(contents::content_hash.eq_any(&hashes))
            .select(contents::content_hash)
            .load::<String>(c)?
            .into_iter()
            .collect();
        let mut seen = HashSet::new();
        let mut rows = Vec::new();
        for item in chunk {
            let hash = item.content_hash.as_str();
            if !existing.contains(hash) && seen.insert(hash) {
                rows.push((
                    contents::content_hash.eq(hash),
                    contents::body.eq(serde_json::to_string(item)?),
                ));
            }
        }
        if !rows.is_empty() {
            per_backend!(&mut *c, |b| diesel::insert_into(contents::table)
                .values(&rows)
                .execute(b))?;
        }
    }
    Ok(())
}

/// Stores asset files that are not in the database yet, reading them from the
/// course's `assets/` folder and checking they still match the compiled hash.
fn store_assets(
    c: &mut DbConnection,
    course: &Course,
    source_dir: Option<&Path>,
) -> StoreResult<()> {
    for asset in &course.assets {
        let hash = asset.content_hash.as_str();
        if assets::table.find(hash).count().get_result::<i64>(c)? > 0 {
            continue;
        }
        let Some(dir) = source_dir else {
            return Err(StoreError::Invalid(format!(
                "asset `{}` of course `{}` is not in the database and no source folder was given",
                asset.path, course.id
            )));
        };
        let path = dir.join("assets").join(&asset.path);
        let bytes = std::fs::read(&path).map_err(|e| StoreError::File {
            path: path.clone(),
            source: e,
        })?;
        if ContentHash::of_bytes(&bytes) != asset.content_hash {
            return Err(StoreError::Conflict(format!(
                "asset {} changed while publishing; compile and publish again",
                path.display()
            )));
        }
        diesel::insert_into(assets::table)
            .values((
                assets::content_hash.eq(hash),
                assets::media_type.eq(&asset.media_type),
                assets::size.eq(asset.size as i64),
                assets::bytes.eq(&bytes),
            ))
            .execute(c)?;
    }
    Ok(())
}

/// A published version of a course, as served.
#[derive(Debug, Clone)]
pub struct PublishedCourse {
    pub version_id: i32,
    pub version: i32,
    pub course: Course,
}

/// The version of `course_id` being served, if it was ever published.
pub fn current_version(
    c: &mut DbConnection,
    course_id: &str,
) -> StoreResult<Option<PublishedCourse>> {
    let vid: Option<Option<i32>> = courses::table
        .find(course_id)
        .select(courses::current_version_id)
        .first(c)
        .optional()?;
    match vid.flatten() {
        Some(vid) => load_version(c, vid).map(Some),
        None => Ok(None),
    }
}

/// Rebuilds the course of one stored version from its skeleton, item list and bodies.
pub fn load_version(c: &mut DbConnection, version_id: i32) -> StoreResult<PublishedCourse> {
    let (version, json): (i32, String) = course_versions::table
        .find(version_id)
        .select((course_versions::version, course_versions::course_json))
        .first(c)?;
    let mut course: Course = serde_json::from_str(&json)?;
    let rows: Vec<(String, String, String)> = version_items::table
        .inner_join(contents::table.on(contents::content_hash.eq(version_items::content_hash)))
        .filter(version_items::version_id.eq(version_id))
        .filter(version_items::kind.eq_any(["lesson", "quiz", "scenario"]))
        .order(version_items::position)
        .select((
            version_items::item_id,
            version_items::module_id,
            contents::body,
        ))
        .load(c)?;
    let mut by_module: BTreeMap<String, Vec<Item>> = BTreeMap::new();
    for (_, module, body) in rows {
        by_module
            .entry(module)
            .or_default()
            .push(serde_json::from_str(&body)?);
    }
    for m in &mut course.modules {
        m.items = by_module.remove(m.id.as_str()).unwrap_or_default();
    }
    Ok(PublishedCourse {
        version_id,
        version,
        course,
    })
}

/// A course's published versions, oldest first: (version, content hash, published at).
pub fn versions(
    c: &mut DbConnection,
    course_id: &str,
) -> StoreResult<Vec<(i32, String, NaiveDateTime)>> {
    Ok(course_versions::table
        .filter(course_versions::course_id.eq(course_id))
        .order(course_versions::version)
        .select((
            course_versions::version,
            course_versions::content_hash,
            course_versions::published_at,
        ))
        .load(c)?)
}

/// One published version, for the publish history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PublishedVersion {
    pub course_id: String,
    pub version: i32,
    pub published_at: NaiveDateTime,
    /// Whether it is the version being served now.
    pub serving: bool,
}

/// The latest `limit` versions published, of every course, newest first.
pub fn publish_history(c: &mut DbConnection, limit: i64) -> StoreResult<Vec<PublishedVersion>> {
    let rows: Vec<(i32, String, i32, NaiveDateTime, Option<i32>)> = course_versions::table
        .inner_join(courses::table.on(courses::id.eq(course_versions::course_id)))
        .order((
            course_versions::published_at.desc(),
            course_versions::id.desc(),
        ))
        .limit(limit.max(0))
        .select((
            course_versions::id,
            course_versions::course_id,
            course_versions::version,
            course_versions::published_at,
            courses::current_version_id,
        ))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, course_id, version, published_at, current)| PublishedVersion {
                course_id,
                version,
                published_at,
                serving: current == Some(id),
            },
        )
        .collect())
}

/// The version being served of every course that is not archived: (course id, version id).
pub fn serving_versions(c: &mut DbConnection) -> StoreResult<Vec<(String, i32)>> {
    let rows: Vec<(String, Option<i32>)> = courses::table
        .filter(courses::archived_at.is_null())
        .order(courses::id)
        .select((courses::id, courses::current_version_id))
        .load(c)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, v)| Some((id, v?)))
        .collect())
}

/// An asset file's media type and bytes, by content hash.
pub fn asset(c: &mut DbConnection, content_hash: &str) -> StoreResult<Option<(String, Vec<u8>)>> {
    Ok(assets::table
        .find(content_hash)
        .select((assets::media_type, assets::bytes))
        .first(c)
        .optional()?)
}

/// The version being served of one course, unless it is archived.
pub fn serving_version(c: &mut DbConnection, course_id: &str) -> StoreResult<Option<i32>> {
    let row: Option<Option<i32>> = courses::table
        .find(course_id)
        .filter(courses::archived_at.is_null())
        .select(courses::current_version_id)
        .first(c)
        .optional()?;
    Ok(row.flatten())
}
