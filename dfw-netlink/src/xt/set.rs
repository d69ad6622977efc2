//! `set` match revision 4 (`struct xt_set_info_match_v4`, 48 bytes), as iptables 1.8.9 (and
//! 1.8.7) write `-m set [!] --match-set NAME src[,dst...]`.
//!
//! Layout: `struct xt_set_info { u16 index; u8 dim; u8 flags; }` (host order; `flags` bit 0 =
//! `IPSET_INV_MATCH`, bit `i` = dimension `i` is `src`), padding to 8, then two
//! `struct ip_set_counter_match { u64 value; u8 op; }` (16 bytes each, packets then bytes), then
//! `u32 flags` at 40 (`--return-nomatch`, `! --update-counters` ...), padding to 48. dfw writes
//! and reads only the plain form: no counter test, no flags. The set is named by its kernel
//! index, which the caller resolves ([`crate::rule_codec::SetIndex`]).

use dfw_core::model::matches::{SetDir, SetMatch, SET_DIM_MAX};

use super::{check_len, put_u16, u16_at, u32_at, XtError};

/// Extension name.
pub const NAME: &str = "set";
/// Revision.
pub const REV: u32 = 4;
/// `XT_ALIGN(sizeof(struct xt_set_info_match_v4))`.
pub const INFO_LEN: usize = 48;

const EXT: &str = "set";
const INV: u8 = 1;

/// A decoded set match: the kernel index of the set and the match without its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawSetMatch {
    /// The set's kernel index.
    pub index: u16,
    /// Directions, one per dimension.
    pub dirs: Vec<SetDir>,
    /// `! --match-set`.
    pub negated: bool,
}

/// Encodes `m`, whose set has kernel index `index`, as libxt_set revision 4 does.
pub fn encode(index: u16, m: &SetMatch) -> Vec<u8> {
    let mut b = vec![0u8; INFO_LEN];
    put_u16(&mut b, 0, index);
    b[2] = m.dirs().len() as u8;
    let mut flags = if m.negated() { INV } else { 0 };
    for (i, d) in m.dirs().iter().enumerate() {
        if *d == SetDir::Src {
            flags |= 1 << (i + 1);
        }
    }
    b[3] = flags;
    b
}

/// Decodes a set revision 4 blob of the plain form.
///
/// # Errors
/// [`XtError`] for a wrong length, a dimension outside 1..=6, flag bits beyond the
/// dimensions, a counter test or match flags, or non-zero padding.
pub fn decode(info: &[u8]) -> Result<RawSetMatch, XtError> {
    check_len(EXT, info, INFO_LEN)?;
    let dim = info[2] as usize;
    if dim == 0 || dim > SET_DIM_MAX {
        return Err(XtError::invalid(EXT, format!("dimension {dim}")));
    }
    let flags = info[3];
    if flags >> (dim + 1) != 0 {
        return Err(XtError::invalid(
            EXT,
            format!("flags {flags:#x} for {dim} dimensions"),
        ));
    }
    if info[8..40].iter().any(|&b| b != 0) || u32_at(info, 40) != 0 {
        return Err(XtError::invalid(
            EXT,
            "counter tests or match flags (--return-nomatch, --update-counters ...)",
        ));
    }
    if info[4..8].iter().chain(&info[44..]).any(|&b| b != 0) {
        return Err(XtError::NonCanonical { ext: EXT });
    }
    let dirs = (1..=dim)
        .map(|i| {
            if flags & (1 << i) != 0 {
                SetDir::Src
            } else {
                SetDir::Dst
            }
        })
        .collect();
    Ok(RawSetMatch {
        index: u16_at(info, 0),
        dirs,
        negated: flags & INV != 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dfw_core::model::matches::SetName;

    #[test]
    fn round_trip_and_refusals() {
        let m = SetMatch::new(
            SetName::new("s").unwrap(),
            vec![SetDir::Src, SetDir::Dst],
            true,
        )
        .unwrap();
        let b = encode(7, &m);
        assert_eq!(&b[..4], &[7, 0, 2, 0b011]);
        let r = decode(&b).unwrap();
        assert_eq!((r.index, r.dirs.as_slice(), r.negated), (7, m.dirs(), true));
        for (at, v) in [
            (2, 0u8),
            (2, 7),
            (3, 0x08),
            (8, 1),
            (40, 1),
            (5, 1),
            (47, 1),
        ] {
            let mut bad = b.clone();
            bad[at] = v;
            assert!(decode(&bad).is_err(), "byte {at} = {v}");
        }
        assert!(decode(&b[..40]).is_err());
    }
}
