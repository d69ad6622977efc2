//! The real-Docker suite: real `dockerd` (Debian 12's 20.10, Debian 13's 26, Debian
//! unstable's 28 today), real containers, real TCP/UDP connections from an "internet" and a
//! LAN namespace, and the real `dfw-cli` binary; no simulation of Docker. Each test is one
//! (daemon, configuration) running every scenario of `scenarios.rs` in one daemon lifetime
//! (plus the restarts the scenarios need), inside private network namespaces only.
//!
//! The daemons come from `.ci/docker-daemons` (run by `.ci/setup`); without them, or without
//! root, the tests say they were skipped, and fail under `DFW_REQUIRE_KERNEL=1`. The tests
//! run one after another (one dockerd at a time keeps a loaded 2-core machine predictable);
//! each prints the daemon versions it ran and its timings.

mod scenarios;
mod support;

use std::sync::Mutex;
use std::time::Instant;

use support::daemons::{self, Daemon};
use support::dockerd::Mode;

/// One daemon at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn run(test: &str, daemon: &str, mode: Mode) {
    let Some(d) = daemons::find(test, daemon) else {
        return;
    };
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    run_with(test, d, mode);
}

fn run_with(test: &str, d: Daemon, mode: Mode) {
    let t0 = Instant::now();
    let mut r = scenarios::Run::start(test, d, mode);
    r.scenarios();
    support::announce(&format!("[{test}] total {:.1?}", t0.elapsed()));
    r.finish();
}

#[test]
fn docker_20_10_dual_stack() {
    run("docker_20_10_dual_stack", "docker-20.10", Mode::DualStack);
}

#[test]
fn docker_20_10_default() {
    run("docker_20_10_default", "docker-20.10", Mode::Default);
}

#[test]
fn docker_26_dual_stack() {
    run("docker_26_dual_stack", "docker-26", Mode::DualStack);
}

#[test]
fn docker_26_default() {
    run("docker_26_default", "docker-26", Mode::Default);
}

#[test]
fn docker_sid_dual_stack() {
    run("docker_sid_dual_stack", "docker-sid", Mode::DualStack);
}

#[test]
fn docker_sid_default() {
    run("docker_sid_default", "docker-sid", Mode::Default);
}

/// Docker 29's `firewall-backend: nftables`, once Debian unstable has Docker 29. While it
/// has an older Docker this test says so and checks nothing else.
#[test]
fn docker_sid_nftables_backend() {
    let test = "docker_sid_nftables_backend";
    let Some(d) = daemons::find(test, "docker-sid") else {
        return;
    };
    if d.major() < 29 {
        support::announce(&format!(
            "NOT RUN {test}: Debian unstable has Docker {} (the nftables backend is Docker 29's)",
            d.upstream()
        ));
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    run_with(test, d, Mode::Nftables);
}
