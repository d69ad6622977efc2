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

/// An iptables-nft table's kernel handle: the native model does not hold its chains (the
/// iptables model does), only when it was created, which the evaluator needs to order its
/// base chains among native ones of equal priority (see [`Ruleset::base_chains`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct XtTable {
    /// `ip` or `ip6`.
    pub family: NftFamily,
    /// `filter`, `nat`, `mangle`, `raw` or `security`.
    pub name: String,
    /// The kernel handle.
    pub handle: u64,
}

/// Every native table the evaluator follows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Ruleset {
    /// Tables in kernel order.
    pub tables: Vec<Table>,
    /// The handles of the iptables-nft tables beside them (empty when not read).
    pub xt_tables: Vec<XtTable>,
}

impl Ruleset {
    /// The table `family name`.
    pub fn table(&self, family: NftFamily, name: &str) -> Option<&Table> {
        self.tables
            .iter()
            .find(|t| t.family == family && t.name == name)
    }

    /// The handle of the iptables-nft table `name` that packets of `family` traverse, when
    /// it was read.
    pub fn xt_handle(&self, family: Family, name: &str) -> Option<u64> {
        self.xt_tables
            .iter()
            .find(|t| t.family.sees(family) && t.family != NftFamily::Inet && t.name == name)
            .map(|t| t.handle)
    }

    /// The base chains registered at `hook` that packets of `family` traverse, as
    /// `(table, chain)`, in the kernel's order: by priority, ties in registration order
    /// (see [`registration_rank`]).
    pub fn base_chains(&self, family: Family, hook: Hook) -> Vec<(&Table, &Chain)> {
        let mut out: Vec<(&Table, &Chain)> = self
            .tables
            .iter()
            .filter(|t| t.family.sees(family))
            .flat_map(|t| t.chains.iter().map(move |c| (t, c)))
            .filter(|(_, c)| c.base.as_ref().is_some_and(|b| b.hook == hook))
            .collect();
        out.sort_by_key(|(t, c)| {
            let priority = c.base.as_ref().map_or(0, |b| b.priority);
            (
                priority,
                std::cmp::Reverse(registration_rank(t.handle, c.handle)),
            )
        });
        out
    }
}

/// Where a base chain stands in the kernel's registration order: among base chains of one
/// hook and priority, the kernel runs the one registered last first (`nf_hook_entries_grow`
/// in net/netfilter/core.c inserts a new hook before the first one of equal or higher
/// priority; the NAT core keeps its chains the same way). A base chain registers its hook
/// when it is created, and handles grow with creation: a table's handle in the network
/// namespace (`++table_handle`), a chain's within its table. So a larger `(table handle,
/// chain handle)` registered later and runs first, exactly when every such chain was created
/// before any later table was (the kernel offers no other record where `nfnetlink_hook` is
/// not built; a base chain added to an older table after a newer table was made, or a
/// dormant table woken up, is ranked by its table's age).
pub fn registration_rank(table_handle: u64, chain_handle: u64) -> (u64, u64) {
    (table_handle, chain_handle)
}
