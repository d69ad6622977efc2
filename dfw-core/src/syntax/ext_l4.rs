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
use crate::model::{Neg, PortRange};

const SPORT: u8 = 1;
const DPORT: u8 = 2;
const FLAGS: u8 = 3;
const OPTION: u8 = 4;
const SYN: u8 = 5;

/// `-m tcp` options.
pub const TCP_OPTS: &[OptSpec] = &[
    opt("sport", SPORT, 1, true),
    opt("source-port", SPORT, 1, true),
    opt("dport", DPORT, 1, true),
    opt("destination-port", DPORT, 1, true),
    opt("syn", SYN, 0, true),
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

const FLAG_NAMES: &[(TcpFlag, &str)] = &[
    (TcpFlag::FIN, "FIN"),
    (TcpFlag::SYN, "SYN"),
    (TcpFlag::RST, "RST"),
    (TcpFlag::PSH, "PSH"),
    (TcpFlag::ACK, "ACK"),
    (TcpFlag::URG, "URG"),
    (TcpFlag::all(), "ALL"),
    (TcpFlag::empty(), "NONE"),
];

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
        SYN => m.flags = Some(call.neg(TcpFlags::SYN)),
        FLAGS => {
            let mask = tcp_flags(call.arg()).map_err(|e| (0, e))?;
            let comp = tcp_flags(call.args.get(1).copied().unwrap_or("")).map_err(|e| (1, e))?;
            m.flags = Some(call.neg(TcpFlags { mask, comp }));
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
