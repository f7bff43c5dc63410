-- assay:rebuild
-- A call whose price is unknown has an unknown cost, not 0: documents.cost and
-- run_events.cost become nullable (NULL is unknown), and a run counts its calls of unknown
-- cost beside total_cost (the sum of the known ones). Every existing cost was known.
ALTER TABLE runs ADD COLUMN unknown_cost_calls INTEGER NOT NULL DEFAULT 0
    CHECK (unknown_cost_calls >= 0);

CREATE TABLE documents_new (
    id          TEXT    NOT NULL PRIMARY KEY,
    run_id      TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    task_id     TEXT    NOT NULL UNIQUE REFERENCES tasks (id) ON DELETE CASCADE,
    body        TEXT    NOT NULL,
    tokens_in   INTEGER NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
    tokens_out  INTEGER NOT NULL DEFAULT 0 CHECK (tokens_out >= 0),
    latency_ms  INTEGER NOT NULL DEFAULT 0 CHECK (latency_ms >= 0),
    cost        REAL    CHECK (cost IS NULL OR cost >= 0),
    status      TEXT    NOT NULL CHECK (status IN ('succeeded', 'failed')),
    error       TEXT,
    created_at  TEXT    NOT NULL
) STRICT;
INSERT INTO documents_new SELECT id, run_id, task_id, body, tokens_in, tokens_out, latency_ms,
    cost, status, error, created_at FROM documents;
DROP TABLE documents;
ALTER TABLE documents_new RENAME TO documents;
CREATE INDEX documents_by_run ON documents (run_id);

CREATE TABLE run_events_new (
    id          TEXT    NOT NULL PRIMARY KEY,
    run_id      TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    phase       TEXT    NOT NULL CHECK (phase IN ('generating', 'single_eval', 'pairwise_eval')),
    actor       TEXT    NOT NULL,
    target      TEXT    NOT NULL,
    started_at  TEXT    NOT NULL,
    ended_at    TEXT    NOT NULL,
    tokens_in   INTEGER NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
    tokens_out  INTEGER NOT NULL DEFAULT 0 CHECK (tokens_out >= 0),
    cost        REAL    CHECK (cost IS NULL OR cost >= 0),
    status      TEXT    NOT NULL CHECK (status IN ('succeeded', 'failed', 'retried'))
) STRICT;
INSERT INTO run_events_new SELECT id, run_id, phase, actor, target, started_at, ended_at,
    tokens_in, tokens_out, cost, status FROM run_events;
DROP TABLE run_events;
ALTER TABLE run_events_new RENAME TO run_events;
CREATE INDEX run_events_by_run ON run_events (run_id, started_at);
