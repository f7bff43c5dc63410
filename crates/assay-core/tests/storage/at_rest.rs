//! Nothing readable at rest: no marker text, no table name and no SQLite header in any file
//! under the profile directory, WAL included, while open and after closing.

use assay_core::profile::KeyProtection;

use crate::{Env, snapshot};

const MARKER: &str = "PLAINTEXT-MARKER-7f3a9c";
const TABLE: &str = "marker_notes_table";

fn assert_nothing_readable(env: &Env, id: &str, when: &str) {
    let files = snapshot(&env.profile_dir(id));
    assert!(!files.is_empty());
    for (path, bytes) in &files {
        for needle in [
            MARKER.as_bytes(),
            TABLE.as_bytes(),
            b"SQLite format 3",
            b"profile_meta",
        ] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{when}: {} contains {:?} in plaintext",
                path.display(),
                String::from_utf8_lossy(needle)
            );
        }
    }
}

#[test]
fn no_file_under_the_profile_dir_reveals_content_while_open_or_after_close() {
    let env = Env::new();
    let p = env
        .profiles
        .create("Secret notes", KeyProtection::Keyring)
        .expect("create");
    let open = env.profiles.open_profile(&p.id, None).expect("open");
    open.db()
        .write(|tx| {
            tx.execute_batch(&format!("CREATE TABLE {TABLE} (body TEXT NOT NULL)"))?;
            for i in 0..2000 {
                tx.execute(
                    &format!("INSERT INTO {TABLE} (body) VALUES (?1)"),
                    [format!("{MARKER} #{i}")],
                )?;
            }
            Ok(())
        })
        .expect("write markers");
    // Sorting a large result without an index would spill to a temp file if temp_store
    // were not MEMORY.
    let n: i64 = open
        .db()
        .read(|c| {
            Ok(c.query_row(
                &format!("SELECT count(*) FROM (SELECT body FROM {TABLE} ORDER BY body DESC)"),
                [],
                |r| r.get(0),
            )?)
        })
        .expect("sort");
    assert_eq!(n, 2000);
    let wal = env.profile_dir(&p.id).join("profile.db-wal");
    assert!(
        wal.exists(),
        "the WAL exists while open, and is scanned too"
    );
    assert_nothing_readable(&env, &p.id, "while open");
    drop(open);
    assert_nothing_readable(&env, &p.id, "after close");
}
