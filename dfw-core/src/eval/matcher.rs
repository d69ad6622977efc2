//! Evaluates a rule's header (`-s -d -i -o -p`) and its extension matches against a [`Flow`].
//!
//! Contract: each function mirrors the kernel's match function (`ip_packet_match`/nft meta and
//! payload compares, `tcp_mt`, `udp_mt`, `multiport_mt`, `iprange_mt`, `icmp_match`,
//! `addrtype_mt_v1`, `mark_mt`) for an unfragmented first packet. A value the packet
//! description does not give (source port, mark, TCP options) yields [`Tri::Unknown`].
//! A match whose protocol the packet does not have (a `tcp` match on a UDP packet) is unknown
//! too: a loadable rule always pairs it with `-p`, whose mismatch already decides "no".

use std::net::IpAddr;

use crate::model::matches::{AddrType, AddrTypes, IpRange, LimitIface, Multiport, MultiportKind};
use crate::model::matches::{TcpMatch, UdpMatch};
use crate::model::{Family, Iface, Match, Neg, Network, PortRange, Rule, RuleHeader};

use super::ctmatch;
use super::flow::Flow;
use super::packet::L4;
use super::tri::Tri;

/// Evaluates a whole rule: header, then every match in order.
pub(crate) fn rule(rule: &Rule, flow: &Flow<'_>) -> Tri {
    let head = header(&rule.header, flow);
    if head == Tri::No {
        return Tri::No;
    }
    rule.matches.iter().fold(head, |acc, m| {
        if acc == Tri::No {
            acc
        } else {
            acc.and(one(m, flow))
        }
    })
}

fn net(n: &Option<Neg<Network>>, addr: &IpAddr) -> Tri {
    match n {
        None => Tri::Yes,
        Some(n) => Tri::neg(n.value.contains(addr), n.negated),
    }
}

fn iface(i: &Option<Neg<Iface>>, actual: Option<&str>) -> Tri {
    match i {
        None => Tri::Yes,
        // The kernel compares an absent device as the empty name.
        Some(i) => Tri::neg(i.value.matches(actual.unwrap_or("")), i.negated),
    }
}

/// The fixed header.
pub(crate) fn header(h: &RuleHeader, flow: &Flow<'_>) -> Tri {
    let proto = match &h.proto {
        None => Tri::Yes,
        Some(p) => Tri::neg(p.value == flow.proto, p.negated),
    };
    Tri::all([
        net(&h.src, &flow.src),
        net(&h.dst, &flow.dst),
        iface(&h.in_iface, Some(&flow.in_iface)),
        iface(&h.out_iface, flow.out_iface.as_deref()),
        proto,
    ])
}

/// One port option: a known port in the range (inverted by `!`); unknown port is unknown
/// unless the range covers every port.
pub(crate) fn port(range: &Neg<PortRange>, port: Option<u16>, what: &str) -> Tri {
    match port {
        Some(p) => Tri::neg(range.value.contains(p), range.negated),
        None if range.value == PortRange::ALL => Tri::from_bool(!range.negated),
        None => Tri::unknown(format!("the packet's {what} is not given")),
    }
}

fn opt_port(range: &Option<Neg<PortRange>>, p: Option<u16>, what: &str) -> Tri {
    range.as_ref().map_or(Tri::Yes, |r| port(r, p, what))
}

fn tcp(m: &TcpMatch, flow: &Flow<'_>) -> Tri {
    let L4::Tcp {
        sport,
        dport,
        flags,
    } = flow.l4
    else {
        return Tri::unknown("tcp match on a non-TCP packet (the rule lacks -p tcp)");
    };
    let f = m.flags.as_ref().map_or(Tri::Yes, |f| {
        Tri::neg(flags & f.value.mask == f.value.comp, f.negated)
    });
    let opt = match &m.option {
        None => Tri::Yes,
        Some(o) => Tri::unknown(format!(
            "--tcp-option {}: the packet's TCP options are not given",
            o.value
        )),
    };
    Tri::all([
        opt_port(&m.sport, sport, "source port"),
        opt_port(&m.dport, Some(dport), "destination port"),
        f,
        opt,
    ])
}

fn udp(m: &UdpMatch, flow: &Flow<'_>) -> Tri {
    let L4::Udp { sport, dport } = flow.l4 else {
        return Tri::unknown("udp match on a non-UDP packet (the rule lacks -p udp)");
    };
    Tri::all([
        opt_port(&m.sport, sport, "source port"),
        opt_port(&m.dport, Some(dport), "destination port"),
    ])
}

fn multiport(m: &Multiport, flow: &Flow<'_>) -> Tri {
    let Some((sport, dport)) = flow.ports() else {
        return Tri::unknown(format!(
            "multiport on protocol {}: its ports are not modelled",
            flow.proto
        ));
    };
    let hit = |p: Option<u16>| -> Tri {
        match p {
            Some(p) => Tri::from_bool(m.ports().iter().any(|r| r.contains(p))),
            None if m.ports().contains(&PortRange::ALL) => Tri::Yes,
            None => Tri::unknown("multiport: the packet's source port is not given"),
        }
    };
    let any = match m.kind() {
        MultiportKind::Source => hit(sport),
        MultiportKind::Destination => hit(Some(dport)),
        MultiportKind::Either => match (hit(sport), hit(Some(dport))) {
            (Tri::Yes, _) | (_, Tri::Yes) => Tri::Yes,
            (Tri::No, Tri::No) => Tri::No,
            (Tri::Unknown(r), _) | (_, Tri::Unknown(r)) => Tri::Unknown(r),
        },
    };
    if m.negated() {
        !any
    } else {
        any
    }
}

fn iprange(m: &IpRange, flow: &Flow<'_>) -> Tri {
    let one = |r: Option<&Neg<crate::model::AddrRange>>, a: &IpAddr| {
        r.map_or(Tri::Yes, |r| Tri::neg(r.value.contains(a), r.negated))
    };
    one(m.src(), &flow.src).and(one(m.dst(), &flow.dst))
}

fn icmp(t: &Neg<crate::model::matches::IcmpType>, family: Family, flow: &Flow<'_>) -> Tri {
    match flow.l4 {
        L4::Icmp { typ, code } if flow.family == family => {
            Tri::neg(t.value.matches(typ, code), t.negated)
        }
        _ => Tri::unknown("icmp match on a packet of another protocol (the rule lacks -p)"),
    }
}

/// The type of `addr` against mask `types`, IPv4 (`inet_dev_addr_type`).
fn addr_type_v4(flow: &Flow<'_>, addr: &IpAddr, types: AddrTypes, dev: Option<&str>) -> Tri {
    match flow.host.addr_type_v4(addr, dev) {
        Ok(t) => Tri::from_bool(types.intersects(t)),
        Err(reason) => Tri::Unknown(reason),
    }
}

/// The type test of `match_type6`: conjunctive unicast/multicast/unspec tests, then a route
/// lookup for LOCAL (decided from the host's addresses) and ANYCAST/UNREACHABLE (unknown).
fn addr_type_v6(flow: &Flow<'_>, addr: &IpAddr, types: AddrTypes, dev: Option<&str>) -> Tri {
    let IpAddr::V6(a) = addr else {
        return Tri::unknown(format!("{addr} is not IPv6"));
    };
    let unsupported = AddrTypes::BROADCAST
        | AddrTypes::BLACKHOLE
        | AddrTypes::PROHIBIT
        | AddrTypes::THROW
        | AddrTypes::NAT
        | AddrTypes::XRESOLVE;
    if types.intersects(unsupported) {
        return Tri::unknown("addrtype: the kernel refuses these types for IPv6");
    }
    let seg = a.segments();
    let any = a.is_unspecified();
    let multicast = a.is_multicast();
    let mapped = seg[..5] == [0; 5] && seg[5] == 0xffff;
    let unicast = !any && !multicast && !mapped;
    if (types.contains(AddrTypes::MULTICAST) && !multicast)
        || (types.contains(AddrTypes::UNICAST) && !unicast)
        || (types.contains(AddrTypes::UNSPEC) && !any)
    {
        return Tri::No;
    }
    if !types.intersects(AddrTypes::LOCAL | AddrTypes::ANYCAST | AddrTypes::UNREACHABLE) {
        return Tri::Yes;
    }
    let local = match (flow.host.local_owner(addr), dev) {
        (Some(owner), Some(d)) => owner == d,
        (Some(_), None) => true,
        (None, _) => false,
    };
    if types.contains(AddrTypes::LOCAL) && local {
        return Tri::Yes;
    }
    if types.intersects(AddrTypes::ANYCAST | AddrTypes::UNREACHABLE) {
        return Tri::unknown("addrtype ANYCAST/UNREACHABLE for IPv6 depends on the routing table");
    }
    Tri::No
}

fn addrtype(m: &AddrType, flow: &Flow<'_>) -> Tri {
    use crate::model::Hook;
    let dev = match m.limit_iface {
        None => None,
        Some(LimitIface::In) => Some(flow.in_iface.as_str()),
        Some(LimitIface::Out) => match (flow.hook, flow.out_iface.as_deref()) {
            (Hook::Prerouting | Hook::Input, _) | (_, None) => {
                return Tri::unknown("addrtype --limit-iface-out before routing is refused")
            }
            (_, Some(o)) => Some(o),
        },
    };
    let test = |addr: &IpAddr, types: AddrTypes| match flow.family {
        Family::Ipv4 => addr_type_v4(flow, addr, types, dev),
        Family::Ipv6 => addr_type_v6(flow, addr, types, dev),
    };
    let src = m.src.as_ref().map_or(Tri::Yes, |s| {
        let t = test(&flow.src, s.value);
        if s.negated {
            !t
        } else {
            t
        }
    });
    if src == Tri::No {
        return Tri::No;
    }
    let dst = m.dst.as_ref().map_or(Tri::Yes, |d| {
        let t = test(&flow.dst, d.value);
        if d.negated {
            !t
        } else {
            t
        }
    });
    src.and(dst)
}

/// One extension match.
pub(crate) fn one(m: &Match, flow: &Flow<'_>) -> Tri {
    match m {
        Match::Tcp(t) => tcp(t, flow),
        Match::Udp(u) => udp(u, flow),
        Match::Multiport(mp) => multiport(mp, flow),
        Match::Conntrack(c) => ctmatch::conntrack(c, flow),
        Match::State(s) => ctmatch::state(s, flow),
        Match::IpRange(r) => iprange(r, flow),
        Match::Comment(_) => Tri::Yes,
        Match::Icmp(t) => icmp(t, Family::Ipv4, flow),
        Match::Icmp6(t) => icmp(t, Family::Ipv6, flow),
        Match::AddrType(a) => addrtype(a, flow),
        Match::Mark(mk) => match flow.mark {
            Some(v) => Tri::neg(v & mk.mask() == mk.value(), mk.negated()),
            None => Tri::unknown("-m mark: the packet's mark is not given"),
        },
        other => super::matcher_ext::one(other, flow)
            .unwrap_or_else(|| Tri::unknown(format!("-m {}: not modelled", other.name()))),
    }
}
