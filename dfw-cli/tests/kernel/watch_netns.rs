//! Two `dfw-cli watch` processes in one network namespace, each with its own state directory
//! and policy (named network namespace, Docker 29's rules): the first holds the namespace's
//! kernel marker (`table inet dfw-watch`, owned by its socket), so the second refuses to
//! start, naming the first, before changing anything; a commit of another policy and a
//! rollback through another state directory are refused too, a commit of the watched policy
//! goes through. The marker survives `nft flush ruleset` and goes with the watch, even when
//! it is killed with SIGKILL: a new watch then starts. Before the marker, the second watch
//! started and the two rewrote dfw's chains after each other's every repair.

use std::time::Duration;

use crate::support::state::{bin, cli_in, host_policy, write_policy};
use crate::support::watch_proc::Watch;
use crate::support::{dfw_lines, stderr, stdout, Netns};
use dfw_netlink::transport::testkit::kernel_gate;

const WAIT: Duration = Duration::from_secs(20);

/// True when the dfw lines hold `--dport PORT`.
fn has_port(ns: &Netns, port: u16) -> bool {
    dfw_lines(&ns.dump())
        .iter()
        .any(|l| l.contains(&format!("--dport {port} ")))
}

fn marker_present(ns: &Netns) -> bool {
    ns.exec("nft", &["list", "tables"])
        .lines()
        .any(|l| l.trim() == "table inet dfw-watch")
}

#[test]
fn kernel_cli_two_watches_in_one_netns_refuse_each_other() {
    if !kernel_gate("kernel_cli_two_watches_in_one_netns_refuse_each_other") {
        return;
    }
    let ns = Netns::new("w-two");
    ns.docker_29();
    let first = write_policy(&ns, "first", &host_policy(90));
    let second = write_policy(&ns, "second", &host_policy(91));
    let other_state = ns.file("state-2");
    let mut w1 = Watch::start(&bin(), &ns.name, &first, &ns.state);
    w1.expect("watching", WAIT);
    assert!(marker_present(&ns));
    let pid1 = w1.child.id();
    let before = ns.dump();

    // The second watch, another state directory and policy: refused, nothing changed.
    let mut w2 = Watch::start(&bin(), &ns.name, &second, &other_state);
    assert_eq!(w2.exit_within(WAIT), Some(1), "a second watch runs");
    let line = w2.expect("holds this network namespace", WAIT);
    assert!(
        line.contains(&format!(
            "another dfw-cli watch (pid {pid1}) following {first}"
        )),
        "{line}"
    );
    assert_eq!(ns.dump(), before, "the second watch changed the kernel");

    // Through another state directory: a commit of another policy is refused, one of the
    // watched policy goes through, a rollback is refused.
    let o = cli_in(&ns, &["commit", "-c", &second], &other_state, &[]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(
        stderr(&o).contains(&format!("dfw-cli watch (pid {pid1}) follows {first}")),
        "{o:?}"
    );
    assert_eq!(ns.dump(), before, "a refused commit changed the kernel");
    let o = cli_in(&ns, &["commit", "-c", &first], &other_state, &[]);
    assert!(o.status.success(), "{o:?}");
    assert!(stdout(&o).contains("follows this policy"), "{o:?}");
    let o = cli_in(&ns, &["rollback"], &other_state, &[]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(stderr(&o).contains("would undo this rollback"), "{o:?}");
    assert_eq!(ns.dump(), before, "a refused rollback changed the kernel");

    // `nft flush ruleset` leaves the marker (the watch repairs its chains): still refused.
    ns.exec("nft", &["flush", "ruleset"]);
    w1.expect("repaired after", WAIT);
    assert!(marker_present(&ns));
    let mut w2 = Watch::start(&bin(), &ns.name, &second, &other_state);
    assert_eq!(w2.exit_within(WAIT), Some(1), "a second watch runs");
    assert!(has_port(&ns, 90) && !has_port(&ns, 91));

    // The first watch killed: its socket closed, the kernel deleted the marker; a new watch
    // (the second policy, its own state directory) starts and applies its policy.
    w1.signal("KILL");
    let _ = w1.child.wait();
    assert!(!marker_present(&ns), "the marker outlived its watch");
    let mut w3 = Watch::start(&bin(), &ns.name, &second, &other_state);
    w3.expect("watching", WAIT);
    assert!(has_port(&ns, 91) && !has_port(&ns, 90));
    assert!(marker_present(&ns));
}
