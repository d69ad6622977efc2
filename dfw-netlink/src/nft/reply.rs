//! Classifies the messages the kernel sends back on an nfnetlink socket.
//!
//! Contract: [`parse_reply`] turns one message into a [`Reply`]; message types this layer does
//! not model come back as [`Reply::Other`] with their header, never as an error.

use super::{ChainMsg, RuleMsg, TableMsg};
use crate::wire::consts::*;
use crate::wire::{done_errno, split_messages, ErrorMsg, GenMsg, NlMsgHeader, WireError};

/// One message from the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `NFT_MSG_NEWTABLE` (dump entry or echo).
    Table(TableMsg),
    /// `NFT_MSG_NEWCHAIN`.
    Chain(ChainMsg),
    /// `NFT_MSG_NEWRULE`.
    Rule(RuleMsg),
    /// `NFT_MSG_NEWGEN`.
    Gen(GenMsg),
    /// `NLMSG_ERROR` with errno 0.
    Ack(ErrorMsg),
    /// `NLMSG_ERROR` with an errno.
    Error(ErrorMsg),
    /// `NLMSG_DONE`, ending a dump; a non-zero errno means the dump failed (e.g. `EINTR`).
    Done {
        /// Positive errno, or 0.
        errno: i32,
    },
    /// Anything else (kept by header so the caller can log it).
    Other(NlMsgHeader),
}

/// Decodes one message: `hdr` and `body` as yielded by [`split_messages`].
///
/// # Errors
/// [`WireError`] when the body of a modelled message is malformed.
pub fn parse_reply(hdr: &NlMsgHeader, body: &[u8]) -> Result<Reply, WireError> {
    Ok(match hdr.kind {
        NLMSG_ERROR => {
            let e = ErrorMsg::parse(hdr.flags, body)?;
            if e.is_ack() {
                Reply::Ack(e)
            } else {
                Reply::Error(e)
            }
        }
        NLMSG_DONE => Reply::Done {
            errno: done_errno(body),
        },
        k if k == nft_msg(NFT_MSG_NEWTABLE) => Reply::Table(TableMsg::parse(body)?),
        k if k == nft_msg(NFT_MSG_NEWCHAIN) => Reply::Chain(ChainMsg::parse(body)?),
        k if k == nft_msg(NFT_MSG_NEWRULE) => Reply::Rule(RuleMsg::parse(body)?),
        k if k == nft_msg(NFT_MSG_NEWGEN) => Reply::Gen(GenMsg::parse(body)?),
        _ => Reply::Other(*hdr),
    })
}

/// Decodes every message in a receive buffer.
pub fn parse_replies(
    buf: &[u8],
) -> impl Iterator<Item = Result<(NlMsgHeader, Reply), WireError>> + '_ {
    split_messages(buf).map(|m| {
        let (hdr, body) = m?;
        Ok((hdr, parse_reply(&hdr, body)?))
    })
}
