//! What `meta`, `ct` and `fib` load for the packet in flight, as the kernel computes it
//! (`nft_meta_get_eval`, `nft_ct_get_eval`, `nft_fib4/6_eval`), or why that is unknown.
//!
//! Contract: values are in the register's byte order (host-endian for u32 keys such as the
//! mark or the conntrack state, as the kernel stores them; addresses and ports in network
//! order). `Ok(None)` means the kernel ends the rule (`NFT_BREAK`: no conntrack entry for a
//! key that needs one). Unknown bits carry the reason.

use std::net::IpAddr;

use super::regs::{known, unknown, Cell};
use crate::eval::flow::{Ct, Flow};
use crate::model::matches::AddrTypes;
use crate::model::Family;

/// The reason returned with unknown bytes.
pub(crate) type Loaded = Result<Option<Vec<Cell>>, String>;

fn u32ne(v: u32) -> Vec<Cell> {
    known(&v.to_ne_bytes())
}

fn ifname(name: Option<&str>) -> Vec<Cell> {
    let mut b = [0u8; 16];
    if let Some(n) = name {
        let n = n.as_bytes();
        b[..n.len().min(15)].copy_from_slice(&n[..n.len().min(15)]);
    }
    known(&b)
}

/// An interface index: only `lo`'s (1) is known; the absence of a device is 0.
fn ifindex(name: Option<&str>) -> Result<Vec<Cell>, String> {
    match name {
        None => Ok(u32ne(0)),
        Some("lo") => Ok(u32ne(1)),
        Some(n) => Err(format!("the interface index of {n} is not known")),
    }
}

fn nfproto(f: Family) -> u8 {
    match f {
        Family::Ipv4 => 2,
        Family::Ipv6 => 10,
    }
}

/// `meta KEY`.
pub(crate) fn meta(flow: &Flow<'_>, key: u32) -> Loaded {
    let v = match key {
        1 => known(
            &match flow.family {
                Family::Ipv4 => 0x0800u16,
                Family::Ipv6 => 0x86ddu16,
            }
            .to_be_bytes(),
        ),
        3 => match flow.mark {
            Some(m) => u32ne(m),
            None => return Err("the packet mark is not known".into()),
        },
        4 => ifindex(Some(&flow.in_iface))?,
        5 => ifindex(flow.out_iface.as_deref())?,
        6 => ifname(Some(&flow.in_iface)),
        7 => ifname(flow.out_iface.as_deref()),
        15 => known(&[nfproto(flow.family)]),
        16 => known(&[flow.proto.number()]),
        k => return Err(format!("meta key {k} is not modelled")),
    };
    Ok(Some(v))
}

fn addr(a: &IpAddr) -> Vec<Cell> {
    match a {
        IpAddr::V4(v) => known(&v.octets()),
        IpAddr::V6(v) => known(&v.octets()),
    }
}

/// `ct KEY [DIR]`.
pub(crate) fn ct(flow: &Flow<'_>, key: u32, dir: Option<u8>) -> Loaded {
    let (orig, reply, ports, dnat, snat) = match &flow.ct {
        Ct::Unknown(why) => return Err(why.clone()),
        Ct::NotYet => {
            // No entry yet: the state reads INVALID, every other key ends the rule.
            return Ok((key == 0).then(|| u32ne(1)));
        }
        Ct::Untracked => {
            // NOTRACK: the state reads UNTRACKED, every other key ends the rule.
            return Ok((key == 0).then(|| u32ne(64)));
        }
        Ct::New {
            orig,
            reply,
            ports,
            dnat,
            snat,
            ..
        } => (orig, reply, *ports, *dnat, *snat),
    };
    let t = if dir == Some(1) { reply } else { orig };
    let port = |p: Option<u16>| match (ports, p) {
        (true, Some(p)) => Ok(known(&p.to_be_bytes())),
        (true, None) => Err("the source port is not known".to_string()),
        (false, _) => Ok(unknown(2)),
    };
    let v = match key {
        // NEW: NF_CT_STATE_BIT(IP_CT_NEW).
        0 => u32ne(8),
        // IP_CT_DIR_ORIGINAL.
        1 => known(&[0]),
        2 => {
            // An unconfirmed entry: SRC_NAT 0x10 / DST_NAT 0x20 as bound so far; the
            // *_NAT_DONE bits (0x80, 0x100) depend on which NAT hooks ran: unknown.
            let bits = (u32::from(snat) * 0x10) | (u32::from(dnat) * 0x20);
            let mut c = u32ne(bits);
            let unknown_bits = (0x80u32 | 0x100).to_ne_bytes();
            for (cell, u) in c.iter_mut().zip(unknown_bits) {
                cell.known &= !u;
                cell.v &= !u;
            }
            c
        }
        3 => u32ne(0),
        7 => known(&[nfproto(flow.family)]),
        10 => known(&[flow.proto.number()]),
        8 | 19 | 21 => addr(&t.src),
        9 | 20 | 22 => addr(&t.dst),
        11 => port(t.sport)?,
        12 => port(t.dport)?,
        k => return Err(format!("ct key {k} is not modelled")),
    };
    Ok(Some(v))
}

/// The route type number (`RTN_*`) of `a` on the host.
fn rtn_type(flow: &Flow<'_>, a: &IpAddr) -> Result<u32, String> {
    match a {
        IpAddr::V4(_) => {
            let t = flow.host.addr_type_v4(a, None)?;
            Ok(t.bits().trailing_zeros())
        }
        IpAddr::V6(v) => Ok(if flow.host.local_owner(a).is_some() {
            AddrTypes::LOCAL.bits().trailing_zeros()
        } else if v.is_multicast() {
            AddrTypes::MULTICAST.bits().trailing_zeros()
        } else if flow.host.lookup(a).is_some() {
            AddrTypes::UNICAST.bits().trailing_zeros()
        } else {
            AddrTypes::UNREACHABLE.bits().trailing_zeros()
        }),
    }
}

/// `fib FLAGS RESULT` (flags: saddr 1, daddr 2, mark 4, iif 8, oif 16, present 32).
pub(crate) fn fib(flow: &Flow<'_>, flags: u32, result: u32) -> Loaded {
    let a = if flags & 1 != 0 { flow.src } else { flow.dst };
    let extra = flags & !(1 | 2 | 32);
    match result {
        3 if extra == 0 => Ok(Some(u32ne(rtn_type(flow, &a)?))),
        1 | 2 if flags & 1 != 0 && extra & !(4 | 8) == 0 => {
            // Reverse-path lookup of the source via the input interface (`fib saddr . iif`),
            // with the mark when given: policy routing is not modelled, so a mark that
            // could select another table is unknown, unless no `ip rule` matches a mark.
            let mark_blind = flow.host.mark_rules == Some(false);
            if flags & 4 != 0 && flow.mark.is_none_or(|m| m != 0) && !mark_blind {
                return Err("fib with the packet mark: policy routing is not modelled".into());
            }
            let out = match flow.host.local_owner(&a) {
                Some(_) => Some("lo"),
                None => flow.host.lookup(&a),
            };
            let out = if flags & 8 != 0 {
                out.filter(|o| *o == flow.in_iface)
            } else {
                out
            };
            present_or(flags, result, out)
        }
        _ => Err(format!(
            "fib with flags {flags:#x} and result {result} is not modelled"
        )),
    }
}

fn present_or(flags: u32, result: u32, out: Option<&str>) -> Loaded {
    if flags & 32 != 0 {
        return Ok(Some(known(&[u8::from(out.is_some())])));
    }
    match result {
        2 => Ok(Some(ifname(out))),
        _ => ifindex(out).map(Some),
    }
}
