//! Intervals of addresses and ports: which entries of a list cover a whole address family
//! (the firewall off for everyone), and which are duplicates of, or covered by, another.
//!
//! Contract: pure; O(n log n) in the list's length (a 10,000-entry list is checked as fast
//! as it is parsed). Entries are closed intervals `lo..=hi` of `u128` in a class (a family,
//! or a protocol for ports); entries of different classes never cover each other.

use std::net::IpAddr;

use super::config::Source;
use crate::model::Family;

/// One entry: its class, its interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    /// Entries of different classes never cover each other.
    pub class: u8,
    /// First value.
    pub lo: u128,
    /// Last value (inclusive).
    pub hi: u128,
}

fn bits(a: &IpAddr) -> u128 {
    match a {
        IpAddr::V4(a) => u128::from(u32::from(*a)),
        IpAddr::V6(a) => u128::from(*a),
    }
}

/// The last address of `family`.
fn top(family: Family) -> u128 {
    match family {
        Family::Ipv4 => u128::from(u32::MAX),
        Family::Ipv6 => u128::MAX,
    }
}

/// The class of a family's addresses.
fn class(family: Family) -> u8 {
    match family {
        Family::Ipv4 => 4,
        Family::Ipv6 => 6,
    }
}

/// A source as an interval of its family's addresses (a non-contiguous mask counts as its
/// first to its last address, which only ever widens it; the config writes none).
pub(crate) fn source_span(s: &Source) -> Span {
    let family = s.family();
    let (lo, hi) = match s {
        Source::Net(n) => {
            let lo = bits(&n.addr());
            (lo, lo | (!bits(&n.mask()) & top(family)))
        }
        Source::Range(r) => (bits(&r.start()), bits(&r.end())),
    };
    Span {
        class: class(family),
        lo,
        hi,
    }
}

/// The family whose every address the entries cover together, if one does (IPv4 first).
pub(crate) fn everyone(spans: &[Span]) -> Option<Family> {
    [Family::Ipv4, Family::Ipv6].into_iter().find(|f| {
        let mut v: Vec<(u128, u128)> = spans
            .iter()
            .filter(|s| s.class == class(*f))
            .map(|s| (s.lo, s.hi))
            .collect();
        v.sort_unstable();
        let mut next = 0u128; // the first address not yet covered
        for (lo, hi) in v {
            if lo > next {
                return false;
            }
            if hi >= next {
                match hi.checked_add(1) {
                    Some(n) if hi < top(*f) => next = n,
                    _ => return true,
                }
            }
        }
        false
    })
}

/// Each entry that adds nothing: `(i, j)` where entry `i` lies within entry `j` (`j != i`;
/// for equal entries, the later one in the list is `i`). In the order of `i`.
pub(crate) fn redundant(spans: &[Span]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..spans.len()).collect();
    // By class, then start ascending, end descending (a wider entry before those it covers),
    // then list order (the first of equal entries is the one kept).
    order.sort_unstable_by_key(|&i| {
        let s = spans[i];
        (s.class, s.lo, std::cmp::Reverse(s.hi), i)
    });
    let mut out = Vec::new();
    let mut widest: Option<usize> = None; // the entry reaching furthest so far, this class
    for i in order {
        let s = spans[i];
        match widest {
            Some(w) if spans[w].class == s.class && spans[w].hi >= s.hi => out.push((i, w)),
            _ => widest = Some(i),
        }
    }
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(t: &str) -> Span {
        source_span(&super::super::value::source(t).unwrap())
    }

    #[test]
    fn whole_families() {
        let f = |v: &[&str]| everyone(&v.iter().map(|t| src(t)).collect::<Vec<_>>());
        assert_eq!(f(&["0.0.0.0/0"]), Some(Family::Ipv4));
        assert_eq!(f(&["::/0"]), Some(Family::Ipv6));
        assert_eq!(f(&["0.0.0.0-255.255.255.255"]), Some(Family::Ipv4));
        assert_eq!(f(&["0.0.0.0/1", "128.0.0.0/1"]), Some(Family::Ipv4));
        assert_eq!(
            f(&["128.0.0.0/1", "2001:db8::/32", "0.0.0.0/1"]),
            Some(Family::Ipv4)
        );
        assert_eq!(
            f(&["::/1", "8000::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]),
            Some(Family::Ipv6)
        );
        assert_eq!(f(&["0.0.0.0/1", "128.0.0.0/2"]), None);
        assert_eq!(f(&["0.0.0.1-255.255.255.255"]), None);
        assert_eq!(f(&["0.0.0.0-255.255.255.254"]), None);
        assert_eq!(
            f(&["::/1", "0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/2"]),
            Some(Family::Ipv4)
        );
        assert_eq!(f(&["198.51.100.0/24", "::/1"]), None);
        assert_eq!(f(&[]), None);
    }

    #[test]
    fn duplicates_and_covered_entries() {
        let f = |v: &[&str]| redundant(&v.iter().map(|t| src(t)).collect::<Vec<_>>());
        assert_eq!(f(&["198.51.100.7", "198.51.100.7"]), vec![(1, 0)]);
        assert_eq!(f(&["198.51.100.7", "198.51.100.0/24"]), vec![(0, 1)]);
        assert_eq!(
            f(&["198.51.100.0/24", "198.51.100.1-198.51.100.3"]),
            vec![(1, 0)]
        );
        assert_eq!(f(&["198.51.100.0/25", "198.51.100.128/25"]), vec![]);
        assert_eq!(f(&["10.0.0.1-10.0.0.5", "10.0.0.3-10.0.0.9"]), vec![]);
        assert_eq!(
            f(&["0.0.0.0/0", "::/0", "10.0.0.1", "::1"]),
            vec![(2, 0), (3, 1)]
        );
        // Equal entries: the later is the duplicate, whatever else the list holds.
        assert_eq!(
            f(&["10.0.0.0/8", "10.1.0.0/16", "10.0.0.0/8"]),
            vec![(1, 0), (2, 0)]
        );
        let ports = |v: &[(u8, u128, u128)]| {
            redundant(
                &v.iter()
                    .map(|&(class, lo, hi)| Span { class, lo, hi })
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(ports(&[(0, 80, 80), (1, 80, 80)]), vec![]);
        assert_eq!(ports(&[(0, 8000, 8100), (0, 8080, 8080)]), vec![(1, 0)]);
    }
}
