//! Layer-4 protocols (`-p tcp`, `--ctproto 17`).

use std::fmt;

/// A layer-4 protocol number. Protocol 0 is iptables' `all` and is never stored in a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Protocol(u8);

/// Names iptables-save prints (its built-in `xtables_chain_protos` plus common `/etc/protocols`
/// entries), number first.
const NAMES: &[(u8, &str)] = &[
    (1, "icmp"),
    (2, "igmp"),
    (4, "ipencap"),
    (6, "tcp"),
    (17, "udp"),
    (41, "ipv6"),
    (47, "gre"),
    (50, "esp"),
    (51, "ah"),
    (58, "ipv6-icmp"),
    (89, "ospf"),
    (103, "pim"),
    (112, "vrrp"),
    (132, "sctp"),
    (135, "mh"),
    (136, "udplite"),
];

/// Extra spellings accepted on input.
const ALIASES: &[(u8, &str)] = &[(58, "icmpv6"), (58, "icmp6"), (4, "ipip")];

impl Protocol {
    /// ICMP (1).
    pub const ICMP: Protocol = Protocol(1);
    /// TCP (6).
    pub const TCP: Protocol = Protocol(6);
    /// UDP (17).
    pub const UDP: Protocol = Protocol(17);
    /// ICMPv6 (58).
    pub const ICMPV6: Protocol = Protocol(58);
    /// SCTP (132).
    pub const SCTP: Protocol = Protocol(132);

    /// A protocol by number; `None` for 0 (`all`, which matches everything).
    pub fn from_number(n: u8) -> Option<Self> {
        (n != 0).then_some(Protocol(n))
    }

    /// A protocol by name or number as iptables accepts it (case-insensitive names).
    /// `Ok(None)` for `all`/`0`; `Err(())` for an unknown name or a number above 255.
    #[allow(clippy::result_unit_err)]
    pub fn parse(text: &str) -> Result<Option<Self>, ()> {
        if let Ok(n) = text.parse::<u8>() {
            return Ok(Self::from_number(n));
        }
        let lower = text.to_ascii_lowercase();
        if lower == "all" {
            return Ok(None);
        }
        NAMES
            .iter()
            .chain(ALIASES)
            .find(|(_, name)| *name == lower)
            .map(|(n, _)| Some(Protocol(*n)))
            .ok_or(())
    }

    /// The protocol number.
    pub fn number(&self) -> u8 {
        self.0
    }

    /// The name iptables-save prints, if it prints one.
    pub fn name(&self) -> Option<&'static str> {
        NAMES.iter().find(|(n, _)| *n == self.0).map(|(_, s)| *s)
    }
}

impl fmt::Display for Protocol {
    /// The name when known, else the number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "{}", self.0),
        }
    }
}
