//! What learners expect of a learning site: a dashboard with the next step and the
//! deadlines, a private calendar feed of those deadlines (read back with the `ical`
//! crate, which shares nothing with the `icalendar` crate that writes it), search
//! pages, and the accessibility statement.

use crate::support;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use leerpad_store::schema::enrolments;
use leerpad_store::{accounts, learning};
use support::{registered, test_app, Browser, TestApp};

/// Registers a learner, enrols them in showcase and, if given, sets its deadline.
async fn enrolled_learner<S, B>(
    app: &TestApp<S>,
    email: &str,
    deadline: Option<NaiveDateTime>,
) -> (Browser, i32)
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let b = registered(app, "Lies Claes", email).await;
    let mut c = app.state.db.conn().unwrap();
    let uid = accounts::user_by_email(&mut c, email).unwrap().unwrap().id;
    learning::enrol(&mut c, uid, "showcase", app.clock.now()).unwrap();
    diesel::update(
        enrolments::table
            .filter(enrolments::user_id.eq(uid))
            .filter(enrolments::course_id.eq("showcase")),
    )
    .set(enrolments::deadline.eq(deadline))
    .execute(&mut *c)
    .unwrap();
    (b, uid)
}

fn day(offset_days: i64) -> NaiveDateTime {
    (chrono::Utc::now().naive_utc() + Duration::days(offset_days))
        .date()
        .and_hms_opt(23, 59, 0)
        .unwrap()
}

fn feed_path(page: &str) -> String {
    // The page escapes `/` in attribute values.
    let page = page.replace("&#x2f;", "/");
    let start = page.find("/calendar/").expect("a feed address on the page");
    let rest = &page[start..];
    rest[..rest.find(".ics").unwrap() + 4].to_string()
}

/// The feed's events as (property name → value) lists, by the `ical` parser.
fn events(ics: &str) -> Vec<Vec<(String, String)>> {
    let mut calendars = ical::IcalParser::new(std::io::BufReader::new(ics.as_bytes()));
    let calendar = calendars
        .next()
        .expect("one calendar")
        .expect("a calendar that parses");
    assert!(calendars.next().is_none(), "only one calendar");
    calendar
        .events
        .into_iter()
        .map(|e| {
            e.properties
                .into_iter()
                .map(|p| (p.name, p.value.unwrap_or_default()))
                .collect()
        })
        .collect()
}

fn property<'a>(event: &'a [(String, String)], name: &str) -> &'a str {
    event
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} in {event:?}"))
}

#[actix_web::test]
async fn the_calendar_feed_holds_the_deadline_and_a_new_address_voids_the_old() {
    let app = test_app(|_| {}).await;
    let deadline = day(10);
    let (mut b, _) = enrolled_learner(&app, "lies@example.org", Some(deadline)).await;

    // No feed until the learner asks for one.
    let page = b.get(&app.service, "/me/calendar").await;
    page.assert_status(200);
    assert!(!page.body.contains("/calendar/"));
    let settings = b.get(&app.service, "/me").await;
    assert!(settings.body.contains("href=\"/me/calendar\""));

    b.submit(&app.service, "/me/calendar", "/me/calendar", &[])
        .await
        .assert_status(303);
    let page = b.get(&app.service, "/me/calendar").await;
    let feed = feed_path(&page.body);

    // A calendar app has no cookies.
    let res = Browser::default().get(&app.service, &feed).await;
    res.assert_status(200);
    assert_eq!(
        res.headers.get("content-type").unwrap().to_str().unwrap(),
        "text/calendar; charset=utf-8"
    );
    let found = events(&res.body);
    assert_eq!(found.len(), 1, "{}", res.body);
    let event = &found[0];
    assert_eq!(
        property(event, "SUMMARY"),
        "Deadline: Alles wat het cursusformaat kan"
    );
    assert_eq!(
        property(event, "DTSTART"),
        deadline.format("%Y%m%d").to_string()
    );
    assert!(property(event, "URL").ends_with("/courses/showcase"));
    assert!(property(event, "UID").starts_with("deadline-"));

    // A completed course drops out of the feed.
    {
        let mut c = app.state.db.conn().unwrap();
        diesel::update(enrolments::table.filter(enrolments::course_id.eq("showcase")))
            .set(enrolments::completed_at.eq(Some(app.clock.now())))
            .execute(&mut *c)
            .unwrap();
    }
    let res = Browser::default().get(&app.service, &feed).await;
    assert!(events(&res.body).is_empty(), "{}", res.body);

    // A new address; the old one is gone, and a tampered one never worked.
    b.submit(&app.service, "/me/calendar", "/me/calendar", &[])
        .await
        .assert_status(303);
    let renewed = b
        .get(&app.service, "/me/calendar?notice=calendar-renewed")
        .await;
    assert!(renewed.body.contains("nieuw adres"));
    let new_feed = feed_path(&renewed.body);
    assert_ne!(new_feed, feed);
    Browser::default()
        .get(&app.service, &feed)
        .await
        .assert_status(404);
    Browser::default()
        .get(&app.service, &new_feed)
        .await
        .assert_status(200);
    let tampered = new_feed.replacen(".ics", "x.ics", 1);
    Browser::default()
        .get(&app.service, &tampered)
        .await
        .assert_status(404);
}

#[actix_web::test]
async fn the_dashboard_shows_the_next_step_and_the_deadlines_by_date() {
    let app = test_app(|_| {}).await;
    let (mut b, uid) = enrolled_learner(&app, "lies@example.org", Some(day(-2))).await;
    // A second course, listed, with a later deadline.
    support::publish_into(&app.state.db, &[support::english_dir()], app.clock.now());
    {
        let mut c = app.state.db.conn().unwrap();
        let course: String = leerpad_store::schema::courses::table
            .filter(leerpad_store::schema::courses::id.ne("showcase"))
            .select(leerpad_store::schema::courses::id)
            .first(&mut *c)
            .unwrap();
        learning::enrol(&mut c, uid, &course, app.clock.now()).unwrap();
        diesel::update(enrolments::table.filter(enrolments::course_id.eq(&course)))
            .set(enrolments::deadline.eq(Some(day(5))))
            .execute(&mut *c)
            .unwrap();
    }
    let home = b.get(&app.service, "/").await;
    home.assert_status(200);
    let body = &home.body;
    let section = &body[body
        .find("id=\"deadlines-title\"")
        .expect("a deadlines section")..];
    let section = &section[..section.find("</section>").unwrap()];
    let overdue = section.find("Alles wat het cursusformaat kan").unwrap();
    let later = section
        .find("nog 5 dagen")
        .expect("the later deadline, in days");
    assert!(overdue < later, "sorted by date: {section}");
    assert!(section.contains("class=\"overdue\""), "{section}");
    assert!(section.contains("te laat"), "{section}");
    // The next step of showcase is its first lesson.
    assert!(
        body.contains("Volgende stap: Les ‘Welkom’")
            && body.contains("href=\"/courses/showcase/welkom\""),
        "{body}"
    );
}

#[actix_web::test]
async fn the_search_page_explains_bad_searches_and_links_what_it_finds() {
    let app = test_app(|_| {}).await;
    let (mut b, _) = enrolled_learner(&app, "lies@example.org", None).await;

    let catalogue = b.get(&app.service, "/courses").await;
    assert!(
        catalogue.body.contains("action=\"/search\""),
        "a search form in the catalogue"
    );

    let page = b.get(&app.service, "/search").await;
    page.assert_status(200);
    assert!(!page.body.contains("role=\"alert\""));

    let empty = b.get(&app.service, "/search?q=++").await;
    empty.assert_status(422);
    assert!(
        empty.body.contains("Typ een of meer woorden"),
        "{}",
        empty.body
    );
    let long = b
        .get(&app.service, &format!("/search?q={}", "a".repeat(201)))
        .await;
    long.assert_status(422);
    assert!(long.body.contains("hoogstens 200 tekens"), "{}", long.body);
    let symbols = b.get(&app.service, "/search?q=%22%2A%28%29").await;
    symbols.assert_status(422);

    // The welcome lesson, by a word of its text, marked in the snippet; a word in
    // the text is escaped.
    let found = b.get(&app.service, "/search?q=welkom").await;
    found.assert_status(200);
    assert!(
        found.body.contains("href=\"/courses/showcase/welkom\""),
        "{}",
        found.body
    );
    assert!(found.body.contains("<mark>"), "{}", found.body);
    let script = b
        .get(&app.service, "/search?q=%3Cscript%3Ealert(1)%3C/script%3E")
        .await;
    assert!(
        !script.body.contains("<script>alert"),
        "the query is escaped"
    );

    let none = b.get(&app.service, "/search?q=zzzqqq").await;
    assert!(none.body.contains("Niets gevonden"), "{}", none.body);
}

#[actix_web::test]
async fn the_accessibility_statement_names_the_contact_and_a_theme_overrides_it() {
    let app =
        test_app(|c| c.site.accessibility_contact = Some("toegankelijk@gent.be".into())).await;
    let mut b = Browser::default();
    let page = b.get(&app.service, "/accessibility").await;
    page.assert_status(200);
    for wanted in [
        "Toegankelijkheidsverklaring",
        "WCAG",
        "2.1",
        "mailto:toegankelijk@gent.be",
        "axe-core",
        "Vlaamse Ombudsdienst",
        "03-12-2026",
    ] {
        assert!(page.body.contains(wanted), "no `{wanted}`: {}", page.body);
    }
    // Every page links to it from its footer.
    let home = b.get(&app.service, "/").await;
    assert!(home.body.contains("href=\"/accessibility\""));

    // Without the setting, the administrator's address.
    let app = test_app(|c| c.accounts.admin_email = "beheer@example.be".into()).await;
    let page = Browser::default().get(&app.service, "/accessibility").await;
    assert!(page.body.contains("mailto:beheer@example.be"));

    // A theme states its own.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    std::fs::write(
        dir.path().join("templates/accessibility.html.j2"),
        "{% extends \"base.html.j2\" %}{% block content %}<h1>Verklaring van Stad Gent</h1>{% endblock %}",
    )
    .unwrap();
    let theme = dir.path().to_path_buf();
    let app = test_app(move |c| c.site.theme_dir = Some(theme)).await;
    let page = Browser::default().get(&app.service, "/accessibility").await;
    assert!(
        page.body.contains("Verklaring van Stad Gent"),
        "{}",
        page.body
    );
}

#[test]
fn a_contact_that_is_no_address_stops_the_server() {
    let mut config = leerpad_web::Config::default();
    config.site.accessibility_contact = Some("bel ons".into());
    let err = config.validate().unwrap_err().to_string();
    assert!(err.contains("accessibility_contact"), "{err}");
}
