//! `endpoints` and `endpoint_secrets` (migration 0014; the old `provider_settings` and
//! `provider_secrets` tables are no longer read).

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use super::all;
use crate::domain::endpoint::{Endpoint, EndpointChanges, EndpointKind};
use crate::error::Result;

const SELECT: &str = "SELECT name, kind, base_url, key_last4, key_updated_at, max_concurrent, \
                      requests_per_minute, min_delay_ms FROM endpoints";

fn endpoint(r: &Row<'_>) -> rusqlite::Result<Endpoint> {
    let kind: String = r.get(1)?;
    let key_last4: Option<String> = r.get(3)?;
    Ok(Endpoint {
        name: r.get(0)?,
        // The schema's CHECK allows only known kinds; anything else is damage.
        kind: EndpointKind::parse(&kind).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e))
        })?,
        base_url: r.get(2)?,
        has_key: key_last4.is_some(),
        key_last4,
        key_updated_at: r.get(4)?,
        max_concurrent: r.get(5)?,
        requests_per_minute: r.get(6)?,
        min_delay_ms: r.get(7)?,
    })
}

/// Every endpoint, by name.
pub fn list(conn: &Connection) -> Result<Vec<Endpoint>> {
    all(conn, &format!("{SELECT} ORDER BY name_key"), [], endpoint)
}

/// The endpoint named `name` (ignoring case), or `None`.
pub fn get(conn: &Connection, name: &str) -> Result<Option<Endpoint>> {
    Ok(conn
        .query_row(
            &format!("{SELECT} WHERE name_key = lower(?1)"),
            [name.trim()],
            endpoint,
        )
        .optional()?)
}

/// Adds an endpoint (a taken name fails with a UNIQUE constraint error).
pub fn insert(
    tx: &Transaction<'_>,
    name: &str,
    kind: EndpointKind,
    base_url: &str,
    now: &str,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO endpoints (name, name_key, kind, base_url, created_at, updated_at)
         VALUES (?1, lower(?1), ?2, ?3, ?4, ?4)",
        params![name, kind.as_str(), base_url.trim(), now],
    )?;
    Ok(())
}

/// Applies `changes` (validated by the caller); `Some(0)` requests per minute removes the
/// limit. False if there is no such endpoint.
pub fn update(
    tx: &Transaction<'_>,
    name: &str,
    changes: &EndpointChanges,
    now: &str,
) -> Result<bool> {
    let rpm = changes.requests_per_minute.map(|n| (n > 0).then_some(n));
    let changed = tx.execute(
        "UPDATE endpoints SET
             base_url = coalesce(?2, base_url),
             max_concurrent = coalesce(?3, max_concurrent),
             requests_per_minute = CASE WHEN ?4 THEN ?5 ELSE requests_per_minute END,
             min_delay_ms = coalesce(?6, min_delay_ms),
             updated_at = ?7
         WHERE name_key = lower(?1)",
        params![
            name,
            changes.base_url.as_deref().map(str::trim),
            changes.max_concurrent,
            rpm.is_some(),
            rpm.flatten(),
            changes.min_delay_ms,
            now
        ],
    )?;
    Ok(changed > 0)
}

/// Removes an endpoint and its stored secret; false if there was none.
pub fn delete(tx: &Transaction<'_>, name: &str) -> Result<bool> {
    Ok(tx.execute("DELETE FROM endpoints WHERE name_key = lower(?1)", [name])? > 0)
}

/// Records that endpoint `name` has a key kept at `key_ref`, ending in `last4`; with `secret`
/// (passphrase profiles) the key itself too.
pub fn set_key(
    tx: &Transaction<'_>,
    name: &str,
    key_ref: &str,
    last4: &str,
    secret: Option<&str>,
    now: &str,
) -> Result<()> {
    tx.execute(
        "UPDATE endpoints SET key_ref = ?2, key_last4 = ?3, key_updated_at = ?4, updated_at = ?4
         WHERE name_key = lower(?1)",
        params![name, key_ref, last4, now],
    )?;
    if let Some(secret) = secret {
        tx.execute(
            "INSERT INTO endpoint_secrets (endpoint, secret)
             SELECT name, ?2 FROM endpoints WHERE name_key = lower(?1)
             ON CONFLICT (endpoint) DO UPDATE SET secret = excluded.secret",
            params![name, secret],
        )?;
    }
    Ok(())
}

/// Forgets endpoint `name`'s key: the stored secret (if any) and the key's reference.
pub fn clear_key(tx: &Transaction<'_>, name: &str, now: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM endpoint_secrets
         WHERE endpoint = (SELECT name FROM endpoints WHERE name_key = lower(?1))",
        [name],
    )?;
    tx.execute(
        "UPDATE endpoints SET key_ref = NULL, key_last4 = NULL, key_updated_at = NULL,
             updated_at = ?2
         WHERE name_key = lower(?1)",
        params![name, now],
    )?;
    Ok(())
}

/// The key stored in the database for endpoint `name` (passphrase profiles only).
pub fn secret(conn: &Connection, name: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT s.secret FROM endpoint_secrets s JOIN endpoints e ON e.name = s.endpoint
             WHERE e.name_key = lower(?1)",
            [name],
            |r| r.get(0),
        )
        .optional()?)
}

/// Names of the endpoints that have a key.
pub fn with_keys(conn: &Connection) -> Result<Vec<String>> {
    all(
        conn,
        "SELECT name FROM endpoints WHERE key_last4 IS NOT NULL ORDER BY name_key",
        [],
        |r| r.get(0),
    )
}

/// Deletes every provider key and every reference to where keys were kept, from a copy of a
/// profile's database that leaves this machine or arrives, whichever schema it has (a bundle
/// from before endpoints still has the provider tables).
pub fn strip_keys(tx: &Transaction<'_>) -> Result<()> {
    let has = |table: &str| -> Result<bool> {
        Ok(tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
            [table],
            |r| r.get(0),
        )?)
    };
    if has("endpoint_secrets")? {
        tx.execute_batch(
            "DELETE FROM endpoint_secrets;
             UPDATE endpoints SET key_ref = NULL, key_last4 = NULL, key_updated_at = NULL;",
        )?;
    }
    if has("provider_secrets")? {
        tx.execute_batch(
            "DELETE FROM provider_secrets;
             UPDATE provider_settings SET key_ref = NULL, key_last4 = NULL, key_updated_at = NULL;",
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use crate::db::migrations::{MIGRATIONS, check_and_apply};

    #[test]
    fn migration_0014_turns_provider_settings_and_keys_into_endpoints() {
        let mut conn = Connection::open_in_memory().expect("db");
        let before: Vec<_> = MIGRATIONS
            .iter()
            .copied()
            .filter(|m| m.version < 14)
            .collect();
        check_and_apply(&mut conn, &before, "db").expect("up to 13");
        conn.execute_batch(
            "INSERT INTO provider_settings (provider, key_ref, key_last4, base_url, max_concurrent,
                 min_delay_ms, requests_per_minute, key_updated_at, updated_at)
             VALUES ('anthropic', 'database', 'abcd', NULL, 2, 50, 30, 't', 't'),
                    ('custom', 'database', 'wxyz', 'http://127.0.0.1:11434/v1', 1, 0, NULL, 't', 't');
             INSERT INTO provider_secrets (provider, secret)
             VALUES ('anthropic', 'sk-ant-secret'), ('custom', 'local-secret');",
        )
        .expect("old rows");
        check_and_apply(&mut conn, MIGRATIONS, "db").expect("0014");

        let all = super::list(&conn).expect("endpoints");
        let names: Vec<&str> = all.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            ["anthropic", "custom", "google", "openai", "openrouter"]
        );
        let anthropic = &all[0];
        assert_eq!(anthropic.base_url, "https://api.anthropic.com", "defaulted");
        assert_eq!(
            (
                anthropic.max_concurrent,
                anthropic.min_delay_ms,
                anthropic.requests_per_minute
            ),
            (2, 50, Some(30)),
            "limits carried over"
        );
        assert_eq!(anthropic.key_last4.as_deref(), Some("abcd"));
        let custom = &all[1];
        assert_eq!(custom.kind.as_str(), "openai-compatible");
        assert_eq!(custom.base_url, "http://127.0.0.1:11434/v1");
        assert_eq!(
            super::secret(&conn, "custom").expect("secret").as_deref(),
            Some("local-secret")
        );
        assert_eq!(
            super::secret(&conn, "anthropic")
                .expect("secret")
                .as_deref(),
            Some("sk-ant-secret")
        );
        let left: i64 = conn
            .query_row("SELECT count(*) FROM provider_secrets", [], |r| r.get(0))
            .expect("count");
        assert_eq!(left, 0, "no key stays in the old table");
    }
}
