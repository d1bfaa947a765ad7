//! The catalogue, a course's overview, the dashboard, certificates, the action plan
//! and course assets.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use leerpad_core::completion::{is_done, progress, LearnerState};
use leerpad_core::{media, Course, ItemBody, Language, LessonBlock, Visibility};
use leerpad_report::action_plan::{self, ActionPlan, PlanSection};
use leerpad_report::certificate as cert_doc;
use leerpad_store::learning;
use serde_json::{json, Value};

use crate::error::{AppError, AppResult};
use crate::page::{render, see_other, CsrfForm, NoFields};
use crate::progress::{enrolled, learner_state, needs_settling, repair, to_state};
use crate::state::{AppState, Served};
use crate::viewer::{SignedIn, Viewer};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(home)
        .service(catalogue)
        .service(verify_certificate)
        .service(asset)
        .service(action_plan_markdown)
        .service(action_plan_docx)
        .service(action_plan_page)
        .service(certificate_pdf)
        .service(certificate)
        .service(overview)
        .service(enrol);
}

/// A course for lists: its card.
pub fn course_card(course: &Course) -> Value {
    json!({
        "id": course.id,
        "title": course.title,
        "summary": course.summary,
        "language": course.language,
        "duration_minutes": course.duration_minutes,
        "audience": course.audience,
        "modules": course.modules.len(),
    })
}

#[get("/")]
async fn home(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let Some(user) = viewer.user.clone() else {
        let courses = state.courses.all(&state).await?;
        let cards: Vec<Value> = courses
            .iter()
            .filter(|s| s.course.visibility == Visibility::Listed)
            .map(|s| course_card(&s.course))
            .collect();
        return render(
            &state,
            &viewer,
            &req,
            "home.html.j2",
            json!({ "courses": cards }),
        );
    };
    // Everything about the learner's courses in one trip to the database, whatever
    // their number: enrolments, what they finished in each, their certificates.
    let uid = user.id;
    let (enrolments, mut finished, certificates) = state
        .db(move |c| {
            Ok((
                learning::enrolments_of(c, uid)?,
                learning::finished_by_course(c, uid, None)?,
                learning::certificates_of_user(c, uid)?,
            ))
        })
        .await?;
    let now = state.clock.now();
    let mut rows = Vec::new();
    let mut deadlines = Vec::new();
    for e in enrolments {
        let Ok(served) = state.courses.current(&state, &e.course_id).await else {
            continue;
        };
        let ls = to_state(finished.remove(&e.course_id).unwrap_or_default());
        let p = progress(&served.course, &ls);
        let next = p
            .next_item
            .as_ref()
            .and_then(|id| served.course.item(id))
            .map(|i| json!({ "id": i.id, "title": i.title, "kind": i.kind() }));
        let overdue = e.deadline.is_some_and(|d| d < now) && e.completed_at.is_none();
        if let (Some(deadline), None) = (e.deadline, e.completed_at) {
            deadlines.push((
                deadline,
                json!({
                    "course": { "id": served.course.id, "title": served.course.title },
                    "deadline": deadline,
                    "overdue": overdue,
                    "days_left": (deadline.date() - now.date()).num_days(),
                    "next": next,
                }),
            ));
        }
        let mut cert = certificates
            .iter()
            .find(|c| c.course_id == e.course_id)
            .map(|c| c.code.clone());
        if needs_settling(&served.course, p.complete, &e, Some(cert.is_some())) {
            // Rare: a completion recorded without what follows from it.
            repair(&state, &user, &served).await;
            let cid = e.course_id.clone();
            cert = state
                .db(move |c| learning::certificate_of(c, uid, &cid))
                .await?
                .map(|c| c.code);
        }
        rows.push(json!({
            "course": course_card(&served.course),
            "percent": p.percent,
            "done": p.done,
            "total": p.total,
            "complete": p.complete,
            "next": next,
            "deadline": e.deadline,
            "overdue": overdue,
            "completed_at": e.completed_at,
            "certificate": cert,
        }));
    }
    deadlines.sort_by_key(|(d, _)| *d);
    let deadlines: Vec<Value> = deadlines.into_iter().map(|(_, v)| v).collect();
    render(
        &state,
        &viewer,
        &req,
        "dashboard.html.j2",
        json!({ "enrolments": rows, "deadlines": deadlines }),
    )
}

#[get("/courses")]
async fn catalogue(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let courses = state.courses.all(&state).await?;
    let mut enrolled_ids = Vec::new();
    if let Some(u) = &viewer.user {
        let uid = u.id;
        enrolled_ids = state
            .db(move |c| learning::enrolments_of(c, uid))
            .await?
            .into_iter()
            .map(|e| e.course_id)
            .collect();
    }
    let cards: Vec<Value> = courses
        .iter()
        .filter(|s| {
            s.course.visibility == Visibility::Listed
                || enrolled_ids.contains(&s.course.id.to_string())
        })
        .map(|s| {
            let mut card = course_card(&s.course);
            card["enrolled"] = json!(enrolled_ids.contains(&s.course.id.to_string()));
            card
        })
        .collect();
    render(
        &state,
        &viewer,
        &req,
        "catalogue.html.j2",
        json!({ "courses": cards }),
    )
}

/// The course outline with the learner's progress per module.
#[get("/courses/{course}")]
async fn overview(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let course_id = path.into_inner();
    let served = state.courses.current(&state, &course_id).await?;
    let course = &served.course;
    let mut enrolment = None;
    let mut ls = LearnerState::default();
    if let Some(u) = &viewer.user {
        let (uid, cid) = (u.id, course_id.clone());
        enrolment = state.db(move |c| learning::enrolment(c, uid, &cid)).await?;
        if enrolment.is_some() {
            ls = learner_state(&state, u.id, &course_id).await?;
        }
    }
    if course.visibility == Visibility::Hidden && enrolment.is_none() {
        return Err(AppError::NotFound);
    }
    let p = progress(course, &ls);
    let modules: Vec<Value> = course
        .modules
        .iter()
        .zip(&p.modules)
        .map(|(m, mp)| {
            json!({
                "id": m.id, "title": m.title, "summary": m.summary, "objectives": m.objectives,
                "done": mp.done, "total": mp.total,
                "items": m.items.iter().map(|i| json!({
                    "id": i.id, "title": i.title, "kind": i.kind(), "duration_minutes": i.duration_minutes,
                    "done": is_done(&course.completion, &ls, i),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let next = p
        .next_item
        .as_ref()
        .and_then(|id| course.item(id))
        .map(|i| json!({ "id": i.id, "title": i.title }));
    render(
        &state,
        &viewer,
        &req,
        "course.html.j2",
        json!({
            "course": course_card(course),
            "objectives": course.objectives,
            "sources": course.sources,
            "modules": modules,
            "enrolled": enrolment.is_some(),
            "deadline": enrolment.as_ref().and_then(|e| e.deadline),
            "progress": { "percent": p.percent, "done": p.done, "total": p.total, "complete": p.complete },
            "next": next,
            "has_reflections": has_reflections(course),
            "certificate": course.certificate.is_some(),
        }),
    )
}

#[post("/courses/{course}/enrol")]
async fn enrol(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<String>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let course_id = path.into_inner();
    enrolled(&state, &who.user, &course_id).await?;
    Ok(see_other(format!("/courses/{course_id}?notice=enrolled")))
}

fn has_reflections(course: &Course) -> bool {
    course
        .items()
        .any(|(_, i)| matches!(&i.body, ItemBody::Lesson(l) if l.reflections().next().is_some()))
}

/// The course and the signed-in learner's certificate for it; "not found" without one.
async fn own_certificate(
    state: &AppState,
    who: &SignedIn,
    course_id: &str,
) -> AppResult<(Served, learning::Certificate)> {
    let (served, enrolment) = enrolled(state, &who.user, course_id).await?;
    let (uid, cid) = (who.user.id, course_id.to_string());
    let mut cert = state
        .db(move |c| learning::certificate_of(c, uid, &cid))
        .await?;
    if cert.is_none() && served.course.certificate.is_some() {
        // A completion recorded without its certificate (a crash between the two,
        // before they were one transaction) gets it now.
        let complete =
            progress(&served.course, &learner_state(state, uid, course_id).await?).complete;
        if needs_settling(&served.course, complete, &enrolment, Some(false)) {
            repair(state, &who.user, &served).await;
            let cid = course_id.to_string();
            cert = state
                .db(move |c| learning::certificate_of(c, uid, &cid))
                .await?;
        }
    }
    Ok((served, cert.ok_or(AppError::NotFound)?))
}

/// The learner's certificate for a course, printable.
#[get("/courses/{course}/certificate")]
async fn certificate(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let (served, cert) = own_certificate(&state, &who, &path.into_inner()).await?;
    render(
        &state,
        &who.viewer,
        &req,
        "certificate.html.j2",
        json!({
            "course": course_card(&served.course),
            "certificate": cert_json(&cert, &state),
            "verify_url": verify_url(&state, &cert.code),
            "issuer": served.course.certificate.as_ref().and_then(|c| c.issuer.clone()),
            "study_time": cert_doc::study_time(
                served.course.duration_minutes,
                if who.viewer.lang == "en" { Language::En } else { Language::Nl },
            ),
        }),
    )
}

/// The learner's certificate as an A4 PDF with a QR code of its verification address.
#[get("/courses/{course}/certificate.pdf")]
async fn certificate_pdf(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let (served, cert) = own_certificate(&state, &who, &path.into_inner()).await?;
    let course = &served.course;
    let document = cert_doc::Certificate {
        language: course.language,
        title: cert.title.clone(),
        course_title: course.title.clone(),
        holder_name: cert.holder_name.clone(),
        study_minutes: course.duration_minutes,
        issued_on: cert.issued_at.date(),
        expires_on: cert.expires_at.map(|e| e.date()),
        issuer: course.certificate.as_ref().and_then(|c| c.issuer.clone()),
        verify_url: verify_url(&state, &cert.code),
        code: cert.code,
    };
    // Drawing a page is CPU work: off the request threads.
    let bytes =
        web::block(move || cert_doc::pdf(&document).map(|b| (b, cert_doc::file_name(&document))))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(bytes.0, "application/pdf", &bytes.1))
}

fn verify_url(state: &AppState, code: &str) -> String {
    format!("{}/certificates/{code}", state.config.base_url())
}

fn cert_json(cert: &learning::Certificate, state: &AppState) -> Value {
    json!({
        "code": cert.code,
        "holder": cert.holder_name,
        "title": cert.title,
        "issued_at": cert.issued_at,
        "expires_at": cert.expires_at,
        "expired": cert.expires_at.is_some_and(|e| e < state.clock.now()),
    })
}

/// Anyone can check a certificate by its code.
#[get("/certificates/{code}")]
async fn verify_certificate(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let code = path.into_inner().trim().to_uppercase();
    if code.len() > 32 {
        return Err(AppError::NotFound);
    }
    let cert = state
        .db(move |c| learning::certificate_by_code(c, &code))
        .await?;
    let mut res = render(
        &state,
        &viewer,
        &req,
        "verify-certificate.html.j2",
        json!({ "certificate": cert.as_ref().map(|c| cert_json(c, &state)) }),
    )?;
    if cert.is_none() {
        *res.status_mut() = actix_web::http::StatusCode::NOT_FOUND;
    }
    Ok(res)
}

/// The learner's reflections in course order, as an action plan.
async fn plan(
    state: &AppState,
    who: &SignedIn,
    course_id: &str,
) -> AppResult<(Served, ActionPlan)> {
    let (served, _) = enrolled(state, &who.user, course_id).await?;
    let (uid, cid) = (who.user.id, course_id.to_string());
    let answers = state
        .db(move |c| learning::reflections_of(c, uid, &cid))
        .await?;
    let mut sections = Vec::new();
    for (_, item) in served.course.items() {
        if let ItemBody::Lesson(lesson) = &item.body {
            for block in &lesson.blocks {
                if let LessonBlock::Reflection(r) = block {
                    let answer = answers
                        .iter()
                        .find(|(id, _, _)| id == r.id.as_str())
                        .map(|(_, a, _)| a.clone());
                    sections.push(PlanSection {
                        heading: r
                            .action_plan_heading
                            .clone()
                            .unwrap_or_else(|| item.title.clone()),
                        lesson_title: item.title.clone(),
                        prompt: crate::theme::strip_tags(&r.prompt_html),
                        answer,
                    });
                }
            }
        }
    }
    let plan = ActionPlan {
        learner_name: who.user.display_name.clone(),
        course_title: served.course.title.clone(),
        language: served.course.language,
        generated_on: state.clock.now().date(),
        sections,
    };
    Ok((served, plan))
}

#[get("/courses/{course}/action-plan")]
async fn action_plan_page(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let course_id = path.into_inner();
    let (served, plan) = plan(&state, &who, &course_id).await?;
    let sections: Vec<Value> = plan
        .sections
        .iter()
        .map(|s| json!({ "heading": s.heading, "lesson": s.lesson_title, "prompt": s.prompt, "answer": s.answer }))
        .collect();
    render(
        &state,
        &who.viewer,
        &req,
        "action-plan.html.j2",
        json!({ "course": course_card(&served.course), "sections": sections }),
    )
}

#[get("/courses/{course}/action-plan.md")]
async fn action_plan_markdown(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let (_, plan) = plan(&state, &who, &path.into_inner()).await?;
    Ok(download(
        action_plan::markdown(&plan).into_bytes(),
        "text/markdown; charset=utf-8",
        &action_plan::file_name(&plan, "md"),
    ))
}

#[get("/courses/{course}/action-plan.docx")]
async fn action_plan_docx(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let (_, plan) = plan(&state, &who, &path.into_inner()).await?;
    let bytes = action_plan::docx(&plan).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(
        bytes,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &action_plan::file_name(&plan, "docx"),
    ))
}

fn download(bytes: Vec<u8>, content_type: &str, file_name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes)
}

/// A file from a course's `assets/` folder. A hidden course's files are for those
/// enrolled in it, as its pages are; a listed course's for anyone.
#[get("/assets/{course}/{path:.*}")]
async fn asset(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (course_id, file) = path.into_inner();
    let served = state.courses.current(&state, &course_id).await?;
    let hidden = served.course.visibility == Visibility::Hidden;
    if hidden {
        let uid = viewer.user.as_ref().ok_or(AppError::NotFound)?.id;
        let cid = course_id.clone();
        state
            .db(move |c| learning::enrolment(c, uid, &cid))
            .await?
            .ok_or(AppError::NotFound)?;
    }
    let entry = served
        .course
        .assets
        .iter()
        .find(|a| a.path == file)
        .ok_or(AppError::NotFound)?;
    let etag = format!("\"{}\"", entry.content_hash);
    if req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return Ok(HttpResponse::NotModified().finish());
    }
    // Only the kinds of file courses may publish are served, whatever an older
    // database holds, and never as something a browser would run.
    let kind = media::asset_kind_of_media_type(&entry.media_type).ok_or(AppError::NotFound)?;
    let hash = entry.content_hash.to_string();
    let (_, bytes) = state
        .db(move |c| leerpad_store::publish::asset(c, &hash))
        .await?
        .ok_or(AppError::NotFound)?;
    let mut res = HttpResponse::Ok();
    res.content_type(kind.media_type)
        .insert_header((header::ETAG, etag))
        .insert_header((
            header::CACHE_CONTROL,
            if hidden {
                "private, max-age=3600"
            } else {
                "public, max-age=3600"
            },
        ))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        // Opened on its own, the file is a sandboxed document that runs nothing.
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'",
        ));
    if kind.disposition == media::Disposition::Download {
        let name = file.rsplit('/').next().unwrap_or(&file);
        res.insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", ascii_file_name(name)),
        ));
    }
    Ok(res.body(bytes))
}

/// A file name that is safe in a `Content-Disposition` header: ASCII letters,
/// digits, `-`, `_` and `.`, anything else as `_`.
fn ascii_file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}
