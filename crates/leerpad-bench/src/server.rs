//! `leerpad serve` as a process, for the load benchmark and the process tests: on a
//! free port, with its own data folder, started, killed and started again.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::http::Browser;

/// A running `leerpad serve`.
pub struct Server {
    bin: PathBuf,
    env: Vec<(String, String)>,
    pub addr: SocketAddr,
    pub child: Child,
    log: PathBuf,
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Server {
    /// Starts `bin serve` with `data_dir` and the bundled `courses_dir`, plus `env`
    /// (`LEERPAD_*` settings), and waits until `/healthz` answers.
    pub fn start(bin: &Path, data_dir: &Path, courses_dir: &Path, env: &[(&str, &str)]) -> Server {
        let port = free_port();
        let mut all: Vec<(String, String)> = vec![
            ("LEERPAD_DATA_DIR".into(), data_dir.display().to_string()),
            (
                "LEERPAD_COURSES_DIR".into(),
                courses_dir.display().to_string(),
            ),
            ("LEERPAD_LISTEN".into(), format!("127.0.0.1:{port}")),
            (
                "LEERPAD_SECRET".into(),
                "a secret shared by every instance, long enough".into(),
            ),
            ("LEERPAD_NUDGE_INTERVAL_MINUTES".into(), "0".into()),
            ("LEERPAD_LOG".into(), "warn".into()),
        ];
        all.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        std::fs::create_dir_all(data_dir).expect("a data folder");
        let log = data_dir.join(format!("serve-{port}.log"));
        let child = spawn(bin, &all, &log);
        let mut s = Server {
            bin: bin.to_path_buf(),
            env: all,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            child,
            log,
        };
        s.wait_healthy(Duration::from_secs(120));
        s
    }

    /// Waits until `/healthz` answers 200; panics with the server's log after `limit`.
    pub fn wait_healthy(&mut self, limit: Duration) {
        let started = Instant::now();
        loop {
            let mut b = Browser::new(self.addr);
            b.timeout = Duration::from_secs(2);
            if b.get("/healthz").is_ok_and(|r| r.status == 200) {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("leerpad serve exited ({status}):\n{}", self.log());
            }
            assert!(
                started.elapsed() < limit,
                "leerpad serve did not become healthy:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// What the server logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills the process at once (SIGKILL): no shutdown, nothing flushed.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Asks the process to stop (SIGTERM) and waits for it.
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }

    /// Starts the same server again on the same port and data.
    pub fn restart(&mut self) {
        self.kill();
        self.child = spawn(&self.bin, &self.env, &self.log);
        self.wait_healthy(Duration::from_secs(120));
    }

    /// CPU time (user + system) the process has used, in seconds (Linux).
    pub fn cpu_seconds(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // Fields after the command name (which is in parentheses).
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        // utime and stime are fields 14 and 15, i.e. 12 and 13 after the name.
        (ticks(11) + ticks(12)) / 100.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn spawn(bin: &Path, env: &[(String, String)], log: &Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("a log file");
    Command::new(bin)
        .arg("serve")
        .env_remove("LEERPAD_FAIL_POINT")
        .env_remove("LEERPAD_DATABASE_URL")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("a log file"))
        .stderr(log)
        .spawn()
        .expect("leerpad serve starts")
}
