//! The nudge runner: decides which reminder emails are due and puts them in the
//! outbox, for every enrolment at once.
//!
//! One [`NudgeRunner::run`] reads the published courses and every enrolment in them
//! (two queries), applies each course's rules (`leerpad_core::nudges`), loads the
//! progress of the learners who get a nudge, and queues each nudge with
//! [`leerpad_store::nudges::enqueue`], a transaction per batch, as a template to
//! render ([`TemplateMessage`]: the template name, the learner's language and the
//! context the templates get): the outbox worker renders it when it sends it, so a
//! run writes a few hundred bytes per nudge rather than the whole email. Each run
//! first checks that the theme has every nudge template (and that it compiles): the
//! nudges of a template that does not are reported as failed and not queued.
//!
//! A nudge is queued once, ever: its outbox de-duplication key is
//! `nudge:<user>:<course>:<rule>:<period>`, so runners on several instances, or a run
//! repeated after a crash, do not send twice.
//!
//! Who gets nudges: enrolments in published courses that are not archived (hidden
//! courses included: their learners were enrolled by a coordinator), of accounts
//! that are not disabled, as far as the learner's preference allows (`all`,
//! `deadlines`, `none`), with each enrolment's own deadline. Every nudge carries a
//! signed one-click unsubscribe link (RFC 8058), see [`unsubscribe_token`].
//!
//! `leerpad serve` and `leerpad worker` run it every `nudge_interval_minutes` (the
//! job runner's `nudges` and `digest` jobs, `src/jobs.rs`);
//! `leerpad nudge run [--dry-run]` runs it once. Each run ends with the coordinators'
//! weekly digests ([`crate::digest`]), reported in [`NudgeReport::digests`].

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use leerpad_core::completion::{progress, LearnerState, Progress};
use leerpad_core::nudges::{self as rules, evaluate, Due, Facts, History, Preference};
use leerpad_core::{urls, Course, Id, NudgeKind, NudgeRule};
use leerpad_mail::{Context, TemplateMessage, Templates};
use leerpad_store::learning::Finished;
use leerpad_store::nudges::{self as store, NewNudge, NudgeEnrolment};
use leerpad_store::publish::{load_version, serving_versions};
use leerpad_store::{Db, DbConnection, StoreResult};
use serde::Serialize;

use crate::config::Config;
use crate::digest::{self, DigestReport, DigestRunner, DigestSchedule};

/// The email templates of the nudges, one per rule.
pub const TEMPLATES: [&str; 5] = [
    "nudge-not-started",
    "nudge-inactive",
    "nudge-deadline-approaching",
    "nudge-deadline-passed",
    "nudge-completed",
];

/// Nudges prepared and queued at a time (one transaction each).
const BATCH: usize = 500;

/// Nudges queued per run at most, unless configured otherwise
/// (`nudge_max_per_run`): the outbox sends oldest first, so a flood of nudges
/// would hold up sign-in links behind it.
pub const DEFAULT_MAX_PER_RUN: usize = 5_000;

/// Decides and queues nudges; see the module documentation. Cheap to share
/// between threads; keeps the published course versions it has loaded.
pub struct NudgeRunner {
    db: Db,
    templates: Arc<Templates>,
    base_url: String,
    unsubscribe_key: Vec<u8>,
    max_per_run: usize,
    courses: Mutex<HashMap<i32, Arc<Course>>>,
    digests: DigestRunner,
}

impl fmt::Debug for NudgeRunner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NudgeRunner")
            .field("base_url", &self.base_url)
            .field("templates", &self.templates)
            .field("digests", &self.digests)
            .finish_non_exhaustive()
    }
}

impl NudgeRunner {
    /// A runner over `db` whose emails come from `templates` and link to `base_url`;
    /// `secret` is the server's signing secret (unsubscribe links are signed with a
    /// key derived from it, so the web server can check them). Weekly digests go
    /// out on the default schedule unless [`NudgeRunner::with_digest_schedule`].
    pub fn new(db: Db, templates: Templates, base_url: &str, secret: &[u8]) -> NudgeRunner {
        let templates = Arc::new(templates);
        NudgeRunner {
            digests: DigestRunner::new(db.clone(), templates.clone(), base_url, secret),
            db,
            templates,
            base_url: base_url.trim_end_matches('/').to_string(),
            unsubscribe_key: unsubscribe_key(secret),
            max_per_run: DEFAULT_MAX_PER_RUN,
            courses: Mutex::new(HashMap::new()),
        }
    }

    /// A runner as `leerpad serve` configures it: the theme's email templates (checked
    /// now), the base URL, the signing secret and the digest schedule of `config`.
    pub fn from_config(config: &Config, db: Db) -> anyhow::Result<NudgeRunner> {
        let secret = config.signing_secret()?;
        let templates = Templates::new(config.site.theme_dir.iter().cloned());
        templates.check(&TEMPLATES)?;
        templates.check(&[digest::TEMPLATE])?;
        Ok(NudgeRunner::new(db, templates, &config.base_url(), &secret)
            .with_max_per_run(config.jobs.nudge_max_per_run as usize)
            .with_digest_schedule(DigestSchedule::from_config(config)?))
    }

    /// The signed unsubscribe link of a user (as in their nudges).
    pub fn unsubscribe_link(&self, user_id: i32, email: &str) -> String {
        format!(
            "{}/unsubscribe/{}",
            self.base_url,
            unsubscribe_token_with(&self.unsubscribe_key, user_id, email)
        )
    }

    /// Queues at most `max` nudges per run (default [`DEFAULT_MAX_PER_RUN`]); the
    /// rest stay due and go in the next runs, the most urgent first.
    pub fn with_max_per_run(mut self, max: usize) -> NudgeRunner {
        self.max_per_run = max.max(1);
        self
    }

    /// When the coordinators' weekly digests go out (default: Mondays from 07:00,
    /// server time).
    pub fn with_digest_schedule(mut self, schedule: DigestSchedule) -> NudgeRunner {
        self.digests = self.digests.with_schedule(schedule);
        self
    }

    /// The weekly digests this runner sends after its nudges.
    pub fn digests(&self) -> &DigestRunner {
        &self.digests
    }

    /// Decides which nudges are due at `now` and, unless `dry_run`, queues them.
    /// Returns who gets what and why. Blocking: database work.
    ///
    /// At most the runner's maximum are handled per run, the most urgent first
    /// (deadlines, then completions, then the rest); the others are counted as
    /// `deferred` and are still due at the next run. Progress is read, emails
    /// prepared and queued a batch at a time, so memory stays small however many
    /// are due. The emails are rendered by the outbox worker when it sends them;
    /// the nudges of a template the theme lacks (or cannot compile) are reported
    /// as failed, not queued, and stay due.
    ///
    /// Then the coordinators' weekly digests that are due ([`DigestRunner::run`]),
    /// in [`NudgeReport::digests`].
    pub fn run(&self, now: NaiveDateTime, dry_run: bool) -> StoreResult<NudgeReport> {
        let mut report = self.run_nudges(now, dry_run)?;
        report.digests = self.digests.run(now, dry_run)?;
        Ok(report)
    }

    /// The nudges of [`NudgeRunner::run`] without the weekly digests (the job
    /// runner's `nudges` job; the `digest` job runs [`NudgeRunner::digests`]);
    /// [`NudgeReport::digests`] stays empty.
    pub fn run_nudges(&self, now: NaiveDateTime, dry_run: bool) -> StoreResult<NudgeReport> {
        let started = Instant::now();
        // Cheap after the first run: compiled templates are kept.
        let broken: HashMap<&str, String> = TEMPLATES
            .iter()
            .filter_map(|t| {
                self.templates
                    .check(&[t])
                    .err()
                    .map(|e| (*t, e.to_string()))
            })
            .collect();
        for (template, error) in &broken {
            tracing::error!(template, %error, "a nudge template does not work");
        }
        let mut c = self.db.conn()?;
        let courses = self.courses(&mut c)?;
        let enrolments = store::enrolments(&mut c)?;
        let mut timings = Timings {
            load_ms: ms(started.elapsed()),
            ..Timings::default()
        };

        let mut report = NudgeReport {
            now,
            dry_run,
            courses: courses.len(),
            ..NudgeReport::default()
        };
        let step = Instant::now();
        let at = timestamp(now);
        let mut plans: Vec<Plan<'_>> = Vec::new();
        for e in &enrolments {
            let Some(course) = courses.get(e.course_id.as_str()) else {
                continue;
            };
            report.enrolments += 1;
            if e.disabled {
                report.skipped_disabled += 1;
                continue;
            }
            if e.preference == Preference::None {
                report.skipped_unsubscribed += 1;
                continue;
            }
            let facts = Facts {
                enrolled_at: timestamp(e.enrolled_at),
                started_at: e.started_at.map(timestamp),
                last_activity_at: e.last_activity_at.map(timestamp),
                completed_at: e.completed_at.map(timestamp),
                deadline: e.deadline.map(timestamp),
            };
            for rule in &course.nudges {
                let history = History::of(
                    &rule.id,
                    e.sent.iter().map(|s| {
                        (
                            s.rule_id.as_str(),
                            s.period.as_str(),
                            timestamp(s.queued_at),
                        )
                    }),
                );
                let Some(due) = evaluate(rule, &facts, &history, at) else {
                    continue;
                };
                if !e.preference.allows(&rule.kind) {
                    report.withheld_by_preference += 1;
                    continue;
                }
                plans.push(Plan {
                    enrolment: e,
                    course,
                    rule,
                    due,
                });
            }
        }
        if plans.len() > self.max_per_run {
            // Stable: within a rank, the order stays (user, course).
            plans.sort_by_key(|p| urgency(&p.rule.kind));
            report.deferred = plans.len() - self.max_per_run;
            plans.truncate(self.max_per_run);
        }
        // A fixed order, so that concurrent runners take the same locks in the same
        // order (see `leerpad_store::nudges::enqueue`).
        plans.sort_by(|a, b| {
            (a.enrolment.user_id, &a.enrolment.course_id, &a.rule.id).cmp(&(
                b.enrolment.user_id,
                &b.enrolment.course_id,
                &b.rule.id,
            ))
        });
        timings.evaluate_ms = ms(step.elapsed());

        report.nudges.reserve(plans.len());
        for chunk in plans.chunks(BATCH) {
            let step = Instant::now();
            let progress = learner_progress(&mut c, chunk)?;
            timings.progress_ms += ms(step.elapsed());

            let step = Instant::now();
            let messages: Vec<_> = chunk
                .iter()
                .map(|p| match broken.get(rules::template(&p.rule.kind)) {
                    Some(error) => Err(error.clone()),
                    None => self.message(p, &progress),
                })
                .collect();
            timings.render_ms += ms(step.elapsed());

            let step = Instant::now();
            let mut outcomes = Vec::with_capacity(chunk.len());
            let mut batch = Vec::with_capacity(chunk.len());
            let mut batch_at = Vec::with_capacity(chunk.len());
            for (i, (plan, message)) in chunk.iter().zip(messages).enumerate() {
                match message {
                    Err(error) => {
                        tracing::debug!(template = rules::template(&plan.rule.kind), %error, "cannot queue a nudge");
                        outcomes.push(Outcome::Failed { error });
                    }
                    Ok(_) if dry_run => outcomes.push(Outcome::WouldQueue),
                    Ok(message) => {
                        let e = plan.enrolment;
                        batch.push(NewNudge::new(
                            e.user_id,
                            &e.course_id,
                            plan.rule.id.as_str(),
                            &plan.due.period.key(),
                            rules::template(&plan.rule.kind),
                            &e.email,
                            message,
                        ));
                        batch_at.push(i);
                        outcomes.push(Outcome::AlreadyQueued);
                    }
                }
            }
            if !batch.is_empty() {
                let queued = store::enqueue(&mut c, &batch, now)?;
                for (i, q) in batch_at.into_iter().zip(queued) {
                    if q {
                        outcomes[i] = Outcome::Queued;
                    }
                }
            }
            report
                .nudges
                .extend(chunk.iter().zip(outcomes).map(|(plan, outcome)| NudgeLine {
                    user_id: plan.enrolment.user_id,
                    email: plan.enrolment.email.clone(),
                    course_id: plan.enrolment.course_id.clone(),
                    rule_id: plan.rule.id.to_string(),
                    rule: rules::rule_name(&plan.rule.kind),
                    template: rules::template(&plan.rule.kind),
                    period: plan.due.period.key(),
                    why: plan.due.why.to_string(),
                    outcome,
                }));
            timings.queue_ms += ms(step.elapsed());
        }
        timings.total_ms = ms(started.elapsed());
        report.timings = timings;
        Ok(report)
    }

    /// Every course being served that has nudge rules, by id. Versions never change,
    /// so each is loaded once while it is served.
    fn courses(&self, c: &mut DbConnection) -> StoreResult<HashMap<String, Arc<Course>>> {
        let serving = serving_versions(c)?;
        // Forget versions no longer served (a course republished or archived).
        self.courses
            .lock()
            .expect("course cache")
            .retain(|v, _| serving.iter().any(|(_, s)| s == v));
        let mut out = HashMap::new();
        for (id, version_id) in serving {
            let cached = self
                .courses
                .lock()
                .expect("course cache")
                .get(&version_id)
                .cloned();
            let course = match cached {
                Some(course) => course,
                None => {
                    let course = Arc::new(load_version(c, version_id)?.course);
                    self.courses
                        .lock()
                        .expect("course cache")
                        .insert(version_id, course.clone());
                    course
                }
            };
            if !course.nudges.is_empty() {
                out.insert(id, course);
            }
        }
        Ok(out)
    }

    /// The email of a planned nudge: its template, the learner's language and the
    /// context the template gets, with the one-click unsubscribe headers; the
    /// outbox worker renders it.
    fn message(
        &self,
        plan: &Plan<'_>,
        progress: &HashMap<(i32, &str), Progress>,
    ) -> Result<TemplateMessage, String> {
        let e = plan.enrolment;
        let course = plan.course;
        let base = &self.base_url;
        let p = progress.get(&(e.user_id, e.course_id.as_str()));
        let course_link = format!("{base}/courses/{}", course.id);
        let completed = plan.rule.kind == NudgeKind::Completed;
        let link = match p.and_then(|p| p.next_item.as_ref()) {
            Some(item) if !completed => format!("{base}{}", urls::item(&course.id, item)),
            _ => course_link.clone(),
        };
        let ctx = EmailContext {
            name: &e.display_name,
            course: &course.title,
            course_id: course.id.as_str(),
            link,
            course_link: course_link.clone(),
            // A completed course is 100%, even if items were added since.
            percent: if completed {
                100
            } else {
                p.map_or(0, |p| p.percent)
            },
            done: p.map_or(0, |p| p.done),
            total: if completed {
                0
            } else {
                p.map_or(0, |p| p.total)
            },
            days: plan.due.why.days(),
            deadline: e.deadline.map(|d| long_date_for(d.date(), &e.language)),
            certificate_link: (completed && course.certificate.is_some())
                .then(|| format!("{course_link}/certificate")),
            preferences_link: format!("{base}/me/notifications"),
            rule: rules::rule_name(&plan.rule.kind),
            why: plan.due.why,
        };
        let context =
            Context::new(&ctx).map_err(|e| format!("cannot store the email's context: {e}"))?;
        Ok(TemplateMessage {
            template: rules::template(&plan.rule.kind).to_string(),
            lang: e.language.clone(),
            context,
            // The worker adds the one-click unsubscribe headers, and gives the
            // templates the link as `unsubscribe_link`.
            unsubscribe: Some(self.unsubscribe_link(e.user_id, &e.email)),
            headers: Vec::new(),
        })
    }
}

/// Which nudges go first when more are due than a run handles: the ones whose
/// moment passes.
fn urgency(kind: &NudgeKind) -> u8 {
    match kind {
        NudgeKind::DeadlineApproaching { .. } => 0,
        NudgeKind::DeadlinePassed { .. } => 1,
        NudgeKind::Completed => 2,
        NudgeKind::Inactive { .. } => 3,
        NudgeKind::NotStarted { .. } => 4,
    }
}

/// A nudge that is due, before it is queued.
struct Plan<'a> {
    enrolment: &'a NudgeEnrolment,
    course: &'a Course,
    rule: &'a NudgeRule,
    due: Due,
}

/// The progress of every learner who gets a nudge, by (user, course): a few
/// queries per course, not per learner.
fn learner_progress<'a>(
    c: &mut DbConnection,
    plans: &[Plan<'a>],
) -> StoreResult<HashMap<(i32, &'a str), Progress>> {
    let mut by_course: HashMap<&'a str, (&'a Course, Vec<i32>)> = HashMap::new();
    for p in plans {
        let entry = by_course
            .entry(p.enrolment.course_id.as_str())
            .or_insert_with(|| (p.course, Vec::new()));
        if entry.1.last() != Some(&p.enrolment.user_id) {
            entry.1.push(p.enrolment.user_id);
        }
    }
    let mut out = HashMap::new();
    for (course_id, (course, users)) in by_course {
        let mut finished = store::finished_in(c, course_id, &users)?;
        for user in users {
            let state = finished
                .remove(&user)
                .map(learner_state)
                .unwrap_or_default();
            out.insert((user, course_id), progress(course, &state));
        }
    }
    Ok(out)
}

fn learner_state(f: Finished) -> LearnerState {
    let ids = |set: std::collections::HashSet<String>| {
        set.into_iter().filter_map(|s| Id::new(s).ok()).collect()
    };
    LearnerState {
        lessons_done: ids(f.lessons_done),
        quizzes_attempted: ids(f.quizzes_attempted),
        quizzes_passed: ids(f.quizzes_passed),
        scenarios_completed: ids(f.scenarios_completed),
    }
}

/// What a nudge's templates get (besides `lang`, `site_name`, `subject` and
/// `unsubscribe_link`, which the outbox worker adds).
#[derive(Serialize)]
struct EmailContext<'a> {
    name: &'a str,
    course: &'a str,
    course_id: &'a str,
    /// Where the learner left off: the next item; the course page for `completed`.
    link: String,
    course_link: String,
    percent: u8,
    /// Counted items done, of `total` (0 when not shown, as for `completed`).
    done: usize,
    total: usize,
    days: i64,
    /// The learner's deadline as a date in words, in their language.
    deadline: Option<String>,
    certificate_link: Option<String>,
    preferences_link: String,
    rule: &'a str,
    why: rules::Why,
}

fn timestamp(t: NaiveDateTime) -> rules::Timestamp {
    t.and_utc().timestamp()
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 10.0).round() / 10.0
}

pub use crate::signed::{
    unsubscribe_key, unsubscribe_token, unsubscribe_token_matches, unsubscribe_token_user,
    unsubscribe_token_with,
};
pub use leerpad_core::dates::long_date_for;

// --- the report ---

/// What one run decided.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NudgeReport {
    pub now: NaiveDateTime,
    pub dry_run: bool,
    /// Published, non-archived courses with nudge rules.
    pub courses: usize,
    /// Enrolments in those courses.
    pub enrolments: usize,
    /// Enrolments of disabled accounts.
    pub skipped_disabled: usize,
    /// Enrolments of learners who want no nudges.
    pub skipped_unsubscribed: usize,
    /// Nudges due but not wanted (`deadlines` only).
    pub withheld_by_preference: usize,
    /// Nudges due but left for the next run: more were due than a run handles.
    pub deferred: usize,
    /// Every nudge this run handled, in (user, course, rule) order.
    pub nudges: Vec<NudgeLine>,
    pub timings: Timings,
    /// The coordinators' weekly digests, decided after the nudges.
    pub digests: DigestReport,
}

/// One nudge: who gets what and why.
#[derive(Debug, Clone, Serialize)]
pub struct NudgeLine {
    pub user_id: i32,
    pub email: String,
    pub course_id: String,
    pub rule_id: String,
    /// The rule's name (`inactive`, …).
    pub rule: &'static str,
    /// The email template (`nudge-inactive`, …).
    pub template: &'static str,
    /// The period key: `once`, the repeat number or the deadline.
    pub period: String,
    /// Why it is due, in words.
    pub why: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Put in the outbox now.
    Queued,
    /// Already in the outbox (another runner was first).
    AlreadyQueued,
    /// A dry run: would have been queued.
    WouldQueue,
    /// The email could not be prepared: the theme lacks its template, or the
    /// template does not compile.
    Failed { error: String },
}

/// Milliseconds spent in each step of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    /// Courses and enrolments read.
    pub load_ms: f64,
    /// The rules applied.
    pub evaluate_ms: f64,
    /// The progress of those who get a nudge read and computed.
    pub progress_ms: f64,
    /// Emails prepared (each template's context built; the outbox worker renders
    /// them when it sends them).
    pub render_ms: f64,
    /// Written to the outbox.
    pub queue_ms: f64,
    pub total_ms: f64,
}

impl NudgeReport {
    /// Nudges put in the outbox by this run.
    pub fn queued(&self) -> usize {
        self.count(|o| *o == Outcome::Queued)
    }

    /// Nudges due that were already in the outbox.
    pub fn already_queued(&self) -> usize {
        self.count(|o| *o == Outcome::AlreadyQueued)
    }

    /// Nudges that could not be rendered.
    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Failed { .. }))
    }

    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.nudges.iter().filter(|n| f(&n.outcome)).count()
    }
}

impl fmt::Display for NudgeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for n in &self.nudges {
            let what = match &n.outcome {
                Outcome::Queued => "queued",
                Outcome::AlreadyQueued => "already queued",
                Outcome::WouldQueue => "would queue",
                Outcome::Failed { .. } => "FAILED",
            };
            write!(
                f,
                "{what}: {} to {} ({}, rule {}, {}): {}",
                n.template, n.email, n.course_id, n.rule_id, n.period, n.why
            )?;
            if let Outcome::Failed { error } = &n.outcome {
                write!(f, ": {error}")?;
            }
            writeln!(f)?;
        }
        let due = self.nudges.len();
        if self.dry_run {
            write!(f, "dry run: {due} nudge(s) due, nothing queued")?;
        } else {
            write!(
                f,
                "{} nudge(s) queued, {} already queued",
                self.queued(),
                self.already_queued()
            )?;
        }
        if self.failed() > 0 {
            write!(f, ", {} could not be rendered", self.failed())?;
        }
        if self.deferred > 0 {
            write!(f, ", {} more due but left for the next run", self.deferred)?;
        }
        write!(
            f,
            "; {} enrolment(s) in {} course(s) with nudges; skipped: {} disabled, {} unsubscribed; {} withheld by preference; {:.0} ms",
            self.enrolments,
            self.courses,
            self.skipped_disabled,
            self.skipped_unsubscribed,
            self.withheld_by_preference,
            self.timings.total_ms
        )?;
        write!(f, "\n{}", self.digests)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsubscribe_tokens_name_the_user_and_cannot_be_forged() {
        let secret = b"a secret that is long enough to sign with";
        let t = unsubscribe_token(secret, 42, "an@example.org");
        assert!(t.starts_with("42."), "{t}");
        assert_eq!(unsubscribe_token_user(&t), Some(42));
        assert!(unsubscribe_token_matches(secret, &t, 42, "an@example.org"));
        // Another user, another address, another secret, a changed signature.
        assert!(!unsubscribe_token_matches(secret, &t, 43, "an@example.org"));
        assert!(!unsubscribe_token_matches(secret, &t, 42, "bo@example.org"));
        assert!(!unsubscribe_token_matches(
            b"another secret, just as long....",
            &t,
            42,
            "an@example.org"
        ));
        let forged = format!("43{}", &t[2..]);
        assert_eq!(unsubscribe_token_user(&forged), Some(43));
        assert!(!unsubscribe_token_matches(
            secret,
            &forged,
            43,
            "an@example.org"
        ));
        let mut tampered = t.clone();
        tampered.pop();
        assert!(!unsubscribe_token_matches(
            secret,
            &tampered,
            42,
            "an@example.org"
        ));
        for bad in ["", "42", ".abc", "x.abc", "-1.abc", "42.!!!"] {
            assert!(
                !unsubscribe_token_matches(secret, bad, 42, "an@example.org"),
                "{bad}"
            );
        }
        assert_eq!(unsubscribe_token_user("-1.abc"), None);
        assert_eq!(unsubscribe_token_user("99999999999.abc"), None);
    }
}
