//! A TCP connect from a chosen source address with a deadline (std's `TcpStream` cannot bind
//! before connecting). Every `unsafe` block is one libc call on the owned fd with a correctly
//! sized `sockaddr` or buffer built here.
//!
//! Why `IP_RECVERR`/`IPV6_RECVERR`: over veth, the whole exchange (SYN out, the peer's ICMP
//! error back) often runs in the softirq that `connect()` itself triggers, while the socket is
//! still locked by the connecting task; the kernel then records the ICMP error only as a *soft*
//! error (`TcpExtLockDroppedIcmps`) and keeps retrying the SYN, so the connect would time out.
//! With `RECVERR` set, the error is also queued on the socket's error queue (poll reports
//! `POLLERR`), and this module reads its errno from there.

use std::mem::{size_of, zeroed};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// Connects from `src` (any port) to `dst` within `timeout`, in the calling thread's network
/// namespace. A timeout is `ErrorKind::TimedOut`; a refusal is the socket error the kernel
/// reported (`ECONNREFUSED`, `EHOSTUNREACH`, ...).
pub(crate) fn tcp_connect_from(
    src: IpAddr,
    dst: SocketAddr,
    timeout: Duration,
) -> std::io::Result<TcpStream> {
    let domain = match dst {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    };
    // SAFETY: plain syscall with constant arguments; the result is checked.
    let raw = unsafe {
        libc::socket(
            domain,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
            0,
        )
    };
    if raw < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `raw` is a fresh, valid fd owned by nobody else.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    let (level, opt) = match dst {
        SocketAddr::V4(_) => (libc::SOL_IP, libc::IP_RECVERR),
        SocketAddr::V6(_) => (libc::SOL_IPV6, libc::IPV6_RECVERR),
    };
    set_int(&fd, level, opt, 1)?;
    let (local, llen) = sockaddr(SocketAddr::new(src, 0));
    // SAFETY: `local` is a sockaddr_storage holding a valid sockaddr of length `llen`.
    if unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&local as *const libc::sockaddr_storage).cast(),
            llen,
        )
    } < 0
    {
        return Err(std::io::Error::last_os_error());
    }
    let (remote, rlen) = sockaddr(dst);
    // SAFETY: as for bind.
    let rc = unsafe {
        libc::connect(
            fd.as_raw_fd(),
            (&remote as *const libc::sockaddr_storage).cast(),
            rlen,
        )
    };
    if rc < 0 {
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINPROGRESS) {
            return Err(e);
        }
        let revents = wait_writable(&fd, Instant::now() + timeout)?;
        let err = socket_error(&fd)?;
        if err != 0 {
            return Err(std::io::Error::from_raw_os_error(err));
        }
        if revents & libc::POLLOUT == 0 {
            // A soft ICMP error: take its errno from the error queue.
            let err = queued_error(&fd)?.unwrap_or(libc::EHOSTUNREACH);
            return Err(std::io::Error::from_raw_os_error(err));
        }
    }
    let stream = TcpStream::from(fd);
    stream.set_nonblocking(false)?;
    Ok(stream)
}

/// A `sockaddr_in`/`sockaddr_in6` for `addr` in a `sockaddr_storage`, with its length.
fn sockaddr(addr: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain old data; all-zero is a valid value.
    let mut ss: libc::sockaddr_storage = unsafe { zeroed() };
    match addr {
        SocketAddr::V4(a) => {
            // SAFETY: sockaddr_in is plain old data; all-zero is a valid value.
            let mut sin: libc::sockaddr_in = unsafe { zeroed() };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_port = a.port().to_be();
            sin.sin_addr.s_addr = u32::from_ne_bytes(a.ip().octets());
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
            unsafe { std::ptr::write((&mut ss as *mut libc::sockaddr_storage).cast(), sin) };
            (ss, size_of::<libc::sockaddr_in>() as libc::socklen_t)
        }
        SocketAddr::V6(a) => {
            // SAFETY: sockaddr_in6 is plain old data; all-zero is a valid value.
            let mut sin6: libc::sockaddr_in6 = unsafe { zeroed() };
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sin6.sin6_port = a.port().to_be();
            sin6.sin6_addr.s6_addr = a.ip().octets();
            sin6.sin6_scope_id = a.scope_id();
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in6.
            unsafe { std::ptr::write((&mut ss as *mut libc::sockaddr_storage).cast(), sin6) };
            (ss, size_of::<libc::sockaddr_in6>() as libc::socklen_t)
        }
    }
}

/// Waits until the connecting socket is writable (connected or failed) or has a queued error,
/// or `deadline` passes; returns the poll events.
fn wait_writable(fd: &OwnedFd, deadline: Instant) -> std::io::Result<libc::c_short> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let ms = left.as_millis().min(i32::MAX as u128) as i32;
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLOUT,
            revents: 0,
        };
        // SAFETY: `pfd` is one valid pollfd and the count passed is 1.
        let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
        match rc {
            0 => return Err(std::io::ErrorKind::TimedOut.into()),
            r if r > 0 => return Ok(pfd.revents),
            _ => {
                let e = std::io::Error::last_os_error();
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
}

/// `SO_ERROR`: the pending error of a non-blocking connect (0 when connected).
fn socket_error(fd: &OwnedFd) -> std::io::Result<i32> {
    let mut val: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `val` and `len` are valid for writes of the sizes given.
    let rc = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            (&mut val as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    if rc < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(val)
}

fn set_int(
    fd: &OwnedFd,
    level: libc::c_int,
    opt: libc::c_int,
    val: libc::c_int,
) -> std::io::Result<()> {
    // SAFETY: `val` is a valid c_int and the length passed is its size.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            opt,
            (&val as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// The errno of the first `sock_extended_err` on the socket's error queue, if any.
fn queued_error(fd: &OwnedFd) -> std::io::Result<Option<i32>> {
    let mut data = [0u8; 512];
    let mut control = [0u64; 64];
    let mut iov = libc::iovec {
        iov_base: data.as_mut_ptr().cast(),
        iov_len: data.len(),
    };
    // SAFETY: msghdr is plain old data; all-zero is a valid value.
    let mut msg: libc::msghdr = unsafe { zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control) as _;
    // SAFETY: `msg` points at `iov` over `data` and at `control`, both alive and of the sizes
    // given, for the duration of the call.
    let n = unsafe {
        libc::recvmsg(
            fd.as_raw_fd(),
            &mut msg,
            libc::MSG_ERRQUEUE | libc::MSG_DONTWAIT,
        )
    };
    if n < 0 {
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EAGAIN) {
            return Ok(None);
        }
        return Err(e);
    }
    let len = (msg.msg_controllen as usize).min(std::mem::size_of_val(&control));
    let bytes: Vec<u8> = control
        .iter()
        .flat_map(|w| w.to_ne_bytes())
        .take(len)
        .collect();
    Ok(extended_errno(&bytes))
}

/// Walks a control buffer (`struct cmsghdr` records) for an `IP_RECVERR`/`IPV6_RECVERR`
/// message and returns its `ee_errno`.
fn extended_errno(mut buf: &[u8]) -> Option<i32> {
    const WORD: usize = size_of::<usize>();
    let hdr = size_of::<libc::cmsghdr>();
    while buf.len() >= hdr {
        let len = usize::from_ne_bytes(buf[..WORD].try_into().ok()?);
        let level = i32::from_ne_bytes(buf[WORD..WORD + 4].try_into().ok()?);
        let kind = i32::from_ne_bytes(buf[WORD + 4..WORD + 8].try_into().ok()?);
        if len < hdr || len > buf.len() {
            return None;
        }
        let recverr = (level == libc::SOL_IP && kind == libc::IP_RECVERR)
            || (level == libc::SOL_IPV6 && kind == libc::IPV6_RECVERR);
        if recverr && len >= hdr + 4 {
            return Some(u32::from_ne_bytes(buf[hdr..hdr + 4].try_into().ok()?) as i32);
        }
        buf = &buf[len.next_multiple_of(WORD).min(buf.len())..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_errno_of_a_recverr_message() {
        let mut buf = Vec::new();
        let hdr = size_of::<libc::cmsghdr>();
        // An unrelated cmsg first, then IPV6_RECVERR with ee_errno EACCES.
        buf.extend_from_slice(&(hdr + 4).to_ne_bytes());
        buf.extend_from_slice(&libc::SOL_SOCKET.to_ne_bytes());
        buf.extend_from_slice(&1i32.to_ne_bytes());
        buf.extend_from_slice(&[0; 8]);
        buf.extend_from_slice(&(hdr + 16).to_ne_bytes());
        buf.extend_from_slice(&libc::SOL_IPV6.to_ne_bytes());
        buf.extend_from_slice(&libc::IPV6_RECVERR.to_ne_bytes());
        buf.extend_from_slice(&(libc::EACCES as u32).to_ne_bytes());
        buf.extend_from_slice(&[0; 12]);
        assert_eq!(extended_errno(&buf), Some(libc::EACCES));
        assert_eq!(extended_errno(&buf[..hdr + 2]), None);
        assert_eq!(extended_errno(&[0xff; 40]), None);
    }
}
