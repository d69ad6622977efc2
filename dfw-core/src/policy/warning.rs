//! Warnings: a config that loads, but probably does not say what its author means.
//!
//! Contract: [`Policy::from_toml_checked`](super::Policy::from_toml_checked) returns the
//! policy with every warning, in file order, each naming `file:line:column`, the key and the
//! value as [`super::PolicyError`] does: host bits set in a CIDR (`2001:db8::5/32` opens the
//! whole /32), an entry listed twice or covered by another of the same list (sources of a
//! `from`, `whitelist.sources` or `lan.networks`; ports of one `[[allow]]`), an IPv4-mapped
//! IPv6 address (taken as the IPv4 one), and, when the caller says which interfaces exist
//! ([`HostFacts`]), an external or forward interface this host does not have (yet). A warning
//! never changes what the policy means; the errors stay errors.

use std::fmt;
use std::ops::Range;

use super::error::Location;
use super::Policy;

/// What the host that runs dfw knows, for checks no config file can decide. The caller (the
/// CLI, over rtnetlink) fills it in; `Default` knows nothing and checks nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostFacts {
    /// The names of the interfaces that exist, or `None` when unknown.
    pub interfaces: Option<Vec<String>>,
}

/// A validated policy and the warnings found while loading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The policy, exactly as [`Policy::from_toml`] gives it.
    pub policy: Policy,
    /// The warnings, in file order.
    pub warnings: Vec<PolicyWarning>,
}

/// What one warning is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WarningKind {
    /// A CIDR with host bits set: it means this whole network.
    HostBits {
        /// The network it means, e.g. `2001:db8::/32`.
        network: String,
    },
    /// An IPv4-mapped IPv6 address (`::ffff:198.51.100.7`), taken as this IPv4 one.
    Mapped {
        /// The IPv4 address, network or range used instead.
        ipv4: String,
    },
    /// The same entry as an earlier one of the same list.
    Duplicate {
        /// The key of that entry, e.g. `whitelist.sources[0]`.
        of: String,
    },
    /// An entry wholly inside another of the same list: it adds nothing.
    Covered {
        /// The key of the covering entry.
        by: String,
        /// Its value as written.
        by_value: String,
    },
    /// No interface of this name (or, for `eth+`, starting so) exists on this host now.
    NoSuchInterface {
        /// The name ends with `+`.
        wildcard: bool,
    },
}

/// One warning: where, which key, the value as written, and what is odd about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyWarning {
    /// Where the value is.
    pub at: Location,
    /// The key path, e.g. `allow[0].from[1]`.
    pub key: String,
    /// The value as written.
    pub value: String,
    /// What it is about.
    pub kind: WarningKind,
}

impl fmt::Display for WarningKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WarningKind::HostBits { network } => write!(
                f,
                "host bits set: this is the whole network {network}; write the address alone \
                 for one host, or {network}"
            ),
            WarningKind::Mapped { ipv4 } => write!(
                f,
                "an IPv4-mapped IPv6 address: taken as the IPv4 {ipv4} (no IPv6 packet carries \
                 a mapped address); write {ipv4}"
            ),
            WarningKind::Duplicate { of } => write!(f, "listed twice: the same as {of}"),
            WarningKind::Covered { by, by_value } => {
                write!(f, "already covered by {by} ({by_value:?}): it adds nothing")
            }
            WarningKind::NoSuchInterface { wildcard: false } => f.write_str(
                "no interface of this name on this host (yet): its rules match nothing until \
                 it appears",
            ),
            WarningKind::NoSuchInterface { wildcard: true } => f.write_str(
                "no interface of this host's starts so (yet): its rules match nothing until \
                 one appears",
            ),
        }
    }
}

impl fmt::Display for PolicyWarning {
    /// `file:line:col: warning: key: "value": reason`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: warning: {}: {:?}: {}",
            self.at, self.key, self.value, self.kind
        )
    }
}

/// A warning found during validation, located by its byte span (turned into a [`Location`]
/// only at the end, and only for spans of the whole text).
#[derive(Debug, Clone)]
pub(crate) struct Note {
    pub span: Range<usize>,
    pub key: String,
    pub value: String,
    pub kind: WarningKind,
}

impl Note {
    /// The warning, located in `text`.
    pub(crate) fn locate(self, file: &str, text: &str) -> PolicyWarning {
        PolicyWarning {
            at: Location::at(file, text, self.span.start),
            key: self.key,
            value: self.value,
            kind: self.kind,
        }
    }
}
