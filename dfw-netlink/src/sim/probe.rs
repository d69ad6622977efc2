//! Probes: one real TCP connection or UDP exchange from a chosen source address inside a
//! namespace, classified as [`Probe::Open`], [`Probe::Refused`] or [`Probe::TimedOut`].
//!
//! Contract: see [`Probe`] for how errors map to outcomes.

use std::io::Read;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use super::error::SimError;
use super::netns::NetNs;
use super::sock::tcp_connect_from;
use super::topology::Side;

/// The outcome of a probe.
///
/// How errors map to outcomes:
/// - TCP: `Open` when the handshake completes; `Refused` when the connect fails with
///   `ECONNREFUSED` (a TCP RST, from a closed port or `REJECT --reject-with tcp-reset`, or
///   ICMP port unreachable), `EHOSTUNREACH` / `ENETUNREACH` (ICMP host or net unreachable, and
///   `icmp-host-prohibited` / `icmp-admin-prohibited`, which Linux reports the same way),
///   `EACCES` (ICMPv6 administratively prohibited: `icmp6-adm-prohibited`) or `EPERM` (a
///   local netfilter drop in the probing namespace's own OUTPUT); `TimedOut` when nothing
///   answers within the timeout (a DROP somewhere on the path). ICMP errors are read from the
///   socket's error queue too (`IP_RECVERR`), so one that the kernel records only as a soft
///   error (it arrived while `connect()` held the socket) still counts.
/// - UDP: the probe connects its socket (so ICMP errors are reported to it), sends one
///   datagram and waits for the server's answer: `Open` on an answer, `Refused` on the same
///   errnos as TCP, `TimedOut` otherwise.
/// - Any other failure (for example `EADDRNOTAVAIL`: the source is not an address of the
///   namespace) is a [`SimError::Socket`], not a probe outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Probe {
    /// The connection was established (TCP) or answered (UDP).
    Open,
    /// Actively refused: a TCP RST or an ICMP error.
    Refused,
    /// No answer within the timeout.
    TimedOut,
}

impl std::fmt::Display for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Probe::Open => "open",
            Probe::Refused => "refused",
            Probe::TimedOut => "timed out",
        })
    }
}

/// A transport protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proto {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl std::fmt::Display for Proto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        })
    }
}

/// What a server said: its service name and the source address it saw (after any NAT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    /// The service that answered (`web`, `db`, `host-ssh`, `internet-https`, ...).
    pub service: String,
    /// The peer address the server saw.
    pub peer: IpAddr,
}

/// One probe to run: from where, from which source address, to where, over what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Check {
    /// The namespace the probe starts in.
    pub from: Side,
    /// The source address (must be an address of `from`).
    pub src: IpAddr,
    /// TCP or UDP.
    pub proto: Proto,
    /// The destination.
    pub dst: SocketAddr,
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} -> {}/{}",
            self.from, self.src, self.dst, self.proto
        )
    }
}

/// Classifies an I/O error of a probe: a refusal, a timeout, or a real failure.
fn classify(e: std::io::Error) -> Result<Probe, std::io::Error> {
    match e.raw_os_error() {
        Some(
            libc::ECONNREFUSED
            | libc::EHOSTUNREACH
            | libc::ENETUNREACH
            | libc::EACCES
            | libc::EPERM,
        ) => Ok(Probe::Refused),
        Some(libc::ETIMEDOUT | libc::EAGAIN) => Ok(Probe::TimedOut),
        _ if e.kind() == std::io::ErrorKind::TimedOut
            || e.kind() == std::io::ErrorKind::WouldBlock =>
        {
            Ok(Probe::TimedOut)
        }
        _ => Err(e),
    }
}

fn sock_err(ns: &NetNs, what: String) -> impl FnOnce(std::io::Error) -> SimError + '_ {
    move |source| SimError::Socket {
        ns: ns.label().into(),
        what,
        source,
    }
}

/// Connects over TCP from `src` to `dst` inside `ns` (see the module contract).
///
/// # Errors
/// [`SimError::Socket`] for failures that are not an outcome (bad source address, ...).
pub fn tcp_probe(
    ns: &NetNs,
    src: IpAddr,
    dst: SocketAddr,
    timeout: Duration,
) -> Result<Probe, SimError> {
    Ok(tcp_greeting(ns, src, dst, timeout)?.0)
}

/// As [`tcp_probe`], and when open, reads the server's greeting (within `timeout`).
///
/// # Errors
/// As [`tcp_probe`].
pub fn tcp_greeting(
    ns: &NetNs,
    src: IpAddr,
    dst: SocketAddr,
    timeout: Duration,
) -> Result<(Probe, Option<Greeting>), SimError> {
    let what = format!("tcp probe {src} -> {dst}");
    let r = ns.run(|| -> std::io::Result<(Probe, Option<Greeting>)> {
        let stream = match tcp_connect_from(src, dst, timeout) {
            Ok(s) => s,
            Err(e) => return classify(e).map(|p| (p, None)),
        };
        stream.set_read_timeout(Some(timeout))?;
        let mut line = Vec::new();
        let _ = stream.take(256).read_to_end(&mut line);
        Ok((Probe::Open, parse_greeting(&line)))
    })?;
    r.map_err(sock_err(ns, what))
}

/// Sends one UDP datagram from `src` to `dst` inside `ns` and waits for the answer (see the
/// module contract).
///
/// # Errors
/// [`SimError::Socket`] for failures that are not an outcome.
pub fn udp_probe(
    ns: &NetNs,
    src: IpAddr,
    dst: SocketAddr,
    timeout: Duration,
) -> Result<Probe, SimError> {
    Ok(udp_greeting(ns, src, dst, timeout)?.0)
}

/// As [`udp_probe`], also returning the server's answer when there is one.
///
/// # Errors
/// As [`udp_probe`].
pub fn udp_greeting(
    ns: &NetNs,
    src: IpAddr,
    dst: SocketAddr,
    timeout: Duration,
) -> Result<(Probe, Option<Greeting>), SimError> {
    let what = format!("udp probe {src} -> {dst}");
    let r = ns.run(|| -> std::io::Result<(Probe, Option<Greeting>)> {
        let sock = bind_fresh_udp(src)?;
        sock.connect(dst)?;
        sock.set_read_timeout(Some(timeout))?;
        if let Err(e) = sock.send(b"dfw-sim probe\n") {
            return classify(e).map(|p| (p, None));
        }
        let mut buf = [0u8; 256];
        match sock.recv(&mut buf) {
            Ok(n) => Ok((Probe::Open, parse_greeting(&buf[..n]))),
            Err(e) => classify(e).map(|p| (p, None)),
        }
    })?;
    r.map_err(sock_err(ns, what))
}

/// The source ports UDP probes take, in turn: below Linux's default ephemeral range
/// (32768-60999), so they are never ports the kernel hands out itself.
const UDP_PORTS: std::ops::RangeInclusive<u16> = 20000..=32767;
/// The next port of [`UDP_PORTS`] a probe of this process takes.
static NEXT_UDP_PORT: AtomicU16 = AtomicU16::new(*UDP_PORTS.start());

/// A UDP socket on `src` with a source port no earlier probe of this process used (until
/// [`UDP_PORTS`] wraps, after 12,768 probes). A probe must be a new flow: with the port left
/// to the kernel (random), a probe sometimes took the port of an earlier probe to the same
/// destination whose conntrack entry (30 s and more) still lived, so the firewall saw an
/// ESTABLISHED flow and let it through where a new one is refused (seen once in the real-Docker
/// suite: a stranger's probe after a commit matched the entry of its probe before the commit).
fn bind_fresh_udp(src: IpAddr) -> std::io::Result<UdpSocket> {
    let span = UDP_PORTS.len();
    let mut last = None;
    // Ports in use in this namespace (a server's) are skipped; each is tried once.
    for _ in 0..span {
        let port = NEXT_UDP_PORT
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |p| {
                Some(if p >= *UDP_PORTS.end() {
                    *UDP_PORTS.start()
                } else {
                    p + 1
                })
            })
            .unwrap_or(*UDP_PORTS.start());
        match UdpSocket::bind(SocketAddr::new(src, port)) {
            Ok(s) => return Ok(s),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::ErrorKind::AddrInUse.into()))
}

/// Parses `"<service> <peer>\n"`.
fn parse_greeting(line: &[u8]) -> Option<Greeting> {
    let text = std::str::from_utf8(line).ok()?.trim_end();
    let (service, peer) = text.split_once(' ')?;
    Some(Greeting {
        service: service.into(),
        peer: peer.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_mapping() {
        let e = std::io::Error::from_raw_os_error;
        assert_eq!(classify(e(libc::ECONNREFUSED)).unwrap(), Probe::Refused);
        assert_eq!(classify(e(libc::EHOSTUNREACH)).unwrap(), Probe::Refused);
        assert_eq!(classify(e(libc::EACCES)).unwrap(), Probe::Refused);
        assert_eq!(classify(e(libc::EAGAIN)).unwrap(), Probe::TimedOut);
        let timeout: std::io::Error = std::io::ErrorKind::TimedOut.into();
        assert_eq!(classify(timeout).unwrap(), Probe::TimedOut);
        assert!(classify(e(libc::EADDRNOTAVAIL)).is_err());
    }

    #[test]
    fn udp_probes_take_distinct_source_ports() {
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        let a = bind_fresh_udp(lo).unwrap().local_addr().unwrap().port();
        let b = bind_fresh_udp(lo).unwrap().local_addr().unwrap().port();
        assert_ne!(a, b);
        assert!(UDP_PORTS.contains(&a) && UDP_PORTS.contains(&b));
    }

    #[test]
    fn greetings_parse() {
        let g = parse_greeting(b"web 203.0.113.1\n").unwrap();
        assert_eq!(g.service, "web");
        assert_eq!(g.peer, "203.0.113.1".parse::<IpAddr>().unwrap());
        assert_eq!(parse_greeting(b"junk"), None);
        assert_eq!(parse_greeting(&[0xff, b' ', b'1']), None);
    }
}
