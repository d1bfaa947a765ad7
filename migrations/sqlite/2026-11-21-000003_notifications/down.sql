DROP TABLE nudge_log;
ALTER TABLE users DROP COLUMN notifications;
