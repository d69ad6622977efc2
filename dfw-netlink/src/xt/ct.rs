//! `CT` target revision 2 (`struct xt_ct_target_info_v1`, 72 bytes): `u16 flags, zone;
//! u32 ct_events, exp_events; char helper[16], timeout[32];` then a kernel pointer dumped as
//! zeros. Flags: NOTRACK 1, NOTRACK_ALIAS 2 (`-j NOTRACK`), ZONE_DIR_ORIG 4, ZONE_DIR_REPL 8,
//! ZONE_MARK 16.

use dfw_core::model::target::{Ct, CtEvents, CtZone};

use super::{check_canonical, check_len, fixed_str, put_u16, put_u32, u16_at, u32_at, XtError};

/// Extension name.
pub const NAME: &str = "CT";
/// Revision.
pub const REV: u32 = 2;
/// `XT_ALIGN(sizeof(struct xt_ct_target_info_v1))`.
pub const INFO_LEN: usize = 72;

const NOTRACK: u16 = 1;
const ALIAS: u16 = 2;
const ORIG: u16 = 4;
const REPL: u16 = 8;
const MARK: u16 = 16;

/// Encodes `-j CT` / `-j NOTRACK`.
pub fn encode(c: &Ct) -> Vec<u8> {
    let mut b = vec![0u8; INFO_LEN];
    let mut flags = if c.notrack { NOTRACK } else { 0 } | if c.alias { ALIAS } else { 0 };
    if let Some(z) = c.zone {
        flags |= match z.orig {
            Some(true) => ORIG,
            Some(false) => REPL,
            None => 0,
        } | if z.mark { MARK } else { 0 };
        put_u16(&mut b, 2, z.id);
    }
    put_u16(&mut b, 0, flags);
    put_u32(&mut b, 4, c.ct_events.bits());
    put_u32(&mut b, 8, u32::from(c.exp_new));
    if let Some(h) = &c.helper {
        b[12..12 + h.len()].copy_from_slice(h.as_bytes());
    }
    if let Some(t) = &c.timeout {
        b[28..28 + t.len()].copy_from_slice(t.as_bytes());
    }
    b
}

/// Decodes a CT revision 2 blob.
///
/// # Errors
/// [`XtError`] for a wrong length, unknown flags or events, a zone in both directions, names
/// the model refuses, or non-zero padding.
pub fn decode(info: &[u8]) -> Result<Ct, XtError> {
    check_len(NAME, info, INFO_LEN)?;
    let flags = u16_at(info, 0);
    if flags & !(NOTRACK | ALIAS | ORIG | REPL | MARK) != 0 || flags & (ORIG | REPL) == ORIG | REPL
    {
        return Err(XtError::invalid(NAME, format!("flags {flags:#x}")));
    }
    let ct_events = CtEvents::from_bits(u32_at(info, 4))
        .ok_or_else(|| XtError::invalid(NAME, format!("ctevents {:#x}", u32_at(info, 4))))?;
    let exp = u32_at(info, 8);
    if exp > 1 {
        return Err(XtError::invalid(NAME, format!("expevents {exp:#x}")));
    }
    let name = |off: usize, len: usize| -> Result<Option<String>, XtError> {
        let s = fixed_str(NAME, &info[off..off + len])?;
        Ok((!s.is_empty()).then_some(s))
    };
    let id = u16_at(info, 2);
    let zoned = flags & (ORIG | REPL | MARK) != 0 || id != 0;
    let c = Ct {
        alias: flags & ALIAS != 0,
        notrack: flags & NOTRACK != 0,
        helper: name(12, 16)?,
        timeout: name(28, 32)?,
        ct_events,
        exp_new: exp == 1,
        zone: zoned.then_some(CtZone {
            id,
            mark: flags & MARK != 0,
            orig: match flags & (ORIG | REPL) {
                ORIG => Some(true),
                REPL => Some(false),
                _ => None,
            },
        }),
    };
    c.check().map_err(XtError::model(NAME))?;
    check_canonical(NAME, info, &encode(&c))?;
    Ok(c)
}
