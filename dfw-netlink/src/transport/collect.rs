//! Reply collectors: pure state machines fed with the datagrams the kernel sends back, one for
//! a dump (or single get) and one for a batch followed by its GETGEN fence.
//!
//! Contract: no I/O. Each `absorb` takes one received datagram (possibly several messages);
//! `is_done` says when the exchange is complete; `finish` turns what was seen into the result.
//! Replies whose seq belongs to no message of the exchange are stale and ignored.

use super::error::{KernelError, TransportError};
use super::inspect::BatchInfo;
use super::names::ERESTART;
use crate::wire::consts::{
    NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN,
    NLM_F_ACK, NLM_F_DUMP_INTR,
};
use crate::wire::{align4, done_errno, split_messages, ErrorMsg, GenMsg};

/// What a committed batch produced.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchOutcome {
    /// Seqs of the messages the kernel ACKed (those sent with `NLM_F_ACK`). An ACK alone does
    /// not mean commit; the batch committed because no message was rejected.
    pub acked: Vec<u32>,
    /// Replies to `NLM_F_ECHO` (for example a NEWRULE carrying its handle) and the NEWGEN
    /// notification that comes with them, each a complete netlink message.
    pub echoes: Vec<Vec<u8>>,
    /// The ruleset generation read right after the batch (from the fence GETGEN).
    pub generation: u32,
    /// Wall time from the batch's `sendmsg` to the fence's reply. nf_tables validates,
    /// applies and commits the whole batch synchronously inside that `sendmsg`, so this is
    /// the kernel's own time for the batch plus one GETGEN round trip (a few microseconds).
    /// Zero when the transport does not measure it (test doubles).
    pub batch_time: std::time::Duration,
}

/// Collects the replies to one dump (`NLM_F_DUMP`, ends with `NLMSG_DONE`), one single get
/// sent with `NLM_F_ACK` (ends with the ACK), or one single get sent without it (ends with its
/// one reply message or an error; see [`DumpCollector::single_reply`]).
#[derive(Debug)]
pub struct DumpCollector {
    seq: u32,
    is_dump: bool,
    single: bool,
    request_type: u16,
    messages: Vec<Vec<u8>>,
    interrupted: bool,
    error: Option<KernelError>,
    done: bool,
}

impl DumpCollector {
    /// Expects the replies to request `seq` of type `request_type`; `is_dump` when it was
    /// sent with `NLM_F_DUMP`.
    pub fn new(seq: u32, is_dump: bool, request_type: u16) -> Self {
        DumpCollector {
            seq,
            is_dump,
            single: false,
            request_type,
            messages: Vec::new(),
            interrupted: false,
            error: None,
            done: false,
        }
    }

    /// Expects the one reply message to a single get `seq` of type `request_type` sent
    /// *without* `NLM_F_ACK` (GETGEN): the kernel answers with exactly one message or an
    /// error, so no ACK needs to be read.
    pub fn single_reply(seq: u32, request_type: u16) -> Self {
        DumpCollector {
            single: true,
            ..Self::new(seq, false, request_type)
        }
    }

    /// Takes one received datagram.
    ///
    /// # Errors
    /// [`TransportError::Malformed`] for an unparseable datagram,
    /// [`TransportError::RepliesLost`] for `NLMSG_OVERRUN`.
    pub fn absorb(&mut self, datagram: &[u8]) -> Result<(), TransportError> {
        for m in split_messages(datagram) {
            let (h, body) = m?;
            if h.seq != self.seq || self.done {
                continue;
            }
            self.interrupted |= h.flags & NLM_F_DUMP_INTR != 0;
            match h.kind {
                NLMSG_NOOP => {}
                NLMSG_OVERRUN => return Err(TransportError::RepliesLost { during: "dump" }),
                NLMSG_DONE => {
                    let errno = done_errno(body);
                    if errno == libc::EINTR {
                        self.interrupted = true;
                    } else if errno != 0 {
                        self.error = Some(plain_error(self.seq, errno, self.request_type));
                    }
                    self.done = true;
                }
                NLMSG_ERROR => {
                    let e = ErrorMsg::parse(h.flags, body)?;
                    if !e.is_ack() {
                        let mut k = KernelError::from_msg(h.seq, e);
                        k.echoed = echoed_original(h.flags, body);
                        self.error = Some(k);
                        self.done = true;
                    } else if !self.is_dump {
                        self.done = true;
                    }
                }
                _ => {
                    let whole = crate::wire::NLMSG_HDRLEN + body.len();
                    let mut msg = Vec::with_capacity(align4(whole));
                    msg.extend_from_slice(&h_bytes(&h));
                    msg.extend_from_slice(body);
                    self.messages.push(msg);
                    self.done |= self.single;
                }
            }
        }
        Ok(())
    }

    /// True once the terminating DONE, ACK or error was seen.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The reply messages (each complete, header included), in arrival order.
    ///
    /// # Errors
    /// [`TransportError::Kernel`] when the kernel refused the request,
    /// [`TransportError::DumpInterrupted`] when a reply carried `NLM_F_DUMP_INTR`.
    pub fn finish(self) -> Result<Vec<Vec<u8>>, TransportError> {
        if let Some(e) = self.error {
            return Err(TransportError::Kernel(e));
        }
        if self.interrupted {
            return Err(TransportError::DumpInterrupted { seq: self.seq });
        }
        Ok(self.messages)
    }
}

/// The whole original message an uncapped `NLMSG_ERROR` carries after its errno, if it does.
fn echoed_original(flags: u16, body: &[u8]) -> Option<Vec<u8>> {
    if flags & crate::wire::consts::NLM_F_CAPPED != 0 {
        return None;
    }
    let orig = body.get(4..)?;
    let h = crate::wire::NlMsgHeader::parse(orig).ok()?;
    (h.len as usize > crate::wire::NLMSG_HDRLEN).then(|| orig[..h.len as usize].to_vec())
}

fn plain_error(seq: u32, errno: i32, kind: u16) -> KernelError {
    KernelError {
        seq,
        errno,
        msg_type: Some(kind),
        reason: None,
        bad_attr_offset: None,
        echoed: None,
    }
}

fn h_bytes(h: &crate::wire::NlMsgHeader) -> [u8; crate::wire::NLMSG_HDRLEN] {
    let mut b = [0u8; crate::wire::NLMSG_HDRLEN];
    h.emit(&mut b);
    b
}

/// Collects the replies to a batch and to the GETGEN "fence" sent right after it.
///
/// The kernel processes a batch synchronously inside `sendmsg` and queues every reply (errors,
/// requested ACKs, echoes) before `sendmsg` returns; the fence's NEWGEN reply is therefore
/// queued after all of them, so seeing it proves that every batch reply has been read.
#[derive(Debug)]
pub struct BatchCollector<'a> {
    info: &'a BatchInfo,
    fence_seq: u32,
    errors: Vec<KernelError>,
    fence_error: Option<KernelError>,
    outcome: BatchOutcome,
    generation: Option<u32>,
    done: bool,
}

impl<'a> BatchCollector<'a> {
    /// Expects the replies to the batch described by `info`, then to a GETGEN with `fence_seq`.
    pub fn new(info: &'a BatchInfo, fence_seq: u32) -> Self {
        BatchCollector {
            info,
            fence_seq,
            errors: Vec::new(),
            fence_error: None,
            outcome: BatchOutcome::default(),
            generation: None,
            done: false,
        }
    }

    /// Takes one received datagram.
    ///
    /// # Errors
    /// [`TransportError::Malformed`] for an unparseable datagram or NEWGEN,
    /// [`TransportError::RepliesLost`] for `NLMSG_OVERRUN`.
    pub fn absorb(&mut self, datagram: &[u8]) -> Result<(), TransportError> {
        for m in split_messages(datagram) {
            let (h, body) = m?;
            if self.done {
                continue;
            }
            if h.kind == NLMSG_OVERRUN {
                return Err(TransportError::RepliesLost { during: "batch" });
            }
            if h.seq == self.fence_seq {
                if GenMsg::is_newgen(&h) {
                    self.generation = Some(GenMsg::parse(body)?.id);
                    self.done = true;
                } else if h.kind == NLMSG_ERROR {
                    let e = ErrorMsg::parse(h.flags, body)?;
                    if !e.is_ack() {
                        self.fence_error = Some(KernelError::from_msg(h.seq, e));
                        self.done = true;
                    }
                }
                continue;
            }
            if self.info.find(h.seq).is_none() {
                continue;
            }
            match h.kind {
                NLMSG_NOOP | NLMSG_DONE => {}
                NLMSG_ERROR => {
                    let e = ErrorMsg::parse(h.flags, body)?;
                    if e.is_ack() {
                        self.outcome.acked.push(h.seq);
                    } else {
                        self.errors.push(KernelError::from_msg(h.seq, e));
                    }
                }
                _ => {
                    let mut msg = h_bytes(&h).to_vec();
                    msg.extend_from_slice(body);
                    self.outcome.echoes.push(msg);
                }
            }
        }
        Ok(())
    }

    /// True once the fence's reply was seen.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The batch's outcome.
    ///
    /// # Errors
    /// [`TransportError::GenerationChanged`] for `ERESTART` on BEGIN;
    /// [`TransportError::BatchRejected`] with every error otherwise reported;
    /// [`TransportError::Kernel`] when the fence itself failed;
    /// [`TransportError::UnexpectedReply`] when a message sent with `NLM_F_ACK` (other than
    /// BEGIN/END, which only Linux >= 6.10 acknowledges) got neither ACK nor error.
    pub fn finish(mut self) -> Result<BatchOutcome, TransportError> {
        let begin = self.info.begin_seq();
        if let Some(e) = self
            .errors
            .iter()
            .find(|e| e.errno == ERESTART && e.seq == begin)
        {
            return Err(TransportError::GenerationChanged {
                seq: e.seq,
                genid: self.info.genid,
            });
        }
        if !self.errors.is_empty() {
            return Err(TransportError::BatchRejected {
                errors: self.errors,
            });
        }
        if let Some(e) = self.fence_error {
            return Err(TransportError::Kernel(e));
        }
        let Some(generation) = self.generation else {
            return Err(TransportError::UnexpectedReply {
                seq: self.fence_seq,
                reason: "no NEWGEN reply to the fence",
            });
        };
        self.outcome.acked.sort_unstable();
        let unanswered = self.info.messages.iter().find(|m| {
            m.flags & NLM_F_ACK != 0
                && m.kind != NFNL_MSG_BATCH_BEGIN
                && m.kind != NFNL_MSG_BATCH_END
                && self.outcome.acked.binary_search(&m.seq).is_err()
        });
        if let Some(m) = unanswered {
            return Err(TransportError::UnexpectedReply {
                seq: m.seq,
                reason: "message sent with NLM_F_ACK got no ACK",
            });
        }
        self.outcome.generation = generation;
        Ok(self.outcome)
    }
}
