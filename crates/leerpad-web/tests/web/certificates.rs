//! The certificate as a PDF: it opens, its text says what the certificate says, and
//! its QR code holds the verification address. Read back with Debian's poppler-utils
//! (`pdftotext`, `pdftoppm`, installed by `.ci/run`) and the `rqrr` QR decoder, none
//! of which share code with what writes the PDF.

use crate::support;

use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use leerpad_store::learning::{self, NewCertificate};
use support::{registered, test_app, Browser};

const HOLDER: &str = "Zoë Çelik-Vandenbroeck";
const CODE: &str = "QRPD-F234-TEST";

/// A learner enrolled in showcase with a certificate issued on 3 December 2026.
async fn learner_with_certificate<S, B>(app: &support::TestApp<S>) -> Browser
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let b = registered(app, HOLDER, "zoe@example.org").await;
    let mut c = app.state.db.conn().unwrap();
    let user = leerpad_store::accounts::user_by_email(&mut c, "zoe@example.org")
        .unwrap()
        .unwrap();
    let issued = NaiveDate::from_ymd_opt(2026, 12, 3)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    learning::enrol(&mut c, user.id, "showcase", issued).unwrap();
    let version = leerpad_store::publish::serving_version(&mut c, "showcase")
        .unwrap()
        .unwrap();
    learning::issue_certificate(
        &mut c,
        &NewCertificate {
            code: CODE,
            user_id: user.id,
            course_id: "showcase",
            version_id: version,
            holder_name: HOLDER,
            title: "Cursusformaat verkend",
            expires_at: issued.checked_add_months(chrono::Months::new(12)),
        },
        issued,
    )
    .unwrap();
    b
}

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run {cmd:?} ({e}): install poppler-utils (apt-get install poppler-utils)")
    });
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The PDF's text as poppler reads it, white space collapsed.
fn pdf_text(pdf: &Path) -> String {
    let text = run(Command::new("pdftotext")
        .arg("-enc")
        .arg("UTF-8")
        .arg(pdf)
        .arg("-"));
    String::from_utf8(text)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// (pages, page size) as poppler reports them.
fn pdf_info(pdf: &Path) -> String {
    String::from_utf8(run(Command::new("pdfinfo").arg(pdf))).unwrap()
}

/// Every QR code on the first page, rendered in greyscale at 150 dpi.
fn qr_codes(pdf: &Path, dir: &Path) -> Vec<String> {
    let stem = dir.join("page");
    run(Command::new("pdftoppm")
        .args(["-gray", "-r", "150", "-f", "1", "-l", "1", "-singlefile"])
        .arg(pdf)
        .arg(&stem));
    let pgm = std::fs::read(dir.join("page.pgm")).unwrap();
    let (w, h, pixels) = parse_pgm(&pgm);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    image
        .detect_grids()
        .into_iter()
        .map(|g| g.decode().expect("a readable QR code").1)
        .collect()
}

/// A binary (P5) greyscale PGM with 8-bit samples: (width, height, pixels).
fn parse_pgm(bytes: &[u8]) -> (usize, usize, &[u8]) {
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes[i] == b'#' {
            while bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        while !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(std::str::from_utf8(&bytes[start..i]).unwrap().to_string());
    }
    assert_eq!(fields[0], "P5", "a binary greyscale image");
    assert_eq!(fields[3], "255", "8-bit samples");
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let pixels = &bytes[i + 1..];
    assert_eq!(pixels.len(), w * h);
    (w, h, pixels)
}

#[actix_web::test]
async fn the_certificate_pdf_says_who_did_what_and_where_to_check_it() {
    let app = test_app(|_| {}).await;
    let mut b = learner_with_certificate(&app).await;

    let page = b.get(&app.service, "/courses/showcase/certificate").await;
    page.assert_status(200);
    assert!(
        page.body
            .contains("href=\"/courses/showcase/certificate.pdf\""),
        "the certificate page links to the PDF: {}",
        page.body
    );
    assert!(page.body.contains("Studietijd: 20 minuten"));

    let res = b
        .get(&app.service, "/courses/showcase/certificate.pdf")
        .await;
    res.assert_status(200);
    assert_eq!(
        res.headers.get("content-type").unwrap().to_str().unwrap(),
        "application/pdf"
    );
    assert_eq!(
        res.headers
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap(),
        format!("attachment; filename=\"certificaat-{CODE}.pdf\"")
    );
    assert!(res.bytes.starts_with(b"%PDF-"));

    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("certificaat.pdf");
    std::fs::write(&pdf, &res.bytes).unwrap();

    let info = pdf_info(&pdf);
    assert!(info.contains("Pages:           1"), "{info}");
    assert!(info.contains("(A4)"), "an A4 page: {info}");

    let text = pdf_text(&pdf);
    let verify_url = format!("http://127.0.0.1:8080/certificates/{CODE}");
    for wanted in [
        "CERTIFICAAT",
        "Cursusformaat verkend",
        HOLDER,
        "Alles wat het cursusformaat kan",
        "Studietijd: 20 minuten",
        "Datum: 3 december 2026",
        "Geldig tot: 3 december 2027",
        "Uitgereikt door: Leerpad",
        verify_url.as_str(),
        CODE,
    ] {
        assert!(
            text.contains(wanted),
            "the PDF's text has no `{wanted}`: {text}"
        );
    }

    assert_eq!(qr_codes(&pdf, dir.path()), [verify_url]);

    // The verification address works, for anyone.
    let check = Browser::default()
        .get(&app.service, &format!("/certificates/{CODE}"))
        .await;
    check.assert_status(200);
    assert!(check.body.contains(HOLDER));
}

#[actix_web::test]
async fn only_the_holder_downloads_the_certificate_pdf() {
    let app = test_app(|_| {}).await;
    learner_with_certificate(&app).await;
    let mut other = registered(&app, "Ander", "ander@example.org").await;
    other
        .get(&app.service, "/courses/showcase/certificate.pdf")
        .await
        .assert_status(404);
    let anonymous = Browser::default()
        .get(&app.service, "/courses/showcase/certificate.pdf")
        .await;
    assert_eq!(anonymous.status.as_u16(), 303, "to the sign-in page");
}
