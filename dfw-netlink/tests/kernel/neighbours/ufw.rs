//! ufw (Debian 12's 0.36.2), enabled in the simulated Docker host with an allow and a rate
//! limit, next to dfw: commit, status, audit and the watch through `ufw reload`, checked
//! with real connections. ufw runs with `--rootdir=/ --datadir=TMP`: its configuration (a
//! copy of the package's `/etc/ufw` and `/etc/default/ufw`, sysctl file emptied) and its lock
//! live in a temporary directory, and every command runs inside the host namespace.

use dfw_core::model::Family;
use dfw_netlink::sim::topology::*;
use dfw_netlink::sim::{DockerHost, NetNs, Probe};

use dfw_core::eval::{Reach, SourceSet};

use super::lab::{
    assert_same_lines, audit_of, commit, connect, in_sync, others_save, published_reach, sh, tcp,
    with_watch, MachineRuleset, TempDir,
};
use crate::support::{load_fixture, Fixture};

/// ufw with its configuration in a temporary directory.
pub struct Ufw {
    dir: TempDir,
}

impl Ufw {
    /// A private copy of the package's configuration.
    pub fn new(test: &str) -> Self {
        let dir = TempDir::new(&format!("{test}-ufw"));
        let d = dir.path().display().to_string();
        let setup = format!(
            "mkdir -p {d}/etc/default {d}/lib/ufw && cp -a /etc/ufw {d}/etc/ && \
             cp /etc/default/ufw {d}/etc/default/ufw && : > {d}/sysctl.conf && \
             sed -i 's|^IPT_SYSCTL=.*|IPT_SYSCTL={d}/sysctl.conf|' {d}/etc/default/ufw"
        );
        let out = std::process::Command::new("sh")
            .args(["-c", &setup])
            .status()
            .unwrap();
        assert!(out.success(), "{setup}");
        Ufw { dir }
    }

    /// `ufw ARGS` inside `ns`.
    pub fn run(&self, ns: &NetNs, args: &str) -> String {
        let d = self.dir.path().display();
        sh(ns, &format!("ufw --rootdir=/ --datadir={d} {args} 2>&1"))
    }
}

#[test]
fn kernel_ufw_enabled_and_reloaded_next_to_dfw() {
    let test = "kernel_ufw_next_to_dfw";
    if !dfw_netlink::transport::testkit::kernel_gate(test) {
        return;
    }
    let machine = MachineRuleset::read();
    let h = DockerHost::start().expect("simulated host");
    let ns = h.host();
    load_fixture(ns, Fixture::Docker29V4);
    load_fixture(ns, Fixture::Docker29V6);
    let ufw = Ufw::new(test);
    ufw.run(ns, "--force enable");
    ufw.run(ns, "allow 9999/tcp");
    ufw.run(ns, "limit 22/tcp");
    // ufw 0.36.2 adds a new IPv6 limit rule's ufw6-user-limit chain contents only at the next
    // reload: reload once, so its live rules are what its files say.
    ufw.run(ns, "reload");
    let state = TempDir::new(test);
    commit(ns, state.path());
    assert!(in_sync(ns));
    let cases = [
        // Docker's published ports: dfw decides (8080 open to everyone, 5432 refused).
        (tcp(STRANGER_V4, HOST_V4, WEB_PUBLISHED), Probe::Open),
        (tcp(STRANGER_V4, HOST_V4, DB_PORT), Probe::Refused),
        (tcp(STRANGER_V6, HOST_V6, WEB_PUBLISHED), Probe::Open),
        // The host's own ports: ufw decides (allow, limit, default deny).
        (tcp(STRANGER_V4, HOST_V4, HOST_APP), Probe::Open),
        (tcp(STRANGER_V4, HOST_V4, HOST_SSH), Probe::Open),
        (tcp(STRANGER_V4, HOST_V4, 4444), Probe::TimedOut),
        (tcp(STRANGER_V6, HOST_V6, HOST_APP), Probe::Open),
        (tcp(STRANGER_V6, HOST_V6, 4444), Probe::TimedOut),
    ];
    connect(&h, &cases, "ufw and dfw");
    // The audit reads ufw's rules (rate limits, recent, addrtype...) and still knows who
    // reaches what dfw decides.
    let a = audit_of(ns, Family::Ipv4);
    assert_eq!(published_reach(&a, WEB_PUBLISHED), Some(Reach::Everyone));
    assert_eq!(published_reach(&a, DB_PORT), Some(Reach::Nobody));
    // IPv6: Docker does not DNAT link-local sources (`! -s fe80::/10`): their packets to the
    // host's 8080 meet ufw's INPUT chains (its `-m rt --rt-type 0` rule decoded), whose
    // default deny refuses them. Everyone else reaches the container.
    let a6 = audit_of(ns, Family::Ipv6);
    let link_local = dfw_core::model::Network::with_prefix("fe80::".parse().unwrap(), 10).unwrap();
    match published_reach(&a6, WEB_PUBLISHED) {
        Some(Reach::EveryoneExcept(sets)) => {
            for set in &sets {
                let within = match set {
                    SourceSet::Lan(n) | SourceSet::Network(n) => link_local.contains(&n.addr()),
                    _ => false,
                };
                assert!(within, "IPv6 8080: refused to {set:?}: {sets:?}");
            }
        }
        other => panic!("IPv6 8080: {other:?}"),
    }
    let before = [others_save(ns, Family::Ipv4), others_save(ns, Family::Ipv6)];
    with_watch(ns, &state, |lab| {
        lab.wait_repaired("the watch's start");
        // ufw reload: its chains rebuilt, its jumps deleted and appended again.
        ufw.run(ns, "reload");
        lab.wait_repaired("ufw reload");
        ufw.run(ns, "disable");
        ufw.run(ns, "--force enable");
        lab.wait_repaired("ufw disable, enable");
    });
    for (i, family) in [Family::Ipv4, Family::Ipv6].into_iter().enumerate() {
        let after = others_save(ns, family);
        assert_same_lines(
            &before[i],
            &after,
            &format!("{family} ufw's and Docker's rules"),
        );
    }
    connect(&h, &cases, "ufw and dfw after ufw reload");
    drop(h);
    machine.unchanged();
}
