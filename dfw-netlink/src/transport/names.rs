//! Names for a person: an errno's symbolic name and what it usually means for an nf_tables
//! request, and an nfnetlink message type's name, as the transport's errors print them.
//!
//! Contract: pure tables; unknown values get a numeric name (`errno 4242`, `type 0x0601`), never
//! a panic. A new netlink subsystem adds its message names to [`msg_type_name`].

use crate::wire::consts::{
    NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END, NFNL_SUBSYS_NFTABLES, NFT_MSG_DELCHAIN,
    NFT_MSG_DELRULE, NFT_MSG_DELTABLE, NFT_MSG_GETCHAIN, NFT_MSG_GETGEN, NFT_MSG_GETRULE,
    NFT_MSG_GETTABLE, NFT_MSG_NEWCHAIN, NFT_MSG_NEWGEN, NFT_MSG_NEWRULE, NFT_MSG_NEWTABLE,
};

/// `ERESTART` (85 on x86 and arm): the kernel's answer to a batch whose `NFNL_BATCH_GENID` is
/// stale.
pub const ERESTART: i32 = libc::ERESTART;

/// The symbolic name of an errno (`2` -> `"ENOENT"`), or `"errno N"` for uncommon ones.
pub fn errno_name(errno: i32) -> String {
    let name = match errno {
        0 => "OK",
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::EINTR => "EINTR",
        libc::EIO => "EIO",
        libc::E2BIG => "E2BIG",
        libc::EBADF => "EBADF",
        libc::EAGAIN => "EAGAIN",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EFAULT => "EFAULT",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::ENODEV => "ENODEV",
        libc::EINVAL => "EINVAL",
        libc::ENFILE => "ENFILE",
        libc::EMFILE => "EMFILE",
        libc::ENOSPC => "ENOSPC",
        libc::ERANGE => "ERANGE",
        libc::ENAMETOOLONG => "ENAMETOOLONG",
        libc::ENOTEMPTY => "ENOTEMPTY",
        libc::ELOOP => "ELOOP",
        libc::EOVERFLOW => "EOVERFLOW",
        ERESTART => "ERESTART",
        libc::EMSGSIZE => "EMSGSIZE",
        libc::ENOPROTOOPT => "ENOPROTOOPT",
        libc::EPROTONOSUPPORT => "EPROTONOSUPPORT",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::EAFNOSUPPORT => "EAFNOSUPPORT",
        libc::ENOBUFS => "ENOBUFS",
        libc::ETIMEDOUT => "ETIMEDOUT",
        _ => return format!("errno {errno}"),
    };
    name.to_string()
}

/// What an errno usually means for an nf_tables request, for a person; `""` when unknown.
pub fn errno_hint(errno: i32) -> &'static str {
    match errno {
        libc::EPERM | libc::EACCES => "not root: run as root or with CAP_NET_ADMIN",
        libc::ENOENT => "no such table, chain, rule or extension",
        libc::EEXIST => "already exists",
        libc::EBUSY => "chain in use: still referenced, not empty, or a builtin chain",
        libc::EOPNOTSUPP | libc::ENOPROTOOPT | libc::EAFNOSUPPORT | libc::EPROTONOSUPPORT => {
            "missing kernel module (nf_tables / nft_compat / xt_conntrack ...)"
        }
        libc::EINVAL => "invalid argument: the kernel refused an attribute of this message",
        ERESTART => "ruleset generation changed: re-read and retry",
        libc::EINTR => "interrupted by a concurrent ruleset change: retry",
        libc::ENOBUFS => "socket receive buffer overrun: replies were lost",
        libc::EMSGSIZE => "message larger than the socket send buffer",
        libc::ENOMEM => "kernel out of memory",
        libc::ENOSPC => "kernel limit reached",
        libc::ELOOP => "chain jumps form a loop",
        libc::EMLINK => "chain jumps form a loop or nest too deep",
        libc::ERANGE => "value out of range",
        libc::ENAMETOOLONG => "name too long",
        _ => "",
    }
}

/// A readable name for an nfnetlink message type (`0x0a03` -> `"NEWCHAIN"`).
pub fn msg_type_name(kind: u16) -> String {
    if kind == NFNL_MSG_BATCH_BEGIN {
        return "BATCH_BEGIN".into();
    }
    if kind == NFNL_MSG_BATCH_END {
        return "BATCH_END".into();
    }
    if kind >> 8 == crate::wire::consts::NFNL_SUBSYS_IPSET {
        return ipset_msg_name(kind & 0xff);
    }
    if kind >> 8 != NFNL_SUBSYS_NFTABLES {
        return format!("type {kind:#06x}");
    }
    let name = match kind & 0xff {
        NFT_MSG_NEWTABLE => "NEWTABLE",
        NFT_MSG_GETTABLE => "GETTABLE",
        NFT_MSG_DELTABLE => "DELTABLE",
        NFT_MSG_NEWCHAIN => "NEWCHAIN",
        NFT_MSG_GETCHAIN => "GETCHAIN",
        NFT_MSG_DELCHAIN => "DELCHAIN",
        NFT_MSG_NEWRULE => "NEWRULE",
        NFT_MSG_GETRULE => "GETRULE",
        NFT_MSG_DELRULE => "DELRULE",
        NFT_MSG_NEWGEN => "NEWGEN",
        NFT_MSG_GETGEN => "GETGEN",
        m => return format!("nf_tables msg {m}"),
    };
    name.into()
}

/// An ipset command's name (`IPSET_CMD_ADD` -> `"ipset ADD"`).
fn ipset_msg_name(cmd: u16) -> String {
    use crate::wire::consts::*;
    let name = match cmd {
        IPSET_CMD_PROTOCOL => "PROTOCOL",
        IPSET_CMD_CREATE => "CREATE",
        IPSET_CMD_DESTROY => "DESTROY",
        IPSET_CMD_FLUSH => "FLUSH",
        IPSET_CMD_RENAME => "RENAME",
        IPSET_CMD_SWAP => "SWAP",
        IPSET_CMD_LIST => "LIST",
        IPSET_CMD_SAVE => "SAVE",
        IPSET_CMD_ADD => "ADD",
        IPSET_CMD_DEL => "DEL",
        IPSET_CMD_TEST => "TEST",
        IPSET_CMD_HEADER => "HEADER",
        IPSET_CMD_TYPE => "TYPE",
        IPSET_CMD_GET_BYNAME => "GET_BYNAME",
        IPSET_CMD_GET_BYINDEX => "GET_BYINDEX",
        c => return format!("ipset msg {c}"),
    };
    format!("ipset {name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_hints() {
        assert_eq!(errno_name(2), "ENOENT");
        assert_eq!(errno_name(85), "ERESTART");
        assert_eq!(errno_name(4242), "errno 4242");
        assert!(errno_hint(libc::EPERM).contains("CAP_NET_ADMIN"));
        assert_eq!(
            errno_hint(libc::EBUSY),
            "chain in use: still referenced, not empty, or a builtin chain"
        );
        assert!(errno_hint(libc::EOPNOTSUPP).contains("missing kernel module"));
        assert_eq!(errno_hint(4242), "");
        assert_eq!(msg_type_name(0x0609), "ipset ADD");
        assert_eq!(msg_type_name(0x06ff), "ipset msg 255");
    }
}
