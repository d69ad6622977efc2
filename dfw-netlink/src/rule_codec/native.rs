//! Native tcp/udp ports and flags and native mark, as iptables-nft 1.8.8+ writes them, read
//! into the same model matches as the xt forms (`-m tcp`, `-m udp`, `-m mark`).
//!
//! Contract: a native transport expression needs `-p tcp` or `-p udp` already decoded; all of a
//! rule's native transport expressions build one match, placed where the first one appears
//! (iptables 1.8.9 does the same). Port compares follow iptables: `==`/`!=` one port,
//! `<`/`<=`/`>`/`>=` a range, `range` an inclusive range; a combined 4-byte sport+dport
//! compare is read only in its `==` form (`!=` would negate the pair, not each port).

use dfw_core::model::matches::{Mark, TcpFlag, TcpFlags, TcpMatch, UdpMatch};
use dfw_core::model::{Match, Neg, PortRange, Protocol};

use super::decode::{be16, eq_neq, put_once, Decoder, Load, Why};
use crate::expr::{CmpOp, PayloadBase};

impl Decoder<'_> {
    /// `meta mark` [`& mask`] `==`/`!=` value: `-m mark`.
    pub(super) fn mark(
        &mut self,
        mask: Option<Vec<u8>>,
        op: CmpOp,
        data: &[u8],
    ) -> Result<(), Why> {
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

    /// A compare of a transport-header load: ports, the combined ports, or tcp flags.
    pub(super) fn transport(
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

    /// A `range` on a port load.
    pub(super) fn range(
        &mut self,
        load: Load,
        op: CmpOp,
        from: &[u8],
        to: &[u8],
    ) -> Result<(), Why> {
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
