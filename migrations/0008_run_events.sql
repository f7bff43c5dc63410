-- The run timeline: one row per model call.
CREATE TABLE run_events (
    id          TEXT    NOT NULL PRIMARY KEY,
    run_id      TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    phase       TEXT    NOT NULL CHECK (phase IN ('generating', 'single_eval', 'pairwise_eval')),
    actor       TEXT    NOT NULL,   -- the model or judge that was called
    target      TEXT    NOT NULL,   -- what it worked on (task or document ids)
    started_at  TEXT    NOT NULL,
    ended_at    TEXT    NOT NULL,
    tokens_in   INTEGER NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
    tokens_out  INTEGER NOT NULL DEFAULT 0 CHECK (tokens_out >= 0),
    cost        REAL    NOT NULL DEFAULT 0 CHECK (cost >= 0),
    status      TEXT    NOT NULL CHECK (status IN ('succeeded', 'failed', 'retried'))
) STRICT;

CREATE INDEX run_events_by_run ON run_events (run_id, started_at);
