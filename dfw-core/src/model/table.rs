//! Tables and their built-in chains, exactly as iptables-nft creates them.

use std::fmt;

/// The netfilter hooks a built-in chain attaches to; values are the kernel's `NF_INET_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u32)]
pub enum Hook {
    /// `NF_INET_PRE_ROUTING`.
    Prerouting = 0,
    /// `NF_INET_LOCAL_IN`.
    Input = 1,
    /// `NF_INET_FORWARD`.
    Forward = 2,
    /// `NF_INET_LOCAL_OUT`.
    Output = 3,
    /// `NF_INET_POST_ROUTING`.
    Postrouting = 4,
}

impl Hook {
    /// The built-in chain name for this hook (`PREROUTING`, `INPUT`, ...).
    pub fn chain_name(self) -> &'static str {
        match self {
            Hook::Prerouting => "PREROUTING",
            Hook::Input => "INPUT",
            Hook::Forward => "FORWARD",
            Hook::Output => "OUTPUT",
            Hook::Postrouting => "POSTROUTING",
        }
    }

    /// The hook for a built-in chain name.
    pub fn from_chain_name(name: &str) -> Option<Hook> {
        Some(match name {
            "PREROUTING" => Hook::Prerouting,
            "INPUT" => Hook::Input,
            "FORWARD" => Hook::Forward,
            "OUTPUT" => Hook::Output,
            "POSTROUTING" => Hook::Postrouting,
            _ => return None,
        })
    }
}

/// The iptables tables dfw knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TableName {
    /// `raw`.
    Raw,
    /// `mangle`.
    Mangle,
    /// `filter`.
    Filter,
    /// `nat`.
    Nat,
    /// `security`.
    Security,
}

/// A built-in chain of a table: hook, nf_tables chain type and priority, as iptables-nft
/// 1.8.9 creates it (`nft.c`, `xtables_ipv4[]`; the IPv6 tables are identical).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinChain {
    /// The hook.
    pub hook: Hook,
    /// The nf_tables chain type (`filter`, `nat` or `route`).
    pub chain_type: &'static str,
    /// The hook priority.
    pub priority: i32,
}

impl BuiltinChain {
    /// The chain name (`INPUT`, ...).
    pub fn name(&self) -> &'static str {
        self.hook.chain_name()
    }
}

const fn bc(hook: Hook, chain_type: &'static str, priority: i32) -> BuiltinChain {
    BuiltinChain {
        hook,
        chain_type,
        priority,
    }
}

const RAW: &[BuiltinChain] = &[
    bc(Hook::Prerouting, "filter", -300),
    bc(Hook::Output, "filter", -300),
];
const MANGLE: &[BuiltinChain] = &[
    bc(Hook::Prerouting, "filter", -150),
    bc(Hook::Input, "filter", -150),
    bc(Hook::Forward, "filter", -150),
    bc(Hook::Output, "route", -150),
    bc(Hook::Postrouting, "filter", -150),
];
const FILTER: &[BuiltinChain] = &[
    bc(Hook::Input, "filter", 0),
    bc(Hook::Forward, "filter", 0),
    bc(Hook::Output, "filter", 0),
];
const NAT: &[BuiltinChain] = &[
    bc(Hook::Prerouting, "nat", -100),
    bc(Hook::Input, "nat", 100),
    bc(Hook::Output, "nat", -100),
    bc(Hook::Postrouting, "nat", 100),
];
const SECURITY: &[BuiltinChain] = &[
    bc(Hook::Input, "filter", 150),
    bc(Hook::Forward, "filter", 150),
    bc(Hook::Output, "filter", 150),
];

impl TableName {
    /// Every table.
    pub const ALL: [TableName; 5] = [
        TableName::Raw,
        TableName::Mangle,
        TableName::Filter,
        TableName::Nat,
        TableName::Security,
    ];

    /// The order iptables-nft 1.8.9 lists tables in (`enum nft_table_type`), which is the
    /// order iptables-save prints them in.
    pub const SAVE_ORDER: [TableName; 5] = [
        TableName::Mangle,
        TableName::Security,
        TableName::Raw,
        TableName::Filter,
        TableName::Nat,
    ];

    /// Position in [`TableName::SAVE_ORDER`].
    pub fn save_rank(self) -> usize {
        TableName::SAVE_ORDER
            .iter()
            .position(|t| *t == self)
            .unwrap_or(TableName::SAVE_ORDER.len())
    }

    /// The table's name (`filter`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            TableName::Raw => "raw",
            TableName::Mangle => "mangle",
            TableName::Filter => "filter",
            TableName::Nat => "nat",
            TableName::Security => "security",
        }
    }

    /// The table for a name.
    pub fn parse(name: &str) -> Option<TableName> {
        TableName::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The built-in chains, in the order iptables-save prints them.
    pub fn builtin_chains(self) -> &'static [BuiltinChain] {
        match self {
            TableName::Raw => RAW,
            TableName::Mangle => MANGLE,
            TableName::Filter => FILTER,
            TableName::Nat => NAT,
            TableName::Security => SECURITY,
        }
    }

    /// The built-in chain of this table with that name, if there is one.
    pub fn builtin(self, chain: &str) -> Option<&'static BuiltinChain> {
        self.builtin_chains().iter().find(|c| c.name() == chain)
    }
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
