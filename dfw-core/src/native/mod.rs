//! Native nf_tables rulesets: every table of families `ip`, `ip6` and `inet` as the kernel
//! holds it (tables, base and regular chains, rules as expressions, sets and maps with their
//! elements), beside the iptables-nft tables of [`crate::model`].
//!
//! Contract: pure data. The netlink codec (`dfw_netlink::native`) fills it from kernel dumps;
//! [`print`] writes it as `nft list ruleset` does; [`crate::eval`] runs its base chains in
//! priority order with the iptables tables. Names, numbers and bytes are the kernel's: a
//! register holds what the kernel's register would hold, a set element's key the bytes the
//! kernel compares. [`Set::lookup`] is the one place set membership is decided.

pub mod docker;
mod expr;
pub mod print;
mod set;

pub use expr::{CmpOp, Data, Expr, NatKind, PayloadBase, Reg, RejectKind, Verdict};
pub use set::{Set, SetElem, SetFlags, DATA_VERDICT};

use crate::model::{Family, Hook};

/// A native table's family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NftFamily {
    /// `ip`.
    Ip,
    /// `ip6`.
    Ip6,
    /// `inet` (both).
    Inet,
}

impl NftFamily {
    /// True when packets of `family` traverse tables of this family.
    pub fn sees(self, family: Family) -> bool {
        matches!(
            (self, family),
            (NftFamily::Inet, _) | (NftFamily::Ip, Family::Ipv4) | (NftFamily::Ip6, Family::Ipv6)
        )
    }

    /// The keyword nft uses.
    pub fn as_str(self) -> &'static str {
        match self {
            NftFamily::Ip => "ip",
            NftFamily::Ip6 => "ip6",
            NftFamily::Inet => "inet",
        }
    }
}

impl std::fmt::Display for NftFamily {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A chain's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChainPolicy {
    /// `accept`.
    Accept,
    /// `drop`.
    Drop,
}

/// What makes a chain a base chain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BaseChain {
    /// The hook.
    pub hook: Hook,
    /// The priority (lower runs first).
    pub priority: i32,
    /// `filter`, `nat` or `route`.
    pub chain_type: String,
    /// The policy.
    pub policy: ChainPolicy,
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rule {
    /// The kernel handle.
    pub handle: u64,
    /// The expressions in order.
    pub exprs: Vec<Expr>,
    /// The comment (userdata).
    pub comment: Option<String>,
}

/// One chain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Chain {
    /// The name.
    pub name: String,
    /// The kernel handle.
    pub handle: u64,
    /// Hook, priority, type and policy of a base chain.
    pub base: Option<BaseChain>,
    /// The rules in order.
    pub rules: Vec<Rule>,
}

/// One table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Table {
    /// Family.
    pub family: NftFamily,
    /// Name.
    pub name: String,
    /// The kernel handle.
    pub handle: u64,
    /// Chains in kernel (handle) order.
    pub chains: Vec<Chain>,
    /// Sets and maps, named and anonymous, in kernel order.
    pub sets: Vec<Set>,
}

impl Table {
    /// The chain named `name`.
    pub fn chain(&self, name: &str) -> Option<&Chain> {
        self.chains.iter().find(|c| c.name == name)
    }

    /// The set named `name`.
    pub fn set(&self, name: &str) -> Option<&Set> {
        self.sets.iter().find(|s| s.name == name)
    }
}

/// Every native table the evaluator follows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Ruleset {
    /// Tables in kernel order.
    pub tables: Vec<Table>,
}

impl Ruleset {
    /// The table `family name`.
    pub fn table(&self, family: NftFamily, name: &str) -> Option<&Table> {
        self.tables
            .iter()
            .find(|t| t.family == family && t.name == name)
    }

    /// The base chains registered at `hook` that packets of `family` traverse, as
    /// `(table, chain)`, in the kernel's order: by priority, ties in table order.
    pub fn base_chains(&self, family: Family, hook: Hook) -> Vec<(&Table, &Chain)> {
        let mut out: Vec<(&Table, &Chain)> = self
            .tables
            .iter()
            .filter(|t| t.family.sees(family))
            .flat_map(|t| t.chains.iter().map(move |c| (t, c)))
            .filter(|(_, c)| c.base.as_ref().is_some_and(|b| b.hook == hook))
            .collect();
        out.sort_by_key(|(_, c)| c.base.as_ref().map_or(0, |b| b.priority));
        out
    }
}
