//! Replays the fuzz corpora on stable: included by the `fuzz_replay` tests of dfw-core and
//! dfw-netlink with `#[path = "../../fuzz/replay.rs"] mod replay;`.
//!
//! Every file of `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/` (not the
//! uncommitted `corpus/.work/`) goes through the target's check function, the same one the
//! fuzz target calls; failures are collected and reported together with the file names.
#![allow(dead_code)]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// The fuzz directory.
pub fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The seed and regression files of `target`, sorted.
pub fn files(target: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for sub in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz_dir().join(sub).join(target)) else {
            continue;
        };
        out.extend(
            entries
                .map(|e| e.expect("directory entry").path())
                .filter(|p| p.is_file()),
        );
    }
    out.sort();
    out
}

/// Runs `check` on every file of `target` (at least `min` of them) and fails listing every
/// file whose check panicked.
pub fn replay(target: &str, min: usize, check: fn(&[u8])) {
    let files = files(target);
    assert!(
        files.len() >= min,
        "{target}: {} corpus files, want {min}",
        files.len()
    );
    let failed: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            catch_unwind(AssertUnwindSafe(|| check(&bytes)))
                .err()
                .map(|_| path.display().to_string())
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{target}: {} of {} files fail (the panic messages are above):\n{}",
        failed.len(),
        files.len(),
        failed.join("\n")
    );
}
