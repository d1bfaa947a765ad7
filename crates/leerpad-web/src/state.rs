//! What every request handler shares.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use leerpad_app::{FlowError, FlowResult};
use leerpad_core::Course;
use leerpad_store::accounts::User;
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
    pub activity: ActivityThrottle,
    pub sessions: SessionCache,
    pub learners: LearnerCache,
    /// Password hashing, a bounded number at a time.
    pub hashing: crate::security::Hashing,
}

impl AppState {
    /// Queues `template` for `user` and wakes the outbox worker; a second call
    /// with the same `dedupe_key` does nothing. (Flows queue their email on their
    /// own transaction instead: [`leerpad_app::Outbox`].)
    pub async fn send_mail(
        &self,
        user: &User,
        template: &str,
        dedupe_key: &str,
        ctx: serde_json::Value,
    ) -> AppResult<()> {
        let (outbox, user, template, key) = (
            self.mail.outbox().clone(),
            user.clone(),
            template.to_string(),
            dedupe_key.to_string(),
        );
        let now = self.clock.now();
        self.flow(move |c| outbox.queue(c, &user, &template, &key, &ctx, now))
            .await?;
        self.mail.wake();
        Ok(())
    }

    /// Forgets what a flow made stale.
    pub fn forget(&self, stale: &leerpad_app::Stale) {
        for &user in &stale.sessions_of {
            self.sessions.forget(None, Some(user));
        }
    }

    /// Runs blocking database work on actix's blocking thread pool.
    pub async fn db<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> StoreResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.flow(move |c| f(c).map_err(FlowError::from)).await
    }

    /// Runs a flow of the application layer (`leerpad_app`) on a pooled
    /// connection, off the async threads.
    pub async fn flow<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> FlowResult<T> + Send + 'static,
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

/// How long an instance trusts its knowledge of which version of a course is
/// current: a new publish is served by every instance within this time.
const CURRENT_TTL: Duration = Duration::from_secs(1);

/// Published courses in memory, by version (versions never change, so they are kept),
/// and which version of each course is current (asked of the database at most once
/// per `CURRENT_TTL`), so every instance serves a new version within a second.
#[derive(Clone, Default)]
pub struct CourseCache {
    versions: Arc<RwLock<HashMap<i32, Arc<Course>>>>,
    current: Arc<RwLock<HashMap<String, (i32, Instant)>>>,
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
        let known = self
            .current
            .read()
            .expect("cache lock")
            .get(course_id)
            .copied();
        let version_id = match known {
            Some((v, at)) if at.elapsed() < CURRENT_TTL => v,
            _ => {
                let id = course_id.to_string();
                let v = state
                    .db(move |c| leerpad_store::publish::serving_version(c, &id))
                    .await?
                    .ok_or(AppError::NotFound)?;
                self.current
                    .write()
                    .expect("cache lock")
                    .insert(course_id.to_string(), (v, Instant::now()));
                v
            }
        };
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

/// How often a page view is written down as activity, per learner and page.
const ACTIVITY_EVERY: Duration = Duration::from_secs(60);

/// Page views are recorded as activity (lesson opened, last activity) at most once a
/// minute per learner and page, so reading a course does not write on every request.
/// What learners do (marking done, answering) is always written at once.
#[derive(Clone, Default)]
pub struct ActivityThrottle {
    seen: Arc<Mutex<HashMap<(i32, String), Instant>>>,
}

impl ActivityThrottle {
    /// Whether this view should be recorded; if so, it counts as recorded now.
    pub fn should_record(&self, user_id: i32, page: &str) -> bool {
        let mut seen = self.seen.lock().expect("activity lock");
        if seen.len() > 50_000 {
            seen.retain(|_, at| at.elapsed() < ACTIVITY_EVERY);
        }
        let key = (user_id, page.to_string());
        match seen.get(&key) {
            Some(at) if at.elapsed() < ACTIVITY_EVERY => false,
            _ => {
                seen.insert(key, Instant::now());
                true
            }
        }
    }
}

/// How long an instance trusts a session it has checked. Signing out, a new password
/// or disabling an account ends sessions on this instance at once, and on other
/// instances within this time. A person's own changes (their name, their language)
/// show on every instance at once: an entry is used only for requests carrying the
/// write mark it was read under (see `fresh`).
const SESSION_TTL: Duration = Duration::from_secs(5);

/// Per session id: its user, the write mark of the request that read it, and when.
type SessionMap = HashMap<String, (leerpad_store::accounts::User, u64, Instant)>;

/// Sessions recently found live in the database, with their user.
#[derive(Clone, Default)]
pub struct SessionCache {
    live: Arc<RwLock<SessionMap>>,
}

impl SessionCache {
    pub fn get(&self, session_id: &str, mark: u64) -> Option<leerpad_store::accounts::User> {
        match self.live.read().expect("session lock").get(session_id) {
            Some((user, m, at)) if *m == mark && at.elapsed() < SESSION_TTL => Some(user.clone()),
            _ => None,
        }
    }

    pub fn put(&self, session_id: &str, mark: u64, user: leerpad_store::accounts::User) {
        let mut live = self.live.write().expect("session lock");
        if live.len() > 50_000 {
            live.retain(|_, (_, _, at)| at.elapsed() < SESSION_TTL);
        }
        live.insert(session_id.to_string(), (user, mark, Instant::now()));
    }

    /// Forgets one session, or (with `user_id`) every session of a user.
    pub fn forget(&self, session_id: Option<&str>, user_id: Option<i32>) {
        let mut live = self.live.write().expect("session lock");
        if let Some(sid) = session_id {
            live.remove(sid);
        }
        if let Some(uid) = user_id {
            live.retain(|_, (u, _, _)| u.id != uid);
        }
    }
}

/// How long an instance trusts what it read of a learner's records in a course.
/// Changes made through this instance are seen at once, and a learner's own changes
/// through any instance too (see `fresh`); other changes (a coordinator's) within this.
const LEARNER_TTL: Duration = Duration::from_secs(2);

type LearnerRecords = (
    Option<leerpad_store::learning::Enrolment>,
    leerpad_store::learning::Finished,
    Vec<(String, String, chrono::NaiveDateTime)>,
);

/// Per (user id, course id): the records, the browser's write mark they were read
/// under, and when they were read.
type LearnerMap = HashMap<(i32, String), (LearnerRecords, u64, Instant)>;

/// A learner's enrolment, finished items and reflections per course, as last read,
/// so reading lessons does not ask the database on every page.
///
/// An entry is used only for a request carrying the write mark it was read under:
/// every change a learner makes gives their browser a new mark (`fresh::stamp`), so
/// after a change on any instance, every instance reads the records again.
#[derive(Clone, Default)]
pub struct LearnerCache {
    known: Arc<RwLock<LearnerMap>>,
}

impl LearnerCache {
    pub fn get(&self, user_id: i32, course_id: &str, mark: u64) -> Option<LearnerRecords> {
        match self
            .known
            .read()
            .expect("learner lock")
            .get(&(user_id, course_id.to_string()))
        {
            Some((records, m, at)) if *m == mark && at.elapsed() < LEARNER_TTL => {
                Some(records.clone())
            }
            _ => None,
        }
    }

    pub fn put(&self, user_id: i32, course_id: &str, mark: u64, records: LearnerRecords) {
        let mut known = self.known.write().expect("learner lock");
        if known.len() > 50_000 {
            known.retain(|_, (_, _, at)| at.elapsed() < LEARNER_TTL);
        }
        known.insert(
            (user_id, course_id.to_string()),
            (records, mark, Instant::now()),
        );
    }

    pub fn forget(&self, user_id: i32, course_id: &str) {
        self.known
            .write()
            .expect("learner lock")
            .remove(&(user_id, course_id.to_string()));
    }
}
