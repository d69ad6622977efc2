//! A simulated Docker host in throwaway network namespaces: **test and demo infrastructure**,
//! not part of the firewall itself. It exists so dfw's behaviour can be proven with real
//! packets (kernel tests, CI as root) and shown on a fresh machine without touching the
//! machine's own network.
//!
//! # Contract
//! - Everything is built with rtnetlink messages over dfw's own transport ([`rtnl`] builds
//!   them, [`Rtnl`] sends them) and plain file I/O under `/proc/sys`: no program is forked.
//! - [`NetNs`] owns an anonymous network namespace (an fd, no `/run/netns` entry unless made
//!   with [`NetNs::named`]); the namespace disappears when the handle and every socket in it
//!   are gone. [`NetNs::run`] runs a closure on a fresh thread inside it; sockets opened there
//!   stay in that namespace wherever they are used afterwards.
//! - [`DockerHost`] is the topology of a Docker host (see [`topology`] for every address): a
//!   "host" namespace with `eth0` to an "internet" namespace, `eth1` to a "lan" namespace and a
//!   `docker0` bridge with two container namespaces, TCP/UDP servers in all of them, and probes
//!   ([`DockerHost::tcp_probe`], [`DockerHost::udp_probe`]) that answer
//!   [`Probe::Open`] / [`Probe::Refused`] / [`Probe::TimedOut`]. Dropping it stops and joins every
//!   server thread and closes every namespace; nothing is left behind.
//! - [`DockerHost::add_user_nets`] adds user-defined networks ([`UserNet`]: a bridge with
//!   IPv4 container namespaces and their TCP servers), as `docker network create` would.
//! - The simulation never loads firewall rules itself: callers load Docker's rules (or dfw's)
//!   inside [`DockerHost::host`].
//!
//! # Example
//! ```no_run
//! use dfw_netlink::sim::topology::{HOST_V4, STRANGER_V4, WEB_PUBLISHED};
//! use dfw_netlink::sim::{DockerHost, Side};
//!
//! # fn main() -> Result<(), dfw_netlink::sim::SimError> {
//! // Named, so `dfw-cli --netns dfw-demo ...` can be pointed at the host namespace.
//! let h = DockerHost::start_named("dfw-demo")?;
//! h.host().run(|| {
//!     // Load Docker's rules here: sockets opened and programs spawned on this thread
//!     // belong to the host namespace.
//! })?;
//! let p = h.tcp_probe(
//!     Side::Internet,
//!     STRANGER_V4,
//!     (HOST_V4, WEB_PUBLISHED).into(),
//!     DockerHost::PROBE_TIMEOUT,
//! )?;
//! println!("a stranger -> {HOST_V4}:{WEB_PUBLISHED}: {p}");
//! for line in h.survey(&DockerHost::internet_survey(), DockerHost::PROBE_TIMEOUT)? {
//!     println!("{line}");
//! }
//! # Ok(()) }
//! ```
#![deny(unsafe_code)]

mod docker_host;
mod error;
#[allow(unsafe_code)]
mod netns;
mod probe;
pub mod rtnl;
mod rtnl_conn;
mod server;
#[allow(unsafe_code)]
mod sock;
mod sysctl;
pub mod topology;
mod user_net;

pub use docker_host::{DockerHost, Outcome};
pub use error::SimError;
pub use netns::NetNs;
pub use probe::{tcp_greeting, tcp_probe, udp_greeting, udp_probe, Check, Greeting, Probe, Proto};
pub use rtnl_conn::Rtnl;
pub use server::{Servers, Service};
pub use sysctl::write_sysctls;
pub use topology::Side;
pub use user_net::{UserContainer, UserNet, UserNets};
