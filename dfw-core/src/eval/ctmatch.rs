//! The `conntrack` and `state` matches, as `conntrack_mt` (revision 3) evaluates them for the
//! first packet of a new connection.
//!
//! Contract, per option:
//! - state: INVALID before the conntrack hook (raw PREROUTING: no entry yet), UNTRACKED after
//!   `-j CT --notrack`; otherwise NEW,
//!   plus the DNAT/SNAT virtual states once the entry's destination/source was translated.
//!   Without an entry the match is true only if it has a state option (kernel: `ct == NULL`).
//! - direction: ORIGINAL. proto, addresses: from the entry's tuples.
//! - ports: TCP/UDP tuple ports; unknown when the source port is not given or the protocol's
//!   tuple is not modelled (ICMP ids, GRE keys, ...).
//! - status: a first packet's entry is unconfirmed, not expected, without reply and not
//!   assured: none of EXPECTED, SEEN_REPLY, ASSURED, CONFIRMED is set.
//! - expire: unknown (an unconfirmed entry's remaining time depends on the kernel's clock).

use std::net::IpAddr;

use crate::model::matches::{Conntrack, CtDirection, CtStates};
use crate::model::{Neg, Network, PortRange};

use super::flow::{Ct, Flow};
use super::matcher::port;
use super::tri::Tri;

fn addr(opt: &Option<Neg<Network>>, a: &IpAddr) -> Tri {
    opt.as_ref()
        .map_or(Tri::Yes, |n| Tri::neg(n.value.contains(a), n.negated))
}

fn ct_port(opt: &Option<Neg<PortRange>>, p: Option<u16>, ports: bool, what: &str) -> Tri {
    match opt {
        None => Tri::Yes,
        Some(r) if ports => port(r, p, what),
        Some(_) => Tri::unknown(format!(
            "{what}: the conntrack tuple of this protocol is not modelled"
        )),
    }
}

/// The `-m conntrack` match.
pub(crate) fn conntrack(c: &Conntrack, flow: &Flow<'_>) -> Tri {
    let (proto, orig, reply, ports, dnat, snat) = match &flow.ct {
        Ct::Unknown(reason) => return Tri::Unknown(reason.clone()),
        Ct::NotYet | Ct::Untracked => {
            let bit = if flow.ct == Ct::Untracked {
                CtStates::UNTRACKED
            } else {
                CtStates::INVALID
            };
            let state = c
                .state
                .as_ref()
                .map_or(Tri::Yes, |s| Tri::neg(s.value.intersects(bit), s.negated));
            return state.and(Tri::from_bool(c.state.is_some()));
        }
        Ct::New {
            proto,
            orig,
            reply,
            ports,
            dnat,
            snat,
        } => (*proto, orig, reply, *ports, *dnat, *snat),
    };
    let mut bits = CtStates::NEW;
    if dnat {
        bits |= CtStates::DNAT;
    }
    if snat {
        bits |= CtStates::SNAT;
    }
    let state = c
        .state
        .as_ref()
        .map_or(Tri::Yes, |s| Tri::neg(s.value.intersects(bits), s.negated));
    let dir = match c.direction {
        None | Some(CtDirection::Original) => Tri::Yes,
        Some(CtDirection::Reply) => Tri::No,
    };
    let p = c
        .proto
        .as_ref()
        .map_or(Tri::Yes, |p| Tri::neg(p.value == proto, p.negated));
    let status = c
        .status
        .as_ref()
        .map_or(Tri::Yes, |s| Tri::neg(false, s.negated));
    let expire = match &c.expire {
        None => Tri::Yes,
        Some(_) => Tri::unknown("--ctexpire: the remaining lifetime of a new entry is not known"),
    };
    Tri::all([
        state,
        dir,
        addr(&c.orig_src, &orig.src),
        addr(&c.orig_dst, &orig.dst),
        addr(&c.repl_src, &reply.src),
        addr(&c.repl_dst, &reply.dst),
        p,
        ct_port(&c.orig_src_port, orig.sport, ports, "--ctorigsrcport"),
        ct_port(&c.orig_dst_port, orig.dport, ports, "--ctorigdstport"),
        ct_port(&c.repl_src_port, reply.sport, ports, "--ctreplsrcport"),
        ct_port(&c.repl_dst_port, reply.dport, ports, "--ctrepldstport"),
        status,
        expire,
    ])
}

/// The `-m state` match: the conntrack state option alone.
pub(crate) fn state(s: &Neg<CtStates>, flow: &Flow<'_>) -> Tri {
    let c = Conntrack {
        state: Some(s.clone()),
        ..Conntrack::default()
    };
    conntrack(&c, flow)
}
