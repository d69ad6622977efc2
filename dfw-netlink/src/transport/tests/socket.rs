//! The socket's receive path over a Unix datagram pair (no kernel netlink needed): one
//! receive per datagram, and a datagram larger than the buffer is reported, never cut.

use std::os::fd::{FromRawFd, OwnedFd};

use super::conn::DatagramIo;
use super::*;

/// A connected pair of Unix datagram sockets.
fn pair() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: `fds` is valid for two c_ints; the result is checked.
    let rc = unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_DGRAM, 0, fds.as_mut_ptr()) };
    assert_eq!(rc, 0, "socketpair");
    // SAFETY: both fds are fresh and owned by nothing else.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

fn send(fd: &OwnedFd, bytes: &[u8]) {
    use std::os::fd::AsRawFd;
    // SAFETY: `bytes` is valid for reads of its length.
    let n = unsafe { libc::send(fd.as_raw_fd(), bytes.as_ptr().cast(), bytes.len(), 0) };
    assert_eq!(n, bytes.len() as isize);
}

#[test]
fn datagrams_arrive_whole_and_nothing_queued_reads_as_none() {
    let (a, b) = pair();
    let mut s = NetlinkSocket::over_fd(a, 64);
    assert!(s.recv(false).unwrap().is_none());
    send(&b, &[1; 64]);
    send(&b, &[2; 3]);
    assert_eq!(s.recv(true).unwrap().unwrap(), &[1; 64]);
    assert_eq!(s.recv(false).unwrap().unwrap(), &[2; 3]);
    assert!(
        s.recv(true).unwrap().is_none(),
        "times out with nothing queued"
    );
}

#[test]
fn a_datagram_larger_than_the_buffer_is_lost_replies_and_the_buffer_grows() {
    let (a, b) = pair();
    let mut s = NetlinkSocket::over_fd(a, 16);
    send(&b, &[7; 40]);
    send(&b, &[8; 40]);
    let err = s.recv(true).unwrap_err();
    assert!(
        matches!(err, TransportError::Sys { errno, .. } if errno == libc::ENOBUFS),
        "{err:?}"
    );
    assert_eq!(s.recv(true).unwrap().unwrap(), &[8; 40], "re-read fits");
}
