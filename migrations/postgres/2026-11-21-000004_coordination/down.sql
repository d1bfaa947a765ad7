DROP TABLE anonymised_enrolments;
DROP TABLE api_tokens;
DROP TABLE assigned_enrolments;
ALTER TABLE enrolments DROP COLUMN quiz_scores;
ALTER TABLE enrolments DROP COLUMN progress_percent;
DROP TABLE assignments;
DROP INDEX memberships_group;
ALTER TABLE memberships DROP COLUMN group_id;
DROP TABLE org_groups;
