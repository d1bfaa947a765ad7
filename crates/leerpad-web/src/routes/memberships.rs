//! A learner's organisations: the ones they belong to, and the requests to join
//! that wait for their answer (`/me/organisations`). An organisation that adds an
//! existing account only asks; the owner accepts here (and is then enrolled in
//! what it assigned) or declines (and the organisation never saw anything).

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use leerpad_store::organisations;
use serde_json::json;

use crate::error::{AppError, AppResult};
use crate::page::{render, see_other, CsrfForm, NoFields};
use crate::state::AppState;
use crate::viewer::SignedIn;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(page).service(accept).service(decline);
}

#[get("/me/organisations")]
async fn page(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let id = who.user.id;
    let (pending, member_of) = state
        .db(move |c| {
            Ok((
                organisations::pending_memberships(c, id)?,
                organisations::memberships_of(c, id)?,
            ))
        })
        .await?;
    render(
        &state,
        &who.viewer,
        &req,
        "memberships.html.j2",
        json!({
            "pending": pending.iter().map(|(o, role, since)| json!({
                "slug": o.slug, "name": o.name, "role": role.as_str(), "since": since,
            })).collect::<Vec<_>>(),
            "member_of": member_of.iter().map(|(o, role)| json!({
                "slug": o.slug, "name": o.name, "role": role.as_str(),
            })).collect::<Vec<_>>(),
        }),
    )
}

/// The organisation of a request waiting for this user's answer; 404 otherwise.
async fn requested(state: &AppState, user_id: i32, slug: String) -> AppResult<i32> {
    state
        .db(move |c| {
            Ok(organisations::pending_memberships(c, user_id)?
                .into_iter()
                .find(|(o, _, _)| o.slug == slug)
                .map(|(o, _, _)| o.id))
        })
        .await?
        .ok_or(AppError::NotFound)
}

#[post("/me/organisations/{slug}/accept")]
async fn accept(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let (uid, now) = (who.user.id, state.clock.now());
    let org_id = requested(&state, uid, path.into_inner()).await?;
    state
        .db(move |c| organisations::accept_membership(c, org_id, uid, now))
        .await?;
    // A new role or new enrolments show on the next page.
    state.sessions.forget(None, Some(uid));
    tracing::info!(user = uid, organisation = org_id, "joined an organisation");
    Ok(see_other("/me/organisations?notice=joined"))
}

#[post("/me/organisations/{slug}/decline")]
async fn decline(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let uid = who.user.id;
    let org_id = requested(&state, uid, path.into_inner()).await?;
    state
        .db(move |c| organisations::decline_membership(c, org_id, uid))
        .await?;
    tracing::info!(
        user = uid,
        organisation = org_id,
        "declined to join an organisation"
    );
    Ok(see_other("/me/organisations?notice=declined"))
}
