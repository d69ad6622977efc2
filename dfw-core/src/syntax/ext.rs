//! Extension matches as the parser builds them: which options each knows, how an option's
//! arguments change it, and the finished [`Match`].
//!
//! Contract: one [`MatchBuilder`] per `-m NAME` (or implicit protocol match); options are
//! routed to it by the rule parser. `set` never panics; errors name the argument index.

use super::error::ErrorKind;
use super::{ext_ct, ext_extra, ext_l4, ext_misc};
use crate::model::matches::{
    AddrType, Comment, Conntrack, CtStates, IcmpType, Mark, TcpMatch, UdpMatch,
};
use crate::model::{Family, Match, Neg, Protocol};

/// One long option of an extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptSpec {
    /// The name without `--`.
    pub name: &'static str,
    /// Identifier shared by aliases (`sport` and `source-port`).
    pub id: u8,
    /// Number of arguments (0, 1 or 2).
    pub nargs: u8,
    /// True when `!` may precede it.
    pub invert: bool,
}

/// Shorthand for an [`OptSpec`].
pub const fn opt(name: &'static str, id: u8, nargs: u8, invert: bool) -> OptSpec {
    OptSpec {
        name,
        id,
        nargs,
        invert,
    }
}

/// An error in the argument with this index (or in the option itself when past the end).
pub type ArgErr = (usize, ErrorKind);

/// What an option handler gets.
pub struct OptCall<'a> {
    /// The option.
    pub spec: &'static OptSpec,
    /// `!` was given before it.
    pub invert: bool,
    /// Its arguments.
    pub args: &'a [&'a str],
    /// The ruleset family.
    pub family: Family,
    /// The rule's `-p` as given so far (iptables checks some options against it at once).
    pub proto: Option<Neg<Protocol>>,
}

impl OptCall<'_> {
    /// The first argument.
    pub fn arg(&self) -> &str {
        self.args.first().copied().unwrap_or("")
    }

    /// Wraps a value in [`Neg`] with this call's inversion.
    pub fn neg<T>(&self, v: T) -> Neg<T> {
        Neg::new(v, self.invert)
    }
}

/// A match being built.
#[derive(Debug, Clone)]
pub enum MatchBuilder {
    /// `-m tcp`.
    Tcp(TcpMatch),
    /// `-m udp`.
    Udp(UdpMatch),
    /// `-m multiport`.
    Multiport(ext_l4::MultiportB),
    /// `-m conntrack`.
    Conntrack(Conntrack),
    /// `-m state`.
    State(Option<Neg<CtStates>>),
    /// `-m iprange`.
    IpRange(ext_misc::IpRangeB),
    /// `-m comment`.
    Comment(Option<Comment>),
    /// `-m icmp`.
    Icmp(Option<Neg<IcmpType>>),
    /// `-m icmp6`.
    Icmp6(Option<Neg<IcmpType>>),
    /// `-m addrtype`.
    AddrType(AddrType),
    /// `-m mark`.
    Mark(Option<Mark>),
    /// The matches of [`ext_extra`] (limit, recent, hashlimit, ...).
    Extra(ext_extra::ExtraB),
}

impl MatchBuilder {
    /// A fresh builder for `-m name` in `family`, or `None` for an unknown extension.
    pub fn new(name: &str, family: Family) -> Option<Self> {
        Some(match name {
            "tcp" => MatchBuilder::Tcp(TcpMatch::default()),
            "udp" => MatchBuilder::Udp(UdpMatch::default()),
            "multiport" => MatchBuilder::Multiport(Default::default()),
            "conntrack" => MatchBuilder::Conntrack(Conntrack::default()),
            "state" => MatchBuilder::State(None),
            "iprange" => MatchBuilder::IpRange(Default::default()),
            "comment" => MatchBuilder::Comment(None),
            "icmp" if family == Family::Ipv4 => MatchBuilder::Icmp(None),
            "icmp6" | "icmpv6" | "ipv6-icmp" if family == Family::Ipv6 => MatchBuilder::Icmp6(None),
            "addrtype" => MatchBuilder::AddrType(AddrType::default()),
            "mark" => MatchBuilder::Mark(None),
            _ => MatchBuilder::Extra(ext_extra::ExtraB::new(name, family)?),
        })
    }

    /// The extension's options.
    pub fn options(&self) -> &'static [OptSpec] {
        match self {
            MatchBuilder::Tcp(_) => ext_l4::TCP_OPTS,
            MatchBuilder::Udp(_) => ext_l4::UDP_OPTS,
            MatchBuilder::Multiport(_) => ext_l4::MULTIPORT_OPTS,
            MatchBuilder::Icmp(_) => ext_l4::ICMP_OPTS,
            MatchBuilder::Icmp6(_) => ext_l4::ICMP6_OPTS,
            MatchBuilder::Conntrack(_) => ext_ct::CONNTRACK_OPTS,
            MatchBuilder::State(_) => ext_ct::STATE_OPTS,
            MatchBuilder::IpRange(_) => ext_misc::IPRANGE_OPTS,
            MatchBuilder::Comment(_) => ext_misc::COMMENT_OPTS,
            MatchBuilder::AddrType(_) => ext_misc::ADDRTYPE_OPTS,
            MatchBuilder::Mark(_) => ext_misc::MARK_OPTS,
            MatchBuilder::Extra(m) => m.options(),
        }
    }

    /// Applies one option.
    ///
    /// # Errors
    /// The argument index and what was wrong with it.
    pub fn set(&mut self, call: &OptCall<'_>) -> Result<(), ArgErr> {
        match self {
            MatchBuilder::Tcp(m) => ext_l4::tcp_set(m, call),
            MatchBuilder::Udp(m) => ext_l4::udp_set(m, call),
            MatchBuilder::Multiport(m) => ext_l4::multiport_set(m, call),
            MatchBuilder::Icmp(m) | MatchBuilder::Icmp6(m) => ext_l4::icmp_set(m, call),
            MatchBuilder::Conntrack(m) => ext_ct::conntrack_set(m, call),
            MatchBuilder::State(m) => ext_ct::state_set(m, call),
            MatchBuilder::IpRange(m) => ext_misc::iprange_set(m, call),
            MatchBuilder::Comment(m) => ext_misc::comment_set(m, call),
            MatchBuilder::AddrType(m) => ext_misc::addrtype_set(m, call),
            MatchBuilder::Mark(m) => ext_misc::mark_set(m, call),
            MatchBuilder::Extra(m) => m.set(call),
        }
    }

    /// The finished match for `family`; `None` when iptables-nft would store nothing for it.
    ///
    /// # Errors
    /// When a required option is missing.
    pub fn finish(self, family: Family) -> Result<Option<Match>, ErrorKind> {
        let need = |o: &'static str| ErrorKind::MissingOption(o);
        Ok(Some(match self {
            MatchBuilder::Tcp(m) => return Ok(ext_l4::tcp_finish(m).map(Match::Tcp)),
            MatchBuilder::Udp(m) => Match::Udp(m),
            MatchBuilder::Multiport(m) => Match::Multiport(m.finish()?),
            MatchBuilder::Conntrack(m) if m.is_empty() => {
                return Err(need("(conntrack needs at least one option)"))
            }
            MatchBuilder::Conntrack(m) => Match::Conntrack(m),
            MatchBuilder::State(m) => Match::State(m.ok_or_else(|| need("--state"))?),
            MatchBuilder::IpRange(m) => Match::IpRange(m.finish()?),
            MatchBuilder::Comment(m) => Match::Comment(m.ok_or_else(|| need("--comment"))?),
            MatchBuilder::Icmp(m) => Match::Icmp(m.ok_or_else(|| need("--icmp-type"))?),
            MatchBuilder::Icmp6(m) => Match::Icmp6(m.ok_or_else(|| need("--icmpv6-type"))?),
            MatchBuilder::AddrType(m) if m.src.is_none() && m.dst.is_none() => {
                return Err(need("--src-type or --dst-type"))
            }
            MatchBuilder::AddrType(m) => Match::AddrType(m),
            MatchBuilder::Mark(m) => Match::Mark(m.ok_or_else(|| need("--mark"))?),
            MatchBuilder::Extra(m) => m.finish(family)?,
        }))
    }
}
