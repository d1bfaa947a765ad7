//! A learner's deadlines as a private iCalendar feed that calendar apps subscribe to.
//!
//! The feed's address holds a token signed with a key of the learner's
//! (`calendar_feeds.feed_key`): it needs no sign-in, and asking for a new address on
//! `/me/calendar` voids the old one. Each enrolment with a deadline in a course that
//! is served and not completed is an all-day event on the deadline's date.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{Days, TimeZone, Utc};
use icalendar::{Calendar, Component, Event, EventLike};
use leerpad_store::{accounts, calendar, learning};
use serde_json::json;

use crate::error::{AppError, AppResult};
use crate::page::{render, see_other, CsrfForm, NoFields};
use crate::security::{derive, random_token, user_token, user_token_matches, user_token_user};
use crate::state::AppState;
use crate::viewer::SignedIn;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(settings).service(renew).service(feed);
}

fn feed_signing_key(state: &AppState) -> Vec<u8> {
    derive(&state.keys.secret, b"leerpad calendar feed")
}

fn feed_url(state: &AppState, user_id: i32, feed_key: &str) -> String {
    format!(
        "{}/calendar/{}.ics",
        state.config.base_url(),
        user_token(&feed_signing_key(state), user_id, feed_key)
    )
}

/// The learner's feed address, and the button for a new one.
#[get("/me/calendar")]
async fn settings(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let uid = who.user.id;
    let key = state.db(move |c| calendar::feed_key(c, uid)).await?;
    let url = key.map(|k| feed_url(&state, uid, &k));
    render(
        &state,
        &who.viewer,
        &req,
        "calendar.html.j2",
        json!({
            "feed_url": url,
            "webcal_url": url.as_deref().map(|u| u.replacen("https://", "webcal://", 1).replacen("http://", "webcal://", 1)),
        }),
    )
}

/// A new feed address; the old one stops working.
#[post("/me/calendar")]
async fn renew(
    state: web::Data<AppState>,
    who: SignedIn,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let (uid, now, key) = (who.user.id, state.clock.now(), random_token(24));
    state
        .db(move |c| calendar::renew_feed_key(c, uid, &key, now))
        .await?;
    Ok(see_other("/me/calendar?notice=calendar-renewed"))
}

/// The feed. An unknown, tampered or replaced token, or a disabled account, is
/// "not found", alike.
#[get("/calendar/{token}.ics")]
async fn feed(state: web::Data<AppState>, path: web::Path<String>) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    let uid = user_token_user(&token).ok_or(AppError::NotFound)?;
    let (user, key, enrolments) = state
        .db(move |c| {
            Ok((
                accounts::user(c, uid)?,
                calendar::feed_key(c, uid)?,
                learning::enrolments_of(c, uid)?,
            ))
        })
        .await?;
    let (Some(user), Some(key)) = (user, key) else {
        return Err(AppError::NotFound);
    };
    if user.disabled_at.is_some()
        || !user_token_matches(&feed_signing_key(&state), &token, uid, &key)
    {
        return Err(AppError::NotFound);
    }
    let texts = state.theme.texts(&user.language);
    let text = |k: &str| texts.get(k).cloned().unwrap_or_else(|| k.to_string());
    let base = state.config.base_url();
    let host = url::Url::parse(&base)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "leerpad".into());
    let stamp = Utc.from_utc_datetime(&state.clock.now());

    let mut cal = Calendar::new();
    cal.name(&text("calendar.feed-name"));
    for e in enrolments {
        let (Some(deadline), None) = (e.deadline, e.completed_at) else {
            continue;
        };
        let Ok(served) = state.courses.current(&state, &e.course_id).await else {
            continue;
        };
        let course = &served.course;
        let day = deadline.date();
        let link = format!("{base}/courses/{}", course.id);
        cal.push(
            Event::new()
                .uid(&format!("deadline-{uid}-{}@{host}", course.id))
                .timestamp(stamp)
                .summary(&text("calendar.event-summary").replace("{course}", &course.title))
                .description(&format!(
                    "{}\n{link}",
                    text("calendar.event-description").replace("{course}", &course.title)
                ))
                .url(&link)
                .starts(day)
                .ends(day.checked_add_days(Days::new(1)).unwrap_or(day))
                .done(),
        );
    }
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "inline; filename=\"leerpad-deadlines.ics\"",
        ))
        // The address is the credential: keep it out of shared caches and referrers.
        .insert_header((header::CACHE_CONTROL, "private, max-age=300"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(cal.done().to_string()))
}
