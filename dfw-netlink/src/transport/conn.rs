//! The protocol engine: the [`Transport`] trait and [`Conn`], which implements it over any
//! datagram I/O ([`DatagramIo`]): the real [`super::NetlinkSocket`], or a recorded/scripted
//! kernel in tests.
//!
//! Contract: every exchange first discards stale queued replies (unless the previous exchange
//! ran to its provable end, which leaves nothing queued), then sends (a batch in exactly one
//! datagram, i.e. one `sendmsg`), then reads until the exchange is provably complete, or a
//! timeout, never longer. Replies are matched by sequence number. GETGEN is sent without
//! `NLM_F_ACK`: its NEWGEN (or an error) ends it, as for the batch fence.

use std::time::Duration;

use super::collect::{BatchCollector, BatchOutcome, DumpCollector};
use super::error::{BadShape, TransportError};
use super::inspect::inspect_batch;
use crate::wire::consts::{nft_msg, NFT_MSG_GETGEN, NLM_F_ACK, NLM_F_DUMP};
use crate::wire::{getgen_request, split_messages, GenMsg, NlMsgHeader};

/// What dfw needs from the kernel's nf_tables netlink interface. Implemented by [`Conn`];
/// higher layers take `&mut impl Transport` so they can be tested against recorded bytes.
pub trait Transport {
    /// Reads the current ruleset generation id (`NFT_MSG_GETGEN`).
    ///
    /// # Errors
    /// Any [`TransportError`]; [`TransportError::Kernel`] if the kernel refuses.
    fn generation(&mut self) -> Result<u32, TransportError>;

    /// Sends one request and returns every reply message (complete, header included).
    /// With `NLM_F_DUMP` in its flags, reads the multipart reply until `NLMSG_DONE`; without,
    /// sends it with `NLM_F_ACK` added and reads until the ACK (a single get). The request's
    /// seq is replaced by the transport's own.
    ///
    /// # Errors
    /// [`TransportError::DumpInterrupted`] (retryable) when the ruleset changed during the
    /// dump; [`TransportError::Kernel`] when the kernel refused the request;
    /// [`TransportError::InvalidRequest`] when `request` is not exactly one message.
    fn dump(&mut self, request: &[u8]) -> Result<Vec<Vec<u8>>, TransportError>;

    /// Sends a complete batch (BEGIN ... END, see [`crate::nft::Batch`]) in one `sendmsg` and
    /// reports whether the kernel committed it.
    ///
    /// # Errors
    /// [`TransportError::GenerationChanged`] when BEGIN's genid was stale (retryable);
    /// [`TransportError::BatchRejected`] with the seq and errno of every rejected message
    /// (nothing was committed); [`TransportError::RepliesLost`] when replies were dropped, so
    /// the outcome is unknown; [`TransportError::InvalidBatch`] for a malformed batch.
    fn send_batch(&mut self, batch: &[u8]) -> Result<BatchOutcome, TransportError>;

    /// Waits until the kernel has released what the last committed batch removed (nf_tables
    /// frees deleted rules, and the references their xt matches hold on ipset sets, in
    /// deferred work). Test doubles have nothing to wait for.
    ///
    /// # Errors
    /// [`TransportError::Sys`] when the socket that triggers the release cannot be opened.
    fn settle(&mut self) -> Result<(), TransportError> {
        Ok(())
    }
}

/// Datagram I/O under [`Conn`]: one netlink datagram in, one out.
pub trait DatagramIo {
    /// Sends `bytes` as one datagram (one `sendmsg`).
    ///
    /// # Errors
    /// [`TransportError::Sys`] or [`TransportError::BatchTooLarge`].
    fn send(&mut self, bytes: &[u8]) -> Result<(), TransportError>;

    /// Receives one datagram. Without `wait`, returns `Ok(None)` when nothing is queued; with
    /// `wait`, waits up to [`DatagramIo::timeout`] and returns `Ok(None)` when it expires.
    ///
    /// # Errors
    /// [`TransportError::Sys`]; `errno` `ENOBUFS` means replies were dropped.
    fn recv(&mut self, wait: bool) -> Result<Option<&[u8]>, TransportError>;

    /// How long [`DatagramIo::recv`] waits.
    fn timeout(&self) -> Duration;

    /// See [`Transport::settle`]; nothing by default.
    ///
    /// # Errors
    /// [`TransportError::Sys`].
    fn settle(&mut self) -> Result<(), TransportError> {
        Ok(())
    }

    /// Sizes the socket buffers for a batch of `len` bytes holding `messages` messages.
    ///
    /// # Errors
    /// [`TransportError::BatchTooLarge`] when the send buffer cannot hold it.
    fn prepare_batch(&mut self, _len: usize, _messages: usize) -> Result<(), TransportError> {
        Ok(())
    }
}

/// The nf_tables protocol over a [`DatagramIo`].
#[derive(Debug)]
pub struct Conn<I> {
    io: I,
    seq: u32,
    /// True when the last exchange read everything it caused, so nothing stale is queued.
    clean: bool,
}

impl<I: DatagramIo> Conn<I> {
    /// Wraps `io`; sequence numbers start at 1.
    pub fn new(io: I) -> Self {
        Conn {
            io,
            seq: 1,
            clean: false,
        }
    }

    /// The underlying I/O.
    pub fn io(&self) -> &I {
        &self.io
    }

    /// The underlying I/O, mutably (for example to change its timeout).
    pub fn io_mut(&mut self) -> &mut I {
        &mut self.io
    }

    /// Reserves `n` consecutive sequence numbers and returns the first (never 0), for a
    /// caller building a batch.
    pub fn alloc_seqs(&mut self, n: u32) -> u32 {
        if self.seq == 0 || self.seq.checked_add(n).is_none() {
            self.seq = 1;
        }
        let first = self.seq;
        self.seq += n;
        first
    }

    /// Discards replies left over from an earlier, abandoned exchange (none after an exchange
    /// that completed). Marks the connection busy until [`Conn::completed`].
    fn drain(&mut self) -> Result<(), TransportError> {
        if std::mem::take(&mut self.clean) {
            return Ok(());
        }
        loop {
            match self.io.recv(false) {
                Ok(Some(_)) => {}
                Ok(None) => return Ok(()),
                Err(TransportError::Sys { errno, .. }) if errno == libc::ENOBUFS => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Records that the current exchange read up to its provable end.
    fn completed(&mut self) {
        self.clean = true;
    }

    /// Receives one datagram for the exchange `seq`, mapping timeout and ENOBUFS.
    fn next(&mut self, seq: u32, during: &'static str) -> Result<&[u8], TransportError> {
        let timeout = self.io.timeout();
        match self.io.recv(true) {
            Ok(Some(d)) => Ok(d),
            Ok(None) => Err(TransportError::Timeout { seq, timeout }),
            Err(TransportError::Sys { errno, .. }) if errno == libc::ENOBUFS => {
                Err(TransportError::RepliesLost { during })
            }
            Err(e) => Err(e),
        }
    }
}

impl<I: DatagramIo> Transport for Conn<I> {
    fn generation(&mut self) -> Result<u32, TransportError> {
        let seq = self.alloc_seqs(1);
        self.drain()?;
        self.io.send(&getgen_request(seq))?;
        let mut c = DumpCollector::single_reply(seq, nft_msg(NFT_MSG_GETGEN));
        while !c.is_done() {
            let d = self.next(seq, "request")?;
            c.absorb(d)?;
        }
        self.completed();
        for m in c.finish()? {
            if let Some(Ok((h, body))) = split_messages(&m).next() {
                if GenMsg::is_newgen(&h) {
                    return Ok(GenMsg::parse(body)?.id);
                }
            }
        }
        Err(TransportError::UnexpectedReply {
            seq,
            reason: "GETGEN answered without NEWGEN",
        })
    }

    fn dump(&mut self, request: &[u8]) -> Result<Vec<Vec<u8>>, TransportError> {
        Ok(self.exchange(request)?.1)
    }

    fn send_batch(&mut self, batch: &[u8]) -> Result<BatchOutcome, TransportError> {
        let info = inspect_batch(batch)?;
        self.drain()?;
        self.io.prepare_batch(batch.len(), info.messages.len())?;
        let start = std::time::Instant::now();
        self.io.send(batch)?;
        let fence = info.unused_seq();
        self.io.send(&getgen_request(fence))?;
        let mut c = BatchCollector::new(&info, fence);
        while !c.is_done() {
            let d = self.next(fence, "batch")?;
            c.absorb(d)?;
        }
        self.completed();
        let mut outcome = c.finish()?;
        outcome.batch_time = start.elapsed();
        Ok(outcome)
    }

    fn settle(&mut self) -> Result<(), TransportError> {
        self.io.settle()
    }
}

impl<I: DatagramIo> Conn<I> {
    /// [`Transport::dump`], also returning the seq the request was sent with.
    fn exchange(&mut self, request: &[u8]) -> Result<(u32, Vec<Vec<u8>>), TransportError> {
        let hdr = NlMsgHeader::parse(request).map_err(|source| {
            invalid_request(BadShape::Framing {
                at: "request",
                source,
            })
        })?;
        if hdr.len as usize != request.len() {
            return Err(invalid_request(BadShape::NotOneMessage));
        }
        let is_dump = hdr.flags & NLM_F_DUMP == NLM_F_DUMP;
        let seq = self.alloc_seqs(1);
        let mut req = request.to_vec();
        let flags = if is_dump {
            hdr.flags
        } else {
            hdr.flags | NLM_F_ACK
        };
        req[6..8].copy_from_slice(&flags.to_ne_bytes());
        req[8..12].copy_from_slice(&seq.to_ne_bytes());
        self.drain()?;
        self.io.send(&req)?;
        let mut c = DumpCollector::new(seq, is_dump, hdr.kind);
        let during = if is_dump { "dump" } else { "request" };
        while !c.is_done() {
            let d = self.next(seq, during)?;
            c.absorb(d)?;
        }
        self.completed();
        Ok((seq, c.finish()?))
    }
}

fn invalid_request(reason: BadShape) -> TransportError {
    TransportError::InvalidRequest { reason }
}
