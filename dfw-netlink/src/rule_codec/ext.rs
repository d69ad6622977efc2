//! Dispatch of the xt matches and targets dfw models, by extension name and revision.
//!
//! Contract: only the (name, revision) pairs dfw writes, plus the other NAT revisions the
//! kernel has, decode; every other extension is an error (the rule becomes opaque).

use dfw_core::model::{Family, Match, Target};

use crate::xt::{
    self, addrtype, comment, conntrack, icmp, iprange, log, mark, multiport, nat, reject, tcpudp,
};

/// Decodes one xt match dfw knows (name and revision) into the model.
///
/// # Errors
/// [`xt::XtError`] for an unknown extension or revision, or a blob that does not decode.
pub fn decode_xt_match(
    family: Family,
    name: &str,
    rev: u32,
    info: &[u8],
) -> Result<Match, xt::XtError> {
    if let Some(m) = super::ext_more::decode_match(family, name, rev, info) {
        return m;
    }
    Ok(match (name, rev) {
        (tcpudp::NAME_TCP, tcpudp::REV) => Match::Tcp(tcpudp::decode_tcp(info)?),
        (tcpudp::NAME_UDP, tcpudp::REV) => Match::Udp(tcpudp::decode_udp(info)?),
        (multiport::NAME, multiport::REV) => Match::Multiport(multiport::decode(info)?),
        (conntrack::NAME, conntrack::REV) => match conntrack::decode(family, info)? {
            conntrack::CtMatch::Conntrack(c) => Match::Conntrack(c),
            conntrack::CtMatch::State(s) => Match::State(s),
        },
        (iprange::NAME, iprange::REV) => Match::IpRange(iprange::decode(family, info)?),
        (comment::NAME, comment::REV) => Match::Comment(comment::decode(info)?),
        (icmp::NAME_V4, icmp::REV) if family == Family::Ipv4 => Match::Icmp(icmp::decode(info)?),
        (icmp::NAME_V6, icmp::REV) if family == Family::Ipv6 => Match::Icmp6(icmp::decode(info)?),
        (addrtype::NAME, addrtype::REV) => Match::AddrType(addrtype::decode(info)?),
        (mark::NAME, mark::REV) => Match::Mark(mark::decode(info)?),
        _ => {
            return Err(xt::XtError::invalid(
                "match",
                format!("unknown extension {name} rev {rev}"),
            ))
        }
    })
}

/// Decodes one xt target dfw knows (name and revision) into the model.
///
/// # Errors
/// [`xt::XtError`] for an unknown extension or revision, or a blob that does not decode.
pub fn decode_xt_target(
    family: Family,
    name: &str,
    rev: u32,
    info: &[u8],
) -> Result<Target, xt::XtError> {
    if let Some(t) = super::ext_more::decode_target(family, name, rev, info) {
        return t;
    }
    Ok(match (name, rev) {
        (reject::NAME, reject::REV) => Target::Reject(reject::decode(family, info)?),
        (log::NAME, log::REV) => Target::Log(log::decode(info)?),
        (nat::DNAT, _) => Target::Dnat(nat::decode_nat(nat::DNAT, family, rev, info)?),
        (nat::SNAT, _) => Target::Snat(nat::decode_nat(nat::SNAT, family, rev, info)?),
        (nat::MASQUERADE, nat::MASQUERADE_REV) => {
            Target::Masquerade(nat::decode_masquerade(family, info)?)
        }
        _ => {
            return Err(xt::XtError::invalid(
                "target",
                format!("unknown extension {name} rev {rev}"),
            ))
        }
    })
}
