//! Which base chains a packet meets at a hook, in the kernel's order, across the iptables
//! tables and every native table of its family.
//!
//! Contract: [`slots`] lists the base chains registered at `hook` that packets of the
//! ruleset's family traverse, sorted as the kernel runs them: by priority; chains of type
//! `nat` (iptables' nat table and native nat chains) all run inside the NAT core's hook at
//! the NAT priority of that hook (-100 at prerouting and output, 100 at input and
//! postrouting), among themselves by their own priority. Ties keep iptables' tables first,
//! then native tables in kernel order. The conntrack hook runs at -200 ([`CONNTRACK`]).

use crate::model::{Hook, Ruleset, TableName};
use crate::native::{self, Chain, Table};

/// Conntrack's priority (`NF_IP_PRI_CONNTRACK`).
pub(crate) const CONNTRACK: i32 = -200;

/// A base chain at a hook.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Slot<'r> {
    /// An iptables table's built-in chain.
    Xt(TableName),
    /// A native base chain.
    Native(&'r Table, &'r Chain),
}

impl Slot<'_> {
    /// True for a chain of type nat.
    pub fn is_nat(&self) -> bool {
        match self {
            Slot::Xt(t) => *t == TableName::Nat,
            Slot::Native(_, c) => c.base.as_ref().is_some_and(|b| b.chain_type == "nat"),
        }
    }
}

fn nat_priority(hook: Hook) -> i32 {
    match hook {
        Hook::Prerouting | Hook::Output => -100,
        Hook::Input | Hook::Postrouting => 100,
        Hook::Forward => 0,
    }
}

/// The base chains at `hook` with their sort key (see the module contract).
pub(crate) fn slots<'r>(
    ruleset: &'r Ruleset,
    native: &'r native::Ruleset,
    hook: Hook,
) -> Vec<((i32, i32), Slot<'r>)> {
    let mut out = Vec::new();
    for name in TableName::SAVE_ORDER {
        let Some(b) = name.builtin(hook.chain_name()) else {
            continue;
        };
        let present = ruleset
            .table(name)
            .and_then(|t| t.chain(hook.chain_name()))
            .is_some();
        if !present {
            continue;
        }
        let key = if name == TableName::Nat {
            (nat_priority(hook), b.priority)
        } else {
            (b.priority, 0)
        };
        out.push((key, Slot::Xt(name)));
    }
    for (t, c) in native.base_chains(ruleset.family(), hook) {
        let Some(b) = &c.base else { continue };
        let key = if b.chain_type == "nat" {
            (nat_priority(hook), b.priority)
        } else {
            (b.priority, 0)
        };
        out.push((key, Slot::Native(t, c)));
    }
    out.sort_by_key(|(k, s)| (*k, matches!(s, Slot::Native(..))));
    out
}
