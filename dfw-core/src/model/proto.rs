//! Layer-4 protocols (`-p tcp`, `--ctproto 17`).

use std::fmt;

/// A layer-4 protocol number. Protocol 0 is iptables' `all` and is never stored in a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Protocol(u8);

/// Names iptables-save 1.8.9 prints: its built-in `xtables_chain_protos` first (so 135 is
/// `mobility-header`), then the first name of each number in Debian's netbase
/// `/etc/protocols` (which `getprotobynumber` returns); number first.
const NAMES: &[(u8, &str)] = &[
    (1, "icmp"),
    (2, "igmp"),
    (3, "ggp"),
    (4, "ipencap"),
    (5, "st"),
    (6, "tcp"),
    (8, "egp"),
    (9, "igp"),
    (12, "pup"),
    (17, "udp"),
    (20, "hmp"),
    (22, "xns-idp"),
    (27, "rdp"),
    (29, "iso-tp4"),
    (33, "dccp"),
    (36, "xtp"),
    (37, "ddp"),
    (38, "idpr-cmtp"),
    (41, "ipv6"),
    (43, "ipv6-route"),
    (44, "ipv6-frag"),
    (45, "idrp"),
    (46, "rsvp"),
    (47, "gre"),
    (50, "esp"),
    (51, "ah"),
    (57, "skip"),
    (58, "ipv6-icmp"),
    (59, "ipv6-nonxt"),
    (60, "ipv6-opts"),
    (73, "rspf"),
    (81, "vmtp"),
    (88, "eigrp"),
    (89, "ospf"),
    (93, "ax.25"),
    (94, "ipip"),
    (97, "etherip"),
    (98, "encap"),
    (103, "pim"),
    (108, "ipcomp"),
    (112, "vrrp"),
    (115, "l2tp"),
    (124, "isis"),
    (132, "sctp"),
    (133, "fc"),
    (135, "mobility-header"),
    (136, "udplite"),
    (137, "mpls-in-ip"),
    (138, "manet"),
    (139, "hip"),
    (140, "shim6"),
    (141, "wesp"),
    (142, "rohc"),
    (143, "ethernet"),
];

/// Extra spellings accepted on input: iptables' own (`icmpv6`, `ipv6-mh`, `mh`) and the
/// `/etc/protocols` aliases of common protocols (matched case-insensitively).
const ALIASES: &[(u8, &str)] = &[
    (58, "icmpv6"),
    (135, "ipv6-mh"),
    (135, "mh"),
    (4, "ip-encap"),
    (50, "ipsec-esp"),
    (51, "ipsec-ah"),
    (89, "ospfigp"),
];

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
