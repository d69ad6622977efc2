//! The values the ipset codec encodes and decodes: a `hash:net` set to create, an entry, and a
//! set as `LIST` reports it.

use dfw_core::model::matches::SetName;
use dfw_core::model::{Family, Network};

/// The only set type dfw creates.
pub const HASH_NET: &str = "hash:net";

/// A `hash:net` set to create (`ipset create NAME hash:net family F hashsize H maxelem M
/// [timeout T]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateSpec {
    /// The set's name.
    pub name: SetName,
    /// Its family (`inet` or `inet6`).
    pub family: Family,
    /// The set type's revision to create (the kernel's highest, from a `TYPE` query; 7 on
    /// Linux 5.11 and later).
    pub revision: u8,
    /// Initial hash size (a power of two; the kernel grows it).
    pub hashsize: u32,
    /// Most entries the set may hold.
    pub maxelem: u32,
    /// `Some(t)`: the set supports per-entry timeouts, `t` seconds by default (0 = none).
    pub timeout: Option<u32>,
}

/// One entry to add, delete or test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Entry {
    /// The network (a host is a /32 or /128).
    pub net: Network,
    /// Seconds until the kernel removes it (only in a set created with a timeout; 0 =
    /// never); `None` = the set's default.
    pub timeout: Option<u32>,
}

impl Entry {
    /// An entry without its own timeout.
    pub fn net(net: Network) -> Self {
        Entry { net, timeout: None }
    }
}

/// What `LIST` or `HEADER` tells about a set besides its members.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SetHeader {
    /// `hashsize` (hash types).
    pub hashsize: Option<u32>,
    /// `maxelem` (hash types).
    pub maxelem: Option<u32>,
    /// The default timeout, when the set was created with timeout support.
    pub timeout: Option<u32>,
    /// Number of entries.
    pub elements: Option<u32>,
    /// Number of references (iptables rules, list:set members).
    pub references: Option<u32>,
    /// Memory used, in bytes.
    pub memsize: Option<u32>,
}

/// One member as `LIST` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Member {
    /// The network.
    pub net: Network,
    /// Seconds left, for a set with timeouts (0 = permanent).
    pub timeout: Option<u32>,
    /// A `nomatch` entry (an exception inside a larger network).
    pub nomatch: bool,
}

/// The members of a listed set, when dfw can read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Members {
    /// Not asked for (`LIST` of headers only).
    NotListed,
    /// Every member (hash:net and hash:ip sets).
    Nets(Vec<Member>),
    /// Members of a type dfw does not read (ports, interfaces, MACs ...): the reason.
    Unreadable(String),
}

/// One set as the kernel lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetListing {
    /// The name.
    pub name: SetName,
    /// The type (`hash:net`).
    pub typename: String,
    /// The family; `None` for a family-less type (`list:set`).
    pub family: Option<Family>,
    /// The type's revision.
    pub revision: u8,
    /// The kernel's index of the set (what `-m set` rules refer to), protocol 7 and later.
    pub index: Option<u16>,
    /// Header data.
    pub header: SetHeader,
    /// The members.
    pub members: Members,
}
