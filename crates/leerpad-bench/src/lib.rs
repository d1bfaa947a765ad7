//! What the benchmark programs share: a deterministic random generator, SQLite
//! batch inserts, and reading the process's memory use; and for the load
//! benchmark and the process tests, an HTTP client (`http`), learners at work
//! (`load`) and `leerpad serve` as a process (`server`).

pub mod http;
pub mod load;
pub mod server;

use diesel::QueryResult;
use leerpad_store::DbConnection;

/// A small deterministic generator (xorshift), so every run has the same data.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// 0..n
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn percent(&mut self) -> u64 {
        self.below(100)
    }

    pub fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len() as u64) as usize]
    }
}

/// Runs `f` on the SQLite connection (the benchmarks generate data on SQLite).
pub fn per_sqlite(
    c: &mut DbConnection,
    f: impl FnOnce(&mut diesel::SqliteConnection) -> QueryResult<usize>,
) -> QueryResult<usize> {
    match c {
        DbConnection::Sqlite(s) => f(s),
        DbConnection::Pg(_) => unreachable!("the benchmark runs on SQLite"),
    }
}

/// A line of /proc/self/status in KiB (`VmRSS:`, `VmHWM:`).
pub fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Resets VmHWM to the current resident set size (Linux 4.0 and later), so the
/// next reading is the peak of what follows.
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
