//! Sending over a real SMTP conversation with the test server, and the files
//! transport.

use std::time::Duration;

use leerpad_mail::testing::SmtpServer;
use leerpad_mail::{Mailer, Security, SendError, StoredMessage, Transport};

const WAIT: Duration = Duration::from_secs(10);

fn message() -> StoredMessage {
    StoredMessage {
        subject: "Je voortgang — week 3".into(),
        text: "Dag An,\n\nJe bent goed bezig.\n.Deze regel begint met een punt.\n.\nEinde.\n"
            .into(),
        html: Some("<p>Dag An,</p><p>Je bent <strong>goed</strong> bezig.</p>".into()),
        headers: vec![
            (
                "List-Unsubscribe".into(),
                "<https://leerpad.example/u/abc123>".into(),
            ),
            (
                "List-Unsubscribe-Post".into(),
                "List-Unsubscribe=One-Click".into(),
            ),
        ],
    }
}

#[tokio::test]
async fn a_multipart_email_arrives_with_its_headers() {
    let server = SmtpServer::start().await;
    let mailer = Mailer::new(&server.transport()).unwrap();
    mailer
        .send("An Peeters <an@example.org>", &message())
        .await
        .unwrap();

    let got = server.wait_for(1, WAIT).await;
    let m = &got[0];
    assert_eq!(m.mail_from, "leerpad@example.org");
    assert_eq!(m.rcpt_to, ["an@example.org"]);
    assert_eq!(m.subject.as_deref(), Some("Je voortgang — week 3"));
    assert!(m.header("From").unwrap().contains("leerpad@example.org"));
    assert!(m.header("To").unwrap().contains("an@example.org"));
    assert!(m.header("Message-ID").is_some());
    assert!(m.header("Date").is_some());
    assert!(m
        .header("Content-Type")
        .unwrap()
        .starts_with("multipart/alternative"));
    assert_eq!(
        m.header("List-Unsubscribe"),
        Some("<https://leerpad.example/u/abc123>")
    );
    assert_eq!(
        m.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    // Dot-stuffed by the client, unstuffed by the server.
    let text = m.text.as_deref().unwrap().replace("\r\n", "\n");
    assert_eq!(text, message().text);
    assert!(m.html.as_deref().unwrap().contains("<strong>goed</strong>"));

    // A second email reuses the pooled connection and arrives too.
    mailer.send("bo@example.org", &message()).await.unwrap();
    let got = server.wait_for(2, WAIT).await;
    assert_eq!(got[1].rcpt_to, ["bo@example.org"]);
}

#[tokio::test]
async fn a_text_only_email_is_a_single_part() {
    let server = SmtpServer::start().await;
    let mailer = Mailer::new(&server.transport()).unwrap();
    let msg = StoredMessage {
        html: None,
        headers: Vec::new(),
        ..message()
    };
    mailer.send("an@example.org", &msg).await.unwrap();
    let m = &server.wait_for(1, WAIT).await[0];
    assert!(m.header("Content-Type").unwrap().starts_with("text/plain"));
    assert_eq!(m.html, None);
}

#[tokio::test]
async fn credentials_are_used_when_configured() {
    let server = SmtpServer::start().await;
    let Transport::Smtp { host, port, .. } = server.transport() else {
        unreachable!()
    };
    let transport = Transport::Smtp {
        host,
        port,
        security: Security::None,
        username: Some("leerpad".into()),
        password: Some("geheim".into()),
        from: "leerpad@example.org".into(),
    };
    Mailer::new(&transport)
        .unwrap()
        .send("an@example.org", &message())
        .await
        .unwrap();
    server.wait_for(1, WAIT).await;
    assert_eq!(
        server.credentials(),
        [("leerpad".to_string(), "geheim".to_string())]
    );
}

#[tokio::test]
async fn failures_are_told_apart() {
    let server = SmtpServer::start().await;
    let mailer = Mailer::new(&server.transport()).unwrap();

    server.reject_recipient("weg@example.org");
    let e = mailer
        .send("weg@example.org", &message())
        .await
        .unwrap_err();
    assert_eq!(e.smtp_code(), Some(550), "{e}");
    assert!(!e.is_transient(), "{e}");
    assert!(!e.is_server_failure(), "{e}");

    server.fail_temporarily(true);
    let e = mailer.send("an@example.org", &message()).await.unwrap_err();
    assert_eq!(e.smtp_code(), Some(451), "{e}");
    assert!(e.is_transient(), "{e}");
    server.fail_temporarily(false);

    let e = mailer.send("geen adres", &message()).await.unwrap_err();
    assert!(matches!(e, SendError::InvalidAddress { .. }), "{e}");
    assert!(!e.is_transient());

    server.stop().await;
    let e = mailer.send("an@example.org", &message()).await.unwrap_err();
    assert!(e.is_transient(), "{e}");
    assert!(e.is_server_failure(), "{e}");
    assert_eq!(e.smtp_code(), None);

    server.restart().await;
    mailer.send("an@example.org", &message()).await.unwrap();
    let got = server.wait_for(1, WAIT).await;
    assert_eq!(got.len(), 1, "only the last email was accepted");
}

#[tokio::test]
async fn the_files_transport_writes_one_eml_per_email() {
    let dir = tempfile::tempdir().unwrap();
    let mail_dir = dir.path().join("mail");
    let mailer = Mailer::new(&Transport::Files {
        dir: mail_dir.clone(),
        from: "Leerpad <leerpad@example.org>".into(),
    })
    .unwrap();
    assert!(mailer.describe().contains("files in"));
    mailer.send("an@example.org", &message()).await.unwrap();
    mailer.send("bo@example.org", &message()).await.unwrap();

    let mut files: Vec<_> = std::fs::read_dir(&mail_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files.iter().all(|p| p.extension().unwrap() == "eml"));
    let first = std::fs::read_to_string(&files[0]).unwrap();
    assert!(first.contains("To: an@example.org"), "{first}");
    assert!(first.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    assert!(first.contains("multipart/alternative"));
    let second = std::fs::read_to_string(&files[1]).unwrap();
    assert!(second.contains("To: bo@example.org"), "{second}");
}

#[test]
fn bad_configuration_is_refused_at_start() {
    let bad_from = Transport::Files {
        dir: std::env::temp_dir(),
        from: "niet geldig".into(),
    };
    assert!(Mailer::new(&bad_from).is_err());
    let half_credentials = Transport::Smtp {
        host: "smtp.example.org".into(),
        port: None,
        security: Security::Starttls,
        username: Some("u".into()),
        password: None,
        from: "a@example.org".into(),
    };
    assert!(Mailer::new(&half_credentials).is_err());
}
