//! `dfw-cli commit --confirm`, `confirm` and `rollback` against the kernel, each test in its
//! own named network namespace (`--netns`): confirmed in time keeps the new state; without a
//! confirmation the previous state comes back byte for byte (iptables-save, ip6tables-save,
//! nft list ruleset); killing the committing process group with SIGKILL still reverts;
//! rollback restores the previous state and a second rollback undoes it.
//!
//! No step races the confirmation deadline: what must happen before it runs with a deadline
//! of minutes (the watchdog's last act, writing its outcome, ends the test's waiting), and a
//! commit that must be reverted is checked through what it printed, not the kernel, until
//! the watchdog says it reverted.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use crate::support::{
    dfw_lines, stderr, stdout, wait_exited, wait_outcome, watchdog_pid, Netns, BIN, EXAMPLE,
};
use dfw_netlink::transport::testkit::{kernel_gate, run_cmd};

#[test]
fn kernel_cli_confirm_in_time_keeps_the_commit() {
    if !kernel_gate("kernel_cli_confirm_in_time_keeps_the_commit") {
        return;
    }
    let ns = Netns::new("confirm-ok");
    ns.docker_29();
    let before = ns.dump();
    let c = ns.cli(&["commit", "-c", EXAMPLE, "--confirm", "300"]);
    assert!(c.status.success(), "{c:?}");
    let hint = format!(
        "run `dfw-cli confirm --state-dir {}` within 300 s",
        ns.state.display()
    );
    assert!(stdout(&c).contains(&hint), "{c:?}");
    let committed = ns.dump();
    assert_ne!(committed, before);
    // A second commit is refused while the first awaits confirmation.
    let busy = ns.cli(&["commit", "-c", EXAMPLE]);
    assert_eq!(busy.status.code(), Some(1), "{busy:?}");
    assert!(stderr(&busy).contains("awaits confirmation"), "{busy:?}");
    let watchdog = watchdog_pid(&ns.state);
    let ok = ns.cli(&["confirm"]);
    assert!(ok.status.success(), "{ok:?}");
    assert!(stdout(&ok).contains("confirmed"), "{ok:?}");
    assert!(wait_outcome(&ns.state).unwrap().ends_with(" confirmed\n"));
    // The watchdog exits after writing that: nothing is left to revert the commit.
    wait_exited(watchdog);
    assert_eq!(ns.dump(), committed, "a confirmed commit was reverted");
    let again = ns.cli(&["confirm"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("no commit awaits confirmation"),
        "{again:?}"
    );
}

#[test]
fn kernel_cli_confirm_missing_reverts_byte_exact() {
    if !kernel_gate("kernel_cli_confirm_missing_reverts_byte_exact") {
        return;
    }
    let ns = Netns::new("confirm-no");
    ns.docker_29();
    // A first, confirmed commit of another policy: the revert must bring back exactly it.
    let first = ns.file("first.toml");
    std::fs::write(
        &first,
        "[interfaces]\nexternal = [\"eth0\"]\n[policy]\nhost = true\n[[allow]]\nports = [\"22/tcp\"]\n",
    )
    .unwrap();
    let c = ns.cli(&["commit", "-c", first.to_str().unwrap()]);
    assert!(c.status.success(), "{c:?}");
    let before = ns.dump();
    let c = ns.cli(&["commit", "-c", EXAMPLE, "--confirm", "1"]);
    assert!(c.status.success(), "{c:?}");
    // Committed (what the kernel holds may already be reverted: the deadline is 1 s).
    assert!(stdout(&c).contains("rules added"), "{c:?}");
    let outcome = wait_outcome(&ns.state).expect("the watchdog did not act");
    assert!(outcome.ends_with(" reverted\n"), "{outcome}");
    assert_eq!(ns.dump(), before, "not reverted byte for byte");
    let late = ns.cli(&["confirm"]);
    assert_eq!(late.status.code(), Some(1));
    assert!(stderr(&late).contains("too late"), "{late:?}");
}

#[test]
fn kernel_cli_confirm_sigkill_still_reverts() {
    if !kernel_gate("kernel_cli_confirm_sigkill_still_reverts") {
        return;
    }
    let ns = Netns::new("confirm-kill");
    ns.docker_29();
    let before = ns.dump();
    // The committing process in its own process group, as an SSH session's shell would run
    // it; the whole group is SIGKILLed as soon as the commit is reported.
    let mut child = Command::new(BIN)
        .args([
            "--netns",
            &ns.name,
            "commit",
            "-c",
            EXAMPLE,
            "--confirm",
            "2",
        ])
        .arg("--state-dir")
        .arg(&ns.state)
        .env("SSH_CONNECTION", "")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let pgid = child.id().to_string();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // The commit prints what it changed, then the counts: committed once they come (what
    // the kernel holds may already be reverted: the deadline is 2 s).
    let summary = lines
        .map_while(Result::ok)
        .find(|l| l.starts_with("IPv4: "));
    assert!(
        summary
            .as_deref()
            .is_some_and(|l| l.contains("rules added")),
        "{summary:?}"
    );
    let _ = run_cmd("kill", &["-KILL", "--", &format!("-{pgid}")]);
    let _ = child.wait();
    let outcome = wait_outcome(&ns.state).expect("the watchdog died with its parent");
    assert!(outcome.ends_with(" reverted\n"), "{outcome}");
    assert_eq!(ns.dump(), before);
}

#[test]
fn kernel_cli_rollback_restores_previous_and_back() {
    if !kernel_gate("kernel_cli_rollback_restores_previous_and_back") {
        return;
    }
    let ns = Netns::new("rollback");
    ns.docker_29();
    let none = ns.cli(&["rollback"]);
    assert_eq!(none.status.code(), Some(1));
    assert!(
        stderr(&none).contains("nothing to roll back to"),
        "{none:?}"
    );
    let before = ns.dump();
    let c = ns.cli(&["commit", "-c", EXAMPLE]);
    assert!(c.status.success(), "{c:?}");
    let committed = ns.dump();
    let mode = std::fs::metadata(&ns.state).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o700
    );
    let saved = std::fs::read_to_string(ns.state.join("previous.rules")).unwrap();
    assert!(
        saved.starts_with("# dfw state v2\n# family: ipv4\n"),
        "{saved}"
    );
    let r = ns.cli(&["rollback"]);
    assert!(r.status.success(), "{r:?}");
    assert!(stdout(&r).contains("IPv4: "), "{r:?}");
    assert_eq!(ns.dump(), before, "rollback is not byte-exact");
    let r = ns.cli(&["rollback"]);
    assert!(r.status.success(), "{r:?}");
    assert_eq!(
        dfw_lines(&ns.dump()),
        dfw_lines(&committed),
        "a second rollback does not undo the first"
    );
}

/// A policy whose 30-entry whitelist is a set (`dfw-whitelist4`): 198.51.100.1-29 and `last`.
fn set_policy(last: &str) -> String {
    let mut list: Vec<String> = (1..30).map(|i| format!("\"198.51.100.{i}\"")).collect();
    list.push(format!("\"{last}\""));
    format!(
        "[interfaces]\nexternal = [\"eth0\"]\n[[allow]]\nports = [8080]\n[whitelist]\nsources = [{}]\n",
        list.join(", ")
    )
}

#[test]
fn kernel_cli_rollback_restores_set_members() {
    if !kernel_gate("kernel_cli_rollback_restores_set_members") {
        return;
    }
    let ns = Netns::new("rollback-sets");
    let members = || ns.exec("ipset", &["list", "dfw-whitelist4"]);
    let (a, b) = (ns.file("a.toml"), ns.file("b.toml"));
    std::fs::write(&a, set_policy("203.0.113.7")).unwrap();
    std::fs::write(&b, set_policy("203.0.113.8")).unwrap();
    let c = ns.cli(&["commit", "-c", a.to_str().unwrap()]);
    assert!(c.status.success(), "{c:?}");
    let rules = ns.dump();
    assert!(members().contains("203.0.113.7\n"), "{}", members());
    // Only the set's members change: the rules are the same.
    let c = ns.cli(&["commit", "-c", b.to_str().unwrap()]);
    assert!(c.status.success(), "{c:?}");
    assert!(stdout(&c).contains("1 entries added, 1 removed"), "{c:?}");
    assert_eq!(ns.dump(), rules);
    assert!(members().contains("203.0.113.8\n"), "{}", members());
    let saved = std::fs::read_to_string(ns.state.join("previous.rules")).unwrap();
    assert!(
        saved.contains("\n# sets\ncreate dfw-whitelist4 hash:net family inet\n"),
        "{saved}"
    );
    let r = ns.cli(&["rollback"]);
    assert!(r.status.success(), "{r:?}");
    let m = members();
    assert!(
        m.contains("203.0.113.7\n") && !m.contains("203.0.113.8"),
        "{m}"
    );
    assert_eq!(ns.dump(), rules);
    // And back: the second rollback point held the set as rollback found it.
    let r = ns.cli(&["rollback"]);
    assert!(r.status.success(), "{r:?}");
    let m = members();
    assert!(
        m.contains("203.0.113.8\n") && !m.contains("203.0.113.7"),
        "{m}"
    );
}

/// A commit with `--confirm` of the policy already in force changes nothing, stages no
/// rollback point (it never reaches the crash point after staging one, where a test build
/// dies) and arms no timer, and says so; there is nothing to confirm.
#[test]
fn kernel_cli_noop_commit_with_confirm_arms_nothing() {
    if !kernel_gate("kernel_cli_noop_commit_with_confirm_arms_nothing") {
        return;
    }
    let ns = Netns::new("confirm-noop");
    ns.docker_29();
    let c = ns.cli(&["commit", "-c", EXAMPLE]);
    assert!(c.status.success(), "{c:?}");
    let committed = ns.dump();
    let previous = std::fs::read(ns.state.join("previous.rules")).unwrap();
    let noop = ns.cli_env(
        &["commit", "-c", EXAMPLE, "--confirm", "300"],
        &[("DFW_TEST_CRASH_AT", "commit-staged")],
    );
    assert!(noop.status.success(), "{noop:?}");
    let out = stdout(&noop);
    assert!(out.contains("IPv4: nothing to change"), "{out}");
    assert!(
        out.contains("nothing changed: nothing to confirm, no revert timer armed"),
        "{out}"
    );
    assert!(!out.contains("within 300 s"), "{out}");
    assert_eq!(ns.dump(), committed);
    assert_eq!(
        std::fs::read(ns.state.join("previous.rules")).unwrap(),
        previous
    );
    assert!(!ns.state.join("pending").exists());
    let confirm = ns.cli(&["confirm"]);
    assert_eq!(confirm.status.code(), Some(1), "{confirm:?}");
    assert!(
        stderr(&confirm).contains("no commit awaits confirmation"),
        "{confirm:?}"
    );
}
