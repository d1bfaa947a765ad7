-- Coordination: groups (departments, teams) inside organisations, courses assigned
-- to an organisation or a group with a deadline, API tokens for reports, what
-- reports keep of deleted accounts, and each enrolment's progress kept for reports.

CREATE TABLE org_groups (
    id INTEGER PRIMARY KEY NOT NULL,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (organisation_id, name)
);

-- A member belongs to at most one group of each organisation.
ALTER TABLE memberships ADD COLUMN group_id INTEGER REFERENCES org_groups (id) ON DELETE SET NULL;
CREATE INDEX memberships_group ON memberships (group_id);

-- A course assigned to everyone in an organisation (group_id NULL) or to one group.
-- Members who join later are enrolled with the same deadline.
CREATE TABLE assignments (
    id INTEGER PRIMARY KEY NOT NULL,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    group_id INTEGER REFERENCES org_groups (id) ON DELETE CASCADE,
    course_id TEXT NOT NULL REFERENCES courses (id) ON DELETE RESTRICT,
    deadline TIMESTAMP,
    assigned_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX assignments_target ON assignments (organisation_id, COALESCE(group_id, 0), course_id);

-- Which enrolments an organisation asked for: written when it assigns a course to a
-- member (directly, through their group or organisation-wide). Reports show a
-- member's enrolment only if their organisation asked for it, so a coordinator never
-- sees courses a learner takes for another organisation or on their own. Rows stay
-- when an assignment is removed, and go when the member leaves.
CREATE TABLE assigned_enrolments (
    organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id TEXT NOT NULL REFERENCES courses (id) ON DELETE RESTRICT,
    assigned_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organisation_id, user_id, course_id)
);
CREATE INDEX assigned_enrolments_user ON assigned_enrolments (user_id, course_id);

-- Kept up to date whenever the learner makes progress, so that a report of a
-- hundred thousand enrolments is one pass over this table: the percentage of
-- counted items done, and the best score (%) of each quiz as a JSON object.
ALTER TABLE enrolments ADD COLUMN progress_percent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE enrolments ADD COLUMN quiz_scores TEXT NOT NULL DEFAULT '{}';

-- A token is a signed JWT whose `jti` is `id`; revoking it sets `revoked_at`.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- When an account is deleted, its enrolments leave only a count here: per
-- organisation, group name ('' for none), course and status at deletion.
CREATE TABLE anonymised_enrolments (
    organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    group_name TEXT NOT NULL,
    course_id TEXT NOT NULL REFERENCES courses (id) ON DELETE RESTRICT,
    status TEXT NOT NULL CHECK (status IN ('invited', 'not_started', 'in_progress', 'completed', 'overdue')),
    count INTEGER NOT NULL,
    PRIMARY KEY (organisation_id, group_name, course_id, status)
);
