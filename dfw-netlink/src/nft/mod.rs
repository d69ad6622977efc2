//! nf_tables objects and messages on the wire, in the exact form iptables-nft (libnftnl 1.2.x)
//! sends them: expressions, tables, chains, rules, and batches; [`parse_reply`] classifies
//! what the kernel sends back (the control messages, `NLMSG_ERROR` and NEWGEN, are decoded by
//! [`crate::wire`]'s codec, shared with the transport).
//!
//! Contract: pure, no I/O. Encoders write attributes in libnftnl's order and return
//! [`EncodeError`] for values the wire cannot carry (names with NUL, oversize attributes);
//! decoders return [`WireError`] for malformed bytes and never panic. Expressions the typed
//! decoder cannot represent exactly come back as [`crate::expr::Expr::Other`], so a decoded
//! rule re-encodes with the same expression data.
//!
//! ```
//! use dfw_netlink::expr::{CmpOp, Expr, ImmediateData, MetaKey, Verdict};
//! use dfw_netlink::nft::*;
//! use dfw_netlink::wire::consts::NF_POLICY_ACCEPT;
//!
//! // iptables -A INPUT -i eth0 -j ACCEPT, as one batch (genid from a GETGEN reply).
//! let ip = Family::IPV4;
//! let input = ChainMsg::base(ip, "filter", "INPUT", Hook { hooknum: 1, priority: 0 }, "filter",
//!     Some(NF_POLICY_ACCEPT));
//! let exprs = vec![
//!     Expr::Meta { key: MetaKey::IIFNAME, dreg: 1 },
//!     Expr::Cmp { sreg: 1, op: CmpOp::Eq, data: b"eth0\0".to_vec() },
//!     Expr::Counter { packets: 0, bytes: 0 },
//!     Expr::Immediate { dreg: 0, data: ImmediateData::Verdict(Verdict::Accept) },
//! ];
//! let rule = RuleMsg::new(ip, "filter", "INPUT", exprs, RuleCompat::default());
//! let mut batch = Batch::new(1, Some(1));
//! batch.push(&NewTable(TableMsg::new(ip, "filter")), "table filter")?;
//! batch.push(&NewChain { chain: input, mode: CreateMode::Create }, "chain INPUT")?;
//! let seq = batch.push(&NewRule::append(rule), "INPUT rule 1")?;
//! let batch = batch.finish();
//! assert_eq!(batch.bytes().len(), 408); // what iptables 1.8.9 sends, byte for byte
//! assert_eq!(batch.part(seq), Some(BatchPart::Message(&"INPUT rule 1")));
//!
//! // The kernel's answers: parse_replies(&received) yields Reply::Error { seq, errno, .. },
//! // and batch.part(seq) says which request failed.
//! # Ok::<(), EncodeError>(())
//! ```

#![deny(unsafe_code)]

mod batch;
mod chain;
mod expr;
mod listing;
mod query;
mod reply;
mod request;
mod rule;
mod rule_request;
mod set;
mod table;
mod udata;

/// The control messages (`NLMSG_ERROR`, NEWGEN), decoded by [`crate::wire`]'s one codec.
pub use crate::wire::{ErrorMsg, GenMsg};
pub use batch::{parse_batch_begin, Batch, BatchPart, FinishedBatch};
pub use chain::{ChainMsg, Counters, Hook};
pub use expr::{decode_expr, encode_expr};
pub use listing::{expr_listing, rule_listing};
pub use query::{GetChains, GetRules, GetTables};
pub use reply::{parse_replies, parse_reply, Reply};
pub use request::{
    encode_request, CreateMode, DelChain, DelTable, NewChain, NewTable, NewTableExclusive,
    NftRequest,
};
pub use rule::{RuleCompat, RuleMsg};
pub use rule_request::{DelRule, FlushChain, NewRule, RuleMode};
pub use set::{ElemMsg, GetSetElems, GetSets, SetData, SetElemsMsg, SetMsg};
pub use table::TableMsg;
pub use udata::{
    build_udata, parse_udata, udata_comment, Udata, UDATA_COMMENT_MAXLEN, UDATA_RULE_COMMENT,
};

use crate::wire::{AttrWriter, NfGenMsg, WireError, NFGENMSG_LEN};

/// Largest netlink attribute, header included (`nla_len` is a u16).
pub const MAX_ATTR_LEN: usize = u16::MAX as usize;
/// Longest table, chain or object name the kernel takes, without the NUL (`NFT_NAME_MAXLEN` - 1).
pub const MAX_NAME_LEN: usize = 255;

/// A protocol family (`NFPROTO_*`), the `nfgen_family` of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Family(pub u8);

impl Family {
    /// `NFPROTO_UNSPEC` (batch and generation messages).
    pub const UNSPEC: Family = Family(0);
    /// `NFPROTO_INET`.
    pub const INET: Family = Family(1);
    /// `NFPROTO_IPV4` (iptables).
    pub const IPV4: Family = Family(2);
    /// `NFPROTO_ARP`.
    pub const ARP: Family = Family(3);
    /// `NFPROTO_BRIDGE`.
    pub const BRIDGE: Family = Family(7);
    /// `NFPROTO_IPV6` (ip6tables).
    pub const IPV6: Family = Family(10);
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            0 => f.write_str("unspec"),
            1 => f.write_str("inet"),
            2 => f.write_str("ip"),
            3 => f.write_str("arp"),
            5 => f.write_str("netdev"),
            7 => f.write_str("bridge"),
            10 => f.write_str("ip6"),
            n => write!(f, "family {n}"),
        }
    }
}

/// Splits a message body (after `nlmsghdr`) into its `nfgenmsg` and attributes.
///
/// # Errors
/// [`WireError::Truncated`] when the body is shorter than `nfgenmsg`.
fn split_body(body: &[u8]) -> Result<(NfGenMsg, &[u8]), WireError> {
    let gen = NfGenMsg::parse(body)?;
    Ok((gen, &body[NFGENMSG_LEN..]))
}

/// Wraps a decode error with the identity of the object being decoded.
fn in_object(object: String) -> impl FnOnce(WireError) -> WireError {
    move |e| WireError::InObject {
        object,
        source: Box::new(e),
    }
}

/// A value that cannot be put on the wire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A name that is empty, too long, or holds a NUL byte.
    #[error("{what} name {name:?} is invalid: {reason}")]
    BadName {
        /// Which name (`table`, `chain`, `expression`, `match`, ...).
        what: &'static str,
        /// The offending name.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// An attribute longer than netlink's 16-bit length allows.
    #[error("{what} needs {len} bytes, more than a netlink attribute holds ({MAX_ATTR_LEN})")]
    TooLong {
        /// Which attribute.
        what: &'static str,
        /// Bytes it would need.
        len: usize,
    },
    /// Already-encoded bytes that are not one well-formed request message.
    #[error("not a request message: {reason}")]
    BadMessage {
        /// Why.
        reason: String,
    },
    /// Already-encoded bytes whose netlink framing is broken.
    #[error("not a request message: {0}")]
    BadFraming(#[source] WireError),
    /// An error inside a named object (rule, chain, table), with that object's identity.
    #[error("{object}: {source}")]
    InObject {
        /// The object, e.g. `rule ip filter INPUT`.
        object: String,
        /// What went wrong.
        source: Box<EncodeError>,
    },
}

impl EncodeError {
    /// Wraps this error with the identity of the object being encoded.
    pub fn in_object(self, object: impl Into<String>) -> EncodeError {
        EncodeError::InObject {
            object: object.into(),
            source: Box::new(self),
        }
    }
}

/// Checks that `name` can travel as a NUL-terminated string attribute.
fn check_name(what: &'static str, name: &str, max: usize) -> Result<(), EncodeError> {
    let reason = if name.is_empty() {
        "empty"
    } else if name.len() > max {
        "too long"
    } else if name.as_bytes().contains(&0) {
        "contains a NUL byte"
    } else {
        return Ok(());
    };
    Err(EncodeError::BadName {
        what,
        name: name.to_owned(),
        reason,
    })
}

/// Writes a checked NUL-terminated name attribute.
fn put_name(
    w: &mut AttrWriter<'_>,
    kind: u16,
    what: &'static str,
    name: &str,
) -> Result<(), EncodeError> {
    check_name(what, name, MAX_NAME_LEN)?;
    w.string(kind, name);
    Ok(())
}

/// Writes a raw attribute after checking that it fits.
fn put_bytes(
    w: &mut AttrWriter<'_>,
    kind: u16,
    what: &'static str,
    payload: &[u8],
) -> Result<(), EncodeError> {
    let len = payload.len() + 4;
    if len > MAX_ATTR_LEN {
        return Err(EncodeError::TooLong { what, len });
    }
    w.bytes(kind, payload);
    Ok(())
}

/// Writes a nested attribute whose content `f` writes; undoes it and fails if it grew too long.
fn put_nested(
    w: &mut AttrWriter<'_>,
    kind: u16,
    what: &'static str,
    f: impl FnOnce(&mut AttrWriter<'_>) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let at = w.begin_nested(kind);
    let res = f(w).and_then(|()| {
        let len = w.position() - at;
        if len > MAX_ATTR_LEN {
            Err(EncodeError::TooLong { what, len })
        } else {
            Ok(())
        }
    });
    match res {
        Ok(()) => {
            w.end_nested(at);
            Ok(())
        }
        Err(e) => {
            w.truncate(at);
            Err(e)
        }
    }
}
