//! Who can reach one service (a published port or a host port) through one interface: runs
//! [`explain`] for representative sources and classifies the results into a [`Reach`].
//!
//! Contract: see [`audit`](super::audit) for the probes and the classification rules.

use std::net::IpAddr;

use crate::model::matches::TcpFlag;
use crate::model::{Family, Neg, Network, Protocol, Ruleset};

use super::audit::{IfaceExposure, Probe, Reach, SourceSet};
use super::explain::explain_with;
use super::host::{Host, IfaceKind, RouteDecision};
use super::mentioned::Mentioned;
use super::packet::{Packet, L4};
use super::probes::{self, AddrSet};
use super::trace::{PathOutcome, RuleRef, Undecided, Verdict};

/// What a probe must achieve to count as reaching the service.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Goal<'a> {
    /// Accepted after the DNAT of this rule.
    Published(&'a RuleRef),
    /// Accepted on the INPUT path without DNAT.
    Host,
}

/// The service probed: goal, layer-4 template (protocol and destination port) and the
/// destination address match of the DNAT rule, if any.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Service<'a> {
    pub goal: Goal<'a>,
    pub l4: L4,
    pub dst: Option<&'a Neg<Network>>,
    /// The native tables the probes also traverse.
    pub native: &'a crate::native::Ruleset,
}

/// The address to probe: the DNAT rule's `-d` host, else the interface's first address of the
/// family, else any non-loopback address of the host.
fn probe_dst(host: &Host, svc: &Service<'_>, iface: &str, family: Family) -> Option<IpAddr> {
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
            .filter(|i| i.kind != IfaceKind::Loopback)
            .find_map(|i| own(&i.name))
    });
    match svc.dst {
        Some(d) if !d.negated && d.value.is_host() => Some(d.value.addr()),
        Some(d) if !d.negated => first
            .filter(|a| d.value.contains(a))
            .or_else(|| probes::representative(&AddrSet::Net(d.value), &[], host)),
        _ => first,
    }
}

/// The layer-4 template of a probe for a protocol (`None`: TCP) and destination port.
pub(crate) fn l4_for(proto: Option<Protocol>, port: u16) -> L4 {
    match proto {
        None | Some(Protocol::TCP) => L4::Tcp {
            sport: None,
            dport: port,
            flags: TcpFlag::SYN,
        },
        Some(Protocol::UDP) => L4::Udp {
            sport: None,
            dport: port,
        },
        Some(Protocol::SCTP) => L4::Sctp {
            sport: None,
            dport: port,
        },
        Some(Protocol::ICMP) | Some(Protocol::ICMPV6) => L4::Icmp { typ: 8, code: 0 },
        Some(other) => L4::Other(other),
    }
}

fn packet(svc: &Service<'_>, iface: &str, src: IpAddr, dst: IpAddr) -> Packet {
    let l4 = match svc.l4 {
        L4::Icmp { .. } if Family::of(&src) == Family::Ipv6 => L4::Icmp { typ: 128, code: 0 },
        L4::Icmp { .. } => L4::Icmp { typ: 8, code: 0 },
        other => other,
    };
    Packet {
        in_iface: iface.to_string(),
        src,
        dst,
        l4,
        mark: None,
        details: Default::default(),
    }
}

fn run_probe(
    ruleset: &Ruleset,
    host: &Host,
    svc: &Service<'_>,
    pkt: &Packet,
    s: SourceSet,
) -> Probe {
    let (verdict, decided_by, dnat, outcomes) = match explain_with(ruleset, svc.native, pkt, host) {
        Ok(t) => (t.verdict, t.decided_by, t.dnat, t.outcomes),
        Err(e) => (
            Verdict::Unknown(Undecided {
                rule: None,
                reason: e.to_string(),
            }),
            None,
            None,
            Vec::new(),
        ),
    };
    let goal = |o: &PathOutcome| -> Option<bool> {
        match (&o.verdict, svc.goal) {
            (Verdict::Unknown(_), _) => None,
            (Verdict::Accept, Goal::Published(at)) => {
                Some(o.dnat.as_ref().is_some_and(|d| &d.rule == at))
            }
            (Verdict::Accept, Goal::Host) => {
                Some(o.dnat.is_none() && o.route == Some(RouteDecision::Local))
            }
            (Verdict::Drop | Verdict::Reject(_), _) => Some(false),
        }
    };
    // Every explored path reaching the service (or none) decides it, even when the verdicts
    // differ (DROP on one path, REJECT on another); a path that cannot be followed does not.
    let each: Vec<Option<bool>> = outcomes.iter().map(goal).collect();
    let reaches = match each.first() {
        Some(Some(b)) if each.iter().all(|e| *e == Some(*b)) => Some(*b),
        _ => None,
    };
    let possibly = each.contains(&Some(true)) && !each.contains(&None);
    Probe {
        source: s,
        addr: pkt.src,
        verdict,
        decided_by,
        dnat,
        reaches,
        possibly,
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

/// Probes `svc` through `iface` from the outside, the LAN and every mentioned source set.
pub(crate) fn exposure(
    ruleset: &Ruleset,
    host: &Host,
    svc: &Service<'_>,
    iface: &str,
    mentioned: &Mentioned,
) -> IfaceExposure {
    let family = ruleset.family();
    let Some(dst) = probe_dst(host, svc, iface, family) else {
        return unknown_exposure(iface, format!("no {family} address to probe on {iface}"));
    };
    let Some(out) = mentioned.outside(family, host) else {
        return unknown_exposure(iface, "no address outside the mentioned networks".into());
    };
    let lans = host.lan(iface, family);
    let mut sets: Vec<(SourceSet, IpAddr)> = vec![(SourceSet::Outside, out)];
    for lan in &lans {
        if let Some(a) = mentioned.representative(&AddrSet::Net(*lan), host) {
            sets.push((SourceSet::Lan(*lan), a));
        }
    }
    for (s, a) in mentioned.source_reps(family) {
        let named = match s {
            AddrSet::Net(n) => SourceSet::Network(*n),
            AddrSet::Range(r) => SourceSet::Range(*r),
        };
        sets.push((named, a));
    }
    for (name, members) in &mentioned.set_sources {
        let rep = members
            .iter()
            .filter(|m| m.family() == family)
            .find_map(|m| probes::representative(m, &[], host));
        if let Some(a) = rep {
            let named = SourceSet::IpSet {
                name: name.clone(),
                members: members.len(),
            };
            sets.push((named, a));
        }
    }
    for n in &mentioned.native_sets {
        if let Some(a) = n
            .members
            .iter()
            .find_map(|m| mentioned.representative(m, host))
        {
            let named = SourceSet::NftSet {
                family: n.family,
                table: n.table.clone(),
                set: n.set.clone(),
                members: n.members.len(),
            };
            sets.push((named, a));
        }
    }
    let probes: Vec<Probe> = sets
        .into_iter()
        .map(|(s, src)| run_probe(ruleset, host, svc, &packet(svc, iface, src, dst), s))
        .collect();
    let reach = classify(&probes, &lans);
    IfaceExposure {
        iface: iface.to_string(),
        reach,
        decided_by: probes.first().and_then(|p| p.decided_by.clone()),
        probes,
    }
}

fn within_lan(s: &SourceSet, lans: &[Network]) -> bool {
    let inside = |set: AddrSet| lans.iter().any(|l| AddrSet::Net(*l).covers(&set));
    match s {
        SourceSet::Outside => false,
        SourceSet::Lan(_) => true,
        SourceSet::Network(n) => inside(AddrSet::Net(*n)),
        SourceSet::Range(r) => inside(AddrSet::Range(*r)),
        SourceSet::IpSet { .. } | SourceSet::NftSet { .. } => false,
    }
}

/// The [`Reach`] of a list of probes (outside first).
pub(crate) fn classify(probes: &[Probe], lans: &[Network]) -> Reach {
    let undecided = |p: &Probe| match &p.verdict {
        Verdict::Unknown(u) => u.clone(),
        _ => Undecided {
            rule: None,
            reason: "undecidable rules".into(),
        },
    };
    let open: Vec<&Probe> = probes.iter().filter(|p| p.reaches.is_none()).collect();
    if let Some(p) = open.iter().find(|p| !p.possibly) {
        return Reach::Unknown(undecided(p));
    }
    if let Some(p) = open.first() {
        let sets = probes
            .iter()
            .filter(|p| p.possibly)
            .map(|p| p.source.clone())
            .collect();
        return Reach::Possibly(sets, undecided(p));
    }
    let yes = |p: &Probe| p.reaches == Some(true);
    let names = |keep: bool| -> Vec<SourceSet> {
        probes
            .iter()
            .filter(|p| yes(p) == keep)
            .map(|p| p.source.clone())
            .collect()
    };
    if probes.first().is_some_and(yes) {
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
