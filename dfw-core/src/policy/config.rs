//! The validated policy: what a config file means, in model types.
//!
//! Contract: every field holds model values that are valid by construction (interfaces,
//! networks, ranges, ports, comments). [`Policy::from_toml`](super::Policy::from_toml) also
//! enforces the config rules (non-empty lists, families that can match); a `Policy` built by
//! hand skips those, and the compiler handles any value without panicking (an allow with no
//! port produces no rule, for example).

use std::fmt;
use std::net::IpAddr;

use crate::model::matches::{Comment, SetName};
use crate::model::{AddrRange, Family, Iface, Network, PortRange, Protocol};

/// Which interfaces are external (`[interfaces] external`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum External {
    /// `["auto"]`: the interfaces of the default routes (IPv4 and IPv6), found by the caller.
    Auto,
    /// Named interfaces (`eth0`, or a prefix wildcard `eth+`).
    Named(Vec<Iface>),
}

/// What happens to traffic from outside that nothing allows (`[policy] default`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DefaultAction {
    /// `"reject"`: `REJECT --reject-with icmp-host-prohibited` (IPv4) or
    /// `icmp6-adm-prohibited` (IPv6). The default.
    #[default]
    Reject,
    /// `"drop"`: `DROP`, silently.
    Drop,
}

/// The transport protocol of an allowed port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transport {
    /// `/tcp`, also what a bare port means (as with Docker's `-p`).
    Tcp,
    /// `/udp`.
    Udp,
}

impl Transport {
    /// The model protocol (`-p tcp`, `-p udp`).
    pub fn protocol(self) -> Protocol {
        match self {
            Transport::Tcp => Protocol::TCP,
            Transport::Udp => Protocol::UDP,
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        })
    }
}

/// One allowed port or port range with its protocol (`"9000-9100/tcp"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortSpec {
    /// TCP or UDP.
    pub proto: Transport,
    /// The port, or an inclusive range.
    pub ports: PortRange,
}

impl fmt::Display for PortSpec {
    /// The config form: `8080/tcp`, `9000-9100/udp`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ports.is_single() {
            write!(f, "{}/{}", self.ports.lo(), self.proto)
        } else {
            write!(f, "{}-{}/{}", self.ports.lo(), self.ports.hi(), self.proto)
        }
    }
}

/// A source: an address or CIDR network, or an inclusive address range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// `198.51.100.7` (a host) or `192.168.1.0/24`.
    Net(Network),
    /// `198.51.100.1-198.51.100.3` (matched with `-m iprange --src-range`).
    Range(AddrRange),
}

impl Source {
    /// The address family.
    pub fn family(&self) -> Family {
        match self {
            Source::Net(n) => n.family(),
            Source::Range(r) => r.family(),
        }
    }

    /// True when `addr` is in this source.
    pub fn contains(&self, addr: &IpAddr) -> bool {
        match self {
            Source::Net(n) => n.contains(addr),
            Source::Range(r) => r.contains(addr),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Net(n) if n.is_host() => write!(f, "{}", n.addr()),
            Source::Net(n) => write!(f, "{n}"),
            Source::Range(r) => write!(f, "{r}"),
        }
    }
}

/// One `[[allow]]`: ports reachable from the external interfaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Allow {
    /// `comment`: put on each generated rule as `-m comment --comment TEXT`.
    pub comment: Option<Comment>,
    /// `ports`: the original (published, pre-DNAT) ports.
    pub ports: Vec<PortSpec>,
    /// `from`: the sources allowed; `None` is everyone, `Some(empty)` is no one.
    pub from: Option<Vec<Source>>,
    /// `to`: only for this original destination address (or network).
    pub to: Option<Network>,
}

impl Allow {
    /// True when this allow can produce rules for `family`: `to` (if any) is of that family
    /// and `from` is absent or has a source of that family.
    pub fn applies_to(&self, family: Family) -> bool {
        self.to.is_none_or(|t| t.family() == family)
            && self
                .from
                .as_ref()
                .is_none_or(|f| f.iter().any(|s| s.family() == family))
    }
}

/// One `[[forward]]`: router mode, traffic from `in` to `out` is accepted (and its replies).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Forward {
    /// `in`: the interface the traffic arrives on.
    pub in_iface: Iface,
    /// `out`: the interface it leaves by.
    pub out_iface: Iface,
}

/// `[blocklist]`: sources refused on every external interface, before anything else a new
/// connection meets, on the Docker path and the host path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Blocklist {
    /// `sources`: addresses, CIDRs or ranges.
    pub sources: Vec<Source>,
    /// `files`: paths of lists with one address, CIDR or range per line (`#` comments), read
    /// at every plan and commit (FireHOL, country lists).
    pub files: Vec<String>,
    /// `ipsets`: sets another tool manages (CrowdSec's bouncer, fail2ban's ipset actions),
    /// read only: their members are blocked too.
    pub ipsets: Vec<SetName>,
}

/// A whole Docker-host policy. `Default` is what an empty file means.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Policy {
    /// `[interfaces] external`; default `["auto"]`.
    pub external: External,
    /// `[policy] default`; default `"reject"`.
    pub default: DefaultAction,
    /// `[policy] host`: also filter the host's own INPUT; default `false`, so that turning dfw
    /// on never cuts an SSH session to the host.
    pub host: bool,
    /// `[policy] ping`: echo requests to the host (with `host = true`); default `true`.
    pub ping: bool,
    /// `[[allow]]`, in file order.
    pub allow: Vec<Allow>,
    /// `[whitelist] sources`: reach every port.
    pub whitelist: Vec<Source>,
    /// `[lan] networks`: trusted entirely, even on an external interface.
    pub lan: Vec<Source>,
    /// `[[forward]]`, in file order.
    pub forward: Vec<Forward>,
    /// `[blocklist]`, when present: also enables `dfw-cli ban` (its kernel sets are created).
    pub blocklist: Option<Blocklist>,
    /// `[docker] accept_fwmark`: the mark Docker's `--bridge-accept-fwmark` accepts; when
    /// set, dfw keeps `table inet dfw` marking the `[[forward]]` pairs (see
    /// [`super::fwmark`]).
    pub accept_fwmark: Option<super::fwmark::FwMark>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            external: External::Auto,
            default: DefaultAction::Reject,
            host: false,
            ping: true,
            allow: Vec::new(),
            whitelist: Vec::new(),
            lan: Vec::new(),
            forward: Vec::new(),
            blocklist: None,
            accept_fwmark: None,
        }
    }
}

impl Policy {
    /// The external interfaces named in the config, or `None` for `"auto"` (the caller
    /// resolves those from the default routes).
    pub fn named_external(&self) -> Option<&[Iface]> {
        match &self.external {
            External::Auto => None,
            External::Named(names) => Some(names),
        }
    }
}
