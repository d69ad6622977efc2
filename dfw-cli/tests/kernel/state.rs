//! The state directory under stress, through the CLI, each test in its own named network
//! namespace holding Docker 29's rules: a state directory or policy file another user
//! controls is refused (no chmod through a symbolic link); a stale pending commit (its
//! watchdog gone, whatever its pid says) blocks nothing and `confirm` says so; a truncated
//! rollback point is refused; the state of another network namespace is refused; a revert by
//! the watchdog shows in `status` and the hint names `--state-dir`; a bad value of 5 MB
//! makes a short error.

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use crate::support::state::{cli_in, host_policy, write_policy};
use crate::support::{stderr, stdout, wait_outcome, Netns, EXAMPLE};
use dfw_netlink::transport::testkit::kernel_gate;

/// A directory under /tmp for one test, removed first.
fn scratch(ns: &Netns, tag: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("{}-{tag}", ns.name));
    let _ = std::fs::remove_dir_all(&p);
    let _ = std::fs::remove_file(&p);
    p
}

#[test]
fn kernel_cli_state_dir_another_user_controls_is_refused() {
    if !kernel_gate("kernel_cli_state_dir_another_user_controls_is_refused") {
        return;
    }
    let ns = Netns::new("trust");
    ns.docker_29();
    let before = ns.dump();
    // Owned by nobody.
    let theirs = scratch(&ns, "theirs");
    std::fs::create_dir(&theirs).unwrap();
    std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
    let o = cli_in(&ns, &["commit", "-c", EXAMPLE], &theirs, &[]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(stderr(&o).contains("owned by uid 65534"), "{o:?}");
    // Inside a directory nobody owns.
    let inside = theirs.join("state");
    let o = cli_in(&ns, &["commit", "-c", EXAMPLE], &inside, &[]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(stderr(&o).contains("owned by uid 65534"), "{o:?}");
    assert!(!inside.exists(), "created inside another user's directory");
    // Group-writable.
    let shared = scratch(&ns, "shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o770)).unwrap();
    let o = cli_in(&ns, &["commit", "-c", EXAMPLE], &shared, &[]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(stderr(&o).contains("writable by group or others"), "{o:?}");
    // A symbolic link to a directory that is not dfw's: refused, its mode untouched.
    let victim = scratch(&ns, "victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o755)).unwrap();
    let link = scratch(&ns, "link");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let o = cli_in(&ns, &["commit", "-c", EXAMPLE], &link, &[]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(stderr(&o).contains("symbolic link"), "{o:?}");
    let mode = std::fs::metadata(&victim).unwrap().mode() & 0o7777;
    assert_eq!(mode, 0o755, "chmod through a symbolic link");
    assert_eq!(
        std::fs::read_dir(&victim).unwrap().count(),
        0,
        "wrote through a symbolic link"
    );
    assert_eq!(ns.dump(), before, "a refused commit changed the kernel");
    for p in [&theirs, &shared, &victim] {
        let _ = std::fs::remove_dir_all(p);
    }
    let _ = std::fs::remove_file(link);
}

#[test]
fn kernel_cli_policy_file_another_user_could_write_is_refused() {
    if !kernel_gate("kernel_cli_policy_file_another_user_could_write_is_refused") {
        return;
    }
    let ns = Netns::new("cfgtrust");
    ns.docker_29();
    let before = ns.dump();
    let p = write_policy(&ns, "p", &host_policy(80));
    std::os::unix::fs::chown(&p, Some(65534), None).unwrap();
    for cmd in ["commit", "plan", "show"] {
        let o = ns.cli(&[cmd, "-c", &p]);
        assert_eq!(o.status.code(), Some(1), "{cmd}: {o:?}");
        let e = stderr(&o);
        assert!(e.contains(&p) && e.contains("owned by uid 65534"), "{e}");
        assert_eq!(e.lines().count(), 1, "{e}");
    }
    std::os::unix::fs::chown(&p, Some(0), None).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o664)).unwrap();
    let o = ns.cli(&["commit", "-c", &p]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(stderr(&o).contains("writable by group or others"), "{o:?}");
    assert_eq!(ns.dump(), before);
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = ns.cli(&["commit", "-c", &p]);
    assert!(o.status.success(), "{o:?}");
}

#[test]
fn kernel_cli_stale_pending_blocks_nothing_and_confirm_says_so() {
    if !kernel_gate("kernel_cli_stale_pending_blocks_nothing_and_confirm_says_so") {
        return;
    }
    let ns = Netns::new("stale");
    ns.docker_29();
    let o = ns.cli(&["commit", "-c", EXAMPLE]);
    assert!(o.status.success(), "{o:?}");
    // What a reboot, or a watchdog killed long ago, leaves: a marker naming a live pid (1)
    // and a deadline long past, no watchdog.
    let stale = "5f00-1 1000 1\n";
    std::fs::write(ns.state.join("pending"), stale).unwrap();
    let o = ns.cli(&["confirm"]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(!stdout(&o).contains("confirmed"), "{o:?}");
    assert!(
        stderr(&o).contains("awaits no confirmation") && stderr(&o).contains("watchdog was gone"),
        "{o:?}"
    );
    std::fs::write(ns.state.join("pending"), stale).unwrap();
    let p = write_policy(&ns, "p", &host_policy(81));
    let o = ns.cli(&["commit", "-c", &p]);
    assert!(o.status.success(), "a stale marker blocked a commit: {o:?}");
    assert!(stderr(&o).contains("5f00-1"), "{o:?}");
    let o = ns.cli(&["status", "-c", &p]);
    assert!(o.status.success(), "{o:?}");
    assert!(stdout(&o).contains("5f00-1"), "{o:?}");
}

#[test]
fn kernel_cli_truncated_rollback_point_is_refused() {
    if !kernel_gate("kernel_cli_truncated_rollback_point_is_refused") {
        return;
    }
    let ns = Netns::new("torn");
    ns.docker_29();
    let p = write_policy(&ns, "p", &host_policy(82));
    assert!(ns.cli(&["commit", "-c", &p]).status.success());
    assert!(ns.cli(&["commit", "-c", EXAMPLE]).status.success());
    let file = ns.state.join("previous.rules");
    let full = std::fs::read_to_string(&file).unwrap();
    let cut = full.find("# family: ipv6\n").unwrap() + "# family: ipv6\n".len();
    std::fs::write(&file, &full[..cut]).unwrap();
    let before = ns.dump();
    let o = ns.cli(&["rollback"]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(stderr(&o).contains("truncated"), "{o:?}");
    assert_eq!(ns.dump(), before, "a truncated rollback point was applied");
}

#[test]
fn kernel_cli_state_of_another_netns_is_refused() {
    if !kernel_gate("kernel_cli_state_of_another_netns_is_refused") {
        return;
    }
    let a = Netns::new("owner-a");
    let b = Netns::new("owner-b");
    a.docker_29();
    b.docker_29();
    let p = write_policy(&a, "p", &host_policy(83));
    assert!(a.cli(&["commit", "-c", &p]).status.success());
    assert!(a.cli(&["commit", "-c", EXAMPLE]).status.success());
    let before = b.dump();
    for args in [vec!["rollback"], vec!["commit", "-c", EXAMPLE]] {
        let o = cli_in(&b, &args, &a.state, &[]);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {o:?}");
        assert!(stderr(&o).contains("holds the state of"), "{o:?}");
        assert_eq!(
            b.dump(),
            before,
            "{args:?} applied another namespace's state"
        );
    }
    // Its own namespace still works.
    let o = a.cli(&["rollback"]);
    assert!(o.status.success(), "{o:?}");
}

#[test]
fn kernel_cli_revert_shows_in_status_and_the_hint_names_the_state_dir() {
    if !kernel_gate("kernel_cli_revert_shows_in_status_and_the_hint_names_the_state_dir") {
        return;
    }
    let ns = Netns::new("visible");
    ns.docker_29();
    let before = ns.dump();
    let o = ns.cli(&["commit", "-c", EXAMPLE, "--confirm", "1"]);
    assert!(o.status.success(), "{o:?}");
    let hint = format!("dfw-cli confirm --state-dir {}`", ns.state.display());
    assert!(stdout(&o).contains(&hint), "{o:?}");
    let s = ns.cli(&["status", "-c", EXAMPLE]);
    assert!(stdout(&s).contains("awaits confirmation"), "{s:?}");
    let outcome = wait_outcome(&ns.state).expect("the watchdog did not act");
    assert!(outcome.ends_with(" reverted\n"), "{outcome}");
    assert_eq!(ns.dump(), before);
    let s = ns.cli(&["status", "-c", EXAMPLE]);
    assert_eq!(s.status.code(), Some(3), "{s:?}");
    assert!(
        stdout(&s).contains("was not confirmed in time: the watchdog reverted it at 20"),
        "{s:?}"
    );
}

#[test]
fn kernel_cli_huge_bad_value_makes_a_short_error() {
    if !kernel_gate("kernel_cli_huge_bad_value_makes_a_short_error") {
        return;
    }
    let ns = Netns::new("excerpt");
    let p = write_policy(
        &ns,
        "big",
        &format!(
            "[interfaces]\nexternal = [\"eth0\"]\n[[allow]]\nports = [\"{}\"]\n",
            "9".repeat(5_000_000)
        ),
    );
    for cmd in ["show", "commit"] {
        let o = ns.cli(&[cmd, "-c", &p]);
        assert_eq!(o.status.code(), Some(1), "{cmd}");
        assert!(o.stderr.len() < 1000, "{cmd}: {} bytes", o.stderr.len());
        assert!(stderr(&o).contains(":4:"), "{}", stderr(&o));
    }
}
