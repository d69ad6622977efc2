//! Faults through the CLI, each in its own named network namespace holding Docker 29's rules:
//! bad restore files and bad configs exit 1 with `file:line` and the reason, never panic, and
//! leave the kernel byte for byte as it was (iptables-save, ip6tables-save, nft list
//! ruleset); a namespace that does not exist and a user that is not root get one-line,
//! actionable messages. The bad inputs are the cases below plus, when present, every file of
//! `dfw-core/tests/bad-input/restore/` and `dfw-core/tests/bad-input/config/` (the fuzzing
//! corpus).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{stderr, Netns, Scratch, BIN, EXAMPLE};
use dfw_netlink::transport::testkit::{in_private_netns, kernel_gate};

/// Bad restore files: name, text, a word the reason must contain.
const RESTORE: &[(&str, &str, &str)] = &[
    (
        "cidr",
        "*filter\n-A INPUT -s 10.0.0.0/33 -j DROP\nCOMMIT\n",
        "",
    ),
    (
        "port",
        "*filter\n-A INPUT -p tcp --dport 70000 -j DROP\nCOMMIT\n",
        "",
    ),
    (
        "range",
        "*filter\n-A INPUT -p tcp --dport 90:80 -j DROP\nCOMMIT\n",
        "",
    ),
    (
        "option",
        "*filter\n-A INPUT --bogus 1 -j DROP\nCOMMIT\n",
        "",
    ),
    (
        "iface",
        "*filter\n-A INPUT -i abcdefghijklmnopq -j DROP\nCOMMIT\n",
        "",
    ),
    (
        "chain",
        "*filter\n:ABCDEFGHIJKLMNOPQRSTUVWXYZ0123 - [0:0]\nCOMMIT\n",
        "",
    ),
    ("commit", "*filter\n-A INPUT -j DROP\n", ""),
    ("jump", "*filter\n-A INPUT -j NOWHERE\nCOMMIT\n", ""),
    (
        "family",
        "*filter\n-A INPUT -s 2001:db8::1 -j DROP\nCOMMIT\n",
        "",
    ),
    ("table", "*nosuch\nCOMMIT\n", ""),
    ("junk", "\u{1}\u{2}\u{7f}garbage\n", ""),
];

/// Bad configs: name, text.
const CONFIG: &[(&str, &str)] = &[
    ("cidr", "[lan]\nnetworks = [\"10.0.0.0/33\"]\n"),
    ("port", "[[allow]]\nports = [\"70000/tcp\"]\n"),
    ("range", "[[allow]]\nports = [\"90-80/tcp\"]\n"),
    ("key", "[policy]\nbogus = true\n"),
    (
        "iface",
        "[interfaces]\nexternal = [\"abcdefghijklmnopq\"]\n",
    ),
    ("syntax", "[policy\nhost = true\n"),
    ("junk", "\u{1}\u{2}\u{7f}garbage\n"),
];

fn write_cases(dir: &Path, ext: &str, cases: &[(&str, &str)]) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    cases
        .iter()
        .map(|(name, text)| {
            let p = dir.join(format!("{name}.{ext}"));
            std::fs::write(&p, text).unwrap();
            p
        })
        .collect()
}

/// The corpus files of `dfw-core/tests/bad-input/SUB/`, if that directory exists (expected
/// error files, `*.expected` / `*.err`, are skipped).
fn corpus(sub: &str) -> Vec<PathBuf> {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../dfw-core/tests/bad-input/{sub}"));
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            !matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("expected" | "err" | "md" | "txt")
            )
        })
        .collect();
    v.sort();
    v
}

/// Runs `args` + FILE for every file: exit 1, `FILE:LINE` in stderr, no panic, kernel
/// unchanged.
fn check_all(ns: &Netns, args: &[&str], files: &[PathBuf], before: &str) {
    for f in files {
        let path = f.to_str().unwrap();
        let mut a = args.to_vec();
        // The corpus marks IPv6 restore files with `# family: ipv6` near the top.
        let head = std::fs::read(f).unwrap_or_default();
        let v6 = String::from_utf8_lossy(&head[..head.len().min(256)])
            .lines()
            .take(3)
            .any(|l| l.trim() == "# family: ipv6");
        if v6 && a == ["restore"] {
            a.push("-6");
        }
        a.push(path);
        let o = ns.cli(&a);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{path}: {o:?}");
        assert!(!err.contains("panicked"), "{path}: {err}");
        let located = err
            .match_indices(&format!("{path}:"))
            .any(|(i, m)| err[i + m.len()..].starts_with(|c: char| c.is_ascii_digit()));
        assert!(located, "{path}: no file:line in {err:?}");
        assert_eq!(ns.dump(), before, "{path}: the kernel changed");
    }
}

#[test]
fn kernel_cli_bad_input_exit_1_file_line_kernel_unchanged() {
    if !kernel_gate("kernel_cli_bad_input_exit_1_file_line_kernel_unchanged") {
        return;
    }
    let ns = Netns::new("badinput");
    ns.docker_29();
    let before = ns.dump();
    let tmp = ns.file("cases");
    let restore: Vec<(&str, &str)> = RESTORE.iter().map(|(n, t, _)| (*n, *t)).collect();
    let mut files = write_cases(&tmp.join("restore"), "rules", &restore);
    files.extend(corpus("restore"));
    check_all(&ns, &["restore"], &files, &before);
    check_all(&ns, &["restore", "-6"], &files[..1], &before);
    let mut configs = write_cases(&tmp.join("config"), "toml", CONFIG);
    configs.extend(corpus("config"));
    check_all(&ns, &["commit", "-c"], &configs, &before);
    check_all(&ns, &["plan", "-c"], &configs, &before);
}

#[test]
fn kernel_cli_missing_netns_one_line() {
    let o = Command::new(BIN)
        .args(["--netns", "dfwtest-nope-4711", "save"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("network namespace dfwtest-nope-4711 does not exist"),
        "{err}"
    );
    assert!(err.contains("ip netns list"), "{err}");
}

/// Every command that needs the kernel, run as nobody: one line naming what needs root,
/// exit 1, nothing printed on standard output (`demo`'s banner included) and nothing created
/// (`commit`'s state directory).
#[test]
fn kernel_cli_not_root_one_line() {
    if !kernel_gate("kernel_cli_not_root_one_line") {
        return;
    }
    if Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("SKIPPED kernel_cli_not_root_one_line: no setpriv");
        return;
    }
    // nobody must be able to execute the binary: a 0755 copy in a fresh directory.
    let scratch = Scratch::new("notroot");
    let dir = &scratch.dir;
    let bin = dir.join("dfw-cli");
    std::fs::copy(BIN, &bin).unwrap();
    // A directory nobody may write into: the state directory inside it must not appear.
    let parent = dir.join("owned");
    std::fs::create_dir_all(&parent).unwrap();
    let _ = Command::new("chown")
        .args(["nobody", parent.to_str().unwrap()])
        .status();
    let state = parent.join("state");
    let state = state.to_str().unwrap();
    let drafted = parent.join("init.toml");
    let drafted = drafted.to_str().unwrap();
    let example = EXAMPLE;
    let runs: &[&[&str]] = &[
        &["save"],
        &["restore", "/dev/null"],
        &["plan", "-c", example],
        &["status", "-c", example],
        &["commit", "-c", example, "--state-dir", state],
        &["rollback", "--state-dir", state],
        &["confirm", "--state-dir", state],
        &["watch", "-c", example],
        &["audit"],
        &[
            "explain",
            "--in",
            "lo",
            "--src",
            "127.0.0.1",
            "--dst-port",
            "22",
        ],
        &["demo"],
        &["init", "-o", drafted],
    ];
    // In a private namespace: the spawned child inherits this thread's namespace.
    in_private_netns(|| {
        for args in runs {
            let o = Command::new("setpriv")
                .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
                .arg(&bin)
                .args(*args)
                .env("SSH_CONNECTION", "")
                .output()
                .unwrap();
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(1), "{args:?}: {o:?}");
            assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
            assert!(
                err.contains("not root: run as root or with CAP_NET_ADMIN"),
                "{args:?}: {err}"
            );
            assert!(o.stdout.is_empty(), "{args:?}: {o:?}");
            assert!(!Path::new(state).exists(), "{args:?} created {state}");
            assert!(!Path::new(drafted).exists(), "{args:?} wrote {drafted}");
        }
    })
    .unwrap();
}
