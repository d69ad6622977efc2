//! `tcp` match revision 0 (`struct xt_tcp`) and `udp` match revision 0 (`struct xt_udp`),
//! both 16 bytes on the wire.
//!
//! Layouts: `u16 spts[2], dpts[2]` (host order; an unset port is the full range `0:65535`),
//! then for tcp `u8 option, flg_mask, flg_cmp, invflags` (SRCPT 1, DSTPT 2, FLAGS 4, OPTION 8),
//! for udp `u8 invflags` (SRCPT 1, DSTPT 2). dfw always writes tcp/udp ports and flags in this
//! xt form (never native payload/range), so iptables 1.8.7 reads them too.

use dfw_core::model::matches::{TcpFlag, TcpFlags, TcpMatch, UdpMatch};
use dfw_core::model::{Neg, PortRange};

use super::{check_canonical, check_len, put_u16, u16_at, XtError};

/// Extension name of the tcp match.
pub const NAME_TCP: &str = "tcp";
/// Extension name of the udp match.
pub const NAME_UDP: &str = "udp";
/// Revision (both).
pub const REV: u32 = 0;
/// `XT_ALIGN(sizeof(struct xt_tcp))` and `XT_ALIGN(sizeof(struct xt_udp))`.
pub const INFO_LEN: usize = 16;

const INV_SRCPT: u8 = 0x01;
const INV_DSTPT: u8 = 0x02;
const INV_FLAGS: u8 = 0x04;
const INV_OPTION: u8 = 0x08;
const OPTION: usize = 8;
const FLG_MASK: usize = 9;
const FLG_CMP: usize = 10;
const TCP_INV: usize = 11;
const UDP_INV: usize = 8;

fn put_ports(b: &mut [u8], off: usize, p: Option<&Neg<PortRange>>, bit: u8, inv: &mut u8) {
    let r = p.map_or(PortRange::ALL, |p| p.value);
    put_u16(b, off, r.lo());
    put_u16(b, off + 2, r.hi());
    if p.is_some_and(|p| p.negated) {
        *inv |= bit;
    }
}

fn ports(
    ext: &'static str,
    b: &[u8],
    off: usize,
    negated: bool,
) -> Result<Option<Neg<PortRange>>, XtError> {
    let r = PortRange::new(u16_at(b, off), u16_at(b, off + 2)).map_err(XtError::model(ext))?;
    // libxt_tcp/udp print nothing for a non-inverted full range.
    Ok((r != PortRange::ALL || negated).then_some(Neg::new(r, negated)))
}

/// Encodes `-m tcp`.
pub fn encode_tcp(m: &TcpMatch) -> Vec<u8> {
    let mut b = vec![0u8; INFO_LEN];
    let mut inv = 0u8;
    put_ports(&mut b, 0, m.sport.as_ref(), INV_SRCPT, &mut inv);
    put_ports(&mut b, 4, m.dport.as_ref(), INV_DSTPT, &mut inv);
    if let Some(o) = &m.option {
        b[OPTION] = o.value;
        inv |= if o.negated { INV_OPTION } else { 0 };
    }
    if let Some(f) = &m.flags {
        b[FLG_MASK] = f.value.mask.bits();
        b[FLG_CMP] = f.value.comp.bits();
        inv |= if f.negated { INV_FLAGS } else { 0 };
    }
    b[TCP_INV] = inv;
    b
}

/// Decodes a tcp revision 0 blob.
///
/// # Errors
/// [`XtError`] for a wrong length, unknown invert bits or flag bits (ECE/CWR), reversed port
/// ranges, or non-canonical bytes.
pub fn decode_tcp(info: &[u8]) -> Result<TcpMatch, XtError> {
    const EXT: &str = "tcp";
    check_len(EXT, info, INFO_LEN)?;
    let inv = info[TCP_INV];
    if inv & !(INV_SRCPT | INV_DSTPT | INV_FLAGS | INV_OPTION) != 0 {
        return Err(XtError::invalid(EXT, format!("invflags {inv:#x}")));
    }
    let flag = |raw: u8| {
        TcpFlag::from_bits(raw).ok_or_else(|| XtError::invalid(EXT, format!("tcp flags {raw:#x}")))
    };
    let (mask, comp) = (flag(info[FLG_MASK])?, flag(info[FLG_CMP])?);
    let flags_neg = inv & INV_FLAGS != 0;
    let opt_neg = inv & INV_OPTION != 0;
    let m = TcpMatch {
        sport: ports(EXT, info, 0, inv & INV_SRCPT != 0)?,
        dport: ports(EXT, info, 4, inv & INV_DSTPT != 0)?,
        // libxt_tcp prints --tcp-flags only for a mask or an inversion; a lone `comp` byte
        // fails the canonical check below (iptables would show no flags at all).
        flags: (!mask.is_empty() || flags_neg)
            .then_some(Neg::new(TcpFlags { mask, comp }, flags_neg)),
        option: (info[OPTION] != 0 || opt_neg).then_some(Neg::new(info[OPTION], opt_neg)),
    };
    check_canonical(EXT, info, &encode_tcp(&m))?;
    Ok(m)
}

/// Encodes `-m udp`.
pub fn encode_udp(m: &UdpMatch) -> Vec<u8> {
    let mut b = vec![0u8; INFO_LEN];
    let mut inv = 0u8;
    put_ports(&mut b, 0, m.sport.as_ref(), INV_SRCPT, &mut inv);
    put_ports(&mut b, 4, m.dport.as_ref(), INV_DSTPT, &mut inv);
    b[UDP_INV] = inv;
    b
}

/// Decodes a udp revision 0 blob.
///
/// # Errors
/// [`XtError`] for a wrong length, unknown invert bits, reversed port ranges, or
/// non-canonical bytes.
pub fn decode_udp(info: &[u8]) -> Result<UdpMatch, XtError> {
    const EXT: &str = "udp";
    check_len(EXT, info, INFO_LEN)?;
    let inv = info[UDP_INV];
    if inv & !(INV_SRCPT | INV_DSTPT) != 0 {
        return Err(XtError::invalid(EXT, format!("invflags {inv:#x}")));
    }
    let m = UdpMatch {
        sport: ports(EXT, info, 0, inv & INV_SRCPT != 0)?,
        dport: ports(EXT, info, 4, inv & INV_DSTPT != 0)?,
    };
    check_canonical(EXT, info, &encode_udp(&m))?;
    Ok(m)
}
