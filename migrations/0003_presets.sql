-- Presets: a saved run configuration. Content references are real foreign keys, so a content
-- item a preset uses cannot be deleted (RESTRICT) and the error names the preset.
CREATE TABLE presets (
    id                            TEXT NOT NULL PRIMARY KEY,
    name                          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    name_key                      TEXT NOT NULL UNIQUE,
    -- PresetConfig: models, judges, iterations, trials, flags, concurrency, retries, timeouts.
    config                        TEXT NOT NULL CHECK (json_valid(config)),
    generation_instructions_id    TEXT REFERENCES contents (id) ON DELETE RESTRICT,
    single_eval_instructions_id   TEXT REFERENCES contents (id) ON DELETE RESTRICT,
    pairwise_eval_instructions_id TEXT REFERENCES contents (id) ON DELETE RESTRICT,
    eval_criteria_id              TEXT REFERENCES contents (id) ON DELETE RESTRICT,
    combine_instructions_id       TEXT REFERENCES contents (id) ON DELETE RESTRICT,
    created_at                    TEXT NOT NULL,
    updated_at                    TEXT NOT NULL
) STRICT;

CREATE TABLE preset_inputs (
    preset_id  TEXT    NOT NULL REFERENCES presets (id) ON DELETE CASCADE,
    content_id TEXT    NOT NULL REFERENCES contents (id) ON DELETE RESTRICT,
    position   INTEGER NOT NULL,
    PRIMARY KEY (preset_id, content_id)
) STRICT;

CREATE INDEX preset_inputs_by_content ON preset_inputs (content_id);
