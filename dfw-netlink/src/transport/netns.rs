//! Named network namespaces (`ip netns add NAME` creates `/run/netns/NAME`).
//!
//! Contract: [`enter_netns`] moves only the calling thread; sockets opened afterwards on that
//! thread (and processes it spawns) belong to the namespace, sockets opened before do not.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::PathBuf;

use super::error::{last_errno, TransportError};

/// Where iproute2 keeps named network namespaces.
pub const NETNS_RUN_DIR: &str = "/run/netns";

/// Moves the calling thread into the network namespace `name` (`/run/netns/NAME`).
///
/// # Errors
/// [`TransportError::NetnsNotFound`] when it does not exist (or the name is not a plain file
/// name); [`TransportError::Netns`] when opening or `setns` fails (`EPERM`: not root).
pub fn enter_netns(name: &str) -> Result<(), TransportError> {
    let plain = !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\0']);
    if !plain {
        return Err(TransportError::NetnsNotFound { name: name.into() });
    }
    let path: PathBuf = [NETNS_RUN_DIR, name].iter().collect();
    let file = File::open(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => TransportError::NetnsNotFound { name: name.into() },
        _ => TransportError::Netns {
            name: name.into(),
            op: "open",
            errno: e.raw_os_error().unwrap_or(0),
        },
    })?;
    // SAFETY: `file` is an open fd for the duration of the call; setns only reads it.
    let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
    if rc < 0 {
        return Err(TransportError::Netns {
            name: name.into(),
            op: "setns",
            errno: last_errno(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_or_odd_names_are_not_found() {
        for name in ["dfw-no-such-netns-4711", "", "..", "a/b"] {
            match enter_netns(name) {
                Err(TransportError::NetnsNotFound { name: n }) => assert_eq!(n, name),
                other => panic!("{name:?}: {other:?}"),
            }
        }
        let msg = enter_netns("dfw-no-such-netns-4711")
            .unwrap_err()
            .to_string();
        assert_eq!(
            msg,
            "network namespace dfw-no-such-netns-4711 does not exist (no /run/netns/dfw-no-such-netns-4711: see `ip netns list`, or create it with `ip netns add dfw-no-such-netns-4711`)"
        );
    }
}
