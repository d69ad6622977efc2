//! Kernel test of the evaluator (`dfw_core::eval::{explain, audit}`) against real packets on
//! the simulated Docker host: Docker 27 and 29 fixtures (IPv4) and Docker 29 (IPv6) loaded with
//! the real `iptables-restore` (the oracle), each alone and under many seeded random policies
//! (`evalsim::policy`: DOCKER-USER whitelists, `--ctorigdstport` allows, `-s` restrictions,
//! REJECT/DROP ends, jumps and gotos to GATE, INPUT rules and policies, extra nat DNATs),
//! loaded with `iptables-restore --noflush`. The ruleset and the host are read back from the
//! kernel exactly as `dfw-cli audit` reads them (`live::read_ruleset`, `route::read_host`).
//!
//! For every round: random (source, port) pairs from the internet and LAN sides, and every
//! audit probe arriving on `eth0` whose replies route back through `eth0` (its source added to
//! the internet side), are connected for real, concurrently; the outcome must be what the
//! verdict says (ACCEPT: open when a server listens at the final destination, refused
//! otherwise; REJECT: refused; DROP: timed out), and an audit probe reaches its service exactly
//! when its connection opens. A mismatch is retried once with a long timeout before failing.
//! Without root they print `SKIPPED` and pass, unless `DFW_REQUIRE_KERNEL=1`.

mod evalsim;
mod support;

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use dfw_core::eval::{audit, explain, Host, IfaceExposure, Packet, RouteDecision, RuleRef};
use dfw_core::model::{Family, Protocol, Ruleset};
use dfw_netlink::sim::topology::*;
use dfw_netlink::sim::{write_sysctls, Check, DockerHost, Probe, Proto, Side};
use dfw_netlink::transport::testkit::kernel_gate;

use evalsim::policy::{random_policy, Lcg};
use evalsim::{add_internet_source, expected, listens, live, outcome, random_pairs, side_of};
use support::{load_fixture, run_in, Fixture};

const SHORT: Duration = Duration::from_millis(350);
const LONG: Duration = Duration::from_millis(1500);

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
    retried: usize,
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

/// The audit's probes of one service on `eth0`, as connections from the internet side.
#[allow(clippy::too_many_arguments)]
fn audit_cases(
    h: &DockerHost,
    host: &Host,
    added: &mut HashSet<IpAddr>,
    exposure: &[IfaceExposure],
    goal: Option<&RuleRef>,
    proto: Proto,
    dst: SocketAddr,
    what: &str,
    out: &mut Vec<Case>,
) {
    for e in exposure.iter().filter(|e| e.iface == EXTERNAL_IF) {
        for p in &e.probes {
            let back_via_eth0 = host.lookup(&p.addr) == Some(EXTERNAL_IF);
            if !back_via_eth0 || host.local_owner(&p.addr).is_some() || is_link_local(&p.addr) {
                continue;
            }
            let route = p.dnat.as_ref().map_or(RouteDecision::Local, |_| {
                RouteDecision::Forward(BRIDGE.to_string())
            });
            let Some(want) = outcome(&p.verdict, p.dnat.as_ref(), Some(&route), proto, dst) else {
                continue;
            };
            let serves = match &p.dnat {
                Some(d) => side_of(d.dst).is_some_and(|s| listens(s, proto, d.port.unwrap_or(0))),
                None => listens(Side::Host, proto, dst.port()),
            };
            if serves {
                // A probe reaches its service exactly when its connection opens there.
                let there = p.dnat.as_ref().map(|d| &d.rule) == goal;
                let opens = want == Probe::Open && there;
                assert_eq!(p.reaches, Some(opens), "{what}: {p:?}");
            }
            if added.insert(p.addr) {
                add_internet_source(h, p.addr);
            }
            out.push(Case {
                check: Check {
                    from: Side::Internet,
                    src: p.addr,
                    proto,
                    dst,
                },
                want,
                label: format!("audit {what} on eth0, probe {:?}: {}", p.source, p.verdict),
            });
        }
    }
}

/// Every audit probe of every TCP/UDP service with a port.
fn all_audit_cases(
    h: &DockerHost,
    rs: &Ruleset,
    host: &Host,
    added: &mut HashSet<IpAddr>,
) -> Vec<Case> {
    let a = audit(rs, host);
    let host_addr = if rs.family() == Family::Ipv4 {
        HOST_V4
    } else {
        HOST_V6
    };
    let mut out = Vec::new();
    for p in &a.published {
        let (Some(proto), Some(port)) = (p.proto.and_then(proto_of), p.host_ports.first()) else {
            continue;
        };
        let addr = match &p.host_addr {
            Some(n) if !n.negated && n.value.is_host() => n.value.addr(),
            _ => host_addr,
        };
        let dst = SocketAddr::new(addr, port.lo());
        let what = format!("published {} ({})", port.lo(), p.rule);
        audit_cases(
            h,
            host,
            added,
            &p.exposure,
            Some(&p.rule),
            proto,
            dst,
            &what,
            &mut out,
        );
    }
    for hp in &a.host_ports {
        let Some(proto) = proto_of(hp.proto) else {
            continue;
        };
        let dst = SocketAddr::new(host_addr, hp.port);
        let what = format!("host port {}/{}", hp.port, hp.proto);
        audit_cases(
            h,
            host,
            added,
            &hp.exposure,
            None,
            proto,
            dst,
            &what,
            &mut out,
        );
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

/// Connects every case concurrently, retries mismatches once with a long timeout, and
/// asserts the outcomes.
fn connect(h: &DockerHost, cases: &[Case], context: &str, stats: &mut Stats) {
    let checks: Vec<Check> = cases.iter().map(|c| c.check).collect();
    let got = h.check_all(&checks, SHORT).expect("probes");
    let retry: Vec<usize> = (0..cases.len())
        .filter(|i| got[*i] != cases[*i].want)
        .collect();
    let again: Vec<Check> = retry.iter().map(|i| cases[*i].check).collect();
    let second = h.check_all(&again, LONG).expect("probes");
    stats.retried += retry.len();
    let wrong: Vec<String> = retry
        .iter()
        .zip(&second)
        .filter(|(i, got)| **got != cases[**i].want)
        .map(|(i, got)| format!("{}: want {}, got {got}", cases[*i].label, cases[*i].want))
        .collect();
    assert!(wrong.is_empty(), "{context}\n{}", wrong.join("\n"));
    stats.seen.extend(cases.iter().map(|c| c.want));
}

fn round(
    h: &DockerHost,
    fixture: Fixture,
    policy: Option<&str>,
    rng: &mut Lcg,
    added: &mut HashSet<IpAddr>,
    stats: &mut Stats,
) {
    load_fixture(h.host(), fixture);
    let restore = format!("{}-restore", fixture.iptables());
    if let Some(p) = policy {
        run_in(h.host(), &restore, &["--noflush"], p).unwrap_or_else(|e| panic!("{e}\n{p}"));
    }
    let family = if fixture.is_v6() {
        Family::Ipv6
    } else {
        Family::Ipv4
    };
    let (rs, host) = live(h, family);
    let mut cases = explain_cases(&rs, &host, rng, fixture.is_v6(), stats);
    stats.explain += cases.len();
    let audit = all_audit_cases(h, &rs, &host, added);
    stats.audit += audit.len();
    cases.extend(audit);
    let context = format!("{fixture:?} with policy:\n{}", policy.unwrap_or("(none)"));
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
    // The internet side's own addresses are there already.
    let mut added: HashSet<IpAddr> = INTERNET_SOURCES.into_iter().collect();
    added.extend([INET_GW_V4, INET_GW_V6]);
    let mut stats = Stats::default();
    let plan = [
        (Fixture::Docker27V4, 20),
        (Fixture::Docker29V4, 20),
        (Fixture::Docker29V6, 15),
    ];
    for (fixture, n) in plan {
        round(&h, fixture, None, &mut rng, &mut added, &mut stats);
        for _ in 0..n {
            let p = random_policy(&mut rng, fixture.is_v6());
            round(&h, fixture, Some(&p), &mut rng, &mut added, &mut stats);
        }
    }
    let count = |p: Probe| stats.seen.iter().filter(|s| **s == p).count();
    eprintln!(
        "{} rounds, {} explain pairs, {} audit probes, {} unknown, {} retried; open {}, refused {}, timed out {}; {:?}",
        stats.rounds,
        stats.explain,
        stats.audit,
        stats.unknown,
        stats.retried,
        count(Probe::Open),
        count(Probe::Refused),
        count(Probe::TimedOut),
        t0.elapsed()
    );
    for p in [Probe::Open, Probe::Refused, Probe::TimedOut] {
        assert!(count(p) > 10, "too few {p} outcomes");
    }
    assert!(stats.explain > 1000 && stats.audit > 400);
}
