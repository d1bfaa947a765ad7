//! What every request handler shares.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use leerpad_core::Course;
use leerpad_store::publish::{load_version, serving_versions};
use leerpad_store::{Db, DbConnection, StoreResult};
use minijinja::Environment;

use crate::clock::Clock;
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::mail::Mail;
use crate::security::Keys;
use crate::theme::Theme;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub theme: Theme,
    pub templates: Arc<Environment<'static>>,
    pub keys: Keys,
    pub clock: Clock,
    pub courses: CourseCache,
    pub mail: Mail,
}

impl AppState {
    /// Runs blocking database work on actix's blocking thread pool.
    pub async fn db<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> StoreResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.db.clone();
        actix_web::web::block(move || {
            let mut conn = db.conn()?;
            f(&mut conn)
        })
        .await?
        .map_err(AppError::from)
    }
}

/// A published course version, as served.
#[derive(Clone)]
pub struct Served {
    pub version_id: i32,
    pub course: Arc<Course>,
}

/// Published courses in memory, by version. Each request asks the database which
/// version of each course is current (one small query), so every instance serves a
/// new version as soon as it is published; only unseen versions are loaded.
#[derive(Clone, Default)]
pub struct CourseCache {
    versions: Arc<RwLock<HashMap<i32, Arc<Course>>>>,
}

impl CourseCache {
    /// Every course being served, in id order.
    pub async fn all(&self, state: &AppState) -> AppResult<Vec<Served>> {
        let current = state.db(serving_versions).await?;
        let mut out = Vec::with_capacity(current.len());
        for (_, version_id) in current {
            out.push(self.version(state, version_id).await?);
        }
        Ok(out)
    }

    /// The course being served under `course_id`.
    pub async fn current(&self, state: &AppState, course_id: &str) -> AppResult<Served> {
        let id = course_id.to_string();
        let version_id = state
            .db(move |c| leerpad_store::publish::serving_version(c, &id))
            .await?
            .ok_or(AppError::NotFound)?;
        self.version(state, version_id).await
    }

    /// A specific version (quiz attempts and scenario runs are pinned to theirs).
    pub async fn version(&self, state: &AppState, version_id: i32) -> AppResult<Served> {
        if let Some(course) = self.versions.read().expect("cache lock").get(&version_id) {
            return Ok(Served {
                version_id,
                course: course.clone(),
            });
        }
        let loaded = state.db(move |c| load_version(c, version_id)).await?;
        let course = Arc::new(loaded.course);
        self.versions
            .write()
            .expect("cache lock")
            .insert(version_id, course.clone());
        Ok(Served { version_id, course })
    }
}
