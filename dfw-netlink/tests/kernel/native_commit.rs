//! The Docker-29-nftables host before and after a dfw commit: Docker's nftables ruleset
//! (`sim-host.nft`) loaded with the real `nft -f` on the simulated host; `audit_with` lists
//! every published port with its reach, `explain_with` names the deciding rule in Docker's
//! table before the commit and in dfw's after it, and random plus published-port predictions
//! are checked with real connections at both stages.

use super::native_packets::compare;
use crate::support::docker::run_in;
use crate::support::evalsim::{live, policy::Lcg};
use crate::support::native::ruleset;

use dfw_core::eval::{audit_with, explain_with, Audit, Decision, Packet, Reach, TableRef};
use dfw_core::model::Family;
use dfw_core::policy::Policy;
use dfw_netlink::enforce;
use dfw_netlink::firewall::Firewall;
use dfw_netlink::native::read_native;
use dfw_netlink::sim::topology::*;
use dfw_netlink::sim::{write_sysctls, DockerHost, Side};
use dfw_netlink::transport::testkit::kernel_gate;
use dfw_netlink::transport::NetlinkTransport;

const POLICY: &str = r#"
[interfaces]
external = ["eth0"]

[policy]
default = "reject"

[[allow]]
ports = ["8080/tcp"]

[[allow]]
ports = ["5432/tcp"]
from = ["198.51.100.1-198.51.100.3"]
"#;

fn audit_now(h: &DockerHost) -> Audit {
    let (rs, host) = live(h, Family::Ipv4, &[EXTERNAL_IF]);
    let native = h
        .host()
        .run(|| read_native(&mut NetlinkTransport::open().expect("socket")).expect("native"))
        .expect("host namespace");
    audit_with(&rs, &native, &host)
}

/// (host port, reach on eth0) of every published port, sorted.
fn reaches(a: &Audit) -> Vec<(u16, Reach)> {
    let mut out: Vec<(u16, Reach)> = a
        .published
        .iter()
        .map(|p| {
            let e = p.exposure.iter().find(|e| e.iface == EXTERNAL_IF).unwrap();
            (p.host_ports[0].lo(), e.reach.clone())
        })
        .collect();
    out.sort_by_key(|(p, _)| *p);
    out
}

/// The table that decides a stranger's UDP datagram to the published DNS port.
fn dns_decider(h: &DockerHost) -> (dfw_core::eval::Verdict, Option<TableRef>) {
    let (rs, host) = live(h, Family::Ipv4, &[EXTERNAL_IF]);
    let native = h
        .host()
        .run(|| read_native(&mut NetlinkTransport::open().expect("socket")).expect("native"))
        .expect("host namespace");
    let pkt = Packet::udp(EXTERNAL_IF, STRANGER_V4, HOST_V4, DNS_PUBLISHED);
    let t = explain_with(&rs, &native, &pkt, &host).unwrap();
    let table = match t.decided_by {
        Some(Decision::Rule(r)) => Some(r.table),
        _ => None,
    };
    (t.verdict, table)
}

#[test]
fn kernel_docker_nftables_audit_before_and_after_commit() {
    if !kernel_gate("kernel_docker_nftables_audit_before_and_after_commit") {
        return;
    }
    let h = DockerHost::start().expect("simulated host");
    for side in [Side::Host, Side::Web, Side::Db] {
        let limits = [
            ("net/ipv4/icmp_ratelimit", "0"),
            ("net/ipv6/icmp/ratelimit", "0"),
        ];
        write_sysctls(h.ns(side), &limits).expect("sysctls");
    }
    run_in(h.host(), "nft", &["-f", "-"], &ruleset("sim-host")).unwrap_or_else(|e| panic!("{e}"));
    let mut rng = Lcg::new(0x0000_d0c2_9a11);
    let bridges = TableRef::Native(dfw_core::native::NftFamily::Ip, "docker-bridges".into());

    // Before: every published port open to everyone; Docker's table decides.
    let before = reaches(&audit_now(&h));
    assert_eq!(
        before,
        vec![
            (DNS_PUBLISHED, Reach::Everyone),
            (DB_PORT, Reach::Everyone),
            (WEB_PUBLISHED, Reach::Everyone)
        ]
    );
    let (v, table) = dns_decider(&h);
    assert!(v.is_accept(), "{v}");
    assert_eq!(table, Some(bridges.clone()));
    compare(&h, &mut rng, false, "Docker 29 nftables, before commit");

    let p = Policy::from_toml(POLICY, "test.toml").unwrap();
    let report = h
        .host()
        .run(|| enforce::commit_unguarded(&mut Firewall::open().unwrap(), &p))
        .unwrap()
        .unwrap();
    assert!(report.applied.committed);

    // After: 8080 for everyone, 5432 only from the range, 5353 for nobody; dfw's table decides.
    let after = reaches(&audit_now(&h));
    assert_eq!(after[2], (WEB_PUBLISHED, Reach::Everyone), "{after:#?}");
    assert!(
        matches!(after[1], (DB_PORT, Reach::Sources(_))),
        "{after:#?}"
    );
    assert_eq!(after[0], (DNS_PUBLISHED, Reach::Nobody), "{after:#?}");
    let (v, table) = dns_decider(&h);
    assert!(!v.is_accept(), "{v}");
    assert!(matches!(table, Some(TableRef::Xt(_))), "{table:?}");
    compare(&h, &mut rng, false, "Docker 29 nftables, after commit");
}
