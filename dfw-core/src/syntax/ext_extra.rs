//! The builders of the matches added for ufw, fail2ban and Docker's neighbours, behind one
//! [`ExtraB`] so that the core builder ([`super::ext::MatchBuilder`]) has a single variant for
//! them.
//!
//! Contract: [`ExtraB::new`] knows the extension names (family-specific ones only in their
//! family), [`ExtraB::options`] their options, [`ExtraB::set`] routes an option to the file that
//! parses it (`ext_rate`, `ext_hashlimit`, `ext_pkt`, `ext_misc`), [`ExtraB::finish`] applies the extension's
//! final check.

use super::error::ErrorKind;
use super::ext::{ArgErr, OptCall, OptSpec};
use super::{ext_hashlimit, ext_misc, ext_pkt, ext_rate};
use crate::model::matches::{
    Length, Limit, MacAddr, Mark, Owner, Physdev, PktType, Rt, SctpMatch, Ttl,
};
use crate::model::{Family, Match, Neg};

/// One of the extra matches being built.
#[derive(Debug, Clone)]
pub enum ExtraB {
    /// `-m limit`.
    Limit(Limit),
    /// `-m recent`.
    Recent(ext_rate::RecentB),
    /// `-m hashlimit`.
    HashLimit(ext_hashlimit::HashLimitB),
    /// `-m connlimit`.
    ConnLimit(ext_rate::ConnLimitB),
    /// `-m pkttype`.
    PktType(Option<Neg<PktType>>),
    /// `-m mac`.
    Mac(Option<Neg<MacAddr>>),
    /// `-m owner`.
    Owner(Owner),
    /// `-m physdev`.
    Physdev(Physdev),
    /// `-m sctp`.
    Sctp(SctpMatch),
    /// `-m ttl`.
    Ttl(Option<Ttl>),
    /// `-m hl`.
    Hl(Option<Ttl>),
    /// `-m length`.
    Length(Option<Neg<Length>>),
    /// `-m rt`.
    Rt(Rt),
    /// `-m connmark`.
    ConnMark(Option<Mark>),
}

impl ExtraB {
    /// A fresh builder for `-m name` in `family`, or `None`.
    pub fn new(name: &str, family: Family) -> Option<Self> {
        let v6 = family == Family::Ipv6;
        Some(match name {
            "limit" => ExtraB::Limit(Limit::default()),
            "recent" => ExtraB::Recent(Default::default()),
            "hashlimit" => ExtraB::HashLimit(Default::default()),
            "connlimit" => ExtraB::ConnLimit(Default::default()),
            "pkttype" => ExtraB::PktType(None),
            "mac" => ExtraB::Mac(None),
            "owner" => ExtraB::Owner(Owner::default()),
            "physdev" => ExtraB::Physdev(Physdev::default()),
            "sctp" => ExtraB::Sctp(SctpMatch::default()),
            "ttl" if !v6 => ExtraB::Ttl(None),
            "hl" if v6 => ExtraB::Hl(None),
            "length" => ExtraB::Length(None),
            "rt" if v6 => ExtraB::Rt(Rt::default()),
            "connmark" => ExtraB::ConnMark(None),
            _ => return None,
        })
    }

    /// The extension's options.
    pub fn options(&self) -> &'static [OptSpec] {
        match self {
            ExtraB::Limit(_) => ext_rate::LIMIT_OPTS,
            ExtraB::Recent(_) => ext_rate::RECENT_OPTS,
            ExtraB::HashLimit(_) => ext_hashlimit::HASHLIMIT_OPTS,
            ExtraB::ConnLimit(_) => ext_rate::CONNLIMIT_OPTS,
            ExtraB::PktType(_) => ext_pkt::PKTTYPE_OPTS,
            ExtraB::Mac(_) => ext_pkt::MAC_OPTS,
            ExtraB::Owner(_) => ext_pkt::OWNER_OPTS,
            ExtraB::Physdev(_) => ext_pkt::PHYSDEV_OPTS,
            ExtraB::Sctp(_) => ext_pkt::SCTP_OPTS,
            ExtraB::Ttl(_) => ext_pkt::TTL_OPTS,
            ExtraB::Hl(_) => ext_pkt::HL_OPTS,
            ExtraB::Length(_) => ext_pkt::LENGTH_OPTS,
            ExtraB::Rt(_) => ext_pkt::RT_OPTS,
            ExtraB::ConnMark(_) => ext_misc::MARK_OPTS,
        }
    }

    /// Applies one option.
    ///
    /// # Errors
    /// The argument index and what was wrong with it.
    pub fn set(&mut self, call: &OptCall<'_>) -> Result<(), ArgErr> {
        match self {
            ExtraB::Limit(m) => ext_rate::limit_set(m, call),
            ExtraB::Recent(m) => ext_rate::recent_set(m, call),
            ExtraB::HashLimit(m) => ext_hashlimit::hashlimit_set(m, call),
            ExtraB::ConnLimit(m) => ext_rate::connlimit_set(m, call),
            ExtraB::PktType(m) => ext_pkt::pkttype_set(m, call),
            ExtraB::Mac(m) => ext_pkt::mac_set(m, call),
            ExtraB::Owner(m) => ext_pkt::owner_set(m, call),
            ExtraB::Physdev(m) => ext_pkt::physdev_set(m, call),
            ExtraB::Sctp(m) => ext_pkt::sctp_set(m, call),
            ExtraB::Ttl(m) | ExtraB::Hl(m) => ext_pkt::ttl_set(m, call),
            ExtraB::Length(m) => ext_pkt::length_set(m, call),
            ExtraB::Rt(m) => ext_pkt::rt_set(m, call),
            ExtraB::ConnMark(m) => ext_misc::mark_set(m, call),
        }
    }

    /// The finished match.
    ///
    /// # Errors
    /// A missing mandatory option or a combination the extension refuses.
    pub fn finish(self, family: Family) -> Result<Match, ErrorKind> {
        let need = |o: &'static str| ErrorKind::MissingOption(o);
        let model = |r: Result<(), crate::model::ModelError>| r.map_err(ErrorKind::Model);
        Ok(match self {
            ExtraB::Limit(l) => Match::Limit(l),
            ExtraB::Recent(r) => return r.finish(family),
            ExtraB::HashLimit(h) => return h.finish(),
            ExtraB::ConnLimit(c) => return c.finish(family),
            ExtraB::PktType(t) => Match::PktType(t.ok_or_else(|| need("--pkt-type"))?),
            ExtraB::Mac(m) => Match::Mac(m.ok_or_else(|| need("--mac-source"))?),
            ExtraB::Owner(o) => {
                model(o.check())?;
                Match::Owner(o)
            }
            ExtraB::Physdev(p) => {
                model(p.check())?;
                Match::Physdev(p)
            }
            ExtraB::Sctp(s) => Match::Sctp(s),
            ExtraB::Ttl(t) => Match::Ttl(t.ok_or_else(|| need("--ttl-eq, --ttl-lt or --ttl-gt"))?),
            ExtraB::Hl(t) => Match::Hl(t.ok_or_else(|| need("--hl-eq, --hl-lt or --hl-gt"))?),
            ExtraB::Length(l) => Match::Length(l.ok_or_else(|| need("--length"))?),
            ExtraB::Rt(r) => {
                model(r.check())?;
                Match::Rt(r)
            }
            ExtraB::ConnMark(m) => Match::ConnMark(m.ok_or_else(|| need("--mark"))?),
        })
    }
}
