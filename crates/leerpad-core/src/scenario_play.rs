//! Playing a scenario: from the start step, each choice leads to its `next` step,
//! until a step with an ending.
//!
//! A run is stored as the list of choice indices the learner made (indices into each
//! step's `choices`, in order); [`replay`] rebuilds where that leaves the learner, and
//! [`choose`] adds one more choice. Nothing here keeps state between calls.

use std::collections::HashMap;
use std::fmt;

use crate::{Id, Scenario, ScenarioEnding, ScenarioStep};

/// Why a run cannot be played as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlayError {
    /// `start` or a choice's `next` names no step of the scenario. The compiler
    /// rejects such scenarios, so this means corrupt data.
    UnknownStep(Id),
    /// A choice index that the step does not have.
    ChoiceOutOfRange { step: Id, index: usize, len: usize },
    /// A choice made after the run reached an ending.
    AlreadyEnded { step: Id },
}

impl fmt::Display for PlayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlayError::UnknownStep(id) => write!(f, "the scenario has no step `{id}`"),
            PlayError::ChoiceOutOfRange { step, index, len } => write!(
                f,
                "step `{step}` has {len} choices, there is no choice {index}"
            ),
            PlayError::AlreadyEnded { step } => {
                write!(f, "the scenario already ended at step `{step}`")
            }
        }
    }
}

impl std::error::Error for PlayError {}

/// Where a run stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position<'a> {
    /// The step to show now.
    pub step: &'a ScenarioStep,
    /// The ids of the steps visited, the start first and `step` last. A scenario may
    /// loop, so ids can repeat. Always one longer than the choices made.
    pub path: Vec<Id>,
    /// The feedback of the choice that led here, if it has any; `None` at the start.
    pub last_feedback_html: Option<&'a str>,
    /// The step's ending when the run is over: the scenario is then completed.
    pub ended: Option<&'a ScenarioEnding>,
}

impl Position<'_> {
    /// Whether the run reached an ending.
    pub fn is_ended(&self) -> bool {
        self.ended.is_some()
    }
}

/// The start of a run.
///
/// # Panics
///
/// When `s.start` names no step, which the compiler never lets through. Use
/// `replay(s, &[])` for the same result as a `Result`.
pub fn start(s: &Scenario) -> Position<'_> {
    match replay(s, &[]) {
        Ok(position) => position,
        Err(e) => panic!("invalid scenario: {e}"),
    }
}

/// Where a run stands after making `choices` (indices into each step's `choices`)
/// from the start.
///
/// # Errors
///
/// [`PlayError`] for an unknown step, a choice index the step does not have, or a
/// choice after an ending: the stored run does not fit this scenario.
pub fn replay<'a>(s: &'a Scenario, choices: &[usize]) -> Result<Position<'a>, PlayError> {
    let steps: HashMap<&Id, &ScenarioStep> = s.steps.iter().rev().map(|st| (&st.id, st)).collect();
    let find = |id: &Id| {
        steps
            .get(id)
            .copied()
            .ok_or_else(|| PlayError::UnknownStep(id.clone()))
    };
    let mut step = find(&s.start)?;
    let mut path = Vec::with_capacity(choices.len() + 1);
    path.push(step.id.clone());
    let mut last_feedback_html = None;
    for &index in choices {
        if step.ending.is_some() {
            return Err(PlayError::AlreadyEnded {
                step: step.id.clone(),
            });
        }
        let choice = step
            .choices
            .get(index)
            .ok_or_else(|| PlayError::ChoiceOutOfRange {
                step: step.id.clone(),
                index,
                len: step.choices.len(),
            })?;
        step = find(&choice.next)?;
        path.push(step.id.clone());
        last_feedback_html = choice.feedback_html.as_deref();
    }
    Ok(Position {
        step,
        path,
        last_feedback_html,
        ended: step.ending.as_ref(),
    })
}

/// Where a run stands after making `choices` and then `next`: [`replay`] of
/// `choices` followed by `next`. The caller stores `choices + [next]` when this
/// succeeds.
///
/// # Errors
///
/// As [`replay`]; in particular [`PlayError::AlreadyEnded`] when `choices` already
/// reached an ending.
pub fn choose<'a>(
    s: &'a Scenario,
    choices: &[usize],
    next: usize,
) -> Result<Position<'a>, PlayError> {
    let mut all = Vec::with_capacity(choices.len() + 1);
    all.extend_from_slice(choices);
    all.push(next);
    replay(s, &all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Outcome, ScenarioChoice};

    fn id(s: &str) -> Id {
        Id::new(s).unwrap()
    }

    fn choice(label: &str, feedback: Option<&str>, next: &str) -> ScenarioChoice {
        ScenarioChoice {
            label: label.into(),
            feedback_html: feedback.map(str::to_string),
            next: id(next),
        }
    }

    fn step(name: &str, choices: Vec<ScenarioChoice>) -> ScenarioStep {
        ScenarioStep {
            id: id(name),
            text_html: format!("<p>{name}</p>"),
            choices,
            ending: None,
        }
    }

    fn ending(name: &str, outcome: Outcome) -> ScenarioStep {
        ScenarioStep {
            id: id(name),
            text_html: format!("<p>{name}</p>"),
            choices: vec![],
            ending: Some(ScenarioEnding {
                outcome,
                debrief_html: format!("debrief {name}"),
            }),
        }
    }

    /// bericht -> censuur (poor) | midden -> bericht (loop) | goed (best)
    fn scenario() -> Scenario {
        Scenario {
            intro_html: None,
            start: id("bericht"),
            steps: vec![
                ending("censuur", Outcome::Poor),
                step(
                    "bericht",
                    vec![
                        choice("Verwijderen", Some("Dat voedt het verhaal."), "censuur"),
                        choice("Antwoorden", None, "midden"),
                    ],
                ),
                step(
                    "midden",
                    vec![
                        choice("Terug", Some("Nog eens."), "bericht"),
                        choice("Huisregels", Some("Goed zo."), "goed"),
                    ],
                ),
                ending("goed", Outcome::Best),
            ],
        }
    }

    fn path<'a>(p: &'a Position<'_>) -> Vec<&'a str> {
        p.path.iter().map(Id::as_str).collect()
    }

    #[test]
    fn starts_at_start_not_the_first_step() {
        let s = scenario();
        let p = start(&s);
        assert_eq!(p.step.id, id("bericht"));
        assert_eq!(path(&p), ["bericht"]);
        assert_eq!(p.last_feedback_html, None);
        assert_eq!(p.ended, None);
        assert!(!p.is_ended());
        assert_eq!(replay(&s, &[]).unwrap(), p);
    }

    #[test]
    fn replays_to_an_ending() {
        let s = scenario();
        let p = replay(&s, &[0]).unwrap();
        assert_eq!(p.step.id, id("censuur"));
        assert_eq!(p.last_feedback_html, Some("Dat voedt het verhaal."));
        assert_eq!(p.ended.unwrap().outcome, Outcome::Poor);
        assert!(p.is_ended());

        let p = replay(&s, &[1, 1]).unwrap();
        assert_eq!(path(&p), ["bericht", "midden", "goed"]);
        assert_eq!(p.last_feedback_html, Some("Goed zo."));
        assert_eq!(p.ended.unwrap().debrief_html, "debrief goed");
    }

    #[test]
    fn last_feedback_is_only_the_last_choice() {
        let s = scenario();
        let p = replay(&s, &[1]).unwrap();
        assert_eq!(p.step.id, id("midden"));
        assert_eq!(p.last_feedback_html, None);
        assert!(!p.is_ended());
    }

    #[test]
    fn loops_repeat_steps_in_the_path() {
        let s = scenario();
        let p = replay(&s, &[1, 0, 1, 0, 1, 1]).unwrap();
        assert_eq!(
            path(&p),
            ["bericht", "midden", "bericht", "midden", "bericht", "midden", "goed"]
        );
        assert!(p.is_ended());
    }

    #[test]
    fn choose_extends_a_run() {
        let s = scenario();
        let p = choose(&s, &[], 1).unwrap();
        assert_eq!(p, replay(&s, &[1]).unwrap());
        let p = choose(&s, &[1], 0).unwrap();
        assert_eq!(p.step.id, id("bericht"));
        assert_eq!(p.last_feedback_html, Some("Nog eens."));
        assert_eq!(choose(&s, &[1], 1).unwrap(), replay(&s, &[1, 1]).unwrap());
    }

    #[test]
    fn errors() {
        let s = scenario();
        assert_eq!(
            replay(&s, &[2]),
            Err(PlayError::ChoiceOutOfRange {
                step: id("bericht"),
                index: 2,
                len: 2
            })
        );
        assert_eq!(
            choose(&s, &[1], usize::MAX),
            Err(PlayError::ChoiceOutOfRange {
                step: id("midden"),
                index: usize::MAX,
                len: 2
            })
        );
        assert_eq!(
            replay(&s, &[0, 0]),
            Err(PlayError::AlreadyEnded {
                step: id("censuur")
            })
        );
        assert_eq!(
            choose(&s, &[1, 1], 0),
            Err(PlayError::AlreadyEnded { step: id("goed") })
        );

        let mut broken = scenario();
        broken.steps[1].choices[1].next = id("nowhere");
        assert_eq!(
            replay(&broken, &[1]),
            Err(PlayError::UnknownStep(id("nowhere")))
        );
        assert!(replay(&broken, &[0]).is_ok());

        broken.start = id("missing");
        assert_eq!(
            replay(&broken, &[]),
            Err(PlayError::UnknownStep(id("missing")))
        );
    }

    #[test]
    #[should_panic(expected = "invalid scenario: the scenario has no step `missing`")]
    fn start_panics_on_an_invalid_scenario() {
        let mut s = scenario();
        s.start = id("missing");
        start(&s);
    }

    #[test]
    fn errors_display() {
        let e: Box<dyn std::error::Error> = Box::new(PlayError::ChoiceOutOfRange {
            step: id("a"),
            index: 3,
            len: 2,
        });
        assert_eq!(
            e.to_string(),
            "step `a` has 2 choices, there is no choice 3"
        );
        assert_eq!(
            PlayError::AlreadyEnded { step: id("b") }.to_string(),
            "the scenario already ended at step `b`"
        );
        assert_eq!(
            PlayError::UnknownStep(id("c")).to_string(),
            "the scenario has no step `c`"
        );
    }

    #[test]
    fn duplicate_step_ids_resolve_to_the_first() {
        let mut s = scenario();
        s.steps.push(ending("goed", Outcome::Poor));
        let p = replay(&s, &[1, 1]).unwrap();
        assert_eq!(p.ended.unwrap().outcome, Outcome::Best);
    }
}
