//! Helpers of the audit: the DNAT rules reached from nat PREROUTING, the networks a ruleset
//! mentions, and representative addresses (one address standing for a set of sources).
//!
//! Contract: representatives are deterministic. For a mentioned set, the representative lies in
//! the set and, when possible, outside every other mentioned set that does not contain the
//! whole set (so a /8 is represented by an address outside a mentioned /16 inside it), and is
//! never one of the host's own addresses. The "outside" address lies in no mentioned set, no
//! interface network, and is an ordinary unicast address.

use std::collections::HashSet;
use std::net::IpAddr;

use crate::model::matches::MultiportKind;
use crate::model::{AddrRange, Family, Match, Network, PortRange, Protocol, Rule, Ruleset};
use crate::model::{TableName, Target};

use super::host::Host;
use super::trace::RuleRef;

/// A set of source addresses a ruleset mentions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddrSet {
    /// A network with its mask.
    Net(Network),
    /// An inclusive range.
    Range(AddrRange),
}

fn bits(a: &IpAddr) -> u128 {
    match a {
        IpAddr::V4(a) => u32::from(*a) as u128,
        IpAddr::V6(a) => u128::from(*a),
    }
}

fn from_bits(family: Family, b: u128) -> IpAddr {
    match family {
        Family::Ipv4 => IpAddr::from((b as u32).to_be_bytes()),
        Family::Ipv6 => IpAddr::from(b.to_be_bytes()),
    }
}

fn width_mask(family: Family) -> u128 {
    match family {
        Family::Ipv4 => u32::MAX as u128,
        Family::Ipv6 => u128::MAX,
    }
}

impl AddrSet {
    /// True when `a` is in the set.
    pub fn contains(&self, a: &IpAddr) -> bool {
        match self {
            AddrSet::Net(n) => n.contains(a),
            AddrSet::Range(r) => r.contains(a),
        }
    }

    /// The family.
    pub fn family(&self) -> Family {
        match self {
            AddrSet::Net(n) => n.family(),
            AddrSet::Range(r) => r.family(),
        }
    }

    /// Lowest and highest member.
    fn bounds(&self) -> (IpAddr, IpAddr) {
        match self {
            AddrSet::Net(n) => {
                let f = n.family();
                let host = !bits(&n.mask()) & width_mask(f);
                (n.addr(), from_bits(f, bits(&n.addr()) | host))
            }
            AddrSet::Range(r) => (r.start(), r.end()),
        }
    }

    /// True when every member of `other` is in `self` (exact for prefixes and ranges).
    pub fn covers(&self, other: &AddrSet) -> bool {
        let (lo, hi) = other.bounds();
        self.contains(&lo) && self.contains(&hi) && {
            match (self, other) {
                (AddrSet::Net(a), AddrSet::Net(b)) => {
                    a.prefix().is_some() || bits(&a.mask()) & !bits(&b.mask()) == 0
                }
                _ => true,
            }
        }
    }

    /// Candidate members, in preference order.
    pub(crate) fn candidates(&self) -> Vec<IpAddr> {
        let f = self.family();
        let (lo, hi) = self.bounds();
        let (l, h) = (bits(&lo), bits(&hi));
        let mut out = Vec::new();
        let span = h - l;
        for off in [1u128, 2, span / 2 + 1, span.saturating_sub(1), 0, span] {
            if off <= span {
                out.push(from_bits(f, l + off));
            }
        }
        if let AddrSet::Net(n) = self {
            let host = !bits(&n.mask()) & width_mask(f);
            let mut x: u128 = 0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835;
            for _ in 0..32 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                out.push(from_bits(f, bits(&n.addr()) | (x.rotate_left(17) & host)));
            }
        }
        out.retain(|a| self.contains(a));
        out
    }
}

/// Every rule reached from built-in chain `base` of `table` through jumps and gotos, in walk
/// order (depth first, each chain once).
pub fn reachable<'r>(
    ruleset: &'r Ruleset,
    table: TableName,
    base: &'r str,
) -> Vec<(RuleRef, &'r Rule)> {
    let mut out = Vec::new();
    let Some(t) = ruleset.table(table) else {
        return out;
    };
    let mut seen: HashSet<&str> = HashSet::new();
    let mut todo = vec![base];
    while let Some(name) = todo.pop() {
        if !seen.insert(name) {
            continue;
        }
        let Some(chain) = t.chain(name) else {
            continue;
        };
        let mut next = Vec::new();
        for (i, rule) in chain.rules.iter().enumerate() {
            let at = RuleRef {
                table: table.into(),
                chain: name.to_string(),
                number: i + 1,
            };
            out.push((at, rule));
            if let Some(c) = rule.target.as_ref().and_then(|t| t.chain()) {
                next.push(c.as_str());
            }
        }
        todo.extend(next.into_iter().rev());
    }
    out
}

/// Every DNAT rule reached from nat PREROUTING, in walk order.
pub fn dnat_rules(ruleset: &Ruleset) -> Vec<(RuleRef, &Rule)> {
    reachable(ruleset, TableName::Nat, "PREROUTING")
        .into_iter()
        .filter(|(_, r)| matches!(r.target, Some(Target::Dnat(_))))
        .collect()
}

/// The destination ports a rule selects (positive ranges) and those it excludes (negated).
pub fn dports(rule: &Rule) -> (Vec<PortRange>, Vec<PortRange>) {
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
            Match::Sctp(s) => match &s.dport {
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

/// The (protocol, first port) pairs the rules reached from filter INPUT select by destination
/// port, TCP and UDP only, sorted and deduplicated; a rule without `-p` counts for both.
pub fn input_ports(ruleset: &Ruleset) -> Vec<(Protocol, u16)> {
    let mut out = Vec::new();
    for (_, rule) in reachable(ruleset, TableName::Filter, "INPUT") {
        let protos = match rule.bound_proto() {
            Some(p) if p == Protocol::TCP || p == Protocol::UDP => vec![p],
            Some(_) => continue,
            None => vec![Protocol::TCP, Protocol::UDP],
        };
        let (pos, neg) = dports(rule);
        for r in pos.iter().chain(&neg) {
            for p in &protos {
                out.push((*p, r.lo()));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The first port from 1 up that no rule of any table selects or excludes by destination port
/// (`--dport`, `--dports`, `--ports`, `--ctorigdstport`, `--ctreplsrcport`): every such port
/// meets the same rules as it.
pub fn unmentioned_port(ruleset: &Ruleset) -> Option<u16> {
    let mut ranges: Vec<PortRange> = Vec::new();
    for rule in ruleset.rules() {
        let (pos, neg) = dports(rule);
        ranges.extend(pos.into_iter().chain(neg));
        for m in &rule.matches {
            if let Match::Conntrack(c) = m {
                let ports = [&c.orig_dst_port, &c.repl_src_port];
                ranges.extend(ports.into_iter().flatten().map(|p| p.value));
            }
        }
    }
    (1..=u16::MAX).find(|p| !ranges.iter().any(|r| r.contains(*p)))
}

/// The source-like address sets of every rule of every table (header `-s`, `--ctorigsrc`,
/// `--ctrepldst`, `--src-range`), deduplicated, without "any".
pub fn source_sets(ruleset: &Ruleset) -> Vec<AddrSet> {
    collect(ruleset, true)
}

/// Every address set mentioned anywhere (sources and destinations).
pub fn all_sets(ruleset: &Ruleset) -> Vec<AddrSet> {
    collect(ruleset, false)
}

fn collect(ruleset: &Ruleset, sources_only: bool) -> Vec<AddrSet> {
    let mut out: Vec<AddrSet> = Vec::new();
    let mut seen: HashSet<AddrSet> = HashSet::new();
    let mut push = |s: AddrSet| {
        let any = matches!(s, AddrSet::Net(n) if n.is_any());
        if !any && seen.insert(s) {
            out.push(s);
        }
    };
    for rule in ruleset.rules() {
        push_opt(&mut push, rule.header.src.as_ref().map(|n| n.value));
        if !sources_only {
            push_opt(&mut push, rule.header.dst.as_ref().map(|n| n.value));
        }
        for m in &rule.matches {
            match m {
                Match::Conntrack(c) => {
                    push_opt(&mut push, c.orig_src.as_ref().map(|n| n.value));
                    push_opt(&mut push, c.repl_dst.as_ref().map(|n| n.value));
                    if !sources_only {
                        push_opt(&mut push, c.orig_dst.as_ref().map(|n| n.value));
                        push_opt(&mut push, c.repl_src.as_ref().map(|n| n.value));
                    }
                }
                Match::IpRange(r) => {
                    if let Some(s) = r.src() {
                        push(AddrSet::Range(s.value));
                    }
                    if let (false, Some(d)) = (sources_only, r.dst()) {
                        push(AddrSet::Range(d.value));
                    }
                }
                _ => {}
            }
        }
    }
    out
}

fn push_opt(push: &mut impl FnMut(AddrSet), n: Option<Network>) {
    if let Some(n) = n {
        push(AddrSet::Net(n));
    }
}

/// Every set a `-m set --match-set NAME src` rule of `ruleset` matches whose members `host`
/// knows, with its members, by name.
pub fn rule_set_sources(
    ruleset: &Ruleset,
    host: &Host,
) -> Vec<(crate::model::matches::SetName, Vec<AddrSet>)> {
    let mut out: Vec<(crate::model::matches::SetName, Vec<AddrSet>)> = Vec::new();
    for rule in ruleset.rules() {
        for m in &rule.matches {
            let Match::Set(s) = m else { continue };
            if s.dirs() != [crate::model::matches::SetDir::Src]
                || out.iter().any(|(n, _)| n == s.name())
            {
                continue;
            }
            if let Some(super::sets::SetContents::Nets { family, members }) =
                host.sets.get(s.name())
            {
                if *family == ruleset.family() {
                    out.push((
                        s.name().clone(),
                        members.iter().map(|n| AddrSet::Net(*n)).collect(),
                    ));
                }
            }
        }
    }
    out
}

/// A member of `set` avoiding the host's addresses and, if possible, every set of `others`
/// that does not cover `set`.
pub fn representative(set: &AddrSet, others: &[AddrSet], host: &Host) -> Option<IpAddr> {
    let cands = set.candidates();
    let not_local = |a: &&IpAddr| host.local_owner(a).is_none();
    let narrower: Vec<&AddrSet> = others
        .iter()
        .filter(|o| *o != set && !o.covers(set))
        .collect();
    cands
        .iter()
        .filter(not_local)
        .find(|a| !narrower.iter().any(|o| o.contains(a)))
        .or_else(|| cands.iter().find(not_local))
        .copied()
}

/// An ordinary unicast address in no mentioned set and no interface network (the plain form
/// of `Mentioned::outside`, its test oracle).
#[cfg(test)]
pub fn outside(family: Family, mentioned: &[AddrSet], host: &Host) -> Option<IpAddr> {
    outside_by(family, host, |a| mentioned.iter().any(|s| s.contains(a)))
}

/// As [`outside`], with `mentioned(a)` telling whether a mentioned set contains `a`.
pub(crate) fn outside_by(
    family: Family,
    host: &Host,
    mentioned: impl Fn(&IpAddr) -> bool,
) -> Option<IpAddr> {
    let lans: Vec<Network> = host
        .ifaces
        .iter()
        .flat_map(|i| &i.addrs)
        .filter_map(|(a, p)| Network::with_prefix(*a, *p).ok())
        .collect();
    let free = |a: &IpAddr| {
        !mentioned(a) && !lans.iter().any(|n| n.contains(a)) && host.local_owner(a).is_none()
    };
    let fixed: &[&str] = match family {
        Family::Ipv4 => &["203.0.113.77", "198.51.100.77", "192.0.2.77", "100.64.0.77"],
        Family::Ipv6 => &["2001:db8:ffff::77", "2001:db8:7777::77", "2a00:1450::77"],
    };
    let mut x: u128 = 0x2545_f491_4f6c_dd1d;
    let generated = (0..20_000).map(move |_| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let r = x >> 64;
        match family {
            Family::Ipv4 => from_bits(family, r & 0xffff_ffff),
            Family::Ipv6 => from_bits(family, (0x2000u128 << 112) | (r << 40) | 0x77),
        }
    });
    fixed
        .iter()
        .filter_map(|s| s.parse::<IpAddr>().ok())
        .chain(generated)
        .filter(ordinary)
        .find(free)
}

fn ordinary(a: &IpAddr) -> bool {
    match a {
        IpAddr::V4(v) => {
            let o = v.octets();
            !(o[0] == 0 || o[0] == 127 || o[0] >= 224 || v.is_link_local() || v.is_broadcast())
        }
        IpAddr::V6(v) => (v.segments()[0] & 0xe000) == 0x2000,
    }
}
