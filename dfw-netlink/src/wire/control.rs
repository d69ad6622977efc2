//! The netlink control messages every exchange with nf_tables ends with, decoded once for the
//! whole crate: `NLMSG_ERROR` (an error or an acknowledgement, with extended-ack attributes),
//! the errno of `NLMSG_DONE`, and the `NFT_MSG_GETGEN` request with its `NFT_MSG_NEWGEN`
//! answer. The nf_tables codec (`nft::parse_reply`) and the transport's reply collectors both
//! use these; nothing else decodes them.
//!
//! Contract: pure, no I/O, never panics on any input.
//! - `NLMSG_ERROR`'s body is `int error` (negative errno, 0 for an ACK), the answered
//!   message's `nlmsghdr` (whose seq maps the error back to a batch entry), that message's
//!   payload unless `NLM_F_CAPPED`, then extended-ack attributes if `NLM_F_ACK_TLVS` (a text
//!   and the offset of the offending attribute). Anything shorter than errno + header is
//!   [`WireError::Truncated`]; a malformed extended-ack tail is ignored (it is advisory and
//!   never hides the errno). Any non-zero `error` is an error, never an ACK.
//! - `NLMSG_DONE`'s body is `int`: 0, or a negative errno when the dump failed.
//! - GETGEN goes out as iptables sends it (flags `NLM_F_REQUEST`, family unspec, no
//!   attributes); NEWGEN carries the generation id (big-endian) and, optionally, the pid and
//!   command name of the last process that committed.

use super::consts::{
    nft_msg, NFNETLINK_V0, NFPROTO_UNSPEC, NFTA_GEN_ID, NFTA_GEN_PROC_NAME, NFTA_GEN_PROC_PID,
    NFT_MSG_GETGEN, NFT_MSG_NEWGEN, NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, NLM_F_ACK_TLVS,
    NLM_F_CAPPED, NLM_F_REQUEST,
};
use super::{Fields, NfGenMsg, NlMsgHeader, NlMsgWriter, WireError, NFGENMSG_LEN, NLMSG_HDRLEN};

/// A decoded `NLMSG_ERROR`: an acknowledgement when `errno` is 0, else an error.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrorMsg {
    /// Positive errno (`ENOENT` = 2, `ERESTART` = 85...), or 0 for an acknowledgement.
    pub errno: i32,
    /// Sequence number of the message it answers.
    pub seq: u32,
    /// `nlmsg_type` of the message it answers.
    pub msg_type: u16,
    /// `NLMSGERR_ATTR_MSG`: the kernel's text, when it sent one.
    pub message: Option<String>,
    /// `NLMSGERR_ATTR_OFFS`: byte offset of the offending attribute in the message it answers.
    pub bad_attr_offset: Option<u32>,
}

impl ErrorMsg {
    /// True for an acknowledgement (errno 0).
    pub fn is_ack(&self) -> bool {
        self.errno == 0
    }

    /// Decodes the body of an `NLMSG_ERROR` (everything after its `nlmsghdr`); `flags` are the
    /// error message's own `nlmsg_flags` (see the module contract).
    ///
    /// # Errors
    /// [`WireError::Truncated`] when the body is shorter than errno + `nlmsghdr`.
    pub fn parse(flags: u16, body: &[u8]) -> Result<Self, WireError> {
        let need = 4 + NLMSG_HDRLEN;
        if body.len() < need {
            return Err(WireError::Truncated {
                what: "nlmsgerr",
                need,
                have: body.len(),
            });
        }
        let u32_at =
            |o: usize| u32::from_ne_bytes([body[o], body[o + 1], body[o + 2], body[o + 3]]);
        let error = u32_at(0) as i32;
        let orig_len = u32_at(4) as usize;
        let mut msg = ErrorMsg {
            errno: error.checked_neg().unwrap_or(i32::MAX),
            seq: u32_at(12),
            msg_type: u16::from_ne_bytes([body[8], body[9]]),
            ..Self::default()
        };
        if flags & NLM_F_ACK_TLVS != 0 {
            let payload = if flags & NLM_F_CAPPED != 0 {
                0
            } else {
                orig_len.saturating_sub(NLMSG_HDRLEN)
            };
            let aligned = payload.checked_add(3).map_or(usize::MAX, |p| p & !3);
            let start = need.saturating_add(aligned).min(body.len());
            if let Ok(f) = Fields::parse(&body[start..]) {
                msg.message = f.get(NLMSGERR_ATTR_MSG).map(|p| {
                    String::from_utf8_lossy(p.split(|&b| b == 0).next().unwrap_or(p)).into_owned()
                });
                msg.bad_attr_offset = f
                    .get(NLMSGERR_ATTR_OFFS)
                    .and_then(|p| p.try_into().ok())
                    .map(u32::from_ne_bytes); // host order, unlike nf_tables attributes
            }
        }
        Ok(msg)
    }
}

/// The errno an `NLMSG_DONE` body carries: positive when the dump failed (`EINTR`: it was
/// interrupted), 0 when it ended normally or the body is absent.
pub fn done_errno(body: &[u8]) -> i32 {
    match body.get(..4) {
        Some(b) => match i32::from_ne_bytes([b[0], b[1], b[2], b[3]]) {
            v if v >= 0 => 0,
            v => v.checked_neg().unwrap_or(i32::MAX),
        },
        None => 0,
    }
}

/// The current ruleset generation: the body of `NFT_MSG_NEWGEN`, the answer to GETGEN.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GenMsg {
    /// `NFTA_GEN_ID`: goes into `NFNL_BATCH_GENID` of the next batch.
    pub id: u32,
    /// `NFTA_GEN_PROC_PID`: pid of the last committer.
    pub proc_pid: Option<u32>,
    /// `NFTA_GEN_PROC_NAME`: its command name.
    pub proc_name: Option<String>,
}

impl GenMsg {
    /// Decodes an `NFT_MSG_NEWGEN` body (everything after `nlmsghdr`).
    ///
    /// # Errors
    /// [`WireError`] when the body is malformed or lacks `NFTA_GEN_ID`.
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        const CTX: &str = "generation";
        NfGenMsg::parse(body)?;
        let f = Fields::parse(&body[NFGENMSG_LEN..])?;
        Ok(GenMsg {
            id: f.req_u32(NFTA_GEN_ID, CTX, "NFTA_GEN_ID")?,
            proc_pid: f.opt_u32(NFTA_GEN_PROC_PID, CTX)?,
            proc_name: f.opt_str(NFTA_GEN_PROC_NAME, CTX)?,
        })
    }

    /// True when `hdr` is an `NFT_MSG_NEWGEN` message.
    pub fn is_newgen(hdr: &NlMsgHeader) -> bool {
        hdr.kind == nft_msg(NFT_MSG_NEWGEN)
    }
}

/// An `NFT_MSG_GETGEN` request with sequence number `seq`, as iptables sends it (flags
/// `NLM_F_REQUEST`, family unspec, no attributes).
pub fn getgen_request(seq: u32) -> Vec<u8> {
    let mut w = NlMsgWriter::with_capacity(NLMSG_HDRLEN + NFGENMSG_LEN);
    w.message(
        nft_msg(NFT_MSG_GETGEN),
        NLM_F_REQUEST,
        seq,
        NfGenMsg {
            family: NFPROTO_UNSPEC,
            version: NFNETLINK_V0,
            res_id: 0,
        },
        |_| {},
    );
    w.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::consts::{NFT_MSG_NEWCHAIN, NLMSG_ERROR};
    use crate::wire::{align4, split_messages};

    /// errno, a capped original header (seq 9, NEWRULE), then MSG and OFFS attributes.
    fn capped_einval() -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&(-22i32).to_ne_bytes());
        b.extend_from_slice(&200u32.to_ne_bytes()); // original length (payload not copied)
        b.extend_from_slice(&0x0a06u16.to_ne_bytes());
        b.extend_from_slice(&0x0c01u16.to_ne_bytes());
        b.extend_from_slice(&9u32.to_ne_bytes());
        b.extend_from_slice(&0u32.to_ne_bytes());
        b.extend_from_slice(&[8, 0, 1, 0, b'b', b'a', b'd', 0]);
        b.extend_from_slice(&[8, 0, 2, 0]);
        b.extend_from_slice(&40u32.to_ne_bytes());
        b
    }

    #[test]
    fn capped_error_with_extended_ack() {
        let e = ErrorMsg::parse(NLM_F_CAPPED | NLM_F_ACK_TLVS, &capped_einval()).unwrap();
        assert_eq!(
            e,
            ErrorMsg {
                errno: 22,
                seq: 9,
                msg_type: 0x0a06,
                message: Some("bad".into()),
                bad_attr_offset: Some(40),
            }
        );
        assert!(!e.is_ack());
    }

    #[test]
    fn short_bodies_are_errors_and_odd_tails_are_ignored() {
        let b = capped_einval();
        assert!(ErrorMsg::parse(0, &b[..19]).is_err());
        assert!(ErrorMsg::parse(0, &(-1i32).to_ne_bytes()).is_err());
        // Claims an uncapped 200-byte original that is not there: the errno still decodes.
        let e = ErrorMsg::parse(NLM_F_ACK_TLVS, &b).unwrap();
        assert_eq!((e.errno, e.seq, e.message), (22, 9, None));
        let min = ErrorMsg::parse(0, &i32::MIN.to_ne_bytes().repeat(5)).unwrap();
        assert_eq!(min.errno, i32::MAX);
        // A positive code is not an acknowledgement.
        let odd = ErrorMsg::parse(0, &5i32.to_ne_bytes().repeat(5)).unwrap();
        assert!(!odd.is_ack());
    }

    /// A whole `NLMSG_ERROR` as the kernel builds it with NETLINK_CAP_ACK and NETLINK_EXT_ACK.
    fn error_message(seq: u32, code: i32, orig_type: u16, tlvs: &[(u16, &[u8])]) -> Vec<u8> {
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
        ErrorMsg::parse(h.flags, body).unwrap()
    }

    #[test]
    fn whole_error_message_with_extended_ack_and_ack() {
        let b = error_message(
            9,
            -2,
            nft_msg(NFT_MSG_NEWCHAIN),
            &[
                (NLMSGERR_ATTR_MSG, b"no table\0"),
                (NLMSGERR_ATTR_OFFS, &[20, 0, 0, 0]),
            ],
        );
        let e = parse_one(&b);
        assert_eq!((e.seq, e.errno), (9, 2));
        assert_eq!(e.msg_type, nft_msg(NFT_MSG_NEWCHAIN));
        assert_eq!(e.message.as_deref(), Some("no table"));
        assert_eq!(e.bad_attr_offset, Some(20));
        let ack = parse_one(&error_message(3, 0, nft_msg(NFT_MSG_NEWCHAIN), &[]));
        assert!(ack.is_ack());
        assert_eq!(ack.message, None);
    }

    #[test]
    fn getgen_and_newgen() {
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
        assert!(GenMsg::is_newgen(&h));
        assert_eq!(GenMsg::parse(body).map(|g| g.id), Ok(42));
        assert!(GenMsg::parse(&body[..4]).is_err());
        assert!(GenMsg::parse(&[0]).is_err());
    }

    #[test]
    fn done_payload() {
        assert_eq!(done_errno(&(-4i32).to_ne_bytes()), 4);
        assert_eq!(done_errno(&0i32.to_ne_bytes()), 0);
        assert_eq!(done_errno(&7i32.to_ne_bytes()), 0);
        assert_eq!(done_errno(&i32::MIN.to_ne_bytes()), i32::MAX);
        assert_eq!(done_errno(&[]), 0);
    }
}
