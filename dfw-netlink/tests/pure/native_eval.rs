//! The evaluator on native tables decoded from the captured kernel dumps
//! (`dfw_core::eval::explain_with`): Docker 29's nftables ruleset of the simulated host,
//! Debian's drop policy and the firewalld-style table, on the simulated host's addresses.

use crate::support::native::captured_dumps;

use std::net::IpAddr;

use dfw_core::eval::{
    explain_with, Decision, Host, HostIface, IfaceKind, Packet, Route, TableRef, Verdict,
};
use dfw_core::model::{Family, Network, Ruleset};
use dfw_core::native::NftFamily;
use dfw_netlink::native::decode_dumps;
use dfw_netlink::sim::topology::*;

fn host() -> Host {
    let iface = |name: &str, kind, addrs: Vec<(IpAddr, u8)>| HostIface {
        name: name.into(),
        kind,
        addrs,
    };
    Host {
        sets: Default::default(),
        ifaces: vec![
            iface(
                "lo",
                IfaceKind::Loopback,
                vec![("127.0.0.1".parse().unwrap(), 8)],
            ),
            iface(
                EXTERNAL_IF,
                IfaceKind::External,
                vec![(HOST_V4, 24), (HOST_V6, 64)],
            ),
            iface(
                LAN_IF,
                IfaceKind::External,
                vec![(HOST_LAN_V4, 24), (HOST_LAN_V6, 64)],
            ),
            iface(
                BRIDGE,
                IfaceKind::Bridge,
                vec![(DOCKER0_V4, 16), (DOCKER0_V6, 64)],
            ),
        ],
        routes: vec![
            Route {
                dest: Network::with_prefix(IpAddr::from([0, 0, 0, 0]), 0).unwrap(),
                iface: EXTERNAL_IF.into(),
            },
            Route {
                dest: Network::with_prefix("::".parse().unwrap(), 0).unwrap(),
                iface: EXTERNAL_IF.into(),
            },
        ],
        forwarding: true,
        mark_rules: None,
    }
}

fn docker_table(at: &Option<Decision>) -> Option<(TableRef, String, usize)> {
    match at {
        Some(Decision::Rule(r)) => Some((r.table.clone(), r.chain.clone(), r.number)),
        _ => None,
    }
}

#[test]
fn docker_nftables_published_ports_are_open_and_the_rest_dropped() {
    let native = decode_dumps(&captured_dumps("sim-host")).unwrap();
    let rs = Ruleset::new(Family::Ipv4);
    let h = host();
    let bridges = TableRef::Native(NftFamily::Ip, "docker-bridges".into());
    // A stranger to the published web port: DNAT in Docker's nat chain, accepted by the
    // per-bridge forward chain.
    let t = explain_with(
        &rs,
        &native,
        &Packet::tcp_syn(EXTERNAL_IF, STRANGER_V4, HOST_V4, WEB_PUBLISHED),
        &h,
    )
    .unwrap();
    assert_eq!(t.verdict, Verdict::Accept, "{t:#?}");
    let dnat = t.dnat.as_ref().unwrap();
    assert_eq!((dnat.dst, dnat.port), (WEB_V4, Some(WEB_PORT)));
    assert_eq!(dnat.rule.table, bridges);
    assert_eq!(
        docker_table(&t.decided_by),
        Some((bridges.clone(), "filter-forward-in__docker0".into(), 3))
    );
    // Straight to the container's unpublished port: "UNPUBLISHED PORT DROP"... but first the
    // raw chain's "DROP DIRECT ACCESS".
    let t = explain_with(
        &rs,
        &native,
        &Packet::tcp_syn(EXTERNAL_IF, STRANGER_V4, WEB_V4, 22),
        &h,
    )
    .unwrap();
    assert_eq!(t.verdict, Verdict::Drop);
    assert_eq!(
        docker_table(&t.decided_by),
        Some((bridges.clone(), "raw-PREROUTING".into(), 1))
    );
    // UDP 5353 -> 172.17.0.3:53.
    let t = explain_with(
        &rs,
        &native,
        &Packet::udp(EXTERNAL_IF, STRANGER_V4, HOST_V4, DNS_PUBLISHED),
        &h,
    )
    .unwrap();
    assert_eq!(t.verdict, Verdict::Accept);
    assert_eq!(
        t.dnat.map(|d| (d.dst, d.port)),
        Some((DB_V4, Some(DNS_PORT)))
    );
    // The host's own port: no native rule at input, accepted.
    let t = explain_with(
        &rs,
        &native,
        &Packet::tcp_syn(EXTERNAL_IF, STRANGER_V4, HOST_V4, HOST_SSH),
        &h,
    )
    .unwrap();
    assert_eq!(t.verdict, Verdict::Accept);
    // IPv6: only 8080 is published.
    let rs6 = Ruleset::new(Family::Ipv6);
    let t = explain_with(
        &rs6,
        &native,
        &Packet::tcp_syn(EXTERNAL_IF, STRANGER_V6, HOST_V6, WEB_PUBLISHED),
        &h,
    )
    .unwrap();
    assert_eq!(t.verdict, Verdict::Accept, "{t:#?}");
    assert_eq!(
        t.dnat.map(|d| (d.dst, d.port)),
        Some((WEB_V6, Some(WEB_PORT)))
    );
}

#[test]
fn debian_drop_policy_and_firewalld_zones() {
    let debian = decode_dumps(&captured_dumps("debian-drop")).unwrap();
    let rs = Ruleset::new(Family::Ipv4);
    let h = host();
    let ssh = explain_with(
        &rs,
        &debian,
        &Packet::tcp_syn(EXTERNAL_IF, STRANGER_V4, HOST_V4, HOST_SSH),
        &h,
    )
    .unwrap();
    assert_eq!(ssh.verdict, Verdict::Accept, "{ssh:#?}");
    let app = explain_with(
        &rs,
        &debian,
        &Packet::tcp_syn(EXTERNAL_IF, STRANGER_V4, HOST_V4, HOST_APP),
        &h,
    )
    .unwrap();
    assert_eq!(app.verdict, Verdict::Drop, "{app:#?}");
    let fw = decode_dumps(&captured_dumps("firewalld-style")).unwrap();
    // public zone: ssh allowed, 9999 rejected; internal zone (eth1): 9999 allowed.
    let t = explain_with(
        &rs,
        &fw,
        &Packet::tcp_syn(EXTERNAL_IF, STRANGER_V4, HOST_V4, HOST_SSH),
        &h,
    )
    .unwrap();
    assert_eq!(t.verdict, Verdict::Accept, "{t:#?}");
    let t = explain_with(
        &rs,
        &fw,
        &Packet::tcp_syn(EXTERNAL_IF, STRANGER_V4, HOST_V4, HOST_APP),
        &h,
    )
    .unwrap();
    assert!(matches!(t.verdict, Verdict::Reject(_)), "{t:#?}");
    let t = explain_with(
        &rs,
        &fw,
        &Packet::tcp_syn(LAN_IF, LAN_CLIENT_V4, HOST_LAN_V4, HOST_APP),
        &h,
    )
    .unwrap();
    assert_eq!(t.verdict, Verdict::Accept, "{t:#?}");
    // The forward port 2222 -> 172.17.0.2:80 on the public zone.
    let t = explain_with(
        &rs,
        &fw,
        &Packet::tcp_syn(EXTERNAL_IF, STRANGER_V4, HOST_V4, 2222),
        &h,
    )
    .unwrap();
    assert_eq!(t.verdict, Verdict::Accept, "{t:#?}");
    assert_eq!(
        t.dnat.map(|d| (d.dst, d.port)),
        Some((WEB_V4, Some(WEB_PORT)))
    );
}

#[test]
fn audit_finds_dockers_nftables_published_ports() {
    use dfw_core::eval::{audit_with, Reach};
    let native = decode_dumps(&captured_dumps("sim-host")).unwrap();
    let a = audit_with(&Ruleset::new(Family::Ipv4), &native, &host());
    let mut found: Vec<(Option<u8>, u16, String)> = a
        .published
        .iter()
        .map(|p| {
            let reach = &p
                .exposure
                .iter()
                .find(|e| e.iface == EXTERNAL_IF)
                .unwrap()
                .reach;
            assert_eq!(*reach, Reach::Everyone, "{p:#?}");
            (
                p.proto.map(|x| x.number()),
                p.host_ports[0].lo(),
                p.rule.table.to_string(),
            )
        })
        .collect();
    found.sort();
    let bridges = "ip docker-bridges".to_string();
    assert_eq!(
        found,
        vec![
            (Some(6), DB_PORT, bridges.clone()),
            (Some(6), WEB_PUBLISHED, bridges.clone()),
            (Some(17), DNS_PUBLISHED, bridges)
        ]
    );
    let a6 = audit_with(&Ruleset::new(Family::Ipv6), &native, &host());
    assert_eq!(a6.published.len(), 1);
}

#[test]
fn docker_nftables_mode_is_detected_and_a_leftover_forward_drop_reported() {
    use dfw_core::native::docker::{docker_notes, docker_tables};
    let native = decode_dumps(&captured_dumps("sim-host")).unwrap();
    assert_eq!(
        docker_tables(&native),
        vec!["ip docker-bridges", "ip6 docker-bridges"]
    );
    let notes = docker_notes(&Ruleset::new(Family::Ipv4), &native);
    assert_eq!(notes.len(), 1, "{notes:?}");
    let text = notes[0].to_string();
    assert!(text.contains("nftables backend") && text.contains("no DOCKER-USER"));
    assert_eq!(
        notes[0],
        dfw_core::native::docker::DockerNote::Backend {
            family: Family::Ipv4,
            table: "ip docker-bridges".into(),
            docker_user: false,
        }
    );
    let leftover = dfw_core::syntax::parse_ruleset(
        Family::Ipv4,
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n",
    )
    .unwrap();
    let notes = docker_notes(&leftover, &native);
    assert!(
        notes[1].to_string().contains("FORWARD has policy DROP"),
        "{notes:?}"
    );
    // The leftover drop is final: a stranger's connection to the published port dies there.
    let t = explain_with(
        &leftover,
        &native,
        &Packet::tcp_syn(EXTERNAL_IF, STRANGER_V4, HOST_V4, WEB_PUBLISHED),
        &host(),
    )
    .unwrap();
    assert_eq!(t.verdict, Verdict::Drop);
    let debian = decode_dumps(&captured_dumps("debian-drop")).unwrap();
    assert!(docker_notes(&leftover, &debian).is_empty());
}

#[test]
fn router_mode_pairs_docker_drops_are_named() {
    use dfw_core::native::docker::blocked_forward_pairs;
    use dfw_core::native::ChainPolicy;
    let mut native = decode_dumps(&captured_dumps("sim-host")).unwrap();
    let pairs = vec![(LAN_IF.to_string(), EXTERNAL_IF.to_string())];
    assert!(blocked_forward_pairs(&native, Family::Ipv4, &pairs).is_empty());
    // Docker sets filter-FORWARD's policy to drop when it enabled forwarding itself.
    for t in &mut native.tables {
        for c in &mut t.chains {
            if let Some(b) = c
                .base
                .as_mut()
                .filter(|b| b.hook == dfw_core::model::Hook::Forward)
            {
                b.policy = ChainPolicy::Drop;
            }
        }
    }
    let named = blocked_forward_pairs(&native, Family::Ipv4, &pairs);
    assert_eq!(named.len(), 1);
    let text = named[0].to_string();
    assert!(text.contains("eth1 -> eth0"), "{named:?}");
    assert!(
        text.contains("ip docker-bridges filter-FORWARD"),
        "{named:?}"
    );
    // The evaluator agrees: the LAN's connection to the internet dies in Docker's chain.
    let t = explain_with(
        &Ruleset::new(Family::Ipv4),
        &native,
        &Packet::tcp_syn(LAN_IF, LAN_CLIENT_V4, INET_GW_V4, 443),
        &host(),
    )
    .unwrap();
    assert_eq!(t.verdict, Verdict::Drop);
    assert_eq!(
        docker_table(&t.decided_by),
        None,
        "decided by the policy of Docker's chain: {:?}",
        t.decided_by
    );
}

#[test]
fn pairs_into_a_bridge_need_dockers_accept_mark() {
    use dfw_core::native::docker::{forward_pair_notes, DockerNote};
    use dfw_core::native::{CmpOp, Data, Expr as E, Rule as R, Verdict as V};
    let mut native = decode_dumps(&captured_dumps("sim-host")).unwrap();
    let pairs = vec![
        (LAN_IF.to_string(), "docker0".to_string()),
        ("docker0".to_string(), EXTERNAL_IF.to_string()),
    ];
    // Docker without --bridge-accept-fwmark: the pair into docker0 reaches only published
    // ports; the pair out of it is Docker's OUTGOING.
    let n = forward_pair_notes(&native, Family::Ipv4, &pairs, Some((0x100, 0xff00)));
    assert!(
        matches!(
            &n[..],
            [DockerNote::ForwardNeedsMark {
                docker_mark: None,
                ..
            }]
        ),
        "{n:?}"
    );
    assert!(
        n[0].to_string().contains("--bridge-accept-fwmark"),
        "{}",
        n[0]
    );
    // Docker's `meta mark & 0x0000ff00 == 0x00000100 counter accept comment "ALLOW FW MARK"`.
    let t = native
        .tables
        .iter_mut()
        .find(|t| t.name == "docker-bridges" && t.family == dfw_core::native::NftFamily::Ip)
        .unwrap();
    let c = t
        .chains
        .iter_mut()
        .find(|c| c.name == "filter-forward-in__docker0")
        .unwrap();
    c.rules.insert(
        1,
        R {
            handle: 999,
            exprs: vec![
                E::Meta { key: 3, dreg: 1 },
                E::Bitwise {
                    sreg: 1,
                    dreg: 1,
                    len: 4,
                    mask: 0xff00u32.to_ne_bytes().to_vec(),
                    xor: vec![0; 4],
                },
                E::Cmp {
                    sreg: 1,
                    op: CmpOp::Eq,
                    data: 0x100u32.to_ne_bytes().to_vec(),
                },
                E::Counter {
                    packets: 0,
                    bytes: 0,
                },
                E::Immediate {
                    dreg: 0,
                    data: Data::Verdict(V::Accept),
                },
            ],
            comment: Some("ALLOW FW MARK".into()),
        },
    );
    for (dfw, ok) in [
        (None, false),
        (Some((0x100, 0xff00)), true),
        (Some((0x100, u32::MAX)), true),
        (Some((0x200, 0xff00)), false),
        (Some((0x100, 0x0f00)), false),
    ] {
        let n = forward_pair_notes(&native, Family::Ipv4, &pairs, dfw);
        assert_eq!(n.is_empty(), ok, "{dfw:?}: {n:?}");
        if let Some(DockerNote::ForwardNeedsMark { docker_mark, .. }) = n.first() {
            assert_eq!(docker_mark.as_deref(), Some("0x100/0xff00"));
        }
    }
}
