//! `iprange` match revision 1 (`struct xt_iprange_mtinfo`, 72 bytes).
//!
//! Layout: four `nf_inet_addr` (src_min, src_max, dst_min, dst_max; network order, IPv4 in the
//! first 4 bytes), `u8 flags` (SRC 1, DST 2, SRC_INV 0x10, DST_INV 0x20), padding to 72.

use dfw_core::model::matches::IpRange;
use dfw_core::model::{AddrRange, Family, Neg};

use super::{check_canonical, check_len, inet_addr_at, put_inet_addr, XtError, INET_ADDR_LEN};

/// Extension name.
pub const NAME: &str = "iprange";
/// Revision.
pub const REV: u32 = 1;
/// `XT_ALIGN(sizeof(struct xt_iprange_mtinfo))`.
pub const INFO_LEN: usize = 72;

const EXT: &str = "iprange";
const FLAGS: usize = 4 * INET_ADDR_LEN;
const SRC: u8 = 0x1;
const DST: u8 = 0x2;
const SRC_INV: u8 = 0x10;
const DST_INV: u8 = 0x20;

/// Encodes `-m iprange` as libxt_iprange revision 1 does.
pub fn encode(m: &IpRange) -> Vec<u8> {
    let mut b = vec![0u8; INFO_LEN];
    let mut flags = 0u8;
    if let Some(r) = m.src() {
        flags |= SRC | if r.negated { SRC_INV } else { 0 };
        put_inet_addr(&mut b, 0, r.value.start());
        put_inet_addr(&mut b, INET_ADDR_LEN, r.value.end());
    }
    if let Some(r) = m.dst() {
        flags |= DST | if r.negated { DST_INV } else { 0 };
        put_inet_addr(&mut b, 2 * INET_ADDR_LEN, r.value.start());
        put_inet_addr(&mut b, 3 * INET_ADDR_LEN, r.value.end());
    }
    b[FLAGS] = flags;
    b
}

fn range(
    info: &[u8],
    off: usize,
    family: Family,
    negated: bool,
) -> Result<Neg<AddrRange>, XtError> {
    let start = inet_addr_at(info, off, family);
    let end = inet_addr_at(info, off + INET_ADDR_LEN, family);
    let r = AddrRange::new(start, end).map_err(XtError::model(EXT))?;
    Ok(Neg::new(r, negated))
}

/// Decodes an iprange revision 1 blob of `family`.
///
/// # Errors
/// [`XtError`] for a wrong length, unknown flags, no range, a reversed range, or
/// non-canonical bytes.
pub fn decode(family: Family, info: &[u8]) -> Result<IpRange, XtError> {
    check_len(EXT, info, INFO_LEN)?;
    let flags = info[FLAGS];
    if flags & !(SRC | DST | SRC_INV | DST_INV) != 0
        || (flags & SRC_INV != 0 && flags & SRC == 0)
        || (flags & DST_INV != 0 && flags & DST == 0)
    {
        return Err(XtError::invalid(EXT, format!("flags {flags:#x}")));
    }
    let src = if flags & SRC != 0 {
        Some(range(info, 0, family, flags & SRC_INV != 0)?)
    } else {
        None
    };
    let dst = if flags & DST != 0 {
        Some(range(
            info,
            2 * INET_ADDR_LEN,
            family,
            flags & DST_INV != 0,
        )?)
    } else {
        None
    };
    let m = IpRange::new(src, dst).map_err(XtError::model(EXT))?;
    check_canonical(EXT, info, &encode(&m))?;
    Ok(m)
}
