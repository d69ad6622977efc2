//! Expressions -> model [`Rule`], reading both dfw's form and iptables-nft 1.8.9's (native
//! tcp/udp ports and flags, native mark, `range`) and 1.8.7's (xt tcp/udp/mark).
//!
//! Contract: the decoder walks the expressions once, tracking what register 1 holds (a `meta`
//! or `payload` load and an optional `bitwise` mask) until a `cmp` or `range` consumes it.
//! Every construct it does not recognise exactly (another register, a dangling load, a
//! non-zero xor, an unknown key, offset or xt extension, anything after the target, an xt blob
//! that does not decode) makes the whole rule [`DecodedRule::Opaque`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use dfw_core::model::matches::{Mark, TcpFlag, TcpFlags, TcpMatch, UdpMatch};
use dfw_core::model::{
    ChainName, Counters, Family, Iface, Match, Neg, Network, PortRange, Protocol, Rule, Target,
};

use super::encode::{addr_offsets, REG};
use super::{Compat, DecodedRule};
use crate::expr::{CmpOp, Expr, ImmediateData, MetaKey, PayloadBase, Verdict};
use crate::xt::{
    self, addrtype, comment, conntrack, icmp, iprange, log, mark, multiport, nat, reject, tcpudp,
};

/// Why a rule is opaque.
type Why = String;

/// What register 1 holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Load {
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

struct Decoder {
    family: Family,
    rule: Rule,
    load: Option<Load>,
    mask: Option<Vec<u8>>,
    /// Index in `rule.matches` of the match built from native transport expressions.
    native_l4: Option<usize>,
    counted: bool,
    finished: bool,
}

fn be16(data: &[u8]) -> Result<u16, Why> {
    match data {
        [a, b] => Ok(u16::from_be_bytes([*a, *b])),
        _ => Err(format!("port compare of {} bytes", data.len())),
    }
}

impl Decoder {
    fn new(family: Family) -> Self {
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

    fn step(&mut self, e: &Expr) -> Result<(), Why> {
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

    fn mark(&mut self, mask: Option<Vec<u8>>, op: CmpOp, data: &[u8]) -> Result<(), Why> {
        let word = |b: &[u8]| -> Result<u32, Why> {
            <[u8; 4]>::try_from(b)
                .map(u32::from_ne_bytes)
                .map_err(|_| "mark compare of odd length".to_string())
        };
        let value = word(data)?;
        let mask = mask.as_deref().map_or(Ok(u32::MAX), word)?;
        if value & !mask != 0 {
            return Err("mark value outside its mask".into());
        }
        let negated = eq_neq(op)?;
        self.rule
            .matches
            .push(Match::Mark(Mark::new(value, mask, negated)));
        Ok(())
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

    /// The native tcp/udp match (iptables 1.8.8+), created at its first expression.
    fn native(&mut self) -> Result<&mut Match, Why> {
        let proto = self.rule.bound_proto();
        let idx = match self.native_l4 {
            Some(i) => i,
            None => {
                let m = match proto {
                    Some(Protocol::TCP) => Match::Tcp(TcpMatch::default()),
                    Some(Protocol::UDP) => Match::Udp(UdpMatch::default()),
                    _ => return Err("transport header match without -p tcp or udp".into()),
                };
                self.rule.matches.push(m);
                self.rule.matches.len() - 1
            }
        };
        self.native_l4 = Some(idx);
        self.rule
            .matches
            .get_mut(idx)
            .ok_or_else(|| "lost native match".into())
    }

    fn set_port(&mut self, dport: bool, p: Neg<PortRange>) -> Result<(), Why> {
        let slot = match self.native()? {
            Match::Tcp(t) if dport => &mut t.dport,
            Match::Tcp(t) => &mut t.sport,
            Match::Udp(u) if dport => &mut u.dport,
            Match::Udp(u) => &mut u.sport,
            _ => return Err("lost native match".into()),
        };
        put_once(slot, p, "port")
    }

    fn transport(
        &mut self,
        offset: u32,
        len: u32,
        mask: Option<Vec<u8>>,
        op: CmpOp,
        data: &[u8],
    ) -> Result<(), Why> {
        match (offset, len, mask) {
            (0 | 2, 2, None) => self.set_port(offset == 2, port_cmp(op, be16(data)?)?),
            (0, 4, None) => {
                // --sport P --dport Q with the same inversion: one 4-byte compare. Only the
                // plain form is equivalent; `!=` on both would negate the pair, not each port.
                if op != CmpOp::Eq || data.len() != 4 {
                    return Err("inverted or odd combined port compare".into());
                }
                self.set_port(false, Neg::is(PortRange::single(be16(&data[..2])?)))?;
                self.set_port(true, Neg::is(PortRange::single(be16(&data[2..])?)))
            }
            (13, 1, Some(mask)) => {
                let bits = |b: u8| TcpFlag::from_bits(b).ok_or(format!("tcp flags {b:#x}"));
                let f = TcpFlags {
                    mask: bits(mask[0])?,
                    comp: bits(*data.first().ok_or("empty flags compare")?)?,
                };
                if data.len() != 1 {
                    return Err("flags compare of odd length".into());
                }
                let negated = eq_neq(op)?;
                match self.native()? {
                    Match::Tcp(t) => put_once(&mut t.flags, Neg::new(f, negated), "tcp flags"),
                    _ => Err("tcp flags without -p tcp".into()),
                }
            }
            (o, l, _) => Err(format!("transport header load {l}b at {o}")),
        }
    }

    fn range(&mut self, load: Load, op: CmpOp, from: &[u8], to: &[u8]) -> Result<(), Why> {
        match load {
            Load::Payload {
                base: PayloadBase::Transport,
                offset: offset @ (0 | 2),
                len: 2,
            } => {
                let r = PortRange::new(be16(from)?, be16(to)?).map_err(|e| e.to_string())?;
                self.set_port(offset == 2, Neg::new(r, eq_neq(op)?))
            }
            _ => Err("range on something other than a port".into()),
        }
    }
}

fn no_mask(mask: &Option<Vec<u8>>) -> Result<(), Why> {
    match mask {
        None => Ok(()),
        Some(_) => Err("bitwise before an exact compare".into()),
    }
}

fn eq_neq(op: CmpOp) -> Result<bool, Why> {
    match op {
        CmpOp::Eq => Ok(false),
        CmpOp::Neq => Ok(true),
        other => Err(format!("compare operator {other:?}")),
    }
}

fn put_once<T>(slot: &mut Option<T>, v: T, what: &str) -> Result<(), Why> {
    if slot.is_some() {
        return Err(format!("{what} given twice"));
    }
    *slot = Some(v);
    Ok(())
}

/// A port compare as iptables 1.8.9 reads it: `==`/`!=` one port, `<`/`<=`/`>`/`>=` a range.
fn port_cmp(op: CmpOp, v: u16) -> Result<Neg<PortRange>, Why> {
    let range = |lo, hi| {
        PortRange::new(lo, hi)
            .map(Neg::is)
            .map_err(|e| e.to_string())
    };
    match op {
        CmpOp::Eq => Ok(Neg::is(PortRange::single(v))),
        CmpOp::Neq => Ok(Neg::not(PortRange::single(v))),
        CmpOp::Lt if v > 0 => range(0, v - 1),
        CmpOp::Lte => range(0, v),
        CmpOp::Gt if v < u16::MAX => range(v + 1, u16::MAX),
        CmpOp::Gte => range(v, u16::MAX),
        _ => Err(format!("port compare {op:?} {v} matches nothing")),
    }
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

/// Decodes one xt match dfw knows (name and revision) into the model.
///
/// # Errors
/// [`xt::XtError`] for an unknown extension or revision, or a blob that does not decode.
pub fn decode_xt_match(
    family: Family,
    name: &str,
    rev: u32,
    info: &[u8],
) -> Result<Match, xt::XtError> {
    Ok(match (name, rev) {
        (tcpudp::NAME_TCP, tcpudp::REV) => Match::Tcp(tcpudp::decode_tcp(info)?),
        (tcpudp::NAME_UDP, tcpudp::REV) => Match::Udp(tcpudp::decode_udp(info)?),
        (multiport::NAME, multiport::REV) => Match::Multiport(multiport::decode(info)?),
        (conntrack::NAME, conntrack::REV) => match conntrack::decode(family, info)? {
            conntrack::CtMatch::Conntrack(c) => Match::Conntrack(c),
            conntrack::CtMatch::State(s) => Match::State(s),
        },
        (iprange::NAME, iprange::REV) => Match::IpRange(iprange::decode(family, info)?),
        (comment::NAME, comment::REV) => Match::Comment(comment::decode(info)?),
        (icmp::NAME_V4, icmp::REV) if family == Family::Ipv4 => Match::Icmp(icmp::decode(info)?),
        (icmp::NAME_V6, icmp::REV) if family == Family::Ipv6 => Match::Icmp6(icmp::decode(info)?),
        (addrtype::NAME, addrtype::REV) => Match::AddrType(addrtype::decode(info)?),
        (mark::NAME, mark::REV) => Match::Mark(mark::decode(info)?),
        _ => {
            return Err(xt::XtError::invalid(
                "match",
                format!("unknown extension {name} rev {rev}"),
            ))
        }
    })
}

/// Decodes one xt target dfw knows (name and revision) into the model.
///
/// # Errors
/// [`xt::XtError`] for an unknown extension or revision, or a blob that does not decode.
pub fn decode_xt_target(
    family: Family,
    name: &str,
    rev: u32,
    info: &[u8],
) -> Result<Target, xt::XtError> {
    Ok(match (name, rev) {
        (reject::NAME, reject::REV) => Target::Reject(reject::decode(family, info)?),
        (log::NAME, log::REV) => Target::Log(log::decode(info)?),
        (nat::DNAT, _) => Target::Dnat(nat::decode_nat(nat::DNAT, family, rev, info)?),
        (nat::SNAT, _) => Target::Snat(nat::decode_nat(nat::SNAT, family, rev, info)?),
        (nat::MASQUERADE, nat::MASQUERADE_REV) => {
            Target::Masquerade(nat::decode_masquerade(family, info)?)
        }
        _ => {
            return Err(xt::XtError::invalid(
                "target",
                format!("unknown extension {name} rev {rev}"),
            ))
        }
    })
}
