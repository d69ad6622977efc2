//! Expressions -> model [`Rule`], reading both dfw's form and iptables-nft 1.8.9's (native
//! tcp/udp ports and flags, native mark, `range`) and 1.8.7's (xt tcp/udp/mark).
//!
//! Contract: the decoder walks the expressions once, tracking what register 1 holds (a `meta`
//! or `payload` load and an optional `bitwise` mask) until a `cmp` or `range` consumes it.
//! Every construct it does not recognise exactly (another register, a dangling load, a
//! non-zero xor, an unknown key, offset or xt extension, anything after the target, an xt blob
//! that does not decode) makes the whole rule [`DecodedRule::Opaque`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use dfw_core::model::{ChainName, Counters, Family, Iface, Neg, Network, Protocol, Rule, Target};

use super::encode::{addr_offsets, REG};
use super::ext::{decode_xt_match, decode_xt_target};
use super::{Compat, DecodedRule};
use crate::expr::{CmpOp, Expr, ImmediateData, MetaKey, PayloadBase, Verdict};

/// Why a rule is opaque.
pub(super) type Why = String;

/// What register 1 holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Load {
    Meta(MetaKey),
    Payload {
        base: PayloadBase,
        offset: u32,
        len: u32,
    },
}

/// Decodes a kernel rule of `family`. Never fails: what the model cannot express comes back as
/// [`DecodedRule::Opaque`] with the expressions and compat attribute unchanged.
pub fn decode_rule(family: Family, exprs: &[Expr], compat: Option<Compat>) -> DecodedRule {
    match Decoder::new(family).run(exprs, compat) {
        Ok(rule) => DecodedRule::Rule(rule),
        Err(reason) => DecodedRule::Opaque {
            reason,
            exprs: exprs.to_vec(),
            compat,
        },
    }
}

/// The state of decoding one rule: what is built so far and what register 1 holds.
pub(super) struct Decoder {
    pub(super) family: Family,
    pub(super) rule: Rule,
    pub(super) load: Option<Load>,
    pub(super) mask: Option<Vec<u8>>,
    /// Index in `rule.matches` of the match built from native transport expressions.
    pub(super) native_l4: Option<usize>,
    pub(super) counted: bool,
    pub(super) finished: bool,
}

/// A big-endian port from a 2-byte compare.
pub(super) fn be16(data: &[u8]) -> Result<u16, Why> {
    match data {
        [a, b] => Ok(u16::from_be_bytes([*a, *b])),
        _ => Err(format!("port compare of {} bytes", data.len())),
    }
}

impl Decoder {
    pub(super) fn new(family: Family) -> Self {
        Decoder {
            family,
            rule: Rule::default(),
            load: None,
            mask: None,
            native_l4: None,
            counted: false,
            finished: false,
        }
    }

    fn run(mut self, exprs: &[Expr], compat: Option<Compat>) -> Result<Rule, Why> {
        for e in exprs {
            if self.finished {
                return Err("expression after the target".into());
            }
            self.step(e)?;
        }
        if self.load.is_some() {
            return Err("a load no compare uses".into());
        }
        if let Some(c) = compat {
            let want = self
                .rule
                .header
                .proto
                .as_ref()
                .map_or(Compat::default(), |p| Compat {
                    proto: u32::from(p.value.number()),
                    flags: if p.negated { Compat::INV } else { 0 },
                });
            // A rule without -p may carry no protocol (0) whatever its flags say.
            if c != want && !(c.proto == 0 && want.proto == 0) {
                return Err(format!("compat attribute {c:?} disagrees with -p"));
            }
        }
        self.rule
            .check(self.family)
            .map_err(|e| format!("decoded rule is invalid: {e}"))?;
        Ok(self.rule)
    }

    fn set_load(&mut self, dreg: u32, load: Load) -> Result<(), Why> {
        if dreg != REG {
            return Err(format!("load into register {dreg}"));
        }
        if self.load.is_some() {
            return Err("a load no compare uses".into());
        }
        self.load = Some(load);
        Ok(())
    }

    fn before_counter(&self, what: &str) -> Result<(), Why> {
        if self.counted {
            return Err(format!("{what} after the counter"));
        }
        if self.load.is_some() {
            return Err(format!("{what} while a load is pending"));
        }
        Ok(())
    }

    pub(super) fn step(&mut self, e: &Expr) -> Result<(), Why> {
        match e {
            Expr::Meta { key, dreg } => {
                self.before_counter("meta")?;
                self.set_load(*dreg, Load::Meta(*key))
            }
            Expr::Payload {
                base,
                offset,
                len,
                dreg,
            } => {
                self.before_counter("payload")?;
                let load = Load::Payload {
                    base: *base,
                    offset: *offset,
                    len: *len,
                };
                self.set_load(*dreg, load)
            }
            Expr::Bitwise {
                sreg,
                dreg,
                len,
                mask,
                xor,
            } => self.bitwise(*sreg, *dreg, *len, mask, xor),
            Expr::Cmp { sreg, op, data } => {
                let (load, mask) = self.take(*sreg)?;
                self.cmp(load, mask, *op, data)
            }
            Expr::Range { sreg, op, from, to } => {
                let (load, mask) = self.take(*sreg)?;
                if mask.is_some() {
                    return Err("range after bitwise".into());
                }
                self.range(load, *op, from, to)
            }
            Expr::Match { name, rev, info } => {
                self.before_counter("match")?;
                let m = decode_xt_match(self.family, name, *rev, info)
                    .map_err(|e| format!("match {name} rev {rev}: {e}"))?;
                self.rule.matches.push(m);
                Ok(())
            }
            Expr::Counter { packets, bytes } => {
                self.before_counter("counter")?;
                self.counted = true;
                self.rule.counters = Some(Counters {
                    packets: *packets,
                    bytes: *bytes,
                });
                Ok(())
            }
            Expr::Immediate { dreg, data } => self.immediate(*dreg, data),
            Expr::Target { name, rev, info } => {
                if self.load.is_some() {
                    return Err("target while a load is pending".into());
                }
                let t = decode_xt_target(self.family, name, *rev, info)
                    .map_err(|e| format!("target {name} rev {rev}: {e}"))?;
                self.finish(t);
                Ok(())
            }
            Expr::Limit { .. } => {
                self.before_counter("limit")?;
                self.limit(e)
            }
            Expr::Log(l) => {
                if self.load.is_some() {
                    return Err("log while a load is pending".into());
                }
                let t = self.log(l)?;
                self.finish(t);
                Ok(())
            }
            Expr::Other { name, .. } => Err(format!("expression {name:?}")),
        }
    }

    fn finish(&mut self, t: Target) {
        self.rule.target = Some(t);
        self.finished = true;
    }

    fn take(&mut self, sreg: u32) -> Result<(Load, Option<Vec<u8>>), Why> {
        if sreg != REG {
            return Err(format!("compare of register {sreg}"));
        }
        let load = self.load.take().ok_or("compare without a load")?;
        Ok((load, self.mask.take()))
    }

    fn bitwise(
        &mut self,
        sreg: u32,
        dreg: u32,
        len: u32,
        mask: &[u8],
        xor: &[u8],
    ) -> Result<(), Why> {
        let load_len = match self.load {
            Some(Load::Meta(MetaKey::MARK)) => 4,
            Some(Load::Payload { len, .. }) => len,
            _ => return Err("bitwise on an unexpected load".into()),
        };
        if sreg != REG || dreg != REG || self.mask.is_some() {
            return Err("bitwise with odd registers or twice".into());
        }
        if len != load_len
            || mask.len() != len as usize
            || xor.len() != len as usize
            || xor.iter().any(|&x| x != 0)
        {
            return Err("bitwise that is not a plain mask".into());
        }
        self.mask = Some(mask.to_vec());
        Ok(())
    }

    fn immediate(&mut self, dreg: u32, data: &ImmediateData) -> Result<(), Why> {
        if self.load.is_some() {
            return Err("verdict while a load is pending".into());
        }
        let v = match (dreg, data) {
            (0, ImmediateData::Verdict(v)) => v,
            _ => return Err("immediate value".into()),
        };
        let chain = |c: &str| ChainName::new(c).map_err(|e| format!("verdict chain: {e}"));
        let t = match v {
            Verdict::Accept => Target::Accept,
            Verdict::Drop => Target::Drop,
            Verdict::Return => Target::Return,
            Verdict::Jump(c) => Target::Jump(chain(c)?),
            Verdict::Goto(c) => Target::Goto(chain(c)?),
            other => return Err(format!("verdict {other:?}")),
        };
        self.finish(t);
        Ok(())
    }

    fn cmp(
        &mut self,
        load: Load,
        mask: Option<Vec<u8>>,
        op: CmpOp,
        data: &[u8],
    ) -> Result<(), Why> {
        match load {
            Load::Meta(key @ (MetaKey::IIFNAME | MetaKey::OIFNAME)) => {
                no_mask(&mask)?;
                let i = Neg::new(parse_iface(data)?, eq_neq(op)?);
                let h = &mut self.rule.header;
                let slot = if key == MetaKey::IIFNAME {
                    &mut h.in_iface
                } else {
                    &mut h.out_iface
                };
                put_once(slot, i, "interface")
            }
            Load::Meta(MetaKey::L4PROTO) => {
                no_mask(&mask)?;
                self.proto(op, data)
            }
            Load::Meta(MetaKey::MARK) => self.mark(mask, op, data),
            Load::Meta(key) => Err(format!("meta key {}", key.0)),
            Load::Payload {
                base: PayloadBase::Network,
                offset,
                len,
            } => self.network(offset, len, mask, op, data),
            Load::Payload {
                base: PayloadBase::Transport,
                offset,
                len,
            } => self.transport(offset, len, mask, op, data),
            Load::Payload { base, .. } => Err(format!("payload base {base:?}")),
        }
    }

    fn proto(&mut self, op: CmpOp, data: &[u8]) -> Result<(), Why> {
        let p = match data {
            [n] => Protocol::from_number(*n).ok_or("-p 0")?,
            _ => return Err(format!("protocol compare of {} bytes", data.len())),
        };
        if self.native_l4.is_some() || !self.rule.matches.is_empty() {
            return Err("-p after matches".into());
        }
        put_once(&mut self.rule.header.proto, Neg::new(p, eq_neq(op)?), "-p")
    }

    fn network(
        &mut self,
        offset: u32,
        len: u32,
        mask: Option<Vec<u8>>,
        op: CmpOp,
        data: &[u8],
    ) -> Result<(), Why> {
        if self.family == Family::Ipv4 && offset == 9 && len == 1 && mask.is_none() {
            // iptables 1.8.10+ writes -p for IPv4 as `payload ip protocol`.
            return self.proto(op, data);
        }
        let (src, dst) = addr_offsets(self.family);
        let alen = self.family.addr_len();
        if offset != src && offset != dst {
            return Err(format!("network header offset {offset}"));
        }
        let len = len as usize;
        if data.len() != len || len == 0 || len > alen {
            return Err("address compare of odd length".into());
        }
        let mut m = vec![0u8; alen];
        match &mask {
            Some(mk) if len == alen => m.copy_from_slice(mk),
            Some(_) => return Err("bitwise on a partial address".into()),
            None => m[..len].fill(0xff),
        }
        let mut a = vec![0u8; alen];
        a[..len].copy_from_slice(data);
        let (addr, maskaddr) = (ip(self.family, &a), ip(self.family, &m));
        let net = Network::with_mask(addr, maskaddr).map_err(|e| e.to_string())?;
        if net.addr() != addr {
            return Err("address has bits outside its mask".into());
        }
        if mask.is_some() && net.mask() != maskaddr {
            return Err("address mask".into());
        }
        let n = Neg::new(net, eq_neq(op)?);
        let h = &mut self.rule.header;
        let slot = if offset == src {
            &mut h.src
        } else {
            &mut h.dst
        };
        put_once(slot, n, "address")
    }
}

fn no_mask(mask: &Option<Vec<u8>>) -> Result<(), Why> {
    match mask {
        None => Ok(()),
        Some(_) => Err("bitwise before an exact compare".into()),
    }
}

pub(super) fn eq_neq(op: CmpOp) -> Result<bool, Why> {
    match op {
        CmpOp::Eq => Ok(false),
        CmpOp::Neq => Ok(true),
        other => Err(format!("compare operator {other:?}")),
    }
}

pub(super) fn put_once<T>(slot: &mut Option<T>, v: T, what: &str) -> Result<(), Why> {
    if slot.is_some() {
        return Err(format!("{what} given twice"));
    }
    *slot = Some(v);
    Ok(())
}

/// iptables' interface data: `name\0` exact, `name` (no NUL) a `+` wildcard.
fn parse_iface(data: &[u8]) -> Result<Iface, Why> {
    let (name, wildcard) = match data.split_last() {
        Some((0, name)) => (name, false),
        Some(_) => (data, true),
        None => return Err("empty interface compare".into()),
    };
    let name = std::str::from_utf8(name).map_err(|_| "interface name is not UTF-8")?;
    if name.contains('\0') {
        return Err("interface name with inner NUL".into());
    }
    Iface::new(name, wildcard).map_err(|e| e.to_string())
}

fn ip(family: Family, b: &[u8]) -> IpAddr {
    match family {
        Family::Ipv4 => IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])),
        Family::Ipv6 => {
            let mut o = [0u8; 16];
            o.copy_from_slice(&b[..16]);
            IpAddr::V6(Ipv6Addr::from(o))
        }
    }
}
