//! `dfw-cli watch` with the other dfw commands, through the CLI (named network namespace,
//! Docker 29's rules, a private state directory):
//! - a commit of another policy while a watch follows a file is refused, naming the watch;
//!   a commit of the watched policy goes through and says the watch keeps it;
//! - a second watch on the same state directory refuses to start, naming the first;
//! - the watch holds off while a commit awaits confirmation and does not re-apply a policy
//!   the watchdog reverted (SUSPENDED), until SIGHUP; its applies save a rollback point;
//! - a policy file being written is not read before it is closed; a file made writable by
//!   others is refused on reload, the previous policy kept.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use crate::support::state::{bin, host_policy, write_policy};
use crate::support::watch_proc::{rewrite, Watch};
use crate::support::{dfw_lines, stderr, stdout, wait_outcome, Netns};
use dfw_netlink::transport::testkit::kernel_gate;

const WAIT: Duration = Duration::from_secs(20);

/// True when the dfw lines hold `--dport PORT`.
fn has_port(lines: &[String], port: u16) -> bool {
    lines
        .iter()
        .any(|l| l.contains(&format!("--dport {port} ")))
}

#[test]
fn kernel_cli_commit_of_another_policy_refused_while_watched() {
    if !kernel_gate("kernel_cli_commit_of_another_policy_refused_while_watched") {
        return;
    }
    let ns = Netns::new("w-refuse");
    ns.docker_29();
    let watched = write_policy(&ns, "watched", &host_policy(90));
    let other = write_policy(&ns, "other", &host_policy(91));
    let mut w = Watch::start(&bin(), &ns.name, &watched, &ns.state);
    w.expect("watching", WAIT);
    let before = ns.dump();
    for args in [
        vec!["commit", "-c", &other],
        vec!["commit", "-c", &other, "--confirm", "5"],
    ] {
        let o = ns.cli(&args);
        assert_eq!(o.status.code(), Some(1), "{o:?}");
        let e = stderr(&o);
        assert!(
            e.contains("dfw-cli watch (pid ") && e.contains(&watched),
            "{e}"
        );
        assert_eq!(ns.dump(), before, "{args:?}");
    }
    // The watched policy itself: committed, and the watch keeps it.
    let o = ns.cli(&["commit", "-c", &watched]);
    assert!(o.status.success(), "{o:?}");
    assert!(stdout(&o).contains("follows this policy"), "{o:?}");
    // A second watch refuses to start.
    let mut second = Watch::start(&bin(), &ns.name, &other, &ns.state);
    assert_eq!(second.exit_within(WAIT), Some(1), "a second watch runs");
    second.expect("another dfw-cli watch (pid", WAIT);
    assert!(has_port(&dfw_lines(&ns.dump()), 90));
}

#[test]
fn kernel_cli_watch_respects_confirm_and_the_watchdogs_revert() {
    if !kernel_gate("kernel_cli_watch_respects_confirm_and_the_watchdogs_revert") {
        return;
    }
    let ns = Netns::new("w-revert");
    ns.docker_29();
    let a = write_policy(&ns, "a", &host_policy(92));
    let b = write_policy(&ns, "b", &host_policy(93));
    assert!(ns.cli(&["commit", "-c", &a]).status.success());
    let state_a = dfw_lines(&ns.dump());
    // B committed with a confirm time, then a watch of B starts: it must not fight the
    // watchdog, and must not re-apply B once the watchdog reverted it.
    let o = ns.cli(&["commit", "-c", &b, "--confirm", "2"]);
    assert!(o.status.success(), "{o:?}");
    let mut w = Watch::start(&bin(), &ns.name, &b, &ns.state);
    w.expect("awaits confirmation", WAIT);
    let outcome = wait_outcome(&ns.state).expect("the watchdog did not act");
    assert!(outcome.ends_with(" reverted\n"), "{outcome}");
    w.expect("SUSPENDED", WAIT);
    assert_eq!(dfw_lines(&ns.dump()), state_a, "the watch undid the revert");
    // SIGHUP: the watch applies B again, guarded, with a rollback point (A).
    w.signal("HUP");
    w.expect("repaired after config reload", WAIT);
    assert!(has_port(&dfw_lines(&ns.dump()), 93));
    let saved = std::fs::read_to_string(ns.state.join("previous.rules")).unwrap();
    assert!(saved.contains("--dport 92 "), "{saved}");
    // A rollback while the watch runs: the watch stands down instead of undoing it.
    let o = ns.cli(&["rollback"]);
    assert!(o.status.success(), "{o:?}");
    assert!(stdout(&o).contains("stops enforcing"), "{o:?}");
    w.expect("SUSPENDED", WAIT);
    assert_eq!(dfw_lines(&ns.dump()), state_a);
}

#[test]
fn kernel_cli_watch_never_reads_a_half_written_or_untrusted_file() {
    if !kernel_gate("kernel_cli_watch_never_reads_a_half_written_or_untrusted_file") {
        return;
    }
    let ns = Netns::new("w-half");
    ns.docker_29();
    let f = write_policy(&ns, "f", &host_policy(94));
    let mut w = Watch::start(&bin(), &ns.name, &f, &ns.state);
    w.expect("watching", WAIT);
    assert!(has_port(&dfw_lines(&ns.dump()), 94));
    // A new file written in two parts: the first part alone is a valid policy (no 95).
    std::fs::remove_file(&f).unwrap();
    let full = format!("{}[[allow]]\nports = [\"95/tcp\"]\n", host_policy(96));
    let half = host_policy(96);
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&f).unwrap();
        file.write_all(half.as_bytes()).unwrap();
        file.flush().unwrap();
        let during = w.lines_within(Duration::from_millis(1500));
        assert!(
            !during
                .iter()
                .any(|l| l.contains("reload") || l.contains("repaired")),
            "read before it was closed: {during:#?}"
        );
        assert!(has_port(&dfw_lines(&ns.dump()), 94));
        file.write_all(&full.as_bytes()[half.len()..]).unwrap();
    }
    w.expect("repaired after config reload", WAIT);
    let now = dfw_lines(&ns.dump());
    assert!(has_port(&now, 95) && has_port(&now, 96) && !has_port(&now, 94));
    // Made writable by others: refused on reload, the policy in place stays.
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o666)).unwrap();
    rewrite(&f, &host_policy(97));
    let line = w.expect("reload failed", WAIT);
    assert!(line.contains("writable by group or others"), "{line}");
    let now = dfw_lines(&ns.dump());
    assert!(has_port(&now, 95) && !has_port(&now, 97));
}
