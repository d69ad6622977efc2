//! CLI habits without root or kernel: the exit-code table (usage errors are 64, never `plan`'s
//! 2; `--help` and `--version` are 0; every subcommand's `--help` documents its codes), and
//! output that never panics (a closed standard output ends quietly, a full one is an error).

use std::process::{Command, Output, Stdio};

use crate::support::{Scratch, BIN};

/// A policy without interface names (no warning about this machine's interfaces) in `tmp`.
fn policy(tmp: &Scratch) -> String {
    tmp.write("dfw.toml", "[[allow]]\nports = [\"22/tcp\"]\n")
}

fn cli(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

#[test]
fn usage_errors_exit_64() {
    let cases: &[&[&str]] = &[
        &[],
        &["bogus"],
        &["--bogus"],
        &["plan", "--bogus"],
        &["plan", "-c"],
        &["status", "extra"],
        &["commit", "--confirm", "0"],
        &["commit", "--confirm", "soon"],
        &["explain", "--in", "eth0"],
        &["explain", "--in", "eth0", "--src", "x", "--dst-port", "80"],
        &[
            "explain",
            "--in",
            "eth0",
            "--src",
            "192.0.2.1",
            "--dst-port",
            "99999",
        ],
        &[
            "explain",
            "--in",
            "eth0",
            "--src",
            "192.0.2.1",
            "--dst-port",
            "80",
            "--mark",
            "0x100/0xff00",
        ],
        &[
            "explain",
            "--in",
            "eth0",
            "--src",
            "192.0.2.1",
            "--dst-port",
            "80",
            "--mark",
            "x",
        ],
        &["restore", "--bogus"],
        &["save", "-t"],
        &["completions", "tcsh"],
        &["--netns"],
    ];
    for args in cases {
        let o = cli(args);
        assert_eq!(o.status.code(), Some(64), "{args:?}: {o:?}");
        assert!(o.stdout.is_empty(), "{args:?}: {o:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.starts_with("error:") || err.contains("Usage:"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn help_and_version_exit_0() {
    for args in [
        &["--help"][..],
        &["-h"],
        &["--version"],
        &["-V"],
        &["help"],
        &["help", "plan"],
        &["plan", "--help"],
        &["restore", "--help"],
    ] {
        let o = cli(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {o:?}");
        assert!(
            !o.stdout.is_empty() && o.stderr.is_empty(),
            "{args:?}: {o:?}"
        );
    }
}

/// Each subcommand's help ends with its exit codes; the top-level help has the whole table.
#[test]
fn every_help_documents_its_exit_codes() {
    let top = String::from_utf8(cli(&["--help"]).stdout).unwrap();
    for line in [
        "Exit status (every subcommand):",
        "  2   plan: changes pending",
        "  3   status: drifted",
        "  4   explain: DROP or REJECT",
        "  5   explain: UNKNOWN (undecidable)",
        "  64  usage error",
    ] {
        assert!(top.contains(line), "{line}: {top}");
    }
    let specific: &[(&str, &[&str])] = &[
        (
            "plan",
            &["  0   nothing to change", "  2   changes pending"],
        ),
        ("status", &["  0   in sync", "  3   drifted"]),
        (
            "explain",
            &["  0   ACCEPT", "  4   DROP or REJECT", "  5   UNKNOWN"],
        ),
        (
            "confirm",
            &["  0   confirmed", "  1   nothing awaits confirmation"],
        ),
        ("watch", &["  0   stopped by SIGTERM or SIGINT"]),
    ];
    let subcommands = [
        "audit",
        "explain",
        "restore",
        "save",
        "show",
        "plan",
        "commit",
        "status",
        "watch",
        "confirm",
        "rollback",
        "demo",
        "init",
        "completions",
        "man",
    ];
    for sub in subcommands {
        let o = cli(&[sub, "--help"]);
        let text = String::from_utf8(o.stdout).unwrap();
        assert!(text.contains("\nExit status:\n"), "{sub}: {text}");
        assert!(text.contains("\n  64  usage error"), "{sub}: {text}");
        let own = specific.iter().find(|(s, _)| *s == sub);
        for line in own.map_or(&["  0   success"][..], |(_, l)| l) {
            assert!(text.contains(line), "{sub}: {line}: {text}");
        }
    }
}

/// Runs `args` with standard output a pipe whose reader is already gone.
fn closed_stdout(args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Command::new(BIN)
        .args(args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

/// `dfw-cli show | head`: the reader going away ends the output quietly, exit as usual.
#[test]
fn a_closed_stdout_never_panics() {
    let tmp = Scratch::new("habits");
    let config = policy(&tmp);
    let runs: &[&[&str]] = &[
        &["show", "-c", &config],
        &["completions", "bash"],
        &["--help"],
        &["plan", "--help"],
        &["--version"],
    ];
    for args in runs {
        let o = closed_stdout(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}

/// `dfw-cli show > /dev/full`: the lost output is an error, said once, never a panic.
#[test]
fn a_full_stdout_is_an_error() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return;
    };
    let tmp = Scratch::new("habits-full");
    let o = Command::new(BIN)
        .args(["show", "-c", &policy(&tmp)])
        .stdout(full)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("dfw-cli: standard output: "), "{err}");
}

/// docs/json.md carries every schema exactly as its module documents it.
#[test]
fn docs_json_md_carries_every_schema() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let doc = std::fs::read_to_string(format!("{root}/docs/json.md")).unwrap();
    for src in [
        "policy_json.rs",
        "explain_json.rs",
        "audit_json.rs",
        "notes_json.rs",
    ] {
        let text = std::fs::read_to_string(format!("{root}/dfw-cli/src/cmd/{src}")).unwrap();
        let lines: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("//!"))
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect();
        let start = lines.iter().position(|l| *l == "```text").unwrap() + 1;
        let end = start + lines[start..].iter().position(|l| *l == "```").unwrap();
        let block = format!("```text\n{}\n```", lines[start..end].join("\n"));
        assert!(
            doc.contains(&block),
            "docs/json.md lacks the schema of {src}:\n{block}"
        );
    }
}
