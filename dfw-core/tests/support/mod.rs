//! The support module of dfw-core's integration tests, shared by the `pure` and `kernel` test
//! binaries (each declares it `pub`, so what one binary does not use is not dead code):
//! - at the root, proptest strategies for arbitrary valid rules of both families, covering
//!   every match and target kind of the model, restricted to values `iptables-save` prints
//!   back unchanged, and printing helpers;
//! - [`errors`]: parsing a bad line and checking the error's location and text;
//! - [`golden`]: the example config and the rulesets it compiles to;
//! - [`bad_input`]: the bad-input corpus of `tests/bad-input/`;
//! - [`replay`]: the fuzz corpora of `fuzz/`, replayed through the fuzz targets' checks.

#[path = "../bad-input/cases.rs"]
pub mod bad_input;
pub mod errors;
pub mod golden;
#[path = "../../../fuzz/replay.rs"]
pub mod replay;
mod targets;

pub use targets::target;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use dfw_core::model::matches::{
    AddrType, AddrTypes, Comment, Conntrack, CtDirection, CtStates, CtStatus, IcmpType, IpRange,
    LimitIface, Mark, Multiport, MultiportKind, SctpMatch, TcpFlag, TcpFlags, TcpMatch, UdpMatch,
};
use dfw_core::model::{
    AddrRange, ChainName, Family, Iface, Match, Neg, Network, PortRange, Protocol, Rule, RuleHeader,
};
use proptest::prelude::*;

pub fn family() -> impl Strategy<Value = Family> {
    prop_oneof![Just(Family::Ipv4), Just(Family::Ipv6)]
}

fn neg<T: std::fmt::Debug + Clone>(s: impl Strategy<Value = T>) -> impl Strategy<Value = Neg<T>> {
    (s, any::<bool>()).prop_map(|(v, n)| Neg::new(v, n))
}

pub fn addr(f: Family) -> BoxedStrategy<IpAddr> {
    match f {
        Family::Ipv4 => any::<u32>()
            .prop_map(|a| IpAddr::V4(Ipv4Addr::from(a)))
            .boxed(),
        Family::Ipv6 => prop_oneof![
            any::<u128>().prop_map(|a| IpAddr::V6(Ipv6Addr::from(a))),
            (any::<u16>(), any::<u16>())
                .prop_map(|(a, b)| IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, a, b))),
        ]
        .boxed(),
    }
}

/// A network with a prefix or (IPv4) a random mask; never /0.
pub fn network(f: Family) -> BoxedStrategy<Network> {
    let bits = f.addr_bits();
    prop_oneof![
        3 => (addr(f), 1..=bits).prop_map(|(a, p)| Network::with_prefix(a, p).unwrap()),
        1 => (addr(f), addr(f)).prop_filter_map("empty mask", |(a, m)| {
            Network::with_mask(a, m).ok().filter(|n| !n.is_any())
        }),
    ]
    .boxed()
}

fn name(first: &'static str, max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[{first}][a-zA-Z0-9._-]{{0,{max}}}")).unwrap()
}

pub fn iface() -> impl Strategy<Value = Iface> {
    (name("a-z", 12), any::<bool>()).prop_map(|(n, w)| Iface::new(&n, w).unwrap())
}

pub fn chain() -> impl Strategy<Value = ChainName> {
    name("a-zA-Z", 20).prop_filter_map("reserved", |n| ChainName::new(&n).ok())
}

pub fn port_range() -> impl Strategy<Value = PortRange> {
    prop_oneof![
        any::<u16>().prop_map(PortRange::single),
        (any::<u16>(), any::<u16>()).prop_map(|(a, b)| PortRange::new(a.min(b), a.max(b)).unwrap()),
    ]
}

fn l4_ports() -> impl Strategy<Value = Option<Neg<PortRange>>> {
    proptest::option::of(neg(
        port_range().prop_filter("all", |p| *p != PortRange::ALL)
    ))
}

fn tcp() -> impl Strategy<Value = TcpMatch> {
    let flags = (0u8..64, 0u8..64, any::<bool>()).prop_filter_map("empty", |(m, c, n)| {
        let f = TcpFlags {
            mask: TcpFlag::from_bits_truncate(m),
            comp: TcpFlag::from_bits_truncate(c),
        };
        (m != 0).then_some(Neg::new(f, n))
    });
    (
        l4_ports(),
        l4_ports(),
        proptest::option::of(flags),
        proptest::option::of(neg(1u8..=255)),
    )
        .prop_map(|(sport, dport, flags, option)| TcpMatch {
            sport,
            dport,
            flags,
            option,
        })
}

fn multiport() -> impl Strategy<Value = Multiport> {
    let item = prop_oneof![
        any::<u16>().prop_map(PortRange::single),
        (0u16..65535, 1u16..1000).prop_map(|(a, d)| PortRange::new(
            a,
            a.saturating_add(d).max(a + 1)
        )
        .unwrap()),
    ];
    let kind = prop_oneof![
        Just(MultiportKind::Source),
        Just(MultiportKind::Destination),
        Just(MultiportKind::Either)
    ];
    (kind, proptest::collection::vec(item, 1..8), any::<bool>())
        .prop_filter_map("slots", |(k, p, n)| Multiport::new(k, p, n).ok())
}

fn states(alias: bool) -> impl Strategy<Value = CtStates> {
    let max = if alias { 0x10f } else { 0x1cf };
    (1u16..=max).prop_filter_map("empty", move |b| {
        let mut s = CtStates::from_bits_truncate(b);
        if alias {
            s -= CtStates::SNAT | CtStates::DNAT;
        }
        (!s.is_empty()).then_some(s)
    })
}

fn conntrack(f: Family) -> impl Strategy<Value = Conntrack> {
    // Prefix masks only: iptables 1.8.9 cannot read a dotted mask back here.
    let bits = f.addr_bits();
    let prefixed =
        move || (addr(f), 0..=bits).prop_map(|(a, p)| Network::with_prefix(a, p).unwrap());
    let net = move || proptest::option::of(neg(prefixed()));
    let port = || proptest::option::of(neg(port_range()));
    let proto = proptest::option::of(neg(
        (1u8..=255).prop_map(|n| Protocol::from_number(n).unwrap())
    ));
    let status = proptest::option::of(neg((0u16..16).prop_map(CtStatus::from_bits_truncate)));
    let expire = proptest::option::of(neg(
        (any::<u32>(), any::<u32>()).prop_map(|(a, b)| (a.min(b), a.max(b)))
    ));
    let dir = proptest::option::of(prop_oneof![
        Just(CtDirection::Original),
        Just(CtDirection::Reply)
    ]);
    (
        (
            proptest::option::of(neg(states(false))),
            proto,
            net(),
            net(),
            net(),
            net(),
        ),
        (port(), port(), port(), port(), status, expire, dir),
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
        .prop_filter("empty", |c| !c.is_empty())
}

pub fn range(f: Family) -> impl Strategy<Value = AddrRange> {
    (addr(f), addr(f)).prop_map(|(a, b)| {
        AddrRange::new(a, b)
            .or_else(|_| AddrRange::new(b, a))
            .unwrap()
    })
}

fn icmp_type() -> impl Strategy<Value = IcmpType> {
    prop_oneof![
        Just(IcmpType::Any),
        (0u8..255).prop_map(IcmpType::Type),
        (0u8..255, any::<u8>()).prop_map(|(t, c)| IcmpType::TypeCode(t, c)),
    ]
}

fn addrtype() -> impl Strategy<Value = AddrType> {
    let types =
        || proptest::option::of(neg((1u16..0x1000).prop_map(AddrTypes::from_bits_truncate)));
    let limit = proptest::option::of(prop_oneof![Just(LimitIface::In), Just(LimitIface::Out)]);
    (types(), types(), limit)
        .prop_map(|(src, dst, limit_iface)| AddrType {
            src,
            dst,
            limit_iface,
        })
        .prop_filter("empty", |a| a.src.is_some() || a.dst.is_some())
}

fn comment() -> impl Strategy<Value = Comment> {
    prop_oneof![
        proptest::string::string_regex("[a-zA-Z0-9_-]{1,20}").unwrap(),
        proptest::string::string_regex("[^\n\r\0]{0,60}").unwrap(),
        proptest::string::string_regex("[ \"'\\\\a-z$#!]{0,30}").unwrap(),
    ]
    .prop_filter_map("long", |s| Comment::new(&s).ok())
}

/// The `-p` protocol a rule may carry: tcp, udp, the family's ICMP, another, or none.
pub fn proto(f: Family) -> impl Strategy<Value = Option<Neg<Protocol>>> {
    let icmp = if f == Family::Ipv4 {
        Protocol::ICMP
    } else {
        Protocol::ICMPV6
    };
    prop_oneof![
        2 => Just(None),
        3 => Just(Some(Neg::is(Protocol::TCP))),
        2 => Just(Some(Neg::is(Protocol::UDP))),
        1 => Just(Some(Neg::is(icmp))),
        1 => Just(Some(Neg::is(Protocol::SCTP))),
        1 => neg((1u8..=255).prop_map(|n| Protocol::from_number(n).unwrap())).prop_map(Some),
    ]
}

fn one_match(f: Family, p: Option<Protocol>) -> BoxedStrategy<Match> {
    let mut opts: Vec<BoxedStrategy<Match>> = vec![
        conntrack(f).prop_map(Match::Conntrack).boxed(),
        neg(states(true)).prop_map(Match::State).boxed(),
        (
            proptest::option::of(neg(range(f))),
            proptest::option::of(neg(range(f))),
        )
            .prop_filter_map("empty", |(s, d)| {
                IpRange::new(s, d).ok().map(Match::IpRange)
            })
            .boxed(),
        comment().prop_map(Match::Comment).boxed(),
        addrtype().prop_map(Match::AddrType).boxed(),
        (any::<u32>(), any::<u32>(), any::<bool>())
            .prop_map(|(v, m, n)| Match::Mark(Mark::new(v, m, n)))
            .boxed(),
        // limit, recent, hashlimit, connlimit, pkttype, mac, owner, physdev, ttl/hl,
        // length, rt, connmark: the fuzz targets' builder, fed by proptest's bytes.
        proptest::collection::vec(any::<u8>(), 32..160)
            .prop_filter_map("refused", move |b| {
                dfw_core::fuzzing::ext_match(&mut dfw_core::fuzzing::Bytes::new(&b), f)
            })
            .boxed(),
    ];
    match p.map(|p| p.number()) {
        Some(6) => {
            opts.push(tcp().prop_map(Match::Tcp).boxed());
            opts.push(multiport().prop_map(Match::Multiport).boxed());
        }
        Some(17) => {
            opts.push(
                (l4_ports(), l4_ports())
                    .prop_map(|(sport, dport)| Match::Udp(UdpMatch { sport, dport }))
                    .boxed(),
            );
            opts.push(multiport().prop_map(Match::Multiport).boxed());
        }
        Some(132) => {
            let ports = || proptest::option::of(neg(port_range()));
            opts.push(
                (ports(), ports())
                    .prop_map(|(sport, dport)| Match::Sctp(SctpMatch { sport, dport }))
                    .boxed(),
            );
            opts.push(multiport().prop_map(Match::Multiport).boxed());
        }
        Some(1) if f == Family::Ipv4 => opts.push(neg(icmp_type()).prop_map(Match::Icmp).boxed()),
        Some(58) if f == Family::Ipv6 => opts.push(neg(icmp_type()).prop_map(Match::Icmp6).boxed()),
        _ => {}
    }
    proptest::strategy::Union::new(opts).boxed()
}

/// An arbitrary valid rule of family `f`.
pub fn rule(f: Family) -> impl Strategy<Value = Rule> {
    let net = || proptest::option::of(neg(network(f)));
    let ifc = || proptest::option::of(neg(iface()));
    (net(), net(), ifc(), ifc(), proto(f)).prop_flat_map(
        move |(src, dst, in_iface, out_iface, proto)| {
            let bound = proto.as_ref().filter(|p| !p.negated).map(|p| p.value);
            let header = RuleHeader {
                src,
                dst,
                in_iface,
                out_iface,
                proto,
            };
            (
                Just(header),
                proptest::collection::vec(one_match(f, bound), 0..4),
                proptest::option::of(target(f, bound)),
            )
                .prop_map(|(header, matches, target)| Rule {
                    header,
                    matches,
                    target,
                    counters: None,
                })
                .prop_filter("valid", move |r| r.check(f).is_ok())
                .prop_filter("one native tcp/udp match", |r| {
                    // iptables-nft reads every natively encoded tcp (udp) match back as one.
                    let native = |m: &&Match| match m {
                        Match::Tcp(t) => !t.is_empty() && t.option.is_none(),
                        Match::Udp(u) => !u.is_empty(),
                        _ => false,
                    };
                    r.matches.iter().filter(native).count() <= 1
                })
        },
    )
}

/// A ruleset as `iptables-save` prints it (no counters), through the real printer.
pub fn print(rs: &dfw_core::model::Ruleset) -> String {
    dfw_core::syntax::print_ruleset(rs, dfw_core::syntax::PrintOptions::default())
}

/// A rule's specification as iptables-save prints it after `-A CHAIN`, without leading space.
pub fn spec(rule: &Rule) -> String {
    dfw_core::syntax::rule_spec(rule).trim_start().to_string()
}
