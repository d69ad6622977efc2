//! `NLMSG_ERROR`: the kernel's error or acknowledgement for one request.
//!
//! Contract: the body is `int error` (negative errno, 0 for an ACK), the offending message's
//! `nlmsghdr` (whose seq maps the error back to a batch entry), that message's payload unless
//! `NLM_F_CAPPED`, then extended-ack attributes if `NLM_F_ACK_TLVS` (a text message and the
//! offset of the offending attribute). Decoding never panics on short or odd bodies.

use super::fields::Fields;
use crate::wire::consts::*;
use crate::wire::{WireError, NLMSG_HDRLEN};

/// A decoded `NLMSG_ERROR`.
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
    /// error message's own `nlmsg_flags`.
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
            // Extended-ack attributes are advisory: a malformed tail does not hide the errno.
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

#[cfg(test)]
mod tests {
    use super::*;

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
        // Claims an uncapped 200-byte original that is not there: the errno still decodes.
        let e = ErrorMsg::parse(NLM_F_ACK_TLVS, &b).unwrap();
        assert_eq!((e.errno, e.seq, e.message), (22, 9, None));
        let min = ErrorMsg::parse(0, &i32::MIN.to_ne_bytes().repeat(5)).unwrap();
        assert_eq!(min.errno, i32::MAX);
    }
}
