//! Quiz sources to the compiled quiz, with the checks that make a quiz answerable.

use leerpad_core::{
    AcceptedAnswer, AnswerOption, Feedback, MatchPair, Question, QuestionKind, QuestionPool, Quiz,
};

use crate::diagnostic::Diagnostics;
use crate::ids::IdScope;
use crate::markdown::{render_fragment, FileContext, Rendered};
use crate::schema::{QuestionType, RawAccept, RawFeedback, RawOption, RawQuestion, RawQuiz};
use crate::yaml::{YPath, YamlDoc};

/// Builds the quiz; returns `None` when it has errors (all of which are reported).
pub fn build_quiz(
    raw: RawQuiz,
    doc: &YamlDoc<'_>,
    file: &FileContext<'_>,
    ids: &mut IdScope,
    out: &mut Rendered,
) -> Option<Quiz> {
    let root = YPath::root();
    let mut diags = Diagnostics::default();
    if raw.pass_mark > 100 {
        diags.push(
            doc.error(
                "invalid-value",
                &root.key("pass_mark"),
                format!("pass mark {} is over 100", raw.pass_mark),
            )
            .with_hint("the pass mark is a percentage of the points, from 0 to 100"),
        );
    }
    if raw.max_attempts == Some(0) {
        diags.push(
            doc.error(
                "invalid-value",
                &root.key("max_attempts"),
                "`max_attempts: 0` would make the quiz impossible",
            )
            .with_hint("remove `max_attempts` for unlimited attempts, or give at least 1"),
        );
    }
    if raw.questions.is_empty() && raw.pools.is_empty() {
        diags.push(
            doc.error("empty-quiz", &root, "this quiz has no questions")
                .with_hint("add `questions:` or `pools:` with at least one question"),
        );
    }
    let intro_html = raw
        .intro
        .as_deref()
        .map(|t| render_fragment(t, doc.pos(&root.key("intro")), file, out));

    let mut pools = Vec::new();
    if !raw.questions.is_empty() {
        let count = raw.questions.len() as u32;
        let questions = build_questions(
            raw.questions,
            &root.key("questions"),
            doc,
            file,
            ids,
            out,
            &mut diags,
        );
        pools.push(QuestionPool {
            draw: count,
            questions,
        });
    }
    for (p, pool) in raw.pools.into_iter().enumerate() {
        let Some(pool) = pool else { continue };
        let path = root.key("pools").index(p);
        let len = pool.questions.len() as u32;
        if pool.questions.is_empty() {
            diags.push(doc.error(
                "empty-quiz",
                &path.key("questions"),
                "this pool has no questions",
            ));
        } else if pool.draw == 0 || pool.draw > len {
            diags.push(
                doc.error(
                    "pool-too-small",
                    &path.key("draw"),
                    format!("the pool draws {} question(s) but has {len}", pool.draw),
                )
                .with_hint(format!("set `draw` between 1 and {len}, or add questions")),
            );
        }
        let questions = build_questions(
            pool.questions,
            &path.key("questions"),
            doc,
            file,
            ids,
            out,
            &mut diags,
        );
        pools.push(QuestionPool {
            draw: pool.draw,
            questions,
        });
    }

    let failed = diags.has_errors();
    out.diagnostics.extend(diags);
    if failed {
        return None;
    }
    Some(Quiz {
        intro_html,
        pass_mark: raw.pass_mark as u8,
        max_attempts: raw.max_attempts,
        shuffle_questions: raw.shuffle_questions,
        shuffle_options: raw.shuffle_options,
        pools,
    })
}

fn build_questions(
    raws: Vec<Option<RawQuestion>>,
    list: &YPath,
    doc: &YamlDoc<'_>,
    file: &FileContext<'_>,
    ids: &mut IdScope,
    out: &mut Rendered,
    diags: &mut Diagnostics,
) -> Vec<Question> {
    raws.into_iter()
        .enumerate()
        .filter_map(|(i, raw)| build_question(raw?, &list.index(i), doc, file, ids, out, diags))
        .collect()
}

fn build_question(
    raw: RawQuestion,
    path: &YPath,
    doc: &YamlDoc<'_>,
    file: &FileContext<'_>,
    ids: &mut IdScope,
    out: &mut Rendered,
    diags: &mut Diagnostics,
) -> Option<Question> {
    ids.claim(
        &raw.id,
        &doc.file,
        doc.pos(&path.key("id")),
        "a course",
        diags,
    );
    if doc.is_pruned(path) {
        // This question already has a reported error; checking it further would
        // only report consequences of that error.
        return None;
    }
    let before = diags.error_count();
    let ty = raw.kind;
    for field in raw.present_fields() {
        if !ty.fields().contains(&field) {
            diags.push(
                doc.error(
                    "field-not-for-type",
                    &path.key(field),
                    format!("`{field}` is not used by {} questions", ty.name()),
                )
                .with_hint(format!(
                    "a {} question uses {}; remove `{field}` or change `type`",
                    ty.name(),
                    ty.fields()
                        .iter()
                        .map(|f| format!("`{f}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
        }
    }
    if raw.prompt.trim().is_empty() {
        diags.push(doc.error(
            "invalid-value",
            &path.key("prompt"),
            "the question's prompt is empty",
        ));
    }
    if raw.points == Some(0) {
        diags.push(
            doc.error(
                "invalid-value",
                &path.key("points"),
                "a question must be worth at least 1 point",
            )
            .with_hint("remove `points` for the default of 1"),
        );
    }
    let md =
        |text: &str, at: &YPath, out: &mut Rendered| render_fragment(text, doc.pos(at), file, out);
    let missing = |field: &str, diags: &mut Diagnostics| {
        diags.push(
            doc.error(
                "missing-field",
                path,
                format!("a {} question needs `{field}`", ty.name()),
            )
            .with_hint(format!("add `{field}:` to question `{}`", raw.id)),
        );
    };
    let feedback = |fb: Option<RawFeedback>, out: &mut Rendered| {
        let fb = fb.unwrap_or_default();
        Feedback {
            correct_html: fb
                .correct
                .as_deref()
                .map(|t| md(t, &path.key("feedback").key("correct"), out)),
            incorrect_html: fb
                .incorrect
                .as_deref()
                .map(|t| md(t, &path.key("feedback").key("incorrect"), out)),
        }
    };

    let answer = match ty {
        QuestionType::SingleChoice | QuestionType::MultipleResponse => {
            let Some(options) = raw.options else {
                missing("options", diags);
                return None;
            };
            let opts_path = path.key("options");
            if options.len() < 2 {
                diags.push(doc.error(
                    "too-few-options",
                    &opts_path,
                    format!(
                        "a {} question needs at least 2 options, this one has {}",
                        ty.name(),
                        options.len()
                    ),
                ));
            }
            let correct = options.iter().filter(|o| o.correct).count();
            if correct == 0 {
                diags.push(
                    doc.error(
                        "no-correct-answer",
                        &opts_path,
                        format!("question `{}` has no correct option", raw.id),
                    )
                    .with_hint("mark the right option with `correct: true`"),
                );
            } else if ty == QuestionType::SingleChoice && correct > 1 {
                diags.push(
                    doc.error(
                        "no-correct-answer",
                        &opts_path,
                        format!(
                            "single_choice question `{}` has {correct} correct options",
                            raw.id
                        ),
                    )
                    .with_hint(
                        "keep one `correct: true`, or make it a `multiple_response` question",
                    ),
                );
            }
            let options = build_options(options, &opts_path, doc, file, out);
            if ty == QuestionType::SingleChoice {
                QuestionKind::SingleChoice { options }
            } else {
                QuestionKind::MultipleResponse { options }
            }
        }
        QuestionType::TrueFalse => {
            let Some(answer) = raw.answer else {
                missing("answer", diags);
                return None;
            };
            QuestionKind::TrueFalse {
                answer,
                feedback_true_html: raw
                    .feedback_true
                    .as_deref()
                    .map(|t| md(t, &path.key("feedback_true"), out)),
                feedback_false_html: raw
                    .feedback_false
                    .as_deref()
                    .map(|t| md(t, &path.key("feedback_false"), out)),
            }
        }
        QuestionType::Matching => {
            let Some(pairs) = raw.pairs else {
                missing("pairs", diags);
                return None;
            };
            let pairs_path = path.key("pairs");
            if pairs.len() < 2 {
                diags.push(doc.error(
                    "too-few-options",
                    &pairs_path,
                    format!(
                        "a matching question needs at least 2 pairs, this one has {}",
                        pairs.len()
                    ),
                ));
            }
            for side in ["left", "right"] {
                let values: Vec<&str> = pairs
                    .iter()
                    .map(|p| {
                        if side == "left" {
                            p.left.trim()
                        } else {
                            p.right.trim()
                        }
                    })
                    .collect();
                if let Some(dup) = first_duplicate(&values) {
                    diags.push(
                        doc.error(
                            "invalid-value",
                            &pairs_path.index(dup).key(side),
                            format!("`{}` appears twice on the {side} side", values[dup]),
                        )
                        .with_hint(
                            "each pair must be different, or the question has two right answers",
                        ),
                    );
                }
            }
            let pairs = pairs
                .iter()
                .enumerate()
                .map(|(i, p)| MatchPair {
                    left_html: md(&p.left, &pairs_path.index(i).key("left"), out),
                    right_html: md(&p.right, &pairs_path.index(i).key("right"), out),
                })
                .collect();
            QuestionKind::Matching {
                pairs,
                feedback: feedback(raw.feedback, out),
            }
        }
        QuestionType::Ordering => {
            let Some(items) = raw.items else {
                missing("items", diags);
                return None;
            };
            let items_path = path.key("items");
            if items.len() < 2 {
                diags.push(doc.error(
                    "too-few-options",
                    &items_path,
                    format!(
                        "an ordering question needs at least 2 items, this one has {}",
                        items.len()
                    ),
                ));
            }
            let values: Vec<&str> = items.iter().map(|s| s.trim()).collect();
            if let Some(dup) = first_duplicate(&values) {
                diags.push(
                    doc.error(
                        "invalid-value",
                        &items_path.index(dup),
                        format!("`{}` appears twice", values[dup]),
                    )
                    .with_hint("items that are equal have no order between them"),
                );
            }
            let items_html = items
                .iter()
                .enumerate()
                .map(|(i, t)| md(t, &items_path.index(i), out))
                .collect();
            QuestionKind::Ordering {
                items_html,
                feedback: feedback(raw.feedback, out),
            }
        }
        QuestionType::ShortAnswer => {
            let accept_path = path.key("accept");
            let accept = raw.accept.unwrap_or_default();
            if accept.is_empty() {
                diags.push(
                    doc.error("no-correct-answer", &accept_path, format!("short_answer question `{}` accepts no answer", raw.id))
                        .with_hint("add `accept:` with the right answers, e.g. `accept: [Brandsma, \"B. Brandsma\"]`"),
                );
            }
            let case_sensitive = raw.case_sensitive.unwrap_or(false);
            let mut accepted = Vec::new();
            for (i, a) in accept.into_iter().enumerate() {
                match a {
                    RawAccept::Exact(s) if s.trim().is_empty() => {
                        diags.push(doc.error(
                            "invalid-value",
                            &accept_path.index(i),
                            "an accepted answer is empty",
                        ));
                    }
                    RawAccept::Exact(s) => accepted.push(AcceptedAnswer::Exact(s)),
                    RawAccept::Pattern(p) => {
                        if let Err(e) = regex::RegexBuilder::new(&format!("^(?:{})$", p.pattern))
                            .case_insensitive(!case_sensitive)
                            .build()
                        {
                            diags.push(
                                doc.error(
                                    "invalid-pattern",
                                    &accept_path.index(i).key("pattern"),
                                    format!("`{}` is not a valid regular expression", p.pattern),
                                )
                                .with_hint(first_line(&e.to_string())),
                            );
                        }
                        accepted.push(AcceptedAnswer::Pattern(p.pattern));
                    }
                }
            }
            QuestionKind::ShortAnswer {
                accept: accepted,
                case_sensitive,
                feedback: feedback(raw.feedback, out),
            }
        }
    };
    if diags.error_count() > before {
        return None;
    }
    Some(Question {
        prompt_html: md(&raw.prompt, &path.key("prompt"), out),
        explanation_html: raw
            .explanation
            .as_deref()
            .map(|t| md(t, &path.key("explanation"), out)),
        id: raw.id,
        points: raw.points.unwrap_or(1),
        answer,
    })
}

fn build_options(
    options: Vec<RawOption>,
    path: &YPath,
    doc: &YamlDoc<'_>,
    file: &FileContext<'_>,
    out: &mut Rendered,
) -> Vec<AnswerOption> {
    options
        .into_iter()
        .enumerate()
        .map(|(i, o)| AnswerOption {
            text_html: render_fragment(&o.text, doc.pos(&path.index(i).key("text")), file, out),
            correct: o.correct,
            feedback_html: o
                .feedback
                .as_deref()
                .map(|t| render_fragment(t, doc.pos(&path.index(i).key("feedback")), file, out)),
        })
        .collect()
}

fn first_duplicate(values: &[&str]) -> Option<usize> {
    (1..values.len()).find(|&i| values[..i].contains(&values[i]))
}

fn first_line(s: &str) -> String {
    s.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim()
        .to_string()
}
