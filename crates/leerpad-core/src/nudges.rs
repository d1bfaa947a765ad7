//! Email nudges: whether a course's [`NudgeRule`] is due for one enrolment, and under
//! which period key, from the enrolment's facts, what was sent before and the time.
//!
//! Pure and clock-free: every time is passed in as seconds since the Unix epoch (UTC),
//! so the caller (and tests) decide what "now" is. The caller also decides which
//! enrolments to look at (published, non-archived courses; accounts that are not
//! disabled) and whether the learner wants the email ([`Preference::allows`]).
//!
//! A nudge is identified by (user, course, rule id, [`Period`]): the period makes
//! a rule that may fire more than once fire once per occasion.
//!
//! | rule | due when | period |
//! |---|---|---|
//! | `not_started` | `after_days` since enrolling, nothing opened | `once` |
//! | `inactive` | started, and no activity for `after_days`; again `repeat_every_days` (default `after_days`) after the previous one while still inactive; at most `max_times` in all | the repeat number, `1`, `2`, … |
//! | `deadline_approaching` | the deadline is at most `days_before` days away and not yet passed | the deadline |
//! | `deadline_passed` | `after_days` after the deadline | the deadline |
//! | `completed` | the course was completed | `once` |
//!
//! Only `completed` applies to a completed enrolment. A nudge about an event
//! (`completed`, `deadline_passed`) is not sent once it is more than
//! [`LATE_LIMIT_DAYS`] late: turning nudges on, or a server that was down for a
//! while, does not congratulate people on a course they finished last year.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Id, NudgeKind, NudgeRule};

/// Seconds since the Unix epoch, UTC.
pub type Timestamp = i64;

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// Event nudges (`completed`, `deadline_passed`) more than this many days late are
/// not sent.
pub const LATE_LIMIT_DAYS: i64 = 30;

/// Which nudges a learner wants by email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preference {
    /// Every nudge the course has.
    #[default]
    All,
    /// Only `deadline_approaching` and `deadline_passed`.
    Deadlines,
    /// No nudges at all.
    None,
}

impl Preference {
    pub const ALL: [Preference; 3] = [Preference::All, Preference::Deadlines, Preference::None];

    pub fn as_str(self) -> &'static str {
        match self {
            Preference::All => "all",
            Preference::Deadlines => "deadlines",
            Preference::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Preference> {
        match s {
            "all" => Some(Preference::All),
            "deadlines" => Some(Preference::Deadlines),
            "none" => Some(Preference::None),
            _ => None,
        }
    }

    /// Whether a learner with this preference gets nudges of this kind.
    pub fn allows(self, kind: &NudgeKind) -> bool {
        match self {
            Preference::All => true,
            Preference::Deadlines => is_deadline_rule(kind),
            Preference::None => false,
        }
    }
}

impl fmt::Display for Preference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `deadline_approaching` and `deadline_passed`.
pub fn is_deadline_rule(kind: &NudgeKind) -> bool {
    matches!(
        kind,
        NudgeKind::DeadlineApproaching { .. } | NudgeKind::DeadlinePassed { .. }
    )
}

/// The rule's name as written in `course.yaml` (`not_started`, …).
pub fn rule_name(kind: &NudgeKind) -> &'static str {
    match kind {
        NudgeKind::NotStarted { .. } => "not_started",
        NudgeKind::Inactive { .. } => "inactive",
        NudgeKind::DeadlineApproaching { .. } => "deadline_approaching",
        NudgeKind::DeadlinePassed { .. } => "deadline_passed",
        NudgeKind::Completed => "completed",
    }
}

/// The email template of a rule's nudges (`nudge-not-started`, …).
pub fn template(kind: &NudgeKind) -> &'static str {
    match kind {
        NudgeKind::NotStarted { .. } => "nudge-not-started",
        NudgeKind::Inactive { .. } => "nudge-inactive",
        NudgeKind::DeadlineApproaching { .. } => "nudge-deadline-approaching",
        NudgeKind::DeadlinePassed { .. } => "nudge-deadline-passed",
        NudgeKind::Completed => "nudge-completed",
    }
}

/// What is known about one enrolment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Facts {
    pub enrolled_at: Timestamp,
    /// The first activity in the course, if any.
    pub started_at: Option<Timestamp>,
    /// The latest activity in the course, if any.
    pub last_activity_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
    /// The learner's own deadline for this course, if they have one.
    pub deadline: Option<Timestamp>,
}

impl Facts {
    /// When the learner last did something in the course; `None` if never.
    pub fn last_active(&self) -> Option<Timestamp> {
        match (self.last_activity_at, self.started_at) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }
}

/// What one rule already sent for one enrolment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History<'a> {
    /// How many nudges of this rule were sent for this enrolment.
    pub times: u32,
    /// When the latest was sent.
    pub last_sent_at: Option<Timestamp>,
    /// The period keys ([`Period::key`]) sent.
    pub periods: Vec<&'a str>,
}

impl<'a> History<'a> {
    /// The history of `rule` among an enrolment's sent nudges, given as
    /// (rule id, period key, sent at).
    pub fn of(rule: &Id, sent: impl IntoIterator<Item = (&'a str, &'a str, Timestamp)>) -> Self {
        let mut h = History::default();
        for (rule_id, period, at) in sent {
            if rule_id == rule.as_str() {
                h.times += 1;
                h.last_sent_at = Some(h.last_sent_at.map_or(at, |l: Timestamp| l.max(at)));
                h.periods.push(period);
            }
        }
        h
    }

    fn has(&self, period: &Period) -> bool {
        let key = period.key();
        self.periods.iter().any(|p| *p == key)
    }
}

/// Which occasion a nudge is for; part of its de-duplication key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// Rules that fire once per enrolment.
    Once,
    /// The `n`-th nudge of an `inactive` rule, from 1.
    Repeat(u32),
    /// Deadline rules: once per deadline, so a changed deadline can nudge again.
    Deadline(Timestamp),
}

impl Period {
    /// `once`, `1`, `2`, … or the deadline as `YYYYMMDDTHHMMSS` (UTC): never a `:`,
    /// so it can end a `nudge:<user>:<course>:<rule>:<period>` key.
    pub fn key(&self) -> String {
        match self {
            Period::Once => "once".to_string(),
            Period::Repeat(n) => n.to_string(),
            Period::Deadline(t) => {
                let (y, m, d, hh, mm, ss) = civil(*t);
                format!("{y:04}{m:02}{d:02}T{hh:02}{mm:02}{ss:02}")
            }
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// Why a nudge is due, with the figures its email can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Why {
    /// Enrolled `days` days ago, nothing opened.
    NotStarted { days: i64 },
    /// No activity for `days` days; this is nudge `repeat` of at most `max_times`.
    Inactive {
        days: i64,
        repeat: u32,
        max_times: u32,
    },
    /// The deadline is `days` days away (rounded up).
    DeadlineApproaching { days: i64 },
    /// The deadline passed `days` days ago.
    DeadlinePassed { days: i64 },
    /// The course was completed.
    Completed,
}

impl Why {
    /// The number of days the email talks about (0 for `completed`).
    pub fn days(&self) -> i64 {
        match self {
            Why::NotStarted { days }
            | Why::Inactive { days, .. }
            | Why::DeadlineApproaching { days }
            | Why::DeadlinePassed { days } => *days,
            Why::Completed => 0,
        }
    }
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |n: i64| if n == 1 { "" } else { "s" };
        match *self {
            Why::NotStarted { days } => write!(
                f,
                "enrolled {days} day{} ago and nothing opened yet",
                plural(days)
            ),
            Why::Inactive {
                days,
                repeat,
                max_times,
            } => write!(
                f,
                "no activity for {days} day{}; reminder {repeat} of at most {max_times}",
                plural(days)
            ),
            Why::DeadlineApproaching { days } => {
                write!(f, "deadline in {days} day{}", plural(days))
            }
            Why::DeadlinePassed { days } => write!(
                f,
                "deadline passed {days} day{} ago, not completed",
                plural(days)
            ),
            Why::Completed => f.write_str("completed the course"),
        }
    }
}

/// A nudge that is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub period: Period,
    pub why: Why,
}

/// Whether `rule` is due for an enrolment at `now`, given what the rule sent
/// before; see the module documentation for each rule.
pub fn evaluate(rule: &NudgeRule, facts: &Facts, history: &History, now: Timestamp) -> Option<Due> {
    let days = |n: u32| i64::from(n) * DAY;
    if facts.completed_at.is_some() && rule.kind != NudgeKind::Completed {
        return None;
    }
    match rule.kind {
        NudgeKind::NotStarted { after_days } => {
            if facts.last_active().is_some() || history.times > 0 {
                return None;
            }
            let since = now - facts.enrolled_at;
            (since >= days(after_days)).then_some(Due {
                period: Period::Once,
                why: Why::NotStarted { days: since / DAY },
            })
        }
        NudgeKind::Inactive {
            after_days,
            repeat_every_days,
            max_times,
        } => {
            // Someone who never started is `not_started`'s.
            let last = facts.last_active()?;
            if history.times >= max_times {
                return None;
            }
            let idle = now - last;
            if idle < days(after_days) {
                return None;
            }
            if let Some(sent) = history.last_sent_at.filter(|_| history.times > 0) {
                // Still the same quiet stretch as the previous nudge: wait the
                // repeat interval. After new activity, a new stretch starts.
                let every = days(repeat_every_days.unwrap_or(after_days).max(1));
                if sent >= last && now - sent < every {
                    return None;
                }
            }
            let repeat = history.times + 1;
            Some(Due {
                period: Period::Repeat(repeat),
                why: Why::Inactive {
                    days: idle / DAY,
                    repeat,
                    max_times,
                },
            })
        }
        NudgeKind::DeadlineApproaching { days_before } => {
            let deadline = facts.deadline?;
            let left = deadline - now;
            if left <= 0 || left > days(days_before) {
                return None;
            }
            let period = Period::Deadline(deadline);
            (!history.has(&period)).then_some(Due {
                period,
                why: Why::DeadlineApproaching {
                    days: (left + DAY - 1) / DAY,
                },
            })
        }
        NudgeKind::DeadlinePassed { after_days } => {
            let deadline = facts.deadline?;
            let due_at = deadline + days(after_days);
            if now < due_at || now - due_at > LATE_LIMIT_DAYS * DAY {
                return None;
            }
            let period = Period::Deadline(deadline);
            (!history.has(&period)).then_some(Due {
                period,
                why: Why::DeadlinePassed {
                    days: (now - deadline) / DAY,
                },
            })
        }
        NudgeKind::Completed => {
            let at = facts.completed_at?;
            if history.times > 0 || now < at || now - at > LATE_LIMIT_DAYS * DAY {
                return None;
            }
            Some(Due {
                period: Period::Once,
                why: Why::Completed,
            })
        }
    }
}

/// (year, month, day, hour, minute, second) of a timestamp, UTC (proleptic
/// Gregorian calendar; Howard Hinnant's `civil_from_days`).
pub fn civil(t: Timestamp) -> (i64, u32, u32, u32, u32, u32) {
    let days = t.div_euclid(DAY);
    let secs = t.rem_euclid(DAY);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        m,
        d,
        (secs / 3600) as u32,
        (secs % 3600 / 60) as u32,
        (secs % 60) as u32,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-02T09:00:00Z, a Monday.
    const T0: Timestamp = 1_793_610_000;

    fn at(days: i64) -> Timestamp {
        T0 + days * DAY
    }

    fn rule(id: &str, kind: NudgeKind) -> NudgeRule {
        NudgeRule {
            id: Id::new(id).unwrap(),
            kind,
        }
    }

    fn not_started() -> NudgeRule {
        rule("not-started-3", NudgeKind::NotStarted { after_days: 3 })
    }

    fn inactive(repeat: Option<u32>, max_times: u32) -> NudgeRule {
        rule(
            "inactive-7",
            NudgeKind::Inactive {
                after_days: 7,
                repeat_every_days: repeat,
                max_times,
            },
        )
    }

    fn approaching() -> NudgeRule {
        rule(
            "deadline-approaching-7",
            NudgeKind::DeadlineApproaching { days_before: 7 },
        )
    }

    fn passed(after_days: u32) -> NudgeRule {
        rule("deadline-passed", NudgeKind::DeadlinePassed { after_days })
    }

    fn completed() -> NudgeRule {
        rule("completed", NudgeKind::Completed)
    }

    fn enrolled(day: i64) -> Facts {
        Facts {
            enrolled_at: at(day),
            ..Facts::default()
        }
    }

    fn active(enrolled_day: i64, last_day: i64) -> Facts {
        Facts {
            enrolled_at: at(enrolled_day),
            started_at: Some(at(enrolled_day)),
            last_activity_at: Some(at(last_day)),
            ..Facts::default()
        }
    }

    /// The history after sending `due` at `now`, on top of `h`.
    fn sent<'a>(h: &History<'a>, key: &'a str, now: Timestamp) -> History<'a> {
        let mut h = h.clone();
        h.times += 1;
        h.last_sent_at = Some(now);
        h.periods.push(key);
        h
    }

    /// Runs `rule` once a day (at 09:00) from day `from` to day `to`, recording what
    /// it sends, and returns the days it sent on with the period keys.
    fn daily(
        rule: &NudgeRule,
        facts: impl Fn(i64) -> Facts,
        from: i64,
        to: i64,
    ) -> Vec<(i64, String)> {
        let mut keys: Vec<&'static str> = Vec::new();
        let mut out = Vec::new();
        let mut last = None;
        for day in from..=to {
            let h = History {
                times: keys.len() as u32,
                last_sent_at: last,
                periods: keys.clone(),
            };
            if let Some(due) = evaluate(rule, &facts(day), &h, at(day)) {
                let key: &'static str = Box::leak(due.period.key().into_boxed_str());
                keys.push(key);
                last = Some(at(day));
                out.push((day, key.to_string()));
            }
        }
        out
    }

    #[test]
    fn not_started_after_n_days_once() {
        let r = not_started();
        let f = enrolled(0);
        let none = History::default();
        assert_eq!(evaluate(&r, &f, &none, at(2)), None);
        assert_eq!(evaluate(&r, &f, &none, at(3) - 1), None);
        let due = evaluate(&r, &f, &none, at(3)).unwrap();
        assert_eq!(due.period, Period::Once);
        assert_eq!(due.why, Why::NotStarted { days: 3 });
        assert_eq!(due.period.key(), "once");
        // Once only.
        let h = sent(&none, "once", at(3));
        assert_eq!(evaluate(&r, &f, &h, at(10)), None);
        assert_eq!(daily(&r, |_| f, 0, 30), [(3, "once".to_string())]);
    }

    #[test]
    fn not_started_is_not_for_those_who_started_or_completed() {
        let r = not_started();
        let none = History::default();
        let mut f = enrolled(0);
        f.last_activity_at = Some(at(1));
        assert_eq!(evaluate(&r, &f, &none, at(5)), None);
        let mut f = enrolled(0);
        f.started_at = Some(at(1));
        assert_eq!(evaluate(&r, &f, &none, at(5)), None);
        let mut f = enrolled(0);
        f.completed_at = Some(at(1));
        assert_eq!(evaluate(&r, &f, &none, at(5)), None);
    }

    #[test]
    fn inactive_then_every_m_days_at_most_k_times() {
        let r = inactive(Some(3), 3);
        // Last active on day 1: first after 7 quiet days, then every 3 days, 3 in all.
        let sends = daily(&r, |_| active(0, 1), 0, 40);
        assert_eq!(sends, [(8, "1".into()), (11, "2".into()), (14, "3".into())]);
        let none = History::default();
        assert_eq!(
            evaluate(&r, &active(0, 1), &none, at(8)).unwrap().why,
            Why::Inactive {
                days: 7,
                repeat: 1,
                max_times: 3
            }
        );
        assert_eq!(evaluate(&r, &active(0, 1), &none, at(8) - 1), None);
    }

    #[test]
    fn inactive_repeats_every_after_days_without_repeat_every_days() {
        let sends = daily(&inactive(None, 2), |_| active(0, 0), 0, 60);
        assert_eq!(sends, [(7, "1".into()), (14, "2".into())]);
        // `max_times` 1 (the default): once.
        let sends = daily(&inactive(None, 1), |_| active(0, 0), 0, 60);
        assert_eq!(sends, [(7, "1".into())]);
    }

    #[test]
    fn inactive_catches_up_without_a_burst() {
        // Nudges turned on long after the learner went quiet: one now, the next
        // after the repeat interval, not three at once.
        let r = inactive(Some(7), 3);
        let sends = daily(&r, |_| active(0, 0), 60, 90);
        assert_eq!(
            sends,
            [(60, "1".into()), (67, "2".into()), (74, "3".into())]
        );
    }

    #[test]
    fn inactive_starts_over_after_new_activity_but_counts_in_all() {
        let r = inactive(Some(7), 2);
        // Quiet from day 0, nudged on day 7, active again on day 9, quiet since.
        let facts = |day: i64| active(0, if day >= 9 { 9 } else { 0 });
        let sends = daily(&r, facts, 0, 60);
        assert_eq!(sends, [(7, "1".into()), (16, "2".into())]);
    }

    #[test]
    fn inactive_is_not_for_those_who_never_started_or_completed() {
        let r = inactive(Some(7), 3);
        let none = History::default();
        assert_eq!(evaluate(&r, &enrolled(0), &none, at(30)), None);
        let mut f = active(0, 0);
        f.completed_at = Some(at(0));
        assert_eq!(evaluate(&r, &f, &none, at(30)), None);
    }

    #[test]
    fn deadline_approaching_once_per_deadline() {
        let r = approaching();
        let mut f = active(0, 0);
        f.deadline = Some(at(20));
        let none = History::default();
        assert_eq!(evaluate(&r, &f, &none, at(12)), None);
        let due = evaluate(&r, &f, &none, at(13)).unwrap();
        assert_eq!(due.why, Why::DeadlineApproaching { days: 7 });
        assert_eq!(due.period, Period::Deadline(at(20)));
        assert_eq!(due.period.key(), "20261122T090000");
        // 2.5 days left reads as 3.
        assert_eq!(
            evaluate(&r, &f, &none, at(17) + DAY / 2).unwrap().why,
            Why::DeadlineApproaching { days: 3 }
        );
        let sends = daily(&r, |_| f, 0, 40);
        assert_eq!(sends, [(13, "20261122T090000".into())]);
        // Not once the deadline has come.
        assert_eq!(evaluate(&r, &f, &none, at(20)), None);
    }

    #[test]
    fn a_changed_deadline_nudges_again() {
        let r = approaching();
        // Deadline on day 20, moved to day 30 on day 15.
        let facts = |day: i64| {
            let mut f = active(0, 0);
            f.deadline = Some(if day < 15 { at(20) } else { at(30) });
            f
        };
        let sends = daily(&r, facts, 0, 40);
        assert_eq!(
            sends,
            [
                (13, "20261122T090000".into()),
                (23, "20261202T090000".into())
            ]
        );
    }

    #[test]
    fn a_deadline_set_inside_the_window_nudges_at_once() {
        let mut f = enrolled(0);
        f.deadline = Some(at(3));
        let due = evaluate(&approaching(), &f, &History::default(), at(0)).unwrap();
        assert_eq!(due.why, Why::DeadlineApproaching { days: 3 });
    }

    #[test]
    fn deadline_passed_once_per_deadline_and_not_too_late() {
        let mut f = active(0, 0);
        f.deadline = Some(at(10));
        let none = History::default();
        assert_eq!(evaluate(&passed(0), &f, &none, at(10) - 1), None);
        let due = evaluate(&passed(0), &f, &none, at(10)).unwrap();
        assert_eq!(due.why, Why::DeadlinePassed { days: 0 });
        assert_eq!(
            daily(&passed(0), |_| f, 0, 40),
            [(10, "20261112T090000".into())]
        );
        assert_eq!(
            daily(&passed(2), |_| f, 0, 40),
            [(12, "20261112T090000".into())]
        );
        // More than LATE_LIMIT_DAYS after it was due: not any more.
        assert_eq!(
            evaluate(&passed(2), &f, &none, at(12 + LATE_LIMIT_DAYS) + 1),
            None
        );
        assert!(evaluate(&passed(2), &f, &none, at(12 + LATE_LIMIT_DAYS)).is_some());
        // Completed in time: nothing.
        f.completed_at = Some(at(9));
        assert_eq!(evaluate(&passed(0), &f, &none, at(11)), None);
        // No deadline: nothing.
        assert_eq!(evaluate(&passed(0), &active(0, 0), &none, at(11)), None);
    }

    #[test]
    fn completed_once_and_only_when_fresh() {
        let r = completed();
        let none = History::default();
        assert_eq!(evaluate(&r, &active(0, 5), &none, at(6)), None);
        let mut f = active(0, 5);
        f.completed_at = Some(at(5));
        let due = evaluate(&r, &f, &none, at(5)).unwrap();
        assert_eq!((due.period, due.why), (Period::Once, Why::Completed));
        assert_eq!(daily(&r, |_| f, 0, 20), [(5, "once".into())]);
        assert_eq!(evaluate(&r, &f, &none, at(5 + LATE_LIMIT_DAYS) + 1), None);
        // Every other rule is silent for a completed enrolment.
        f.deadline = Some(at(7));
        for other in [
            not_started(),
            inactive(Some(1), 5),
            approaching(),
            passed(0),
        ] {
            for day in 0..40 {
                assert_eq!(evaluate(&other, &f, &none, at(day)), None, "{}", other.id);
            }
        }
    }

    #[test]
    fn history_is_per_rule() {
        let r = inactive(Some(7), 3);
        let sent = [
            ("inactive-7", "1", at(7)),
            ("not-started-3", "once", at(3)),
            ("inactive-7", "2", at(14)),
        ];
        let h = History::of(&r.id, sent);
        assert_eq!(h.times, 2);
        assert_eq!(h.last_sent_at, Some(at(14)));
        assert_eq!(h.periods, ["1", "2"]);
        assert_eq!(History::of(&completed().id, sent), History::default());
    }

    #[test]
    fn preferences() {
        for kind in [
            NudgeKind::NotStarted { after_days: 1 },
            NudgeKind::Inactive {
                after_days: 1,
                repeat_every_days: None,
                max_times: 1,
            },
            NudgeKind::Completed,
        ] {
            assert!(Preference::All.allows(&kind));
            assert!(!Preference::Deadlines.allows(&kind));
            assert!(!Preference::None.allows(&kind));
        }
        for kind in [
            NudgeKind::DeadlineApproaching { days_before: 1 },
            NudgeKind::DeadlinePassed { after_days: 0 },
        ] {
            assert!(Preference::All.allows(&kind));
            assert!(Preference::Deadlines.allows(&kind));
            assert!(!Preference::None.allows(&kind));
        }
        for p in Preference::ALL {
            assert_eq!(Preference::parse(p.as_str()), Some(p));
        }
        assert_eq!(Preference::parse("some"), None);
        assert_eq!(Preference::default(), Preference::All);
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(civil(T0), (2026, 11, 2, 9, 0, 0));
        assert_eq!(civil(951_782_400), (2000, 2, 29, 0, 0, 0));
        assert_eq!(civil(-1), (1969, 12, 31, 23, 59, 59));
        assert_eq!(Period::Deadline(1_798_761_599).key(), "20261231T235959");
        assert_eq!(Period::Repeat(2).to_string(), "2");
    }

    #[test]
    fn reasons_read_well() {
        assert_eq!(
            Why::NotStarted { days: 1 }.to_string(),
            "enrolled 1 day ago and nothing opened yet"
        );
        assert_eq!(
            Why::Inactive {
                days: 8,
                repeat: 2,
                max_times: 3
            }
            .to_string(),
            "no activity for 8 days; reminder 2 of at most 3"
        );
        assert_eq!(Why::DeadlinePassed { days: 3 }.days(), 3);
    }
}
