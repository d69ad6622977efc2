//! `NFLOG` target revision 0 (`struct xt_nflog_info { u32 len; u16 group, threshold, flags,
//! pad; char prefix[64]; }`, 80 bytes; flag COPY_LEN 1 = `--nflog-size`). iptables-nft 1.8.8+
//! writes `-j NFLOG` as a native `log` expression instead; dfw writes this form, which
//! iptables 1.8.7 also reads (see `rule_codec`).

use dfw_core::model::target::Nflog;

use super::{check_canonical, check_len, fixed_str, put_u16, put_u32, u16_at, u32_at, XtError};

/// Extension name.
pub const NAME: &str = "NFLOG";
/// Revision.
pub const REV: u32 = 0;
/// `XT_ALIGN(sizeof(struct xt_nflog_info))`.
pub const INFO_LEN: usize = 80;

const COPY_LEN: u16 = 1;

/// Encodes `-j NFLOG`.
pub fn encode(n: &Nflog) -> Vec<u8> {
    let mut b = vec![0u8; INFO_LEN];
    put_u32(&mut b, 0, n.size.unwrap_or(0));
    put_u16(&mut b, 4, n.group);
    put_u16(&mut b, 6, n.threshold);
    put_u16(&mut b, 8, if n.size.is_some() { COPY_LEN } else { 0 });
    let p = n.prefix().as_bytes();
    b[12..12 + p.len()].copy_from_slice(p);
    b
}

/// Decodes an NFLOG blob.
///
/// # Errors
/// [`XtError`] for a wrong length, unknown flags, a length without COPY_LEN (`--nflog-range`),
/// a bad prefix or non-zero padding.
pub fn decode(info: &[u8]) -> Result<Nflog, XtError> {
    check_len(NAME, info, INFO_LEN)?;
    let flags = u16_at(info, 8);
    if flags & !COPY_LEN != 0 {
        return Err(XtError::invalid(NAME, format!("flags {flags:#x}")));
    }
    let size = (flags & COPY_LEN != 0).then(|| u32_at(info, 0));
    let prefix = fixed_str(NAME, &info[12..76])?;
    let n = Nflog::new(u16_at(info, 4), &prefix, size, u16_at(info, 6))
        .map_err(XtError::model(NAME))?;
    check_canonical(NAME, info, &encode(&n))?;
    Ok(n)
}
