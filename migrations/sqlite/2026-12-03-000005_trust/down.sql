ALTER TABLE assigned_enrolments DROP COLUMN deadline;
ALTER TABLE memberships DROP COLUMN accepted_at;
ALTER TABLE rate_limits DROP COLUMN last_hit_at;
DROP INDEX sessions_expires;
ALTER TABLE sessions DROP COLUMN replaced_by;
DROP INDEX login_tokens_expires;
ALTER TABLE login_tokens DROP COLUMN payload;
