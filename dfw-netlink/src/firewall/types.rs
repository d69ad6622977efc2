//! The values the firewall reads and is given: kernel tables, chains and rules as read, the
//! wanted state of chains ([`ChainTarget`], [`ChangeSet`]) and what an apply did.

use dfw_core::model::target::Opaque;
use dfw_core::model::{ChainName, Counters, Family, Policy, Rule, TableName, Target};

use crate::rule_codec::{Compat, DecodedRule};

/// A kernel rule as decoded: a model rule, or one dfw cannot express (kept as read).
pub type Decoded = DecodedRule;

/// One rule as the kernel holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelRule {
    /// The rule's handle (unique within its table).
    pub handle: u64,
    /// The rule, or an opaque rule with its expressions and the reason.
    pub rule: Decoded,
    /// The rule's counter (from its `counter` expression; zero when it has none).
    pub counters: Counters,
}

impl KernelRule {
    /// The model rule without counters, for comparing with wanted rules; `None` when opaque.
    pub fn comparable(&self) -> Option<Rule> {
        self.rule.rule().map(|r| Rule {
            counters: None,
            ..r.clone()
        })
    }

    /// The rule as the evaluator walks it: the decoded rule without counters, or for a rule
    /// of `family` dfw cannot decode its stand-in: the conditions its leading expressions
    /// state ([`crate::rule_codec::known_conditions`]) and [`Target::Opaque`] with the reason
    /// and the handle (what else it matches, and what it does, are unknown).
    pub fn evaluable(&self, family: Family) -> Rule {
        match &self.rule {
            DecodedRule::Rule(r) => Rule {
                counters: None,
                ..r.clone()
            },
            DecodedRule::Opaque { reason, exprs, .. } => Rule {
                target: Some(Target::Opaque(Opaque {
                    reason: reason.clone(),
                    handle: Some(self.handle),
                })),
                ..crate::rule_codec::known_conditions(family, exprs)
            },
        }
    }

    /// True for a rule dfw cannot express.
    pub fn is_opaque(&self) -> bool {
        self.rule.rule().is_none()
    }

    /// The compat attribute of an opaque rule (for diagnostics).
    pub fn opaque_compat(&self) -> Option<Compat> {
        match &self.rule {
            DecodedRule::Opaque { compat, .. } => *compat,
            DecodedRule::Rule(_) => None,
        }
    }
}

/// What makes a chain a base chain: where it hooks in and its policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseChain {
    /// `NF_INET_*` hook number.
    pub hook: u32,
    /// Hook priority.
    pub priority: i32,
    /// nf_tables chain type (`filter`, `nat`, `route`).
    pub chain_type: String,
    /// The policy (`None` when the kernel did not say, or said something other than
    /// accept/drop).
    pub policy: Option<Policy>,
    /// The chain's counters.
    pub counters: Counters,
}

/// One chain as the kernel holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelChain {
    /// The name.
    pub name: String,
    /// The chain's handle.
    pub handle: u64,
    /// Hook, priority, type and policy of a base chain; `None` for a user chain.
    pub base: Option<BaseChain>,
    /// The rules, in order (empty when `unread`).
    pub rules: Vec<KernelRule>,
    /// `Some(n)` when the rules were deliberately not read, because the caller replaces them
    /// all and reading a long chain costs the kernel more than reloading it (see
    /// [`super::READ_LIMIT`]): `rules` is then empty and the kernel holds at most `n` rules
    /// (the chain's use count: its rules plus the references to it). A plan flushes such a
    /// chain and inserts every wanted rule. `None`: `rules` is the chain's content.
    pub unread: Option<u32>,
}

/// One iptables table of one family, as the kernel holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelTable {
    /// The family.
    pub family: Family,
    /// The table.
    pub name: TableName,
    /// Base chains first in hook order (iptables-save's order), then user chains by name.
    pub chains: Vec<KernelChain>,
}

impl KernelTable {
    /// A chain by name.
    pub fn chain(&self, name: &str) -> Option<&KernelChain> {
        self.chains.iter().find(|c| c.name == name)
    }

    /// Sorts chains as iptables-save prints them.
    pub(super) fn sort_chains(&mut self) {
        let builtins = self.name.builtin_chains();
        self.chains.sort_by(|a, b| {
            let key = |c: &KernelChain| match builtins.iter().position(|x| x.name() == c.name) {
                Some(i) if c.base.is_some() => (i, String::new()),
                _ => (builtins.len(), c.name.clone()),
            };
            key(a).cmp(&key(b))
        });
    }
}

/// One rule of a chain a change wants.
// Nearly every entry is a rule: boxing them would cost an allocation per rule.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    /// This rule: an equal rule of the chain (counters aside) that the edit keeps keeps its
    /// handle and counters; otherwise it is inserted.
    Rule(Rule),
    /// The kernel's rule with this handle, left exactly where and as it is: never deleted,
    /// moved or re-encoded (someone else's rule, decodable by dfw or not). It must be in the
    /// chain, and the `Kernel` entries of a chain must follow the chain's order.
    Kernel(u64),
}

impl Wanted {
    /// The rule to write; `None` for a kernel rule kept as it is.
    pub fn rule(&self) -> Option<&Rule> {
        match self {
            Wanted::Rule(r) => Some(r),
            Wanted::Kernel(_) => None,
        }
    }
}

impl From<Rule> for Wanted {
    fn from(rule: Rule) -> Self {
        Wanted::Rule(rule)
    }
}

/// What a change wants one chain to end up as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainTarget {
    /// The family.
    pub family: Family,
    /// The table.
    pub table: TableName,
    /// The chain.
    pub chain: ChainName,
    /// Create it if missing (a user chain, or a built-in created exactly as iptables-nft
    /// does). Without it, a missing chain is an error.
    pub create: bool,
    /// Set the built-in chain's policy (`None`: never send a policy for an existing chain; a
    /// created built-in gets ACCEPT).
    pub policy: Option<Policy>,
    /// The exact rules the chain must hold, in order. Equal rules already there keep their
    /// handle and counters (counters of wanted rules are ignored when comparing); kernel
    /// rules named by handle ([`Wanted::Kernel`]) stay as they are, and nothing is matched
    /// across them.
    pub rules: Vec<Wanted>,
}

/// A set of changes applied in one atomic batch (both families may be mixed).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChangeSet {
    /// Chains to bring to a given content.
    pub chains: Vec<ChainTarget>,
    /// User chains to delete (their rules first). Missing ones are ignored.
    pub delete_chains: Vec<(Family, TableName, ChainName)>,
}

impl ChangeSet {
    /// True when it asks for nothing.
    pub fn is_empty(&self) -> bool {
        self.chains.is_empty() && self.delete_chains.is_empty()
    }
}

/// What [`super::Firewall::apply`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyReport {
    /// The plan that was committed (from the final attempt).
    pub plan: super::Plan,
    /// Attempts made (more than 1 after generation races).
    pub attempts: u32,
    /// The ruleset generation after the commit (the one read when nothing was sent).
    pub generation: u32,
    /// False when the plan was empty and no batch was sent.
    pub committed: bool,
    /// The kernel's own time for the batch: from its `sendmsg` to the reply of the GETGEN
    /// fence that follows it (nf_tables processes the whole batch synchronously inside that
    /// `sendmsg`; see [`crate::transport::BatchOutcome::batch_time`]). Everything else an
    /// apply takes is dfw's own work and the reads before. Zero when no batch was sent or
    /// the transport does not measure it.
    pub kernel_time: std::time::Duration,
}
