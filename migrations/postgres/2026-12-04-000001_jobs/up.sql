-- The job runner: one row per scheduled run of a periodic job (outbox, nudges,
-- digest, prune, ...). `run_key` is the job's name and the period the run belongs
-- to (`nudges@2026-12-04T10:00`); it is unique, so of any number of instances
-- only one inserts it and runs that period. The one that runs it holds a lease
-- (`lease_owner`, `lease_until`); a lease that ran out (a crashed instance) may be
-- taken over, and a failed run is retried from `next_attempt_at`.
CREATE TABLE job_runs (
    id SERIAL PRIMARY KEY,
    job TEXT NOT NULL,
    run_key TEXT NOT NULL UNIQUE,
    -- The start of the period the run belongs to (UTC).
    scheduled_for TIMESTAMP NOT NULL,
    -- running, ok, retrying (failed, tried again from next_attempt_at) or failed
    -- (given up, or superseded by the next period's run).
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    next_attempt_at TIMESTAMP,
    -- When the job is due next, as the instance that ran it computed it.
    next_due_at TIMESTAMP,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    -- What the last attempt did, in words, or why it failed.
    summary TEXT,
    last_error TEXT
);
CREATE INDEX job_runs_by_job ON job_runs (job, scheduled_for);
