//! IPv6 `rt` match revision 0 (`struct ip6t_rt`, 280 bytes): `u32 rt_type, segsleft[2],
//! hdrlen; u8 flags, invflags;` then 16 addresses and `u8 addrnr` (not modelled: zero).
//! Flags: TYP 1, SGS 2, LEN 4, RES 8 (FST 0x10 and FST_NSTRICT 0x20 are refused); invflags:
//! TYP 1, SGS 2, LEN 4. Without `--rt-segsleft` libip6t_rt leaves the range at 0:4294967295.

use dfw_core::model::matches::Rt;

use super::{check_canonical, check_len, put_u32, u32_at, XtError};

/// Extension name.
pub const NAME: &str = "rt";
/// Revision.
pub const REV: u32 = 0;
/// `XT_ALIGN(sizeof(struct ip6t_rt))`.
pub const INFO_LEN: usize = 280;

const TYP: u8 = 1;
const SGS: u8 = 2;
const LEN: u8 = 4;
const RES: u8 = 8;

/// Encodes `-m rt`.
pub fn encode(r: &Rt) -> Vec<u8> {
    let mut b = vec![0u8; INFO_LEN];
    let (mut flags, mut inv) = (0u8, 0u8);
    if let Some((t, neg)) = r.rt_type {
        put_u32(&mut b, 0, t);
        flags |= TYP;
        inv |= if neg { TYP } else { 0 };
    }
    let (lo, hi) = match r.segsleft {
        Some((lo, hi, neg)) => {
            flags |= SGS;
            inv |= if neg { SGS } else { 0 };
            (lo, hi)
        }
        None => (0, u32::MAX),
    };
    put_u32(&mut b, 4, lo);
    put_u32(&mut b, 8, hi);
    if let Some((l, neg)) = r.len {
        put_u32(&mut b, 12, l);
        flags |= LEN;
        inv |= if neg { LEN } else { 0 };
    }
    if r.res0 {
        flags |= RES;
    }
    b[16] = flags;
    b[17] = inv;
    b
}

/// Decodes an rt blob.
///
/// # Errors
/// [`XtError`] for a wrong length, address options or unknown flags, values the model refuses,
/// or bytes other than libip6t_rt writes.
pub fn decode(info: &[u8]) -> Result<Rt, XtError> {
    check_len(NAME, info, INFO_LEN)?;
    let (flags, inv) = (info[16], info[17]);
    if flags & !(TYP | SGS | LEN | RES) != 0 || inv & !(TYP | SGS | LEN) != 0 || inv & !flags != 0 {
        return Err(XtError::invalid(
            NAME,
            format!("flags {flags:#x} invflags {inv:#x} (--rt-0-addrs is not modelled)"),
        ));
    }
    let r = Rt {
        rt_type: (flags & TYP != 0).then(|| (u32_at(info, 0), inv & TYP != 0)),
        segsleft: (flags & SGS != 0).then(|| (u32_at(info, 4), u32_at(info, 8), inv & SGS != 0)),
        len: (flags & LEN != 0).then(|| (u32_at(info, 12), inv & LEN != 0)),
        res0: flags & RES != 0,
    };
    r.check().map_err(XtError::model(NAME))?;
    check_canonical(NAME, info, &encode(&r))?;
    Ok(r)
}
