//! The simulated Docker host of `testdata/docker/`: `eth0` facing the world,
//! `docker0` the bridge (172.17.0.0/16, fd00:dead:beef::/64), default routes via `eth0`.

use std::net::IpAddr;

use crate::eval::{Host, HostIface, IfaceKind, Route};

use super::rules::net;

/// The host's IPv4 address on eth0.
pub const ETH0_V4: &str = "192.0.2.10";
/// The host's IPv6 address on eth0.
pub const ETH0_V6: &str = "2001:db8::10";

/// An address from text.
pub fn ip(text: &str) -> IpAddr {
    text.parse().expect(text)
}

/// The Docker host, forwarding both families.
pub fn docker_host() -> Host {
    Host {
        ifaces: vec![
            HostIface {
                name: "lo".into(),
                kind: IfaceKind::Loopback,
                addrs: vec![(ip("127.0.0.1"), 8), (ip("::1"), 128)],
            },
            HostIface {
                name: "eth0".into(),
                kind: IfaceKind::External,
                addrs: vec![(ip(ETH0_V4), 24), (ip(ETH0_V6), 64)],
            },
            HostIface {
                name: "docker0".into(),
                kind: IfaceKind::Bridge,
                addrs: vec![(ip("172.17.0.1"), 16), (ip("fd00:dead:beef::1"), 64)],
            },
        ],
        routes: vec![
            Route {
                dest: net("0.0.0.0/0"),
                iface: "eth0".into(),
            },
            Route {
                dest: net("::/0"),
                iface: "eth0".into(),
            },
        ],
        forwarding: true,
        mark_rules: None,
        sets: Default::default(),
    }
}
