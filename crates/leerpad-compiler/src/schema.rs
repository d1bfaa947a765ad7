//! The source format as serde types: what trainers write, before checking.
//!
//! Every struct denies unknown fields, so a typo is an error with a suggestion rather
//! than silently ignored content. Fields whose meaning depends on another field (the
//! answer fields of a question, which depend on its `type`) are all optional here
//! and checked in code, which gives clearer errors than serde's tagged enums.
//!
//! Lists of larger elements hold `Option`s: when an element has an error, the YAML
//! layer replaces it by null and goes on, so the other elements are still checked
//! and keep their index (and so their position in the file).

use leerpad_core::{
    Id, Language, LessonRequirement, Outcome, QuizRequirement, ScenarioRequirement, Visibility,
};
use std::collections::BTreeMap;

use serde::Deserialize;

/// `allow:` on a course, quiz, question, scenario or step: the guessability checks
/// silenced there, each with the reason why (see `guess.rs`).
pub type RawAllow = BTreeMap<String, Option<String>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCourse {
    pub id: Id,
    pub title: String,
    pub language: Language,
    pub summary: String,
    pub audience: Option<String>,
    pub duration_minutes: u32,
    #[serde(default)]
    pub objectives: Vec<String>,
    #[serde(default)]
    pub visibility: Visibility,
    pub completion: Option<RawCompletion>,
    /// `false`, `true`, or a mapping of [`RawCertificate`] fields.
    pub certificate: Option<serde_yaml::Value>,
    #[serde(default)]
    pub nudges: Vec<Option<RawNudge>>,
    #[serde(default)]
    pub sources: Vec<Option<RawSource>>,
    /// Email addresses of the people who author the course.
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default)]
    pub allow: RawAllow,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCompletion {
    pub lessons: Option<LessonRequirement>,
    pub quizzes: Option<QuizRequirement>,
    pub scenarios: Option<ScenarioRequirement>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCertificate {
    pub title: Option<String>,
    pub issuer: Option<String>,
    pub valid_months: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawNudgeRule {
    NotStarted,
    Inactive,
    DeadlineApproaching,
    DeadlinePassed,
    Completed,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNudge {
    pub id: Option<Id>,
    pub rule: RawNudgeRule,
    pub after_days: Option<u32>,
    pub repeat_every_days: Option<u32>,
    pub max_times: Option<u32>,
    pub days_before: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    pub citation: String,
    pub url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawModule {
    pub id: Id,
    pub title: String,
    pub summary: Option<String>,
    #[serde(default)]
    pub objectives: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLessonMeta {
    pub id: Id,
    pub title: String,
    pub duration_minutes: Option<u32>,
    #[serde(default = "yes")]
    pub required: bool,
}

fn yes() -> bool {
    true
}

fn default_pass_mark() -> u32 {
    70
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawQuiz {
    pub id: Id,
    pub title: String,
    pub duration_minutes: Option<u32>,
    pub intro: Option<String>,
    #[serde(default = "default_pass_mark")]
    pub pass_mark: u32,
    pub max_attempts: Option<u32>,
    #[serde(default)]
    pub shuffle_questions: bool,
    #[serde(default)]
    pub shuffle_options: bool,
    #[serde(default)]
    pub questions: Vec<Option<RawQuestion>>,
    #[serde(default)]
    pub pools: Vec<Option<RawPool>>,
    #[serde(default)]
    pub allow: RawAllow,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPool {
    pub draw: u32,
    pub questions: Vec<Option<RawQuestion>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    SingleChoice,
    MultipleResponse,
    TrueFalse,
    Matching,
    Ordering,
    ShortAnswer,
}

impl QuestionType {
    pub fn name(self) -> &'static str {
        match self {
            QuestionType::SingleChoice => "single_choice",
            QuestionType::MultipleResponse => "multiple_response",
            QuestionType::TrueFalse => "true_false",
            QuestionType::Matching => "matching",
            QuestionType::Ordering => "ordering",
            QuestionType::ShortAnswer => "short_answer",
        }
    }

    /// The answer fields this type uses; every other answer field is an error.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            QuestionType::SingleChoice | QuestionType::MultipleResponse => &["options"],
            QuestionType::TrueFalse => &["answer", "feedback_true", "feedback_false"],
            QuestionType::Matching => &["pairs", "feedback"],
            QuestionType::Ordering => &["items", "feedback"],
            QuestionType::ShortAnswer => &["accept", "case_sensitive", "feedback"],
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawQuestion {
    pub id: Id,
    #[serde(rename = "type")]
    pub kind: QuestionType,
    pub prompt: String,
    pub points: Option<u32>,
    pub explanation: Option<String>,
    // Answer fields, by type; see `QuestionType::fields`.
    pub options: Option<Vec<RawOption>>,
    pub answer: Option<bool>,
    pub feedback_true: Option<String>,
    pub feedback_false: Option<String>,
    pub pairs: Option<Vec<RawPair>>,
    pub items: Option<Vec<String>>,
    pub accept: Option<Vec<RawAccept>>,
    pub case_sensitive: Option<bool>,
    pub feedback: Option<RawFeedback>,
    #[serde(default)]
    pub allow: RawAllow,
}

impl RawQuestion {
    /// The answer fields that are present, by name.
    pub fn present_fields(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let checks: [(&'static str, bool); 9] = [
            ("options", self.options.is_some()),
            ("answer", self.answer.is_some()),
            ("feedback_true", self.feedback_true.is_some()),
            ("feedback_false", self.feedback_false.is_some()),
            ("pairs", self.pairs.is_some()),
            ("items", self.items.is_some()),
            ("accept", self.accept.is_some()),
            ("case_sensitive", self.case_sensitive.is_some()),
            ("feedback", self.feedback.is_some()),
        ];
        for (name, present) in checks {
            if present {
                out.push(name);
            }
        }
        out
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOption {
    pub text: String,
    #[serde(default)]
    pub correct: bool,
    pub feedback: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPair {
    pub left: String,
    pub right: String,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawAccept {
    Exact(String),
    Pattern(RawPattern),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPattern {
    pub pattern: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFeedback {
    pub correct: Option<String>,
    pub incorrect: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub id: Id,
    pub title: String,
    pub duration_minutes: Option<u32>,
    pub intro: Option<String>,
    pub start: Option<Id>,
    pub steps: Vec<Option<RawStep>>,
    #[serde(default)]
    pub allow: RawAllow,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    pub id: Id,
    pub text: String,
    #[serde(default)]
    pub choices: Vec<RawChoice>,
    pub ending: Option<RawEnding>,
    #[serde(default)]
    pub allow: RawAllow,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChoice {
    pub label: String,
    pub feedback: Option<String>,
    pub next: Id,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEnding {
    pub outcome: Outcome,
    pub debrief: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReflection {
    pub id: Id,
    pub prompt: String,
    pub action_plan: Option<String>,
    pub placeholder: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVideo {
    pub src: String,
    pub title: String,
    pub caption: Option<String>,
    pub subtitles: Option<String>,
}
