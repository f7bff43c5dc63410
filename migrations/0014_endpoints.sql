-- Endpoints: named places a profile calls models at. Each has a kind (the API dialect), a base
-- URL, an optional key (kept where provider keys always were: the OS keyring under
-- profile/<id>/provider/<endpoint name>, or endpoint_secrets for passphrase profiles) and
-- limits. Names are unique ignoring case; presets name endpoints in "provider".
CREATE TABLE endpoints (
    name                TEXT    NOT NULL PRIMARY KEY,
    name_key            TEXT    NOT NULL UNIQUE,
    kind                TEXT    NOT NULL CHECK (kind IN ('openai', 'anthropic', 'google', 'openrouter', 'openai-compatible')),
    base_url            TEXT    NOT NULL CHECK (base_url LIKE 'http://%' OR base_url LIKE 'https://%'),
    key_ref             TEXT,
    key_last4           TEXT    CHECK (key_last4 IS NULL OR length(key_last4) <= 4),
    key_updated_at      TEXT,
    max_concurrent      INTEGER NOT NULL DEFAULT 4 CHECK (max_concurrent BETWEEN 1 AND 64),
    min_delay_ms        INTEGER NOT NULL DEFAULT 0 CHECK (min_delay_ms BETWEEN 0 AND 600000),
    requests_per_minute INTEGER CHECK (requests_per_minute IS NULL OR requests_per_minute BETWEEN 1 AND 100000),
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL
) STRICT;

CREATE TABLE endpoint_secrets (
    endpoint TEXT NOT NULL PRIMARY KEY REFERENCES endpoints (name) ON DELETE CASCADE,
    secret   TEXT NOT NULL
) STRICT;

-- The four cloud endpoints every profile starts with, carrying over what provider_settings
-- held for them (limits, base URL, where the key is and its last 4 characters).
INSERT INTO endpoints (name, name_key, kind, base_url, key_ref, key_last4, key_updated_at,
                       max_concurrent, min_delay_ms, requests_per_minute, created_at, updated_at)
SELECT d.name, d.name, d.name, coalesce(p.base_url, d.url), p.key_ref, p.key_last4, p.key_updated_at,
       coalesce(p.max_concurrent, 4), coalesce(p.min_delay_ms, 0), p.requests_per_minute,
       strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
FROM (SELECT 'openai' AS name, 'https://api.openai.com/v1' AS url
      UNION ALL SELECT 'anthropic', 'https://api.anthropic.com'
      UNION ALL SELECT 'google', 'https://generativelanguage.googleapis.com'
      UNION ALL SELECT 'openrouter', 'https://openrouter.ai/api/v1') AS d
LEFT JOIN provider_settings p ON p.provider = d.name;

-- The old `custom` provider becomes an OpenAI-compatible endpoint named `custom`.
INSERT INTO endpoints (name, name_key, kind, base_url, key_ref, key_last4, key_updated_at,
                       max_concurrent, min_delay_ms, requests_per_minute, created_at, updated_at)
SELECT 'custom', 'custom', 'openai-compatible', base_url, key_ref, key_last4, key_updated_at,
       max_concurrent, min_delay_ms, requests_per_minute, updated_at, updated_at
FROM provider_settings
WHERE provider = 'custom' AND (base_url LIKE 'http://%' OR base_url LIKE 'https://%');

INSERT INTO endpoint_secrets (endpoint, secret)
SELECT s.provider, s.secret FROM provider_secrets s JOIN endpoints e ON e.name = s.provider;
DELETE FROM provider_secrets;
