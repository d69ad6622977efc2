//! `sctp` match revision 0 (`struct xt_sctp_info`, 296 bytes): `u16 dpts[2], spts[2]` (host
//! order), `u32 chunkmap[64]`, `u32 chunk_match_type`, four `{u8 chunktype, flag, flag_mask}`
//! (libxt_sctp sets each chunktype to 0xff), `int flag_count`, `u32 flags, invflags` (SRC 1,
//! DEST 2, CHUNK_TYPES 4). Only ports are modelled: a blob with chunk types is refused.

use dfw_core::model::matches::SctpMatch;
use dfw_core::model::{Neg, PortRange};

use super::{check_canonical, check_len, put_u16, put_u32, u16_at, u32_at, XtError};

/// Extension name.
pub const NAME: &str = "sctp";
/// Revision.
pub const REV: u32 = 0;
/// `XT_ALIGN(sizeof(struct xt_sctp_info))`.
pub const INFO_LEN: usize = 296;

const FLAG_INFO: usize = 268;
const FLAGS: usize = 284;
const INVFLAGS: usize = 288;
const SRC: u32 = 1;
const DEST: u32 = 2;

/// Encodes `-m sctp`.
pub fn encode(m: &SctpMatch) -> Vec<u8> {
    let mut b = vec![0u8; INFO_LEN];
    let (mut flags, mut inv) = (0, 0);
    let mut ports = |p: &Option<Neg<PortRange>>, off: usize, bit: u32, b: &mut Vec<u8>| {
        if let Some(p) = p {
            put_u16(b, off, p.value.lo());
            put_u16(b, off + 2, p.value.hi());
            flags |= bit;
            inv |= if p.negated { bit } else { 0 };
        }
    };
    ports(&m.dport, 0, DEST, &mut b);
    ports(&m.sport, 4, SRC, &mut b);
    for i in 0..4 {
        b[FLAG_INFO + 3 * i] = 0xff;
    }
    put_u32(&mut b, FLAGS, flags);
    put_u32(&mut b, INVFLAGS, inv);
    b
}

/// Decodes an sctp blob.
///
/// # Errors
/// [`XtError`] for a wrong length, chunk types or unknown flags, a reversed range, or bytes
/// other than libxt_sctp writes.
pub fn decode(info: &[u8]) -> Result<SctpMatch, XtError> {
    check_len(NAME, info, INFO_LEN)?;
    let (flags, inv) = (u32_at(info, FLAGS), u32_at(info, INVFLAGS));
    if flags & !(SRC | DEST) != 0 || inv & !flags != 0 {
        return Err(XtError::invalid(
            NAME,
            format!("flags {flags:#x} invflags {inv:#x} (chunk types are not modelled)"),
        ));
    }
    let ports = |off: usize, bit: u32| -> Result<Option<Neg<PortRange>>, XtError> {
        if flags & bit == 0 {
            return Ok(None);
        }
        let r = PortRange::new(u16_at(info, off), u16_at(info, off + 2))
            .map_err(XtError::model(NAME))?;
        Ok(Some(Neg::new(r, inv & bit != 0)))
    };
    let m = SctpMatch {
        dport: ports(0, DEST)?,
        sport: ports(4, SRC)?,
    };
    check_canonical(NAME, info, &encode(&m))?;
    Ok(m)
}
