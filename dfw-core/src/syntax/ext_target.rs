//! Targets as the parser builds them (`-j NAME [options]`, `-g CHAIN`): their options and
//! the finished [`Target`].
//!
//! Contract: options are read as libipt_REJECT/libip6t_REJECT, libxt_LOG and libxt_NAT
//! (1.8.9) read them. NAT ports need `-p tcp|udp|sctp|dccp|icmp`, checked when the rule ends.

use std::net::IpAddr;

use super::error::ErrorKind;
use super::ext::{opt, ArgErr, OptCall, OptSpec};
use super::ext_misc::truncate;
use super::values;
use crate::model::target::{Log, LogFlags, Masquerade, Nat, Reject, LOG_PREFIX_MAX_LEN};
use crate::model::{AddrRange, Family, PortRange, Protocol, Target};

/// `-j REJECT` options.
pub const REJECT_OPTS: &[OptSpec] = &[opt("reject-with", 1, 1, false)];
/// `-j LOG` options (`id` 3.. are flag bits).
pub const LOG_OPTS: &[OptSpec] = &[
    opt("log-level", 1, 1, false),
    opt("log-prefix", 2, 1, false),
    opt("log-tcp-sequence", 3, 0, false),
    opt("log-tcp-options", 4, 0, false),
    opt("log-ip-options", 5, 0, false),
    opt("log-uid", 6, 0, false),
    opt("log-macdecode", 7, 0, false),
];
/// `-j DNAT` options.
pub const DNAT_OPTS: &[OptSpec] = &[
    opt("to-destination", 1, 1, false),
    opt("random", 2, 0, false),
    opt("persistent", 4, 0, false),
];
/// `-j SNAT` options.
pub const SNAT_OPTS: &[OptSpec] = &[
    opt("to-source", 1, 1, false),
    opt("random", 2, 0, false),
    opt("random-fully", 3, 0, false),
    opt("persistent", 4, 0, false),
];
/// `-j MASQUERADE` options.
pub const MASQUERADE_OPTS: &[OptSpec] = &[
    opt("to-ports", 1, 1, false),
    opt("random", 2, 0, false),
    opt("random-fully", 3, 0, false),
];

/// A target being built.
#[derive(Debug, Clone)]
pub enum TargetBuilder {
    /// A target without options (verdicts, jumps, gotos).
    Plain(Target),
    /// `-j REJECT`.
    Reject(Option<Reject>),
    /// `-j LOG`: level, flags, prefix.
    Log(u8, LogFlags, String),
    /// `-j DNAT` (the flag records `--to-destination`).
    Dnat(Nat, bool),
    /// `-j SNAT` (the flag records `--to-source`).
    Snat(Nat, bool),
    /// `-j MASQUERADE`.
    Masquerade(Masquerade),
    /// The targets of [`super::ext_target_extra`] (NFLOG, MARK, CONNMARK, ...).
    Extra(super::ext_target_extra::TargetExtraB),
}

impl TargetBuilder {
    /// A builder for `-j name`; `None` when the name is neither a known target nor a chain.
    pub fn new(name: &str) -> Option<Self> {
        Some(match name {
            "ACCEPT" => TargetBuilder::Plain(Target::Accept),
            "DROP" => TargetBuilder::Plain(Target::Drop),
            "RETURN" => TargetBuilder::Plain(Target::Return),
            "REJECT" => TargetBuilder::Reject(None),
            "LOG" => TargetBuilder::Log(Log::DEFAULT_LEVEL, LogFlags::empty(), String::new()),
            "DNAT" => TargetBuilder::Dnat(Nat::default(), false),
            "SNAT" => TargetBuilder::Snat(Nat::default(), false),
            "MASQUERADE" => TargetBuilder::Masquerade(Masquerade::default()),
            _ => match super::ext_target_extra::TargetExtraB::new(name) {
                Some(b) => TargetBuilder::Extra(b),
                None => TargetBuilder::Plain(Target::Jump(values::chain(name).ok()?)),
            },
        })
    }

    /// The target's options.
    pub fn options(&self) -> &'static [OptSpec] {
        match self {
            TargetBuilder::Plain(_) => &[],
            TargetBuilder::Reject(_) => REJECT_OPTS,
            TargetBuilder::Log(..) => LOG_OPTS,
            TargetBuilder::Dnat(..) => DNAT_OPTS,
            TargetBuilder::Snat(..) => SNAT_OPTS,
            TargetBuilder::Masquerade(_) => MASQUERADE_OPTS,
            TargetBuilder::Extra(b) => b.options(),
        }
    }

    /// Applies one option.
    ///
    /// # Errors
    /// The argument index and what was wrong with it.
    pub fn set(&mut self, call: &OptCall<'_>) -> Result<(), ArgErr> {
        let arg = call.arg();
        let e0 = |e| (0, e);
        match self {
            TargetBuilder::Plain(_) => {}
            TargetBuilder::Reject(r) => *r = Some(reject(call.family, arg).map_err(e0)?),
            TargetBuilder::Log(level, flags, prefix) => match call.spec.id {
                1 => *level = log_level(arg).map_err(e0)?,
                2 if arg.is_empty() => {
                    return Err((0, ErrorKind::BadValue("a non-empty prefix".into())))
                }
                2 if arg.contains('\n') => {
                    return Err((0, ErrorKind::BadValue("a prefix without newlines".into())))
                }
                2 => *prefix = truncate(arg, LOG_PREFIX_MAX_LEN).to_string(),
                id => {
                    *flags |= match id {
                        3 => LogFlags::TCPSEQ,
                        4 => LogFlags::TCPOPT,
                        5 => LogFlags::IPOPT,
                        6 => LogFlags::UID,
                        _ => LogFlags::MACDECODE,
                    }
                }
            },
            TargetBuilder::Dnat(nat, seen) | TargetBuilder::Snat(nat, seen) => match call.spec.id {
                1 => {
                    let (addrs, ports) = nat_range(call.family, arg).map_err(e0)?;
                    check_port_proto(call, ports)?;
                    (nat.addrs, nat.ports, *seen) = (addrs, ports, true);
                }
                2 => nat.random = true,
                3 => nat.random_fully = true,
                _ => nat.persistent = true,
            },
            TargetBuilder::Masquerade(m) => match call.spec.id {
                1 => {
                    let ports = nat_ports(arg).map_err(e0)?;
                    check_port_proto(call, Some(ports))?;
                    m.ports = Some(ports);
                }
                2 => m.random = true,
                _ => m.random_fully = true,
            },
            TargetBuilder::Extra(b) => b.set(call)?,
        }
        Ok(())
    }

    /// The finished target, given the rule's `-p` protocol.
    ///
    /// # Errors
    /// A missing mandatory option, or NAT ports without a port protocol.
    pub fn finish(self, family: Family, proto: Option<Protocol>) -> Result<Target, ErrorKind> {
        let port_ok = matches!(proto.map(|p| p.number()), Some(6 | 17 | 132 | 33 | 1));
        let need_proto = |ports: Option<PortRange>| match ports {
            Some(_) if !port_ok => Err(ErrorKind::BadValue(
                "-p tcp, udp, sctp, dccp or icmp before NAT ports".into(),
            )),
            _ => Ok(()),
        };
        Ok(match self {
            TargetBuilder::Plain(t) => t,
            TargetBuilder::Reject(r) => Target::Reject(r.unwrap_or(Reject::default_for(family))),
            TargetBuilder::Log(level, flags, prefix) => {
                Target::Log(Log::new(level, flags, &prefix).map_err(ErrorKind::Model)?)
            }
            TargetBuilder::Dnat(_, false) => {
                return Err(ErrorKind::MissingOption("--to-destination"))
            }
            TargetBuilder::Snat(_, false) => return Err(ErrorKind::MissingOption("--to-source")),
            TargetBuilder::Dnat(n, true) => {
                need_proto(n.ports)?;
                Target::Dnat(n)
            }
            TargetBuilder::Snat(n, true) => {
                need_proto(n.ports)?;
                Target::Snat(n)
            }
            TargetBuilder::Masquerade(m) => {
                need_proto(m.ports)?;
                Target::Masquerade(m)
            }
            TargetBuilder::Extra(b) => b.finish()?,
        })
    }
}

/// libxt_NAT takes ports only after `-p tcp|udp|sctp|dccp|icmp` (inverted or not).
fn check_port_proto(call: &OptCall<'_>, ports: Option<PortRange>) -> Result<(), ArgErr> {
    let ok = matches!(
        call.proto.as_ref().map(|p| p.value.number()),
        Some(6 | 17 | 132 | 33 | 1)
    );
    if ports.is_some() && !ok {
        return Err((
            0,
            ErrorKind::BadValue("-p tcp, udp, sctp, dccp or icmp before NAT ports".into()),
        ));
    }
    Ok(())
}

fn reject(family: Family, text: &str) -> Result<Reject, ErrorKind> {
    let lower = text.to_ascii_lowercase();
    if let Some(r) = Reject::parse(family, &lower) {
        return Ok(r);
    }
    (0..=10)
        .filter_map(|v| Reject::from_raw(family, v))
        .find(|r| !lower.is_empty() && r.name().starts_with(&lower))
        .ok_or_else(|| {
            ErrorKind::BadValue(format!(
                "a REJECT type for {family} such as {}",
                Reject::default_for(family)
            ))
        })
}

fn log_level(text: &str) -> Result<u8, ErrorKind> {
    const NAMES: &[(&str, u8)] = &[
        ("alert", 1),
        ("crit", 2),
        ("debug", 7),
        ("emerg", 0),
        ("error", 3),
        ("info", 6),
        ("notice", 5),
        ("panic", 0),
        ("warning", 4),
    ];
    values::strtoui(text, 7)
        .map(|n| n as u8)
        .or_else(|| NAMES.iter().find(|(n, _)| *n == text).map(|(_, l)| *l))
        .ok_or_else(|| ErrorKind::BadValue("a log level 0-7 or a name such as warning".into()))
}

/// `p` or `p-q` as libxt_NAT reads ports.
fn nat_ports(text: &str) -> Result<PortRange, ErrorKind> {
    if text.contains(':') {
        return Err(ErrorKind::BadValue(
            "ports as p or p-q (with a dash)".into(),
        ));
    }
    if text.contains('/') {
        return Err(ErrorKind::Unsupported("shifted port maps (p-q/base)"));
    }
    match text.split_once('-') {
        None => values::port(text).map(PortRange::single),
        Some((a, b)) => {
            PortRange::new(values::port(a)?, values::port(b)?).map_err(|_| ErrorKind::ReversedRange)
        }
    }
}

/// `--to-destination` / `--to-source`: `[ip[-ip]][:port[-port]]`, IPv6 in brackets when
/// ports follow.
fn nat_range(
    family: Family,
    text: &str,
) -> Result<(Option<AddrRange>, Option<PortRange>), ErrorKind> {
    let (addr_part, port_part) = if let Some(rest) = text.strip_prefix('[') {
        if family == Family::Ipv4 {
            return Err(ErrorKind::BadAddress(
                "brackets are for IPv6 addresses".into(),
            ));
        }
        let (inner, after) = rest
            .split_once(']')
            .ok_or_else(|| ErrorKind::BadAddress("missing ']'".into()))?;
        let port = match after {
            "" => None,
            a => Some(
                a.strip_prefix(':')
                    .ok_or_else(|| ErrorKind::BadAddress(format!("garbage after ']': {a:?}")))?,
            ),
        };
        (inner, port)
    } else if text.matches(':').count() == 1 {
        let (a, p) = text.split_once(':').unwrap_or((text, ""));
        (a, Some(p))
    } else {
        (text, None)
    };
    let ports = port_part.map(nat_ports).transpose()?;
    if addr_part.is_empty() {
        return match ports {
            Some(_) => Ok((None, ports)),
            None => Err(ErrorKind::BadAddress("expected an address or :port".into())),
        };
    }
    let one = |t: &str| -> Result<IpAddr, ErrorKind> { values::addr(family, t) };
    let range = match addr_part.split_once('-') {
        Some((a, b)) => AddrRange::new(one(a)?, one(b)?).map_err(|_| ErrorKind::ReversedRange)?,
        None => {
            let a = one(addr_part)?;
            AddrRange::new(a, a).map_err(ErrorKind::Model)?
        }
    };
    Ok((Some(range), ports))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nat_ranges() {
        let (a, p) = nat_range(Family::Ipv4, "172.17.0.2:80").unwrap();
        assert_eq!(
            (a.unwrap().to_string(), p),
            ("172.17.0.2-172.17.0.2".into(), Some(PortRange::single(80)))
        );
        let (a, p) = nat_range(Family::Ipv6, "[fd00::2]:80-90").unwrap();
        assert_eq!(a.unwrap().start().to_string(), "fd00::2");
        assert_eq!(p, Some(PortRange::new(80, 90).unwrap()));
        let (a, p) = nat_range(Family::Ipv6, "fd00::2-fd00::9").unwrap();
        assert_eq!((a.unwrap().end().to_string(), p), ("fd00::9".into(), None));
        assert_eq!(
            nat_range(Family::Ipv4, ":53").unwrap(),
            (None, Some(PortRange::single(53)))
        );
        assert!(nat_range(Family::Ipv4, "1.2.3.4:80:90").is_err());
        assert!(nat_range(Family::Ipv4, "[1.2.3.4]:80").is_err());
        assert!(nat_range(Family::Ipv4, "1.2.3.4:90-80").is_err());
    }

    #[test]
    fn reject_and_levels() {
        assert_eq!(reject(Family::Ipv4, "tcp-rst").unwrap().name(), "tcp-reset");
        assert_eq!(
            reject(Family::Ipv4, "icmp-host-p").unwrap().name(),
            "icmp-host-prohibited"
        );
        assert_eq!(
            reject(Family::Ipv6, "adm-prohibited").unwrap().name(),
            "icmp6-adm-prohibited"
        );
        assert!(reject(Family::Ipv6, "icmp-host-prohibited").is_err());
        assert_eq!(log_level("debug"), Ok(7));
        assert_eq!(log_level("3"), Ok(3));
        assert!(log_level("8").is_err());
    }
}
