//! Model [`Rule`] -> expressions, in iptables-nft 1.8.9's order and form (xt tcp/udp/mark).

use std::net::IpAddr;

use dfw_core::model::{Family, Iface, Match, Neg, Network, Rule, Target};

use super::{Compat, EncodeError, EncodedRule};
use crate::expr::{CmpOp, Expr, ImmediateData, MetaKey, PayloadBase, Verdict};
use crate::xt::{
    addrtype, comment, connmark, conntrack, ct, hashlimit, icmp, iprange, log, mark, multiport,
    nat, nflog, owner, packet, recent, reject, rt, sctp, tcpmss, tcpudp,
};

/// The register iptables-nft loads everything into (`NFT_REG_1`).
pub(super) const REG: u32 = 1;

/// IPv4/IPv6 header offsets of the source and destination address.
pub(super) fn addr_offsets(family: Family) -> (u32, u32) {
    match family {
        Family::Ipv4 => (12, 16),
        Family::Ipv6 => (8, 24),
    }
}

fn op(negated: bool) -> CmpOp {
    if negated {
        CmpOp::Neq
    } else {
        CmpOp::Eq
    }
}

fn iface(out: &mut Vec<Expr>, key: MetaKey, i: &Neg<Iface>) {
    let mut data = i.value.name().as_bytes().to_vec();
    if !i.value.is_wildcard() {
        data.push(0);
    }
    out.push(Expr::Meta { key, dreg: REG });
    out.push(Expr::Cmp {
        sreg: REG,
        op: op(i.negated),
        data,
    });
}

/// An address's bytes without allocating: 4 or 16 of the array are used.
fn octets_array(a: IpAddr) -> ([u8; 16], usize) {
    let mut out = [0u8; 16];
    match a {
        IpAddr::V4(a) => {
            out[..4].copy_from_slice(&a.octets());
            (out, 4)
        }
        IpAddr::V6(a) => (a.octets(), 16),
    }
}

/// `add_addr()` of iptables' nft.c: load the whole-0xff prefix bytes, or the full address
/// plus a bitwise mask when the mask is not byte-aligned.
fn addr(out: &mut Vec<Expr>, offset: u32, n: &Neg<Network>) -> Result<(), EncodeError> {
    let (mask, size) = octets_array(n.value.mask());
    let mask = &mask[..size];
    let (data, _) = octets_array(n.value.addr());
    let full = mask.iter().take_while(|&&m| m == 0xff).count();
    let bitwise = mask[full..].iter().any(|&m| m != 0);
    let len = if bitwise { mask.len() } else { full };
    if len == 0 {
        if n.negated {
            return Err(EncodeError::Unencodable {
                what: "! -s/-d 0/0",
                reason: "iptables-nft emits a zero-length load the kernel refuses",
            });
        }
        return Ok(());
    }
    out.push(Expr::Payload {
        base: PayloadBase::Network,
        offset,
        len: len as u32,
        dreg: REG,
    });
    if bitwise {
        out.push(Expr::Bitwise {
            sreg: REG,
            dreg: REG,
            len: len as u32,
            mask: mask.to_vec(),
            xor: vec![0; len],
        });
    }
    out.push(Expr::Cmp {
        sreg: REG,
        op: op(n.negated),
        data: data[..len].to_vec(),
    });
    Ok(())
}

fn xt_match(name: &str, rev: u32, info: Vec<u8>) -> Expr {
    Expr::Match {
        name: name.to_string(),
        rev,
        info,
    }
}

fn xt_target(name: &str, rev: u32, info: Vec<u8>) -> Expr {
    Expr::Target {
        name: name.to_string(),
        rev,
        info,
    }
}

/// One extension match of a rule of `family` as the expression dfw writes (an xt `match`,
/// or the native `limit`).
pub fn encode_match(family: Family, m: &Match) -> Expr {
    match m {
        Match::Tcp(t) => xt_match(tcpudp::NAME_TCP, tcpudp::REV, tcpudp::encode_tcp(t)),
        Match::Udp(u) => xt_match(tcpudp::NAME_UDP, tcpudp::REV, tcpudp::encode_udp(u)),
        Match::Multiport(mp) => xt_match(multiport::NAME, multiport::REV, multiport::encode(mp)),
        Match::Conntrack(c) => xt_match(conntrack::NAME, conntrack::REV, conntrack::encode(c)),
        Match::State(s) => xt_match(conntrack::NAME, conntrack::REV, conntrack::encode_state(s)),
        Match::IpRange(r) => xt_match(iprange::NAME, iprange::REV, iprange::encode(r)),
        Match::Comment(c) => xt_match(comment::NAME, comment::REV, comment::encode(c)),
        Match::Icmp(t) => xt_match(icmp::NAME_V4, icmp::REV, icmp::encode(t)),
        Match::Icmp6(t) => xt_match(icmp::NAME_V6, icmp::REV, icmp::encode(t)),
        Match::AddrType(a) => xt_match(addrtype::NAME, addrtype::REV, addrtype::encode(a)),
        Match::Mark(mk) => xt_match(mark::NAME, mark::REV, mark::encode(mk)),
        Match::Limit(l) => super::ext_more::limit_expr(l),
        Match::Recent(r) => xt_match(recent::RECENT, recent::RECENT_REV, recent::encode_recent(r)),
        Match::HashLimit(h) => xt_match(
            hashlimit::NAME,
            hashlimit::REV,
            hashlimit::encode(family, h),
        ),
        Match::ConnLimit(c) => xt_match(
            recent::CONNLIMIT,
            recent::CONNLIMIT_REV,
            recent::encode_connlimit(family, c),
        ),
        Match::PktType(t) => xt_match(packet::PKTTYPE, packet::REV, packet::encode_pkttype(t)),
        Match::Mac(a) => xt_match(packet::MAC, packet::REV, packet::encode_mac(a)),
        Match::Owner(o) => xt_match(owner::OWNER, owner::OWNER_REV, owner::encode_owner(o)),
        Match::Physdev(p) => xt_match(owner::PHYSDEV, owner::PHYSDEV_REV, owner::encode_physdev(p)),
        Match::Sctp(s) => xt_match(sctp::NAME, sctp::REV, sctp::encode(s)),
        Match::Ttl(t) => xt_match(packet::TTL, packet::REV, packet::encode_ttl(t)),
        Match::Hl(t) => xt_match(packet::HL, packet::REV, packet::encode_ttl(t)),
        Match::Length(l) => xt_match(packet::LENGTH, packet::REV, packet::encode_length(l)),
        Match::Rt(r) => xt_match(rt::NAME, rt::REV, rt::encode(r)),
        Match::ConnMark(m) => xt_match(
            connmark::MATCH,
            connmark::MATCH_REV,
            connmark::encode_match(m),
        ),
    }
}

fn verdict(v: Verdict) -> Expr {
    Expr::Immediate {
        dreg: 0,
        data: ImmediateData::Verdict(v),
    }
}

/// The target as the expression dfw writes: a verdict `immediate` or an xt `target`.
///
/// # Errors
/// [`EncodeError::Unencodable`] for [`Target::Opaque`], the stand-in of a kernel rule dfw
/// cannot decode: dfw never writes one.
pub fn encode_target(family: Family, t: &Target) -> Result<Expr, EncodeError> {
    Ok(match t {
        Target::Accept => verdict(Verdict::Accept),
        Target::Drop => verdict(Verdict::Drop),
        Target::Return => verdict(Verdict::Return),
        Target::Jump(c) => verdict(Verdict::Jump(c.as_str().to_string())),
        Target::Goto(c) => verdict(Verdict::Goto(c.as_str().to_string())),
        Target::Reject(r) => xt_target(reject::NAME, reject::REV, reject::encode(*r)),
        Target::Log(l) => xt_target(log::NAME, log::REV, log::encode(l)),
        Target::Dnat(n) => xt_target(nat::DNAT, nat::DNAT_REV, nat::encode_dnat(n)),
        Target::Snat(n) => xt_target(
            nat::SNAT,
            nat::snat_rev(family),
            nat::encode_snat(family, n),
        ),
        Target::Masquerade(m) => xt_target(
            nat::MASQUERADE,
            nat::MASQUERADE_REV,
            nat::encode_masquerade(family, m),
        ),
        // dfw writes NFLOG as the xt target, which iptables 1.8.7 reads too (1.8.8+ writes a
        // native `log group` that 1.8.7 cannot read).
        Target::Nflog(n) => xt_target(nflog::NAME, nflog::REV, nflog::encode(n)),
        Target::Mark(m) => xt_target(mark::TARGET, mark::TARGET_REV, mark::encode_target(m)),
        Target::Connmark(c) => xt_target(
            connmark::TARGET,
            connmark::TARGET_REV,
            connmark::encode_target(c),
        ),
        Target::Tcpmss(m) => xt_target(tcpmss::NAME, tcpmss::REV, tcpmss::encode(*m)),
        Target::Redirect(r) => xt_target(
            nat::REDIRECT,
            nat::REDIRECT_REV,
            nat::encode_redirect(family, r),
        ),
        // `-j NOTRACK` is the CT target too; its alias flag gives iptables-save the name.
        Target::Ct(c) => xt_target(ct::NAME, ct::REV, ct::encode(c)),
        Target::Opaque(_) => {
            return Err(EncodeError::Unencodable {
                what: "target",
                reason: "a rule dfw cannot decode is never written",
            })
        }
    })
}

/// Encodes a rule of `family` as iptables-nft 1.8.9 would, except that tcp/udp and mark
/// matches are xt matches.
///
/// # Errors
/// [`EncodeError::Model`] when the rule does not fit the family or lacks a needed `-p`;
/// [`EncodeError::Unencodable`] for `! -s 0/0` / `! -d 0/0` and for [`Target::Opaque`].
pub fn encode_rule(family: Family, rule: &Rule) -> Result<EncodedRule, EncodeError> {
    rule.check(family)?;
    let h = &rule.header;
    let mut exprs = Vec::new();
    if let Some(i) = &h.in_iface {
        iface(&mut exprs, MetaKey::IIFNAME, i);
    }
    if let Some(o) = &h.out_iface {
        iface(&mut exprs, MetaKey::OIFNAME, o);
    }
    let (src_off, dst_off) = addr_offsets(family);
    if let Some(s) = &h.src {
        addr(&mut exprs, src_off, s)?;
    }
    if let Some(d) = &h.dst {
        addr(&mut exprs, dst_off, d)?;
    }
    let mut compat = Compat::default();
    if let Some(p) = &h.proto {
        exprs.push(Expr::Meta {
            key: MetaKey::L4PROTO,
            dreg: REG,
        });
        exprs.push(Expr::Cmp {
            sreg: REG,
            op: op(p.negated),
            data: vec![p.value.number()],
        });
        compat = Compat {
            proto: u32::from(p.value.number()),
            flags: if p.negated { Compat::INV } else { 0 },
        };
    }
    exprs.extend(rule.matches.iter().map(|m| encode_match(family, m)));
    let c = rule.counters.unwrap_or_default();
    exprs.push(Expr::Counter {
        packets: c.packets,
        bytes: c.bytes,
    });
    if let Some(t) = &rule.target {
        exprs.push(encode_target(family, t)?);
    }
    Ok(EncodedRule {
        exprs,
        compat: Some(compat),
    })
}
