//! The learning community over HTTP: who reads and posts where, threads and
//! replies with quoting, edit history and deleting, questions with accepted
//! answers and answering first, reports that hide, the moderation queue and its
//! log, held first posts, the posting rate, muting and banning, lesson threads,
//! reply emails, hostile text, and the JSON API.

use crate::support;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use leerpad_core::Role;
use leerpad_store::organisations::{self, MemberRole};
use leerpad_store::{accounts, learning};
use support::{last_email, registered, set_role, test_app, Browser, TestApp};

/// Gent with two learners (An, Bo) and a coordinator (Cora), and Dirk, who is in
/// no organisation. Returns their browsers.
async fn gent<S, B>(app: &TestApp<S>) -> [Browser; 4]
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let an = registered(app, "An Gent", "an@gent.be").await;
    let bo = registered(app, "Bo Gent", "bo@gent.be").await;
    let cora = registered(app, "Cora Gent", "cora@gent.be").await;
    let dirk = registered(app, "Dirk Nergens", "dirk@example.org").await;
    let now = app.clock.now();
    {
        let mut c = app.state.db.conn().unwrap();
        let org = organisations::create(&mut c, "gent", "Stad Gent", now)
            .unwrap()
            .unwrap();
        for (email, role) in [
            ("an@gent.be", MemberRole::Member),
            ("bo@gent.be", MemberRole::Member),
            ("cora@gent.be", MemberRole::Coordinator),
        ] {
            let uid = accounts::user_by_email(&mut c, email).unwrap().unwrap().id;
            organisations::add_member(&mut c, org.id, uid, role, None, None, now).unwrap();
        }
    }
    set_role(&app.state, "cora@gent.be", Role::Coordinator);
    [an, bo, cora, dirk]
}

const GENT: &str = "/community/organisation-gent";

/// Accepts the space's guidelines and starts a thread; returns the thread's path.
async fn start<S, B>(
    app: &TestApp<S>,
    b: &mut Browser,
    space: &str,
    title: &str,
    body: &str,
) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let s = &app.service;
    let page = b.get(s, space).await;
    if page.body.contains("/guidelines\"") {
        b.submit(s, space, &format!("{space}/guidelines"), &[])
            .await
            .assert_status(303);
    }
    let posted = b
        .submit(
            s,
            space,
            &format!("{space}/threads"),
            &[("title", title), ("body", body)],
        )
        .await;
    posted.assert_status(303);
    let location = posted.location.unwrap();
    location.split(['#', '?']).next().unwrap().to_string()
}

/// Replies in a thread (accepting the guidelines first if needed).
async fn reply<S, B>(app: &TestApp<S>, b: &mut Browser, thread: &str, body: &str) -> support::Page
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let s = &app.service;
    let page = b.get(s, thread).await;
    if let Some(i) = page.body.find("/guidelines\"") {
        let action_start = page.body[..i].rfind("action=\"").unwrap() + 8;
        let action = page.body[action_start..i + 11].to_string();
        b.submit(s, thread, &action, &[]).await.assert_status(303);
    }
    b.submit(s, thread, &format!("{thread}/replies"), &[("body", body)])
        .await
}

fn post_ids(body: &str) -> Vec<i32> {
    body.match_indices("id=\"post-")
        .filter_map(|(i, _)| body[i + 9..].split('"').next().and_then(|n| n.parse().ok()))
        .collect()
}

#[actix_web::test]
async fn members_talk_in_their_organisation_and_strangers_find_nothing() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let [mut an, mut bo, mut cora, mut dirk] = gent(&app).await;

    let list = an.get(s, "/community").await;
    list.assert_status(200);
    assert!(
        list.body.contains("Stad Gent (alleen leden)"),
        "{}",
        list.body
    );
    assert!(
        list.body.contains("Netwerk van lokale besturen"),
        "{}",
        list.body
    );
    let dirks = dirk.get(s, "/community").await;
    assert!(!dirks.body.contains("Stad Gent"), "{}", dirks.body);
    assert!(
        !dirks.body.contains("Netwerk van lokale besturen"),
        "{}",
        dirks.body
    );

    // A first post waits for the guidelines to be accepted.
    let refused = an
        .submit(
            s,
            GENT,
            &format!("{GENT}/threads"),
            &[("title", "Eerste"), ("body", "Hallo")],
        )
        .await;
    assert!(
        refused.body.contains("Aanvaard de richtlijnen"),
        "{}",
        refused.body
    );
    assert_eq!(refused.status.as_u16(), 422);

    let thread = start(
        &app,
        &mut an,
        GENT,
        "Wie gebruikt deDuider?",
        "Wij willen **starten**.",
    )
    .await;
    let page = an.get(s, &thread).await;
    page.assert_status(200);
    assert!(
        page.body.contains("<strong>starten</strong>"),
        "{}",
        page.body
    );

    // Outsiders get 404 for the space, the thread and its posts, as for nothing.
    dirk.get(s, GENT).await.assert_status(404);
    dirk.get(s, &thread).await.assert_status(404);
    let first = post_ids(&page.body)[0];
    dirk.get(s, &format!("/community/posts/{first}/report"))
        .await
        .assert_status(404);
    dirk.get(s, "/community/organisation-nergens")
        .await
        .assert_status(404);

    // Cora replies quoting An; An follows her thread and gets one email.
    let quoting = cora.get(s, &format!("{thread}?quote={first}")).await;
    assert!(
        quoting.body.contains("&gt; **An Gent**"),
        "{}",
        quoting.body
    );
    reply(
        &app,
        &mut cora,
        &thread,
        "> **An Gent**\n> Wij willen starten.\n\nGoed idee!",
    )
    .await
    .assert_status(303);
    let (kind, msg) = last_email(&app.state, "an@gent.be").unwrap();
    assert_eq!(kind, "community-reply");
    assert!(msg.subject.contains("Cora Gent"), "{}", msg.subject);
    assert!(msg.text.contains("Goed idee!"), "{}", msg.text);
    let unsubscribe = msg
        .headers
        .iter()
        .find(|(k, _)| k == "List-Unsubscribe")
        .map(|(_, v)| v.clone());
    assert!(
        unsubscribe
            .as_deref()
            .is_some_and(|v| v.contains("/unsubscribe/")),
        "{:?}",
        msg.headers
    );

    // Bo sees the new thread as unread, then as read.
    let space = bo.get(s, GENT).await;
    assert!(space.body.contains("2 nieuw"), "{}", space.body);
    bo.get(s, &thread).await.assert_status(200);
    let again = bo.get(s, GENT).await;
    assert!(!again.body.contains("nieuw</span>"), "{}", again.body);
}

/// Markup people try to slip into a page: each must arrive as text.
const XSS: &[&str] = &[
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "<svg/onload=alert(3)>",
    "<a href=\"javascript:alert(4)\">klik</a>",
    "\"><script>alert(5)</script>",
    "<iframe src=\"//evil.example\"></iframe>",
    "<details open ontoggle=alert(6)>",
    "[klik](javascript:alert(7))",
    "![x](javascript:alert(8))",
    "<style>*{display:none}</style>",
];

#[actix_web::test]
async fn the_markup_corpus_is_inert_in_posts_titles_and_names() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let [mut an, mut bo, ..] = gent(&app).await;
    for (i, attack) in XSS.iter().enumerate() {
        // Bo takes the payload as his name; An writes it as a title and a post.
        let csrf = bo.get(s, "/me").await.csrf();
        bo.post(
            s,
            "/me",
            &[("csrf", &csrf), ("name", attack), ("language", "nl")],
        )
        .await
        .assert_status(303);
        let title = format!("{attack} {i}");
        let thread = start(&app, &mut an, GENT, &title, &format!("Tekst {attack}")).await;
        reply(&app, &mut bo, &thread, &format!("> {attack}\n\n{attack}"))
            .await
            .assert_status(303);
        for page in [
            an.get(s, &thread).await,
            an.get(s, GENT).await,
            an.get(s, "/community/search?q=tekst").await,
            an.get(s, "/community").await,
        ] {
            // Tags, not text: an escaped payload starts with `&lt;`.
            let body = page.body.to_lowercase();
            for bad in [
                "<script>alert",
                "<img src=x",
                "<svg/",
                "<iframe",
                "<details",
                "<style>*",
                "<a href=\"javascript:",
                "<img src=\"javascript:",
            ] {
                assert!(!body.contains(bad), "{attack}: `{bad}` in\n{}", page.body);
            }
        }
    }
}

#[actix_web::test]
async fn search_finds_posts_only_where_one_may_read() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let [mut an, mut bo, _, mut dirk] = gent(&app).await;
    let thread = start(
        &app,
        &mut an,
        GENT,
        "Monitoring",
        "We volgen de reële reacties op onze kanalen.",
    )
    .await;
    reply(
        &app,
        &mut bo,
        &thread,
        "Wij ook, met een wekelijks overzicht.",
    )
    .await
    .assert_status(303);
    let found = bo.get(s, "/community/search?q=reele").await;
    found.assert_status(200);
    assert!(
        found.body.contains("<mark>reële</mark>"),
        "diacritics folded: {}",
        found.body
    );
    let body = found.body.replace("&#x2f;", "/");
    assert!(body.contains(&format!("href=\"{thread}#post-")), "{body}");
    let prefix = bo.get(s, "/community/search?q=wekel").await;
    assert!(
        prefix.body.contains("Monitoring"),
        "words are prefixes: {}",
        prefix.body
    );
    let outsider = dirk.get(s, "/community/search?q=reele").await;
    assert!(!outsider.body.contains("Monitoring"), "{}", outsider.body);
    // A hidden or deleted post is not found.
    let ids = post_ids(&bo.get(s, &thread).await.body);
    let delete = format!("/community/posts/{}/delete", ids[1]);
    bo.submit(s, &thread, &delete, &[]).await.assert_status(303);
    assert!(!bo
        .get(s, "/community/search?q=wekelijks")
        .await
        .body
        .contains("Monitoring"));
    let bad = bo.get(s, "/community/search?q=%22%2A%22").await;
    assert_eq!(bad.status.as_u16(), 422);
}

#[actix_web::test]
async fn hostile_text_is_shown_never_run() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let [mut an, ..] = gent(&app).await;
    let attack =
        "<script>alert('x')</script><img src=x onerror=alert(1)>[klik](javascript:alert(1))";
    let thread = start(
        &app,
        &mut an,
        GENT,
        "<script>alert('titel')</script>",
        attack,
    )
    .await;
    let page = an.get(s, &thread).await;
    for bad in [
        "<script>alert",
        "<img src=x",
        "href=\"javascript:",
        "onerror=alert(1)>",
    ] {
        assert!(!page.body.contains(bad), "{bad} in {}", page.body);
    }
    assert!(page.body.contains("&lt;script&gt;"), "{}", page.body);
    let list = an.get(s, GENT).await;
    assert!(
        !list.body.contains("<script>alert('titel')"),
        "{}",
        list.body
    );
}

#[actix_web::test]
async fn reports_hide_a_post_until_a_moderator_reviews_it() {
    let app = test_app(|c| c.community.hide_after_reports = 2).await;
    let s = &app.service;
    let [mut an, mut bo, mut cora, _] = gent(&app).await;
    let thread = start(&app, &mut an, GENT, "Een vraag", "Iets om te melden: XYZZY").await;
    let first = post_ids(&an.get(s, &thread).await.body)[0];
    let report = format!("/community/posts/{first}/report");

    // One cannot report one's own post; a reason is needed.
    let own = an.submit(s, &report, &report, &[("reason", "test")]).await;
    assert_eq!(own.status.as_u16(), 422);
    let empty = bo.submit(s, &report, &report, &[("reason", " ")]).await;
    assert_eq!(empty.status.as_u16(), 422);

    bo.submit(s, &report, &report, &[("reason", "Beledigend")])
        .await
        .assert_status(303);
    // Reporting twice counts once.
    bo.submit(s, &report, &report, &[("reason", "Nog eens")])
        .await
        .assert_status(303);
    assert!(bo.get(s, &thread).await.body.contains("XYZZY"));
    cora.submit(s, &report, &report, &[("reason", "Bedreigend")])
        .await
        .assert_status(303);
    // Hidden for members, shown to its author (marked) and to moderators.
    assert!(!bo.get(s, &thread).await.body.contains("XYZZY"));
    let queue = cora.get(s, "/community/moderation").await;
    queue.assert_status(200);
    assert!(
        queue.body.contains("XYZZY") && queue.body.contains("Bedreigend"),
        "{}",
        queue.body
    );
    assert!(
        !queue.body.contains("Bo Gent</span>"),
        "no reporter's name: {}",
        queue.body
    );
    bo.get(s, "/community/moderation").await.assert_status(404);

    // A moderator restores it with a reason; the log says who, what and why.
    let no_reason = cora
        .submit(
            s,
            "/community/moderation",
            &format!("/community/posts/{first}/moderate"),
            &[("action", "restore"), ("reason", ""), ("back", "queue")],
        )
        .await;
    assert_eq!(no_reason.status.as_u16(), 422);
    cora.submit(
        s,
        "/community/moderation",
        &format!("/community/posts/{first}/moderate"),
        &[
            ("action", "restore"),
            ("reason", "Valt mee"),
            ("back", "queue"),
        ],
    )
    .await
    .assert_status(303);
    assert!(bo.get(s, &thread).await.body.contains("XYZZY"));
    let log = cora.get(s, "/community/moderation").await;
    assert!(
        log.body.contains("Valt mee") && log.body.contains("weer getoond"),
        "{}",
        log.body
    );
    assert!(log.body.contains("verborgen na meldingen"), "{}", log.body);
    assert!(log.body.contains("Niets te bekijken"), "{}", log.body);

    // A learner may not moderate.
    let csrf = bo.get(s, &thread).await.csrf();
    bo.post(
        s,
        &format!("/community/posts/{first}/moderate"),
        &[("csrf", &csrf), ("action", "hide"), ("reason", "weg")],
    )
    .await
    .assert_status(403);
}

#[actix_web::test]
async fn an_edited_post_keeps_its_history_and_a_deleted_one_its_place() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let [mut an, mut bo, mut cora, _] = gent(&app).await;
    let thread = start(&app, &mut an, GENT, "Plan", "Eerste versie").await;
    reply(&app, &mut bo, &thread, "Een reactie van Bo")
        .await
        .assert_status(303);
    let ids = post_ids(&an.get(s, &thread).await.body);
    let (first, bos) = (ids[0], ids[1]);

    let edit = format!("/community/posts/{first}/edit");
    an.submit(s, &edit, &edit, &[("body", "Tweede versie")])
        .await
        .assert_status(303);
    let history = bo
        .get(s, &format!("/community/posts/{first}/history"))
        .await;
    assert!(
        history.body.contains("Eerste versie") && history.body.contains("Tweede versie"),
        "{}",
        history.body
    );

    // Someone else's post: not for a member; a moderator needs a note.
    bo.get(s, &edit).await.assert_status(404);
    let without = cora
        .submit(s, &edit, &edit, &[("body", "Ingekort"), ("note", "")])
        .await;
    assert_eq!(without.status.as_u16(), 422);
    cora.submit(
        s,
        &edit,
        &edit,
        &[
            ("body", "Ingekort"),
            ("note", "Naam van een inwoner weggelaten"),
        ],
    )
    .await
    .assert_status(303);
    let history = an
        .get(s, &format!("/community/posts/{first}/history"))
        .await;
    assert!(
        history.body.contains("Naam van een inwoner weggelaten"),
        "{}",
        history.body
    );

    // Bo deletes his reply: it stays as a marker without text.
    let delete = format!("/community/posts/{bos}/delete");
    let csrf = an.get(s, &thread).await.csrf();
    an.post(s, &delete, &[("csrf", &csrf)])
        .await
        .assert_status(404);
    let csrf = bo.get(s, &thread).await.csrf();
    bo.post(s, &delete, &[("csrf", &csrf)])
        .await
        .assert_status(303);
    let page = an.get(s, &thread).await;
    assert!(!page.body.contains("Een reactie van Bo"), "{}", page.body);
    assert!(
        page.body.contains("door de schrijver verwijderd"),
        "{}",
        page.body
    );
}

#[actix_web::test]
async fn a_question_gets_an_accepted_answer_and_can_ask_to_answer_first() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let [mut an, mut bo, mut cora, _] = gent(&app).await;

    // A question with an answer marked by its author.
    let page = an.get(s, GENT).await;
    let _ = page;
    an.submit(s, GENT, &format!("{GENT}/guidelines"), &[]).await;
    let asked = an
        .submit(
            s,
            GENT,
            &format!("{GENT}/threads"),
            &[
                ("title", "Hoe modereer je?"),
                ("body", "Tips?"),
                ("question", "1"),
            ],
        )
        .await;
    asked.assert_status(303);
    let thread = asked
        .location
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .to_string();
    reply(&app, &mut bo, &thread, "Verbergen, bewaren, melden.")
        .await
        .assert_status(303);
    let ids = post_ids(&an.get(s, &thread).await.body);
    let answer = ids[1].to_string();
    let accept = format!("{thread}/accept");
    let csrf = bo.get(s, &thread).await.csrf();
    let by_bo = bo
        .post(s, &accept, &[("csrf", &csrf), ("post", &answer)])
        .await;
    assert_eq!(by_bo.status.as_u16(), 422, "only the asker or a moderator");
    an.submit(s, &thread, &accept, &[("post", &answer)])
        .await
        .assert_status(303);
    let shown = bo.get(s, &thread).await;
    assert!(shown.body.contains("Aanvaard antwoord"), "{}", shown.body);
    assert!(bo.get(s, GENT).await.body.contains("beantwoord"));

    // A coordinator's question where one answers before seeing the others.
    cora.get(s, GENT).await;
    let asked = cora
        .submit(
            s,
            GENT,
            &format!("{GENT}/threads"),
            &[
                ("title", "Jouw eerste stap"),
                ("body", "Wat doe je eerst?"),
                ("question", "1"),
                ("answer_first", "1"),
            ],
        )
        .await;
    let thread = asked
        .location
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .to_string();
    reply(&app, &mut an, &thread, "Antwoord van An: luisteren")
        .await
        .assert_status(303);
    let before = bo.get(s, &thread).await;
    assert!(!before.body.contains("Antwoord van An"), "{}", before.body);
    assert!(
        before.body.contains("Plaats eerst je eigen antwoord"),
        "{}",
        before.body
    );
    reply(&app, &mut bo, &thread, "Antwoord van Bo")
        .await
        .assert_status(303);
    let after = bo.get(s, &thread).await;
    assert!(after.body.contains("Antwoord van An"), "{}", after.body);
}

#[actix_web::test]
async fn first_posts_can_wait_for_approval_and_posting_has_a_pace() {
    let app = test_app(|c| {
        c.community.hold_first_posts = 1;
        c.community.posts_per_window = 3;
    })
    .await;
    let s = &app.service;
    let [mut an, mut bo, mut cora, _] = gent(&app).await;
    let thread = start(&app, &mut cora, GENT, "Welkom", "Stel je voor.").await;
    let held = reply(&app, &mut an, &thread, "Ik ben An, nieuw hier.").await;
    held.assert_status(303);
    assert!(held
        .location
        .as_deref()
        .unwrap()
        .contains("notice=post-held"));
    assert!(!bo.get(s, &thread).await.body.contains("Ik ben An"));
    assert!(
        an.get(s, &thread).await.body.contains("Ik ben An"),
        "the author sees it"
    );
    let queue = cora.get(s, "/community/moderation").await;
    assert!(queue.body.contains("Ik ben An"), "{}", queue.body);
    let held_id = queue
        .body
        .split("/community/posts/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    cora.submit(
        s,
        "/community/moderation",
        &format!("/community/posts/{held_id}/moderate"),
        &[
            ("action", "approve"),
            ("reason", "Welkom"),
            ("back", "queue"),
        ],
    )
    .await
    .assert_status(303);
    assert!(bo.get(s, &thread).await.body.contains("Ik ben An"));

    // An's next posts are not held; the fourth within the window is refused,
    // with the text kept in the form.
    reply(&app, &mut an, &thread, "Tweede")
        .await
        .assert_status(303);
    reply(&app, &mut an, &thread, "Derde")
        .await
        .assert_status(303);
    let fast = reply(&app, &mut an, &thread, "Vierde, te snel").await;
    assert_eq!(fast.status.as_u16(), 422);
    assert!(
        fast.body.contains("Vierde, te snel") && fast.body.contains("Wacht enkele minuten"),
        "{}",
        fast.body
    );
}

#[actix_web::test]
async fn a_muted_member_reads_and_a_banned_one_is_out() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let [mut an, mut bo, mut cora, _] = gent(&app).await;
    let thread = start(&app, &mut an, GENT, "Gesprek", "Tekst").await;
    let page = format!("{GENT}/restrictions");
    bo.get(s, &page).await.assert_status(404);
    cora.submit(
        s,
        &page,
        &page,
        &[
            ("email", "bo@gent.be"),
            ("kind", "mute"),
            ("days", "7"),
            ("reason", "Herhaaldelijk kwetsend"),
        ],
    )
    .await
    .assert_status(303);
    bo.get(s, &thread).await.assert_status(200);
    let muted = reply(&app, &mut bo, &thread, "Mag ik nog?").await;
    assert_eq!(muted.status.as_u16(), 422);
    // A moderator cannot be restricted; nor can an outsider.
    let r = cora
        .submit(
            s,
            &page,
            &page,
            &[
                ("email", "cora@gent.be"),
                ("kind", "ban"),
                ("days", ""),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(r.status.as_u16(), 422);
    let r = cora
        .submit(
            s,
            &page,
            &page,
            &[
                ("email", "dirk@example.org"),
                ("kind", "ban"),
                ("days", ""),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(r.status.as_u16(), 422);

    cora.submit(
        s,
        &page,
        &page,
        &[
            ("email", "bo@gent.be"),
            ("kind", "ban"),
            ("days", ""),
            ("reason", "Bedreiging"),
        ],
    )
    .await
    .assert_status(303);
    bo.get(s, &thread).await.assert_status(404);
    bo.get(s, GENT).await.assert_status(404);

    let bo_id = set_role(&app.state, "bo@gent.be", Role::Learner);
    let lift = format!("{GENT}/restrictions/{bo_id}/lift");
    cora.submit(s, &page, &lift, &[]).await.assert_status(303);
    bo.get(s, &thread).await.assert_status(200);
    let log = cora.get(s, "/community/moderation").await;
    assert!(
        log.body.contains("Bedreiging") && log.body.contains("beperking opgeheven"),
        "{}",
        log.body
    );
}

#[actix_web::test]
async fn a_lesson_opens_one_thread_in_its_course_space() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let mut lea = registered(&app, "Lea Leerling", "lea@example.org").await;
    let mut max = registered(&app, "Max Buiten", "max@example.org").await;
    let lea_id = set_role(&app.state, "lea@example.org", Role::Learner);
    {
        let mut c = app.state.db.conn().unwrap();
        learning::enrol(&mut c, lea_id, "showcase", app.clock.now()).unwrap();
    }
    let lesson = lea.get(s, "/courses/showcase/welkom").await;
    assert!(
        lesson
            .body
            .contains("/community/course-showcase/lessons/welkom"),
        "{}",
        lesson.body
    );
    let discuss = "/community/course-showcase/lessons/welkom";
    lea.get(s, discuss).await.assert_status(200);
    max.get(s, discuss).await.assert_status(404);
    max.get(s, "/community/course-showcase")
        .await
        .assert_status(404);

    lea.submit(
        s,
        "/community/course-showcase",
        "/community/course-showcase/guidelines",
        &[],
    )
    .await
    .assert_status(303);
    let started = lea
        .submit(
            s,
            discuss,
            discuss,
            &[("body", "Wat bedoelt de les met rollen?")],
        )
        .await;
    started.assert_status(303);
    let thread = started
        .location
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .to_string();
    // The lesson's thread is the one thread: opening it again goes there.
    let again = lea.get(s, discuss).await;
    assert_eq!(again.location.as_deref(), Some(thread.as_str()));
    let space = lea.get(s, "/community/course-showcase").await;
    assert!(
        space.body.contains("Alles wat het cursusformaat kan"),
        "{}",
        space.body
    );
}

#[actix_web::test]
async fn the_api_lists_spaces_and_posts_with_the_same_rules() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let [mut an, _, _, mut dirk] = gent(&app).await;
    let csrf = an.get(s, "/community").await.csrf();
    let (status, spaces) = an
        .json(s, "GET", "/api/v1/community/spaces", None, None)
        .await;
    assert_eq!(status.as_u16(), 200);
    let names: Vec<&str> = spaces["spaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["space"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["network", "organisation-gent"]);

    let body = serde_json::json!({ "title": "Via de API", "body": "Hallo" });
    let (status, refused) = an
        .json(
            s,
            "POST",
            "/api/v1/community/spaces/organisation-gent/threads",
            Some(body.clone()),
            Some(&csrf),
        )
        .await;
    assert_eq!(status.as_u16(), 422);
    assert_eq!(refused["refusal"], "community.refused.guidelines-first");
    let (status, _) = an
        .json(
            s,
            "POST",
            "/api/v1/community/spaces/organisation-gent/guidelines",
            None,
            Some(&csrf),
        )
        .await;
    assert_eq!(status.as_u16(), 200);
    let (status, made) = an
        .json(
            s,
            "POST",
            "/api/v1/community/spaces/organisation-gent/threads",
            Some(body.clone()),
            None,
        )
        .await;
    assert_eq!(
        status.as_u16(),
        403,
        "a change needs the CSRF token: {made}"
    );
    let (status, made) = an
        .json(
            s,
            "POST",
            "/api/v1/community/spaces/organisation-gent/threads",
            Some(body),
            Some(&csrf),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{made}");
    let id = made["thread"].as_i64().unwrap();
    let (status, thread) = an
        .json(
            s,
            "GET",
            &format!("/api/v1/community/threads/{id}"),
            None,
            None,
        )
        .await;
    assert_eq!(status.as_u16(), 200);
    assert_eq!(thread["opening"]["html"], "<p>Hallo</p>\n");
    let (status, _) = dirk
        .json(
            s,
            "GET",
            &format!("/api/v1/community/threads/{id}"),
            None,
            None,
        )
        .await;
    assert_eq!(status.as_u16(), 404);
    let (status, _) = Browser::default()
        .json(s, "GET", "/api/v1/community/spaces", None, None)
        .await;
    assert_eq!(status.as_u16(), 401);
}

/// Four members on two instances (two connection pools on one database) reply
/// 25 times each to one thread at once: every reply is kept, in one order, and
/// the thread's author is told of each exactly once. On SQLite, and on
/// PostgreSQL when `LEERPAD_TEST_DATABASE_URL` is set.
#[test]
fn two_instances_replying_to_one_thread_lose_nothing() {
    use diesel::prelude::*;
    use leerpad_app::community::{Community, InSpace, ThreadInput};
    use leerpad_app::Outbox;
    use leerpad_core::community::{Moderation, SpaceKind};
    use leerpad_store::accounts::NewUser;
    use leerpad_store::community as cs;
    use leerpad_store::schema::{email_outbox, posts};

    const EACH: usize = 25;
    for t in leerpad_store::testing::TestDb::backends() {
        let now = chrono::Utc::now().naive_utc();
        let mut c = t.db.conn().unwrap();
        let org = organisations::create(&mut c, "gent", "Stad Gent", now)
            .unwrap()
            .unwrap();
        let mut members = Vec::new();
        for n in 0..5 {
            let user = accounts::create_user(
                &mut c,
                &NewUser {
                    email: &format!("lid{n}@gent.be"),
                    display_name: &format!("Lid {n}"),
                    password_hash: None,
                    role: Role::Learner,
                    language: "nl",
                    verified: true,
                },
                now,
            )
            .unwrap()
            .unwrap();
            organisations::add_member(&mut c, org.id, user.id, MemberRole::Member, None, None, now)
                .unwrap();
            members.push(user);
        }
        let community = Community {
            outbox: Outbox::new(std::sync::Arc::new(leerpad_mail::Templates::builtin())),
            base_url: "https://leerpad.example".into(),
            moderation: Moderation {
                posts_per_window: 1_000,
                ..Moderation::default()
            },
            secret: b"a test secret".to_vec(),
        };
        let kind = SpaceKind::Organisation(org.id);
        let author = members.remove(0);
        let at = InSpace::open(&mut c, &author, &kind, now).unwrap().unwrap();
        community.accept_guidelines(&mut c, &at, now).unwrap();
        let input = ThreadInput {
            title: "Drukte".into(),
            body: "Wie het eerst komt".into(),
            ..ThreadInput::default()
        };
        let started = community
            .start_thread(&mut c, &at, &input, None, now)
            .unwrap()
            .unwrap();
        for m in &members {
            let at = InSpace::open(&mut c, m, &kind, now).unwrap().unwrap();
            community.accept_guidelines(&mut c, &at, now).unwrap();
        }
        drop(c);

        let instances = [t.db.clone(), t.another_instance()];
        std::thread::scope(|s| {
            for (i, member) in members.iter().enumerate() {
                let (db, community, kind) = (&instances[i % 2], &community, &kind);
                s.spawn(move || {
                    for n in 0..EACH {
                        let mut c = db.conn().unwrap();
                        let (at, thread) =
                            InSpace::of_thread(&mut c, member, started.thread_id, now)
                                .unwrap()
                                .unwrap();
                        assert_eq!(&at.space().kind(), kind);
                        let text = format!("{} nummer {n}", member.display_name);
                        community
                            .reply(&mut c, &at, &thread, &text, now)
                            .unwrap()
                            .unwrap_or_else(|r| panic!("{}: {r:?}", t.name));
                    }
                });
            }
        });

        let mut c = t.db.conn().unwrap();
        let bodies: Vec<String> = posts::table
            .filter(posts::thread_id.eq(started.thread_id))
            .order(posts::id)
            .select(posts::body)
            .load(&mut c)
            .unwrap();
        assert_eq!(bodies.len(), 1 + members.len() * EACH, "{}", t.name);
        for m in &members {
            for n in 0..EACH {
                let text = format!("{} nummer {n}", m.display_name);
                assert_eq!(
                    bodies.iter().filter(|b| **b == text).count(),
                    1,
                    "{}: {text}",
                    t.name
                );
            }
            // Each writer's replies are in the order they wrote them.
            let own: Vec<&String> = bodies
                .iter()
                .filter(|b| b.starts_with(&m.display_name))
                .collect();
            let expected: Vec<String> = (0..EACH)
                .map(|n| format!("{} nummer {n}", m.display_name))
                .collect();
            assert_eq!(own, expected.iter().collect::<Vec<_>>(), "{}", t.name);
        }
        let told: i64 = email_outbox::table
            .filter(email_outbox::recipient.eq(&author.email))
            .filter(email_outbox::kind.eq("community-reply"))
            .count()
            .get_result(&mut c)
            .unwrap();
        assert_eq!(told as usize, members.len() * EACH, "{}", t.name);
        let (rows, _) = cs::threads_page(&mut c, at.space().id, author.id, 1).unwrap();
        assert_eq!(rows[0].replies as usize, members.len() * EACH, "{}", t.name);
    }
}

/// Search on both backends: diacritics and prefixes, hidden posts and other
/// spaces left out. On SQLite, and on PostgreSQL when `LEERPAD_TEST_DATABASE_URL`
/// is set.
#[test]
fn the_post_index_answers_on_both_databases() {
    use leerpad_core::community::{PostState, SpaceKind};
    use leerpad_core::search::SearchQuery;
    use leerpad_store::accounts::NewUser;
    use leerpad_store::community::{self as cs, NewPost, NewThread};
    for t in leerpad_store::testing::TestDb::backends() {
        let now = chrono::Utc::now().naive_utc();
        let mut c = t.db.conn().unwrap();
        let user = accounts::create_user(
            &mut c,
            &NewUser {
                email: "an@gent.be",
                display_name: "An",
                password_hash: None,
                role: Role::Trainer,
                language: "nl",
                verified: true,
            },
            now,
        )
        .unwrap()
        .unwrap();
        let network = cs::space(&mut c, &SpaceKind::Network, now).unwrap();
        let org = organisations::create(&mut c, "gent", "Stad Gent", now)
            .unwrap()
            .unwrap();
        let elsewhere = cs::space(&mut c, &SpaceKind::Organisation(org.id), now).unwrap();
        let mut post = |space: i32, body: &str, state| {
            cs::create_thread(
                &mut c,
                &NewThread {
                    space_id: space,
                    lesson_id: None,
                    title: body,
                    author_id: user.id,
                    question: false,
                    answer_first: false,
                },
                &NewPost {
                    author_id: user.id,
                    body,
                    html: "",
                    state,
                },
                now,
            )
            .unwrap()
            .1
        };
        let found_id = post(
            network.id,
            "Een wekelijks overzicht van de reacties",
            PostState::Visible,
        );
        post(network.id, "Een verborgen overzicht", PostState::Hidden);
        post(elsewhere.id, "Een overzicht elders", PostState::Visible);
        let q = |s: &str| SearchQuery::parse(s).unwrap();
        let hits = cs::search(&mut c, &q("overzicht"), &[network.id], 10).unwrap();
        assert_eq!(
            hits.iter().map(|h| h.post_id).collect::<Vec<_>>(),
            [found_id],
            "{}",
            t.name
        );
        assert!(
            hits[0].snippet.contains("overzicht"),
            "{}: {:?}",
            t.name,
            hits[0]
        );
        let prefix = cs::search(&mut c, &q("wekel"), &[network.id], 10).unwrap();
        assert_eq!(prefix.len(), 1, "{}", t.name);
        assert!(cs::search(&mut c, &q("overzicht"), &[], 10)
            .unwrap()
            .is_empty());
    }
}

#[actix_web::test]
async fn an_invited_expert_takes_part_and_a_space_can_have_its_own_guidelines() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let [mut an, _, mut cora, mut dirk] = gent(&app).await;
    let thread = start(
        &app,
        &mut an,
        GENT,
        "Vraag aan een expert",
        "Wie weet raad?",
    )
    .await;
    dirk.get(s, &thread).await.assert_status(404);
    let page = format!("{GENT}/restrictions");
    let unknown = cora
        .submit(
            s,
            &page,
            &format!("{GENT}/experts"),
            &[("email", "niemand@example.org")],
        )
        .await;
    assert_eq!(unknown.status.as_u16(), 422);
    cora.submit(
        s,
        &page,
        &format!("{GENT}/experts"),
        &[("email", "dirk@example.org")],
    )
    .await
    .assert_status(303);
    reply(&app, &mut dirk, &thread, "Als expert: begin klein.")
        .await
        .assert_status(303);
    let shown = an.get(s, &thread).await;
    assert!(
        shown.body.contains("Als expert") && shown.body.contains(">Expert</span>"),
        "{}",
        shown.body
    );
    assert!(dirk.get(s, "/community").await.body.contains("Stad Gent"));

    // Own guidelines: members accept them anew.
    cora.submit(
        s,
        &page,
        &format!("{GENT}/own-guidelines"),
        &[("guidelines", "Alleen over **Gent**.")],
    )
    .await
    .assert_status(303);
    let space = an.get(s, GENT).await;
    assert!(
        space.body.contains("Alleen over <strong>Gent</strong>."),
        "{}",
        space.body
    );
    let again = reply(&app, &mut an, &thread, "Na de nieuwe richtlijnen").await;
    assert_eq!(
        again.status.as_u16(),
        303,
        "accepted anew by the helper: {}",
        again.body
    );

    let dirk_id = set_role(&app.state, "dirk@example.org", Role::Learner);
    cora.submit(s, &page, &format!("{GENT}/experts/{dirk_id}/remove"), &[])
        .await
        .assert_status(303);
    dirk.get(s, &thread).await.assert_status(404);
}

#[actix_web::test]
async fn accepting_the_guidelines_on_a_lesson_page_comes_back_to_it_and_nowhere_else() {
    let app = test_app(|_| {}).await;
    let s = &app.service;
    let mut lea = registered(&app, "Lea Leerling", "lea@example.org").await;
    let lea_id = set_role(&app.state, "lea@example.org", Role::Learner);
    {
        let mut c = app.state.db.conn().unwrap();
        learning::enrol(&mut c, lea_id, "showcase", app.clock.now()).unwrap();
    }
    let discuss = "/community/course-showcase/lessons/welkom";
    let page = lea.get(s, discuss).await;
    page.assert_status(200);
    // Attribute values have their slashes escaped.
    let body = page.body.replace("&#x2f;", "/");
    assert!(
        body.contains("action=\"/community/course-showcase/guidelines\"")
            && body.contains(&format!("name=\"next\" value=\"{discuss}\"")),
        "the lesson's page offers the guidelines to accept, coming back here:\n{}",
        page.body
    );
    assert!(
        !page.body.contains(&format!("action=\"{discuss}\"")),
        "{}",
        page.body
    );

    // Anywhere but a lesson of this space: the space.
    for next in [
        "https://elders.example/",
        "//elders.example/community/course-showcase/lessons/welkom",
        "/community/network/lessons/welkom",
        "/community/course-showcase/lessons/welkom/../../restrictions",
    ] {
        let done = lea
            .submit(
                s,
                discuss,
                "/community/course-showcase/guidelines",
                &[("next", next)],
            )
            .await;
        done.assert_status(303);
        assert_eq!(
            done.location.as_deref(),
            Some("/community/course-showcase?notice=guidelines-accepted#new-thread"),
            "next = {next}"
        );
    }
    let done = lea
        .submit(
            s,
            discuss,
            "/community/course-showcase/guidelines",
            &[("next", discuss)],
        )
        .await;
    assert_eq!(
        done.location.as_deref(),
        Some("/community/course-showcase/lessons/welkom?notice=guidelines-accepted#lesson-body")
    );
    let page = lea.get(s, discuss).await;
    assert!(
        page.body.contains(&format!("action=\"{discuss}\"")),
        "{}",
        page.body
    );
}
