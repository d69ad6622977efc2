//! Errors raised when a model value would be invalid.

use super::Family;

/// Why a model value could not be built. Each variant names the offending value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// A chain name iptables would refuse.
    #[error("invalid chain name {name:?}: {reason}")]
    ChainName {
        /// The name as given.
        name: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// An interface name the kernel would refuse.
    #[error("invalid interface name {name:?}: {reason}")]
    Iface {
        /// The name as given.
        name: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A prefix length out of range for the family.
    #[error("prefix length {prefix} is out of range for {family}")]
    Prefix {
        /// The prefix length as given.
        prefix: u8,
        /// The address family.
        family: Family,
    },
    /// Two addresses that must share a family do not.
    #[error("address {addr} is not {family}")]
    WrongFamily {
        /// The address, printed.
        addr: String,
        /// The family it should have had.
        family: Family,
    },
    /// A range whose start is above its end.
    #[error("range {start}-{end} is reversed")]
    ReversedRange {
        /// Start of the range, printed.
        start: String,
        /// End of the range, printed.
        end: String,
    },
    /// A value that is out of its allowed range or shape.
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// What kind of value.
        what: &'static str,
        /// Why it is refused.
        reason: String,
    },
    /// A chain that is referenced or changed but does not exist.
    #[error("chain {chain} does not exist in table {table}")]
    NoSuchChain {
        /// The table.
        table: String,
        /// The chain.
        chain: String,
    },
    /// A chain that already exists.
    #[error("chain {chain} already exists in table {table}")]
    ChainExists {
        /// The table.
        table: String,
        /// The chain.
        chain: String,
    },
}
