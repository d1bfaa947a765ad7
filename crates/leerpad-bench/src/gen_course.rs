//! Generates a course of N lessons for benchmarks, and optionally an mdbook book
//! with the same lesson Markdown, so both tools can be measured on equal input.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Parser;

#[derive(Parser)]
#[command(about = "Generate a large Leerpad course (and the same lessons as an mdbook book)")]
struct Args {
    /// Number of lessons.
    #[arg(long)]
    lessons: usize,
    /// Lessons per module.
    #[arg(long, default_value_t = 50)]
    per_module: usize,
    /// Folder for the course; it is created and must not exist.
    #[arg(long)]
    course: PathBuf,
    /// Also write an mdbook book with the same lessons here.
    #[arg(long)]
    mdbook: Option<PathBuf>,
    /// Course id.
    #[arg(long, default_value = "bench")]
    id: String,
}

/// A small deterministic generator, so every run produces the same course.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.next() as usize % words.len()]
    }
}

const WORDS: &[&str] = &[
    "polarisatie",
    "gemeente",
    "buurt",
    "gesprek",
    "midden",
    "trekker",
    "bruggenbouwer",
    "signaal",
    "bericht",
    "inwoner",
    "vertrouwen",
    "bron",
    "feit",
    "gerucht",
    "reactie",
    "huisregels",
    "jeugdhuis",
    "raadslid",
    "werking",
    "partner",
    "plan",
    "actie",
    "vraag",
    "zorg",
    "ruimte",
    "samenleven",
    "wijk",
    "school",
    "stad",
    "dialoog",
    "spanning",
    "identiteit",
    "mening",
    "verschil",
    "luisteren",
    "kader",
    "afspraak",
    "team",
];

fn sentence(rng: &mut Lcg, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        let w = rng.pick(WORDS);
        if i == 0 {
            let mut c = w.chars();
            s.extend(c.next().map(|f| f.to_ascii_uppercase()));
            s.push_str(c.as_str());
        } else {
            s.push(' ');
            if rng.next().is_multiple_of(11) {
                s.push('*');
                s.push_str(w);
                s.push('*');
                continue;
            }
            s.push_str(w);
        }
    }
    s.push('.');
    s
}

/// The Markdown body of lesson `n` (about 400 words): headings, paragraphs, a list,
/// a table, a quote and links to the neighbouring lessons.
fn lesson_body(rng: &mut Lcg, n: usize, total: usize, link: &dyn Fn(usize) -> String) -> String {
    let mut md = String::new();
    for section in 0..3 {
        let _ = writeln!(
            md,
            "## {} {}\n",
            sentence(rng, 3).trim_end_matches('.'),
            section + 1
        );
        for _ in 0..2 {
            let para: Vec<String> = (0..4)
                .map(|_| {
                    let len = 8 + (rng.next() % 6) as usize;
                    sentence(rng, len)
                })
                .collect();
            let _ = writeln!(md, "{}\n", para.join(" "));
        }
        match section {
            0 => {
                for _ in 0..4 {
                    let _ = writeln!(md, "- {}", sentence(rng, 6));
                }
                md.push('\n');
            }
            1 => {
                md.push_str("| Rol | Wat doet die? |\n|---|---|\n");
                for _ in 0..3 {
                    let _ = writeln!(md, "| {} | {} |", rng.pick(WORDS), sentence(rng, 5));
                }
                md.push('\n');
            }
            _ => {
                let _ = writeln!(md, "> {}\n", sentence(rng, 12));
            }
        }
    }
    if n + 1 < total {
        let _ = writeln!(md, "Lees verder in [de volgende les]({}).", link(n + 1));
    }
    if n > 0 {
        let _ = writeln!(md, "Of ga terug naar [de vorige les]({}).", link(n - 1));
    }
    md
}

fn module_dir(m: usize) -> String {
    format!("{:03}-module-{m}", m + 1)
}

fn lesson_file(n: usize) -> String {
    format!("{:03}-les-{n}.md", n + 1)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.lessons > 0 && args.per_module > 0,
        "--lessons and --per-module must be at least 1"
    );
    anyhow::ensure!(
        !args.course.exists(),
        "{} exists already",
        args.course.display()
    );
    let modules = args.lessons.div_ceil(args.per_module);
    write(
        &args.course.join("course.yaml"),
        &format!(
            "id: {}\ntitle: Benchmark met {} lessen\nlanguage: nl\nsummary: Een gegenereerde cursus.\nduration_minutes: {}\n",
            args.id,
            args.lessons,
            args.lessons * 5
        ),
    )?;
    let per = args.per_module;
    // Links between lessons, relative to a lesson file in the course and in the book.
    let course_link = |n: usize| format!("../{}/{}", module_dir(n / per), lesson_file(n % per));
    let book_link = |n: usize| format!("les-{n}.md");
    let mut summary = String::from("# Summary\n\n");
    let mut rng = Lcg(42);
    for m in 0..modules {
        let dir = args.course.join(module_dir(m));
        write(
            &dir.join("module.yaml"),
            &format!("id: module-{m}\ntitle: Module {}\n", m + 1),
        )?;
        let _ = writeln!(summary, "- [Module {}](module-{m}.md)", m + 1);
        if let Some(book) = &args.mdbook {
            write(
                &book.join("src").join(format!("module-{m}.md")),
                &format!("# Module {}\n", m + 1),
            )?;
        }
        for i in 0..per {
            let n = m * per + i;
            if n >= args.lessons {
                break;
            }
            let seed = rng.next();
            let body = lesson_body(&mut Lcg(seed), n, args.lessons, &course_link);
            let front = format!(
                "---\nid: les-{n}\ntitle: Les {}\nduration_minutes: 5\n---\n\n",
                n + 1
            );
            write(&dir.join(lesson_file(i)), &(front + &body))?;
            if let Some(book) = &args.mdbook {
                let body = lesson_body(&mut Lcg(seed), n, args.lessons, &book_link);
                write(
                    &book.join("src").join(format!("les-{n}.md")),
                    &format!("# Les {}\n\n{body}", n + 1),
                )?;
                let _ = writeln!(summary, "    - [Les {}](les-{n}.md)", n + 1);
            }
        }
    }
    if let Some(book) = &args.mdbook {
        write(&book.join("src/SUMMARY.md"), &summary)?;
        write(
            &book.join("book.toml"),
            "[book]\ntitle = \"Benchmark\"\nlanguage = \"nl\"\n\n[output.html]\n",
        )?;
    }
    Ok(())
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}
