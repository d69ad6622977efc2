//! `connmark` match revision 1 (`struct xt_connmark_mtinfo1 { u32 mark, mask; u8 invert; }`,
//! 16 bytes) and `CONNMARK` target revision 2 (`struct xt_connmark_tginfo2 { u32 ctmark, ctmask,
//! nfmask; u8 shift_dir, shift_bits, mode; }`, 16 bytes). With `--set-*` libxt_CONNMARK leaves
//! `nfmask` at its initial 0xffffffff; with `--save-mark`/`--restore-mark` `ctmark` stays 0.

use dfw_core::model::matches::Mark;
use dfw_core::model::target::{Connmark, ConnmarkMode, Shift};

use super::{check_canonical, check_len, put_u32, u32_at, XtError};

/// `connmark` match name.
pub const MATCH: &str = "connmark";
/// `connmark` match revision.
pub const MATCH_REV: u32 = 1;
/// `CONNMARK` target name.
pub const TARGET: &str = "CONNMARK";
/// `CONNMARK` target revision.
pub const TARGET_REV: u32 = 2;

/// Encodes `-m connmark --mark`: the same layout as `mark` revision 1.
pub fn encode_match(m: &Mark) -> Vec<u8> {
    let mut b = super::mark::encode(m);
    b.truncate(16);
    b
}

/// Decodes a connmark revision 1 blob.
///
/// # Errors
/// [`XtError`] as [`super::mark::decode`], naming `connmark`.
pub fn decode_match(info: &[u8]) -> Result<Mark, XtError> {
    super::mark::decode(info).map_err(|e| match e {
        XtError::Length { expected, got, .. } => XtError::Length {
            ext: MATCH,
            expected,
            got,
        },
        XtError::Invalid { reason, .. } => XtError::Invalid { ext: MATCH, reason },
        XtError::NonCanonical { .. } => XtError::NonCanonical { ext: MATCH },
        XtError::Model { source, .. } => XtError::Model { ext: MATCH, source },
    })
}

/// Encodes `-j CONNMARK`.
pub fn encode_target(c: &Connmark) -> Vec<u8> {
    let mut b = vec![0u8; 16];
    let (ctmark, ctmask, nfmask, mode) = match c.mode {
        ConnmarkMode::Set { value, mask } => (value, mask, u32::MAX, 0),
        ConnmarkMode::Save { nfmask, ctmask } => (0, ctmask, nfmask, 1),
        ConnmarkMode::Restore { nfmask, ctmask } => (0, ctmask, nfmask, 2),
    };
    put_u32(&mut b, 0, ctmark);
    put_u32(&mut b, 4, ctmask);
    put_u32(&mut b, 8, nfmask);
    (b[12], b[13]) = match c.shift {
        None => (0, 0),
        Some(Shift::Left(n)) => (0, n),
        Some(Shift::Right(n)) => (1, n),
    };
    b[14] = mode;
    b
}

/// Decodes a CONNMARK revision 2 blob.
///
/// # Errors
/// [`XtError`] for a wrong length, an unknown mode or shift, or bytes iptables-save would not
/// print back (an `nfmask` with `--set-*`, a `ctmark` with save/restore, a shift by 0 right).
pub fn decode_target(info: &[u8]) -> Result<Connmark, XtError> {
    check_len(TARGET, info, 16)?;
    let (ctmark, ctmask, nfmask) = (u32_at(info, 0), u32_at(info, 4), u32_at(info, 8));
    let mode = match info[14] {
        0 => ConnmarkMode::Set {
            value: ctmark,
            mask: ctmask,
        },
        1 => ConnmarkMode::Save { nfmask, ctmask },
        2 => ConnmarkMode::Restore { nfmask, ctmask },
        m => return Err(XtError::invalid(TARGET, format!("mode {m}"))),
    };
    let shift = match (info[12], info[13]) {
        (_, 0) => None,
        (0, n) => Some(Shift::Left(n)),
        (1, n) => Some(Shift::Right(n)),
        (d, _) => return Err(XtError::invalid(TARGET, format!("shift direction {d}"))),
    };
    let c = Connmark { mode, shift };
    c.check().map_err(XtError::model(TARGET))?;
    check_canonical(TARGET, info, &encode_target(&c))?;
    Ok(c)
}
