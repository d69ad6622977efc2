//! Pure rtnetlink decoding of what the host description needs beyond routes: links with their
//! kind and state (`RTM_NEWLINK`, `IFLA_LINKINFO` / `IFLA_INFO_KIND`) and interface addresses
//! (`RTM_NEWADDR`).
//!
//! Contract: never panics on any input; a malformed message is a [`RouteError`]. Attributes
//! dfw does not need are skipped.

use std::net::IpAddr;

use super::parse::{bodies, ip_of, ne_i32, RouteError};
use crate::wire::AttrIter;

const IFINFOMSG_LEN: usize = 16;
const IFADDRMSG_LEN: usize = 8;
const IFLA_IFNAME: u16 = 3;
const IFLA_MASTER: u16 = 10;
const IFLA_LINKINFO: u16 = 18;
const IFLA_INFO_KIND: u16 = 1;
const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const IFF_UP: u32 = 0x1;
const IFF_LOOPBACK: u32 = 0x8;

/// What a link is, as far as the firewall audit cares.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LinkKind {
    /// The loopback device (`IFF_LOOPBACK`).
    Loopback,
    /// A bridge (`IFLA_INFO_KIND` `bridge`), such as `docker0`.
    Bridge,
    /// Anything else, with its `IFLA_INFO_KIND` when the kernel gave one (`veth`, `vxlan`).
    Other(Option<String>),
}

/// One link of an `RTM_GETLINK` dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Interface index.
    pub index: i32,
    /// Interface name.
    pub name: String,
    /// Its kind.
    pub kind: LinkKind,
    /// True when administratively up (`IFF_UP`).
    pub up: bool,
    /// The index of the device it is enslaved to (`IFLA_MASTER`): a bridge port, such as a
    /// container's veth on `docker0`.
    pub master: Option<i32>,
}

/// One address of an `RTM_GETADDR` dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IfAddr {
    /// Interface index.
    pub index: i32,
    /// The local address (`IFA_LOCAL`, else `IFA_ADDRESS`).
    pub addr: IpAddr,
    /// Its prefix length.
    pub prefix: u8,
}

/// Parses the links of an `RTM_GETLINK` dump (links without a name are skipped).
///
/// # Errors
/// [`RouteError`] for a malformed message.
pub fn parse_link_details(messages: &[Vec<u8>]) -> Result<Vec<Link>, RouteError> {
    let mut links = Vec::new();
    for (kind, body) in bodies(messages)? {
        if kind != libc::RTM_NEWLINK {
            continue;
        }
        if body.len() < IFINFOMSG_LEN {
            return Err(RouteError::Truncated("ifinfomsg"));
        }
        let index = ne_i32(&body[4..8])?;
        let flags = ne_i32(&body[8..12])? as u32;
        let (mut name, mut info_kind, mut master) = (None, None, None);
        for attr in AttrIter::new(&body[IFINFOMSG_LEN..]) {
            let attr = attr?;
            match attr.kind {
                IFLA_IFNAME => name = Some(attr.string("ifinfomsg")?.to_string()),
                IFLA_MASTER => master = Some(ne_i32(attr.payload)?).filter(|m| *m != 0),
                IFLA_LINKINFO => {
                    for inner in attr.nested() {
                        let inner = inner?;
                        if inner.kind == IFLA_INFO_KIND {
                            info_kind = Some(inner.string("IFLA_LINKINFO")?.to_string());
                        }
                    }
                }
                _ => {}
            }
        }
        let Some(name) = name else { continue };
        let kind = if flags & IFF_LOOPBACK != 0 {
            LinkKind::Loopback
        } else if info_kind.as_deref() == Some("bridge") {
            LinkKind::Bridge
        } else {
            LinkKind::Other(info_kind)
        };
        links.push(Link {
            index,
            name,
            kind,
            up: flags & IFF_UP != 0,
            master,
        });
    }
    Ok(links)
}

/// Parses the addresses of an `RTM_GETADDR` dump (IPv4 and IPv6; others are skipped).
///
/// # Errors
/// [`RouteError`] for a malformed message.
pub fn parse_addrs(messages: &[Vec<u8>]) -> Result<Vec<IfAddr>, RouteError> {
    let mut out = Vec::new();
    for (kind, body) in bodies(messages)? {
        if kind != libc::RTM_NEWADDR {
            continue;
        }
        if body.len() < IFADDRMSG_LEN {
            return Err(RouteError::Truncated("ifaddrmsg"));
        }
        let (family, prefix) = (body[0], body[1]);
        let index = ne_i32(&body[4..8])?;
        let (mut local, mut address) = (None, None);
        for attr in AttrIter::new(&body[IFADDRMSG_LEN..]) {
            let attr = attr?;
            match attr.kind {
                IFA_LOCAL => local = ip_of(family, attr.payload),
                IFA_ADDRESS => address = ip_of(family, attr.payload),
                _ => {}
            }
        }
        if let Some(addr) = local.or(address) {
            out.push(IfAddr {
                index,
                addr,
                prefix,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::AttrWriter;

    fn message(kind: u16, fixed: &[u8], attrs: impl FnOnce(&mut AttrWriter<'_>)) -> Vec<u8> {
        super::super::parse::test_message(kind, fixed, attrs)
    }

    fn ifinfo(index: i32, flags: u32) -> [u8; IFINFOMSG_LEN] {
        let mut ifi = [0u8; IFINFOMSG_LEN];
        ifi[4..8].copy_from_slice(&index.to_ne_bytes());
        ifi[8..12].copy_from_slice(&flags.to_ne_bytes());
        ifi
    }

    #[test]
    fn links_with_kind_and_state() {
        let lo = message(libc::RTM_NEWLINK, &ifinfo(1, IFF_UP | IFF_LOOPBACK), |a| {
            a.string(IFLA_IFNAME, "lo");
        });
        let br = message(libc::RTM_NEWLINK, &ifinfo(5, IFF_UP), |a| {
            a.string(IFLA_IFNAME, "docker0");
            a.nested(IFLA_LINKINFO, |n| {
                n.string(IFLA_INFO_KIND, "bridge");
            });
        });
        let veth = message(libc::RTM_NEWLINK, &ifinfo(7, 0), |a| {
            a.string(IFLA_IFNAME, "eth0");
            a.nested(IFLA_LINKINFO, |n| {
                n.string(IFLA_INFO_KIND, "veth");
            });
        });
        let links = parse_link_details(&[lo, br, veth]).unwrap();
        assert_eq!(links[0].kind, LinkKind::Loopback);
        assert_eq!(links[1].kind, LinkKind::Bridge);
        assert!(links[1].up);
        assert_eq!(links[2].kind, LinkKind::Other(Some("veth".into())));
        assert!(!links[2].up);
        assert_eq!(links[2].index, 7);
    }

    #[test]
    fn addresses_prefer_local() {
        let mut ifa = [0u8; IFADDRMSG_LEN];
        ifa[0] = libc::AF_INET as u8;
        ifa[1] = 24;
        ifa[4..8].copy_from_slice(&3i32.to_ne_bytes());
        let v4 = message(libc::RTM_NEWADDR, &ifa, |a| {
            a.bytes(IFA_ADDRESS, &[10, 0, 0, 9]);
            a.bytes(IFA_LOCAL, &[192, 0, 2, 1]);
        });
        ifa[0] = libc::AF_INET6 as u8;
        ifa[1] = 64;
        let mut six = [0u8; 16];
        six[0] = 0x20;
        six[1] = 0x01;
        six[15] = 1;
        let v6 = message(libc::RTM_NEWADDR, &ifa, |a| {
            a.bytes(IFA_ADDRESS, &six);
        });
        let addrs = parse_addrs(&[v4, v6]).unwrap();
        assert_eq!(addrs[0].addr, IpAddr::from([192, 0, 2, 1]));
        assert_eq!((addrs[0].index, addrs[0].prefix), (3, 24));
        assert_eq!(addrs[1].addr, IpAddr::from(six));
        assert_eq!(addrs[1].prefix, 64);
    }

    #[test]
    fn malformed_is_an_error() {
        let short = message(libc::RTM_NEWADDR, &[0u8; 4], |_| {});
        assert!(parse_addrs(&[short]).is_err());
        let short = message(libc::RTM_NEWLINK, &[0u8; 8], |_| {});
        assert!(parse_link_details(&[short]).is_err());
        let bad = message(libc::RTM_NEWLINK, &ifinfo(2, 0), |a| {
            a.bytes(IFLA_LINKINFO, &[9, 0, 1]);
        });
        assert!(parse_link_details(&[bad]).is_err());
    }
}
