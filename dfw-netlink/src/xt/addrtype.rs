//! `addrtype` match revision 1 (`struct xt_addrtype_info_v1`, 8 bytes): `u16 source`,
//! `u16 dest` (host order), `u32 flags` (INVERT_SOURCE 1, INVERT_DEST 2, LIMIT_IFACE_IN 4,
//! LIMIT_IFACE_OUT 8).

use dfw_core::model::matches::{AddrType, AddrTypes, LimitIface};
use dfw_core::model::Neg;

use super::{check_canonical, check_len, put_u16, put_u32, u16_at, u32_at, XtError};

/// Extension name.
pub const NAME: &str = "addrtype";
/// Revision.
pub const REV: u32 = 1;
/// `XT_ALIGN(sizeof(struct xt_addrtype_info_v1))`.
pub const INFO_LEN: usize = 8;

const EXT: &str = "addrtype";
const INV_SRC: u32 = 0x1;
const INV_DST: u32 = 0x2;
const LIMIT_IN: u32 = 0x4;
const LIMIT_OUT: u32 = 0x8;

/// Encodes `-m addrtype`.
pub fn encode(m: &AddrType) -> Vec<u8> {
    let mut b = vec![0u8; INFO_LEN];
    let mut flags = 0u32;
    if let Some(s) = &m.src {
        put_u16(&mut b, 0, s.value.bits());
        flags |= if s.negated { INV_SRC } else { 0 };
    }
    if let Some(d) = &m.dst {
        put_u16(&mut b, 2, d.value.bits());
        flags |= if d.negated { INV_DST } else { 0 };
    }
    flags |= match m.limit_iface {
        Some(LimitIface::In) => LIMIT_IN,
        Some(LimitIface::Out) => LIMIT_OUT,
        None => 0,
    };
    put_u32(&mut b, 4, flags);
    b
}

fn types(raw: u16, negated: bool) -> Result<Option<Neg<AddrTypes>>, XtError> {
    if raw == 0 {
        return Ok(None);
    }
    let t = AddrTypes::from_bits(raw)
        .ok_or_else(|| XtError::invalid(EXT, format!("address types {raw:#x}")))?;
    Ok(Some(Neg::new(t, negated)))
}

/// Decodes an addrtype revision 1 blob.
///
/// # Errors
/// [`XtError`] for a wrong length, unknown types or flags, an inverted empty type set, both
/// interface limits, or non-canonical bytes.
pub fn decode(info: &[u8]) -> Result<AddrType, XtError> {
    check_len(EXT, info, INFO_LEN)?;
    let flags = u32_at(info, 4);
    if flags & !(INV_SRC | INV_DST | LIMIT_IN | LIMIT_OUT) != 0
        || flags & (LIMIT_IN | LIMIT_OUT) == LIMIT_IN | LIMIT_OUT
    {
        return Err(XtError::invalid(EXT, format!("flags {flags:#x}")));
    }
    let m = AddrType {
        src: types(u16_at(info, 0), flags & INV_SRC != 0)?,
        dst: types(u16_at(info, 2), flags & INV_DST != 0)?,
        limit_iface: match flags & (LIMIT_IN | LIMIT_OUT) {
            LIMIT_IN => Some(LimitIface::In),
            LIMIT_OUT => Some(LimitIface::Out),
            _ => None,
        },
    };
    check_canonical(EXT, info, &encode(&m))?;
    Ok(m)
}
