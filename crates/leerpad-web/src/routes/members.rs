//! An organisation's members, for its coordinators: the list, inviting people one
//! by one or from a CSV file, and one member's courses with their deadlines.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
pub use leerpad_app::members::{self, Invited, Invitee};
use leerpad_app::Coordinating;
use leerpad_app::Refusal;
use leerpad_core::report::scores_in_order;
use leerpad_store::organisations::{self, MemberRole, Organisation};
use leerpad_store::reports;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{AppError, AppResult};
use crate::page::{render, see_other, CsrfForm, NoFields};
use crate::roster::{self, RosterRow};
use crate::routes::organisations::{coordinated, coordinating, new_deadline};
use crate::state::AppState;
use crate::viewer::{SignedIn, Viewer};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(members_page)
        .service(invite)
        .service(import)
        .service(member_page)
        .service(set_deadline)
        .service(assign_course)
        .service(set_group)
        .service(remove);
}

const PER_PAGE: i64 = 100;
/// The largest CSV file accepted.
const MAX_UPLOAD: usize = 1024 * 1024;

/// Invites someone as `by` ([`members::invite`]), then forgets the sessions it
/// changed and wakes the outbox worker for its email.
pub async fn invite_member(
    state: &AppState,
    by: &Coordinating,
    who: Invitee,
) -> AppResult<Result<Invited, Refusal>> {
    let (outbox, base_url, by, now) = (
        state.mail.outbox().clone(),
        state.config.base_url().to_string(),
        by.clone(),
        state.clock.now(),
    );
    let done = state
        .flow(move |c| members::invite(c, &outbox, &base_url, &by, &who, now))
        .await?;
    Ok(done.map(|(outcome, stale)| {
        state.forget(&stale);
        state.mail.wake();
        outcome
    }))
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<i64>,
}

#[get("/organisations/{slug}/members")]
async fn members_page(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let org = coordinated(&state, &who.user, &path).await?;
    let ctx = members_context(&state, &org, q.page.unwrap_or(0).max(0)).await?;
    render(&state, &who.viewer, &req, "members.html.j2", ctx)
}

async fn members_context(state: &AppState, org: &Organisation, page: i64) -> AppResult<Value> {
    let org_id = org.id;
    let ((members, total), groups) = state
        .db(move |c| {
            Ok((
                organisations::members(c, org_id, PER_PAGE, page * PER_PAGE)?,
                organisations::groups(c, org_id)?,
            ))
        })
        .await?;
    let pages = (total + PER_PAGE - 1) / PER_PAGE;
    Ok(json!({
        "organisation": { "slug": org.slug, "name": org.name },
        "members": members.iter().map(|m| json!({
            "id": m.user_id, "name": m.name, "email": m.email, "group": m.group,
            "role": m.role.as_str(), "activated": m.activated, "disabled": m.disabled,
            "pending": m.pending,
        })).collect::<Vec<_>>(),
        "total": total,
        "groups": groups.iter().map(|g| json!({ "id": g.id, "name": g.name })).collect::<Vec<_>>(),
        "page": page + 1,
        "pages": pages.max(1),
        "previous": (page > 0).then(|| page - 1),
        "next": (page + 1 < pages).then_some(page + 1),
    }))
}

#[derive(Deserialize)]
struct InviteForm {
    email: String,
    name: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    role: String,
}

#[post("/organisations/{slug}/members")]
async fn invite(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<String>,
    form: CsrfForm<InviteForm>,
) -> AppResult<HttpResponse> {
    let by = coordinating(&state, &who.user, &path).await?;
    let org = by.organisation();
    let f = form.0;
    let role = if f.role == "coordinator" {
        MemberRole::Coordinator
    } else {
        MemberRole::Member
    };
    let invitee = Invitee {
        email: f.email.clone(),
        name: f.name.clone(),
        group: Some(f.group.clone()),
        role,
    };
    match invite_member(&state, &by, invitee).await? {
        Ok(outcome) => Ok(see_other(format!(
            "/organisations/{}/members?notice={}",
            org.slug,
            if outcome == Invited::AlreadyMember {
                "member-updated"
            } else {
                "invited"
            }
        ))),
        Err(problem) => {
            let mut ctx = members_context(&state, org, 0).await?;
            ctx["error"] = json!(problem.key());
            ctx["form"] =
                json!({ "email": f.email, "name": f.name, "group": f.group, "role": f.role });
            let mut resp = render(&state, &who.viewer, &req, "members.html.j2", ctx)?;
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
    }
}

/// The uploaded file and the form's CSRF token, from a multipart form.
async fn read_upload(
    viewer: &Viewer,
    state: &AppState,
    mut form: Multipart,
) -> AppResult<Option<Vec<u8>>> {
    let mut csrf = None;
    let mut file = None;
    while let Some(field) = form.next().await {
        let mut field =
            field.map_err(|_| AppError::BadRequest("the upload was interrupted".into()))?;
        let name = field.name().unwrap_or("").to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk =
                chunk.map_err(|_| AppError::BadRequest("the upload was interrupted".into()))?;
            if bytes.len() + chunk.len() > MAX_UPLOAD {
                return Ok(None);
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "csrf" => csrf = Some(String::from_utf8_lossy(&bytes).into_owned()),
            "file" => file = Some(bytes),
            _ => {}
        }
    }
    viewer.check_csrf(state, csrf.as_deref().unwrap_or(""))?;
    Ok(Some(file.unwrap_or_default()))
}

/// Invites everyone in an uploaded CSV file. A file with any problem is reported
/// row by row and nothing is imported; a correct file is imported row by row, and
/// uploading it again changes nothing.
#[post("/organisations/{slug}/members/import")]
async fn import(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<String>,
    form: Multipart,
) -> AppResult<HttpResponse> {
    let by = coordinating(&state, &who.user, &path).await?;
    let org = by.organisation();
    let upload = read_upload(&who.viewer, &state, form).await?;
    let org_json = json!({ "slug": org.slug, "name": org.name });
    let fail = |ctx: Value| -> AppResult<HttpResponse> {
        let mut resp = render(&state, &who.viewer, &req, "import.html.j2", ctx)?;
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        Ok(resp)
    };
    let Some(bytes) = upload else {
        return fail(json!({ "organisation": org_json, "file_problem": "import.too-large" }));
    };
    let roster = match roster::parse(&bytes) {
        Ok(r) => r,
        Err(problem) => {
            return fail(
                json!({ "organisation": org_json, "file_problem": problem.key(), "max_rows": roster::MAX_ROWS }),
            )
        }
    };
    if !roster.problems.is_empty() {
        let problems: Vec<Value> = roster
            .problems
            .iter()
            .map(|p| json!({ "line": p.line, "email": p.email, "key": p.key, "first_line": p.first_line }))
            .collect();
        return fail(
            json!({ "organisation": org_json, "problems": problems, "good_rows": roster.rows.len() }),
        );
    }
    let mut results = Vec::with_capacity(roster.rows.len());
    for RosterRow {
        line,
        email,
        name,
        group,
    } in roster.rows
    {
        let invitee = Invitee {
            email: email.clone(),
            name,
            group,
            role: MemberRole::Member,
        };
        let key = match invite_member(&state, &by, invitee).await? {
            Ok(outcome) => outcome.key(),
            Err(problem) => problem.key(),
        };
        results.push(json!({ "line": line, "email": email, "key": key }));
    }
    tracing::info!(organisation = %org.slug, rows = results.len(), "members imported");
    render(
        &state,
        &who.viewer,
        &req,
        "import.html.j2",
        json!({ "organisation": org_json, "results": results }),
    )
}

#[get("/organisations/{slug}/members/{user}")]
async fn member_page(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<(String, i32)>,
) -> AppResult<HttpResponse> {
    let (slug, user_id) = path.into_inner();
    let org = coordinated(&state, &who.user, &slug).await?;
    let ctx = member_context(&state, &org, user_id).await?;
    render(&state, &who.viewer, &req, "member.html.j2", ctx)
}

/// The member page shown again with a form's mistake (a text key), as 422.
async fn member_page_with_error(
    state: &AppState,
    who: &SignedIn,
    req: &HttpRequest,
    org: &Organisation,
    user_id: i32,
    error: &str,
) -> AppResult<HttpResponse> {
    let mut ctx = member_context(state, org, user_id).await?;
    ctx["error"] = json!(error);
    let mut res = render(state, &who.viewer, req, "member.html.j2", ctx)?;
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}

async fn member_context(state: &AppState, org: &Organisation, user_id: i32) -> AppResult<Value> {
    let (org_id, now) = (org.id, state.clock.now());
    let (member, rows, groups, outlines, serving) = state
        .db(move |c| {
            Ok((
                organisations::member(c, org_id, user_id)?,
                reports::member_rows(c, org_id, user_id, now)?,
                organisations::groups(c, org_id)?,
                reports::course_outlines(c)?,
                leerpad_store::publish::serving_versions(c)?,
            ))
        })
        .await?;
    let member = member.ok_or(AppError::NotFound)?;
    // Courses that can still be assigned to this member.
    let assignable: Vec<Value> = serving
        .iter()
        .filter(|(id, _)| rows.iter().all(|r| &r.course_id != id))
        .map(|(id, _)| {
            let title = outlines
                .iter()
                .find(|o| &o.id == id)
                .map_or(id.as_str(), |o| o.title.as_str());
            json!({ "id": id, "title": title })
        })
        .collect();
    let courses: Vec<Value> = rows
        .iter()
        .map(|r| {
            let outline = outlines.iter().find(|o| o.id == r.course_id);
            let quizzes = outline.map(|o| o.quizzes.clone()).unwrap_or_default();
            let scores = scores_in_order(&r.quiz_scores, &quizzes);
            json!({
                "id": r.course_id,
                "title": outline.map_or(r.course_id.as_str(), |o| o.title.as_str()),
                "status": r.status.as_str(),
                "progress": r.progress_percent,
                "enrolled": r.enrolled_at,
                "last_activity": r.last_activity_at,
                "deadline": r.deadline,
                "deadline_value": r.deadline.map(|d| d.format("%Y-%m-%d").to_string()),
                "completed": r.completed_at,
                "certificate": r.certificate,
                "quizzes": quizzes.iter().zip(&scores).map(|((_, title), score)| json!({ "title": title, "score": score })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(json!({
            "organisation": { "slug": org.slug, "name": org.name },
            "member": {
                "id": member.user_id, "name": member.name, "email": member.email,
                "group_id": member.group_id, "group": member.group, "role": member.role.as_str(),
                "activated": member.activated, "disabled": member.disabled, "since": member.since,
                "pending": member.pending,
            },
            "courses": courses,
            "assignable": assignable,
            "groups": groups.iter().map(|g| json!({ "id": g.id, "name": g.name })).collect::<Vec<_>>(),
    }))
}

#[derive(Deserialize)]
struct DeadlineForm {
    course: String,
    #[serde(default)]
    deadline: String,
}

#[post("/organisations/{slug}/members/{user}/deadline")]
async fn set_deadline(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<(String, i32)>,
    form: CsrfForm<DeadlineForm>,
) -> AppResult<HttpResponse> {
    let (slug, user_id) = path.into_inner();
    let org = coordinated(&state, &who.user, &slug).await?;
    let deadline = match new_deadline(&form.0.deadline, state.clock.now()) {
        Ok(d) => d,
        Err(key) => {
            return member_page_with_error(&state, &who, &req, &org, user_id, key).await;
        }
    };
    let (org_id, course) = (org.id, form.0.course.clone());
    let changed = state
        .db(move |c| organisations::set_deadline(c, org_id, user_id, &course, deadline))
        .await?;
    if !changed {
        return Err(AppError::NotFound);
    }
    state.learners.forget(user_id, &form.0.course);
    Ok(see_other(format!(
        "/organisations/{}/members/{user_id}?notice=deadline-changed",
        org.slug
    )))
}

#[derive(Deserialize)]
struct AssignForm {
    course: String,
    #[serde(default)]
    deadline: String,
}

/// Assigns a course to this one member, with a deadline.
#[post("/organisations/{slug}/members/{user}/courses")]
async fn assign_course(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<(String, i32)>,
    form: CsrfForm<AssignForm>,
) -> AppResult<HttpResponse> {
    let (slug, user_id) = path.into_inner();
    let org = coordinated(&state, &who.user, &slug).await?;
    let now = state.clock.now();
    let deadline = match new_deadline(&form.0.deadline, now) {
        Ok(d) => d,
        Err(key) => {
            return member_page_with_error(&state, &who, &req, &org, user_id, key).await;
        }
    };
    let (org_id, by, course) = (org.id, who.user.id, form.0.course.clone());
    let assigned = state
        .db(move |c| {
            match organisations::assign_member(c, org_id, user_id, &course, deadline, Some(by), now)
            {
                Err(leerpad_store::StoreError::Invalid(_)) => Ok(None),
                other => other.map(Some),
            }
        })
        .await?;
    match assigned {
        None => Err(AppError::BadRequest("there is no such course".into())),
        Some(false) => Err(AppError::NotFound),
        Some(true) => {
            state.learners.forget(user_id, &form.0.course);
            Ok(see_other(format!(
                "/organisations/{}/members/{user_id}?notice=assigned",
                org.slug
            )))
        }
    }
}

#[derive(Deserialize)]
struct GroupForm {
    /// A group id, or empty for none.
    #[serde(default)]
    group: String,
    /// A new group's name; wins over `group`.
    #[serde(default)]
    new_group: String,
}

#[post("/organisations/{slug}/members/{user}/group")]
async fn set_group(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, i32)>,
    form: CsrfForm<GroupForm>,
) -> AppResult<HttpResponse> {
    let (slug, user_id) = path.into_inner();
    let org = coordinated(&state, &who.user, &slug).await?;
    let f = form.0;
    let (org_id, by, now) = (org.id, who.user.id, state.clock.now());
    let new_group = f.new_group.trim().to_string();
    if new_group.chars().count() > 80 {
        return Err(AppError::BadRequest(
            "a group's name has at most 80 characters".into(),
        ));
    }
    let existing: Option<i32> = match f.group.trim() {
        "" => None,
        g => Some(
            g.parse()
                .map_err(|_| AppError::BadRequest("unknown group".into()))?,
        ),
    };
    let changed = state
        .db(move |c| {
            if organisations::role_in(c, org_id, user_id)?.is_none() {
                return Ok(false);
            }
            let group_id = if !new_group.is_empty() {
                Some(organisations::group_named(c, org_id, &new_group, now)?.id)
            } else {
                match existing {
                    Some(g) if organisations::group(c, org_id, g)?.is_none() => return Ok(false),
                    other => other,
                }
            };
            organisations::set_member_group(c, org_id, user_id, group_id, Some(by), now)
        })
        .await?;
    if !changed {
        return Err(AppError::NotFound);
    }
    Ok(see_other(format!(
        "/organisations/{}/members/{user_id}?notice=saved",
        org.slug
    )))
}

#[post("/organisations/{slug}/members/{user}/remove")]
async fn remove(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, i32)>,
    _form: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let (slug, user_id) = path.into_inner();
    let org = coordinated(&state, &who.user, &slug).await?;
    if user_id == who.user.id {
        return Err(AppError::BadRequest(
            "you cannot remove yourself from an organisation".into(),
        ));
    }
    let org_id = org.id;
    if !state
        .db(move |c| organisations::remove_member(c, org_id, user_id))
        .await?
    {
        return Err(AppError::NotFound);
    }
    Ok(see_other(format!(
        "/organisations/{}/members?notice=member-removed",
        org.slug
    )))
}
