//! The time, injectable: tests move it forward to expire links and sessions.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{Duration, NaiveDateTime, Utc};

#[derive(Clone, Default)]
pub struct Clock {
    offset_seconds: Arc<AtomicI64>,
}

impl Clock {
    /// The real time (UTC) plus any offset a test added.
    pub fn now(&self) -> NaiveDateTime {
        Utc::now().naive_utc() + Duration::seconds(self.offset_seconds.load(Ordering::SeqCst))
    }

    /// Moves this clock (and every copy of it) forward.
    pub fn advance(&self, by: Duration) {
        self.offset_seconds
            .fetch_add(by.num_seconds(), Ordering::SeqCst);
    }
}
