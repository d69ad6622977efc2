//! Decoding of the matches and targets added for ufw, fail2ban and Docker's neighbours by
//! (name, revision, blob), and the native `limit` expression of `-m limit`.
//!
//! Contract: dfw writes (`encode.rs`) what iptables-nft 1.8.9 writes, except `-j NFLOG`,
//! written as the xt `NFLOG` target (as iptables 1.8.7 writes it) because iptables 1.8.7
//! cannot read the native `log` expression of 1.8.8+; `-m limit` is the native `limit`
//! expression every 1.8.x writes and reads. Decoding is strict (see `xt`): a blob whose text iptables-save would print as
//! something else (a `limit` or `hashlimit` rate that prints as another value) is refused, so
//! the rule becomes opaque rather than misread.

use dfw_core::model::matches::Limit;
use dfw_core::model::{Family, Match, Rule, Target};
use dfw_core::syntax::{parse_rule, rule_spec};

use crate::expr::Expr;
use crate::xt::{
    connmark, ct, hashlimit, limit, mark, nat, nflog, owner, packet, recent, rt, sctp, tcpmss,
    XtError,
};

/// The native `limit` expression of `-m limit` (`add_nft_limit`).
pub fn limit_expr(l: &Limit) -> Expr {
    let (rate, unit) = l.rate();
    Expr::Limit {
        rate,
        unit: unit.seconds(),
        burst: l.burst(),
        kind: 0,
        flags: 0,
    }
}

/// Refuses a match whose iptables-save text reads back as another value.
fn text_canonical(family: Family, ext: &'static str, m: Match) -> Result<Match, XtError> {
    let rule = Rule {
        matches: vec![m],
        ..Rule::default()
    };
    match parse_rule(family, &rule_spec(&rule)) {
        Ok(back) if back == rule => Ok(rule
            .matches
            .into_iter()
            .next()
            .unwrap_or_else(|| unreachable!())),
        _ => Err(XtError::invalid(
            ext,
            "iptables-save would print another value",
        )),
    }
}

/// Decodes one of this module's xt matches; `None` for an unknown (name, revision).
pub(super) fn decode_match(
    family: Family,
    name: &str,
    rev: u32,
    info: &[u8],
) -> Option<Result<Match, XtError>> {
    let v6 = family == Family::Ipv6;
    Some(match (name, rev) {
        (limit::NAME, limit::REV) => limit::decode(info).map(Match::Limit),
        (recent::RECENT, recent::RECENT_REV) => {
            recent::decode_recent(family, info).map(Match::Recent)
        }
        (hashlimit::NAME, hashlimit::REV) => hashlimit::decode(family, info)
            .and_then(|h| text_canonical(family, hashlimit::NAME, Match::HashLimit(h))),
        (recent::CONNLIMIT, recent::CONNLIMIT_REV) => {
            recent::decode_connlimit(family, info).map(Match::ConnLimit)
        }
        (packet::PKTTYPE, packet::REV) => packet::decode_pkttype(info).map(Match::PktType),
        (packet::MAC, packet::REV) => packet::decode_mac(info).map(Match::Mac),
        (owner::OWNER, owner::OWNER_REV) => owner::decode_owner(info).map(Match::Owner),
        (owner::PHYSDEV, owner::PHYSDEV_REV) => owner::decode_physdev(info).map(Match::Physdev),
        (sctp::NAME, sctp::REV) => sctp::decode(info).map(Match::Sctp),
        (packet::TTL, packet::REV) if !v6 => packet::decode_ttl(packet::TTL, info).map(Match::Ttl),
        (packet::HL, packet::REV) if v6 => packet::decode_ttl(packet::HL, info).map(Match::Hl),
        (packet::LENGTH, packet::REV) => packet::decode_length(info).map(Match::Length),
        (rt::NAME, rt::REV) if v6 => rt::decode(info).map(Match::Rt),
        (connmark::MATCH, connmark::MATCH_REV) => connmark::decode_match(info).map(Match::ConnMark),
        _ => return None,
    })
}

/// Decodes one of this module's xt targets; `None` for an unknown (name, revision).
pub(super) fn decode_target(
    family: Family,
    name: &str,
    rev: u32,
    info: &[u8],
) -> Option<Result<Target, XtError>> {
    Some(match (name, rev) {
        (nflog::NAME, nflog::REV) => nflog::decode(info).map(Target::Nflog),
        (mark::TARGET, mark::TARGET_REV) => mark::decode_target(info).map(Target::Mark),
        (connmark::TARGET, connmark::TARGET_REV) => {
            connmark::decode_target(info).map(Target::Connmark)
        }
        (tcpmss::NAME, tcpmss::REV) => tcpmss::decode(info).map(Target::Tcpmss),
        (nat::REDIRECT, nat::REDIRECT_REV) => {
            nat::decode_redirect(family, info).map(Target::Redirect)
        }
        (ct::NAME, ct::REV) => ct::decode(info).map(|c| Target::Ct(Box::new(c))),
        _ => return None,
    })
}
