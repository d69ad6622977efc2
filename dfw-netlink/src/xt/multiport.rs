//! `multiport` match revision 1 (`struct xt_multiport_v1`, 48 bytes).
//!
//! Layout: `u8 flags` (0 source, 1 destination, 2 either), `u8 count` (slots used),
//! `u16 ports[15]` (host order), `u8 pflags[15]` (1 marks the first slot of a range whose
//! second slot holds the high port), `u8 invert`, padding to 48.

use dfw_core::model::matches::{Multiport, MultiportKind};
use dfw_core::model::PortRange;

use super::{check_canonical, check_len, put_u16, u16_at, XtError};

/// Extension name.
pub const NAME: &str = "multiport";
/// Revision.
pub const REV: u32 = 1;
/// `XT_ALIGN(sizeof(struct xt_multiport_v1))`.
pub const INFO_LEN: usize = 48;

const EXT: &str = "multiport";
/// Port slots in `xt_multiport_v1` (`XT_MULTI_PORTS`).
const MULTIPORT_SLOTS: usize = 15;
const FLAGS: usize = 0;
const COUNT: usize = 1;
const PORTS: usize = 2;
const PFLAGS: usize = 32;
const INVERT: usize = 47;

/// Encodes `-m multiport` as libxt_multiport revision 1 does.
pub fn encode(m: &Multiport) -> Vec<u8> {
    let mut b = vec![0u8; INFO_LEN];
    b[FLAGS] = m.kind() as u8;
    let mut slot = 0usize;
    for p in m.ports() {
        put_u16(&mut b, PORTS + 2 * slot, p.lo());
        if !p.is_single() {
            b[PFLAGS + slot] = 1;
            slot += 1;
            put_u16(&mut b, PORTS + 2 * slot, p.hi());
        }
        slot += 1;
    }
    b[COUNT] = slot as u8;
    b[INVERT] = u8::from(m.negated());
    b
}

/// Decodes a multiport revision 1 blob.
///
/// # Errors
/// [`XtError`] for a wrong length, an unknown kind, a bad count, a range cut off at the end,
/// a reversed range, or non-canonical bytes.
pub fn decode(info: &[u8]) -> Result<Multiport, XtError> {
    check_len(EXT, info, INFO_LEN)?;
    let kind = match info[FLAGS] {
        0 => MultiportKind::Source,
        1 => MultiportKind::Destination,
        2 => MultiportKind::Either,
        k => return Err(XtError::invalid(EXT, format!("kind {k}"))),
    };
    let count = usize::from(info[COUNT]);
    if count > MULTIPORT_SLOTS {
        return Err(XtError::invalid(EXT, format!("count {count}")));
    }
    if info[INVERT] > 1 {
        return Err(XtError::invalid(EXT, format!("invert {}", info[INVERT])));
    }
    let mut ports = Vec::new();
    let mut slot = 0;
    while slot < count {
        let lo = u16_at(info, PORTS + 2 * slot);
        if info[PFLAGS + slot] == 1 {
            if slot + 1 >= count {
                return Err(XtError::invalid(EXT, "range start in the last slot"));
            }
            let hi = u16_at(info, PORTS + 2 * (slot + 1));
            ports.push(PortRange::new(lo, hi).map_err(XtError::model(EXT))?);
            slot += 2;
        } else {
            ports.push(PortRange::single(lo));
            slot += 1;
        }
    }
    let m = Multiport::new(kind, ports, info[INVERT] == 1).map_err(XtError::model(EXT))?;
    check_canonical(EXT, info, &encode(&m))?;
    Ok(m)
}
