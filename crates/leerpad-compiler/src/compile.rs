//! A course folder to a compiled [`Course`]: discovery, modules, items, ids, assets.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use leerpad_core::{
    Asset, CertificateSpec, CompletionRule, Course, Id, Item, ItemBody, Language, Lesson, Module,
    NudgeKind, NudgeRule, SourceRef,
};

use crate::diagnostic::{Diagnostic, Diagnostics, Position};
use crate::guess;
use crate::ids::IdScope;
use crate::markdown::{render_fragment, render_lesson, FileContext, LinkContext, Rendered};
use crate::quiz::build_quiz;
use crate::scenario::build_scenario;
use crate::schema::{
    RawCertificate, RawCourse, RawLessonMeta, RawModule, RawNudge, RawNudgeRule, RawQuiz,
    RawScenario,
};
use crate::source::{SourceFile, SourceTree, ASSETS_DIR};
use crate::yaml::{YPath, YamlDoc};

pub const COURSE_FILE: &str = "course.yaml";
pub const MODULE_FILE: &str = "module.yaml";
const QUIZ_SUFFIX: &str = ".quiz.yaml";
/// Item pages live at `/courses/<course>/<item>`, next to these pages of the course.
const RESERVED_ITEM_IDS: &[&str] = &["certificate", "action-plan", "enrol"];
const SCENARIO_SUFFIX: &str = ".scenario.yaml";

/// The result of compiling one or more courses.
#[derive(Debug, Default)]
pub struct Compiled {
    /// Courses without errors, in the order they were found.
    pub courses: Vec<Course>,
    /// The folder each of `courses` was read from (for its assets).
    pub sources: Vec<PathBuf>,
    pub diagnostics: Diagnostics,
}

/// Finds the course folders named by `paths`: each path is a course folder, a
/// `course.yaml`, or a folder of course folders.
pub fn discover(paths: &[PathBuf], diags: &mut Diagnostics) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for path in paths {
        if path.is_file() && path.file_name().is_some_and(|n| n == COURSE_FILE) {
            found.push(path.parent().map(Path::to_path_buf).unwrap_or_default());
        } else if path.join(COURSE_FILE).is_file() {
            found.push(path.clone());
        } else if path.is_dir() {
            let mut children: Vec<PathBuf> = match std::fs::read_dir(path) {
                Ok(rd) => rd
                    .filter_map(Result::ok)
                    .filter(|e| !e.file_name().to_string_lossy().starts_with(['.', '_']))
                    .map(|e| e.path())
                    .filter(|p| p.join(COURSE_FILE).is_file())
                    .collect(),
                Err(e) => {
                    diags.push(Diagnostic::error(
                        "io",
                        path,
                        Position::START,
                        format!("cannot read folder: {e}"),
                    ));
                    continue;
                }
            };
            children.sort();
            if children.is_empty() {
                diags.push(
                    Diagnostic::error("missing-course-yaml", path, Position::START, "no course here: neither this folder nor its sub-folders have a course.yaml")
                        .with_hint("a course is a folder with a course.yaml; see docs/course-format.md"),
                );
            }
            found.extend(children);
        } else {
            diags.push(Diagnostic::error(
                "io",
                path,
                Position::START,
                "no such file or folder",
            ));
        }
    }
    found
}

/// Reads and compiles every course under `paths`.
pub fn compile_paths(paths: &[PathBuf]) -> Compiled {
    let mut out = Compiled::default();
    let dirs = discover(paths, &mut out.diagnostics);
    let mut course_ids = IdScope::default();
    for dir in dirs {
        let tree = match SourceTree::read(&dir) {
            Ok(t) => t,
            Err(e) => {
                out.diagnostics.push(Diagnostic::error(
                    "io",
                    &dir,
                    Position::START,
                    format!("cannot read course folder: {e}"),
                ));
                continue;
            }
        };
        let (course, diags) = compile_tree(&tree);
        out.diagnostics.extend(diags);
        if let Some(course) = course {
            let file = tree.display_path(COURSE_FILE);
            if course_ids.claim(
                &course.id,
                &file,
                Position::START,
                "all courses",
                &mut out.diagnostics,
            ) {
                out.courses.push(course);
                out.sources.push(dir.clone());
            }
        }
    }
    out.diagnostics.sort();
    out
}

/// Compiles one course from its sources. Returns the course only if there were no
/// errors; the diagnostics hold every problem found.
pub fn compile_tree(tree: &SourceTree) -> (Option<Course>, Diagnostics) {
    let mut diags = Diagnostics::default();
    for (rel, why) in &tree.unreadable {
        diags.push(Diagnostic::error(
            "io",
            &tree.display_path(rel),
            Position::START,
            format!("cannot read: {why}"),
        ));
    }

    // course.yaml
    let course_file = tree.display_path(COURSE_FILE);
    let course_text = text_of(tree, COURSE_FILE, &mut diags);
    if course_text.is_none() && !tree.contains(COURSE_FILE) {
        diags.push(
            Diagnostic::error(
                "missing-course-yaml",
                &tree.root,
                Position::START,
                "this course folder has no course.yaml",
            )
            .with_hint("add a course.yaml with id, title, language, summary and duration_minutes"),
        );
    }
    let course_doc =
        course_text.and_then(|t| YamlDoc::parse(&course_file, t, Position::START, &mut diags));
    let raw_course: Option<RawCourse> = course_doc.as_ref().and_then(|d| d.deserialize(&mut diags));
    // Without a valid course.yaml, go on checking the rest under a stand-in id.
    let course_id = raw_course
        .as_ref()
        .map_or_else(|| Id::new("course").expect("valid id"), |c| c.id.clone());
    let language = raw_course.as_ref().map_or(Language::Nl, |c| c.language);

    // Structure: modules and their item files.
    let mut modules = Vec::new();
    for (name, is_dir) in ordered(tree, "", &mut diags) {
        if name == ASSETS_DIR && is_dir {
            continue;
        }
        if !is_dir {
            if name != COURSE_FILE && !is_readme(&name) {
                diags.push(ignored(
                    tree,
                    &name,
                    "only course.yaml, module folders and assets/ belong in a course folder",
                ));
            }
            continue;
        }
        modules.push(read_module(tree, &name, &mut diags));
    }

    // Every item's source path and id, so lessons can link to each other.
    let mut ids = IdScope::new(&tree.root);
    let mut item_paths = BTreeMap::new();
    for module in &modules {
        if let (Some(raw), Some(doc)) = (&module.raw, &module.doc) {
            ids.claim(
                &raw.id,
                &module.file,
                doc.pos(&YPath::root().key("id")),
                "a course",
                &mut diags,
            );
        }
        for item in &module.items {
            if let Some((id, pos)) = item.parsed.as_ref().and_then(ParsedItem::id_and_pos) {
                ids.claim(id, &item.file, pos, "a course", &mut diags);
                if RESERVED_ITEM_IDS.contains(&id.as_str()) {
                    diags.push(
                        Diagnostic::error(
                            "reserved-id",
                            &item.file,
                            pos,
                            format!("`{id}` is reserved for a page of every course"),
                        )
                        .with_hint(format!("choose another id, e.g. `{id}-1`")),
                    );
                }
                item_paths.insert(item.rel.clone(), id.clone());
            }
        }
    }

    let link = LinkContext {
        course: &course_id,
        language,
        tree,
        items: &item_paths,
    };
    let mut used_assets = BTreeSet::new();
    let module_count = modules.len();
    let mut built_modules = Vec::new();
    let mut tally = guess::Tally::default();
    for module in modules {
        let mut items = Vec::new();
        for item in module.items {
            let file = FileContext {
                link: &link,
                rel: &item.rel,
                display: &item.file,
            };
            let Some(parsed) = item.parsed else { continue };
            let mut rendered = Rendered::default();
            let built = build_item(parsed, &file, &mut ids, &mut tally, &mut rendered);
            used_assets.append(&mut rendered.assets);
            diags.extend(rendered.diagnostics);
            items.extend(built);
        }
        let (Some(raw), Some(doc)) = (module.raw, module.doc) else {
            continue;
        };
        if items.is_empty() && module.item_files == 0 {
            diags.push(
                doc.error(
                    "empty-module",
                    &YPath::root(),
                    format!("module `{}` has no lessons, quizzes or scenarios", raw.id),
                )
                .with_hint("add files such as 01-introduction.md next to module.yaml"),
            );
        }
        built_modules.push(Module {
            id: raw.id,
            title: raw.title,
            summary: raw.summary,
            objectives: raw.objectives,
            items,
            content_hash: Default::default(),
        });
    }
    if module_count == 0 && course_doc.is_some() {
        diags.push(
            Diagnostic::error(
                "empty-module",
                &course_file,
                Position::START,
                "this course has no modules",
            )
            .with_hint("add a module folder such as 01-introduction/ with a module.yaml"),
        );
    }

    if let (Some(raw), Some(doc)) = (&raw_course, &course_doc) {
        guess::check_course(raw, doc, &tally, &mut diags);
    }

    // Course-level fields that need the rest: nudges, sources, certificate, assets.
    let course_link = FileContext {
        link: &link,
        rel: COURSE_FILE,
        display: &course_file,
    };
    let mut rendered = Rendered::default();
    let course = match (raw_course, course_doc) {
        (Some(raw), Some(doc)) => {
            finish_course(raw, &doc, built_modules, &course_link, &mut rendered)
        }
        _ => None,
    };
    used_assets.append(&mut rendered.assets);
    diags.extend(rendered.diagnostics);
    let assets = collect_assets(tree, &used_assets, &mut diags);

    let course = course.map(|mut c| {
        c.assets = assets;
        c.seal();
        c
    });
    diags.sort();
    if diags.has_errors() {
        (None, diags)
    } else {
        (course, diags)
    }
}

struct ModuleSource<'t> {
    file: PathBuf,
    doc: Option<YamlDoc<'t>>,
    raw: Option<RawModule>,
    items: Vec<ItemSource<'t>>,
    item_files: usize,
}

struct ItemSource<'t> {
    rel: String,
    file: PathBuf,
    parsed: Option<ParsedItem<'t>>,
}

enum ParsedItem<'t> {
    Lesson {
        /// `None` when the front matter has errors; the body is still checked.
        meta: Option<RawLessonMeta>,
        id_pos: Position,
        body: &'t str,
        body_origin: Position,
    },
    Quiz(RawQuiz, YamlDoc<'t>),
    Scenario(RawScenario, YamlDoc<'t>),
}

impl ParsedItem<'_> {
    fn id_and_pos(&self) -> Option<(&Id, Position)> {
        let at = |doc: &YamlDoc<'_>| doc.pos(&YPath::root().key("id"));
        match self {
            ParsedItem::Lesson { meta, id_pos, .. } => meta.as_ref().map(|m| (&m.id, *id_pos)),
            ParsedItem::Quiz(raw, doc) => Some((&raw.id, at(doc))),
            ParsedItem::Scenario(raw, doc) => Some((&raw.id, at(doc))),
        }
    }
}

fn read_module<'t>(tree: &'t SourceTree, dir: &str, diags: &mut Diagnostics) -> ModuleSource<'t> {
    let rel = format!("{dir}/{MODULE_FILE}");
    let file = tree.display_path(&rel);
    let doc = match text_of(tree, &rel, diags) {
        Some(text) => YamlDoc::parse(&file, text, Position::START, diags),
        None => {
            if !tree.contains(&rel) {
                diags.push(
                    Diagnostic::error("missing-module-yaml", &tree.display_path(dir), Position::START, format!("module folder `{dir}` has no module.yaml"))
                        .with_hint("add a module.yaml with `id` and `title`, or start the folder name with `_` to leave it out"),
                );
            }
            None
        }
    };
    let raw = doc.as_ref().and_then(|d| d.deserialize::<RawModule>(diags));
    let mut items = Vec::new();
    let mut item_files = 0;
    for (name, is_dir) in ordered(tree, dir, diags) {
        let rel = format!("{dir}/{name}");
        if is_dir {
            diags.push(ignored(
                tree,
                &rel,
                "modules do not nest; folders inside a module are not read",
            ));
            continue;
        }
        if name == MODULE_FILE {
            continue;
        }
        let kind = if name.ends_with(QUIZ_SUFFIX) {
            ItemFile::Quiz
        } else if name.ends_with(SCENARIO_SUFFIX) {
            ItemFile::Scenario
        } else if name.ends_with(".md") && !is_readme(&name) {
            ItemFile::Lesson
        } else {
            if !is_readme(&name) {
                diags.push(ignored(tree, &rel, "a module holds lessons (.md), quizzes (.quiz.yaml) and scenarios (.scenario.yaml)"));
            }
            continue;
        };
        item_files += 1;
        let file = tree.display_path(&rel);
        let parsed =
            text_of(tree, &rel, diags).and_then(|text| parse_item(kind, &file, text, diags));
        items.push(ItemSource { rel, file, parsed });
    }
    ModuleSource {
        file,
        doc,
        raw,
        items,
        item_files,
    }
}

#[derive(Clone, Copy)]
enum ItemFile {
    Lesson,
    Quiz,
    Scenario,
}

fn parse_item<'t>(
    kind: ItemFile,
    file: &Path,
    text: &'t str,
    diags: &mut Diagnostics,
) -> Option<ParsedItem<'t>> {
    match kind {
        ItemFile::Lesson => {
            let (front, front_origin, body, body_origin) = split_front_matter(file, text, diags)?;
            // A lesson whose front matter has errors still has its body checked.
            let doc = YamlDoc::parse(file, front, front_origin, diags);
            let meta: Option<RawLessonMeta> = doc.as_ref().and_then(|d| d.deserialize(diags));
            let id_pos = doc
                .as_ref()
                .map_or(front_origin, |d| d.pos(&YPath::root().key("id")));
            Some(ParsedItem::Lesson {
                meta,
                id_pos,
                body,
                body_origin,
            })
        }
        ItemFile::Quiz => {
            let doc = YamlDoc::parse(file, text, Position::START, diags)?;
            let raw = doc.deserialize(diags)?;
            Some(ParsedItem::Quiz(raw, doc))
        }
        ItemFile::Scenario => {
            let doc = YamlDoc::parse(file, text, Position::START, diags)?;
            let raw = doc.deserialize(diags)?;
            Some(ParsedItem::Scenario(raw, doc))
        }
    }
}

/// Splits `---` front matter from a lesson: (front, its origin, body, its origin).
fn split_front_matter<'t>(
    file: &Path,
    text: &'t str,
    diags: &mut Diagnostics,
) -> Option<(&'t str, Position, &'t str, Position)> {
    let missing = |diags: &mut Diagnostics, msg: &str| {
        diags.push(
            Diagnostic::error(
                "missing-front-matter",
                file,
                Position::START,
                msg.to_string(),
            )
            .with_hint(
                "start the lesson with a block like:\n---\nid: my-lesson\ntitle: My lesson\n---",
            ),
        );
    };
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        missing(diags, "a lesson must start with `---` front matter");
        return None;
    }
    let front_start = first.len();
    let mut offset = front_start;
    for (n, line) in lines.enumerate() {
        if matches!(line.trim_end(), "---" | "...") {
            let front = &text[front_start..offset];
            let body_start = offset + line.len();
            return Some((
                front,
                Position::new(2, 1),
                &text[body_start..],
                Position::new(n + 3, 1),
            ));
        }
        offset += line.len();
    }
    missing(diags, "the front matter is not closed with a `---` line");
    None
}

fn build_item(
    parsed: ParsedItem<'_>,
    file: &FileContext<'_>,
    ids: &mut IdScope,
    tally: &mut guess::Tally,
    out: &mut Rendered,
) -> Option<Item> {
    let (id, title, duration_minutes, body) = match parsed {
        ParsedItem::Lesson {
            meta,
            body,
            body_origin,
            ..
        } => {
            if body.trim().is_empty() {
                out.diagnostics.push(
                    Diagnostic::warning(
                        "empty-lesson",
                        file.display,
                        body_origin,
                        "this lesson has no text",
                    )
                    .with_hint("write the lesson below the front matter"),
                );
            }
            let mut r = render_lesson(body, body_origin, file);
            for (rid, pos) in &r.reflection_positions {
                ids.claim(rid, file.display, *pos, "a course", &mut r.diagnostics);
            }
            let failed = r.diagnostics.has_errors();
            out.assets.append(&mut r.assets);
            out.diagnostics.extend(r.diagnostics);
            let meta = meta?;
            if failed {
                return None;
            }
            let lesson = Lesson {
                required: meta.required,
                blocks: r.blocks,
            };
            (
                meta.id,
                meta.title,
                meta.duration_minutes,
                ItemBody::Lesson(lesson),
            )
        }
        ParsedItem::Quiz(raw, doc) => {
            let (id, title, duration) = (raw.id.clone(), raw.title.clone(), raw.duration_minutes);
            guess::check_quiz(&raw, &doc, file.link.language, tally, &mut out.diagnostics);
            let quiz = build_quiz(raw, &doc, file, ids, out)?;
            (id, title, duration, ItemBody::Quiz(quiz))
        }
        ParsedItem::Scenario(raw, doc) => {
            let (id, title, duration) = (raw.id.clone(), raw.title.clone(), raw.duration_minutes);
            guess::check_scenario(&raw, &doc, tally, &mut out.diagnostics);
            let scenario = build_scenario(raw, &doc, file, out)?;
            (id, title, duration, ItemBody::Scenario(scenario))
        }
    };
    Some(Item {
        id,
        title,
        duration_minutes,
        body,
        content_hash: Default::default(),
    })
}

fn finish_course(
    raw: RawCourse,
    doc: &YamlDoc<'_>,
    modules: Vec<Module>,
    file: &FileContext<'_>,
    out: &mut Rendered,
) -> Option<Course> {
    let root = YPath::root();
    let before = out.diagnostics.error_count();
    let completion = raw.completion.map_or_else(CompletionRule::default, |c| {
        let d = CompletionRule::default();
        CompletionRule {
            lessons: c.lessons.unwrap_or(d.lessons),
            quizzes: c.quizzes.unwrap_or(d.quizzes),
            scenarios: c.scenarios.unwrap_or(d.scenarios),
        }
    });
    let certificate = match raw.certificate {
        None | Some(serde_yaml::Value::Bool(true)) => Some(RawCertificate::default()),
        Some(serde_yaml::Value::Bool(false)) => None,
        Some(value) => {
            let cert_path = root.key("certificate");
            match serde_yaml::from_value::<RawCertificate>(value) {
                Ok(c) => Some(c),
                Err(e) => {
                    out.diagnostics.push(
                        doc.error("invalid-value", &cert_path, format!("invalid certificate: {e}"))
                            .with_hint("write `certificate: false`, or a mapping with `title`, `issuer` and `valid_months`"),
                    );
                    None
                }
            }
        }
    }
    .map(|c| CertificateSpec {
        title: c.title.unwrap_or_else(|| raw.title.clone()),
        issuer: c.issuer,
        valid_months: c.valid_months,
    });
    if raw.duration_minutes == 0 {
        out.diagnostics.push(doc.error(
            "invalid-value",
            &root.key("duration_minutes"),
            "the course's duration must be at least 1 minute",
        ));
    }
    let nudges = build_nudges(raw.nudges, doc, out);
    let sources = raw
        .sources
        .into_iter()
        .enumerate()
        .filter_map(|(i, s)| Some((i, s?)))
        .map(|(i, s)| {
            let at = doc.pos(&root.key("sources").index(i).key("citation"));
            if let Some(url) = &s.url {
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    out.diagnostics.push(doc.error(
                        "unsafe-link",
                        &root.key("sources").index(i).key("url"),
                        format!("source url `{url}` is not an http(s) link"),
                    ));
                }
            }
            SourceRef {
                citation_html: render_fragment(&s.citation, at, file, out),
                url: s.url,
            }
        })
        .collect();
    let authors = build_authors(&raw.authors, doc, out);
    if out.diagnostics.error_count() > before {
        return None;
    }
    Some(Course {
        id: raw.id,
        title: raw.title,
        language: raw.language,
        summary: raw.summary,
        audience: raw.audience,
        duration_minutes: raw.duration_minutes,
        objectives: raw.objectives,
        visibility: raw.visibility,
        completion,
        certificate,
        nudges,
        sources,
        authors,
        modules,
        assets: Vec::new(),
        content_hash: Default::default(),
    })
}

/// The authors' addresses, lower-cased: each must be an email address; one written
/// twice (in any case) is kept once, with a warning.
fn build_authors(raws: &[String], doc: &YamlDoc<'_>, out: &mut Rendered) -> Vec<String> {
    let list = YPath::root().key("authors");
    // Each address with the index it was first written at.
    let mut authors: Vec<(String, usize)> = Vec::new();
    for (i, raw) in raws.iter().enumerate() {
        let path = list.index(i);
        let address = leerpad_core::authoring::normalise_email(raw);
        if !leerpad_core::plausible_email(&address) {
            out.diagnostics.push(
                doc.error(
                    "invalid-email",
                    &path,
                    format!("author `{raw}` is not an email address"),
                )
                .with_hint("write each author as an address, e.g. `- an.peeters@example.org`"),
            );
        } else if let Some((_, first)) = authors.iter().find(|(a, _)| *a == address) {
            let at = doc.pos(&list.index(*first));
            out.diagnostics.push(
                Diagnostic::warning(
                    "duplicate-author",
                    &doc.file,
                    doc.pos(&path),
                    format!("author `{raw}` is listed twice"),
                )
                .with_hint(format!("first listed at line {}; remove this one", at.line)),
            );
        } else {
            authors.push((address, i));
        }
    }
    authors.into_iter().map(|(a, _)| a).collect()
}

fn build_nudges(
    raws: Vec<Option<RawNudge>>,
    doc: &YamlDoc<'_>,
    out: &mut Rendered,
) -> Vec<NudgeRule> {
    let list = YPath::root().key("nudges");
    let mut scope = IdScope::new(doc.file.parent().unwrap_or(Path::new("")));
    let mut rules = Vec::new();
    for (i, raw) in raws.into_iter().enumerate() {
        let path = list.index(i);
        let Some(raw) = raw.filter(|_| !doc.is_pruned(&path)) else {
            continue;
        };
        let diags = &mut out.diagnostics;
        let mut require = |field: &str, value: Option<u32>| -> u32 {
            value.unwrap_or_else(|| {
                diags.push(
                    doc.error(
                        "missing-field",
                        &path,
                        format!("this nudge rule needs `{field}`"),
                    )
                    .with_hint(format!("add `{field}: <days>`")),
                );
                0
            })
        };
        let (kind, allowed): (NudgeKind, &[&str]) = match raw.rule {
            RawNudgeRule::NotStarted => (
                NudgeKind::NotStarted {
                    after_days: require("after_days", raw.after_days),
                },
                &["after_days"],
            ),
            RawNudgeRule::Inactive => (
                NudgeKind::Inactive {
                    after_days: require("after_days", raw.after_days),
                    repeat_every_days: raw.repeat_every_days,
                    max_times: raw.max_times.unwrap_or(1),
                },
                &["after_days", "repeat_every_days", "max_times"],
            ),
            RawNudgeRule::DeadlineApproaching => (
                NudgeKind::DeadlineApproaching {
                    days_before: require("days_before", raw.days_before),
                },
                &["days_before"],
            ),
            RawNudgeRule::DeadlinePassed => (
                NudgeKind::DeadlinePassed {
                    after_days: raw.after_days.unwrap_or(0),
                },
                &["after_days"],
            ),
            RawNudgeRule::Completed => (NudgeKind::Completed, &[]),
        };
        let present = [
            ("after_days", raw.after_days.is_some()),
            ("repeat_every_days", raw.repeat_every_days.is_some()),
            ("max_times", raw.max_times.is_some()),
            ("days_before", raw.days_before.is_some()),
        ];
        for (field, _) in present.iter().filter(|(f, p)| *p && !allowed.contains(f)) {
            out.diagnostics.push(
                doc.error(
                    "field-not-for-type",
                    &path.key(field),
                    format!(
                        "`{field}` does not apply to the `{}` rule",
                        rule_name(&kind)
                    ),
                )
                .with_hint("see the nudge table in docs/course-format.md"),
            );
        }
        if matches!(
            kind,
            NudgeKind::Inactive {
                repeat_every_days: Some(0),
                ..
            } | NudgeKind::Inactive { max_times: 0, .. }
        ) {
            out.diagnostics.push(doc.error(
                "invalid-value",
                &path,
                "`repeat_every_days` and `max_times` must be at least 1",
            ));
        }
        let id = raw.id.unwrap_or_else(|| default_nudge_id(&kind));
        scope.claim(
            &id,
            &doc.file,
            doc.pos(&path),
            "a course's nudges",
            &mut out.diagnostics,
        );
        rules.push(NudgeRule { id, kind });
    }
    rules
}

fn rule_name(kind: &NudgeKind) -> &'static str {
    match kind {
        NudgeKind::NotStarted { .. } => "not_started",
        NudgeKind::Inactive { .. } => "inactive",
        NudgeKind::DeadlineApproaching { .. } => "deadline_approaching",
        NudgeKind::DeadlinePassed { .. } => "deadline_passed",
        NudgeKind::Completed => "completed",
    }
}

fn default_nudge_id(kind: &NudgeKind) -> Id {
    let days = match kind {
        NudgeKind::NotStarted { after_days }
        | NudgeKind::Inactive { after_days, .. }
        | NudgeKind::DeadlinePassed { after_days } => Some(*after_days),
        NudgeKind::DeadlineApproaching { days_before } => Some(*days_before),
        NudgeKind::Completed => None,
    };
    let name = rule_name(kind).replace('_', "-");
    let id = match days {
        Some(d) => format!("{name}-{d}"),
        None => name,
    };
    Id::new(id).expect("rule names make valid ids")
}

fn collect_assets(
    tree: &SourceTree,
    used: &BTreeSet<String>,
    diags: &mut Diagnostics,
) -> Vec<Asset> {
    let prefix = format!("{ASSETS_DIR}/");
    let mut assets = Vec::new();
    for (rel, file) in &tree.files {
        let Some(path) = rel.strip_prefix(&prefix) else {
            continue;
        };
        let SourceFile::Asset { size, hash } = file else {
            continue;
        };
        if !used.contains(path) {
            diags.push(
                Diagnostic::warning("unused-asset", &tree.display_path(rel), Position::START, format!("`{path}` is not used by any lesson"))
                    .with_hint("remove the file, or move it to a folder starting with `_` to keep it out of the course"),
            );
        }
        let Some(kind) = leerpad_core::media::asset_kind(path) else {
            diags.push(
                Diagnostic::error(
                    "asset-type",
                    &tree.display_path(rel),
                    Position::START,
                    format!("`{path}` is not a kind of file a course may publish"),
                )
                .with_hint(format!(
                    "courses publish {}; a file a browser could run (HTML, JavaScript, XML) would act as whoever opens it. Move other files to a folder starting with `_`",
                    leerpad_core::media::allowed_extensions()
                )),
            );
            continue;
        };
        assets.push(Asset {
            path: path.to_string(),
            media_type: kind.media_type.to_string(),
            size: *size,
            content_hash: hash.clone(),
        });
    }
    assets
}

/// The children of `dir`, in course order: numeric prefix first, then name.
/// Warns about missing and repeated prefixes.
fn ordered(tree: &SourceTree, dir: &str, diags: &mut Diagnostics) -> Vec<(String, bool)> {
    let mut children: Vec<(Option<u64>, String, bool)> = tree
        .children(dir)
        .into_iter()
        .map(|(name, is_dir)| (order_prefix(&name), name, is_dir))
        .collect();
    children.sort_by(|a, b| (a.0.is_none(), a.0, &a.1).cmp(&(b.0.is_none(), b.0, &b.1)));
    let mut seen: BTreeMap<u64, String> = BTreeMap::new();
    for (prefix, name, is_dir) in &children {
        let counts = if dir.is_empty() {
            *is_dir && name != ASSETS_DIR
        } else {
            !is_dir && name != MODULE_FILE && is_item_file(name)
        };
        if !counts {
            continue;
        }
        let rel = if dir.is_empty() {
            name.clone()
        } else {
            format!("{dir}/{name}")
        };
        match prefix {
            None => diags.push(
                Diagnostic::warning(
                    "missing-order-prefix",
                    &tree.display_path(&rel),
                    Position::START,
                    format!(
                        "`{name}` has no numeric prefix; it is ordered after the numbered ones"
                    ),
                )
                .with_hint(format!(
                    "rename it to e.g. `{:02}-{name}`",
                    seen.keys().last().map_or(1, |n| n + 1)
                )),
            ),
            Some(n) => {
                if let Some(first) = seen.get(n) {
                    diags.push(
                        Diagnostic::warning(
                            "duplicate-order",
                            &tree.display_path(&rel),
                            Position::START,
                            format!("`{name}` has the same number as `{first}`"),
                        )
                        .with_hint("give each sibling its own number so the order is clear"),
                    );
                } else {
                    seen.insert(*n, name.clone());
                }
            }
        }
    }
    children
        .into_iter()
        .map(|(_, name, is_dir)| (name, is_dir))
        .collect()
}

fn is_item_file(name: &str) -> bool {
    (name.ends_with(".md") && !is_readme(name))
        || name.ends_with(QUIZ_SUFFIX)
        || name.ends_with(SCENARIO_SUFFIX)
}

/// `01-intro.md` → 1; names without a `NN-` prefix → `None`.
pub fn order_prefix(name: &str) -> Option<u64> {
    let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() || !name[digits.len()..].starts_with(['-', '_', '.']) {
        return None;
    }
    digits.parse().ok()
}

fn is_readme(name: &str) -> bool {
    name.to_ascii_lowercase().starts_with("readme")
}

fn ignored(tree: &SourceTree, rel: &str, why: &str) -> Diagnostic {
    Diagnostic::warning(
        "ignored-file",
        &tree.display_path(rel),
        Position::START,
        format!("`{rel}` is ignored"),
    )
    .with_hint(format!("{why}; start its name with `_` to silence this"))
}

fn text_of<'t>(tree: &'t SourceTree, rel: &str, diags: &mut Diagnostics) -> Option<&'t str> {
    let bytes = tree.text(rel)?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Some(text),
        Err(e) => {
            let text = String::from_utf8_lossy(&bytes[..e.valid_up_to()]);
            let pos = Position::of_offset(&text, text.len());
            diags.push(
                Diagnostic::error(
                    "not-utf8",
                    &tree.display_path(rel),
                    pos,
                    "this file is not valid UTF-8",
                )
                .with_hint("save the file as UTF-8 in your editor"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_prefixes() {
        assert_eq!(order_prefix("01-intro.md"), Some(1));
        assert_eq!(order_prefix("10_x"), Some(10));
        assert_eq!(order_prefix("2.quiz.yaml"), Some(2));
        assert_eq!(order_prefix("intro.md"), None);
        assert_eq!(order_prefix("2024plan.md"), None);
    }
}
