//! The simulated Docker host's addresses, ports and sides, matching
//! `testdata/docker/*` (bridge `docker0` 172.17.0.0/16 and fd00:dead:beef::/64; web
//! container 172.17.0.2 / fd00:dead:beef::2 published as host 8080 -> 80/tcp; db container
//! 172.17.0.3 published as 5432/tcp and host 5353 -> 53/udp).
//!
//! ```text
//!  internet ns                 host ns                          containers
//!  eth0 203.0.113.100/24 ---- eth0 203.0.113.1/24               web: eth0 172.17.0.2/16
//!       2001:db8:1::100/64         2001:db8:1::1/64                  fd00:dead:beef::2/64
//!  + 198.51.100.7, .2, .200   docker0 172.17.0.1/16 --vethweb--     tcp 80
//!    192.0.2.50/32                    fd00:dead:beef::1/64 --vethdb-- db: eth0 172.17.0.3/16
//!    2001:db8::7, 2001:db8:2::7, 3fff::7/128                            fd00:dead:beef::3/64
//!  tcp 443, udp 53            tcp 22, 9999                               tcp 5432, udp 53
//!  lan ns: eth0 192.168.1.10/24, fd00:192:168:1::10/64 ---- host eth1 192.168.1.1/24,
//!          fd00:192:168:1::1/64; tcp 22
//! ```
//! Routes: the host's default routes go via the internet side (203.0.113.100,
//! 2001:db8:1::100), so replies reach every internet source; the internet side routes the
//! Docker networks via the host (to show that a container address routed straight from
//! outside is reachable without Docker's raw-table drops); containers and the LAN use the
//! host as their default gateway. Forwarding is on in the host namespace only.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A namespace of the simulation, as a place probes start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The "internet" namespace behind the host's `eth0` (the external interface).
    Internet,
    /// The "lan" namespace behind the host's `eth1` (192.168.1.0/24).
    Lan,
    /// The Docker host itself.
    Host,
    /// The web container (172.17.0.2, fd00:dead:beef::2; TCP 80).
    Web,
    /// The db container (172.17.0.3, fd00:dead:beef::3; TCP 5432, UDP 53).
    Db,
}

impl Side {
    /// Every side, in a fixed order.
    pub const ALL: [Side; 5] = [Side::Host, Side::Internet, Side::Lan, Side::Web, Side::Db];

    /// The side's short name (also its namespace label).
    pub fn name(self) -> &'static str {
        match self {
            Side::Internet => "internet",
            Side::Lan => "lan",
            Side::Host => "host",
            Side::Web => "web",
            Side::Db => "db",
        }
    }
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

const fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

#[allow(clippy::too_many_arguments)]
const fn v6(a: u16, b: u16, c: u16, d: u16, e: u16, f: u16, g: u16, h: u16) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(a, b, c, d, e, f, g, h))
}

/// The name of the host's external interface (to the internet namespace).
pub const EXTERNAL_IF: &str = "eth0";
/// The name of the host's LAN interface.
pub const LAN_IF: &str = "eth1";
/// The Docker bridge.
pub const BRIDGE: &str = "docker0";

/// The host's external IPv4 address (on `eth0`, /24).
pub const HOST_V4: IpAddr = v4(203, 0, 113, 1);
/// The host's external IPv6 address (on `eth0`, /64).
pub const HOST_V6: IpAddr = v6(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1);
/// The host's LAN IPv4 address (on `eth1`, /24).
pub const HOST_LAN_V4: IpAddr = v4(192, 168, 1, 1);
/// The host's LAN IPv6 address (on `eth1`, /64).
pub const HOST_LAN_V6: IpAddr = v6(0xfd00, 0x192, 0x168, 1, 0, 0, 0, 1);
/// `docker0`'s IPv4 address (/16): the containers' gateway.
pub const DOCKER0_V4: IpAddr = v4(172, 17, 0, 1);
/// `docker0`'s IPv6 address (/64).
pub const DOCKER0_V6: IpAddr = v6(0xfd00, 0xdead, 0xbeef, 0, 0, 0, 0, 1);
/// The web container's IPv4 address.
pub const WEB_V4: IpAddr = v4(172, 17, 0, 2);
/// The web container's IPv6 address.
pub const WEB_V6: IpAddr = v6(0xfd00, 0xdead, 0xbeef, 0, 0, 0, 0, 2);
/// The db container's IPv4 address.
pub const DB_V4: IpAddr = v4(172, 17, 0, 3);
/// The db container's IPv6 address.
pub const DB_V6: IpAddr = v6(0xfd00, 0xdead, 0xbeef, 0, 0, 0, 0, 3);
/// The LAN client's IPv4 address.
pub const LAN_CLIENT_V4: IpAddr = v4(192, 168, 1, 10);
/// The LAN client's IPv6 address.
pub const LAN_CLIENT_V6: IpAddr = v6(0xfd00, 0x192, 0x168, 1, 0, 0, 0, 0x10);
/// The internet side's address on the link to the host (/24): the host's IPv4 gateway, and a
/// source inside 203.0.113.0/24.
pub const INET_GW_V4: IpAddr = v4(203, 0, 113, 100);
/// The internet side's IPv6 address on the link (/64): the host's IPv6 gateway.
pub const INET_GW_V6: IpAddr = v6(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0x100);
/// An internet source meant for whitelists (`[whitelist] sources`).
pub const WHITELISTED_V4: IpAddr = v4(198, 51, 100, 7);
/// An IPv6 internet source meant for whitelists.
pub const WHITELISTED_V6: IpAddr = v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 7);
/// An internet source inside the example range 198.51.100.1-198.51.100.3.
pub const IN_RANGE_V4: IpAddr = v4(198, 51, 100, 2);
/// An internet source outside every example list (198.51.100.200).
pub const STRANGER_V4: IpAddr = v4(198, 51, 100, 200);
/// A second stranger, in another documentation range (192.0.2.50).
pub const STRANGER2_V4: IpAddr = v4(192, 0, 2, 50);
/// An IPv6 internet source inside 2001:db8::/32 but not whitelisted.
pub const OTHER_V6: IpAddr = v6(0x2001, 0xdb8, 2, 0, 0, 0, 0, 7);
/// An IPv6 source outside 2001:db8::/32 (3fff::/20 is documentation space too, RFC 9637).
pub const STRANGER_V6: IpAddr = v6(0x3fff, 0, 0, 0, 0, 0, 0, 7);

/// Extra internet-side sources, added as /32 and /128 on its link.
pub const INTERNET_SOURCES: [IpAddr; 7] = [
    WHITELISTED_V4,
    IN_RANGE_V4,
    STRANGER_V4,
    STRANGER2_V4,
    WHITELISTED_V6,
    OTHER_V6,
    STRANGER_V6,
];

/// The web container's service port (TCP).
pub const WEB_PORT: u16 = 80;
/// The host port published to the web container (`8080 -> 80/tcp`).
pub const WEB_PUBLISHED: u16 = 8080;
/// The db container's TCP port, published as itself.
pub const DB_PORT: u16 = 5432;
/// The db container's UDP (DNS) port.
pub const DNS_PORT: u16 = 53;
/// The host port published to the db container's UDP 53 (`5353 -> 53/udp`).
pub const DNS_PUBLISHED: u16 = 5353;
/// The host's own SSH-like service (TCP).
pub const HOST_SSH: u16 = 22;
/// The host's own application service (TCP).
pub const HOST_APP: u16 = 9999;
/// A TCP service on the internet side (for containers' outgoing connections).
pub const INET_HTTPS: u16 = 443;
/// A UDP service on the internet side.
pub const INET_DNS: u16 = 53;
