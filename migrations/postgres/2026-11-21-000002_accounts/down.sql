DROP TABLE rate_limits;
DROP TABLE login_tokens;
DROP TABLE sessions;
