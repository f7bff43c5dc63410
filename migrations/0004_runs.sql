-- Runs: one execution of a preset, with a frozen copy of its configuration.
CREATE TABLE runs (
    id              TEXT    NOT NULL PRIMARY KEY,
    title           TEXT    NOT NULL,
    preset_id       TEXT    REFERENCES presets (id) ON DELETE SET NULL,
    -- RunConfigSnapshot: the preset config and the content ids in force when the run started.
    config_snapshot TEXT    NOT NULL CHECK (json_valid(config_snapshot)),
    phase           TEXT    NOT NULL CHECK (phase IN ('pending', 'generating', 'single_eval', 'pairwise_eval', 'done')),
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'generating', 'single_eval', 'pairwise_eval',
                        'completed', 'completed_with_errors', 'failed', 'cancelled', 'interrupted')),
    error           TEXT,
    created_at      TEXT    NOT NULL,
    started_at      TEXT,
    completed_at    TEXT,
    tasks_total     INTEGER NOT NULL DEFAULT 0 CHECK (tasks_total >= 0),
    tasks_done      INTEGER NOT NULL DEFAULT 0 CHECK (tasks_done >= 0),
    tasks_failed    INTEGER NOT NULL DEFAULT 0 CHECK (tasks_failed >= 0),
    total_tokens    INTEGER NOT NULL DEFAULT 0 CHECK (total_tokens >= 0),
    total_cost      REAL    NOT NULL DEFAULT 0 CHECK (total_cost >= 0)
) STRICT;

-- Run history is listed newest first, a page at a time.
CREATE INDEX runs_by_created ON runs (created_at DESC, id DESC);
