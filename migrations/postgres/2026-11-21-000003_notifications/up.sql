-- Email nudges: which reminders each learner wants, and which were sent.

-- `all`, `deadlines` (only deadline_approaching and deadline_passed) or `none`.
ALTER TABLE users ADD COLUMN notifications TEXT NOT NULL DEFAULT 'all'
    CHECK (notifications IN ('all', 'deadlines', 'none'));

-- One row per nudge queued, written in the same transaction as its email_outbox row
-- (whose dedupe_key `nudge:<user>:<course>:<rule>:<period>` is the same four fields).
-- The nudge runner reads this small table, not the outbox, to know how often each
-- rule already fired for an enrolment and when.
CREATE TABLE nudge_log (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id TEXT NOT NULL REFERENCES courses (id) ON DELETE RESTRICT,
    rule_id TEXT NOT NULL,
    period TEXT NOT NULL,
    queued_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, course_id, rule_id, period)
);
