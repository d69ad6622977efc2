//! `REJECT` target revision 0 (`struct ipt_reject_info` / `struct ip6t_reject_info`:
//! `u32 with`, host order, padded to 8). The values differ per family (see the model's
//! [`Reject`]).

use dfw_core::model::target::Reject;
use dfw_core::model::Family;

use super::{check_canonical, check_len, put_u32, u32_at, XtError};

/// Extension name.
pub const NAME: &str = "REJECT";
/// Revision.
pub const REV: u32 = 0;
/// `XT_ALIGN(sizeof(struct ipt_reject_info))`.
pub const INFO_LEN: usize = 8;

const EXT: &str = "REJECT";

/// Encodes `-j REJECT --reject-with ...`.
pub fn encode(r: Reject) -> Vec<u8> {
    let mut b = vec![0u8; INFO_LEN];
    put_u32(&mut b, 0, r.raw());
    b
}

/// Decodes a REJECT blob of `family`.
///
/// # Errors
/// [`XtError`] for a wrong length, a reply type unknown to the family, or non-canonical bytes.
pub fn decode(family: Family, info: &[u8]) -> Result<Reject, XtError> {
    check_len(EXT, info, INFO_LEN)?;
    let raw = u32_at(info, 0);
    let r = Reject::from_raw(family, raw)
        .ok_or_else(|| XtError::invalid(EXT, format!("reject-with {raw} for {family}")))?;
    check_canonical(EXT, info, &encode(r))?;
    Ok(r)
}
