-- Token and cost totals per day, provider and model.
CREATE TABLE usage_daily (
    date       TEXT    NOT NULL,
    provider   TEXT    NOT NULL,
    model      TEXT    NOT NULL,
    tokens_in  INTEGER NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
    tokens_out INTEGER NOT NULL DEFAULT 0 CHECK (tokens_out >= 0),
    cost       REAL    NOT NULL DEFAULT 0 CHECK (cost >= 0),
    calls      INTEGER NOT NULL DEFAULT 0 CHECK (calls >= 0),
    PRIMARY KEY (date, provider, model)
) STRICT;
