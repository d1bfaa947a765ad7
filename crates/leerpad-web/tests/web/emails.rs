//! The emails people get, as the flows queue them and the outbox worker renders
//! them, kept as snapshots: wording, links and layout change only by a reviewed
//! change (`cargo insta review`). One-time tokens are replaced by `[token]`.

use crate::support::{self, last_email, test_app, Browser};

use leerpad_store::outbox::StoredMessage;

/// The message as a reader sees it, with what differs per run made stable.
fn readable(kind: &str, m: &StoredMessage) -> String {
    let token = regex::Regex::new(r"token=[A-Za-z0-9_\-]{16,}").unwrap();
    let mut out = format!("kind: {kind}\nsubject: {}\n", m.subject);
    for (name, value) in &m.headers {
        out.push_str(&format!("{name}: {value}\n"));
    }
    out.push_str("--- text\n");
    out.push_str(&m.text);
    if let Some(html) = &m.html {
        out.push_str("--- html\n");
        out.push_str(html);
    }
    token.replace_all(&out, "token=[token]").into_owned()
}

fn snapshot_of(state: &leerpad_web::AppState, recipient: &str, kind: &str) -> String {
    let (got, m) =
        last_email(state, recipient).unwrap_or_else(|| panic!("no email to {recipient}"));
    assert_eq!(got, kind, "the last email to {recipient}");
    readable(&got, &m)
}

#[actix_web::test]
async fn the_emails_of_accounts_and_organisations_read_as_before() {
    let app = test_app(|_| {}).await;
    let s = &app.service;

    // Registering: the address is confirmed by a link.
    let mut admin = support::registered(&app, "Ada Beheer", "ada@example.org").await;
    insta::assert_snapshot!(
        "email_verify",
        snapshot_of(&app.state, "ada@example.org", "verify-email")
    );
    support::set_role(&app.state, "ada@example.org", leerpad_core::Role::Admin);

    // A sign-in link and a password reset, asked for by someone not signed in.
    let mut anon = Browser::default();
    anon.submit(
        s,
        "/auth/sign-in",
        "/auth/link",
        &[("email", "ada@example.org")],
    )
    .await
    .assert_status(303);
    insta::assert_snapshot!(
        "email_magic_link",
        snapshot_of(&app.state, "ada@example.org", "magic-link")
    );
    anon.submit(
        s,
        "/auth/reset",
        "/auth/reset",
        &[("email", "ada@example.org")],
    )
    .await
    .assert_status(303);
    insta::assert_snapshot!(
        "email_password_reset",
        snapshot_of(&app.state, "ada@example.org", "password-reset")
    );

    // An organisation with a new coordinator: an invitation naming the
    // organisation, the role and the address.
    admin
        .submit(
            s,
            "/organisations",
            "/organisations",
            &[
                ("name", "Stad Gent"),
                ("slug", "gent"),
                ("coordinator_name", "Cora Coördinator"),
                ("coordinator_email", "cora@gent.example"),
            ],
        )
        .await
        .assert_status(303);
    insta::assert_snapshot!(
        "email_invitation_coordinator",
        snapshot_of(&app.state, "cora@gent.example", "invitation")
    );
    let mut cora = support::accept_invitation_as(&app, "cora@gent.example", "Cora").await;

    // A member invited who has no account yet, and one who has: the second is
    // asked to join.
    cora.submit(
        s,
        "/organisations/gent/members",
        "/organisations/gent/members",
        &[
            ("name", "Nina Nieuw"),
            ("email", "nina@gent.example"),
            ("group", ""),
            ("role", "member"),
        ],
    )
    .await
    .assert_status(303);
    insta::assert_snapshot!(
        "email_invitation_member",
        snapshot_of(&app.state, "nina@gent.example", "invitation")
    );
    let _bo = support::registered(&app, "Bo Bestaand", "bo@example.org").await;
    cora.submit(
        s,
        "/organisations/gent/members",
        "/organisations/gent/members",
        &[
            ("name", "Bo"),
            ("email", "bo@example.org"),
            ("group", ""),
            ("role", "member"),
        ],
    )
    .await
    .assert_status(303);
    insta::assert_snapshot!(
        "email_join_request",
        snapshot_of(&app.state, "bo@example.org", "join-request")
    );
}
