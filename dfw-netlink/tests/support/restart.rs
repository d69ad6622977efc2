//! A simulated dockerd restart, run with the real iptables tools inside a namespace (test
//! oracle code, never library code).
//!
//! What Docker does at start (docker-chains.md): it flushes and rebuilds its own chains, and
//! deletes and re-inserts `FORWARD -j DOCKER-USER` at position 1; it never flushes
//! DOCKER-USER. Simulated from the fixture that was loaded:
//! 1. `iptables -D FORWARD -j DOCKER-USER`;
//! 2. delete every other fixture rule of a built-in chain (`-t T -D CHAIN ...`), then flush
//!    (`-F`) and delete (`-X`) every fixture user chain except DOCKER-USER;
//! 3. `iptables -I FORWARD -j DOCKER-USER`;
//! 4. `iptables-restore -n` of the fixture without DOCKER-USER's declaration (which would
//!    flush it under `-n`), without its rules and without the FORWARD jump.
//!
//! Rules of others in DOCKER-USER (dfw's jump) and chains of others (DFW-*) are untouched.

use super::{run_in, Fixture};

use dfw_netlink::sim::NetNs;

const USER: &str = "DOCKER-USER";
const JUMP: &str = "-A FORWARD -j DOCKER-USER";

/// One table of an iptables-save text: its name, chains (name, built-in?) and rules.
struct Table<'a> {
    name: &'a str,
    chains: Vec<(&'a str, bool)>,
    rules: Vec<&'a str>,
}

fn tables(text: &str) -> Vec<Table<'_>> {
    let mut out: Vec<Table<'_>> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix('*') {
            out.push(Table {
                name,
                chains: Vec::new(),
                rules: Vec::new(),
            });
        } else if let (Some(decl), Some(t)) = (line.strip_prefix(':'), out.last_mut()) {
            let mut it = decl.split_whitespace();
            let name = it.next().unwrap_or_default();
            t.chains.push((name, it.next() != Some("-")));
        } else if let (true, Some(t)) = (line.starts_with("-A "), out.last_mut()) {
            t.rules.push(line);
        }
    }
    out
}

/// Simulates a dockerd restart for `fixture` (already loaded) inside `ns`.
///
/// # Errors
/// The failing command and its standard error.
pub fn simulate_docker_restart(ns: &NetNs, fixture: Fixture) -> Result<(), String> {
    restart_from_text(ns, fixture.iptables(), fixture.text())
}

/// As [`simulate_docker_restart`], for any Docker `iptables-save` text loaded with
/// `ipt`-restore (`ipt` is `iptables` or `ip6tables`).
///
/// # Errors
/// The failing command and its standard error.
pub fn restart_from_text(ns: &NetNs, ipt: &str, text: &str) -> Result<(), String> {
    let run = |args: &[&str]| run_in(ns, ipt, args, "").map(drop);
    run(&["-t", "filter", "-D", "FORWARD", "-j", USER])?;
    let parsed = tables(text);
    for t in &parsed {
        let builtin = |c: &str| t.chains.iter().any(|(n, b)| *n == c && *b);
        for rule in t.rules.iter().filter(|r| **r != JUMP) {
            let words: Vec<&str> = rule.split_whitespace().collect();
            if builtin(words[1]) {
                let mut args = vec!["-t", t.name, "-D"];
                args.extend(&words[1..]);
                run(&args)?;
            }
        }
        let user: Vec<&str> = t
            .chains
            .iter()
            .filter(|(n, b)| !b && *n != USER)
            .map(|(n, _)| *n)
            .collect();
        for op in ["-F", "-X"] {
            for c in &user {
                run(&["-t", t.name, op, c])?;
            }
        }
    }
    run(&["-t", "filter", "-I", "FORWARD", "-j", USER])?;
    let rebuilt: String = text
        .lines()
        .filter(|l| !l.starts_with(":DOCKER-USER ") && !l.starts_with("-A DOCKER-USER "))
        .filter(|l| *l != JUMP)
        .map(|l| format!("{l}\n"))
        .collect();
    run_in(ns, &format!("{ipt}-restore"), &["-n"], &rebuilt).map(drop)
}

/// `iptables-save` (or `ip6tables-save`) inside `ns` without comments and with every
/// counter zeroed, for comparisons.
pub fn normalized_save(ns: &NetNs, v6: bool) -> String {
    let program = if v6 {
        "ip6tables-save"
    } else {
        "iptables-save"
    };
    let out = run_in(ns, program, &[], "").unwrap_or_else(|e| panic!("{e}"));
    out.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| match (l.starts_with(':'), l.rfind(" [")) {
            (true, Some(i)) => format!("{} [0:0]\n", &l[..i]),
            _ => format!("{l}\n"),
        })
        .collect()
}
