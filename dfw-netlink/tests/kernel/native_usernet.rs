//! Kernel test of the evaluator on moby's six `usernet-*` nftables rulesets (Docker 29's
//! `"firewall-backend": "nftables"` with user-defined networks, `testdata/nftables/docker29/`):
//! the simulated host gets the bridges each ruleset names (`bridge1` 192.0.2.0/24 with the
//! container 192.0.2.2 serving TCP 80, which the rulesets publish as host port 8080;
//! `bridgeICC` and `bridgeNoICC`, internal networks, with one container each), every ruleset
//! is loaded in turn with the real `nft -f`, and for every (source, destination) pair of a
//! fixed grid `explain_with`'s prediction must be what a real connection does, and every
//! probe of `audit_with` for the published port must reach the container exactly when a real
//! connection from its source does (the container's greeting says who answered). No retry,
//! no settling time.
//!
//! Not in the grid, because the firewall does not decide them: a container to another
//! address of its own bridge (bridged, not routed: no IP hook runs without br_netfilter), and
//! a DNAT to the source's own bridge from another address of it (the reply is bridged
//! straight back, so the connection fails whatever the verdict).

use std::net::{IpAddr, SocketAddr};

use crate::support::docker::{load_fixture, run_in, Fixture};
use crate::support::evalsim::policy::{random_policy, Lcg};
use crate::support::evalsim::{add_source, live};
use crate::support::native::ruleset;
use crate::support::probes::timeout_for;

use dfw_core::eval::{audit_with, explain_with, Audit, Packet, RouteDecision, Trace, Verdict};
use dfw_core::model::Family;
use dfw_netlink::native::read_native;
use dfw_netlink::sim::topology::*;
use dfw_netlink::sim::{
    tcp_greeting, udp_greeting, write_sysctls, DockerHost, NetNs, Probe, Proto, Rtnl, Side,
    UserContainer, UserNet, UserNets,
};
use dfw_netlink::transport::testkit::kernel_gate;
use dfw_netlink::transport::NetlinkTransport;

const fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(std::net::Ipv4Addr::new(a, b, c, d))
}

/// The container moby's rulesets publish (`dnat to 192.0.2.2:80`).
pub(crate) const USER1: UserContainer = UserContainer {
    name: "user1",
    addr: v4(192, 0, 2, 2),
    tcp: &[80],
};
/// A container of the internal network with inter-container communication.
pub(crate) const ICC1: UserContainer = UserContainer {
    name: "icc1",
    addr: v4(172, 18, 0, 2),
    tcp: &[80],
};
/// A container of the internal network without it.
pub(crate) const NOICC1: UserContainer = UserContainer {
    name: "noicc1",
    addr: v4(172, 19, 0, 2),
    tcp: &[80],
};

/// Every bridge the six rulesets name (they never need more than these at once).
pub(crate) const NETS: [UserNet; 3] = [
    UserNet {
        bridge: "bridge1",
        gateway: v4(192, 0, 2, 1),
        prefix: 24,
        containers: &[USER1],
    },
    UserNet {
        bridge: "bridgeICC",
        gateway: v4(172, 18, 0, 1),
        prefix: 16,
        containers: &[ICC1],
    },
    UserNet {
        bridge: "bridgeNoICC",
        gateway: v4(172, 19, 0, 1),
        prefix: 16,
        containers: &[NOICC1],
    },
];

/// Where a probe starts: a label, its namespace, its source address and the host interface
/// its packets arrive on.
#[derive(Clone, Copy)]
struct From<'a> {
    label: &'static str,
    ns: &'a NetNs,
    src: IpAddr,
    iface: &'static str,
}

fn sources<'a>(h: &'a DockerHost, u: &'a UserNets) -> Vec<From<'a>> {
    let mut out = vec![
        From {
            label: "internet",
            ns: h.ns(Side::Internet),
            src: STRANGER_V4,
            iface: EXTERNAL_IF,
        },
        From {
            label: "internet",
            ns: h.ns(Side::Internet),
            src: INET_GW_V4,
            iface: EXTERNAL_IF,
        },
        From {
            label: "lan",
            ns: h.ns(Side::Lan),
            src: LAN_CLIENT_V4,
            iface: LAN_IF,
        },
        From {
            label: "web",
            ns: h.ns(Side::Web),
            src: WEB_V4,
            iface: BRIDGE,
        },
    ];
    for net in &NETS {
        for c in net.containers {
            out.push(From {
                label: c.name,
                ns: u.ns(c.name).expect("container"),
                src: c.addr,
                iface: net.bridge,
            });
        }
    }
    out
}

fn destinations() -> Vec<(Proto, SocketAddr)> {
    let tcp = |a, p| (Proto::Tcp, SocketAddr::new(a, p));
    vec![
        tcp(HOST_V4, WEB_PUBLISHED),
        tcp(HOST_V4, WEB_PORT),
        tcp(HOST_V4, HOST_SSH),
        (Proto::Udp, SocketAddr::new(HOST_V4, DNS_PUBLISHED)),
        tcp(HOST_LAN_V4, WEB_PUBLISHED),
        tcp(DOCKER0_V4, WEB_PUBLISHED),
        tcp(NETS[0].gateway, WEB_PUBLISHED),
        tcp(USER1.addr, 80),
        tcp(USER1.addr, 81),
        tcp(WEB_V4, WEB_PORT),
        tcp(DB_V4, DB_PORT),
        tcp(ICC1.addr, 80),
        tcp(NOICC1.addr, 80),
        tcp(INET_GW_V4, INET_HTTPS),
    ]
}

/// The bridge of a user-network or default-bridge address.
fn bridge_of(addr: IpAddr) -> Option<&'static str> {
    if let Some(n) = NETS.iter().find(|n| n.contains(addr)) {
        return Some(n.bridge);
    }
    [WEB_V4, DB_V4, DOCKER0_V4]
        .contains(&addr)
        .then_some(BRIDGE)
}

/// The service listening at `addr:port` (`None`: the host itself), by its greeting's name.
fn listener(u: &UserNets, addr: Option<IpAddr>, proto: Proto, port: u16) -> Option<&'static str> {
    let tcp = proto == Proto::Tcp;
    match addr {
        None if tcp && port == HOST_SSH => Some("host-ssh"),
        None if tcp && port == HOST_APP => Some("host-app"),
        None => None,
        Some(a) if a == WEB_V4 => (tcp && port == WEB_PORT).then_some("web"),
        Some(a) if a == DB_V4 && tcp => (port == DB_PORT).then_some("db"),
        Some(a) if a == DB_V4 => (port == DNS_PORT).then_some("db-dns"),
        Some(a) if a == INET_GW_V4 => (tcp && port == INET_HTTPS).then_some("internet-https"),
        Some(a) if a == LAN_CLIENT_V4 => (tcp && port == HOST_SSH).then_some("lan-ssh"),
        Some(a) => u
            .owner(a)
            .filter(|c| tcp && c.tcp.contains(&port))
            .map(|c| c.name),
    }
}

/// What a real connection must do given the trace, with the service that must answer when
/// it opens; `None` when the verdict is unknown.
fn expected(
    u: &UserNets,
    t: &Trace,
    proto: Proto,
    dst: SocketAddr,
) -> Option<(Probe, Option<&'static str>)> {
    match &t.verdict {
        Verdict::Unknown(_) => None,
        Verdict::Drop => Some((Probe::TimedOut, None)),
        Verdict::Reject(_) => Some((Probe::Refused, None)),
        Verdict::Accept => {
            let (addr, port) = match &t.dnat {
                Some(d) => (d.dst, d.port.unwrap_or(dst.port())),
                None => (dst.ip(), dst.port()),
            };
            let service = match t.route.as_ref() {
                Some(RouteDecision::Local) => listener(u, None, proto, port),
                Some(RouteDecision::Forward(_)) => listener(u, Some(addr), proto, port),
                _ => None,
            };
            Some(match service {
                Some(s) => (Probe::Open, Some(s)),
                None => (Probe::Refused, None),
            })
        }
    }
}

/// One real connection; the outcome and the service that answered.
fn connect(from: &From<'_>, proto: Proto, dst: SocketAddr, want: Probe) -> (Probe, Option<String>) {
    let r = match proto {
        Proto::Tcp => tcp_greeting(from.ns, from.src, dst, timeout_for(want)),
        Proto::Udp => udp_greeting(from.ns, from.src, dst, timeout_for(want)),
    };
    let (p, g) = r.unwrap_or_else(|e| panic!("{} {} -> {dst}: {e}", from.label, from.src));
    (p, g.map(|g| g.service))
}

/// Runs every case concurrently; the outcomes in order.
fn connect_all(cases: &[(From<'_>, Proto, SocketAddr, Probe)]) -> Vec<(Probe, Option<String>)> {
    std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .iter()
            .map(|(f, p, d, w)| s.spawn(move || connect(f, *p, *d, *w)))
            .collect();
        handles
            .into_iter()
            .map(|t| t.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

fn read_all(
    h: &DockerHost,
) -> (
    dfw_core::model::Ruleset,
    dfw_core::native::Ruleset,
    dfw_core::eval::Host,
) {
    let (rs, host) = live(h, Family::Ipv4, &[EXTERNAL_IF]);
    let native = h
        .host()
        .run(|| read_native(&mut NetlinkTransport::open().expect("socket")).expect("native"))
        .expect("host namespace");
    (rs, native, host)
}

/// Predicts and connects the whole grid (only from the internet and LAN sides when
/// `inbound_only`); returns (checked, unknown).
fn compare_grid(h: &DockerHost, u: &UserNets, name: &str, inbound_only: bool) -> (usize, usize) {
    let (rs, native, host) = read_all(h);
    let mut cases = Vec::new();
    let mut labels = Vec::new();
    let mut services = Vec::new();
    let mut unknown = 0;
    let all = sources(h, u);
    let inbound = |f: &From<'_>| [EXTERNAL_IF, LAN_IF].contains(&f.iface);
    for from in all.into_iter().filter(|f| !inbound_only || inbound(f)) {
        for (proto, dst) in destinations() {
            let own = from.label == "internet" && dst.ip() == INET_GW_V4;
            if dst.ip() == from.src || own {
                continue; // never leaves the source's namespace
            }
            let pkt = match proto {
                Proto::Tcp => Packet::tcp_syn(from.iface, from.src, dst.ip(), dst.port()),
                Proto::Udp => Packet::udp(from.iface, from.src, dst.ip(), dst.port()),
            };
            let t = explain_with(&rs, &native, &pkt, &host).expect("explain");
            let final_dst = t.dnat.as_ref().map_or(dst.ip(), |d| d.dst);
            let own = bridge_of(from.src);
            if own.is_some() && own == bridge_of(final_dst) && final_dst != from.src {
                continue; // bridged, not routed (see the module comment)
            }
            match expected(u, &t, proto, dst) {
                Some((want, service)) => {
                    labels.push(format!(
                        "{} {} -> {dst}/{proto}: {} by {:?}",
                        from.label, from.src, t.verdict, t.decided_by
                    ));
                    cases.push((from, proto, dst, want));
                    services.push(service);
                }
                None => unknown += 1,
            }
        }
    }
    let got = connect_all(&cases);
    let wrong: Vec<String> = cases
        .iter()
        .zip(&services)
        .zip(got)
        .zip(&labels)
        .filter(|(((c, service), got), _)| (c.3, service.map(String::from)) != *got)
        .map(|(((c, service), got), label)| {
            format!("{label}: want {} ({service:?}), got {got:?}", c.3)
        })
        .collect();
    assert!(wrong.is_empty(), "{name}\n{}", wrong.join("\n"));
    (cases.len(), unknown)
}

/// Every probe of the audit's published ports on eth0, connected for real from its source:
/// it reaches the container exactly when the container answers. Returns how many.
fn check_audit(
    h: &DockerHost,
    u: &UserNets,
    name: &str,
    audit: &Audit,
    added: &mut std::collections::HashSet<IpAddr>,
) -> usize {
    let inet = h.ns(Side::Internet);
    let mut cases = Vec::new();
    let mut labels = Vec::new();
    let mut wants = Vec::new();
    for p in &audit.published {
        let to = p.to.addrs.expect("DNAT address").start();
        let container = u.owner(to).expect("user container");
        let e = p
            .exposure
            .iter()
            .find(|e| e.iface == EXTERNAL_IF)
            .expect("eth0");
        for probe in &e.probes {
            let Some(reaches) = probe.reaches else {
                continue;
            };
            if bridge_of(probe.addr).is_some() {
                // A source inside one of the host's bridge networks (noproxy's
                // `ip saddr 192.0.2.2 ... masquerade` names the container): its first packet
                // gets the verdict the audit names, but the host routes the reply into the
                // bridge, so no connection from eth0 can show it.
                continue;
            }
            let known = INTERNET_SOURCES.contains(&probe.addr) || probe.addr == INET_GW_V4;
            if !known && added.insert(probe.addr) {
                add_source(h, Side::Internet, probe.addr);
            }
            let from = From {
                label: "internet",
                ns: inet,
                src: probe.addr,
                iface: EXTERNAL_IF,
            };
            let port = p.host_ports[0].lo();
            let want = if reaches {
                Probe::Open
            } else {
                Probe::TimedOut
            };
            cases.push((from, Proto::Tcp, SocketAddr::new(HOST_V4, port), want));
            labels.push(format!(
                "{:?} {} ({})",
                probe.source, probe.addr, probe.verdict
            ));
            wants.push((reaches, container.name));
        }
    }
    let got = connect_all(&cases);
    for ((label, (reaches, name_c)), (_, service)) in labels.iter().zip(&wants).zip(&got) {
        let reached = service.as_deref() == Some(*name_c);
        assert_eq!(
            *reaches, reached,
            "{name}: audit probe {label}: real {service:?}"
        );
    }
    cases.len()
}

#[test]
fn kernel_usernet_rulesets_explain_and_audit_match_real_connections() {
    if !kernel_gate("kernel_usernet_rulesets_explain_and_audit_match_real_connections") {
        return;
    }
    let h = DockerHost::start().expect("simulated host");
    let u = h.add_user_nets(&NETS).expect("user networks");
    // The internet side reaches the LAN's network via the host too, so the grid's pairs
    // between them are routed both ways (the firewall, not a missing route, decides).
    let inet = h.ns(Side::Internet);
    inet.run(|| Rtnl::open(inet.label())?.add_route(v4(192, 168, 1, 0), 24, HOST_V4))
        .expect("internet namespace")
        .expect("route to the LAN");
    let limits = [("net/ipv4/icmp_ratelimit", "0")];
    for side in [Side::Host, Side::Web, Side::Db] {
        write_sysctls(h.ns(side), &limits).expect("sysctls");
    }
    let (mut total, mut unknown, mut audited) = (0, 0, 0);
    let mut added = std::collections::HashSet::new();
    for name in [
        "usernet-portmap",
        "usernet-portmap-lo",
        "usernet-portmap-natunprot",
        "usernet-portmap-noicc",
        "usernet-portmap-noproxy",
        "usernet-portmap-routed",
        "usernet-internal",
    ] {
        run_in(h.host(), "nft", &["flush", "ruleset"], "").unwrap_or_else(|e| panic!("{e}"));
        run_in(h.host(), "nft", &["-f", "-"], &ruleset(name)).unwrap_or_else(|e| panic!("{e}"));
        let (n, un) = compare_grid(&h, &u, name, false);
        total += n;
        unknown += un;
        let (rs, native, host) = read_all(&h);
        let audit = audit_with(&rs, &native, &host);
        audited += check_audit(&h, &u, name, &audit, &mut added);
        println!("{name}: {n} predictions checked, {un} unknown");
    }
    // Beside Docker 29's iptables rules and random iptables policies (whose drops meet only
    // new connections from outside: the grid's inbound pairs).
    let mut rng = Lcg::new(0x0005_e2e7_0017);
    for round in 0..4 {
        let name = [
            "usernet-portmap",
            "usernet-portmap-noproxy",
            "usernet-portmap-routed",
            "usernet-internal",
        ][round];
        run_in(h.host(), "nft", &["flush", "ruleset"], "").unwrap_or_else(|e| panic!("{e}"));
        load_fixture(h.host(), Fixture::Docker29V4);
        let policy = random_policy(&mut rng, false);
        run_in(h.host(), "iptables-restore", &["--noflush"], &policy)
            .unwrap_or_else(|e| panic!("{e}"));
        run_in(h.host(), "nft", &["-f", "-"], &ruleset(name)).unwrap_or_else(|e| panic!("{e}"));
        let context = format!("{name} with Docker 29's iptables rules and:\n{policy}");
        let (n, un) = compare_grid(&h, &u, &context, true);
        total += n;
        unknown += un;
        println!("{name} with iptables: {n} predictions checked, {un} unknown");
    }
    println!("usernet: {total} predictions and {audited} audit probes checked by real connections, {unknown} unknown");
    assert!(total > 300, "{total}");
}
