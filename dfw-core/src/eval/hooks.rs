//! Which base chains a packet meets at a hook, in the kernel's order, across the iptables
//! tables and every native table of its family.
//!
//! Contract: [`slots`] lists the base chains registered at `hook` that packets of the
//! ruleset's family traverse, sorted as the kernel runs them: by priority; chains of type
//! `nat` (iptables' nat table and native nat chains) all run inside the NAT core's hook at
//! the NAT priority of that hook (-100 at prerouting and output, 100 at input and
//! postrouting), among themselves by their own priority. Ties run in the kernel's order:
//! the chain registered last first ([`native::registration_rank`]: table handle, then chain
//! handle; an iptables table whose handle was not read ranks as registered last, before
//! every native chain). The conntrack hook runs at -200 ([`CONNTRACK`]).

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
        let rank = native
            .xt_handle(ruleset.family(), name.as_str())
            .map_or((u64::MAX, 0), |h| native::registration_rank(h, 0));
        out.push((key, rank, Slot::Xt(name)));
    }
    for (t, c) in native.base_chains(ruleset.family(), hook) {
        let Some(b) = &c.base else { continue };
        let key = if b.chain_type == "nat" {
            (nat_priority(hook), b.priority)
        } else {
            (b.priority, 0)
        };
        out.push((
            key,
            native::registration_rank(t.handle, c.handle),
            Slot::Native(t, c),
        ));
    }
    out.sort_by_key(|(k, rank, _)| (*k, std::cmp::Reverse(*rank)));
    out.into_iter().map(|(k, _, s)| (k, s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Family;
    use crate::native::{BaseChain, ChainPolicy, NftFamily, XtTable};

    fn table(name: &str, handle: u64, chains: &[(&str, u64)]) -> Table {
        Table {
            family: NftFamily::Ip,
            name: name.into(),
            handle,
            chains: chains
                .iter()
                .map(|(c, h)| Chain {
                    name: (*c).into(),
                    handle: *h,
                    base: Some(BaseChain {
                        hook: Hook::Forward,
                        priority: 0,
                        chain_type: "filter".into(),
                        policy: ChainPolicy::Accept,
                    }),
                    rules: Vec::new(),
                })
                .collect(),
            sets: Vec::new(),
        }
    }

    fn order(rs: &Ruleset, native: &native::Ruleset) -> Vec<String> {
        slots(rs, native, Hook::Forward)
            .into_iter()
            .map(|(_, s)| match s {
                Slot::Xt(t) => t.as_str().to_string(),
                Slot::Native(t, c) => format!("{} {}", t.name, c.name),
            })
            .collect()
    }

    #[test]
    fn equal_priorities_run_newest_first() {
        let rs =
            crate::syntax::parse_ruleset(Family::Ipv4, "*filter\n:FORWARD ACCEPT [0:0]\nCOMMIT\n")
                .unwrap();
        let mut native = native::Ruleset {
            tables: vec![
                table("old", 2, &[("a", 1), ("b", 3)]),
                table("new", 5, &[("c", 1)]),
            ],
            xt_tables: Vec::new(),
        };
        // The filter table's handle unknown: before every native chain.
        assert_eq!(order(&rs, &native), ["filter", "new c", "old b", "old a"]);
        native.xt_tables.push(XtTable {
            family: NftFamily::Ip,
            name: "filter".into(),
            handle: 4,
        });
        assert_eq!(order(&rs, &native), ["new c", "filter", "old b", "old a"]);
        let names: Vec<&str> = native
            .base_chains(Family::Ipv4, Hook::Forward)
            .iter()
            .map(|(_, c)| c.name.as_str())
            .collect();
        assert_eq!(names, ["c", "b", "a"]);
    }
}
