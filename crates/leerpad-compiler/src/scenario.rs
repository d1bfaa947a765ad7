//! Scenario sources to the compiled scenario, with the graph checks: every `next`
//! names a step, every step is reachable, and every path can reach an ending.

use std::collections::{HashMap, VecDeque};

use leerpad_core::{Id, Scenario, ScenarioChoice, ScenarioEnding, ScenarioStep};

use crate::diagnostic::Diagnostics;
use crate::ids::IdScope;
use crate::markdown::{render_fragment, FileContext, Rendered};
use crate::schema::{RawScenario, RawStep};
use crate::yaml::{suggest, YPath, YamlDoc};

pub fn build_scenario(
    raw: RawScenario,
    doc: &YamlDoc<'_>,
    file: &FileContext<'_>,
    out: &mut Rendered,
) -> Option<Scenario> {
    let root = YPath::root();
    let steps_path = root.key("steps");
    let mut diags = Diagnostics::default();
    // Steps with errors are `None` here; their index still matches the file.
    let steps: Vec<(usize, &RawStep)> = raw
        .steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.as_ref().map(|s| (i, s)))
        .collect();
    if raw.steps.is_empty() {
        diags.push(
            doc.error("empty-quiz", &steps_path, "this scenario has no steps")
                .with_hint("add at least a first step with choices and an ending"),
        );
    }

    let mut scope = IdScope::new(&file.link.tree.root);
    let mut index: HashMap<&Id, usize> = HashMap::new();
    for &(i, step) in &steps {
        let at = doc.pos(&steps_path.index(i).key("id"));
        if scope.claim(&step.id, &doc.file, at, "a scenario", &mut diags) {
            index.insert(&step.id, i);
        }
    }
    let known: Vec<String> = steps.iter().map(|(_, s)| s.id.to_string()).collect();
    let start = raw
        .start
        .clone()
        .or_else(|| steps.first().map(|(_, s)| s.id.clone()));
    let start_index = start.as_ref().and_then(|s| index.get(s).copied());
    if let (Some(start), None, true) = (&start, start_index, raw.start.is_some()) {
        diags.push(
            doc.error(
                "unknown-step",
                &root.key("start"),
                format!("`start` names step `{start}`, which does not exist"),
            )
            .with_hint(suggest(start.as_str(), &known, "step")),
        );
    }

    // Edges, and the local checks of each step.
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); raw.steps.len()];
    let mut dangling = false;
    for &(i, step) in &steps {
        let path = steps_path.index(i);
        if doc.is_pruned(&path) {
            continue;
        }
        match (step.choices.is_empty(), &step.ending) {
            (true, None) => diags.push(
                doc.error(
                    "dead-end-step",
                    &path.key("id"),
                    format!("step `{}` has neither choices nor an ending", step.id),
                )
                .with_hint("add `choices:` that lead on, or an `ending:` with an outcome and a debrief"),
            ),
            (false, Some(_)) => diags.push(
                doc.error(
                    "step-choices-and-ending",
                    &path.key("ending"),
                    format!("step `{}` has both choices and an ending", step.id),
                )
                .with_hint("a step either offers choices or ends the scenario; move the ending to a step of its own"),
            ),
            _ => {}
        }
        for (c, choice) in step.choices.iter().enumerate() {
            match index.get(&choice.next) {
                Some(&j) => edges[i].push(j),
                None => {
                    dangling = true;
                    diags.push(
                        doc.error(
                            "unknown-step",
                            &path.key("choices").index(c).key("next"),
                            format!(
                                "choice leads to step `{}`, which does not exist",
                                choice.next
                            ),
                        )
                        .with_hint(suggest(
                            choice.next.as_str(),
                            &known,
                            "step",
                        )),
                    )
                }
            }
        }
    }

    // The graph checks need every step intact, every id unique and every `next`
    // known; otherwise they
    // would only report consequences of the errors above.
    let intact = !dangling && !doc.is_pruned(&steps_path) && index.len() == raw.steps.len();
    if let (Some(start_index), true) = (start_index, intact) {
        graph_checks(&steps, start_index, &edges, doc, &steps_path, &mut diags);
    }

    let failed = diags.has_errors();
    out.diagnostics.extend(diags);
    if failed || doc.is_pruned(&root) {
        return None;
    }
    let md =
        |text: &str, at: &YPath, out: &mut Rendered| render_fragment(text, doc.pos(at), file, out);
    let intro_html = raw.intro.as_deref().map(|t| md(t, &root.key("intro"), out));
    let steps = steps
        .into_iter()
        .map(|(i, s)| {
            let path = steps_path.index(i);
            ScenarioStep {
                id: s.id.clone(),
                text_html: md(&s.text, &path.key("text"), out),
                choices: s
                    .choices
                    .iter()
                    .enumerate()
                    .map(|(c, ch)| ScenarioChoice {
                        label: ch.label.clone(),
                        feedback_html: ch
                            .feedback
                            .as_deref()
                            .map(|t| md(t, &path.key("choices").index(c).key("feedback"), out)),
                        next: ch.next.clone(),
                    })
                    .collect(),
                ending: s.ending.as_ref().map(|e| ScenarioEnding {
                    outcome: e.outcome,
                    debrief_html: md(&e.debrief, &path.key("ending").key("debrief"), out),
                }),
            }
        })
        .collect();
    Some(Scenario {
        intro_html,
        start: start?,
        steps,
    })
}

/// Reports steps that cannot be reached from the start, and steps from which no
/// ending can be reached.
fn graph_checks(
    steps: &[(usize, &RawStep)],
    start: usize,
    edges: &[Vec<usize>],
    doc: &YamlDoc<'_>,
    steps_path: &YPath,
    diags: &mut Diagnostics,
) {
    let reachable = reach(start, edges);
    let mut reverse: Vec<Vec<usize>> = vec![Vec::new(); edges.len()];
    for (i, targets) in edges.iter().enumerate() {
        for &j in targets {
            reverse[j].push(i);
        }
    }
    let mut ends_reachable = vec![false; edges.len()];
    for &(i, step) in steps {
        if step.ending.is_some() {
            for (j, r) in reach(i, &reverse).into_iter().enumerate() {
                ends_reachable[j] |= r;
            }
        }
    }
    let start_id = steps
        .iter()
        .find(|(i, _)| *i == start)
        .map(|(_, s)| s.id.clone());
    for &(i, step) in steps {
        let path = steps_path.index(i).key("id");
        if !reachable[i] {
            diags.push(
                doc.error(
                    "unreachable-step",
                    &path,
                    format!(
                        "step `{}` cannot be reached from `{}`",
                        step.id,
                        start_id.as_ref().expect("start is a step")
                    ),
                )
                .with_hint("point a choice's `next` at it, or remove it"),
            );
        } else if !ends_reachable[i] && !step.choices.is_empty() {
            diags.push(
                doc.error("dead-end-step", &path, format!("from step `{}` no ending can be reached", step.id))
                    .with_hint("the choices here only lead round in circles; let one lead to a step with an `ending:`"),
            );
        }
    }
}

/// Which nodes can be reached from `from`.
fn reach(from: usize, edges: &[Vec<usize>]) -> Vec<bool> {
    let mut seen = vec![false; edges.len()];
    let mut queue = VecDeque::from([from]);
    seen[from] = true;
    while let Some(n) = queue.pop_front() {
        for &m in &edges[n] {
            if !seen[m] {
                seen[m] = true;
                queue.push_back(m);
            }
        }
    }
    seen
}
