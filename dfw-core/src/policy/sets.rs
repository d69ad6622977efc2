//! The kernel sets a policy needs: which source lists become ipset `hash:net` sets matched by
//! one rule, their names, and their members.
//!
//! Contract: a source list (whitelist, LAN, one allow's `from`, the block list) becomes a set
//! when sets are available and it has more than [`SET_THRESHOLD`] entries of the family;
//! otherwise it stays one rule per entry. Measured (issue 15, simulated Docker host): one set
//! match costs about 161 ns per new connection and one rule about 7 ns, so a set pays off
//! from about 23 entries; 20 keeps short lists (the common case, and what `iptables-save`
//! readers expect) as plain rules, and is within 15% of the crossover either way. A list with
//! a `/0` entry (everyone) never becomes a set (`hash:net` refuses prefix 0). Ranges are
//! split into the fewest CIDRs. Members are sorted and deduplicated, so the same policy always
//! gives the same set. Names start with [`DFW_SET_PREFIX`]; dfw creates, changes and destroys
//! only sets so named, and reads the others only when `[blocklist] ipsets` names them.

use std::net::IpAddr;

use super::config::Source;
use crate::model::matches::SetName;
use crate::model::{AddrRange, Family, Network};

/// Prefix of every set dfw owns.
pub const DFW_SET_PREFIX: &str = "dfw-";

/// Lists with more entries than this (per family) become a set.
pub const SET_THRESHOLD: usize = 20;

/// What a source list is for (it names the set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetRole {
    /// `[whitelist] sources`.
    Whitelist,
    /// `[lan] networks`.
    Lan,
    /// `from` of the `[[allow]]` with this index (file order).
    Allow(usize),
    /// `[blocklist] sources` and `files`.
    Block,
    /// `dfw-cli ban`: addresses banned at run time, with kernel-side timeouts.
    Ban,
}

impl SetRole {
    /// The set's name for `family`: `dfw-whitelist4`, `dfw-allow3-6`, `dfw-ban4` ...
    pub fn set_name(self, family: Family) -> SetName {
        let f = match family {
            Family::Ipv4 => "4",
            Family::Ipv6 => "6",
        };
        let name = match self {
            SetRole::Whitelist => format!("{DFW_SET_PREFIX}whitelist{f}"),
            SetRole::Lan => format!("{DFW_SET_PREFIX}lan{f}"),
            SetRole::Allow(i) => format!("{DFW_SET_PREFIX}allow{i}-{f}"),
            SetRole::Block => format!("{DFW_SET_PREFIX}block{f}"),
            SetRole::Ban => format!("{DFW_SET_PREFIX}ban{f}"),
        };
        // At most 4 + 9 + 1 = 14 bytes plus an index of at most 20 digits: always valid.
        SetName::new(&name).unwrap_or_else(|_| unreachable!("dfw's set names are valid"))
    }
}

impl SetRole {
    /// The role and family a dfw set name stands for (the inverse of [`SetRole::set_name`]);
    /// `None` for a name dfw never gives.
    pub fn of_set_name(name: &SetName) -> Option<(SetRole, Family)> {
        let rest = name.as_str().strip_prefix(DFW_SET_PREFIX)?;
        let (stem, family) = if let Some(s) = rest.strip_suffix('4') {
            (s, Family::Ipv4)
        } else {
            (rest.strip_suffix('6')?, Family::Ipv6)
        };
        let role = match stem {
            "whitelist" => SetRole::Whitelist,
            "lan" => SetRole::Lan,
            "block" => SetRole::Block,
            "ban" => SetRole::Ban,
            _ => {
                let i = stem.strip_prefix("allow")?.strip_suffix('-')?;
                if i.is_empty()
                    || !i.bytes().all(|b| b.is_ascii_digit())
                    || i.starts_with('0') && i.len() > 1
                {
                    return None;
                }
                SetRole::Allow(i.parse().ok()?)
            }
        };
        Some((role, family))
    }
}

/// What a set dfw owns must hold.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SetMembers {
    /// Exactly these networks (sorted, no duplicates).
    Static(Vec<Network>),
    /// Whatever the kernel holds: entries added and removed at run time (`dfw-cli ban`), each
    /// with its own timeout. A commit only makes sure the set exists.
    Dynamic,
}

/// One set a compiled policy needs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SetSpec {
    /// Its name (starts with [`DFW_SET_PREFIX`]).
    pub name: SetName,
    /// What it is for.
    pub role: SetRole,
    /// Its family.
    pub family: Family,
    /// Its members.
    pub members: SetMembers,
}

impl SetSpec {
    /// True for a set created with timeout support (the ban sets).
    pub fn with_timeouts(&self) -> bool {
        self.members == SetMembers::Dynamic
    }
}

/// True when `name` is a set dfw owns.
pub fn is_dfw_set(name: &SetName) -> bool {
    name.as_str().starts_with(DFW_SET_PREFIX)
}

/// The fewest CIDRs covering exactly `r`.
pub fn range_cidrs(r: &AddrRange) -> Vec<Network> {
    let family = r.family();
    let width = u32::from(family.addr_bits());
    let bits = |a: IpAddr| -> u128 {
        match a {
            IpAddr::V4(a) => u128::from(u32::from(a)),
            IpAddr::V6(a) => u128::from(a),
        }
    };
    let addr = |v: u128| -> IpAddr {
        match family {
            Family::Ipv4 => IpAddr::V4((v as u32).into()),
            Family::Ipv6 => IpAddr::V6(v.into()),
        }
    };
    let (mut lo, hi) = (bits(r.start()), bits(r.end()));
    let mut out = Vec::new();
    loop {
        // The largest block starting at `lo` (alignment) that does not pass `hi`.
        let align = if lo == 0 {
            width
        } else {
            lo.trailing_zeros().min(width)
        };
        let mut size = align;
        while size > 0 && {
            let span = if size >= 128 {
                u128::MAX
            } else {
                (1u128 << size) - 1
            };
            lo.checked_add(span).is_none_or(|end| end > hi)
        } {
            size -= 1;
        }
        let prefix = (width - size) as u8;
        out.push(
            Network::with_prefix(addr(lo), prefix)
                .unwrap_or_else(|_| unreachable!("prefix within the family")),
        );
        let span = if size >= 128 {
            u128::MAX
        } else {
            (1u128 << size) - 1
        };
        match lo.checked_add(span) {
            Some(end) if end < hi => lo = end + 1,
            _ => return out,
        }
    }
}

/// The networks of `sources` in `family`, ranges split into CIDRs, sorted and deduplicated;
/// `None` when one of them is a `/0` (which a set cannot hold).
pub fn set_members<'a>(
    sources: impl IntoIterator<Item = &'a Source>,
    family: Family,
) -> Option<Vec<Network>> {
    let mut nets = Vec::new();
    for s in sources.into_iter().filter(|s| s.family() == family) {
        match s {
            Source::Net(n) if n.prefix() == Some(0) => return None,
            Source::Net(n) => nets.push(*n),
            Source::Range(r) => {
                let cidrs = range_cidrs(r);
                if cidrs.iter().any(|n| n.prefix() == Some(0)) {
                    return None;
                }
                nets.extend(cidrs);
            }
        }
    }
    nets.sort_by_key(|n| (n.addr(), n.prefix()));
    nets.dedup();
    Some(nets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(a: &str, b: &str) -> AddrRange {
        AddrRange::new(a.parse().unwrap(), b.parse().unwrap()).unwrap()
    }

    #[test]
    fn set_names_map_back_to_their_role() {
        let roles = [
            SetRole::Whitelist,
            SetRole::Lan,
            SetRole::Allow(0),
            SetRole::Allow(17),
            SetRole::Block,
            SetRole::Ban,
        ];
        for role in roles {
            for family in [Family::Ipv4, Family::Ipv6] {
                let name = role.set_name(family);
                assert_eq!(SetRole::of_set_name(&name), Some((role, family)), "{name}");
            }
        }
        for other in [
            "dfw-whitelist",
            "dfw-allow-4",
            "dfw-allow01-4",
            "dfw-allowx-6",
            "crowdsec-blacklists",
            "dfw-block4~",
        ] {
            assert_eq!(SetRole::of_set_name(&SetName::new(other).unwrap()), None);
        }
    }

    #[test]
    fn ranges_split_into_the_fewest_cidrs() {
        let text = |r| {
            range_cidrs(&r)
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(text(range("192.0.2.0", "192.0.2.255")), ["192.0.2.0/24"]);
        assert_eq!(
            text(range("198.51.100.1", "198.51.100.3")),
            ["198.51.100.1/32", "198.51.100.2/31"]
        );
        assert_eq!(text(range("0.0.0.0", "255.255.255.255")), ["0.0.0.0/0"]);
        assert_eq!(
            text(range("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")),
            ["::/0"]
        );
        assert_eq!(text(range("10.0.0.5", "10.0.0.5")), ["10.0.0.5/32"]);
        let r = range("10.0.0.7", "10.0.1.12");
        let cidrs = range_cidrs(&r);
        // Exactly the range: contiguous, in order, no overlap.
        let count: u64 = cidrs
            .iter()
            .map(|n| 1u64 << (32 - n.prefix().unwrap()))
            .sum();
        assert_eq!(count, 256 + 13 - 7);
    }

    #[test]
    fn names_and_members() {
        assert_eq!(
            SetRole::Allow(3).set_name(Family::Ipv6).as_str(),
            "dfw-allow3-6"
        );
        assert_eq!(
            SetRole::Whitelist.set_name(Family::Ipv4).as_str(),
            "dfw-whitelist4"
        );
        assert!(is_dfw_set(&SetRole::Ban.set_name(Family::Ipv4)));
        let s = |t: &str| super::super::value::source(t).unwrap();
        let list = [
            s("192.0.2.1"),
            s("192.0.2.1"),
            s("2001:db8::/32"),
            s("10.0.0.0/8"),
        ];
        let m = set_members(&list, Family::Ipv4).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(set_members(&[s("0.0.0.0/0")], Family::Ipv4), None);
    }
}
