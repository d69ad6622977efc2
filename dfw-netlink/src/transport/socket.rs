//! [`NetlinkSocket`]: a bound `NETLINK_NETFILTER` socket, the only place in dfw that talks to
//! the kernel. It moves datagrams; the protocol lives in [`super::Conn`].
//!
//! Contract: the socket belongs to the network namespace of the thread that opened it. Send
//! buffers are raised (with `SO_SNDBUFFORCE` when privileged, else `SO_SNDBUF`) so one batch
//! of any size the kernel accepts goes out in one `sendmsg`; receive buffers likewise, so the
//! replies to a 100,000-message batch are not dropped. Receiving never blocks past the timeout;
//! a receive-queue overrun surfaces as `ENOBUFS`, and so does a datagram larger than the
//! receive buffer (it is gone once received; the buffer then grows for the re-read). Each
//! datagram costs one `recvfrom` into one reused buffer (a `poll` only when none is queued);
//! the buffer sizes the kernel granted are remembered, so a batch costs no `getsockopt`. Every `unsafe` block is a plain libc call on
//! the owned fd and local, correctly sized buffers.

use std::mem::{size_of, zeroed};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use super::conn::{Conn, DatagramIo};
use super::error::{last_errno, TransportError};
use super::sockopt::{get_int, kernel_addr, open_bound, raise_buffer, set_int};
use crate::wire::consts::NETLINK_NETFILTER;

/// `NETLINK_EXT_ACK`: ask for extended-ack TLVs (text reason, bad attribute offset).
const NETLINK_EXT_ACK: libc::c_int = 11;
/// `NETLINK_CAP_ACK`: errors carry only the rejected message's header, not a full copy.
const NETLINK_CAP_ACK: libc::c_int = 10;
/// Overhead `netlink_sendmsg` subtracts from the send buffer.
const SEND_SLACK: usize = 32;
/// Receive buffer budget per batch message (one error or ACK skb each, at worst).
const RCVBUF_PER_MESSAGE: usize = 1024;
/// Upper bound on the receive buffer asked for.
const RCVBUF_MAX: usize = 1 << 30;

/// A bound `NETLINK_NETFILTER` socket.
#[derive(Debug)]
pub struct NetlinkSocket {
    fd: OwnedFd,
    portid: u32,
    buf: Vec<u8>,
    recv_buffer: usize,
    /// `SO_SNDBUF` / `SO_RCVBUF` as last read back from the kernel (0: not known). Only this
    /// socket's own `setsockopt` calls change them, so a batch needs no `getsockopt`.
    sndbuf: usize,
    rcvbuf: usize,
    timeout: Duration,
    min_rcvbuf: usize,
    rcvbuf_per_message: usize,
}

impl NetlinkSocket {
    /// How long a receive waits for the kernel by default.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
    /// Size of the user-space receive buffer, allocated at the first receive and reused: twice
    /// the largest datagram Linux builds for a netlink dump (it caps dump datagrams at 32 KiB
    /// whatever the reader's buffer). A larger datagram (an uncapped error on an old kernel)
    /// is reported as lost replies (`ENOBUFS`) and the buffer grows to hold its re-read.
    pub const RECV_BUFFER: usize = 64 << 10;
    /// Receive buffer asked for at open.
    pub const MIN_RCVBUF: usize = 8 << 20;

    /// Opens and binds a socket in the calling thread's network namespace, with extended
    /// and capped ACKs enabled where the kernel supports them.
    ///
    /// # Errors
    /// [`TransportError::Sys`] when `socket`, `bind` or `getsockname` fails
    /// (`EPROTONOSUPPORT`: no nfnetlink in this kernel).
    pub fn open() -> Result<Self, TransportError> {
        Self::open_protocol(NETLINK_NETFILTER)
    }

    /// Opens and binds a `NETLINK_ROUTE` socket (rtnetlink: routes and links), as [`Self::open`]
    /// does for nfnetlink.
    ///
    /// # Errors
    /// As [`Self::open`].
    pub fn open_route() -> Result<Self, TransportError> {
        Self::open_protocol(libc::NETLINK_ROUTE)
    }

    /// Opens and binds a `NETLINK_SOCK_DIAG` socket (the socket table, as `ss` reads it), as
    /// [`Self::open`] does for nfnetlink.
    ///
    /// # Errors
    /// As [`Self::open`].
    pub fn open_sock_diag() -> Result<Self, TransportError> {
        Self::open_protocol(libc::NETLINK_SOCK_DIAG)
    }

    fn open_protocol(protocol: i32) -> Result<Self, TransportError> {
        let fd = open_bound(protocol, 0)?;
        // SAFETY: sockaddr_nl is plain old data; all-zero is a valid value.
        let mut bound: libc::sockaddr_nl = unsafe { zeroed() };
        let mut len = size_of::<libc::sockaddr_nl>() as libc::socklen_t;
        // SAFETY: `bound` and `len` are valid for writes of the sizes given.
        let rc = unsafe {
            libc::getsockname(
                fd.as_raw_fd(),
                (&mut bound as *mut libc::sockaddr_nl).cast(),
                &mut len,
            )
        };
        if rc < 0 {
            return Err(TransportError::last_os("getsockname"));
        }
        let mut s = NetlinkSocket {
            fd,
            portid: bound.nl_pid,
            buf: Vec::new(),
            recv_buffer: Self::RECV_BUFFER,
            sndbuf: 0,
            rcvbuf: 0,
            timeout: Self::DEFAULT_TIMEOUT,
            min_rcvbuf: Self::MIN_RCVBUF,
            rcvbuf_per_message: RCVBUF_PER_MESSAGE,
        };
        // Best effort: kernels before 4.12 lack EXT_ACK; errors are then just less detailed.
        let _ = s.set_int(libc::SOL_NETLINK, NETLINK_EXT_ACK, 1);
        let _ = s.set_int(libc::SOL_NETLINK, NETLINK_CAP_ACK, 1);
        s.rcvbuf = s.raise_buffer(libc::SO_RCVBUFFORCE, libc::SO_RCVBUF, Self::MIN_RCVBUF, 0)?;
        Ok(s)
    }

    /// A socket over any datagram fd with a `recv_buffer`-byte receive buffer, for tests of
    /// the receive path without a kernel.
    #[cfg(test)]
    pub(super) fn over_fd(fd: OwnedFd, recv_buffer: usize) -> Self {
        NetlinkSocket {
            fd,
            portid: 0,
            buf: Vec::new(),
            recv_buffer,
            sndbuf: 0,
            rcvbuf: 0,
            timeout: Duration::from_millis(100),
            min_rcvbuf: Self::MIN_RCVBUF,
            rcvbuf_per_message: RCVBUF_PER_MESSAGE,
        }
    }

    /// The port id the kernel gave this socket.
    pub fn portid(&self) -> u32 {
        self.portid
    }

    /// Sets how long a receive waits for the kernel.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Sets how much receive buffer a batch asks for: at least `min` bytes, and
    /// `per_message` bytes per batch message (default 8 MiB and 1 KiB: enough for an error or
    /// ACK on every message). Lowering them only matters for tests of reply loss.
    pub fn set_receive_budget(&mut self, min: usize, per_message: usize) {
        self.min_rcvbuf = min;
        self.rcvbuf_per_message = per_message;
    }

    /// Sets the kernel receive buffer to `bytes` (the kernel doubles it), lowering it if
    /// asked; for tests of reply loss.
    ///
    /// # Errors
    /// [`TransportError::Sys`] when `setsockopt` fails.
    pub fn set_receive_buffer(&mut self, bytes: usize) -> Result<(), TransportError> {
        let val = bytes.div_ceil(2).min(i32::MAX as usize / 2) as i32;
        if self
            .set_int(libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, val)
            .is_err()
        {
            self.set_int(libc::SOL_SOCKET, libc::SO_RCVBUF, val)?;
        }
        self.rcvbuf = 0;
        Ok(())
    }

    /// The send buffer size the kernel reports (`SO_SNDBUF`, already doubled by the kernel).
    ///
    /// # Errors
    /// [`TransportError::Sys`] when `getsockopt` fails.
    pub fn send_buffer(&self) -> Result<usize, TransportError> {
        self.get_int(libc::SO_SNDBUF)
    }

    /// The receive buffer size the kernel reports (`SO_RCVBUF`).
    ///
    /// # Errors
    /// [`TransportError::Sys`] when `getsockopt` fails.
    pub fn receive_buffer(&self) -> Result<usize, TransportError> {
        self.get_int(libc::SO_RCVBUF)
    }

    fn set_int(&self, level: i32, opt: i32, val: i32) -> Result<(), TransportError> {
        set_int(self.fd.as_fd(), level, opt, val)
    }

    fn get_int(&self, opt: i32) -> Result<usize, TransportError> {
        get_int(self.fd.as_fd(), opt)
    }

    fn raise_buffer(
        &self,
        force: i32,
        plain: i32,
        want: usize,
        known: usize,
    ) -> Result<usize, TransportError> {
        raise_buffer(self.fd.as_fd(), force, plain, want, known)
    }

    /// Waits until the socket is readable or `deadline` passes; false on timeout.
    fn wait_readable(&self, deadline: Instant) -> Result<bool, TransportError> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let ms = left.as_millis().min(i32::MAX as u128) as i32;
            let mut pfd = libc::pollfd {
                fd: self.fd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: `pfd` is one valid pollfd and the count passed is 1.
            let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
            match rc {
                0 => return Ok(false),
                r if r > 0 => return Ok(true),
                _ if last_errno() == libc::EINTR => continue,
                _ => return Err(TransportError::last_os("poll")),
            }
        }
    }

    /// `recvfrom` into the buffer's capacity with `MSG_DONTWAIT`: the returned size (the
    /// datagram's real size with `MSG_TRUNC`) and the sender's port id; `Ok(None)` for EAGAIN,
    /// retries EINTR. The buffer's length is left to the caller.
    fn recv_raw(&mut self, flags: i32) -> Result<Option<(usize, u32)>, TransportError> {
        // SAFETY: sockaddr_nl is plain old data; all-zero is a valid value.
        let mut addr: libc::sockaddr_nl = unsafe { zeroed() };
        loop {
            let mut alen = size_of::<libc::sockaddr_nl>() as libc::socklen_t;
            // SAFETY: `buf` is valid for writes of `buf.capacity()` bytes; `addr`/`alen` are
            // valid for writes of their sizes.
            let n = unsafe {
                libc::recvfrom(
                    self.fd.as_raw_fd(),
                    self.buf.as_mut_ptr().cast(),
                    self.buf.capacity(),
                    flags | libc::MSG_DONTWAIT,
                    (&mut addr as *mut libc::sockaddr_nl).cast(),
                    &mut alen,
                )
            };
            if n >= 0 {
                return Ok(Some((n as usize, addr.nl_pid)));
            }
            match last_errno() {
                libc::EINTR => continue,
                libc::EAGAIN => return Ok(None),
                errno => return Err(TransportError::Sys { op: "recv", errno }),
            }
        }
    }
}

impl DatagramIo for NetlinkSocket {
    /// Opens and closes a second nfnetlink socket: the kernel's netlink release notifier for
    /// nf_tables (`nft_rcv_nl_event`) runs the deferred destruction of removed rules
    /// synchronously when a bound nfnetlink socket closes, so when this returns the rules the
    /// last batch removed no longer hold references (to ipset sets, for one).
    fn settle(&mut self) -> Result<(), TransportError> {
        drop(NetlinkSocket::open()?);
        Ok(())
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        let mut addr = kernel_addr();
        let mut iov = libc::iovec {
            iov_base: bytes.as_ptr() as *mut libc::c_void,
            iov_len: bytes.len(),
        };
        // SAFETY: msghdr is plain old data; all-zero is a valid value.
        let mut msg: libc::msghdr = unsafe { zeroed() };
        msg.msg_name = (&mut addr as *mut libc::sockaddr_nl).cast();
        msg.msg_namelen = size_of::<libc::sockaddr_nl>() as libc::socklen_t;
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        loop {
            // SAFETY: `msg` points at `addr` and one iovec over `bytes`, all alive for the
            // call; the kernel only reads through them.
            let n = unsafe { libc::sendmsg(self.fd.as_raw_fd(), &msg, 0) };
            if n >= 0 {
                if n as usize != bytes.len() {
                    return Err(TransportError::Sys {
                        op: "sendmsg (short write)",
                        errno: libc::EMSGSIZE,
                    });
                }
                return Ok(());
            }
            match last_errno() {
                libc::EINTR => continue,
                libc::EMSGSIZE => {
                    return Err(TransportError::BatchTooLarge {
                        len: bytes.len(),
                        limit: self.send_buffer()?,
                    })
                }
                errno => {
                    return Err(TransportError::Sys {
                        op: "sendmsg",
                        errno,
                    })
                }
            }
        }
    }

    fn recv(&mut self, wait: bool) -> Result<Option<&[u8]>, TransportError> {
        if self.buf.capacity() < self.recv_buffer {
            // Never zero-filled: the kernel writes what is read, so untouched pages stay
            // unfaulted.
            self.buf = Vec::with_capacity(self.recv_buffer);
        }
        let deadline = Instant::now() + self.timeout;
        loop {
            // One receive per datagram: MSG_TRUNC makes the kernel return the datagram's real
            // size, so a datagram larger than the buffer is detected, never silently cut.
            let Some((n, from)) = self.recv_raw(libc::MSG_TRUNC)? else {
                if wait {
                    if !self.wait_readable(deadline)? {
                        return Ok(None);
                    }
                    continue;
                }
                return Ok(None);
            };
            if n > self.buf.capacity() {
                // Gone from the queue: grow so that the re-read the caller must do fits.
                self.recv_buffer = n;
                return Err(TransportError::Sys {
                    op: "recv (datagram larger than the receive buffer)",
                    errno: libc::ENOBUFS,
                });
            }
            if from != 0 {
                continue; // not from the kernel: ignore
            }
            // SAFETY: `recvfrom` wrote `n` bytes (n <= capacity, checked above) at the start
            // of the buffer, so they are initialized.
            unsafe { self.buf.set_len(n) };
            return Ok(Some(&self.buf));
        }
    }

    fn timeout(&self) -> Duration {
        self.timeout
    }

    fn prepare_batch(&mut self, len: usize, messages: usize) -> Result<(), TransportError> {
        let want = len + SEND_SLACK + 4096;
        let granted =
            self.raise_buffer(libc::SO_SNDBUFFORCE, libc::SO_SNDBUF, want, self.sndbuf)?;
        self.sndbuf = granted;
        if granted < len + SEND_SLACK {
            return Err(TransportError::BatchTooLarge {
                len,
                limit: granted,
            });
        }
        let rcv = messages
            .saturating_mul(self.rcvbuf_per_message)
            .clamp(self.min_rcvbuf.min(RCVBUF_MAX), RCVBUF_MAX);
        self.rcvbuf = self.raise_buffer(libc::SO_RCVBUFFORCE, libc::SO_RCVBUF, rcv, self.rcvbuf)?;
        Ok(())
    }
}

impl Conn<NetlinkSocket> {
    /// Opens a [`NetlinkSocket`] in the calling thread's network namespace and wraps it.
    ///
    /// # Errors
    /// As [`NetlinkSocket::open`].
    pub fn open() -> Result<Self, TransportError> {
        Ok(Conn::new(NetlinkSocket::open()?))
    }
}
