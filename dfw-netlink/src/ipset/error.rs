//! What an ipset request can fail with: ipset's own error codes by name, and [`IpsetError`],
//! naming the operation, the set and the entry.

use std::fmt;

use dfw_core::model::matches::SetName;
use dfw_core::model::Network;

use crate::transport::{errno_name, TransportError};
use crate::wire::consts::{
    IPSET_ERR_BUSY, IPSET_ERR_EXIST, IPSET_ERR_EXIST_SETNAME2, IPSET_ERR_FIND_TYPE,
    IPSET_ERR_HASH_ELEM, IPSET_ERR_HASH_FULL, IPSET_ERR_INVALID_CIDR, IPSET_ERR_INVALID_FAMILY,
    IPSET_ERR_IPADDR_IPV4, IPSET_ERR_IPADDR_IPV6, IPSET_ERR_MAX_SETS, IPSET_ERR_PROTOCOL,
    IPSET_ERR_REFERENCED, IPSET_ERR_TIMEOUT, IPSET_ERR_TYPE_MISMATCH,
};
use crate::wire::WireError;

/// The name and meaning of an error code an ipset request got back (ipset's private codes from
/// 4096 up, or a plain errno).
pub fn ipset_errno_text(code: i32) -> String {
    let (name, what) = match code {
        IPSET_ERR_PROTOCOL => (
            "IPSET_ERR_PROTOCOL",
            "kernel and dfw disagree on the ipset protocol",
        ),
        IPSET_ERR_FIND_TYPE => ("IPSET_ERR_FIND_TYPE", "the kernel lacks this set type"),
        IPSET_ERR_MAX_SETS => (
            "IPSET_ERR_MAX_SETS",
            "the kernel's limit on the number of sets is reached",
        ),
        IPSET_ERR_BUSY => (
            "IPSET_ERR_BUSY",
            "the set is in use by a kernel component (a rule still refers to it)",
        ),
        IPSET_ERR_EXIST_SETNAME2 => ("IPSET_ERR_EXIST_SETNAME2", "the second set does not exist"),
        IPSET_ERR_TYPE_MISMATCH => (
            "IPSET_ERR_TYPE_MISMATCH",
            "the sets' types or families differ",
        ),
        IPSET_ERR_EXIST => (
            "IPSET_ERR_EXIST",
            "the entry or set already exists (or, for a test, is not in the set)",
        ),
        IPSET_ERR_INVALID_CIDR => (
            "IPSET_ERR_INVALID_CIDR",
            "invalid prefix length for this set",
        ),
        IPSET_ERR_INVALID_FAMILY => (
            "IPSET_ERR_INVALID_FAMILY",
            "the address is not of the set's family",
        ),
        IPSET_ERR_TIMEOUT => (
            "IPSET_ERR_TIMEOUT",
            "the set was created without timeout support",
        ),
        IPSET_ERR_REFERENCED => ("IPSET_ERR_REFERENCED", "the set is referenced"),
        IPSET_ERR_IPADDR_IPV4 => ("IPSET_ERR_IPADDR_IPV4", "an IPv4 address was expected"),
        IPSET_ERR_IPADDR_IPV6 => ("IPSET_ERR_IPADDR_IPV6", "an IPv6 address was expected"),
        IPSET_ERR_HASH_FULL => ("IPSET_ERR_HASH_FULL", "the set is full (maxelem reached)"),
        IPSET_ERR_HASH_ELEM => ("IPSET_ERR_HASH_ELEM", "null-valued element"),
        libc::ENOENT => ("ENOENT", "no such set"),
        libc::EPERM => ("EPERM", "not root: run as root or with CAP_NET_ADMIN"),
        libc::EPROTONOSUPPORT | libc::EOPNOTSUPP => {
            ("EPROTONOSUPPORT", "this kernel has no ip_set support")
        }
        c => return errno_name(c),
    };
    format!("{name} ({what})")
}

/// An ipset command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpsetOp {
    /// `PROTOCOL`.
    Protocol,
    /// `TYPE`.
    Type,
    /// `CREATE`.
    Create,
    /// `DESTROY`.
    Destroy,
    /// `FLUSH`.
    Flush,
    /// `SWAP`.
    Swap,
    /// `LIST`.
    List,
    /// `HEADER`.
    Header,
    /// `ADD`.
    Add,
    /// `DEL`.
    Del,
    /// `TEST`.
    Test,
}

impl fmt::Display for IpsetOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IpsetOp::Protocol => "protocol",
            IpsetOp::Type => "type",
            IpsetOp::Create => "create",
            IpsetOp::Destroy => "destroy",
            IpsetOp::Flush => "flush",
            IpsetOp::Swap => "swap",
            IpsetOp::List => "list",
            IpsetOp::Header => "header",
            IpsetOp::Add => "add",
            IpsetOp::Del => "del",
            IpsetOp::Test => "test",
        })
    }
}

fn entry_text(entry: &Option<Network>) -> String {
    entry.map(|e| format!(" {e}")).unwrap_or_default()
}

fn set_text(set: &Option<SetName>) -> String {
    set.as_ref().map(|s| format!(" {s}")).unwrap_or_default()
}

/// An ipset request that failed.
#[derive(Debug, thiserror::Error)]
pub enum IpsetError {
    /// The kernel refused the request.
    #[error("ipset {op}{}{}: {}", set_text(set), entry_text(entry), ipset_errno_text(*code))]
    Rejected {
        /// The command.
        op: IpsetOp,
        /// The set it named.
        set: Option<SetName>,
        /// The entry it named, when one entry is to blame.
        entry: Option<Network>,
        /// ipset's error code or errno (positive).
        code: i32,
    },
    /// The kernel has no ipset support (`ip_set` not built or not loadable).
    #[error("this kernel has no ipset support ({}): dfw falls back to one rule per address", ipset_errno_text(*code))]
    Unsupported {
        /// The errno of the `PROTOCOL` request.
        code: i32,
    },
    /// The kernel speaks an ipset protocol dfw does not.
    #[error("the kernel's ipset protocol {kernel} is not one dfw speaks (6 or 7)")]
    Protocol {
        /// The kernel's version.
        kernel: u8,
    },
    /// A reply could not be parsed.
    #[error("ipset {op}{}: malformed reply: {source}", set_text(set))]
    Malformed {
        /// The command.
        op: IpsetOp,
        /// The set it named.
        set: Option<SetName>,
        /// The parse error.
        source: WireError,
    },
    /// The exchange with the kernel failed (socket, timeout, lost replies).
    #[error("ipset {op}{}: {source}", set_text(set))]
    Transport {
        /// The command.
        op: IpsetOp,
        /// The set it named.
        set: Option<SetName>,
        /// The transport's error.
        source: TransportError,
    },
}

impl IpsetError {
    /// The ipset error code (or errno) the kernel answered with, if it refused the request.
    pub fn code(&self) -> Option<i32> {
        match self {
            IpsetError::Rejected { code, .. } | IpsetError::Unsupported { code } => Some(*code),
            _ => None,
        }
    }
}
