//! The address sets a ruleset mentions, indexed by prefix, with the representative of every
//! source set computed once: what the audit's probes start from.
//!
//! Contract: the same answers as `probes::representative` and `probes::outside` over the
//! plain lists (see their contract), without their cost. A policy mentions one set per
//! whitelisted source, so the plain lists made the audit quadratic (every set checked against
//! every other, and again for every service and interface). Prefix networks are looked up by
//! masking the address once per distinct prefix length; ranges and non-contiguous masks are
//! few and checked one by one.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use crate::model::{Family, Network, Ruleset};

use super::host::Host;
use super::probes::{self, AddrSet};

/// Every mentioned set, indexed for "which sets contain this address".
#[derive(Debug, Default)]
struct SetIndex {
    /// Network addresses of the prefix networks, per family and prefix length.
    nets: HashMap<(Family, u8), HashSet<u128>>,
    /// Ranges and networks with a non-contiguous mask.
    others: Vec<AddrSet>,
}

fn bits(a: &IpAddr) -> u128 {
    match a {
        IpAddr::V4(a) => u128::from(u32::from(*a)),
        IpAddr::V6(a) => u128::from(*a),
    }
}

fn prefix_mask(family: Family, prefix: u8) -> u128 {
    let width = u32::from(family.addr_bits());
    let all = if width == 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    };
    match width - u32::from(prefix) {
        0 => all,
        host if host >= 128 => 0,
        host => all & !((1u128 << host) - 1),
    }
}

impl SetIndex {
    fn new(sets: &[AddrSet]) -> Self {
        let mut index = SetIndex::default();
        for s in sets {
            match s {
                AddrSet::Net(n) if n.prefix().is_some() => {
                    let p = n.prefix().unwrap_or_default();
                    index
                        .nets
                        .entry((n.family(), p))
                        .or_default()
                        .insert(bits(&n.addr()) & prefix_mask(n.family(), p));
                }
                other => index.others.push(*other),
            }
        }
        index
    }

    /// True when some indexed set containing `a` satisfies `pred`.
    fn any_containing(&self, a: &IpAddr, pred: impl Fn(&AddrSet) -> bool) -> bool {
        let family = Family::of(a);
        let b = bits(a);
        let nets = self.nets.iter().filter(|((f, _), _)| *f == family);
        for (&(f, p), addrs) in nets {
            let masked = b & prefix_mask(f, p);
            if addrs.contains(&masked) {
                let addr = match f {
                    Family::Ipv4 => IpAddr::V4((masked as u32).into()),
                    Family::Ipv6 => IpAddr::V6(masked.into()),
                };
                if let Ok(n) = Network::with_prefix(addr, p) {
                    if pred(&AddrSet::Net(n)) {
                        return true;
                    }
                }
            }
        }
        self.others.iter().any(|o| o.contains(a) && pred(o))
    }
}

/// The sets a ruleset mentions and the representatives of its source sets.
#[derive(Debug)]
pub(crate) struct Mentioned {
    /// The source-like sets, in first-mention order (see `probes::source_sets`).
    pub sources: Vec<AddrSet>,
    /// The kernel sets `-m set ... src` rules match, with their members (which count as
    /// mentioned sources: the outside probe avoids them).
    pub set_sources: Vec<(crate::model::matches::SetName, Vec<AddrSet>)>,
    /// The named native sets `ip saddr @NAME` rules look up, with their members (mentioned
    /// sources too, as the ipset sets are).
    pub native_sets: Vec<super::native::NativeSourceSet>,
    index: SetIndex,
    /// The representative of each of `sources`, same order.
    reps: Vec<Option<IpAddr>>,
}

impl Mentioned {
    /// Collects and indexes the sets of `ruleset` and the sources `native`'s rules name
    /// (networks, ranges and anonymous sets' members as source sets after iptables' ones;
    /// named sets whole); one representative per source set.
    pub fn new(ruleset: &Ruleset, native: &crate::native::Ruleset, host: &Host) -> Self {
        let mut sources = probes::source_sets(ruleset);
        let set_sources = probes::rule_set_sources(ruleset, host);
        let nat = super::native::native_sources(native, ruleset.family());
        let mut all = probes::all_sets(ruleset);
        for s in nat.plain {
            if !sources.contains(&s) {
                sources.push(s);
            }
            all.push(s);
        }
        all.extend(set_sources.iter().flat_map(|(_, m)| m.iter().copied()));
        all.extend(nat.sets.iter().flat_map(|s| s.members.iter().copied()));
        let index = SetIndex::new(&all);
        let mut m = Mentioned {
            sources,
            set_sources,
            native_sets: nat.sets,
            index,
            reps: Vec::new(),
        };
        m.reps = m
            .sources
            .iter()
            .map(|s| m.representative(s, host))
            .collect();
        m
    }

    /// As `probes::representative(set, all, host)`.
    pub fn representative(&self, set: &AddrSet, host: &Host) -> Option<IpAddr> {
        let cands = set.candidates();
        let not_local = |a: &&IpAddr| host.local_owner(a).is_none();
        let narrower = |a: &IpAddr| self.index.any_containing(a, |o| o != set && !o.covers(set));
        cands
            .iter()
            .filter(not_local)
            .find(|a| !narrower(a))
            .or_else(|| cands.iter().find(not_local))
            .copied()
    }

    /// The source sets of `family` with their representatives (those that have one).
    pub fn source_reps(&self, family: Family) -> impl Iterator<Item = (&AddrSet, IpAddr)> {
        self.sources
            .iter()
            .zip(&self.reps)
            .filter(move |(s, _)| s.family() == family)
            .filter_map(|(s, r)| r.map(|r| (s, r)))
    }

    /// As `probes::outside(family, all, host)`.
    pub fn outside(&self, family: Family, host: &Host) -> Option<IpAddr> {
        probes::outside_by(family, host, |a| self.index.any_containing(a, |_| true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{HostIface, IfaceKind};
    use crate::syntax::parse_ruleset;

    /// Nested and overlapping sets, a range, a non-contiguous mask, both families.
    fn ruleset(family: Family) -> Ruleset {
        let mut text = String::from("*filter\n:INPUT ACCEPT [0:0]\n");
        let srcs: &[&str] = match family {
            Family::Ipv4 => &[
                "10.0.0.0/8",
                "10.1.0.0/16",
                "10.1.2.0/24",
                "10.1.2.3/32",
                "10.1.2.4/31",
                "198.51.100.0/24",
                "192.0.2.0/24",
                "10.0.0.0/255.0.255.0",
                "0.0.0.0/0",
            ],
            Family::Ipv6 => &[
                "2001:db8::/32",
                "2001:db8:1::/48",
                "2001:db8:1::7/128",
                "::/0",
            ],
        };
        for s in srcs {
            text.push_str(&format!("-A INPUT -s {s} -j ACCEPT\n"));
            text.push_str(&format!("-A INPUT -d {s} -j DROP\n"));
        }
        if family == Family::Ipv4 {
            text.push_str("-A INPUT -m iprange --src-range 10.1.2.10-10.1.3.20 -j ACCEPT\n");
        }
        text.push_str("COMMIT\n");
        parse_ruleset(family, &text).unwrap()
    }

    fn host() -> Host {
        Host {
            ifaces: vec![HostIface {
                name: "eth0".into(),
                kind: IfaceKind::External,
                addrs: vec![
                    ("192.0.2.1".parse().unwrap(), 24),
                    ("2001:db8:1::1".parse().unwrap(), 64),
                ],
            }],
            routes: Vec::new(),
            forwarding: false,
            mark_rules: None,
            sets: Default::default(),
        }
    }

    #[test]
    fn the_index_answers_as_the_plain_lists() {
        let h = host();
        for family in Family::ALL {
            let rs = ruleset(family);
            let all = probes::all_sets(&rs);
            let m = Mentioned::new(&rs, &Default::default(), &h);
            assert_eq!(m.sources, probes::source_sets(&rs));
            assert!(m.sources.len() >= 3, "{family}");
            for s in all.iter().chain(&m.sources) {
                let plain = probes::representative(s, &all, &h);
                assert_eq!(m.representative(s, &h), plain, "{family} {s:?}");
            }
            let reps: Vec<_> = m.source_reps(family).map(|(_, a)| a).collect();
            let plain: Vec<_> = m
                .sources
                .iter()
                .filter_map(|s| probes::representative(s, &all, &h))
                .collect();
            assert_eq!(reps, plain, "{family}");
            assert_eq!(
                m.outside(family, &h),
                probes::outside(family, &all, &h),
                "{family}"
            );
        }
    }
}
