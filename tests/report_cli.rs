//! `leerpad report` as a process: the same rows and files as the dashboard's
//! downloads, and clear errors for a wrong organisation, filter or format.

use std::path::Path;
use std::process::{Command, Output};

use chrono::Utc;
use leerpad_core::Role;
use leerpad_store::accounts::{self, NewUser};
use leerpad_store::organisations::{self, MemberRole};
use leerpad_store::Db;

fn leerpad(args: &[&str], database: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leerpad"))
        .args(args)
        .arg("--database")
        .arg(database)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("leerpad runs")
}

/// A database with the showcase course, and organisation `gent` whose two members
/// are assigned it: one invited, one who accepted.
fn database(dir: &Path) -> String {
    let url = dir.join("leerpad.db").to_string_lossy().into_owned();
    let published = leerpad(&["publish", "tests/fixtures/valid/showcase"], &url);
    assert!(published.status.success(), "{published:?}");
    let db = Db::open(&url).unwrap();
    let mut c = db.conn().unwrap();
    let now = Utc::now().naive_utc();
    let org = organisations::create(&mut c, "gent", "Stad Gent", now)
        .unwrap()
        .unwrap();
    let group = organisations::group_named(&mut c, org.id, "Burgerzaken", now).unwrap();
    for (email, name, verified) in [
        ("an@gent.be", "An Peeters", false),
        ("bert@gent.be", "=Bert", true),
    ] {
        let user = accounts::create_user(
            &mut c,
            &NewUser {
                email,
                display_name: name,
                password_hash: None,
                role: Role::Learner,
                language: "nl",
                verified,
            },
            now,
        )
        .unwrap()
        .unwrap();
        organisations::add_member(
            &mut c,
            org.id,
            user.id,
            MemberRole::Member,
            Some(group.id),
            None,
            now,
        )
        .unwrap();
    }
    organisations::assign(&mut c, org.id, None, "showcase", None, None, now).unwrap();
    url
}

#[test]
fn exports_the_report_with_filters_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let url = database(dir.path());

    let all = leerpad(
        &[
            "report",
            "--organisation",
            "gent",
            "--delimiter",
            "semicolon",
        ],
        &url,
    );
    assert!(
        all.status.success(),
        "{}",
        String::from_utf8_lossy(&all.stderr)
    );
    assert!(all.stdout.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with a BOM");
    let text = String::from_utf8_lossy(&all.stdout[3..]).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "a header and two rows:\n{text}");
    assert!(lines[0].starts_with("Naam;E-mail;Groep"), "{}", lines[0]);
    assert!(text.contains("an@gent.be") && text.contains("uitgenodigd"));
    assert!(
        text.contains("'=Bert"),
        "a formula-like name is neutralised:\n{text}"
    );

    let invited = leerpad(
        &[
            "report",
            "-o",
            "gent",
            "--status",
            "invited",
            "--group",
            "Burgerzaken",
            "--lang",
            "en",
        ],
        &url,
    );
    let text = String::from_utf8_lossy(&invited.stdout).into_owned();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("Name,Email") && text.contains("invited") && !text.contains("bert@"));

    let xlsx = dir.path().join("report.xlsx");
    let out = leerpad(
        &[
            "report",
            "-o",
            "gent",
            "--format",
            "xlsx",
            "--output",
            xlsx.to_str().unwrap(),
        ],
        &url,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));

    let json = leerpad(
        &[
            "report", "-o", "gent", "--format", "json", "--sort", "name", "--desc",
        ],
        &url,
    );
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let names: Vec<&str> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["An Peeters", "=Bert"],
        "descending by name, ignoring case"
    );
    assert_eq!(v["totals"][0]["enrolled"], 2);
}

#[test]
fn wrong_arguments_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let url = database(dir.path());
    for (args, says) in [
        (vec!["report", "-o", "brugge"], "no organisation `brugge`"),
        (
            vec!["report", "-o", "gent", "--status", "klaar"],
            "unknown status `klaar`",
        ),
        (
            vec!["report", "-o", "gent", "--group", "Welzijn"],
            "no group `Welzijn`",
        ),
        (
            vec!["report", "-o", "gent", "--from", "31/12/2026"],
            "not a date",
        ),
        (
            vec!["report", "-o", "gent", "--format", "pdf"],
            "unknown format `pdf`",
        ),
        (
            vec!["report", "-o", "gent", "--delimiter", "tab"],
            "unknown delimiter `tab`",
        ),
    ] {
        let out = leerpad(&args, &url);
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    // A failed export leaves no file behind under the name asked for.
    let target = dir.path().join("report.csv");
    let out = leerpad(
        &[
            "report",
            "-o",
            "gent",
            "--status",
            "klaar",
            "--output",
            target.to_str().unwrap(),
        ],
        &url,
    );
    assert!(!out.status.success());
    assert!(!target.exists());
}
