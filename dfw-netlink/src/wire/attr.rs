//! Netlink attributes (`struct nlattr`: u16 length, u16 type, payload, padding to 4 bytes).

use super::{align4, WireError};

/// `NLA_F_NESTED`: set on nested attributes, as libmnl/libnftnl do.
pub const NLA_F_NESTED: u16 = 1 << 15;
/// `NLA_F_NET_BYTEORDER`.
pub const NLA_F_NET_BYTEORDER: u16 = 1 << 14;
/// Mask that strips the two flag bits from an attribute type.
pub const NLA_TYPE_MASK: u16 = !(NLA_F_NESTED | NLA_F_NET_BYTEORDER);
const NLA_HDRLEN: usize = 4;

/// Appends attributes to a buffer. Nested attributes are opened with [`AttrWriter::begin_nested`]
/// and closed with [`AttrWriter::end_nested`], which patches the length.
#[derive(Debug)]
pub struct AttrWriter<'a> {
    buf: &'a mut Vec<u8>,
}

impl<'a> AttrWriter<'a> {
    /// Writes attributes at the end of `buf` (which must already be 4-byte aligned).
    pub fn new(buf: &'a mut Vec<u8>) -> Self {
        AttrWriter { buf }
    }

    /// The current end of the buffer (an offset for [`AttrWriter::truncate`]).
    pub fn position(&self) -> usize {
        self.buf.len()
    }

    /// Drops everything written after `at` (undoes a partly written attribute).
    pub fn truncate(&mut self, at: usize) {
        self.buf.truncate(at);
    }

    /// Appends an attribute with raw payload bytes.
    ///
    /// `nla_len` is 16 bits: the caller keeps payloads under 65532 bytes (the `nft` encoders
    /// check this and return an error instead).
    pub fn bytes(&mut self, kind: u16, payload: &[u8]) -> &mut Self {
        let len = NLA_HDRLEN + payload.len();
        self.buf.extend_from_slice(&(len as u16).to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(payload);
        self.buf.resize(align4(self.buf.len()), 0);
        self
    }

    /// Appends a NUL-terminated string attribute.
    pub fn string(&mut self, kind: u16, value: &str) -> &mut Self {
        let len = NLA_HDRLEN + value.len() + 1;
        self.buf.extend_from_slice(&(len as u16).to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(value.as_bytes());
        self.buf.push(0);
        self.buf.resize(align4(self.buf.len()), 0);
        self
    }

    /// Appends a big-endian u32 (nf_tables sends its u32 attributes in network order).
    pub fn u32_be(&mut self, kind: u16, value: u32) -> &mut Self {
        self.bytes(kind, &value.to_be_bytes())
    }

    /// Appends a big-endian u64.
    pub fn u64_be(&mut self, kind: u16, value: u64) -> &mut Self {
        self.bytes(kind, &value.to_be_bytes())
    }

    /// Appends a u8.
    pub fn u8(&mut self, kind: u16, value: u8) -> &mut Self {
        self.bytes(kind, &[value])
    }

    /// Opens a nested attribute; returns its offset for [`AttrWriter::end_nested`].
    pub fn begin_nested(&mut self, kind: u16) -> usize {
        let at = self.buf.len();
        self.buf.extend_from_slice(&0u16.to_ne_bytes());
        self.buf
            .extend_from_slice(&(kind | NLA_F_NESTED).to_ne_bytes());
        at
    }

    /// Closes the nested attribute opened at `at`, writing its length.
    pub fn end_nested(&mut self, at: usize) -> &mut Self {
        let len = (self.buf.len() - at) as u16;
        self.buf[at..at + 2].copy_from_slice(&len.to_ne_bytes());
        self
    }

    /// Appends a nested attribute whose content is written by `f`.
    pub fn nested(&mut self, kind: u16, f: impl FnOnce(&mut AttrWriter<'_>)) -> &mut Self {
        let at = self.begin_nested(kind);
        f(&mut AttrWriter { buf: self.buf });
        self.end_nested(at)
    }
}

/// One parsed attribute: its type (flags stripped) and payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attr<'a> {
    /// Attribute type without `NLA_F_NESTED` / `NLA_F_NET_BYTEORDER`.
    pub kind: u16,
    /// Payload, without padding.
    pub payload: &'a [u8],
}

impl<'a> Attr<'a> {
    fn bad(&self, context: &'static str, reason: String) -> WireError {
        WireError::BadAttr {
            context,
            attr: self.kind,
            reason,
        }
    }

    /// The payload as a big-endian u32.
    ///
    /// # Errors
    /// [`WireError::BadAttr`] when the payload is not 4 bytes.
    pub fn u32_be(&self, context: &'static str) -> Result<u32, WireError> {
        let b: [u8; 4] = self
            .payload
            .try_into()
            .map_err(|_| self.bad(context, format!("{} bytes, want 4", self.payload.len())))?;
        Ok(u32::from_be_bytes(b))
    }

    /// The payload as a big-endian u64.
    ///
    /// # Errors
    /// [`WireError::BadAttr`] when the payload is not 8 bytes.
    pub fn u64_be(&self, context: &'static str) -> Result<u64, WireError> {
        let b: [u8; 8] = self
            .payload
            .try_into()
            .map_err(|_| self.bad(context, format!("{} bytes, want 8", self.payload.len())))?;
        Ok(u64::from_be_bytes(b))
    }

    /// The payload as a NUL-terminated UTF-8 string (the NUL and anything after it dropped).
    ///
    /// # Errors
    /// [`WireError::BadAttr`] when it is not UTF-8.
    pub fn string(&self, context: &'static str) -> Result<&'a str, WireError> {
        let end = self
            .payload
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.payload.len());
        std::str::from_utf8(&self.payload[..end]).map_err(|_| self.bad(context, "not UTF-8".into()))
    }

    /// Iterates the attributes nested in this one.
    pub fn nested(&self) -> AttrIter<'a> {
        AttrIter::new(self.payload)
    }
}

/// Iterates attributes in a buffer; yields an error (once) for a malformed one, then stops.
#[derive(Debug, Clone)]
pub struct AttrIter<'a> {
    buf: &'a [u8],
    failed: bool,
}

impl<'a> AttrIter<'a> {
    /// Iterates the attributes in `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        AttrIter { buf, failed: false }
    }
}

impl<'a> Iterator for AttrIter<'a> {
    type Item = Result<Attr<'a>, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.buf.is_empty() {
            return None;
        }
        let fail = |this: &mut Self, e| {
            this.failed = true;
            Some(Err(e))
        };
        if self.buf.len() < NLA_HDRLEN {
            let have = self.buf.len();
            return fail(
                self,
                WireError::Truncated {
                    what: "attribute header",
                    need: NLA_HDRLEN,
                    have,
                },
            );
        }
        let len = u16::from_ne_bytes([self.buf[0], self.buf[1]]) as usize;
        let kind = u16::from_ne_bytes([self.buf[2], self.buf[3]]) & NLA_TYPE_MASK;
        if len < NLA_HDRLEN {
            return fail(
                self,
                WireError::BadLength {
                    what: "attribute",
                    len,
                },
            );
        }
        if len > self.buf.len() {
            let have = self.buf.len();
            return fail(
                self,
                WireError::Truncated {
                    what: "attribute",
                    need: len,
                    have,
                },
            );
        }
        let payload = &self.buf[NLA_HDRLEN..len];
        self.buf = &self.buf[align4(len).min(self.buf.len())..];
        Some(Ok(Attr { kind, payload }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_reads_nested_attributes() {
        let mut buf = Vec::new();
        let mut w = AttrWriter::new(&mut buf);
        w.string(1, "filter").u32_be(2, 7).nested(3, |n| {
            n.bytes(1, &[1, 2, 3]);
        });
        // "filter\0" = 7 bytes -> attr len 11, padded to 12.
        assert_eq!(&buf[..4], &[11, 0, 1, 0]);
        let attrs: Vec<_> = AttrIter::new(&buf).collect::<Result<_, _>>().unwrap();
        assert_eq!(attrs.len(), 3);
        assert_eq!(attrs[0].string("t").unwrap(), "filter");
        assert_eq!(attrs[1].u32_be("t").unwrap(), 7);
        let inner: Vec<_> = attrs[2].nested().collect::<Result<_, _>>().unwrap();
        assert_eq!(inner[0].payload, &[1, 2, 3]);
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        for bad in [&[1u8][..], &[2, 0, 1, 0], &[200, 0, 1, 0, 0]] {
            assert!(AttrIter::new(bad).any(|a| a.is_err()));
        }
    }
}
