-- Tasks (input document x model x iteration) and the documents they generated.
CREATE TABLE tasks (
    id               TEXT    NOT NULL PRIMARY KEY,
    run_id           TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    input_content_id TEXT    REFERENCES contents (id) ON DELETE SET NULL,
    provider         TEXT    NOT NULL,
    model            TEXT    NOT NULL,
    iteration        INTEGER NOT NULL CHECK (iteration >= 1),
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
    error            TEXT,
    UNIQUE (run_id, input_content_id, provider, model, iteration)
) STRICT;

CREATE INDEX tasks_by_run ON tasks (run_id);

CREATE TABLE documents (
    id          TEXT    NOT NULL PRIMARY KEY,
    run_id      TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    task_id     TEXT    NOT NULL UNIQUE REFERENCES tasks (id) ON DELETE CASCADE,
    body        TEXT    NOT NULL,
    tokens_in   INTEGER NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
    tokens_out  INTEGER NOT NULL DEFAULT 0 CHECK (tokens_out >= 0),
    latency_ms  INTEGER NOT NULL DEFAULT 0 CHECK (latency_ms >= 0),
    cost        REAL    NOT NULL DEFAULT 0 CHECK (cost >= 0),
    status      TEXT    NOT NULL CHECK (status IN ('succeeded', 'failed')),
    error       TEXT,
    created_at  TEXT    NOT NULL
) STRICT;

CREATE INDEX documents_by_run ON documents (run_id);
