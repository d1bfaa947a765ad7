-- A learner has at most one open attempt per quiz and one unfinished run per
-- scenario, enforced by the database: a double submission of "start" (two tabs, a
-- double click, two instances) starts one, and the second request finds it.
--
-- Databases written before may hold such duplicates. They are resolved first:
--
-- 1. An open attempt without answers, while the learner has another open attempt
--    at the same quiz that has answers or came first, was never used: removed, so
--    it no longer counts against the quiz's number of attempts.
DELETE FROM quiz_attempts
WHERE submitted_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM quiz_answers a WHERE a.attempt_id = quiz_attempts.id)
  AND EXISTS (
    SELECT 1 FROM quiz_attempts o
    WHERE o.user_id = quiz_attempts.user_id AND o.course_id = quiz_attempts.course_id
      AND o.item_id = quiz_attempts.item_id AND o.submitted_at IS NULL
      AND o.id <> quiz_attempts.id
      AND (EXISTS (SELECT 1 FROM quiz_answers b WHERE b.attempt_id = o.id) OR o.id < quiz_attempts.id)
  );
-- 2. Of open attempts that all have answers, the latest stays open; the others are
--    closed as they are, not passed, their points kept, and no maximum (they were
--    never completed).
UPDATE quiz_attempts
SET submitted_at = COALESCE(
      (SELECT MAX(a.answered_at) FROM quiz_answers a WHERE a.attempt_id = quiz_attempts.id),
      started_at),
    score = (SELECT COALESCE(SUM(a.points), 0) FROM quiz_answers a WHERE a.attempt_id = quiz_attempts.id),
    passed = 0
WHERE submitted_at IS NULL
  AND EXISTS (
    SELECT 1 FROM quiz_attempts o
    WHERE o.user_id = quiz_attempts.user_id AND o.course_id = quiz_attempts.course_id
      AND o.item_id = quiz_attempts.item_id AND o.submitted_at IS NULL
      AND o.id > quiz_attempts.id
  );
CREATE UNIQUE INDEX quiz_attempts_one_open ON quiz_attempts (user_id, course_id, item_id)
WHERE submitted_at IS NULL;

-- 3. A scenario is always played in its latest run: older unfinished runs beside
--    it cannot be reached and are removed.
DELETE FROM scenario_runs
WHERE finished_at IS NULL
  AND EXISTS (
    SELECT 1 FROM scenario_runs o
    WHERE o.user_id = scenario_runs.user_id AND o.course_id = scenario_runs.course_id
      AND o.item_id = scenario_runs.item_id AND o.finished_at IS NULL
      AND o.id > scenario_runs.id
  );
CREATE UNIQUE INDEX scenario_runs_one_open ON scenario_runs (user_id, course_id, item_id)
WHERE finished_at IS NULL;
