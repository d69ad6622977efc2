//! What the netlink sockets (the request socket and the event socket) share: opening and
//! binding one, and socket options of one `c_int` (set, read, raise a buffer size).
//!
//! Contract: plain libc calls on a fresh or a borrowed, open fd with local, correctly sized
//! values.

use std::mem::{size_of, zeroed};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use super::error::TransportError;

/// The kernel's netlink address (port 0), also the address a socket binds to so that the
/// kernel assigns its port id.
pub(super) fn kernel_addr() -> libc::sockaddr_nl {
    // SAFETY: sockaddr_nl is plain old data; all-zero is a valid value.
    let mut a: libc::sockaddr_nl = unsafe { zeroed() };
    a.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    a
}

/// A new `AF_NETLINK` socket of `protocol` (`flags` added to `SOCK_RAW | SOCK_CLOEXEC`),
/// bound with a port id the kernel assigns.
///
/// # Errors
/// [`TransportError::Sys`] when `socket` or `bind` fails.
pub(super) fn open_bound(protocol: i32, flags: i32) -> Result<OwnedFd, TransportError> {
    // SAFETY: plain syscall with constant arguments; the result is checked below.
    let raw = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC | flags,
            protocol,
        )
    };
    if raw < 0 {
        return Err(TransportError::last_os("socket"));
    }
    // SAFETY: `raw` is a fresh, valid fd that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    let addr = kernel_addr();
    // SAFETY: `addr` is a valid sockaddr_nl and the length passed is its size.
    let rc = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&addr as *const libc::sockaddr_nl).cast(),
            size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(TransportError::last_os("bind"));
    }
    Ok(fd)
}

/// `setsockopt` of one `c_int`.
///
/// # Errors
/// [`TransportError::Sys`] when `setsockopt` fails.
pub(super) fn set_int(
    fd: BorrowedFd<'_>,
    level: i32,
    opt: i32,
    val: i32,
) -> Result<(), TransportError> {
    // SAFETY: `val` is a valid c_int and the length passed is its size; `fd` is open.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            opt,
            (&val as *const i32).cast(),
            size_of::<i32>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(TransportError::last_os("setsockopt"));
    }
    Ok(())
}

/// `getsockopt(SOL_SOCKET, opt)` of one `c_int`, as a size.
///
/// # Errors
/// [`TransportError::Sys`] when `getsockopt` fails.
pub(super) fn get_int(fd: BorrowedFd<'_>, opt: i32) -> Result<usize, TransportError> {
    let mut val: i32 = 0;
    let mut len = size_of::<i32>() as libc::socklen_t;
    // SAFETY: `val` and `len` are valid for writes of the sizes given; `fd` is open.
    let rc = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            opt,
            (&mut val as *mut i32).cast(),
            &mut len,
        )
    };
    if rc < 0 {
        return Err(TransportError::last_os("getsockopt"));
    }
    Ok(val.max(0) as usize)
}

/// Raises a socket buffer to at least `want` bytes if it is smaller: the `force` option
/// (needs CAP_NET_ADMIN) first, then the capped `plain` one. `known` is its size as last
/// read back (0: unknown, read it). Returns the size granted.
///
/// # Errors
/// [`TransportError::Sys`] when `getsockopt` or the plain `setsockopt` fails.
pub(super) fn raise_buffer(
    fd: BorrowedFd<'_>,
    force: i32,
    plain: i32,
    want: usize,
    known: usize,
) -> Result<usize, TransportError> {
    let have = if known == 0 {
        get_int(fd, plain)?
    } else {
        known
    };
    if have >= want {
        return Ok(have);
    }
    // The kernel doubles the value it is given (bookkeeping overhead).
    let val = want.div_ceil(2).min(i32::MAX as usize / 2) as i32;
    if set_int(fd, libc::SOL_SOCKET, force, val).is_err() {
        set_int(fd, libc::SOL_SOCKET, plain, val)?;
    }
    get_int(fd, plain)
}
