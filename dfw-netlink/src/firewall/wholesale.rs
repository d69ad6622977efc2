//! Which chains a restore script replaces whole, so that their rules in the kernel cannot
//! change its result and need not be read (see [`super::READ_LIMIT`]).
//!
//! Contract: pure; conservative (a chain some line could read before flushing it is never
//! "replaced whole").

use dfw_core::model::{ChainName, TableName};
use dfw_core::syntax::{CommandKind, Item, RestoreScript};

use super::RestoreOptions;

/// Whether the script's result for `chain` of `table` cannot depend on the rules the kernel
/// holds in it, so that they need not be read: without `noflush` every named table starts
/// empty; with it, the first line of the table's blocks that names the chain flushes it (the
/// declaration of a user chain, `-F CHAIN`, or `-F`).
pub(super) fn replaces_wholesale(
    script: &RestoreScript,
    opts: RestoreOptions,
    table: TableName,
    chain: &str,
) -> bool {
    if !opts.noflush {
        return true;
    }
    for b in script.tables.iter().filter(|b| b.table == table) {
        for item in &b.order {
            match *item {
                Item::Decl(i) => match b.chain_decls.get(i) {
                    Some(d) if d.chain.as_str() == chain => return d.policy.is_none(),
                    _ => {}
                },
                Item::Command(i) => {
                    let Some(c) = b.commands.get(i) else { continue };
                    match &c.kind {
                        CommandKind::Flush { chain: None } => return true,
                        CommandKind::Flush { chain: Some(x) } if x.as_str() == chain => {
                            return true
                        }
                        CommandKind::Zero { chain: None, .. }
                        | CommandKind::DeleteChain { chain: None } => return false,
                        k if command_chain(k).is_some_and(|x| x.as_str() == chain) => return false,
                        _ => {}
                    }
                }
            }
        }
    }
    false
}

/// The chain a command names, if one.
fn command_chain(kind: &CommandKind) -> Option<&ChainName> {
    match kind {
        CommandKind::Append { chain, .. }
        | CommandKind::Insert { chain, .. }
        | CommandKind::Replace { chain, .. }
        | CommandKind::Delete { chain, .. }
        | CommandKind::DeleteNum { chain, .. }
        | CommandKind::Policy { chain, .. }
        | CommandKind::NewChain { chain } => Some(chain),
        CommandKind::DeleteChain { chain }
        | CommandKind::Flush { chain }
        | CommandKind::Zero { chain, .. } => chain.as_ref(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dfw_core::model::Family;

    fn whole(text: &str, noflush: bool, chain: &str) -> bool {
        let script = RestoreScript::parse(Family::Ipv4, text).unwrap();
        let opts = RestoreOptions {
            noflush,
            ..RestoreOptions::default()
        };
        replaces_wholesale(&script, opts, TableName::Filter, chain)
    }

    #[test]
    fn without_noflush_every_chain_is_replaced() {
        assert!(whole("*filter\n-A INPUT -j ACCEPT\nCOMMIT\n", false, "X"));
    }

    #[test]
    fn a_declaration_or_a_flush_first_replaces_the_chain() {
        let decl = "*filter\n:X - [0:0]\n-A X -j ACCEPT\nCOMMIT\n";
        assert!(whole(decl, true, "X"));
        assert!(whole("*filter\n-F X\n-A X -j ACCEPT\nCOMMIT\n", true, "X"));
        assert!(whole("*filter\n-F\n-A X -j ACCEPT\nCOMMIT\n", true, "X"));
        // A jump to it from another chain reads nothing of it.
        let jump = "*filter\n-A INPUT -j X\n:X - [0:0]\nCOMMIT\n";
        assert!(whole(jump, true, "X"));
    }

    #[test]
    fn a_chain_used_before_it_is_flushed_or_never_flushed_is_read() {
        let used = "*filter\n-D X 1\n:X - [0:0]\nCOMMIT\n";
        assert!(!whole(used, true, "X"));
        assert!(!whole("*filter\n-A X -j ACCEPT\nCOMMIT\n", true, "X"));
        assert!(!whole("*filter\n-Z\n-F X\nCOMMIT\n", true, "X"));
        // A built-in's declaration sets its policy and keeps its rules.
        assert!(!whole(
            "*filter\n:INPUT DROP [0:0]\nCOMMIT\n",
            true,
            "INPUT"
        ));
        // Not named at all: kept, so read.
        assert!(!whole("*filter\n:Y - [0:0]\nCOMMIT\n", true, "X"));
    }

    #[test]
    fn only_the_named_table_counts() {
        let nat = "*nat\n:X - [0:0]\nCOMMIT\n";
        assert!(!whole(nat, true, "X"));
    }
}
