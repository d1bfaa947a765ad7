//! Quiz rules: grading one answer, drawing an attempt's questions, the order options
//! are shown in, scoring an attempt and counting attempts.
//!
//! Everything here is pure and deterministic. Randomness comes in as a `seed` that
//! the caller picks (for example from the operating system's generator) and stores
//! with the attempt; the same seed always gives the same questions and the same
//! option orders, so an attempt can be shown again exactly as it was.
//!
//! # Indices are canonical
//!
//! Options, matching pairs and ordering items are always referred to by their index
//! in the compiled course ("canonical order"), never by the position they were shown
//! in. [`option_order`] says where each one is shown; answers ([`Answer`]) name the
//! canonical indices of what the learner picked.
//!
//! # Short-answer patterns
//!
//! [`AcceptedAnswer::Pattern`] entries are regular expressions, but this crate does
//! not depend on a regex engine. [`grade_with`] takes the matcher as a closure;
//! [`grade`] uses one that never matches, so with [`grade`] a short-answer question
//! is correct only through its [`AcceptedAnswer::Exact`] entries. A server must call
//! [`grade_with`] with a real matcher; see its documentation for the exact contract.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{AcceptedAnswer, Feedback, Id, Question, QuestionKind, Quiz};

/// A learner's answer to one question.
///
/// Every index is canonical: an index into the question's `options`, `pairs` or
/// `items_html` as compiled, whatever order they were shown in.
///
/// JSON form: `{"type": "choice", "value": 2}`, `{"type": "text", "value": "Brandsma"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Answer {
    /// `single_choice`: the index of the chosen option.
    Choice(usize),
    /// `multiple_response`: the indices of the chosen options, in any order. An empty
    /// list is a valid (and always wrong, as every such question has a correct
    /// option) answer.
    Choices(Vec<usize>),
    /// `true_false`: the chosen value.
    Bool(bool),
    /// `matching`: for each pair `i` (its left side, in canonical order), the
    /// canonical index of the pair whose right side the learner matched to it. Must be
    /// a permutation of `0..pairs.len()`: each right side is used exactly once.
    Matching(Vec<usize>),
    /// `ordering`: the learner's order, first to last, as canonical indices of
    /// `items_html`. Must be a permutation of `0..items_html.len()`.
    Ordering(Vec<usize>),
    /// `short_answer`: the text typed. Must contain something other than white space.
    Text(String),
}

impl Answer {
    /// The name of this variant as it appears in JSON (`"choice"`, `"choices"`, …).
    pub fn type_name(&self) -> &'static str {
        match self {
            Answer::Choice(_) => "choice",
            Answer::Choices(_) => "choices",
            Answer::Bool(_) => "bool",
            Answer::Matching(_) => "matching",
            Answer::Ordering(_) => "ordering",
            Answer::Text(_) => "text",
        }
    }

    /// The [`Answer`] variant (as its JSON `type` name) that fits a question kind.
    pub fn type_name_for(kind: &QuestionKind) -> &'static str {
        match kind {
            QuestionKind::SingleChoice { .. } => "choice",
            QuestionKind::MultipleResponse { .. } => "choices",
            QuestionKind::TrueFalse { .. } => "bool",
            QuestionKind::Matching { .. } => "matching",
            QuestionKind::Ordering { .. } => "ordering",
            QuestionKind::ShortAnswer { .. } => "text",
        }
    }
}

/// Why an answer does not fit its question. The learner's input was malformed (or
/// the request was forged); it is not a wrong answer and should not be recorded as
/// one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerError {
    /// The answer is of another kind than the question asks for.
    WrongType {
        expected: &'static str,
        found: &'static str,
    },
    /// An index names no option, pair or item.
    IndexOutOfRange { index: usize, len: usize },
    /// The same index appears twice.
    DuplicateIndex(usize),
    /// A matching or ordering answer with more or fewer entries than the question has
    /// pairs or items.
    WrongLength { expected: usize, found: usize },
    /// A short answer that is empty or only white space.
    EmptyText,
}

impl fmt::Display for AnswerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnswerError::WrongType { expected, found } => write!(
                f,
                "this question takes an answer of type `{expected}`, not `{found}`"
            ),
            AnswerError::IndexOutOfRange { index, len } => write!(
                f,
                "answer index {index} is out of range: the question has {len}"
            ),
            AnswerError::DuplicateIndex(i) => {
                write!(f, "answer index {i} is given more than once")
            }
            AnswerError::WrongLength { expected, found } => write!(
                f,
                "the answer must place all {expected} entries, it places {found}"
            ),
            AnswerError::EmptyText => write!(f, "the answer is empty"),
        }
    }
}

impl std::error::Error for AnswerError {}

/// The outcome of grading one answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionResult {
    pub correct: bool,
    /// `max_points` when correct, else 0: there is no partial credit.
    pub points: u32,
    /// The question's `points`.
    pub max_points: u32,
    /// The feedback to show, in order (sanitised HTML from the compiled course):
    ///
    /// - `single_choice`: the chosen option's feedback;
    /// - `multiple_response`: in canonical option order, the feedback of every option
    ///   that was chosen or is correct (so missed correct options explain themselves);
    /// - `true_false`: `feedback_true_html` or `feedback_false_html` of the chosen value;
    /// - `matching`, `ordering`, `short_answer`: `feedback.correct_html` or
    ///   `feedback.incorrect_html`;
    ///
    /// then the question's `explanation_html`. Absent feedback is skipped, so the
    /// list may be empty.
    pub feedback_html: Vec<String>,
}

impl QuestionResult {
    /// The result for a drawn question the learner did not answer (for example when
    /// an attempt is submitted incomplete or times out): wrong, with only the
    /// explanation as feedback. Include it in [`score`] so the question's points
    /// count towards the maximum.
    pub fn unanswered(question: &Question) -> Self {
        QuestionResult {
            correct: false,
            points: 0,
            max_points: question.points,
            feedback_html: question.explanation_html.iter().cloned().collect(),
        }
    }
}

/// Grades an answer, with short-answer patterns never matching.
///
/// Same as [`grade_with`] with a matcher that returns `false`: short-answer
/// questions are then correct only when the answer equals an
/// [`AcceptedAnswer::Exact`] entry. Anything that grades real learners' short
/// answers should call [`grade_with`] with a regex matcher instead.
pub fn grade(question: &Question, answer: &Answer) -> Result<QuestionResult, AnswerError> {
    grade_with(question, answer, &|_, _, _| false)
}

/// Grades an answer. All-or-nothing: `question.points` when correct, else 0.
///
/// When each kind is correct:
///
/// - `single_choice`: the chosen option has `correct: true`;
/// - `multiple_response`: the chosen options are exactly the correct ones;
/// - `true_false`: the chosen value is the answer;
/// - `matching`: every left side is matched to a right side with the same HTML as
///   its own (so two pairs with identical right sides are interchangeable);
/// - `ordering`: the items, in the learner's order, have the same HTML as the
///   canonical order (identical items are interchangeable);
/// - `short_answer`: after normalising (trim, and collapse every run of white space
///   into one space), the answer equals a normalised [`AcceptedAnswer::Exact`]
///   entry (ignoring case unless `case_sensitive`; case is folded with Unicode
///   lowercase mapping), or `pattern_matches` accepts it for a
///   [`AcceptedAnswer::Pattern`] entry.
///
/// `pattern_matches(pattern, answer, case_sensitive)` receives the pattern as the
/// trainer wrote it, the *normalised* answer and the question's `case_sensitive`
/// flag. It must return whether the pattern matches the whole answer, ignoring case
/// when `case_sensitive` is false. With the `regex` crate, the same way the compiler
/// validates patterns:
///
/// ```text
/// regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
///     .case_insensitive(!case_sensitive)
///     .build()
///     .is_ok_and(|re| re.is_match(answer))
/// ```
///
/// (cache compiled regexes if that matters; an invalid pattern should not match).
///
/// # Errors
///
/// [`AnswerError`] when the answer does not fit the question: another answer type,
/// an index out of range, a duplicate index, a matching or ordering answer that is
/// not a permutation of all pairs or items, or a short answer that is only white
/// space. Nothing is graded then.
pub fn grade_with(
    question: &Question,
    answer: &Answer,
    pattern_matches: &dyn Fn(&str, &str, bool) -> bool,
) -> Result<QuestionResult, AnswerError> {
    let mut feedback_html = Vec::new();
    let correct = match (&question.answer, answer) {
        (QuestionKind::SingleChoice { options }, Answer::Choice(i)) => {
            check_index(*i, options.len())?;
            let option = &options[*i];
            feedback_html.extend(option.feedback_html.iter().cloned());
            option.correct
        }
        (QuestionKind::MultipleResponse { options }, Answer::Choices(chosen)) => {
            let chosen = chosen_set(chosen, options.len())?;
            for (option, &was_chosen) in options.iter().zip(&chosen) {
                if was_chosen || option.correct {
                    feedback_html.extend(option.feedback_html.iter().cloned());
                }
            }
            options
                .iter()
                .zip(&chosen)
                .all(|(option, &was_chosen)| option.correct == was_chosen)
        }
        (
            QuestionKind::TrueFalse {
                answer: right,
                feedback_true_html,
                feedback_false_html,
            },
            Answer::Bool(chosen),
        ) => {
            let feedback = if *chosen {
                feedback_true_html
            } else {
                feedback_false_html
            };
            feedback_html.extend(feedback.iter().cloned());
            chosen == right
        }
        (QuestionKind::Matching { pairs, feedback }, Answer::Matching(chosen)) => {
            check_permutation(chosen, pairs.len())?;
            let correct = chosen
                .iter()
                .enumerate()
                .all(|(left, &right)| pairs[right].right_html == pairs[left].right_html);
            push_feedback(&mut feedback_html, feedback, correct);
            correct
        }
        (
            QuestionKind::Ordering {
                items_html,
                feedback,
            },
            Answer::Ordering(order),
        ) => {
            check_permutation(order, items_html.len())?;
            let correct = order
                .iter()
                .enumerate()
                .all(|(position, &item)| items_html[item] == items_html[position]);
            push_feedback(&mut feedback_html, feedback, correct);
            correct
        }
        (
            QuestionKind::ShortAnswer {
                accept,
                case_sensitive,
                feedback,
            },
            Answer::Text(text),
        ) => {
            let given = normalize_text(text);
            if given.is_empty() {
                return Err(AnswerError::EmptyText);
            }
            let correct = accept.iter().any(|accepted| match accepted {
                AcceptedAnswer::Exact(s) => text_eq(&normalize_text(s), &given, *case_sensitive),
                AcceptedAnswer::Pattern(p) => pattern_matches(p, &given, *case_sensitive),
            });
            push_feedback(&mut feedback_html, feedback, correct);
            correct
        }
        (kind, answer) => {
            return Err(AnswerError::WrongType {
                expected: Answer::type_name_for(kind),
                found: answer.type_name(),
            })
        }
    };
    feedback_html.extend(question.explanation_html.iter().cloned());
    Ok(QuestionResult {
        correct,
        points: if correct { question.points } else { 0 },
        max_points: question.points,
        feedback_html,
    })
}

/// A short answer as it is compared: trimmed, with every run of white space
/// (Unicode `White_Space`, so also non-breaking spaces and newlines) turned into one
/// ASCII space.
pub fn normalize_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

fn text_eq(a: &str, b: &str, case_sensitive: bool) -> bool {
    if case_sensitive {
        a == b
    } else {
        a.chars()
            .flat_map(char::to_lowercase)
            .eq(b.chars().flat_map(char::to_lowercase))
    }
}

fn push_feedback(out: &mut Vec<String>, feedback: &Feedback, correct: bool) {
    let html = if correct {
        &feedback.correct_html
    } else {
        &feedback.incorrect_html
    };
    out.extend(html.iter().cloned());
}

fn check_index(index: usize, len: usize) -> Result<(), AnswerError> {
    if index < len {
        Ok(())
    } else {
        Err(AnswerError::IndexOutOfRange { index, len })
    }
}

/// Which of `len` entries `indices` names, checking range and duplicates.
fn chosen_set(indices: &[usize], len: usize) -> Result<Vec<bool>, AnswerError> {
    let mut seen = vec![false; len];
    for &i in indices {
        check_index(i, len)?;
        if std::mem::replace(&mut seen[i], true) {
            return Err(AnswerError::DuplicateIndex(i));
        }
    }
    Ok(seen)
}

fn check_permutation(indices: &[usize], len: usize) -> Result<(), AnswerError> {
    if indices.len() != len {
        return Err(AnswerError::WrongLength {
            expected: len,
            found: indices.len(),
        });
    }
    // `len` distinct indices below `len` are a permutation.
    chosen_set(indices, len).map(drop)
}

/// The question of a quiz with this id, in any pool.
///
/// For rebuilding an attempt from stored question ids.
pub fn find_question<'q>(quiz: &'q Quiz, id: &Id) -> Option<&'q Question> {
    quiz.pools
        .iter()
        .flat_map(|p| &p.questions)
        .find(|q| &q.id == id)
}

/// The questions of one attempt, in the order they are asked.
///
/// From every pool, in pool order, `draw` questions are drawn uniformly at random
/// without replacement (all of them when `draw` is at least the pool's size, without
/// using the generator). Drawn questions keep their canonical order within the pool,
/// unless `quiz.shuffle_questions`, in which case the whole drawn list is shuffled
/// (questions of different pools mix).
///
/// Deterministic: the same quiz and seed always give the same list.
///
/// # Stability
///
/// The generator ([splitmix64](https://prng.di.unimi.it/splitmix64.c)), the way
/// it draws bounded numbers and the order in which it is consumed (pools in order,
/// a partial Fisher–Yates per pool, then one Fisher–Yates over the drawn list) are
/// part of the stored data's meaning: attempts store their seed, and must show the
/// same questions when reloaded. Never change them; the `frozen_*` tests pin them.
pub fn draw_questions(quiz: &Quiz, seed: u64) -> Vec<&Question> {
    let mut rng = SplitMix64::new(seed);
    let mut drawn = Vec::new();
    for pool in &quiz.pools {
        let n = pool.questions.len();
        let k = usize::try_from(pool.draw).unwrap_or(usize::MAX).min(n);
        if k == n {
            drawn.extend(&pool.questions);
            continue;
        }
        let mut indices: Vec<usize> = (0..n).collect();
        for i in 0..k {
            let j = i + rng.below(n - i);
            indices.swap(i, j);
        }
        let chosen = &mut indices[..k];
        chosen.sort_unstable();
        drawn.extend(chosen.iter().map(|&i| &pool.questions[i]));
    }
    if quiz.shuffle_questions {
        rng.shuffle(&mut drawn);
    }
    drawn
}

/// The order in which a question's choices are presented: canonical indices, first
/// shown first.
///
/// - `single_choice`, `multiple_response`: the options; shuffled when `shuffle`
///   (pass the quiz's `shuffle_options`), else canonical order.
/// - `ordering`: the items. **Always** shuffled, whatever `shuffle` says, because
///   the canonical order is the answer; with two or more items the order shown never
///   reads the same as the canonical order (uniform over the orders that do not).
/// - `matching`: the right sides, listed beside (or offered in a select for) the left
///   sides in canonical order. **Always** shuffled like ordering items, for the same
///   reason: right sides in canonical order line up with their left sides.
/// - `true_false`, `short_answer`: nothing to order, an empty list.
///
/// The generator is seeded with `seed` mixed with the question's id, so questions of
/// one attempt (sharing the attempt's seed) are shuffled independently: a trainer who
/// always writes the correct option first does not get it in the same position in
/// every question. The same stability rules as for [`draw_questions`] apply.
pub fn option_order(question: &Question, shuffle: bool, seed: u64) -> Vec<usize> {
    let mut rng = SplitMix64::new(seed ^ fnv1a64(question.id.as_str().as_bytes()));
    match &question.answer {
        QuestionKind::SingleChoice { options } | QuestionKind::MultipleResponse { options } => {
            let mut order: Vec<usize> = (0..options.len()).collect();
            if shuffle {
                rng.shuffle(&mut order);
            }
            order
        }
        QuestionKind::Matching { pairs, .. } => {
            let rights: Vec<&str> = pairs.iter().map(|p| p.right_html.as_str()).collect();
            shuffle_away_from_canonical(&mut rng, &rights)
        }
        QuestionKind::Ordering { items_html, .. } => {
            let items: Vec<&str> = items_html.iter().map(String::as_str).collect();
            shuffle_away_from_canonical(&mut rng, &items)
        }
        QuestionKind::TrueFalse { .. } | QuestionKind::ShortAnswer { .. } => Vec::new(),
    }
}

/// A uniformly random order of `contents` (as indices) that does not read the same as
/// the canonical order, by rejection. Compared by content, so identical entries
/// swapping places does not count as a different order; when every entry is the
/// same, the order differs by index only.
fn shuffle_away_from_canonical(rng: &mut SplitMix64, contents: &[&str]) -> Vec<usize> {
    let n = contents.len();
    let mut order: Vec<usize> = (0..n).collect();
    if n < 2 {
        return order;
    }
    let all_same = contents.iter().all(|c| *c == contents[0]);
    let reads_canonical = |order: &[usize]| {
        if all_same {
            order.iter().enumerate().all(|(pos, &i)| pos == i)
        } else {
            order
                .iter()
                .enumerate()
                .all(|(pos, &i)| contents[i] == contents[pos])
        }
    };
    // Each try succeeds with probability at least 1/2, so 64 failures do not happen
    // in practice; the fallback only guarantees termination.
    for _ in 0..64 {
        rng.shuffle(&mut order);
        if !reads_canonical(&order) {
            return order;
        }
    }
    // Canonical order rotated by one: reads differently unless all entries are equal,
    // and then it differs by index.
    (1..n).chain(0..1).collect()
}

/// FNV-1a, 64 bits: a small, fixed hash for mixing ids into seeds.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// splitmix64 (Steele, Lea & Flood), as in the reference implementation. Frozen: see
/// [`draw_questions`].
struct SplitMix64(u64);

impl SplitMix64 {
    fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform number in `0..n` (`n > 0`), without modulo bias (Lemire's
    /// multiply-and-reject).
    fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0);
        let n = n as u64;
        // 2^64 mod n: products whose low half falls below it are rejected.
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as usize;
            }
        }
    }

    /// Fisher–Yates, from the last position down.
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// The score of a submitted attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuizScore {
    pub points: u32,
    pub max_points: u32,
    /// `points * 100 / max_points`, rounded down (so 69.9% is 69); 100 when
    /// `max_points` is 0.
    pub percent: u8,
    /// `percent >= pass_mark`. Rounding down first makes this the same as
    /// `points / max_points >= pass_mark / 100` exactly: 69.9% fails a pass mark of 70.
    pub passed: bool,
}

/// Scores an attempt from the results of its questions.
///
/// `results` must hold one result per drawn question, including unanswered ones
/// ([`QuestionResult::unanswered`]); the maximum is the sum of their `max_points`.
/// An attempt worth 0 points scores 100% and passes. Sums saturate at `u32::MAX`, and
/// the percentage is capped at 100 should results claim more points than their
/// maximum.
pub fn score(quiz: &Quiz, results: &[QuestionResult]) -> QuizScore {
    let sum = |f: fn(&QuestionResult) -> u32| {
        results
            .iter()
            .fold(0u64, |acc, r| acc.saturating_add(u64::from(f(r))))
    };
    let points = sum(|r| r.points);
    let max_points = sum(|r| r.max_points);
    let percent = points
        .saturating_mul(100)
        .checked_div(max_points)
        .map_or(100, |percent| percent.min(100) as u8);
    QuizScore {
        points: u32::try_from(points).unwrap_or(u32::MAX),
        max_points: u32::try_from(max_points).unwrap_or(u32::MAX),
        percent,
        passed: percent >= quiz.pass_mark,
    }
}

/// How many more attempts a learner who has used `used` may start: `None` when the
/// quiz allows unlimited attempts, else `max_attempts - used` (never below 0).
///
/// Count every attempt that was started, submitted or not, if abandoning an attempt
/// must not give a fresh draw of questions.
pub fn attempts_left(quiz: &Quiz, used: u32) -> Option<u32> {
    quiz.max_attempts.map(|max| max.saturating_sub(used))
}

/// An answer to `q` that grading marks right, or with `right = false` wrong, as
/// tests, benchmarks and demonstrations give it. A short answer is right when the
/// question accepts a literal text (its first); with only patterns it is wrong.
pub fn example_answer(q: &Question, right: bool) -> Answer {
    match &q.answer {
        QuestionKind::SingleChoice { options } => {
            Answer::Choice(options.iter().position(|o| o.correct == right).unwrap_or(0))
        }
        QuestionKind::MultipleResponse { options } => Answer::Choices(
            (0..options.len())
                .filter(|&i| options[i].correct == right)
                .collect(),
        ),
        QuestionKind::TrueFalse { answer, .. } => Answer::Bool(*answer == right),
        QuestionKind::Matching { pairs, .. } => {
            let n = pairs.len();
            Answer::Matching(
                (0..n)
                    .map(|i| if right { i } else { (i + 1) % n })
                    .collect(),
            )
        }
        QuestionKind::Ordering { items_html, .. } => {
            let n = items_html.len();
            Answer::Ordering((0..n).map(|p| if right { p } else { n - 1 - p }).collect())
        }
        QuestionKind::ShortAnswer { accept, .. } => match (accept.first(), right) {
            (Some(AcceptedAnswer::Exact(s)), true) => Answer::Text(s.clone()),
            _ => Answer::Text("iets heel anders".to_string()),
        },
    }
}

/// Whether a learner who has used `used` attempts may start another one.
pub fn may_attempt(quiz: &Quiz, used: u32) -> bool {
    attempts_left(quiz, used) != Some(0)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap};

    use super::*;
    use crate::{AnswerOption, MatchPair, QuestionPool};

    fn id(s: &str) -> Id {
        Id::new(s).unwrap()
    }

    fn h(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    fn question(qid: &str, points: u32, answer: QuestionKind) -> Question {
        Question {
            id: id(qid),
            prompt_html: format!("<p>{qid}?</p>"),
            points,
            explanation_html: h("<p>why</p>"),
            answer,
        }
    }

    fn opt(text: &str, correct: bool, feedback: Option<&str>) -> AnswerOption {
        AnswerOption {
            text_html: text.to_string(),
            correct,
            feedback_html: feedback.map(str::to_string),
        }
    }

    fn fb() -> Feedback {
        Feedback {
            correct_html: h("yes"),
            incorrect_html: h("no"),
        }
    }

    fn single() -> Question {
        question(
            "single",
            2,
            QuestionKind::SingleChoice {
                options: vec![
                    opt("a", false, Some("fa")),
                    opt("b", true, Some("fb")),
                    opt("c", false, None),
                ],
            },
        )
    }

    fn multiple() -> Question {
        question(
            "multiple",
            3,
            QuestionKind::MultipleResponse {
                options: vec![
                    opt("a", true, Some("fa")),
                    opt("b", false, Some("fb")),
                    opt("c", true, Some("fc")),
                    opt("d", false, None),
                    opt("e", true, None),
                ],
            },
        )
    }

    fn true_false() -> Question {
        question(
            "tf",
            1,
            QuestionKind::TrueFalse {
                answer: false,
                feedback_true_html: h("ft"),
                feedback_false_html: h("ff"),
            },
        )
    }

    fn matching() -> Question {
        question(
            "matching",
            1,
            QuestionKind::Matching {
                pairs: ["x", "y", "z"]
                    .iter()
                    .map(|s| MatchPair {
                        left_html: format!("L{s}"),
                        right_html: format!("R{s}"),
                    })
                    .collect(),
                feedback: fb(),
            },
        )
    }

    fn ordering(items: &[&str]) -> Question {
        question(
            "ordering",
            1,
            QuestionKind::Ordering {
                items_html: items.iter().map(|s| s.to_string()).collect(),
                feedback: fb(),
            },
        )
    }

    fn short(accept: Vec<AcceptedAnswer>, case_sensitive: bool) -> Question {
        question(
            "short",
            1,
            QuestionKind::ShortAnswer {
                accept,
                case_sensitive,
                feedback: fb(),
            },
        )
    }

    fn all_questions() -> Vec<Question> {
        vec![
            single(),
            multiple(),
            true_false(),
            matching(),
            ordering(&["1", "2", "3"]),
            short(vec![AcceptedAnswer::Exact("x".into())], false),
        ]
    }

    fn quiz(pools: Vec<QuestionPool>, shuffle_questions: bool) -> Quiz {
        Quiz {
            intro_html: None,
            pass_mark: 70,
            max_attempts: Some(3),
            shuffle_questions,
            shuffle_options: false,
            pools,
        }
    }

    fn pool(prefix: &str, n: usize, draw: u32) -> QuestionPool {
        QuestionPool {
            draw,
            questions: (0..n)
                .map(|i| {
                    question(
                        &format!("{prefix}{i}"),
                        1,
                        QuestionKind::TrueFalse {
                            answer: true,
                            feedback_true_html: None,
                            feedback_false_html: None,
                        },
                    )
                })
                .collect(),
        }
    }

    fn ids(questions: &[&Question]) -> Vec<String> {
        questions.iter().map(|q| q.id.to_string()).collect()
    }

    // --- grading: single choice ---

    #[test]
    fn single_choice_right_and_wrong() {
        let q = single();
        let right = grade(&q, &Answer::Choice(1)).unwrap();
        assert_eq!(
            right,
            QuestionResult {
                correct: true,
                points: 2,
                max_points: 2,
                feedback_html: vec!["fb".into(), "<p>why</p>".into()],
            }
        );
        let wrong = grade(&q, &Answer::Choice(0)).unwrap();
        assert!(!wrong.correct);
        assert_eq!(wrong.points, 0);
        assert_eq!(wrong.max_points, 2);
        assert_eq!(wrong.feedback_html, ["fa", "<p>why</p>"]);
        // An option without feedback: only the explanation.
        let no_feedback = grade(&q, &Answer::Choice(2)).unwrap();
        assert_eq!(no_feedback.feedback_html, ["<p>why</p>"]);
    }

    #[test]
    fn single_choice_invalid() {
        let q = single();
        assert_eq!(
            grade(&q, &Answer::Choice(3)),
            Err(AnswerError::IndexOutOfRange { index: 3, len: 3 })
        );
        assert_eq!(
            grade(&q, &Answer::Choices(vec![1])),
            Err(AnswerError::WrongType {
                expected: "choice",
                found: "choices"
            })
        );
    }

    // --- multiple response ---

    #[test]
    fn multiple_response_needs_exactly_the_correct_options() {
        let q = multiple();
        let right = grade(&q, &Answer::Choices(vec![4, 0, 2])).unwrap();
        assert!(right.correct);
        assert_eq!(right.points, 3);
        assert_eq!(right.feedback_html, ["fa", "fc", "<p>why</p>"]);

        // Missing a correct option: its feedback is shown too.
        let missing = grade(&q, &Answer::Choices(vec![0])).unwrap();
        assert!(!missing.correct);
        assert_eq!(missing.points, 0);
        assert_eq!(missing.feedback_html, ["fa", "fc", "<p>why</p>"]);

        // An extra wrong option makes it wrong; its feedback in canonical order.
        let extra = grade(&q, &Answer::Choices(vec![0, 1, 2, 4])).unwrap();
        assert!(!extra.correct);
        assert_eq!(extra.feedback_html, ["fa", "fb", "fc", "<p>why</p>"]);

        let none = grade(&q, &Answer::Choices(vec![])).unwrap();
        assert!(!none.correct);
        assert_eq!(none.feedback_html, ["fa", "fc", "<p>why</p>"]);

        let everything = grade(&q, &Answer::Choices(vec![0, 1, 2, 3, 4])).unwrap();
        assert!(!everything.correct);
    }

    #[test]
    fn multiple_response_invalid() {
        let q = multiple();
        assert_eq!(
            grade(&q, &Answer::Choices(vec![0, 2, 0])),
            Err(AnswerError::DuplicateIndex(0))
        );
        assert_eq!(
            grade(&q, &Answer::Choices(vec![0, 5])),
            Err(AnswerError::IndexOutOfRange { index: 5, len: 5 })
        );
        assert!(matches!(
            grade(&q, &Answer::Choice(0)),
            Err(AnswerError::WrongType { .. })
        ));
    }

    // --- true/false ---

    #[test]
    fn true_false_right_and_wrong() {
        let q = true_false();
        let right = grade(&q, &Answer::Bool(false)).unwrap();
        assert!(right.correct);
        assert_eq!(right.feedback_html, ["ff", "<p>why</p>"]);
        let wrong = grade(&q, &Answer::Bool(true)).unwrap();
        assert!(!wrong.correct);
        assert_eq!(wrong.feedback_html, ["ft", "<p>why</p>"]);
        assert!(matches!(
            grade(&q, &Answer::Text("false".into())),
            Err(AnswerError::WrongType {
                expected: "bool",
                found: "text"
            })
        ));
    }

    #[test]
    fn no_explanation_no_feedback() {
        let mut q = true_false();
        q.explanation_html = None;
        if let QuestionKind::TrueFalse {
            feedback_true_html, ..
        } = &mut q.answer
        {
            *feedback_true_html = None;
        }
        assert!(grade(&q, &Answer::Bool(true))
            .unwrap()
            .feedback_html
            .is_empty());
        assert_eq!(
            grade(&q, &Answer::Bool(false)).unwrap().feedback_html,
            ["ff"]
        );
    }

    // --- matching ---

    #[test]
    fn matching_right_and_wrong() {
        let q = matching();
        let right = grade(&q, &Answer::Matching(vec![0, 1, 2])).unwrap();
        assert!(right.correct);
        assert_eq!(right.feedback_html, ["yes", "<p>why</p>"]);
        let wrong = grade(&q, &Answer::Matching(vec![1, 0, 2])).unwrap();
        assert!(!wrong.correct);
        assert_eq!(wrong.feedback_html, ["no", "<p>why</p>"]);
    }

    #[test]
    fn matching_invalid() {
        let q = matching();
        assert_eq!(
            grade(&q, &Answer::Matching(vec![0, 1])),
            Err(AnswerError::WrongLength {
                expected: 3,
                found: 2
            })
        );
        assert_eq!(
            grade(&q, &Answer::Matching(vec![0, 1, 2, 0])),
            Err(AnswerError::WrongLength {
                expected: 3,
                found: 4
            })
        );
        assert_eq!(
            grade(&q, &Answer::Matching(vec![0, 0, 2])),
            Err(AnswerError::DuplicateIndex(0))
        );
        assert_eq!(
            grade(&q, &Answer::Matching(vec![0, 1, 3])),
            Err(AnswerError::IndexOutOfRange { index: 3, len: 3 })
        );
        assert!(matches!(
            grade(&q, &Answer::Ordering(vec![0, 1, 2])),
            Err(AnswerError::WrongType { .. })
        ));
    }

    #[test]
    fn matching_identical_right_sides_are_interchangeable() {
        let mut q = matching();
        if let QuestionKind::Matching { pairs, .. } = &mut q.answer {
            pairs[1].right_html = "same".into();
            pairs[2].right_html = "same".into();
        }
        assert!(grade(&q, &Answer::Matching(vec![0, 2, 1])).unwrap().correct);
        assert!(!grade(&q, &Answer::Matching(vec![1, 0, 2])).unwrap().correct);
    }

    // --- ordering ---

    #[test]
    fn ordering_right_and_wrong() {
        let q = ordering(&["first", "second", "third"]);
        let right = grade(&q, &Answer::Ordering(vec![0, 1, 2])).unwrap();
        assert!(right.correct);
        assert_eq!(right.feedback_html, ["yes", "<p>why</p>"]);
        let wrong = grade(&q, &Answer::Ordering(vec![0, 2, 1])).unwrap();
        assert!(!wrong.correct);
        assert_eq!(wrong.feedback_html, ["no", "<p>why</p>"]);
    }

    #[test]
    fn ordering_invalid() {
        let q = ordering(&["first", "second", "third"]);
        assert_eq!(
            grade(&q, &Answer::Ordering(vec![])),
            Err(AnswerError::WrongLength {
                expected: 3,
                found: 0
            })
        );
        assert_eq!(
            grade(&q, &Answer::Ordering(vec![2, 2, 1])),
            Err(AnswerError::DuplicateIndex(2))
        );
        assert_eq!(
            grade(&q, &Answer::Ordering(vec![0, 1, usize::MAX])),
            Err(AnswerError::IndexOutOfRange {
                index: usize::MAX,
                len: 3
            })
        );
    }

    #[test]
    fn ordering_identical_items_are_interchangeable() {
        let q = ordering(&["a", "b", "b"]);
        assert!(grade(&q, &Answer::Ordering(vec![0, 2, 1])).unwrap().correct);
        assert!(!grade(&q, &Answer::Ordering(vec![1, 0, 2])).unwrap().correct);
    }

    // --- short answer ---

    #[test]
    fn short_answer_folds_white_space_and_case() {
        let q = short(
            vec![
                AcceptedAnswer::Exact("Bart  Brandsma".into()),
                AcceptedAnswer::Exact("B. Brandsma ".into()),
            ],
            false,
        );
        for ok in [
            "Bart Brandsma",
            "  bart\tbrandsma\n",
            "BART \u{a0} BRANDSMA",
            "b. brandsma",
        ] {
            let r = grade(&q, &Answer::Text(ok.into())).unwrap();
            assert!(r.correct, "{ok:?}");
            assert_eq!(r.feedback_html, ["yes", "<p>why</p>"]);
        }
        for wrong in ["Brandsma", "BartBrandsma", "Bart Brandsma."] {
            let r = grade(&q, &Answer::Text(wrong.into())).unwrap();
            assert!(!r.correct, "{wrong:?}");
            assert_eq!(r.feedback_html, ["no", "<p>why</p>"]);
        }
    }

    #[test]
    fn short_answer_unicode_case_folding() {
        let q = short(vec![AcceptedAnswer::Exact("ÉÉN Straße".into())], false);
        assert!(
            grade(&q, &Answer::Text("één straße".into()))
                .unwrap()
                .correct
        );
    }

    #[test]
    fn short_answer_case_sensitive() {
        let q = short(vec![AcceptedAnswer::Exact("NaCl".into())], true);
        assert!(grade(&q, &Answer::Text(" NaCl ".into())).unwrap().correct);
        assert!(!grade(&q, &Answer::Text("nacl".into())).unwrap().correct);
    }

    #[test]
    fn short_answer_empty_is_invalid() {
        let q = short(vec![AcceptedAnswer::Exact("x".into())], false);
        assert_eq!(
            grade(&q, &Answer::Text(String::new())),
            Err(AnswerError::EmptyText)
        );
        assert_eq!(
            grade(&q, &Answer::Text(" \n\t ".into())),
            Err(AnswerError::EmptyText)
        );
        assert!(matches!(
            grade(&q, &Answer::Choice(0)),
            Err(AnswerError::WrongType {
                expected: "text",
                found: "choice"
            })
        ));
    }

    #[test]
    fn short_answer_patterns_go_through_the_matcher() {
        let q = short(
            vec![
                AcceptedAnswer::Exact("zeven".into()),
                AcceptedAnswer::Pattern("7|seven".into()),
            ],
            false,
        );
        // `grade` never matches patterns.
        assert!(!grade(&q, &Answer::Text("7".into())).unwrap().correct);
        assert!(grade(&q, &Answer::Text("Zeven".into())).unwrap().correct);

        let calls = std::cell::RefCell::new(Vec::new());
        let matcher = |pattern: &str, answer: &str, case_sensitive: bool| {
            calls
                .borrow_mut()
                .push((pattern.to_string(), answer.to_string(), case_sensitive));
            pattern
                .split('|')
                .any(|alt| alt.eq_ignore_ascii_case(answer))
        };
        assert!(
            grade_with(&q, &Answer::Text("  7 ".into()), &matcher)
                .unwrap()
                .correct
        );
        // The matcher sees the normalised answer and the case flag.
        assert_eq!(
            calls.borrow().as_slice(),
            [("7|seven".to_string(), "7".to_string(), false)]
        );
        assert!(
            grade_with(&q, &Answer::Text("SEVEN".into()), &matcher)
                .unwrap()
                .correct
        );
        assert!(
            !grade_with(&q, &Answer::Text("six".into()), &matcher)
                .unwrap()
                .correct
        );
        // An exact match does not need the matcher.
        calls.borrow_mut().clear();
        assert!(
            grade_with(&q, &Answer::Text("zeven".into()), &matcher)
                .unwrap()
                .correct
        );
        assert!(calls.borrow().is_empty());
    }

    #[test]
    fn normalize_text_collapses_runs() {
        assert_eq!(normalize_text("  a \t b\n\nc  "), "a b c");
        assert_eq!(normalize_text(""), "");
        assert_eq!(normalize_text("   "), "");
    }

    #[test]
    fn every_wrong_type_is_rejected() {
        let answers = [
            Answer::Choice(0),
            Answer::Choices(vec![0]),
            Answer::Bool(true),
            Answer::Matching(vec![0, 1, 2]),
            Answer::Ordering(vec![0, 1, 2]),
            Answer::Text("x".into()),
        ];
        for q in all_questions() {
            for a in &answers {
                let fits = a.type_name() == Answer::type_name_for(&q.answer);
                let result = grade(&q, a);
                if fits {
                    assert!(result.is_ok(), "{} {a:?}", q.id);
                } else {
                    assert_eq!(
                        result,
                        Err(AnswerError::WrongType {
                            expected: Answer::type_name_for(&q.answer),
                            found: a.type_name()
                        })
                    );
                }
            }
        }
    }

    #[test]
    fn answers_have_the_documented_json_form() {
        let json = |a: &Answer| serde_json::to_string(a).unwrap();
        assert_eq!(json(&Answer::Choice(2)), r#"{"type":"choice","value":2}"#);
        assert_eq!(
            json(&Answer::Choices(vec![0, 2])),
            r#"{"type":"choices","value":[0,2]}"#
        );
        assert_eq!(json(&Answer::Bool(true)), r#"{"type":"bool","value":true}"#);
        assert_eq!(
            json(&Answer::Matching(vec![1, 0])),
            r#"{"type":"matching","value":[1,0]}"#
        );
        assert_eq!(
            json(&Answer::Ordering(vec![1, 0])),
            r#"{"type":"ordering","value":[1,0]}"#
        );
        assert_eq!(
            json(&Answer::Text("x".into())),
            r#"{"type":"text","value":"x"}"#
        );
        for a in [Answer::Choices(vec![3]), Answer::Text("é".into())] {
            assert_eq!(serde_json::from_str::<Answer>(&json(&a)).unwrap(), a);
        }
    }

    #[test]
    fn errors_display() {
        let e: Box<dyn std::error::Error> =
            Box::new(AnswerError::IndexOutOfRange { index: 4, len: 3 });
        assert_eq!(
            e.to_string(),
            "answer index 4 is out of range: the question has 3"
        );
        assert_eq!(
            AnswerError::WrongType {
                expected: "choice",
                found: "text"
            }
            .to_string(),
            "this question takes an answer of type `choice`, not `text`"
        );
        assert_eq!(AnswerError::EmptyText.to_string(), "the answer is empty");
    }

    // --- drawing ---

    #[test]
    fn draws_the_right_number_from_each_pool_in_pool_order() {
        let q = quiz(
            vec![pool("a", 5, 2), pool("b", 3, 3), pool("c", 4, 9)],
            false,
        );
        for seed in 0..200 {
            let drawn = draw_questions(&q, seed);
            let names = ids(&drawn);
            assert_eq!(drawn.len(), 2 + 3 + 4);
            let a: Vec<&String> = names.iter().filter(|n| n.starts_with('a')).collect();
            assert_eq!(a.len(), 2);
            // Pools in order, canonical order within a pool.
            let mut sorted = names.clone();
            sorted.sort();
            assert_eq!(names, sorted, "seed {seed}");
            assert_eq!(names[2..], ["b0", "b1", "b2", "c0", "c1", "c2", "c3"]);
        }
    }

    #[test]
    fn drawing_is_deterministic_and_depends_on_the_seed() {
        let q = quiz(vec![pool("a", 10, 3), pool("b", 10, 3)], true);
        let mut seen = BTreeSet::new();
        for seed in 0..50 {
            let first = ids(&draw_questions(&q, seed));
            assert_eq!(first, ids(&draw_questions(&q, seed)));
            seen.insert(first);
        }
        assert!(seen.len() > 45, "only {} distinct draws", seen.len());
    }

    #[test]
    fn draw_zero_and_empty_pools() {
        let q = quiz(vec![pool("a", 3, 0), pool("b", 0, 2)], true);
        assert!(draw_questions(&q, 1).is_empty());
        assert!(draw_questions(&quiz(vec![], true), 1).is_empty());
    }

    #[test]
    fn drawing_is_uniform_enough() {
        // Each of 5 questions drawn 2 at a time: expected 2/5 of the draws.
        let q = quiz(vec![pool("a", 5, 2)], false);
        let mut counts: HashMap<String, u32> = HashMap::new();
        let mut pairs: HashMap<Vec<String>, u32> = HashMap::new();
        let runs = 20_000u32;
        for seed in 0..u64::from(runs) {
            let drawn = ids(&draw_questions(&q, seed));
            for name in &drawn {
                *counts.entry(name.clone()).or_default() += 1;
            }
            *pairs.entry(drawn).or_default() += 1;
        }
        let expected = f64::from(runs) * 2.0 / 5.0;
        assert_eq!(counts.len(), 5);
        for (name, &count) in &counts {
            let ratio = f64::from(count) / expected;
            assert!((0.95..1.05).contains(&ratio), "{name}: {count}");
        }
        // All 10 pairs occur about equally often.
        assert_eq!(pairs.len(), 10);
        for (pair, &count) in &pairs {
            let ratio = f64::from(count) / (f64::from(runs) / 10.0);
            assert!((0.9..1.1).contains(&ratio), "{pair:?}: {count}");
        }
    }

    #[test]
    fn shuffled_questions_are_uniform_enough() {
        let q = quiz(vec![pool("a", 3, 3)], true);
        let mut positions = [[0u32; 3]; 3];
        let runs = 12_000u32;
        for seed in 0..u64::from(runs) {
            for (pos, question) in draw_questions(&q, seed).iter().enumerate() {
                let i: usize = question.id.as_str()[1..].parse().unwrap();
                positions[i][pos] += 1;
            }
        }
        for row in positions {
            for count in row {
                let ratio = f64::from(count) / (f64::from(runs) / 3.0);
                assert!((0.93..1.07).contains(&ratio), "{positions:?}");
            }
        }
    }

    #[test]
    fn shuffle_mixes_pools() {
        let q = quiz(vec![pool("a", 3, 3), pool("b", 3, 3)], true);
        let mixed = (0..20).any(|seed| {
            let names = ids(&draw_questions(&q, seed));
            !names[..3].iter().all(|n| n.starts_with('a'))
        });
        assert!(mixed);
    }

    /// Attempts store seeds: these exact results must never change.
    #[test]
    fn frozen_generator() {
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(rng.next_u64(), 0x6e78_9e6a_a1b9_65f4);
        let mut rng = SplitMix64::new(1234567);
        assert_eq!(rng.next_u64(), 6457827717110365317);
        assert_eq!(rng.next_u64(), 3203168211198807973);
    }

    #[test]
    fn frozen_draws() {
        let q = quiz(vec![pool("a", 10, 3), pool("b", 5, 2)], false);
        assert_eq!(ids(&draw_questions(&q, 42)), FROZEN_DRAW_42);
        let q = quiz(vec![pool("a", 10, 3), pool("b", 5, 2)], true);
        assert_eq!(ids(&draw_questions(&q, 42)), FROZEN_SHUFFLED_DRAW_42);
        assert_eq!(option_order(&multiple(), true, 42), FROZEN_OPTIONS_42);
        assert_eq!(
            option_order(&ordering(&["1", "2", "3", "4"]), false, 42),
            FROZEN_ORDERING_42
        );
    }

    const FROZEN_DRAW_42: [&str; 5] = ["a2", "a4", "a7", "b0", "b1"];
    const FROZEN_SHUFFLED_DRAW_42: [&str; 5] = ["a4", "b0", "a7", "a2", "b1"];
    const FROZEN_OPTIONS_42: [usize; 5] = [0, 1, 2, 4, 3];
    const FROZEN_ORDERING_42: [usize; 4] = [0, 1, 3, 2];

    #[test]
    fn find_question_looks_in_every_pool() {
        let q = quiz(vec![pool("a", 2, 1), pool("b", 2, 1)], false);
        assert_eq!(find_question(&q, &id("b1")).unwrap().id, id("b1"));
        assert!(find_question(&q, &id("c0")).is_none());
    }

    // --- option order ---

    fn is_permutation(order: &[usize], n: usize) -> bool {
        let mut sorted = order.to_vec();
        sorted.sort_unstable();
        sorted == (0..n).collect::<Vec<_>>()
    }

    #[test]
    fn choice_options_shuffle_only_when_asked() {
        let q = multiple();
        assert_eq!(option_order(&q, false, 7), [0, 1, 2, 3, 4]);
        let mut orders = BTreeSet::new();
        for seed in 0..100 {
            let order = option_order(&q, true, seed);
            assert!(is_permutation(&order, 5));
            assert_eq!(order, option_order(&q, true, seed));
            orders.insert(order);
        }
        assert!(orders.len() > 50);
    }

    #[test]
    fn questions_sharing_a_seed_shuffle_independently() {
        let mut a = single();
        let mut b = single();
        a.id = id("qa");
        b.id = id("qb");
        let differ =
            (0..20).any(|seed| option_order(&a, true, seed) != option_order(&b, true, seed));
        assert!(differ);
    }

    #[test]
    fn ordering_is_always_shuffled_and_never_canonical() {
        for n in 2..7 {
            let names: Vec<String> = (0..n).map(|i| format!("item {i}")).collect();
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            let q = ordering(&refs);
            let mut orders = BTreeSet::new();
            for seed in 0..300 {
                for shuffle in [false, true] {
                    let order = option_order(&q, shuffle, seed);
                    assert!(is_permutation(&order, n));
                    assert_ne!(order, (0..n).collect::<Vec<_>>(), "n {n} seed {seed}");
                    orders.insert(order);
                }
            }
            if n == 3 {
                // All 5 non-canonical orders occur.
                assert_eq!(orders.len(), 5);
            }
        }
        assert_eq!(option_order(&ordering(&["only"]), true, 3), [0]);
        assert!(option_order(&ordering(&[]), true, 3).is_empty());
    }

    #[test]
    fn ordering_with_identical_items_never_reads_canonically() {
        let q = ordering(&["a", "b", "b"]);
        for seed in 0..300 {
            let order = option_order(&q, false, seed);
            assert_ne!(order[0], 0, "seed {seed}: {order:?} reads a, b, b");
        }
        // All the same: differs by index at least.
        let q = ordering(&["x", "x"]);
        for seed in 0..50 {
            assert_eq!(option_order(&q, false, seed), [1, 0]);
        }
    }

    #[test]
    fn ordering_non_canonical_orders_are_uniform_enough() {
        let q = ordering(&["1", "2", "3"]);
        let mut counts: HashMap<Vec<usize>, u32> = HashMap::new();
        let runs = 10_000u32;
        for seed in 0..u64::from(runs) {
            *counts.entry(option_order(&q, false, seed)).or_default() += 1;
        }
        assert_eq!(counts.len(), 5);
        for (order, &count) in &counts {
            let ratio = f64::from(count) / (f64::from(runs) / 5.0);
            assert!((0.92..1.08).contains(&ratio), "{order:?}: {count}");
        }
    }

    #[test]
    fn matching_right_sides_are_always_shuffled() {
        let q = matching();
        for seed in 0..200 {
            let order = option_order(&q, false, seed);
            assert!(is_permutation(&order, 3));
            assert_ne!(order, [0, 1, 2]);
        }
    }

    #[test]
    fn nothing_to_order() {
        assert!(option_order(&true_false(), true, 1).is_empty());
        assert!(option_order(&short(vec![], false), true, 1).is_empty());
    }

    // --- score and attempts ---

    fn result(points: u32, max_points: u32) -> QuestionResult {
        QuestionResult {
            correct: points == max_points,
            points,
            max_points,
            feedback_html: vec![],
        }
    }

    #[test]
    fn score_rounds_down_and_compares_with_the_pass_mark() {
        let q = quiz(vec![], false); // pass mark 70
        let s = score(&q, &[result(699, 1000)]);
        assert_eq!(
            s,
            QuizScore {
                points: 699,
                max_points: 1000,
                percent: 69,
                passed: false
            }
        );
        let s = score(&q, &[result(7, 10)]);
        assert_eq!((s.percent, s.passed), (70, true));
        let s = score(&q, &[result(1, 1), result(1, 1), result(0, 1)]);
        assert_eq!(
            (s.points, s.max_points, s.percent, s.passed),
            (2, 3, 66, false)
        );
        let s = score(&q, &[result(3, 3), result(0, 1)]);
        assert_eq!((s.percent, s.passed), (75, true));
        let s = score(&q, &[result(0, 5)]);
        assert_eq!((s.percent, s.passed), (0, false));
        let s = score(&q, &[result(5, 5)]);
        assert_eq!((s.percent, s.passed), (100, true));
    }

    #[test]
    fn score_edge_cases() {
        let mut q = quiz(vec![], false);
        assert_eq!(
            score(&q, &[]),
            QuizScore {
                points: 0,
                max_points: 0,
                percent: 100,
                passed: true
            }
        );
        assert_eq!(score(&q, &[result(0, 0)]).percent, 100);
        q.pass_mark = 0;
        assert!(score(&q, &[result(0, 4)]).passed);
        q.pass_mark = 100;
        assert!(!score(&q, &[result(99, 100)]).passed);
        assert!(score(&q, &[result(100, 100)]).passed);
        // Saturating, capped.
        let s = score(
            &q,
            &[result(u32::MAX, u32::MAX), result(u32::MAX, u32::MAX)],
        );
        assert_eq!(
            (s.points, s.max_points, s.percent),
            (u32::MAX, u32::MAX, 100)
        );
        assert_eq!(score(&q, &[result(5, 2)]).percent, 100);
    }

    #[test]
    fn unanswered_questions_count_towards_the_maximum() {
        let q = quiz(vec![], false);
        let right = grade(&single(), &Answer::Choice(1)).unwrap();
        let skipped = QuestionResult::unanswered(&multiple());
        assert_eq!(skipped.feedback_html, ["<p>why</p>"]);
        let s = score(&q, &[right, skipped]);
        assert_eq!((s.points, s.max_points, s.percent), (2, 5, 40));
    }

    #[test]
    fn attempts() {
        let mut q = quiz(vec![], false);
        assert_eq!(attempts_left(&q, 0), Some(3));
        assert_eq!(attempts_left(&q, 2), Some(1));
        assert_eq!(attempts_left(&q, 3), Some(0));
        assert_eq!(attempts_left(&q, 10), Some(0));
        assert!(may_attempt(&q, 2));
        assert!(!may_attempt(&q, 3));
        q.max_attempts = None;
        assert_eq!(attempts_left(&q, 1000), None);
        assert!(may_attempt(&q, u32::MAX));
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        fn answer() -> impl Strategy<Value = Answer> {
            let index = prop_oneof![0usize..8, any::<usize>()];
            prop_oneof![
                index.clone().prop_map(Answer::Choice),
                prop::collection::vec(index.clone(), 0..8).prop_map(Answer::Choices),
                any::<bool>().prop_map(Answer::Bool),
                prop::collection::vec(index.clone(), 0..6).prop_map(Answer::Matching),
                prop::collection::vec(index, 0..6).prop_map(Answer::Ordering),
                any::<String>().prop_map(Answer::Text),
                "[ \t]*[a-zA-Z0-9 ]{0,12}".prop_map(Answer::Text),
            ]
        }

        fn pools() -> impl Strategy<Value = Vec<(usize, u32)>> {
            prop::collection::vec((0usize..12, 0u32..15), 0..5)
        }

        proptest! {
            #[test]
            fn draw_count_and_no_duplicates(spec in pools(), seed in any::<u64>(), shuffle in any::<bool>()) {
                let q = quiz(
                    spec.iter()
                        .enumerate()
                        .map(|(i, &(n, draw))| pool(&format!("p{i}-"), n, draw))
                        .collect(),
                    shuffle,
                );
                let drawn = draw_questions(&q, seed);
                let expected: usize = spec.iter().map(|&(n, draw)| n.min(draw as usize)).sum();
                prop_assert_eq!(drawn.len(), expected);
                let distinct: BTreeSet<&str> = drawn.iter().map(|q| q.id.as_str()).collect();
                prop_assert_eq!(distinct.len(), drawn.len());
                for (i, &(n, draw)) in spec.iter().enumerate() {
                    let prefix = format!("p{i}-");
                    let from_pool = drawn.iter().filter(|q| q.id.as_str().starts_with(&prefix)).count();
                    prop_assert_eq!(from_pool, n.min(draw as usize));
                }
                prop_assert_eq!(ids(&drawn), ids(&draw_questions(&q, seed)));
            }

            #[test]
            fn grade_never_panics(a in answer(), which in 0usize..6) {
                let q = &all_questions()[which];
                let matcher = |p: &str, s: &str, _: bool| p.len() < s.len();
                if let Ok(r) = grade_with(q, &a, &matcher) {
                    prop_assert_eq!(r.max_points, q.points);
                    prop_assert_eq!(r.points, if r.correct { q.points } else { 0 });
                }
                let _ = grade(q, &a);
            }

            #[test]
            fn option_order_is_a_permutation(which in 0usize..6, seed in any::<u64>(), shuffle in any::<bool>()) {
                let q = &all_questions()[which];
                let order = option_order(q, shuffle, seed);
                let n = match &q.answer {
                    QuestionKind::SingleChoice { options } | QuestionKind::MultipleResponse { options } => options.len(),
                    QuestionKind::Matching { pairs, .. } => pairs.len(),
                    QuestionKind::Ordering { items_html, .. } => items_html.len(),
                    _ => 0,
                };
                prop_assert!(is_permutation(&order, n));
            }
        }
    }
}
