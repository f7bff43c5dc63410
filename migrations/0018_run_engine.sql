-- assay:rebuild
-- The run engine's schema. Every existing row survives (the rebuild checks counts and
-- foreign keys).
-- - runs: statuses pending, running, paused, completed, completed_with_errors, failed,
--   cancelled, interrupted, with the phase (generating, scoring, comparing, combining, done)
--   in its own column; a run that was mid-phase is interrupted. The budget, the consent to
--   unpriced models and why a run paused are kept with it.
-- - tasks: every kind (generate, score, compare, combine), each with its idempotency key.
-- - call_journal: every response (and failed attempt) the moment it arrives.
-- - documents: generated or combined, and whether the answer was cut at its token limit.
-- - pairwise_results: one row per order shown, so both orders of a trial are kept.
-- - run_events: the new phase names.

CREATE TABLE runs_new (
    id                 TEXT    NOT NULL PRIMARY KEY,
    title              TEXT    NOT NULL,
    preset_id          TEXT    REFERENCES presets (id) ON DELETE SET NULL,
    config_snapshot    TEXT    NOT NULL CHECK (json_valid(config_snapshot)),
    phase              TEXT    NOT NULL CHECK (phase IN ('generating', 'scoring', 'comparing', 'combining', 'done')),
    status             TEXT    NOT NULL CHECK (status IN ('pending', 'running', 'paused', 'completed',
                           'completed_with_errors', 'failed', 'cancelled', 'interrupted')),
    error              TEXT,
    created_at         TEXT    NOT NULL,
    started_at         TEXT,
    completed_at       TEXT,
    tasks_total        INTEGER NOT NULL DEFAULT 0 CHECK (tasks_total >= 0),
    tasks_done         INTEGER NOT NULL DEFAULT 0 CHECK (tasks_done >= 0),
    tasks_failed       INTEGER NOT NULL DEFAULT 0 CHECK (tasks_failed >= 0),
    total_tokens       INTEGER NOT NULL DEFAULT 0 CHECK (total_tokens >= 0),
    total_cost         REAL    NOT NULL DEFAULT 0 CHECK (total_cost >= 0),
    unknown_cost_calls INTEGER NOT NULL DEFAULT 0 CHECK (unknown_cost_calls >= 0),
    budget_usd         REAL    CHECK (budget_usd IS NULL OR budget_usd > 0),
    budget_tokens      INTEGER CHECK (budget_tokens IS NULL OR budget_tokens > 0),
    allow_unpriced     INTEGER NOT NULL DEFAULT 0 CHECK (allow_unpriced IN (0, 1)),
    pause_reason       TEXT
) STRICT;
INSERT INTO runs_new (id, title, preset_id, config_snapshot, phase, status, error, created_at,
                      started_at, completed_at, tasks_total, tasks_done, tasks_failed,
                      total_tokens, total_cost, unknown_cost_calls)
SELECT id, title, preset_id, config_snapshot,
       CASE phase WHEN 'pending' THEN 'generating' WHEN 'single_eval' THEN 'scoring'
                  WHEN 'pairwise_eval' THEN 'comparing' ELSE phase END,
       CASE WHEN status IN ('generating', 'single_eval', 'pairwise_eval') THEN 'interrupted'
            ELSE status END,
       error, created_at, started_at, completed_at, tasks_total, tasks_done, tasks_failed,
       total_tokens, total_cost, unknown_cost_calls
FROM runs;
DROP TABLE runs;
ALTER TABLE runs_new RENAME TO runs;
CREATE INDEX runs_by_created ON runs (created_at DESC, id DESC);

CREATE TABLE tasks_new (
    id               TEXT    NOT NULL PRIMARY KEY,
    run_id           TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    kind             TEXT    NOT NULL CHECK (kind IN ('generate', 'score', 'compare', 'combine')),
    -- run-unique: kind, targets, model or judge, iteration or trial, order shown.
    task_key         TEXT    NOT NULL,
    input_content_id TEXT    REFERENCES contents (id) ON DELETE SET NULL,
    -- the endpoint and model called: the generator, judge or combiner
    provider         TEXT    NOT NULL,
    model            TEXT    NOT NULL,
    -- the contestant's label (generate, combine) or the judge's (score, compare)
    label            TEXT    NOT NULL,
    -- the iteration (generate, combine) or trial (score, compare)
    iteration        INTEGER NOT NULL CHECK (iteration >= 1),
    doc_a_id         TEXT    REFERENCES documents (id) ON DELETE CASCADE,
    doc_b_id         TEXT    REFERENCES documents (id) ON DELETE CASCADE,
    shown_first      TEXT    CHECK (shown_first IS NULL OR shown_first IN ('A', 'B')),
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    error            TEXT,
    UNIQUE (run_id, task_key)
) STRICT;
INSERT INTO tasks_new (id, run_id, kind, task_key, input_content_id, provider, model, label,
                       iteration, status, attempts, error)
SELECT id, run_id, 'generate',
       'generate/' || coalesce(input_content_id, id) || '/' || provider || '/' || model || '/' || iteration,
       input_content_id, provider, model, provider || '/' || model, iteration, status,
       CASE WHEN status IN ('succeeded', 'failed') THEN 1 ELSE 0 END, error
FROM tasks;
DROP TABLE tasks;
ALTER TABLE tasks_new RENAME TO tasks;
CREATE INDEX tasks_by_run ON tasks (run_id, kind, status);

CREATE TABLE documents_new (
    id          TEXT    NOT NULL PRIMARY KEY,
    run_id      TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    task_id     TEXT    NOT NULL UNIQUE REFERENCES tasks (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL DEFAULT 'generated' CHECK (kind IN ('generated', 'combined')),
    -- a combined document's sources, as a JSON array of document ids
    sources     TEXT    CHECK (sources IS NULL OR json_valid(sources)),
    body        TEXT    NOT NULL,
    truncated   INTEGER NOT NULL DEFAULT 0 CHECK (truncated IN (0, 1)),
    tokens_in   INTEGER NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
    tokens_out  INTEGER NOT NULL DEFAULT 0 CHECK (tokens_out >= 0),
    latency_ms  INTEGER NOT NULL DEFAULT 0 CHECK (latency_ms >= 0),
    cost        REAL    CHECK (cost IS NULL OR cost >= 0),
    status      TEXT    NOT NULL CHECK (status IN ('succeeded', 'failed')),
    error       TEXT,
    created_at  TEXT    NOT NULL
) STRICT;
INSERT INTO documents_new (id, run_id, task_id, body, tokens_in, tokens_out, latency_ms, cost,
                           status, error, created_at)
SELECT id, run_id, task_id, body, tokens_in, tokens_out, latency_ms, cost, status, error,
       created_at
FROM documents;
DROP TABLE documents;
ALTER TABLE documents_new RENAME TO documents;
CREATE INDEX documents_by_run ON documents (run_id);

CREATE TABLE pairwise_results_new (
    id          TEXT    NOT NULL PRIMARY KEY,
    run_id      TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    doc_a_id    TEXT    NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    doc_b_id    TEXT    NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    judge       TEXT    NOT NULL,
    trial       INTEGER NOT NULL CHECK (trial >= 1),
    winner      TEXT    CHECK (winner IN ('A', 'B')),
    reason      TEXT    NOT NULL DEFAULT '',
    shown_first TEXT    NOT NULL CHECK (shown_first IN ('A', 'B')),
    CHECK (doc_a_id <> doc_b_id),
    UNIQUE (run_id, doc_a_id, doc_b_id, judge, trial, shown_first)
) STRICT;
INSERT INTO pairwise_results_new SELECT id, run_id, doc_a_id, doc_b_id, judge, trial, winner,
    reason, shown_first FROM pairwise_results;
DROP TABLE pairwise_results;
ALTER TABLE pairwise_results_new RENAME TO pairwise_results;
CREATE INDEX pairwise_by_run ON pairwise_results (run_id);

CREATE TABLE run_events_new (
    id          TEXT    NOT NULL PRIMARY KEY,
    run_id      TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    phase       TEXT    NOT NULL CHECK (phase IN ('generating', 'scoring', 'comparing', 'combining')),
    actor       TEXT    NOT NULL,
    target      TEXT    NOT NULL,
    started_at  TEXT    NOT NULL,
    ended_at    TEXT    NOT NULL,
    tokens_in   INTEGER NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
    tokens_out  INTEGER NOT NULL DEFAULT 0 CHECK (tokens_out >= 0),
    cost        REAL    CHECK (cost IS NULL OR cost >= 0),
    status      TEXT    NOT NULL CHECK (status IN ('succeeded', 'failed', 'retried'))
) STRICT;
INSERT INTO run_events_new SELECT id, run_id,
    CASE phase WHEN 'single_eval' THEN 'scoring' WHEN 'pairwise_eval' THEN 'comparing'
               ELSE phase END,
    actor, target, started_at, ended_at, tokens_in, tokens_out, cost, status
FROM run_events;
DROP TABLE run_events;
ALTER TABLE run_events_new RENAME TO run_events;
CREATE INDEX run_events_by_run ON run_events (run_id, started_at);

-- Every response and failed attempt, journaled in its own transaction the moment it arrives
-- and before it is parsed; a journaled answer is never requested again.
CREATE TABLE call_journal (
    id          TEXT    NOT NULL PRIMARY KEY,
    run_id      TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    task_id     TEXT    NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL CHECK (attempt >= 1),
    started_at  TEXT    NOT NULL,
    ended_at    TEXT    NOT NULL,
    outcome     TEXT    NOT NULL CHECK (outcome IN ('answer', 'failed')),
    http_status INTEGER,
    error_code  TEXT,
    -- the raw response body, cut at 1 MiB
    raw         TEXT    NOT NULL DEFAULT '' CHECK (length(CAST(raw AS BLOB)) <= 1048576),
    tokens_in   INTEGER,
    tokens_out  INTEGER,
    cost        REAL    CHECK (cost IS NULL OR cost >= 0),
    -- 1 once the parsed result (or the task's failure) is written
    applied     INTEGER NOT NULL DEFAULT 0 CHECK (applied IN (0, 1)),
    UNIQUE (task_id, attempt)
) STRICT;
CREATE INDEX call_journal_by_run ON call_journal (run_id, applied);
