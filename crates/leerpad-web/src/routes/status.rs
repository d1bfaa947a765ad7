//! The administrator's status page (`/admin/status`): the version running, the last
//! run of every periodic job (from `job_runs`, so it shows what every instance
//! and worker did), the outbox with its failed emails and a retry for each, and
//! the publish history.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use leerpad_store::jobs::{self, RunStatus};
use leerpad_store::{outbox, publish};
use serde_json::json;

use crate::error::{AppError, AppResult};
use crate::page::{render, see_other, CsrfForm, NoFields};
use crate::state::AppState;
use crate::viewer::Admin;

/// Failed emails listed at most (the count says how many there are).
const FAILED_LISTED: i64 = 50;
/// Published versions listed at most.
const VERSIONS_LISTED: i64 = 30;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(status).service(retry);
}

#[get("/admin/status")]
async fn status(
    state: web::Data<AppState>,
    admin: Admin,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let (runs, queued, failed_count, failed, versions) = state
        .db(|c| {
            Ok((
                jobs::latest_runs(c)?,
                outbox::pending_count(c)?,
                outbox::failed_count(c)?,
                outbox::list_failed(c, FAILED_LISTED)?,
                publish::publish_history(c, VERSIONS_LISTED)?,
            ))
        })
        .await?;
    let runs: Vec<_> = runs
        .iter()
        .map(|r| {
            let status = r.status();
            json!({
                "job": r.job,
                "started_at": r.started_at,
                "finished_at": r.finished_at,
                "status": status.as_str(),
                "failed": matches!(status, RunStatus::Retrying | RunStatus::Failed),
                "attempts": r.attempts,
                "summary": r.summary,
                "error": r.last_error,
                "next_due_at": r.next_due_at,
                "owner": r.lease_owner,
            })
        })
        .collect();
    let failed: Vec<_> = failed
        .iter()
        .map(|e| {
            json!({
                "id": e.id, "recipient": e.recipient, "subject": e.subject, "kind": e.kind,
                "error": e.last_error, "attempts": e.attempts, "created_at": e.created_at,
            })
        })
        .collect();
    render(
        &state,
        &admin.0.viewer,
        &req,
        "admin-status.html.j2",
        json!({
            "version": env!("CARGO_PKG_VERSION"),
            "runs": runs,
            "queued": queued,
            "failed_count": failed_count,
            "failed": failed,
            "more_failed": failed_count > failed.len() as i64,
            "versions": versions,
        }),
    )
}

/// Makes a failed email sendable again (fresh attempts, due now) and wakes the
/// outbox so it goes out at once.
#[post("/admin/outbox/{id}/retry")]
async fn retry(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<i32>,
    _form: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let now = state.clock.now();
    let requeued = state.db(move |c| outbox::requeue(c, id, now)).await?;
    if !requeued {
        // Not a failed email (any more): sent, retried already, or no such id.
        return Err(AppError::NotFound);
    }
    tracing::info!(
        email = id,
        by = admin.0.user.id,
        "failed email queued again"
    );
    state.mail.wake();
    Ok(see_other("/admin/status?notice=email-retried"))
}
