//! Options of the protocol matches: `tcp`, `udp`, `multiport`, `icmp` and `icmp6`.
//!
//! Contract: values are read as libxt_tcp, libxt_udp, libxt_multiport (revision 1) and
//! libipt_icmp/libip6t_icmp6 read them. A port range covering every port (`0:65535`) is
//! dropped, as iptables-save never prints it.

use super::error::ErrorKind;
use super::ext::{opt, ArgErr, OptCall, OptSpec};
use super::{icmp_names, values};
use crate::model::matches::{
    IcmpType, Multiport, MultiportKind, TcpFlag, TcpFlags, TcpMatch, UdpMatch,
};
use crate::model::{Match, Neg, PortRange};

const SPORT: u8 = 1;
const DPORT: u8 = 2;
const FLAGS: u8 = 3;
const OPTION: u8 = 4;

/// `-m tcp` options.
pub const TCP_OPTS: &[OptSpec] = &[
    opt("sport", SPORT, 1, true),
    opt("source-port", SPORT, 1, true),
    opt("dport", DPORT, 1, true),
    opt("destination-port", DPORT, 1, true),
    opt("syn", FLAGS, 0, true),
    opt("tcp-flags", FLAGS, 2, true),
    opt("tcp-option", OPTION, 1, true),
];

/// `-m udp` options.
pub const UDP_OPTS: &[OptSpec] = &[
    opt("sport", SPORT, 1, true),
    opt("source-port", SPORT, 1, true),
    opt("dport", DPORT, 1, true),
    opt("destination-port", DPORT, 1, true),
];

/// `-m multiport` options (`id` is the [`MultiportKind`] value).
pub const MULTIPORT_OPTS: &[OptSpec] = &[
    opt("sports", 0, 1, true),
    opt("source-ports", 0, 1, true),
    opt("dports", 1, 1, true),
    opt("destination-ports", 1, 1, true),
    opt("ports", 2, 1, true),
];

/// `-m icmp` options.
pub const ICMP_OPTS: &[OptSpec] = &[opt("icmp-type", 1, 1, true)];

/// `-m icmp6` options.
pub const ICMP6_OPTS: &[OptSpec] = &[opt("icmpv6-type", 1, 1, true)];

fn ports(call: &OptCall<'_>) -> Result<Option<Neg<PortRange>>, ArgErr> {
    let r = values::port_range(call.arg()).map_err(|e| (0, e))?;
    if r == PortRange::ALL && call.invert {
        return Err((
            0,
            ErrorKind::BadValue(
                "a port range other than 0:65535 after '!' (iptables-nft drops it)".into(),
            ),
        ));
    }
    Ok((r != PortRange::ALL).then(|| call.neg(r)))
}

/// The names `--tcp-flags` accepts: each flag, `ALL` and `NONE`.
const FLAG_NAMES: [(TcpFlag, &str); 8] = {
    let [a, b, c, d, e, f] = TcpFlag::NAMES;
    [
        a,
        b,
        c,
        d,
        e,
        f,
        (TcpFlag::all(), "ALL"),
        (TcpFlag::empty(), "NONE"),
    ]
};

fn tcp_flags(text: &str) -> Result<TcpFlag, ErrorKind> {
    text.split(',').try_fold(TcpFlag::empty(), |acc, name| {
        FLAG_NAMES
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(f, _)| acc | *f)
            .ok_or_else(|| {
                ErrorKind::BadValue(format!(
                    "TCP flags FIN,SYN,RST,PSH,ACK,URG,ALL,NONE (got {name:?})"
                ))
            })
    })
}

/// Applies a `-m tcp` option.
///
/// # Errors
/// A bad port, flag or option number.
pub fn tcp_set(m: &mut TcpMatch, call: &OptCall<'_>) -> Result<(), ArgErr> {
    match call.spec.id {
        SPORT => m.sport = ports(call)?,
        DPORT => m.dport = ports(call)?,
        FLAGS if call.spec.name == "syn" => m.flags = Some(call.neg(TcpFlags::SYN)),
        FLAGS => {
            let mask = tcp_flags(call.arg()).map_err(|e| (0, e))?;
            let comp = tcp_flags(call.args.get(1).copied().unwrap_or("")).map_err(|e| (1, e))?;
            // An empty mask examines nothing: iptables-nft encodes nothing for it.
            // (Kept here with its empty mask; `finish` drops it as iptables-nft does.)
            m.flags = match (mask.is_empty(), call.invert) {
                (_, false) | (false, true) => Some(call.neg(TcpFlags { mask, comp })),
                (true, true) => {
                    return Err((
                        0,
                        ErrorKind::BadValue(
                            "a non-empty flag mask after '!' (iptables-nft drops it)".into(),
                        ),
                    ))
                }
            };
        }
        _ => {
            let n = values::strtoui(call.arg(), 255)
                .filter(|n| *n >= 1)
                .ok_or((0, ErrorKind::BadValue("a TCP option number 1-255".into())))?;
            m.option = Some(call.neg(n as u8));
        }
    }
    Ok(())
}

/// Applies a `-m udp` option.
///
/// # Errors
/// A bad port.
pub fn udp_set(m: &mut UdpMatch, call: &OptCall<'_>) -> Result<(), ArgErr> {
    match call.spec.id {
        SPORT => m.sport = ports(call)?,
        _ => m.dport = ports(call)?,
    }
    Ok(())
}

/// A multiport match being built.
#[derive(Debug, Clone, Default)]
pub struct MultiportB(Option<Multiport>);

impl MultiportB {
    /// The finished match.
    ///
    /// # Errors
    /// When no port option was given.
    pub fn finish(self) -> Result<Multiport, ErrorKind> {
        self.0
            .ok_or(ErrorKind::MissingOption("--sports, --dports or --ports"))
    }
}

/// Applies a `-m multiport` option.
///
/// # Errors
/// A bad list, or a second port option.
pub fn multiport_set(m: &mut MultiportB, call: &OptCall<'_>) -> Result<(), ArgErr> {
    let ok = matches!(call.proto.as_ref(), Some(p) if !p.negated && matches!(p.value.number(), 6 | 17 | 33 | 132 | 136));
    if !ok {
        return Err((
            usize::MAX,
            ErrorKind::BadValue(
                "-p tcp, udp, udplite, sctp or dccp before multiport options".into(),
            ),
        ));
    }
    if m.0.is_some() {
        return Err((
            usize::MAX,
            ErrorKind::BadValue("only one of --sports, --dports, --ports".into()),
        ));
    }
    let kind = match call.spec.id {
        0 => MultiportKind::Source,
        1 => MultiportKind::Destination,
        _ => MultiportKind::Either,
    };
    let list = call
        .arg()
        .split(',')
        .map(|item| match item.split_once(':') {
            None => values::port(item).map(PortRange::single),
            Some((a, b)) => {
                let (lo, hi) = (values::port(a)?, values::port(b)?);
                if lo >= hi {
                    return Err(ErrorKind::BadValue(format!(
                        "a port range a:b with a < b (got {item:?})"
                    )));
                }
                PortRange::new(lo, hi).map_err(|_| ErrorKind::ReversedRange)
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| (0, e))?;
    let mp = Multiport::new(kind, list, call.invert).map_err(|e| (0, ErrorKind::Model(e)))?;
    m.0 = Some(mp);
    Ok(())
}

/// Applies `--icmp-type` / `--icmpv6-type`.
///
/// # Errors
/// An unknown or ambiguous type.
pub fn icmp_set(m: &mut Option<Neg<IcmpType>>, call: &OptCall<'_>) -> Result<(), ArgErr> {
    let v6 = call.spec.name == "icmpv6-type";
    let t = icmp_names::parse(call.arg(), v6).map_err(|e| (0, e))?;
    *m = Some(call.neg(t));
    Ok(())
}

/// True when iptables-nft encodes this tcp match natively (ports and flags, no
/// `--tcp-option`, not empty); it reads all native tcp expressions of a rule back as one match.
fn tcp_native(t: &TcpMatch) -> bool {
    !t.is_empty() && t.option.is_none()
}

fn fill<T: Clone>(into: &mut Option<T>, from: &Option<T>) {
    if into.is_none() {
        into.clone_from(from);
    }
}

/// Merges the natively encoded tcp (and udp) matches of a rule into the first one, as
/// iptables-nft 1.8.9 reads them back from the kernel; matches that set the same option are
/// left apart.
pub fn merge_native(matches: Vec<Match>) -> Vec<Match> {
    let tcp = matches
        .iter()
        .filter(|m| matches!(m, Match::Tcp(t) if tcp_native(t)))
        .count();
    let udp = matches
        .iter()
        .filter(|m| matches!(m, Match::Udp(u) if !u.is_empty()))
        .count();
    if tcp <= 1 && udp <= 1 {
        return matches; // nothing to merge: kept as they are, not copied
    }
    let mut out: Vec<Match> = Vec::with_capacity(matches.len());
    let (mut tcp_at, mut udp_at) = (None, None);
    for m in matches {
        match m {
            Match::Tcp(t) if tcp_native(&t) => {
                if let Some(Match::Tcp(first)) = tcp_at.and_then(|i| out.get_mut(i)) {
                    let clash = (first.sport.is_some() && t.sport.is_some())
                        || (first.dport.is_some() && t.dport.is_some())
                        || (first.flags.is_some() && t.flags.is_some());
                    if !clash {
                        fill(&mut first.sport, &t.sport);
                        fill(&mut first.dport, &t.dport);
                        fill(&mut first.flags, &t.flags);
                        continue;
                    }
                } else {
                    tcp_at = Some(out.len());
                }
                out.push(Match::Tcp(t));
            }
            Match::Udp(u) if !u.is_empty() => {
                if let Some(Match::Udp(first)) = udp_at.and_then(|i| out.get_mut(i)) {
                    let clash = (first.sport.is_some() && u.sport.is_some())
                        || (first.dport.is_some() && u.dport.is_some());
                    if !clash {
                        fill(&mut first.sport, &u.sport);
                        fill(&mut first.dport, &u.dport);
                        continue;
                    }
                } else {
                    udp_at = Some(out.len());
                }
                out.push(Match::Udp(u));
            }
            other => out.push(other),
        }
    }
    out
}

/// The finished tcp match as iptables-nft stores it: `--tcp-flags NONE x` examines nothing
/// and is dropped; when that leaves the match empty and `x` was not empty, iptables-nft
/// stores no match at all (`None`), otherwise an empty `-m tcp`.
pub fn tcp_finish(mut m: TcpMatch) -> Option<TcpMatch> {
    let comp = match &m.flags {
        Some(f) if f.value.mask.is_empty() => f.value.comp,
        _ => return Some(m),
    };
    m.flags = None;
    (comp.is_empty() || !m.is_empty()).then_some(m)
}
