//! Pure decoding of the kernel's control replies: `NLMSG_ERROR` (errors and ACKs, with
//! extended-ack TLVs), `NLMSG_DONE`, and the GETGEN request / NEWGEN reply pair.
//!
//! Contract: no I/O; every function returns an error instead of panicking on any input.

use super::error::KernelError;
use crate::wire::consts::{
    nft_msg, NFNETLINK_V0, NFTA_GEN_ID, NFT_MSG_GETGEN, NFT_MSG_NEWGEN, NLM_F_REQUEST,
};
use crate::wire::{align4, AttrIter, NfGenMsg, NlMsgHeader, NlMsgWriter, WireError};
use crate::wire::{NFGENMSG_LEN, NLMSG_HDRLEN};

/// `NLM_F_CAPPED`: the error message holds only the header of the rejected message.
pub const NLM_F_CAPPED: u16 = 0x100;
/// `NLM_F_ACK_TLVS`: extended-ack attributes follow the rejected message.
pub const NLM_F_ACK_TLVS: u16 = 0x200;
/// `NLMSGERR_ATTR_MSG`: a text reason.
pub const NLMSGERR_ATTR_MSG: u16 = 1;
/// `NLMSGERR_ATTR_OFFS`: offset of the offending attribute in the rejected message.
pub const NLMSGERR_ATTR_OFFS: u16 = 2;

/// A decoded `NLMSG_ERROR`: an ACK when `errno == 0`, else an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorMsg {
    /// Sequence number of the message it answers.
    pub seq: u32,
    /// Positive errno; `0` for an ACK.
    pub errno: i32,
    /// Type of the answered message, when the kernel included its header.
    pub orig_type: Option<u16>,
    /// Extended-ack text.
    pub reason: Option<String>,
    /// Extended-ack offset of the offending attribute.
    pub bad_attr_offset: Option<u32>,
}

impl ErrorMsg {
    /// Decodes the payload (after the netlink header) of an `NLMSG_ERROR` message.
    ///
    /// # Errors
    /// [`WireError`] when the payload is shorter than the errno field.
    pub fn parse(hdr: &NlMsgHeader, body: &[u8]) -> Result<Self, WireError> {
        let Some(code) = body.get(..4) else {
            return Err(WireError::Truncated {
                what: "nlmsgerr",
                need: 4,
                have: body.len(),
            });
        };
        let code = i32::from_ne_bytes([code[0], code[1], code[2], code[3]]);
        let mut msg = ErrorMsg {
            seq: hdr.seq,
            errno: code.checked_neg().unwrap_or(i32::MAX).max(0),
            orig_type: None,
            reason: None,
            bad_attr_offset: None,
        };
        let Some(orig) = parse_header_only(&body[4..]) else {
            return Ok(msg);
        };
        msg.orig_type = Some(orig.kind);
        if hdr.flags & NLM_F_ACK_TLVS == 0 {
            return Ok(msg);
        }
        let orig_len = if hdr.flags & NLM_F_CAPPED != 0 {
            NLMSG_HDRLEN
        } else {
            orig.len as usize
        };
        let start = align4(4 + orig_len);
        for attr in AttrIter::new(body.get(start..).unwrap_or(&[])).flatten() {
            match attr.kind {
                NLMSGERR_ATTR_MSG => msg.reason = attr.string("nlmsgerr").ok().map(str::to_owned),
                NLMSGERR_ATTR_OFFS => {
                    msg.bad_attr_offset = attr
                        .payload
                        .try_into()
                        .ok()
                        .map(|b: [u8; 4]| u32::from_ne_bytes(b));
                }
                _ => {}
            }
        }
        Ok(msg)
    }

    /// The error as a [`KernelError`], with the message type the caller knows if the reply
    /// did not carry it.
    pub fn into_kernel_error(self, known_type: Option<u16>) -> KernelError {
        KernelError {
            seq: self.seq,
            errno: self.errno,
            msg_type: self.orig_type.or(known_type),
            reason: self.reason,
            bad_attr_offset: self.bad_attr_offset,
        }
    }
}

/// Reads a netlink header without checking that its payload follows (for the copy of the
/// rejected message's header inside an `NLMSG_ERROR`, which may be capped to the header).
fn parse_header_only(buf: &[u8]) -> Option<NlMsgHeader> {
    let b = buf.get(..NLMSG_HDRLEN)?;
    let u32_at = |o: usize| u32::from_ne_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
    Some(NlMsgHeader {
        len: u32_at(0),
        kind: u16::from_ne_bytes([b[4], b[5]]),
        flags: u16::from_ne_bytes([b[6], b[7]]),
        seq: u32_at(8),
        pid: u32_at(12),
    })
}

/// The errno carried by an `NLMSG_DONE` payload (`0` when absent or non-negative).
pub fn done_errno(body: &[u8]) -> i32 {
    match body.get(..4) {
        Some(b) => i32::from_ne_bytes([b[0], b[1], b[2], b[3]])
            .checked_neg()
            .unwrap_or(0)
            .max(0),
        None => 0,
    }
}

/// An `NFT_MSG_GETGEN` request with sequence number `seq` (flags `NLM_F_REQUEST`, family
/// `AF_UNSPEC`), as iptables sends it.
pub fn getgen_request(seq: u32) -> Vec<u8> {
    let mut w = NlMsgWriter::new();
    w.message(
        nft_msg(NFT_MSG_GETGEN),
        NLM_F_REQUEST,
        seq,
        NfGenMsg {
            family: 0,
            version: NFNETLINK_V0,
            res_id: 0,
        },
        |_| {},
    );
    w.into_bytes()
}

/// True when `hdr` is an `NFT_MSG_NEWGEN` message.
pub fn is_newgen(hdr: &NlMsgHeader) -> bool {
    hdr.kind == nft_msg(NFT_MSG_NEWGEN)
}

/// The generation id in a NEWGEN payload (the bytes after the netlink header).
///
/// # Errors
/// [`WireError`] when the payload is truncated or lacks `NFTA_GEN_ID`.
pub fn parse_newgen(body: &[u8]) -> Result<u32, WireError> {
    NfGenMsg::parse(body)?;
    for attr in AttrIter::new(&body[NFGENMSG_LEN..]) {
        let attr = attr?;
        if attr.kind == NFTA_GEN_ID {
            return attr.u32_be("NEWGEN");
        }
    }
    Err(WireError::Missing {
        context: "NEWGEN",
        attr: "NFTA_GEN_ID",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::consts::{NFT_MSG_NEWCHAIN, NLMSG_ERROR};
    use crate::wire::split_messages;

    /// An `NLMSG_ERROR` as the kernel builds it with NETLINK_CAP_ACK and NETLINK_EXT_ACK.
    fn error_bytes(seq: u32, code: i32, orig_type: u16, tlvs: &[(u16, &[u8])]) -> Vec<u8> {
        let mut v = Vec::new();
        let flags = NLM_F_CAPPED | if tlvs.is_empty() { 0 } else { NLM_F_ACK_TLVS };
        v.extend_from_slice(&0u32.to_ne_bytes());
        v.extend_from_slice(&NLMSG_ERROR.to_ne_bytes());
        v.extend_from_slice(&flags.to_ne_bytes());
        v.extend_from_slice(&seq.to_ne_bytes());
        v.extend_from_slice(&77u32.to_ne_bytes());
        v.extend_from_slice(&code.to_ne_bytes());
        // The rejected message's header: len 40, its type, REQUEST, seq, pid 0.
        v.extend_from_slice(&40u32.to_ne_bytes());
        v.extend_from_slice(&orig_type.to_ne_bytes());
        v.extend_from_slice(&1u16.to_ne_bytes());
        v.extend_from_slice(&seq.to_ne_bytes());
        v.extend_from_slice(&0u32.to_ne_bytes());
        for (kind, payload) in tlvs {
            v.extend_from_slice(&((4 + payload.len()) as u16).to_ne_bytes());
            v.extend_from_slice(&kind.to_ne_bytes());
            v.extend_from_slice(payload);
            v.resize(align4(v.len()), 0);
        }
        let len = v.len() as u32;
        v[0..4].copy_from_slice(&len.to_ne_bytes());
        v
    }

    fn parse_one(bytes: &[u8]) -> ErrorMsg {
        let (h, body) = split_messages(bytes).next().unwrap().unwrap();
        ErrorMsg::parse(&h, body).unwrap()
    }

    #[test]
    fn error_with_extended_ack() {
        let b = error_bytes(
            9,
            -2,
            nft_msg(NFT_MSG_NEWCHAIN),
            &[
                (NLMSGERR_ATTR_MSG, b"no table\0"),
                (NLMSGERR_ATTR_OFFS, &[20, 0, 0, 0]),
            ],
        );
        let e = parse_one(&b);
        assert_eq!(e.seq, 9);
        assert_eq!(e.errno, 2);
        assert_eq!(e.orig_type, Some(nft_msg(NFT_MSG_NEWCHAIN)));
        assert_eq!(e.reason.as_deref(), Some("no table"));
        assert_eq!(e.bad_attr_offset, Some(20));
    }

    #[test]
    fn ack_and_truncated_errors() {
        let e = parse_one(&error_bytes(3, 0, nft_msg(NFT_MSG_NEWCHAIN), &[]));
        assert_eq!((e.errno, e.reason), (0, None));
        let h = NlMsgHeader {
            len: 18,
            kind: NLMSG_ERROR,
            ..Default::default()
        };
        assert!(ErrorMsg::parse(&h, &[1, 2]).is_err());
        // An errno with no copy of the original header still decodes.
        let e = ErrorMsg::parse(&h, &(-1i32).to_ne_bytes()).unwrap();
        assert_eq!((e.errno, e.orig_type), (1, None));
        // i32::MIN must not overflow.
        assert!(ErrorMsg::parse(&h, &i32::MIN.to_ne_bytes()).is_ok());
    }

    #[test]
    fn getgen_round_trip() {
        let req = getgen_request(5);
        // nlmsghdr(16) + nfgenmsg(4), type 0x0a10, flags REQUEST, seq 5.
        assert_eq!(req.len(), 20);
        assert_eq!(&req[4..8], &[0x10, 0x0a, 0x01, 0x00]);
        assert_eq!(&req[8..12], &5u32.to_ne_bytes());
        let mut w = NlMsgWriter::new();
        w.message(nft_msg(NFT_MSG_NEWGEN), 0, 5, NfGenMsg::default(), |a| {
            a.u32_be(NFTA_GEN_ID, 42);
        });
        let (h, body) = split_messages(w.as_bytes()).next().unwrap().unwrap();
        assert!(is_newgen(&h));
        assert_eq!(parse_newgen(body), Ok(42));
        assert!(parse_newgen(&body[..4]).is_err());
        assert!(parse_newgen(&[0]).is_err());
    }

    #[test]
    fn done_payload() {
        assert_eq!(done_errno(&(-4i32).to_ne_bytes()), 4);
        assert_eq!(done_errno(&0i32.to_ne_bytes()), 0);
        assert_eq!(done_errno(&[]), 0);
    }
}
