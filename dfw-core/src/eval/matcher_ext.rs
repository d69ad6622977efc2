//! How the extension matches added for ufw, fail2ban and Docker's neighbours evaluate for the
//! first packet of a new connection, mirroring each kernel match function.
//!
//! Contract, per match:
//! - decided from the packet: `pkttype` (the given type, else what the destination address
//!   implies), `sctp` ports (`sctp_mt`), `length`, `ttl`/`hl` and `mac` when the packet gives
//!   them, `rt` (a packet carries no routing header, so `rt_mt` never matches), `connmark` from
//!   the connection's mark (0 for a new entry, changed by CONNMARK), `owner` for a forwarded
//!   packet in POSTROUTING (no local socket: `owner_mt` matches only when every option is
//!   inverted), `physdev` for a packet that did not arrive on a bridge (no bridge info: the
//!   match holds only when every option is inverted);
//! - `recent --set` always matches (it adds the address); every other stateful match
//!   (`limit`, `hashlimit`, `connlimit`, `recent --rcheck/--update/--remove`) depends on earlier
//!   packets or connections and is unknown, with a reason naming it;
//! - a match in a hook the kernel refuses for it (`owner` outside OUTPUT/POSTROUTING, `mac`
//!   in OUTPUT/POSTROUTING) is unknown: such a ruleset does not load.

use std::net::IpAddr;

use crate::model::matches::{
    AddrTypes, HashLimitMode, Owner, Physdev, PktType, RecentCmd, SctpMatch,
};
use crate::model::{Family, Hook, Match};

use super::flow::Flow;
use super::host::IfaceKind;
use super::matcher::port;
use super::packet::L4;
use super::tri::Tri;

/// The link-layer type of the packet: given, or implied by its destination address.
fn pkttype_of(flow: &Flow<'_>) -> Result<PktType, String> {
    if let Some(t) = flow.details.pkttype {
        return Ok(t);
    }
    let multicast = match flow.dst {
        IpAddr::V4(a) => a.is_multicast(),
        IpAddr::V6(a) => a.is_multicast(),
    };
    if multicast {
        return Ok(PktType::Multicast);
    }
    if flow.family == Family::Ipv4 {
        let t = flow
            .host
            .addr_type_v4(&flow.dst, Some(flow.in_iface.as_str()))?;
        if t.contains(AddrTypes::BROADCAST) {
            return Ok(PktType::Broadcast);
        }
    }
    Ok(PktType::Unicast)
}

fn sctp(m: &SctpMatch, flow: &Flow<'_>) -> Tri {
    let L4::Sctp { sport, dport } = flow.l4 else {
        return Tri::unknown("sctp match on a non-SCTP packet (the rule lacks -p sctp)");
    };
    let one = |r: &Option<crate::model::Neg<crate::model::PortRange>>, p, what| {
        r.as_ref().map_or(Tri::Yes, |r| port(r, p, what))
    };
    Tri::all([
        one(&m.sport, sport, "source port"),
        one(&m.dport, Some(dport), "destination port"),
    ])
}

/// Every given option inverted: what `owner_mt` and `physdev_mt` return without a socket or
/// bridge information.
fn all_inverted(flags: &[Option<bool>]) -> Tri {
    Tri::from_bool(flags.iter().flatten().all(|neg| *neg))
}

fn owner(o: &Owner, flow: &Flow<'_>) -> Tri {
    match flow.hook {
        Hook::Postrouting => {
            let flags = [
                o.socket_exists,
                o.uid.map(|u| u.2),
                o.gid.map(|g| g.2),
                o.suppl_groups.then_some(false),
            ];
            all_inverted(&flags)
        }
        Hook::Output => Tri::unknown("-m owner: the sending socket is not modelled"),
        _ => Tri::unknown("-m owner outside OUTPUT and POSTROUTING (not loadable)"),
    }
}

fn physdev(p: &Physdev, flow: &Flow<'_>) -> Tri {
    match flow.host.iface(&flow.in_iface).map(|i| i.kind) {
        Some(IfaceKind::External | IfaceKind::Loopback) => {
            let flags = [
                p.in_dev.as_ref().map(|d| d.1),
                p.out_dev.as_ref().map(|d| d.1),
                p.is_in,
                p.is_out,
                p.is_bridged,
            ];
            all_inverted(&flags)
        }
        Some(IfaceKind::Bridge) => Tri::unknown(format!(
            "-m physdev: the bridge port a packet from {} came through is not given",
            flow.in_iface
        )),
        None => Tri::unknown(format!(
            "-m physdev: whether {} is a bridge is not known",
            flow.in_iface
        )),
    }
}

/// One of the extension matches of this module; `None` for the others.
pub(crate) fn one(m: &Match, flow: &Flow<'_>) -> Option<Tri> {
    let unknown = |what: &str| Tri::unknown(what.to_string());
    Some(match m {
        Match::Limit(l) => unknown(&format!(
            "-m limit --limit {l}: whether the rate limit lets this packet through depends on \
             earlier packets"
        )),
        Match::HashLimit(h) => {
            let side = if h.mode.contains(HashLimitMode::INVERT) {
                "above"
            } else {
                "up to"
            };
            Tri::unknown(format!(
                "-m hashlimit --hashlimit-name {}: whether the bucket is {side} its rate depends \
                 on earlier packets",
                h.name
            ))
        }
        Match::ConnLimit(c) => Tri::unknown(format!(
            "-m connlimit: the number of connections of the address group (limit {}) is not known",
            c.limit
        )),
        Match::Recent(r) if r.cmd() == RecentCmd::Set => Tri::from_bool(!r.invert()),
        Match::Recent(r) => Tri::unknown(format!(
            "-m recent {} --name {}: whether the address is in the list depends on earlier packets",
            r.cmd().option(),
            r.name()
        )),
        Match::PktType(t) => match pkttype_of(flow) {
            Ok(actual) => Tri::neg(actual == t.value, t.negated),
            Err(reason) => Tri::Unknown(reason),
        },
        Match::Mac(mac) => match (flow.hook, flow.details.src_mac) {
            (Hook::Output | Hook::Postrouting, _) => {
                unknown("-m mac outside PREROUTING, INPUT and FORWARD (not loadable)")
            }
            (_, Some(a)) => Tri::neg(a == mac.value, mac.negated),
            (_, None) => unknown("-m mac: the packet's source MAC address is not given"),
        },
        Match::Owner(o) => owner(o, flow),
        Match::Physdev(p) => physdev(p, flow),
        Match::Sctp(s) => sctp(s, flow),
        Match::Ttl(t) | Match::Hl(t) => match flow.details.ttl {
            Some(v) => Tri::from_bool(t.op.test(v, t.value)),
            None => unknown("-m ttl/hl: the packet's TTL (hop limit) is not given"),
        },
        Match::Length(l) => match flow.details.len {
            Some(n) => Tri::neg(l.value.min <= n && n <= l.value.max, l.negated),
            None => unknown("-m length: the packet's length is not given"),
        },
        // No routing header: `rt_mt` fails the header lookup and does not match, inverted
        // options or not.
        Match::Rt(_) => Tri::No,
        Match::ConnMark(mk) => match (&flow.ct, flow.ctmark) {
            (super::flow::Ct::Unknown(reason), _) => Tri::Unknown(reason.clone()),
            (_, Some(v)) => Tri::neg(v & mk.mask() == mk.value(), mk.negated()),
            // No entry (before conntrack, untracked): `connmark_mt` returns false.
            (super::flow::Ct::NotYet | super::flow::Ct::Untracked, None) => Tri::No,
            (_, None) => unknown("-m connmark: the connection mark is not known"),
        },
        _ => return None,
    })
}
