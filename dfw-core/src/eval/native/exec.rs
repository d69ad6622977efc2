//! One native rule run against the packet: the expressions in order, as `nft_do_chain` runs
//! them, with registers whose bits may be unknown.
//!
//! Contract: a comparison that fails ends the rule (`NFT_BREAK`); an undecidable comparison
//! asks `decide` (the explorer's oracle) whether this path takes it as passed, unless nothing
//! after it can change the packet's fate (then the rule is taken as not matched, which is
//! safe). The rule ends in the first verdict (`immediate` into the verdict register or a
//! verdict map), NAT statement or reject. `meta mark set` changes the packet's mark for the
//! rules that follow. Anything else not modelled is [`RuleEnd::Unknown`].

use std::net::IpAddr;

use super::load;
use super::regs::{equal, known, network_header, transport_header, Cell, Regs};
use crate::eval::flow::Flow;
use crate::eval::tri::Tri;
use crate::native::{CmpOp, Data, Expr, NatKind, PayloadBase, RejectKind, Table, Verdict};

/// A NAT statement's effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NatAction {
    /// Destination NAT to an address (or the current one) and port.
    Dnat(Option<IpAddr>, Option<u16>),
    /// Source NAT or masquerade.
    Snat,
}

/// How a rule ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RuleEnd {
    /// A condition failed.
    NoMatch,
    /// Every expression ran without a verdict: the next rule follows.
    Continue,
    /// A verdict.
    Verdict(Verdict),
    /// A reject.
    Reject(RejectKind),
    /// A NAT statement (which accepts, in a nat chain).
    Nat(NatAction),
    /// The effect cannot be decided.
    Unknown(String),
}

/// True when an expression at or after `from` can change the packet's fate.
fn effect_after(exprs: &[Expr], from: usize) -> bool {
    exprs[from..].iter().any(|e| {
        matches!(
            e,
            Expr::Immediate { dreg: 0, .. }
                | Expr::Lookup { dreg: Some(0), .. }
                | Expr::Nat { .. }
                | Expr::Masquerade { .. }
                | Expr::Redirect { .. }
                | Expr::Reject(_)
                | Expr::MetaSet { .. }
                | Expr::CtSet { .. }
                | Expr::Other { .. }
                | Expr::Xt { .. }
        )
    })
}

fn bytes_cmp(a: &[u8], b: &[u8], op: CmpOp) -> bool {
    match op {
        CmpOp::Eq => a == b,
        CmpOp::Neq => a != b,
        CmpOp::Lt => a < b,
        CmpOp::Lte => a <= b,
        CmpOp::Gt => a > b,
        CmpOp::Gte => a >= b,
    }
}

/// Runs `exprs` of a rule of `table`; `decide(reason)` says whether this path takes an
/// undecidable condition as passed.
pub(crate) fn run_rule(
    table: &Table,
    exprs: &[Expr],
    flow: &mut Flow<'_>,
    decide: &mut dyn FnMut(&str) -> bool,
) -> RuleEnd {
    let mut regs = Regs::default();
    match run(table, exprs, flow, &mut regs, decide) {
        Ok(end) => end,
        Err(reason) => RuleEnd::Unknown(reason),
    }
}

/// A condition's result on this path: `Ok(true)` passes, `Ok(false)` ends the rule.
fn condition(t: Tri, exprs: &[Expr], i: usize, decide: &mut dyn FnMut(&str) -> bool) -> bool {
    match t {
        Tri::Yes => true,
        Tri::No => false,
        Tri::Unknown(reason) => effect_after(exprs, i + 1) && decide(&reason),
    }
}

fn run(
    table: &Table,
    exprs: &[Expr],
    flow: &mut Flow<'_>,
    regs: &mut Regs,
    decide: &mut dyn FnMut(&str) -> bool,
) -> Result<RuleEnd, String> {
    for (i, e) in exprs.iter().enumerate() {
        match e {
            Expr::Counter { .. } | Expr::Log { .. } => {}
            Expr::Payload {
                base,
                offset,
                len,
                dreg,
            } => {
                let header = match base {
                    PayloadBase::Network => network_header(flow),
                    PayloadBase::Transport => transport_header(flow),
                    _ => return Err("a link-layer or inner header load is not modelled".into()),
                };
                let (o, l) = (*offset as usize, *len as usize);
                let cells = header
                    .get(o..o + l)
                    .ok_or("a header field past the modelled header")?
                    .to_vec();
                regs.store(*dreg, cells, "a header field the packet leaves open")?;
            }
            Expr::Meta { key, dreg } => match load::meta(flow, *key) {
                Ok(Some(v)) => regs.store(*dreg, v, "")?,
                Ok(None) => return Ok(RuleEnd::NoMatch),
                Err(why) => {
                    regs.store(*dreg, vec![Cell::UNKNOWN; 4], &why)?;
                    if matches!(key, 4 | 5) {
                        // A device's index is unknown, but only `lo` has index 1.
                        regs.differs_from(*dreg, 1u32.to_ne_bytes().to_vec());
                    }
                }
            },
            Expr::Ct { key, dir, dreg } => match load::ct(flow, *key, *dir) {
                Ok(Some(v)) => regs.store(*dreg, v, "")?,
                Ok(None) => return Ok(RuleEnd::NoMatch),
                Err(why) => regs.store(*dreg, vec![Cell::UNKNOWN; 16], &why)?,
            },
            Expr::Fib {
                flags,
                result,
                dreg,
            } => match load::fib(flow, *flags, *result) {
                Ok(Some(v)) => regs.store(*dreg, v, "")?,
                Ok(None) => return Ok(RuleEnd::NoMatch),
                Err(why) => regs.store(*dreg, vec![Cell::UNKNOWN; 16], &why)?,
            },
            Expr::Cmp { sreg, op, data } => {
                let cells = regs.load(*sreg, data.len())?;
                let t = match op {
                    CmpOp::Eq | CmpOp::Neq if regs.known_to_differ(*sreg, data) => {
                        Tri::from_bool(*op == CmpOp::Neq)
                    }
                    CmpOp::Eq | CmpOp::Neq => {
                        let eq = equal(&cells, data, || regs.why(*sreg, data.len()));
                        if *op == CmpOp::Eq {
                            eq
                        } else {
                            !eq
                        }
                    }
                    _ => match regs.exact(*sreg, data.len())? {
                        Ok(v) => Tri::from_bool(bytes_cmp(&v, data, *op)),
                        Err(why) => Tri::unknown(why),
                    },
                };
                if !condition(t, exprs, i, decide) {
                    return Ok(RuleEnd::NoMatch);
                }
            }
            Expr::Range { sreg, op, from, to } => {
                let t = match regs.exact(*sreg, from.len())? {
                    Ok(v) => {
                        let inside =
                            from.as_slice() <= v.as_slice() && v.as_slice() <= to.as_slice();
                        Tri::from_bool(inside == (*op == CmpOp::Eq))
                    }
                    Err(why) => Tri::unknown(why),
                };
                if !condition(t, exprs, i, decide) {
                    return Ok(RuleEnd::NoMatch);
                }
            }
            Expr::Bitwise {
                sreg,
                dreg,
                len,
                mask,
                xor,
            } => {
                let src = regs.load(*sreg, *len as usize)?;
                let why = regs.why(*sreg, *len as usize);
                let out = src
                    .iter()
                    .zip(mask.iter().zip(xor))
                    .map(|(c, (m, x))| Cell {
                        v: (c.v & m) ^ x,
                        known: c.known | !m,
                    })
                    .collect();
                regs.store(*dreg, out, &why)?;
            }
            Expr::Byteorder {
                sreg,
                dreg,
                len,
                size,
                ..
            } => {
                let src = regs.load(*sreg, *len as usize)?;
                let why = regs.why(*sreg, *len as usize);
                let size = (*size as usize).max(1);
                let out: Vec<Cell> = src
                    .chunks(size)
                    .flat_map(|c| c.iter().rev().copied().collect::<Vec<_>>())
                    .collect();
                regs.store(*dreg, out, &why)?;
            }
            Expr::Immediate { dreg: 0, data } => {
                return match data {
                    Data::Verdict(Verdict::Continue) => continue,
                    Data::Verdict(v) => Ok(RuleEnd::Verdict(v.clone())),
                    Data::Value(_) => Err("a value loaded into the verdict register".into()),
                };
            }
            Expr::Immediate {
                dreg,
                data: Data::Value(v),
            } => regs.store(*dreg, known(v), "")?,
            Expr::Immediate { .. } => return Err("a verdict loaded into a data register".into()),
            Expr::Lookup {
                sreg,
                set,
                dreg,
                invert,
            } => {
                let s = table
                    .set(set)
                    .ok_or_else(|| format!("set {set} does not exist in {}", table.name))?;
                let key = match regs.exact(*sreg, s.key_len as usize)? {
                    Ok(k) => k,
                    Err(why) => {
                        if dreg.is_some() {
                            return Err(format!("lookup in map @{set}: {why}"));
                        }
                        if !condition(Tri::unknown(why), exprs, i, decide) {
                            return Ok(RuleEnd::NoMatch);
                        }
                        continue;
                    }
                };
                let found = s.lookup(&key);
                if found.is_some() == *invert {
                    return Ok(RuleEnd::NoMatch);
                }
                match (dreg, found.and_then(|e| e.data.as_ref())) {
                    (None, _) => {}
                    (Some(0), Some(Data::Verdict(v))) => {
                        if *v != Verdict::Continue {
                            return Ok(RuleEnd::Verdict(v.clone()));
                        }
                    }
                    (Some(r), Some(Data::Value(v))) => regs.store(*r, known(v), "")?,
                    _ => return Err(format!("map @{set} yields no usable data")),
                }
            }
            Expr::MetaSet { key: 3, sreg } => {
                flow.mark = regs
                    .exact(*sreg, 4)?
                    .ok()
                    .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
            }
            Expr::Nat {
                kind,
                addr,
                proto,
                flags,
                ..
            } => return nat(*kind, *addr, *proto, *flags, regs, flow),
            Expr::Masquerade { .. } => return Ok(RuleEnd::Nat(NatAction::Snat)),
            Expr::Redirect { proto, .. } => return redirect(*proto, regs, flow),
            Expr::Reject(k) => return Ok(RuleEnd::Reject(*k)),
            Expr::Limit { .. } | Expr::Quota { .. } => {
                let t = Tri::unknown("a rate limit or quota depends on the traffic so far");
                if !condition(t, exprs, i, decide) {
                    return Ok(RuleEnd::NoMatch);
                }
            }
            other => return Err(format!("expression {other:?} is not modelled")),
        }
    }
    Ok(RuleEnd::Continue)
}

/// `redirect [to :PORT]`: a DNAT to the incoming interface's address (as iptables'
/// REDIRECT, [`crate::eval::effects::redirect_nat`]) and the port, if given.
fn redirect(proto: Option<(u32, u32)>, regs: &Regs, flow: &Flow<'_>) -> Result<RuleEnd, String> {
    let port = match proto {
        Some((lo, hi)) => {
            let a = regs.exact(lo, 2)?.map_err(|w| format!("port: {w}"))?;
            let b = regs.exact(hi, 2)?.map_err(|w| format!("port: {w}"))?;
            if a != b {
                return Err("redirect to a port range: the kernel picks".into());
            }
            Some(u16::from_be_bytes([a[0], a[1]]))
        }
        None => None,
    };
    let plain = crate::model::target::Redirect {
        ports: None,
        random: false,
    };
    let to = crate::eval::effects::redirect_nat(&plain, flow)?;
    let addr = to.addrs.map(|r| r.start());
    Ok(RuleEnd::Nat(NatAction::Dnat(addr, port)))
}

fn nat(
    kind: NatKind,
    addr: Option<(u32, u32)>,
    proto: Option<(u32, u32)>,
    flags: u32,
    regs: &Regs,
    flow: &Flow<'_>,
) -> Result<RuleEnd, String> {
    if kind == NatKind::Snat {
        return Ok(RuleEnd::Nat(NatAction::Snat));
    }
    let width = match flow.dst {
        IpAddr::V4(_) => 4,
        IpAddr::V6(_) => 16,
    };
    let one = |(lo, hi): (u32, u32), len: usize, what: &str| -> Result<Vec<u8>, String> {
        let a = regs.exact(lo, len)?.map_err(|w| format!("{what}: {w}"))?;
        let b = regs.exact(hi, len)?.map_err(|w| format!("{what}: {w}"))?;
        if a != b {
            return Err(format!("DNAT to a {what} range: the kernel picks"));
        }
        Ok(a)
    };
    let dst = match addr {
        Some(r) => {
            let b = one(r, width, "address")?;
            Some(match width {
                4 => IpAddr::from(<[u8; 4]>::try_from(b.as_slice()).map_err(|_| "address")?),
                _ => IpAddr::from(<[u8; 16]>::try_from(b.as_slice()).map_err(|_| "address")?),
            })
        }
        None => None,
    };
    let port = match proto {
        Some(r) if flags & 2 != 0 => {
            let b = one(r, 2, "port")?;
            Some(u16::from_be_bytes([b[0], b[1]]))
        }
        _ => None,
    };
    Ok(RuleEnd::Nat(NatAction::Dnat(dst, port)))
}
