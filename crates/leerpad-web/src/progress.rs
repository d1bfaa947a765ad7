//! Shared by the learning pages: access to a course, the learner's progress in it,
//! and what happens when a course is completed.

use std::collections::HashSet;

use leerpad_core::completion::{progress, LearnerState, Progress};
use leerpad_core::{Course, Id, Visibility};
use leerpad_store::accounts::User;
use leerpad_store::learning::{self, Enrolment, NewCertificate};
use leerpad_store::{DbConnection, StoreResult};

use crate::error::{AppError, AppResult};
use crate::state::{AppState, Served};

/// The course and the learner's enrolment, enrolling them in a listed course on
/// first visit. Hidden courses are only for learners enrolled by a coordinator.
pub async fn enrolled(
    state: &AppState,
    user: &User,
    course_id: &str,
) -> AppResult<(Served, Enrolment)> {
    let served = state.courses.current(state, course_id).await?;
    // Callers go on to change the learner's records: what was cached is out of date.
    state.learners.forget(user.id, course_id);
    let (uid, cid, now) = (user.id, course_id.to_string(), state.clock.now());
    let listed = served.course.visibility == Visibility::Listed;
    let enrolment = state
        .db(move |c| -> StoreResult<Option<Enrolment>> {
            match learning::enrolment(c, uid, &cid)? {
                Some(e) => Ok(Some(e)),
                None if listed => learning::enrol(c, uid, &cid, now).map(Some),
                None => Ok(None),
            }
        })
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((served, enrolment))
}

/// What a page of a course needs about the learner, read in one trip to the
/// database: the enrolment (enrolling in a listed course on first visit), their
/// finished items and, for lessons, their reflections. A lesson view is also recorded
/// as activity (at most once a minute per learner and lesson).
pub struct Visit {
    pub served: Served,
    pub enrolment: Enrolment,
    pub state: LearnerState,
    pub reflections: Vec<(String, String, chrono::NaiveDateTime)>,
}

pub async fn visit(
    state: &AppState,
    user: &User,
    course_id: &str,
    lesson: Option<&str>,
    mark: u64,
) -> AppResult<Visit> {
    let served = state.courses.current(state, course_id).await?;
    let listed = served.course.visibility == Visibility::Listed;
    let record = lesson
        .filter(|l| {
            state
                .activity
                .should_record(user.id, &format!("{course_id}/{l}"))
        })
        .map(str::to_string);
    let (uid, cid, now) = (user.id, course_id.to_string(), state.clock.now());
    let cached = if record.is_none() {
        state.learners.get(uid, course_id, mark)
    } else {
        None
    };
    let (enrolment, finished, reflections) = match cached {
        Some(known) => known,
        None => {
            let fresh = state
                .db(move |c| {
                    let enrolment = match learning::enrolment(c, uid, &cid)? {
                        Some(e) => Some(e),
                        None if listed => Some(learning::enrol(c, uid, &cid, now)?),
                        None => None,
                    };
                    let Some(enrolment) = enrolment else {
                        return Ok((None, Default::default(), Vec::new()));
                    };
                    let records = (
                        Some(enrolment),
                        learning::finished(c, uid, &cid)?,
                        learning::reflections_of(c, uid, &cid)?,
                    );
                    if let Some(item) = &record {
                        // Best effort: a database that cannot write just now (a full
                        // disk) still shows the lesson; the next view records it.
                        let recorded = learning::record_view(c, uid, &cid, item, now);
                        if let Err(e) = recorded {
                            tracing::warn!(error = %e, course = %cid, lesson = %item, "a lesson view was not recorded");
                        }
                    }
                    Ok(records)
                })
                .await?;
            if fresh.0.is_some() {
                state.learners.put(uid, course_id, mark, fresh.clone());
            }
            fresh
        }
    };
    let enrolment = enrolment.ok_or(AppError::NotFound)?;
    Ok(Visit {
        served,
        enrolment,
        state: to_state(finished),
        reflections,
    })
}

/// Repairs what [`needs_settling`] found, as far as the database lets it now: a
/// page that only reads still shows when writing fails.
pub async fn repair(state: &AppState, user: &User, served: &Served) {
    if let Err(e) = after_progress(state, user, served).await {
        tracing::warn!(error = %e, course = %served.course.id, "could not bring a completion up to date");
    }
}

/// The core's view of what a learner finished.
pub fn to_state(f: learning::Finished) -> LearnerState {
    let ids = |set: HashSet<String>| set.into_iter().filter_map(|s| Id::new(s).ok()).collect();
    LearnerState {
        lessons_done: ids(f.lessons_done),
        quizzes_attempted: ids(f.quizzes_attempted),
        quizzes_passed: ids(f.quizzes_passed),
        scenarios_completed: ids(f.scenarios_completed),
    }
}

pub async fn learner_state(
    state: &AppState,
    user_id: i32,
    course_id: &str,
) -> AppResult<LearnerState> {
    let cid = course_id.to_string();
    let f = state
        .db(move |c| learning::finished(c, user_id, &cid))
        .await?;
    Ok(to_state(f))
}

/// Does `f` (something the learner does in the course) and what follows from it in
/// one transaction: the activity, the enrolment's report figures and, when the
/// course is now complete, the completion and the certificate. A crash or an error
/// halfway leaves none of it. Returns what `f` returned and the learner's progress.
pub async fn act<T, F>(
    state: &AppState,
    user: &User,
    served: &Served,
    f: F,
) -> AppResult<(T, Progress)>
where
    F: FnOnce(&mut DbConnection) -> StoreResult<T> + Send + 'static,
    T: Send + 'static,
{
    let course = served.course.clone();
    let (uid, cid, vid, now) = (
        user.id,
        course.id.to_string(),
        served.version_id,
        state.clock.now(),
    );
    let holder = user.display_name.clone();
    let done = state
        .db(move |c| {
            learning::in_enrolment(c, uid, &cid, now, |c| {
                let out = f(c)?;
                let p = settle(c, &course, vid, uid, &holder, now)?;
                Ok((out, p))
            })
        })
        .await;
    state.learners.forget(user.id, served.course.id.as_str());
    done
}

/// Records activity and settles the learner's progress, in one transaction; see
/// [`act`].
pub async fn after_progress(state: &AppState, user: &User, served: &Served) -> AppResult<Progress> {
    Ok(act(state, user, served, |_| Ok(())).await?.1)
}

/// Brings what is stored up to date with what the learner has done, inside the
/// caller's transaction: the report figures, the completion and the certificate
/// (issued once; also when an earlier completion was recorded without it).
pub fn settle(
    c: &mut DbConnection,
    course: &Course,
    version_id: i32,
    user_id: i32,
    holder: &str,
    now: chrono::NaiveDateTime,
) -> StoreResult<Progress> {
    let cid = course.id.as_str();
    let p = progress(course, &to_state(learning::finished(c, user_id, cid)?));
    learning::record_progress(c, user_id, cid, p.percent)?;
    if p.complete {
        learning::mark_completed(c, user_id, cid, now)?;
        if let Some(cert) = &course.certificate {
            if learning::certificate_of(c, user_id, cid)?.is_none() {
                let expires = cert
                    .valid_months
                    .and_then(|m| now.checked_add_months(chrono::Months::new(m)));
                let code = certificate_code();
                learning::issue_certificate(
                    c,
                    &NewCertificate {
                        code: &code,
                        user_id,
                        course_id: cid,
                        version_id,
                        holder_name: holder,
                        title: &cert.title,
                        expires_at: expires,
                    },
                    now,
                )?;
            }
        }
    }
    Ok(p)
}

/// Whether what is stored lags behind what the learner has done: the course is
/// complete but not recorded so, or recorded without its certificate. Only a crash
/// between those writes (before they were one transaction) leaves that behind;
/// reading it repairs it with [`after_progress`].
pub fn needs_settling(
    course: &Course,
    complete: bool,
    enrolment: &Enrolment,
    has_certificate: Option<bool>,
) -> bool {
    complete
        && (enrolment.completed_at.is_none()
            || (course.certificate.is_some() && has_certificate == Some(false)))
}

/// A verification code that is easy to read aloud and type: groups of letters and
/// digits without look-alikes.
fn certificate_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    let chars: Vec<char> = (0..12)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}
