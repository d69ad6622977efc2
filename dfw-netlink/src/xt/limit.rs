//! `limit` match revision 0 as an xt blob (`struct xt_rateinfo`, 40 bytes: `u32 avg, burst`,
//! then kernel-only state the kernel dumps as zeros). iptables-nft writes `-m limit` as a
//! native `limit` expression (see `rule_codec`); this form is decoded for rules other writers
//! put in the xt form, and is what [`encode`] gives for tests.

use dfw_core::model::matches::Limit;

use super::{check_canonical, check_len, put_u32, u32_at, XtError};

/// Extension name.
pub const NAME: &str = "limit";
/// Revision.
pub const REV: u32 = 0;
/// `XT_ALIGN(sizeof(struct xt_rateinfo))` on 64-bit.
pub const INFO_LEN: usize = 40;

/// Encodes `-m limit` in the xt form.
pub fn encode(l: &Limit) -> Vec<u8> {
    let mut b = vec![0u8; INFO_LEN];
    put_u32(&mut b, 0, l.avg());
    put_u32(&mut b, 4, l.burst());
    b
}

/// Decodes an xt limit blob.
///
/// # Errors
/// [`XtError`] for a wrong length, an interval of 0 or one iptables-save would print as another
/// rate, a burst of 0 or above 10000, or non-zero kernel state.
pub fn decode(info: &[u8]) -> Result<Limit, XtError> {
    check_len(NAME, info, INFO_LEN)?;
    if u32_at(info, 4) == 0 {
        return Err(XtError::invalid(NAME, "burst 0"));
    }
    let l = Limit::new(u32_at(info, 0), u32_at(info, 4)).map_err(XtError::model(NAME))?;
    if !l.is_canonical() {
        return Err(XtError::invalid(
            NAME,
            "an interval iptables-save prints as another rate",
        ));
    }
    check_canonical(NAME, info, &encode(&l))?;
    Ok(l)
}
