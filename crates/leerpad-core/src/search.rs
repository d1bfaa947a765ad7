//! Search over the catalogue and the lessons: what a course contributes to the
//! full-text index ([`documents`]), and what a learner's query means
//! ([`SearchQuery::parse`]). The store turns both into SQLite FTS5 or PostgreSQL
//! text search; nothing here knows which.

use crate::{Course, ItemBody, LessonBlock, QuestionKind};

/// The most characters a query may have.
pub const MAX_QUERY_CHARS: usize = 200;
/// The most words a query may have; more words only narrow it down further.
pub const MAX_QUERY_WORDS: usize = 10;

/// One searchable part of a course: the course itself, or one of its items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchDocument {
    /// `None` for the course itself.
    pub item_id: Option<String>,
    /// `course`, `lesson`, `quiz` or `scenario`.
    pub kind: &'static str,
    /// 0 for the course, then the items in course order from 1.
    pub position: i32,
    pub title: String,
    /// Plain text, white space collapsed.
    pub body: String,
}

/// The searchable text of a course: one document for the course (summary, audience,
/// objectives, modules and their objectives) and one per lesson, quiz and scenario
/// (a lesson's text and reflection prompts; a quiz's introduction and questions; a
/// scenario's introduction and steps). Answers and feedback are left out, so search
/// does not give quiz answers away.
pub fn documents(course: &Course) -> Vec<SearchDocument> {
    let mut out = Vec::new();
    let mut body = Text::default();
    body.push(&course.summary);
    if let Some(audience) = &course.audience {
        body.push(audience);
    }
    for objective in &course.objectives {
        body.push(objective);
    }
    for module in &course.modules {
        body.push(&module.title);
        if let Some(summary) = &module.summary {
            body.push(summary);
        }
        for objective in &module.objectives {
            body.push(objective);
        }
    }
    out.push(SearchDocument {
        item_id: None,
        kind: "course",
        position: 0,
        title: course.title.clone(),
        body: body.0,
    });
    for (index, (_, item)) in course.items().enumerate() {
        let mut body = Text::default();
        match &item.body {
            ItemBody::Lesson(lesson) => {
                for block in &lesson.blocks {
                    match block {
                        LessonBlock::Html { html } => body.push_html(html),
                        LessonBlock::Reflection(r) => body.push_html(&r.prompt_html),
                    }
                }
            }
            ItemBody::Quiz(quiz) => {
                if let Some(intro) = &quiz.intro_html {
                    body.push_html(intro);
                }
                for question in quiz.pools.iter().flat_map(|p| &p.questions) {
                    body.push_html(&question.prompt_html);
                    match &question.answer {
                        QuestionKind::SingleChoice { options }
                        | QuestionKind::MultipleResponse { options } => {
                            for option in options {
                                body.push_html(&option.text_html);
                            }
                        }
                        QuestionKind::Matching { pairs, .. } => {
                            for pair in pairs {
                                body.push_html(&pair.left_html);
                                body.push_html(&pair.right_html);
                            }
                        }
                        QuestionKind::TrueFalse { .. }
                        | QuestionKind::Ordering { .. }
                        | QuestionKind::ShortAnswer { .. } => {}
                    }
                }
            }
            ItemBody::Scenario(scenario) => {
                if let Some(intro) = &scenario.intro_html {
                    body.push_html(intro);
                }
                for step in &scenario.steps {
                    body.push_html(&step.text_html);
                    for choice in &step.choices {
                        body.push(&choice.label);
                    }
                }
            }
        }
        out.push(SearchDocument {
            item_id: Some(item.id.to_string()),
            kind: item.kind().as_str(),
            position: index as i32 + 1,
            title: item.title.clone(),
            body: body.0,
        });
    }
    out
}

/// Plain text built up from pieces, one space between them.
#[derive(Default)]
struct Text(String);

impl Text {
    fn push(&mut self, text: &str) {
        for word in text.split_whitespace() {
            if !self.0.is_empty() {
                self.0.push(' ');
            }
            self.0.push_str(word);
        }
    }

    fn push_html(&mut self, html: &str) {
        self.push(&plain_text(html));
    }
}

/// The text of a fragment of (sanitised) HTML: tags dropped (a block's end counts as
/// a space, so words in adjacent paragraphs do not run together), the common
/// entities decoded.
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A learner's search, checked: the words to find, each at least as a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// Lower case, letters and digits only; one to [`MAX_QUERY_WORDS`].
    pub words: Vec<String>,
}

/// Why a query cannot be searched for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryProblem {
    #[error("the search is empty")]
    Empty,
    #[error("the search is longer than {max} characters")]
    TooLong { max: usize },
    #[error("the search has no letters or digits")]
    NoWords,
}

impl QueryProblem {
    /// The key of the interface text that explains the problem.
    pub fn text_key(&self) -> &'static str {
        match self {
            QueryProblem::Empty => "search.empty",
            QueryProblem::TooLong { .. } => "search.too-long",
            QueryProblem::NoWords => "search.no-words",
        }
    }
}

impl SearchQuery {
    /// Words are the runs of letters and digits (so punctuation and search syntax
    /// mean nothing); at most the first [`MAX_QUERY_WORDS`] count.
    pub fn parse(raw: &str) -> Result<SearchQuery, QueryProblem> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(QueryProblem::Empty);
        }
        if raw.chars().count() > MAX_QUERY_CHARS {
            return Err(QueryProblem::TooLong {
                max: MAX_QUERY_CHARS,
            });
        }
        let mut words: Vec<String> = Vec::new();
        for word in raw
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            let word = word.to_lowercase();
            if !words.contains(&word) {
                words.push(word);
            }
        }
        if words.is_empty() {
            return Err(QueryProblem::NoWords);
        }
        words.truncate(MAX_QUERY_WORDS);
        Ok(SearchQuery { words })
    }

    /// The query in FTS5's syntax: every word as a quoted prefix, all required.
    pub fn fts5(&self) -> String {
        self.words
            .iter()
            .map(|w| format!("\"{w}\"*"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The query in PostgreSQL's `to_tsquery` syntax: every word as a prefix, all
    /// required. Words hold only letters and digits, so nothing needs quoting.
    pub fn tsquery(&self) -> String {
        self.words
            .iter()
            .map(|w| format!("{w}:*"))
            .collect::<Vec<_>>()
            .join(" & ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_words_only() {
        let q = SearchQuery::parse("  Haat-spraak OR \"wij*zij\" haat ").unwrap();
        assert_eq!(q.words, ["haat", "spraak", "or", "wij", "zij"]);
        assert_eq!(q.fts5(), "\"haat\"* \"spraak\"* \"or\"* \"wij\"* \"zij\"*");
        assert_eq!(q.tsquery(), "haat:* & spraak:* & or:* & wij:* & zij:*");
        assert_eq!(
            SearchQuery::parse("Reële").unwrap().words,
            ["reële"],
            "letters with diacritics are letters"
        );
    }

    #[test]
    fn bad_queries_say_why() {
        assert_eq!(SearchQuery::parse("   "), Err(QueryProblem::Empty));
        assert_eq!(SearchQuery::parse("\"*():"), Err(QueryProblem::NoWords));
        assert_eq!(
            SearchQuery::parse(&"a".repeat(MAX_QUERY_CHARS + 1)),
            Err(QueryProblem::TooLong {
                max: MAX_QUERY_CHARS
            })
        );
        assert!(SearchQuery::parse(&"a ".repeat(MAX_QUERY_CHARS / 2)).is_ok());
        let many = (0..30)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(
            SearchQuery::parse(&many).unwrap().words.len(),
            MAX_QUERY_WORDS
        );
    }

    #[test]
    fn html_becomes_plain_text() {
        assert_eq!(
            plain_text("<p>Wij &amp; zij</p><p>denken</p>\n<ul><li>één</li></ul>"),
            "Wij & zij denken één"
        );
    }
}
