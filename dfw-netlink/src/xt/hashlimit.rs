//! `hashlimit` match revision 3 (`struct xt_hashlimit_mtinfo3`, 312 bytes): `char name[255]`,
//! then at 256 `struct hashlimit_cfg3 { u64 avg, burst; u32 mode, size, max, gc_interval,
//! expire, interval; u8 srcmask, dstmask; }` (host order), then a kernel pointer dumped as
//! zeros. A mask equal to the family's length is the model's `None`.

use dfw_core::model::matches::{HashLimit, HashLimitMode};
use dfw_core::model::Family;

use super::{check_canonical, check_len, fixed_str, put_u32, u32_at, XtError};

/// Extension name.
pub const NAME: &str = "hashlimit";
/// Revision.
pub const REV: u32 = 3;
/// `XT_ALIGN(sizeof(struct xt_hashlimit_mtinfo3))`.
pub const INFO_LEN: usize = 312;

const CFG: usize = 256;

fn put_u64(b: &mut [u8], off: usize, v: u64) {
    b[off..off + 8].copy_from_slice(&v.to_ne_bytes());
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[off..off + 8]);
    u64::from_ne_bytes(a)
}

/// Encodes `-m hashlimit` for `family`.
pub fn encode(family: Family, h: &HashLimit) -> Vec<u8> {
    let mut b = vec![0u8; INFO_LEN];
    b[..h.name.len()].copy_from_slice(h.name.as_bytes());
    put_u64(&mut b, CFG, h.avg);
    put_u64(&mut b, CFG + 8, h.burst);
    put_u32(&mut b, CFG + 16, h.mode.bits());
    put_u32(&mut b, CFG + 20, h.size);
    put_u32(&mut b, CFG + 24, h.max);
    put_u32(&mut b, CFG + 28, h.gc_interval);
    put_u32(&mut b, CFG + 32, h.expire);
    put_u32(&mut b, CFG + 36, h.interval);
    let full = family.addr_bits();
    b[CFG + 40] = h.srcmask.unwrap_or(full);
    b[CFG + 41] = h.dstmask.unwrap_or(full);
    b
}

/// Decodes a hashlimit revision 3 blob of `family`.
///
/// # Errors
/// [`XtError`] for a wrong length, unknown mode bits, a bad name or mask, or bytes other than
/// libxt_hashlimit writes.
pub fn decode(family: Family, info: &[u8]) -> Result<HashLimit, XtError> {
    check_len(NAME, info, INFO_LEN)?;
    let mode = HashLimitMode::from_bits(u32_at(info, CFG + 16))
        .ok_or_else(|| XtError::invalid(NAME, format!("mode {:#x}", u32_at(info, CFG + 16))))?;
    let full = family.addr_bits();
    let mask = |v: u8| -> Result<Option<u8>, XtError> {
        match v {
            v if v == full => Ok(None),
            v if v < full => Ok(Some(v)),
            v => Err(XtError::invalid(NAME, format!("mask {v} for {family}"))),
        }
    };
    let h = HashLimit {
        name: fixed_str(NAME, &info[..255])?,
        mode,
        avg: u64_at(info, CFG),
        burst: u64_at(info, CFG + 8),
        size: u32_at(info, CFG + 20),
        max: u32_at(info, CFG + 24),
        gc_interval: u32_at(info, CFG + 28),
        expire: u32_at(info, CFG + 32),
        interval: u32_at(info, CFG + 36),
        srcmask: mask(info[CFG + 40])?,
        dstmask: mask(info[CFG + 41])?,
    };
    h.check().map_err(XtError::model(NAME))?;
    check_canonical(NAME, info, &encode(family, &h))?;
    Ok(h)
}
