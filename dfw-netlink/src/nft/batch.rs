//! Batches: `NFNL_MSG_BATCH_BEGIN`, nf_tables requests, `NFNL_MSG_BATCH_END`, in one buffer
//! the transport sends with a single `sendmsg`, committed by the kernel all or nothing.
//!
//! Contract: sequence numbers count up by one from the BEGIN message (wrapping); every request
//! carries a caller-supplied description, so a kernel error's seq maps back to what caused it
//! ([`FinishedBatch::part`]). BEGIN and END carry `res_id = NFNL_SUBSYS_NFTABLES` (big-endian)
//! and family unspec; BEGIN carries `NFNL_BATCH_GENID` (big-endian u32) when a genid is given,
//! making the kernel refuse the batch with `ERESTART` if the ruleset changed since.

use super::request::encode_request;
use super::{split_body, EncodeError, NftRequest};
use crate::wire::consts::*;
use crate::wire::Fields;
use crate::wire::{NfGenMsg, NlMsgHeader, NlMsgWriter, WireError};

/// Reads the generation id from the body of a `BATCH_BEGIN` (everything after `nlmsghdr`):
/// `None` when it carries no `NFNL_BATCH_GENID`.
///
/// # Errors
/// [`WireError`] when the body is malformed or `res_id` is not `NFNL_SUBSYS_NFTABLES`.
pub fn parse_batch_begin(body: &[u8]) -> Result<Option<u32>, WireError> {
    let (gen, attrs) = split_body(body)?;
    if gen.res_id != NFNL_SUBSYS_NFTABLES {
        return Err(WireError::BadAttr {
            context: "batch begin",
            attr: 0,
            reason: format!("res_id {} is not the nf_tables subsystem", gen.res_id),
        });
    }
    Fields::parse(attrs)?.opt_u32(NFNL_BATCH_GENID, "batch begin")
}

/// Which part of a batch a sequence number belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchPart<'a, D> {
    /// The `BATCH_BEGIN` message (e.g. `ERESTART`: stale genid).
    Begin,
    /// A request, with the description given when it was pushed.
    Message(&'a D),
    /// The `BATCH_END` message.
    End,
}

/// A batch being built; `D` describes each request (table/chain/rule position, ...).
#[derive(Debug)]
pub struct Batch<D> {
    w: NlMsgWriter,
    first_seq: u32,
    descs: Vec<D>,
}

fn batch_gen() -> NfGenMsg {
    NfGenMsg {
        family: NFPROTO_UNSPEC,
        version: NFNETLINK_V0,
        res_id: NFNL_SUBSYS_NFTABLES,
    }
}

impl<D> Batch<D> {
    /// Starts a batch: writes `BATCH_BEGIN` with sequence number `first_seq` and, if given,
    /// the generation id the batch is valid for (from [`super::GenMsg`]).
    pub fn new(first_seq: u32, genid: Option<u32>) -> Self {
        let mut w = NlMsgWriter::with_capacity(4096);
        w.message(
            NFNL_MSG_BATCH_BEGIN,
            NLM_F_REQUEST,
            first_seq,
            batch_gen(),
            |a| {
                if let Some(g) = genid {
                    a.u32_be(NFNL_BATCH_GENID, g);
                }
            },
        );
        Batch {
            w,
            first_seq,
            descs: Vec::new(),
        }
    }

    /// Reserves room for `messages` more requests of about `bytes_each` bytes.
    pub fn reserve(&mut self, messages: usize, bytes_each: usize) {
        self.w.reserve(messages.saturating_mul(bytes_each));
        self.descs.reserve(messages);
    }

    /// The sequence number the next request will get.
    pub fn next_seq(&self) -> u32 {
        self.first_seq
            .wrapping_add(1)
            .wrapping_add(self.descs.len() as u32)
    }

    /// Appends a request with the flags iptables uses; returns its sequence number.
    ///
    /// # Errors
    /// [`EncodeError`] naming the request; the batch is left unchanged.
    pub fn push<R: NftRequest + ?Sized>(&mut self, req: &R, desc: D) -> Result<u32, EncodeError> {
        self.push_with_flags(req, 0, desc)
    }

    /// Appends a request with extra `nlmsg_flags` (`NLM_F_ACK`, `NLM_F_ECHO`); returns its seq.
    ///
    /// # Errors
    /// [`EncodeError`] naming the request; the batch is left unchanged.
    pub fn push_with_flags<R: NftRequest + ?Sized>(
        &mut self,
        req: &R,
        extra_flags: u16,
        desc: D,
    ) -> Result<u32, EncodeError> {
        let seq = self.next_seq();
        encode_request(req, seq, extra_flags, &mut self.w)?;
        self.descs.push(desc);
        Ok(seq)
    }

    /// Appends one already-encoded request (a complete netlink message built elsewhere, e.g.
    /// recorded bytes), giving it the next seq (its own is overwritten) and OR-ing
    /// `extra_flags` (`NLM_F_ACK`, `NLM_F_ECHO` only) into its flags; returns its seq.
    ///
    /// # Errors
    /// [`EncodeError::BadMessage`] when `message` is not exactly one well-formed netlink
    /// message, is a batch BEGIN/END, or `extra_flags` holds other flags; the batch is left
    /// unchanged.
    pub fn push_encoded(
        &mut self,
        message: &[u8],
        extra_flags: u16,
        desc: D,
    ) -> Result<u32, EncodeError> {
        let bad = |reason: String| EncodeError::BadMessage { reason };
        let h = NlMsgHeader::parse(message).map_err(EncodeError::BadFraming)?;
        if h.len as usize != message.len() && crate::wire::align4(h.len as usize) != message.len() {
            return Err(bad(format!(
                "header length {} but {} bytes: not exactly one message",
                h.len,
                message.len()
            )));
        }
        if (h.len as usize) < crate::wire::NLMSG_HDRLEN {
            return Err(bad(format!("header length {} is too short", h.len)));
        }
        if h.kind == NFNL_MSG_BATCH_BEGIN || h.kind == NFNL_MSG_BATCH_END {
            return Err(bad("a batch BEGIN/END cannot be a request".into()));
        }
        if extra_flags & !(NLM_F_ACK | NLM_F_ECHO) != 0 {
            return Err(bad(format!("extra flags {extra_flags:#x}: only ACK/ECHO")));
        }
        let seq = self.next_seq();
        self.w
            .raw_message(&message[..h.len as usize], seq, extra_flags);
        self.descs.push(desc);
        Ok(seq)
    }

    /// Number of requests (BEGIN and END not counted).
    pub fn len(&self) -> usize {
        self.descs.len()
    }

    /// True when no request was pushed.
    pub fn is_empty(&self) -> bool {
        self.descs.is_empty()
    }

    /// Writes `BATCH_END` and returns the finished batch.
    pub fn finish(mut self) -> FinishedBatch<D> {
        let end_seq = self.next_seq();
        self.w.message(
            NFNL_MSG_BATCH_END,
            NLM_F_REQUEST,
            end_seq,
            batch_gen(),
            |_| {},
        );
        FinishedBatch {
            bytes: self.w.into_bytes(),
            first_seq: self.first_seq,
            descs: self.descs,
        }
    }
}

/// A complete batch: the bytes to send and the map from sequence numbers to descriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinishedBatch<D> {
    bytes: Vec<u8>,
    first_seq: u32,
    descs: Vec<D>,
}

impl<D> FinishedBatch<D> {
    /// The bytes to send, in one `sendmsg`.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Sequence number of `BATCH_BEGIN`.
    pub fn begin_seq(&self) -> u32 {
        self.first_seq
    }

    /// Sequence number of `BATCH_END`.
    pub fn end_seq(&self) -> u32 {
        self.first_seq
            .wrapping_add(1)
            .wrapping_add(self.descs.len() as u32)
    }

    /// The requests' descriptions, in order (request `i` has seq `begin_seq() + 1 + i`).
    pub fn descriptions(&self) -> &[D] {
        &self.descs
    }

    /// What the message with sequence number `seq` was, or `None` if not in this batch.
    pub fn part(&self, seq: u32) -> Option<BatchPart<'_, D>> {
        let off = seq.wrapping_sub(self.first_seq) as usize;
        match off {
            0 => Some(BatchPart::Begin),
            n if n <= self.descs.len() => Some(BatchPart::Message(&self.descs[n - 1])),
            n if n == self.descs.len() + 1 => Some(BatchPart::End),
            _ => None,
        }
    }

    /// The bytes alone.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The bytes and the descriptions.
    pub fn into_parts(self) -> (Vec<u8>, Vec<D>) {
        (self.bytes, self.descs)
    }
}
