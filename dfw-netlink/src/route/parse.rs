//! Pure rtnetlink encoding and decoding: dump requests, `rtmsg` routes and `ifinfomsg` links.

use dfw_core::model::Family;

use crate::wire::consts::{NLMSG_DONE, NLMSG_ERROR, NLM_F_DUMP, NLM_F_REQUEST};
use crate::wire::{split_messages, AttrIter, NlMsgHeader, WireError, NLMSG_HDRLEN};

const RTMSG_LEN: usize = 12;
const IFINFOMSG_LEN: usize = 16;
const RTA_DST: u16 = 1;
const RTA_OIF: u16 = 4;
const RTA_MULTIPATH: u16 = 9;
const RTA_TABLE: u16 = 15;
#[cfg(test)]
const IFLA_IFNAME: u16 = 3;
const RT_TABLE_MAIN: u32 = 254;
const RTN_UNICAST: u8 = 1;
const RTNEXTHOP_LEN: usize = 8;

/// A reply that is not a well-formed rtnetlink message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// Framing or attribute error.
    #[error("malformed reply: {0}")]
    Wire(#[from] WireError),
    /// A message shorter than its fixed header.
    #[error("truncated {0}")]
    Truncated(&'static str),
}

/// One route of the dump: what dfw needs of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Destination prefix length (0 for a default route).
    pub dst_len: u8,
    /// Destination network address (`RTA_DST`; `None` for a default route).
    pub dst: Option<std::net::IpAddr>,
    /// Routing table id.
    pub table: u32,
    /// Route type (`RTN_*`).
    pub kind: u8,
    /// Output interface indexes (several for a multipath route).
    pub oifs: Vec<i32>,
}

impl Route {
    /// True for a unicast default route of the main table.
    pub fn is_default(&self) -> bool {
        self.dst_len == 0 && self.table == RT_TABLE_MAIN && self.kind == RTN_UNICAST
    }
}

/// An address from an attribute payload of address family `family` (`AF_INET`,
/// `AF_INET6`); `None` for another family or a payload of the wrong length.
pub(crate) fn ip_of(family: u8, payload: &[u8]) -> Option<std::net::IpAddr> {
    match family as i32 {
        libc::AF_INET => <[u8; 4]>::try_from(payload).ok().map(Into::into),
        libc::AF_INET6 => <[u8; 16]>::try_from(payload).ok().map(Into::into),
        _ => None,
    }
}

/// A dump request (`RTM_GETROUTE`, `RTM_GETLINK`, `RTM_GETADDR` or `RTM_GETRULE`, whose
/// `struct fib_rule_hdr` is as long as `struct rtmsg`) for a family.
pub fn dump_request(kind: u16, family: Family) -> Vec<u8> {
    let body = match kind {
        libc::RTM_GETLINK => IFINFOMSG_LEN,
        libc::RTM_GETADDR => 8,
        _ => RTMSG_LEN,
    };
    let mut buf = vec![0u8; NLMSG_HDRLEN + body];
    let hdr = NlMsgHeader {
        len: buf.len() as u32,
        kind,
        flags: NLM_F_REQUEST | NLM_F_DUMP,
        seq: 0,
        pid: 0,
    };
    hdr.emit(&mut buf);
    buf[NLMSG_HDRLEN] = match (kind, family) {
        (libc::RTM_GETLINK, _) => libc::AF_UNSPEC as u8,
        (_, Family::Ipv4) => libc::AF_INET as u8,
        (_, Family::Ipv6) => libc::AF_INET6 as u8,
    };
    buf
}

/// Bodies (after the netlink header) of the data messages in a dump reply.
pub(crate) fn bodies(messages: &[Vec<u8>]) -> Result<Vec<(u16, &[u8])>, RouteError> {
    let mut out = Vec::new();
    for m in messages {
        for part in split_messages(m) {
            let (h, body) = part?;
            if h.kind != NLMSG_DONE && h.kind != NLMSG_ERROR {
                out.push((h.kind, body));
            }
        }
    }
    Ok(out)
}

/// Parses the routes of an `RTM_GETROUTE` dump.
///
/// # Errors
/// [`RouteError`] for a malformed message.
pub fn parse_routes(messages: &[Vec<u8>]) -> Result<Vec<Route>, RouteError> {
    let mut routes = Vec::new();
    for (kind, body) in bodies(messages)? {
        if kind != libc::RTM_NEWROUTE {
            continue;
        }
        if body.len() < RTMSG_LEN {
            return Err(RouteError::Truncated("rtmsg"));
        }
        let family = body[0];
        let mut r = Route {
            dst_len: body[1],
            dst: None,
            table: body[4] as u32,
            kind: body[7],
            oifs: Vec::new(),
        };
        for attr in AttrIter::new(&body[RTMSG_LEN..]) {
            let attr = attr?;
            match attr.kind {
                RTA_OIF => r.oifs.push(ne_i32(attr.payload)?),
                RTA_DST => r.dst = ip_of(family, attr.payload),
                RTA_TABLE => r.table = ne_i32(attr.payload)? as u32,
                RTA_MULTIPATH => r.oifs.extend(nexthops(attr.payload)?),
                _ => {}
            }
        }
        routes.push(r);
    }
    Ok(routes)
}

/// `FRA_FWMARK`: a policy routing rule's firewall mark.
const FRA_FWMARK: u16 = 10;
/// `FRA_FWMASK`: the mask of its firewall mark.
const FRA_FWMASK: u16 = 16;
/// `sizeof(struct fib_rule_hdr)`.
const FIB_RULE_HDR_LEN: usize = 12;

/// Whether some policy routing rule of an `RTM_GETRULE` dump (`ip rule`) matches the
/// firewall mark (`fwmark`, with or without a mask).
///
/// # Errors
/// [`RouteError`] for a malformed message.
pub fn parse_rules_match_mark(messages: &[Vec<u8>]) -> Result<bool, RouteError> {
    for (kind, body) in bodies(messages)? {
        if kind != libc::RTM_NEWRULE {
            continue;
        }
        if body.len() < FIB_RULE_HDR_LEN {
            return Err(RouteError::Truncated("fib_rule_hdr"));
        }
        for attr in AttrIter::new(&body[FIB_RULE_HDR_LEN..]) {
            let attr = attr?;
            if attr.kind == FRA_FWMARK || attr.kind == FRA_FWMASK {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Interface indexes of the `struct rtnexthop` list of `RTA_MULTIPATH`.
fn nexthops(mut buf: &[u8]) -> Result<Vec<i32>, RouteError> {
    let mut out = Vec::new();
    while buf.len() >= RTNEXTHOP_LEN {
        let len = u16::from_ne_bytes([buf[0], buf[1]]) as usize;
        if len < RTNEXTHOP_LEN || len > buf.len() {
            return Err(RouteError::Truncated("rtnexthop"));
        }
        out.push(ne_i32(&buf[4..8])?);
        buf = &buf[crate::wire::align4(len).min(buf.len())..];
    }
    Ok(out)
}

/// Parses `(index, name)` pairs of an `RTM_GETLINK` dump (see
/// [`super::link::parse_link_details`] for kinds and state).
///
/// # Errors
/// [`RouteError`] for a malformed message.
pub fn parse_links(messages: &[Vec<u8>]) -> Result<Vec<(i32, String)>, RouteError> {
    Ok(super::link::parse_link_details(messages)?
        .into_iter()
        .map(|l| (l.index, l.name))
        .collect())
}

pub(crate) fn ne_i32(b: &[u8]) -> Result<i32, RouteError> {
    let a: [u8; 4] = b
        .get(..4)
        .and_then(|s| s.try_into().ok())
        .ok_or(RouteError::Truncated("u32 attribute"))?;
    Ok(i32::from_ne_bytes(a))
}

/// Test support: one rtnetlink message with a fixed header and attributes.
#[cfg(test)]
pub(crate) fn test_message(
    kind: u16,
    fixed: &[u8],
    attrs: impl FnOnce(&mut crate::wire::AttrWriter<'_>),
) -> Vec<u8> {
    let mut buf = vec![0u8; NLMSG_HDRLEN];
    buf.extend_from_slice(fixed);
    attrs(&mut crate::wire::AttrWriter::new(&mut buf));
    let hdr = NlMsgHeader {
        len: buf.len() as u32,
        kind,
        flags: 2,
        seq: 1,
        pid: 0,
    };
    hdr.emit(&mut buf);
    buf
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::AttrWriter;

    fn message(kind: u16, fixed: &[u8], attrs: impl FnOnce(&mut AttrWriter<'_>)) -> Vec<u8> {
        test_message(kind, fixed, attrs)
    }

    #[test]
    fn finds_default_routes_and_names() {
        let mut rt = [0u8; RTMSG_LEN];
        rt[0] = libc::AF_INET as u8;
        rt[4] = 254;
        rt[7] = RTN_UNICAST;
        let default = message(libc::RTM_NEWROUTE, &rt, |a| {
            a.bytes(RTA_OIF, &7i32.to_ne_bytes());
        });
        rt[1] = 24;
        let subnet = message(libc::RTM_NEWROUTE, &rt, |a| {
            a.bytes(RTA_OIF, &8i32.to_ne_bytes());
        });
        let routes = parse_routes(&[default, subnet]).unwrap();
        let defaults: Vec<_> = routes.iter().filter(|r| r.is_default()).collect();
        assert_eq!(defaults.len(), 1);
        assert_eq!(defaults[0].oifs, [7]);

        let mut ifi = [0u8; IFINFOMSG_LEN];
        ifi[4..8].copy_from_slice(&7i32.to_ne_bytes());
        let link = message(libc::RTM_NEWLINK, &ifi, |a| {
            a.string(IFLA_IFNAME, "eth0");
        });
        assert_eq!(parse_links(&[link]).unwrap(), [(7, "eth0".to_string())]);
    }

    #[test]
    fn malformed_replies_are_errors() {
        let short = message(libc::RTM_NEWROUTE, &[0u8; 4], |_| {});
        assert!(parse_routes(&[short]).is_err());
        let junk = message(libc::RTM_NEWLINK, &[0u8; IFINFOMSG_LEN], |a| {
            a.bytes(IFLA_IFNAME, &[0xff, 0xfe]);
        });
        assert!(parse_links(&[junk]).is_err());
    }

    #[test]
    fn rules_matching_the_mark() {
        // `ip rule`'s defaults: local (priority 0), main (32766), default (32767).
        let mut hdr = [0u8; FIB_RULE_HDR_LEN];
        hdr[0] = libc::AF_INET as u8;
        hdr[7] = 1; // FR_ACT_TO_TBL
        let rule = |table: u32, prio: u32, mark: Option<u32>| {
            message(libc::RTM_NEWRULE, &hdr, |a| {
                a.bytes(15, &table.to_ne_bytes())
                    .bytes(6, &prio.to_ne_bytes());
                if let Some(m) = mark {
                    a.bytes(FRA_FWMARK, &m.to_ne_bytes());
                }
            })
        };
        let defaults = vec![
            rule(255, 0, None),
            rule(254, 32766, None),
            rule(253, 32767, None),
        ];
        assert!(!parse_rules_match_mark(&defaults).unwrap());
        let mut marked = defaults.clone();
        marked.insert(1, rule(100, 100, Some(1)));
        assert!(parse_rules_match_mark(&marked).unwrap());
        let short = message(libc::RTM_NEWRULE, &[0u8; 4], |_| {});
        assert!(parse_rules_match_mark(&[short]).is_err());
    }
}
