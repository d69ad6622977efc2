//! `TCPMSS` target revision 0 (`struct xt_tcpmss_info { u16 mss; }`, 8 bytes; 0xffff is
//! `--clamp-mss-to-pmtu`).

use dfw_core::model::target::Tcpmss;

use super::{check_canonical, check_len, put_u16, u16_at, XtError};

/// Extension name.
pub const NAME: &str = "TCPMSS";
/// Revision.
pub const REV: u32 = 0;

/// Encodes `-j TCPMSS`.
pub fn encode(t: Tcpmss) -> Vec<u8> {
    let mut b = vec![0u8; 8];
    put_u16(&mut b, 0, t.raw());
    b
}

/// Decodes a TCPMSS blob.
///
/// # Errors
/// [`XtError`] for a wrong length or non-zero padding.
pub fn decode(info: &[u8]) -> Result<Tcpmss, XtError> {
    check_len(NAME, info, 8)?;
    let t = Tcpmss::from_raw(u16_at(info, 0));
    check_canonical(NAME, info, &encode(t))?;
    Ok(t)
}
