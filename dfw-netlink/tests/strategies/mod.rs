//! proptest strategies for arbitrary valid model rules of both families, every match and
//! target kind. Shared by the codec property tests (`mod strategies;` from a test crate).
//!
//! The strategies generate only rules the codec can represent exactly: no `/0` header
//! addresses (iptables encodes nothing for them), no non-inverted full port range or empty
//! tcp flags/option (libxt_tcp leaves them at the default, which reads back as "not given").
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use dfw_core::model::matches::{
    AddrType, AddrTypes, Comment, Conntrack, CtDirection, CtStates, CtStatus, IcmpType, IpRange,
    LimitIface, Mark, Multiport, MultiportKind, TcpFlag, TcpFlags, TcpMatch, UdpMatch,
};
use dfw_core::model::target::{Log, LogFlags, Masquerade, Nat, Reject, RejectV4, RejectV6};
use dfw_core::model::{
    AddrRange, ChainName, Counters, Family, Iface, Match, Neg, Network, PortRange, Protocol, Rule,
    RuleHeader, Target,
};
use proptest::prelude::*;
use proptest::sample::select;

/// Either family.
pub fn family() -> impl Strategy<Value = Family> {
    prop_oneof![Just(Family::Ipv4), Just(Family::Ipv6)]
}

/// Wraps a value in a random `!`.
pub fn neg<T: std::fmt::Debug + Clone>(
    s: impl Strategy<Value = T>,
) -> impl Strategy<Value = Neg<T>> {
    (s, any::<bool>()).prop_map(|(v, n)| Neg::new(v, n))
}

/// An address of `family`.
pub fn addr(family: Family) -> BoxedStrategy<IpAddr> {
    match family {
        Family::Ipv4 => any::<u32>()
            .prop_map(|a| IpAddr::V4(Ipv4Addr::from(a)))
            .boxed(),
        Family::Ipv6 => any::<u128>()
            .prop_map(|a| IpAddr::V6(Ipv6Addr::from(a)))
            .boxed(),
    }
}

/// A network of `family` with a prefix from `min_prefix`, or an arbitrary non-empty mask.
pub fn network(family: Family, min_prefix: u8) -> BoxedStrategy<Network> {
    let bits = family.addr_bits();
    prop_oneof![
        3 => (addr(family), min_prefix..=bits)
            .prop_map(|(a, p)| Network::with_prefix(a, p).unwrap()),
        1 => (addr(family), addr(family))
            .prop_filter("non-empty mask", move |(_, m)| min_prefix == 0 || !m.is_unspecified())
            .prop_map(|(a, m)| Network::with_mask(a, m).unwrap()),
    ]
    .boxed()
}

/// An interface name, exact or wildcard.
pub fn iface() -> impl Strategy<Value = Iface> {
    ("[a-z0-9][a-z0-9._-]{0,14}", any::<bool>())
        .prop_filter_map("valid name", |(n, w)| Iface::new(&n, w).ok())
}

/// A port range other than the non-inverted full range.
pub fn port_neg() -> impl Strategy<Value = Neg<PortRange>> {
    prop_oneof![
        any::<u16>().prop_map(PortRange::single),
        (any::<u16>(), any::<u16>()).prop_map(|(a, b)| PortRange::new(a.min(b), a.max(b)).unwrap()),
    ]
    .prop_flat_map(|r| neg(Just(r)))
    .prop_filter("not the default range", |p| {
        p.negated || p.value != PortRange::ALL
    })
}

fn tcp_flag() -> impl Strategy<Value = TcpFlag> {
    (0u8..64).prop_map(TcpFlag::from_bits_truncate)
}

/// `-m tcp` with any options (possibly none); `--tcp-flags` has a mask unless inverted, as
/// iptables can print it.
pub fn tcp_match() -> impl Strategy<Value = TcpMatch> {
    (
        proptest::option::of(port_neg()),
        proptest::option::of(port_neg()),
        proptest::option::of(neg(
            (tcp_flag(), tcp_flag()).prop_map(|(mask, comp)| TcpFlags { mask, comp })
        ))
        .prop_filter("flags not at the default", |f| {
            !f.as_ref()
                .is_some_and(|f| !f.negated && f.value.mask.is_empty())
        }),
        proptest::option::of(neg(any::<u8>())).prop_filter("option not at the default", |o| {
            !o.as_ref().is_some_and(|o| !o.negated && o.value == 0)
        }),
    )
        .prop_map(|(sport, dport, flags, option)| TcpMatch {
            sport,
            dport,
            flags,
            option,
        })
}

/// `-m udp` with any options (possibly none).
pub fn udp_match() -> impl Strategy<Value = UdpMatch> {
    (
        proptest::option::of(port_neg()),
        proptest::option::of(port_neg()),
    )
        .prop_map(|(sport, dport)| UdpMatch { sport, dport })
}

/// `-m multiport` within the 15 slots.
pub fn multiport() -> impl Strategy<Value = Multiport> {
    (
        select(vec![
            MultiportKind::Source,
            MultiportKind::Destination,
            MultiportKind::Either,
        ]),
        proptest::collection::vec(
            prop_oneof![
                any::<u16>().prop_map(PortRange::single),
                (any::<u16>(), any::<u16>())
                    .prop_filter("a real range", |(a, b)| a != b)
                    .prop_map(|(a, b)| PortRange::new(a.min(b), a.max(b)).unwrap()),
            ],
            1..9,
        ),
        any::<bool>(),
    )
        .prop_filter_map("fits 15 slots", |(k, p, n)| Multiport::new(k, p, n).ok())
}

fn states() -> impl Strategy<Value = CtStates> {
    any::<u16>().prop_map(CtStates::from_bits_truncate)
}

/// `-m conntrack` with at least one option, addresses of `family`.
pub fn conntrack(family: Family) -> impl Strategy<Value = Conntrack> {
    let net = move || proptest::option::of(neg(network(family, 0)));
    let port = || {
        proptest::option::of(neg(
            any::<(u16, u16)>().prop_map(|(a, b)| PortRange::new(a.min(b), a.max(b)).unwrap())
        ))
    };
    (
        (
            proptest::option::of(neg(states())),
            proptest::option::of(neg(
                (1u8..=255).prop_map(|p| Protocol::from_number(p).unwrap())
            )),
            net(),
            net(),
            net(),
            net(),
        ),
        (
            port(),
            port(),
            port(),
            port(),
            proptest::option::of(neg((0u16..16).prop_map(CtStatus::from_bits_truncate))),
            proptest::option::of(neg(
                any::<(u32, u32)>().prop_map(|(a, b)| (a.min(b), a.max(b)))
            )),
            proptest::option::of(select(vec![CtDirection::Original, CtDirection::Reply])),
        ),
    )
        .prop_map(
            |((state, proto, os, od, rs, rd), (osp, odp, rsp, rdp, status, expire, direction))| {
                Conntrack {
                    state,
                    proto,
                    orig_src: os,
                    orig_dst: od,
                    repl_src: rs,
                    repl_dst: rd,
                    orig_src_port: osp,
                    orig_dst_port: odp,
                    repl_src_port: rsp,
                    repl_dst_port: rdp,
                    status,
                    expire,
                    direction,
                }
            },
        )
        .prop_filter("non-empty", |c| !c.is_empty())
}

fn addr_range(family: Family) -> impl Strategy<Value = AddrRange> {
    (addr(family), addr(family)).prop_map(|(a, b)| {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        AddrRange::new(lo, hi).unwrap()
    })
}

/// `-m iprange` of `family`.
pub fn iprange(family: Family) -> impl Strategy<Value = IpRange> {
    (
        proptest::option::of(neg(addr_range(family))),
        proptest::option::of(neg(addr_range(family))),
    )
        .prop_filter_map("one range", |(s, d)| IpRange::new(s, d).ok())
}

/// `-m comment`.
pub fn comment() -> impl Strategy<Value = Comment> {
    prop_oneof!["[ -~]{0,40}", "\\PC{0,60}", "[a-z]{255}"]
        .prop_filter_map("valid comment", |s| Comment::new(&s).ok())
}

/// An ICMP(v6) type.
pub fn icmp_type() -> impl Strategy<Value = IcmpType> {
    prop_oneof![
        Just(IcmpType::Any),
        (0u8..255).prop_map(IcmpType::Type),
        // type 255 is `any` to iptables and the kernel, whatever the code
        (0u8..255, any::<u8>()).prop_map(|(t, c)| IcmpType::TypeCode(t, c)),
    ]
}

fn addr_types() -> impl Strategy<Value = AddrTypes> {
    (1u16..0x1000).prop_map(AddrTypes::from_bits_truncate)
}

/// `-m addrtype`.
pub fn addrtype() -> impl Strategy<Value = AddrType> {
    (
        proptest::option::of(neg(addr_types())),
        proptest::option::of(neg(addr_types())),
        proptest::option::of(select(vec![LimitIface::In, LimitIface::Out])),
    )
        .prop_map(|(src, dst, limit_iface)| AddrType {
            src,
            dst,
            limit_iface,
        })
}

/// `-m mark`.
pub fn mark() -> impl Strategy<Value = Mark> {
    any::<(u32, u32, bool)>().prop_map(|(v, m, n)| Mark::new(v, m, n))
}

/// A match of any protocol-independent kind.
pub fn free_match(family: Family) -> BoxedStrategy<Match> {
    prop_oneof![
        conntrack(family).prop_map(Match::Conntrack),
        neg(states()).prop_map(Match::State),
        iprange(family).prop_map(Match::IpRange),
        comment().prop_map(Match::Comment),
        addrtype().prop_map(Match::AddrType),
        mark().prop_map(Match::Mark),
    ]
    .boxed()
}

/// A chain name.
pub fn chain() -> impl Strategy<Value = ChainName> {
    "[A-Za-z][A-Za-z0-9_.-]{0,27}".prop_filter_map("valid chain", |s| ChainName::new(&s).ok())
}

fn nat(family: Family) -> impl Strategy<Value = Nat> {
    (
        proptest::option::of(addr_range(family)),
        proptest::option::of(
            any::<(u16, u16)>().prop_map(|(a, b)| PortRange::new(a.min(b), a.max(b)).unwrap()),
        ),
        any::<(bool, bool, bool)>(),
    )
        .prop_map(|(addrs, ports, (random, persistent, random_fully))| Nat {
            addrs,
            ports,
            random,
            persistent,
            random_fully,
        })
}

fn reject(family: Family) -> BoxedStrategy<Reject> {
    match family {
        Family::Ipv4 => select(vec![0u32, 1, 2, 3, 5, 6, 7, 8])
            .prop_map(|v| Reject::from_raw(Family::Ipv4, v).unwrap())
            .boxed(),
        Family::Ipv6 => select(vec![0u32, 1, 3, 4, 6, 7, 8])
            .prop_map(|v| Reject::from_raw(Family::Ipv6, v).unwrap())
            .boxed(),
    }
}

/// Any target of `family` (REJECT tcp-reset included; rule strategies filter on `-p tcp`).
pub fn target(family: Family) -> BoxedStrategy<Target> {
    let _ = (RejectV4::TcpReset, RejectV6::TcpReset);
    prop_oneof![
        Just(Target::Accept),
        Just(Target::Drop),
        Just(Target::Return),
        chain().prop_map(Target::Jump),
        chain().prop_map(Target::Goto),
        reject(family).prop_map(Target::Reject),
        (
            0u8..=7,
            (0u8..64).prop_map(LogFlags::from_bits_truncate),
            "[ -~]{0,29}"
        )
            .prop_map(|(l, f, p)| Target::Log(Log::new(l, f, &p).unwrap())),
        nat(family).prop_map(Target::Dnat),
        nat(family).prop_map(Target::Snat),
        (
            proptest::option::of(
                any::<(u16, u16)>().prop_map(|(a, b)| PortRange::new(a.min(b), a.max(b)).unwrap())
            ),
            any::<(bool, bool)>()
        )
            .prop_map(
                |(ports, (random, random_fully))| Target::Masquerade(Masquerade {
                    ports,
                    random,
                    random_fully
                })
            ),
    ]
    .boxed()
}

/// The protocol a rule is bound to and the matches that need it.
fn proto_and_matches(family: Family) -> BoxedStrategy<(Option<Neg<Protocol>>, Vec<Match>)> {
    let icmp = match family {
        Family::Ipv4 => (Protocol::ICMP, true),
        Family::Ipv6 => (Protocol::ICMPV6, false),
    };
    prop_oneof![
        // unbound: any -p (or none), no protocol matches
        proptest::option::of(neg(
            (1u8..=255).prop_map(|p| Protocol::from_number(p).unwrap())
        ))
        .prop_map(|p| (p, vec![])),
        // -p tcp with tcp/multiport matches
        proptest::collection::vec(
            prop_oneof![
                tcp_match().prop_map(Match::Tcp),
                multiport().prop_map(Match::Multiport)
            ],
            0..3
        )
        .prop_map(|m| (Some(Neg::is(Protocol::TCP)), m)),
        // -p udp with udp/multiport matches
        proptest::collection::vec(
            prop_oneof![
                udp_match().prop_map(Match::Udp),
                multiport().prop_map(Match::Multiport)
            ],
            0..3
        )
        .prop_map(|m| (Some(Neg::is(Protocol::UDP)), m)),
        // -p icmp / ipv6-icmp with the family's icmp match
        neg(icmp_type()).prop_map(move |t| {
            let m = if icmp.1 {
                Match::Icmp(t)
            } else {
                Match::Icmp6(t)
            };
            (Some(Neg::is(icmp.0)), vec![m])
        }),
    ]
    .boxed()
}

/// A valid rule of `family` with every header field, match and target kind represented.
pub fn rule(family: Family) -> BoxedStrategy<Rule> {
    (
        (
            proptest::option::of(neg(network(family, 1))),
            proptest::option::of(neg(network(family, 1))),
            proptest::option::of(neg(iface())),
            proptest::option::of(neg(iface())),
        ),
        proto_and_matches(family),
        proptest::collection::vec(free_match(family), 0..4),
        any::<proptest::sample::Index>(),
        proptest::option::of(target(family)),
        proptest::option::of(
            any::<(u64, u64)>().prop_map(|(packets, bytes)| Counters { packets, bytes }),
        ),
    )
        .prop_map(
            |((src, dst, in_iface, out_iface), (proto, pmatches), free, at, target, counters)| {
                let mut matches = free;
                let pos = at.index(matches.len() + 1);
                for (i, m) in pmatches.into_iter().enumerate() {
                    matches.insert((pos + i).min(matches.len()), m);
                }
                Rule {
                    header: RuleHeader {
                        src,
                        dst,
                        in_iface,
                        out_iface,
                        proto,
                    },
                    matches,
                    target,
                    counters,
                }
            },
        )
        .prop_filter("valid for the family", move |r| r.check(family).is_ok())
        .boxed()
}

/// A family and a valid rule of it.
pub fn any_rule() -> impl Strategy<Value = (Family, Rule)> {
    family().prop_flat_map(|f| rule(f).prop_map(move |r| (f, r)))
}
