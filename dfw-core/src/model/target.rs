//! Rule targets: verdicts, jumps, REJECT, LOG and the NAT targets Docker uses; the other
//! targets are in `target_ext` (re-exported here).

use std::fmt;

use bitflags::bitflags;

use super::{AddrRange, ChainName, Family, ModelError, PortRange};

pub use super::target_ext::{
    Connmark, ConnmarkMode, Ct, CtEvents, CtZone, MarkTarget, Nflog, Redirect, Shift, Tcpmss,
    CT_HELPER_MAX_LEN, CT_TIMEOUT_MAX_LEN, NFLOG_PREFIX_MAX_LEN,
};

/// What a rule does when it matches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// `-j ACCEPT`.
    Accept,
    /// `-j DROP`.
    Drop,
    /// `-j RETURN`.
    Return,
    /// `-j CHAIN`.
    Jump(ChainName),
    /// `-g CHAIN`.
    Goto(ChainName),
    /// `-j REJECT --reject-with ...`.
    Reject(Reject),
    /// `-j LOG ...`.
    Log(Log),
    /// `-j DNAT --to-destination ...`.
    Dnat(Nat),
    /// `-j SNAT --to-source ...`.
    Snat(Nat),
    /// `-j MASQUERADE ...`.
    Masquerade(Masquerade),
    /// `-j NFLOG ...`.
    Nflog(Nflog),
    /// `-j MARK --set-xmark ...`.
    Mark(MarkTarget),
    /// `-j CONNMARK ...`.
    Connmark(Connmark),
    /// `-j TCPMSS ...` (needs `-p tcp`).
    Tcpmss(Tcpmss),
    /// `-j REDIRECT ...`.
    Redirect(Redirect),
    /// `-j CT ...` or `-j NOTRACK` (boxed: it is the largest target and rare).
    Ct(Box<Ct>),
    /// A kernel rule dfw cannot decode, standing in its place in a chain read from the kernel
    /// (see [`Opaque`]): what it does is unknown. Never parsed, never encoded.
    Opaque(Opaque),
}

impl Target {
    /// The name `-j` (or `-g`) takes: the target's own name, or the chain's.
    pub fn name(&self) -> &str {
        match self {
            Target::Accept => "ACCEPT",
            Target::Drop => "DROP",
            Target::Return => "RETURN",
            Target::Jump(c) | Target::Goto(c) => c.as_str(),
            Target::Reject(_) => "REJECT",
            Target::Log(_) => "LOG",
            Target::Dnat(_) => "DNAT",
            Target::Snat(_) => "SNAT",
            Target::Masquerade(_) => "MASQUERADE",
            Target::Nflog(_) => "NFLOG",
            Target::Mark(_) => "MARK",
            Target::Connmark(_) => "CONNMARK",
            Target::Tcpmss(_) => "TCPMSS",
            Target::Redirect(_) => "REDIRECT",
            Target::Ct(c) if c.alias => "NOTRACK",
            Target::Ct(_) => "CT",
            Target::Opaque(_) => "(a rule dfw cannot decode)",
        }
    }

    /// The chain this target jumps or goes to, if any.
    pub fn chain(&self) -> Option<&ChainName> {
        match self {
            Target::Jump(c) | Target::Goto(c) => Some(c),
            _ => None,
        }
    }

    /// Checks the target fits the family (REJECT types, NAT addresses).
    ///
    /// # Errors
    /// [`ModelError::WrongFamily`] or [`ModelError::Invalid`].
    pub fn check_family(&self, family: Family) -> Result<(), ModelError> {
        match self {
            Target::Reject(r) if r.family() != family => Err(ModelError::Invalid {
                what: "REJECT",
                reason: format!("--reject-with {} is not valid for {family}", r.name()),
            }),
            Target::Dnat(n) | Target::Snat(n) if n.addrs.is_none() && n.ports.is_none() => {
                Err(ModelError::Invalid {
                    what: "NAT",
                    reason: "needs an address or a port range".into(),
                })
            }
            Target::Dnat(n) if n.random_fully => Err(ModelError::Invalid {
                what: "DNAT",
                reason: "--random-fully is SNAT/MASQUERADE only".into(),
            }),
            Target::Dnat(n) | Target::Snat(n) => match n.addrs {
                Some(a) if a.family() != family => Err(ModelError::WrongFamily {
                    addr: a.start().to_string(),
                    family,
                }),
                _ => Ok(()),
            },
            Target::Connmark(c) => c.check(),
            Target::Ct(c) => c.check(),
            Target::Tcpmss(Tcpmss::Set(v)) if u32::from(*v) > 65535 - tcpmss_header(family) => {
                Err(ModelError::Invalid {
                    what: "--set-mss",
                    reason: format!("{v} is above {}", 65535 - tcpmss_header(family)),
                })
            }
            _ => Ok(()),
        }
    }
}

/// A rule of the kernel dfw cannot decode (a match or target dfw does not model, or a native
/// nftables rule), kept in its place when the kernel's rules become a model ruleset for the
/// evaluator. The rule's header and matches hold what is known to be required of a packet
/// for it to match (nothing, when nothing could be decoded); beyond that, whether it matches
/// and what it then does (accept, drop, jump, return, mark, ...) are unknown, so the
/// evaluator gives an unknown outcome, naming the rule, to every packet it may match. iptables
/// text never produces it, and the rule codec refuses to encode it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Opaque {
    /// Why dfw cannot decode the rule (the first obstacle found).
    pub reason: String,
    /// The kernel's handle of the rule, when it was read from the kernel: which rule it is
    /// (`nft -a` lists it), so a change can keep exactly that rule.
    pub handle: Option<u64>,
}

/// The IP header size libxt_TCPMSS subtracts from the largest MSS.
fn tcpmss_header(family: Family) -> u32 {
    match family {
        Family::Ipv4 => 20,
        Family::Ipv6 => 40,
    }
}

/// A REJECT reply type; the two families have different sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reject {
    /// An IPv4 reply.
    V4(RejectV4),
    /// An IPv6 reply.
    V6(RejectV6),
}

/// IPv4 REJECT replies; values are `enum ipt_reject_with`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum RejectV4 {
    /// `icmp-net-unreachable`.
    NetUnreachable = 0,
    /// `icmp-host-unreachable`.
    HostUnreachable = 1,
    /// `icmp-proto-unreachable`.
    ProtoUnreachable = 2,
    /// `icmp-port-unreachable` (the default).
    PortUnreachable = 3,
    /// `icmp-net-prohibited`.
    NetProhibited = 5,
    /// `icmp-host-prohibited`.
    HostProhibited = 6,
    /// `tcp-reset`.
    TcpReset = 7,
    /// `icmp-admin-prohibited`.
    AdminProhibited = 8,
}

/// IPv6 REJECT replies; values are `enum ip6t_reject_with`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum RejectV6 {
    /// `icmp6-no-route`.
    NoRoute = 0,
    /// `icmp6-adm-prohibited`.
    AdmProhibited = 1,
    /// `icmp6-addr-unreachable`.
    AddrUnreachable = 3,
    /// `icmp6-port-unreachable` (the default).
    PortUnreachable = 4,
    /// `tcp-reset`.
    TcpReset = 6,
    /// `icmp6-policy-fail`.
    PolicyFail = 7,
    /// `icmp6-reject-route`.
    RejectRoute = 8,
}

const V4_NAMES: &[(RejectV4, &str)] = &[
    (RejectV4::NetUnreachable, "icmp-net-unreachable"),
    (RejectV4::HostUnreachable, "icmp-host-unreachable"),
    (RejectV4::ProtoUnreachable, "icmp-proto-unreachable"),
    (RejectV4::PortUnreachable, "icmp-port-unreachable"),
    (RejectV4::NetProhibited, "icmp-net-prohibited"),
    (RejectV4::HostProhibited, "icmp-host-prohibited"),
    (RejectV4::TcpReset, "tcp-reset"),
    (RejectV4::AdminProhibited, "icmp-admin-prohibited"),
];

const V6_NAMES: &[(RejectV6, &str)] = &[
    (RejectV6::NoRoute, "icmp6-no-route"),
    (RejectV6::AdmProhibited, "icmp6-adm-prohibited"),
    (RejectV6::AddrUnreachable, "icmp6-addr-unreachable"),
    (RejectV6::PortUnreachable, "icmp6-port-unreachable"),
    (RejectV6::TcpReset, "tcp-reset"),
    (RejectV6::PolicyFail, "icmp6-policy-fail"),
    (RejectV6::RejectRoute, "icmp6-reject-route"),
];

/// Input aliases libxt_REJECT accepts, mapped to canonical names.
const ALIASES: &[(&str, &str)] = &[
    ("net-unreach", "icmp-net-unreachable"),
    ("host-unreach", "icmp-host-unreachable"),
    ("proto-unreach", "icmp-proto-unreachable"),
    ("port-unreach", "icmp-port-unreachable"),
    ("net-prohib", "icmp-net-prohibited"),
    ("host-prohib", "icmp-host-prohibited"),
    ("admin-prohib", "icmp-admin-prohibited"),
    ("tcp-rst", "tcp-reset"),
    ("no-route", "icmp6-no-route"),
    ("adm-prohibited", "icmp6-adm-prohibited"),
    ("addr-unreach", "icmp6-addr-unreachable"),
    ("port-unreach", "icmp6-port-unreachable"),
    ("policy-fail", "icmp6-policy-fail"),
    ("reject-route", "icmp6-reject-route"),
];

impl Reject {
    /// The default reply of a family (`icmp-port-unreachable` / `icmp6-port-unreachable`).
    pub fn default_for(family: Family) -> Reject {
        match family {
            Family::Ipv4 => Reject::V4(RejectV4::PortUnreachable),
            Family::Ipv6 => Reject::V6(RejectV6::PortUnreachable),
        }
    }

    /// Parses a `--reject-with` value for a family, accepting libxt_REJECT's aliases.
    pub fn parse(family: Family, text: &str) -> Option<Reject> {
        let mut names: Vec<&str> = vec![text];
        names.extend(ALIASES.iter().filter(|(a, _)| *a == text).map(|(_, c)| *c));
        names.into_iter().find_map(|n| match family {
            Family::Ipv4 => V4_NAMES
                .iter()
                .find(|(_, s)| *s == n)
                .map(|(r, _)| Reject::V4(*r)),
            Family::Ipv6 => V6_NAMES
                .iter()
                .find(|(_, s)| *s == n)
                .map(|(r, _)| Reject::V6(*r)),
        })
    }

    /// From the kernel value for a family.
    pub fn from_raw(family: Family, value: u32) -> Option<Reject> {
        match family {
            Family::Ipv4 => V4_NAMES
                .iter()
                .find(|(r, _)| *r as u32 == value)
                .map(|(r, _)| Reject::V4(*r)),
            Family::Ipv6 => V6_NAMES
                .iter()
                .find(|(r, _)| *r as u32 == value)
                .map(|(r, _)| Reject::V6(*r)),
        }
    }

    /// The kernel value.
    pub fn raw(self) -> u32 {
        match self {
            Reject::V4(r) => r as u32,
            Reject::V6(r) => r as u32,
        }
    }

    /// The family this reply belongs to.
    pub fn family(self) -> Family {
        match self {
            Reject::V4(_) => Family::Ipv4,
            Reject::V6(_) => Family::Ipv6,
        }
    }

    /// True for `tcp-reset` (needs `-p tcp`).
    pub fn is_tcp_reset(self) -> bool {
        matches!(
            self,
            Reject::V4(RejectV4::TcpReset) | Reject::V6(RejectV6::TcpReset)
        )
    }

    /// The canonical name iptables-save prints.
    pub fn name(self) -> &'static str {
        match self {
            Reject::V4(r) => V4_NAMES.iter().find(|(x, _)| *x == r).map(|(_, s)| *s),
            Reject::V6(r) => V6_NAMES.iter().find(|(x, _)| *x == r).map(|(_, s)| *s),
        }
        .unwrap_or("icmp-port-unreachable")
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

bitflags! {
    /// LOG flags (`XT_LOG_*`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct LogFlags: u8 {
        /// `--log-tcp-sequence`.
        const TCPSEQ = 0x01;
        /// `--log-tcp-options`.
        const TCPOPT = 0x02;
        /// `--log-ip-options`.
        const IPOPT = 0x04;
        /// `--log-uid`.
        const UID = 0x08;
        /// `--log-macdecode`.
        const MACDECODE = 0x20;
    }
}

/// Longest LOG prefix (`prefix[30]` with its NUL).
pub const LOG_PREFIX_MAX_LEN: usize = 29;

/// `-j LOG`: syslog level 0-7 (default 4), flags, prefix of at most 29 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Log {
    level: u8,
    flags: LogFlags,
    prefix: String,
}

impl Log {
    /// The default syslog level (`warning`).
    pub const DEFAULT_LEVEL: u8 = 4;

    /// Builds a LOG target.
    ///
    /// # Errors
    /// [`ModelError::Invalid`] for a level above 7 or a prefix over 29 bytes or with NUL.
    pub fn new(level: u8, flags: LogFlags, prefix: &str) -> Result<Self, ModelError> {
        if level > 7 {
            return Err(ModelError::Invalid {
                what: "--log-level",
                reason: format!("{level} is above 7"),
            });
        }
        if prefix.len() > LOG_PREFIX_MAX_LEN || prefix.contains('\0') {
            return Err(ModelError::Invalid {
                what: "--log-prefix",
                reason: format!(
                    "{:?} is longer than {LOG_PREFIX_MAX_LEN} bytes or has NUL",
                    prefix
                ),
            });
        }
        Ok(Log {
            level,
            flags,
            prefix: prefix.to_string(),
        })
    }

    /// Syslog level.
    pub fn level(&self) -> u8 {
        self.level
    }

    /// Flags.
    pub fn flags(&self) -> LogFlags {
        self.flags
    }

    /// Prefix (may be empty).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
}

/// The range a DNAT/SNAT target maps to: addresses and/or ports, plus flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Nat {
    /// Address range (a single address has start == end).
    pub addrs: Option<AddrRange>,
    /// Port range.
    pub ports: Option<PortRange>,
    /// `--random`.
    pub random: bool,
    /// `--persistent`.
    pub persistent: bool,
    /// `--random-fully`.
    pub random_fully: bool,
}

/// `-j MASQUERADE [--to-ports p[-q]] [--random] [--random-fully]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Masquerade {
    /// `--to-ports`.
    pub ports: Option<PortRange>,
    /// `--random`.
    pub random: bool,
    /// `--random-fully`.
    pub random_fully: bool,
}
