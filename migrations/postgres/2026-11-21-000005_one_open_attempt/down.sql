DROP INDEX scenario_runs_one_open;
DROP INDEX quiz_attempts_one_open;
