-- One row per provider. The key itself is never here: key_ref names where it is kept (a
-- keyring entry, or an encrypted row for passphrase profiles) and key_last4 is what the UI shows.
CREATE TABLE provider_settings (
    provider            TEXT    NOT NULL PRIMARY KEY
                        CHECK (provider IN ('openai', 'anthropic', 'google', 'openrouter', 'custom')),
    key_ref             TEXT,
    key_last4           TEXT    CHECK (key_last4 IS NULL OR length(key_last4) <= 4),
    base_url            TEXT,
    max_concurrent      INTEGER NOT NULL DEFAULT 4 CHECK (max_concurrent >= 1),
    min_delay_ms        INTEGER NOT NULL DEFAULT 0 CHECK (min_delay_ms >= 0),
    requests_per_minute INTEGER CHECK (requests_per_minute IS NULL OR requests_per_minute >= 1),
    key_updated_at      TEXT,
    updated_at          TEXT    NOT NULL
) STRICT;
