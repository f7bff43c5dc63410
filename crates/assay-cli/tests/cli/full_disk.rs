//! A full disk leaves the person able to act, on a real full file system: a 40 MiB tmpfs
//! mounted in a private mount namespace (root only; `unshare -m`), filled to the last byte.
//! Reading, reporting, exporting to another disk and deleting work; a write that finds no
//! room is DISK_FULL (exit 20) and leaves nothing half-written.

use std::process::Command;

use crate::is_root;

/// One command run on the full disk: its exit code and stderr.
#[derive(Debug)]
struct Outcome {
    code: i32,
    stderr: String,
}

#[test]
fn on_a_full_disk_reading_exporting_and_deleting_work_and_writes_are_disk_full() {
    if !is_root() {
        // Mounting a small file system needs root; CI runs as root.
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    }
    let work = tempfile::tempdir().expect("temp");
    let results = work.path().join("results");
    let outside = work.path().join("outside");
    std::fs::create_dir(&outside).expect("outside dir");
    let script = format!(
        r#"set -u
A='{bin}'
M=$(mktemp -d)
mount -t tmpfs -o size=40m,mode=0700 tmpfs "$M" || exit 90
D="$M/data"
run() {{ name="$1"; shift; err=$(printf '%s\n' 'a long bundle passphrase' | "$A" --data-dir "$D" --json "$@" 2>&1 >/dev/null); printf '%s\t%s\t%s\n' "$name" "$?" "$(printf '%s' "$err" | tr '\n\t' '  ')" >> '{results}'; }}
run create-full profile create Full
run create-other profile create Other
RUN=$("$A" --data-dir "$D" --json run list --profile full | sed -n 's/.*"id": "\([^"]*\)".*/\1/p' | head -1)
test -f "$D/reserve" && echo "reserve	0	" >> '{results}'
dd if=/dev/zero of="$M/filler" bs=64k status=none 2>/dev/null
dd if=/dev/zero of="$M/filler-small" bs=1k status=none 2>/dev/null
run list profile list
run show profile show full
run status profile status full
run verify profile verify full
run runs run list --profile full
run contents content list --profile full
run report report "$RUN" --profile full --out '{outside}/report.html'
run export profile export full --out '{outside}/full.bundle' --passphrase-stdin
run delete profile delete other --yes
dd if=/dev/zero of="$M/filler-again" bs=1k status=none 2>/dev/null
run create-third profile create Third
ls "$D/profiles" | wc -l | sed 's/^/dirs	/' >> '{results}'
rm -f "$M"/filler*
run list-after profile list
run delete-full profile delete full --yes
umount "$M"
"#,
        bin = env!("CARGO_BIN_EXE_assay"),
        results = results.display(),
        outside = outside.display(),
    );
    let status = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", &script])
        .env_remove("ASSAY_DATA_DIR")
        .status()
        .expect("unshare");
    assert!(status.success(), "the script ran: {status:?}");
    let text = std::fs::read_to_string(&results).expect("results");
    let outcome = |name: &str| -> Outcome {
        let line = text
            .lines()
            .find(|l| l.split('\t').next() == Some(name))
            .unwrap_or_else(|| panic!("no result for {name}: {text}"));
        let mut parts = line.splitn(3, '\t');
        parts.next();
        Outcome {
            code: parts
                .next()
                .and_then(|c| c.trim().parse().ok())
                .unwrap_or(-1),
            stderr: parts.next().unwrap_or_default().to_owned(),
        }
    };
    assert_eq!(outcome("create-full").code, 0, "{text}");
    assert_eq!(
        outcome("reserve").code,
        0,
        "the data dir keeps a reserve: {text}"
    );
    for name in [
        "list", "show", "status", "verify", "runs", "contents", "report", "export", "delete",
    ] {
        let o = outcome(name);
        assert_eq!(o.code, 0, "{name} works on a full disk: {o:?}");
    }
    assert!(
        outside.join("report.html").is_file() && outside.join("full.bundle").is_file(),
        "the report and the bundle were written to the other disk"
    );
    let third = outcome("create-third");
    assert_eq!(
        third.code, 20,
        "a write without room is DISK_FULL: {third:?}"
    );
    assert!(third.stderr.contains("DISK_FULL"), "{third:?}");
    assert!(text.contains("dirs\t1"), "nothing half-written: {text}");
    assert_eq!(outcome("list-after").code, 0, "{text}");
    assert_eq!(outcome("delete-full").code, 0, "{text}");
}
