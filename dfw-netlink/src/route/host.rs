//! The host description the evaluator needs ([`dfw_core::eval::Host`]), read from the live
//! kernel: links (name, kind, state), their addresses, the main table's routes and whether the
//! host forwards.
//!
//! Contract: [`build_host`] is pure. Interface kinds: the loopback device is
//! [`IfaceKind::Loopback`]; the external interfaces are those the caller names, or by default
//! the interfaces (up) the family's default routes leave through, and are
//! [`IfaceKind::External`]; every other interface (bridges, veths, a LAN port) is
//! [`IfaceKind::Bridge`]: it is not examined by the audit, and only its addresses and routes
//! matter to the evaluator. Each interface lists its addresses in the kernel's order, IPv6
//! link-local ones last. Routes: unicast routes of the main table with an output interface
//! (every next hop of a multipath route). When no external interface is named and no default
//! route gives one, [`assumed_externals`] names every interface that is up and is neither the
//! loopback, a bridge nor a bridge port (a container's veth): [`read_host_assuming`] uses them
//! and says so. [`read_host`] and [`read_host_assuming`] are the only functions here that talk
//! to the kernel (rtnetlink dumps and `/proc/sys/net`, in the calling thread's namespace).

use dfw_core::eval::{Host, HostIface, IfaceKind, Route as EvalRoute};
use dfw_core::model::{Family, Network};

use super::link::{parse_addrs, parse_link_details, IfAddr, Link, LinkKind};
use super::parse::{dump_request, parse_routes, parse_rules_match_mark, Route};
use super::LookupError;
use crate::transport::{Conn, NetlinkSocket, Transport};

const RT_TABLE_MAIN: u32 = 254;
const RTN_UNICAST: u8 = 1;

/// Errors while describing the host.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// Reading links, addresses or routes failed.
    #[error(transparent)]
    Lookup(#[from] LookupError),
    /// An interface named as external does not exist.
    #[error("interface {0} does not exist")]
    NoSuchInterface(String),
    /// The forwarding sysctl could not be read.
    #[error("reading {path}: {source}")]
    Sysctl {
        /// The file.
        path: &'static str,
        /// The error.
        source: std::io::Error,
    },
}

/// The host of one family: `externals` as named (or, when empty, the interfaces that are up and
/// carry a default route of `family`), `forwarding` as the sysctl says.
///
/// # Errors
/// [`HostError::NoSuchInterface`] when a named external interface is not among `links`.
pub fn build_host(
    family: Family,
    links: &[Link],
    addrs: &[IfAddr],
    routes: &[Route],
    forwarding: bool,
    externals: &[String],
) -> Result<Host, HostError> {
    let name_of = |idx: i32| links.iter().find(|l| l.index == idx).map(|l| &l.name);
    if let Some(missing) = externals
        .iter()
        .find(|e| !links.iter().any(|l| &l.name == *e))
    {
        return Err(HostError::NoSuchInterface(missing.clone()));
    }
    let main: Vec<&Route> = routes
        .iter()
        .filter(|r| r.table == RT_TABLE_MAIN && r.kind == RTN_UNICAST)
        .collect();
    let external = |l: &Link| {
        if externals.is_empty() {
            l.up && main
                .iter()
                .any(|r| r.dst_len == 0 && r.oifs.contains(&l.index))
        } else {
            externals.contains(&l.name)
        }
    };
    let ifaces = links
        .iter()
        .map(|l| HostIface {
            name: l.name.clone(),
            kind: match l.kind {
                LinkKind::Loopback => IfaceKind::Loopback,
                _ if external(l) => IfaceKind::External,
                _ => IfaceKind::Bridge,
            },
            addrs: ordered(addrs.iter().filter(|a| a.index == l.index)),
        })
        .collect();
    let unspecified = match family {
        Family::Ipv4 => std::net::IpAddr::from([0u8; 4]),
        Family::Ipv6 => std::net::IpAddr::from([0u8; 16]),
    };
    let routes = main
        .iter()
        .filter_map(|r| {
            let dest = Network::with_prefix(r.dst.unwrap_or(unspecified), r.dst_len).ok()?;
            (dest.family() == family).then_some((dest, r))
        })
        .flat_map(|(dest, r)| {
            r.oifs.iter().filter_map(move |i| {
                name_of(*i).map(|n| EvalRoute {
                    dest,
                    iface: n.clone(),
                })
            })
        })
        .collect();
    Ok(Host {
        ifaces,
        routes,
        forwarding,
        sets: Default::default(),
        mark_rules: None,
    })
}

/// The interfaces to take as external when none is named and no default route gives one:
/// those that are up and are neither the loopback, a bridge (`docker0`, `br-...`) nor
/// enslaved to one (a container's veth), sorted by name.
pub fn assumed_externals(links: &[Link]) -> Vec<String> {
    let mut names: Vec<String> = links
        .iter()
        .filter(|l| l.up && l.master.is_none())
        .filter(|l| matches!(l.kind, LinkKind::Other(_)))
        .map(|l| l.name.clone())
        .collect();
    names.sort();
    names
}

/// Where the external interfaces of a host description came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternalsFrom {
    /// Named by the caller.
    Named,
    /// The interfaces of the family's default routes.
    DefaultRoutes,
    /// No default route: every interface [`assumed_externals`] names (possibly none).
    Assumed(Vec<String>),
}

/// An interface's addresses, IPv6 link-local ones last (the evaluator probes an interface at
/// its first address of a family).
fn ordered<'a>(addrs: impl Iterator<Item = &'a IfAddr>) -> Vec<(std::net::IpAddr, u8)> {
    let mut v: Vec<(std::net::IpAddr, u8)> = addrs.map(|a| (a.addr, a.prefix)).collect();
    v.sort_by_key(
        |(a, _)| matches!(a, std::net::IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80),
    );
    v
}

/// Whether the calling thread's network namespace forwards `family`.
///
/// # Errors
/// [`HostError::Sysctl`] when the sysctl cannot be read.
pub fn read_forwarding(family: Family) -> Result<bool, HostError> {
    let path = match family {
        Family::Ipv4 => "/proc/sys/net/ipv4/ip_forward",
        Family::Ipv6 => "/proc/sys/net/ipv6/conf/all/forwarding",
    };
    let text =
        std::fs::read_to_string(path).map_err(|source| HostError::Sysctl { path, source })?;
    Ok(text.trim() != "0")
}

/// The host description of `family` from the kernel of the calling thread's namespace (see
/// the module contract; `externals` empty: the default-route interfaces).
///
/// # Errors
/// [`HostError`] when the kernel cannot be asked, answers something unparsable, or a named
/// interface does not exist.
pub fn read_host(family: Family, externals: &[String]) -> Result<Host, HostError> {
    Ok(read_host_assuming(family, externals, false)?.0)
}

/// As [`read_host`]; with `assume` and no interface named, when no default route gives an
/// external interface, the interfaces of [`assumed_externals`] are taken instead, and the
/// answer says so.
///
/// # Errors
/// As [`read_host`].
pub fn read_host_assuming(
    family: Family,
    externals: &[String],
    assume: bool,
) -> Result<(Host, ExternalsFrom), HostError> {
    let mut conn = Conn::new(NetlinkSocket::open_route().map_err(LookupError::from)?);
    let mut dump = |kind: u16, f: Family| -> Result<Vec<Vec<u8>>, LookupError> {
        Ok(conn.dump(&dump_request(kind, f))?)
    };
    let links = parse_link_details(&dump(libc::RTM_GETLINK, family)?).map_err(LookupError::from)?;
    let mut addrs = Vec::new();
    for f in [Family::Ipv4, Family::Ipv6] {
        addrs.extend(parse_addrs(&dump(libc::RTM_GETADDR, f)?).map_err(LookupError::from)?);
    }
    let routes = parse_routes(&dump(libc::RTM_GETROUTE, family)?).map_err(LookupError::from)?;
    let mark_rules =
        parse_rules_match_mark(&dump(libc::RTM_GETRULE, family)?).map_err(LookupError::from)?;
    let forwarding = read_forwarding(family)?;
    let with_rules = |mut h: Host| {
        h.mark_rules = Some(mark_rules);
        h
    };
    let host = with_rules(build_host(
        family, &links, &addrs, &routes, forwarding, externals,
    )?);
    if !externals.is_empty() {
        return Ok((host, ExternalsFrom::Named));
    }
    let found = host
        .ifaces_of(dfw_core::eval::IfaceKind::External)
        .next()
        .is_some();
    if found || !assume {
        return Ok((host, ExternalsFrom::DefaultRoutes));
    }
    let names = assumed_externals(&links);
    let host = with_rules(build_host(
        family, &links, &addrs, &routes, forwarding, &names,
    )?);
    Ok((host, ExternalsFrom::Assumed(names)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(index: i32, name: &str, kind: LinkKind) -> Link {
        Link {
            index,
            name: name.into(),
            kind,
            up: true,
            master: None,
        }
    }

    #[test]
    fn assumed_externals_leave_out_loopback_bridges_and_their_ports() {
        let mut links = vec![
            link(1, "lo", LinkKind::Loopback),
            link(2, "eth1", LinkKind::Other(None)),
            link(3, "docker0", LinkKind::Bridge),
            link(4, "veth12ab", LinkKind::Other(Some("veth".into()))),
            link(5, "eth0", LinkKind::Other(Some("veth".into()))),
            link(6, "eth2", LinkKind::Other(None)),
        ];
        links[3].master = Some(3);
        links[5].up = false;
        assert_eq!(assumed_externals(&links), ["eth0", "eth1"]);
    }

    #[test]
    fn defaults_make_externals_and_routes() {
        let links = [
            link(1, "lo", LinkKind::Loopback),
            link(2, "eth0", LinkKind::Other(Some("veth".into()))),
            link(3, "docker0", LinkKind::Bridge),
        ];
        let addrs = [IfAddr {
            index: 2,
            addr: "203.0.113.1".parse().unwrap(),
            prefix: 24,
        }];
        let routes = [
            Route {
                dst_len: 0,
                dst: None,
                table: RT_TABLE_MAIN,
                kind: RTN_UNICAST,
                oifs: vec![2],
            },
            Route {
                dst_len: 8,
                dst: Some("10.0.0.0".parse().unwrap()),
                table: RT_TABLE_MAIN,
                kind: RTN_UNICAST,
                oifs: vec![3],
            },
            Route {
                dst_len: 32,
                dst: Some("203.0.113.1".parse().unwrap()),
                table: 255,
                kind: 2,
                oifs: vec![2],
            },
        ];
        let h = build_host(Family::Ipv4, &links, &addrs, &routes, true, &[]).unwrap();
        let kinds: Vec<IfaceKind> = h.ifaces.iter().map(|i| i.kind).collect();
        assert_eq!(
            kinds,
            [IfaceKind::Loopback, IfaceKind::External, IfaceKind::Bridge]
        );
        assert_eq!(h.ifaces[1].addrs, [("203.0.113.1".parse().unwrap(), 24)]);
        assert_eq!(h.routes.len(), 2);
        assert_eq!(h.routes[0].dest.to_string(), "0.0.0.0/0");
        assert_eq!(h.routes[1].iface, "docker0");
        assert!(h.forwarding);

        let named = ["docker0".to_string()];
        let h = build_host(Family::Ipv4, &links, &addrs, &routes, false, &named).unwrap();
        assert_eq!(h.ifaces[1].kind, IfaceKind::Bridge);
        assert_eq!(h.ifaces[2].kind, IfaceKind::External);
        let bad = ["eth9".to_string()];
        let err = build_host(Family::Ipv4, &links, &addrs, &routes, false, &bad).unwrap_err();
        assert!(err.to_string().contains("eth9"));
    }
}
