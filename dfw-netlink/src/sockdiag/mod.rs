//! The socket table over `NETLINK_SOCK_DIAG` (what `ss` reads): which TCP and UDP sockets
//! exist, in which state, bound to which address and port, both families.
//!
//! Contract: [`codec`] is pure (request building and reply parsing, golden-tested without
//! root, never panics on any input); [`sockets`] is the only function here that talks to the
//! kernel, through dfw's transport, in the calling thread's network namespace. It is generic:
//! the audit asks for TCP listeners and bound UDP sockets (where docker-proxy serves a
//! published port in user space); the same query with [`States::ESTABLISHED`] and a port
//! finds the sessions to a service (sshd's).

pub mod codec;

pub use codec::{
    parse_sockets, request, SockProto, SockState, Socket, States, SOCK_DIAG_BY_FAMILY,
};

use dfw_core::model::Family;

use crate::transport::{Conn, NetlinkSocket, Transport, TransportError};

/// Why the socket table could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SockDiagError {
    /// The netlink exchange failed.
    #[error("reading the {proto} sockets of {family} over sock_diag: {source}")]
    Transport {
        /// The family asked for.
        family: Family,
        /// The protocol asked for.
        proto: SockProto,
        /// The transport's error.
        source: TransportError,
    },
    /// The kernel's reply could not be parsed.
    #[error("reading the {proto} sockets of {family} over sock_diag: {source}")]
    Parse {
        /// The family asked for.
        family: Family,
        /// The protocol asked for.
        proto: SockProto,
        /// What was wrong.
        source: crate::wire::WireError,
    },
}

/// The sockets of `family` and `proto` in one of `states`, in the calling thread's network
/// namespace (IPv6 sockets include dual-stack ones bound to `::`; see [`Socket::v6only`]).
///
/// # Errors
/// [`SockDiagError`] when the kernel cannot be asked or answers something unparsable.
pub fn sockets(
    family: Family,
    proto: SockProto,
    states: States,
) -> Result<Vec<Socket>, SockDiagError> {
    let transport = |source| SockDiagError::Transport {
        family,
        proto,
        source,
    };
    let mut conn = Conn::new(NetlinkSocket::open_sock_diag().map_err(transport)?);
    let replies = conn
        .dump(&request(family, proto, states))
        .map_err(transport)?;
    parse_sockets(&replies).map_err(|source| SockDiagError::Parse {
        family,
        proto,
        source,
    })
}
