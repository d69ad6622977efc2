//! `audit`: every port Docker publishes (DNAT rules reached from nat PREROUTING) and, for each
//! external interface, who can reach it, with the rule that decides.
//!
//! Contract: the answer comes only from [`explain`] runs of representative packets, so it is
//! exactly as exact as the evaluator and never guesses. For one published port and one external
//! interface the probes are, in this order: an address outside every network the rules mention
//! ([`SourceSet::Outside`], standing for everyone else), a LAN address of each of the
//! interface's networks, and one representative of every source-like set the rules mention
//! (`-s`, `--ctorigsrc`, `--ctrepldst`, `--src-range`): a member outside the narrower mentioned
//! sets when there is one, never a host address. A probe reaches the port when its verdict is
//! ACCEPT after the DNAT of this very rule. The probe packet is a TCP SYN (UDP for `-p udp`,
//! the bare protocol for others) to the first published port (or the first port a negated
//! port match lets through), addressed to the rule's `-d` address or the interface's first
//! address of the family, with unknown source port and mark. The [`Reach`] is:
//! - [`Reach::Unknown`] when any probe's verdict is unknown or no probe can be built;
//! - [`Reach::Everyone`] when every probe reaches it, [`Reach::EveryoneExcept`] when the outside
//!   probe does but some mentioned sources do not;
//! - otherwise [`Reach::LanOnly`] when a LAN probe reaches it and every source that does lies
//!   in the interface's networks, [`Reach::Sources`] when some do, [`Reach::Nobody`] when none.
//!
//! Only DNAT rules whose target has a single address and port can be followed exactly; others
//! come out unknown, as [`explain`] reports them.

use std::net::IpAddr;

use crate::model::matches::MultiportKind;
use crate::model::target::Nat;
use crate::model::Target;
use crate::model::{AddrRange, Family, Match, Neg, Network, PortRange, Protocol, Rule, Ruleset};

use super::explain::explain;
use super::host::{Host, IfaceKind};
use super::packet::{Packet, L4};
use super::probes::{self, AddrSet};
use super::trace::{Decision, DnatApplied, RuleRef, Undecided, Verdict};

/// The audit of one family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audit {
    /// The family audited.
    pub family: Family,
    /// Every published port, in nat walk order.
    pub ports: Vec<PublishedPort>,
}

/// One published port: a DNAT rule reached from nat PREROUTING.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedPort {
    /// The DNAT rule.
    pub rule: RuleRef,
    /// Its protocol (`-p`); `None` for every protocol.
    pub proto: Option<Protocol>,
    /// Its host ports (`--dport`, `--dports`); empty for every port.
    pub host_ports: Vec<PortRange>,
    /// Its host address match (`-d`), if any.
    pub host_addr: Option<Neg<Network>>,
    /// Where it translates to.
    pub to: Nat,
    /// Who can reach it, per external interface.
    pub exposure: Vec<IfaceExposure>,
}

/// A set of sources, as the audit names them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SourceSet {
    /// Everyone the rules do not mention.
    Outside,
    /// The interface's LAN (one of its networks).
    Lan(Network),
    /// A network the rules mention.
    Network(Network),
    /// An address range the rules mention.
    Range(AddrRange),
}

/// One probe: a representative source and what happened to its packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// The set it stands for.
    pub source: SourceSet,
    /// The source address used.
    pub addr: IpAddr,
    /// The packet's verdict.
    pub verdict: Verdict,
    /// What decided it.
    pub decided_by: Option<Decision>,
    /// The DNAT applied, if any.
    pub dnat: Option<DnatApplied>,
    /// True when the packet reaches this published port; `None` when unknown.
    pub reaches: Option<bool>,
}

/// Who can reach a published port on an interface.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reach {
    /// Every source.
    Everyone,
    /// Every source except these mentioned sets.
    EveryoneExcept(Vec<SourceSet>),
    /// Only these sets (not all within the LAN).
    Sources(Vec<SourceSet>),
    /// Only sources in the interface's own networks.
    LanOnly,
    /// No source.
    Nobody,
    /// Cannot be decided.
    Unknown(Undecided),
}

/// The exposure of one published port on one external interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfaceExposure {
    /// The interface.
    pub iface: String,
    /// Who can reach the port through it.
    pub reach: Reach,
    /// What decides the outside probe's fate (the rule or policy that lets everyone in or not).
    pub decided_by: Option<Decision>,
    /// Every probe, outside first.
    pub probes: Vec<Probe>,
}

/// Audits every published port of `ruleset` on every external interface of `host`.
pub fn audit(ruleset: &Ruleset, host: &Host) -> Audit {
    let family = ruleset.family();
    let sources = probes::source_sets(ruleset);
    let all = probes::all_sets(ruleset);
    let ports = probes::dnat_rules(ruleset)
        .into_iter()
        .map(|(at, rule)| {
            let exposure = host
                .ifaces_of(IfaceKind::External)
                .map(|i| exposure(ruleset, host, &at, rule, &i.name, &sources, &all))
                .collect();
            PublishedPort {
                to: match &rule.target {
                    Some(Target::Dnat(n)) => *n,
                    _ => Nat::default(),
                },
                proto: rule.bound_proto(),
                host_ports: dports(rule).0,
                host_addr: rule.header.dst.clone(),
                rule: at,
                exposure,
            }
        })
        .collect();
    Audit { family, ports }
}

/// The destination ports a rule selects (positive ranges) and the negated ones.
fn dports(rule: &Rule) -> (Vec<PortRange>, Vec<PortRange>) {
    let (mut pos, mut neg) = (Vec::new(), Vec::new());
    for m in &rule.matches {
        let (negated, ranges): (bool, Vec<PortRange>) = match m {
            Match::Tcp(t) => match &t.dport {
                Some(r) => (r.negated, vec![r.value]),
                None => continue,
            },
            Match::Udp(u) => match &u.dport {
                Some(r) => (r.negated, vec![r.value]),
                None => continue,
            },
            Match::Multiport(mp) if mp.kind() != MultiportKind::Source => {
                (mp.negated(), mp.ports().to_vec())
            }
            _ => continue,
        };
        if negated { &mut neg } else { &mut pos }.extend(ranges);
    }
    (pos, neg)
}

fn probe_port(rule: &Rule) -> u16 {
    let (pos, neg) = dports(rule);
    if let Some(r) = pos.first() {
        return r.lo();
    }
    (1..=u16::MAX)
        .find(|p| !neg.iter().any(|r| r.contains(*p)))
        .unwrap_or(1)
}

fn probe_dst(host: &Host, rule: &Rule, iface: &str, family: Family) -> Option<IpAddr> {
    let own = |name: &str| {
        host.iface(name).and_then(|i| {
            i.addrs
                .iter()
                .map(|(a, _)| *a)
                .find(|a| Family::of(a) == family)
        })
    };
    let first = own(iface).or_else(|| {
        host.ifaces
            .iter()
            .find_map(|i| own(&i.name).filter(|_| i.kind != IfaceKind::Loopback))
    });
    match &rule.header.dst {
        Some(d) if !d.negated => {
            if d.value.is_host() {
                Some(d.value.addr())
            } else {
                first
                    .filter(|a| d.value.contains(a))
                    .or_else(|| probes::representative(&AddrSet::Net(d.value), &[], host))
            }
        }
        _ => first,
    }
}

fn packet(rule: &Rule, iface: &str, src: IpAddr, dst: IpAddr) -> Packet {
    let dport = probe_port(rule);
    let mut p = Packet::tcp_syn(iface, src, dst, dport);
    match rule.bound_proto() {
        Some(Protocol::UDP) => p.l4 = L4::Udp { sport: None, dport },
        Some(Protocol::TCP) | None => {}
        Some(Protocol::ICMP) | Some(Protocol::ICMPV6) => p.l4 = L4::Icmp { typ: 8, code: 0 },
        Some(other) => p.l4 = L4::Other(other),
    }
    if matches!(p.l4, L4::Icmp { .. }) && Family::of(&src) == Family::Ipv6 {
        p.l4 = L4::Icmp { typ: 128, code: 0 };
    }
    p
}

fn run_probe(ruleset: &Ruleset, host: &Host, at: &RuleRef, pkt: &Packet, s: SourceSet) -> Probe {
    let (verdict, decided_by, dnat) = match explain(ruleset, pkt, host) {
        Ok(t) => (t.verdict, t.decided_by, t.dnat),
        Err(e) => (
            Verdict::Unknown(Undecided {
                rule: None,
                reason: e.to_string(),
            }),
            None,
            None,
        ),
    };
    let reaches = match &verdict {
        Verdict::Unknown(_) => None,
        Verdict::Accept => Some(dnat.as_ref().is_some_and(|d| &d.rule == at)),
        Verdict::Drop | Verdict::Reject(_) => Some(false),
    };
    Probe {
        source: s,
        addr: pkt.src,
        verdict,
        decided_by,
        dnat,
        reaches,
    }
}

fn unknown_exposure(iface: &str, reason: String) -> IfaceExposure {
    IfaceExposure {
        iface: iface.to_string(),
        reach: Reach::Unknown(Undecided { rule: None, reason }),
        decided_by: None,
        probes: Vec::new(),
    }
}

fn exposure(
    ruleset: &Ruleset,
    host: &Host,
    at: &RuleRef,
    rule: &Rule,
    iface: &str,
    sources: &[AddrSet],
    all: &[AddrSet],
) -> IfaceExposure {
    let family = ruleset.family();
    let Some(dst) = probe_dst(host, rule, iface, family) else {
        return unknown_exposure(iface, format!("no {family} address to probe on {iface}"));
    };
    let Some(out) = probes::outside(family, all, host) else {
        return unknown_exposure(iface, "no address outside the mentioned networks".into());
    };
    let lans = host.lan(iface, family);
    let mut sets: Vec<(SourceSet, IpAddr)> = vec![(SourceSet::Outside, out)];
    for lan in &lans {
        if let Some(a) = probes::representative(&AddrSet::Net(*lan), all, host) {
            sets.push((SourceSet::Lan(*lan), a));
        }
    }
    for s in sources.iter().filter(|s| family_of(s) == family) {
        if let Some(a) = probes::representative(s, all, host) {
            let named = match s {
                AddrSet::Net(n) => SourceSet::Network(*n),
                AddrSet::Range(r) => SourceSet::Range(*r),
            };
            sets.push((named, a));
        }
    }
    let probes: Vec<Probe> = sets
        .into_iter()
        .map(|(s, src)| run_probe(ruleset, host, at, &packet(rule, iface, src, dst), s))
        .collect();
    let reach = classify(&probes, &lans);
    IfaceExposure {
        iface: iface.to_string(),
        reach,
        decided_by: probes[0].decided_by.clone(),
        probes,
    }
}

fn family_of(s: &AddrSet) -> Family {
    match s {
        AddrSet::Net(n) => n.family(),
        AddrSet::Range(r) => r.family(),
    }
}

fn within_lan(s: &SourceSet, lans: &[Network]) -> bool {
    let inside = |set: AddrSet| lans.iter().any(|l| AddrSet::Net(*l).covers(&set));
    match s {
        SourceSet::Outside => false,
        SourceSet::Lan(_) => true,
        SourceSet::Network(n) => inside(AddrSet::Net(*n)),
        SourceSet::Range(r) => inside(AddrSet::Range(*r)),
    }
}

fn classify(probes: &[Probe], lans: &[Network]) -> Reach {
    if let Some(u) = probes.iter().find_map(|p| match &p.verdict {
        Verdict::Unknown(u) => Some(u.clone()),
        _ => None,
    }) {
        return Reach::Unknown(u);
    }
    let yes = |p: &&Probe| p.reaches == Some(true);
    let names = |keep: bool| -> Vec<SourceSet> {
        probes
            .iter()
            .filter(|p| yes(p) == keep)
            .map(|p| p.source.clone())
            .collect()
    };
    if probes.first().is_some_and(|p| yes(&p)) {
        let refused = names(false);
        return if refused.is_empty() {
            Reach::Everyone
        } else {
            Reach::EveryoneExcept(refused)
        };
    }
    let accepted = names(true);
    if accepted.is_empty() {
        Reach::Nobody
    } else if accepted.iter().any(|s| matches!(s, SourceSet::Lan(_)))
        && accepted.iter().all(|s| within_lan(s, lans))
    {
        Reach::LanOnly
    } else {
        Reach::Sources(accepted)
    }
}
