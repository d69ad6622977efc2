//! Options of the `iprange`, `comment`, `addrtype`, `mark` and `set` matches.
//!
//! Contract: values are read as libxt_iprange (revision 1), libxt_comment, libxt_addrtype
//! (revision 1) and libxt_mark read them; a comment longer than 255 bytes is cut, as
//! iptables cuts it.

use super::error::ErrorKind;
use super::ext::{opt, ArgErr, OptCall, OptSpec};
use super::values;
use crate::model::matches::{
    AddrType, AddrTypes, Comment, IpRange, LimitIface, Mark, SetDir, SetMatch, SetName,
    COMMENT_MAX_LEN, SET_DIM_MAX,
};
use crate::model::{AddrRange, Neg};

/// `-m iprange` options.
pub const IPRANGE_OPTS: &[OptSpec] = &[opt("src-range", 1, 1, true), opt("dst-range", 2, 1, true)];

/// `-m comment` options.
pub const COMMENT_OPTS: &[OptSpec] = &[opt("comment", 1, 1, false)];

/// `-m addrtype` options.
pub const ADDRTYPE_OPTS: &[OptSpec] = &[
    opt("src-type", 1, 1, true),
    opt("dst-type", 2, 1, true),
    opt("limit-iface-in", 3, 0, false),
    opt("limit-iface-out", 3, 0, false),
];

/// `-m mark` options.
pub const MARK_OPTS: &[OptSpec] = &[opt("mark", 1, 1, true)];

/// `-m set` options (libxt_set revision 4's plain form).
pub const SET_OPTS: &[OptSpec] = &[opt("match-set", 1, 2, true)];

/// An iprange match being built.
#[derive(Debug, Clone, Default)]
pub struct IpRangeB {
    src: Option<Neg<AddrRange>>,
    dst: Option<Neg<AddrRange>>,
}

impl IpRangeB {
    /// The finished match.
    ///
    /// # Errors
    /// When neither range was given.
    pub fn finish(self) -> Result<IpRange, ErrorKind> {
        IpRange::new(self.src, self.dst)
            .map_err(|_| ErrorKind::MissingOption("--src-range or --dst-range"))
    }
}

/// Applies an `-m iprange` option.
///
/// # Errors
/// A bad or reversed range.
pub fn iprange_set(m: &mut IpRangeB, call: &OptCall<'_>) -> Result<(), ArgErr> {
    let r = values::addr_range(call.family, call.arg()).map_err(|e| (0, e))?;
    let v = Some(call.neg(r));
    if call.spec.id == 1 {
        m.src = v;
    } else {
        m.dst = v;
    }
    Ok(())
}

/// Cuts `text` to at most `max` bytes on a character boundary.
pub fn truncate(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Applies `--comment`.
///
/// # Errors
/// A comment with NUL.
pub fn comment_set(m: &mut Option<Comment>, call: &OptCall<'_>) -> Result<(), ArgErr> {
    let c = Comment::new(truncate(call.arg(), COMMENT_MAX_LEN))
        .map_err(|e| (0, ErrorKind::Model(e)))?;
    *m = Some(c);
    Ok(())
}

/// Applies an `-m addrtype` option.
///
/// # Errors
/// An unknown address type.
pub fn addrtype_set(m: &mut AddrType, call: &OptCall<'_>) -> Result<(), ArgErr> {
    match call.spec.id {
        1 | 2 => {
            let list =
                values::name_list(call.arg(), &AddrTypes::NAMES, "address types such as LOCAL")
                    .map_err(|e| (0, e))?;
            let t = call.neg(list.into_iter().fold(AddrTypes::empty(), |a, t| a | t));
            if call.spec.id == 1 {
                m.src = Some(t);
            } else {
                m.dst = Some(t);
            }
        }
        _ => {
            m.limit_iface = Some(if call.spec.name == "limit-iface-in" {
                LimitIface::In
            } else {
                LimitIface::Out
            })
        }
    }
    Ok(())
}

/// Applies `--mark value[/mask]`.
///
/// # Errors
/// A value or mask that is not a 32-bit number.
pub fn mark_set(m: &mut Option<Mark>, call: &OptCall<'_>) -> Result<(), ArgErr> {
    let num = |t: &str| {
        values::strtoui(t, u32::MAX as u64)
            .map(|n| n as u32)
            .ok_or((
                0,
                ErrorKind::BadValue("value[/mask], 32-bit numbers".into()),
            ))
    };
    let (v, mask) = match call.arg().split_once('/') {
        Some((v, k)) => (num(v)?, num(k)?),
        None => (num(call.arg())?, u32::MAX),
    };
    *m = Some(Mark::new(v, mask, call.invert));
    Ok(())
}

/// Applies `--match-set NAME DIR[,DIR...]`.
///
/// # Errors
/// A bad set name (argument 0) or direction list (argument 1).
pub fn set_set(m: &mut Option<SetMatch>, call: &OptCall<'_>) -> Result<(), ArgErr> {
    let name = SetName::new(call.arg()).map_err(|e| (0, ErrorKind::Model(e)))?;
    let dirs_text = call.args.get(1).copied().unwrap_or("");
    let bad = || {
        (
            1,
            ErrorKind::BadValue("src or dst, comma-separated (at most 6)".into()),
        )
    };
    let dirs = dirs_text
        .split(',')
        .map(|d| match d {
            "src" => Ok(SetDir::Src),
            "dst" => Ok(SetDir::Dst),
            _ => Err(bad()),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if dirs.len() > SET_DIM_MAX {
        return Err(bad());
    }
    *m = Some(SetMatch::new(name, dirs, call.invert).map_err(|_| bad())?);
    Ok(())
}
