//! The container names behind published ports, from the Docker Engine API (`dfw_docker`), for
//! `audit`, `explain` and `init`.
//!
//! Contract: the API is asked once per command. No socket (Docker absent) means no names and
//! no message; a socket that fails says so in one line on standard error and the command goes
//! on without names. With `--netns`, only an explicit `DOCKER_HOST` is asked: the default
//! socket belongs to the Docker of the machine's own network namespace, whose containers are
//! not the ones the namespace's rules publish.

use std::sync::atomic::{AtomicBool, Ordering};

use dfw_docker::{list_containers, Containers, Endpoint};

static IN_OTHER_NETNS: AtomicBool = AtomicBool::new(false);

/// Records that the command runs in a namespace entered with `--netns`.
pub fn entered_netns() {
    IN_OTHER_NETNS.store(true, Ordering::Relaxed);
}

/// The running containers, or `None` (see the module contract).
pub fn containers(cmd: &str) -> Option<Containers> {
    let explicit = std::env::var_os("DOCKER_HOST").is_some_and(|v| !v.is_empty());
    if IN_OTHER_NETNS.load(Ordering::Relaxed) && !explicit {
        return None;
    }
    match list_containers(&Endpoint::from_env()) {
        Ok(c) => Some(c),
        Err(e) if e.is_absent() => None,
        Err(e) => {
            crate::errln!("dfw-cli {cmd}: container names unavailable: {e}");
            None
        }
    }
}

/// The API's protocol of a model protocol (TCP, UDP, SCTP).
fn proto(p: dfw_core::model::Protocol) -> Option<dfw_docker::Proto> {
    use dfw_core::model::Protocol;
    match p {
        Protocol::TCP => Some(dfw_docker::Proto::Tcp),
        Protocol::UDP => Some(dfw_docker::Proto::Udp),
        Protocol::SCTP => Some(dfw_docker::Proto::Sctp),
        _ => None,
    }
}

/// The name of the container publishing host `port` of `p` (on `host`, when given).
pub fn name(
    c: Option<&Containers>,
    p: Option<dfw_core::model::Protocol>,
    port: Option<u16>,
    host: Option<std::net::IpAddr>,
) -> Option<String> {
    let (c, p, port) = (c?, proto(p?)?, port?);
    c.publisher(p, port, host).map(str::to_string)
}
