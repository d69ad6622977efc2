//! The bad-input corpus: restore files (`restore/*.rules`) and configs (`config/*.toml`) that
//! must be refused with a located error, each carrying its expectation in its first lines:
//!
//! ```text
//! # expect: line 6: "--dport" 70000
//! # family: ipv6            (restore files only, optional; default ipv4)
//! ```
//!
//! meaning: the error is on line 6 (of the file as written, header included) and its message
//! contains the text after `line N: `. For configs the message must also start with the
//! file's label and that line (`path:6:`). Files are read as bytes and decoded lossily
//! (invalid UTF-8 becomes U+FFFD), as a caller reading a file would have to.
//!
//! Included by the test support module (`support::bad_input`).

use std::path::{Path, PathBuf};

use dfw_core::model::Family;

/// The corpus directory (absolute, from any crate of the workspace).
pub fn dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../dfw-core/tests/bad-input");
    std::fs::canonicalize(&dir).unwrap_or(dir)
}

/// One bad input and the error it must produce.
#[derive(Debug, Clone)]
pub struct Case {
    /// The file (or `generated/<name>` for inputs built in memory).
    pub path: PathBuf,
    /// The family a restore file is parsed for.
    pub family: Family,
    /// The line the error must name.
    pub line: usize,
    /// Text the error message must contain.
    pub expect: String,
    /// The input, lossily decoded.
    pub text: String,
}

impl Case {
    /// `path`, as a string label.
    pub fn label(&self) -> String {
        self.path.display().to_string()
    }

    /// Reads a corpus file and its expectation header.
    ///
    /// # Panics
    /// When the file cannot be read or lacks a well-formed `# expect:` first line.
    pub fn read(path: &Path) -> Case {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut lines = text.lines();
        let head = lines.next().unwrap_or_default();
        let spec = head
            .strip_prefix("# expect: line ")
            .unwrap_or_else(|| panic!("{}: no `# expect: line N: ...` header", path.display()));
        let (line, expect) = spec
            .split_once(": ")
            .unwrap_or_else(|| panic!("{}: bad header {head:?}", path.display()));
        let family = match lines.next().and_then(|l| l.strip_prefix("# family: ")) {
            Some("ipv6") => Family::Ipv6,
            Some("ipv4") | None => Family::Ipv4,
            Some(f) => panic!("{}: unknown family {f:?}", path.display()),
        };
        Case {
            path: path.to_path_buf(),
            family,
            line: line
                .parse()
                .unwrap_or_else(|_| panic!("{}: bad line in {head:?}", path.display())),
            expect: expect.to_string(),
            text,
        }
    }
}

fn cases_in(sub: &str, ext: &str) -> Vec<Case> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir().join(sub))
        .unwrap_or_else(|e| panic!("{sub}: {e}"))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    paths.sort();
    paths.iter().map(|p| Case::read(p)).collect()
}

/// Every `restore/*.rules` file, sorted by name.
pub fn restore_cases() -> Vec<Case> {
    cases_in("restore", "rules")
}

/// Every `config/*.toml` file, sorted by name.
pub fn config_cases() -> Vec<Case> {
    cases_in("config", "toml")
}

/// Restore inputs too big to commit, built in memory: a 1 MiB token, a 1 MiB line of short
/// tokens, and a 100 000-line file missing its COMMIT.
pub fn generated_restore_cases() -> Vec<Case> {
    let table = "*filter\n:INPUT ACCEPT [0:0]\n";
    let case = |name: &str, line: usize, expect: &str, text: String| Case {
        path: PathBuf::from(format!("generated/{name}")),
        family: Family::Ipv4,
        line,
        expect: expect.to_string(),
        text,
    };
    let huge = "x".repeat(1 << 20);
    let many = " -m comment --comment x".repeat((1 << 20) / 23);
    let mut long_file = String::from(table);
    for _ in 0..100_000 {
        long_file.push_str("-A INPUT -s 192.0.2.1 -j ACCEPT\n");
    }
    vec![
        case(
            "huge-token",
            3,
            "parameter too long",
            format!("{table}-A INPUT -m comment --comment {huge} -j ACCEPT\nCOMMIT\n"),
        ),
        case(
            "huge-line-of-options",
            3,
            "parameter too long",
            format!("{table}-A INPUT{many} -j ACCEPT\nCOMMIT\n"),
        ),
        case(
            "huge-file-without-commit",
            100_003,
            "COMMIT expected",
            long_file,
        ),
    ]
}
