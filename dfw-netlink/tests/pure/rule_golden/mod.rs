//! Golden tests of whole rules, both directions.
//!
//! Expressions are what iptables 1.8.9 sends (`doc:LINE`: /work/shared/docs/xtables-nft-encoding.md
//! sections 1.3/1.4, the `nft --debug=netlink` dump; `strace`: captured for this module on
//! 2026-11-23 with `tests/golden/xtcap.py`, which also shows the NFTA_RULE_COMPAT iptables sends:
//! `{PROTO: -p or 0, FLAGS: 2 for ! -p}` on every rule, `{0, 0}` without `-p`).
//!
//! - [`same`]: rules iptables 1.8.9 and dfw encode identically: encode == iptables, decode == rule.
//! - [`native`]: rules 1.8.9 encodes natively (tcp/udp ports and flags, mark) and dfw as xt
//!   matches: both decode to the same rule.
//! - [`opaque`]: what the model cannot express is kept, marked opaque.
#![cfg(target_endian = "little")]

use std::net::IpAddr;

use dfw_core::model::matches::{
    Conntrack, CtStates, IcmpType, Limit, Mark, TcpFlag, TcpFlags, TcpMatch, UdpMatch,
};
use dfw_core::model::target::{Masquerade, Nat, Nflog, Reject, RejectV4};
use dfw_core::model::{
    AddrRange, ChainName, Counters, Family, Iface, Match, Neg, Network, PortRange, Protocol, Rule,
    RuleHeader, Target,
};
use dfw_netlink::expr::{CmpOp, Expr, ImmediateData, LogExpr, MetaKey, PayloadBase, Verdict};
use dfw_netlink::rule_codec::{decode_rule, encode_rule, Compat, DecodedRule};

const V4: Family = Family::Ipv4;
const V6: Family = Family::Ipv6;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
fn meta(key: MetaKey) -> Expr {
    Expr::Meta { key, dreg: 1 }
}
fn cmp(op: CmpOp, data: &[u8]) -> Expr {
    Expr::Cmp {
        sreg: 1,
        op,
        data: data.to_vec(),
    }
}
fn eq(data: &[u8]) -> Expr {
    cmp(CmpOp::Eq, data)
}
fn ne(data: &[u8]) -> Expr {
    cmp(CmpOp::Neq, data)
}
fn payload(base: PayloadBase, offset: u32, len: u32) -> Expr {
    Expr::Payload {
        base,
        offset,
        len,
        dreg: 1,
    }
}
fn nh(offset: u32, len: u32) -> Expr {
    payload(PayloadBase::Network, offset, len)
}
fn th(offset: u32, len: u32) -> Expr {
    payload(PayloadBase::Transport, offset, len)
}
fn bitwise(mask: &[u8]) -> Expr {
    Expr::Bitwise {
        sreg: 1,
        dreg: 1,
        len: mask.len() as u32,
        mask: mask.to_vec(),
        xor: vec![0; mask.len()],
    }
}
fn range(op: CmpOp, from: &[u8], to: &[u8]) -> Expr {
    Expr::Range {
        sreg: 1,
        op,
        from: from.to_vec(),
        to: to.to_vec(),
    }
}
fn counter() -> Expr {
    Expr::Counter {
        packets: 0,
        bytes: 0,
    }
}
fn verdict(v: Verdict) -> Expr {
    Expr::Immediate {
        dreg: 0,
        data: ImmediateData::Verdict(v),
    }
}
fn xm(name: &str, rev: u32, info: &str) -> Expr {
    Expr::Match {
        name: name.into(),
        rev,
        info: hex(info),
    }
}
fn xt(name: &str, rev: u32, info: &str) -> Expr {
    Expr::Target {
        name: name.into(),
        rev,
        info: hex(info),
    }
}
fn l4(p: u8) -> [Expr; 2] {
    [meta(MetaKey::L4PROTO), eq(&[p])]
}
fn compat(proto: u32, flags: u32) -> Option<Compat> {
    Some(Compat { proto, flags })
}
fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}
fn net(s: &str) -> Network {
    match s.split_once('/') {
        Some((a, m)) => match m.parse::<u8>() {
            Ok(p) => Network::with_prefix(ip(a), p).unwrap(),
            Err(_) => Network::with_mask(ip(a), ip(m)).unwrap(),
        },
        None => Network::host(ip(s)),
    }
}
fn iface(s: &str) -> Iface {
    Iface::parse(s).unwrap()
}
fn tcp() -> Option<Neg<Protocol>> {
    Some(Neg::is(Protocol::TCP))
}
fn udp() -> Option<Neg<Protocol>> {
    Some(Neg::is(Protocol::UDP))
}
fn rule(header: RuleHeader, matches: Vec<Match>, target: Option<Target>) -> Rule {
    Rule {
        header,
        matches,
        target,
        counters: None,
    }
}
fn decoded(family: Family, exprs: &[Expr], c: Option<Compat>) -> Rule {
    match decode_rule(family, exprs, c) {
        DecodedRule::Rule(r) => r,
        DecodedRule::Opaque { reason, .. } => panic!("opaque: {reason}\n{exprs:?}"),
    }
}

/// encode(rule) == iptables' expressions and compat, and decode(those) == rule.
fn both(family: Family, r: &Rule, exprs: &[Expr], c: Option<Compat>) {
    let enc = encode_rule(family, r).unwrap();
    assert_eq!(enc.exprs, exprs, "{r:?}");
    assert_eq!(enc.compat, c, "{r:?}");
    assert_eq!(&decoded(family, exprs, c), r);
}

mod native;
mod opaque;
mod same;
mod userdata;
