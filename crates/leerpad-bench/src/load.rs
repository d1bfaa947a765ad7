//! Learners at work, for the load benchmark and the fault tests: signed in with a
//! one-time link, they read lessons, mark them done, answer quiz questions, write
//! reflections and use the JSON API, each over their own kept-alive connection.
//! Every write the server acknowledged goes into the learner's ledger, which
//! [`verify`] checks against the database afterwards.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use leerpad_core::grading::example_answer;
use leerpad_core::{Course, ItemBody, Question};
use leerpad_store::accounts::{self, NewUser, TokenPurpose};
use leerpad_store::schema::{lesson_progress, quiz_answers, quiz_attempts, reflections};
use leerpad_store::Db;

use crate::http::{Browser, Response};
use crate::Rng;

/// What learners can do in a course: its lessons, quizzes and reflection prompts.
pub struct Plan {
    pub course_id: String,
    pub lessons: Vec<String>,
    pub quizzes: Vec<String>,
    /// (lesson, reflection prompt)
    pub reflections: Vec<(String, String)>,
    pub questions: BTreeMap<String, Question>,
}

impl Plan {
    pub fn of(course: &Course) -> Plan {
        let mut plan = Plan {
            course_id: course.id.to_string(),
            lessons: Vec::new(),
            quizzes: Vec::new(),
            reflections: Vec::new(),
            questions: BTreeMap::new(),
        };
        for (_, item) in course.items() {
            match &item.body {
                ItemBody::Lesson(l) => {
                    plan.lessons.push(item.id.to_string());
                    for r in l.reflections() {
                        plan.reflections
                            .push((item.id.to_string(), r.id.to_string()));
                    }
                }
                ItemBody::Quiz(q) => {
                    plan.quizzes.push(item.id.to_string());
                    for p in &q.pools {
                        for question in &p.questions {
                            plan.questions
                                .insert(question.id.to_string(), question.clone());
                        }
                    }
                }
                ItemBody::Scenario(_) => {}
            }
        }
        plan
    }

    /// The bundled course `id`, compiled from `courses_dir`.
    pub fn bundled(courses_dir: &std::path::Path, id: &str) -> Plan {
        let compiled = leerpad_compiler::compile_paths(&[courses_dir.join(id)]);
        assert!(
            !compiled.diagnostics.has_errors(),
            "the course {id} compiles"
        );
        Plan::of(&compiled.courses[0])
    }
}

/// Creates `n` verified learners (`<tag>-<i>@example.org`), each with a one-time
/// sign-in link token, straight in the database (registering through the site is
/// rate-limited per address, as it should be).
pub fn create_learners(db: &Db, tag: &str, n: usize) -> Vec<(String, String)> {
    let mut c = db.conn().expect("a connection");
    let now = chrono::Utc::now().naive_utc();
    (0..n)
        .map(|i| {
            let email = format!("{tag}-{i}@example.org");
            let user = accounts::create_user(
                &mut c,
                &NewUser {
                    email: &email,
                    display_name: &format!("Leerling {i}"),
                    password_hash: None,
                    role: leerpad_core::Role::Learner,
                    language: "nl",
                    verified: true,
                },
                now,
            )
            .expect("create a learner")
            .expect("a new address");
            let token = leerpad_web::random_token(32);
            accounts::create_token(
                &mut c,
                &leerpad_web::token_hash(&token),
                user.id,
                TokenPurpose::Magic,
                now,
                now + chrono::Duration::hours(1),
            )
            .expect("a sign-in token");
            (email, token)
        })
        .collect()
}

/// What one learner's requests added up to.
#[derive(Default, Debug, Clone)]
pub struct Stats {
    pub requests: u64,
    pub errors: u64,
    /// A few of the errors, for the report.
    pub error_samples: Vec<String>,
    /// Microseconds per request.
    pub latencies_us: Vec<u32>,
    /// Pages that did not show a reflection the learner had just saved.
    pub stale_reads: u64,
}

impl Stats {
    pub fn merge(&mut self, other: Stats) {
        self.requests += other.requests;
        self.errors += other.errors;
        if self.error_samples.len() < 10 {
            self.error_samples.extend(other.error_samples);
            self.error_samples.truncate(10);
        }
        self.latencies_us.extend(other.latencies_us);
        self.stale_reads += other.stale_reads;
    }

    /// The `p`th percentile of the latencies, in milliseconds.
    pub fn percentile_ms(&mut self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        self.latencies_us.sort_unstable();
        let i = ((self.latencies_us.len() as f64 - 1.0) * p / 100.0).round() as usize;
        f64::from(self.latencies_us[i]) / 1000.0
    }
}

/// What was written to one place: the last value the server acknowledged, and
/// the values sent after it that got no answer at all (the server went away): those
/// may or may not have been stored. A value answered with an error was not stored.
#[derive(Debug, Clone)]
pub struct Written<T> {
    pub acknowledged: Option<T>,
    pub unanswered: Vec<T>,
}

impl<T> Default for Written<T> {
    fn default() -> Self {
        Written {
            acknowledged: None,
            unanswered: Vec::new(),
        }
    }
}

impl<T: PartialEq> Written<T> {
    fn acknowledge(&mut self, value: T) {
        self.acknowledged = Some(value);
        self.unanswered.clear();
    }

    /// Whether `stored` is what the database may hold after these writes.
    pub fn allows(&self, stored: Option<&T>) -> bool {
        stored == self.acknowledged.as_ref() || stored.is_some_and(|s| self.unanswered.contains(s))
    }
}

/// Writes the server acknowledged (answered with a success or a redirect).
#[derive(Default, Debug, Clone)]
pub struct Ledger {
    /// Per lesson, whether it is done.
    pub done: BTreeMap<String, Written<bool>>,
    /// Per reflection prompt, its answer.
    pub reflections: BTreeMap<String, Written<String>>,
    /// (attempt, question) of every acknowledged answer.
    pub answers: Vec<(i32, String)>,
    /// Every attempt the server said it started.
    pub attempts: Vec<i32>,
}

/// A learner, signed in on one or more instances (cookies shared between them).
pub struct Learner {
    pub email: String,
    browsers: Vec<Browser>,
    csrf: String,
    pub ledger: Ledger,
    pub stats: Stats,
    rng: Rng,
    open_attempt: Option<(i32, String)>,
    writes: u64,
    /// Whether the last request got no answer at all.
    unanswered: bool,
}

impl Learner {
    /// Signs in with the one-time link on the first of `addrs` and enrols in the
    /// plan's course.
    pub fn sign_in(
        email: &str,
        token: &str,
        addrs: &[SocketAddr],
        plan: &Plan,
        seed: u64,
    ) -> std::io::Result<Learner> {
        let mut b = Browser::new(addrs[0]);
        let page = b.get(&format!("/auth/link?token={token}"))?;
        let csrf = page
            .field("csrf")
            .ok_or_else(|| other(&page, "no sign-in form"))?;
        let res = b.post_form(
            "/auth/link/confirm",
            &[("csrf", &csrf), ("token", token), ("next", "/")],
        )?;
        if res.status != 303 || !b.cookies.contains_key("lp_session") {
            return Err(other(&res, "sign-in refused"));
        }
        // Signing in gives the browser a new CSRF cookie: forms take the new token.
        let course = b.get(&format!("/courses/{}", plan.course_id))?;
        let csrf = course
            .field("csrf")
            .ok_or_else(|| other(&course, "no form after signing in"))?;
        let res = b.post_form(
            &format!("/courses/{}/enrol", plan.course_id),
            &[("csrf", &csrf)],
        )?;
        if !res.ok() {
            return Err(other(&res, "enrolling refused"));
        }
        let browsers = addrs.iter().map(|a| b.at(*a)).collect();
        Ok(Learner {
            email: email.to_string(),
            browsers,
            csrf,
            ledger: Ledger::default(),
            stats: Stats::default(),
            rng: Rng(seed | 1),
            open_attempt: None,
            writes: 0,
            unanswered: false,
        })
    }

    /// Whether to ask for compressed answers (browsers do).
    pub fn set_gzip(&mut self, on: bool) {
        for b in &mut self.browsers {
            b.gzip = on;
        }
    }

    /// The browser on instance `i`, for requests of the caller's own.
    pub fn browser(&mut self, i: usize) -> &mut Browser {
        &mut self.browsers[i]
    }

    /// The CSRF token of this learner's forms.
    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    /// One request on instance `i` (cookies carried over to the others), timed and
    /// counted; `None` when it failed or was answered with an error.
    fn call(
        &mut self,
        i: usize,
        f: impl FnOnce(&mut Browser) -> std::io::Result<Response>,
    ) -> Option<Response> {
        let started = Instant::now();
        let res = f(&mut self.browsers[i]);
        let took = started.elapsed();
        self.stats.requests += 1;
        self.stats
            .latencies_us
            .push(took.as_micros().min(u128::from(u32::MAX)) as u32);
        let cookies = self.browsers[i].cookies.clone();
        for (j, b) in self.browsers.iter_mut().enumerate() {
            if j != i {
                b.cookies = cookies.clone();
            }
        }
        // A refused connection reached no server: nothing was stored.
        self.unanswered = res
            .as_ref()
            .is_err_and(|e| e.kind() != std::io::ErrorKind::ConnectionRefused);
        match res {
            Ok(r) if r.ok() => Some(r),
            Ok(r) => {
                self.error(format!("{} answered {}", self.email, r.status));
                None
            }
            Err(e) => {
                self.error(format!("{}: {e}", self.email));
                None
            }
        }
    }

    fn error(&mut self, what: String) {
        self.stats.errors += 1;
        if self.stats.error_samples.len() < 3 {
            self.stats.error_samples.push(what);
        }
    }

    fn instance(&mut self) -> usize {
        self.rng.below(self.browsers.len() as u64) as usize
    }

    /// Follows a redirect the way a browser does, on any instance.
    fn follow(&mut self, res: &Response) -> Option<Response> {
        let to = res.location()?.to_string();
        let i = self.instance();
        self.call(i, |b| b.get(&to))
    }

    /// One thing a learner does: mostly reading, and writing of every kind.
    pub fn step(&mut self, plan: &Plan) {
        let roll = self.rng.percent();
        let course = plan.course_id.clone();
        let i = self.instance();
        if roll < 45 {
            let lesson = plan.lessons[self.rng.below(plan.lessons.len() as u64) as usize].clone();
            self.call(i, |b| b.get(&format!("/courses/{course}/{lesson}")));
        } else if roll < 60 {
            let lesson = plan.lessons[self.rng.below(plan.lessons.len() as u64) as usize].clone();
            let done = self.rng.percent() < 80;
            let csrf = self.csrf.clone();
            let path = format!("/courses/{course}/{lesson}/done");
            let value = if done { "1" } else { "0" };
            let res = self.call(i, |b| {
                b.post_form(&path, &[("csrf", &csrf), ("done", value)])
            });
            self.record_done(lesson, done, res.is_some());
            if let Some(res) = res {
                self.follow(&res);
            }
        } else if roll < 80 {
            self.answer(plan, i);
        } else if roll < 90 && !plan.reflections.is_empty() {
            self.reflect(plan, i);
        } else {
            let csrf = self.csrf.clone();
            if self.rng.percent() < 50 {
                self.call(i, |b| b.get(&format!("/api/v1/courses/{course}/progress")));
            } else {
                let lesson =
                    plan.lessons[self.rng.below(plan.lessons.len() as u64) as usize].clone();
                let path = format!("/api/v1/courses/{course}/items/{lesson}/done");
                let body = serde_json::json!({ "done": true });
                let answered = self.call(i, |b| b.post_json(&path, &body, &csrf)).is_some();
                self.record_done(lesson, true, answered);
            }
        }
    }

    /// A lesson marked done or not: acknowledged, or sent without an answer.
    fn record_done(&mut self, lesson: String, done: bool, acknowledged: bool) {
        let w = self.ledger.done.entry(lesson).or_default();
        if acknowledged {
            w.acknowledge(done);
        } else if self.unanswered {
            w.unanswered.push(done);
        }
    }

    fn reflect(&mut self, plan: &Plan, i: usize) {
        let (lesson, prompt) =
            plan.reflections[self.rng.below(plan.reflections.len() as u64) as usize].clone();
        self.writes += 1;
        let text = format!(
            "Antwoord {} van {} over {prompt}: in onze gemeente praten we erover",
            self.writes,
            self.email.split('@').next().unwrap_or_default()
        );
        let csrf = self.csrf.clone();
        let path = format!("/courses/{}/{lesson}/reflections/{prompt}", plan.course_id);
        let Some(res) = self.call(i, |b| {
            b.post_form(&path, &[("csrf", &csrf), ("answer", &text)])
        }) else {
            if self.unanswered {
                let w = self.ledger.reflections.entry(prompt).or_default();
                w.unanswered.push(text);
            }
            return;
        };
        self.ledger
            .reflections
            .entry(prompt)
            .or_default()
            .acknowledge(text.clone());
        // The page after saving, from any instance, shows the learner's own text.
        if let Some(page) = self.follow(&res) {
            if !page.body.contains(&text) {
                self.stats.stale_reads += 1;
            }
        }
    }

    fn answer(&mut self, plan: &Plan, i: usize) {
        let course = plan.course_id.clone();
        let csrf = self.csrf.clone();
        let Some((attempt, url)) = self.open_attempt.clone() else {
            let quiz = plan.quizzes[self.rng.below(plan.quizzes.len() as u64) as usize].clone();
            let path = format!("/courses/{course}/{quiz}/attempts");
            let Some(res) = self.call(i, |b| b.post_form(&path, &[("csrf", &csrf)])) else {
                return;
            };
            let Some(url) = res.location().map(str::to_string) else {
                return;
            };
            if let Some(id) = url.rsplit('/').next().and_then(|s| s.parse().ok()) {
                self.ledger.attempts.push(id);
                self.open_attempt = Some((id, url));
            }
            self.follow(&res);
            return;
        };
        let Some(page) = self.call(i, |b| b.get(&url)) else {
            return;
        };
        let Some(qid) = page.field("question") else {
            // Every question answered: the attempt is scored.
            self.open_attempt = None;
            return;
        };
        let Some(question) = plan.questions.get(&qid) else {
            self.error(format!("{}: unknown question {qid}", self.email));
            return;
        };
        let right = self.rng.percent() < 70;
        let mut form = vec![
            ("csrf".to_string(), csrf),
            ("question".to_string(), qid.clone()),
        ];
        form.extend(leerpad_web::answer_form(&example_answer(question, right)));
        let fields: Vec<(&str, &str)> =
            form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let path = format!("{url}/answer");
        if let Some(res) = self.call(i, |b| b.post_form(&path, &fields)) {
            self.ledger.answers.push((attempt, qid));
            self.follow(&res);
        }
    }
}

fn other(res: &Response, what: &str) -> std::io::Error {
    std::io::Error::other(format!(
        "{what}: {} {}",
        res.status,
        res.body.chars().take(300).collect::<String>()
    ))
}

/// Keeps `learners` busy until `until`, each in its own thread, pausing a random
/// 0–2 × `think` between actions as people do; returns them with their ledgers.
pub fn run(learners: Vec<Learner>, plan: &Plan, until: Instant, think: Duration) -> Vec<Learner> {
    std::thread::scope(|s| {
        let handles: Vec<_> = learners
            .into_iter()
            .map(|mut l| {
                s.spawn(move || {
                    while Instant::now() < until {
                        l.step(plan);
                        if !think.is_zero() {
                            let pause = think.mul_f64(l.rng.below(2001) as f64 / 1000.0);
                            std::thread::sleep(pause);
                        }
                    }
                    l
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a learner's thread"))
            .collect()
    })
}

/// What the database holds against what the server acknowledged.
#[derive(Debug, Default)]
pub struct Verified {
    pub writes: usize,
    /// Acknowledged writes the database does not hold, described.
    pub missing: Vec<String>,
}

/// Checks every learner's ledger against the database: each acknowledged write is
/// there (a lesson's last done state, a reflection's last answer, every answer and
/// every attempt).
pub fn verify(db: &Db, course_id: &str, learners: &[Learner]) -> Verified {
    let mut c = db.conn().expect("a connection");
    let mut out = Verified::default();
    for l in learners {
        let user = accounts::user_by_email(&mut c, &l.email)
            .expect("read a learner")
            .expect("the learner exists");
        let done: BTreeMap<String, bool> = lesson_progress::table
            .filter(lesson_progress::user_id.eq(user.id))
            .filter(lesson_progress::course_id.eq(course_id))
            .select((lesson_progress::item_id, lesson_progress::completed_at))
            .load::<(String, Option<chrono::NaiveDateTime>)>(&mut c)
            .expect("read progress")
            .into_iter()
            .map(|(i, at)| (i, at.is_some()))
            .collect();
        for (lesson, want) in &l.ledger.done {
            out.writes += usize::from(want.acknowledged.is_some());
            let stored = done.get(lesson).copied().unwrap_or(false);
            // Not done is also what a lesson never marked is.
            let allowed = want.allows(Some(&stored)) || (!stored && want.acknowledged.is_none());
            if !allowed {
                out.missing
                    .push(format!("{}: lesson {lesson} done: {want:?}", l.email));
            }
        }
        let saved: BTreeMap<String, String> = reflections::table
            .filter(reflections::user_id.eq(user.id))
            .filter(reflections::course_id.eq(course_id))
            .select((reflections::reflection_id, reflections::answer))
            .load::<(String, String)>(&mut c)
            .expect("read reflections")
            .into_iter()
            .collect();
        for (prompt, text) in &l.ledger.reflections {
            out.writes += usize::from(text.acknowledged.is_some());
            if !text.allows(saved.get(prompt)) {
                out.missing
                    .push(format!("{}: reflection {prompt}", l.email));
            }
        }
        let attempts: Vec<i32> = quiz_attempts::table
            .filter(quiz_attempts::user_id.eq(user.id))
            .select(quiz_attempts::id)
            .load(&mut c)
            .expect("read attempts");
        for a in &l.ledger.attempts {
            out.writes += 1;
            if !attempts.contains(a) {
                out.missing.push(format!("{}: attempt {a}", l.email));
            }
        }
        let answers: Vec<(i32, String)> = quiz_answers::table
            .filter(quiz_answers::attempt_id.eq_any(&attempts))
            .select((quiz_answers::attempt_id, quiz_answers::question_id))
            .load(&mut c)
            .expect("read answers");
        for a in &l.ledger.answers {
            out.writes += 1;
            if !answers.contains(a) {
                out.missing
                    .push(format!("{}: answer {} of attempt {}", l.email, a.1, a.0));
            }
        }
    }
    out
}
