//! `leerpad check` and `leerpad compile` as a trainer runs them.

use std::path::Path;
use std::process::{Command, Output};

fn leerpad(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leerpad"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .output()
        .expect("leerpad runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_valid_course_checks_clean() {
    let out = leerpad(&["check", "tests/fixtures/valid/showcase"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("0 error(s), 0 warning(s)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_bundled_courses_check_without_warnings() {
    let out = leerpad(&["check", "--deny-warnings", "courses"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn every_problem_of_an_invalid_course_is_reported_as_json() {
    let out = leerpad(&[
        "check",
        "--format",
        "json",
        "tests/fixtures/invalid/many-problems",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    insta::assert_json_snapshot!("many-problems", lines);
}

#[test]
fn human_output_names_file_line_and_hint_without_colour_when_piped() {
    let out = leerpad(&["check", "tests/fixtures/invalid/many-problems"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    assert!(
        text.contains("error[unknown-field]: unknown field `titel`"),
        "{text}"
    );
    assert!(
        text.contains("tests/fixtures/invalid/many-problems/course.yaml:2:1"),
        "{text}"
    );
    assert!(text.contains("did you mean `title`?"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "no colour codes when not on a terminal"
    );
}

#[test]
fn course_ids_are_unique_across_courses() {
    let out = leerpad(&[
        "check",
        "--format",
        "json",
        "tests/fixtures/invalid/duplicate-course-id",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"code\":\"duplicate-id\""), "{text}");
    assert!(
        text.contains("duplicate-course-id/twee/course.yaml"),
        "{text}"
    );
}

#[test]
fn a_missing_path_is_an_error() {
    let out = leerpad(&["check", "tests/fixtures/does-not-exist"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no such file or folder"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn compiling_twice_gives_identical_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for out in [&a, &b] {
        let o = leerpad(&[
            "compile",
            "courses",
            "tests/fixtures/valid/showcase",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let files: Vec<_> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(files.len() >= 2, "{files:?}");
    for f in files {
        let (x, y) = (
            std::fs::read(a.join(&f)).unwrap(),
            std::fs::read(b.join(&f)).unwrap(),
        );
        assert!(x == y, "{f:?} differs between runs");
    }
}

#[test]
fn compile_refuses_to_write_a_course_with_errors() {
    let dir = tempfile::tempdir().unwrap();
    let o = leerpad(&[
        "compile",
        "tests/fixtures/invalid/many-problems",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!Path::new(&dir.path().join("many-problems.json")).exists());
}
