//! One wire expression ([`crate::expr::Expr`], as the rule codec decodes it) as a native
//! expression of [`dfw_core::native`].
//!
//! Contract: the typed wire variants map one to one; an [`crate::expr::Expr::Other`] is
//! decoded here by name (`lookup`, `ct`, `fib`, `nat`, `masq`, `redir`, `reject`, `log`,
//! `limit`, `quota`, `byteorder`, `counter`, and `meta`/`payload` in their forms the wire codec
//! leaves untyped), with attribute numbers from `linux/netfilter/nf_tables.h`. A known name in
//! a form not understood (a `meta set` of a key, a `payload` write, a bitwise shift) becomes
//! `Expr::Other` naming it, so the evaluator calls it undecidable instead of guessing.

use dfw_core::native::{self as n, Data, NatKind, RejectKind};

use crate::expr::{CmpOp, Expr, ImmediateData, PayloadBase, Verdict};
use crate::wire::{Attr, AttrIter, WireError};

/// A wire verdict as a native one.
pub(crate) fn verdict(v: &Verdict) -> n::Verdict {
    match v {
        Verdict::Accept => n::Verdict::Accept,
        Verdict::Drop => n::Verdict::Drop,
        Verdict::Return => n::Verdict::Return,
        Verdict::Continue => n::Verdict::Continue,
        Verdict::Break => n::Verdict::Other(-2),
        Verdict::Jump(c) => n::Verdict::Jump(c.clone()),
        Verdict::Goto(c) => n::Verdict::Goto(c.clone()),
        Verdict::Unknown(code) => n::Verdict::Other(*code),
    }
}

/// A verdict code and chain (as in a map element) as a native verdict.
pub(crate) fn verdict_code(code: i32, chain: Option<&str>) -> n::Verdict {
    match (code, chain) {
        (1, _) => n::Verdict::Accept,
        (0, _) => n::Verdict::Drop,
        (-5, _) => n::Verdict::Return,
        (-1, _) => n::Verdict::Continue,
        (-3, Some(c)) => n::Verdict::Jump(c.to_owned()),
        (-4, Some(c)) => n::Verdict::Goto(c.to_owned()),
        (code, _) => n::Verdict::Other(code),
    }
}

fn op(o: CmpOp) -> n::CmpOp {
    match o {
        CmpOp::Eq => n::CmpOp::Eq,
        CmpOp::Neq => n::CmpOp::Neq,
        CmpOp::Lt => n::CmpOp::Lt,
        CmpOp::Lte => n::CmpOp::Lte,
        CmpOp::Gt => n::CmpOp::Gt,
        CmpOp::Gte => n::CmpOp::Gte,
    }
}

/// The attributes of an expression's data nest, by type (last one wins).
struct Nest<'a>(Vec<Attr<'a>>);

impl<'a> Nest<'a> {
    fn parse(data: &'a [u8]) -> Result<Self, WireError> {
        AttrIter::new(data).collect::<Result<Vec<_>, _>>().map(Nest)
    }
    fn get(&self, kind: u16) -> Option<&Attr<'a>> {
        self.0.iter().rev().find(|a| a.kind == kind)
    }
    fn u32(&self, kind: u16) -> Option<u32> {
        self.get(kind).and_then(|a| a.u32_be("expression").ok())
    }
    fn u64(&self, kind: u16) -> Option<u64> {
        self.get(kind).and_then(|a| a.u64_be("expression").ok())
    }
    fn str(&self, kind: u16) -> Option<String> {
        self.get(kind)
            .and_then(|a| a.string("expression").ok())
            .map(str::to_owned)
    }
    fn has(&self, kind: u16) -> bool {
        self.get(kind).is_some()
    }
}

fn regs(n: &Nest<'_>, min: u16, max: u16) -> Option<(u32, u32)> {
    let lo = n.u32(min)?;
    Some((lo, n.u32(max).unwrap_or(lo)))
}

/// Decodes an untyped wire expression by name; `None` when its form is not modelled.
fn other(name: &str, data: &[u8]) -> Result<Option<n::Expr>, WireError> {
    let a = Nest::parse(data)?;
    Ok(match name {
        "lookup" => (|| {
            Some(n::Expr::Lookup {
                set: a.str(1)?,
                sreg: a.u32(2)?,
                dreg: a.u32(3),
                invert: a.u32(5).unwrap_or(0) & 1 == 1,
            })
        })(),
        "ct" if a.has(1) => (|| {
            Some(n::Expr::Ct {
                dreg: a.u32(1)?,
                key: a.u32(2)?,
                dir: a.get(3).and_then(|d| d.payload.first().copied()),
            })
        })(),
        "ct" => (|| {
            Some(n::Expr::CtSet {
                key: a.u32(2)?,
                sreg: a.u32(4)?,
            })
        })(),
        // NFTA_META_KEY is 2, NFTA_META_SREG 3 (NFTA_META_DREG 1 is absent in a `set`).
        "meta" if a.has(3) => (|| {
            Some(n::Expr::MetaSet {
                key: a.u32(2)?,
                sreg: a.u32(3)?,
            })
        })(),
        "fib" => (|| {
            Some(n::Expr::Fib {
                dreg: a.u32(1)?,
                result: a.u32(2)?,
                flags: a.u32(3)?,
            })
        })(),
        "nat" => (|| {
            Some(n::Expr::Nat {
                kind: match a.u32(1)? {
                    0 => NatKind::Snat,
                    1 => NatKind::Dnat,
                    _ => return None,
                },
                family: a.u32(2)?,
                addr: regs(&a, 3, 4),
                proto: regs(&a, 5, 6),
                flags: a.u32(7).unwrap_or(0),
            })
        })(),
        "masq" => Some(n::Expr::Masquerade {
            flags: a.u32(1).unwrap_or(0),
            proto: regs(&a, 2, 3),
        }),
        "redir" => Some(n::Expr::Redirect {
            flags: a.u32(3).unwrap_or(0),
            proto: regs(&a, 1, 2),
        }),
        "reject" => {
            let code = a
                .get(2)
                .and_then(|c| c.payload.first().copied())
                .unwrap_or(0);
            match a.u32(1) {
                Some(0) => Some(n::Expr::Reject(RejectKind::Icmp(code))),
                Some(1) => Some(n::Expr::Reject(RejectKind::TcpRst)),
                Some(2) => Some(n::Expr::Reject(RejectKind::Icmpx(code))),
                _ => None,
            }
        }
        "counter" => Some(n::Expr::Counter {
            bytes: a.u64(1).unwrap_or(0),
            packets: a.u64(2).unwrap_or(0),
        }),
        "log" => Some(n::Expr::Log {
            prefix: a.str(2),
            level: a.u32(5),
            group: a
                .get(1)
                .and_then(|g| g.payload.try_into().ok())
                .map(u16::from_be_bytes),
        }),
        "limit" => (|| {
            Some(n::Expr::Limit {
                rate: a.u64(1)?,
                unit: a.u64(2)?,
                burst: a.u32(3).unwrap_or(0),
                bytes: a.u32(4) == Some(1),
                over: a.u32(5).unwrap_or(0) & 1 == 1,
            })
        })(),
        "quota" => (|| {
            Some(n::Expr::Quota {
                bytes: a.u64(1)?,
                over: a.u32(2).unwrap_or(0) & 1 == 1,
                consumed: a.u64(4).unwrap_or(0),
            })
        })(),
        "byteorder" => (|| {
            Some(n::Expr::Byteorder {
                sreg: a.u32(1)?,
                dreg: a.u32(2)?,
                hton: a.u32(3)? == 1,
                len: a.u32(4)?,
                size: a.u32(5)?,
            })
        })(),
        _ => None,
    })
}

/// The native form of `e`.
///
/// # Errors
/// [`WireError`] when an untyped expression's data is malformed.
pub fn native_expr(e: &Expr) -> Result<n::Expr, WireError> {
    Ok(match e {
        Expr::Meta { key, dreg } => n::Expr::Meta {
            key: key.0,
            dreg: *dreg,
        },
        Expr::Payload {
            base,
            offset,
            len,
            dreg,
        } => n::Expr::Payload {
            base: match base {
                PayloadBase::LinkLayer => n::PayloadBase::Link,
                PayloadBase::Network => n::PayloadBase::Network,
                PayloadBase::Transport => n::PayloadBase::Transport,
            },
            offset: *offset,
            len: *len,
            dreg: *dreg,
        },
        Expr::Cmp { sreg, op: o, data } => n::Expr::Cmp {
            sreg: *sreg,
            op: op(*o),
            data: data.clone(),
        },
        Expr::Bitwise {
            sreg,
            dreg,
            len,
            mask,
            xor,
        } => n::Expr::Bitwise {
            sreg: *sreg,
            dreg: *dreg,
            len: *len,
            mask: mask.clone(),
            xor: xor.clone(),
        },
        Expr::Range {
            sreg,
            op: o,
            from,
            to,
        } => n::Expr::Range {
            sreg: *sreg,
            op: op(*o),
            from: from.clone(),
            to: to.clone(),
        },
        Expr::Immediate { dreg, data } => n::Expr::Immediate {
            dreg: *dreg,
            data: match data {
                ImmediateData::Value(v) => Data::Value(v.clone()),
                ImmediateData::Verdict(v) => Data::Verdict(verdict(v)),
            },
        },
        Expr::Counter { packets, bytes } => n::Expr::Counter {
            packets: *packets,
            bytes: *bytes,
        },
        Expr::Match { name, rev, .. } => n::Expr::Xt {
            target: false,
            name: name.clone(),
            rev: *rev,
        },
        Expr::Target { name, rev, .. } => n::Expr::Xt {
            target: true,
            name: name.clone(),
            rev: *rev,
        },
        Expr::Limit {
            rate,
            unit,
            burst,
            kind,
            flags,
        } => n::Expr::Limit {
            rate: *rate,
            unit: *unit,
            burst: *burst,
            bytes: *kind == 1,
            over: flags & 1 == 1,
        },
        Expr::Log(l) => n::Expr::Log {
            prefix: l.prefix.clone(),
            level: l.level,
            group: l.group,
        },
        Expr::Other { name, data } => {
            other(name, data)?.unwrap_or_else(|| n::Expr::Other { name: name.clone() })
        }
    })
}
