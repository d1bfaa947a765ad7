//! Course progress and completion: which items a course's [`CompletionRule`] counts,
//! which of them a learner has done, and where to resume.

use std::collections::HashSet;

use serde::Serialize;

use crate::{
    CompletionRule, Course, Id, Item, ItemBody, LessonRequirement, QuizRequirement,
    ScenarioRequirement,
};

/// What a learner has done, as item ids.
///
/// The sets may hold ids that are not items of the course being looked at (other
/// courses, items archived in a later version): they are ignored. A passed quiz need
/// not also be in `quizzes_attempted`; passing implies attempting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LearnerState {
    /// Lessons marked done.
    pub lessons_done: HashSet<Id>,
    /// Quizzes with at least one submitted attempt.
    pub quizzes_attempted: HashSet<Id>,
    /// Quizzes with at least one passed attempt.
    pub quizzes_passed: HashSet<Id>,
    /// Scenarios played to an ending at least once.
    pub scenarios_completed: HashSet<Id>,
}

/// Progress within one module: counted items only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleProgress {
    pub module: Id,
    pub done: usize,
    /// Items of the module the completion rule counts; may be 0.
    pub total: usize,
}

/// A learner's progress through a course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Counted items done.
    pub done: usize,
    /// Items the completion rule counts (see [`counts_towards_completion`]).
    pub total: usize,
    /// `done * 100 / total`, rounded down, so 100 only when complete. When nothing
    /// counts: 100 if `complete`, else 0.
    pub percent: u8,
    /// Whether the course is completed; see [`progress`].
    pub complete: bool,
    /// One entry per module, in course order, including modules with nothing counted.
    pub modules: Vec<ModuleProgress>,
    /// The first item in course order, counted or not, that is not done
    /// ([`is_done`]): where "continue" leads. `None` when every item is done.
    pub next_item: Option<Id>,
}

/// Whether the completion rule counts this item:
///
/// - a lesson when `lessons: all`, or `lessons: required` and the lesson is
///   `required` (lessons written with `required: false` do not count then);
/// - a quiz when `quizzes` is `pass` or `attempt`;
/// - a scenario when `scenarios: complete`.
pub fn counts_towards_completion(rule: &CompletionRule, item: &Item) -> bool {
    match &item.body {
        ItemBody::Lesson(lesson) => match rule.lessons {
            LessonRequirement::All => true,
            LessonRequirement::Required => lesson.required,
            LessonRequirement::None => false,
        },
        ItemBody::Quiz(_) => rule.quizzes != QuizRequirement::None,
        ItemBody::Scenario(_) => rule.scenarios != ScenarioRequirement::None,
    }
}

/// Whether the learner has done this item, whether or not it counts:
///
/// - a lesson when it is marked done;
/// - a quiz when it is passed, or, when the rule is `quizzes: attempt`, attempted;
/// - a scenario when it was played to an ending.
pub fn is_done(rule: &CompletionRule, state: &LearnerState, item: &Item) -> bool {
    match &item.body {
        ItemBody::Lesson(_) => state.lessons_done.contains(&item.id),
        ItemBody::Quiz(_) => {
            state.quizzes_passed.contains(&item.id)
                || (rule.quizzes == QuizRequirement::Attempt
                    && state.quizzes_attempted.contains(&item.id))
        }
        ItemBody::Scenario(_) => state.scenarios_completed.contains(&item.id),
    }
}

/// A learner's progress through a course under the course's completion rule.
///
/// The course is `complete` when every counted item is done. A rule can count
/// nothing (`lessons: none, quizzes: none, scenarios: none`, or `lessons: required`
/// in a course whose lessons are all optional and that has no counted quiz or
/// scenario): such a course is complete once the learner has marked at least one of
/// its lessons done, so merely enrolling never completes a course. A course with no
/// lessons at all and nothing counted is complete once any item is done
/// ([`is_done`]), so it can be completed.
pub fn progress(course: &Course, state: &LearnerState) -> Progress {
    let rule = &course.completion;
    let mut done = 0;
    let mut total = 0;
    let mut next_item = None;
    let mut modules = Vec::with_capacity(course.modules.len());
    for module in &course.modules {
        let mut module_progress = ModuleProgress {
            module: module.id.clone(),
            done: 0,
            total: 0,
        };
        for item in &module.items {
            let item_done = is_done(rule, state, item);
            if !item_done && next_item.is_none() {
                next_item = Some(item.id.clone());
            }
            if counts_towards_completion(rule, item) {
                module_progress.total += 1;
                if item_done {
                    module_progress.done += 1;
                }
            }
        }
        done += module_progress.done;
        total += module_progress.total;
        modules.push(module_progress);
    }
    let complete = if total > 0 {
        done == total
    } else {
        let mut lessons = course
            .items()
            .filter(|(_, item)| matches!(item.body, ItemBody::Lesson(_)))
            .peekable();
        if lessons.peek().is_some() {
            lessons.any(|(_, item)| state.lessons_done.contains(&item.id))
        } else {
            course.items().any(|(_, item)| is_done(rule, state, item))
        }
    };
    let percent = match (done * 100).checked_div(total) {
        // done <= total, so this is at most 100.
        Some(percent) => percent as u8,
        None if complete => 100,
        None => 0,
    };
    Progress {
        done,
        total,
        percent,
        complete,
        modules,
        next_item,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        ContentHash, Language, Lesson, Module, Question, QuestionKind, QuestionPool, Quiz,
        Scenario, ScenarioEnding, ScenarioStep, Visibility,
    };

    fn id(s: &str) -> Id {
        Id::new(s).unwrap()
    }

    fn item(name: &str, body: ItemBody) -> Item {
        Item {
            id: id(name),
            title: name.to_string(),
            duration_minutes: None,
            body,
            content_hash: ContentHash::default(),
        }
    }

    fn lesson(name: &str, required: bool) -> Item {
        item(
            name,
            ItemBody::Lesson(Lesson {
                required,
                blocks: vec![],
            }),
        )
    }

    fn quiz(name: &str) -> Item {
        item(
            name,
            ItemBody::Quiz(Quiz {
                intro_html: None,
                pass_mark: 70,
                max_attempts: None,
                shuffle_questions: false,
                shuffle_options: false,
                pools: vec![QuestionPool {
                    draw: 1,
                    questions: vec![Question {
                        id: id(&format!("{name}-q")),
                        prompt_html: "?".into(),
                        points: 1,
                        explanation_html: None,
                        answer: QuestionKind::TrueFalse {
                            answer: true,
                            feedback_true_html: None,
                            feedback_false_html: None,
                        },
                    }],
                }],
            }),
        )
    }

    fn scenario(name: &str) -> Item {
        item(
            name,
            ItemBody::Scenario(Scenario {
                intro_html: None,
                start: id("end"),
                steps: vec![ScenarioStep {
                    id: id("end"),
                    text_html: "done".into(),
                    choices: vec![],
                    ending: Some(ScenarioEnding {
                        outcome: crate::Outcome::Best,
                        debrief_html: "ok".into(),
                    }),
                }],
            }),
        )
    }

    fn module(name: &str, items: Vec<Item>) -> Module {
        Module {
            id: id(name),
            title: name.to_string(),
            summary: None,
            objectives: vec![],
            items,
            content_hash: ContentHash::default(),
        }
    }

    /// m1: l1, l2 (optional), q1; m2: s1, l3, q2.
    fn course(rule: CompletionRule) -> Course {
        Course {
            id: id("c"),
            title: "C".into(),
            language: Language::En,
            summary: String::new(),
            audience: None,
            duration_minutes: 10,
            objectives: vec![],
            visibility: Visibility::Listed,
            completion: rule,
            certificate: None,
            nudges: vec![],
            sources: vec![],
            authors: vec![],
            modules: vec![
                module(
                    "m1",
                    vec![lesson("l1", true), lesson("l2", false), quiz("q1")],
                ),
                module("m2", vec![scenario("s1"), lesson("l3", true), quiz("q2")]),
            ],
            assets: vec![],
            content_hash: ContentHash::default(),
        }
    }

    fn rule(
        lessons: LessonRequirement,
        quizzes: QuizRequirement,
        scenarios: ScenarioRequirement,
    ) -> CompletionRule {
        CompletionRule {
            lessons,
            quizzes,
            scenarios,
        }
    }

    fn set(ids: &[&str]) -> HashSet<Id> {
        ids.iter().map(|s| id(s)).collect()
    }

    fn state(
        lessons: &[&str],
        attempted: &[&str],
        passed: &[&str],
        scenarios: &[&str],
    ) -> LearnerState {
        LearnerState {
            lessons_done: set(lessons),
            quizzes_attempted: set(attempted),
            quizzes_passed: set(passed),
            scenarios_completed: set(scenarios),
        }
    }

    fn totals(p: &Progress) -> Vec<(String, usize, usize)> {
        p.modules
            .iter()
            .map(|m| (m.module.to_string(), m.done, m.total))
            .collect()
    }

    #[test]
    fn nothing_done_under_the_default_rule() {
        let c = course(CompletionRule::default());
        let p = progress(&c, &LearnerState::default());
        assert_eq!(
            p,
            Progress {
                done: 0,
                total: 6,
                percent: 0,
                complete: false,
                modules: vec![
                    ModuleProgress {
                        module: id("m1"),
                        done: 0,
                        total: 3
                    },
                    ModuleProgress {
                        module: id("m2"),
                        done: 0,
                        total: 3
                    },
                ],
                next_item: Some(id("l1")),
            }
        );
    }

    #[test]
    fn default_rule_needs_every_lesson_passed_quizzes_and_scenarios() {
        let c = course(CompletionRule::default());
        let s = state(&["l1", "l2", "l3"], &["q1", "q2"], &["q1"], &["s1"]);
        let p = progress(&c, &s);
        assert_eq!((p.done, p.total, p.percent, p.complete), (5, 6, 83, false));
        assert_eq!(totals(&p), [("m1".into(), 3, 3), ("m2".into(), 2, 3)]);
        assert_eq!(p.next_item, Some(id("q2")));

        let s = state(&["l1", "l2", "l3"], &[], &["q1", "q2"], &["s1"]);
        let p = progress(&c, &s);
        assert_eq!((p.done, p.total, p.percent, p.complete), (6, 6, 100, true));
        assert_eq!(p.next_item, None);
    }

    #[test]
    fn required_rule_skips_optional_lessons() {
        let c = course(rule(
            LessonRequirement::Required,
            QuizRequirement::Pass,
            ScenarioRequirement::Complete,
        ));
        let s = state(&["l1", "l3"], &[], &["q1", "q2"], &["s1"]);
        let p = progress(&c, &s);
        assert_eq!((p.done, p.total, p.complete), (5, 5, true));
        assert_eq!(totals(&p), [("m1".into(), 2, 2), ("m2".into(), 3, 3)]);
        // The optional lesson is still where "continue" leads.
        assert_eq!(p.next_item, Some(id("l2")));

        // `all` counts it.
        let c = course(CompletionRule::default());
        let p = progress(&c, &s);
        assert_eq!((p.done, p.total, p.complete), (5, 6, false));
    }

    #[test]
    fn attempt_rule_counts_attempted_and_passed_quizzes() {
        let c = course(rule(
            LessonRequirement::None,
            QuizRequirement::Attempt,
            ScenarioRequirement::None,
        ));
        let p = progress(&c, &state(&[], &["q1"], &[], &[]));
        assert_eq!((p.done, p.total, p.percent, p.complete), (1, 2, 50, false));
        assert_eq!(totals(&p), [("m1".into(), 1, 1), ("m2".into(), 0, 1)]);
        // Lessons and scenarios are not counted but "continue" still offers them.
        assert_eq!(p.next_item, Some(id("l1")));
        // Passed without a recorded attempt still counts.
        let p = progress(&c, &state(&[], &["q1"], &["q2"], &[]));
        assert!(p.complete);
        assert_eq!(p.percent, 100);
    }

    #[test]
    fn pass_rule_ignores_mere_attempts() {
        let c = course(rule(
            LessonRequirement::None,
            QuizRequirement::Pass,
            ScenarioRequirement::None,
        ));
        let s = state(&["l1", "l2"], &["q1", "q2"], &["q2"], &["s1"]);
        let p = progress(&c, &s);
        assert_eq!((p.done, p.total, p.complete), (1, 2, false));
        assert_eq!(p.next_item, Some(id("q1")));
    }

    #[test]
    fn scenario_rule() {
        let c = course(rule(
            LessonRequirement::None,
            QuizRequirement::None,
            ScenarioRequirement::Complete,
        ));
        let p = progress(&c, &LearnerState::default());
        assert_eq!((p.done, p.total, p.complete), (0, 1, false));
        let p = progress(&c, &state(&[], &[], &[], &["s1"]));
        assert_eq!((p.done, p.total, p.complete, p.percent), (1, 1, true, 100));
        assert_eq!(totals(&p), [("m1".into(), 0, 0), ("m2".into(), 1, 1)]);
    }

    #[test]
    fn next_item_treats_quizzes_by_the_rule() {
        let s = state(&["l1", "l2"], &["q1"], &[], &[]);
        let attempt = course(rule(
            LessonRequirement::All,
            QuizRequirement::Attempt,
            ScenarioRequirement::Complete,
        ));
        assert_eq!(progress(&attempt, &s).next_item, Some(id("s1")));
        for quizzes in [QuizRequirement::Pass, QuizRequirement::None] {
            let c = course(rule(
                LessonRequirement::All,
                quizzes,
                ScenarioRequirement::Complete,
            ));
            assert_eq!(progress(&c, &s).next_item, Some(id("q1")));
        }
    }

    #[test]
    fn nothing_counted_completes_after_a_lesson() {
        let c = course(rule(
            LessonRequirement::None,
            QuizRequirement::None,
            ScenarioRequirement::None,
        ));
        let p = progress(&c, &LearnerState::default());
        assert_eq!((p.done, p.total, p.percent, p.complete), (0, 0, 0, false));
        // A passed quiz alone is not enough when the course has lessons.
        let p = progress(&c, &state(&[], &["q1"], &["q1"], &["s1"]));
        assert!(!p.complete);
        let p = progress(&c, &state(&["l2"], &[], &[], &[]));
        assert_eq!((p.done, p.total, p.percent, p.complete), (0, 0, 100, true));
        assert_eq!(p.next_item, Some(id("l1")));
    }

    #[test]
    fn required_rule_with_only_optional_lessons_counts_nothing() {
        let mut c = course(rule(
            LessonRequirement::Required,
            QuizRequirement::None,
            ScenarioRequirement::None,
        ));
        c.modules = vec![module("m1", vec![lesson("a", false), lesson("b", false)])];
        assert!(!progress(&c, &LearnerState::default()).complete);
        let p = progress(&c, &state(&["b"], &[], &[], &[]));
        assert_eq!((p.total, p.complete, p.percent), (0, true, 100));
    }

    #[test]
    fn nothing_counted_without_lessons_completes_after_any_item() {
        let mut c = course(rule(
            LessonRequirement::All,
            QuizRequirement::None,
            ScenarioRequirement::None,
        ));
        c.modules = vec![module("m1", vec![quiz("q1"), scenario("s1")])];
        assert!(!progress(&c, &state(&[], &["q1"], &[], &[])).complete);
        assert!(progress(&c, &state(&[], &[], &[], &["s1"])).complete);
        assert!(progress(&c, &state(&[], &[], &["q1"], &[])).complete);
    }

    #[test]
    fn ids_from_elsewhere_are_ignored() {
        let c = course(CompletionRule::default());
        let s = state(&["other", "q1"], &["l1"], &["s1", "gone"], &["q2"]);
        let p = progress(&c, &s);
        assert_eq!((p.done, p.total), (0, 6));
        assert_eq!(p.next_item, Some(id("l1")));
    }

    #[test]
    fn empty_course() {
        let mut c = course(CompletionRule::default());
        c.modules = vec![];
        let p = progress(&c, &LearnerState::default());
        assert_eq!((p.done, p.total, p.percent, p.complete), (0, 0, 0, false));
        assert!(p.modules.is_empty());
        assert_eq!(p.next_item, None);
    }

    #[test]
    fn percent_rounds_down() {
        let c = course(CompletionRule::default());
        let p = progress(&c, &state(&["l1", "l2", "l3"], &[], &["q1"], &[]));
        assert_eq!((p.done, p.total, p.percent), (4, 6, 66));
    }

    #[test]
    fn counts_and_done_per_item() {
        let c = course(rule(
            LessonRequirement::Required,
            QuizRequirement::Attempt,
            ScenarioRequirement::None,
        ));
        let counted: Vec<&str> = c
            .items()
            .filter(|(_, i)| counts_towards_completion(&c.completion, i))
            .map(|(_, i)| i.id.as_str())
            .collect();
        assert_eq!(counted, ["l1", "q1", "l3", "q2"]);
        let s = state(&["l2"], &["q2"], &[], &["s1"]);
        let done: Vec<&str> = c
            .items()
            .filter(|(_, i)| is_done(&c.completion, &s, i))
            .map(|(_, i)| i.id.as_str())
            .collect();
        assert_eq!(done, ["l2", "s1", "q2"]);
    }
}
