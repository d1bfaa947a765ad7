//! Shared by the learning pages: access to a course, the learner's progress in it,
//! and what happens when a course is completed.

use std::collections::HashSet;

use leerpad_core::completion::{progress, LearnerState, Progress};
use leerpad_core::{Course, Id, Visibility};
use leerpad_store::accounts::User;
use leerpad_store::learning::{self, Enrolment, NewCertificate};
use leerpad_store::StoreResult;

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
        state.learners.get(uid, course_id)
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
                    if let Some(item) = &record {
                        learning::lesson_opened(c, uid, &cid, item, now)?;
                        learning::record_activity(c, uid, &cid, now)?;
                    }
                    Ok((
                        Some(enrolment),
                        learning::finished(c, uid, &cid)?,
                        learning::reflections_of(c, uid, &cid)?,
                    ))
                })
                .await?;
            if fresh.0.is_some() {
                state.learners.put(uid, course_id, fresh.clone());
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

/// Records activity, and when the course is now complete: marks the enrolment
/// completed and issues the certificate (once). Returns the learner's progress.
pub async fn after_progress(state: &AppState, user: &User, served: &Served) -> AppResult<Progress> {
    let course: &Course = &served.course;
    let ls = learner_state(state, user.id, course.id.as_str()).await?;
    let p = progress(course, &ls);
    let (uid, cid, now) = (user.id, course.id.to_string(), state.clock.now());
    let complete = p.complete;
    let percent = p.percent;
    let certificate = course.certificate.clone();
    let holder = user.display_name.clone();
    let version_id = served.version_id;
    state
        .db(move |c| -> StoreResult<()> {
            learning::record_activity(c, uid, &cid, now)?;
            learning::record_progress(c, uid, &cid, percent)?;
            if complete && learning::mark_completed(c, uid, &cid, now)? {
                if let Some(cert) = certificate {
                    let expires = cert
                        .valid_months
                        .and_then(|m| now.checked_add_months(chrono::Months::new(m)));
                    let code = certificate_code();
                    learning::issue_certificate(
                        c,
                        &NewCertificate {
                            code: &code,
                            user_id: uid,
                            course_id: &cid,
                            version_id,
                            holder_name: &holder,
                            title: &cert.title,
                            expires_at: expires,
                        },
                        now,
                    )?;
                }
            }
            Ok(())
        })
        .await?;
    state.learners.forget(user.id, course.id.as_str());
    Ok(p)
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
