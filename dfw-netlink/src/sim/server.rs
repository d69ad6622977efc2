//! [`Servers`]: the simulation's TCP and UDP servers, one thread per namespace.
//!
//! Contract: sockets are opened inside their namespace (via [`NetNs::run`]) and bound to
//! [`Service::addr`], or to the wildcard `[::]:PORT`, which also takes IPv4 (`bindv6only` is 0
//! in the namespace). A UDP server on a namespace with several addresses should be bound once
//! per address: a wildcard UDP socket answers from the primary address, not from the one the
//! client asked, and the client's connected socket (and conntrack) would not match it. A TCP
//! server greets every connection with one line `"<service> <peer address>\n"` and closes it;
//! a UDP server answers every datagram with the same line. Nothing blocks: each thread polls
//! its non-blocking sockets every [`Servers::TICK`] and stops when [`Servers`] is dropped,
//! which joins it, so no thread or socket outlives the handle.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::error::SimError;
use super::netns::NetNs;

/// One service to run: a name (sent in greetings), a protocol and a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// The name in greetings (`web`, `db`, `host-ssh`, ...).
    pub name: &'static str,
    /// TCP or UDP.
    pub proto: super::Proto,
    /// The port.
    pub port: u16,
    /// The address to bind, or `None` for every address of the namespace.
    pub addr: Option<std::net::IpAddr>,
}

enum Sock {
    Tcp(TcpListener),
    Udp(UdpSocket),
}

/// Running servers; dropping stops and joins their threads.
#[derive(Debug, Default)]
pub struct Servers {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Servers {
    /// How often an idle server thread looks at its sockets and at the stop flag.
    pub const TICK: Duration = Duration::from_millis(2);

    /// No servers yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Opens `services` inside `ns` and serves them from one new thread.
    ///
    /// # Errors
    /// [`SimError::Socket`] when a socket cannot be bound (`EADDRINUSE`);
    /// [`SimError::Thread`] when the thread cannot start.
    pub fn start(&mut self, ns: &NetNs, services: &[Service]) -> Result<(), SimError> {
        let socks = ns.run(|| open_all(ns.label(), services))??;
        let stop = Arc::clone(&self.stop);
        let handle = std::thread::Builder::new()
            .name(format!("srv-{}", ns.label()))
            .spawn(move || serve(socks, &stop))
            .map_err(|source| SimError::Thread {
                what: format!("servers in {}", ns.label()),
                source,
            })?;
        self.threads.push(handle);
        Ok(())
    }

    /// Stops every server thread and waits for it.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        self.stop();
    }
}

impl std::fmt::Debug for Sock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Sock::Tcp(l) => write!(f, "tcp {:?}", l.local_addr().ok()),
            Sock::Udp(u) => write!(f, "udp {:?}", u.local_addr().ok()),
        }
    }
}

fn open_all(ns: &str, services: &[Service]) -> Result<Vec<(&'static str, Sock)>, SimError> {
    services
        .iter()
        .map(|s| {
            let ip = s.addr.unwrap_or(std::net::Ipv6Addr::UNSPECIFIED.into());
            let addr = SocketAddr::new(ip, s.port);
            let what = || format!("listen on {addr}/{}", s.proto);
            let err = |source| SimError::Socket {
                ns: ns.into(),
                what: what(),
                source,
            };
            let sock = match s.proto {
                super::Proto::Tcp => {
                    let l = TcpListener::bind(addr).map_err(err)?;
                    l.set_nonblocking(true).map_err(err)?;
                    Sock::Tcp(l)
                }
                super::Proto::Udp => {
                    let u = UdpSocket::bind(addr).map_err(err)?;
                    u.set_nonblocking(true).map_err(err)?;
                    Sock::Udp(u)
                }
            };
            Ok((s.name, sock))
        })
        .collect()
}

/// Serves until `stop`: greet TCP connections, answer UDP datagrams.
fn serve(socks: Vec<(&'static str, Sock)>, stop: &AtomicBool) {
    let mut buf = [0u8; 2048];
    while !stop.load(Ordering::SeqCst) {
        let mut busy = false;
        for (name, sock) in &socks {
            match sock {
                Sock::Tcp(l) => {
                    if let Ok((mut stream, peer)) = l.accept() {
                        busy = true;
                        let _ = stream.write_all(greeting(name, peer).as_bytes());
                    }
                }
                Sock::Udp(u) => {
                    if let Ok((_, peer)) = u.recv_from(&mut buf) {
                        busy = true;
                        let _ = u.send_to(greeting(name, peer).as_bytes(), peer);
                    }
                }
            }
        }
        if !busy {
            std::thread::sleep(Servers::TICK);
        }
    }
}

/// `"<service> <peer ip>\n"`, with IPv4-mapped peers shown as IPv4.
fn greeting(name: &str, peer: SocketAddr) -> String {
    format!("{name} {}\n", peer.ip().to_canonical())
}
