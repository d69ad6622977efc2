//! [`EventSocket`]: a `NETLINK_NETFILTER` socket subscribed to the `NFNLGRP_NFTABLES`
//! multicast group, on which the kernel announces every committed nf_tables change
//! (NEWRULE/DELRULE, NEWCHAIN/DELCHAIN, NEWTABLE/DELTABLE, then NEWGEN per batch).
//!
//! Contract: the socket belongs to the network namespace of the thread that opened it and
//! never blocks: [`EventSocket::recv`] returns what is queued now, and the caller waits with
//! `poll` on [`EventSocket::fd`]. When the kernel had to drop events because the receive
//! queue was full, the next receive says [`EventRecv::Lost`] once (`ENOBUFS`), and the
//! caller must re-read the state it cares about. Every `unsafe` block is a plain libc call
//! on the owned fd and local, correctly sized buffers.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use super::error::{last_errno, TransportError};
use super::sockopt::open_bound;
use crate::wire::consts::NETLINK_NETFILTER;

/// `NFNLGRP_NFTABLES`: the nfnetlink multicast group of nf_tables changes.
pub const NFNLGRP_NFTABLES: u32 = 7;

/// What one non-blocking receive found.
#[derive(Debug, PartialEq, Eq)]
pub enum EventRecv<'a> {
    /// One datagram (one or more netlink messages) from the kernel.
    Datagram(&'a [u8]),
    /// Nothing queued.
    Empty,
    /// The kernel dropped events (`ENOBUFS`), or one did not fit the buffer: the state must
    /// be re-read.
    Lost,
}

/// A netlink socket subscribed to nf_tables change events.
#[derive(Debug)]
pub struct EventSocket {
    fd: OwnedFd,
    buf: Vec<u8>,
}

impl EventSocket {
    /// Receive buffer asked for at open (a full `iptables-restore` of a big ruleset fits).
    pub const RCVBUF: usize = 8 << 20;

    /// Opens a socket in the calling thread's network namespace and joins
    /// [`NFNLGRP_NFTABLES`].
    ///
    /// # Errors
    /// [`TransportError::Sys`] when `socket`, `bind` or `setsockopt` fails.
    pub fn open() -> Result<Self, TransportError> {
        let fd = open_bound(NETLINK_NETFILTER, libc::SOCK_NONBLOCK)?;
        let s = EventSocket {
            fd,
            buf: vec![0; 1 << 16],
        };
        s.set_int(
            libc::SOL_NETLINK,
            libc::NETLINK_ADD_MEMBERSHIP,
            NFNLGRP_NFTABLES as i32,
        )?;
        s.set_receive_buffer(Self::RCVBUF)?;
        Ok(s)
    }

    /// Sets the kernel receive buffer to `bytes` (the kernel doubles it); small values make
    /// event loss ([`EventRecv::Lost`]) easy to provoke in tests.
    ///
    /// # Errors
    /// [`TransportError::Sys`] when `setsockopt` fails.
    pub fn set_receive_buffer(&self, bytes: usize) -> Result<(), TransportError> {
        let val = bytes.div_ceil(2).min(i32::MAX as usize / 2) as i32;
        if self
            .set_int(libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, val)
            .is_err()
        {
            self.set_int(libc::SOL_SOCKET, libc::SO_RCVBUF, val)?;
        }
        Ok(())
    }

    /// The fd to `poll` for `POLLIN`.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Takes one queued datagram without waiting (see [`EventRecv`]).
    ///
    /// # Errors
    /// [`TransportError::Sys`] for any other receive error.
    pub fn recv(&mut self) -> Result<EventRecv<'_>, TransportError> {
        loop {
            // One receive; MSG_TRUNC makes it return the datagram's real size. A datagram
            // larger than the buffer (never seen: an event is one object) is reported as
            // lost, so the caller checks everything, and the buffer grows for the next one.
            // SAFETY: `buf` is valid for writes of `buf.len()` bytes.
            let n = unsafe {
                libc::recv(
                    self.fd.as_raw_fd(),
                    self.buf.as_mut_ptr().cast(),
                    self.buf.len(),
                    libc::MSG_TRUNC | libc::MSG_DONTWAIT,
                )
            };
            if n < 0 {
                return match last_errno() {
                    libc::EINTR => continue,
                    libc::EAGAIN => Ok(EventRecv::Empty),
                    libc::ENOBUFS => Ok(EventRecv::Lost),
                    errno => Err(TransportError::Sys { op: "recv", errno }),
                };
            }
            let n = n as usize;
            if n > self.buf.len() {
                self.buf.resize(n, 0);
                return Ok(EventRecv::Lost);
            }
            return Ok(EventRecv::Datagram(&self.buf[..n]));
        }
    }

    fn set_int(&self, level: i32, opt: i32, val: i32) -> Result<(), TransportError> {
        super::sockopt::set_int(self.fd.as_fd(), level, opt, val)
    }
}
