//! The live SSH sessions of this network namespace, read from the kernel, so the lockout
//! guard works whatever the environment says (under systemd, in the watch, in `rollback`,
//! with `SSH_CONNECTION` missing or garbage).
//!
//! Contract: [`live_ssh_sessions`] finds the TCP ports the SSH server listens on: the local
//! ports of the sockets (listening, or established for an sshd started per connection)
//! owned by a process named `sshd` (`/proc/PID/comm`; the sockets of its `/proc/PID/fd`,
//! matched by inode against the socket table of this namespace, so an sshd of another
//! namespace does not count); port 22 when no such process is found. The sessions are the
//! established TCP connections, IPv4 and IPv6, whose local port is one of those (sock_diag,
//! [`crate::sockdiag`]); an IPv4-mapped IPv6 address counts as IPv4. Pure apart from the
//! `/proc` reads and the sock_diag queries, in the calling thread's namespace.

use std::collections::HashSet;

use dfw_core::model::Family;

use super::SshConnection;
use crate::sockdiag::{sockets, SockDiagError, SockProto, Socket, States};

/// The port assumed when no process named sshd is found.
pub const DEFAULT_SSH_PORT: u16 = 22;

/// What [`live_ssh_sessions`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSessions {
    /// The SSH server's ports.
    pub ports: Vec<u16>,
    /// True when they come from a process named sshd (false: [`DEFAULT_SSH_PORT`]).
    pub from_sshd: bool,
    /// The established sessions to those ports.
    pub sessions: Vec<SshConnection>,
}

/// The live SSH sessions (see the module contract).
///
/// # Errors
/// [`SockDiagError`] when the socket table cannot be read.
pub fn live_ssh_sessions() -> Result<LiveSessions, SockDiagError> {
    let mut all = Vec::new();
    for family in [Family::Ipv4, Family::Ipv6] {
        all.extend(sockets(
            family,
            SockProto::Tcp,
            States::LISTEN.with(States::ESTABLISHED),
        )?);
    }
    Ok(sessions_of(&all, &sshd_socket_inodes()))
}

/// The sessions in a socket table, given the inodes of sshd's sockets (pure).
pub fn sessions_of(table: &[Socket], sshd: &HashSet<u32>) -> LiveSessions {
    let mut ports: Vec<u16> = table
        .iter()
        .filter(|s| sshd.contains(&s.inode) && s.inode != 0)
        .map(|s| s.local_port)
        .collect();
    ports.sort_unstable();
    ports.dedup();
    let from_sshd = !ports.is_empty();
    if !from_sshd {
        ports.push(DEFAULT_SSH_PORT);
    }
    let mut sessions: Vec<SshConnection> = table
        .iter()
        .filter(|s| s.state == crate::sockdiag::SockState::ESTABLISHED)
        .filter(|s| ports.contains(&s.local_port))
        .filter_map(|s| {
            let c = SshConnection {
                client: s.peer.to_canonical(),
                client_port: s.peer_port,
                server: s.local.to_canonical(),
                server_port: s.local_port,
            };
            (c.client.is_ipv4() == c.server.is_ipv4()).then_some(c)
        })
        .collect();
    sessions.sort_by_key(|c| (c.client, c.client_port, c.server, c.server_port));
    sessions.dedup();
    LiveSessions {
        ports,
        from_sshd,
        sessions,
    }
}

/// The inodes of the sockets held by processes named `sshd` (unreadable processes skipped).
fn sshd_socket_inodes() -> HashSet<u32> {
    let mut out = HashSet::new();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return out;
    };
    for p in procs.flatten() {
        let name = p.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim_end() != "sshd" {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let Ok(link) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let link = link.to_string_lossy();
            if let Some(n) = link
                .strip_prefix("socket:[")
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|n| n.parse().ok())
            {
                out.insert(n);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sockdiag::SockState;
    use std::net::IpAddr;

    fn sock(
        state: SockState,
        local: &str,
        lport: u16,
        peer: &str,
        pport: u16,
        inode: u32,
    ) -> Socket {
        Socket {
            state,
            local: local.parse().unwrap(),
            local_port: lport,
            peer: peer.parse().unwrap(),
            peer_port: pport,
            iface: 0,
            uid: 0,
            inode,
            v6only: false,
        }
    }

    #[test]
    fn sessions_to_sshds_ports_or_22() {
        let table = [
            sock(SockState::LISTEN, "0.0.0.0", 2222, "0.0.0.0", 0, 7),
            sock(SockState::LISTEN, "::", 2222, "::", 0, 8),
            sock(
                SockState::ESTABLISHED,
                "192.0.2.10",
                2222,
                "198.51.100.9",
                50022,
                0,
            ),
            sock(
                SockState::ESTABLISHED,
                "::ffff:192.0.2.10",
                2222,
                "::ffff:198.51.100.8",
                4,
                0,
            ),
            sock(
                SockState::ESTABLISHED,
                "192.0.2.10",
                22,
                "198.51.100.7",
                5,
                0,
            ),
            sock(
                SockState::ESTABLISHED,
                "192.0.2.10",
                80,
                "198.51.100.6",
                6,
                0,
            ),
        ];
        let found = sessions_of(&table, &HashSet::from([7, 8]));
        assert_eq!(found.ports, [2222]);
        assert!(found.from_sshd);
        let clients: Vec<IpAddr> = found.sessions.iter().map(|s| s.client).collect();
        assert_eq!(
            clients,
            [
                "198.51.100.8".parse::<IpAddr>().unwrap(),
                "198.51.100.9".parse().unwrap()
            ]
        );
        assert!(found.sessions.iter().all(|s| s.family() == Family::Ipv4));
        // No sshd: port 22.
        let found = sessions_of(&table, &HashSet::new());
        assert_eq!(found.ports, [22]);
        assert!(!found.from_sshd);
        assert_eq!(found.sessions.len(), 1);
        assert_eq!(found.sessions[0].client_port, 5);
    }
}
