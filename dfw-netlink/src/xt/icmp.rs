//! `icmp` match revision 0 (`struct ipt_icmp`) and `icmp6` match revision 0
//! (`struct ip6t_icmp`): the same 4-byte layout (`u8 type, u8 code[2], u8 invflags`, invert
//! bit 0x01) padded to 8.

use dfw_core::model::matches::IcmpType;
use dfw_core::model::Neg;

use super::{check_canonical, check_len, XtError};

/// Extension name for IPv4.
pub const NAME_V4: &str = "icmp";
/// Extension name for IPv6.
pub const NAME_V6: &str = "icmp6";
/// Revision (both).
pub const REV: u32 = 0;
/// `XT_ALIGN(sizeof(struct ipt_icmp))`.
pub const INFO_LEN: usize = 8;

const EXT: &str = "icmp";
const INV: u8 = 0x01;

/// Encodes `--icmp-type` / `--icmpv6-type`.
pub fn encode(t: &Neg<IcmpType>) -> Vec<u8> {
    let (typ, lo, hi) = t.value.to_raw();
    let mut b = vec![0u8; INFO_LEN];
    b[..4].copy_from_slice(&[typ, lo, hi, if t.negated { INV } else { 0 }]);
    b
}

/// Decodes an icmp or icmp6 blob.
///
/// # Errors
/// [`XtError`] for a wrong length, unknown invert bits, a code range iptables cannot print,
/// or non-canonical bytes.
pub fn decode(info: &[u8]) -> Result<Neg<IcmpType>, XtError> {
    check_len(EXT, info, INFO_LEN)?;
    if info[3] & !INV != 0 {
        return Err(XtError::invalid(EXT, format!("invflags {:#x}", info[3])));
    }
    // libxt_icmp prints any type 255 as `any` (and the kernel matches every packet for it),
    // so only the exact `any` encoding reads back.
    if info[0] == 0xff && (info[1], info[2]) != (0, 0xff) {
        return Err(XtError::invalid(
            EXT,
            "type 255 with a code range other than any",
        ));
    }
    let t = IcmpType::from_raw(info[0], info[1], info[2]).ok_or_else(|| {
        XtError::invalid(
            EXT,
            format!("type {} code {}..{}", info[0], info[1], info[2]),
        )
    })?;
    let v = Neg::new(t, info[3] & INV != 0);
    check_canonical(EXT, info, &encode(&v))?;
    Ok(v)
}
