//! Unit tests of the state directory: atomic files and their mode, pending markers, bounded
//! excerpts, leftover temporary files, lock files.

use super::*;
use std::os::unix::fs::PermissionsExt;

#[test]
fn state_dir_atomic_files_mode_and_pending() {
    let base = std::env::temp_dir().join(format!("dfw-state-test-{}", std::process::id()));
    let dir = StateDir::open(base.join("state")).unwrap();
    let mode = std::fs::metadata(dir.path()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    assert_eq!(dir.read("x").unwrap(), None);
    dir.write_atomic("x", b"one").unwrap();
    dir.write_atomic("x", b"two").unwrap();
    assert_eq!(dir.read("x").unwrap().as_deref(), Some("two"));
    let mode = std::fs::metadata(dir.file("x"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
    assert_eq!(names.len(), 1, "no temp file left behind");
    let p = Pending {
        id: "abc".into(),
        deadline: 42,
        pid: 7,
    };
    dir.set_pending(&p).unwrap();
    assert_eq!(dir.pending().unwrap(), Some(p));
    assert_eq!(Pending::parse("abc 42").map(|p| p.pid), Some(0));
    dir.write_atomic(PENDING, b"garbage").unwrap();
    assert!(dir.pending().is_err());
    dir.write_atomic(PENDING, "x".repeat(100_000).as_bytes())
        .unwrap();
    let e = dir.pending().unwrap_err().to_string();
    assert!(e.len() < 300, "a bounded excerpt: {} bytes", e.len());
    dir.remove(PENDING).unwrap();
    dir.remove(PENDING).unwrap();
    assert_eq!(dir.previous().unwrap(), None);
    std::fs::remove_dir_all(base).unwrap();
}

#[test]
fn leftover_temp_files_go_with_the_next_lock() {
    let base = std::env::temp_dir().join(format!("dfw-state-tmp-{}", std::process::id()));
    let dir = StateDir::open(&base).unwrap();
    std::fs::write(base.join(".previous.rules.tmp.1.0"), b"half").unwrap();
    let lock = dir.lock().unwrap();
    let names: Vec<_> = std::fs::read_dir(&base)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, [LOCK]);
    assert!(!dir.held(WATCHDOG_LOCK).unwrap());
    let held = dir.take(WATCHDOG_LOCK).unwrap().unwrap();
    assert!(dir.held(WATCHDOG_LOCK).unwrap());
    assert!(dir.take(WATCHDOG_LOCK).unwrap().is_none());
    drop(held);
    assert!(!dir.held(WATCHDOG_LOCK).unwrap());
    drop(lock);
    std::fs::remove_dir_all(base).unwrap();
}
