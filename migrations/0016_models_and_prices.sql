-- The last model list each endpoint gave, with when it was fetched (the preset editor offers
-- it; a typed name is still taken).
CREATE TABLE endpoint_models (
    endpoint   TEXT NOT NULL PRIMARY KEY REFERENCES endpoints (name) ON DELETE CASCADE,
    fetched_at TEXT NOT NULL,
    models     TEXT NOT NULL CHECK (json_valid(models) AND json_type(models) = 'array')
) STRICT;

-- A profile's own prices, per endpoint and model (an exact id or an alias prefix), USD per
-- million tokens; they win over the embedded table.
CREATE TABLE price_overrides (
    endpoint     TEXT NOT NULL REFERENCES endpoints (name) ON DELETE CASCADE,
    model        TEXT NOT NULL CHECK (length(model) BETWEEN 1 AND 200),
    input        REAL NOT NULL CHECK (input >= 0),
    output       REAL NOT NULL CHECK (output >= 0),
    cached_input REAL CHECK (cached_input IS NULL OR cached_input >= 0),
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (endpoint, model)
) STRICT;
