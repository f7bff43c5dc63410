//! Export and import of whole profiles through bundles, against the real keyring and SQLCipher.

use assay_core::ErrorCode;
use assay_core::bundle::header::DEFAULT_KDF;
use assay_core::library::ContentFilter;
use assay_core::library::Library;
use assay_core::profile::{KeyProtection, OpenProfile, Profiles};
use assay_core::providers::ProviderKey;
use assay_core::registry::ProfileRecord;
use assay_core::reports::{self, ReportFormat};
use assay_core::secrets::Passphrase;
use assay_core::transfer::{ExportOptions, Exported};
use assay_core::{providers, transfer};

use crate::{Env, FAST_KDF};

const OPENAI_KEY: &str = "sk-transfer-KEEPSECRET-1234";

fn bundle_pass() -> Passphrase {
    Passphrase::new("bundle passphrase for tests".into())
}

fn options(include_provider_keys: bool) -> ExportOptions {
    ExportOptions {
        include_provider_keys,
        verify: true,
        kdf: FAST_KDF,
    }
}

/// Everything a person can see of a profile, as JSON, plus the seeded run's report bytes.
fn everything(open: &OpenProfile) -> (serde_json::Value, Vec<u8>) {
    let library = Library::of(open).expect("ready");
    let contents = library
        .contents(&ContentFilter::default())
        .expect("contents");
    let bodies: Vec<_> = contents
        .iter()
        .map(|c| library.content(&c.id).expect("content"))
        .collect();
    let runs = library.runs(100, None).expect("runs");
    let run = library.run(&runs[0].id).expect("run");
    let view = serde_json::json!({
        "contents": contents,
        "bodies": bodies,
        "presets": library.presets().expect("presets"),
        "runs": runs,
        "run": run,
        "usage": library.usage().expect("usage"),
    });
    (
        view,
        reports::render(&run, ReportFormat::Html).expect("report"),
    )
}

fn source(env: &Env) -> OpenProfile {
    env.profiles
        .create("Travelling", KeyProtection::Keyring)
        .expect("create");
    let open = env.profiles.open_profile("travelling", None).expect("open");
    let key = ProviderKey::new(OPENAI_KEY.into()).expect("key");
    providers::set_endpoint_key(&env.profiles, &open, "openai", &key).expect("set key");
    open
}

/// Whether OpenAI's key is stored, and the last four characters shown for it.
fn key_of(profiles: &Profiles, open: &OpenProfile) -> (bool, Option<String>) {
    let stored = providers::endpoint_key(profiles, open, "openai")
        .expect("read key")
        .is_some();
    let shown = providers::endpoint(open, "openai")
        .expect("the openai endpoint")
        .key_last4;
    (stored, shown)
}

/// Exports `open` to `name` beside the data dir; the bundle's path and what export said.
fn export_to(
    env: &Env,
    open: &OpenProfile,
    name: &str,
    include_provider_keys: bool,
) -> (std::path::PathBuf, Exported) {
    let file = env.files.path().join(name);
    let exported = transfer::export(
        &env.profiles,
        open,
        &bundle_pass(),
        &file,
        options(include_provider_keys),
        &|_| {},
    )
    .expect("export");
    (file, exported)
}

/// Imports `file` on another machine (a new data dir and keyring namespace) as a keyring
/// profile; that machine, the new profile and the profile open.
fn import_elsewhere(file: &std::path::Path) -> (Env, ProfileRecord, OpenProfile) {
    let other = Env::new();
    let record = transfer::import(
        &other.profiles,
        file,
        &bundle_pass(),
        None,
        KeyProtection::Keyring,
        &|_| {},
    )
    .expect("import");
    let copy = other
        .profiles
        .open_profile(&record.id, None)
        .expect("open copy");
    (other, record, copy)
}

#[test]
fn a_round_trip_preserves_every_row_and_the_report_bytes_and_leaves_keys_behind() {
    let env = Env::new();
    let open = source(&env);
    let (before, report) = everything(&open);
    let (file, exported) = export_to(&env, &open, "travelling.assaybundle", false);
    assert!(exported.verified && !exported.manifest.includes_provider_keys);
    assert_eq!(exported.manifest.row_counts["contents"], 9);
    assert_eq!(exported.manifest.row_counts["runs"], 1);
    let bytes = std::fs::read(&file).expect("bundle");
    assert!(!bytes.windows(10).any(|w| w == &OPENAI_KEY.as_bytes()[..10]));
    assert!(
        std::fs::read_dir(env.dir.path().join("transfers"))
            .map_or(true, |mut d| d.next().is_none()),
        "no scratch files stay behind"
    );
    drop(open);

    let (other, record, copy) = import_elsewhere(&file);
    assert_eq!(record.name, "Travelling");
    let source_id = env.profiles.show("travelling").expect("source").id;
    assert_ne!(record.id, source_id, "a new id");
    let (after, copied_report) = everything(&copy);
    assert_eq!(after, before, "every row survives");
    assert_eq!(
        copied_report, report,
        "the report is byte for byte the same"
    );
    assert_eq!(
        key_of(&other.profiles, &copy),
        (false, None),
        "keys stay behind unless asked, and no stale mask shows"
    );
}

#[test]
fn a_passphrase_profile_round_trips_through_its_one_off_copy() {
    // Its export goes through sqlcipher_export under a one-off key; import re-keys those pages.
    let env = Env::new();
    let pass = Passphrase::new("the source's own passphrase".into());
    env.profiles
        .create("Guarded", KeyProtection::Passphrase(pass.clone()))
        .expect("create");
    let open = env
        .profiles
        .open_profile("guarded", Some(&pass))
        .expect("open");
    let (before, report) = everything(&open);
    let (file, _) = export_to(&env, &open, "guarded.assaybundle", false);
    drop(open);
    let (other, record, copy) = import_elsewhere(&file);
    let (after, copied_report) = everything(&copy);
    assert_eq!(after, before, "every row survives");
    assert_eq!(copied_report, report);
    drop(copy);
    let verified = other.profiles.verify(&record.id, None).expect("verify");
    assert!(
        verified.ok,
        "SQLCipher's and SQLite's checks: {:?}",
        verified.checks
    );
}

#[test]
fn provider_keys_travel_only_when_asked_and_land_in_the_new_keyring() {
    let env = Env::new();
    let open = source(&env);
    let (file, _) = export_to(&env, &open, "with-keys.assaybundle", true);
    let other = Env::new();
    let pass = Passphrase::new("the copy's own passphrase".into());
    let record = transfer::import(
        &other.profiles,
        &file,
        &bundle_pass(),
        Some("Copy"),
        KeyProtection::Passphrase(pass.clone()),
        &|_| {},
    )
    .expect("import");
    let copy = other
        .profiles
        .open_profile(&record.id, Some(&pass))
        .expect("open");
    assert_eq!(
        key_of(&other.profiles, &copy),
        (true, Some("1234".into())),
        "the key arrived"
    );
}

#[test]
fn a_bad_import_creates_nothing() {
    let env = Env::new();
    let open = source(&env);
    let (file, _) = export_to(&env, &open, "b.assaybundle", false);
    drop(open);

    let err = transfer::import(
        &env.profiles,
        &file,
        &bundle_pass(),
        None,
        KeyProtection::Keyring,
        &|_| {},
    )
    .expect_err("the name is taken");
    assert_eq!(err.code(), ErrorCode::AlreadyExists);
    let err = transfer::import(
        &env.profiles,
        &file,
        &Passphrase::new("not the passphrase".into()),
        Some("X"),
        KeyProtection::Keyring,
        &|_| {},
    )
    .expect_err("wrong passphrase");
    assert_eq!(err.code(), ErrorCode::WrongPassphrase);
    let mut bytes = std::fs::read(&file).expect("read");
    let at = bytes.len() - 100;
    bytes[at] ^= 1;
    let tampered = env.files.path().join("t.assaybundle");
    std::fs::write(&tampered, &bytes).expect("write");
    let err = transfer::import(
        &env.profiles,
        &tampered,
        &bundle_pass(),
        Some("Y"),
        KeyProtection::Keyring,
        &|_| {},
    )
    .expect_err("tampered");
    assert_eq!(err.code(), ErrorCode::Corrupt);
    let names: Vec<String> = env
        .profiles
        .list()
        .expect("list")
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["Travelling"], "nothing was created");
    assert_eq!(
        DEFAULT_KDF.memory_kib,
        64 * 1024,
        "the default stays within the memory budget"
    );
}

/// Every page of a SQLCipher 4 database under a raw key, decrypted by hand (AES-256-CBC, the
/// IV in each page's reserved tail, the salt in front of page 1), free pages included: what
/// anyone holding the bundle and its passphrase could read.
fn decrypt_all_pages(db: &[u8], key: &[u8]) -> Vec<u8> {
    use aes::cipher::{BlockCipherDecrypt, KeyInit};
    const PAGE: usize = 4096;
    const RESERVE: usize = 16 + 64;
    let cipher = aes::Aes256::new_from_slice(key).expect("a 32-byte key");
    let mut plain = Vec::with_capacity(db.len());
    for (n, page) in db.chunks(PAGE).enumerate() {
        assert_eq!(page.len(), PAGE, "whole pages");
        let start = if n == 0 { 16 } else { 0 };
        let iv = &page[PAGE - RESERVE..PAGE - RESERVE + 16];
        let mut previous: [u8; 16] = iv.try_into().expect("16 bytes");
        for block in page[start..PAGE - RESERVE].chunks(16) {
            let mut out: aes::Block = block.try_into().expect("16 bytes");
            cipher.decrypt_block(&mut out);
            for (b, p) in out.iter_mut().zip(previous) {
                *b ^= p;
            }
            previous = block.try_into().expect("16 bytes");
            plain.extend_from_slice(&out);
        }
    }
    plain
}

/// Exports a profile protected by `protection` that has an OpenAI key, without keys, and
/// checks that the key is nowhere in the bundle: not in the decrypted payload, and not in any
/// page of its database (free pages included) decrypted with the key the bundle carries.
fn assert_no_provider_key_in_a_bundle_of(protection: KeyProtection) {
    use std::io::Read;

    use assay_core::bundle::{self, entries};

    let env = Env::new();
    let unlock = match &protection {
        KeyProtection::Passphrase(p) => Some(p.clone()),
        KeyProtection::Keyring => None,
    };
    env.profiles.create("Vault", protection).expect("create");
    let open = env
        .profiles
        .open_profile("vault", unlock.as_ref())
        .expect("open");
    // Set, replaced and set again: a replaced key would linger in a page without care.
    for key in ["sk-transfer-OLDSECRET-0000", OPENAI_KEY] {
        let key = ProviderKey::new(key.into()).expect("key");
        providers::set_endpoint_key(&env.profiles, &open, "openai", &key).expect("set key");
    }
    let (file, _) = export_to(&env, &open, "vault.assaybundle", false);

    let bytes = std::fs::read(&file).expect("bundle");
    let mut payload = Vec::new();
    bundle::open(bytes.as_slice(), &bundle_pass())
        .expect("open")
        .read_to_end(&mut payload)
        .expect("read");
    let mut reader = payload.as_slice();
    let mut db_key = Vec::new();
    let mut database = Vec::new();
    while let Some((kind, len)) = entries::read_head(&mut reader).expect("entry") {
        let bytes = entries::read_small(&mut reader, len).expect("entry bytes");
        match kind {
            entries::Kind::DatabaseKey => db_key = bytes,
            entries::Kind::Database => database = bytes,
            entries::Kind::ProviderKeys => panic!("keys were included"),
            entries::Kind::Manifest => {}
        }
    }
    let found = |haystack: &[u8], what: &[u8]| haystack.windows(what.len()).any(|w| w == what);
    let pages = decrypt_all_pages(&database, &db_key);
    assert!(
        found(&pages, b"Decision briefing"),
        "the page decryption works: the seeded content is readable"
    );
    for secret in ["sk-transfer-OLDSECRET", &OPENAI_KEY[..16]] {
        assert!(
            !found(&payload, secret.as_bytes()),
            "{secret} is in the decrypted payload"
        );
        assert!(
            !found(&pages, secret.as_bytes()),
            "a page of the bundle's database holds {secret}"
        );
    }
}

#[test]
fn without_include_keys_no_provider_key_is_in_the_bundle_of_a_passphrase_profile() {
    // A passphrase profile keeps its provider keys inside its database.
    assert_no_provider_key_in_a_bundle_of(KeyProtection::Passphrase(Passphrase::new(
        "the profile passphrase".into(),
    )));
}

#[test]
fn without_include_keys_no_provider_key_is_in_the_bundle_of_a_keyring_profile() {
    // A keyring profile's pages go into the bundle as they are.
    assert_no_provider_key_in_a_bundle_of(KeyProtection::Keyring);
}

#[test]
fn an_export_during_writes_is_one_consistent_moment_and_writes_go_on_after_it() {
    use std::sync::atomic::{AtomicBool, Ordering};

    let env = Env::new();
    let open = source(&env);
    let stop = AtomicBool::new(false);
    let file = env.files.path().join("busy.assaybundle");
    let (exported, written) = std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                open.db()
                    .write(|tx| {
                        tx.execute(
                            "INSERT INTO contents (id, name, kind, body, created_at, updated_at)
                             VALUES (?1, ?2, 'input_document', ?3, '2026-11-23T00:00:00Z', '2026-11-23T00:00:00Z')",
                            rusqlite::params![
                                format!("00000000-0000-4000-8000-{n:012x}"),
                                format!("written during export {n}"),
                                "x".repeat(20_000),
                            ],
                        )?;
                        Ok(())
                    })
                    .expect("a write during export");
                n += 1;
            }
            n
        });
        // Let some writes land in the WAL first.
        std::thread::sleep(std::time::Duration::from_millis(100));
        let exported = transfer::export(
            &env.profiles,
            &open,
            &bundle_pass(),
            &file,
            options(false),
            &|_| {},
        )
        .expect("export");
        std::thread::sleep(std::time::Duration::from_millis(100));
        stop.store(true, Ordering::Relaxed);
        (exported, writer.join().expect("writer"))
    });
    let in_bundle = exported.manifest.row_counts["contents"];
    assert!(in_bundle > 9, "writes before the export are in it");
    assert!(
        i64::from(written) + 9 > in_bundle,
        "writes went on after the export ({written} written, {in_bundle} in the bundle)"
    );

    let other = Env::new();
    let record = transfer::import(
        &other.profiles,
        &file,
        &bundle_pass(),
        None,
        KeyProtection::Keyring,
        &|_| {},
    )
    .expect("import");
    let report = other.profiles.verify(&record.id, None).expect("verify");
    assert!(
        report.ok,
        "the copy passes every check: {:?}",
        report.checks
    );
    let copy = other.profiles.open_profile(&record.id, None).expect("open");
    let rows: i64 = copy
        .db()
        .read(|c| Ok(c.query_row("SELECT count(*) FROM contents", [], |r| r.get(0))?))
        .expect("count");
    assert_eq!(
        rows, in_bundle,
        "the copy is the moment the manifest counted"
    );
}

#[test]
fn export_and_import_report_each_phase_up_to_its_total() {
    use std::sync::Mutex;

    use assay_core::transfer::{TransferPhase, TransferProgress};

    let env = Env::new();
    let open = source(&env);
    let file = env.files.path().join("p.assaybundle");
    let seen = Mutex::new(Vec::<TransferProgress>::new());
    let record = |p| seen.lock().expect("lock").push(p);
    let exported = transfer::export(
        &env.profiles,
        &open,
        &bundle_pass(),
        &file,
        options(false),
        &record,
    )
    .expect("export");
    let db_bytes = std::fs::metadata(open.db().path()).expect("db").len();
    drop(open);
    let reports = std::mem::take(&mut *seen.lock().expect("lock"));
    let phases = |reports: &[TransferProgress]| {
        let mut phases: Vec<TransferPhase> = reports.iter().map(|p| p.phase).collect();
        phases.dedup();
        phases
    };
    // The passphrase is stretched while the database is written; only a write that ends
    // first reports the wait for the key.
    let export_phases = phases(&reports);
    assert!(
        export_phases == [TransferPhase::Write, TransferPhase::Verify]
            || export_phases
                == [
                    TransferPhase::Write,
                    TransferPhase::Key,
                    TransferPhase::Verify
                ],
        "{export_phases:?}"
    );
    let last = |phase| {
        *reports
            .iter()
            .rev()
            .find(|p| p.phase == phase)
            .expect("reported")
    };
    let write = last(TransferPhase::Write);
    assert_eq!((write.done, write.total), (db_bytes, db_bytes));
    let verify = last(TransferPhase::Verify);
    assert_eq!(
        (verify.done, verify.total),
        (exported.bytes, exported.bytes)
    );
    assert!(
        reports
            .windows(2)
            .all(|w| w[0].phase != w[1].phase || w[0].done <= w[1].done),
        "progress never goes back within a phase"
    );

    let other = Env::new();
    transfer::import(
        &other.profiles,
        &file,
        &bundle_pass(),
        None,
        KeyProtection::Keyring,
        &record,
    )
    .expect("import");
    let reports = seen.into_inner().expect("lock");
    assert_eq!(
        phases(&reports),
        [
            TransferPhase::Key,
            TransferPhase::Check,
            TransferPhase::Read,
            TransferPhase::Finish
        ]
    );
    for phase in [TransferPhase::Check, TransferPhase::Read] {
        let end = reports
            .iter()
            .rev()
            .find(|p| p.phase == phase)
            .expect("reported");
        assert_eq!((end.done, end.total), (exported.bytes, exported.bytes));
    }
}

#[test]
fn a_bundle_is_never_written_inside_the_data_dir() {
    let env = Env::new();
    let open = source(&env);
    let db = open.db().path().to_path_buf();
    let before = std::fs::read(&db).expect("db");
    for out in [db.clone(), env.dir.path().join("backup.assaybundle")] {
        let err = transfer::export(
            &env.profiles,
            &open,
            &bundle_pass(),
            &out,
            options(false),
            &|_| {},
        )
        .expect_err("inside the data dir");
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{}", out.display());
    }
    assert_eq!(
        std::fs::read(&db).expect("db"),
        before,
        "the database is untouched"
    );
    transfer::export(
        &env.profiles,
        &open,
        &bundle_pass(),
        &env.files.path().join("ok.assaybundle"),
        options(false),
        &|_| {},
    )
    .expect("outside is fine");
}

#[test]
fn provider_keys_that_do_not_parse_stop_the_import_before_anything_is_created() {
    use std::io::{Read, Write};

    use assay_core::bundle::{self, entries};

    let env = Env::new();
    let open = source(&env);
    let (file, _) = export_to(&env, &open, "keys.assaybundle", true);
    // Re-seal the same entries with the provider keys replaced by bytes that are not JSON: an
    // authentic bundle (the passphrase holder made it) with a bad entry.
    let mut payload = Vec::new();
    bundle::open(
        std::fs::read(&file).expect("read").as_slice(),
        &bundle_pass(),
    )
    .expect("open")
    .read_to_end(&mut payload)
    .expect("payload");
    let mut reader = payload.as_slice();
    let mut writer = bundle::seal(Vec::new(), &bundle_pass(), FAST_KDF).expect("seal");
    while let Some((kind, len)) = entries::read_head(&mut reader).expect("entry") {
        let mut bytes = entries::read_small(&mut reader, len).expect("bytes");
        if kind == entries::Kind::ProviderKeys {
            bytes = b"not json".to_vec();
        }
        entries::write_head(&mut writer, kind, bytes.len() as u64).expect("head");
        writer.write_all(&bytes).expect("bytes");
    }
    let bad = env.files.path().join("bad-keys.assaybundle");
    std::fs::write(&bad, writer.finish().expect("finish")).expect("write");

    let other = Env::new();
    let err = transfer::import(
        &other.profiles,
        &bad,
        &bundle_pass(),
        None,
        KeyProtection::Keyring,
        &|_| {},
    )
    .expect_err("the keys do not parse");
    assert_eq!(err.code(), ErrorCode::Corrupt);
    assert!(
        other.profiles.list().expect("list").is_empty(),
        "nothing was created"
    );
}
