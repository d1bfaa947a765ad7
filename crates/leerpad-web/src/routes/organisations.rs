//! Coordinators' pages: their organisations, the completion dashboard with its
//! exports, and course assignments with deadlines. Members are in `members.rs`.
//!
//! Every page under `/organisations/{slug}` starts with [`coordinated`]: only the
//! organisation's coordinators and administrators get past it; everyone else gets
//! "not found", so a page does not even reveal that an organisation exists.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime};
use leerpad_core::report::{DateField, ReportQuery, SortColumn, Status};
use leerpad_core::Role;
use leerpad_store::accounts::User;
use leerpad_store::organisations::{self, Organisation};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{AppError, AppResult};
use crate::page::{render, see_other, CsrfForm, NoFields};
use crate::reports::{self, ExportFormat};
use crate::state::AppState;
use crate::viewer::{Admin, SignedIn};
use leerpad_app::organisations::{self as org_flows, NewOrganisation};
use leerpad_app::{Administering, Caller, Coordinating};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(export)
        .service(dashboard)
        .service(assignments_page)
        .service(assign)
        .service(unassign);
}

/// Rows on one page of the dashboard.
const PAGE_ROWS: u64 = 50;

/// The organisation with this slug, if `user` may coordinate it (its coordinators
/// and administrators); otherwise "not found".
pub async fn coordinated(state: &AppState, user: &User, slug: &str) -> AppResult<Organisation> {
    Ok(coordinating(state, user, slug)
        .await?
        .organisation()
        .clone())
}

/// The proof that `user` coordinates the organisation `slug`, which flows acting
/// on it take; "not found" for everyone else.
pub async fn coordinating(state: &AppState, user: &User, slug: &str) -> AppResult<Coordinating> {
    let (caller, slug) = (Caller::new(user.clone()), slug.to_string());
    state
        .db(move |c| Coordinating::check(c, &caller, &slug))
        .await?
        .ok_or(AppError::NotFound)
}

/// The organisations the user coordinates (all of them for administrators).
pub async fn visible_organisations(state: &AppState, user: &User) -> AppResult<Vec<Organisation>> {
    let (uid, admin) = (user.id, user.role() == Role::Admin);
    state
        .db(move |c| {
            if admin {
                organisations::all(c)
            } else {
                organisations::coordinated_by(c, uid)
            }
        })
        .await
}

#[get("/organisations")]
async fn list(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let orgs = visible_organisations(&state, &who.user).await?;
    let admin = who.user.role() == Role::Admin;
    if orgs.is_empty() && !admin {
        return Err(AppError::NotFound);
    }
    if orgs.len() == 1 && !admin {
        return Ok(see_other(format!("/organisations/{}", orgs[0].slug)));
    }
    let rows: Vec<Value> = orgs
        .iter()
        .map(|o| json!({ "slug": o.slug, "name": o.name }))
        .collect();
    render(
        &state,
        &who.viewer,
        &req,
        "organisations.html.j2",
        json!({ "organisations": rows, "can_create": admin }),
    )
}

#[derive(Deserialize)]
struct CreateForm {
    name: String,
    slug: String,
    coordinator_name: String,
    coordinator_email: String,
}

/// An administrator creates an organisation with its first coordinator, who is
/// invited by email unless they have an account already.
#[post("/organisations")]
async fn create(
    state: web::Data<AppState>,
    admin: Admin,
    req: HttpRequest,
    form: CsrfForm<CreateForm>,
) -> AppResult<HttpResponse> {
    let f = form.0;
    let new = NewOrganisation {
        name: f.name,
        slug: f.slug,
        coordinator_name: f.coordinator_name,
        coordinator_email: f.coordinator_email,
    };
    let admin_proof =
        Administering::check(&Caller::new(admin.0.user.clone())).ok_or(AppError::Forbidden)?;
    let (outbox, base_url, now) = (
        state.mail.outbox().clone(),
        state.config.base_url().to_string(),
        state.clock.now(),
    );
    let created = {
        let new = new.clone();
        state
            .flow(move |c| org_flows::create(c, &outbox, &base_url, &admin_proof, &new, now))
            .await?
    };
    match created {
        Ok((org, stale)) => {
            state.forget(&stale);
            state.mail.wake();
            Ok(see_other(format!(
                "/organisations/{}?notice=organisation-created",
                org.slug
            )))
        }
        Err(error) => {
            let orgs = visible_organisations(&state, &admin.0.user).await?;
            let rows: Vec<Value> = orgs
                .iter()
                .map(|o| json!({ "slug": o.slug, "name": o.name }))
                .collect();
            let mut resp = render(
                &state,
                &admin.0.viewer,
                &req,
                "organisations.html.j2",
                json!({ "organisations": rows, "can_create": true, "error": error.key(), "form": { "name": new.name, "slug": new.slug, "coordinator_name": new.coordinator_name, "coordinator_email": new.coordinator_email } }),
            )?;
            *resp.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
    }
}

/// The report query in a request's URL; a bad parameter is a 400 naming it.
pub fn query_of(req: &HttpRequest) -> AppResult<ReportQuery> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string())
        .map_err(|_| AppError::BadRequest("the address has a malformed query".into()))?;
    ReportQuery::from_params(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|e| AppError::BadRequest(e.to_string()))
}

/// The value of one parameter of the request's query, if it has it.
pub fn param(req: &HttpRequest, name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn page_of(req: &HttpRequest) -> u64 {
    param(req, "page").and_then(|v| v.parse().ok()).unwrap_or(0)
}

fn url_with(params: &[(&str, String)]) -> String {
    serde_urlencoded::to_string(params).unwrap_or_default()
}

#[get("/organisations/{slug}")]
async fn dashboard(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let org = coordinated(&state, &who.user, &path).await?;
    let query = query_of(&req)?;
    let page = page_of(&req);
    let now = state.clock.now();
    let (summary, courses, groups, first_steps) = {
        let (org, query) = (org.clone(), query.clone());
        state
            .db(move |c| {
                let (summary, outlines) =
                    reports::summarise(c, &org, &query, now, page * PAGE_ROWS, PAGE_ROWS)
                        .map_err(|e| leerpad_store::StoreError::internal("the report", e))?;
                let courses: Vec<Value> = outlines
                    .courses()
                    .iter()
                    .map(|o| json!({ "id": o.id, "title": o.title }))
                    .collect();
                let groups: Vec<Value> = organisations::groups(c, org.id)?
                    .iter()
                    .map(|g| json!({ "id": g.id, "name": g.name }))
                    .collect();
                // A new organisation's first steps, each done or not.
                let (_, members) = organisations::members(c, org.id, 0, 0)?;
                let assignments = organisations::assignments(c, org.id)?;
                let first_steps = json!({
                    "invite": members > 1,
                    "group": !groups.is_empty(),
                    "assign": !assignments.is_empty(),
                    "deadline": assignments.iter().any(|a| a.deadline.is_some()),
                });
                Ok((summary, courses, groups, first_steps))
            })
            .await?
    };
    let filters = query.to_params(false);
    let base = format!("/organisations/{}", org.slug);
    let sort_links: Value = SortColumn::ALL
        .iter()
        .map(|col| {
            let descending = query.sort == *col && !query.descending;
            let mut params = filters.clone();
            params.push(("sort", col.as_str().to_string()));
            params.push(("order", if descending { "desc" } else { "asc" }.to_string()));
            let current = if query.sort == *col {
                if query.descending {
                    "descending"
                } else {
                    "ascending"
                }
            } else {
                "none"
            };
            (
                col.as_str().to_string(),
                json!({ "href": format!("{base}?{}", url_with(&params)), "sort": current }),
            )
        })
        .collect::<serde_json::Map<String, Value>>()
        .into();
    let with_sort = query.to_params(true);
    let page_link = |p: u64| {
        let mut params = with_sort.clone();
        params.push(("page", p.to_string()));
        format!("{base}?{}", url_with(&params))
    };
    let pages = summary.total_rows.div_ceil(PAGE_ROWS).max(1);
    let export_link = |format: &str, extra: &[(&str, String)]| {
        let mut params = with_sort.clone();
        params.extend(extra.iter().cloned());
        format!("{base}/report.{format}?{}", url_with(&params))
    };
    let rows: Vec<Value> = summary
        .rows
        .iter()
        .map(|r| {
            json!({
                "user_id": r.user_id, "name": r.name, "email": r.email, "group": r.group,
                "course": r.course_title, "course_id": r.course_id, "status": r.status.as_str(),
                "progress": r.progress_percent, "last_activity": r.last_activity_at,
                "deadline": r.deadline, "completed": r.completed_at, "certificate": r.certificate,
                "quiz_scores": r.quiz_scores,
            })
        })
        .collect();
    let totals: Vec<Value> = summary
        .totals
        .iter()
        .map(|t| {
            json!({
                "course": t.course_title,
                "enrolled": t.enrolled,
                "statuses": Status::ALL.iter().map(|s| json!({ "status": s.as_str(), "count": t.count(*s) })).collect::<Vec<_>>(),
                "completion_rate": t.completion_rate(),
                "average_progress": t.average_progress,
                "anonymised": t.anonymised.values().sum::<u64>(),
                "anonymised_completed": t.anonymised.get(&Status::Completed).copied().unwrap_or(0),
            })
        })
        .collect();
    render(
        &state,
        &who.viewer,
        &req,
        "organisation.html.j2",
        json!({
            "organisation": { "slug": org.slug, "name": org.name },
            "first_steps": first_steps,
            "courses": courses,
            "groups": groups,
            "statuses": Status::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "date_fields": DateField::ALL.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
            "query": {
                "course": query.course, "group": query.group,
                "statuses": query.statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                "date": query.date_field.as_str(),
                "from": query.from.map(|d| d.to_string()), "to": query.to.map(|d| d.to_string()),
                "filtered": !filters.is_empty(),
            },
            "sort": sort_links,
            "rows": rows,
            "total_rows": summary.total_rows,
            "totals": totals,
            "page": page + 1,
            "pages": pages,
            "previous": (page > 0).then(|| page_link(page - 1)),
            "next": (page + 1 < pages).then(|| page_link(page + 1)),
            "exports": {
                "csv": export_link("csv", &[]),
                "csv_semicolon": export_link("csv", &[("delimiter", "semicolon".to_string())]),
                "xlsx": export_link("xlsx", &[]),
            },
        }),
    )
}

#[derive(Deserialize)]
struct ExportPath {
    slug: String,
    format: String,
}

/// The dashboard's rows, exactly as filtered and sorted there, as a download.
#[get("/organisations/{slug}/report.{format}")]
async fn export(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<ExportPath>,
) -> AppResult<HttpResponse> {
    let org = coordinated(&state, &who.user, &path.slug).await?;
    let query = query_of(&req)?;
    let format = export_format(&req, &path.format)?;
    Ok(reports::download(
        &state,
        org,
        query,
        format,
        who.viewer.lang,
    ))
}

/// The export format of a request: `csv`, `xlsx` or `json`, with `delimiter` from
/// the query for CSV.
pub fn export_format(req: &HttpRequest, format: &str) -> AppResult<ExportFormat> {
    let delimiter = param(req, "delimiter");
    ExportFormat::parse(format, delimiter.as_deref()).map_err(AppError::BadRequest)
}

// --- assignments ---

#[get("/organisations/{slug}/assignments")]
async fn assignments_page(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let org = coordinated(&state, &who.user, &path).await?;
    let ctx = assignments_context(&state, &org).await?;
    render(&state, &who.viewer, &req, "assignments.html.j2", ctx)
}

async fn assignments_context(state: &AppState, org: &Organisation) -> AppResult<Value> {
    let org_id = org.id;
    let (assignments, groups, outlines, listed) = state
        .db(move |c| {
            Ok((
                organisations::assignments(c, org_id)?,
                organisations::groups(c, org_id)?,
                leerpad_store::reports::course_outlines(c)?,
                leerpad_store::publish::serving_versions(c)?,
            ))
        })
        .await?;
    let title = |id: &str| {
        outlines
            .iter()
            .find(|o| o.id == id)
            .map_or(id.to_string(), |o| o.title.clone())
    };
    Ok(json!({
        "organisation": { "slug": org.slug, "name": org.name },
        "assignments": assignments.iter().map(|a| json!({
            "id": a.id, "course": title(&a.course_id), "group": a.group, "deadline": a.deadline,
        })).collect::<Vec<_>>(),
        "courses": listed.iter().map(|(id, _)| json!({ "id": id, "title": title(id) })).collect::<Vec<_>>(),
        "groups": groups.iter().map(|g| json!({ "id": g.id, "name": g.name })).collect::<Vec<_>>(),
    }))
}

#[derive(Deserialize)]
struct AssignForm {
    course: String,
    /// A group id, or empty for everyone in the organisation.
    #[serde(default)]
    group: String,
    /// YYYY-MM-DD, or empty for no deadline.
    #[serde(default)]
    deadline: String,
}

/// A deadline date from a form: the end of that day. Empty is no deadline.
fn parse_deadline(s: &str) -> Result<Option<NaiveDateTime>, &'static str> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .map(Some)
        .ok_or("org.bad-deadline")
}

/// A deadline a coordinator sets, from a form's `YYYY-MM-DD` (the end of that day):
/// empty for none; a text key when it is no date or has passed. The one rule for every
/// form that sets a deadline.
pub fn new_deadline(s: &str, now: NaiveDateTime) -> Result<Option<NaiveDateTime>, &'static str> {
    match parse_deadline(s)? {
        Some(d) if d < now => Err("org.deadline-past"),
        d => Ok(d),
    }
}

#[post("/organisations/{slug}/assignments")]
async fn assign(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<String>,
    form: CsrfForm<AssignForm>,
) -> AppResult<HttpResponse> {
    let org = coordinated(&state, &who.user, &path).await?;
    let f = form.0;
    let group: Option<i32> = match f.group.trim() {
        "" => None,
        g => Some(
            g.parse()
                .map_err(|_| AppError::BadRequest("unknown group".into()))?,
        ),
    };
    let (now, by, org_id, course) = (state.clock.now(), who.user.id, org.id, f.course.clone());
    let outcome = match new_deadline(&f.deadline, now) {
        Err(e) => Err(e),
        Ok(deadline) => {
            state
                .db(move |c| {
                    match organisations::assign(c, org_id, group, &course, deadline, Some(by), now)
                    {
                        Ok(a) => Ok(Ok(a)),
                        Err(leerpad_store::StoreError::Invalid(_)) => Ok(Err("org.bad-assignment")),
                        Err(e) => Err(e),
                    }
                })
                .await?
        }
    };
    match outcome {
        Ok(a) => Ok(see_other(format!(
            "/organisations/{}/assignments?notice=assigned&enrolled={}&updated={}",
            org.slug, a.enrolled, a.deadlines_set
        ))),
        Err(error) => {
            let mut ctx = assignments_context(&state, &org).await?;
            ctx["error"] = json!(error);
            ctx["form"] = json!({ "course": f.course, "group": f.group, "deadline": f.deadline });
            let mut resp = render(&state, &who.viewer, &req, "assignments.html.j2", ctx)?;
            *resp.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
    }
}

#[post("/organisations/{slug}/assignments/{id}/remove")]
async fn unassign(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, i32)>,
    _form: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let org = coordinated(&state, &who.user, &slug).await?;
    let org_id = org.id;
    if !state
        .db(move |c| organisations::remove_assignment(c, org_id, id))
        .await?
    {
        return Err(AppError::NotFound);
    }
    Ok(see_other(format!(
        "/organisations/{}/assignments?notice=unassigned",
        org.slug
    )))
}
