//! The compiled course: pure data produced by the compiler from `courses/`.
//!
//! All text meant for display is already rendered and sanitised HTML (fields ending
//! in `_html`) or plain text that must be escaped when shown. The model holds only
//! `Vec`s and structs, so its JSON form is deterministic.

use serde::{Deserialize, Serialize};

use crate::{ContentHash, Id};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Nl,
    En,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::Nl, Language::En];

    pub fn code(self) -> &'static str {
        match self {
            Language::Nl => "nl",
            Language::En => "en",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Shown in the catalogue.
    #[default]
    Listed,
    /// Reachable only by enrolment through a coordinator; no nudges unless enrolled.
    Hidden,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Course {
    pub id: Id,
    pub title: String,
    pub language: Language,
    pub summary: String,
    pub audience: Option<String>,
    pub duration_minutes: u32,
    pub objectives: Vec<String>,
    pub visibility: Visibility,
    pub completion: CompletionRule,
    pub certificate: Option<CertificateSpec>,
    pub nudges: Vec<NudgeRule>,
    pub sources: Vec<SourceRef>,
    /// The authors' email addresses (lower case, in the order written): they see the
    /// course's trainer pages. Course metadata: no item's hash covers it, and the
    /// course's hash only when there are authors (so courses without keep theirs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    pub modules: Vec<Module>,
    pub assets: Vec<Asset>,
    /// Hash of everything above; equal hashes mean nothing learners see has changed.
    pub content_hash: ContentHash,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LessonRequirement {
    /// Every lesson must be marked done.
    All,
    /// Only lessons with `required: true` must be marked done.
    Required,
    /// Lessons do not count towards completion.
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuizRequirement {
    /// Every quiz must be passed.
    Pass,
    /// Every quiz must be attempted (submitted) at least once.
    Attempt,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScenarioRequirement {
    /// Every scenario must be played to an ending.
    Complete,
    None,
}

/// When a learner has completed the course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletionRule {
    pub lessons: LessonRequirement,
    pub quizzes: QuizRequirement,
    pub scenarios: ScenarioRequirement,
}

impl Default for CompletionRule {
    fn default() -> Self {
        CompletionRule {
            lessons: LessonRequirement::All,
            quizzes: QuizRequirement::Pass,
            scenarios: ScenarioRequirement::Complete,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateSpec {
    /// Title printed on the certificate; the course title when not given.
    pub title: String,
    /// Who issues it, e.g. an organisation's name.
    pub issuer: Option<String>,
    /// How long the certificate stays valid, if it expires.
    pub valid_months: Option<u32>,
}

/// A reminder rule evaluated per enrolment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NudgeRule {
    /// Unique within the course; part of the outbox's de-duplication key.
    pub id: Id,
    #[serde(flatten)]
    pub kind: NudgeKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum NudgeKind {
    /// Enrolled, but nothing opened after `after_days`.
    NotStarted { after_days: u32 },
    /// No activity for `after_days`, then again every `repeat_every_days`, at most
    /// `max_times` in all.
    Inactive {
        after_days: u32,
        repeat_every_days: Option<u32>,
        max_times: u32,
    },
    /// The enrolment's deadline is `days_before` days away.
    DeadlineApproaching { days_before: u32 },
    /// The enrolment's deadline has passed and the course is not completed.
    DeadlinePassed { after_days: u32 },
    /// The course was completed: congratulations and the certificate link.
    Completed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    /// The citation as rendered HTML (inline Markdown allowed in the source).
    pub citation_html: String,
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Module {
    pub id: Id,
    pub title: String,
    pub summary: Option<String>,
    pub objectives: Vec<String>,
    pub items: Vec<Item>,
    /// Hash of the module's own fields and its items' hashes.
    pub content_hash: ContentHash,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub id: Id,
    pub title: String,
    pub duration_minutes: Option<u32>,
    #[serde(flatten)]
    pub body: ItemBody,
    /// Hash of the item's content, independent of its file name and position.
    pub content_hash: ContentHash,
}

impl Item {
    pub fn kind(&self) -> ItemKind {
        match self.body {
            ItemBody::Lesson(_) => ItemKind::Lesson,
            ItemBody::Quiz(_) => ItemKind::Quiz,
            ItemBody::Scenario(_) => ItemKind::Scenario,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Lesson,
    Quiz,
    Scenario,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Lesson => "lesson",
            ItemKind::Quiz => "quiz",
            ItemKind::Scenario => "scenario",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ItemBody {
    Lesson(Lesson),
    Quiz(Quiz),
    Scenario(Scenario),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lesson {
    /// Counts for `completion.lessons: required`.
    pub required: bool,
    pub blocks: Vec<LessonBlock>,
}

impl Lesson {
    pub fn reflections(&self) -> impl Iterator<Item = &ReflectionPrompt> {
        self.blocks.iter().filter_map(|b| match b {
            LessonBlock::Reflection(r) => Some(r),
            LessonBlock::Html { .. } => None,
        })
    }
}

/// A lesson body is HTML interleaved with reflection prompts, which the web layer
/// renders as forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "block", rename_all = "snake_case")]
pub enum LessonBlock {
    Html { html: String },
    Reflection(ReflectionPrompt),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReflectionPrompt {
    pub id: Id,
    pub prompt_html: String,
    /// Heading under which the answer appears in the learner's action plan.
    pub action_plan_heading: Option<String>,
    pub placeholder: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quiz {
    pub intro_html: Option<String>,
    /// Percentage of points needed to pass, 0 to 100.
    pub pass_mark: u8,
    /// Maximum number of attempts; `None` means unlimited.
    pub max_attempts: Option<u32>,
    pub shuffle_questions: bool,
    pub shuffle_options: bool,
    /// Each attempt draws `draw` questions from every pool. Questions listed outside
    /// a pool form one pool that draws them all.
    pub pools: Vec<QuestionPool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionPool {
    pub draw: u32,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub id: Id,
    pub prompt_html: String,
    pub points: u32,
    /// Shown after answering, whatever the answer.
    pub explanation_html: Option<String>,
    #[serde(flatten)]
    pub answer: QuestionKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum QuestionKind {
    SingleChoice {
        options: Vec<AnswerOption>,
    },
    MultipleResponse {
        options: Vec<AnswerOption>,
    },
    TrueFalse {
        answer: bool,
        feedback_true_html: Option<String>,
        feedback_false_html: Option<String>,
    },
    Matching {
        pairs: Vec<MatchPair>,
        feedback: Feedback,
    },
    Ordering {
        /// In the correct order.
        items_html: Vec<String>,
        feedback: Feedback,
    },
    ShortAnswer {
        accept: Vec<AcceptedAnswer>,
        case_sensitive: bool,
        feedback: Feedback,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerOption {
    pub text_html: String,
    pub correct: bool,
    pub feedback_html: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchPair {
    pub left_html: String,
    pub right_html: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Feedback {
    pub correct_html: Option<String>,
    pub incorrect_html: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "match", content = "value", rename_all = "snake_case")]
pub enum AcceptedAnswer {
    /// Equal after trimming and collapsing white space.
    Exact(String),
    /// A regular expression that must match the whole answer.
    Pattern(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    pub intro_html: Option<String>,
    pub start: Id,
    pub steps: Vec<ScenarioStep>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioStep {
    pub id: Id,
    pub text_html: String,
    pub choices: Vec<ScenarioChoice>,
    /// Present exactly when the step has no choices.
    pub ending: Option<ScenarioEnding>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioChoice {
    pub label: String,
    pub feedback_html: Option<String>,
    pub next: Id,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Best,
    Good,
    Mixed,
    Poor,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioEnding {
    pub outcome: Outcome,
    pub debrief_html: String,
}

/// A file from the course's `assets/` folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    /// Path relative to `assets/`, with `/` separators.
    pub path: String,
    pub media_type: String,
    pub size: u64,
    pub content_hash: ContentHash,
}

impl Course {
    pub fn items(&self) -> impl Iterator<Item = (&Module, &Item)> {
        self.modules
            .iter()
            .flat_map(|m| m.items.iter().map(move |i| (m, i)))
    }

    pub fn item(&self, id: &Id) -> Option<&Item> {
        self.items().map(|(_, i)| i).find(|i| &i.id == id)
    }

    /// The course without its items' bodies: everything but `modules[].items`.
    pub fn skeleton(&self) -> Course {
        Course {
            id: self.id.clone(),
            title: self.title.clone(),
            language: self.language,
            summary: self.summary.clone(),
            audience: self.audience.clone(),
            duration_minutes: self.duration_minutes,
            objectives: self.objectives.clone(),
            visibility: self.visibility,
            completion: self.completion.clone(),
            certificate: self.certificate.clone(),
            nudges: self.nudges.clone(),
            sources: self.sources.clone(),
            authors: self.authors.clone(),
            modules: self
                .modules
                .iter()
                .map(|m| Module {
                    id: m.id.clone(),
                    title: m.title.clone(),
                    summary: m.summary.clone(),
                    objectives: m.objectives.clone(),
                    items: Vec::new(),
                    content_hash: m.content_hash.clone(),
                })
                .collect(),
            assets: self.assets.clone(),
            content_hash: self.content_hash.clone(),
        }
    }

    /// Fills in the content hashes of every item, module and the course, bottom up.
    ///
    /// A module's hash covers its own fields and its items' hashes; the course's hash
    /// covers its own fields, its modules' hashes and its assets. So each piece of
    /// content is serialised once.
    pub fn seal(&mut self) {
        for module in &mut self.modules {
            for item in &mut module.items {
                item.content_hash = ContentHash::default();
                item.content_hash = ContentHash::of(item);
            }
            let item_hashes: Vec<&ContentHash> =
                module.items.iter().map(|i| &i.content_hash).collect();
            module.content_hash = ContentHash::of(&(
                &module.id,
                &module.title,
                &module.summary,
                &module.objectives,
                item_hashes,
            ));
        }
        let module_hashes: Vec<&ContentHash> =
            self.modules.iter().map(|m| &m.content_hash).collect();
        self.content_hash = ContentHash::of(&(
            (&self.id, &self.title, &self.language, &self.summary),
            (&self.audience, &self.duration_minutes, &self.objectives),
            (&self.visibility, &self.completion, &self.certificate),
            (&self.nudges, &self.sources, &self.assets),
            module_hashes,
        ));
        if !self.authors.is_empty() {
            self.content_hash = ContentHash::of(&(&self.content_hash, &self.authors));
        }
    }
}
