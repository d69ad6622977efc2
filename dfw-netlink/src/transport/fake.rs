//! Test doubles, no kernel needed: [`FakeTransport`] (a scripted [`Transport`] that records
//! what higher layers send) and [`ScriptedIo`] (a scripted kernel under the real [`super::Conn`]
//! engine, fed with recorded reply bytes), plus builders for the kernel's reply messages.
//!
//! Contract: deterministic; nothing here opens a socket.

use std::collections::VecDeque;
use std::time::Duration;

use super::collect::BatchOutcome;
use super::conn::{DatagramIo, Transport};
use super::error::TransportError;
use super::inspect::inspect_batch;
use crate::wire::consts::{
    nft_msg, NFTA_GEN_ID, NFT_MSG_NEWGEN, NLMSGERR_ATTR_MSG, NLMSG_DONE, NLMSG_ERROR,
    NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_MULTI,
};
use crate::wire::{align4, split_messages, NfGenMsg, NlMsgHeader, NlMsgWriter};

/// A scripted [`Transport`]: answers from queues, records every request and batch.
#[derive(Debug, Default)]
pub struct FakeTransport {
    /// The current generation; a batch that succeeds without a scripted result bumps it.
    pub generation: u32,
    /// Answers to [`Transport::dump`], in order; when empty, dumps return no messages.
    pub dump_replies: VecDeque<Result<Vec<Vec<u8>>, TransportError>>,
    /// Answers to [`Transport::send_batch`], in order; when empty, the batch is accepted if its
    /// genid is 0 or equals `generation` (else `GenerationChanged`), like the kernel.
    pub batch_results: VecDeque<Result<BatchOutcome, TransportError>>,
    /// Every dump request received.
    pub dump_requests: Vec<Vec<u8>>,
    /// Every batch received.
    pub sent_batches: Vec<Vec<u8>>,
}

impl Transport for FakeTransport {
    fn generation(&mut self) -> Result<u32, TransportError> {
        Ok(self.generation)
    }

    fn dump(&mut self, request: &[u8]) -> Result<Vec<Vec<u8>>, TransportError> {
        self.dump_requests.push(request.to_vec());
        self.dump_replies.pop_front().unwrap_or(Ok(Vec::new()))
    }

    fn send_batch(&mut self, batch: &[u8]) -> Result<BatchOutcome, TransportError> {
        let info = inspect_batch(batch)?;
        self.sent_batches.push(batch.to_vec());
        if let Some(r) = self.batch_results.pop_front() {
            return r;
        }
        if info.genid != 0 && info.genid != self.generation {
            return Err(TransportError::GenerationChanged {
                seq: info.begin_seq(),
                genid: info.genid,
            });
        }
        self.generation = self.generation.wrapping_add(1);
        Ok(BatchOutcome {
            generation: self.generation,
            ..BatchOutcome::default()
        })
    }
}

/// One scripted receive: a datagram, or a receive error (`errno`, e.g. `ENOBUFS`).
pub type ScriptedRecv = Result<Vec<u8>, i32>;

/// The closure behind [`ScriptedIo`]: sent datagram in, queued receives out.
pub type Responder = Box<dyn FnMut(&[u8]) -> Vec<ScriptedRecv> + Send>;

/// A scripted kernel for [`super::Conn`]: each sent datagram is handed to a responder closure
/// whose answers are queued for receiving. An empty queue reads as "nothing yet" without
/// `wait` and as a timeout with it.
pub struct ScriptedIo {
    responder: Responder,
    queue: VecDeque<ScriptedRecv>,
    current: Vec<u8>,
    /// Every datagram sent, in order.
    pub sent: Vec<Vec<u8>>,
}

impl std::fmt::Debug for ScriptedIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptedIo")
            .field("queue", &self.queue.len())
            .field("sent", &self.sent.len())
            .finish()
    }
}

impl ScriptedIo {
    /// A kernel that answers each sent datagram with `responder(datagram)`.
    pub fn new(responder: impl FnMut(&[u8]) -> Vec<ScriptedRecv> + Send + 'static) -> Self {
        ScriptedIo {
            responder: Box::new(responder),
            queue: VecDeque::new(),
            current: Vec::new(),
            sent: Vec::new(),
        }
    }

    /// Queues a receive now, before anything is sent (a stale reply, a pending error).
    pub fn preload(&mut self, item: ScriptedRecv) {
        self.queue.push_back(item);
    }
}

impl DatagramIo for ScriptedIo {
    fn send(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        self.sent.push(bytes.to_vec());
        let replies = (self.responder)(bytes);
        self.queue.extend(replies);
        Ok(())
    }

    fn recv(&mut self, _wait: bool) -> Result<Option<&[u8]>, TransportError> {
        match self.queue.pop_front() {
            None => Ok(None),
            Some(Err(errno)) => Err(TransportError::Sys { op: "recv", errno }),
            Some(Ok(d)) => {
                self.current = d;
                Ok(Some(&self.current))
            }
        }
    }

    fn timeout(&self) -> Duration {
        Duration::ZERO
    }
}

/// The headers of every message in a sent datagram (for responders).
pub fn headers(datagram: &[u8]) -> Vec<NlMsgHeader> {
    split_messages(datagram)
        .filter_map(Result::ok)
        .map(|(h, _)| h)
        .collect()
}

/// An `NLMSG_ERROR` for message `seq` of type `orig_type`, as the kernel builds it with
/// `NETLINK_CAP_ACK` and `NETLINK_EXT_ACK`: `errno` 0 is an ACK; `reason` adds
/// `NLMSGERR_ATTR_MSG`.
pub fn error_reply(seq: u32, errno: i32, orig_type: u16, reason: Option<&str>) -> Vec<u8> {
    let mut v = Vec::with_capacity(64);
    let flags = NLM_F_CAPPED | if reason.is_some() { NLM_F_ACK_TLVS } else { 0 };
    let hdr = |len: u32, kind: u16, flags: u16, pid: u32| NlMsgHeader {
        len,
        kind,
        flags,
        seq,
        pid,
    };
    v.resize(16, 0);
    v.extend_from_slice(&(-errno).to_ne_bytes());
    let mut orig = [0u8; 16];
    hdr(16, orig_type, 1, 0).emit(&mut orig);
    v.extend_from_slice(&orig);
    if let Some(r) = reason {
        v.extend_from_slice(&((4 + r.len() + 1) as u16).to_ne_bytes());
        v.extend_from_slice(&NLMSGERR_ATTR_MSG.to_ne_bytes());
        v.extend_from_slice(r.as_bytes());
        v.push(0);
        v.resize(align4(v.len()), 0);
    }
    let len = v.len() as u32;
    hdr(len, NLMSG_ERROR, flags, 1).emit(&mut v[..16]);
    v
}

/// A NEWGEN reply with `genid` for request `seq`.
pub fn newgen_reply(seq: u32, genid: u32) -> Vec<u8> {
    let mut w = NlMsgWriter::new();
    w.message(nft_msg(NFT_MSG_NEWGEN), 0, seq, NfGenMsg::default(), |a| {
        a.u32_be(NFTA_GEN_ID, genid);
    });
    w.into_bytes()
}

/// An `NLMSG_DONE` ending dump `seq`, with `flags` (e.g. `NLM_F_DUMP_INTR`).
pub fn done_reply(seq: u32, flags: u16) -> Vec<u8> {
    let mut v = vec![0u8; 16];
    NlMsgHeader {
        len: 20,
        kind: NLMSG_DONE,
        flags: flags | NLM_F_MULTI,
        seq,
        pid: 1,
    }
    .emit(&mut v);
    v.extend_from_slice(&0i32.to_ne_bytes());
    v
}
