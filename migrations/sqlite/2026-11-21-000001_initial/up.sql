-- Leerpad's initial schema (SQLite). migrations/postgres has the same tables, columns
-- and constraints in PostgreSQL's dialect; a test checks both against schema.rs.
-- Learner data references users ON DELETE CASCADE (deleting an account deletes its
-- data) and course items ON DELETE RESTRICT (items are archived, never deleted).

CREATE TABLE organisations (
    id INTEGER PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT,
    role TEXT NOT NULL CHECK (role IN ('learner', 'trainer', 'coordinator', 'admin')),
    language TEXT NOT NULL DEFAULT 'nl',
    email_verified_at TIMESTAMP,
    disabled_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE memberships (
    organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('member', 'coordinator')),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organisation_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE courses (
    id TEXT PRIMARY KEY NOT NULL,
    current_version_id INTEGER REFERENCES course_versions (id) ON DELETE SET NULL,
    archived_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- One row per published version. `course_json` is the compiled course without its
-- items' bodies; those are in `contents`, shared between versions by content hash.
CREATE TABLE course_versions (
    id INTEGER PRIMARY KEY NOT NULL,
    course_id TEXT NOT NULL REFERENCES courses (id) ON DELETE RESTRICT,
    version INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    course_json TEXT NOT NULL,
    published_at TIMESTAMP NOT NULL,
    UNIQUE (course_id, version)
);

-- Item bodies (lessons, quizzes, scenarios as compiled JSON), by content hash.
CREATE TABLE contents (
    content_hash TEXT PRIMARY KEY NOT NULL,
    body TEXT NOT NULL
);

-- Asset files, by content hash, so every web instance can serve them.
CREATE TABLE assets (
    content_hash TEXT PRIMARY KEY NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    bytes BLOB NOT NULL
);

-- Every id learner data can attach to: lessons, quizzes, scenarios, questions and
-- reflection prompts. Rows are never deleted; an item removed from the sources is
-- archived and keeps its history.
CREATE TABLE items (
    course_id TEXT NOT NULL REFERENCES courses (id) ON DELETE RESTRICT,
    id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('lesson', 'quiz', 'scenario', 'question', 'reflection')),
    created_version_id INTEGER NOT NULL REFERENCES course_versions (id) ON DELETE RESTRICT,
    archived_at TIMESTAMP,
    PRIMARY KEY (course_id, id)
);

-- What each version holds, in order.
CREATE TABLE version_items (
    version_id INTEGER NOT NULL REFERENCES course_versions (id) ON DELETE CASCADE,
    course_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    parent_id TEXT,
    module_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    PRIMARY KEY (version_id, item_id),
    FOREIGN KEY (course_id, item_id) REFERENCES items (course_id, id) ON DELETE RESTRICT
);

CREATE TABLE enrolments (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id TEXT NOT NULL REFERENCES courses (id) ON DELETE RESTRICT,
    enrolled_at TIMESTAMP NOT NULL,
    deadline TIMESTAMP,
    started_at TIMESTAMP,
    last_activity_at TIMESTAMP,
    completed_at TIMESTAMP,
    assigned_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    UNIQUE (user_id, course_id)
);
CREATE INDEX enrolments_course ON enrolments (course_id);

CREATE TABLE lesson_progress (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    first_opened_at TIMESTAMP NOT NULL,
    last_opened_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP,
    PRIMARY KEY (user_id, course_id, item_id),
    FOREIGN KEY (course_id, item_id) REFERENCES items (course_id, id) ON DELETE RESTRICT
);
CREATE INDEX lesson_progress_item ON lesson_progress (course_id, item_id);

-- A quiz attempt is pinned to the course version it started on.
CREATE TABLE quiz_attempts (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    version_id INTEGER NOT NULL REFERENCES course_versions (id) ON DELETE RESTRICT,
    question_ids TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP,
    score INTEGER,
    max_score INTEGER,
    passed BOOLEAN,
    FOREIGN KEY (course_id, item_id) REFERENCES items (course_id, id) ON DELETE RESTRICT
);
CREATE INDEX quiz_attempts_user ON quiz_attempts (user_id, course_id, item_id);
CREATE INDEX quiz_attempts_item ON quiz_attempts (course_id, item_id);

CREATE TABLE quiz_answers (
    attempt_id INTEGER NOT NULL REFERENCES quiz_attempts (id) ON DELETE CASCADE,
    course_id TEXT NOT NULL,
    question_id TEXT NOT NULL,
    answer TEXT NOT NULL,
    correct BOOLEAN NOT NULL,
    points INTEGER NOT NULL,
    answered_at TIMESTAMP NOT NULL,
    PRIMARY KEY (attempt_id, question_id),
    FOREIGN KEY (course_id, question_id) REFERENCES items (course_id, id) ON DELETE RESTRICT
);
CREATE INDEX quiz_answers_question ON quiz_answers (course_id, question_id);

CREATE TABLE scenario_runs (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    version_id INTEGER NOT NULL REFERENCES course_versions (id) ON DELETE RESTRICT,
    path TEXT NOT NULL,
    current_step TEXT NOT NULL,
    outcome TEXT,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    FOREIGN KEY (course_id, item_id) REFERENCES items (course_id, id) ON DELETE RESTRICT
);
CREATE INDEX scenario_runs_user ON scenario_runs (user_id, course_id, item_id);
CREATE INDEX scenario_runs_item ON scenario_runs (course_id, item_id);

CREATE TABLE reflections (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id TEXT NOT NULL,
    reflection_id TEXT NOT NULL,
    answer TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, course_id, reflection_id),
    FOREIGN KEY (course_id, reflection_id) REFERENCES items (course_id, id) ON DELETE RESTRICT
);
CREATE INDEX reflections_item ON reflections (course_id, reflection_id);

CREATE TABLE certificates (
    id INTEGER PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id TEXT NOT NULL REFERENCES courses (id) ON DELETE RESTRICT,
    version_id INTEGER NOT NULL REFERENCES course_versions (id) ON DELETE RESTRICT,
    holder_name TEXT NOT NULL,
    title TEXT NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    UNIQUE (user_id, course_id)
);

-- Email is written here in the same transaction as the decision to send it, and
-- sent by a worker; `dedupe_key` makes a second decision for the same reason a no-op.
CREATE TABLE email_outbox (
    id INTEGER PRIMARY KEY NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX email_outbox_due ON email_outbox (status, next_attempt_at);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    actor_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    details TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
