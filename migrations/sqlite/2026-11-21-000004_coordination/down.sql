DROP TABLE anonymised_enrolments;
DROP TABLE api_tokens;
DROP TABLE assigned_enrolments;
ALTER TABLE enrolments DROP COLUMN quiz_scores;
ALTER TABLE enrolments DROP COLUMN progress_percent;
DROP TABLE assignments;
-- SQLite cannot drop a column that references another table: rebuild the table.
CREATE TABLE memberships_before (
    organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('member', 'coordinator')),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organisation_id, user_id)
);
INSERT INTO memberships_before SELECT organisation_id, user_id, role, created_at FROM memberships;
DROP TABLE memberships;
ALTER TABLE memberships_before RENAME TO memberships;
CREATE INDEX memberships_user ON memberships (user_id);
DROP TABLE org_groups;
