//! Kernel test of the audit's sources named only in native tables: on the simulated host with
//! Docker 29's nftables ruleset (`sim-host.nft`), an admin's `inet` table lets the published
//! database port in only from a named interval set (`ip saddr != @allowed drop`) and the
//! published DNS port only from an anonymous set; no iptables rule names any of these
//! sources. `audit_with` must probe them (one member of the named set, the anonymous set's
//! member as a network) and report who reaches each port; every audit probe is then made
//! for real from its source address, and it reaches the container exactly when the
//! container answers.

use std::collections::HashSet;
use std::net::SocketAddr;

use crate::support::docker::run_in;
use crate::support::evalsim::{add_source, live};
use crate::support::native::ruleset;
use crate::support::probes::timeout_for;

use dfw_core::eval::{audit_with, Reach, SourceSet};
use dfw_core::model::{Family, Network, Protocol};
use dfw_core::native::NftFamily;
use dfw_netlink::native::read_native;
use dfw_netlink::sim::topology::*;
use dfw_netlink::sim::{write_sysctls, Check, DockerHost, Probe, Proto, Side};
use dfw_netlink::transport::testkit::kernel_gate;
use dfw_netlink::transport::NetlinkTransport;

const ADMIN: &str = r#"table inet admin {
	set allowed {
		type ipv4_addr
		flags interval
		elements = { 198.51.100.1-198.51.100.9, 192.0.2.48/29 }
	}

	chain forward {
		type filter hook forward priority -1; policy accept;
		ct state established,related accept
		iifname "eth0" tcp dport 5432 ip saddr != @allowed drop
		iifname "eth0" udp dport 53 ip saddr != { 198.51.100.200 } drop
	}
}
"#;

#[test]
fn kernel_audit_probes_sources_named_only_in_native_sets() {
    if !kernel_gate("kernel_audit_probes_sources_named_only_in_native_sets") {
        return;
    }
    let h = DockerHost::start().expect("simulated host");
    write_sysctls(h.host(), &[("net/ipv4/icmp_ratelimit", "0")]).expect("sysctls");
    run_in(h.host(), "nft", &["-f", "-"], &ruleset("sim-host")).unwrap_or_else(|e| panic!("{e}"));
    run_in(h.host(), "nft", &["-f", "-"], ADMIN).unwrap_or_else(|e| panic!("{e}"));
    let (rs, host) = live(&h, Family::Ipv4, &[EXTERNAL_IF]);
    let native = h
        .host()
        .run(|| read_native(&mut NetlinkTransport::open().expect("socket")).expect("native"))
        .expect("host namespace");
    let audit = audit_with(&rs, &native, &host);

    let reach = |port: u16| {
        let p = audit
            .published
            .iter()
            .find(|p| p.host_ports.first().map(|r| r.lo()) == Some(port))
            .unwrap_or_else(|| panic!("{port} not published: {audit:#?}"));
        let e = p.exposure.iter().find(|e| e.iface == EXTERNAL_IF).unwrap();
        (e.reach.clone(), e.probes.clone(), p.proto)
    };
    let allowed = SourceSet::NftSet {
        family: NftFamily::Inet,
        table: "admin".into(),
        set: "allowed".into(),
        members: 2,
    };
    let (db, _, _) = reach(DB_PORT);
    assert_eq!(db, Reach::Sources(vec![allowed]), "{audit:#?}");
    let (dns, _, _) = reach(DNS_PUBLISHED);
    let stranger = Network::with_prefix(STRANGER_V4, 32).unwrap();
    assert_eq!(dns, Reach::Sources(vec![SourceSet::Network(stranger)]));
    let (web, _, _) = reach(WEB_PUBLISHED);
    assert_eq!(web, Reach::Everyone);

    // Every probe for real.
    let mut added: HashSet<_> = INTERNET_SOURCES.into_iter().collect();
    added.insert(INET_GW_V4);
    let mut cases = Vec::new();
    for (port, service) in [
        (DB_PORT, "db"),
        (DNS_PUBLISHED, "db-dns"),
        (WEB_PUBLISHED, "web"),
    ] {
        let (_, probes, proto) = reach(port);
        for p in probes {
            let Some(reaches) = p.reaches else {
                panic!("{port}: unknown probe {p:?}")
            };
            if added.insert(p.addr) {
                add_source(&h, Side::Internet, p.addr);
            }
            let proto = match proto {
                Some(Protocol::UDP) => Proto::Udp,
                _ => Proto::Tcp,
            };
            let check = Check {
                from: Side::Internet,
                src: p.addr,
                proto,
                dst: SocketAddr::new(HOST_V4, port),
            };
            let want = if reaches {
                Probe::Open
            } else {
                Probe::TimedOut
            };
            cases.push((check, want, reaches, service, format!("{:?}", p.source)));
        }
    }
    assert!(cases.len() >= 7, "{}", cases.len());
    println!(
        "native sources: {} audit probes checked by real connections",
        cases.len()
    );
    let h = &h;
    std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .iter()
            .map(|(c, want, ..)| s.spawn(move || h.check(c, timeout_for(*want))))
            .collect();
        for (t, (c, _, reaches, service, source)) in handles.into_iter().zip(&cases) {
            let (_, greeting) = t.join().unwrap().expect("probe");
            let reached = greeting.is_some_and(|g| g.service == *service);
            assert_eq!(reached, *reaches, "{c} ({source})");
        }
    });
}
