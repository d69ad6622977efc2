//! Netlink message framing: `struct nlmsghdr` followed, for nfnetlink, by `struct nfgenmsg`.

use super::{align4, AttrWriter, WireError};

/// Size of `struct nlmsghdr`.
pub const NLMSG_HDRLEN: usize = 16;
/// Size of `struct nfgenmsg`.
pub const NFGENMSG_LEN: usize = 4;

/// `struct nlmsghdr`, host byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NlMsgHeader {
    /// Length of the message including this header.
    pub len: u32,
    /// Message type (for nfnetlink: `subsys << 8 | msg`).
    pub kind: u16,
    /// `NLM_F_*` flags.
    pub flags: u16,
    /// Sequence number.
    pub seq: u32,
    /// Port id of the sender.
    pub pid: u32,
}

impl NlMsgHeader {
    /// Parses the header at the start of `buf`.
    ///
    /// # Errors
    /// [`WireError`] when `buf` is shorter than a header or the length field is inconsistent.
    pub fn parse(buf: &[u8]) -> Result<Self, WireError> {
        if buf.len() < NLMSG_HDRLEN {
            return Err(WireError::Truncated {
                what: "nlmsghdr",
                need: NLMSG_HDRLEN,
                have: buf.len(),
            });
        }
        let u32_at = |o: usize| u32::from_ne_bytes([buf[o], buf[o + 1], buf[o + 2], buf[o + 3]]);
        let u16_at = |o: usize| u16::from_ne_bytes([buf[o], buf[o + 1]]);
        let hdr = NlMsgHeader {
            len: u32_at(0),
            kind: u16_at(4),
            flags: u16_at(6),
            seq: u32_at(8),
            pid: u32_at(12),
        };
        if (hdr.len as usize) < NLMSG_HDRLEN {
            return Err(WireError::BadLength {
                what: "nlmsghdr",
                len: hdr.len as usize,
            });
        }
        if hdr.len as usize > buf.len() {
            return Err(WireError::Truncated {
                what: "netlink message",
                need: hdr.len as usize,
                have: buf.len(),
            });
        }
        Ok(hdr)
    }

    /// Writes the header into the first 16 bytes of `out`.
    pub fn emit(&self, out: &mut [u8]) {
        out[0..4].copy_from_slice(&self.len.to_ne_bytes());
        out[4..6].copy_from_slice(&self.kind.to_ne_bytes());
        out[6..8].copy_from_slice(&self.flags.to_ne_bytes());
        out[8..12].copy_from_slice(&self.seq.to_ne_bytes());
        out[12..16].copy_from_slice(&self.pid.to_ne_bytes());
    }
}

/// `struct nfgenmsg`: family, version (always `NFNETLINK_V0`) and a big-endian resource id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NfGenMsg {
    /// `NFPROTO_*` family (2 = ip, 10 = ip6, 0 = unspec).
    pub family: u8,
    /// Version, 0.
    pub version: u8,
    /// Resource id (big-endian on the wire): the subsystem in batch messages, else 0.
    pub res_id: u16,
}

impl NfGenMsg {
    /// Parses the 4 bytes after the netlink header.
    ///
    /// # Errors
    /// [`WireError::Truncated`] when fewer than 4 bytes are given.
    pub fn parse(buf: &[u8]) -> Result<Self, WireError> {
        if buf.len() < NFGENMSG_LEN {
            return Err(WireError::Truncated {
                what: "nfgenmsg",
                need: NFGENMSG_LEN,
                have: buf.len(),
            });
        }
        Ok(NfGenMsg {
            family: buf[0],
            version: buf[1],
            res_id: u16::from_be_bytes([buf[2], buf[3]]),
        })
    }
}

fn hdr_emit(h: &NlMsgHeader, out: &mut [u8]) {
    h.emit(out);
}

/// Appends complete nfnetlink messages to a buffer (one batch may hold many).
#[derive(Debug, Default)]
pub struct NlMsgWriter {
    buf: Vec<u8>,
}

impl NlMsgWriter {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty writer with room for `bytes`.
    pub fn with_capacity(bytes: usize) -> Self {
        NlMsgWriter {
            buf: Vec::with_capacity(bytes),
        }
    }

    /// Reserves room for at least `bytes` more bytes; a large reservation is backed by huge
    /// pages where the kernel allows (`pages::hint_huge_pages`).
    pub fn reserve(&mut self, bytes: usize) {
        self.buf.reserve(bytes);
        super::pages::hint_huge_pages(&mut self.buf);
    }

    /// Appends one message: header, nfgenmsg, then the attributes `attrs` writes.
    pub fn message(
        &mut self,
        kind: u16,
        flags: u16,
        seq: u32,
        gen: NfGenMsg,
        attrs: impl FnOnce(&mut AttrWriter<'_>),
    ) -> &mut Self {
        let start = self.buf.len();
        self.buf.resize(start + NLMSG_HDRLEN, 0);
        self.buf.push(gen.family);
        self.buf.push(gen.version);
        self.buf.extend_from_slice(&gen.res_id.to_be_bytes());
        attrs(&mut AttrWriter::new(&mut self.buf));
        self.buf.resize(start + align4(self.buf.len() - start), 0);
        let hdr = NlMsgHeader {
            len: (self.buf.len() - start) as u32,
            kind,
            flags,
            seq,
            pid: 0,
        };
        hdr.emit(&mut self.buf[start..start + NLMSG_HDRLEN]);
        self
    }

    /// Appends one already-encoded message, replacing its seq and OR-ing `extra_flags` into
    /// its flags, padded to 4 bytes. The caller checked that `message` is one well-formed
    /// message (its header's length is `message.len()`).
    pub fn raw_message(&mut self, message: &[u8], seq: u32, extra_flags: u16) -> &mut Self {
        let start = self.buf.len();
        self.buf.extend_from_slice(message);
        if let Ok(mut h) = NlMsgHeader::parse(message) {
            h.seq = seq;
            h.flags |= extra_flags;
            hdr_emit(&h, &mut self.buf[start..start + NLMSG_HDRLEN]);
        }
        self.buf.resize(start + align4(self.buf.len() - start), 0);
        self
    }

    /// Drops everything after the first `len` bytes (undoes a partly written message).
    pub fn truncate(&mut self, len: usize) {
        self.buf.truncate(len);
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The bytes written so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The finished buffer.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

/// Splits a buffer of consecutive netlink messages into (header, payload-after-header) pairs.
pub fn split_messages(
    mut buf: &[u8],
) -> impl Iterator<Item = Result<(NlMsgHeader, &[u8]), WireError>> {
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || buf.is_empty() {
            return None;
        }
        match NlMsgHeader::parse(buf) {
            Ok(h) => {
                let body = &buf[NLMSG_HDRLEN..h.len as usize];
                buf = &buf[align4(h.len as usize).min(buf.len())..];
                Some(Ok((h, body)))
            }
            Err(e) => {
                failed = true;
                Some(Err(e))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_a_message_and_splits_it_back() {
        let mut w = NlMsgWriter::new();
        w.message(
            0x0a00,
            0x5,
            7,
            NfGenMsg {
                family: 2,
                version: 0,
                res_id: 0,
            },
            |a| {
                a.string(1, "filter");
            },
        );
        w.message(
            0x10,
            0x1,
            8,
            NfGenMsg {
                family: 0,
                version: 0,
                res_id: 10,
            },
            |_| {},
        );
        let msgs: Vec<_> = split_messages(w.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].0.len, 16 + 4 + 12);
        assert_eq!(msgs[0].0.seq, 7);
        assert_eq!(NfGenMsg::parse(msgs[1].1).unwrap().res_id, 10);
        assert_eq!(&msgs[1].1[2..4], &[0, 10]);
    }
}
