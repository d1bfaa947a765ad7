-- Trust: what a registration chose waits on its verification link until the
-- address is proven; a rotated session cookie names its successor; rate limits
-- remember their last hit (to slow down, not lock out); joining an organisation
-- with an existing account takes the person's consent; each organisation keeps its
-- own deadline for the courses it assigned.

-- A registration's name, language and password hash (JSON), applied only when its
-- verification link is confirmed.
ALTER TABLE login_tokens ADD COLUMN payload TEXT;
CREATE INDEX login_tokens_expires ON login_tokens (expires_at);

-- Set when the session's cookie was rotated: the old cookie works for a few seconds
-- more (requests already under way), then only the successor does.
ALTER TABLE sessions ADD COLUMN replaced_by TEXT;
CREATE INDEX sessions_expires ON sessions (expires_at);

ALTER TABLE rate_limits ADD COLUMN last_hit_at TIMESTAMP;

-- NULL while an existing account has not yet accepted an organisation's request.
ALTER TABLE memberships ADD COLUMN accepted_at TIMESTAMP;
UPDATE memberships SET accepted_at = created_at;

-- The organisation's own deadline; the enrolment's deadline is the earliest of them.
ALTER TABLE assigned_enrolments ADD COLUMN deadline TIMESTAMP;
UPDATE assigned_enrolments SET deadline = (
    SELECT e.deadline FROM enrolments e
    WHERE e.user_id = assigned_enrolments.user_id AND e.course_id = assigned_enrolments.course_id
);
