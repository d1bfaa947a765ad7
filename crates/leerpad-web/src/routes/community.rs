//! The learning community's pages: the spaces one may read (`/community`), a
//! space's threads, a thread, editing, history and reporting of a post, the
//! moderation queue and a space's restrictions. Who may do what is the
//! application layer's proof (`leerpad_app::community::InSpace`): a space,
//! thread or post one may not read is a 404, like one that does not exist.
//!
//! A space is named in addresses as `network`, `course-<course id>` or
//! `organisation-<slug>`.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use leerpad_app::community::{
    self as flows, views, Community, InSpace, PostAction, Posted, ThreadAction, ThreadInput,
};
use leerpad_app::Refusal;
use leerpad_core::community::{quote, PostState, RestrictionKind, SpaceKind};
use leerpad_store::accounts::{self, User};
use leerpad_store::community::{self as store, PostRow, Space, ThreadRow};
use leerpad_store::{audit, DbConnection, StoreResult};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{AppError, AppResult};
use crate::page::{render, see_other, CsrfForm, NoFields};
use crate::state::AppState;
use crate::viewer::SignedIn;
use crate::viewer::Viewer;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(index)
        .service(moderation)
        .service(search)
        .service(thread_page)
        .service(reply)
        .service(follow)
        .service(accept)
        .service(moderate_thread)
        .service(edit_page)
        .service(edit)
        .service(history)
        .service(delete)
        .service(report_page)
        .service(report)
        .service(moderate_post)
        .service(space_page)
        .service(start_thread)
        .service(accept_guidelines)
        .service(lesson_page)
        .service(start_lesson_thread)
        .service(restrictions_page)
        .service(add_expert)
        .service(remove_expert)
        .service(set_guidelines)
        .service(restrict)
        .service(lift);
}

impl AppState {
    /// What the community's flows need besides their input.
    pub fn community(&self) -> Community {
        Community {
            outbox: self.mail.outbox().clone(),
            base_url: self.config.base_url(),
            moderation: self.config.community.moderation(),
            secret: self.keys.secret.clone(),
        }
    }
}

// --- naming spaces in addresses ---

/// The space an address names; organisations by slug.
pub(crate) async fn space_kind(state: &AppState, segment: &str) -> AppResult<SpaceKind> {
    if segment == "network" {
        return Ok(SpaceKind::Network);
    }
    if let Some(course) = segment.strip_prefix("course-") {
        return Ok(SpaceKind::Course(course.to_string()));
    }
    if let Some(slug) = segment.strip_prefix("organisation-") {
        let slug = slug.to_string();
        let org = state
            .db(move |c| leerpad_store::organisations::by_slug(c, &slug))
            .await?
            .ok_or(AppError::NotFound)?;
        return Ok(SpaceKind::Organisation(org.id));
    }
    Err(AppError::NotFound)
}

/// How a space is named in addresses, and its title (an organisation's or
/// course's name; `None` for the network, whose title is a text of the theme).
pub(crate) fn space_names(
    c: &mut DbConnection,
    space: &Space,
) -> StoreResult<(String, Option<String>)> {
    Ok(match space.kind() {
        SpaceKind::Network => ("network".into(), None),
        // Filled in from the course cache by `titled`.
        SpaceKind::Course(id) => (format!("course-{id}"), None),
        SpaceKind::Organisation(id) => match store::organisation_name(c, id)? {
            Some((slug, name)) => (format!("organisation-{slug}"), Some(name)),
            None => (format!("organisation-{id}"), None),
        },
    })
}

/// Renders a page of the community, with course spaces titled.
async fn show(
    state: &AppState,
    viewer: &Viewer,
    req: &HttpRequest,
    template: &str,
    mut ctx: Value,
) -> AppResult<HttpResponse> {
    if ctx.get("space").is_some() {
        titled(state, std::slice::from_mut(&mut ctx)).await;
    }
    for key in ["spaces", "move_targets", "queue"] {
        if let Some(Value::Array(items)) = ctx.get_mut(key) {
            titled(state, items).await;
        }
    }
    render(state, viewer, req, template, ctx)
}

/// Gives course spaces in `values` (objects with `kind` and `segment`, or a
/// `space` object with them) their course's title, from the courses served.
pub(crate) async fn titled(state: &AppState, values: &mut [Value]) {
    for v in values.iter_mut() {
        let target = if v.get("space").is_some_and(Value::is_object) {
            &mut v["space"]
        } else {
            v
        };
        if target["kind"] != "course" || !target["title"].is_null() {
            continue;
        }
        let course = target["segment"]
            .as_str()
            .and_then(|s| s.strip_prefix("course-"))
            .unwrap_or_default()
            .to_string();
        if let Ok(served) = state.courses.current(state, &course).await {
            target["title"] = json!(served.course.title);
        }
    }
}

fn space_json(c: &mut DbConnection, at: &InSpace) -> StoreResult<Value> {
    let (segment, title) = space_names(c, at.space())?;
    Ok(json!({
        "segment": segment, "kind": at.space().kind().name(), "title": title,
        "may_post": at.access().post, "moderates": at.access().moderate,
    }))
}

fn thread_json(t: &ThreadRow, segment: &str) -> Value {
    json!({
        "id": t.thread.id, "title": t.thread.title, "author": t.author,
        "question": t.thread.question, "answered": t.thread.accepted_post_id.is_some(),
        "locked": t.thread.locked_at.is_some(), "pinned": t.thread.pinned_at.is_some(),
        "replies": t.replies, "unread": t.unread,
        "last_post_at": t.thread.last_post_at.and_utc().to_rfc3339(),
        "space": segment,
    })
}

/// A post as pages and the API show it.
pub(crate) fn post_json(
    row: &PostRow,
    viewer_id: i32,
    accepted: Option<i32>,
    experts: &[i32],
) -> Value {
    let state = row.post.state();
    let deleted = state == PostState::Deleted;
    json!({
        "id": row.post.id,
        "author": if deleted { None } else { row.author.clone() },
        "former_member": row.post.author_id.is_none() && !deleted,
        "badge": match row.author_role.as_deref() {
            Some("trainer") => Some("trainer"),
            Some("admin") => Some("moderator"),
            _ if row.post.author_id.is_some_and(|a| experts.contains(&a)) => Some("expert"),
            _ => None,
        },
        "own": row.post.author_id == Some(viewer_id),
        "html": if deleted { String::new() } else { row.post.html.clone() },
        "state": state.as_str(),
        "created_at": row.post.created_at.and_utc().to_rfc3339(),
        "edited": row.post.edited_at.is_some(),
        "revisions": row.revisions,
        "reports": row.open_reports,
        "accepted": accepted == Some(row.post.id),
    })
}

/// A refused form shown again, with the reason, as 422.
fn refused(mut page: HttpResponse) -> HttpResponse {
    *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    page
}

fn post_link(thread_id: i32, page: i64, post_id: i32) -> String {
    if page > 1 {
        format!("/community/threads/{thread_id}?page={page}#post-{post_id}")
    } else {
        format!("/community/threads/{thread_id}#post-{post_id}")
    }
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<i64>,
    quote: Option<i32>,
}

fn page_of(req: &HttpRequest) -> (i64, Option<i32>) {
    web::Query::<PageQuery>::from_query(req.query_string())
        .map(|q| (q.page.unwrap_or(1).clamp(1, 100_000), q.quote))
        .unwrap_or((1, None))
}

// --- the list of spaces ---

#[get("/community")]
async fn index(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let (user, now) = (who.user.clone(), state.clock.now());
    let spaces = state
        .db(move |c| {
            let mut out = Vec::new();
            for kind in store::candidate_spaces(c, &user)? {
                if let Some(at) = InSpace::open(c, &user, &kind, now)? {
                    let (threads, total) = store::threads_page(c, at.space().id, user.id, 1)?;
                    let mut s = space_json(c, &at)?;
                    s["threads"] = json!(total);
                    s["unread"] = json!(threads.iter().filter(|t| t.unread > 0).count());
                    out.push(s);
                }
            }
            Ok(out)
        })
        .await?;
    show(
        &state,
        &who.viewer,
        &req,
        "community/index.html.j2",
        json!({ "spaces": spaces }),
    )
    .await
}

// --- search ---

#[derive(Deserialize)]
struct SearchParams {
    q: Option<String>,
}

/// Posts matching the words asked, in the spaces the reader may read.
#[get("/community/search")]
async fn search(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    params: web::Query<SearchParams>,
) -> AppResult<HttpResponse> {
    use leerpad_core::search::{SearchQuery, MAX_QUERY_CHARS};
    let raw = params.into_inner().q.unwrap_or_default();
    if raw.trim().is_empty() {
        return show(
            &state,
            &who.viewer,
            &req,
            "community/search.html.j2",
            json!({ "max": MAX_QUERY_CHARS }),
        )
        .await;
    }
    let query = match SearchQuery::parse(&raw) {
        Ok(q) => q,
        Err(problem) => {
            let shown: String = raw.chars().take(MAX_QUERY_CHARS).collect();
            let ctx = json!({ "q": shown, "problem": problem.text_key(), "max": MAX_QUERY_CHARS });
            return Ok(refused(
                show(&state, &who.viewer, &req, "community/search.html.j2", ctx).await?,
            ));
        }
    };
    let (user, now) = (who.user.clone(), state.clock.now());
    let found = state
        .db(move |c| {
            let kinds: Vec<SpaceKind> = if user.role() == leerpad_core::Role::Admin {
                store::all_spaces(c)?.iter().map(Space::kind).collect()
            } else {
                store::candidate_spaces(c, &user)?
            };
            let mut readable = Vec::new();
            for kind in kinds {
                if let Some(at) = InSpace::open(c, &user, &kind, now)? {
                    readable.push(at);
                }
            }
            let ids: Vec<i32> = readable.iter().map(|a| a.space().id).collect();
            let hits = store::search(c, &query, &ids, 50)?;
            let mut out = Vec::with_capacity(hits.len());
            for hit in hits {
                let Some(at) = readable.iter().find(|a| a.space().id == hit.space_id) else {
                    continue;
                };
                let page = views::page_of(c, at, hit.post_id, hit.thread_id)?;
                out.push(json!({
                    "title": hit.title,
                    "link": post_link(hit.thread_id, page, hit.post_id),
                    "snippet_html": crate::routes::search::snippet_html(&hit.snippet),
                    "space": space_json(c, at)?,
                }));
            }
            Ok(out)
        })
        .await?;
    let mut found = found;
    for f in found.iter_mut() {
        titled(&state, std::slice::from_mut(f)).await;
    }
    show(
        &state,
        &who.viewer,
        &req,
        "community/search.html.j2",
        json!({ "q": raw.trim(), "results": found, "searched": true, "max": MAX_QUERY_CHARS }),
    )
    .await
}

// --- a space ---

/// The proof for the space an address names, or 404.
async fn open(state: &AppState, user: &User, segment: &str) -> AppResult<InSpace> {
    let kind = space_kind(state, segment).await?;
    let (user, now) = (user.clone(), state.clock.now());
    state
        .db(move |c| InSpace::open(c, &user, &kind, now))
        .await?
        .ok_or(AppError::NotFound)
}

async fn render_space(
    state: &AppState,
    who: &SignedIn,
    req: &HttpRequest,
    at: InSpace,
    page: i64,
    form: Value,
) -> AppResult<HttpResponse> {
    let (space, view) = state
        .db(move |c| Ok((space_json(c, &at)?, views::space(c, &at, page)?)))
        .await?;
    let segment = space["segment"].as_str().unwrap_or_default().to_string();
    show(
        state,
        &who.viewer,
        req,
        "community/space.html.j2",
        json!({
            "space": space,
            "threads": view.threads.iter().map(|t| thread_json(t, &segment)).collect::<Vec<_>>(),
            "page": view.page, "pages": view.pages, "total": view.total,
            "accepted_guidelines": view.accepted_guidelines,
            "own_guidelines": view.own_guidelines,
            "form": form,
        }),
    )
    .await
}

#[get("/community/{space}")]
async fn space_page(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let at = open(&state, &who.user, &path).await?;
    let (page, _) = page_of(&req);
    render_space(&state, &who, &req, at, page, json!({})).await
}

#[derive(Deserialize)]
struct ThreadForm {
    title: String,
    body: String,
    question: Option<String>,
    answer_first: Option<String>,
}

impl ThreadForm {
    fn input(&self) -> ThreadInput {
        ThreadInput {
            title: self.title.clone(),
            body: self.body.clone(),
            question: self.question.is_some(),
            answer_first: self.answer_first.is_some(),
        }
    }
}

fn posted_location(p: &Posted) -> String {
    let notice = if p.held { "?notice=post-held" } else { "" };
    format!(
        "/community/threads/{}{notice}#post-{}",
        p.thread_id, p.post_id
    )
}

#[post("/community/{space}/threads")]
async fn start_thread(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<String>,
    form: CsrfForm<ThreadForm>,
) -> AppResult<HttpResponse> {
    let at = open(&state, &who.user, &path).await?;
    let (community, input, now) = (state.community(), form.0.input(), state.clock.now());
    let started = {
        let at = at.clone();
        state
            .flow(move |c| community.start_thread(c, &at, &input, None, now))
            .await?
    };
    match started {
        Ok(p) => {
            state.mail.wake();
            Ok(see_other(posted_location(&p)))
        }
        Err(r) => {
            let f = &form.0;
            let form = json!({ "error": r.key(), "title": f.title, "body": f.body, "question": f.question.is_some() });
            Ok(refused(
                render_space(&state, &who, &req, at, 1, form).await?,
            ))
        }
    }
}

#[derive(Deserialize)]
struct AcceptGuidelinesForm {
    /// Where to go on to: a lesson's discussion in this space (else the space).
    next: Option<String>,
}

#[post("/community/{space}/guidelines")]
async fn accept_guidelines(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<String>,
    form: CsrfForm<AcceptGuidelinesForm>,
) -> AppResult<HttpResponse> {
    let segment = path.into_inner();
    let at = open(&state, &who.user, &segment).await?;
    let (community, now) = (state.community(), state.clock.now());
    state
        .flow(move |c| community.accept_guidelines(c, &at, now))
        .await?;
    // Only back to a lesson of this very space: never an address from elsewhere.
    let lessons = format!("/community/{segment}/lessons/");
    if let Some(item) = form
        .0
        .next
        .as_deref()
        .and_then(|n| n.strip_prefix(&lessons))
    {
        if !item.is_empty()
            && item
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
        {
            return Ok(see_other(format!(
                "{lessons}{item}?notice=guidelines-accepted#lesson-body"
            )));
        }
    }
    Ok(see_other(format!(
        "/community/{segment}?notice=guidelines-accepted#new-thread"
    )))
}

/// Whether this person accepted the space's guidelines (a moderator needs not),
/// and the space's own guidelines, for pages that show them.
fn guidelines_json(c: &mut DbConnection, at: &InSpace) -> StoreResult<Value> {
    let accepted = at.access().moderate || store::has_accepted(c, at.user().id, at.space().id)?;
    let own = at
        .space()
        .guidelines
        .as_deref()
        .map(leerpad_markdown::learner_html);
    Ok(json!({ "accepted_guidelines": accepted, "own_guidelines": own }))
}

// --- "discuss this lesson" ---

/// A lesson of a course, with its title, for its thread.
async fn lesson_title(state: &AppState, course: &str, item: &str) -> AppResult<String> {
    let served = state.courses.current(state, course).await?;
    let title = served
        .course
        .items()
        .map(|(_, i)| i)
        .find(|i| i.id.as_str() == item)
        .map(|i| i.title.clone());
    title.ok_or(AppError::NotFound)
}

#[get("/community/{space}/lessons/{item}")]
async fn lesson_page(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (segment, item) = path.into_inner();
    let at = open(&state, &who.user, &segment).await?;
    let SpaceKind::Course(course) = at.space().kind() else {
        return Err(AppError::NotFound);
    };
    let title = lesson_title(&state, &course, &item).await?;
    let (space_id, lesson) = (at.space().id, item.clone());
    let existing = state
        .db(move |c| store::lesson_thread(c, space_id, &lesson))
        .await?;
    if let Some(t) = existing {
        return Ok(see_other(format!("/community/threads/{}", t.id)));
    }
    let (space, guidelines) = state
        .db(move |c| Ok((space_json(c, &at)?, guidelines_json(c, &at)?)))
        .await?;
    show(
        &state,
        &who.viewer,
        &req,
        "community/lesson.html.j2",
        json!({ "space": space, "lesson": { "id": item, "title": title, "course": course }, "form": {},
                "accepted_guidelines": guidelines["accepted_guidelines"], "own_guidelines": guidelines["own_guidelines"] }),
    ).await
}

#[derive(Deserialize)]
struct LessonThreadForm {
    body: String,
}

#[post("/community/{space}/lessons/{item}")]
async fn start_lesson_thread(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: CsrfForm<LessonThreadForm>,
) -> AppResult<HttpResponse> {
    let (segment, item) = path.into_inner();
    let at = open(&state, &who.user, &segment).await?;
    let SpaceKind::Course(course) = at.space().kind() else {
        return Err(AppError::NotFound);
    };
    let title = lesson_title(&state, &course, &item).await?;
    let input = ThreadInput {
        title: title.clone(),
        body: form.0.body.clone(),
        ..ThreadInput::default()
    };
    let (community, now, lesson) = (state.community(), state.clock.now(), item.clone());
    let started = {
        let at = at.clone();
        state
            .flow(move |c| community.start_thread(c, &at, &input, Some(&lesson), now))
            .await?
    };
    match started {
        Ok(p) => {
            state.mail.wake();
            Ok(see_other(posted_location(&p)))
        }
        Err(r) => {
            let (space, guidelines) = state
                .db(move |c| Ok((space_json(c, &at)?, guidelines_json(c, &at)?)))
                .await?;
            Ok(refused(show(
                &state,
                &who.viewer,
                &req,
                "community/lesson.html.j2",
                json!({ "space": space, "lesson": { "id": item, "title": title, "course": course },
                        "form": { "error": r.key(), "body": form.0.body },
                        "accepted_guidelines": guidelines["accepted_guidelines"], "own_guidelines": guidelines["own_guidelines"] }),
            ).await?))
        }
    }
}

// --- a thread ---

async fn open_thread(
    state: &AppState,
    user: &User,
    id: i32,
) -> AppResult<(InSpace, leerpad_store::community::Thread)> {
    let (user, now) = (user.clone(), state.clock.now());
    state
        .db(move |c| InSpace::of_thread(c, &user, id, now))
        .await?
        .ok_or(AppError::NotFound)
}

async fn render_thread(
    state: &AppState,
    who: &SignedIn,
    req: &HttpRequest,
    thread_id: i32,
    page: i64,
    quote_of: Option<i32>,
    form: Value,
) -> AppResult<HttpResponse> {
    let (at, thread) = open_thread(state, &who.user, thread_id).await?;
    let uid = who.user.id;
    let moderating = at.moderating();
    let now = state.clock.now();
    let (space, view, quoted, targets) = state
        .db(move |c| {
            let view = views::thread(c, &at, &thread, page)?;
            let quoted = match quote_of {
                Some(id) => store::post_rows(c, &[id])?
                    .into_iter()
                    .find(|r| r.post.thread_id == thread.id && at.sees(&r.post))
                    .map(|r| quote(r.author.as_deref().unwrap_or_default(), &r.post.body)),
                None => None,
            };
            // Where a moderator may move the thread: the other spaces they moderate.
            let mut targets = Vec::new();
            if moderating.is_some() {
                for kind in store::candidate_spaces(c, at.user())? {
                    if kind == at.space().kind() {
                        continue;
                    }
                    if let Some(other) = InSpace::open(c, at.user(), &kind, now)? {
                        if other.access().moderate {
                            let (segment, title) = space_names(c, other.space())?;
                            targets.push(
                                json!({ "segment": segment, "title": title, "kind": kind.name() }),
                            );
                        }
                    }
                }
            }
            Ok((space_json(c, &at)?, view, quoted, targets))
        })
        .await?;
    let view = view.ok_or(AppError::NotFound)?;
    // A quotation starts the reply's text, unless the form comes back with one.
    let mut form = form;
    if form.get("body").is_none() {
        form["body"] = json!(quoted.unwrap_or_default());
    }
    let accepted = view.thread.accepted_post_id;
    let t = &view.thread;
    show(
        state,
        &who.viewer,
        req,
        "community/thread.html.j2",
        json!({
            "space": space,
            "thread": {
                "id": t.id, "title": t.title, "question": t.question,
                "answer_first": t.answer_first, "locked": t.locked_at.is_some(),
                "pinned": t.pinned_at.is_some(), "accepted": accepted,
                "own": t.author_id == Some(uid), "lesson": t.lesson_id,
            },
            "opening": post_json(&view.opening, uid, accepted, &view.experts),
            "replies": view.replies.iter().map(|r| {
                let mut p = post_json(r, uid, accepted, &view.experts);
                p["new"] = json!(view.last_read > 0 && r.post.id > view.last_read);
                p
            }).collect::<Vec<_>>(),
            "total_replies": view.total_replies,
            "page": view.page, "pages": view.pages,
            "answer_first_pending": view.answer_first_pending,
            "following": view.following,
            "accepted_guidelines": view.accepted_guidelines,
            "move_targets": targets,
            "form": form,
        }),
    )
    .await
}

#[get("/community/threads/{id}")]
async fn thread_page(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let (page, quote_of) = page_of(&req);
    render_thread(&state, &who, &req, *path, page, quote_of, json!({})).await
}

#[derive(Deserialize)]
struct ReplyForm {
    body: String,
}

#[post("/community/threads/{id}/replies")]
async fn reply(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<i32>,
    form: CsrfForm<ReplyForm>,
) -> AppResult<HttpResponse> {
    let (at, thread) = open_thread(&state, &who.user, *path).await?;
    let (community, now, body) = (state.community(), state.clock.now(), form.0.body.clone());
    let posted = {
        let at = at.clone();
        state
            .flow(move |c| community.reply(c, &at, &thread, &body, now))
            .await?
    };
    match posted {
        Ok(p) => {
            state.mail.wake();
            let post_id = p.post_id;
            let page = state
                .db(move |c| views::page_of(c, &at, post_id, p.thread_id))
                .await?;
            let notice = if p.held { "notice=post-held" } else { "" };
            let link = post_link(p.thread_id, page, p.post_id);
            Ok(see_other(if notice.is_empty() {
                link
            } else if link.contains('?') {
                link.replacen('#', &format!("&{notice}#"), 1)
            } else {
                link.replacen('#', &format!("?{notice}#"), 1)
            }))
        }
        Err(r) => Ok(refused(
            render_thread(
                &state,
                &who,
                &req,
                *path,
                1,
                None,
                json!({ "error": r.key(), "body": form.0.body }),
            )
            .await?,
        )),
    }
}

#[derive(Deserialize)]
struct FollowForm {
    follow: String,
}

#[post("/community/threads/{id}/follow")]
async fn follow(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<i32>,
    form: CsrfForm<FollowForm>,
) -> AppResult<HttpResponse> {
    let (at, thread) = open_thread(&state, &who.user, *path).await?;
    let (community, now) = (state.community(), state.clock.now());
    let on = form.0.follow == "1";
    state
        .flow(move |c| community.set_following(c, &at, &thread, on, now))
        .await?;
    let notice = if on { "following" } else { "not-following" };
    Ok(see_other(format!(
        "/community/threads/{}?notice={notice}",
        *path
    )))
}

#[derive(Deserialize)]
struct AcceptForm {
    /// The reply to accept; empty to unmark.
    post: Option<String>,
}

#[post("/community/threads/{id}/accept")]
async fn accept(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<i32>,
    form: CsrfForm<AcceptForm>,
) -> AppResult<HttpResponse> {
    let (at, thread) = open_thread(&state, &who.user, *path).await?;
    let post_id = form.0.post.as_deref().and_then(|p| p.parse::<i32>().ok());
    let (community, now) = (state.community(), state.clock.now());
    let done = state
        .flow(move |c| {
            let post = match post_id {
                Some(id) => match store::post(c, id)? {
                    Some(p) if at.sees(&p) => Some(p),
                    _ => return Ok(Err(Refusal::NotAnAnswer)),
                },
                None => None,
            };
            community.accept_answer(c, &at, &thread, post.as_ref(), now)
        })
        .await?;
    match done {
        Ok(()) => Ok(see_other(format!(
            "/community/threads/{}?notice=answer-accepted",
            *path
        ))),
        Err(r) => thread_refusal(&state, &who, &req, *path, r).await,
    }
}

async fn thread_refusal(
    state: &AppState,
    who: &SignedIn,
    req: &HttpRequest,
    thread_id: i32,
    r: Refusal,
) -> AppResult<HttpResponse> {
    Ok(refused(
        render_thread(
            state,
            who,
            req,
            thread_id,
            1,
            None,
            json!({ "action_error": r.key() }),
        )
        .await?,
    ))
}

#[derive(Deserialize)]
struct ModerateThreadForm {
    action: String,
    reason: String,
    /// For `move`: the space to move to.
    to: Option<String>,
}

#[post("/community/threads/{id}/moderate")]
async fn moderate_thread(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<i32>,
    form: CsrfForm<ModerateThreadForm>,
) -> AppResult<HttpResponse> {
    let (at, thread) = open_thread(&state, &who.user, *path).await?;
    let by = at.moderating().ok_or(AppError::Forbidden)?;
    let f = form.0;
    let action = match f.action.as_str() {
        "lock" => ThreadAction::Lock,
        "unlock" => ThreadAction::Unlock,
        "pin" => ThreadAction::Pin,
        "unpin" => ThreadAction::Unpin,
        "move" => {
            let to = f.to.as_deref().unwrap_or_default();
            let target = open(&state, &who.user, to).await?;
            ThreadAction::Move(Box::new(target.moderating().ok_or(AppError::Forbidden)?))
        }
        _ => return Err(AppError::BadRequest("unknown moderation action".into())),
    };
    let (community, now, reason) = (state.community(), state.clock.now(), f.reason.clone());
    let done = state
        .flow(move |c| community.moderate_thread(c, &by, &thread, action, &reason, now))
        .await?;
    match done {
        Ok(()) => Ok(see_other(format!(
            "/community/threads/{}?notice=moderated",
            *path
        ))),
        Err(r) => thread_refusal(&state, &who, &req, *path, r).await,
    }
}

// --- one post ---

async fn open_post(
    state: &AppState,
    user: &User,
    id: i32,
) -> AppResult<(InSpace, leerpad_store::community::Thread, store::Post)> {
    let (user, now) = (user.clone(), state.clock.now());
    state
        .db(move |c| InSpace::of_post(c, &user, id, now))
        .await?
        .ok_or(AppError::NotFound)
}

/// Where a post is, for redirects after acting on it.
async fn location_of(
    state: &AppState,
    at: InSpace,
    post_id: i32,
    thread_id: i32,
) -> AppResult<String> {
    let page = state
        .db(move |c| views::page_of(c, &at, post_id, thread_id))
        .await?;
    Ok(post_link(thread_id, page, post_id))
}

fn with_notice(link: &str, notice: &str) -> String {
    match link.split_once('#') {
        Some((path, fragment)) => {
            let sep = if path.contains('?') { '&' } else { '?' };
            format!("{path}{sep}notice={notice}#{fragment}")
        }
        None => format!("{link}?notice={notice}"),
    }
}

async fn render_edit(
    state: &AppState,
    who: &SignedIn,
    req: &HttpRequest,
    post_id: i32,
    form: Value,
) -> AppResult<HttpResponse> {
    let (at, thread, post) = open_post(state, &who.user, post_id).await?;
    let own = post.author_id == Some(who.user.id);
    if !own && !at.access().moderate {
        return Err(AppError::NotFound);
    }
    let space = state.db(move |c| space_json(c, &at)).await?;
    show(
        state,
        &who.viewer,
        req,
        "community/edit.html.j2",
        json!({
            "space": space, "thread": { "id": thread.id, "title": thread.title },
            "post": { "id": post.id, "body": post.body, "own": own },
            "form": form,
        }),
    )
    .await
}

#[get("/community/posts/{id}/edit")]
async fn edit_page(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<i32>,
) -> AppResult<HttpResponse> {
    render_edit(&state, &who, &req, *path, json!({})).await
}

#[derive(Deserialize)]
struct EditForm {
    body: String,
    note: Option<String>,
}

#[post("/community/posts/{id}/edit")]
async fn edit(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<i32>,
    form: CsrfForm<EditForm>,
) -> AppResult<HttpResponse> {
    let (at, thread, post) = open_post(&state, &who.user, *path).await?;
    if post.author_id != Some(who.user.id) && !at.access().moderate {
        return Err(AppError::NotFound);
    }
    let (community, now) = (state.community(), state.clock.now());
    let (body, note) = (form.0.body.clone(), form.0.note.clone());
    let done = {
        let (at, post) = (at.clone(), post.clone());
        state
            .flow(move |c| community.edit(c, &at, &post, &body, note.as_deref(), now))
            .await?
    };
    match done {
        Ok(()) => Ok(see_other(with_notice(
            &location_of(&state, at, post.id, thread.id).await?,
            "post-edited",
        ))),
        Err(r) => Ok(refused(
            render_edit(
                &state,
                &who,
                &req,
                *path,
                json!({ "error": r.key(), "body": form.0.body, "note": form.0.note }),
            )
            .await?,
        )),
    }
}

#[get("/community/posts/{id}/history")]
async fn history(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let (at, thread, post) = open_post(&state, &who.user, *path).await?;
    let post_id = post.id;
    let (space, revisions) = state
        .db(move |c| Ok((space_json(c, &at)?, store::revisions(c, post_id)?)))
        .await?;
    let mut texts: Vec<Value> = revisions
        .iter()
        .map(|r| {
            json!({
                "html": leerpad_markdown::learner_html(&r.body),
                "until": r.replaced_at.and_utc().to_rfc3339(),
                "by_moderator": r.by_moderator, "note": r.note,
            })
        })
        .collect();
    texts.push(json!({ "html": post.html, "until": Value::Null, "current": true }));
    show(
        &state,
        &who.viewer,
        &req,
        "community/history.html.j2",
        json!({
            "space": space, "thread": { "id": thread.id, "title": thread.title },
            "post": { "id": post.id, "created_at": post.created_at.and_utc().to_rfc3339(),
                      "deleted": post.state() == PostState::Deleted },
            "texts": texts,
        }),
    )
    .await
}

#[post("/community/posts/{id}/delete")]
async fn delete(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<i32>,
    _form: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let (at, thread, post) = open_post(&state, &who.user, *path).await?;
    if post.author_id != Some(who.user.id) {
        return Err(AppError::NotFound);
    }
    let (community, now) = (state.community(), state.clock.now());
    let done = {
        let (at, post) = (at.clone(), post.clone());
        state
            .flow(move |c| community.delete_own(c, &at, &post, now))
            .await?
    };
    done.map_err(|_| AppError::NotFound)?;
    Ok(see_other(with_notice(
        &location_of(&state, at, post.id, thread.id).await?,
        "post-deleted",
    )))
}

async fn render_report(
    state: &AppState,
    who: &SignedIn,
    req: &HttpRequest,
    post_id: i32,
    form: Value,
) -> AppResult<HttpResponse> {
    let (at, thread, post) = open_post(state, &who.user, post_id).await?;
    let uid = who.user.id;
    let (space, row) = state
        .db(move |c| Ok((space_json(c, &at)?, store::post_rows(c, &[post.id])?)))
        .await?;
    let row = row.first().ok_or(AppError::NotFound)?;
    show(
        state,
        &who.viewer,
        req,
        "community/report.html.j2",
        json!({
            "space": space, "thread": { "id": thread.id, "title": thread.title },
            "post": post_json(row, uid, None, &[]), "form": form,
        }),
    )
    .await
}

#[get("/community/posts/{id}/report")]
async fn report_page(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<i32>,
) -> AppResult<HttpResponse> {
    render_report(&state, &who, &req, *path, json!({})).await
}

#[derive(Deserialize)]
struct ReasonForm {
    reason: String,
}

#[post("/community/posts/{id}/report")]
async fn report(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<i32>,
    form: CsrfForm<ReasonForm>,
) -> AppResult<HttpResponse> {
    let (at, thread, post) = open_post(&state, &who.user, *path).await?;
    let (community, now, reason) = (state.community(), state.clock.now(), form.0.reason.clone());
    let done = {
        let (at, post) = (at.clone(), post.clone());
        state
            .flow(move |c| community.report(c, &at, &post, &reason, now))
            .await?
    };
    match done {
        Ok(_) => Ok(see_other(with_notice(
            &location_of(&state, at, post.id, thread.id).await?,
            "post-reported",
        ))),
        Err(r) => Ok(refused(
            render_report(
                &state,
                &who,
                &req,
                *path,
                json!({ "error": r.key(), "reason": form.0.reason }),
            )
            .await?,
        )),
    }
}

#[derive(Deserialize)]
struct ModeratePostForm {
    action: String,
    reason: String,
    /// Where to go back to: the queue or the thread.
    back: Option<String>,
}

#[post("/community/posts/{id}/moderate")]
async fn moderate_post(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<i32>,
    form: CsrfForm<ModeratePostForm>,
) -> AppResult<HttpResponse> {
    let (at, thread, post) = open_post(&state, &who.user, *path).await?;
    let by = at.moderating().ok_or(AppError::Forbidden)?;
    let action = PostAction::parse(&form.0.action)
        .ok_or_else(|| AppError::BadRequest("unknown moderation action".into()))?;
    let (community, now, reason) = (state.community(), state.clock.now(), form.0.reason.clone());
    let done = {
        let post = post.clone();
        state
            .flow(move |c| community.moderate_post(c, &by, &post, action, &reason, now))
            .await?
    };
    match done {
        Ok(()) => {
            state.mail.wake();
            if form.0.back.as_deref() == Some("queue") {
                return Ok(see_other("/community/moderation?notice=moderated"));
            }
            Ok(see_other(with_notice(
                &location_of(&state, at, post.id, thread.id).await?,
                "moderated",
            )))
        }
        Err(r) if form.0.back.as_deref() == Some("queue") => Ok(refused(
            render_queue(
                &state,
                &who,
                &req,
                json!({ "error": r.key(), "post": post.id }),
            )
            .await?,
        )),
        Err(r) => thread_refusal(&state, &who, &req, thread.id, r).await,
    }
}

// --- moderation ---

async fn render_queue(
    state: &AppState,
    who: &SignedIn,
    req: &HttpRequest,
    form: Value,
) -> AppResult<HttpResponse> {
    let (user, now, uid) = (who.user.clone(), state.clock.now(), who.user.id);
    let (rows, log, spaces) = state
        .db(move |c| {
            let keys = flows::moderated_spaces(c, &user, now)?;
            if keys.as_ref().is_some_and(|k| k.is_empty()) {
                return Ok(None);
            }
            let queue = views::queue(c, keys.as_deref())?;
            let mut rows = Vec::new();
            for (row, reasons) in queue {
                let Some(space) = store::space_by_key(c, &row.space_key)? else {
                    continue;
                };
                let (segment, title) = space_names(c, &space)?;
                let mut p = post_json(&row.row, uid, None, &[]);
                p["reasons"] = json!(reasons);
                p["thread"] = json!({ "id": row.thread.id, "title": row.thread.title });
                p["space"] =
                    json!({ "segment": segment, "title": title, "kind": space.kind().name() });
                rows.push(p);
            }
            // The log of moderation in the spaces this person moderates.
            let log: Vec<Value> = audit::recent(c, "community.", 200)?
                .into_iter()
                .filter_map(|e| {
                    let details: Value = serde_json::from_str(&e.details).ok()?;
                    let space = details["space"].as_str()?.to_string();
                    if keys.as_ref().is_some_and(|k| !k.contains(&space)) {
                        return None;
                    }
                    Some(json!({
                        "at": e.at.and_utc().to_rfc3339(), "actor": e.actor,
                        "action": e.action.trim_start_matches("community."),
                        "subject": e.subject, "reason": details["reason"],
                    }))
                })
                .take(50)
                .collect();
            let mut spaces = Vec::new();
            for kind in store::candidate_spaces(c, &user)? {
                if let Some(at) = InSpace::open(c, &user, &kind, now)? {
                    if at.access().moderate {
                        spaces.push(space_json(c, &at)?);
                    }
                }
            }
            Ok(Some((rows, log, spaces)))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    show(
        state,
        &who.viewer,
        req,
        "community/moderation.html.j2",
        json!({ "queue": rows, "log": log, "spaces": spaces, "form": form }),
    )
    .await
}

#[get("/community/moderation")]
async fn moderation(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    render_queue(&state, &who, &req, json!({})).await
}

async fn render_restrictions(
    state: &AppState,
    who: &SignedIn,
    req: &HttpRequest,
    segment: &str,
    form: Value,
) -> AppResult<HttpResponse> {
    let at = open(state, &who.user, segment).await?;
    if !at.access().moderate {
        return Err(AppError::NotFound);
    }
    let space_id = at.space().id;
    let own_guidelines = at.space().guidelines.clone();
    let (space, rows, experts) = state
        .db(move |c| {
            Ok((
                space_json(c, &at)?,
                store::restrictions(c, space_id)?,
                store::experts(c, space_id)?,
            ))
        })
        .await?;
    show(
        state,
        &who.viewer,
        req,
        "community/restrictions.html.j2",
        json!({
            "space": space,
            "experts": experts.iter().map(|(id, name)| json!({ "user": id, "name": name })).collect::<Vec<_>>(),
            "own_guidelines": own_guidelines,
            "restrictions": rows.iter().map(|r| json!({
                "user": r.user_id, "name": r.name, "kind": r.kind, "reason": r.reason,
                "until": r.until.map(|u| u.and_utc().to_rfc3339()),
            })).collect::<Vec<_>>(),
            "form": form,
        }),
    )
    .await
}

#[get("/community/{space}/restrictions")]
async fn restrictions_page(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    render_restrictions(&state, &who, &req, &path, json!({})).await
}

#[derive(Deserialize)]
struct RestrictForm {
    email: String,
    kind: String,
    /// Empty: until lifted.
    days: Option<String>,
    reason: String,
}

/// A form of a space's settings page (restrict, invite an expert, own
/// guidelines): the moderator's proof, one flow, then back to the page with
/// `notice`, or the page again with the refusal and what was typed (`typed`,
/// given the refusal's text key).
async fn settings_form<F>(
    state: &AppState,
    who: &SignedIn,
    req: &HttpRequest,
    segment: &str,
    act: F,
    notice: &str,
    typed: impl FnOnce(&'static str) -> Value,
) -> AppResult<HttpResponse>
where
    F: FnOnce(
            &mut DbConnection,
            &Community,
            &flows::Moderating,
            chrono::NaiveDateTime,
        ) -> leerpad_app::FlowResult<Result<(), Refusal>>
        + Send
        + 'static,
{
    let at = open(state, &who.user, segment).await?;
    let by = at.moderating().ok_or(AppError::NotFound)?;
    let (community, now) = (state.community(), state.clock.now());
    let done = state.flow(move |c| act(c, &community, &by, now)).await?;
    match done {
        Ok(()) => Ok(see_other(format!(
            "/community/{segment}/restrictions?notice={notice}"
        ))),
        Err(r) => Ok(refused(
            render_restrictions(state, who, req, segment, typed(r.key())).await?,
        )),
    }
}

#[post("/community/{space}/restrictions")]
async fn restrict(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<String>,
    form: CsrfForm<RestrictForm>,
) -> AppResult<HttpResponse> {
    let f = form.0;
    let kind = RestrictionKind::parse(&f.kind)
        .ok_or_else(|| AppError::BadRequest("unknown restriction".into()))?;
    // Empty: until lifted; not a number: refused like a number out of range.
    let days = f
        .days
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| d.parse::<i64>().unwrap_or(0));
    let (email, reason) = (f.email.clone(), f.reason.clone());
    let act = move |c: &mut DbConnection, community: &Community, by: &flows::Moderating, now| {
        let Some(member) = accounts::user_by_email(c, &accounts::normalise_email(&email))? else {
            return Ok(Err(Refusal::NoSuchMember));
        };
        let what = flows::Restrict {
            member_id: member.id,
            kind,
            days,
            reason: &reason,
        };
        community.restrict(c, by, &what, now)
    };
    settings_form(&state, &who, &req, &path, act, "restricted", |error| {
        json!({ "error": error, "email": f.email, "kind": f.kind, "days": f.days, "reason": f.reason })
    })
    .await
}

/// A button of a space's settings page that undoes something for one member
/// (lifts a restriction, ends an expert's invitation): the moderator's proof, one
/// flow, then back with `notice`; 404 when there was nothing to undo.
async fn settings_undo<F>(
    state: &AppState,
    who: &SignedIn,
    segment: &str,
    act: F,
    notice: &str,
) -> AppResult<HttpResponse>
where
    F: FnOnce(
            &mut DbConnection,
            &Community,
            &flows::Moderating,
            chrono::NaiveDateTime,
        ) -> leerpad_app::FlowResult<bool>
        + Send
        + 'static,
{
    let at = open(state, &who.user, segment).await?;
    let by = at.moderating().ok_or(AppError::NotFound)?;
    let (community, now) = (state.community(), state.clock.now());
    if !state.flow(move |c| act(c, &community, &by, now)).await? {
        return Err(AppError::NotFound);
    }
    Ok(see_other(format!(
        "/community/{segment}/restrictions?notice={notice}"
    )))
}

#[post("/community/{space}/restrictions/{user}/lift")]
async fn lift(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, i32)>,
    _form: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let (segment, member) = path.into_inner();
    let act = move |c: &mut DbConnection, community: &Community, by: &flows::Moderating, now| {
        community.lift(c, by, member, now)
    };
    settings_undo(&state, &who, &segment, act, "lifted").await
}

#[derive(Deserialize)]
struct ExpertForm {
    email: String,
}

#[post("/community/{space}/experts")]
async fn add_expert(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<String>,
    form: CsrfForm<ExpertForm>,
) -> AppResult<HttpResponse> {
    let email = form.0.email;
    let typed = email.clone();
    let act = move |c: &mut DbConnection, community: &Community, by: &flows::Moderating, now| {
        community.add_expert(c, by, &email, now)
    };
    settings_form(
        &state,
        &who,
        &req,
        &path,
        act,
        "expert-added",
        |error| json!({ "expert_error": error, "expert_email": typed }),
    )
    .await
}

#[post("/community/{space}/experts/{user}/remove")]
async fn remove_expert(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, i32)>,
    _form: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let (segment, expert) = path.into_inner();
    let act = move |c: &mut DbConnection, community: &Community, by: &flows::Moderating, now| {
        community.remove_expert(c, by, expert, now)
    };
    settings_undo(&state, &who, &segment, act, "expert-removed").await
}

#[derive(Deserialize)]
struct GuidelinesForm {
    guidelines: String,
}

#[post("/community/{space}/own-guidelines")]
async fn set_guidelines(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<String>,
    form: CsrfForm<GuidelinesForm>,
) -> AppResult<HttpResponse> {
    let text = form.0.guidelines;
    let typed = text.clone();
    let act = move |c: &mut DbConnection, community: &Community, by: &flows::Moderating, now| {
        community.set_guidelines(c, by, &text, now)
    };
    settings_form(
        &state,
        &who,
        &req,
        &path,
        act,
        "saved",
        |error| json!({ "guidelines_error": error, "guidelines": typed }),
    )
    .await
}
