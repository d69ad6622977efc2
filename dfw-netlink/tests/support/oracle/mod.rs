//! Shared helpers for the conformance kernel tests: the rule files of `testdata/`, the iptables
//! oracle's output without its `#` header lines, and the rule lines of a file split into
//! iptables arguments.

pub mod strace;
pub mod versions;

use dfw_core::model::Family;
use dfw_netlink::transport::testkit::run_cmd;

/// Every rule file of `testdata/` (`*.v4`, `*.v6`): (path, family).
pub fn files() -> Vec<(String, Family)> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata");
    let mut out = Vec::new();
    for dir in ["conformance", "docker"] {
        let mut names: Vec<_> = std::fs::read_dir(format!("{root}/{dir}"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        for p in names {
            let fam = match p.extension().and_then(|e| e.to_str()) {
                Some("v4") => Family::Ipv4,
                Some("v6") => Family::Ipv6,
                _ => continue, // the directory's README
            };
            out.push((p.to_string_lossy().into_owned(), fam));
        }
    }
    assert!(out.len() >= 5, "testdata files missing: {out:?}");
    out
}

/// `iptables` or `ip6tables`.
pub fn tool(family: Family) -> &'static str {
    match family {
        Family::Ipv4 => "iptables",
        Family::Ipv6 => "ip6tables",
    }
}

/// `iptables-save` (or ip6tables-save) output without `#` lines.
pub fn oracle_save(family: Family) -> String {
    strip_comments(&run_cmd(&format!("{}-save", tool(family)), &[]).unwrap())
}

/// Text without `#` lines.
pub fn strip_comments(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Splits a rule line as a shell would (double quotes only, as iptables-save writes them).
pub fn split_args(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            '\\' if quoted => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            ' ' if !quoted => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            c => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The `-A` lines of a file with their table: (table, args after `-A`).
pub fn rule_lines(text: &str) -> Vec<(String, Vec<String>)> {
    let mut table = String::new();
    let mut out = Vec::new();
    for l in text.lines() {
        if let Some(t) = l.strip_prefix('*') {
            table = t.to_string();
        } else if let Some(rest) = l.strip_prefix("-A ") {
            out.push((table.clone(), split_args(rest)));
        }
    }
    out
}

/// Runs `iptables -t TABLE <op> <args>` and says whether it succeeded.
pub fn iptables_ok(family: Family, table: &str, op: &str, args: &[String]) -> Result<(), String> {
    let mut all: Vec<&str> = vec!["-t", table, op];
    all.extend(args.iter().map(String::as_str));
    run_cmd(tool(family), &all).map(|_| ())
}
