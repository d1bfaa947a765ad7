-- Experts a space's moderators invited: they read and post there (even without
-- being a member of its organisation or course) and carry an "expert" badge.
CREATE TABLE space_experts (
    space_id INTEGER NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    since TIMESTAMP NOT NULL,
    PRIMARY KEY (space_id, user_id)
);
CREATE INDEX space_experts_by_user ON space_experts (user_id);
