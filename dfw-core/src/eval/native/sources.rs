//! Source addresses native rules name, for the audit's probes: `ip saddr 198.51.100.0/24`,
//! `ip saddr 198.51.100.1-198.51.100.9`, `ip saddr { ... }` and `ip saddr @allowed`
//! (firewalld's and an admin's allow lists, intervals included), and their `ip6` forms.
//!
//! Contract: every rule of a table packets of the family traverse is read for the source
//! address loaded from the network header (IPv4 offset 12, 4 bytes; IPv6 offset 8, 16 bytes),
//! optionally masked by a contiguous prefix mask, then compared (`==`/`!=`: a network),
//! range-compared (a range) or looked up in a set whose key is exactly that address.
//! Anonymous sets are written in the rule (`{ a, b }`): their members are plain sources, as
//! `-s a,b` is for iptables. Named sets are returned whole, with their members, so the audit
//! probes one member of each and keeps its outside address out of all of them. A set key of
//! another shape (a concatenation) is not a source list and is skipped; elements are read as
//! [`crate::native::Set::lookup`] decides membership (exact keys, interval starts up to the
//! next key, ranges with an end key).

use std::net::IpAddr;

use crate::eval::probes::AddrSet;
use crate::model::{AddrRange, Family, Network};
use crate::native::{CmpOp, Expr, NftFamily, PayloadBase, Ruleset, Set, SetFlags};

/// A named native set of sources, with its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NativeSourceSet {
    /// The table's family.
    pub family: NftFamily,
    /// The table.
    pub table: String,
    /// The set.
    pub set: String,
    /// Its members of the family.
    pub members: Vec<AddrSet>,
}

/// What the native rules name as sources.
#[derive(Debug, Default)]
pub(crate) struct NativeSources {
    /// Networks, ranges and anonymous sets' members, in rule order, without repeats.
    pub plain: Vec<AddrSet>,
    /// Named sets rules look sources up in, first-mention order.
    pub sets: Vec<NativeSourceSet>,
}

fn addr_len(family: Family) -> usize {
    match family {
        Family::Ipv4 => 4,
        Family::Ipv6 => 16,
    }
}

fn ip(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => Some(IpAddr::from(<[u8; 4]>::try_from(bytes).ok()?)),
        16 => Some(IpAddr::from(<[u8; 16]>::try_from(bytes).ok()?)),
        _ => None,
    }
}

fn from_bits(family: Family, b: u128) -> IpAddr {
    match family {
        Family::Ipv4 => IpAddr::from((b as u32).to_be_bytes()),
        Family::Ipv6 => IpAddr::from(b.to_be_bytes()),
    }
}

fn bits(bytes: &[u8]) -> u128 {
    bytes
        .iter()
        .fold(0u128, |acc, b| (acc << 8) | u128::from(*b))
}

/// The prefix length of a contiguous mask.
fn prefix_of(mask: &[u8]) -> Option<u8> {
    let width = mask.len() as u32 * 8;
    if width == 0 || width > 128 {
        return None;
    }
    let b = bits(mask);
    let ones = b.count_ones();
    let contiguous = if ones == 0 {
        0
    } else {
        (u128::MAX >> (128 - ones)) << (width - ones)
    };
    (b == contiguous).then_some(ones as u8)
}

/// The members of `set` as address sets, when its key is one address of `family`.
pub(crate) fn set_members(set: &Set, family: Family) -> Option<Vec<AddrSet>> {
    let len = addr_len(family);
    if set.key_len as usize != len || set.fields.len() > 1 || set.is_map() {
        return None;
    }
    let elems: Vec<_> = set.elems.iter().filter(|e| !e.catchall).collect();
    let range = |lo: &[u8], hi: &[u8]| -> Option<AddrSet> {
        let r = AddrRange::new(ip(lo.get(..len)?)?, ip(hi.get(..len)?)?).ok()?;
        Some(if lo == hi {
            AddrSet::Net(Network::with_prefix(r.start(), len as u8 * 8).ok()?)
        } else {
            AddrSet::Range(r)
        })
    };
    let mut out = Vec::new();
    if elems.iter().any(|e| e.key_end.is_some()) {
        for e in &elems {
            out.extend(range(&e.key, e.key_end.as_deref().unwrap_or(&e.key)));
        }
    } else if set.flags.has(SetFlags::INTERVAL) {
        let max = if len == 4 {
            u128::from(u32::MAX)
        } else {
            u128::MAX
        };
        for e in elems.iter().filter(|e| !e.interval_end) {
            let start = bits(e.key.get(..len)?);
            let next = elems
                .iter()
                .map(|o| bits(o.key.get(..len).unwrap_or(&[])))
                .filter(|k| *k > start)
                .min();
            let end = next.map_or(max, |n| n - 1);
            let (lo, hi) = (from_bits(family, start), from_bits(family, end));
            out.extend(AddrRange::new(lo, hi).ok().map(AddrSet::Range));
        }
    } else {
        for e in elems.iter().filter(|e| !e.interval_end) {
            out.extend(range(&e.key, &e.key));
        }
    }
    Some(out)
}

/// What the native tables of `native` that `family` traverses name as sources.
pub(crate) fn native_sources(native: &Ruleset, family: Family) -> NativeSources {
    let len = addr_len(family) as u32;
    let offset = match family {
        Family::Ipv4 => 12,
        Family::Ipv6 => 8,
    };
    let mut out = NativeSources::default();
    let push = |out: &mut NativeSources, s: AddrSet| {
        if !out.plain.contains(&s) {
            out.plain.push(s);
        }
    };
    for t in native.tables.iter().filter(|t| t.family.sees(family)) {
        for r in t.chains.iter().flat_map(|c| &c.rules) {
            // Registers holding the source address, with the prefix length applied.
            let mut src: Vec<(u32, u8)> = Vec::new();
            for e in &r.exprs {
                match e {
                    Expr::Payload {
                        base: PayloadBase::Network,
                        offset: o,
                        len: l,
                        dreg,
                    } if *o == offset && *l == len => {
                        src.retain(|(reg, _)| reg != dreg);
                        src.push((*dreg, len as u8 * 8));
                    }
                    Expr::Bitwise {
                        sreg,
                        dreg,
                        mask,
                        xor,
                        ..
                    } => {
                        let from = src.iter().find(|(reg, _)| reg == sreg).copied();
                        src.retain(|(reg, _)| reg != dreg);
                        if let (Some(_), Some(p)) = (from, prefix_of(mask)) {
                            if xor.iter().all(|b| *b == 0) {
                                src.push((*dreg, p));
                            }
                        }
                    }
                    Expr::Cmp {
                        sreg,
                        op: CmpOp::Eq | CmpOp::Neq,
                        data,
                    } => {
                        let Some((_, p)) = src.iter().find(|(reg, _)| reg == sreg) else {
                            continue;
                        };
                        if let Some(n) = ip(data).and_then(|a| Network::with_prefix(a, *p).ok()) {
                            push(&mut out, AddrSet::Net(n));
                        }
                    }
                    Expr::Range { sreg, from, to, .. }
                        if src.iter().any(|(reg, _)| reg == sreg) =>
                    {
                        let r = ip(from)
                            .zip(ip(to))
                            .and_then(|(a, b)| AddrRange::new(a, b).ok());
                        if let Some(r) = r {
                            push(&mut out, AddrSet::Range(r));
                        }
                    }
                    Expr::Lookup { sreg, set, .. } => {
                        if !src
                            .iter()
                            .any(|(reg, p)| reg == sreg && u32::from(*p) == len * 8)
                        {
                            continue;
                        }
                        let Some(s) = t.set(set) else { continue };
                        let Some(members) = set_members(s, family) else {
                            continue;
                        };
                        if s.is_anonymous() {
                            for m in members {
                                push(&mut out, m);
                            }
                        } else if !out
                            .sets
                            .iter()
                            .any(|k| k.family == t.family && k.table == t.name && k.set == s.name)
                        {
                            out.sets.push(NativeSourceSet {
                                family: t.family,
                                table: t.name.clone(),
                                set: s.name.clone(),
                                members,
                            });
                        }
                    }
                    Expr::Payload { dreg, .. }
                    | Expr::Meta { dreg, .. }
                    | Expr::Ct { dreg, .. }
                    | Expr::Fib { dreg, .. } => src.retain(|(reg, _)| reg != dreg),
                    _ => {}
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::SetElem;

    fn el(key: &[u8], end: Option<&[u8]>, interval_end: bool) -> SetElem {
        SetElem {
            key: key.to_vec(),
            key_end: end.map(<[u8]>::to_vec),
            interval_end,
            data: None,
            catchall: false,
        }
    }

    fn set(flags: u32, elems: Vec<SetElem>) -> Set {
        Set {
            name: "allowed".into(),
            handle: 1,
            flags: SetFlags(flags),
            key_type: 7,
            key_len: 4,
            data_type: None,
            data_len: 0,
            fields: Vec::new(),
            elems,
        }
    }

    fn texts(m: Option<Vec<AddrSet>>) -> Vec<String> {
        m.unwrap()
            .iter()
            .map(|a| match a {
                AddrSet::Net(n) => n.to_string(),
                AddrSet::Range(r) => r.to_string(),
            })
            .collect()
    }

    #[test]
    fn members_as_the_kernel_decides_membership() {
        // { 198.51.100.1-198.51.100.9, 192.0.2.48/29 } as nft sends it to an rbtree.
        let rb = set(
            SetFlags::INTERVAL,
            vec![
                el(&[0, 0, 0, 0], None, true),
                el(&[198, 51, 100, 1], None, false),
                el(&[198, 51, 100, 10], None, true),
                el(&[192, 0, 2, 48], None, false),
                el(&[192, 0, 2, 56], None, true),
            ],
        );
        assert_eq!(
            texts(set_members(&rb, Family::Ipv4)),
            ["198.51.100.1-198.51.100.9", "192.0.2.48-192.0.2.55"]
        );
        let exact = set(0, vec![el(&[203, 0, 113, 7], None, false)]);
        assert_eq!(texts(set_members(&exact, Family::Ipv4)), ["203.0.113.7/32"]);
        let ranged = set(
            SetFlags::INTERVAL,
            vec![el(&[10, 0, 0, 0], Some(&[10, 0, 0, 255]), false)],
        );
        assert_eq!(
            texts(set_members(&ranged, Family::Ipv4)),
            ["10.0.0.0-10.0.0.255"]
        );
        assert!(set_members(&exact, Family::Ipv6).is_none());
    }

    #[test]
    fn prefixes_of_masks() {
        assert_eq!(prefix_of(&[255, 255, 255, 0]), Some(24));
        assert_eq!(prefix_of(&[255, 0, 0, 0]), Some(8));
        assert_eq!(prefix_of(&[255, 255, 255, 255]), Some(32));
        assert_eq!(prefix_of(&[0, 0, 0, 0]), Some(0));
        assert_eq!(prefix_of(&[255, 0, 255, 0]), None);
        let mut v6 = [0u8; 16];
        v6[..6].fill(255);
        assert_eq!(prefix_of(&v6), Some(48));
    }
}
