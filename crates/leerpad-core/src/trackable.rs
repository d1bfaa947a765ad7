//! The ids in a course that learner data attaches to.
//!
//! Lesson progress attaches to lessons, attempts to quizzes, answers to questions,
//! runs to scenarios and answers to reflection prompts. Publishing compares these
//! between versions: an id that disappears would orphan whatever learners did with it.

use serde::Serialize;

use crate::{ContentHash, Course, Id, ItemBody, LessonBlock};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackableKind {
    Lesson,
    Quiz,
    Scenario,
    Question,
    Reflection,
}

impl TrackableKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TrackableKind::Lesson => "lesson",
            TrackableKind::Quiz => "quiz",
            TrackableKind::Scenario => "scenario",
            TrackableKind::Question => "question",
            TrackableKind::Reflection => "reflection",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "lesson" => TrackableKind::Lesson,
            "quiz" => TrackableKind::Quiz,
            "scenario" => TrackableKind::Scenario,
            "question" => TrackableKind::Question,
            "reflection" => TrackableKind::Reflection,
            _ => return None,
        })
    }

    /// Lessons, quizzes and scenarios are items of a module; questions and
    /// reflection prompts live inside them.
    pub fn is_item(self) -> bool {
        matches!(
            self,
            TrackableKind::Lesson | TrackableKind::Quiz | TrackableKind::Scenario
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trackable {
    pub id: Id,
    pub kind: TrackableKind,
    /// The quiz of a question, the lesson of a reflection prompt.
    pub parent: Option<Id>,
    pub module: Id,
    /// Order in the course, counting every trackable.
    pub position: u32,
    /// The item's title; for questions and prompts, the parent's title.
    pub title: String,
    pub content_hash: ContentHash,
}

impl Course {
    /// Every trackable id of the course, in course order. Expects a sealed course.
    pub fn trackables(&self) -> Vec<Trackable> {
        let mut out = Vec::new();
        for module in &self.modules {
            for item in &module.items {
                let mut push = |id: &Id, kind, parent: Option<&Id>, content_hash: ContentHash| {
                    out.push(Trackable {
                        id: id.clone(),
                        kind,
                        parent: parent.cloned(),
                        module: module.id.clone(),
                        position: 0,
                        title: item.title.clone(),
                        content_hash,
                    })
                };
                match &item.body {
                    ItemBody::Lesson(lesson) => {
                        push(
                            &item.id,
                            TrackableKind::Lesson,
                            None,
                            item.content_hash.clone(),
                        );
                        for block in &lesson.blocks {
                            if let LessonBlock::Reflection(r) = block {
                                push(
                                    &r.id,
                                    TrackableKind::Reflection,
                                    Some(&item.id),
                                    ContentHash::of(r),
                                );
                            }
                        }
                    }
                    ItemBody::Quiz(quiz) => {
                        push(
                            &item.id,
                            TrackableKind::Quiz,
                            None,
                            item.content_hash.clone(),
                        );
                        for q in quiz.pools.iter().flat_map(|p| &p.questions) {
                            push(
                                &q.id,
                                TrackableKind::Question,
                                Some(&item.id),
                                ContentHash::of(q),
                            );
                        }
                    }
                    ItemBody::Scenario(_) => {
                        push(
                            &item.id,
                            TrackableKind::Scenario,
                            None,
                            item.content_hash.clone(),
                        );
                    }
                }
            }
        }
        for (i, t) in out.iter_mut().enumerate() {
            t.position = i as u32;
        }
        out
    }
}
