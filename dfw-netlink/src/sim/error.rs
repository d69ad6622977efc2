//! [`SimError`]: what can go wrong while building, probing or tearing down the simulation,
//! naming the namespace, link, address or file involved.

use crate::route::RouteError;
use crate::transport::{errno_name, TransportError};

/// Errors of the simulated Docker host.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A namespace operation (`unshare`, `setns`, bind mount, ...) failed.
    #[error("network namespace {ns}: {op} failed: {}", errno_name(*errno))]
    Netns {
        /// The namespace's label (or its `/run/netns` name).
        ns: String,
        /// The operation.
        op: &'static str,
        /// Positive errno.
        errno: i32,
    },
    /// A name not usable under `/run/netns` (empty, `.`, `..`, `/`, NUL, over 255 bytes).
    #[error("invalid network namespace name {name:?}")]
    BadName {
        /// The name given.
        name: String,
    },
    /// `/run/netns/NAME` already exists.
    #[error("network namespace {name} already exists in /run/netns")]
    NameTaken {
        /// The name given.
        name: String,
    },
    /// The kernel refused an rtnetlink request.
    #[error("network namespace {ns}: {what}: {source}")]
    Rtnl {
        /// The namespace the request was sent in.
        ns: String,
        /// What was being done (`create veth eth0`, `add 172.17.0.1/16 to docker0`, ...).
        what: String,
        /// The transport's error (kernel errno and extended ack).
        source: TransportError,
    },
    /// An rtnetlink reply could not be parsed.
    #[error("network namespace {ns}: {what}: {source}")]
    RtnlReply {
        /// The namespace.
        ns: String,
        /// What was being read.
        what: String,
        /// The parse error.
        source: RouteError,
    },
    /// A link looked up by name does not exist.
    #[error("network namespace {ns}: no link named {name}")]
    NoSuchLink {
        /// The namespace.
        ns: String,
        /// The link name.
        name: String,
    },
    /// A link did not become operationally up (`IFLA_OPERSTATE` not `IF_OPER_UP`) in time.
    #[error(
        "network namespace {ns}: link {name} is not up after {waited:?} (operstate {operstate:?})"
    )]
    LinkNotUp {
        /// The namespace.
        ns: String,
        /// The link name.
        name: String,
        /// The last operational state read (RFC 2863 number), if any.
        operstate: Option<u8>,
        /// How long it was waited for.
        waited: std::time::Duration,
    },
    /// An address added did not become usable (its route is not local) in time.
    #[error("network namespace {ns}: address {addr} is not usable after {waited:?}")]
    AddrNotReady {
        /// The namespace.
        ns: String,
        /// The address.
        addr: std::net::IpAddr,
        /// How long it was waited for.
        waited: std::time::Duration,
    },
    /// Writing a sysctl failed.
    #[error("network namespace {ns}: writing {value:?} to /proc/sys/{key}: {source}")]
    Sysctl {
        /// The namespace.
        ns: String,
        /// The path under `/proc/sys`.
        key: String,
        /// The value.
        value: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A socket operation of a server or probe failed in an unexpected way.
    #[error("network namespace {ns}: {what}: {source}")]
    Socket {
        /// The namespace.
        ns: String,
        /// What was being done (`bind 203.0.113.100:0`, `listen [::]:80/tcp`, ...).
        what: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A helper thread could not be started.
    #[error("starting a thread for {what}: {source}")]
    Thread {
        /// What the thread was for.
        what: String,
        /// The I/O error.
        source: std::io::Error,
    },
}
