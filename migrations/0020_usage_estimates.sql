-- assay:rebuild
-- Budgets that hold whatever a server reports (issue 21), and judges' answers that explain
-- themselves when they do not read (issue 22):
-- - call_journal keeps a whole answer, up to the client's 32 MiB read limit (was cut at
--   1 MiB, so an answer above that could not be read again after a crash), and says when
--   its usage is an estimate: the server reported none (or nothing usable), or the call
--   timed out after the server may have done the work, so it is charged its worst case.
-- - call_journal keeps, for a judge's answer that did not read, its text and its problems.
-- - run_events say the same of each call on the timeline.
-- - runs count the calls charged at an estimate.

CREATE TABLE call_journal_new (
    id              TEXT    NOT NULL PRIMARY KEY,
    run_id          TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    task_id         TEXT    NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    attempt         INTEGER NOT NULL CHECK (attempt >= 1),
    started_at      TEXT    NOT NULL,
    ended_at        TEXT    NOT NULL,
    outcome         TEXT    NOT NULL CHECK (outcome IN ('answer', 'failed')),
    http_status     INTEGER,
    error_code      TEXT,
    -- the raw response body, whole (the client reads at most 32 MiB)
    raw             TEXT    NOT NULL DEFAULT '' CHECK (length(CAST(raw AS BLOB)) <= 33554432),
    tokens_in       INTEGER CHECK (tokens_in IS NULL OR tokens_in >= 0),
    tokens_out      INTEGER CHECK (tokens_out IS NULL OR tokens_out >= 0),
    cost            REAL    CHECK (cost IS NULL OR cost >= 0),
    -- 1 once the parsed result (or the task's failure) is written
    applied         INTEGER NOT NULL DEFAULT 0 CHECK (applied IN (0, 1)),
    -- 1 when tokens and cost are the call's worst case, not what the server reported
    usage_estimated INTEGER NOT NULL DEFAULT 0 CHECK (usage_estimated IN (0, 1)),
    -- a judge's answer that did not read: its text and what was wrong with it (a JSON
    -- array of {code, message}), kept for every attempt of a failed task
    answer_text     TEXT,
    problems        TEXT    CHECK (problems IS NULL OR json_valid(problems)),
    UNIQUE (task_id, attempt)
) STRICT;
INSERT INTO call_journal_new (id, run_id, task_id, attempt, started_at, ended_at, outcome,
                              http_status, error_code, raw, tokens_in, tokens_out, cost, applied)
SELECT id, run_id, task_id, attempt, started_at, ended_at, outcome, http_status, error_code,
       raw, max(tokens_in, 0), max(tokens_out, 0), cost, applied
FROM call_journal;
DROP TABLE call_journal;
ALTER TABLE call_journal_new RENAME TO call_journal;
CREATE INDEX call_journal_by_run ON call_journal (run_id, applied);

ALTER TABLE run_events ADD COLUMN usage_estimated INTEGER NOT NULL DEFAULT 0
    CHECK (usage_estimated IN (0, 1));

ALTER TABLE runs ADD COLUMN estimated_calls INTEGER NOT NULL DEFAULT 0
    CHECK (estimated_calls >= 0);
