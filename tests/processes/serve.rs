//! `leerpad serve` as processes under faults: killed (SIGKILL) while learners
//! write, two instances on one PostgreSQL database, and a database that goes away
//! and comes back. Learners are real HTTP clients (`leerpad_bench::load`); every
//! write the server acknowledged must be in the database afterwards.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use leerpad_bench::load::{self, Learner, Plan, Stats};
use leerpad_bench::server::Server;
use leerpad_store::Db;

use super::databases;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_leerpad"))
}

fn courses() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("courses")
}

const COURSE: &str = "polarisatie";

fn sign_in_all(db: &Db, tag: &str, n: usize, addrs: &[SocketAddr], plan: &Plan) -> Vec<Learner> {
    load::create_learners(db, tag, n)
        .iter()
        .enumerate()
        .map(|(i, (email, token))| {
            Learner::sign_in(email, token, addrs, plan, 7 + i as u64)
                .unwrap_or_else(|e| panic!("{email} cannot sign in: {e}"))
        })
        .collect()
}

fn total(learners: &[Learner]) -> Stats {
    let mut s = Stats::default();
    for l in learners {
        s.merge(l.stats.clone());
    }
    s
}

/// The server is killed with SIGKILL while learners keep writing, and started
/// again: every write it had acknowledged is there, and learners carry on.
#[test]
fn a_server_killed_while_learners_write_keeps_every_acknowledged_write() {
    for (url, _guard) in databases("kill") {
        let data = tempfile::tempdir().unwrap();
        let mut server = Server::start(
            &bin(),
            data.path(),
            &courses(),
            &[("LEERPAD_DATABASE_URL", url.as_str())],
        );
        let db = Db::open(&url).unwrap();
        let plan = Plan::bundled(&courses(), COURSE);
        let learners = sign_in_all(&db, "kill", 12, &[server.addr], &plan);

        let until = Instant::now() + Duration::from_secs(5);
        let learners = std::thread::scope(|s| {
            let load = s.spawn(|| load::run(learners, &plan, until, Duration::from_millis(5)));
            std::thread::sleep(Duration::from_secs(2));
            server.kill();
            load.join().unwrap()
        });
        let stats = total(&learners);
        assert!(
            stats.requests > 100,
            "{url}: the learners were busy: {stats:?}"
        );
        assert!(stats.errors > 0, "{url}: requests after the kill fail");

        server.restart();
        let verified = load::verify(&db, COURSE, &learners);
        assert!(verified.writes > 20, "{url}: {verified:?}");
        assert!(
            verified.missing.is_empty(),
            "{url}: acknowledged writes lost: {:?}",
            verified.missing
        );
        // The restarted server serves every learner, with their last reflections
        // (or one sent as the server was killed, which it may have stored).
        let mut learners = learners;
        for l in &mut learners {
            for (prompt, written) in l.ledger.reflections.clone() {
                if written.acknowledged.is_none() {
                    continue;
                }
                let (lesson, _) = plan.reflections.iter().find(|(_, p)| *p == prompt).unwrap();
                let page = l
                    .browser(0)
                    .get(&format!("/courses/{COURSE}/{lesson}"))
                    .unwrap();
                assert_eq!(page.status, 200, "{url}: {}", page.body);
                let shown = written
                    .acknowledged
                    .iter()
                    .chain(&written.unanswered)
                    .any(|text| page.body.contains(text.as_str()));
                assert!(shown, "{url}: {written:?}");
            }
        }
        server.stop();
    }
}

/// Two instances on one PostgreSQL database, every request of every learner to
/// either: no errors, every acknowledged write stored, each learner's own
/// reflection on the next page whichever instance serves it, and a quiz started
/// on both at the same moment started once.
#[test]
fn two_instances_on_one_postgres_database() {
    for (url, _guard) in databases("two").into_iter().skip(1) {
        let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let env = [("LEERPAD_DATABASE_URL", url.as_str())];
        let mut a = Server::start(&bin(), d1.path(), &courses(), &env);
        let mut b = Server::start(&bin(), d2.path(), &courses(), &env);
        let db = Db::open(&url).unwrap();
        let plan = Plan::bundled(&courses(), COURSE);
        let addrs = [a.addr, b.addr];
        let learners = sign_in_all(&db, "two", 10, &addrs, &plan);

        let until = Instant::now() + Duration::from_secs(4);
        let mut learners = load::run(learners, &plan, until, Duration::from_millis(5));
        let stats = total(&learners);
        assert_eq!(
            stats.errors,
            0,
            "{:?}\n{}\n{}",
            stats.error_samples,
            a.log(),
            b.log()
        );
        assert_eq!(
            stats.stale_reads, 0,
            "a learner's own reflection was missing"
        );
        let verified = load::verify(&db, COURSE, &learners);
        assert!(verified.missing.is_empty(), "{:?}", verified.missing);

        // Both instances asked to start the same quiz at the same moment.
        let quiz = plan.quizzes.last().unwrap().clone();
        for l in &mut learners {
            let csrf = l.csrf().to_string();
            let path = format!("/courses/{COURSE}/{quiz}/attempts");
            let mut on_a = l.browser(0).at(addrs[0]);
            let mut on_b = l.browser(0).at(addrs[1]);
            let (ra, rb) = std::thread::scope(|s| {
                let ta = s.spawn(|| on_a.post_form(&path, &[("csrf", &csrf)]).unwrap());
                let tb = s.spawn(|| on_b.post_form(&path, &[("csrf", &csrf)]).unwrap());
                (ta.join().unwrap(), tb.join().unwrap())
            });
            assert_eq!((ra.status, rb.status), (303, 303), "{}", l.email);
            assert_eq!(ra.location(), rb.location(), "{}: one attempt", l.email);
        }
        a.stop();
        b.stop();
    }
}

/// A TCP proxy in front of PostgreSQL that can be stopped (every connection
/// closed, nothing listening) and started again on the same port: the database
/// goes away for one instance only, without touching the shared server.
struct Proxy {
    port: u16,
    upstream: SocketAddr,
    running: Arc<AtomicBool>,
    streams: Arc<Mutex<Vec<TcpStream>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut p = Proxy {
            port: listener.local_addr().unwrap().port(),
            upstream,
            running: Arc::default(),
            streams: Arc::default(),
            thread: None,
        };
        p.serve(listener);
        p
    }

    fn serve(&mut self, listener: TcpListener) {
        listener.set_nonblocking(true).unwrap();
        self.running.store(true, Ordering::SeqCst);
        let (running, streams, upstream) =
            (self.running.clone(), self.streams.clone(), self.upstream);
        self.thread = Some(std::thread::spawn(move || {
            while running.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let Ok(server) = TcpStream::connect(upstream) else {
                            continue;
                        };
                        let mut all = streams.lock().unwrap();
                        all.push(client.try_clone().unwrap());
                        all.push(server.try_clone().unwrap());
                        pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                        pipe(server, client);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        }));
    }

    /// Nothing listens any more, and every connection through it is closed.
    fn stop(&mut self) {
        self.running.store(false, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
        for s in self.streams.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    fn restart(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).unwrap();
        self.serve(listener);
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Both);
    });
}

/// The database goes away under a running server and comes back: meanwhile every
/// answer comes at once (no hanging for seconds), `/healthz` says 503, pages say
/// "temporarily unavailable, nothing you saved is lost" with Retry-After, and
/// afterwards the server works again by itself.
#[test]
fn the_database_goes_away_and_comes_back() {
    for (url, _guard) in databases("away").into_iter().skip(1) {
        let (base, name) = url.rsplit_once('/').unwrap();
        let host = base.rsplit_once('@').map_or(base, |(_, h)| h);
        let host = host
            .trim_start_matches("postgres://")
            .trim_start_matches("postgresql://");
        let upstream: SocketAddr = std::net::ToSocketAddrs::to_socket_addrs(host)
            .unwrap()
            .next()
            .unwrap();
        let mut proxy = Proxy::start(upstream);
        let user = base.split("://").nth(1).unwrap().split('@').next().unwrap();
        let via_proxy = format!("postgres://{user}@127.0.0.1:{}/{name}", proxy.port);

        let data = tempfile::tempdir().unwrap();
        let mut server = Server::start(
            &bin(),
            data.path(),
            &courses(),
            &[("LEERPAD_DATABASE_URL", via_proxy.as_str())],
        );
        let db = Db::open(&url).unwrap();
        let plan = Plan::bundled(&courses(), COURSE);
        let mut learner = sign_in_all(&db, "away", 1, &[server.addr], &plan).remove(0);
        let lesson = format!("/courses/{COURSE}/{}", plan.lessons[0]);
        let (reflecting, prompt) = plan.reflections[0].clone();
        let save = format!("/courses/{COURSE}/{reflecting}/reflections/{prompt}");
        let csrf = learner.csrf().to_string();
        assert_eq!(learner.browser(0).get(&lesson).unwrap().status, 200);

        proxy.stop();
        // Answers come at once: a hang would time out (the client waits 5 s).
        let b = learner.browser(0);
        b.timeout = Duration::from_secs(5);
        for _ in 0..3 {
            let health = b.get("/healthz").unwrap();
            assert_eq!(health.status, 503, "{}", health.body);
            assert!(health.header("retry-after").is_some());
        }
        let page = b.get(&lesson).unwrap();
        assert_eq!(page.status, 503, "{}", page.body);
        assert!(page.body.contains("Even niet beschikbaar"), "{}", page.body);
        assert!(page
            .body
            .contains("Niets wat je eerder bewaarde is verloren"));
        assert!(page.header("retry-after").is_some());
        let refused = b
            .post_form(&save, &[("csrf", &csrf), ("answer", "Tijdens de storing")])
            .unwrap();
        assert_eq!(refused.status, 503);

        proxy.restart();
        let started = Instant::now();
        while !b.get("/healthz").is_ok_and(|r| r.status == 200) {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the server did not recover:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        assert_eq!(b.get(&lesson).unwrap().status, 200);
        let saved = b
            .post_form(&save, &[("csrf", &csrf), ("answer", "Na de storing")])
            .unwrap();
        assert_eq!(saved.status, 303, "{}", saved.body);
        let page = b.get(&lesson).unwrap();
        assert!(page.body.contains("Na de storing"));
        server.stop();
        proxy.stop();
    }
}
