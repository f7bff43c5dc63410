//! `provider_settings` and `provider_secrets`. Providers are named by their stored names
//! (`openai`, ...); `domain::provider` has the types.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::error::Result;

/// A provider's stored settings: never the key, only where it is and its last 4 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsRow {
    /// The key's last four characters, if a key is set.
    pub key_last4: Option<String>,
    /// RFC 3339 time the key was set.
    pub key_updated_at: Option<String>,
    /// Base URL.
    pub base_url: Option<String>,
    /// Concurrent calls allowed.
    pub max_concurrent: u32,
    /// Minimum delay between calls, ms.
    pub min_delay_ms: u32,
    /// Requests per minute, if limited.
    pub requests_per_minute: Option<u32>,
}

/// The settings of `provider`, or `None` if nothing was ever set.
pub fn settings(conn: &Connection, provider: &str) -> Result<Option<SettingsRow>> {
    Ok(conn
        .query_row(
            "SELECT key_last4, key_updated_at, base_url, max_concurrent, min_delay_ms,
                    requests_per_minute
             FROM provider_settings WHERE provider = ?1",
            [provider],
            |r| {
                Ok(SettingsRow {
                    key_last4: r.get(0)?,
                    key_updated_at: r.get(1)?,
                    base_url: r.get(2)?,
                    max_concurrent: r.get(3)?,
                    min_delay_ms: r.get(4)?,
                    requests_per_minute: r.get(5)?,
                })
            },
        )
        .optional()?)
}

/// Sets `provider`'s limits and base URL (validated by the caller).
pub fn set_limits(
    tx: &Transaction<'_>,
    provider: &str,
    row: &SettingsRow,
    now: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO provider_settings (provider, base_url, max_concurrent, min_delay_ms,
             requests_per_minute, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (provider) DO UPDATE SET base_url = ?2, max_concurrent = ?3,
             min_delay_ms = ?4, requests_per_minute = ?5, updated_at = ?6",
        params![
            provider,
            row.base_url,
            row.max_concurrent,
            row.min_delay_ms,
            row.requests_per_minute,
            now
        ],
    )?;
    Ok(())
}

/// Records that `provider` has a key kept at `key_ref`, ending in `last4`; with `secret`
/// (passphrase profiles, whose keys live in this encrypted database) the key itself too.
pub fn set_key(
    tx: &Transaction<'_>,
    provider: &str,
    key_ref: &str,
    last4: &str,
    secret: Option<&str>,
    now: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO provider_settings (provider, key_ref, key_last4, key_updated_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?4)
         ON CONFLICT (provider) DO UPDATE SET key_ref = ?2, key_last4 = ?3,
             key_updated_at = ?4, updated_at = ?4",
        params![provider, key_ref, last4, now],
    )?;
    if let Some(secret) = secret {
        tx.execute(
            "INSERT INTO provider_secrets (provider, secret) VALUES (?1, ?2)
             ON CONFLICT (provider) DO UPDATE SET secret = ?2",
            params![provider, secret],
        )?;
    }
    Ok(())
}

/// Forgets `provider`'s key: the stored secret (if any) and the key's reference.
pub fn delete_key(tx: &Transaction<'_>, provider: &str, now: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM provider_secrets WHERE provider = ?1",
        [provider],
    )?;
    tx.execute(
        "UPDATE provider_settings SET key_ref = NULL, key_last4 = NULL, key_updated_at = NULL,
             updated_at = ?2
         WHERE provider = ?1",
        params![provider, now],
    )?;
    Ok(())
}

/// The key stored in the database for `provider` (passphrase profiles only).
pub fn secret(conn: &Connection, provider: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT secret FROM provider_secrets WHERE provider = ?1",
            [provider],
            |r| r.get(0),
        )
        .optional()?)
}

/// Deletes every provider key and every reference to where keys were kept, from a copy of a
/// profile's database that leaves this machine (an export) or arrives (an import).
pub fn strip_keys(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(
        "DELETE FROM provider_secrets;
         UPDATE provider_settings SET key_ref = NULL, key_last4 = NULL, key_updated_at = NULL;",
    )?;
    Ok(())
}
