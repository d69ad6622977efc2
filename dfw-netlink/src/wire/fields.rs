//! A small table of the attributes in one nest, indexed by type: the common first step of every
//! decoder of nf_tables objects (`nft`, `xt`) and of the control messages (`control`).
//!
//! Contract: [`Fields::parse`] fails only on malformed framing; duplicate or out-of-range types
//! are remembered in [`Fields::extra`] so that exact decoders can refuse them.

use super::{Attr, AttrIter, WireError};

/// Highest attribute type kept in the table (nf_tables nests use small numbers).
const SLOTS: usize = 16;

/// The attributes of one nest, by type.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields<'a> {
    slots: [Option<&'a [u8]>; SLOTS],
    /// Types present, as a bit set.
    present: u32,
    /// True when a type repeated or was out of range.
    pub(crate) extra: bool,
}

impl<'a> Fields<'a> {
    /// Indexes the attributes in `buf`.
    ///
    /// # Errors
    /// [`WireError`] when the attribute framing is malformed.
    pub(crate) fn parse(buf: &'a [u8]) -> Result<Self, WireError> {
        let mut f = Fields {
            slots: [None; SLOTS],
            present: 0,
            extra: false,
        };
        for attr in AttrIter::new(buf) {
            let Attr { kind, payload } = attr?;
            let k = kind as usize;
            if k == 0 || k >= SLOTS || f.slots[k].is_some() {
                f.extra = true;
                continue;
            }
            f.slots[k] = Some(payload);
            f.present |= 1 << k;
        }
        Ok(f)
    }

    /// True when exactly the types in `required` plus any of `optional` are present.
    pub(crate) fn exactly(&self, required: &[u16], optional: &[u16]) -> bool {
        let mask = |ks: &[u16]| ks.iter().fold(0u32, |m, &k| m | 1 << k);
        let req = mask(required);
        !self.extra && self.present & req == req && self.present & !(req | mask(optional)) == 0
    }

    /// The payload of attribute `kind`.
    pub(crate) fn get(&self, kind: u16) -> Option<&'a [u8]> {
        self.slots.get(kind as usize).copied().flatten()
    }

    /// Attribute `kind` as a big-endian u32, if present and 4 bytes long.
    pub(crate) fn u32(&self, kind: u16) -> Option<u32> {
        Some(u32::from_be_bytes(self.get(kind)?.try_into().ok()?))
    }

    /// Attribute `kind` as a big-endian u64, if present and 8 bytes long.
    pub(crate) fn u64(&self, kind: u16) -> Option<u64> {
        Some(u64::from_be_bytes(self.get(kind)?.try_into().ok()?))
    }

    /// Attribute `kind` as a big-endian u32, or an error naming `context`.
    ///
    /// # Errors
    /// [`WireError::Missing`] or [`WireError::BadAttr`].
    pub(crate) fn req_u32(
        &self,
        kind: u16,
        context: &'static str,
        name: &'static str,
    ) -> Result<u32, WireError> {
        let p = self.get(kind).ok_or(WireError::Missing {
            context,
            attr: name,
        })?;
        Attr { kind, payload: p }.u32_be(context)
    }

    /// Optional big-endian u32; present but the wrong size is an error.
    ///
    /// # Errors
    /// [`WireError::BadAttr`].
    pub(crate) fn opt_u32(
        &self,
        kind: u16,
        context: &'static str,
    ) -> Result<Option<u32>, WireError> {
        self.get(kind)
            .map(|p| Attr { kind, payload: p }.u32_be(context))
            .transpose()
    }

    /// Optional big-endian u64; present but the wrong size is an error.
    ///
    /// # Errors
    /// [`WireError::BadAttr`].
    pub(crate) fn opt_u64(
        &self,
        kind: u16,
        context: &'static str,
    ) -> Result<Option<u64>, WireError> {
        self.get(kind)
            .map(|p| Attr { kind, payload: p }.u64_be(context))
            .transpose()
    }

    /// Required NUL-terminated string.
    ///
    /// # Errors
    /// [`WireError::Missing`] or [`WireError::BadAttr`].
    pub(crate) fn req_str(
        &self,
        kind: u16,
        context: &'static str,
        name: &'static str,
    ) -> Result<String, WireError> {
        let p = self.get(kind).ok_or(WireError::Missing {
            context,
            attr: name,
        })?;
        strz(p, context, kind).map(str::to_owned)
    }

    /// Optional NUL-terminated string.
    ///
    /// # Errors
    /// [`WireError::BadAttr`].
    pub(crate) fn opt_str(
        &self,
        kind: u16,
        context: &'static str,
    ) -> Result<Option<String>, WireError> {
        self.get(kind)
            .map(|p| strz(p, context, kind).map(str::to_owned))
            .transpose()
    }
}

/// Reads a NUL-terminated UTF-8 string attribute exactly (one NUL, at the end).
///
/// # Errors
/// [`WireError::BadAttr`] naming `context` and the attribute type.
pub(crate) fn strz<'a>(
    payload: &'a [u8],
    context: &'static str,
    kind: u16,
) -> Result<&'a str, WireError> {
    let bad = |reason: &str| WireError::BadAttr {
        context,
        attr: kind,
        reason: reason.to_owned(),
    };
    match payload.split_last() {
        Some((0, body)) if !body.contains(&0) => {
            std::str::from_utf8(body).map_err(|_| bad("not UTF-8"))
        }
        _ => Err(bad("not a NUL-terminated string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::AttrWriter;

    #[test]
    fn exactly_checks_required_optional_and_duplicates() {
        let mut buf = Vec::new();
        AttrWriter::new(&mut buf).u32_be(1, 7).u32_be(3, 9);
        let f = Fields::parse(&buf).unwrap();
        assert!(f.exactly(&[1, 3], &[]));
        assert!(f.exactly(&[1], &[3, 4]));
        assert!(!f.exactly(&[1], &[]));
        assert!(!f.exactly(&[1, 2], &[3]));
        assert_eq!((f.u32(1), f.u32(2), f.u64(1)), (Some(7), None, None));
        AttrWriter::new(&mut buf).u32_be(1, 8);
        assert!(Fields::parse(&buf).unwrap().extra);
        let mut high = Vec::new();
        AttrWriter::new(&mut high).u8(40, 1);
        assert!(Fields::parse(&high).unwrap().extra);
    }
}
