//! Kernel tests of the simulated dockerd restart (test support, `support/restart.rs`): after
//! it, Docker's rules are as before, `FORWARD -j DOCKER-USER` is first, and what others put in
//! DOCKER-USER is kept. Uses the real iptables tools inside the simulated host (test oracle).

use crate::support;

use std::net::SocketAddr;

use dfw_netlink::sim::topology::*;
use dfw_netlink::sim::{DockerHost, Probe, Side};
use dfw_netlink::transport::testkit::kernel_gate;

use support::{load_fixture, normalized_save, run_in, simulate_docker_restart, Fixture};

fn restart_keeps_rules(fixture: Fixture) {
    let h = DockerHost::start().unwrap();
    load_fixture(h.host(), fixture);
    let ipt = fixture.iptables();
    let ns = h.host();
    for args in [
        &["-N", "DFW-TEST"][..],
        &["-A", "DFW-TEST", "-j", "RETURN"],
        &["-I", "DOCKER-USER", "-j", "DFW-TEST"],
    ] {
        run_in(ns, ipt, args, "").unwrap();
    }
    let before = normalized_save(ns, fixture.is_v6());
    simulate_docker_restart(ns, fixture).unwrap();
    let after = normalized_save(ns, fixture.is_v6());
    assert_eq!(before, after);
    let forward = run_in(ns, ipt, &["-S", "FORWARD"], "").unwrap();
    assert_eq!(forward.lines().nth(1), Some("-A FORWARD -j DOCKER-USER"));
    let (src, dst) = if fixture.is_v6() {
        (STRANGER_V6, HOST_V6)
    } else {
        (STRANGER_V4, HOST_V4)
    };
    let p = h
        .tcp_probe(
            Side::Internet,
            src,
            SocketAddr::new(dst, WEB_PUBLISHED),
            crate::support::probes::ANSWER,
        )
        .unwrap();
    assert_eq!(p, Probe::Open);
}

#[test]
fn kernel_sim_restart_docker29_v4() {
    if kernel_gate("kernel_sim_restart_docker29_v4") {
        restart_keeps_rules(Fixture::Docker29V4);
    }
}

#[test]
fn kernel_sim_restart_docker27_v4() {
    if kernel_gate("kernel_sim_restart_docker27_v4") {
        restart_keeps_rules(Fixture::Docker27V4);
    }
}

#[test]
fn kernel_sim_restart_docker29_v6() {
    if kernel_gate("kernel_sim_restart_docker29_v6") {
        restart_keeps_rules(Fixture::Docker29V6);
    }
}
