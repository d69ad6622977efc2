//! Arbitrary valid model rules built from fuzzer bytes, for codec round trips.
//!
//! Contract: [`rule`] builds, from any bytes, a rule of the family that passes
//! [`Rule::check`], with every header field, match and target kind reachable, or `None` when
//! the bytes pick a combination the model refuses. Like the codec's proptest strategies it
//! leaves out what iptables-nft cannot represent exactly: `/0` header addresses, a
//! non-inverted full port range, empty tcp flags or option.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::Bytes;
use crate::model::matches::{
    AddrType, AddrTypes, Comment, Conntrack, CtDirection, CtStates, CtStatus, IcmpType, IpRange,
    LimitIface, Mark, Multiport, MultiportKind, SctpMatch, TcpFlag, TcpFlags, TcpMatch, UdpMatch,
};
use crate::model::target::{Log, LogFlags, Masquerade, Nat, Reject};
use crate::model::{
    AddrRange, ChainName, Counters, Family, Iface, Match, Neg, Network, PortRange, Protocol, Rule,
    RuleHeader, Target,
};

const IFACE_FIRST: &str = "abcdefghijklmnopqrstuvwxyz0123456789";
const IFACE_REST: &str = "abcdefghijklmnopqrstuvwxyz0123456789._-";
const CHAIN_FIRST: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const CHAIN_REST: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";

fn neg<T>(b: &mut Bytes<'_>, f: impl FnOnce(&mut Bytes<'_>) -> T) -> Neg<T> {
    let negated = b.bool();
    Neg::new(f(b), negated)
}

fn addr(b: &mut Bytes<'_>, family: Family) -> IpAddr {
    match family {
        Family::Ipv4 => IpAddr::V4(Ipv4Addr::from(b.u32())),
        Family::Ipv6 => IpAddr::V6(Ipv6Addr::from(b.u128())),
    }
}

/// A network of `family`: a prefix of at least `min_prefix`, or any mask (non-zero when
/// `min_prefix` > 0).
fn network(b: &mut Bytes<'_>, family: Family, min_prefix: u8) -> Option<Network> {
    if b.below(4) < 3 {
        let a = addr(b, family);
        let p = b.in_range(min_prefix, family.addr_bits());
        Network::with_prefix(a, p).ok()
    } else {
        let (a, m) = (addr(b, family), addr(b, family));
        if min_prefix > 0 && m.is_unspecified() {
            return None;
        }
        Network::with_mask(a, m).ok()
    }
}

fn name(b: &mut Bytes<'_>, first: &str, rest: &str, max_rest: usize) -> String {
    let first: Vec<char> = first.chars().collect();
    let mut s = String::from(first[b.below(first.len())]);
    s.push_str(&b.string(max_rest, rest));
    s
}

fn iface(b: &mut Bytes<'_>) -> Option<Iface> {
    let n = name(b, IFACE_FIRST, IFACE_REST, 14);
    Iface::new(&n, b.bool()).ok()
}

fn chain(b: &mut Bytes<'_>) -> Option<ChainName> {
    ChainName::new(&name(b, CHAIN_FIRST, CHAIN_REST, 27)).ok()
}

fn any_range(b: &mut Bytes<'_>) -> PortRange {
    let (x, y) = (b.u16(), b.u16());
    PortRange::new(x.min(y), x.max(y)).unwrap_or(PortRange::ALL)
}

fn port_neg(b: &mut Bytes<'_>) -> Option<Neg<PortRange>> {
    let r = if b.bool() {
        PortRange::single(b.u16())
    } else {
        any_range(b)
    };
    let p = Neg::new(r, b.bool());
    (p.negated || p.value != PortRange::ALL).then_some(p)
}

fn opt_port(b: &mut Bytes<'_>) -> Option<Option<Neg<PortRange>>> {
    match b.bool() {
        true => port_neg(b).map(Some),
        false => Some(None),
    }
}

fn tcp(b: &mut Bytes<'_>) -> Option<TcpMatch> {
    let sport = opt_port(b)?;
    let dport = opt_port(b)?;
    let flags = b.option(|b| {
        neg(b, |b| TcpFlags {
            mask: TcpFlag::from_bits_truncate(b.u8() % 64),
            comp: TcpFlag::from_bits_truncate(b.u8() % 64),
        })
    });
    let option = b.option(|b| neg(b, |b| b.u8()));
    if flags
        .as_ref()
        .is_some_and(|f| !f.negated && f.value.mask.is_empty())
        || option.as_ref().is_some_and(|o| !o.negated && o.value == 0)
    {
        return None;
    }
    Some(TcpMatch {
        sport,
        dport,
        flags,
        option,
    })
}

fn multiport(b: &mut Bytes<'_>) -> Option<Multiport> {
    let kind = [
        MultiportKind::Source,
        MultiportKind::Destination,
        MultiportKind::Either,
    ][b.below(3)];
    let n = 1 + b.below(8);
    let ports = (0..n)
        .map(|_| match b.bool() {
            true => PortRange::single(b.u16()),
            false => any_range(b),
        })
        .collect();
    Multiport::new(kind, ports, b.bool()).ok()
}

fn opt_net(b: &mut Bytes<'_>, family: Family) -> Option<Option<Neg<Network>>> {
    match b.bool() {
        true => {
            let negated = b.bool();
            network(b, family, 0).map(|n| Some(Neg::new(n, negated)))
        }
        false => Some(None),
    }
}

fn conntrack(b: &mut Bytes<'_>, family: Family) -> Option<Conntrack> {
    let states = |b: &mut Bytes<'_>| CtStates::from_bits_truncate(b.u16());
    let range = |b: &mut Bytes<'_>| b.option(|b| neg(b, any_range));
    let ct = Conntrack {
        state: b.option(|b| neg(b, states)),
        proto: opt_neg(b, |b| Protocol::from_number(b.in_range(1, 255)))?,
        orig_src: opt_net(b, family)?,
        orig_dst: opt_net(b, family)?,
        repl_src: opt_net(b, family)?,
        repl_dst: opt_net(b, family)?,
        orig_src_port: range(b),
        orig_dst_port: range(b),
        repl_src_port: range(b),
        repl_dst_port: range(b),
        status: b.option(|b| neg(b, |b| CtStatus::from_bits_truncate(b.u16() % 16))),
        expire: b.option(|b| {
            neg(b, |b| {
                let (x, y) = (b.u32(), b.u32());
                (x.min(y), x.max(y))
            })
        }),
        direction: b.option(|b| [CtDirection::Original, CtDirection::Reply][b.below(2)]),
    };
    (!ct.is_empty()).then_some(ct)
}

fn addr_range(b: &mut Bytes<'_>, family: Family) -> Option<AddrRange> {
    let (x, y) = (addr(b, family), addr(b, family));
    AddrRange::new(x.min(y), x.max(y)).ok()
}

fn opt_addr_range(b: &mut Bytes<'_>, family: Family) -> Option<Option<Neg<AddrRange>>> {
    match b.bool() {
        true => {
            let negated = b.bool();
            addr_range(b, family).map(|r| Some(Neg::new(r, negated)))
        }
        false => Some(None),
    }
}

fn icmp_type(b: &mut Bytes<'_>) -> IcmpType {
    match b.below(3) {
        0 => IcmpType::Any,
        1 => IcmpType::Type(b.u8() % 255),
        _ => IcmpType::TypeCode(b.u8() % 255, b.u8()),
    }
}

fn addr_types(b: &mut Bytes<'_>) -> AddrTypes {
    AddrTypes::from_bits_truncate(b.u16() % 0x0fff + 1)
}

fn free_match(b: &mut Bytes<'_>, family: Family) -> Option<Match> {
    Some(match b.below(8) {
        6 | 7 => super::rule_ext::ext_match(b, family)?,
        0 => Match::Conntrack(conntrack(b, family)?),
        1 => Match::State(neg(b, |b| CtStates::from_bits_truncate(b.u16()))),
        2 => {
            let (s, d) = (opt_addr_range(b, family)?, opt_addr_range(b, family)?);
            Match::IpRange(IpRange::new(s, d).ok()?)
        }
        3 => Match::Comment(Comment::new(&b.string(255, "")).ok()?),
        4 => Match::AddrType(AddrType {
            src: b.option(|b| neg(b, addr_types)),
            dst: b.option(|b| neg(b, addr_types)),
            limit_iface: b.option(|b| [LimitIface::In, LimitIface::Out][b.below(2)]),
        }),
        _ => Match::Mark(Mark::new(b.u32(), b.u32(), b.bool())),
    })
}

fn nat(b: &mut Bytes<'_>, family: Family) -> Option<Nat> {
    let addrs = match b.bool() {
        true => Some(addr_range(b, family)?),
        false => None,
    };
    Some(Nat {
        addrs,
        ports: b.option(any_range),
        random: b.bool(),
        persistent: b.bool(),
        random_fully: b.bool(),
    })
}

fn target(b: &mut Bytes<'_>, family: Family) -> Option<Target> {
    Some(match b.below(13) {
        10..=12 => super::rule_ext::ext_target(b, family)?,
        0 => Target::Accept,
        1 => Target::Drop,
        2 => Target::Return,
        3 => Target::Jump(chain(b)?),
        4 => Target::Goto(chain(b)?),
        5 => Target::Reject(Reject::from_raw(family, u32::from(b.u8() % 9))?),
        6 => Target::Log(
            Log::new(
                b.u8() % 8,
                LogFlags::from_bits_truncate(b.u8() % 64),
                &b.string(29, ""),
            )
            .ok()?,
        ),
        7 => Target::Dnat(nat(b, family)?),
        8 => Target::Snat(nat(b, family)?),
        _ => Target::Masquerade(Masquerade {
            ports: b.option(any_range),
            random: b.bool(),
            random_fully: b.bool(),
        }),
    })
}

/// The `-p` of a rule and the protocol matches that need it.
fn proto_and_matches(
    b: &mut Bytes<'_>,
    family: Family,
) -> Option<(Option<Neg<Protocol>>, Vec<Match>)> {
    let n = b.below(3);
    Some(match b.below(5) {
        4 => {
            let s = SctpMatch {
                sport: b.option(|b| Neg::new(any_range(b), b.bool())),
                dport: b.option(|b| Neg::new(any_range(b), b.bool())),
            };
            (Some(Neg::is(Protocol::SCTP)), vec![Match::Sctp(s)])
        }
        0 => match b.bool() {
            true => {
                let negated = b.bool();
                let p = Protocol::from_number(b.in_range(1, 255))?;
                (Some(Neg::new(p, negated)), vec![])
            }
            false => (None, vec![]),
        },
        1 => {
            let m = (0..n)
                .map(|_| match b.bool() {
                    true => tcp(b).map(Match::Tcp),
                    false => multiport(b).map(Match::Multiport),
                })
                .collect::<Option<_>>()?;
            (Some(Neg::is(Protocol::TCP)), m)
        }
        2 => {
            let m = (0..n)
                .map(|_| match b.bool() {
                    true => Some(Match::Udp(UdpMatch {
                        sport: opt_port(b)?,
                        dport: opt_port(b)?,
                    })),
                    false => multiport(b).map(Match::Multiport),
                })
                .collect::<Option<_>>()?;
            (Some(Neg::is(Protocol::UDP)), m)
        }
        _ => {
            let t = neg(b, icmp_type);
            match family {
                Family::Ipv4 => (Some(Neg::is(Protocol::ICMP)), vec![Match::Icmp(t)]),
                Family::Ipv6 => (Some(Neg::is(Protocol::ICMPV6)), vec![Match::Icmp6(t)]),
            }
        }
    })
}

fn opt_neg<T>(
    b: &mut Bytes<'_>,
    f: impl FnOnce(&mut Bytes<'_>) -> Option<T>,
) -> Option<Option<Neg<T>>> {
    match b.bool() {
        true => {
            let negated = b.bool();
            f(b).map(|v| Some(Neg::new(v, negated)))
        }
        false => Some(None),
    }
}

/// A valid rule of `family` built from the bytes, or `None` when they pick something the
/// model refuses (see the module contract).
pub fn rule(b: &mut Bytes<'_>, family: Family) -> Option<Rule> {
    let header = RuleHeader {
        src: opt_neg(b, |b| network(b, family, 1))?,
        dst: opt_neg(b, |b| network(b, family, 1))?,
        in_iface: opt_neg(b, iface)?,
        out_iface: opt_neg(b, iface)?,
        proto: None,
    };
    let (proto, pmatches) = proto_and_matches(b, family)?;
    let mut matches = (0..b.below(4))
        .map(|_| free_match(b, family))
        .collect::<Option<Vec<_>>>()?;
    let pos = b.below(matches.len() + 1);
    for (i, m) in pmatches.into_iter().enumerate() {
        matches.insert((pos + i).min(matches.len()), m);
    }
    let rule = Rule {
        header: RuleHeader { proto, ..header },
        matches,
        target: match b.bool() {
            true => Some(target(b, family)?),
            false => None,
        },
        counters: b.option(|b| Counters {
            packets: b.u64(),
            bytes: b.u64(),
        }),
    };
    rule.check(family).is_ok().then_some(rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random bytes (xorshift).
    fn noise(seed: u64, len: usize) -> Vec<u8> {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    #[test]
    fn random_bytes_often_build_valid_rules_of_every_kind() {
        let mut built = 0;
        let mut kinds = std::collections::BTreeSet::new();
        for seed in 0..2000 {
            let bytes = noise(seed, 300);
            for family in [Family::Ipv4, Family::Ipv6] {
                if let Some(r) = rule(&mut Bytes::new(&bytes), family) {
                    assert!(r.check(family).is_ok());
                    built += 1;
                    kinds.extend(r.matches.iter().map(|m| format!("{m:?}")[..4].to_string()));
                    if let Some(t) = &r.target {
                        kinds.insert(format!("{t:?}")[..4].to_string());
                    }
                }
            }
        }
        assert!(
            built > 400,
            "only {built} of 4000 byte strings built a rule"
        );
        // 25 match kinds and 16 target kinds, by their first four letters (some share them).
        assert!(kinds.len() >= 34, "kinds seen: {kinds:?}");
    }
}
