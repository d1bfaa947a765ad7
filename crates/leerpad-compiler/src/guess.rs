//! Questions that can be answered without knowing the answer.
//!
//! A quiz measures what a learner knows only if the right answer cannot be told from
//! its form: it is not always the longest option, not always in the same place, not
//! mostly "false"; no "all of the above" gives it away, and no double negative makes
//! a learner who knows the answer get it wrong. These checks give warnings (never
//! errors), each with a code that `allow:` can silence where it is reported, with a
//! reason. `docs/course-format.md` ("Guessable questions") describes them for trainers.
//!
//! The per-quiz and per-scenario figures are also added up per course
//! ([`Tally`]), and shares that are far above chance are reported on `course.yaml`.

use std::cell::Cell;
use std::collections::HashMap;

use leerpad_core::{Language, Outcome};

use crate::diagnostic::{Diagnostic, Diagnostics, Position};
use crate::schema::{QuestionType, RawAllow, RawCourse, RawQuestion, RawQuiz, RawScenario};
use crate::yaml::{suggest, YPath, YamlDoc};

/// The correct option of a question (or the best choice of a step) is the longest.
pub const LONGEST_CORRECT: &str = "longest-correct";
/// The correct option is mostly in the same place.
pub const PREDICTABLE_POSITION: &str = "predictable-position";
/// True/false questions are mostly true, or mostly false.
pub const TRUE_FALSE_BALANCE: &str = "true-false-balance";
/// An "all of the above" or "none of the above" option.
pub const ALL_OF_THE_ABOVE: &str = "all-of-the-above";
/// Two negations in one sentence of a prompt.
pub const DOUBLE_NEGATIVE: &str = "double-negative";
/// The best choice of a scenario step is the longest.
pub const LONGEST_BEST_CHOICE: &str = "longest-best-choice";

pub const CHECKS: &[&str] = &[
    LONGEST_CORRECT,
    PREDICTABLE_POSITION,
    TRUE_FALSE_BALANCE,
    ALL_OF_THE_ABOVE,
    DOUBLE_NEGATIVE,
    LONGEST_BEST_CHOICE,
];

/// An option counts as *clearly* the longest when it is at least this many times as
/// long as every other option…
const CLEARLY_LONGER_RATIO: f64 = 1.25;
/// …and at least this many characters longer.
const CLEARLY_LONGER_CHARS: usize = 10;

/// A share is reported when it is at least this many times what chance would give…
const SHARE_RATIO: f64 = 1.5;
/// …chance would give a share at least that high less often than this…
const SHARE_P: f64 = 0.05;
/// …and it counts at least this many questions or steps.
const SHARE_MIN_HITS: usize = 3;

/// The figures of a course's quizzes and scenarios, for the course-wide shares.
#[derive(Debug, Default)]
pub struct Tally {
    longest: Share,
    positions: Positions,
    true_false: Balance,
    best_choice: Share,
    /// How many quizzes (or scenarios) each figure comes from: a course-wide share is
    /// reported only when it adds up more than one, otherwise the quiz's own check
    /// said it all.
    longest_from: usize,
    positions_from: usize,
    true_false_from: usize,
    best_choice_from: usize,
}

/// How often something happened (`hits`), against the chance of it happening by
/// accident in each case counted.
#[derive(Debug, Default, Clone)]
struct Share {
    hits: usize,
    chances: Vec<f64>,
}

impl Share {
    fn count(&mut self, hit: bool, chance: f64) {
        self.hits += usize::from(hit);
        self.chances.push(chance);
    }

    fn add(&mut self, other: &Share) {
        self.hits += other.hits;
        self.chances.extend_from_slice(&other.chances);
    }

    fn expected(&self) -> f64 {
        self.chances.iter().sum()
    }

    /// Whether this share is far enough above chance to report.
    fn is_suspicious(&self) -> bool {
        self.hits >= SHARE_MIN_HITS
            && self.hits as f64 >= SHARE_RATIO * self.expected()
            && tail_probability(&self.chances, self.hits) < SHARE_P
    }
}

/// Where the correct option is, per single-choice question: (index, options).
#[derive(Debug, Default, Clone)]
struct Positions(Vec<(usize, usize)>);

impl Positions {
    /// The most suspicious place: its description and its share, if any is
    /// suspicious. Places are "option N" and "the last option".
    fn most_predictable(&self) -> Option<(String, Share)> {
        let longest = self.0.iter().map(|&(_, n)| n).max()?;
        let mut found: Option<(String, Share, f64)> = None;
        let mut consider = |place: String, share: Share| {
            if share.is_suspicious() {
                let p = tail_probability(&share.chances, share.hits);
                if found.as_ref().is_none_or(|(_, _, q)| p < *q) {
                    found = Some((place, share, p));
                }
            }
        };
        for k in 0..longest {
            let mut share = Share::default();
            for &(at, n) in self.0.iter().filter(|(_, n)| *n > k) {
                share.count(at == k, 1.0 / n as f64);
            }
            consider(format!("option {}", k + 1), share);
        }
        let mut last = Share::default();
        for &(at, n) in &self.0 {
            last.count(at + 1 == n, 1.0 / n as f64);
        }
        consider("the last option".to_string(), last);
        found.map(|(place, share, _)| (place, share))
    }
}

/// True/false answers: how many are true and how many false.
#[derive(Debug, Default, Clone, Copy)]
struct Balance {
    trues: usize,
    falses: usize,
}

impl Balance {
    /// The side the answers lean to and its share, when they lean far enough.
    fn lean(&self) -> Option<(bool, Share)> {
        let n = self.trues + self.falses;
        let (side, hits) = if self.trues >= self.falses {
            (true, self.trues)
        } else {
            (false, self.falses)
        };
        let share = Share {
            hits,
            chances: vec![0.5; n],
        };
        share.is_suspicious().then_some((side, share))
    }
}

/// The probability that independent events with these chances happen at least `k`
/// times (the tail of a Poisson binomial distribution).
fn tail_probability(chances: &[f64], k: usize) -> f64 {
    // dist[j]: probability of exactly j events so far.
    let mut dist = vec![0.0; chances.len() + 1];
    dist[0] = 1.0;
    for (i, &p) in chances.iter().enumerate() {
        for j in (0..=i + 1).rev() {
            let stay = dist[j] * (1.0 - p);
            let come = if j > 0 { dist[j - 1] * p } else { 0.0 };
            dist[j] = stay + come;
        }
    }
    dist.iter().skip(k).sum()
}

/// The `allow:` of one place in a file, which remembers what it silenced so that a
/// silence that silences nothing can be reported.
struct Allow<'a> {
    entries: Vec<AllowEntry>,
    doc: &'a YamlDoc<'a>,
    /// What can be silenced at this place.
    here: &'static [&'static str],
    what: &'static str,
}

struct AllowEntry {
    check: String,
    reason: Option<String>,
    position: Position,
    used: Cell<bool>,
}

impl<'a> Allow<'a> {
    fn new(
        raw: &RawAllow,
        doc: &'a YamlDoc<'a>,
        at: &YPath,
        here: &'static [&'static str],
        what: &'static str,
    ) -> Self {
        let entries = raw
            .iter()
            .map(|(check, reason)| AllowEntry {
                check: check.clone(),
                reason: reason
                    .as_deref()
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(str::to_string),
                position: doc.key_pos(&at.key("allow").key(check)),
                used: Cell::new(false),
            })
            .collect();
        Allow {
            entries,
            doc,
            here,
            what,
        }
    }

    /// Whether `check` is silenced here (with a reason). A silence without a reason
    /// silences nothing.
    fn silences(&self, check: &str) -> bool {
        self.entries
            .iter()
            .filter(|e| e.check == check)
            .inspect(|e| e.used.set(true))
            .any(|e| e.reason.is_some())
    }

    /// Reports `d` unless its check is silenced here.
    fn report(&self, d: Diagnostic, diags: &mut Diagnostics) {
        if !self.silences(d.code) {
            diags.push(d);
        }
    }

    /// Reports the silences that name no check, lack a reason or silence nothing.
    fn finish(self, diags: &mut Diagnostics) {
        let file = &self.doc.file;
        for e in &self.entries {
            if !CHECKS.contains(&e.check.as_str()) {
                let known: Vec<String> = CHECKS.iter().map(|c| c.to_string()).collect();
                diags.push(
                    Diagnostic::error(
                        "invalid-value",
                        file,
                        e.position,
                        format!("`{}` is not a check that `allow` can silence", e.check),
                    )
                    .with_hint(suggest(&e.check, &known, "entry")),
                );
                continue;
            }
            if e.reason.is_none() {
                diags.push(
                    Diagnostic::warning(
                        "allow-without-reason",
                        file,
                        e.position,
                        format!("`{}` is silenced without a reason", e.check),
                    )
                    .with_hint(format!(
                        "write why the check does not apply, e.g. `{}: \"…\"`; until then it is not silenced",
                        e.check
                    )),
                );
            } else if !e.used.get() {
                let hint = if self.here.contains(&e.check.as_str()) {
                    format!(
                        "`{}` finds nothing here (any more); remove this line",
                        e.check
                    )
                } else {
                    format!(
                        "on {} `allow` can silence {}",
                        self.what,
                        self.here
                            .iter()
                            .map(|c| format!("`{c}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                diags.push(
                    Diagnostic::warning(
                        "unused-allow",
                        file,
                        e.position,
                        format!("`{}` is silenced here but has nothing to silence", e.check),
                    )
                    .with_hint(hint),
                );
            }
        }
    }
}

/// The length of an option as a learner sees it: characters, without Markdown's
/// emphasis marks and with white space folded.
fn visible_len(text: &str) -> usize {
    text.split_whitespace()
        .map(|w| w.chars().filter(|c| !matches!(c, '*' | '_' | '`')).count())
        .sum::<usize>()
        + text.split_whitespace().count().saturating_sub(1)
}

/// How the option at `chosen` compares in length with the others: whether it is the
/// longest, and whether clearly so. `None` with fewer than two options.
fn compare_length(lengths: &[usize], chosen: usize) -> Option<(bool, bool, usize)> {
    let own = *lengths.get(chosen)?;
    let other = lengths
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != chosen)
        .map(|(_, &l)| l)
        .max()?;
    let longest = own > other;
    let clearly =
        own as f64 >= CLEARLY_LONGER_RATIO * other as f64 && own >= other + CLEARLY_LONGER_CHARS;
    Some((longest, clearly, other))
}

/// The end of every hint: how to silence the check where it was reported.
fn silence_hint(check: &str, place: &str) -> String {
    format!("if it is deliberate, add `allow: {{{check}: \"why\"}}` to {place}")
}

/// Checks a quiz, and adds its figures to the course's.
pub fn check_quiz(
    raw: &RawQuiz,
    doc: &YamlDoc<'_>,
    language: Language,
    tally: &mut Tally,
    diags: &mut Diagnostics,
) {
    let root = YPath::root();
    let mut questions: Vec<(&RawQuestion, YPath)> = Vec::new();
    for (i, q) in raw.questions.iter().enumerate() {
        if let Some(q) = q {
            questions.push((q, root.key("questions").index(i)));
        }
    }
    for (p, pool) in raw.pools.iter().enumerate() {
        let Some(pool) = pool else { continue };
        for (i, q) in pool.questions.iter().enumerate() {
            if let Some(q) = q {
                questions.push((q, root.key("pools").index(p).key("questions").index(i)));
            }
        }
    }

    let mut longest = Share::default();
    let mut positions = Positions::default();
    let mut balance = Balance::default();
    for (q, path) in &questions {
        let allow = Allow::new(
            &q.allow,
            doc,
            path,
            &[LONGEST_CORRECT, ALL_OF_THE_ABOVE, DOUBLE_NEGATIVE],
            "a question",
        );
        check_question(
            q,
            path,
            doc,
            language,
            &allow,
            &mut longest,
            &mut positions,
            diags,
        );
        if q.kind == QuestionType::TrueFalse {
            match q.answer {
                Some(true) => balance.trues += 1,
                Some(false) => balance.falses += 1,
                None => {}
            }
        }
        allow.finish(diags);
    }

    let allow = Allow::new(
        &raw.allow,
        doc,
        &root,
        &[LONGEST_CORRECT, PREDICTABLE_POSITION, TRUE_FALSE_BALANCE],
        "a quiz",
    );
    let at = doc.key_pos(&root.key(if raw.questions.is_empty() {
        "pools"
    } else {
        "questions"
    }));
    let place = "the quiz";
    if longest.is_suspicious() {
        allow.report(
            longest_share(&doc.file, at, &longest, "of this quiz", place),
            diags,
        );
    }
    if raw.shuffle_options {
        // Each learner sees the options in an order of their own.
        positions.0.clear();
    }
    if let Some(d) = position_share(&doc.file, at, &positions, "of this quiz", place) {
        allow.report(d, diags);
    }
    if let Some(d) = balance_share(&doc.file, at, balance, "of this quiz", place) {
        allow.report(d, diags);
    }
    allow.finish(diags);

    tally.longest_from += usize::from(!longest.chances.is_empty());
    tally.positions_from += usize::from(!positions.0.is_empty());
    tally.true_false_from += usize::from(balance.trues + balance.falses > 0);
    tally.longest.add(&longest);
    tally.positions.0.extend(positions.0);
    tally.true_false.trues += balance.trues;
    tally.true_false.falses += balance.falses;
}

#[allow(clippy::too_many_arguments)]
fn check_question(
    q: &RawQuestion,
    path: &YPath,
    doc: &YamlDoc<'_>,
    language: Language,
    allow: &Allow<'_>,
    longest: &mut Share,
    positions: &mut Positions,
    diags: &mut Diagnostics,
) {
    let place = "this question";
    if let Some((sentence, words)) = double_negative(&q.prompt, language) {
        allow.report(
            doc.warning(
                DOUBLE_NEGATIVE,
                &path.key("prompt"),
                format!(
                    "the prompt has a double negative ({}): \"{sentence}\"",
                    words
                        .iter()
                        .map(|w| format!("`{w}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .with_hint(format!(
                "learners who know the answer misread double negatives: ask it positively; {}",
                silence_hint(DOUBLE_NEGATIVE, place)
            )),
            diags,
        );
    }
    let Some(options) = &q.options else { return };
    if !matches!(
        q.kind,
        QuestionType::SingleChoice | QuestionType::MultipleResponse
    ) {
        return;
    }
    let opts = path.key("options");
    for (i, o) in options.iter().enumerate() {
        if let Some(phrase) = all_or_none_of_the_above(&o.text) {
            allow.report(
                doc.warning(
                    ALL_OF_THE_ABOVE,
                    &opts.index(i).key("text"),
                    format!("\"{phrase}\" as an option"),
                )
                .with_hint(format!(
                    "a learner who spots two right options picks \"all of the above\" without knowing the rest, and \"none of the above\" shows nothing of what they know: write a real option, or make the question `multiple_response`; {}",
                    silence_hint(ALL_OF_THE_ABOVE, place)
                )),
                diags,
            );
        }
    }
    if q.kind != QuestionType::SingleChoice {
        return;
    }
    let correct: Vec<usize> = (0..options.len()).filter(|&i| options[i].correct).collect();
    let [correct] = correct[..] else { return };
    if options.len() < 2 {
        return;
    }
    positions.0.push((correct, options.len()));
    let lengths: Vec<usize> = options.iter().map(|o| visible_len(&o.text)).collect();
    let Some((is_longest, clearly, other)) = compare_length(&lengths, correct) else {
        return;
    };
    // A question silenced with a reason leaves the shares too: its correct option
    // is long for a reason given.
    if is_longest && allow.silences(LONGEST_CORRECT) {
        return;
    }
    longest.count(is_longest, 1.0 / options.len() as f64);
    if clearly {
        diags.push(
            doc.warning(
                LONGEST_CORRECT,
                &opts.index(correct).key("text"),
                format!(
                    "the correct option is clearly the longest ({} characters, the longest other option {other})",
                    lengths[correct]
                ),
            )
            .with_hint(format!(
                "learners who do not know the answer pick the longest, most careful option: make the other options as long and as plausible, or say this one more briefly; {}",
                silence_hint(LONGEST_CORRECT, place)
            )),
        );
    }
}

fn longest_share(
    file: &std::path::Path,
    at: Position,
    share: &Share,
    scope: &str,
    place: &str,
) -> Diagnostic {
    Diagnostic::warning(
        LONGEST_CORRECT,
        file,
        at,
        format!(
            "in {} of {} single-choice questions {scope} the correct option is the longest (by chance about {:.0})",
            share.hits,
            share.chances.len(),
            share.expected()
        ),
    )
    .with_hint(format!(
        "learners soon learn to pick the longest option: make the other options as long as the correct one in most of these questions; {}",
        silence_hint(LONGEST_CORRECT, place)
    ))
}

fn position_share(
    file: &std::path::Path,
    at: Position,
    positions: &Positions,
    scope: &str,
    place: &str,
) -> Option<Diagnostic> {
    let (where_, share) = positions.most_predictable()?;
    Some(
        Diagnostic::warning(
            PREDICTABLE_POSITION,
            file,
            at,
            format!(
                "in {} of {} single-choice questions {scope} the correct option is {where_} (by chance about {:.0})",
                share.hits,
                share.chances.len(),
                share.expected()
            ),
        )
        .with_hint(format!(
            "learners notice where the answer usually is: set `shuffle_options: true` so that each learner sees the options in an order of their own, or vary the place of the correct option; {}",
            silence_hint(PREDICTABLE_POSITION, place)
        )),
    )
}

fn balance_share(
    file: &std::path::Path,
    at: Position,
    balance: Balance,
    scope: &str,
    place: &str,
) -> Option<Diagnostic> {
    let (side, share) = balance.lean()?;
    let (name, other) = if side {
        ("true", "false")
    } else {
        ("false", "true")
    };
    Some(
        Diagnostic::warning(
            TRUE_FALSE_BALANCE,
            file,
            at,
            format!(
                "{} of {} true/false answers {scope} are `{name}`",
                share.hits,
                share.chances.len()
            ),
        )
        .with_hint(format!(
            "a learner who always answers `{name}` passes these without reading them: turn some statements around so that their answer is `{other}`; {}",
            silence_hint(TRUE_FALSE_BALANCE, place)
        )),
    )
}

/// Checks a scenario, and adds its figures to the course's.
pub fn check_scenario(
    raw: &RawScenario,
    doc: &YamlDoc<'_>,
    tally: &mut Tally,
    diags: &mut Diagnostics,
) {
    let root = YPath::root();
    let steps: Vec<(usize, &crate::schema::RawStep)> = raw
        .steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.as_ref().map(|s| (i, s)))
        .collect();
    let index: HashMap<&str, usize> = steps
        .iter()
        .enumerate()
        .map(|(k, (_, s))| (s.id.as_str(), k))
        .collect();
    let best = best_reachable(&steps, &index);

    let mut share = Share::default();
    for &(i, step) in &steps {
        let path = root.key("steps").index(i);
        let allow = Allow::new(
            &step.allow,
            doc,
            &path,
            &[LONGEST_BEST_CHOICE],
            "a scenario step",
        );
        let values: Vec<Option<u8>> = step
            .choices
            .iter()
            .map(|c| index.get(c.next.as_str()).and_then(|&j| best[j]))
            .collect();
        if let Some(top) = unique_best(&values) {
            let lengths: Vec<usize> = step.choices.iter().map(|c| visible_len(&c.label)).collect();
            if let Some((is_longest, clearly, other)) = compare_length(&lengths, top) {
                if !(is_longest && allow.silences(LONGEST_BEST_CHOICE)) {
                    share.count(is_longest, 1.0 / lengths.len() as f64);
                    if clearly {
                        diags.push(
                            doc.warning(
                                LONGEST_BEST_CHOICE,
                                &path.key("choices").index(top).key("label"),
                                format!(
                                    "the choice that leads to the best ending is clearly the longest ({} characters, the longest other choice {other})",
                                    lengths[top]
                                ),
                            )
                            .with_hint(format!(
                                "learners pick the longest, most careful choice without weighing the dilemma: give the other choices as much substance, or say this one more briefly; {}",
                                silence_hint(LONGEST_BEST_CHOICE, "this step")
                            )),
                        );
                    }
                }
            }
        }
        allow.finish(diags);
    }

    let allow = Allow::new(&raw.allow, doc, &root, &[LONGEST_BEST_CHOICE], "a scenario");
    if share.is_suspicious() {
        allow.report(
            best_choice_share(
                &doc.file,
                doc.key_pos(&root.key("steps")),
                &share,
                "of this scenario",
                "the scenario",
            ),
            diags,
        );
    }
    allow.finish(diags);
    tally.best_choice_from += usize::from(!share.chances.is_empty());
    tally.best_choice.add(&share);
}

fn best_choice_share(
    file: &std::path::Path,
    at: Position,
    share: &Share,
    scope: &str,
    place: &str,
) -> Diagnostic {
    Diagnostic::warning(
        LONGEST_BEST_CHOICE,
        file,
        at,
        format!(
            "in {} of {} steps {scope} the choice that leads to the best ending is the longest (by chance about {:.0})",
            share.hits,
            share.chances.len(),
            share.expected()
        ),
    )
    .with_hint(format!(
        "learners soon learn to pick the longest choice: give the other choices as much substance in most of these steps; {}",
        silence_hint(LONGEST_BEST_CHOICE, place)
    ))
}

fn rank(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Best => 3,
        Outcome::Good => 2,
        Outcome::Mixed => 1,
        Outcome::Poor => 0,
    }
}

/// Per step, the best outcome among the endings that can be reached from it.
fn best_reachable(
    steps: &[(usize, &crate::schema::RawStep)],
    index: &HashMap<&str, usize>,
) -> Vec<Option<u8>> {
    (0..steps.len())
        .map(|from| {
            let mut seen = vec![false; steps.len()];
            let mut stack = vec![from];
            let mut best = None;
            while let Some(k) = stack.pop() {
                if std::mem::replace(&mut seen[k], true) {
                    continue;
                }
                let step = steps[k].1;
                if let Some(e) = &step.ending {
                    best = best.max(Some(rank(e.outcome)));
                }
                for c in &step.choices {
                    if let Some(&j) = index.get(c.next.as_str()) {
                        stack.push(j);
                    }
                }
            }
            best
        })
        .collect()
}

/// The one choice that leads further than every other, if there is one.
fn unique_best(values: &[Option<u8>]) -> Option<usize> {
    if values.len() < 2 {
        return None;
    }
    let top = values.iter().copied().max()??;
    let mut at = values.iter().enumerate().filter(|(_, v)| **v == Some(top));
    let (i, _) = at.next()?;
    at.next().is_none().then_some(i)
}

/// The shares across the whole course, reported on `course.yaml` when they add up
/// more than one quiz (or scenario); with one, its own check said it all.
pub fn check_course(raw: &RawCourse, doc: &YamlDoc<'_>, tally: &Tally, diags: &mut Diagnostics) {
    let root = YPath::root();
    let allow = Allow::new(
        &raw.allow,
        doc,
        &root,
        &[
            LONGEST_CORRECT,
            PREDICTABLE_POSITION,
            TRUE_FALSE_BALANCE,
            LONGEST_BEST_CHOICE,
        ],
        "a course",
    );
    let at = doc.key_pos(&root.key("id"));
    let scope = "of this course";
    let place = "course.yaml";
    if tally.longest_from > 1 && tally.longest.is_suspicious() {
        allow.report(
            longest_share(&doc.file, at, &tally.longest, scope, place),
            diags,
        );
    }
    if tally.positions_from > 1 {
        if let Some(d) = position_share(&doc.file, at, &tally.positions, scope, place) {
            allow.report(d, diags);
        }
    }
    if tally.true_false_from > 1 {
        if let Some(d) = balance_share(&doc.file, at, tally.true_false, scope, place) {
            allow.report(d, diags);
        }
    }
    if tally.best_choice_from > 1 && tally.best_choice.is_suspicious() {
        allow.report(
            best_choice_share(&doc.file, at, &tally.best_choice, scope, place),
            diags,
        );
    }
    allow.finish(diags);
}

/// Words that negate, per language; a word counts once per occurrence.
fn is_negation(word: &str, language: Language) -> bool {
    match language {
        Language::Nl => matches!(
            word,
            "niet"
                | "geen"
                | "nooit"
                | "niemand"
                | "niets"
                | "niks"
                | "nergens"
                | "noch"
                | "geenszins"
                | "zonder"
                | "onjuist"
                | "onwaar"
                | "ongeldig"
                | "onwettig"
                | "onmogelijk"
                | "onterecht"
                | "ontoelaatbaar"
                | "onaanvaardbaar"
                | "ongepast"
                | "onnodig"
                | "onvoldoende"
        ),
        Language::En => {
            matches!(
                word,
                "not"
                    | "no"
                    | "never"
                    | "none"
                    | "nobody"
                    | "nothing"
                    | "neither"
                    | "nor"
                    | "nowhere"
                    | "cannot"
                    | "without"
                    | "incorrect"
                    | "untrue"
                    | "invalid"
                    | "illegal"
                    | "unlawful"
                    | "impossible"
                    | "unacceptable"
                    | "inappropriate"
                    | "unnecessary"
            ) || word.ends_with("n't")
        }
    }
}

/// Words that join two clauses, each of which may have a negation of its own.
fn is_conjunction(word: &str, language: Language) -> bool {
    match language {
        Language::Nl => matches!(word, "en" | "maar" | "of" | "want" | "dus" | "terwijl"),
        Language::En => matches!(word, "and" | "but" | "or" | "because" | "so" | "while"),
    }
}

/// The first clause of `prompt` with two or more negations, and those words.
/// Clauses end at punctuation and at conjunctions: "kreeg geen vragen en brengt
/// niemand in gevaar" negates twice, but not doubly.
fn double_negative(prompt: &str, language: Language) -> Option<(String, Vec<String>)> {
    let text = prompt.replace(['*', '_', '`'], "").replace('’', "'");
    for part in text.split(['.', '?', '!', ';', ':', ',', '(', ')', '\n']) {
        let mut clause: Vec<&str> = Vec::new();
        let mut negations: Vec<String> = Vec::new();
        for raw in part.split_whitespace() {
            let word = raw
                .trim_matches(|c: char| !(c.is_alphanumeric() || c == '\''))
                .to_lowercase();
            if is_conjunction(&word, language) {
                if negations.len() >= 2 {
                    break;
                }
                clause.clear();
                negations.clear();
                continue;
            }
            clause.push(raw);
            if is_negation(&word, language) {
                negations.push(word);
            }
        }
        if negations.len() >= 2 {
            return Some((clause.join(" "), negations));
        }
    }
    None
}

/// Phrases that make an option "all of the above" or "none of the above", in Dutch
/// and English, found anywhere in the option.
const ABOVE_PHRASES: &[&str] = &[
    "all of the above",
    "all the above",
    "none of the above",
    "both of the above",
    "neither of the above",
    "any of the above",
    "all of the previous",
    "none of the previous",
    "all answers are correct",
    "all of the answers",
    "none of the answers",
    "all of these",
    "none of these",
    "alle bovenstaande",
    "al het bovenstaande",
    "alles hierboven",
    "alle bovengenoemde",
    "geen van bovenstaande",
    "geen van de bovenstaande",
    "geen van de bovengenoemde",
    "niets van het bovenstaande",
    "geen van de vorige",
    "alle vorige",
    "alle antwoorden zijn juist",
    "alle antwoorden zijn correct",
    "alle antwoorden",
    "geen van de antwoorden",
    "geen enkel antwoord",
    "beide bovenstaande",
];

/// Options that are such a phrase as a whole.
const WHOLE_PHRASES: &[&str] = &[
    "all",
    "none",
    "both",
    "neither",
    "all of them",
    "none of them",
    "all three",
    "all four",
    "alle",
    "geen",
    "beide",
    "allebei",
    "geen van beide",
    "geen van allen",
    "geen enkele",
    "allemaal",
    "alle drie",
    "alle vier",
];

fn all_or_none_of_the_above(option: &str) -> Option<&'static str> {
    let folded: String = option
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let padded = format!(" {folded} ");
    ABOVE_PHRASES
        .iter()
        .find(|p| padded.contains(&format!(" {p} ")))
        .or_else(|| WHOLE_PHRASES.iter().find(|p| folded == **p))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_probability_is_a_binomial_tail() {
        let p = tail_probability(&[0.5; 4], 4);
        assert!((p - 1.0 / 16.0).abs() < 1e-12);
        assert!((tail_probability(&[0.5; 4], 0) - 1.0).abs() < 1e-12);
        let p = tail_probability(&[0.25, 0.5], 1);
        assert!((p - (1.0 - 0.75 * 0.5)).abs() < 1e-12);
    }

    #[test]
    fn shares_near_chance_are_not_suspicious() {
        // 5 of 16 four-option questions with the longest correct: chance gives 4.
        let share = Share {
            hits: 5,
            chances: vec![0.25; 16],
        };
        assert!(!share.is_suspicious());
        let share = Share {
            hits: 10,
            chances: vec![0.25; 16],
        };
        assert!(share.is_suspicious());
        // The example of docs/course-format.md: five questions of three or four
        // options, the correct one the longest in two is chance, in four is not.
        for options in [3.0, 4.0] {
            let five = |hits| Share {
                hits,
                chances: vec![1.0 / options; 5],
            };
            assert!(!five(2).is_suspicious());
            assert!(five(4).is_suspicious());
        }
        // Two of two is never enough.
        let share = Share {
            hits: 2,
            chances: vec![0.25; 2],
        };
        assert!(!share.is_suspicious());
    }

    #[test]
    fn clearly_longer_needs_both_a_ratio_and_characters() {
        assert_eq!(compare_length(&[30, 20], 0), Some((true, true, 20)));
        // 25% longer but only 5 characters.
        assert_eq!(compare_length(&[25, 20], 0), Some((true, false, 20)));
        // 10 characters longer but only 10%.
        assert_eq!(compare_length(&[110, 100], 0), Some((true, false, 100)));
        assert_eq!(compare_length(&[20, 30, 10], 0), Some((false, false, 30)));
    }

    #[test]
    fn above_options_are_found_in_both_languages() {
        for text in [
            "Alle bovenstaande",
            "Geen van de bovenstaande antwoorden.",
            "*All of the above*",
            "None of the above",
            "Geen van beide",
        ] {
            assert!(all_or_none_of_the_above(text).is_some(), "{text}");
        }
        for text in [
            "Alle reacties verwijderen",
            "Geen reactie geven",
            "None of the pushers",
        ] {
            assert!(all_or_none_of_the_above(text).is_none(), "{text}");
        }
    }

    #[test]
    fn double_negatives_are_per_sentence() {
        assert!(double_negative("Welke uitspraak is niet onjuist?", Language::Nl).is_some());
        assert!(double_negative(
            "Wat is niet strafbaar? Geen enkele wet verbiedt het.",
            Language::Nl
        )
        .is_none());
        assert!(double_negative("Which is not untrue?", Language::En).is_some());
        assert!(double_negative("It isn't never allowed.", Language::En).is_some());
        assert!(double_negative("Which is not allowed?", Language::En).is_none());
        assert!(double_negative(
            "Het onthaal kreeg er geen vragen over en het brengt niemand in gevaar.",
            Language::Nl
        )
        .is_none());
    }

    #[test]
    fn visible_length_ignores_markdown_and_spacing() {
        assert_eq!(visible_len("*ab*  c"), 4);
        assert_eq!(visible_len(" abc "), 3);
    }
}
