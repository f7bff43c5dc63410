-- Provider API keys of passphrase-mode profiles, which have no keyring: kept inside the
-- encrypted database. Keyring-mode profiles keep them in the OS keyring and never use this.
CREATE TABLE provider_secrets (
    provider TEXT NOT NULL PRIMARY KEY REFERENCES provider_settings (provider) ON DELETE CASCADE,
    secret   TEXT NOT NULL
) STRICT;
