//! Extension matches (`-m NAME ...`), in the order iptables prints them.
//!
//! Contract: one type per extension; each is valid by construction and holds exactly what
//! iptables-save can print for it.

mod addrtype;
mod conntrack;
mod hashlimit;
mod icmp;
mod iprange;
mod limit;
mod mark;
mod multiport;
mod packet;
mod ports;
mod recent;
mod rt;

pub use addrtype::{AddrType, AddrTypes, LimitIface};
pub use conntrack::{Conntrack, CtDirection, CtStates, CtStatus};
pub use icmp::IcmpType;
pub use iprange::IpRange;
pub use mark::Mark;
pub use multiport::{Multiport, MultiportKind};
pub use ports::{SctpMatch, TcpFlag, TcpFlags, TcpMatch, UdpMatch};

pub use hashlimit::{
    bytes_to_cost, cost_to_bytes, proc_name_ok, HashLimit, HashLimitMode, HASHLIMIT_NAME_MAX,
};
pub use limit::{interval_of, rate_of, rate_text, Limit, RateUnit};
pub use packet::{Length, MacAddr, Owner, Physdev, PktType, Ttl, TtlOp, OWNER_ID_MAX};
pub use recent::{ConnLimit, Recent, RecentCmd, RECENT_HITCOUNT_MAX, RECENT_NAME_MAX};
pub use rt::Rt;

use super::{Family, ModelError, Neg};

/// Longest comment the `comment` match holds (`XT_MAX_COMMENT_LEN - 1`).
pub const COMMENT_MAX_LEN: usize = 255;

/// One extension match of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Match {
    /// `-m tcp`: ports, flags, option.
    Tcp(TcpMatch),
    /// `-m udp`: ports.
    Udp(UdpMatch),
    /// `-m multiport`: up to 15 ports or ranges.
    Multiport(Multiport),
    /// `-m conntrack`.
    Conntrack(Conntrack),
    /// `-m state --state`: stored as conntrack revision 3 with the state alias flag.
    State(Neg<CtStates>),
    /// `-m iprange`.
    IpRange(IpRange),
    /// `-m comment --comment TEXT`.
    Comment(Comment),
    /// `-m icmp --icmp-type` (IPv4 only).
    Icmp(Neg<IcmpType>),
    /// `-m icmp6 --icmpv6-type` (IPv6 only).
    Icmp6(Neg<IcmpType>),
    /// `-m addrtype`.
    AddrType(AddrType),
    /// `-m mark --mark`.
    Mark(Mark),
    /// `-m limit` (iptables-nft writes it as a native `limit` expression).
    Limit(Limit),
    /// `-m recent`.
    Recent(Recent),
    /// `-m hashlimit`.
    HashLimit(HashLimit),
    /// `-m connlimit`.
    ConnLimit(ConnLimit),
    /// `-m pkttype --pkt-type`.
    PktType(Neg<PktType>),
    /// `-m mac --mac-source`.
    Mac(Neg<MacAddr>),
    /// `-m owner`.
    Owner(Owner),
    /// `-m physdev`.
    Physdev(Physdev),
    /// `-m sctp`.
    Sctp(SctpMatch),
    /// `-m ttl` (IPv4 only).
    Ttl(Ttl),
    /// `-m hl` (IPv6 only).
    Hl(Ttl),
    /// `-m length --length`.
    Length(Neg<Length>),
    /// `-m rt` (IPv6 only).
    Rt(Rt),
    /// `-m connmark --mark`.
    ConnMark(Mark),
}

impl Match {
    /// The extension name (`tcp`, `conntrack`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Match::Tcp(_) => "tcp",
            Match::Udp(_) => "udp",
            Match::Multiport(_) => "multiport",
            Match::Conntrack(_) => "conntrack",
            Match::State(_) => "state",
            Match::IpRange(_) => "iprange",
            Match::Comment(_) => "comment",
            Match::Icmp(_) => "icmp",
            Match::Icmp6(_) => "icmp6",
            Match::AddrType(_) => "addrtype",
            Match::Mark(_) => "mark",
            Match::Limit(_) => "limit",
            Match::Recent(_) => "recent",
            Match::HashLimit(_) => "hashlimit",
            Match::ConnLimit(_) => "connlimit",
            Match::PktType(_) => "pkttype",
            Match::Mac(_) => "mac",
            Match::Owner(_) => "owner",
            Match::Physdev(_) => "physdev",
            Match::Sctp(_) => "sctp",
            Match::Ttl(_) => "ttl",
            Match::Hl(_) => "hl",
            Match::Length(_) => "length",
            Match::Rt(_) => "rt",
            Match::ConnMark(_) => "connmark",
        }
    }

    /// Checks that the match fits the family (addresses, icmp vs icmp6).
    ///
    /// # Errors
    /// [`ModelError::WrongFamily`] or [`ModelError::Invalid`] naming the mismatch.
    pub fn check_family(&self, family: Family) -> Result<(), ModelError> {
        match self {
            Match::Icmp(_) if family != Family::Ipv4 => Err(ModelError::Invalid {
                what: "match",
                reason: "icmp is IPv4 only; use icmp6".into(),
            }),
            Match::Icmp6(_) if family != Family::Ipv6 => Err(ModelError::Invalid {
                what: "match",
                reason: "icmp6 is IPv6 only; use icmp".into(),
            }),
            Match::Conntrack(c) => c.check_family(family),
            Match::IpRange(r) => r.check_family(family),
            Match::AddrType(a) => a.check_family(family),
            Match::State(s) if s.value.is_empty() || !CtStates::STATE_MATCH.contains(s.value) => {
                Err(invalid(
                    "-m state --state takes INVALID, NEW, RELATED, ESTABLISHED, UNTRACKED (use -m conntrack --ctstate for SNAT/DNAT)",
                ))
            }
            Match::Tcp(t) if t.flags.as_ref().is_some_and(|f| f.value.mask.is_empty()) => {
                Err(invalid("--tcp-flags needs at least one flag to examine"))
            }
            Match::Tcp(t) if t.option.as_ref().is_some_and(|o| o.value == 0) => {
                Err(invalid("--tcp-option takes 1-255"))
            }
            Match::Ttl(_) if family != Family::Ipv4 => Err(invalid("ttl is IPv4 only; use hl")),
            Match::Hl(_) if family != Family::Ipv6 => Err(invalid("hl is IPv6 only; use ttl")),
            Match::Rt(_) if family != Family::Ipv6 => Err(invalid("rt is IPv6 only")),
            Match::Rt(r) => r.check(),
            Match::Recent(r) => r.check_family(family),
            Match::HashLimit(h) => h.check().and_then(|()| h.check_family(family)),
            Match::ConnLimit(c) => c.check_family(family),
            Match::Owner(o) => o.check(),
            Match::Physdev(p) => p.check(),
            _ => Ok(()),
        }
    }
}

fn invalid(reason: &str) -> ModelError {
    ModelError::Invalid {
        what: "match",
        reason: reason.into(),
    }
}

/// A comment: at most 255 bytes, no NUL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Comment(String);

impl Comment {
    /// Validates a comment.
    ///
    /// # Errors
    /// [`ModelError::Invalid`] when it is longer than 255 bytes or contains NUL.
    pub fn new(text: &str) -> Result<Self, ModelError> {
        if text.len() > COMMENT_MAX_LEN {
            return Err(ModelError::Invalid {
                what: "comment",
                reason: format!("{} bytes, at most {COMMENT_MAX_LEN}", text.len()),
            });
        }
        if text.contains('\0') {
            return Err(ModelError::Invalid {
                what: "comment",
                reason: "contains NUL".into(),
            });
        }
        Ok(Comment(text.to_string()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
