//! Small packet matches: `pkttype` (`struct xt_pkttype_info { int pkttype, invert; }`, 8),
//! `mac` (`struct xt_mac_info { u8 srcaddr[6]; int invert; }`, 16), `length`
//! (`struct xt_length_info { u16 min, max; u8 invert; }`, 8), `ttl` and `hl`
//! (`struct ipt_ttl_info { u8 mode, ttl; }`, 8). All revision 0, host order.

use dfw_core::model::matches::{Length, MacAddr, PktType, Ttl, TtlOp};
use dfw_core::model::Neg;

use super::{check_canonical, check_len, put_u16, put_u32, u16_at, u32_at, XtError};

/// `pkttype` extension name.
pub const PKTTYPE: &str = "pkttype";
/// `mac` extension name.
pub const MAC: &str = "mac";
/// `length` extension name.
pub const LENGTH: &str = "length";
/// `ttl` extension name (IPv4).
pub const TTL: &str = "ttl";
/// `hl` extension name (IPv6).
pub const HL: &str = "hl";
/// The revision of all of them.
pub const REV: u32 = 0;

fn invert(ext: &'static str, v: u32) -> Result<bool, XtError> {
    match v {
        0 => Ok(false),
        1 => Ok(true),
        v => Err(XtError::invalid(ext, format!("invert {v}"))),
    }
}

/// Encodes `-m pkttype`.
pub fn encode_pkttype(t: &Neg<PktType>) -> Vec<u8> {
    let mut b = vec![0u8; 8];
    put_u32(&mut b, 0, t.value as u32);
    put_u32(&mut b, 4, u32::from(t.negated));
    b
}

/// Decodes a pkttype blob.
///
/// # Errors
/// [`XtError`] for a wrong length, a type iptables cannot name (`outgoing`), a bad invert.
pub fn decode_pkttype(info: &[u8]) -> Result<Neg<PktType>, XtError> {
    check_len(PKTTYPE, info, 8)?;
    let t = PktType::from_raw(u32_at(info, 0))
        .ok_or_else(|| XtError::invalid(PKTTYPE, format!("type {}", u32_at(info, 0))))?;
    Ok(Neg::new(t, invert(PKTTYPE, u32_at(info, 4))?))
}

/// Encodes `-m mac`.
pub fn encode_mac(m: &Neg<MacAddr>) -> Vec<u8> {
    let mut b = vec![0u8; 16];
    b[..6].copy_from_slice(&m.value.0);
    put_u32(&mut b, 8, u32::from(m.negated));
    b
}

/// Decodes a mac blob.
///
/// # Errors
/// [`XtError`] for a wrong length, a bad invert or non-zero padding.
pub fn decode_mac(info: &[u8]) -> Result<Neg<MacAddr>, XtError> {
    check_len(MAC, info, 16)?;
    let mut a = [0u8; 6];
    a.copy_from_slice(&info[..6]);
    let m = Neg::new(MacAddr(a), invert(MAC, u32_at(info, 8))?);
    check_canonical(MAC, info, &encode_mac(&m))?;
    Ok(m)
}

/// Encodes `-m length`.
pub fn encode_length(l: &Neg<Length>) -> Vec<u8> {
    let mut b = vec![0u8; 8];
    put_u16(&mut b, 0, l.value.min);
    put_u16(&mut b, 2, l.value.max);
    b[4] = u8::from(l.negated);
    b
}

/// Decodes a length blob.
///
/// # Errors
/// [`XtError`] for a wrong length, a bad invert or non-zero padding.
pub fn decode_length(info: &[u8]) -> Result<Neg<Length>, XtError> {
    check_len(LENGTH, info, 8)?;
    let l = Neg::new(
        Length {
            min: u16_at(info, 0),
            max: u16_at(info, 2),
        },
        invert(LENGTH, u32::from(info[4]))?,
    );
    check_canonical(LENGTH, info, &encode_length(&l))?;
    Ok(l)
}

/// Encodes `-m ttl` / `-m hl`.
pub fn encode_ttl(t: &Ttl) -> Vec<u8> {
    let mut b = vec![0u8; 8];
    b[0] = t.op as u8;
    b[1] = t.value;
    b
}

/// Decodes a ttl or hl blob (`ext` names which).
///
/// # Errors
/// [`XtError`] for a wrong length, an unknown mode or non-zero padding.
pub fn decode_ttl(ext: &'static str, info: &[u8]) -> Result<Ttl, XtError> {
    check_len(ext, info, 8)?;
    let op = TtlOp::from_raw(info[0])
        .ok_or_else(|| XtError::invalid(ext, format!("mode {}", info[0])))?;
    let t = Ttl { op, value: info[1] };
    check_canonical(ext, info, &encode_ttl(&t))?;
    Ok(t)
}
