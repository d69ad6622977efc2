//! `LOG` target revision 0 (`struct xt_log_info { u8 level; u8 logflags; char prefix[30]; }`,
//! 32 bytes). The prefix is NUL-terminated; libxt_LOG leaves the rest zero.

use dfw_core::model::target::{Log, LogFlags};

use super::{check_len, fixed_str, XtError};

/// Extension name.
pub const NAME: &str = "LOG";
/// Revision.
pub const REV: u32 = 0;
/// `XT_ALIGN(sizeof(struct xt_log_info))`.
pub const INFO_LEN: usize = 32;

const EXT: &str = "LOG";
const PREFIX: usize = 2;
const PREFIX_LEN: usize = 30;

/// Encodes `-j LOG`.
pub fn encode(l: &Log) -> Vec<u8> {
    let mut b = vec![0u8; INFO_LEN];
    b[0] = l.level();
    b[1] = l.flags().bits();
    let p = l.prefix().as_bytes();
    b[PREFIX..PREFIX + p.len()].copy_from_slice(p);
    b
}

/// Decodes a LOG blob.
///
/// # Errors
/// [`XtError`] for a wrong length, a level above 7, unknown flags, a bad prefix, or
/// non-zero padding.
pub fn decode(info: &[u8]) -> Result<Log, XtError> {
    check_len(EXT, info, INFO_LEN)?;
    let flags = LogFlags::from_bits(info[1])
        .ok_or_else(|| XtError::invalid(EXT, format!("flags {:#x}", info[1])))?;
    let prefix = fixed_str(EXT, &info[PREFIX..PREFIX + PREFIX_LEN])?;
    Log::new(info[0], flags, &prefix).map_err(XtError::model(EXT))
}
