//! ipset requests, byte for byte as the `ipset` tool (7.17, libipset) builds them: nfgenmsg
//! family `AF_INET` whatever the set's family, `IPSET_ATTR_PROTOCOL` first, u32 and address
//! attributes flagged `NLA_F_NET_BYTEORDER`, every data attribute inside `IPSET_ATTR_DATA`.
//!
//! Contract: each function returns one complete netlink message with sequence number 0 (the
//! transport sets its own). Flags are the tool's: `ADD`/`DEL` carry `NLM_F_EXCL` unless
//! `exist` (`ipset -exist`), `CREATE` `NLM_F_EXCL | NLM_F_CREATE`, `DESTROY` `NLM_F_EXCL`,
//! `LIST` `NLM_F_DUMP`; every command but the queries (`PROTOCOL`, `TYPE`, `HEADER`) asks for
//! an ACK. [`add_many`] is `ipset restore`'s form: several entries in one `ADD` under
//! `IPSET_ATTR_ADT`, each with its line number, so a rejection names the entry.

use dfw_core::model::matches::SetName;
use dfw_core::model::{Family, Network};

use super::types::{CreateSpec, Entry, HASH_NET};
use crate::wire::consts::{
    ipset_msg, IPSET_ATTR_ADT, IPSET_ATTR_CIDR, IPSET_ATTR_DATA, IPSET_ATTR_FAMILY,
    IPSET_ATTR_FLAGS, IPSET_ATTR_HASHSIZE, IPSET_ATTR_IP, IPSET_ATTR_IPADDR_IPV4,
    IPSET_ATTR_IPADDR_IPV6, IPSET_ATTR_LINENO, IPSET_ATTR_MAXELEM, IPSET_ATTR_PROTOCOL,
    IPSET_ATTR_REVISION, IPSET_ATTR_SETNAME, IPSET_ATTR_SETNAME2, IPSET_ATTR_TIMEOUT,
    IPSET_ATTR_TYPENAME, IPSET_CMD_ADD, IPSET_CMD_CREATE, IPSET_CMD_DEL, IPSET_CMD_DESTROY,
    IPSET_CMD_FLUSH, IPSET_CMD_HEADER, IPSET_CMD_LIST, IPSET_CMD_PROTOCOL, IPSET_CMD_SWAP,
    IPSET_CMD_TEST, IPSET_CMD_TYPE, IPSET_FLAG_LIST_HEADER, IPSET_FLAG_LIST_SETNAME,
    IPSET_PROTOCOL, NFPROTO_IPV4, NFPROTO_IPV6, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL,
    NLM_F_REQUEST,
};
use crate::wire::{AttrWriter, NfGenMsg, NlMsgWriter, NLA_F_NET_BYTEORDER};

/// What a `LIST` request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListMode {
    /// Headers and members (`ipset list`).
    Full,
    /// Headers only (`ipset list -t`).
    Headers,
    /// Names only (`ipset list -n`).
    Names,
}

/// The nfproto number of a set family.
pub fn family_number(family: Family) -> u8 {
    match family {
        Family::Ipv4 => NFPROTO_IPV4,
        Family::Ipv6 => NFPROTO_IPV6,
    }
}

fn message(cmd: u16, flags: u16, attrs: impl FnOnce(&mut AttrWriter<'_>)) -> Vec<u8> {
    let mut w = NlMsgWriter::with_capacity(64);
    let gen = NfGenMsg {
        family: NFPROTO_IPV4,
        version: 0,
        res_id: 0,
    };
    w.message(ipset_msg(cmd), NLM_F_REQUEST | flags, 0, gen, |a| {
        a.u8(IPSET_ATTR_PROTOCOL, IPSET_PROTOCOL);
        attrs(a);
    });
    w.into_bytes()
}

fn net_u32(a: &mut AttrWriter<'_>, kind: u16, v: u32) {
    a.u32_be(kind | NLA_F_NET_BYTEORDER, v);
}

/// `IPSET_CMD_PROTOCOL`: which protocol versions the kernel speaks.
pub fn protocol() -> Vec<u8> {
    message(IPSET_CMD_PROTOCOL, 0, |_| {})
}

/// `IPSET_CMD_TYPE`: the revisions of `typename` the kernel has for `family`.
pub fn type_query(typename: &str, family: Family) -> Vec<u8> {
    message(IPSET_CMD_TYPE, 0, |a| {
        a.string(IPSET_ATTR_TYPENAME, typename)
            .u8(IPSET_ATTR_FAMILY, family_number(family));
    })
}

/// `IPSET_CMD_CREATE` of a `hash:net` set.
pub fn create(spec: &CreateSpec) -> Vec<u8> {
    message(
        IPSET_CMD_CREATE,
        NLM_F_ACK | NLM_F_EXCL | NLM_F_CREATE,
        |a| {
            a.string(IPSET_ATTR_SETNAME, spec.name.as_str())
                .string(IPSET_ATTR_TYPENAME, HASH_NET)
                .u8(IPSET_ATTR_REVISION, spec.revision)
                .u8(IPSET_ATTR_FAMILY, family_number(spec.family));
            a.nested(IPSET_ATTR_DATA, |d| {
                if let Some(t) = spec.timeout {
                    net_u32(d, IPSET_ATTR_TIMEOUT, t);
                }
                net_u32(d, IPSET_ATTR_HASHSIZE, spec.hashsize);
                net_u32(d, IPSET_ATTR_MAXELEM, spec.maxelem);
            });
        },
    )
}

fn named(cmd: u16, flags: u16, name: &SetName) -> Vec<u8> {
    message(cmd, flags, |a| {
        a.string(IPSET_ATTR_SETNAME, name.as_str());
    })
}

/// `IPSET_CMD_DESTROY` of one set.
pub fn destroy(name: &SetName) -> Vec<u8> {
    named(IPSET_CMD_DESTROY, NLM_F_ACK | NLM_F_EXCL, name)
}

/// `IPSET_CMD_FLUSH`: removes every entry of a set.
pub fn flush(name: &SetName) -> Vec<u8> {
    named(IPSET_CMD_FLUSH, NLM_F_ACK, name)
}

/// `IPSET_CMD_HEADER`: a set's type, family and revision.
pub fn header(name: &SetName) -> Vec<u8> {
    named(IPSET_CMD_HEADER, 0, name)
}

/// `IPSET_CMD_SWAP`: exchanges the contents (and names) of two sets of the same type and
/// family; rules referring to `a` see `b`'s former contents, atomically.
pub fn swap(a: &SetName, b: &SetName) -> Vec<u8> {
    message(IPSET_CMD_SWAP, NLM_F_ACK, |w| {
        w.string(IPSET_ATTR_SETNAME, a.as_str())
            .string(IPSET_ATTR_SETNAME2, b.as_str());
    })
}

/// `IPSET_CMD_LIST` (a dump) of one set or, with `None`, of every set.
pub fn list(name: Option<&SetName>, mode: ListMode) -> Vec<u8> {
    message(IPSET_CMD_LIST, NLM_F_ACK | NLM_F_DUMP, |a| {
        if let Some(n) = name {
            a.string(IPSET_ATTR_SETNAME, n.as_str());
        }
        match mode {
            ListMode::Full => {}
            ListMode::Headers => net_u32(a, IPSET_ATTR_FLAGS, IPSET_FLAG_LIST_HEADER),
            ListMode::Names => net_u32(a, IPSET_ATTR_FLAGS, IPSET_FLAG_LIST_SETNAME),
        }
    })
}

/// The address nest and `CIDR` of a network (no `CIDR` for a host, as the tool omits it).
fn write_net(a: &mut AttrWriter<'_>, net: &Network) {
    a.nested(IPSET_ATTR_IP, |ip| match net.addr() {
        std::net::IpAddr::V4(v4) => {
            ip.bytes(IPSET_ATTR_IPADDR_IPV4 | NLA_F_NET_BYTEORDER, &v4.octets());
        }
        std::net::IpAddr::V6(v6) => {
            ip.bytes(IPSET_ATTR_IPADDR_IPV6 | NLA_F_NET_BYTEORDER, &v6.octets());
        }
    });
    if !net.is_host() {
        a.u8(IPSET_ATTR_CIDR, net.prefix().unwrap_or(0));
    }
}

fn write_entry(a: &mut AttrWriter<'_>, e: &Entry, lineno: u32) {
    write_net(a, &e.net);
    if let Some(t) = e.timeout {
        net_u32(a, IPSET_ATTR_TIMEOUT, t);
    }
    net_u32(a, IPSET_ATTR_LINENO, lineno);
}

fn excl(exist: bool) -> u16 {
    if exist {
        NLM_F_ACK
    } else {
        NLM_F_ACK | NLM_F_EXCL
    }
}

/// `IPSET_CMD_ADD` of one entry; with `exist`, an entry already present is not an error (its
/// timeout is updated).
pub fn add(name: &SetName, entry: &Entry, exist: bool) -> Vec<u8> {
    message(IPSET_CMD_ADD, excl(exist), |a| {
        a.string(IPSET_ATTR_SETNAME, name.as_str());
        a.nested(IPSET_ATTR_DATA, |d| write_entry(d, entry, 0));
    })
}

/// `IPSET_CMD_DEL` of one entry; with `exist`, an absent entry is not an error.
pub fn del(name: &SetName, net: &Network, exist: bool) -> Vec<u8> {
    message(IPSET_CMD_DEL, excl(exist), |a| {
        a.string(IPSET_ATTR_SETNAME, name.as_str());
        a.nested(IPSET_ATTR_DATA, |d| write_entry(d, &Entry::net(*net), 0));
    })
}

/// `IPSET_CMD_TEST`: acknowledged when `net` is in the set, `IPSET_ERR_EXIST` when not.
pub fn test(name: &SetName, net: &Network) -> Vec<u8> {
    message(IPSET_CMD_TEST, NLM_F_ACK, |a| {
        a.string(IPSET_ATTR_SETNAME, name.as_str());
        a.nested(IPSET_ATTR_DATA, |d| write_net(d, net));
    })
}

/// Bytes one entry takes inside `IPSET_ATTR_ADT` at most (IPv6, CIDR, timeout, line number).
pub const MAX_ENTRY_LEN: usize = 4 + (4 + 4 + 16) + 8 + 8 + 8;

/// Most bytes of entries one [`add_many`] message holds: `IPSET_ATTR_ADT`'s 16-bit length.
pub const MAX_ADT_LEN: usize = 65535 - 4;

/// `IPSET_CMD_ADD` of several entries, as `ipset restore` sends them: `IPSET_ATTR_LINENO` is
/// the first entry's line `first_line`, each entry carries its own (`first_line`,
/// `first_line + 1`, ...). The caller keeps `entries.len() * MAX_ENTRY_LEN <= MAX_ADT_LEN`.
pub fn add_many(name: &SetName, entries: &[Entry], first_line: u32, exist: bool) -> Vec<u8> {
    message(IPSET_CMD_ADD, excl(exist), |a| {
        a.string(IPSET_ATTR_SETNAME, name.as_str());
        net_u32(a, IPSET_ATTR_LINENO, first_line);
        a.nested(IPSET_ATTR_ADT, |adt| {
            for (i, e) in entries.iter().enumerate() {
                adt.nested(IPSET_ATTR_DATA, |d| {
                    write_entry(d, e, first_line.wrapping_add(i as u32))
                });
            }
        });
    })
}

/// How many entries fit in one [`add_many`] message.
pub const ENTRIES_PER_MESSAGE: usize = MAX_ADT_LEN / MAX_ENTRY_LEN;
