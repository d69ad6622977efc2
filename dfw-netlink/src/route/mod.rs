//! rtnetlink look-ups dfw needs: the interfaces of the default routes (for
//! `external = ["auto"]`), and the host description of the evaluator ([`host`]).
//!
//! Contract: request building and reply parsing ([`parse`]) are pure and never panic on any
//! input; [`default_route_interfaces`], [`link_names`] and [`host::read_host`] talk to the
//! kernel, over a `NETLINK_ROUTE` socket in the calling thread's network namespace.

pub mod host;
pub mod link;
pub mod parse;

use crate::transport::{Conn, NetlinkSocket, Transport, TransportError};
use dfw_core::model::Family;

pub use host::{
    assumed_externals, build_host, read_host, read_host_assuming, ExternalsFrom, HostError,
};
pub use link::{parse_addrs, parse_link_details, IfAddr, Link, LinkKind};
pub use parse::{
    dump_request, parse_links, parse_routes, parse_rules_match_mark, Route, RouteError,
};

/// Errors while looking up default routes.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// The netlink exchange failed.
    #[error("reading routes over rtnetlink: {0}")]
    Transport(#[from] TransportError),
    /// The kernel's reply could not be parsed.
    #[error("reading routes over rtnetlink: {0}")]
    Parse(#[from] RouteError),
}

/// The names of the interfaces the default routes of `family` leave through (main table,
/// every next hop of a multipath route), sorted and without duplicates.
///
/// # Errors
/// [`LookupError`] when the kernel cannot be asked or answers something unparsable.
pub fn default_route_interfaces(family: Family) -> Result<Vec<String>, LookupError> {
    let mut conn = Conn::new(NetlinkSocket::open_route()?);
    let routes = parse_routes(&conn.dump(&dump_request(libc::RTM_GETROUTE, family))?)?;
    let links = parse_links(&conn.dump(&dump_request(libc::RTM_GETLINK, family))?)?;
    let mut names: Vec<String> = routes
        .iter()
        .filter(|r| r.is_default())
        .flat_map(|r| r.oifs.iter())
        .filter_map(|idx| links.iter().find(|(i, _)| i == idx).map(|(_, n)| n.clone()))
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// The names of every interface of the calling thread's network namespace (RTM_GETLINK), in
/// the kernel's order. Needs no privilege.
///
/// # Errors
/// [`LookupError`] when the kernel cannot be asked or answers something unparsable.
pub fn link_names() -> Result<Vec<String>, LookupError> {
    let mut conn = Conn::new(NetlinkSocket::open_route()?);
    let links = parse_links(&conn.dump(&dump_request(libc::RTM_GETLINK, Family::Ipv4))?)?;
    Ok(links.into_iter().map(|(_, name)| name).collect())
}
