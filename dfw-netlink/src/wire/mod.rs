//! Netlink wire format: message framing, attributes, nf_tables constants, and the control
//! messages every exchange ends with ([`ErrorMsg`], [`GenMsg`], [`getgen_request`],
//! [`done_errno`]: the one codec of `NLMSG_ERROR`, `NLMSG_DONE` and GETGEN/NEWGEN).
//!
//! Contract: pure functions over byte buffers, no I/O (one memory hint to the kernel for
//! large buffers, see `pages`). Everything is encoded in host byte
//! order except where the kernel says big-endian (marked at each use). Decoders never panic on
//! any input; they return [`WireError`].

#![deny(unsafe_code)]

mod attr;
pub mod consts;
mod control;
mod fields;
mod msg;
mod pages;

pub use attr::{Attr, AttrIter, AttrWriter, NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLA_TYPE_MASK};
pub use control::{done_errno, getgen_request, ErrorMsg, GenMsg};
pub(crate) use fields::{strz, Fields};
pub use msg::{split_messages, NfGenMsg, NlMsgHeader, NlMsgWriter, NFGENMSG_LEN, NLMSG_HDRLEN};

/// A malformed netlink buffer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The buffer ends before a header or payload it announces.
    #[error("truncated {what}: need {need} bytes, have {have}")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Bytes needed.
        need: usize,
        /// Bytes available.
        have: usize,
    },
    /// A length field smaller than its own header.
    #[error("bad length {len} in {what}")]
    BadLength {
        /// What was being read.
        what: &'static str,
        /// The length found.
        len: usize,
    },
    /// An attribute whose payload has the wrong size or content for its type.
    #[error("attribute {attr} of {context}: {reason}")]
    BadAttr {
        /// Where the attribute was found.
        context: &'static str,
        /// Attribute type.
        attr: u16,
        /// What is wrong.
        reason: String,
    },
    /// A required attribute is missing.
    #[error("{context} lacks attribute {attr}")]
    Missing {
        /// The object being decoded.
        context: &'static str,
        /// The missing attribute's name.
        attr: &'static str,
    },
    /// A message of a type the decoder does not expect here.
    #[error("unexpected message type {kind:#06x}, expected {want}")]
    UnexpectedMessage {
        /// What the caller wanted.
        want: &'static str,
        /// The `nlmsg_type` found.
        kind: u16,
    },
    /// An error inside a named object (a rule, chain, table), with that object's identity.
    #[error("{object}: {source}")]
    InObject {
        /// The object, e.g. `rule ip filter INPUT handle 5`.
        object: String,
        /// What went wrong.
        source: Box<WireError>,
    },
}

/// Rounds up to netlink's 4-byte alignment.
pub const fn align4(len: usize) -> usize {
    (len + 3) & !3
}
