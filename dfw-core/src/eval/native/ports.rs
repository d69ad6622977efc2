//! Published ports of native tables: the DNAT statements (Docker 29's
//! `tcp dport 8080 dnat to 172.17.0.2:80` in nftables mode, firewalld's forward ports), with
//! the protocol and destination ports the rule matches and where it translates to.
//!
//! Contract: every rule of a table packets of the family traverse that holds a `dnat` of that
//! family; the protocol comes from `meta l4proto` (or the IP protocol field) compared equal,
//! the ports from the transport header's destination port compared equal or in a range;
//! the translation from the immediates that feed the statement's registers. A rule whose
//! port is not a plain comparison publishes "every port" (empty list): the audit probes it
//! with a port and reports what the evaluator decides.

use std::net::IpAddr;

use crate::eval::trace::{RuleRef, TableRef};
use crate::model::target::Nat;
use crate::model::{AddrRange, Family, PortRange, Protocol};
use crate::native::{CmpOp, Data, Expr, NatKind, PayloadBase, Ruleset};

/// One native DNAT rule.
#[derive(Debug, Clone)]
pub(crate) struct NativeDnat {
    pub at: RuleRef,
    pub proto: Option<Protocol>,
    pub ports: Vec<PortRange>,
    pub to: Nat,
}

fn value_of(exprs: &[Expr], reg: u32) -> Option<&Vec<u8>> {
    exprs.iter().rev().find_map(|e| match e {
        Expr::Immediate {
            dreg,
            data: Data::Value(v),
        } if *dreg == reg => Some(v),
        _ => None,
    })
}

fn nat_of(exprs: &[Expr], addr: Option<(u32, u32)>, proto: Option<(u32, u32)>) -> Nat {
    let ip = |v: &Vec<u8>| -> Option<IpAddr> {
        match v.len() {
            4 => Some(IpAddr::from(<[u8; 4]>::try_from(v.as_slice()).ok()?)),
            16 => Some(IpAddr::from(<[u8; 16]>::try_from(v.as_slice()).ok()?)),
            _ => None,
        }
    };
    let port = |v: &Vec<u8>| (v.len() >= 2).then(|| u16::from_be_bytes([v[0], v[1]]));
    let addrs = addr.and_then(|(lo, hi)| {
        let a = ip(value_of(exprs, lo)?)?;
        let b = ip(value_of(exprs, hi)?)?;
        AddrRange::new(a, b).ok()
    });
    let ports = proto.and_then(|(lo, hi)| {
        let a = port(value_of(exprs, lo)?)?;
        let b = port(value_of(exprs, hi)?)?;
        PortRange::new(a, b).ok()
    });
    Nat {
        addrs,
        ports,
        ..Nat::default()
    }
}

/// The DNAT rules of `native` for packets of `family`.
pub(crate) fn native_dnats(native: &Ruleset, family: Family) -> Vec<NativeDnat> {
    let nfproto = match family {
        Family::Ipv4 => 2,
        Family::Ipv6 => 10,
    };
    let mut out = Vec::new();
    for t in native.tables.iter().filter(|t| t.family.sees(family)) {
        for c in &t.chains {
            for (i, r) in c.rules.iter().enumerate() {
                let Some((addr, proto)) = r.exprs.iter().find_map(|e| match e {
                    Expr::Nat {
                        kind: NatKind::Dnat,
                        family: f,
                        addr,
                        proto,
                        ..
                    } if *f == nfproto => Some((*addr, *proto)),
                    _ => None,
                }) else {
                    continue;
                };
                let (mut l4, mut ports, mut loads) = (None, Vec::new(), Vec::new());
                for e in &r.exprs {
                    match e {
                        Expr::Meta { key: 16, dreg } => loads.push((*dreg, 'p')),
                        Expr::Payload {
                            base: PayloadBase::Transport,
                            offset: 2,
                            len: 2,
                            dreg,
                        } => loads.push((*dreg, 'd')),
                        Expr::Payload { dreg, .. } | Expr::Meta { dreg, .. } => {
                            loads.push((*dreg, '-'))
                        }
                        Expr::Cmp {
                            sreg,
                            op: CmpOp::Eq,
                            data,
                        } => match loads.iter().rev().find(|(r, _)| r == sreg) {
                            Some((_, 'p')) => {
                                l4 = data.first().and_then(|&p| Protocol::from_number(p))
                            }
                            Some((_, 'd')) if data.len() == 2 => ports
                                .push(PortRange::single(u16::from_be_bytes([data[0], data[1]]))),
                            _ => {}
                        },
                        Expr::Range {
                            sreg,
                            op: CmpOp::Eq,
                            from,
                            to,
                        } if from.len() == 2 && to.len() == 2 => {
                            if let Some((_, 'd')) = loads.iter().rev().find(|(r, _)| r == sreg) {
                                let lo = u16::from_be_bytes([from[0], from[1]]);
                                let hi = u16::from_be_bytes([to[0], to[1]]);
                                ports.extend(PortRange::new(lo, hi).ok());
                            }
                        }
                        _ => {}
                    }
                }
                out.push(NativeDnat {
                    at: RuleRef {
                        table: TableRef::Native(t.family, t.name.clone()),
                        chain: c.name.clone(),
                        number: i + 1,
                    },
                    proto: l4,
                    ports,
                    to: nat_of(&r.exprs, addr, proto),
                });
            }
        }
    }
    out
}
