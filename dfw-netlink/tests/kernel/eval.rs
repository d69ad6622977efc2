//! Kernel test of the evaluator (`dfw_core::eval::{explain, audit}`) against real packets on
//! the simulated Docker host: Docker 27 and 29 fixtures (IPv4) and Docker 29 (IPv6) loaded with
//! the real `iptables-restore` (the oracle), each alone and under many seeded random policies
//! (`evalsim::policy`: DOCKER-USER whitelists, `--ctorigdstport` allows, `-s` restrictions,
//! REJECT/DROP ends, jumps and gotos to GATE, INPUT rules and policies, extra nat DNATs),
//! loaded with `iptables-restore --noflush` or (every other round) dfw's own
//! `Firewall::restore` with `noflush`, then 0-2 neighbours' rules dfw cannot decode
//! (`-m string`, `-m u32`, `-m bpf`, `-m statistic`) with the real iptables-restore and
//! sometimes a native nftables rule with `nft`: every verdict they can change must be
//! unknown, every certain verdict must still hold. The ruleset and the host are read back from the
//! kernel exactly as `dfw-cli audit` reads them (`kernel_ruleset::read_ruleset`, `route::read_host`).
//!
//! For every round: random (source, port) pairs from the internet and LAN sides, and every
//! audit probe (the audit examines `eth0` and `eth1`) whose replies route back through the
//! interface it arrives on (its source added to the internet or LAN side; IPv6 link-local
//! sources are left out), are connected for real, concurrently; the outcome must be what the
//! verdict says (ACCEPT: open when a server listens at the final destination, refused
//! otherwise; REJECT: refused; DROP: timed out), and an audit probe reaches its service exactly
//! when its connection opens. Each probe gets the timeout its expected outcome needs
//! (`support::probes`: an answer ends it at once; only an expected DROP waits, 400 ms), and a
//! mismatch fails at once: no retry, no settling time. Every reach class (everyone, everyone
//! except, sources, LAN only, nobody) must occur.
//! Without root they print `SKIPPED` and pass, unless `DFW_REQUIRE_KERNEL=1`.

use crate::support;
use crate::support::evalsim;
use crate::support::probes::probe_all;

use std::collections::{BTreeMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use dfw_core::eval::{audit, explain, Host, IfaceExposure, Packet, Reach, RouteDecision, RuleRef};
use dfw_core::model::{Family, Protocol, Ruleset};
use dfw_netlink::sim::topology::*;
use dfw_netlink::sim::{write_sysctls, Check, DockerHost, Probe, Proto, Side};
use dfw_netlink::transport::testkit::kernel_gate;

use evalsim::policy::{random_neighbours, random_policy, Lcg};
use evalsim::{
    add_source, expected, listens, live, outcome, random_pairs, restore_with_dfw, side_of,
};
use support::{load_fixture, run_in, Fixture};

/// One connection to make and what must happen, with a label for failures.
struct Case {
    check: Check,
    want: Probe,
    label: String,
}

#[derive(Default)]
struct Stats {
    rounds: usize,
    explain: usize,
    audit: usize,
    unknown: usize,
    audit_lan: usize,
    reaches: BTreeMap<&'static str, usize>,
    seen: Vec<Probe>,
}

fn proto_of(p: Protocol) -> Option<Proto> {
    if p == Protocol::TCP {
        Some(Proto::Tcp)
    } else if p == Protocol::UDP {
        Some(Proto::Udp)
    } else {
        None
    }
}

fn is_link_local(a: &IpAddr) -> bool {
    matches!(a, IpAddr::V6(v) if v.segments()[0] & 0xffc0 == 0xfe80)
}

/// One audited service: the DNAT rule it must pass (none for a host port), protocol, the
/// rule's `-d` host address if any, and port.
struct Svc<'a> {
    family: Family,
    goal: Option<&'a RuleRef>,
    proto: Proto,
    addr: Option<IpAddr>,
    port: u16,
    what: String,
}

/// Where the audit's probes start from: the side behind each examined interface, the host
/// address probed there, and the sources added so far.
struct Sources<'h> {
    h: &'h DockerHost,
    added: HashSet<(Side, IpAddr)>,
}

impl Sources<'_> {
    fn add(&mut self, side: Side, addr: IpAddr) {
        if self.added.insert((side, addr)) {
            add_source(self.h, side, addr);
        }
    }
}

/// The side behind a host interface and the host's address there.
fn behind(iface: &str, family: Family) -> (Side, IpAddr) {
    match (iface, family) {
        (LAN_IF, Family::Ipv4) => (Side::Lan, HOST_LAN_V4),
        (LAN_IF, Family::Ipv6) => (Side::Lan, HOST_LAN_V6),
        (_, Family::Ipv4) => (Side::Internet, HOST_V4),
        (_, Family::Ipv6) => (Side::Internet, HOST_V6),
    }
}

/// The audit's probes of one service on every examined interface, as connections from the
/// side behind it (sources whose replies route back through that interface only).
fn audit_cases(
    src: &mut Sources<'_>,
    host: &Host,
    exposure: &[IfaceExposure],
    svc: &Svc<'_>,
    out: &mut Vec<Case>,
) {
    for e in exposure {
        let (side, own) = behind(&e.iface, svc.family);
        let dst = SocketAddr::new(svc.addr.unwrap_or(own), svc.port);
        for p in &e.probes {
            let back = host.lookup(&p.addr) == Some(e.iface.as_str());
            if !back || host.local_owner(&p.addr).is_some() || is_link_local(&p.addr) {
                continue;
            }
            let route = p.dnat.as_ref().map_or(RouteDecision::Local, |_| {
                RouteDecision::Forward(BRIDGE.to_string())
            });
            let proto = svc.proto;
            let Some(want) = outcome(&p.verdict, p.dnat.as_ref(), Some(&route), proto, dst) else {
                continue;
            };
            let serves = match &p.dnat {
                Some(d) => side_of(d.dst).is_some_and(|s| listens(s, proto, d.port.unwrap_or(0))),
                None => listens(Side::Host, proto, dst.port()),
            };
            if serves {
                // A probe reaches its service exactly when its connection opens there.
                let there = p.dnat.as_ref().map(|d| &d.rule) == svc.goal;
                let opens = want == Probe::Open && there;
                assert_eq!(p.reaches, Some(opens), "{}: {p:?}", svc.what);
            }
            src.add(side, p.addr);
            out.push(Case {
                check: Check {
                    from: side,
                    src: p.addr,
                    proto,
                    dst,
                },
                want,
                label: format!(
                    "audit {} on {}, probe {:?}: {}",
                    svc.what, e.iface, p.source, p.verdict
                ),
            });
        }
    }
}

/// Every audit probe of every TCP/UDP service with a port.
fn all_audit_cases(
    src: &mut Sources<'_>,
    rs: &Ruleset,
    host: &Host,
    reaches: &mut BTreeMap<&'static str, usize>,
) -> Vec<Case> {
    let a = audit(rs, host);
    let exposures = a
        .published
        .iter()
        .flat_map(|p| &p.exposure)
        .chain(a.host_ports.iter().flat_map(|h| &h.exposure));
    for e in exposures {
        let kind = match e.reach {
            Reach::Everyone => "everyone",
            Reach::EveryoneExcept(_) => "everyone except",
            Reach::Sources(_) => "sources",
            Reach::LanOnly => "LAN only",
            Reach::Nobody => "nobody",
            Reach::Possibly(..) => "possibly",
            Reach::Unknown(_) => "unknown",
        };
        *reaches.entry(kind).or_default() += 1;
    }
    let mut out = Vec::new();
    for p in &a.published {
        let (Some(proto), Some(port)) = (p.proto.and_then(proto_of), p.host_ports.first()) else {
            continue;
        };
        let addr = match &p.host_addr {
            Some(n) if !n.negated && n.value.is_host() => Some(n.value.addr()),
            _ => None,
        };
        let svc = Svc {
            family: rs.family(),
            goal: Some(&p.rule),
            proto,
            addr,
            port: port.lo(),
            what: format!("published {} ({})", port.lo(), p.rule),
        };
        audit_cases(src, host, &p.exposure, &svc, &mut out);
    }
    for hp in &a.host_ports {
        let Some(proto) = proto_of(hp.proto) else {
            continue;
        };
        let svc = Svc {
            family: rs.family(),
            goal: None,
            proto,
            addr: None,
            port: hp.port,
            what: format!("host port {}/{}", hp.port, hp.proto),
        };
        audit_cases(src, host, &hp.exposure, &svc, &mut out);
    }
    out
}

fn explain_cases(
    rs: &Ruleset,
    host: &Host,
    rng: &mut Lcg,
    v6: bool,
    stats: &mut Stats,
) -> Vec<Case> {
    let mut out = Vec::new();
    for pair in random_pairs(rng, v6, 24) {
        let c = pair.check;
        let pkt = match c.proto {
            Proto::Tcp => Packet::tcp_syn(pair.iface, c.src, c.dst.ip(), c.dst.port()),
            Proto::Udp => Packet::udp(pair.iface, c.src, c.dst.ip(), c.dst.port()),
        };
        let t = explain(rs, &pkt, host).expect("explain");
        let Some(want) = expected(&t, c.proto, c.dst) else {
            stats.unknown += 1;
            continue;
        };
        out.push(Case {
            check: c,
            want,
            label: format!(
                "explain {c}: {} by {:?}, dnat {:?}, route {:?}",
                t.verdict, t.decided_by, t.dnat, t.route
            ),
        });
    }
    out
}

/// Connects every case concurrently (each with the timeout its expected outcome needs) and
/// asserts the outcomes.
fn connect(h: &DockerHost, cases: &[Case], context: &str, stats: &mut Stats) {
    let checks: Vec<(Check, Probe)> = cases.iter().map(|c| (c.check, c.want)).collect();
    let got = probe_all(h, &checks);
    let wrong: Vec<String> = cases
        .iter()
        .zip(&got)
        .filter(|(c, got)| **got != c.want)
        .map(|(c, got)| format!("{}: want {}, got {got}", c.label, c.want))
        .collect();
    assert!(wrong.is_empty(), "{context}\n{}", wrong.join("\n"));
    stats.seen.extend(cases.iter().map(|c| c.want));
}

fn round(
    h: &DockerHost,
    fixture: Fixture,
    policy: Option<&str>,
    neighbour_rng: Option<&mut Lcg>,
    rng: &mut Lcg,
    src: &mut Sources<'_>,
    stats: &mut Stats,
) {
    load_fixture(h.host(), fixture);
    let restore = format!("{}-restore", fixture.iptables());
    let family = if fixture.is_v6() {
        Family::Ipv6
    } else {
        Family::Ipv4
    };
    match policy {
        // Every other policy goes in through dfw's own restore.
        Some(p) if stats.rounds % 2 == 1 => restore_with_dfw(h, family, p),
        Some(p) => {
            run_in(h.host(), &restore, &["--noflush"], p).unwrap_or_else(|e| panic!("{e}\n{p}"));
        }
        None => {}
    }
    // Neighbours' rules dfw cannot decode, with the real tools.
    let mut neighbours = String::new();
    if let (Some(_), Some(nrng)) = (policy, neighbour_rng) {
        let (text, nft) = random_neighbours(nrng, fixture.is_v6());
        run_in(h.host(), &restore, &["--noflush"], &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        if let Some(n) = &nft {
            run_in(h.host(), "sh", &["-c", &format!("nft '{n}'")], "")
                .unwrap_or_else(|e| panic!("{e}\n{n}"));
        }
        neighbours = format!("{text}{}\n", nft.unwrap_or_default());
    }
    let (rs, host) = live(h, family, &[EXTERNAL_IF, LAN_IF]);
    let mut cases = explain_cases(&rs, &host, rng, fixture.is_v6(), stats);
    stats.explain += cases.len();
    let audit = all_audit_cases(src, &rs, &host, &mut stats.reaches);
    stats.audit_lan += audit.iter().filter(|c| c.check.from == Side::Lan).count();
    stats.audit += audit.len();
    cases.extend(audit);
    let context = format!(
        "{fixture:?} with policy:\n{}\nneighbours:\n{neighbours}",
        policy.unwrap_or("(none)")
    );
    connect(h, &cases, &context, stats);
    stats.rounds += 1;
}

#[test]
fn kernel_eval_explain_and_audit_match_real_connections() {
    if !kernel_gate("kernel_eval_explain_and_audit_match_real_connections") {
        return;
    }
    let t0 = Instant::now();
    let h = DockerHost::start().expect("simulated host");
    for side in [Side::Host, Side::Web, Side::Db] {
        // Every REJECT must answer, however many probes hit it at once.
        let limits = [
            ("net/ipv4/icmp_ratelimit", "0"),
            ("net/ipv6/icmp/ratelimit", "0"),
        ];
        write_sysctls(h.ns(side), &limits).expect("sysctls");
    }
    let mut rng = Lcg::new(0x5eed_a0d1_7e57);
    let mut neighbour_rng = Lcg::new(0x0bad_5eed_0fab_1e55);
    // The sides' own addresses are there already.
    let mut added: HashSet<(Side, IpAddr)> = INTERNET_SOURCES
        .into_iter()
        .chain([INET_GW_V4, INET_GW_V6])
        .map(|a| (Side::Internet, a))
        .collect();
    added.extend([LAN_CLIENT_V4, LAN_CLIENT_V6].map(|a| (Side::Lan, a)));
    let mut src = Sources { h: &h, added };
    let mut stats = Stats::default();
    let plan = [
        (Fixture::Docker27V4, 20),
        (Fixture::Docker29V4, 20),
        (Fixture::Docker29V6, 15),
    ];
    for (fixture, n) in plan {
        round(&h, fixture, None, None, &mut rng, &mut src, &mut stats);
        for i in 0..n {
            let p = random_policy(&mut rng, fixture.is_v6());
            // Neighbours every other round, drawn from their own sequence: the policies and
            // probes are those of the rounds without them.
            let nb = (i % 2 == 1).then_some(&mut neighbour_rng);
            round(&h, fixture, Some(&p), nb, &mut rng, &mut src, &mut stats);
        }
    }
    let count = |p: Probe| stats.seen.iter().filter(|s| **s == p).count();
    eprintln!(
        "{} rounds, {} explain pairs, {} audit probes, {} unknown; open {}, refused {}, timed out {}; {:?}",
        stats.rounds,
        stats.explain,
        stats.audit,
        stats.unknown,
        count(Probe::Open),
        count(Probe::Refused),
        count(Probe::TimedOut),
        t0.elapsed()
    );
    eprintln!(
        "audit probes from the LAN side: {}; reach classes: {:?}",
        stats.audit_lan, stats.reaches
    );
    assert!(stats.audit_lan > 50);
    for kind in [
        "everyone",
        "everyone except",
        "sources",
        "LAN only",
        "nobody",
    ] {
        assert!(stats.reaches.contains_key(kind), "no exposure was {kind}");
    }
    for p in [Probe::Open, Probe::Refused, Probe::TimedOut] {
        assert!(count(p) > 10, "too few {p} outcomes");
    }
    assert!(stats.explain > 1000 && stats.audit > 400);
}
