//! Neighbours that reload everything remove dfw's rules; the watch repairs them and leaves
//! the neighbours' rules as they were. The saved rules (what `netfilter-persistent save`
//! would have written before dfw: Docker's rules, an admin's rule dfw cannot decode and a
//! CrowdSec-style set match) are loaded back with `netfilter-persistent reload` and with
//! `iptables-restore` without `-n`, while dfw's watch runs.
//!
//! netfilter-persistent cannot be installed next to ufw (Debian 12's ufw Breaks it), so
//! `.ci/setup` extracts Debian 12's netfilter-persistent and iptables-persistent into
//! `/var/cache/dfw-neighbours` (`DFW_NEIGHBOURS_CACHE`); their unmodified scripts run here in
//! a private mount namespace where read-only overlays add the plugins to `/usr/share` and the
//! saved rules to `/etc/iptables`, inside the host namespace: the machine's `/etc` and
//! `/usr` are never written.

use std::path::PathBuf;

use dfw_core::model::Family;
use dfw_netlink::sim::topology::*;
use dfw_netlink::sim::{DockerHost, NetNs, Probe};

use super::lab::{
    assert_same_lines, commit, connect, others_save, sh, tcp, with_watch, MachineRuleset, TempDir,
};
use crate::support::{load_fixture, Fixture};

/// Where `.ci/setup` extracted netfilter-persistent.
fn persistent_root() -> PathBuf {
    let cache = std::env::var("DFW_NEIGHBOURS_CACHE")
        .unwrap_or_else(|_| "/var/cache/dfw-neighbours".to_string());
    PathBuf::from(cache).join("root")
}

/// Docker 29 plus the neighbours' rules, and what netfilter-persistent saved of them in
/// `dir/etc/iptables`.
fn saved_host(h: &DockerHost, dir: &TempDir) {
    let ns = h.host();
    load_fixture(ns, Fixture::Docker29V4);
    load_fixture(ns, Fixture::Docker29V6);
    sh(ns, "ipset create crowdsec-blacklists hash:ip");
    sh(ns, "ipset add crowdsec-blacklists 192.0.2.50");
    sh(
        ns,
        "iptables -I DOCKER-USER 1 -m set --match-set crowdsec-blacklists src -j DROP",
    );
    sh(
        ns,
        "iptables -A INPUT -m string --algo bm --string EVIL -j DROP",
    );
    sh(
        ns,
        "ip6tables -A DOCKER-USER -m string --algo bm --string EVIL -j DROP",
    );
    let etc = dir.path().join("etc/iptables");
    std::fs::create_dir_all(&etc).unwrap();
    let e = etc.display();
    sh(
        ns,
        &format!("iptables-save > {e}/rules.v4 && ip6tables-save > {e}/rules.v6"),
    );
}

/// `netfilter-persistent reload` inside `ns` (see the module contract).
fn netfilter_persistent_reload(ns: &NetNs, dir: &TempDir) {
    let root = persistent_root();
    let (r, d) = (root.display(), dir.path().display());
    sh(
        ns,
        &format!(
            "unshare --mount --propagation private sh -c '\
             mount -t overlay overlay -o lowerdir={r}/usr/share:/usr/share /usr/share && \
             mount -t overlay overlay -o lowerdir={d}/etc:/etc /etc && \
             {r}/usr/sbin/netfilter-persistent reload'"
        ),
    );
}

#[test]
fn kernel_reloading_neighbours_under_the_watch() {
    let test = "kernel_reloading_neighbours";
    if !dfw_netlink::transport::testkit::kernel_gate(test) {
        return;
    }
    let script = persistent_root().join("usr/sbin/netfilter-persistent");
    if !script.exists() {
        let why = format!("{} is missing: run .ci/setup", script.display());
        if std::env::var("DFW_REQUIRE_KERNEL").as_deref() == Ok("1") {
            panic!("{test}: {why}");
        }
        println!("SKIPPED {test}: {why}");
        return;
    }
    let machine = MachineRuleset::read();
    let h = DockerHost::start().expect("simulated host");
    let ns = h.host();
    let dir = TempDir::new(test);
    saved_host(&h, &dir);
    commit(ns, dir.path());
    let before = [others_save(ns, Family::Ipv4), others_save(ns, Family::Ipv6)];
    let cases = [
        (tcp(STRANGER_V4, HOST_V4, WEB_PUBLISHED), Probe::Open),
        (tcp(STRANGER2_V4, HOST_V4, WEB_PUBLISHED), Probe::TimedOut),
        (tcp(STRANGER_V4, HOST_V4, DB_PORT), Probe::Refused),
        (tcp(STRANGER_V6, HOST_V6, WEB_PUBLISHED), Probe::Open),
    ];
    let same = |what: &str| {
        for (i, family) in [Family::Ipv4, Family::Ipv6].into_iter().enumerate() {
            let after = others_save(ns, family);
            assert_same_lines(&before[i], &after, &format!("{family} rules after {what}"));
        }
    };
    with_watch(ns, &dir, |lab| {
        lab.wait_repaired("the watch's start");
        lab.forget_repairs();
        netfilter_persistent_reload(ns, &dir);
        lab.wait_repair_of("netfilter-persistent reload");
        same("netfilter-persistent reload");
        connect(&h, &cases, "after netfilter-persistent reload");
        let d = dir.path().display();
        sh(
            ns,
            &format!(
                "iptables-restore < {d}/etc/iptables/rules.v4 && \
                 ip6tables-restore < {d}/etc/iptables/rules.v6"
            ),
        );
        lab.wait_repair_of("iptables-restore without -n");
        same("iptables-restore without -n");
        connect(&h, &cases, "after iptables-restore without -n");
    });
    drop(h);
    machine.unchanged();
}
