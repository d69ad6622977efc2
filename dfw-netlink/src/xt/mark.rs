//! `mark` match revision 1 (`struct xt_mark_mtinfo1 { u32 mark, mask; u8 invert; }`, 16 bytes,
//! host order). dfw writes `-m mark` in this xt form, which iptables 1.8.7 and 1.8.9 both read
//! (1.8.9 itself writes native `meta mark`, which 1.8.7 shows without the match).

use dfw_core::model::matches::Mark;

use super::{check_canonical, check_len, put_u32, u32_at, XtError};

/// Extension name.
pub const NAME: &str = "mark";
/// Revision.
pub const REV: u32 = 1;
/// `XT_ALIGN(sizeof(struct xt_mark_mtinfo1))`.
pub const INFO_LEN: usize = 16;

const EXT: &str = "mark";

/// Encodes `-m mark --mark value/mask`.
pub fn encode(m: &Mark) -> Vec<u8> {
    let mut b = vec![0u8; INFO_LEN];
    put_u32(&mut b, 0, m.value());
    put_u32(&mut b, 4, m.mask());
    b[8] = u8::from(m.negated());
    b
}

/// Decodes a mark revision 1 blob.
///
/// # Errors
/// [`XtError`] for a wrong length, an invert byte other than 0/1, a value with bits outside
/// the mask, or non-canonical bytes.
pub fn decode(info: &[u8]) -> Result<Mark, XtError> {
    check_len(EXT, info, INFO_LEN)?;
    if info[8] > 1 {
        return Err(XtError::invalid(EXT, format!("invert {}", info[8])));
    }
    let (value, mask) = (u32_at(info, 0), u32_at(info, 4));
    if value & !mask != 0 {
        return Err(XtError::invalid(
            EXT,
            format!("mark {value:#x} outside mask {mask:#x}"),
        ));
    }
    let m = Mark::new(value, mask, info[8] == 1);
    check_canonical(EXT, info, &encode(&m))?;
    Ok(m)
}

/// `MARK` target name.
pub const TARGET: &str = "MARK";
/// `MARK` target revision (`struct xt_mark_tginfo2 { u32 mark, mask; }`, 8 bytes).
pub const TARGET_REV: u32 = 2;

/// Encodes `-j MARK --set-xmark value/mask`.
pub fn encode_target(m: &dfw_core::model::target::MarkTarget) -> Vec<u8> {
    let mut b = vec![0u8; 8];
    put_u32(&mut b, 0, m.value);
    put_u32(&mut b, 4, m.mask);
    b
}

/// Decodes a MARK revision 2 blob (every value is valid).
///
/// # Errors
/// [`XtError::Length`] for a wrong length.
pub fn decode_target(info: &[u8]) -> Result<dfw_core::model::target::MarkTarget, XtError> {
    check_len(TARGET, info, 8)?;
    Ok(dfw_core::model::target::MarkTarget {
        value: u32_at(info, 0),
        mask: u32_at(info, 4),
    })
}
